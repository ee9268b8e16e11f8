"""Exercises for notebook 13 · Custom training (``from kitlib.exercises import ___, nb13 as ex``).

1. End of epoch (easy): read metrics, then ``reset_state()`` (Keras 2's ``reset_states()`` is gone).
2. A metric of your own in train_step (medium): a tracked ``Mean`` that fit() logs and resets.
3. Clip like the optimizer (thought-provoking): reproduce ``RMSprop(clipnorm=1.0)`` inside ``train_step``.

The models of 2 and 3 are compiled as the notebook's are (no ``run_eagerly``, no XLA), so the
learner's ``train_step`` runs inside fit()'s graph; they train in float32 whatever dtype
policy the notebook set.
"""

from __future__ import annotations

import functools
import math
import warnings

from kitlib.exercises import (Incorrect, Kept, NotAttempted, call, contains_placeholder, describe, exercise,
                              expect, graph_mode_error, guarded, shorten_text, tiny_data, tiny_model, variant)

_TENSORS_ONLY = ("train_step receives tensors from fit(), which cannot be changed in place; the model's "
                 "own weights and metrics changing is what training does")


def _context():
    import keras
    import numpy as np
    import tensorflow as tf
    return {"keras": keras, "np": np, "tf": tf}  # imported by the notebook above the exercises


# --------------------------------------------------------------------------- 1. end of epoch


def _filled_metrics():
    """A loss tracker and an accuracy with known state: (metrics, {name: expected result})."""
    import keras
    import numpy as np
    loss = keras.metrics.Mean(name="loss")
    loss.update_state([0.5, 0.25], sample_weight=[64, 16])  # two batches, weighted by their size
    accuracy = keras.metrics.SparseCategoricalAccuracy()
    y = np.array([0, 1, 2, 1], dtype="float32")
    p = np.eye(3, dtype="float32")[[0, 1, 1, 1]]  # 3 of 4 right
    accuracy.update_state(y, p)
    return [loss, accuracy], {"loss": (0.5 * 64 + 0.25 * 16) / 80, "sparse_categorical_accuracy": 0.75}


_SOLUTION_1 = '''
def finish_epoch(metrics):
    """Read each metric's result as a float, then reset the metric for the next epoch.
    Returns {metric name: result}."""
    results = {}
    for metric in metrics:
        results[metric.name] = float(metric.result())  # this epoch's result, as a float
        metric.reset_state()  # start the next epoch from zero
    return results
'''


def _other_metrics():
    """Three other metrics in another order, with known state: (metrics, {name: expected result})."""
    import keras
    import numpy as np
    confidence = keras.metrics.Mean(name="confidence")
    confidence.update_state([0.9, 0.6, 0.6])
    accuracy = keras.metrics.SparseCategoricalAccuracy(name="acc")
    accuracy.update_state(np.array([2, 0], dtype="float32"), np.eye(3, dtype="float32")[[2, 1]])
    loss = keras.metrics.Mean(name="loss")
    loss.update_state([1.5])
    return [confidence, accuracy, loss], {"confidence": 0.7, "acc": 0.5, "loss": 1.5}


@exercise(
    "13.1", "End of epoch",
    answers=("finish_epoch",),
    starter=variant(_SOLUTION_1, ("float(metric.result())  # this", "___  # this"),
                    ("metric.reset_state()  # start", "___                         # start")),
    solution=_SOLUTION_1,
    hints=(
        "Section 3's loop does this at the end of every epoch.",
        "`metric.result()` gives a tensor; `float(...)` turns it into a number.",
        "The Keras 3 method is `metric.reset_state()` (singular). Read the result *before* resetting.",
    ),
    context=_context,
    varies=("the metrics: a loss Mean and an accuracy; then three others (confidence, acc, loss) in another "
            "order, with other names and values"),
    exempt={"graph": ("the notebook calls finish_epoch from its Python loop at the end of an epoch, "
                      "outside any tf.function")},
)
def q1(finish_epoch):
    """Gives finish_epoch two lists of metrics with known state (a loss and an accuracy; then three
    others in another order) and checks the returned {name: float} against the states, that every
    metric was reset afterwards, and that the caller's list was left as it was."""
    got, expected = None, None
    for case, (metrics, expected) in enumerate((_filled_metrics(), _other_metrics())):
        kept = Kept(list(metrics), "metrics")
        try:
            result = call(finish_epoch, kept.value, name="finish_epoch")
        except Incorrect as exc:
            if "reset_states" in str(exc):
                raise Incorrect("`metric.reset_states()` is the Keras 2 name; Keras 3 metrics have "
                                "`reset_state()` (singular), and the old name raises AttributeError.") from None
            error = exc.learner_error
            if case and error is not None:
                raise Incorrect(f"With three other metrics ({', '.join(m.name for m in metrics)}) `finish_epoch` "
                                f"raised {type(error).__name__}: {shorten_text(str(error))}\n`finish_epoch` must "
                                f"work for any list of metrics: loop over it and use each metric's own "
                                f"`name`.") from None
            raise
        kept.expect_unchanged(by="`finish_epoch`", fix="loop over the list (`for metric in metrics:`) "
                                                       "without removing anything from it.")
        _check_finished(result, metrics, expected, case)
        got = got or result
    return (f"Read, then reset: {', '.join(f'{k} {v:.4f}' for k, v in sorted(got.items()))}, and both metrics "
            f"start the next epoch from zero.")


def _check_finished(got, metrics, expected, case: int) -> None:
    if got is None:
        raise Incorrect("`finish_epoch` returned None: did you forget `return results`?")
    expect(isinstance(got, dict), f"`finish_epoch(...)` should return a dict, but it returned {describe(got)}.")
    more = " `finish_epoch` must work for any list of metrics: use each metric's own `name`." if case else ""
    expect(sorted(map(str, got)) == sorted(expected),
           f"The dict's keys are {sorted(map(str, got))}; expected the metrics' names {sorted(expected)}.{more}")
    for name, value in got.items():
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            raise Incorrect(f"`{name}` is {describe(value)}: convert the result with `float(metric.result())` "
                            f"(a tensor would keep the metric's graph alive and prints badly).")
    if all(v == 0.0 for v in got.values()):
        raise Incorrect("Every result is 0.0: the metrics were reset before their results were read. Read "
                        "`result()` first, then `reset_state()`.")
    for name, value in expected.items():
        expect(math.isclose(got[name], value, rel_tol=1e-6),
               f"`{name}` is {got[name]:.4f}; the metric held {value:.4f}.{more}")
    left = {m.name: float(m.result()) for m in metrics}
    expect(all(v == 0.0 for v in left.values()),
           f"After `finish_epoch` the metrics still hold {left}: call `metric.reset_state()` on each, or the "
           f"next epoch's results mix in this epoch's.")


# --------------------------------------------------------------------------- shared by 2 and 3


def _model_of(cls, optimizer=None, *, eager: bool = False):
    """The tiny model's graph and weights (seeded) as an instance of *cls*, compiled as the notebook
    compiles (graph mode, no XLA; ``eager`` only for the built-in reference), in float32."""
    import keras
    base = tiny_model()
    model = guarded(lambda: cls(base.inputs, base.outputs), cls.__name__,
                    doing=f"Building a model of your class `{cls.__name__}`")
    model.compile(optimizer=optimizer or keras.optimizers.RMSprop(learning_rate=0.01),
                  loss=keras.losses.SparseCategoricalCrossentropy(),
                  metrics=[keras.metrics.SparseCategoricalAccuracy()], run_eagerly=eager, jit_compile=False)
    return model


def _check_model_class(cls, name):
    import keras
    expect(isinstance(cls, type) and issubclass(cls, keras.Model),
           f"`{name}` should be a class derived from `keras.Model`, but it is {describe(cls)}.")


def _fit(model, x, y, name, batch_size: int = 8, **kwargs):
    """fit() the learner's model in graph mode; an eager-only train_step gets the graph advice."""
    known = ((lambda text: "values to unpack" in text,
              ("Your `train_step` cannot unpack what fit() gives it: with sample weights `data` is `(x, y, "
               "sample_weight)`. Unpack it as the step you were given does: "
               "`x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)`.")),
             graph_mode_error("Your `train_step`", "inside `fit()` (the notebook compiles without "
                              "`run_eagerly=True`)", "Use `keras.ops` or `tf` operations (keras.ops.max, "
                              "tf.norm, tf.clip_by_norm, ...) on tensors instead."))
    history = guarded(lambda: model.fit(x, y, batch_size=batch_size, shuffle=False, verbose=0, **kwargs), name,
                      known=known, doing=f"Calling `{name}`")
    return history.history


def _r(values, digits: int = 4):
    """Numbers rounded for a message (a list of floats, or whatever it is)."""
    try:
        return [round(float(v), digits) for v in values]
    except (TypeError, ValueError):
        return values


def _max_diff(a, b) -> float:
    return max(float(abs(u - v).max()) for u, v in zip(a, b))


def _history_diff(a, b) -> float:
    return max(abs(u - v) for k in b for u, v in zip(a.get(k, [math.inf]), b[k]))


# --------------------------------------------------------------------------- 2. a metric of your own


_CONFIDENCE_STARTER = '''
class ConfidenceModel(keras.Model):
    """Also reports `confidence`: the mean, over the epoch's samples, of the highest
    predicted probability (how sure the model is of its answer, right or wrong)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.confidence = ___  # a metric that averages values over the epoch, named "confidence"

    def train_step(self, data):
        x, y = data
        with tf.GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self.compute_loss(x=x, y=y, y_pred=y_pred)
        gradients = tape.gradient(loss, self.trainable_weights)
        self.optimizer.apply(gradients, self.trainable_weights)
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(loss, sample_weight=tf.shape(x)[0])
            elif metric.name == "confidence":
                metric.update_state(___)  # the highest probability of each sample in the batch
            else:
                metric.update_state(y, y_pred)
        return {metric.name: metric.result() for metric in self.metrics}
'''

_MAX_ROWS = "keras.ops.max(y_pred, axis=-1)"
_CONFIDENCE_SOLUTION = variant(_CONFIDENCE_STARTER,
                               ("self.confidence = ___", 'self.confidence = keras.metrics.Mean(name="confidence")'),
                               ("metric.update_state(___)", f"metric.update_state({_MAX_ROWS})"))


def _confidence_data():
    return tiny_data(24)


def _confidence_probe(x, y, batch_size: int):
    """A callback that computes, before each update, what the epoch's loss and confidence must be:
    the batch's predictions with the weights the update starts from (fit() with shuffle=False)."""
    import keras
    import numpy as np

    class Probe(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.sums = np.zeros(2)
            self.count = 0

        def on_train_batch_begin(self, batch, logs=None):
            xb, yb = x[batch * batch_size:(batch + 1) * batch_size], y[batch * batch_size:(batch + 1) * batch_size]
            with warnings.catch_warnings():  # a bare array for the named input: fine, as in fit()
                warnings.simplefilter("ignore")
                p = keras.ops.convert_to_numpy(self.model(xb, training=True)).astype("float64")
            loss = -np.log(np.clip(p[np.arange(len(yb)), yb.astype(int)], 1e-7, 1.0)).mean()
            self.sums += len(yb) * np.array([loss, p.max(axis=-1).mean()])
            self.count += len(yb)

        def on_epoch_end(self, epoch, logs=None):
            self.expected.append(self.sums / self.count)

    probe = Probe()
    probe.expected = []
    return probe


@exercise(
    "13.2", "A metric of your own in train_step",
    answers=("ConfidenceModel",),
    starter=_CONFIDENCE_STARTER,
    solution=_CONFIDENCE_SOLUTION,
    hints=(
        "A `keras.metrics.Mean` averages whatever values you give it, weighted by how many there are.",
        ("Create it in `__init__` as an attribute of the model, with `name=\"confidence\"`: Keras then lists it "
        "in `self.metrics`, logs it under that name and resets it at the start of every epoch."),
        ("The highest probability of each row of `y_pred` (shape (batch, classes)) is "
        "`keras.ops.max(y_pred, axis=-1)`."),
    ),
    context=_context,
    varies=("the batches: 24 samples in batches of 8 for 2 epochs, then 20 samples in batches of 8 (8, 8, 4: "
            "a short last batch)\n"
            "the mode: fit() compiled as the notebook compiles (graph mode, no run_eagerly)"),
    exempt={"mutates": _TENSORS_ONLY},
)
def q2(ConfidenceModel):
    """Fits ConfidenceModel in graph mode (compiled as the notebook compiles) for 2 epochs in equal
    batches, then 1 epoch with a short last batch, and compares the logged `confidence` with the
    mean of each sample's highest probability, computed before each update by a callback; names
    a missing name, a batch-wide max, a metric never reset and per-batch averages."""
    _check_model_class(ConfidenceModel, "ConfidenceModel")
    x, y = _confidence_data()
    model = _model_of(ConfidenceModel)
    if any(contains_placeholder(v, 0) for v in vars(model).values()):
        raise NotAttempted("`ConfidenceModel.__init__` still assigns ___: replace it, run the cell, then check again.")
    names = [m.name for m in model.metrics]
    if "confidence" not in names and "mean" in names:
        raise Incorrect(f"The model's metrics are {names}: yours is called `mean`, the default name of "
                        f"`keras.metrics.Mean()`, so `metric.name == \"confidence\"` never holds (and fit() would "
                        f"log it as `mean`). Name it: `keras.metrics.Mean(name=\"confidence\")`.")
    conf = _confidence_run(model, x, y, epochs=2)
    short = _confidence_run(model, x[:20], y[:20], epochs=1)  # the same model, one more epoch
    if short is not None:
        raise Incorrect(f"In batches of 8, 8 and 4 samples `confidence` is {short[0]:.4f}, but the mean over the "
                        f"epoch's 20 samples is {short[1]:.4f}: one value per batch counts the short last batch "
                        f"as much as a full one (right only when all batches have the same size). Give the "
                        f"Mean one value per sample: `{_MAX_ROWS}`.")
    return (f"`confidence` is logged every epoch ({', '.join(f'{v:.4f}' for v in conf)}), computed from the "
            f"same predictions the step trains on, and reset by fit() at each epoch start because the metric "
            f"is an attribute of the model.")


def _confidence_run(model, x, y, epochs: int):
    """Fit *model* and compare its `confidence` with the probe's. With 2 epochs: the logged values
    (or Incorrect); with 1 epoch (a short last batch): None if right, else (got, wanted)."""
    probe = _confidence_probe(x, y, batch_size=8)
    got = _fit(model, x, y, "fit(...) with your ConfidenceModel", epochs=epochs, callbacks=[probe])
    if "confidence" not in got:
        raise Incorrect(f"fit() logged {sorted(got)}, no `confidence`. Create the metric as an attribute in "
                        f"`__init__`, named \"confidence\", and keep returning every metric of `self.metrics`.")
    losses = [float(e[0]) for e in probe.expected]
    expect(all(abs(a - b) <= 1e-5 * max(1.0, b) for a, b in zip(got["loss"], losses)),
           f"The loss changed ({_r(got['loss'])} instead of {_r(losses)}): keep the training part of "
           f"`train_step` as it was.")
    conf, want = [float(v) for v in got["confidence"]], [float(e[1]) for e in probe.expected]
    if all(abs(a - b) <= 1e-6 for a, b in zip(conf, want)):
        return conf if epochs > 1 else None
    if epochs == 1:
        return conf[0], want[0]
    if abs(conf[0] - want[0]) <= 1e-6:
        raise Incorrect(f"Epoch 1 is right ({conf[0]:.4f}) but epoch 2 is not ({conf[1]:.4f} instead of "
                        f"{want[1]:.4f}): the metric was not reset between epochs, so epoch 2 averages both. fit() "
                        f"resets the metrics in `self.metrics`; a metric kept outside the model (a global) is "
                        f"never reset. Make it an attribute: `self.confidence = ...` in `__init__`.")
    if all(0 <= v <= 1 for v in conf) and all(v > w + 1e-6 for v, w in zip(conf, want)):
        raise Incorrect(f"`confidence` is {_r(conf)}, higher than the mean of each sample's highest probability "
                        f"({_r(want)}): it looks like the highest value of the whole batch. Take the maximum of "
                        f"each row: `keras.ops.max(y_pred, axis=-1)`.")
    raise Incorrect(f"`confidence` is {_r(conf)}; the mean of each sample's highest predicted probability is "
                    f"{_r(want)}. Update the metric with probabilities, one per sample.")


# --------------------------------------------------------------------------- 3. clip like the optimizer


@functools.lru_cache(maxsize=None)
def _clip_reference(weight: float = 1.0, **clip):
    """Weights and history of the built-in train_step with RMSprop(learning_rate=0.01, **clip),
    every sample weighted by *weight*."""
    import keras
    import numpy as np
    x, y = _clip_data()
    model = _model_of(keras.Model, keras.optimizers.RMSprop(learning_rate=0.01, **clip), eager=True)
    history = model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0,
                        sample_weight=np.full(len(x), weight, "float32")).history
    return model.get_weights(), history


def _clip_data():
    x, y = tiny_data(16)
    return x * 20.0, y  # large inputs: the kernels' gradients have norms far above 1 (the biases' below)


_CLIP_SOLUTION = '''
class ClippedModel(keras.Model):
    def train_step(self, data):
        x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
        with tf.GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self.compute_loss(x=x, y=y, y_pred=y_pred, sample_weight=sample_weight)
        gradients = tape.gradient(loss, self.trainable_weights)
        gradients = [tf.clip_by_norm(g, 1.0) for g in gradients]  # each tensor on its own, like clipnorm
        self.optimizer.apply(gradients, self.trainable_weights)
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(loss, sample_weight=tf.shape(x)[0])
            else:
                metric.update_state(y, y_pred, sample_weight=sample_weight)
        return {metric.name: metric.result() for metric in self.metrics}
'''
_CLIP_LINE = "        gradients = [tf.clip_by_norm(g, 1.0) for g in gradients]  # each tensor on its own, like clipnorm\n"


def _clipped_with(*lines: str) -> str:
    """The reference ClippedModel with its clipping line replaced by *lines* (a variant answer)."""
    return _CLIP_SOLUTION.replace(_CLIP_LINE, "".join(f"        {line}\n" for line in lines))


@exercise(
    "13.3", "Clip like the optimizer",
    answers=("ClippedModel",),
    starter=_clipped_with("gradients = ___  # clipped as keras.optimizers.RMSprop(clipnorm=1.0) clips them"),
    solution=_CLIP_SOLUTION,
    hints=(
        ("`clipnorm` is one of three clipping options of every Keras optimizer, next to `clipvalue` and "
        "`global_clipnorm`. Which of them looks at one gradient tensor at a time?"),
        ("`clipnorm=1.0` rescales each gradient tensor *separately* so that its norm is at most 1; "
        "`global_clipnorm` would rescale all of them together by one factor."),
        "`tf.clip_by_norm(g, 1.0)` does that to one tensor: `[tf.clip_by_norm(g, 1.0) for g in gradients]`.",
    ),
    context=_context,
    varies=("the gradients: plain samples (kernels' norms above 1, biases' below), then every sample "
            "weighted 30 (the biases' norms above 1 too)\n"
            "the mode: fit() compiled as the notebook compiles (graph mode, no run_eagerly)"),
    exempt={"mutates": _TENSORS_ONLY},
)
def q3(ClippedModel):
    """Fits ClippedModel (plain RMSprop, graph mode) for 2 epochs and compares its weights with the
    built-in step's under RMSprop(clipnorm=1.0), naming global_clipnorm, clipvalue and no clipping;
    then again with every sample weighted 30, where the biases' gradients also need clipping."""
    import numpy as np
    _check_model_class(ClippedModel, "ClippedModel")
    x, y = _clip_data()
    expected_weights, expected = _clip_reference(clipnorm=1.0)
    model = _model_of(ClippedModel)
    guarded(lambda: model.optimizer.build(model.trainable_variables), "ClippedModel")
    start = model.get_weights(), [v.numpy() for v in model.optimizer.variables]
    got = _fit(model, x, y, "fit(...) with your ClippedModel", epochs=2, sample_weight=np.ones(len(x), "float32"))
    weights = model.get_weights()
    diff = _max_diff(weights, expected_weights)
    if not (diff <= 1e-6 and _history_diff(got, expected) <= 1e-5):
        _name_clipping(weights, diff)
    heavy_weights, _ = _clip_reference(30.0, clipnorm=1.0)
    model.set_weights(start[0])  # the same start again (weights and optimizer state): no second trace
    for variable, value in zip(model.optimizer.variables, start[1]):
        variable.assign(value)
    _fit(model, x, y, "fit(...) with your ClippedModel", epochs=2, sample_weight=np.full(len(x), 30.0, "float32"))
    weights = model.get_weights()
    diff = _max_diff(weights, heavy_weights)
    if diff > 1e-6:
        if _max_diff(weights, expected_weights) <= 1e-6:
            raise Incorrect("With every sample weighted 30 your model trains as if the weights were not there: "
                            "pass `sample_weight` on to `compute_loss` (and the metrics), as the step you "
                            "were given does.")
        raise Incorrect(f"Right on plain samples, but with every sample weighted 30 (larger gradients, the "
                        f"biases' too) your weights differ from RMSprop(clipnorm=1.0)'s by up to {diff:.3g}: "
                        f"clip every gradient tensor, the biases' as well, each by its own norm.")
    return ("Your train_step trains exactly like RMSprop(clipnorm=1.0) (weights within 1e-6). Clipping "
            "in train_step lets you log the norms or clip only some layers; the optimizer's option is "
            "the short form.")


def _name_clipping(weights, diff: float) -> None:
    """Raise Incorrect naming the clipping option the weights match (or the difference)."""
    for option, what in ((dict(global_clipnorm=1.0), ("all gradients scaled together by one factor, so that "
                                                     "their *joint* norm is at most 1")),
                         (dict(clipvalue=1.0), "each gradient *entry* cut to [-1, 1]"),
                         ({}, "your gradients were not clipped at all")):
        other, _ = _clip_reference(**option)
        if _max_diff(weights, other) <= 1e-6:
            name = ", ".join(f"{k}={v}" for k, v in option.items()) or "no clipping"
            raise Incorrect(f"Your model trains exactly like RMSprop({name}): {what}. `clipnorm=1.0` rescales "
                            f"each gradient tensor separately so that its own norm is at most 1.")
    raise Incorrect(f"After 2 epochs your weights differ from RMSprop(clipnorm=1.0)'s by up to {diff:.3g}. "
                    f"`clipnorm` rescales a tensor only when its norm is above 1 (`g * 1 / max(norm, 1)`), "
                    f"so that its norm is at most 1.")
