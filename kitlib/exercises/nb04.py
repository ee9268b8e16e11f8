"""Exercises for notebook 04 · Losses and metrics outside the standard signature
(``from kitlib.exercises import ___, nb04 as ex``).

1. An L1 penalty (easy): ``add_loss()`` in a layer, checked through ``model.losses``.
2. Count the dead units (medium): a metric held by a layer (what replaced ``add_metric``).
3. A penalty that ignores the batch size (thought-provoking): equal to Keras'
   ``ActivityRegularization`` at any batch size, so the loss ``evaluate()`` shows no longer
   depends on it.
"""

from __future__ import annotations

import math

from kitlib.exercises import Incorrect, Wrong, describe, exercise, expect, guarded


def _context():
    import keras
    import numpy as np
    from keras import layers, ops
    return {"keras": keras, "np": np, "layers": layers, "ops": ops}  # imported by the notebook above


def _close(a, b, rtol=1e-5, atol=1e-7) -> bool:
    return math.isclose(float(a), float(b), rel_tol=rtol, abs_tol=atol)


def _layer_class(value, name: str):
    import keras
    if not (isinstance(value, type) and issubclass(value, keras.layers.Layer)):
        raise Incorrect(f"`{name}` should be a class that subclasses `keras.layers.Layer` "
                        f"(`class {name}(layers.Layer): ...`), but it is {describe(value)}.")
    return value


def _run_keras(action, name: str):
    """Run *action* (building, calling or evaluating a model with the learner's layer); turn
    errors into NotAttempted (a ___ was used) or Incorrect with a hint for the usual causes."""
    known = (
        (lambda text: "add_metric" in text,
         (f"`{name}` calls `self.add_metric(...)`, which Keras 3 removed (it raises NotImplementedError). "
         f"Create a metric object once in `__init__` (e.g. `keras.metrics.Mean(name=...)`) and call its "
         f"`update_state(...)` in `call()`.")),
        (lambda text: "singleton tf.Variables" in text or "created on the first call" in text,
         (f"`{name}` creates a metric inside `call()`: a metric holds variables, and `call()` runs on every "
         f"batch. Create the metric once, in `__init__`, and only update it in `call()`.")),
        (lambda text: "len is not well defined" in text,
         (f"`{name}` uses `len(inputs)`: inside fit() and evaluate() the batch size is not known when the "
         f"layer is traced (the shape is `(None, ...)`). Use `ops.shape(inputs)[0]` (cast it to float), or "
         f"let `ops.mean` do the dividing, over the batch axis only.")),
        (lambda text: "must have the same dtype" in text or "int32" in text and "float32" in text,
         (f"`{name}` mixes integers and floats: `ops.shape(inputs)[0]` is an integer; cast it first, e.g. "
         f"`ops.cast(ops.shape(inputs)[0], inputs.dtype)`.")),
    )
    return guarded(action, name, known=known, doing=f"Using `{name}` in a model")


def _model_with(layer_fn, *, linear: bool, seed: int = 0):
    """features (8) → Dense(16) → the learner's layer → Dense(3, softmax), compiled, seeded."""
    import keras
    from keras import layers
    init = keras.initializers.GlorotUniform
    inputs = keras.Input(shape=(8,), name="features")
    hidden = layers.Dense(16, activation=None if linear else "relu", name="hidden",
                          kernel_initializer=init(seed=seed), bias_initializer="zeros")(inputs)
    x = layer_fn()(hidden)
    outputs = layers.Dense(3, activation="softmax", name="out", kernel_initializer=init(seed=seed + 1))(x)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.05),
                  loss=keras.losses.SparseCategoricalCrossentropy())
    return model


def _hidden(model, x, relu: bool):
    import numpy as np
    kernel, bias = model.get_layer("hidden").get_weights()
    h = x.astype("float64") @ kernel + bias
    return np.maximum(h, 0) if relu else h


def _added_loss(layer_or_model) -> float:
    losses = list(layer_or_model.losses)
    if not losses:
        raise Incorrect("After a forward pass the layer added no loss (`.losses` is empty): call "
                        "`self.add_loss(penalty)` in `call()`.")
    try:
        return float(sum(float(v) for v in losses))
    except (TypeError, ValueError):
        raise Incorrect(f"The layer added {describe(losses[0])} as a loss: `add_loss` takes one number "
                        f"(a scalar tensor), e.g. `self.rate * ops.sum(...)`.") from None


# --------------------------------------------------------------------------- 1. an L1 penalty

_L1_AS_L2 = """
class L1Penalty(layers.Layer):
    def __init__(self, rate=1e-3, **kwargs):
        super().__init__(**kwargs)
        self.rate = rate

    def call(self, inputs):
        self.add_loss(self.rate * ops.sum(ops.square(inputs)))
        return inputs
"""



@exercise(
    "04.1", "An L1 penalty",
    answers=("L1Penalty",),
    starter='''
class L1Penalty(layers.Layer):
    """Identity layer that adds rate · Σ|inputs| (over the whole batch) to the loss."""

    def __init__(self, rate=1e-3, **kwargs):
        super().__init__(**kwargs)
        self.rate = rate

    def call(self, inputs):
        penalty = ___
        self.add_loss(penalty)
        return inputs
''',
    solution='''
class L1Penalty(layers.Layer):
    """Identity layer that adds rate · Σ|inputs| (over the whole batch) to the loss."""

    def __init__(self, rate=1e-3, **kwargs):
        super().__init__(**kwargs)
        self.rate = rate

    def call(self, inputs):
        penalty = self.rate * ops.sum(ops.abs(inputs))
        self.add_loss(penalty)
        return inputs
''',
    hints=(
        ("Section 1's `ActivityPenalty` adds `rate · Σ x²`; an L1 penalty uses the absolute value instead "
        "of the square."),
        "`keras.ops` has `ops.abs` and `ops.sum`; `ops.sum` without `axis` sums over everything.",
        "`penalty = self.rate * ops.sum(ops.abs(inputs))`.",
    ),
    context=_context,
    wrong=(
        Wrong(_L1_AS_L2, "square"),
        Wrong(_L1_AS_L2.replace("ops.sum(ops.square(inputs))", "ops.sum(inputs)"), "absolute"),
        Wrong(_L1_AS_L2.replace("ops.sum(ops.square(inputs))", "ops.mean(ops.abs(inputs))"), "mean"),
        Wrong(_L1_AS_L2.replace("self.add_loss(self.rate * ops.sum(ops.square(inputs)))",
                                 "penalty = self.rate * ops.sum(ops.abs(inputs))"), "add_loss"),
    ),
    alternatives=(
        _L1_AS_L2.replace("self.rate * ops.sum(ops.square(inputs))", "keras.regularizers.L1(self.rate)(inputs)"),
    ),
)
def q1(L1Penalty):
    import numpy as np
    from kitlib.exercises import tiny_data
    cls = _layer_class(L1Penalty, "L1Penalty")
    rate = 0.01
    x, _ = tiny_data(n=16)
    model = _run_keras(lambda: _model_with(lambda: cls(rate=rate), linear=True), "L1Penalty")
    outputs = _run_keras(lambda: model(x), "L1Penalty")
    penalty = _added_loss(model)
    h = _hidden(model, x, relu=False)
    expected = rate * np.sum(np.abs(h))
    expect(tuple(np.shape(outputs)) == (16, 3),
           "`call()` should return its inputs unchanged (the layer only adds a loss).")
    if _close(penalty, expected, rtol=1e-4):
        pass
    elif _close(penalty, rate * np.sum(h ** 2), rtol=1e-4):
        raise Incorrect(f"On a known batch your layer adds {penalty:.5f} = rate · Σ x²: that is the L2 "
                        f"(squared) penalty. L1 uses the absolute values: {expected:.5f}.")
    elif _close(penalty, rate * np.sum(h), rtol=1e-4, atol=1e-6):
        raise Incorrect(f"On a known batch your layer adds {penalty:.5f} = rate · Σ x. The hidden values "
                        f"here are partly negative, so they cancel: take the absolute value first "
                        f"({expected:.5f}).")
    elif _close(penalty, rate * np.mean(np.abs(h)), rtol=1e-4):
        raise Incorrect(f"On a known batch your layer adds {penalty:.5f} = rate · mean|x|: the mean "
                        f"divides by the number of values. The task is the sum over the batch "
                        f"({expected:.5f}).")
    else:
        raise Incorrect(f"On a known batch of 16 samples your layer adds {penalty:.5f}, but rate · Σ|x| "
                        f"is {expected:.5f}.")
    return (f"`model.losses` holds rate · Σ|h| = {expected:.4f} on the known batch, as NumPy computes it "
            f"from the hidden layer's weights. fit() adds it to the compiled loss on every batch.")


# --------------------------------------------------------------------------- 2. count the dead units


@exercise(
    "04.2", "Count the dead units",
    answers=("DeadFraction",),
    starter='''
class DeadFraction(layers.Layer):
    """Identity layer for after a ReLU layer: reports the fraction of its inputs that are 0
    as a metric named "dead_fraction"."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.dead_fraction = ___   # a metric object, created once

    def call(self, inputs):
        self.dead_fraction.update_state(___)
        return inputs
''',
    solution='''
class DeadFraction(layers.Layer):
    """Identity layer for after a ReLU layer: reports the fraction of its inputs that are 0
    as a metric named "dead_fraction"."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.dead_fraction = keras.metrics.Mean(name="dead_fraction")

    def call(self, inputs):
        self.dead_fraction.update_state(ops.cast(ops.equal(inputs, 0.0), "float32"))
        return inputs
''',
    hints=(
        ("Section 2's `ActivationMonitor` is the pattern: a metric object made in `__init__`, updated in "
        "`call()`. Which metric averages what you give it?"),
        ("`keras.metrics.Mean(name=\"dead_fraction\")` averages every value it receives. Give it 1.0 where "
        "an input is 0 and 0.0 elsewhere: the average is the fraction of zeros."),
        "`ops.cast(ops.equal(inputs, 0.0), \"float32\")` (or `inputs <= 0`) is that 0/1 tensor.",
    ),
    context=_context,
    wrong=(
        Wrong('''
class DeadFraction(layers.Layer):
    def call(self, inputs):
        self.add_metric(ops.mean(ops.cast(inputs <= 0, "float32")), name="dead_fraction")
        return inputs
''', "add_metric"),
        Wrong('''
class DeadFraction(layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.dead_fraction = keras.metrics.Mean(name="dead_fraction")

    def call(self, inputs):
        self.dead_fraction.update_state(inputs)
        return inputs
''', "mean activation"),
        Wrong('''
class DeadFraction(layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.dead_fraction = keras.metrics.Mean(name="dead_fraction")

    def call(self, inputs):
        self.dead_fraction.update_state(ops.cast(inputs > 0, "float32"))
        return inputs
''', "alive"),
        Wrong('''
class DeadFraction(layers.Layer):
    def call(self, inputs):
        metric = keras.metrics.Mean(name="dead_fraction")
        metric.update_state(ops.cast(inputs <= 0, "float32"))
        return inputs
''', "__init__"),
        Wrong('''
class DeadFraction(layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.dead = keras.metrics.Mean()

    def call(self, inputs):
        self.dead.update_state(ops.cast(inputs <= 0, "float32"))
        return inputs
''', "name"),
    ),
    alternatives=('''
class DeadFraction(layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.metric = keras.metrics.Mean(name="dead_fraction")

    def call(self, inputs):
        self.metric.update_state(ops.where(inputs <= 0, 1.0, 0.0))
        return inputs
''',),
)
def q2(DeadFraction):
    import numpy as np
    from kitlib.exercises import tiny_data
    cls = _layer_class(DeadFraction, "DeadFraction")
    x, y = tiny_data(n=48)
    x_val, y_val = tiny_data(n=32, seed=1)
    model = _run_keras(lambda: _model_with(lambda: cls(name="monitor"), linear=False), "DeadFraction")
    logs = _run_keras(lambda: model.evaluate(x, y, batch_size=16, verbose=0, return_dict=True), "DeadFraction")
    h = _hidden(model, x, relu=True)
    expected = float(np.mean(h == 0))
    if "dead_fraction" not in logs:
        found = sorted(k for k in logs if k != "loss")
        if found:
            raise Incorrect(f"evaluate() reports {sorted(logs)}: a metric with the name `dead_fraction` is "
                            f"missing. Metrics appear under their `name=`: create it as "
                            f"`keras.metrics.Mean(name=\"dead_fraction\")`.")
        raise Incorrect(f"evaluate() reports only {sorted(logs)}: no metric of the layer shows up. Keep the "
                        f"metric object as an attribute of the layer (`self.dead_fraction = ...` in "
                        f"`__init__`), name it \"dead_fraction\", and update it in `call()`.")
    value = logs["dead_fraction"]
    if not _close(value, expected, rtol=1e-5):
        if _close(value, np.mean(h), rtol=1e-4):
            raise Incorrect(f"Your metric reports {value:.4f}, the mean activation (the average of the values "
                            f"themselves). The fraction of zeros on this data is {expected:.4f}: average a "
                            f"1.0 for each zero and 0.0 for each positive value.")
        if _close(value, 1 - expected, rtol=1e-5):
            raise Incorrect(f"Your metric reports {value:.4f}, the fraction of *alive* units (values > 0); "
                            f"the dead ones are the zeros: {expected:.4f}.")
        raise Incorrect(f"On 48 samples (16 hidden ReLU units each) {expected:.4f} of the values are 0, but "
                        f"evaluate() reports dead_fraction = {value:.4f}.")
    again = _run_keras(lambda: model.evaluate(x, y, batch_size=16, verbose=0, return_dict=True), "DeadFraction")
    expect(_close(again["dead_fraction"], expected, rtol=1e-5),
           f"A second evaluate() on the same data reports dead_fraction = {again['dead_fraction']:.4f} instead "
           f"of {expected:.4f}: the metric's state is not reset between runs. A `keras.metrics` object "
           f"held by the layer is reset by Keras at the start of every epoch and evaluation.")
    history = _run_keras(lambda: model.fit(x, y, batch_size=16, epochs=1, validation_data=(x_val, y_val),
                                           verbose=0).history, "DeadFraction")
    expect("dead_fraction" in history and "val_dead_fraction" in history,
           f"fit() logged {sorted(history)}; `dead_fraction` and `val_dead_fraction` should be there.")
    h_val = _hidden(model, x_val, relu=True)
    expect(_close(history["val_dead_fraction"][-1], np.mean(h_val == 0), rtol=1e-5),
           f"After fit(), val_dead_fraction is {history['val_dead_fraction'][-1]:.4f}, but "
           f"{np.mean(h_val == 0):.4f} of the validation activations are 0.")
    return (f"dead_fraction = {expected:.4f} on the known batch, equal to NumPy's count of zeros; fit() logs "
            f"it with a `val_dead_fraction` twin, and every epoch and evaluation starts from a reset. "
            f"On a real model, a value that keeps rising during training is a warning sign: those ReLU "
            f"units no longer learn.")


# --------------------------------------------------------------------------- 3. a penalty that ignores the batch size

_L2_SUM = """
class L2PerSample(layers.Layer):
    def __init__(self, rate=1e-3, **kwargs):
        super().__init__(**kwargs)
        self.rate = rate

    def call(self, inputs):
        self.add_loss(self.rate * ops.sum(ops.square(inputs)))
        return inputs
"""



@exercise(
    "04.3", "A penalty that ignores the batch size",
    answers=("L2PerSample",),
    starter='''
class L2PerSample(layers.Layer):
    """Identity layer that adds an L2 activity penalty whose size does not depend on how
    many samples a batch holds."""

    def __init__(self, rate=1e-3, **kwargs):
        super().__init__(**kwargs)
        self.rate = rate

    def call(self, inputs):
        penalty = ___
        self.add_loss(penalty)
        return inputs
''',
    solution='''
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
''',
    hints=(
        ("Section 1's penalty is rate · Σx² over the whole batch: twice the samples, twice the penalty. "
        "What do you divide by so that it stops growing with the batch?"),
        ("Divide by the number of samples in *this* batch, which fit() only knows when it runs (the last "
        "batch is often smaller): sum per sample, then average over the batch."),
        ("`ops.sum(ops.square(inputs), axis=-1)` is one value per sample; `ops.mean(...)` of that "
        "averages over the batch."),
    ),
    context=_context,
    wrong=(
        Wrong(_L2_SUM, "grows with the batch"),
        Wrong(_L2_SUM.replace("ops.sum(ops.square(inputs))", "ops.sum(ops.square(inputs)) / 64"), "batch size"),
        Wrong(_L2_SUM.replace("ops.sum(ops.square(inputs))", "ops.mean(ops.square(inputs))"), "units"),
        Wrong(_L2_SUM.replace("ops.sum(ops.square(inputs))", "ops.sum(ops.square(inputs)) / len(inputs)"),
              "len(inputs)"),
    ),
    alternatives=(
        _L2_SUM.replace("ops.sum(ops.square(inputs))",
                       "ops.sum(ops.square(inputs)) / ops.cast(ops.shape(inputs)[0], inputs.dtype)"),
        _L2_SUM.replace("self.rate * ops.sum(ops.square(inputs))",
                       "keras.regularizers.L2(self.rate)(inputs) / ops.cast(ops.shape(inputs)[0], \"float32\")"),
    ),
)
def q3(L2PerSample):
    import keras
    import numpy as np
    from kitlib.exercises import tiny_data
    cls = _layer_class(L2PerSample, "L2PerSample")
    rate = 0.01
    x, _ = tiny_data(n=64, input_dim=16)
    got, builtin = {}, {}
    for batch in (8, 64):
        data = x[:batch]
        layer = _run_keras(lambda: cls(rate=rate), "L2PerSample")
        _run_keras(lambda: layer(data), "L2PerSample")
        got[batch] = _added_loss(layer)
        reference = keras.layers.ActivityRegularization(l2=rate)
        reference(data)
        builtin[batch] = float(reference.losses[0])
    for batch in (8, 64):
        data = x[:batch].astype("float64")
        if _close(got[batch], builtin[batch], rtol=1e-4):
            continue
        if _close(got[batch], rate * np.sum(data ** 2), rtol=1e-4):
            raise Incorrect(f"On a batch of {batch} samples your layer adds {got[batch]:.4f} = rate · Σx² over "
                            f"the whole batch: it grows with the batch (ActivityRegularization gives "
                            f"{builtin[batch]:.4f}, the same per-sample amount at any batch size).")
        if _close(got[batch], rate * np.mean(data ** 2), rtol=1e-4):
            raise Incorrect(f"On a batch of {batch} samples your layer adds {got[batch]:.5f}: `ops.mean` of "
                            f"the squares divides by the number of samples *and* the number of units "
                            f"({data.shape[1]}). Divide by the batch size only: sum over the units, "
                            f"average over the samples ({builtin[batch]:.5f}).")
        other = 64 if batch == 8 else 8
        if _close(got[other], builtin[other], rtol=1e-4):
            raise Incorrect(f"Right at {other} samples per batch, wrong at {batch} ({got[batch]:.4f} instead of "
                            f"{builtin[batch]:.4f}): the batch size is fixed in your code. Use the size of "
                            f"the batch that arrives (the last batch of an epoch is often smaller).")
        raise Incorrect(f"On a batch of {batch} samples your layer adds {got[batch]:.5f}, but "
                        f"ActivityRegularization(l2=rate) adds {builtin[batch]:.5f}.")
    model = _run_keras(lambda: _model_with(lambda: cls(rate=rate), linear=True), "L2PerSample")
    x8, y8 = tiny_data(n=64)
    loss_8 = _run_keras(lambda: model.evaluate(x8, y8, batch_size=8, verbose=0, return_dict=True)["loss"],
                        "L2PerSample")
    loss_64 = _run_keras(lambda: model.evaluate(x8, y8, batch_size=64, verbose=0, return_dict=True)["loss"],
                         "L2PerSample")
    expect(_close(loss_8, loss_64, rtol=1e-5),
           f"In a model, evaluate() reports loss {loss_8:.5f} in batches of 8 and {loss_64:.5f} in one batch "
           f"of 64: the penalty still depends on the batch size.")
    return (f"Your penalty equals `ActivityRegularization(l2={rate})` at 8 and at 64 samples per batch, and "
            f"evaluate() now reports the same loss ({loss_8:.4f}) in batches of 8 or 64. A rate tuned at one "
            f"batch size now means the same at another, and a smaller last batch is not penalised less.")
