"""Keras 3 behaviours that notebooks 02-05 teach, proven on small synthetic data.

Each test pins one mechanism a learner relies on (or is warned about), independently of
the notebooks, so a Keras upgrade that changes it fails here with a clear name.
"""

from __future__ import annotations

import math

import keras
import numpy as np
import pytest
from keras import layers, ops

from kitlib import runtime

RNG = np.random.default_rng(0)
X = RNG.normal(size=(96, 8)).astype("float32")
Y = RNG.integers(0, 3, size=96).astype("float32")


@pytest.fixture(autouse=True)
def _seeded():
    runtime.seed_everything(0)


def small_classifier(n_out=3, activation="softmax"):
    inputs = keras.Input(shape=(8,))
    hidden = layers.Dense(16, activation="relu")(inputs)
    return keras.Model(inputs, layers.Dense(n_out, activation=activation)(hidden))


# ----------------------------------------------------------------------------- 02 compile


def test_rmsprop_string_is_rmsprop_with_default_settings():
    from_string = keras.optimizers.get("rmsprop")
    explicit = keras.optimizers.RMSprop()
    assert type(from_string) is keras.optimizers.RMSprop
    strip = lambda c: {k: v for k, v in c.items() if k != "name"}  # noqa: E731
    assert strip(from_string.get_config()) == strip(explicit.get_config())
    assert float(from_string.learning_rate) == pytest.approx(1e-3)


def test_strings_and_objects_train_identically():
    histories = []
    for compile_args in (
        dict(optimizer=keras.optimizers.RMSprop(learning_rate=1e-3),
             loss=keras.losses.SparseCategoricalCrossentropy(),
             metrics=[keras.metrics.SparseCategoricalAccuracy()]),
        dict(optimizer="rmsprop", loss="sparse_categorical_crossentropy",
             metrics=["sparse_categorical_accuracy"]),
    ):
        runtime.seed_everything(1)
        model = small_classifier()
        model.compile(**compile_args)
        histories.append(model.fit(X, Y, batch_size=16, epochs=2, verbose=0).history)
    assert histories[0].keys() == histories[1].keys()
    for key in histories[0]:
        np.testing.assert_allclose(histories[0][key], histories[1][key], rtol=1e-6)


@pytest.mark.parametrize("n_out, activation, loss, y, expected", [
    (3, "softmax", "sparse_categorical_crossentropy", Y, "SparseCategoricalAccuracy"),
    (3, "softmax", "sparse_categorical_crossentropy", Y[:, None], "SparseCategoricalAccuracy"),
    (3, "softmax", "categorical_crossentropy", np.eye(3, dtype="float32")[Y.astype(int)], "CategoricalAccuracy"),
    (1, "sigmoid", "binary_crossentropy", (Y == 0).astype("float32"), "BinaryAccuracy"),
    # multi-label: binary loss, but (B, C) targets look one-hot: the loss plays no part
    (3, "sigmoid", "binary_crossentropy", (RNG.random((96, 3)) > 0.5).astype("float32"), "CategoricalAccuracy"),
])
def test_accuracy_string_is_resolved_from_shapes_not_loss(n_out, activation, loss, y, expected):
    model = small_classifier(n_out, activation)
    model.compile(optimizer="rmsprop", loss=loss, metrics=["accuracy"])
    model.evaluate(X, y, verbose=0)
    compiled = next(m for m in model.metrics if m.name == "compile_metrics")
    assert type(compiled.metrics[0]).__name__ == expected


@pytest.mark.parametrize("old_form, error", [
    (lambda: keras.optimizers.RMSprop(lr=0.01), ValueError),
    (lambda: keras.optimizers.RMSprop().lr, AttributeError),
    (lambda: keras.optimizers.legacy.Adam(), ImportError),
])
def test_keras2_optimizer_spellings_raise(old_form, error):
    with pytest.raises(error):
        old_form()


# ----------------------------------------------------------------- 03 custom losses, metrics


class TruePositives(keras.metrics.Metric):
    """The notebook's fixed metric: flatten y_true, argmax y_pred, honour sample_weight."""

    def __init__(self, name="tp", **kwargs):
        super().__init__(name=name, **kwargs)
        self.tp = self.add_weight(shape=(), initializer="zeros", name="tp")

    def update_state(self, y_true, y_pred, sample_weight=None):
        labels = ops.reshape(ops.cast(y_true, "int32"), (-1,))
        correct = ops.cast(ops.equal(labels, ops.cast(ops.argmax(y_pred, axis=-1), "int32")), self.dtype)
        if sample_weight is not None:
            correct = correct * ops.reshape(ops.cast(sample_weight, self.dtype), (-1,))
        self.tp.assign_add(ops.sum(correct))

    def result(self):
        return ops.copy(self.tp)

    def reset_state(self):
        self.tp.assign(0.0)


class TruePositivesKeras2(TruePositives):
    """The Keras 2 era update: predictions reshaped to (B, 1), compared with y_true."""

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = ops.reshape(ops.argmax(y_pred, axis=1), (-1, 1))
        self.tp.assign_add(ops.sum(ops.cast(ops.cast(y_true, "int32") == ops.cast(y_pred, "int32"), "float32")))


class TargetRank(keras.metrics.Metric):
    def __init__(self, name="target_rank", **kwargs):
        super().__init__(name=name, **kwargs)
        self.rank = self.add_weight(shape=(), initializer="zeros", name="rank")

    def update_state(self, y_true, y_pred, sample_weight=None):
        self.rank.assign(float(len(y_true.shape)))

    def result(self):
        return ops.copy(self.rank)


def test_integer_targets_reach_metrics_with_shape_B():
    model = small_classifier()
    model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy", metrics=[TargetRank()])
    assert model.evaluate(X, Y, verbose=0, return_dict=True)["target_rank"] == 1.0


def test_keras2_true_positives_broadcast_to_B_by_B():
    probs = RNG.random((64, 3)).astype("float32")
    predicted = probs.argmax(axis=1)
    old, new = TruePositivesKeras2(), TruePositives()
    old.update_state(Y[:64], probs)
    new.update_state(Y[:64], probs)
    pairs = int(np.sum(Y[:64, None] == predicted[None, :]))  # every label vs every prediction
    assert float(old.result()) == pairs
    assert float(new.result()) == int(np.sum(Y[:64] == predicted))
    assert pairs > 64 > float(new.result())


def test_fixed_true_positives_equal_numpy_in_evaluate():
    model = small_classifier()
    model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy",
                  metrics=[TruePositives(), TruePositivesKeras2(name="old")])
    logs = model.evaluate(X, Y, batch_size=32, verbose=0, return_dict=True)
    predicted = model.predict(X, batch_size=32, verbose=0).argmax(axis=1)
    assert logs["tp"] == int(np.sum(predicted == Y))
    assert logs["old"] == sum(int(np.sum(Y[i:i + 32, None] == predicted[None, i:i + 32])) for i in range(0, 96, 32))


def test_metrics_ignore_sample_weight_weighted_metrics_use_it():
    model = small_classifier()
    model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy",
                  metrics=[TruePositives(name="plain")], weighted_metrics=[TruePositives(name="weighted")])
    w = (Y != 0).astype("float32")
    logs = model.evaluate(X, Y, sample_weight=w, verbose=0, return_dict=True)
    predicted = model.predict(X, verbose=0).argmax(axis=1)
    assert logs["plain"] == int(np.sum(predicted == Y))
    assert logs["weighted"] == int(np.sum((predicted == Y) & (Y != 0)))


class SampleCount(keras.metrics.Metric):
    def __init__(self, name="count", return_variable=False, **kwargs):
        super().__init__(name=name, **kwargs)
        self.return_variable = return_variable
        self.n = self.add_weight(shape=(), initializer="zeros", name="n")

    def update_state(self, y_true, y_pred, sample_weight=None):
        self.n.assign_add(ops.cast(ops.shape(y_true)[0], "float32"))

    def result(self):
        return self.n if self.return_variable else ops.copy(self.n)


def test_result_returning_the_variable_shows_validation_value_as_training_value():
    model = small_classifier()
    model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy",
                  metrics=[SampleCount(name="copy"), SampleCount(name="variable", return_variable=True)])
    h = model.fit(X[:64], Y[:64], validation_data=(X[64:], Y[64:]), batch_size=16, epochs=2, verbose=0).history
    assert h["copy"] == [64, 64] and h["val_copy"] == [32, 32]
    assert h["variable"] == [32, 32]  # the training log holds the validation count


class WorstBatch(keras.metrics.Metric):
    def __init__(self, name="worst", **kwargs):
        super().__init__(name=name, **kwargs)
        self.worst = self.add_weight(shape=(), initializer="ones", name="worst")

    def update_state(self, y_true, y_pred, sample_weight=None):
        labels = ops.reshape(ops.cast(y_true, "int32"), (-1,))
        hits = ops.cast(ops.equal(labels, ops.cast(ops.argmax(y_pred, axis=-1), "int32")), self.dtype)
        self.worst.assign(ops.minimum(self.worst, ops.mean(hits)))

    def result(self):
        return ops.copy(self.worst)


class WorstBatchOldName(WorstBatch):
    def reset_states(self):  # Keras 2 name: never called
        self.worst.assign(1.0)


class WorstBatchNewName(WorstBatch):
    def reset_state(self):
        self.worst.assign(1.0)


def test_reset_states_old_name_is_never_called():
    model = small_classifier()
    model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy",
                  metrics=[WorstBatchOldName(name="old"), WorstBatchNewName(name="new")])
    predicted = model.predict(X, batch_size=32, verbose=0).argmax(axis=1)
    expected = min(np.mean(predicted[i:i + 32] == Y[i:i + 32]) for i in range(0, 96, 32))
    first = model.evaluate(X, Y, batch_size=32, verbose=0, return_dict=True)
    second = model.evaluate(X, Y, batch_size=32, verbose=0, return_dict=True)
    assert first["old"] == first["new"] == pytest.approx(expected)  # fresh variables start at 1
    assert second["new"] == pytest.approx(expected)
    assert second["old"] == 0.0  # the inherited reset_state() zeroed the minimum
    with pytest.raises(AttributeError):
        keras.metrics.Mean().reset_states()


def test_add_weight_positional_name_is_read_as_a_shape():
    class Positional(keras.metrics.Metric):
        def __init__(self):
            super().__init__(name="positional")
            self.v = self.add_weight("v", initializer="zeros")

    with pytest.raises(ValueError, match="shape"):
        Positional()


class Centered(keras.losses.Loss):
    def __init__(self, centering=0.1, name="centered", **kwargs):
        super().__init__(name=name, **kwargs)
        self.centering = centering

    def call(self, y_true, y_pred):
        return ops.mean(ops.square(y_true - y_pred), axis=-1) + self.centering * ops.mean(
            ops.square(0.5 - y_pred), axis=-1)


class CenteredWithConfig(Centered):
    def get_config(self):
        return {**super().get_config(), "centering": self.centering}


@pytest.mark.parametrize("cls, restored", [(CenteredWithConfig, 0.5), (Centered, 0.1)])
def test_loss_parameter_survives_saving_only_with_get_config(cls, restored, tmp_path):
    objects = {"Centered": Centered, "CenteredWithConfig": CenteredWithConfig}
    loss = cls(centering=0.5)
    again = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(loss), custom_objects=objects)
    assert again.centering == restored

    model = small_classifier()
    model.compile(optimizer="adam", loss=loss)
    model.fit(X, np.eye(3, dtype="float32")[Y.astype(int)], epochs=1, verbose=0)
    model.save(tmp_path / "m.keras")
    reloaded = keras.models.load_model(tmp_path / "m.keras", custom_objects=objects)
    assert type(reloaded.loss) is cls and reloaded.loss.centering == restored


def test_loss_subclass_value_matches_formula():
    y_true = np.eye(3, dtype="float32")[Y.astype(int)]
    y_pred = RNG.random((96, 3)).astype("float32")
    expected = np.mean((y_true - y_pred) ** 2) + 0.3 * np.mean((0.5 - y_pred) ** 2)
    assert float(CenteredWithConfig(0.3)(y_true, y_pred)) == pytest.approx(expected, rel=1e-6)


# ------------------------------------------------------------------- 04 add_loss, metrics


class Penalty(layers.Layer):
    def __init__(self, rate, **kwargs):
        super().__init__(**kwargs)
        self.rate = rate

    def call(self, inputs):
        self.add_loss(self.rate * ops.sum(ops.square(inputs)))
        return inputs


def penalised_model(rate=1e-2):
    inputs = keras.Input(shape=(8,))
    hidden = layers.Dense(16, activation="relu", name="hidden")(inputs)
    x = Penalty(rate, name="penalty")(hidden)
    model = keras.Model(inputs, layers.Dense(3, activation="softmax")(x))
    model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy")
    return model


def test_activity_penalty_equals_rate_times_sum_of_squares():
    model = penalised_model(rate=1e-2)
    model(X)
    kernel, bias = model.get_layer("hidden").get_weights()
    h = np.maximum(X @ kernel + bias, 0)
    assert len(model.losses) == 1
    assert float(model.losses[0]) == pytest.approx(1e-2 * np.sum(h ** 2), rel=1e-5)


def test_reported_loss_is_compiled_loss_plus_added_loss():
    model = penalised_model(rate=1e-2)
    model(X)
    penalty = float(model.losses[0])
    probs = model.predict(X, verbose=0)
    ce = float(np.mean(-np.log(probs[np.arange(96), Y.astype(int)])))
    loss = model.evaluate(X, Y, batch_size=96, verbose=0, return_dict=True)["loss"]
    assert loss == pytest.approx(ce + penalty, rel=1e-5)


def test_builtin_activity_regularization_divides_by_batch_size():
    h = ops.convert_to_tensor(RNG.random((32, 5)).astype("float32"))
    builtin = layers.ActivityRegularization(l2=1e-2)
    builtin(h)
    ours = Penalty(1e-2)
    ours(h)
    assert float(builtin.losses[0]) == pytest.approx(float(ours.losses[0]) / 32, rel=1e-5)


class Monitor(layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.mean_activation = keras.metrics.Mean(name="mean_activation")

    def call(self, inputs):
        self.mean_activation.update_state(inputs)
        return inputs


def test_metric_held_by_a_layer_shows_in_history_val_and_evaluate():
    inputs = keras.Input(shape=(8,))
    hidden = layers.Dense(16, activation="relu", name="hidden")(inputs)
    model = keras.Model(inputs, layers.Dense(3, activation="softmax")(Monitor()(hidden)))
    model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy")
    h = model.fit(X[:64], Y[:64], validation_data=(X[64:], Y[64:]), epochs=1, verbose=0).history
    assert {"mean_activation", "val_mean_activation"} <= set(h)
    logs = model.evaluate(X[64:], Y[64:], verbose=0, return_dict=True)
    kernel, bias = model.get_layer("hidden").get_weights()
    expected = np.mean(np.maximum(X[64:] @ kernel + bias, 0))
    assert logs["mean_activation"] == pytest.approx(expected, rel=1e-5)
    assert logs["mean_activation"] == pytest.approx(h["val_mean_activation"][-1], rel=1e-6)


class Endpoint(layers.Layer):
    def __init__(self, name=None):
        super().__init__(name=name)
        self.loss_fn = keras.losses.BinaryCrossentropy(from_logits=True)
        self.accuracy = keras.metrics.BinaryAccuracy(name="accuracy")

    def call(self, targets, logits, sample_weight=None):
        self.add_loss(self.loss_fn(targets, logits, sample_weight))
        probabilities = ops.sigmoid(logits)
        self.accuracy.update_state(targets, probabilities, sample_weight)
        return probabilities


def test_endpoint_model_compiled_without_loss_trains_and_its_accuracy_matches_numpy():
    features = keras.Input(shape=(8,), name="features")
    targets = keras.Input(shape=(4,), name="targets")
    logits = layers.Dense(4)(features)
    model = keras.Model([features, targets], Endpoint()(targets, logits))
    model.compile(optimizer=keras.optimizers.Adam(1e-2))
    t = (X[:, :4] > 0).astype("float32")
    data = {"features": X, "targets": t}
    h = model.fit(data, batch_size=16, epochs=3, verbose=0).history
    assert h["loss"][-1] < h["loss"][0] and "accuracy" in h
    logs = model.evaluate(data, verbose=0, return_dict=True)
    p = model.predict(data, verbose=0)
    assert logs["accuracy"] == pytest.approx(np.mean((p > 0.5) == (t == 1)), rel=1e-6)
    assert logs["loss"] == pytest.approx(np.mean(-(t * np.log(p) + (1 - t) * np.log(1 - p))), rel=1e-4)


def test_compile_without_loss_and_without_add_loss_cannot_train():
    model = small_classifier()
    model.compile(optimizer="rmsprop")
    with pytest.raises(ValueError, match="No loss to compute"):
        model.fit(X, Y, epochs=1, verbose=0)


def _symbolic():
    inputs = keras.Input(shape=(8,))
    hidden = layers.Dense(4)(inputs)
    return keras.Model(inputs, hidden), hidden


class OldMetricLayer(layers.Layer):
    def call(self, inputs):
        self.add_metric(ops.mean(inputs), name="m")
        return inputs


def _tf_add_loss():
    import tensorflow as tf
    model, hidden = _symbolic()
    model.add_loss(tf.reduce_sum(hidden))


@pytest.mark.parametrize("old_form, error, match", [
    (lambda: OldMetricLayer()(_symbolic()[1]), NotImplementedError, "add_metric"),
    (lambda: OldMetricLayer()(X), NotImplementedError, "add_metric"),
    (_tf_add_loss, ValueError, "KerasTensor cannot be used as input to a TensorFlow function"),
    (lambda: (lambda m, h: m.add_loss(ops.sum(h)))(*_symbolic()), NotImplementedError, "^$"),  # empty message
    (lambda: (lambda m, h: m.add_metric(ops.sum(h), name="s"))(*_symbolic()), NotImplementedError, "add_metric"),
])
def test_keras2_add_metric_and_symbolic_add_loss_raise(old_form, error, match):
    with pytest.raises(error, match=match):
        old_form()


# ------------------------------------------------------------------------- 05 validation


class SeenIds(keras.metrics.Metric):
    def __init__(self, name="ids", **kwargs):
        super().__init__(name=name, **kwargs)
        self.count = self.add_weight(shape=(), initializer="zeros", name="count")
        self.lowest = self.add_weight(shape=(), initializer="zeros", name="lowest")
        self.highest = self.add_weight(shape=(), initializer="zeros", name="highest")

    def update_state(self, y_true, y_pred, sample_weight=None):
        ids = ops.reshape(ops.cast(y_true, "float32"), (-1,))
        empty = ops.equal(self.count, 0.0)
        self.lowest.assign(ops.where(empty, ops.min(ids), ops.minimum(self.lowest, ops.min(ids))))
        self.highest.assign(ops.where(empty, ops.max(ids), ops.maximum(self.highest, ops.max(ids))))
        self.count.assign_add(ops.cast(ops.shape(ids)[0], "float32"))

    def result(self):
        return {"n_seen": self.count * 1.0, "lowest_id": self.lowest * 1.0, "highest_id": self.highest * 1.0}


@pytest.mark.parametrize("n, split", [(1003, 0.25), (100, 0.2), (97, 0.1), (10, 0.5)])
def test_validation_split_holds_out_exactly_the_last_fraction_before_shuffling(n, split):
    ids = np.arange(n, dtype="float32")
    features = RNG.normal(size=(n, 2)).astype("float32")
    model = keras.Sequential([keras.Input(shape=(2,)), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse", metrics=[SeenIds()])
    h = model.fit(features, ids, batch_size=8, epochs=2, validation_split=split, shuffle=True, verbose=0).history
    cut = math.floor(n * (1 - split))
    assert h["val_lowest_id"] == [cut] * 2 and h["val_highest_id"] == [n - 1] * 2 and h["val_n_seen"] == [n - cut] * 2
    assert h["lowest_id"] == [0] * 2 and h["highest_id"] == [cut - 1] * 2 and h["n_seen"] == [cut] * 2


def test_validation_metrics_equal_evaluate_on_the_last_samples():
    model = small_classifier()
    model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy")
    h = model.fit(X, Y, batch_size=16, epochs=1, validation_split=0.25, verbose=0).history
    last = model.evaluate(X[72:], Y[72:], batch_size=16, verbose=0, return_dict=True)
    assert h["val_loss"][-1] == pytest.approx(last["loss"], rel=1e-5)


def test_validation_split_rejects_a_dataset():
    import tensorflow as tf
    model = small_classifier()
    model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy")
    ds = tf.data.Dataset.from_tensor_slices((X, Y)).batch(16)
    with pytest.raises(ValueError, match="validation_split.*only supported for tensors or NumPy arrays"):
        model.fit(ds, validation_split=0.2, verbose=0)


def test_shuffle_before_take_reshuffles_each_pass_take_before_shuffle_does_not():
    import tensorflow as tf
    numbers = tf.data.Dataset.range(10)
    leaky = numbers.shuffle(10, seed=0).take(3)
    passes = [sorted(int(v) for v in leaky.as_numpy_iterator()) for _ in range(5)]
    assert len({tuple(p) for p in passes}) > 1
    clean = numbers.take(3).shuffle(3, seed=0)
    assert all(sorted(int(v) for v in clean.as_numpy_iterator()) == [0, 1, 2] for _ in range(5))


# ----------------------------------------------------------------------------- facts the 02-05 exercises teach


def test_from_logits_on_a_softmax_output_is_rescued_in_evaluate_but_not_on_probabilities():
    # exercises 01.3 / 02.1: from_logits=True on a softmax model looks right in evaluate() only
    model = small_classifier()
    model.compile(optimizer="rmsprop", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    with pytest.warns(UserWarning, match="Was this intended"):
        reported = model.evaluate(X, Y, batch_size=96, verbose=0, return_dict=True)["loss"]
    probs = model.predict(X, verbose=0).astype("float64")
    true_ce = float(np.mean(-np.log(probs[np.arange(96), Y.astype(int)])))
    on_probs = float(keras.losses.SparseCategoricalCrossentropy(from_logits=True)(Y, probs))
    assert reported == pytest.approx(true_ce, rel=1e-4)
    assert abs(on_probs - true_ce) > 0.05


def test_sgd_momentum_is_an_optimizer_setting_and_a_string_cannot_carry_it():
    # exercise 02.3: "SGD+momentum" is SGD(momentum=0.9); the string "sgd" has none
    assert keras.optimizers.get("sgd").get_config()["momentum"] == 0.0
    assert keras.optimizers.SGD(learning_rate=0.03, momentum=0.9).get_config()["momentum"] == pytest.approx(0.9)


def test_builtin_recall_with_class_id_expects_one_hot_targets():
    # exercise 03.3: with integer labels Recall(class_id=...) runs and reports another number
    labels = np.array([0, 2, 2, 1, 2], dtype="float32")
    probs = (np.eye(3, dtype="float32")[[0, 2, 1, 1, 2]] * 0.8 + 0.0667).astype("float32")
    true_recall = 2 / 3
    on_integers = keras.metrics.Recall(class_id=2)
    on_integers.update_state(labels, probs)
    on_one_hot = keras.metrics.Recall(class_id=2)
    on_one_hot.update_state(np.eye(3, dtype="float32")[labels.astype(int)], probs)
    assert float(on_one_hot.result()) == pytest.approx(true_recall, rel=1e-6)
    assert abs(float(on_integers.result()) - true_recall) > 0.1


def test_in_top_k_counts_labels_among_the_k_most_probable_classes():
    # exercise 03.4's reference solution
    probs = np.array([[0.1, 0.5, 0.4], [0.7, 0.2, 0.1], [0.2, 0.3, 0.5]], dtype="float32")
    labels = np.array([2, 2, 1], dtype="int32")
    assert np.asarray(ops.in_top_k(labels, probs, k=2)).tolist() == [True, False, True]


class MetricMadeInCall(layers.Layer):
    def call(self, inputs):
        metric = keras.metrics.Mean(name="made_in_call")
        metric.update_state(inputs)
        return inputs


class LenOfInputs(layers.Layer):
    def call(self, inputs):
        self.add_loss(ops.sum(ops.square(inputs)) / len(inputs))
        return inputs


def test_a_metric_created_inside_call_breaks_training():
    # exercise 04.2: create the metric once, in __init__
    inputs = keras.Input(shape=(8,))
    model = keras.Model(inputs, layers.Dense(3, activation="softmax")(MetricMadeInCall()(inputs)))
    model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy")
    with pytest.raises(ValueError, match="tf.Variable"):
        model.fit(X, Y, batch_size=32, epochs=1, verbose=0)


def test_len_of_the_inputs_fails_when_a_functional_model_is_built():
    # exercise 04.3: the batch size is unknown while the layer is traced
    with pytest.raises(TypeError, match="len is not well defined"):
        LenOfInputs()(keras.Input(shape=(8,)))


class L2PerSample(layers.Layer):
    def __init__(self, rate, **kwargs):
        super().__init__(**kwargs)
        self.rate = rate

    def call(self, inputs):
        self.add_loss(self.rate * ops.mean(ops.sum(ops.square(inputs), axis=-1)))
        return inputs


@pytest.mark.parametrize("batch", [8, 32])
def test_a_per_sample_penalty_equals_activity_regularization_at_any_batch_size(batch):
    # exercise 04.3's reference solution
    h = ops.convert_to_tensor(X[:batch])
    ours, builtin = L2PerSample(1e-2), layers.ActivityRegularization(l2=1e-2)
    ours(h)
    builtin(h)
    assert float(ours.losses[0]) == pytest.approx(float(builtin.losses[0]), rel=1e-5)


def test_with_a_per_sample_penalty_the_reported_loss_does_not_depend_on_the_batch_size():
    inputs = keras.Input(shape=(8,))
    hidden = layers.Dense(16, name="hidden")(inputs)
    model = keras.Model(inputs, layers.Dense(3, activation="softmax")(L2PerSample(1e-2)(hidden)))
    model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy")
    small = model.evaluate(X, Y, batch_size=8, verbose=0, return_dict=True)["loss"]
    large = model.evaluate(X, Y, batch_size=96, verbose=0, return_dict=True)["loss"]
    assert small == pytest.approx(large, rel=1e-5)


def test_validation_split_rounds_the_training_part_down_in_floating_point():
    # exercise 05.1: 700 * (1 - 0.3) is 489.99999999999994, so 211 samples are validated, not 210
    assert 700 * (1 - 0.3) < 490
    ids = np.arange(700, dtype="float32")
    model = keras.Sequential([keras.Input(shape=(2,)), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse", metrics=[SeenIds()])
    h = model.fit(np.zeros((700, 2), "float32"), ids, batch_size=64, epochs=1, validation_split=0.3,
                  verbose=0).history
    assert h["val_n_seen"] == [211] and h["val_lowest_id"] == [489] and h["n_seen"] == [489]


def test_shuffle_without_reshuffling_gives_a_stable_holdout():
    # exercise 05.3's other correct answer
    import tensorflow as tf
    fixed = tf.data.Dataset.range(20).shuffle(20, seed=1, reshuffle_each_iteration=False)
    holdout = fixed.take(5)
    passes = [[int(v) for v in holdout.as_numpy_iterator()] for _ in range(3)]
    assert passes[0] == passes[1] == passes[2]
    assert set(passes[0]).isdisjoint(int(v) for v in fixed.skip(5).as_numpy_iterator())
