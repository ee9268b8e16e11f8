"""Exercises for notebook 04 · Losses and metrics outside the standard signature
(``from kitlib.exercises import ___, nb04 as ex``).

1. An L1 penalty (easy): ``add_loss()`` in a layer, checked through ``model.losses``.
2. Count the dead units (medium): a metric held by a layer (what replaced ``add_metric``).
3. A penalty that ignores the batch size (thought-provoking): ``ActivityRegularization``'s, at any batch size.
"""

from __future__ import annotations

import math

import numpy as np

from kitlib.exercises import (Incorrect, describe, exercise, expect, graph_mode_error, guarded, in_graph, tiny_data,
                              variant)

_NO_MUTATION = "a layer gets tensors, which cannot be changed in place; nothing of the caller's is handed to it"
_ADD_LOSS = "call `self.add_loss(penalty)` in `call()`."
_FIXED_RATE = "the rate is fixed in your code. Multiply by `self.rate`, the rate the layer was built with"


def _context():
    import keras
    return {"keras": keras, "np": np, "layers": keras.layers, "ops": keras.ops}  # imported by the notebook above


def _close(a, b, rtol=1e-5, atol=1e-7) -> bool:
    return math.isclose(float(a), float(b), rel_tol=rtol, abs_tol=atol)


def _layer_class(value, name: str):
    import keras
    expect(isinstance(value, type) and issubclass(value, keras.layers.Layer), f"`{name}` should be a class that "
           f"subclasses `keras.layers.Layer` (`class {name}(layers.Layer): ...`), but it is {describe(value)}.")
    return value


def _run_keras(action, name: str):
    """Run *action* (code using the learner's layer): errors become NotAttempted or Incorrect with a hint."""
    return guarded(action, name, doing=f"Using `{name}` in a model", known=(
        (lambda text: "add_metric" in text,
         (f"`{name}` calls `self.add_metric(...)`, which Keras 3 removed. Create a metric object once in `__init__` "
          f"(e.g. `keras.metrics.Mean(name=...)`) and call its `update_state(...)` in `call()`.")),
        (lambda text: "singleton tf.Variables" in text or "created on the first call" in text,
         (f"`{name}` creates a metric inside `call()`: a metric holds variables, and `call()` runs on every batch. "
          f"Create the metric once, in `__init__`, and only update it in `call()`.")),
        (lambda text: "len is not well defined" in text,
         (f"`{name}` uses `len(inputs)`: in fit()'s graph the batch size is unknown when the layer is traced (shape "
          f"`(None, ...)`). Use `ops.shape(inputs)[0]` (cast it to float), or let `ops.mean` divide over the batch.")),
        (lambda text: "None values not supported" in text or "NoneType" in text,
         (f"`{name}` divides by `inputs.shape[0]`, which is None in fit()'s graph: the batch size is not known when "
          f"the layer is traced. Use `ops.shape(inputs)[0]` (cast it to float), or let `ops.mean` do the dividing.")),
        (lambda text: "must have the same dtype" in text or "that does not match type" in text,
         (f"`{name}` mixes integers and floats: `ops.shape(inputs)[0]` is an integer; cast it first, e.g. "
          f"`ops.cast(ops.shape(inputs)[0], inputs.dtype)`.")),
        graph_mode_error(f"`{name}`", "inside a model's `call()` in fit()",
                         "Use `keras.ops` (ops.sum, ops.abs, ops.cast, ...) on tensors.")))


def _model_with(layer_fn, *, linear: bool):
    """features (8) → Dense(16) → the learner's layer → Dense(3, softmax), seeded, compiled for graph mode."""
    import keras
    from keras import layers
    init = keras.initializers.GlorotUniform
    inputs = keras.Input(shape=(8,), name="features")
    hidden = layers.Dense(16, activation=None if linear else "relu", name="hidden",
                          kernel_initializer=init(seed=0))(inputs)
    x = layer_fn()(hidden)
    model = keras.Model(inputs, layers.Dense(3, activation="softmax", name="out", kernel_initializer=init(seed=1))(x))
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.05),
                  loss=keras.losses.SparseCategoricalCrossentropy(), jit_compile=False)
    return model


def _hidden(model, x, relu: bool):
    kernel, bias = model.get_layer("hidden").get_weights()
    h = x.astype("float64") @ kernel + bias
    return np.maximum(h, 0) if relu else h


def _graph_penalty(cls, rate: float, data, name: str) -> float:
    """A fresh ``cls(rate=rate)`` called on *data* in a tf.function (as in fit()): the sum of the losses it adds."""
    from keras import ops
    layer = _run_keras(lambda: cls(rate=rate), name)

    def forward(t):
        out = layer(t)
        losses = [ops.sum(ops.cast(v, "float32")) for v in layer.losses]
        return out, ops.sum(ops.stack(losses)) if losses else ops.convert_to_tensor(np.nan, "float32")

    out, total = in_graph(forward, data, name=name, doing=f"Calling a `{name}` layer")
    expect(np.shape(out) == data.shape, f"On inputs of shape {data.shape} `call()` returned shape {np.shape(out)}: "
                                        f"return the inputs unchanged (the layer only adds a loss).")
    expect(not np.isnan(total), f"Called inside a graph (as fit() runs it), `{name}` added no loss: {_ADD_LOSS}")
    return float(total)


# --------------------------------------------------------------------------- 1. an L1 penalty
_SOLUTION_1 = '''
class L1Penalty(layers.Layer):
    """Identity layer that adds rate · Σ|inputs| (over the whole batch) to the loss."""

    def __init__(self, rate=1e-3, **kwargs):
        super().__init__(**kwargs)
        self.rate = rate

    def call(self, inputs):
        penalty = self.rate * ops.sum(ops.abs(inputs))
        self.add_loss(penalty)
        return inputs
'''


def _judge_l1(penalty: float, h, rate: float, where: str) -> None:
    """Name the mistake of an L1 penalty *penalty* added for values *h* at *rate*."""
    expected = rate * np.sum(np.abs(h))
    if _close(penalty, expected, rtol=1e-4):
        return
    adds = f"On {where} your layer adds"
    expect(not _close(penalty, rate * np.sum(h ** 2), rtol=1e-4), f"{adds} {penalty:.5f} = rate · Σ x²: that is the "
           f"L2 (squared) penalty. L1 uses the absolute values: {expected:.5f}.")
    expect(not _close(penalty, rate * np.sum(h), rtol=1e-4, atol=1e-6), f"{adds} {penalty:.5f} = rate · Σ x. The "
           f"values here are partly negative, so they cancel: take the absolute value first ({expected:.5f}).")
    expect(not _close(penalty, rate * np.mean(np.abs(h)), rtol=1e-4), f"{adds} {penalty:.5f} = rate · mean|x|: the "
           f"mean divides by the number of values. The task is the sum over the batch ({expected:.5f}).")
    factor = penalty / np.sum(np.abs(h))
    expect(not any(_close(factor, r, rtol=1e-4) for r in (1e-3, 0.01, 0.003, 0.2) if r != rate),
           f"{adds} {factor:g} · Σ|x| = {penalty:.5f}: {_FIXED_RATE} ({expected:.5f} here).")
    raise Incorrect(f"{adds} {penalty:.5f}, but rate · Σ|x| is {expected:.5f}.")


@exercise(
    "04.1", "An L1 penalty", answers=("L1Penalty",),
    starter=variant(_SOLUTION_1, ("self.rate * ops.sum(ops.abs(inputs))", "___")),
    solution=_SOLUTION_1, context=_context,
    hints=(("Section 1's `ActivityPenalty` adds `rate · Σ x²`; an L1 penalty uses the absolute value instead "
            "of the square."),
           "`keras.ops` has `ops.abs` and `ops.sum`; `ops.sum` without `axis` sums over everything.",
           "`penalty = self.rate * ops.sum(ops.abs(inputs))`."),
    varies=("the rate: 0.01, 0.003, 0.2\nthe inputs: a hidden layer (16 samples × 16 units), random batches (5, 7) "
            "and (3, 4, 2) with negatives\nthe mode: symbolic build, eager forward pass, tf.function"),
    exempt={"mutates": _NO_MUTATION},
)
def q1(L1Penalty):
    """Builds `L1Penalty(rate=0.01)` into a model: `model.losses` on a known batch must be NumPy's rate · Σ|h|; then
    fresh layers with other rates and shapes in a tf.function; L2, no-abs, mean and fixed-rate penalties are named."""
    cls = _layer_class(L1Penalty, "L1Penalty")
    rate = 0.01
    x, _ = tiny_data(n=16)
    model = _run_keras(lambda: _model_with(lambda: cls(rate=rate), linear=True), "L1Penalty")
    outputs = _run_keras(lambda: model(x), "L1Penalty")
    losses = list(model.losses)
    expect(losses, f"After a forward pass the layer added no loss (`.losses` is empty): {_ADD_LOSS}")
    try:
        penalty = float(sum(float(v) for v in losses))
    except (TypeError, ValueError):
        raise Incorrect(f"The layer added {describe(losses[0])} as a loss: `add_loss` takes one number (a scalar "
                        f"tensor), e.g. `self.rate * ops.sum(...)`.") from None
    h = _hidden(model, x, relu=False)
    expect(tuple(np.shape(outputs)) == (16, 3), "`call()` should return its inputs unchanged (the layer only adds a "
                                                "loss).")
    _judge_l1(penalty, h, rate, "a known batch of 16 samples")
    rng = np.random.default_rng(41)
    for case_rate, shape in ((0.003, (5, 7)), (0.2, (3, 4, 2))):
        data = rng.standard_normal(shape).astype("float32")
        got = _graph_penalty(cls, case_rate, data, "L1Penalty")
        _judge_l1(got, data.astype("float64"), case_rate, f"a batch of shape {shape} with rate={case_rate}")
    return (f"`model.losses` holds rate · Σ|h| = {rate * np.sum(np.abs(h)):.4f} on the known batch, as NumPy computes "
            f"it from the hidden layer's weights. fit() adds it to the compiled loss on every batch.")


# --------------------------------------------------------------------------- 2. count the dead units
_SOLUTION_2 = '''
class DeadFraction(layers.Layer):
    """Identity layer for after a ReLU layer: reports the fraction of its inputs that are 0
    as a metric named "dead_fraction"."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.dead_fraction = keras.metrics.Mean(name="dead_fraction")

    def call(self, inputs):
        self.dead_fraction.update_state(ops.cast(ops.equal(inputs, 0.0), "float32"))
        return inputs
'''
_ZEROS = 'ops.cast(ops.equal(inputs, 0.0), "float32")'


def _judge_dead(value: float, batches, where: str) -> None:
    """Name the mistake of a dead fraction *value* reported for ReLU outputs *batches*."""
    h = np.concatenate(batches)
    expected, units = float(np.mean(h == 0)), h.shape[-1]
    if _close(value, expected, rtol=1e-5):
        return
    reports = f"In {where} your metric reports {value:.4f}"
    expect(not _close(value, np.mean(h), rtol=1e-4), f"{reports}, the mean activation. The fraction of zeros is "
           f"{expected:.4f}: average a 1.0 for each zero and 0.0 for each positive value.")
    expect(not _close(value, 1 - expected, rtol=1e-5), f"{reports}, the fraction of *alive* units (values > 0); the "
           f"dead ones are the zeros: {expected:.4f}.")
    if _close(value, np.mean([np.mean(b == 0) for b in batches]), rtol=1e-5):
        raise Incorrect(f"In {where} (batches of {', '.join(str(len(b)) for b in batches)}) your metric reports "
                        f"{value:.4f}, the plain average of the batches' fractions; {expected:.4f} of all values are "
                        f"0. One number per batch counts a small last batch as much as a full one: right only when "
                        f"all batches have the same size. Give the Mean one 0/1 value per input and let it count them.")
    expect(units == 16 or not _close(value, expected * units / 16, rtol=1e-5), f"{reports} instead of "
           f"{expected:.4f}: it divides by 16, the width of the notebook's layer. Let `ops.mean` count the units.")
    raise Incorrect(f"In {where} ({units} ReLU units) {expected:.4f} of the values are 0, but the metric reports "
                    f"dead_fraction = {value:.4f}.")


@exercise(
    "04.2", "Count the dead units", answers=("DeadFraction",),
    starter=variant(_SOLUTION_2, ('keras.metrics.Mean(name="dead_fraction")', "___   # a metric object, created once"),
                    (_ZEROS, "___")),
    solution=_SOLUTION_2, context=_context,
    hints=(("Section 2's `ActivationMonitor` is the pattern: a metric object made in `__init__`, updated in "
            "`call()`. Which metric averages what you give it?"),
           ("`keras.metrics.Mean(name=\"dead_fraction\")` averages every value it receives. Give it 1.0 where "
            "an input is 0 and 0.0 elsewhere: the average is the fraction of zeros."),
           "`ops.cast(ops.equal(inputs, 0.0), \"float32\")` (or `inputs <= 0`) is that 0/1 tensor."),
    varies=("the batches: evaluate() on 48 samples in batches of 20, 20, 8; a layer called on 9 then 4\nthe layer's "
            "width: 16 and 12 ReLU units\nthe runs: evaluate() twice (reset), fit() with validation data (val_ twin)"),
    exempt={"mutates": _NO_MUTATION},
)
def q2(DeadFraction):
    """DeadFraction after a ReLU layer: `dead_fraction` in evaluate() (graph mode, unequal batches) must be NumPy's
    fraction of zeros, reset between runs, logged by fit() with a `val_` twin, and right in a tf.function (width 12)."""
    cls = _layer_class(DeadFraction, "DeadFraction")
    (x, y), (x_val, y_val) = tiny_data(n=48), tiny_data(n=32, seed=1)
    model = _run_keras(lambda: _model_with(lambda: cls(name="monitor"), linear=False), "DeadFraction")
    h = _hidden(model, x, relu=True)
    expected = float(np.mean(h == 0))
    logs = _run_keras(lambda: model.evaluate(x, y, batch_size=20, verbose=0, return_dict=True), "DeadFraction")
    expect("dead_fraction" in logs or set(logs) <= {"loss"}, f"evaluate() reports {sorted(logs)}: no metric is named "
           f"`dead_fraction`. Metrics appear under their `name=`: use `keras.metrics.Mean(name=\"dead_fraction\")`.")
    expect("dead_fraction" in logs, f"evaluate() reports only {sorted(logs)}: no metric of the layer shows up. Keep "
           f"the metric object as an attribute of the layer (`self.dead_fraction = ...` in `__init__`), name it "
           f"\"dead_fraction\", and update it in `call()`.")
    _judge_dead(logs["dead_fraction"], [h[i:i + 20] for i in range(0, 48, 20)], "evaluate() on 48 samples")
    again = _run_keras(lambda: model.evaluate(x, y, batch_size=20, verbose=0, return_dict=True), "DeadFraction")
    expect(_close(again["dead_fraction"], expected, rtol=1e-5), f"A second evaluate() on the same data reports "
           f"dead_fraction = {again['dead_fraction']:.4f} instead of {expected:.4f}: the state is not reset between "
           f"runs. Keras resets a `keras.metrics` object held by the layer before every epoch and evaluation.")
    history = _run_keras(lambda: model.fit(x, y, batch_size=16, epochs=1, validation_data=(x_val, y_val),
                                           verbose=0).history, "DeadFraction")
    expect("dead_fraction" in history and "val_dead_fraction" in history,
           f"fit() logged {sorted(history)}; `dead_fraction` and `val_dead_fraction` should be there.")
    val_dead = np.mean(_hidden(model, x_val, relu=True) == 0)
    expect(_close(history["val_dead_fraction"][-1], val_dead, rtol=1e-5), f"After fit(), val_dead_fraction is "
           f"{history['val_dead_fraction'][-1]:.4f}, but {val_dead:.4f} of the validation activations are 0.")
    rng = np.random.default_rng(42)
    batches = [np.maximum(rng.standard_normal((n, 12)), 0).astype("float32") for n in (9, 4)]
    layer = _run_keras(lambda: cls(name="monitor"), "DeadFraction")
    for batch in batches:
        in_graph(layer, batch, name="DeadFraction", doing="Calling a `DeadFraction` layer")
    metric = next((m for m in layer.metrics if m.name == "dead_fraction"), None)
    expect(metric is not None, f"A DeadFraction layer lists the metrics {[m.name for m in layer.metrics]}, "
                               f"none named `dead_fraction`.")
    _judge_dead(float(metric.result()), batches, "a layer of 12 units called on batches of 9 and 4 samples")
    return (f"dead_fraction = {expected:.4f} on the known batch, equal to NumPy's count of zeros; fit() logs it with a "
            f"`val_dead_fraction` twin, and every epoch and evaluation starts from a reset. On a real model, a value "
            f"that keeps rising during training is a warning sign: those ReLU units no longer learn.")


# --------------------------------------------------------------------------- 3. a penalty that ignores the batch size
_SOLUTION_3 = '''
class L2PerSample(layers.Layer):
    """Identity layer that adds an L2 activity penalty whose size does not depend on how
    many samples a batch holds."""

    def __init__(self, rate=1e-3, **kwargs):
        super().__init__(**kwargs)
        self.rate = rate

    def call(self, inputs):
        penalty = self.rate * ops.mean(ops.sum(ops.square(inputs), axis=-1))
        self.add_loss(penalty)
        return inputs
'''
_PER_SAMPLE = "ops.mean(ops.sum(ops.square(inputs), axis=-1))"


def _judge_l2(got: float, data, rate: float, where: str) -> None:
    """Name the mistake of a per-sample L2 penalty *got* added for *data* (one batch) at *rate*."""
    data = data.astype("float64")
    per_sample = float(np.mean(np.sum(data ** 2, axis=-1)))
    expected = rate * per_sample
    if _close(got, expected, rtol=1e-4):
        return
    adds = f"On {where} your layer adds"
    expect(not _close(got, rate * np.sum(data ** 2), rtol=1e-4), f"{adds} {got:.4f} = rate · Σx² over the whole "
           f"batch: it grows with the batch (ActivityRegularization gives {expected:.4f} at any batch size).")
    expect(not _close(got, rate * np.mean(data ** 2), rtol=1e-4), f"{adds} {got:.5f}: `ops.mean` of the squares also "
           f"divides by the {data.shape[-1]} units: sum over the units, average over the samples ({expected:.5f}).")
    expect(not any(_close(got, r * per_sample, rtol=1e-4) for r in (1e-3, 0.01, 0.05) if r != rate),
           f"{adds} {got / per_sample:g} · (mean Σx² per sample): {_FIXED_RATE} ({expected:.5f} here).")
    raise Incorrect(f"{adds} {got:.5f}, but ActivityRegularization(l2=rate) adds {expected:.5f}.")


@exercise(
    "04.3", "A penalty that ignores the batch size", answers=("L2PerSample",),
    starter=variant(_SOLUTION_3, (f"self.rate * {_PER_SAMPLE}", "___")),
    solution=_SOLUTION_3, context=_context,
    hints=(("Section 1's penalty is rate · Σx² over the whole batch: twice the samples, twice the penalty. "
            "What do you divide by so that it stops growing with the batch?"),
           ("Divide by the number of samples in *this* batch, which fit() only knows when it runs (the last "
            "batch is often smaller): sum per sample, then average over the batch."),
           ("`ops.sum(ops.square(inputs), axis=-1)` is one value per sample; `ops.mean(...)` of that "
            "averages over the batch.")),
    varies=("the batch size: 8 and 64 samples, 13 in a graph, and evaluate() in batches of 8, 64 and 24 (64 = 24 + 24 "
            "+ 16: a short last batch)\nthe rate: 0.01 and 0.05; the width: 16 and 6 units"),
    exempt={"mutates": _NO_MUTATION},
)
def q3(L2PerSample):
    """L2PerSample's penalty in a tf.function must be `ActivityRegularization(l2=rate)`'s on batches of 8, 64 and (at
    another rate) 13 × 6, and the compiled model's evaluate() loss the same in batches of 8, 64 and 24."""
    cls = _layer_class(L2PerSample, "L2PerSample")
    rate = 0.01
    model = _run_keras(lambda: _model_with(lambda: cls(rate=rate), linear=True), "L2PerSample")
    x, _ = tiny_data(n=64, input_dim=16)
    small = np.random.default_rng(43).standard_normal((13, 6)).astype("float32")
    cases = ((rate, x[:8], "a batch of 8 samples"), (rate, x, "a batch of 64 samples"),
             (0.05, small, "a batch of 13 samples × 6 units with rate=0.05"))
    got = [_graph_penalty(cls, r, data, "L2PerSample") for r, data, _ in cases]
    want = [r * np.mean(np.sum(d.astype("float64") ** 2, axis=-1)) for r, d, _ in cases]
    if _close(got[1], want[1], rtol=1e-4) and not _close(got[0], want[0], rtol=1e-4):
        raise Incorrect(f"Right at 64 samples per batch, wrong at 8 ({got[0]:.4f} instead of {want[0]:.4f}): the "
                        f"batch size is fixed in your code. Use the size of the batch that arrives.")
    for g, (r, data, where) in zip(got, cases):
        _judge_l2(g, data, r, where)
    x8, y8 = tiny_data(n=64)
    loss = {b: _run_keras(lambda: model.evaluate(x8, y8, batch_size=b, verbose=0, return_dict=True)["loss"],
                          "L2PerSample") for b in (8, 64, 24)}
    for b in (64, 24):
        expect(_close(loss[8], loss[b], rtol=1e-5), f"In a model, evaluate() reports loss {loss[8]:.5f} in batches of "
               f"8 and {loss[b]:.5f} in batches of {b}: the penalty still depends on the batch size.")
    return (f"Your penalty equals `ActivityRegularization(l2={rate})` at 8 and at 64 samples per batch, and "
            f"evaluate() now reports the same loss ({loss[8]:.4f}) in batches of 8 or 64. A rate tuned at one "
            f"batch size now means the same at another, and a smaller last batch is not penalised less.")
