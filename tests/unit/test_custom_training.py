"""The Keras 3 behaviour notebook 13 teaches, on small synthetic data: a train_step written
with compute_loss / self.metrics / optimizer.apply, and a GradientTape loop, reproduce
fit(); the deprecated compiled_loss / compiled_metrics form logs the mean prediction."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

keras = pytest.importorskip("keras")
tf = pytest.importorskip("tensorflow")

from kitlib.runtime import seed_everything  # noqa: E402

N, BATCH, EPOCHS, CLASSES = 300, 32, 2, 5  # 10 batches per epoch, the last one holds 12 samples


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((N, 16), dtype=np.float32)
    y = rng.integers(0, CLASSES, N).astype("float32")
    train = tf.data.Dataset.from_tensor_slices((x, y)).batch(BATCH)
    val = tf.data.Dataset.from_tensor_slices((x[:96], y[:96])).batch(BATCH)
    return train, val


def make(model_class=keras.Model):
    seed_everything(11)
    inputs = keras.Input((16,))
    h = keras.layers.Dense(8, activation="relu")(inputs)
    outputs = keras.layers.Dense(CLASSES, activation="softmax")(h)
    model = model_class(inputs, outputs)
    model.compile(optimizer=keras.optimizers.RMSprop(1e-2), loss=keras.losses.SparseCategoricalCrossentropy(),
                  metrics=[keras.metrics.SparseCategoricalAccuracy()])
    return model


class Keras3Step(keras.Model):
    def train_step(self, data):
        x, y, sw = keras.utils.unpack_x_y_sample_weight(data)
        with tf.GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self.compute_loss(x=x, y=y, y_pred=y_pred, sample_weight=sw)
        self.optimizer.apply(tape.gradient(loss, self.trainable_weights), self.trainable_weights)
        return self._metrics_update(x, y, y_pred, loss, sw)

    def test_step(self, data):
        x, y, sw = keras.utils.unpack_x_y_sample_weight(data)
        y_pred = self(x, training=False)
        loss = self.compute_loss(x=x, y=y, y_pred=y_pred, sample_weight=sw, training=False)
        return self._metrics_update(x, y, y_pred, loss, sw)

    def _metrics_update(self, x, y, y_pred, loss, sw):
        for m in self.metrics:
            if m.name == "loss":
                m.update_state(loss, sample_weight=tf.shape(x)[0])
            else:
                m.update_state(y, y_pred, sample_weight=sw)
        return {m.name: m.result() for m in self.metrics}


class OldStep(keras.Model):
    def train_step(self, data):
        x, y = data
        with tf.GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self.compiled_loss(y, y_pred, regularization_losses=self.losses)
        grads = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
        self.compiled_metrics.update_state(y, y_pred)
        return {m.name: m.result() for m in self.metrics}


@pytest.fixture(scope="module")
def reference(data):
    train, val = data
    model = make()
    history = model.fit(train, epochs=EPOCHS, validation_data=val, shuffle=False, verbose=0).history
    return history, model.get_weights(), model.evaluate(val, verbose=0, return_dict=True)


def _close(h1, h2, rtol=1e-6, atol=1e-7):
    assert sorted(h1) == sorted(h2)
    for k in h1:
        np.testing.assert_allclose(h1[k], h2[k], rtol=rtol, atol=atol, err_msg=k)


def test_keras3_train_step_reproduces_fit(data, reference):
    train, val = data
    model = make(Keras3Step)
    history = model.fit(train, epochs=EPOCHS, validation_data=val, shuffle=False, verbose=0).history
    _close(history, reference[0])
    for a, b in zip(model.get_weights(), reference[1]):
        np.testing.assert_allclose(a, b, atol=1e-6)
    assert model.evaluate(val, verbose=0, return_dict=True) == pytest.approx(reference[2], rel=1e-6)  # test_step


def test_gradient_tape_loop_reproduces_fit(data, reference):
    train, val = data
    model = make()
    opt, loss_fn = keras.optimizers.RMSprop(1e-2), keras.losses.SparseCategoricalCrossentropy()
    mean, acc = keras.metrics.Mean(), keras.metrics.SparseCategoricalAccuracy()
    vmean, vacc = keras.metrics.Mean(), keras.metrics.SparseCategoricalAccuracy()

    @tf.function
    def step(x, y):
        with tf.GradientTape() as tape:
            p = model(x, training=True)
            loss = loss_fn(y, p)
        opt.apply(tape.gradient(loss, model.trainable_weights), model.trainable_weights)
        mean.update_state(loss, sample_weight=tf.shape(x)[0])
        acc.update_state(y, p)

    @tf.function
    def vstep(x, y):
        p = model(x, training=False)
        vmean.update_state(loss_fn(y, p), sample_weight=tf.shape(x)[0])
        vacc.update_state(y, p)

    history = {k: [] for k in reference[0]}
    for _ in range(EPOCHS):
        for x, y in train:
            step(x, y)
        for x, y in val:
            vstep(x, y)
        for k, m in (("loss", mean), ("sparse_categorical_accuracy", acc), ("val_loss", vmean),
                     ("val_sparse_categorical_accuracy", vacc)):
            history[k].append(float(m.result()))
            m.reset_state()
    _close(history, reference[0])
    for a, b in zip(model.get_weights(), reference[1]):
        np.testing.assert_allclose(a, b, atol=1e-6)


def test_an_unweighted_loss_mean_is_caught_by_the_tolerance(data, reference):
    """The tolerance the notebook uses is tight enough to see a subtly different procedure."""
    train, _ = data
    model = make()
    opt, loss_fn, mean = keras.optimizers.RMSprop(1e-2), keras.losses.SparseCategoricalCrossentropy(), keras.metrics.Mean()
    for x, y in train:  # one epoch, loss mean NOT weighted by batch size
        with tf.GradientTape() as tape:
            loss = loss_fn(y, model(x, training=True))
        opt.apply(tape.gradient(loss, model.trainable_weights), model.trainable_weights)
        mean.update_state(loss)
    assert not np.isclose(float(mean.result()), reference[0]["loss"][0], rtol=1e-6, atol=1e-7)


def test_old_compiled_loss_form_logs_the_mean_prediction(data, reference):
    train, val = data
    model = make(OldStep)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        history = model.fit(train, epochs=EPOCHS, validation_data=val, shuffle=False, verbose=0).history
    assert any("compiled_loss()` is deprecated" in str(w.message) for w in caught)
    np.testing.assert_allclose(history["loss"], [1 / CLASSES] * EPOCHS, rtol=1e-5)  # softmax rows sum to 1
    assert not np.allclose(history["loss"], reference[0]["loss"], rtol=1e-2)
    np.testing.assert_allclose(history["sparse_categorical_accuracy"], reference[0]["sparse_categorical_accuracy"])
    for a, b in zip(model.get_weights(), reference[1]):
        np.testing.assert_allclose(a, b, atol=1e-6)


def test_metric_reset_states_is_gone():
    with pytest.raises(AttributeError, match="reset_states"):
        keras.metrics.Mean().reset_states()
