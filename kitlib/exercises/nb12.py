"""Exercises for notebook 12 · TensorBoard (``from kitlib.exercises import ___, nb12 as ex``).

1. The best epoch, from the logs (easy): runs, tags and steps of ``read_scalars``.
2. Which epoch curves survive? (medium): the integer ``update_freq`` pitfall as a rule.
3. Log your own scalar (thought-provoking): ``tf.summary`` in a callback, read back with ``read_scalars``.
"""

from __future__ import annotations

import math

from kitlib.exercises import Incorrect, Wrong, call, describe, exercise, expect, expect_type


def _logs_context():
    import numpy as np

    from kitlib.tb import Series

    def series(values, steps=None):
        steps = list(range(len(values))) if steps is None else steps
        return Series(np.array(steps, dtype=np.int64), np.array(values, dtype=np.float64))

    logs = {
        "train": {"epoch_loss": series([0.62, 0.31, 0.24, 0.19, 0.15]),
                  "epoch_sparse_categorical_accuracy": series([0.82, 0.91, 0.93, 0.94, 0.95]),
                  "batch_loss": series([0.9, 0.3, 0.22, 0.17, 0.14], [46, 828, 1610, 2392, 3174])},
        "validation": {"epoch_loss": series([0.35, 0.27, 0.25, 0.26, 0.28]),
                       "epoch_sparse_categorical_accuracy": series([0.90, 0.92, 0.93, 0.93, 0.92])},
    }
    import keras
    import tensorflow as tf
    return {"logs": logs, "np": np, "keras": keras, "tf": tf}


# --------------------------------------------------------------------------- 1. the best epoch


@exercise(
    "12.1", "The best epoch, from the logs",
    answers=("best_epoch",),
    starter="""
best_epoch = ___  # the epoch, as fit() prints it (from 1), with the lowest validation loss in `logs`
""",
    solution="""
steps, values = logs["validation"]["epoch_loss"]
best_epoch = int(steps[np.argmin(values)]) + 1
""",
    hints=(
        ("`logs` is `{run: {tag: (steps, values)}}`. Which run holds the validation numbers, and under "
        "which tag is the loss per epoch?"),
        ("`logs[\"validation\"][\"epoch_loss\"]` unpacks into `steps, values`; `np.argmin(values)` is the "
        "position of the lowest value."),
        ("TensorBoard's step for an `epoch_*` tag is the epoch counted from 0; fit() prints `Epoch 1/...` "
        "for step 0."),
    ),
    context=_logs_context,
    wrong=(
        Wrong('steps, values = logs["train"]["epoch_loss"]\n'
              'best_epoch = int(steps[np.argmin(values)]) + 1', "train"),
        Wrong('steps, values = logs["validation"]["epoch_loss"]\n'
              'best_epoch = int(steps[np.argmin(values)])', "from 0"),
        Wrong('best_epoch = float(np.argmin(logs["validation"]["epoch_loss"].values) + 1)', "whole number"),
    ),
    alternatives=(
        ('series = logs["validation"]["epoch_loss"]\n'
        'best_epoch = int(series.steps[series.values.argmin()]) + 1'),
    ),
)
def q1(best_epoch, logs):
    import numpy as np
    try:
        steps, values = logs["validation"]["epoch_loss"]
    except (KeyError, TypeError, ValueError):
        raise Incorrect(f"`logs` should be what `kitlib.tb.read_scalars(log_dir)` returned in section 2, but it "
                        f"is {describe(logs)}: run that cell again.") from None
    steps, values = np.asarray(steps), np.asarray(values)
    best = int(steps[np.argmin(values)]) + 1
    expect_type(best_epoch, int, "best_epoch", "a whole number (the epoch as fit() prints it: 1, 2, ...)")
    got = int(best_epoch)
    if got == best:
        return (f"Epoch {best}: the lowest `epoch_loss` of the `validation` run (TensorBoard step {best - 1}). "
                f"The same number is `history.history['val_loss']`, but the event files outlive the kernel.")
    if got == best - 1:
        raise Incorrect(f"{got} is TensorBoard's step, which counts epochs from 0; fit() prints that epoch as "
                        f"`Epoch {best}/...`: add 1.")
    train = logs.get("train", {}).get("epoch_loss")
    train_best = None if train is None else int(np.asarray(train[0])[np.argmin(train[1])])
    if train_best is not None and got in (train_best, train_best + 1):
        raise Incorrect(f"Epoch {got} has the lowest loss of the `train` run. The validation numbers are in the "
                        f"`validation` run, under the same tag `epoch_loss`.")
    raise Incorrect(f"Epoch {got} is not the one with the lowest `epoch_loss` in the `validation` run.")


# --------------------------------------------------------------------------- 2. which curves survive


def logged_epochs_rule(steps_per_epoch: int, epochs: int, update_freq: int) -> list[int]:
    """Keras 3.15's TensorBoard callback with an integer ``update_freq``: the epochs (from 0) whose
    ``epoch_*`` summaries are written (the global batch count at the epoch's end is a multiple
    of ``update_freq``). Verified against the callback in tests/unit/test_exercise_facts_10_13.py."""
    return [e for e in range(epochs) if (e + 1) * steps_per_epoch % update_freq == 0]


CASES_12_2 = ((782, 3, 46), (32, 3, 12), (10, 6, 4), (782, 5, 50), (100, 4, 1), (6, 5, 6))


@exercise(
    "12.2", "Which epoch curves survive?",
    answers=("logged_epochs",),
    starter='''
def logged_epochs(steps_per_epoch, epochs, update_freq):
    """The epochs (counted from 0) whose epoch_* curves the TensorBoard callback writes
    when fit() runs `epochs` epochs of `steps_per_epoch` batches with an integer update_freq."""
    return ___
''',
    solution='''
def logged_epochs(steps_per_epoch, epochs, update_freq):
    """The epochs (counted from 0) whose epoch_* curves the TensorBoard callback writes
    when fit() runs `epochs` epochs of `steps_per_epoch` batches with an integer update_freq."""
    # written only when the batch counter (which runs on across epochs) is a multiple of update_freq
    return [epoch for epoch in range(epochs) if (epoch + 1) * steps_per_epoch % update_freq == 0]
''',
    hints=(
        ("Section 4: the summaries of an epoch are written only if the batch counter at the end of that "
        "epoch is a multiple of `update_freq`."),
        ("The batch counter does not restart with each epoch: epoch 0 ends at batch `steps_per_epoch`, "
        "epoch 1 at `2 * steps_per_epoch`, ..."),
        "Keep epoch `e` when `(e + 1) * steps_per_epoch % update_freq == 0`.",
    ),
    context=_logs_context,
    wrong=(
        Wrong('def logged_epochs(steps_per_epoch, epochs, update_freq):\n'
              '    return [e for e in range(epochs) if e % update_freq == 0]', "batch counter"),
        Wrong('def logged_epochs(steps_per_epoch, epochs, update_freq):\n'
              '    return [e for e in range(epochs) if e * steps_per_epoch % update_freq == 0]', "end of"),
        Wrong('def logged_epochs(steps_per_epoch, epochs, update_freq):\n'
              '    return list(range(epochs)) if steps_per_epoch % update_freq == 0 else []', "runs on"),
    ),
    alternatives=(
        ('def logged_epochs(steps_per_epoch, epochs, update_freq):\n'
        '    ends = np.arange(1, epochs + 1) * steps_per_epoch\n'
        '    return np.flatnonzero(ends % update_freq == 0).tolist()'),
    ),
)
def q2(logged_epochs):
    import numpy as np
    for steps, epochs, freq in CASES_12_2:
        expected = logged_epochs_rule(steps, epochs, freq)
        got = call(logged_epochs, steps, epochs, freq, name="logged_epochs")
        case = f"{epochs} epochs of {steps} batches with update_freq={freq}"
        if got is None:
            raise Incorrect("`logged_epochs` returned None: did you forget `return`?")
        expect(isinstance(got, (list, tuple, range, np.ndarray)),
               f"`logged_epochs(...)` should return a list of epoch numbers, but it returned {describe(got)}.")
        values = list(got)
        expect(all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in values),
               f"For {case} you return {values}: give the epochs as whole numbers.")
        values = sorted(int(v) for v in values)
        if values == expected:
            continue
        if values == [e for e in range(epochs) if e * steps % freq == 0]:
            raise Incorrect(f"For {case} you return {values}, Keras writes {expected}. Epoch e is written at "
                            f"the end of that epoch, when the counter is (e + 1) × steps_per_epoch.")
        if values == [e for e in range(epochs) if e % freq == 0]:
            raise Incorrect(f"For {case} you return {values}, Keras writes {expected}. The condition is on the "
                            f"batch counter at the epoch's end, not on the epoch number.")
        if values in ([], list(range(epochs))):
            raise Incorrect(f"For {case} you return {values}, Keras writes {expected}. The batch counter runs on "
                            f"across epochs, so some epochs can end on a multiple of update_freq and others not.")
        raise Incorrect(f"For {case} you return {values}; Keras writes the epoch curves for epochs {expected}.")
    return ("Right for all six runs. Only an update_freq that divides the batches per epoch keeps every "
            "epoch curve; with 782 batches and update_freq=50 not a single epoch is written in 5 epochs.")


# --------------------------------------------------------------------------- 3. log your own scalar


def _small_model():
    """A tiny classifier like the notebook's (output layer named "predictions"), seeded."""
    import keras
    init = keras.initializers.GlorotUniform
    inputs = keras.Input(shape=(8,), name="digits")
    x = keras.layers.Dense(8, activation="relu", name="dense_1", kernel_initializer=init(seed=0))(inputs)
    outputs = keras.layers.Dense(3, activation="softmax", name="predictions", kernel_initializer=init(seed=1))(x)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer=keras.optimizers.RMSprop(learning_rate=0.05), loss="sparse_categorical_crossentropy",
                  run_eagerly=True)
    return model


_NORM_SOLUTION = '''
class KernelNorm(keras.callbacks.Callback):
    """After every epoch, writes the norm of the output layer's kernel as the scalar
    "kernel_norm" (step: the epoch, from 0) to event files in `log_dir`."""

    def __init__(self, log_dir):
        super().__init__()
        self.writer = tf.summary.create_file_writer(str(log_dir))

    def on_epoch_end(self, epoch, logs=None):
        norm = float(keras.ops.norm(self.model.layers[-1].kernel))  # the norm of the output layer's kernel
        with self.writer.as_default():  # leaving the block flushes the writer: the value is in the file
            tf.summary.scalar("kernel_norm", norm, step=epoch)
'''
_NORM_WRITE = '''        with self.writer.as_default():  # leaving the block flushes the writer: the value is in the file
            tf.summary.scalar("kernel_norm", norm, step=epoch)
'''


@exercise(
    "12.3", "Log your own scalar",
    answers=("KernelNorm",),
    starter=_NORM_SOLUTION.replace("keras.ops.norm(self.model.layers[-1].kernel)", "___").replace(
        _NORM_WRITE, "        ___                # write it with tf.summary.scalar, so that read_scalars(log_dir) finds it\n"),
    solution=_NORM_SOLUTION,
    hints=(
        "`self.model.layers[-1].kernel` is the output layer's kernel; `keras.ops.norm(...)` its norm.",
        ("`tf.summary.scalar(name, value, step=...)` writes to the *default* writer: wrap it in "
        "`with self.writer.as_default():`. Outside, it writes nothing and returns False, without an error."),
        ("`with self.writer.as_default(): tf.summary.scalar(\"kernel_norm\", norm, step=epoch)`. Leaving the "
        "`with` block flushes the writer, so `read_scalars` sees the value as soon as the epoch ends."),
    ),
    context=_logs_context,
    wrong=(
        Wrong(_NORM_SOLUTION.replace(_NORM_WRITE, '        tf.summary.scalar("kernel_norm", norm, step=epoch)\n'),
              "as_default"),
        Wrong(_NORM_SOLUTION.replace("step=epoch", "step=self.model.optimizer.iterations"), "optimizer"),
        Wrong(_NORM_SOLUTION.replace("self.model.layers[-1]", "self.model.layers[1]"), "output layer"),
        Wrong(_NORM_SOLUTION.replace(", step=epoch", ""), "step"),
    ),
    alternatives=(
        _NORM_SOLUTION.replace(
            "keras.ops.norm(self.model.layers[-1].kernel)",
            'np.linalg.norm(self.model.get_layer("predictions").get_weights()[0])').replace(
            "self.writer.as_default():", "self.writer.as_default(step=epoch):").replace(", step=epoch)", ")")
        + "\n    def on_train_end(self, logs=None):\n        self.writer.close()\n",
    ),
)
def q3(KernelNorm):
    import tempfile

    import keras
    import numpy as np

    from kitlib import tb
    from kitlib.exercises import tiny_data

    cls = KernelNorm
    expect(isinstance(cls, type) and issubclass(cls, keras.callbacks.Callback),
           f"`KernelNorm` should be a class derived from `keras.callbacks.Callback`, but it is {describe(cls)}.")

    class Truth(keras.callbacks.Callback):  # runs after the learner's callback, at the same moment
        def on_train_begin(self, logs=None):
            self.norms = {}

        def on_epoch_end(self, epoch, logs=None):
            self.norms = {layer.name: float(np.linalg.norm(layer.get_weights()[0])) for layer in self.model.layers
                          if layer.get_weights()}
            self.records.append(dict(self.norms))

    truth = Truth()
    truth.records = []
    x, y = tiny_data(16)  # 2 batches of 8 per epoch
    with tempfile.TemporaryDirectory(prefix="kitlib-ex12-") as tmp:
        callback = call(cls, tmp, name="KernelNorm")
        expect(isinstance(callback, keras.callbacks.Callback), "`KernelNorm(log_dir)` is not a Callback.")
        model = _small_model()
        try:
            call(model.fit, x, y, batch_size=8, epochs=2, verbose=0, callbacks=[callback, truth],
                 name="fit (with your KernelNorm)")
        except Incorrect as exc:
            if "No step set" in str(exc):
                raise Incorrect("`tf.summary.scalar` raised \"No step set\": every summary needs a step. Pass "
                                "`step=epoch`.") from None
            raise
        found = _kernel_norm(tb, tmp)
        if found is None:
            raise Incorrect("`read_scalars(log_dir)` finds no `kernel_norm` after training. `tf.summary.scalar` "
                            "writes to the *default* writer only: call it inside "
                            "`with self.writer.as_default():` (outside, it returns False and writes nothing; "
                            "leaving the block also flushes the writer, so the value is in the file at once).")
    steps, values = found
    expect(len(steps) == 2, f"After 2 epochs the log holds {len(steps)} kernel_norm values; expected one per epoch.")
    if steps.tolist() != [0, 1]:
        if steps.tolist() == [2, 4]:
            raise Incorrect(f"Your values are logged at steps {steps.tolist()}: the optimizer's update count. The "
                            f"task asks for the epoch as the step (0, 1, ...), as Keras' own epoch_* tags use.")
        raise Incorrect(f"Your values are logged at steps {steps.tolist()}; expected the epochs, [0, 1].")
    expected = [h["predictions"] for h in truth.records]
    if not all(math.isclose(a, b, rel_tol=1e-5) for a, b in zip(values, expected)):
        for name in truth.records[-1]:
            if name != "predictions" and all(math.isclose(a, h[name], rel_tol=1e-5)
                                             for a, h in zip(values, truth.records)):
                raise Incorrect(f"The values are the norms of layer `{name}`; the output layer is the last one, "
                                f"`self.model.layers[-1]`.")
        raise Incorrect(f"kernel_norm was logged as {[round(float(v), 5) for v in values]}, but the output "
                        f"layer's kernel had norms {[round(v, 5) for v in expected]} at the end of each epoch.")
    return ("`kernel_norm` is in the event files, one value per epoch, equal to the output kernel's norm. In "
            "TensorBoard it would show as its own chart next to epoch_loss (its run is the folder you gave).")


def _kernel_norm(tb, folder):
    """(steps, values) of the tag kernel_norm in any run under *folder*, or None."""
    try:
        logs = tb.read_scalars(folder)
    except FileNotFoundError:
        return None
    for tags in logs.values():
        if "kernel_norm" in tags:
            return tags["kernel_norm"]
    return None
