"""kitlib.weighting: per-class recall/precision and the 'train with weight w' step."""

from __future__ import annotations

import math

import keras
import numpy as np
import pytest

from kitlib import weighting


def test_per_class_recall_and_precision_by_hand():
    y_true = [0, 0, 1, 1, 1, 2]
    y_pred = [0, 1, 1, 1, 0, 1]
    assert weighting.per_class_recall(y_true, y_pred).tolist() == [0.5, 2 / 3, 0.0]
    prec = weighting.per_class_precision(y_true, y_pred)
    assert prec[0] == 0.5 and prec[1] == 0.5 and math.isnan(prec[2])  # 2 never predicted
    probs = np.eye(3)[y_pred] * 0.8 + 0.05  # scores: argmax is taken
    assert weighting.per_class_recall(np.array(y_true, "float32"), probs).tolist() == [0.5, 2 / 3, 0.0]
    r = weighting.per_class_recall([0, 0], [0, 1], num_classes=3)
    assert r[0] == 0.5 and math.isnan(r[1]) and math.isnan(r[2])  # no true sample: undefined


def test_recall_input_errors():
    with pytest.raises(ValueError, match="3 samples but y_pred has 2"):
        weighting.per_class_recall([0, 1, 2], [0, 1])
    with pytest.raises(ValueError, match="num_classes"):
        weighting.per_class_recall([0, 1], [0, 1], num_classes=0)
    with pytest.raises(ValueError, match="non-integer"):
        weighting.per_class_precision([0.5, 1], [0, 1])


def _blobs(n_common=150, n_rare=8, seed=0):
    """Three overlapping 2-D clusters; class 2 is rare."""
    rng = np.random.default_rng(seed)
    centers = np.array([[-1.0, 0.0], [1.0, 0.0], [0.0, 1.2]])
    sizes = [n_common, n_common, n_rare]
    x = np.concatenate([rng.normal(c, 0.7, (s, 2)) for c, s in zip(centers, sizes)]).astype("float32")
    y = np.repeat(np.arange(3), sizes).astype("float32")
    return x, y


def _small_model():
    m = keras.Sequential([keras.Input((2,)), keras.layers.Dense(16, activation="relu"),
                          keras.layers.Dense(3, activation="softmax")])
    m.compile(optimizer=keras.optimizers.Adam(1e-2), loss="sparse_categorical_crossentropy")
    return m


@pytest.fixture(scope="module")
def blobs():
    x, y = _blobs()
    xt, yt = _blobs(n_common=100, n_rare=100, seed=1)
    return x, y, xt, yt


def test_a_larger_weight_raises_the_rare_recall_and_is_repeatable(blobs):
    kw = dict(rare_class=2, epochs=15, batch_size=32, seed=3, model_fn=_small_model)
    low = weighting.recall_for_weight(1, *blobs, **kw)
    high = weighting.recall_for_weight(40, *blobs, **kw)
    again = weighting.recall_for_weight(40, *blobs, cache=False, **kw)  # trains again
    assert high.rare_recall > low.rare_recall + 0.2
    assert high == again and high is not again  # seeded: same weight, same numbers
    assert len(high.recall) == 3 and high.rare_class == 2 and high.weight == 40.0
    assert 0 <= high.accuracy <= 1 and high.others_min_recall == min(high.recall[0], high.recall[1])
    d = high.as_dict()
    assert d["rare_recall"] == high.rare_recall and d["recall"] == list(high.recall)
    undefined = weighting.WeightResult(1.0, 2, (0.5, 1.0, 0.0), (1.0, 0.8, float("nan")), 0.7)
    assert undefined.as_dict()["rare_precision"] is None  # NaN cannot be stored as JSON


def test_sweep_table_and_plot(blobs):
    results = weighting.sweep([1, 10], *blobs, rare_class=2, epochs=2, model_fn=_small_model)
    assert [r.weight for r in results] == [1.0, 10.0]
    table = weighting.format_table(results)
    assert table.splitlines()[0].split()[:2] == ["weight", "recall[2]"] and len(table.splitlines()) == 3
    import matplotlib.pyplot as plt
    before = plt.get_fignums()
    fig = weighting.plot_sweep(results)
    assert plt.get_fignums() == before  # the figure is closed, not left open
    assert len(fig.axes[0].lines) == 3 and fig.axes[0].get_xscale() == "log"


@pytest.mark.parametrize("kwargs, err, match", [
    ({"weight": -1}, ValueError, "weight must be a finite number >= 0"),
    ({"weight": float("inf")}, ValueError, "finite"),
    ({"weight": True}, TypeError, "weight"),
    ({"epochs": 0}, ValueError, "epochs must be a positive int"),
    ({"rare_class": 7}, ValueError, r"rare_class=7 does not occur"),
    ({"rare_class": "2"}, TypeError, "int class id"),
])
def test_bad_arguments_fail_before_training(blobs, kwargs, err, match):
    args = dict(weight=2.0, rare_class=2, model_fn=_small_model)
    args.update(kwargs)
    weight = args.pop("weight")
    with pytest.raises(err, match=match):
        weighting.recall_for_weight(weight, *blobs, **args)


def test_mismatched_lengths_and_empty_inputs(blobs):
    x, y, xt, yt = blobs
    with pytest.raises(ValueError, match="same number of samples"):
        weighting.recall_for_weight(1, x[:-1], y, xt, yt, rare_class=2, model_fn=_small_model)
    with pytest.raises(ValueError, match="weights is empty"):
        weighting.sweep([], x, y, xt, yt, rare_class=2)
    with pytest.raises(ValueError, match="no results"):
        weighting.format_table([])
    with pytest.raises(ValueError, match="no results"):
        weighting.plot_sweep([])


def test_a_repeated_call_is_answered_from_the_cache(blobs):
    built = []

    def counting_model():
        built.append(1)
        return _small_model()

    kw = dict(rare_class=2, epochs=2, seed=5, model_fn=counting_model)
    first = weighting.recall_for_weight(3, *blobs, **kw)
    assert weighting.recall_for_weight(3.0, *blobs, **kw) is first and len(built) == 1
    x, y, xt, yt = blobs
    weighting.recall_for_weight(3, x.copy(), y.copy(), xt.copy(), yt.copy(), **kw)  # same contents
    assert len(built) == 1
    changed = x.copy()
    changed[0, 0] += 1.0  # other contents, other settings: trained anew
    weighting.recall_for_weight(3, changed, y, xt, yt, **kw)
    weighting.recall_for_weight(3, *blobs, **{**kw, "epochs": 3})
    weighting.recall_for_weight(3, *blobs, cache=False, **kw)
    assert len(built) == 4
    weighting.clear_cache()
    weighting.recall_for_weight(3, *blobs, **kw)
    assert len(built) == 5


def test_weight_trainer_binds_everything_but_the_weight(blobs):
    x, y, xt, yt = blobs
    trainer = weighting.WeightTrainer(x, y, xt, yt, rare_class=2, epochs=2, seed=3, model_fn=_small_model)
    assert (trainer.rare_class, trainer.num_classes, trainer.n_train, trainer.n_rare) == (2, 3, len(y), 8)
    assert "rare_class=2" in repr(trainer) and "8 rare" in repr(trainer)
    direct = weighting.recall_for_weight(4, x, y, xt, yt, rare_class=2, epochs=2, seed=3,
                                         model_fn=_small_model, cache=False)
    assert trainer(4) == direct
    with pytest.raises(ValueError, match="weight must be a finite number"):
        trainer(-2)
    with pytest.raises(ValueError, match=r"rare_class=7 does not occur"):
        weighting.WeightTrainer(x, y, xt, yt, rare_class=7)  # checked before any fit
    with pytest.raises(TypeError, match="model_fn must be a function"):
        weighting.WeightTrainer(x, y, xt, yt, rare_class=2, model_fn="mlp")


def test_an_unhashable_model_fn_is_trained_every_time(blobs):
    class Builder:  # defines __eq__ without __hash__: instances cannot be dict keys
        calls = 0

        def __eq__(self, other):
            return isinstance(other, Builder)

        def __call__(self):
            Builder.calls += 1
            return _small_model()

    builder = Builder()
    a = weighting.recall_for_weight(2, *blobs, rare_class=2, epochs=2, model_fn=builder)
    b = weighting.recall_for_weight(2, *blobs, rare_class=2, epochs=2, model_fn=builder)
    assert a.recall == b.recall and a.accuracy == b.accuracy and Builder.calls == 2
