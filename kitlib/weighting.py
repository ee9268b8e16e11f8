"""Class weighting, measured: train with a weight on one class, read every class's recall.

Notebook 08 sweeps a few weights with these functions; the weighting explorer panel
(``kitlib.widgets.WeightingExplorer``) calls a :class:`WeightTrainer` once per click.
Each call seeds first, so a weight gives the same numbers whatever was trained before
it, and results are remembered: the same call again (same weight, settings and array
contents) returns the stored result instead of training again.

    result = recall_for_weight(10.0, x_train, y_train, x_test, y_test, rare_class=5)
    result.rare_recall, result.recall, result.precision, result.accuracy
    trainer = WeightTrainer(x_train, y_train, x_test, y_test, rare_class=5)
    trainer(10.0)      # the same result, from the cache
"""

from __future__ import annotations

import hashlib
import math
from collections import OrderedDict
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from kitlib import _validate as V

from kitlib.data import _label_ints

__all__ = ["WeightResult", "WeightTrainer", "per_class_recall", "per_class_precision",
           "recall_for_weight", "sweep", "format_table", "plot_sweep", "clear_cache"]


def _predicted_ids(y_pred) -> np.ndarray:
    y_pred = np.asarray(y_pred)
    if y_pred.ndim == 2:
        return y_pred.argmax(axis=1)
    return _label_ints(y_pred, "y_pred")


def _check_pair(y_true, y_pred, num_classes):
    t = _label_ints(y_true, "y_true")
    p = _predicted_ids(y_pred)
    if t.shape != p.shape:
        raise ValueError(f"y_true has {t.shape[0]} samples but y_pred has {p.shape[0]}")
    if num_classes is None:
        num_classes = int(max(t.max(initial=-1), p.max(initial=-1))) + 1
    V.integer(num_classes, "num_classes", low=1)
    return t, p, int(num_classes)


def _per_class(y_true, y_pred, num_classes, among: str) -> np.ndarray:
    """Per class c, the share of hits among the samples truly in c ("recall") or predicted
    as c ("precision"); NaN where there is no such sample."""
    t, p, k = _check_pair(y_true, y_pred, num_classes)
    out = np.full(k, np.nan)
    for c in range(k):
        members = (t == c) if among == "recall" else (p == c)
        if members.any():
            out[c] = float(np.mean(t[members] == p[members]))
    return out


def per_class_recall(y_true, y_pred, num_classes: int | None = None) -> np.ndarray:
    """Recall of each class: of the samples truly in class c, the share predicted as c.

    ``y_pred`` may be class ids or scores/probabilities (argmax is taken). A class with
    no true sample gets NaN (recall is undefined there, not zero).
    """
    return _per_class(y_true, y_pred, num_classes, "recall")


def per_class_precision(y_true, y_pred, num_classes: int | None = None) -> np.ndarray:
    """Precision of each class: of the samples predicted as c, the share truly in c
    (NaN for a class never predicted)."""
    return _per_class(y_true, y_pred, num_classes, "precision")


@dataclass(frozen=True)
class WeightResult:
    """What one short fit with ``class_weight={rare_class: weight}`` gave on the test data."""

    weight: float
    rare_class: int
    recall: tuple[float, ...]
    precision: tuple[float, ...]
    accuracy: float

    @property
    def rare_recall(self) -> float:
        return self.recall[self.rare_class]

    @property
    def rare_precision(self) -> float:
        return self.precision[self.rare_class]

    @property
    def others_min_recall(self) -> float:
        """The lowest recall among the other classes (what the rare class's gain costs)."""
        rest = [r for c, r in enumerate(self.recall) if c != self.rare_class and not math.isnan(r)]
        return min(rest) if rest else float("nan")

    def as_dict(self) -> dict:
        """The numbers as a JSON-friendly dict; undefined values (NaN) become None."""
        def num(v):
            return None if isinstance(v, float) and math.isnan(v) else v
        return {"weight": self.weight, "rare_recall": num(self.rare_recall),
                "rare_precision": num(self.rare_precision), "accuracy": self.accuracy,
                "others_min_recall": num(self.others_min_recall),
                "recall": [num(r) for r in self.recall]}


def _default_model():
    from kitlib.models import get_compiled_model
    return get_compiled_model()


def _check_weight(weight) -> float:
    return V.number(weight, "weight", low=0, what="a finite number")


def _check_setup(x_train, y_train, x_test, y_test, rare_class, epochs):
    """Validate the data and settings of a weighted fit; return the label ids (train, test)."""
    V.integer(epochs, "epochs", low=1)
    train_ids = _label_ints(y_train, "y_train")
    test_ids = _label_ints(y_test, "y_test")
    V.integer(rare_class, "rare_class", what="an int class id such as 5")
    if rare_class not in set(np.unique(train_ids).tolist()):
        raise ValueError(f"rare_class={rare_class} does not occur in y_train "
                         f"(classes present: {np.unique(train_ids).tolist()})")
    if len(x_train) != len(train_ids) or len(x_test) != len(test_ids):
        raise ValueError("x and y must have the same number of samples (train and test)")
    return train_ids, test_ids


# Results of earlier fits, keyed by the weight, the settings and the arrays' contents. A
# result is a few dozen floats; the last _CACHE_SIZE are kept.
_CACHE: "OrderedDict[tuple, WeightResult]" = OrderedDict()
_CACHE_SIZE = 128


def _digest(array) -> tuple:
    """Shape, dtype and a hash of the contents (about 30 ms for 50 MB; no copy when contiguous)."""
    a = np.ascontiguousarray(array)
    h = hashlib.sha1(memoryview(a).cast("B"), usedforsecurity=False)
    return a.shape, a.dtype.str, h.hexdigest()


def clear_cache() -> None:
    """Forget every remembered result (the next calls train again)."""
    _CACHE.clear()


def recall_for_weight(weight: float, x_train, y_train, x_test, y_test, *, rare_class: int,
                      epochs: int = 1, batch_size: int = 64, seed: int = 42,
                      model_fn: Callable[[], "object"] | None = None, cache: bool = True) -> WeightResult:
    """Train a fresh model with ``class_weight={rare_class: weight}`` (every other class
    1.0) and measure per-class recall and precision on the test data.

    ``model_fn`` builds a compiled model (default: the guide's MNIST MLP,
    ``kitlib.models.get_compiled_model``). Seeds ``seed`` (with op determinism) first,
    so the same weight always gives the same result. With ``cache=True`` a call that
    repeats an earlier one (same weight and settings, the same ``model_fn`` object, arrays
    with the same contents) returns that result without training; ``cache=False``
    always trains (and stores the new result).
    """
    weight = _check_weight(weight)
    train_ids, test_ids = _check_setup(x_train, y_train, x_test, y_test, rare_class, epochs)
    key = (weight, int(rare_class), int(epochs), int(batch_size), int(seed), model_fn,
           *(_digest(a) for a in (x_train, y_train, x_test, y_test)))
    try:
        hash(key)
    except TypeError:  # a model_fn object that cannot be hashed: never cached
        key = None
    if cache and key in _CACHE:
        _CACHE.move_to_end(key)
        return _CACHE[key]
    from kitlib.runtime import seed_everything

    seed_everything(seed)
    model = (model_fn or _default_model)()
    model.fit(x_train, y_train, batch_size=batch_size, epochs=int(epochs), verbose=0,
              class_weight={int(rare_class): weight})
    probs = model.predict(x_test, batch_size=1024, verbose=0)
    k = max(probs.shape[1], int(max(train_ids.max(), test_ids.max())) + 1)
    pred = probs.argmax(axis=1)
    result = WeightResult(
        weight=weight, rare_class=int(rare_class),
        recall=tuple(per_class_recall(test_ids, pred, k).tolist()),
        precision=tuple(per_class_precision(test_ids, pred, k).tolist()),
        accuracy=float(np.mean(pred == test_ids)),
    )
    if key is not None:
        _CACHE[key] = result
    while len(_CACHE) > _CACHE_SIZE:
        _CACHE.popitem(last=False)
    return result


class WeightTrainer:
    """``trainer(weight) -> WeightResult`` on fixed data: :func:`recall_for_weight` with
    everything but the weight bound. What the weighting explorer calls on each Fit::

        trainer = WeightTrainer(x_imb, y_imb, x_test, y_test, rare_class=5, epochs=1, seed=42)
        WeightingExplorer(trainer)      # the slider moves the weight of class 5

    The data and settings are checked here, before any click. Attributes:
    ``rare_class``, ``num_classes`` (classes in the labels), ``n_train``, ``n_rare``
    (training samples of the rare class).
    """

    def __init__(self, x_train, y_train, x_test, y_test, *, rare_class: int, epochs: int = 1,
                 batch_size: int = 64, seed: int = 42, model_fn: Callable[[], "object"] | None = None):
        train_ids, test_ids = _check_setup(x_train, y_train, x_test, y_test, rare_class, epochs)
        if model_fn is not None and not callable(model_fn):
            raise TypeError(f"model_fn must be a function returning a compiled model, got {model_fn!r}")
        self._data = (x_train, y_train, x_test, y_test)
        self._settings = dict(rare_class=int(rare_class), epochs=int(epochs), batch_size=int(batch_size),
                              seed=int(seed), model_fn=model_fn)
        self.rare_class = int(rare_class)
        self.num_classes = int(max(train_ids.max(), test_ids.max())) + 1
        self.n_train = int(len(train_ids))
        self.n_rare = int(np.sum(train_ids == rare_class))

    def __call__(self, weight: float) -> WeightResult:
        return recall_for_weight(weight, *self._data, **self._settings)

    def __repr__(self) -> str:
        return (f"WeightTrainer(rare_class={self.rare_class}, {self.n_train} training samples of which "
                f"{self.n_rare} rare, epochs={self._settings['epochs']}, seed={self._settings['seed']})")


def sweep(weights: Sequence[float], x_train, y_train, x_test, y_test, *, rare_class: int,
          **kwargs) -> list[WeightResult]:
    """``recall_for_weight`` for each weight (each from a fresh, equally seeded model)."""
    weights = list(weights)
    if not weights:
        raise ValueError("weights is empty: give a few class weights, e.g. [1, 5, 20]")
    return [recall_for_weight(w, x_train, y_train, x_test, y_test, rare_class=rare_class, **kwargs)
            for w in weights]


def format_table(results: Sequence[WeightResult]) -> str:
    """A small text table: weight, the rare class's recall and precision, accuracy."""
    if not results:
        raise ValueError("no results to show")
    c = results[0].rare_class
    lines = [(f"{'weight':>7}  {f'recall[{c}]':>10}  {f'precision[{c}]':>13}  "
             f"{'min recall others':>17}  {'accuracy':>8}")]
    for r in results:
        lines.append(f"{r.weight:>7g}  {r.rare_recall:>10.3f}  {r.rare_precision:>13.3f}  "
                     f"{r.others_min_recall:>17.3f}  {r.accuracy:>8.4f}")
    return "\n".join(lines)


def plot_sweep(results: Sequence[WeightResult], ax=None):
    """Recall and precision of the rare class, and accuracy, against its weight (log x).

    Returns the figure, already closed (``display(fig)`` shows it), so no figure
    stays open in the kernel.
    """
    import matplotlib.pyplot as plt

    if not results:
        raise ValueError("no results to plot")
    c = results[0].rare_class
    w = [r.weight for r in results]
    if ax is None:
        fig, ax = plt.subplots(figsize=(6, 3.2))
    else:
        fig = ax.figure
    ax.plot(w, [r.rare_recall for r in results], "o-", label=f"recall of class {c}")
    ax.plot(w, [r.rare_precision for r in results], "s--", label=f"precision of class {c}")
    ax.plot(w, [r.accuracy for r in results], "^:", label="accuracy (all classes)")
    if min(w) > 0:
        ax.set_xscale("log")
        ax.minorticks_off()
    ax.set_xticks(w)
    ax.set_xticklabels([f"{x:g}" for x in w])
    ax.set(xlabel=f"class_weight of class {c}", ylim=(0, 1.02), title="What a class weight buys")
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    plt.close(fig)
    return fig
