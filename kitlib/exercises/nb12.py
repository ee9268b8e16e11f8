"""Exercises for notebook 12 · TensorBoard (``from kitlib.exercises import ___, nb12 as ex``).

1. The best epoch, from the logs (easy): runs, tags and steps of ``read_scalars``.
2. Which epoch curves survive? (medium): the integer ``update_freq`` pitfall as a rule.
3. Log your own scalar (thought-provoking): ``tf.summary`` in a callback, read back with ``read_scalars``.
"""

from __future__ import annotations

import math

from kitlib.exercises import Incorrect, call, describe, exercise, expect, expect_type, variant


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


def _series(values, steps=None):
    import numpy as np

    from kitlib.tb import Series
    steps = list(range(len(values))) if steps is None else steps
    return Series(np.array(steps, dtype=np.int64), np.array(values, dtype=np.float64))


def _built_logs():
    """Logs where every wrong reading gives another epoch: the train run and the accuracy tag
    are lowest elsewhere, the best epoch is neither the first nor the last, and in the second
    the epoch tags miss some epochs (steps 1, 3, 5, ... as with an integer update_freq)."""
    def run(val_loss, train_loss, steps=None):
        acc = [1 - v for v in val_loss]
        return {"train": {"epoch_loss": _series(train_loss, steps),
                          "epoch_sparse_categorical_accuracy": _series([1 - v for v in train_loss], steps)},
                "validation": {"epoch_loss": _series(val_loss, steps),
                               "epoch_sparse_categorical_accuracy": _series(acc, steps)}}
    return (run([0.50, 0.38, 0.42, 0.40, 0.45, 0.47], [0.60, 0.40, 0.30, 0.25, 0.20, 0.18]),
            run([0.70, 0.55, 0.60, 0.65], [0.90, 0.70, 0.50, 0.40], steps=[1, 3, 5, 7]),
            run([0.30, 0.35, 0.41, 0.44, 0.52], [0.62, 0.31, 0.24, 0.19, 0.15]))


_BEST_SOLUTION = '''
def best_epoch(logs):
    """The epoch, as fit() prints it (from 1), with the lowest validation loss in `logs`
    (what read_scalars returns: {run: {tag: (steps, values)}})."""
    steps, values = logs["validation"]["epoch_loss"]
    return int(steps[np.argmin(values)]) + 1  # TensorBoard's step counts epochs from 0
'''


@exercise(
    "12.1", "The best epoch, from the logs",
    answers=("best_epoch",),
    starter=variant(_BEST_SOLUTION, ('''    steps, values = logs["validation"]["epoch_loss"]
    return int(steps[np.argmin(values)]) + 1  # TensorBoard's step counts epochs from 0''', "    return ___")),
    solution=_BEST_SOLUTION,
    hints=(
        ("`logs` is `{run: {tag: (steps, values)}}`. Which run holds the validation numbers, and under "
        "which tag is the loss per epoch?"),
        ("`logs[\"validation\"][\"epoch_loss\"]` unpacks into `steps, values`; `np.argmin(values)` is the "
        "position of the lowest value, `steps[...]` the step logged there."),
        ("TensorBoard's step for an `epoch_*` tag is the epoch counted from 0; fit() prints `Epoch 1/...` "
        "for step 0."),
    ),
    context=_logs_context,
    varies="the logs: the notebook's, then three built ones where the train run and the accuracy tag peak "
           "elsewhere\nthe best epoch first, in the middle, and logged at steps 1, 3, 5, 7 (epochs missing)",
    exempt={"graph": "the answer reads NumPy arrays in Python; nothing of it runs inside fit()"},
)
def q1(best_epoch, logs):
    """Calls `best_epoch(logs)` on the notebook's logs (expected value computed first, from a copy)
    and on three built logs where train and validation, loss and accuracy, positions and steps
    all point to different epochs; refuses a function that changes the logs it is given."""
    import numpy as np

    from kitlib.exercises import Kept
    try:
        steps, values = logs["validation"]["epoch_loss"]
        best = int(np.asarray(steps)[np.argmin(values)]) + 1
    except (KeyError, TypeError, ValueError, IndexError):
        raise Incorrect(f"`logs` should be what `kitlib.tb.read_scalars(log_dir)` returned in section 2, but it "
                        f"is {describe(logs)}: run that cell again.") from None
    for number, data in enumerate((logs, *_built_logs())):
        steps, values = (np.asarray(a) for a in data["validation"]["epoch_loss"])
        want = int(steps[np.argmin(values)]) + 1
        kept = Kept(data, "logs")
        got = call(best_epoch, data, name="best_epoch")
        kept.expect_unchanged(by="`best_epoch(logs)`", fix="read from `logs` (`logs[\"validation\"]`), never "
                              "`pop` or sort what it holds: the notebook uses the same logs again.")
        expect_type(got, int, "best_epoch(logs)", "a whole number (the epoch as fit() prints it: 1, 2, ...)")
        got = int(got)
        if got == want:
            continue
        where = "this notebook's logs" if number == 0 else f"logs whose validation loss is {values.tolist()} at steps {steps.tolist()}"
        if got == want - 1:
            raise Incorrect(f"For {where} you return {got}: TensorBoard's step, which counts epochs from 0; fit() "
                            f"prints that epoch as `Epoch {want}/...`: add 1.")
        train_steps, train = (np.asarray(a) for a in data["train"]["epoch_loss"])
        if got in (int(train_steps[np.argmin(train)]), int(train_steps[np.argmin(train)]) + 1):
            raise Incorrect(f"For {where} you return epoch {got}, which has the lowest loss of the `train` run. The "
                            f"validation numbers are in the `validation` run, under the same tag `epoch_loss`.")
        if got == int(np.argmin(values)) + 1:
            raise Incorrect(f"For {where} you return {got}, the *position* of the lowest value plus 1; the epoch is "
                            f"the step logged at that position, `steps[np.argmin(values)]` (when some epochs "
                            f"were not written, positions and steps differ).")
        if number > 0 and got == best:
            raise Incorrect(f"For {where} you return {got}, the answer for the notebook's own logs: compute the "
                            f"epoch from the `logs` your function is given.")
        raise Incorrect(f"For {where} you return {got}; the lowest `epoch_loss` of the `validation` run is at "
                        f"epoch {want}.")
    return (f"Epoch {best}: the lowest `epoch_loss` of the `validation` run (TensorBoard step {best - 1}). "
            f"The same number is `history.history['val_loss']`, but the event files outlive the kernel.")


# --------------------------------------------------------------------------- 2. which curves survive


def logged_epochs_rule(steps_per_epoch: int, epochs: int, update_freq: int) -> list[int]:
    """Keras 3.15's TensorBoard callback with an integer ``update_freq``: the epochs (from 0) whose
    ``epoch_*`` summaries are written (the global batch count at the epoch's end is a multiple
    of ``update_freq``). Verified against the callback in tests/unit/test_exercise_facts_10_13.py."""
    return [e for e in range(epochs) if (e + 1) * steps_per_epoch % update_freq == 0]


CASES_12_2 = ((782, 3, 46), (4, 7, 6), (10, 6, 4), (782, 5, 50), (100, 4, 1), (6, 5, 6))


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
    varies="steps_per_epoch, epochs and update_freq over six runs: update_freq dividing the batches per epoch, "
           "larger than it with and without a common multiple, 1, and never hit",
    exempt={"mutates": "the arguments are three integers; nothing mutable is passed",
            "graph": "a rule in plain Python; nothing of it runs inside fit()"},
)
def q2(logged_epochs):
    """Compares the returned epochs with the TensorBoard callback's rule (an epoch is written when
    the global batch count at its end is a multiple of update_freq) on six runs, and names the
    rule followed instead (epoch numbers, the epoch's start, all-or-nothing, too few epochs)."""
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
        if set(values) < set(expected):
            raise Incorrect(f"For {case} you return {values}, Keras writes {expected}: you leave out epochs "
                            f"{sorted(set(expected) - set(values))}. Go through all `epochs` epochs.")
        raise Incorrect(f"For {case} you return {values}; Keras writes the epoch curves for epochs {expected}.")
    return ("Right for all six runs. Only an update_freq that divides the batches per epoch keeps every "
            "epoch curve; with 782 batches and update_freq=50 not a single epoch is written in 5 epochs.")


# --------------------------------------------------------------------------- 3. log your own scalar


def _small_model(hidden=(8,), classes=3):
    """A tiny classifier like the notebook's (output layer named "predictions"), seeded."""
    import keras
    init = keras.initializers.GlorotUniform
    inputs = keras.Input(shape=(8,), name="digits")
    x = inputs
    for i, units in enumerate(hidden):
        x = keras.layers.Dense(units, activation="relu", name=f"dense_{i + 1}", kernel_initializer=init(seed=i))(x)
    outputs = keras.layers.Dense(classes, activation="softmax", name="predictions",
                                 kernel_initializer=init(seed=len(hidden)))(x)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer=keras.optimizers.RMSprop(learning_rate=0.05), loss="sparse_categorical_crossentropy",
                  run_eagerly=True)
    return model


#: (hidden layers, classes, samples, epochs): 2 epochs of 2 batches of 8, then 3 epochs of 1 batch
#: with a deeper model whose output kernel has another shape (layers[2] is not the output there)
RUNS_12_3 = (((8,), 3, 16, 2), ((6, 5), 4, 8, 3))


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
    varies="the model (1 or 2 hidden layers, output kernels 8x3 and 5x4), the epochs (2, 3) and the batches per "
           "epoch (2, 1), so the epoch, the layer index and the optimizer's step all differ",
    exempt={"graph": "a callback's on_epoch_end runs in Python between fit()'s steps, never inside its tf.function"},
)
def q3(KernelNorm):
    """Trains two tiny models with the learner's callback (a fresh log folder each), then reads the
    event files back with read_scalars: one `kernel_norm` per epoch, at steps 0, 1, ..., equal to
    the output layer's kernel norm at each epoch's end; refuses a callback that changes the weights."""
    import tempfile

    import keras
    import numpy as np

    from kitlib import tb
    from kitlib.exercises import tiny_data

    cls = KernelNorm
    expect(isinstance(cls, type) and issubclass(cls, keras.callbacks.Callback),
           f"`KernelNorm` should be a class derived from `keras.callbacks.Callback`, but it is {describe(cls)}.")

    class Norms(keras.callbacks.Callback):  # one before the learner's callback, one after
        def __init__(self):
            super().__init__()
            self.records = []

        def on_epoch_end(self, epoch, logs=None):
            self.records.append({layer.name: float(np.linalg.norm(layer.get_weights()[0]))
                                 for layer in self.model.layers if layer.get_weights()})

    for by_hand, (hidden, classes, samples, epochs) in enumerate(RUNS_12_3):
        before, truth = Norms(), Norms()
        x, y = tiny_data(samples, num_classes=classes)  # batches of 8
        per_epoch = samples // 8
        case = f"a model with {len(hidden)} hidden layer(s), trained {epochs} epochs of {per_epoch} batches"
        with tempfile.TemporaryDirectory(prefix="kitlib-ex12-") as tmp:
            callback = call(cls, tmp, name="KernelNorm")
            expect(isinstance(callback, keras.callbacks.Callback), "`KernelNorm(log_dir)` is not a Callback.")
            model = _small_model(hidden, classes)
            try:
                if by_hand:  # fit()'s epoch hooks, with new weights and the step counter set before each
                    _drive_epochs(model, [before, callback, truth], epochs, per_epoch)
                else:
                    call(model.fit, x, y, batch_size=8, epochs=epochs, verbose=0, callbacks=[before, callback, truth],
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
        if before.records != truth.records:
            raise Incorrect(f"Training {case}, your callback changed the weights: the output kernel's norm was "
                            f"{[round(r['predictions'], 5) for r in before.records]} before it ran and "
                            f"{[round(r['predictions'], 5) for r in truth.records]} after. Only read the kernel: "
                            f"a callback that logs must not change what it logs.")
        steps, values = found
        expect(len(steps) == epochs, f"After training {case}, the log holds {len(steps)} kernel_norm values; "
                                     f"expected one per epoch.")
        if steps.tolist() != list(range(epochs)):
            if steps.tolist() == [per_epoch * (e + 1) for e in range(epochs)]:
                raise Incorrect(f"Your values are logged at steps {steps.tolist()}: the optimizer's update count. The "
                                f"task asks for the epoch as the step (0, 1, ...), as Keras' own epoch_* tags use.")
            raise Incorrect(f"Your values are logged at steps {steps.tolist()}; expected the epochs, "
                            f"{list(range(epochs))}.")
        expected = [h["predictions"] for h in truth.records]
        if not all(math.isclose(a, b, rel_tol=1e-5) for a, b in zip(values, expected)):
            for name in truth.records[-1]:
                if name != "predictions" and all(math.isclose(a, h[name], rel_tol=1e-5)
                                                 for a, h in zip(values, truth.records)):
                    raise Incorrect(f"Training {case}, the values are the norms of layer `{name}`; the output "
                                    f"layer is the last one, `self.model.layers[-1]`.")
            raise Incorrect(f"kernel_norm was logged as {[round(float(v), 5) for v in values]}, but the output "
                            f"layer's kernel had norms {[round(v, 5) for v in expected]} at the end of each epoch.")
    return ("`kernel_norm` is in the event files, one value per epoch, equal to the output kernel's norm. In "
            "TensorBoard it would show as its own chart next to epoch_loss (its run is the folder you gave).")


def _drive_epochs(model, callbacks, epochs: int, per_epoch: int) -> None:
    """Call the hooks fit() calls for *epochs* epochs (quicker than fit()): before each epoch's end
    the model gets new seeded weights and the optimizer's step counter its value after the epoch."""
    import numpy as np

    from kitlib.exercises import attach_callback
    rng = np.random.default_rng(12)
    for callback in callbacks:
        attach_callback(callback, model, epochs=epochs, steps=per_epoch, name="KernelNorm")
    for callback in callbacks:
        call(callback.on_train_begin, {}, name="on_train_begin")
    for epoch in range(epochs):
        for callback in callbacks:
            call(callback.on_epoch_begin, epoch, {}, name="on_epoch_begin")
        model.set_weights([rng.normal(size=w.shape).astype(w.dtype) for w in model.get_weights()])
        model.optimizer.iterations.assign((epoch + 1) * per_epoch)
        for callback in callbacks:
            call(callback.on_epoch_end, epoch, {"loss": 1.0}, name="on_epoch_end")
    for callback in callbacks:
        call(callback.on_train_end, {}, name="on_train_end")


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
