"""Exercises for notebook 13 · Custom training (``from kitlib.exercises import ___, nb13 as ex``).

1. End of epoch (easy): read metrics, then ``reset_state()`` (Keras 2's ``reset_states()`` is gone).
2. A metric of your own in train_step (medium): a tracked ``Mean`` that fit() logs and resets.
3. Clip like the optimizer (thought-provoking): reproduce ``RMSprop(clipnorm=1.0)`` inside ``train_step``.

The models of 2 and 3 are compiled as the notebook's are (no ``run_eagerly``, no XLA), so the learner's
``train_step`` runs inside fit()'s graph; they train in float32 whatever dtype policy the notebook set.
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


def _metric_cases():
    """Two metric lists with known state, each with {name: result}: a loss and an accuracy; three others."""
    import keras
    import numpy as np

    def filled(metric, *args, **kwargs):
        metric.update_state(*args, **kwargs)
        return metric

    eye = np.eye(3, dtype="float32")
    return (([filled(keras.metrics.Mean(name="loss"), [0.5, 0.25], sample_weight=[64, 16]),  # two batches, by size
              filled(keras.metrics.SparseCategoricalAccuracy(), np.array([0, 1, 2, 1], "float32"), eye[[0, 1, 1, 1]])],
             {"loss": (0.5 * 64 + 0.25 * 16) / 80, "sparse_categorical_accuracy": 0.75}),  # 3 of 4 right
            ([filled(keras.metrics.Mean(name="confidence"), [0.9, 0.6, 0.6]),
              filled(keras.metrics.SparseCategoricalAccuracy(name="acc"), np.array([2, 0], "float32"), eye[[2, 1]]),
              filled(keras.metrics.Mean(name="loss"), [1.5])],
             {"confidence": 0.7, "acc": 0.5, "loss": 1.5}))


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


@exercise(
    "13.1", "End of epoch", answers=("finish_epoch",),
    starter=variant(_SOLUTION_1, ("float(metric.result())  # this", "___  # this"),
                    ("metric.reset_state()  # start", "___                         # start")),
    solution=_SOLUTION_1,
    hints=("Section 3's loop does this at the end of every epoch.",
           "`metric.result()` gives a tensor; `float(...)` turns it into a number.",
           "The Keras 3 method is `metric.reset_state()` (singular). Read the result *before* resetting."),
    context=_context,
    varies=("the metrics: a loss Mean and an accuracy; then three others (confidence, acc, loss) in another "
            "order, with other names and values"),
    exempt={"graph": "the notebook calls finish_epoch from its Python loop at an epoch's end, outside any tf.function"},
)
def q1(finish_epoch):
    """Gives finish_epoch two lists of metrics with known state and checks the returned {name: float} against
    them, that every metric was reset afterwards, and that the caller's list was left as it was."""
    first = None
    for case, (metrics, expected) in enumerate(_metric_cases()):
        more = " `finish_epoch` must work for any list of metrics: use each metric's own `name`." if case else ""
        kept = Kept(list(metrics), "metrics")
        try:
            got = call(finish_epoch, kept.value, name="finish_epoch")
        except Incorrect as exc:
            if "reset_states" in str(exc):
                raise Incorrect("`metric.reset_states()` is the Keras 2 name; Keras 3 metrics have "
                                "`reset_state()` (singular), and the old name raises AttributeError.") from None
            if case and exc.learner_error is not None:
                raise Incorrect(f"With three other metrics ({', '.join(m.name for m in metrics)}) `finish_epoch` "
                                f"raised {type(exc.learner_error).__name__}: {shorten_text(str(exc.learner_error))}"
                                f"\n`finish_epoch` must work for any list of metrics: loop over it, use each metric's "
                                f"`name`.") from None
            raise
        kept.expect_unchanged(by="`finish_epoch`", fix="loop over the list (`for metric in metrics:`) without "
                                                       "removing anything from it.")
        expect(got is not None, "`finish_epoch` returned None: did you forget `return results`?")
        expect(isinstance(got, dict), f"`finish_epoch(...)` should return a dict, but it returned {describe(got)}.")
        expect(sorted(map(str, got)) == sorted(expected),
               f"The dict's keys are {sorted(map(str, got))}; expected the metrics' names {sorted(expected)}.{more}")
        for name, value in got.items():
            expect(isinstance(value, (int, float)) and not isinstance(value, bool), f"`{name}` is {describe(value)}: "
                   f"convert it with `float(metric.result())` (a tensor keeps the metric's graph alive, prints badly).")
        expect(not all(v == 0.0 for v in got.values()), "Every result is 0.0: the metrics were reset before their "
               "results were read. Read `result()` first, then `reset_state()`.")
        for name, value in expected.items():
            expect(math.isclose(got[name], value, rel_tol=1e-6),
                   f"`{name}` is {got[name]:.4f}; the metric held {value:.4f}.{more}")
        left = {m.name: float(m.result()) for m in metrics}
        expect(all(v == 0.0 for v in left.values()), f"After `finish_epoch` the metrics still hold {left}: call "
               f"`metric.reset_state()` on each, or the next epoch's results mix in this epoch's.")
        first = first or got
    return (f"Read, then reset: {', '.join(f'{k} {v:.4f}' for k, v in sorted(first.items()))}, and both metrics "
            f"start the next epoch from zero.")


def _model_of(cls, name: str, optimizer=None, *, eager: bool = False):
    """The seeded tiny model as a *cls* (the learner's *name*), compiled like the notebook's (graph mode, no XLA)."""
    import keras
    expect(isinstance(cls, type) and issubclass(cls, keras.Model),
           f"`{name}` should be a class derived from `keras.Model`, but it is {describe(cls)}.")
    base = tiny_model()
    model = guarded(lambda: cls(base.inputs, base.outputs), cls.__name__,
                    doing=f"Building a model of your class `{cls.__name__}`")
    model.compile(optimizer=optimizer or keras.optimizers.RMSprop(learning_rate=0.01),
                  loss=keras.losses.SparseCategoricalCrossentropy(),
                  metrics=[keras.metrics.SparseCategoricalAccuracy()], run_eagerly=eager, jit_compile=False)
    return model


def _fit(model, x, y, name, **kwargs):
    """fit() the learner's model in graph mode, batches of 8; an eager-only train_step gets the graph advice."""
    known = ((lambda text: "values to unpack" in text,
              ("Your `train_step` cannot unpack what fit() gives it: with sample weights `data` is `(x, y, "
               "sample_weight)`. Unpack it as the step you were given does: "
               "`x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)`.")),
             graph_mode_error("Your `train_step`", "inside `fit()` (the notebook compiles without "
                              "`run_eagerly=True`)", "Use `keras.ops` or `tf` operations (keras.ops.max, "
                              "tf.norm, tf.clip_by_norm, ...) on tensors instead."))
    return guarded(lambda: model.fit(x, y, batch_size=8, shuffle=False, verbose=0, **kwargs), name, known=known,
                   doing=f"Calling `{name}`").history


def _r(values):
    """Numbers rounded for a message (a list of floats, or whatever it is)."""
    try:
        return [round(float(v), 4) for v in values]
    except (TypeError, ValueError):
        return values


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


@exercise(
    "13.2", "A metric of your own in train_step", answers=("ConfidenceModel",),
    starter=_CONFIDENCE_STARTER,
    solution=_CONFIDENCE_SOLUTION,
    hints=("A `keras.metrics.Mean` averages whatever values you give it, weighted by how many there are.",
           ("Create it in `__init__` as an attribute of the model, with `name=\"confidence\"`: Keras then lists it "
            "in `self.metrics`, logs it under that name and resets it at the start of every epoch."),
           ("The highest probability of each row of `y_pred` (shape (batch, classes)) is "
            "`keras.ops.max(y_pred, axis=-1)`.")),
    context=_context,
    varies=("the batches: 24 samples in batches of 8 for 2 epochs, then 20 samples in batches of 8 (8, 8, 4: a short "
            "last batch)\nthe mode: fit() compiled as the notebook compiles (graph mode, no run_eagerly)"),
    exempt={"mutates": _TENSORS_ONLY},
)
def q2(ConfidenceModel):
    """Fits ConfidenceModel in graph mode for 2 epochs in equal batches, then 1 with a short last batch: the logged
    `confidence` must be the mean of each sample's highest probability, computed before each update by a
    callback; names a missing name, a batch-wide max, a metric never reset and per-batch averages."""
    model = _model_of(ConfidenceModel, "ConfidenceModel")
    x, y = tiny_data(24)
    if any(contains_placeholder(v, 0) for v in vars(model).values()):
        raise NotAttempted("`ConfidenceModel.__init__` still assigns ___: replace it, run the cell, then check again.")
    names = [m.name for m in model.metrics]
    expect("confidence" in names or "mean" not in names, f"The model's metrics are {names}: yours is called "
           f"`mean`, the default name of `keras.metrics.Mean()`, so `metric.name == \"confidence\"` never holds (and "
           f"fit() would log it as `mean`). Name it: `keras.metrics.Mean(name=\"confidence\")`.")
    conf, want = _confidence_run(model, x, y, epochs=2)
    if not all(abs(a - b) <= 1e-6 for a, b in zip(conf, want)):
        expect(not abs(conf[0] - want[0]) <= 1e-6, f"Epoch 1 is right ({conf[0]:.4f}) but epoch 2 is not "
               f"({conf[1]:.4f} instead of {want[1]:.4f}): the metric was not reset, so epoch 2 averages both. fit() "
               f"resets only the metrics in `self.metrics`: make it an attribute, `self.confidence` in `__init__`.")
        expect(not (all(0 <= v <= 1 for v in conf) and all(v > w + 1e-6 for v, w in zip(conf, want))), f"`confidence` "
               f"is {_r(conf)}, higher than the mean of each sample's highest probability ({_r(want)}): it looks like "
               f"the highest value of the whole batch. Take the maximum of each row: `keras.ops.max(y_pred, axis=-1)`.")
        raise Incorrect(f"`confidence` is {_r(conf)}; the mean of each sample's highest predicted probability is "
                        f"{_r(want)}. Update the metric with probabilities, one per sample.")
    short, short_want = _confidence_run(model, x[:20], y[:20], epochs=1)  # the same model, one more epoch
    expect(abs(short[0] - short_want[0]) <= 1e-6, f"In batches of 8, 8 and 4 samples `confidence` is {short[0]:.4f}, "
           f"but the mean over the epoch's 20 samples is {short_want[0]:.4f}: one value per batch counts the short "
           f"last batch as much as a full one (right only when all batches have the same size). Give the Mean one "
           f"value per sample: `{_MAX_ROWS}`.")
    return (f"`confidence` is logged every epoch ({', '.join(f'{v:.4f}' for v in conf)}), computed from the same "
            f"predictions the step trains on, and reset by fit() at each epoch start because the metric is an "
            f"attribute of the model.")


def _confidence_run(model, x, y, epochs: int):
    """Fit *model*; return its logged `confidence` per epoch and what it must be, computed by a callback before
    each update (the batch's predictions with the weights the update starts from; fit() with shuffle=False)."""
    import keras
    import numpy as np

    class Probe(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.sums, self.count = np.zeros(2), 0

        def on_train_batch_begin(self, batch, logs=None):
            xb, yb = x[batch * 8:(batch + 1) * 8], y[batch * 8:(batch + 1) * 8]
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
    got = _fit(model, x, y, "fit(...) with your ConfidenceModel", epochs=epochs, callbacks=[probe])
    expect("confidence" in got, f"fit() logged {sorted(got)}, no `confidence`. Create the metric as an attribute in "
                                f"`__init__`, named \"confidence\", and keep returning every metric of `self.metrics`.")
    losses = [float(e[0]) for e in probe.expected]
    expect(all(abs(a - b) <= 1e-5 * max(1.0, b) for a, b in zip(got["loss"], losses)), f"The loss changed "
           f"({_r(got['loss'])} instead of {_r(losses)}): keep the training part of `train_step` as it was.")
    return [float(v) for v in got["confidence"]], [float(e[1]) for e in probe.expected]


@functools.lru_cache(maxsize=None)
def _clip_reference(weight: float = 1.0, **clip):
    """Weights and history of the built-in train_step with RMSprop(0.01, **clip), every sample weighted *weight*."""
    import keras
    import numpy as np
    x, y = _clip_data()
    model = _model_of(keras.Model, "keras.Model", keras.optimizers.RMSprop(learning_rate=0.01, **clip), eager=True)
    history = model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0,
                        sample_weight=np.full(len(x), weight, "float32")).history
    return model.get_weights(), history


def _clip_data():
    x, y = tiny_data(16)
    return x * 20.0, y  # large inputs: the kernels' gradients have norms far above 1 (the biases' below)


def _max_diff(a, b) -> float:
    import numpy as np
    return float(np.max([np.abs(u - v).max() for u, v in zip(a, b)]))  # NaN anywhere: NaN


_CLIP_LINE = "gradients = [tf.clip_by_norm(g, 1.0) for g in gradients]  # each tensor on its own, like clipnorm"
_CLIP_SOLUTION = f'''
class ClippedModel(keras.Model):
    def train_step(self, data):
        x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
        with tf.GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self.compute_loss(x=x, y=y, y_pred=y_pred, sample_weight=sample_weight)
        gradients = tape.gradient(loss, self.trainable_weights)
        {_CLIP_LINE}
        self.optimizer.apply(gradients, self.trainable_weights)
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(loss, sample_weight=tf.shape(x)[0])
            else:
                metric.update_state(y, y_pred, sample_weight=sample_weight)
        return {{metric.name: metric.result() for metric in self.metrics}}
'''


def _clipped_with(*lines: str) -> str:
    """The reference ClippedModel with its clipping line replaced by *lines* (a variant answer)."""
    return _CLIP_SOLUTION.replace(f"        {_CLIP_LINE}\n", "".join(f"        {line}\n" for line in lines))


@exercise(
    "13.3", "Clip like the optimizer", answers=("ClippedModel",),
    starter=_clipped_with("gradients = ___  # clipped as keras.optimizers.RMSprop(clipnorm=1.0) clips them"),
    solution=_CLIP_SOLUTION,
    hints=(("`clipnorm` is one of three clipping options of every Keras optimizer, next to `clipvalue` and "
            "`global_clipnorm`. Which of them looks at one gradient tensor at a time?"),
           ("`clipnorm=1.0` rescales each gradient tensor *separately* so that its norm is at most 1; "
            "`global_clipnorm` would rescale all of them together by one factor."),
           "`tf.clip_by_norm(g, 1.0)` does that to one tensor: `[tf.clip_by_norm(g, 1.0) for g in gradients]`."),
    context=_context,
    varies=("the gradients: plain samples (kernels' norms above 1, biases' below), then all weighted 30 (biases' "
            "norms above 1 too)\nthe mode: fit() compiled as the notebook compiles (graph mode, no run_eagerly)"),
    exempt={"mutates": _TENSORS_ONLY},
)
def q3(ClippedModel):
    """Fits ClippedModel (plain RMSprop, graph mode) for 2 epochs: its weights must be the built-in step's under
    RMSprop(clipnorm=1.0), also with every sample weighted 30 (biases need clipping too); names the other options."""
    import numpy as np
    model = _model_of(ClippedModel, "ClippedModel")
    x, y = _clip_data()
    expected_weights, expected = _clip_reference(clipnorm=1.0)
    guarded(lambda: model.optimizer.build(model.trainable_variables), "ClippedModel")
    start = model.get_weights(), [v.numpy() for v in model.optimizer.variables]
    got = _fit(model, x, y, "fit(...) with your ClippedModel", epochs=2, sample_weight=np.ones(len(x), "float32"))
    weights = model.get_weights()
    diff = _max_diff(weights, expected_weights)
    history_diff = max(abs(u - v) for k in expected for u, v in zip(got.get(k, [math.inf]), expected[k]))
    if not (diff <= 1e-6 and history_diff <= 1e-5):
        for option, what in ((dict(global_clipnorm=1.0), ("all gradients scaled together by one factor, so that "
                                                         "their *joint* norm is at most 1")),
                             (dict(clipvalue=1.0), "each gradient *entry* cut to [-1, 1]"),
                             ({}, "your gradients were not clipped at all")):
            name = ", ".join(f"{k}={v}" for k, v in option.items()) or "no clipping"
            expect(not _max_diff(weights, _clip_reference(**option)[0]) <= 1e-6, f"Your model trains exactly like "
                   f"RMSprop({name}): {what}. `clipnorm=1.0` rescales each gradient tensor separately so that its "
                   f"own norm is at most 1.")
        raise Incorrect(f"After 2 epochs your weights differ from RMSprop(clipnorm=1.0)'s by up to {diff:.3g}. "
                        f"`clipnorm` rescales a tensor only if its norm is above 1 (`g / max(norm, 1)`), to at most 1.")
    model.set_weights(start[0])  # the same start again (weights and optimizer state): no second trace
    for variable, value in zip(model.optimizer.variables, start[1]):
        variable.assign(value)
    _fit(model, x, y, "fit(...) with your ClippedModel", epochs=2, sample_weight=np.full(len(x), 30.0, "float32"))
    weights = model.get_weights()
    diff = _max_diff(weights, _clip_reference(30.0, clipnorm=1.0)[0])
    if not diff <= 1e-6:  # NaN too
        expect(math.isfinite(diff), "Right on plain samples, but with every sample weighted 30 your weights became NaN "
               "or infinite: look for a division by zero, or the root or log of a negative number, in your step.")
        expect(not _max_diff(weights, expected_weights) <= 1e-6, "With every sample weighted 30 your model trains "
               "as if unweighted: pass `sample_weight` on to `compute_loss` (and the metrics), as the given step does.")
        raise Incorrect(f"Right on plain samples, but with every sample weighted 30 (larger gradients, the "
                        f"biases' too) your weights differ from RMSprop(clipnorm=1.0)'s by up to {diff:.3g}: "
                        f"clip every gradient tensor, the biases' as well, each by its own norm.")
    return ("Your train_step trains exactly like RMSprop(clipnorm=1.0) (weights within 1e-6). Clipping in train_step "
            "lets you log the norms or clip only some layers; the optimizer's option is the short form.")
