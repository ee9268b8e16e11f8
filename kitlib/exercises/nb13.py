"""Exercises for notebook 13 · Custom training (``from kitlib.exercises import ___, nb13 as ex``).

1. End of epoch (easy): read metrics, then ``reset_state()`` (Keras 2's ``reset_states()`` is gone).
2. Sample weights in train_step (medium): ``unpack_x_y_sample_weight`` and where the weights go.
3. Clip like the optimizer (thought-provoking): reproduce ``RMSprop(clipnorm=1.0)`` inside ``train_step``.
"""

from __future__ import annotations

import functools
import math

from kitlib.exercises import Incorrect, Wrong, call, describe, exercise, expect, tiny_data, tiny_model


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


@exercise(
    "13.1", "End of epoch",
    answers=("finish_epoch",),
    starter='''
def finish_epoch(metrics):
    """Read each metric's result as a float, then reset the metric for the next epoch.
    Returns {metric name: result}."""
    results = {}
    for metric in metrics:
        results[metric.name] = ___  # this epoch's result, as a float
        ___                         # start the next epoch from zero
    return results
''',
    solution='''
def finish_epoch(metrics):
    """Read each metric's result as a float, then reset the metric for the next epoch.
    Returns {metric name: result}."""
    results = {}
    for metric in metrics:
        results[metric.name] = float(metric.result())  # this epoch's result, as a float
        metric.reset_state()  # start the next epoch from zero
    return results
''',
    hints=(
        "Section 3's loop does this at the end of every epoch.",
        "`metric.result()` gives a tensor; `float(...)` turns it into a number.",
        "The Keras 3 method is `metric.reset_state()` (singular). Read the result *before* resetting.",
    ),
    context=_context,
    wrong=(
        Wrong('def finish_epoch(metrics):\n'
              '    results = {}\n'
              '    for metric in metrics:\n'
              '        results[metric.name] = float(metric.result())\n'
              '        metric.reset_states()\n'
              '    return results', "reset_state()"),
        Wrong('def finish_epoch(metrics):\n'
              '    results = {}\n'
              '    for metric in metrics:\n'
              '        metric.reset_state()\n'
              '        results[metric.name] = float(metric.result())\n'
              '    return results', "before"),
        Wrong('def finish_epoch(metrics):\n'
              '    return {metric.name: float(metric.result()) for metric in metrics}', "reset"),
        Wrong('def finish_epoch(metrics):\n'
              '    results = {}\n'
              '    for metric in metrics:\n'
              '        results[metric.name] = metric.result()\n'
              '        metric.reset_state()\n'
              '    return results', "float"),
    ),
    alternatives=(
        'def finish_epoch(metrics):\n'
        '    results = {m.name: float(m.result()) for m in metrics}\n'
        '    for m in metrics:\n'
        '        m.reset_state()\n'
        '    return results',
    ),
)
def q1(finish_epoch):
    metrics, expected = _filled_metrics()
    try:
        got = call(finish_epoch, list(metrics), name="finish_epoch")
    except Incorrect as exc:
        if "reset_states" in str(exc):
            raise Incorrect("`metric.reset_states()` is the Keras 2 name; Keras 3 metrics have "
                            "`reset_state()` (singular), and the old name raises AttributeError.") from None
        raise
    if got is None:
        raise Incorrect("`finish_epoch` returned None: did you forget `return results`?")
    expect(isinstance(got, dict), f"`finish_epoch(...)` should return a dict, but it returned {describe(got)}.")
    expect(sorted(map(str, got)) == sorted(expected),
           f"The dict's keys are {sorted(map(str, got))}; expected the metrics' names {sorted(expected)}.")
    for name, value in got.items():
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            raise Incorrect(f"`{name}` is {describe(value)}: convert the result with `float(metric.result())` "
                            f"(a tensor would keep the metric's graph alive and prints badly).")
    if all(v == 0.0 for v in got.values()):
        raise Incorrect("Every result is 0.0: the metrics were reset before their results were read. Read "
                        "`result()` first, then `reset_state()`.")
    for name, value in expected.items():
        expect(math.isclose(got[name], value, rel_tol=1e-6),
               f"`{name}` is {got[name]:.4f}; the metric held {value:.4f}.")
    left = {m.name: float(m.result()) for m in metrics}
    expect(all(v == 0.0 for v in left.values()),
           f"After `finish_epoch` the metrics still hold {left}: call `metric.reset_state()` on each, or the "
           f"next epoch's results mix in this epoch's.")
    return (f"Read, then reset: {', '.join(f'{k} {v:.4f}' for k, v in sorted(got.items()))}, and both metrics "
            f"start the next epoch from zero.")


# --------------------------------------------------------------------------- shared by 2 and 3


_METRIC_LOOP = '''
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(loss, sample_weight=tf.shape(x)[0])
            else:
                metric.update_state(y, y_pred, sample_weight=sample_weight)
        return {metric.name: metric.result() for metric in self.metrics}
'''


def _model_of(cls, optimizer=None, weighted: bool = False):
    """The tiny model's graph and weights (seeded) as an instance of *cls*, compiled (eager).
    With *weighted*, also an accuracy in ``weighted_metrics`` (the metrics that use sample weights)."""
    import keras
    base = tiny_model()
    try:
        model = cls(base.inputs, base.outputs)
    except Exception as exc:
        raise Incorrect(f"Building a model of your class raised {type(exc).__name__}: {exc}") from None
    extra = [keras.metrics.SparseCategoricalAccuracy(name="weighted_accuracy")] if weighted else None
    model.compile(optimizer=optimizer or keras.optimizers.RMSprop(learning_rate=0.01),
                  loss=keras.losses.SparseCategoricalCrossentropy(),
                  metrics=[keras.metrics.SparseCategoricalAccuracy()], weighted_metrics=extra, run_eagerly=True)
    return model


def _check_model_class(cls, name):
    import keras
    expect(isinstance(cls, type) and issubclass(cls, keras.Model),
           f"`{name}` should be a class derived from `keras.Model`, but it is {describe(cls)}.")


def _fit(model, x, y, name, **kwargs):
    history = call(model.fit, x, y, batch_size=8, shuffle=False, verbose=0, name=name, **kwargs)
    return history.history


def _r(values, digits: int = 4):
    """Numbers rounded for a message (a list of floats, or whatever it is)."""
    try:
        return [round(float(v), digits) for v in values]
    except (TypeError, ValueError):
        return values


def _rh(history) -> dict:
    return {k: _r(v) for k, v in sorted(history.items())} if isinstance(history, dict) else history


def _max_diff(a, b) -> float:
    return max(float(abs(u - v).max()) for u, v in zip(a, b))


def _history_diff(a, b) -> float:
    return max(abs(u - v) for k in b for u, v in zip(a.get(k, [math.inf]), b[k]))


# --------------------------------------------------------------------------- 2. sample weights


@functools.lru_cache(maxsize=None)
def _weighted_reference(with_weights: bool, epochs: int):
    """History and weights of the built-in train_step on the exercise's data (computed once)."""
    import keras
    x, y, weights = _weighted_data()
    model = _model_of(keras.Model, weighted=True)
    history = model.fit(x, y, batch_size=8, epochs=epochs, shuffle=False, verbose=0,
                        sample_weight=weights if with_weights else None).history
    return history, model.get_weights()


def _weighted_data():
    import numpy as np
    x, y = tiny_data(24)
    return x, y, np.where(y == 0, 4.0, 0.5).astype("float32")  # class 0 counts 8 times as much


@exercise(
    "13.2", "Sample weights in train_step",
    answers=("WeightedModel",),
    starter='''
class WeightedModel(keras.Model):
    def train_step(self, data):
        x, y, sample_weight = ___  # split the batch (sample_weight: None when fit() got no weights)
        with tf.GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self.compute_loss(x=x, y=y, y_pred=y_pred, sample_weight=___)
        gradients = tape.gradient(loss, self.trainable_weights)
        self.optimizer.apply(gradients, self.trainable_weights)
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(loss, sample_weight=tf.shape(x)[0])
            else:
                metric.update_state(y, y_pred, sample_weight=___)
        return {metric.name: metric.result() for metric in self.metrics}
''',
    solution='''
class WeightedModel(keras.Model):
    def train_step(self, data):
        x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
        with tf.GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self.compute_loss(x=x, y=y, y_pred=y_pred, sample_weight=sample_weight)
        gradients = tape.gradient(loss, self.trainable_weights)
        self.optimizer.apply(gradients, self.trainable_weights)
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(loss, sample_weight=tf.shape(x)[0])
            else:
                metric.update_state(y, y_pred, sample_weight=sample_weight)
        return {metric.name: metric.result() for metric in self.metrics}
''',
    hints=(
        "fit() hands `train_step` a tuple: `(x, y)` without weights, `(x, y, sample_weight)` with them.",
        "`keras.utils.unpack_x_y_sample_weight(data)` splits both forms (section 2 uses it).",
        "The weights go to the loss (`compute_loss(..., sample_weight=sample_weight)`) and to the compiled "
        "metrics, which pass them on to `weighted_metrics`; the loss tracker keeps the batch size as its "
        "weight, as fit() does.",
    ),
    context=_context,
    wrong=(
        Wrong('class WeightedModel(keras.Model):\n'
              '    def train_step(self, data):\n'
              '        x, y, sample_weight = data\n'
              '        with tf.GradientTape() as tape:\n'
              '            y_pred = self(x, training=True)\n'
              '            loss = self.compute_loss(x=x, y=y, y_pred=y_pred, sample_weight=sample_weight)\n'
              '        gradients = tape.gradient(loss, self.trainable_weights)\n'
              '        self.optimizer.apply(gradients, self.trainable_weights)' + _METRIC_LOOP,
              "unpack_x_y_sample_weight"),
        Wrong('class WeightedModel(keras.Model):\n'
              '    def train_step(self, data):\n'
              '        x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)\n'
              '        with tf.GradientTape() as tape:\n'
              '            y_pred = self(x, training=True)\n'
              '            loss = self.compute_loss(x=x, y=y, y_pred=y_pred)\n'
              '        gradients = tape.gradient(loss, self.trainable_weights)\n'
              '        self.optimizer.apply(gradients, self.trainable_weights)' + _METRIC_LOOP, "loss"),
        Wrong('class WeightedModel(keras.Model):\n'
              '    def train_step(self, data):\n'
              '        x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)\n'
              '        with tf.GradientTape() as tape:\n'
              '            y_pred = self(x, training=True)\n'
              '            loss = self.compute_loss(x=x, y=y, y_pred=y_pred, sample_weight=sample_weight)\n'
              '        gradients = tape.gradient(loss, self.trainable_weights)\n'
              '        self.optimizer.apply(gradients, self.trainable_weights)\n'
              '        for metric in self.metrics:\n'
              '            if metric.name == "loss":\n'
              '                metric.update_state(loss, sample_weight=tf.shape(x)[0])\n'
              '            else:\n'
              '                metric.update_state(y, y_pred)\n'
              '        return {metric.name: metric.result() for metric in self.metrics}', "metrics"),
    ),
    alternatives=(
        'class WeightedModel(keras.Model):\n'
        '    def train_step(self, data):\n'
        '        if len(data) == 3:\n'
        '            x, y, sample_weight = data\n'
        '        else:\n'
        '            (x, y), sample_weight = data, None\n'
        '        with tf.GradientTape() as tape:\n'
        '            y_pred = self(x, training=True)\n'
        '            loss = self.compute_loss(x=x, y=y, y_pred=y_pred, sample_weight=sample_weight)\n'
        '        self.optimizer.apply(tape.gradient(loss, self.trainable_weights), self.trainable_weights)'
        + _METRIC_LOOP,
    ),
)
def q2(WeightedModel):
    _check_model_class(WeightedModel, "WeightedModel")
    x, y, weights = _weighted_data()
    expected, expected_weights = _weighted_reference(True, 2)
    model = _model_of(WeightedModel, weighted=True)
    got = _fit(model, x, y, "fit(..., sample_weight=...) with your WeightedModel", epochs=2, sample_weight=weights)
    if _history_diff(got, expected) > 1e-6 or _max_diff(model.get_weights(), expected_weights) > 1e-6:
        plain, _ = _weighted_reference(False, 2)
        if abs(got["loss"][0] - plain["loss"][0]) < 1e-6:
            raise Incorrect(f"With sample weights, your model logs loss {_r(got['loss'])} where fit() with the "
                            f"same weights logs {_r(expected['loss'])}: the weights never reached "
                            f"the loss. Pass `sample_weight=sample_weight` to `self.compute_loss`.")
        acc = "weighted_accuracy"
        if _history_diff({"loss": got["loss"]}, {"loss": expected["loss"]}) <= 1e-6:
            raise Incorrect(f"The loss matches fit() with sample weights, but on a model compiled with "
                            f"`weighted_metrics=[...]` its `{acc}` does not ({_r(got.get(acc))} vs {_r(expected[acc])}). "
                            f"Pass the weights to the compiled metrics too "
                            f"(`metric.update_state(y, y_pred, sample_weight=sample_weight)`): Keras hands them "
                            f"to `weighted_metrics` only; the `metrics=` list ignores sample weights.")
        raise Incorrect(f"With sample weights, your model's history {_rh(got)} differs from fit()'s {_rh(expected)}.")
    # And without weights fit() hands train_step a pair (x, y).
    model = _model_of(WeightedModel, weighted=True)
    try:
        got = _fit(model, x, y, "fit(...) without weights, with your WeightedModel", epochs=1)
    except Incorrect as exc:
        if "unpack" in str(exc) or "values" in str(exc):
            raise Incorrect(f"{str(exc).splitlines()[0]}\nWithout sample weights fit() passes `(x, y)`, a pair: "
                            f"`x, y, sample_weight = data` fails. `keras.utils.unpack_x_y_sample_weight(data)` "
                            f"handles both forms.") from None
        raise
    expected, _ = _weighted_reference(False, 1)
    expect(_history_diff(got, expected) <= 1e-6,
           f"Without sample weights your model's history {_rh(got)} differs from fit()'s {_rh(expected)}.")
    return ("Same history and weights as the built-in train_step, with and without sample weights. Note "
            "that Keras weights only the loss and `weighted_metrics`: the `metrics=` list ignores sample "
            "weights. class_weight reaches train_step the same way (fit() turns it into sample weights).")


# --------------------------------------------------------------------------- 3. clip like the optimizer


@functools.lru_cache(maxsize=None)
def _clip_reference(**clip):
    """Weights and history of the built-in train_step with RMSprop(learning_rate=0.01, **clip)."""
    import keras
    x, y = _clip_data()
    model = _model_of(keras.Model, keras.optimizers.RMSprop(learning_rate=0.01, **clip))
    history = model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0).history
    return model.get_weights(), history


def _clip_data():
    x, y = tiny_data(24)
    return x * 20.0, y  # large inputs: the kernels' gradients have norms far above 1 (the biases' below)


@exercise(
    "13.3", "Clip like the optimizer",
    answers=("ClippedModel",),
    starter='''
class ClippedModel(keras.Model):
    def train_step(self, data):
        x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
        with tf.GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self.compute_loss(x=x, y=y, y_pred=y_pred, sample_weight=sample_weight)
        gradients = tape.gradient(loss, self.trainable_weights)
        gradients = ___  # clipped as keras.optimizers.RMSprop(clipnorm=1.0) clips them
        self.optimizer.apply(gradients, self.trainable_weights)
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(loss, sample_weight=tf.shape(x)[0])
            else:
                metric.update_state(y, y_pred, sample_weight=sample_weight)
        return {metric.name: metric.result() for metric in self.metrics}
''',
    solution='''
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
''',
    hints=(
        "`clipnorm` is one of three clipping options of every Keras optimizer, next to `clipvalue` and "
        "`global_clipnorm`. Which of them looks at one gradient tensor at a time?",
        "`clipnorm=1.0` rescales each gradient tensor *separately* so that its norm is at most 1; "
        "`global_clipnorm` would rescale all of them together by one factor.",
        "`tf.clip_by_norm(g, 1.0)` does that to one tensor: `[tf.clip_by_norm(g, 1.0) for g in gradients]`.",
    ),
    context=_context,
    wrong=(
        Wrong(('class ClippedModel(keras.Model):\n'
              '    def train_step(self, data):\n'
              '        x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)\n'
              '        with tf.GradientTape() as tape:\n'
              '            y_pred = self(x, training=True)\n'
              '            loss = self.compute_loss(x=x, y=y, y_pred=y_pred, sample_weight=sample_weight)\n'
              '        gradients = tape.gradient(loss, self.trainable_weights)\n'
              '        gradients, _ = tf.clip_by_global_norm(gradients, 1.0)\n'
              '        self.optimizer.apply(gradients, self.trainable_weights)' + _METRIC_LOOP), "global_clipnorm"),
        Wrong(('class ClippedModel(keras.Model):\n'
              '    def train_step(self, data):\n'
              '        x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)\n'
              '        with tf.GradientTape() as tape:\n'
              '            y_pred = self(x, training=True)\n'
              '            loss = self.compute_loss(x=x, y=y, y_pred=y_pred, sample_weight=sample_weight)\n'
              '        gradients = tape.gradient(loss, self.trainable_weights)\n'
              '        gradients = [tf.clip_by_value(g, -1.0, 1.0) for g in gradients]\n'
              '        self.optimizer.apply(gradients, self.trainable_weights)' + _METRIC_LOOP), "clipvalue"),
        Wrong(('class ClippedModel(keras.Model):\n'
              '    def train_step(self, data):\n'
              '        x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)\n'
              '        with tf.GradientTape() as tape:\n'
              '            y_pred = self(x, training=True)\n'
              '            loss = self.compute_loss(x=x, y=y, y_pred=y_pred, sample_weight=sample_weight)\n'
              '        gradients = tape.gradient(loss, self.trainable_weights)\n'
              '        self.optimizer.apply(gradients, self.trainable_weights)' + _METRIC_LOOP), "not clipped"),
        Wrong(('class ClippedModel(keras.Model):\n'
              '    def train_step(self, data):\n'
              '        x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)\n'
              '        with tf.GradientTape() as tape:\n'
              '            y_pred = self(x, training=True)\n'
              '            loss = self.compute_loss(x=x, y=y, y_pred=y_pred, sample_weight=sample_weight)\n'
              '        gradients = tape.gradient(loss, self.trainable_weights)\n'
              '        gradients = [g / tf.norm(g) for g in gradients]\n'
              '        self.optimizer.apply(gradients, self.trainable_weights)' + _METRIC_LOOP), "at most"),
    ),
    alternatives=(
        ('class ClippedModel(keras.Model):\n'
        '    def train_step(self, data):\n'
        '        x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)\n'
        '        with tf.GradientTape() as tape:\n'
        '            y_pred = self(x, training=True)\n'
        '            loss = self.compute_loss(x=x, y=y, y_pred=y_pred, sample_weight=sample_weight)\n'
        '        gradients = tape.gradient(loss, self.trainable_weights)\n'
        '        clipped = []\n'
        '        for g in gradients:\n'
        '            norm = keras.ops.sqrt(keras.ops.sum(keras.ops.square(g)))\n'
        '            clipped.append(g * 1.0 / keras.ops.maximum(norm, 1.0))\n'
        '        self.optimizer.apply(clipped, self.trainable_weights)' + _METRIC_LOOP),
    ),
)
def q3(ClippedModel):
    _check_model_class(ClippedModel, "ClippedModel")
    x, y = _clip_data()
    expected_weights, expected = _clip_reference(clipnorm=1.0)
    model = _model_of(ClippedModel)
    got = _fit(model, x, y, "fit(...) with your ClippedModel", epochs=2)
    weights = model.get_weights()
    diff = _max_diff(weights, expected_weights)
    if diff <= 1e-6 and _history_diff(got, expected) <= 1e-5:
        return ("Your train_step trains exactly like RMSprop(clipnorm=1.0) (weights within 1e-6). Clipping "
                "in train_step lets you log the norms or clip only some layers; the optimizer's option is "
                "the short form.")
    for option, what in ((dict(global_clipnorm=1.0), "all gradients scaled together by one factor, so that "
                                                     "their *joint* norm is at most 1"),
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
