"""Keras 3 facts that notebooks 06-09 teach, checked on small synthetic data.

If a Keras upgrade changes one of these, the test fails and the notebook's prose
must change with it.
"""

from __future__ import annotations

import math

import keras
import numpy as np
import pytest
import tensorflow as tf

from kitlib import data, models
from kitlib.checks import attempt
from kitlib.pipeline import BatchSpy
from kitlib.runtime import seed_everything


def same_weights(a, b) -> bool:
    return all(np.array_equal(u, v) for u, v in zip(a.get_weights(), b.get_weights()))


def small_classifier():
    m = keras.Sequential([keras.Input((8,)), keras.layers.Dense(16, activation="relu"),
                          keras.layers.Dense(3, activation="softmax")])
    m.compile(optimizer=keras.optimizers.RMSprop(1e-3), loss="sparse_categorical_crossentropy",
              metrics=["accuracy"])
    return m


@pytest.fixture(scope="module")
def small_data():
    rng = np.random.default_rng(0)
    x = rng.random((300, 8), dtype=np.float32)
    y = rng.integers(0, 3, 300).astype("float32")
    return x, y


def numbered(n):
    return tf.data.Dataset.range(n).map(lambda i: (tf.cast([i], "float32"), 0.0))


# --------------------------------------------------------------------------- 08 weighting


def test_class_weight_trains_bit_identical_to_the_equivalent_sample_weight(small_data):
    x, y = small_data
    class_weight = {0: 1.0, 1: 3.0, 2: 0.5}
    seed_everything(1)
    a = small_classifier()
    ha = a.fit(x, y, class_weight=class_weight, batch_size=32, epochs=2, verbose=0)  # shuffled
    seed_everything(1)
    b = small_classifier()
    sw = np.array([class_weight[int(c)] for c in y], "float32")
    hb = b.fit(x, y, sample_weight=sw, batch_size=32, epochs=2, verbose=0)
    assert same_weights(a, b) and ha.history == hb.history
    # and the same through a Dataset: (x, y, w) items vs (x, y) with class_weight
    seed_everything(1)
    c = small_classifier()
    c.fit(tf.data.Dataset.from_tensor_slices((x, y, sw)).batch(32), epochs=2, verbose=0, shuffle=False)
    seed_everything(1)
    d = small_classifier()
    d.fit(tf.data.Dataset.from_tensor_slices((x, y)).batch(32), class_weight=class_weight, epochs=2,
          verbose=0, shuffle=False)
    assert same_weights(c, d)


def test_class_weight_must_be_a_dict_and_not_combined_with_sample_weight(small_data):
    x, y = small_data
    m = small_classifier()
    assert attempt(lambda: m.fit(x, y, class_weight=np.array([1.0, 2.0, 1.0]), verbose=0),
                   show=False).raised == "AttributeError"
    both = attempt(lambda: m.fit(x, y, class_weight={0: 2.0}, sample_weight=np.ones(300), verbose=0), show=False)
    assert both.raised == "ValueError" and "at the same time" in both.message


def test_a_zero_sample_weight_removes_the_samples_contribution(small_data):
    x, y = small_data
    keep = (np.arange(300) % 3 != 0).astype("float32")
    y_other = y.copy()
    y_other[keep == 0] = (y_other[keep == 0] + 1) % 3  # other labels where the weight is 0
    seed_everything(2)
    a = small_classifier()
    a.fit(x, y, sample_weight=keep, batch_size=30, epochs=2, verbose=0)
    seed_everything(2)
    b = small_classifier()
    b.fit(x, y_other, sample_weight=keep, batch_size=30, epochs=2, verbose=0)
    assert same_weights(a, b)
    # its gradient is exactly zero
    model = small_classifier()
    loss_fn = keras.losses.SparseCategoricalCrossentropy()
    with tf.GradientTape() as tape:
        loss = loss_fn(y[:1], model(x[:1]), sample_weight=np.zeros(1, "float32"))
    grads = tape.gradient(loss, model.trainable_weights)
    assert all(float(tf.reduce_max(tf.abs(g))) == 0.0 for g in grads)


def test_masked_loss_divides_by_the_batch_unless_mean_with_sample_weight(small_data):
    x, y = small_data
    keep = (np.arange(300) % 4 != 0).astype("float32")
    seed_everything(3)
    m = small_classifier()
    per_sample = keras.ops.convert_to_numpy(
        keras.losses.SparseCategoricalCrossentropy(reduction="none")(y, m.predict(x, verbose=0)))
    default = m.evaluate(x, y, sample_weight=keep, batch_size=300, verbose=0, return_dict=True)
    assert math.isclose(default["loss"], per_sample[keep == 1].sum() / 300, rel_tol=1e-5)
    m.compile(loss=keras.losses.SparseCategoricalCrossentropy(reduction="mean_with_sample_weight"),
              metrics=["accuracy"], weighted_metrics=["accuracy"])
    kept = m.evaluate(x, y, sample_weight=keep, batch_size=300, verbose=0, return_dict=True)
    assert math.isclose(kept["loss"], per_sample[keep == 1].mean(), rel_tol=1e-5)
    pred = m.predict(x, verbose=0).argmax(1)
    assert math.isclose(kept["accuracy"], (pred == y).mean(), rel_tol=1e-6)
    assert math.isclose(kept["weighted_accuracy"], (pred == y)[keep == 1].mean(), rel_tol=1e-6)


# --------------------------------------------------------------------------- 09 multi-IO


@pytest.fixture(scope="module")
def mio():
    return data.multi_io_data(64, seed=0)


def compiled_multi_io(**compile_kwargs):
    seed_everything(4)
    m = models.get_multi_io_model()
    compile_kwargs.setdefault("loss", {"score_output": "mse",
                                       "class_output": keras.losses.CategoricalCrossentropy(from_logits=True)})
    m.compile(optimizer=keras.optimizers.RMSprop(1e-3), **compile_kwargs)
    return m


def test_total_loss_is_the_weighted_sum_of_the_head_losses(mio):
    m = compiled_multi_io(loss_weights={"score_output": 2.0, "class_output": 0.5})
    x, y = [mio.images, mio.timeseries], [mio.scores, mio.classes]
    r = m.evaluate(x, y, batch_size=16, verbose=0, return_dict=True)  # 4 equal batches
    assert math.isclose(r["loss"], 2.0 * r["score_output_loss"] + 0.5 * r["class_output_loss"], rel_tol=1e-5)
    score = m.predict(x, verbose=0)[0]
    assert math.isclose(r["score_output_loss"], float(np.mean((score - mio.scores) ** 2)), rel_tol=1e-4)
    # unequal batches: the total is batch-size weighted, each head a plain mean of batches
    u = m.evaluate(x, y, batch_size=48, verbose=0, return_dict=True)
    a = m.evaluate([mio.images[:48], mio.timeseries[:48]], [mio.scores[:48], mio.classes[:48]],
                   batch_size=48, verbose=0, return_dict=True)
    b = m.evaluate([mio.images[48:], mio.timeseries[48:]], [mio.scores[48:], mio.classes[48:]],
                   batch_size=16, verbose=0, return_dict=True)
    assert math.isclose(u["loss"], (48 * a["loss"] + 16 * b["loss"]) / 64, rel_tol=1e-5)
    assert math.isclose(u["class_output_loss"], (a["class_output_loss"] + b["class_output_loss"]) / 2, rel_tol=1e-5)


def test_loss_dicts_must_name_every_output_and_none_freezes_a_head(mio):
    x, y = [mio.images, mio.timeseries], [mio.scores, mio.classes]
    m = compiled_multi_io(loss={"class_output": keras.losses.CategoricalCrossentropy(from_logits=True)})
    out = attempt(lambda: m.fit(x, y, epochs=1, verbose=0), show=False)
    assert out.raised == "ValueError" and "Expected keys" in out.message
    m = compiled_multi_io(loss=[None, keras.losses.CategoricalCrossentropy(from_logits=True)])
    head = [w.copy() for w in m.get_layer("score_output").get_weights()]
    out = attempt(lambda: m.fit(x, y, epochs=1, verbose=0), show=False)
    assert out.warned("Gradients do not exist")
    assert all(np.array_equal(a, b) for a, b in zip(head, m.get_layer("score_output").get_weights()))
    assert attempt(lambda: compiled_multi_io(loss_weight=[1.0, 2.0]), show=False).raised == "TypeError"


def test_multi_output_weighting_class_weight_refused_sample_weight_list_works(mio):
    x, y = [mio.images, mio.timeseries], [mio.scores, mio.classes]
    m = compiled_multi_io()
    out = attempt(lambda: m.fit(x, y, class_weight={1: 2.0}, epochs=1, verbose=0), show=False)
    assert out.raised == "ValueError" and "single output" in out.message
    w = np.where(mio.class_ids == 1, 2.0, 1.0).astype("float32")
    ones = np.ones(64, "float32")
    r = m.evaluate(x, y, sample_weight=[ones, w], batch_size=64, verbose=0, return_dict=True)
    plain = m.evaluate(x, y, batch_size=64, verbose=0, return_dict=True)
    logits = m.predict(x, verbose=0)[1]
    ce = -np.sum(mio.classes * keras.ops.convert_to_numpy(keras.ops.log_softmax(logits)), axis=1)
    assert math.isclose(r["class_output_loss"], float(np.sum(w * ce) / 64), rel_tol=1e-5)
    assert math.isclose(r["score_output_loss"], plain["score_output_loss"], rel_tol=1e-6)
    # Keras 3.15: dict sample weights with dict targets fail (keras-team/keras#20992).
    xd = {"img_input": mio.images, "ts_input": mio.timeseries}
    yd = {"score_output": mio.scores, "class_output": mio.classes}
    out = attempt(lambda: m.fit(xd, yd, sample_weight={"score_output": ones, "class_output": w},
                                epochs=1, verbose=0), show=False)
    assert out.raised == "KeyError", "dict sample_weight works now: update notebook 09, section 7"


def test_lists_and_dicts_are_the_same_data(mio):
    a = compiled_multi_io()
    a.fit([mio.images, mio.timeseries], [mio.scores, mio.classes], batch_size=16, epochs=1, verbose=0)
    b = compiled_multi_io()
    b.fit({"img_input": mio.images, "ts_input": mio.timeseries},
          {"score_output": mio.scores, "class_output": mio.classes}, batch_size=16, epochs=1, verbose=0)
    assert same_weights(a, b)


# --------------------------------------------------------------------------- 06 tf.data


def test_steps_per_epoch_without_repeat_cuts_one_epoch_and_starts_over():
    spy = BatchSpy()
    m = spy.model()
    out = attempt(lambda: m.fit(numbered(40).batch(4), epochs=4, steps_per_epoch=4, callbacks=[spy],
                                verbose=0, shuffle=False), show=False)
    assert spy.batches(4) == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9], [0, 1, 2, 3]]
    assert out.warned("ran out of data") and len(out.value.history["loss"]) == 4


def test_steps_per_epoch_with_repeat_continues_the_stream():
    spy = BatchSpy()
    m = spy.model()
    out = attempt(lambda: m.fit(numbered(40).batch(4).repeat(), epochs=4, steps_per_epoch=4,
                                callbacks=[spy], verbose=0, shuffle=False), show=False)
    assert spy.batches(4) == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 0, 1], [2, 3, 4, 5]]
    assert not out.warned("ran out of data")
    # shuffle -> batch -> repeat with steps_per_epoch = batches per pass: clean epochs
    m.fit(numbered(40).shuffle(40).batch(4).repeat(), epochs=3, steps_per_epoch=10, callbacks=[spy],
          verbose=0, shuffle=False)
    assert all(sorted(s) == list(range(40)) for s in spy.samples())
    assert len({tuple(s) for s in spy.samples()}) == 3


def test_without_steps_per_epoch_each_epoch_is_a_pass_and_validation_restarts():
    spy = BatchSpy()
    m = spy.model()
    out = attempt(lambda: m.fit(numbered(12).batch(4), epochs=2, validation_data=numbered(12).batch(4),
                                validation_steps=2, callbacks=[spy], verbose=0), show=False)
    assert spy.batches(4) == [[0, 1, 2]] * 2 and spy.batches(4, "val") == [[0, 1]] * 2
    assert out.warned("shuffle=True")  # the default shuffle=True is ignored for a Dataset
    # unknown length (filter): still full passes, but the 'ran out' warning appears
    out = attempt(lambda: m.fit(numbered(12).filter(lambda a, b: True).batch(4), epochs=2, callbacks=[spy],
                                verbose=0, shuffle=False), show=False)
    assert spy.batches(4) == [[0, 1, 2]] * 2 and out.warned("ran out of data")


def test_validation_split_is_refused_for_a_dataset():
    m = BatchSpy().model()
    out = attempt(lambda: m.fit(numbered(8).batch(4), validation_split=0.25, verbose=0), show=False)
    assert out.raised == "ValueError" and "validation_split" in out.message


# --------------------------------------------------------------------------- 07 PyDataset


class Reshuffled(keras.utils.PyDataset):
    def __init__(self, n, batch_size, **kwargs):
        super().__init__(**kwargs)
        self.n, self.batch_size = n, batch_size
        self.order = np.arange(n)
        self.rng = np.random.default_rng(0)
        self.ends = 0

    def __len__(self):
        return math.ceil(self.n / self.batch_size)

    def __getitem__(self, idx):
        ids = self.order[idx * self.batch_size:(idx + 1) * self.batch_size]
        return ids[:, None].astype("float32"), np.zeros(len(ids), "float32")

    def on_epoch_end(self):
        self.ends += 1
        self.rng.shuffle(self.order)


@pytest.mark.parametrize("kwargs", [{}, {"workers": 2}], ids=["main-thread", "2-threads"])
def test_pydataset_yields_each_sample_once_per_epoch_and_reshuffles(kwargs):
    spy = BatchSpy()
    m = spy.model()
    ds = Reshuffled(10, 4, **kwargs)
    m.fit(ds, epochs=3, callbacks=[spy], verbose=0)
    assert all(sorted(s) == list(range(10)) for s in spy.samples())
    assert len({tuple(s) for s in spy.samples()}) == 3
    assert ds.ends == 3 + 1  # on_epoch_end also runs once when fit() starts


def test_pydataset_batch_size_belongs_to_the_dataset_and_fit_shuffles_batch_order():
    spy = BatchSpy()
    m = spy.model()

    class InOrder(Reshuffled):
        def on_epoch_end(self):
            pass

    seed_everything(0)
    out = attempt(lambda: m.fit(InOrder(12, 3), batch_size=64, epochs=2, callbacks=[spy], verbose=0), show=False)
    assert [len(e) for e in spy.train] == [4, 4] and not out.warned("batch_size")
    assert all(sorted(e) == [(0, 1, 2), (3, 4, 5), (6, 7, 8), (9, 10, 11)] for e in spy.train)
    assert any(spy.batches(3)[e] != [0, 1, 2, 3] for e in range(2))
    m.fit(InOrder(12, 3), epochs=1, callbacks=[spy], verbose=0, shuffle=False)
    assert spy.batches(3) == [[0, 1, 2, 3]]


def test_pydataset_parallel_arguments_belong_to_the_constructor():
    assert keras.utils.Sequence is keras.utils.PyDataset
    spy = BatchSpy()
    m = spy.model()
    ds = Reshuffled(8, 4, workers=2, use_multiprocessing=False, max_queue_size=3)
    assert (ds.workers, ds.use_multiprocessing, ds.max_queue_size) == (2, False, 3)
    for kw in ({"workers": 2}, {"use_multiprocessing": True}, {"max_queue_size": 4}):
        assert attempt(lambda: m.fit(ds, verbose=0, **kw), show=False).raised == "TypeError"

    class NoSuper(keras.utils.PyDataset):
        def __init__(self):
            pass

        def __len__(self):
            return 1

        def __getitem__(self, idx):
            return np.zeros((2, 1), "float32"), np.zeros(2, "float32")

    out = attempt(lambda: m.fit(NoSuper(), callbacks=[spy], verbose=0), show=False)
    assert out.raised is None and out.warned("super().__init__(**kwargs)")


# --------------------------------------------------------------------------- facts the exercises teach


def test_class_weight_keys_are_looked_up_as_int_class_ids(small_data):
    """08.1/08.2: a string key silently weighs nothing; float keys break fit() on a Dataset."""
    x, y = small_data

    def fit(data, **kw):
        seed_everything(2)
        m = small_classifier()
        if data == "arrays":
            m.fit(x, y, batch_size=32, epochs=1, shuffle=False, verbose=0, **kw)
        else:
            m.fit(tf.data.Dataset.from_tensor_slices((x, y)).batch(32), epochs=1, verbose=0, **kw)
        return m

    assert same_weights(fit("arrays", class_weight={"2": 5.0}), fit("arrays"))  # silently unweighted
    assert not same_weights(fit("arrays", class_weight={2: 5.0}), fit("arrays"))
    assert same_weights(fit("arrays", class_weight={2.0: 5.0}), fit("arrays", class_weight={2: 5.0}))
    out = attempt(lambda: fit("dataset", class_weight={2.0: 5.0}), show=False)
    assert out.raised == "TypeError" and "cannot be interpreted as an integer" in out.message


def test_list_losses_take_a_dict_of_loss_weights_in_sorted_key_order(mio):
    """09.1: with loss=[...], loss_weights={name: w} is not matched by name (silently)."""
    x, y = [mio.images, mio.timeseries], [mio.scores, mio.classes]
    ce = keras.losses.CategoricalCrossentropy(from_logits=True)
    for loss_weights in ({"score_output": 0.5, "class_output": 2.0}, {"class_output": 2.0, "score_output": 0.5}):
        m = compiled_multi_io(loss=["mse", ce], loss_weights=loss_weights)
        r = m.evaluate(x, y, batch_size=64, verbose=0, return_dict=True)
        # sorted keys: class_output (2.0), score_output (0.5) -> positions [score, class]
        assert math.isclose(r["loss"], 2.0 * r["score_output_loss"] + 0.5 * r["class_output_loss"], rel_tol=1e-5)
    m = compiled_multi_io(loss={"class_output": ce, "score_output": "mse"}, loss_weights=[0.5, 2.0])
    r = m.evaluate(x, y, batch_size=64, verbose=0, return_dict=True)  # a list follows outputs=[score, class]
    assert math.isclose(r["loss"], 0.5 * r["score_output_loss"] + 2.0 * r["class_output_loss"], rel_tol=1e-5)


def test_an_output_without_a_loss_still_needs_a_key_in_dict_targets(mio):
    """09.4: loss None for a third output; the targets dict must still name it (None will do)."""
    base = models.get_multi_io_model()
    probabilities = keras.layers.Softmax(name="class_probabilities")(base.outputs[1])
    m = keras.Model(base.inputs, [*base.outputs, probabilities])
    m.compile(optimizer="rmsprop", loss={"score_output": "mse", "class_probabilities": None,
                                         "class_output": keras.losses.CategoricalCrossentropy(from_logits=True)})
    x = {"img_input": mio.images, "ts_input": mio.timeseries}
    y = {"score_output": mio.scores, "class_output": mio.classes}
    out = attempt(lambda: m.fit(x, y, epochs=1, verbose=0), show=False)
    assert out.raised == "KeyError" and "can't be found" in out.message
    r = m.evaluate(x, {**y, "class_probabilities": None}, batch_size=64, verbose=0, return_dict=True)
    assert "class_probabilities_loss" not in r
    assert math.isclose(r["loss"], r["score_output_loss"] + r["class_output_loss"], rel_tol=1e-5)


def test_multi_output_sample_weights_one_array_each_no_column(mio):
    """09.3: a single array weights every head; a column (n, 1) per head is refused."""
    x, y = [mio.images, mio.timeseries], [mio.scores, mio.classes]
    m = compiled_multi_io()
    w = np.where(mio.class_ids == 2, 5.0, 1.0).astype("float32")
    one = m.evaluate(x, y, sample_weight=w, batch_size=64, verbose=0, return_dict=True)
    both = m.evaluate(x, y, sample_weight=[w, w], batch_size=64, verbose=0, return_dict=True)
    assert math.isclose(one["score_output_loss"], both["score_output_loss"], rel_tol=1e-6)
    out = attempt(lambda: m.evaluate(x, y, sample_weight=[w[:, None], w[:, None]], verbose=0), show=False)
    assert out.raised == "ValueError"
    out = attempt(lambda: m.evaluate(x, y, sample_weight={"score_output": w, "class_output": w}, verbose=0),
                  show=False)
    assert out.raised == "ValueError"  # and KeyError with dict targets: keras-team/keras#20992


def test_unknown_length_without_repeat_leaves_every_other_epoch_empty():
    """06.3: after filter() Keras cannot know the length; a full pass per epoch needs .repeat()."""
    spy = BatchSpy()
    ds = numbered(12).filter(lambda x, y: True).batch(4)
    run = attempt(lambda: spy.model().fit(ds, epochs=4, steps_per_epoch=3, callbacks=[spy], verbose=0,
                                          shuffle=False), show=False)
    assert [len(s) for s in spy.samples()] == [12, 0, 12, 0] and run.warned("ran out of data")
    run = attempt(lambda: spy.model().fit(ds.repeat(), epochs=4, steps_per_epoch=3, callbacks=[spy],
                                          verbose=0, shuffle=False), show=False)
    assert [len(s) for s in spy.samples()] == [12] * 4 and not run.warned("ran out of data")


def test_a_pydataset_may_return_weights_but_not_as_a_column():
    """07.3: (x, y, w) batches are weighted like sample_weight; w of shape (n, 1) is refused."""
    class Weighted(keras.utils.PyDataset):
        def __init__(self, x, y, w, **kwargs):
            super().__init__(**kwargs)
            self.x, self.y, self.w = x, y, w

        def __len__(self):
            return 2

        def __getitem__(self, idx):
            s = slice(8 * idx, 8 * idx + 8)
            return self.x[s], self.y[s], self.w[s]

    rng = np.random.default_rng(1)
    x = rng.random((16, 8), dtype=np.float32)
    y = rng.integers(0, 3, 16).astype("float32")
    w = np.linspace(0.5, 2.0, 16).astype("float32")
    m = small_classifier()
    assert math.isclose(m.evaluate(Weighted(x, y, w), verbose=0)[0],
                        m.evaluate(x, y, sample_weight=w, batch_size=8, verbose=0)[0], rel_tol=1e-6)
    assert attempt(lambda: m.evaluate(Weighted(x, y, w[:, None]), verbose=0), show=False).raised == "ValueError"
