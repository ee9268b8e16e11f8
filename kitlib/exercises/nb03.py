"""Exercises for notebook 03 · Custom losses and metrics (``from kitlib.exercises import ___, nb03 as ex``).

1. A loss function (easy): mean absolute error on one-hot targets, one value per sample.
2. A loss with a parameter (medium): a ``Loss`` subclass whose ``power`` survives saving.
3. Recall of one class (medium): a ``Metric`` subclass with ``sample_weight`` and any label shape.
4. Top-2 hits, ported right (thought-provoking): the two Keras 3 traps of ported metrics
   (B×B broadcasting, ``result()`` returning the variable), checked in a real ``fit()``.
"""

from __future__ import annotations

import math

import numpy as np

from kitlib.exercises import (Incorrect, NotAttempted, call, contains_placeholder, dense_forward, describe, exercise,
                              expect, graph_mode_error, guarded, in_graph, tiny_data, tiny_model, variant)


def _context():
    import keras
    return {"keras": keras, "np": np, "ops": keras.ops}  # imported by the notebook above the exercises


def _close(a, b, rtol=1e-5, atol=1e-6) -> bool:
    return math.isclose(float(a), float(b), rel_tol=rtol, abs_tol=atol)


def _numpy(value, what: str):
    """A tensor/array a learner's code returned, as float64 NumPy, or Incorrect."""
    from keras import ops
    expect(value is not None, f"{what} returned None: did you forget `return`?")
    if contains_placeholder(value):
        raise NotAttempted(f"{what} still returns ___: replace it with your answer, run its cell, then check again.")
    try:
        return np.asarray(ops.convert_to_numpy(value), dtype="float64")
    except Exception:
        raise Incorrect(f"{what} should return a tensor of numbers, but it returned {describe(value)}.") from None


def _result(metric, name: str, what: str) -> float:
    value = _guard(lambda: metric.result(), name)
    arr = _numpy(value, what)
    expect(arr.shape == (), f"{what} returned {describe(value)}: a metric's result is one number.")
    return float(arr)


def _guard(action, name: str):
    """Run Keras code that uses the learner's class; errors become NotAttempted or Incorrect."""
    return guarded(action, name, known=(graph_mode_error(f"`{name}`", "inside fit() and evaluate()", "Write it with "
                                                         "`keras.ops` (`ops.abs`, `ops.mean`, ...), not `np.*`."),))


def _subclass(value, base, name: str, base_name: str):
    expect(isinstance(value, type) and issubclass(value, base), f"`{name}` should be a class that subclasses "
           f"`{base_name}` (`class {name}({base_name}): ...`), but it is {describe(value)}.")
    return value


_TENSORS = ("the loss and metric receive tensors (the check passes its arrays as tensors, as fit() does), "
            "which cannot be changed in place")


def _batch(n: int = 6, classes: int = 4, seed: int = 0):
    """One-hot targets (n, classes) and probabilities (n, classes), float32."""
    rng = np.random.default_rng(seed)
    labels, logits = rng.integers(0, classes, n), rng.normal(size=(n, classes))
    probabilities = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    return np.eye(classes, dtype="float32")[labels], probabilities.astype("float32")


def _probabilities(labels, n_classes: int, seed: int, right: float = 0.6):
    """Probabilities whose argmax equals the label for about `right` of the rows (float32)."""
    rng = np.random.default_rng(seed)
    n = len(labels)
    logits = rng.normal(size=(n, n_classes))
    favour = np.where(rng.random(n) < right, labels, rng.integers(0, n_classes, n)).astype(int)
    logits[np.arange(n), favour] += 3.0
    return (np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)).astype("float32")


def _fit_with(make_metric, classes: int, n_val: int, name: str):
    """fit() for one epoch at learning rate 0 (the weights stay put) with the learner's metric and validation data:
    the name it logs under, its training and validation values, (labels, probabilities) of both sets."""
    import keras
    model = tiny_model(num_classes=classes)
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.0), loss="sparse_categorical_crossentropy",
                  metrics=[_guard(make_metric, name)])
    x, y = tiny_data(n=48, num_classes=classes)
    x_val, y_val = tiny_data(n=n_val, num_classes=classes, seed=1)
    history = _guard(lambda: model.fit(x, y, batch_size=16, epochs=1, validation_data=(x_val, y_val),
                                       verbose=0).history, name)
    logged = next((key for key in history if key not in ("loss", "val_loss") and not key.startswith("val_")), None)
    expect(logged is not None and f"val_{logged}" in history, f"fit() logged {sorted(history)}: the metric is missing.")
    return (logged, history[logged][-1], history[f"val_{logged}"][-1], (y, dense_forward(model, x)),
            (y_val, dense_forward(model, x_val)))


# --------------------------------------------------------------------------- 1. a loss function
_SOLUTION_31 = '''
def one_hot_mae(y_true, y_pred):
    """Mean absolute difference between one-hot targets and predicted probabilities,
    one value per sample."""
    return ops.mean(ops.abs(y_true - y_pred), axis=-1)
'''


@exercise(
    "03.1", "A loss function", answers=("one_hot_mae",),
    starter=variant(_SOLUTION_31, ("ops.mean(ops.abs(y_true - y_pred), axis=-1)", "___")),
    solution=_SOLUTION_31, context=_context,
    hints=(("Section 1's `one_hot_mse` is almost it: what changes when the difference is taken in absolute "
            "value instead of squared?"),
           ("`ops.abs` is the absolute value. Average over the classes only, the last axis, so each sample "
            "keeps its own value."),
           "`ops.mean(ops.abs(y_true - y_pred), axis=-1)`."),
    varies=("batches of 6 samples × 4 classes and 5 samples × 3 classes, called directly and inside a tf.function "
            "(as fit() does); then `compile(loss=...)` in a small model's evaluate()"),
    exempt={"mutates": _TENSORS},
)
def q1(one_hot_mae):
    """Calls `one_hot_mae` on one-hot batches of 4 and 3 classes, directly and in a graph: one value per sample, equal
    to NumPy's mean absolute difference; then a model compiled with it must report their mean in evaluate()."""
    import keras
    for n, classes, seed in ((6, 4, 0), (5, 3, 1)):
        y_true, y_pred = _batch(n, classes, seed)
        expected = np.mean(np.abs(y_true - y_pred), axis=-1)
        got = _numpy(call(one_hot_mae, keras.ops.convert_to_tensor(y_true), keras.ops.convert_to_tensor(y_pred),
                          name="one_hot_mae"), "`one_hot_mae`")
        if got.shape == ():
            raise Incorrect(f"On a batch of {n} samples `one_hot_mae` returns one number ({float(got):.4f}) instead "
                            f"of one value per sample, shape ({n},). Average over the last axis only (`axis=-1`): "
                            f"Keras then averages over the batch itself, and can weigh each sample (sample_weight, "
                            f"class_weight).")
        on = f"On a batch of {n} samples × {classes} classes"
        expect(got.shape == (n,), f"{on} `one_hot_mae` returns shape {got.shape}; it should return one value per "
                                  f"sample, shape ({n},): average over the last axis.")
        if not np.allclose(got, expected, rtol=1e-3, atol=1e-5):
            expect(not np.allclose(got, classes * expected, rtol=1e-3), f"Your values are {classes}× too large on a "
                   f"{classes}-class batch: that is the sum over the classes. Take the mean over the last axis.")
            expect(not np.allclose(got, np.mean((y_true - y_pred) ** 2, axis=-1), rtol=1e-3), "Those are squared "
                   "differences (the notebook's one_hot_mse). The absolute error uses `ops.abs`.")
            raise Incorrect(f"{on} the first sample's value is {got[0]:.4f}, but its mean absolute difference is "
                            f"{expected[0]:.4f}. Average over the classes with `ops.mean(..., axis=-1)`, whatever "
                            f"their number.")
        in_graph(one_hot_mae, y_true, y_pred, name="one_hot_mae", doing="`one_hot_mae`")
    model = tiny_model(num_classes=4)
    model.compile(optimizer="sgd", loss=one_hot_mae)
    x, labels = tiny_data(num_classes=4)
    targets = np.eye(4, dtype="float32")[labels.astype(int)]
    reported = _guard(lambda: model.evaluate(x, targets, batch_size=8, verbose=0, return_dict=True)["loss"],
                      "one_hot_mae")
    mae = np.mean(np.abs(targets - dense_forward(model, x)))
    expect(_close(reported, mae, rtol=1e-4), f"In a compiled model evaluate() reports {reported:.4f}, but the mean "
                                             f"absolute error of its predictions is {mae:.4f}.")
    return (f"One value per sample, equal to NumPy's, and `compile(loss=one_hot_mae)` reports their mean "
            f"({reported:.4f} on a small test model).")


# --------------------------------------------------------------------------- 2. a loss with a parameter
_SOLUTION_32 = '''
class PowerLoss(keras.losses.Loss):
    """mean(|y_true - y_pred| ** power) over the last axis: one value per sample."""

    def __init__(self, power=2.0, name="power_loss", **kwargs):
        super().__init__(name=name, **kwargs)
        self.power = power

    def call(self, y_true, y_pred):
        return ops.mean(ops.power(ops.abs(y_true - y_pred), self.power), axis=-1)

    def get_config(self):
        return {**super().get_config(), "power": self.power}
'''
_CONFIG = '{**super().get_config(), "power": self.power}'


@exercise(
    "03.2", "A loss with a parameter", answers=("PowerLoss",),
    starter=variant(_SOLUTION_32, ("ops.mean(ops.power(ops.abs(y_true - y_pred), self.power), axis=-1)", "___"),
                    (_CONFIG, "___")),
    solution=_SOLUTION_32, context=_context,
    hints=(("`call()` is like `one_hot_mae`, with the absolute difference raised to `self.power`. "
            "`get_config()` is what `MSEWithCentering` in section 2 does."),
           ("`ops.power(ops.abs(y_true - y_pred), self.power)`, averaged over the last axis. The config must "
            "keep the base class's entries (name, reduction) and add `power`."),
           "`return {**super().get_config(), \"power\": self.power}`."),
    varies=("power 3.0 and 0.5 on differences above and below 1 (so no fixed power passes), called directly and "
            "inside a tf.function; get_config()/from_config() for both powers, and with name and reduction set"),
    exempt={"mutates": _TENSORS},
)
def q2(PowerLoss):
    """Builds `PowerLoss` with power 3.0 and 0.5: `call()` must give mean(|y_true − y_pred|^power) per sample, the
    loss work in a tf.function, and `power`, `name`, `reduction` survive get_config()/from_config() and serializing."""
    import keras
    cls = _subclass(PowerLoss, keras.losses.Loss, "PowerLoss", "keras.losses.Loss")
    y_true, y_pred = _batch()
    y_pred = y_pred * 1.5  # some differences above 1, so the powers differ clearly
    diff = np.abs(y_true - y_pred).astype("float64")
    n, tensors = len(y_true), (keras.ops.convert_to_tensor(y_true), keras.ops.convert_to_tensor(y_pred))
    for power in (3.0, 0.5):
        expected = np.mean(diff ** power, axis=-1)   # before the learner's code runs
        loss = _guard(lambda: cls(power=power), "PowerLoss")
        per_sample = _numpy(_guard(lambda: loss.call(*tensors), "PowerLoss"), f"`PowerLoss(power={power}).call(...)`")
        expect(per_sample.shape == (n,), f"On a batch of {n} samples `call()` returns shape {per_sample.shape}: it "
               f"should return one value per sample, shape ({n},) (average over the last axis only).")
        if not np.allclose(per_sample, expected, rtol=1e-3, atol=1e-5):
            for other in (2.0, 3.0, 1.0, 0.5):
                if other != power and np.allclose(per_sample, np.mean(diff ** other, axis=-1), rtol=1e-3, atol=1e-5):
                    raise Incorrect(f"With `PowerLoss(power={power:g})` your loss raises the differences to the "
                                    f"power {other:g}: use `self.power`, the value given to the constructor.")
            expect(not np.allclose(per_sample, np.mean((y_true - y_pred) ** 3, axis=-1), rtol=1e-3, atol=1e-5),
                   "With power 3 some of your values are negative: an odd power keeps the sign. Take the absolute "
                   "difference first (`ops.abs`).")
            raise Incorrect(f"With power {power:g} the first sample's loss is {per_sample[0]:.4f}; "
                            f"mean(|y_true − y_pred|^{power:g}) is {expected[0]:.4f}.")
        reduced = float(in_graph(loss, y_true, y_pred, name="PowerLoss",
                                 doing=f"Calling `PowerLoss(power={power:g})` on a batch"))
        expect(_close(reduced, np.mean(expected), rtol=1e-3), f"Called as a loss (inside a graph, as fit() does), "
               f"`PowerLoss(power={power:g})` gives {reduced:.4f}; the mean of its per-sample values is "
               f"{np.mean(expected):.4f}.")
        config = _guard(lambda: loss.get_config(), "PowerLoss")
        expect(isinstance(config, dict), f"`get_config()` should return a dict of constructor arguments, but it "
                                         f"returned {describe(config)}.")
        rebuilt = _guard(lambda: cls.from_config(config), "PowerLoss")
        back = getattr(rebuilt, "power", None)
        expect(back == power, f"Saved with power={power}, the loss comes back with power={back!r}: its `get_config()` "
               f"does not include `power`, so `load_model()` rebuilds it with the default, silently. Add "
               f"`\"power\": self.power` to the config.")
    named = _guard(lambda: cls(power=0.5, name="root_loss", reduction="sum"), "PowerLoss")
    again = _guard(lambda: cls.from_config(named.get_config()), "PowerLoss")
    expect((again.name, again.reduction) == ("root_loss", "sum"), f"Saved as PowerLoss(power=0.5, name=\"root_loss\", "
           f"reduction=\"sum\"), it comes back with name={again.name!r}, reduction={again.reduction!r}: start from "
           f"`super().get_config()`, which holds those, and add `power` to it.")
    restored = _guard(lambda: keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(loss),
                                                                    custom_objects={cls.__name__: cls}), "PowerLoss")
    value = float(_guard(lambda: restored(y_true, y_pred), "PowerLoss"))
    expect(_close(value, float(loss(y_true, y_pred)), rtol=1e-6),
           "After a serialize/deserialize round trip the loss computes another value.")
    return ("The loss computes mean(|y_true − y_pred|^power) per sample, and `power`, `name` and `reduction` "
            "survive the round trip that `model.save()` and `load_model()` make.")


# --------------------------------------------------------------------------- 3. recall of one class
def _recall(labels, probabilities, class_id, weights=None) -> float:
    labels = np.reshape(labels, -1).astype(int)
    predicted = np.argmax(probabilities, axis=-1)
    w = np.ones(len(labels)) if weights is None else np.reshape(weights, -1).astype("float64")
    actual = np.sum(w * (labels == class_id))
    return float(np.sum(w * ((labels == class_id) & (predicted == class_id))) / actual) if actual else 0.0


_SOLUTION_3 = '''
class ClassRecall(keras.metrics.Metric):
    """Recall of one class: of the samples labelled `class_id`, the (weighted) fraction
    that the model predicts as `class_id`."""

    def __init__(self, class_id, name="class_recall", **kwargs):
        super().__init__(name=name, **kwargs)
        self.class_id = class_id
        self.hits = self.add_weight(shape=(), initializer="zeros", name="hits")      # labelled and predicted class_id
        self.actual = self.add_weight(shape=(), initializer="zeros", name="actual")  # labelled class_id

    def update_state(self, y_true, y_pred, sample_weight=None):
        true_class = ops.reshape(ops.cast(y_true, "int32"), (-1,))   # (B,), whatever shape arrives
        guess = ops.cast(ops.argmax(y_pred, axis=-1), "int32")
        weights = (ops.ones_like(guess, dtype=self.dtype) if sample_weight is None
                   else ops.reshape(ops.cast(sample_weight, self.dtype), (-1,)))
        labelled = ops.cast(ops.equal(true_class, self.class_id), self.dtype) * weights
        found = labelled * ops.cast(ops.equal(guess, self.class_id), self.dtype)
        self.hits.assign_add(ops.sum(found))
        self.actual.assign_add(ops.sum(labelled))

    def result(self):
        return ops.divide_no_nan(self.hits, self.actual)
'''
_COUNTS_3 = _SOLUTION_3.split("sample_weight=None):\n        ")[1].split("\n\n")[0]   # update_state's body


@exercise(
    "03.3", "Recall of one class", answers=("ClassRecall",),
    starter=variant(_SOLUTION_3, (_COUNTS_3, "___   # add this batch's (weighted) counts to self.hits and self.actual"),
                    ("return ops.divide_no_nan(self.hits, self.actual)", "return ___")),
    solution=_SOLUTION_3, context=_context,
    hints=(("Section 3's `CategoricalTruePositives` shows each step: flatten the labels to (B,), take the "
            "argmax of the predictions, compare, weigh, `assign_add`. Here you keep two counts."),
           ("`is_class` is 1.0 where the label equals `self.class_id`; `hit` is 1.0 where, in addition, the "
            "prediction does. Multiply both by the flattened `sample_weight` when one is given, then add "
            "their sums to the two variables."),
           ("`result()` divides the counts: `ops.divide_no_nan(self.hits, self.actual)` (0 instead of NaN "
            "when no sample of the class was seen).")),
    varies=("class_id 2, then 1 (so a class written in fails); batches of 40 labels of shape (40,) and 24 of shape "
            "(24, 1), unweighted and weighted, update_state in a tf.function; then fit() with validation data"),
    exempt={"mutates": _TENSORS},
)
def q3(ClassRecall):
    """Runs `ClassRecall` for class 2 (then 1) on labels of shape (B,) and (B, 1), with and without sample_weight,
    after reset_state(), update_state in a graph, and in a real fit(), against NumPy recalls computed first."""
    import keras
    cls = _subclass(ClassRecall, keras.metrics.Metric, "ClassRecall", "keras.metrics.Metric")
    k, c = 2, 4
    rng = np.random.default_rng(11)
    y1, y2 = (rng.integers(0, c, n).astype("float32") for n in (40, 24))
    p1, p2 = _probabilities(y1, c, seed=1), _probabilities(y2, c, seed=2)
    first = int(np.flatnonzero(y2 == k)[0])  # make sure batch 2 holds a miss of class k
    p2[first, [k, (k + 1) % c]] = sorted(p2[first, [k, (k + 1) % c]])
    # weights that move the recall: class-k hits count half, class-k misses double, one sample not at all
    w2 = np.where(y2 == k, np.where(p2.argmax(axis=-1) == k, 0.5, 2.0), 1.0).astype("float32")
    w2[0] = 0.0
    labelled1, predicted1 = y1 == k, p1.argmax(axis=-1) == k
    hits1, n_k1, n_pred1 = np.sum(labelled1 & predicted1), np.sum(labelled1), np.sum(predicted1)
    metric = _guard(lambda: cls(class_id=k), "ClassRecall")
    want = _recall(y1, p1, k)   # expectations before the learner's code runs
    in_graph(metric.update_state, y1, p1, name="ClassRecall", doing="`update_state` on 40 labels of shape (40,)")
    got = _result(metric, "ClassRecall", "`result()` after one batch")
    if not _close(got, want):
        expect(not (want and _close(got, 1 / want)), f"After one batch your metric gives {got:.4f}, the inverse of "
               f"the recall ({want:.4f}): `result()` divides the wrong way round. Recall is hits / labelled: "
               f"`ops.divide_no_nan(self.hits, self.actual)`.")
        expect(not (got > 1 and (_close(got, n_pred1) or _close(got, n_k1 * n_pred1 / max(n_k1, 1)))), f"After one "
               f"batch of 40 labels of shape (40,) your metric gives {got:.4f}, but a recall lies between 0 and 1 "
               f"({want:.4f} here): your counts compare a (B, 1) column with a (B,) vector, which broadcasts to a B×B "
               f"table of every label against every prediction. Flatten both to (B,).")
        expect(not got > 1, f"After one batch your metric gives {got:.4f}, but a recall lies between 0 and 1 "
               f"({want:.4f} here): of the {n_k1} samples labelled {k}, the fraction predicted as {k}. Check what "
               f"each variable counts and what `result()` divides.")
        expect(not _close(got, hits1 / n_pred1 if n_pred1 else 0.0), f"After one batch your metric gives "
               f"{got:.4f}: that is the *precision* of class {k} (of the samples predicted as {k}, the fraction "
               f"labelled {k}). Recall divides by the samples *labelled* {k}: {want:.4f}.")
        raise Incorrect(f"After one batch of 40 labels of shape (40,), recall of class {k} is {want:.4f}, but your "
                        f"metric gives {got:.4f}.")
    want = _recall(np.concatenate([y1, y2]), np.concatenate([p1, p2]), k)
    found2, n_k2 = np.sum(y2 == k) * np.sum(p2.argmax(-1) == k), np.sum(y2 == k)   # B×B counts of batch 2
    broadcast = [(hits1 + found2) / (n_k1 + n_k2), (hits1 + found2) / (n_k1 + len(y2) * n_k2)]
    in_graph(metric.update_state, y2.reshape(-1, 1), p2, name="ClassRecall",
             doing="`update_state` on 24 labels of shape (24, 1)")
    got = _result(metric, "ClassRecall", "`result()` after two batches")
    if not _close(got, want):
        expect(not _close(got, _recall(y2, p2, k)), f"After two batches your metric gives {got:.4f}, the recall of "
               f"the second batch alone: the counts must accumulate over batches (`assign_add`, not `assign`). Both "
               f"batches together: {want:.4f}.")
        expect(not any(_close(got, b) for b in broadcast), f"Right for labels of shape (B,), but after a second "
               f"batch whose labels have shape (24, 1) your metric gives {got:.4f} instead of {want:.4f}: `y_true` "
               f"arrives with the shape of your label array, and a (B, 1) column compared with (B,) predictions "
               f"broadcasts to a B×B table. Flatten it to (B,) before comparing.")
        raise Incorrect(f"After a first batch of 40 labels of shape (40,) and a second of 24 labels of shape (24, 1), "
                        f"the recall of class {k} over both is {want:.4f}, but your metric gives {got:.4f}. Both "
                        f"counts must add up over batches, whatever shape the labels have.")
    _guard(lambda: metric.reset_state(), "ClassRecall")
    want = _recall(y2, p2, k, w2)
    in_graph(metric.update_state, y2, p2, w2, name="ClassRecall", doing="`update_state` on a weighted batch")
    got = _result(metric, "ClassRecall", "`result()` with sample_weight")
    if not _close(got, want):
        expect(not _close(got, _recall(y2, p2, k)), f"With sample_weight your metric gives {got:.4f}, the "
               f"unweighted recall: a sample of weight 2 should count twice, one of weight 0 not at all ({want:.4f}). "
               f"Multiply both counts by the flattened `sample_weight` when it is given.")
        raise Incorrect(f"After reset_state() and one weighted batch, the weighted recall is {want:.4f}, but your "
                        f"metric gives {got:.4f}.")
    other = 1   # another class: `self.class_id`, not a number written in
    want, metric = _recall(y1, p1, other), _guard(lambda: cls(class_id=other), "ClassRecall")
    _guard(lambda: metric.update_state(y1, p1), "ClassRecall")
    got = _result(metric, "ClassRecall", f"`result()` for class {other}")
    if not _close(got, want):
        expect(not _close(got, _recall(y1, p1, k)), f"`ClassRecall(class_id={other})` gives {got:.4f}, the recall "
               f"of class {k}, the class the check tried first; class {other}'s is {want:.4f}. Compare with "
               f"`self.class_id`, the value given to the constructor, not a fixed class.")
        raise Incorrect(f"Right for class {k}, but `ClassRecall(class_id={other})` gives {got:.4f} on a batch where "
                        f"the recall of class {other} is {want:.4f}.")
    name, shown, shown_val, train, val = _fit_with(lambda: cls(class_id=k), c, 32, "ClassRecall")
    train_want, val_want = _recall(*train, k), _recall(*val, k)
    expect(_close(shown, train_want) and _close(shown_val, val_want), f"In a fit() that does not change the weights "
           f"(learning rate 0), the log shows {name} = {shown:.4f} and val_{name} = {shown_val:.4f}, but the recall "
           f"of class {k} is {train_want:.4f} on the training data and {val_want:.4f} on the validation data.")
    builtin, one_hot = keras.metrics.Recall(class_id=k), keras.metrics.Recall(class_id=k)
    builtin.update_state(y1, p1)
    one_hot.update_state(np.eye(c, dtype="float32")[y1.astype(int)], p1)
    yours = _recall(y1, p1, k)
    note = ""
    if not _close(float(builtin.result()), yours) and _close(float(one_hot.result()), yours):
        note = (f" Why write it? The built-in `keras.metrics.Recall(class_id={k})` expects one-hot targets: "
                f"on the first test batch with integer labels it reports {float(builtin.result()):.4f} "
                f"without any error, while the recall is {yours:.4f}.")
    return (f"Recall of class {k} matches NumPy for labels of shape (B,) and (B, 1), with sample weights, "
            f"after reset_state(), and in fit()'s log.{note}")


# --------------------------------------------------------------------------- 4. top-2 hits, ported right
def _top2_count(labels, probabilities, weights=None) -> float:
    labels = np.reshape(labels, -1).astype(int)
    top2 = np.argsort(probabilities, axis=-1)[:, -2:]
    hit = np.any(top2 == labels[:, None], axis=-1).astype("float64")
    return float(np.sum(hit if weights is None else hit * np.reshape(weights, -1)))


_SOLUTION_4 = '''
class TopTwoHits(keras.metrics.Metric):
    """How many samples have their label among the two most probable classes (weighted)."""

    def __init__(self, name="top2_hits", **kwargs):
        super().__init__(name=name, **kwargs)
        self.hits = self.add_weight(shape=(), initializer="zeros", name="hits")

    def update_state(self, y_true, y_pred, sample_weight=None):
        true_class = ops.reshape(ops.cast(y_true, "int32"), (-1,))
        hit = ops.cast(ops.in_top_k(true_class, y_pred, k=2), "float32")
        if sample_weight is not None:
            hit = hit * ops.reshape(ops.cast(sample_weight, hit.dtype), (-1,))
        self.hits.assign_add(ops.sum(hit))

    def result(self):
        return ops.copy(self.hits)
'''
_TOP2_LINES = ('true_class = ops.reshape(ops.cast(y_true, "int32"), (-1,))\n'
               '        hit = ops.cast(ops.in_top_k(true_class, y_pred, k=2), "float32")')


@exercise(
    "03.4", "Top-2 hits, ported right", answers=("TopTwoHits",),
    starter=variant(_SOLUTION_4, (_TOP2_LINES, ("hit = ___   # shape (B,): 1.0 where the label is one of the two most "
                                               "probable classes")), ("return ops.copy(self.hits)", "return ___")),
    solution=_SOLUTION_4, context=_context,
    hints=(("Two things from sections 3 and 4: what shape does `y_true` have when it reaches `update_state()` "
            "in Keras 3, and what may `result()` not return?"),
           ("Flatten the labels to (B,) first. `ops.in_top_k(labels, y_pred, k=2)` says, for each row, whether "
            "the label is among the k most probable classes (or compare the labels as a (B, 1) column with "
            "the (B, 2) indices from `ops.top_k`)."),
           ("`result()` must return a value, not the variable: `ops.copy(self.hits)`. Otherwise fit() reads "
            "it after validation has reset and reused the metric.")),
    varies=("batches of 32 labels of shape (32,) and 16 of shape (16, 1) with sample weights 0, 1 and 3, "
            "update_state in a tf.function; then fit() in batches of 16 on 48 training and 24 validation samples"),
    exempt={"mutates": _TENSORS},
)
def q4(TopTwoHits):
    """Runs `TopTwoHits` on labels of shape (B,) and (B, 1), weighted, update_state in a graph, then in a real fit()
    with validation, against NumPy counts computed first (B×B broadcast and result() returning the variable named)."""
    import keras
    cls = _subclass(TopTwoHits, keras.metrics.Metric, "TopTwoHits", "keras.metrics.Metric")
    c = 5
    rng = np.random.default_rng(21)
    y1, y2 = (rng.integers(0, c, n).astype("float32") for n in (32, 16))
    p1, p2 = _probabilities(y1, c, seed=3, right=0.3), _probabilities(y2, c, seed=4, right=0.3)
    w2 = rng.choice([0.0, 1.0, 3.0], size=16).astype("float32")
    want = _top2_count(y1, p1)   # expectations before the learner's code runs
    metric = _guard(lambda: cls(), "TopTwoHits")
    in_graph(metric.update_state, y1, p1, name="TopTwoHits", doing="`update_state` on 32 labels of shape (32,)")
    got = _result(metric, "TopTwoHits", "`result()`")
    if not _close(got, want):
        expect(not got > len(y1), f"On 32 samples your metric counts {got:,.0f} hits, more than there are samples "
               f"(the right count is {want:.0f}). Labels arrive with shape (32,); compared with a (32, 1) column they "
               f"broadcast to a B×B table of every label against every prediction. Flatten the labels (or make both "
               f"sides (B, 1) explicitly).")
        expect(not _close(got, np.sum(np.argmax(p1, axis=-1) == y1)), f"Your metric counts {got:.0f}: the samples "
               f"whose label is the *most* probable class. Count the label among the top 2 classes ({want:.0f}).")
        low2 = float(np.sum(np.any(np.argsort(p1, axis=-1)[:, :2] == y1[:, None], axis=-1)))
        expect(not _close(got, low2), f"Your metric counts {got:.0f}: the labels among the two *least* probable "
               f"classes. `argsort` sorts in ascending order, so the most probable classes are the last two columns "
               f"(or use `ops.top_k`). The right count is {want:.0f}.")
        raise Incorrect(f"On 32 samples with labels of shape (32,), {want:.0f} labels are among the two most "
                        f"probable classes, but your metric counts {got:.0f}.")
    want += _top2_count(y2, p2, w2)
    doing = "`update_state` on a second, weighted batch of 16 labels of shape (16, 1)"
    probe = _guard(lambda: cls(), "TopTwoHits")   # eagerly first: a shape error reads as one
    guarded(lambda: probe.update_state(y2.reshape(-1, 1), p2, sample_weight=w2), "TopTwoHits", doing=doing)
    in_graph(metric.update_state, y2.reshape(-1, 1), p2, w2, name="TopTwoHits", doing=doing)
    got = _result(metric, "TopTwoHits", "`result()`")
    expect(_close(got, want), f"After a second, weighted batch with labels of shape (16, 1), the count should be "
           f"{want:.0f}; your metric gives {got:.0f}. Flatten the labels whatever shape they arrive in.")
    name, shown, shown_val, train, val = _fit_with(cls, c, 24, "TopTwoHits")
    train_want, val_want = _top2_count(*train), _top2_count(*val)
    if not _close(shown, train_want):
        if _close(shown, val_want) and _close(shown_val, val_want):
            raise Incorrect(f"Standalone the count is right, but in fit() (learning rate 0, so the weights stay put) "
                            f"the training log shows {shown:.0f}, which is the validation count; the 48 training "
                            f"samples have {train_want:.0f} hits. `result()` returns the variable itself, and fit() "
                            f"reads it after validation has reset and reused the metric. Return a value: "
                            f"`ops.copy(self.hits)`.")
        raise Incorrect(f"In fit() the training log shows {name} = {shown:.0f}, but the 48 training samples have "
                        f"{train_want:.0f} hits.")
    expect(_close(shown_val, val_want),
           f"In fit() the log shows val_{name} = {shown_val:.0f}, but the validation samples have {val_want:.0f} hits.")
    return (f"Right standalone (labels of shape (B,) and (B, 1), weighted), and in fit(): {shown:.0f} training "
            f"hits, {shown_val:.0f} validation hits. Both Keras 3 traps of a ported metric avoided: the B×B "
            f"broadcast and `result()` handing out the variable.")
