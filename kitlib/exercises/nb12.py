"""Exercises for notebook 12 · TensorBoard (``from kitlib.exercises import ___, nb12 as ex``).

1. The best epoch, from the logs (easy): runs, tags and steps of ``read_scalars``.
2. Which epoch curves survive? (medium): the integer ``update_freq`` pitfall as a rule.
3. Log your own scalar (thought-provoking): ``tf.summary`` in a callback, read back with ``read_scalars``.
"""

from __future__ import annotations

import math
import tempfile

from kitlib.exercises import (Incorrect, Kept, attach_callback, call, describe, exercise, expect, expect_type,
                              tiny_data)


def _series(values, steps=None):
    import numpy as np

    from kitlib.tb import Series
    steps = list(range(len(values))) if steps is None else steps
    return Series(np.array(steps, dtype=np.int64), np.array(values, dtype=np.float64))


def _logs_context():
    import keras
    import numpy as np
    import tensorflow as tf
    logs = {"train": {"epoch_loss": _series([0.62, 0.31, 0.24, 0.19, 0.15]),
                      "epoch_sparse_categorical_accuracy": _series([0.82, 0.91, 0.93, 0.94, 0.95]),
                      "batch_loss": _series([0.9, 0.3, 0.22, 0.17, 0.14], [46, 828, 1610, 2392, 3174])},
            "validation": {"epoch_loss": _series([0.35, 0.27, 0.25, 0.26, 0.28]),
                           "epoch_sparse_categorical_accuracy": _series([0.90, 0.92, 0.93, 0.93, 0.92])}}
    return {"logs": logs, "np": np, "keras": keras, "tf": tf}


def _built_logs():
    """Logs where each wrong reading gives another epoch: the train run and accuracy tag are lowest elsewhere, the
    best epoch is neither first nor last; in the second, epochs are missing (steps 1, 3, 5, 7: update_freq)."""
    def run(val_loss, train_loss, steps=None):
        return {name: {"epoch_loss": _series(loss, steps),
                       "epoch_sparse_categorical_accuracy": _series([1 - v for v in loss], steps)}
                for name, loss in (("train", train_loss), ("validation", val_loss))}
    return (run([0.50, 0.38, 0.42, 0.40, 0.45, 0.47], [0.60, 0.40, 0.30, 0.25, 0.20, 0.18]),
            run([0.70, 0.55, 0.60, 0.65], [0.90, 0.70, 0.50, 0.40], steps=[1, 3, 5, 7]),
            run([0.30, 0.35, 0.41, 0.44, 0.52], [0.62, 0.31, 0.24, 0.19, 0.15]))


_BEST_HEAD = '''
def best_epoch(logs):
    """The epoch, as fit() prints it (from 1), with the lowest validation loss in `logs`
    (what read_scalars returns: {run: {tag: (steps, values)}})."""
'''
_BEST_SOLUTION = _BEST_HEAD + '''    steps, values = logs["validation"]["epoch_loss"]
    return int(steps[np.argmin(values)]) + 1  # TensorBoard's step counts epochs from 0
'''


@exercise(
    "12.1", "The best epoch, from the logs", answers=("best_epoch",),
    starter=_BEST_HEAD + "    return ___",
    solution=_BEST_SOLUTION,
    hints=(("`logs` is `{run: {tag: (steps, values)}}`. Which run holds the validation numbers, and under "
            "which tag is the loss per epoch?"),
           ("`logs[\"validation\"][\"epoch_loss\"]` unpacks into `steps, values`; `np.argmin(values)` is the "
            "position of the lowest value, `steps[...]` the step logged there."),
           ("TensorBoard's step for an `epoch_*` tag is the epoch counted from 0; fit() prints `Epoch 1/...` "
            "for step 0.")),
    context=_logs_context,
    varies="the logs: the notebook's, then three built ones where the train run and the accuracy tag peak "
           "elsewhere\nthe best epoch first, in the middle, and logged at steps 1, 3, 5, 7 (epochs missing)",
    exempt={"graph": "the answer reads NumPy arrays in Python; nothing of it runs inside fit()"},
)
def q1(best_epoch, logs):
    """Calls `best_epoch(logs)` on the notebook's logs and on three built ones where train and validation, loss
    and accuracy, positions and steps all point to different epochs; refuses changes to the logs given."""
    import numpy as np
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
        where = (f"For logs whose validation loss is {values.tolist()} at steps {steps.tolist()} you return {got}"
                 if number else f"For this notebook's logs you return {got}")
        expect(got != want - 1, f"{where}: TensorBoard's step, which counts epochs from 0; fit() prints that "
                                f"epoch as `Epoch {want}/...`: add 1.")
        train_steps, train = (np.asarray(a) for a in data["train"]["epoch_loss"])
        expect(int(train_steps[np.argmin(train)]) not in (got, got - 1), f"{where}, the epoch with the lowest loss "
               f"of the `train` run. The validation numbers are in the `validation` run, same tag `epoch_loss`.")
        expect(got != int(np.argmin(values)) + 1, f"{where}, the *position* of the lowest value plus 1; the epoch is "
               f"the step logged there, `steps[np.argmin(values)]` (when epochs were not written, they differ).")
        expect(not number or got != best, f"{where}, the answer for the notebook's own logs: compute the epoch "
                                          f"from the `logs` your function is given.")
        raise Incorrect(f"{where}; the lowest `epoch_loss` of the `validation` run is at epoch {want}.")
    return (f"Epoch {best}: the lowest `epoch_loss` of the `validation` run (TensorBoard step {best - 1}). "
            f"The same number is `history.history['val_loss']`, but the event files outlive the kernel.")


def logged_epochs_rule(steps_per_epoch: int, epochs: int, update_freq: int) -> list[int]:
    """The epochs (from 0) whose ``epoch_*`` summaries Keras 3.15's TensorBoard callback writes with an integer
    ``update_freq``: the global batch count at the epoch's end is a multiple of it (tests/unit verify it)."""
    return [e for e in range(epochs) if (e + 1) * steps_per_epoch % update_freq == 0]


CASES_12_2 = ((782, 3, 46), (4, 7, 6), (10, 6, 4), (782, 5, 50), (100, 4, 1), (6, 5, 6))
_LOGGED_HEAD = '''
def logged_epochs(steps_per_epoch, epochs, update_freq):
    """The epochs (counted from 0) whose epoch_* curves the TensorBoard callback writes
    when fit() runs `epochs` epochs of `steps_per_epoch` batches with an integer update_freq."""
'''


@exercise(
    "12.2", "Which epoch curves survive?", answers=("logged_epochs",),
    starter=_LOGGED_HEAD + "    return ___",
    solution=_LOGGED_HEAD + '''
    # written only when the batch counter (which runs on across epochs) is a multiple of update_freq
    return [epoch for epoch in range(epochs) if (epoch + 1) * steps_per_epoch % update_freq == 0]''',
    hints=(("Section 4: the summaries of an epoch are written only if the batch counter at the end of that "
            "epoch is a multiple of `update_freq`."),
           ("The batch counter does not restart with each epoch: epoch 0 ends at batch `steps_per_epoch`, "
            "epoch 1 at `2 * steps_per_epoch`, ..."),
           "Keep epoch `e` when `(e + 1) * steps_per_epoch % update_freq == 0`."),
    context=_logs_context,
    varies="steps_per_epoch, epochs and update_freq over six runs: update_freq dividing the batches per epoch, "
           "larger than it with and without a common multiple, 1, and never hit",
    exempt={"mutates": "the arguments are three integers; nothing mutable is passed",
            "graph": "a rule in plain Python; nothing of it runs inside fit()"},
)
def q2(logged_epochs):
    """Compares the returned epochs with the TensorBoard callback's rule on six runs, and names the rule followed
    instead (epoch numbers, the epoch's start, all-or-nothing, too few epochs)."""
    import numpy as np
    for steps, epochs, freq in CASES_12_2:
        expected = logged_epochs_rule(steps, epochs, freq)
        got = call(logged_epochs, steps, epochs, freq, name="logged_epochs")
        case = f"{epochs} epochs of {steps} batches with update_freq={freq}"
        expect(got is not None, "`logged_epochs` returned None: did you forget `return`?")
        expect(isinstance(got, (list, tuple, range, np.ndarray)),
               f"`logged_epochs(...)` should return a list of epoch numbers, but it returned {describe(got)}.")
        expect(all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in got),
               f"For {case} you return {list(got)}: give the epochs as whole numbers.")
        values = sorted(int(v) for v in got)
        if values == expected:
            continue
        said = f"For {case} you return {values}, Keras writes {expected}"
        expect(values != [e for e in range(epochs) if e * steps % freq == 0], f"{said}. Epoch e is written at the "
               f"end of that epoch, when the counter is (e + 1) × steps_per_epoch.")
        expect(values != [e for e in range(epochs) if e % freq == 0],
               f"{said}. The condition is on the batch counter at the epoch's end, not on the epoch number.")
        expect(values not in ([], list(range(epochs))), f"{said}. The batch counter runs on across epochs, so "
               f"some epochs can end on a multiple of update_freq and others not.")
        expect(not set(values) < set(expected),
               f"{said}: you leave out epochs {sorted(set(expected) - set(values))}. Go through all `epochs` epochs.")
        raise Incorrect(f"For {case} you return {values}; Keras writes the epoch curves for epochs {expected}.")
    return ("Right for all six runs. Only an update_freq that divides the batches per epoch keeps every "
            "epoch curve; with 782 batches and update_freq=50 not a single epoch is written in 5 epochs.")


def _small_model(hidden=(8,), classes=3):
    """A tiny classifier like the notebook's (output layer named "predictions"), seeded."""
    import keras
    init = keras.initializers.GlorotUniform
    x = inputs = keras.Input(shape=(8,), name="digits")
    for i, units in enumerate(hidden):
        x = keras.layers.Dense(units, activation="relu", name=f"dense_{i + 1}", kernel_initializer=init(seed=i))(x)
    model = keras.Model(inputs, keras.layers.Dense(classes, activation="softmax", name="predictions",
                                                   kernel_initializer=init(seed=len(hidden)))(x))
    model.compile(optimizer=keras.optimizers.RMSprop(learning_rate=0.05), loss="sparse_categorical_crossentropy",
                  run_eagerly=True)
    return model


def _drive_epochs(model, callbacks, epochs: int, per_epoch: int) -> None:
    """fit()'s hooks, quicker: before each epoch's end, new seeded weights and the step counter's value after it."""
    import numpy as np
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


#: (hidden layers, classes, batches of 8 per epoch, epochs): 2 epochs of 2 batches, then 3 epochs of 1 batch
#: with a deeper model whose output kernel has another shape (layers[2] is not the output there)
RUNS_12_3 = (((8,), 3, 2, 2), ((6, 5), 4, 1, 3))
_NORM_WRITE = '''\
        with self.writer.as_default():  # leaving the block flushes the writer: the value is in the file
            tf.summary.scalar("kernel_norm", norm, step=epoch)
'''
_NORM_SOLUTION = f'''
class KernelNorm(keras.callbacks.Callback):
    """After every epoch, writes the norm of the output layer's kernel as the scalar
    "kernel_norm" (step: the epoch, from 0) to event files in `log_dir`."""

    def __init__(self, log_dir):
        super().__init__()
        self.writer = tf.summary.create_file_writer(str(log_dir))

    def on_epoch_end(self, epoch, logs=None):
        norm = float(keras.ops.norm(self.model.layers[-1].kernel))  # the norm of the output layer's kernel
{_NORM_WRITE}'''


@exercise(
    "12.3", "Log your own scalar", answers=("KernelNorm",),
    starter=_NORM_SOLUTION.replace("keras.ops.norm(self.model.layers[-1].kernel)", "___").replace(
        _NORM_WRITE, "        ___                # write it with tf.summary.scalar, so that read_scalars(log_dir) "
                     "finds it\n"),
    solution=_NORM_SOLUTION,
    hints=("`self.model.layers[-1].kernel` is the output layer's kernel; `keras.ops.norm(...)` its norm.",
           ("`tf.summary.scalar(name, value, step=...)` writes to the *default* writer: wrap it in "
            "`with self.writer.as_default():`. Outside, it writes nothing and returns False, without an error."),
           ("`with self.writer.as_default(): tf.summary.scalar(\"kernel_norm\", norm, step=epoch)`. Leaving the "
            "`with` block flushes the writer, so `read_scalars` sees the value as soon as the epoch ends.")),
    context=_logs_context,
    varies="the model (1 or 2 hidden layers, output kernels 8x3 and 5x4), the epochs (2, 3) and the batches per "
           "epoch (2, 1), so the epoch, the layer index and the optimizer's step all differ",
    exempt={"graph": "a callback's on_epoch_end runs in Python between fit()'s steps, never inside its tf.function"},
)
def q3(KernelNorm):
    """Trains two tiny models with the callback (a fresh log folder each), reads the event files back: one `kernel_norm`
    per epoch, at steps 0, 1, ..., the output kernel's norm at each epoch's end; refuses changing the weights."""
    import keras
    import numpy as np

    from kitlib import tb
    expect(isinstance(KernelNorm, type) and issubclass(KernelNorm, keras.callbacks.Callback), "`KernelNorm` "
           f"should be a class derived from `keras.callbacks.Callback`, but it is {describe(KernelNorm)}.")

    class Norms(keras.callbacks.Callback):  # one before the learner's callback, one after
        def on_train_begin(self, logs=None):
            self.records = []

        def on_epoch_end(self, epoch, logs=None):
            self.records.append({layer.name: float(np.linalg.norm(layer.get_weights()[0]))
                                 for layer in self.model.layers if layer.get_weights()})

    for by_hand, (hidden, classes, per_epoch, epochs) in enumerate(RUNS_12_3):
        before, truth = Norms(), Norms()
        case = f"a model with {len(hidden)} hidden layer(s), trained {epochs} epochs of {per_epoch} batches"
        with tempfile.TemporaryDirectory(prefix="kitlib-ex12-") as tmp:
            callback = call(KernelNorm, tmp, name="KernelNorm")
            expect(isinstance(callback, keras.callbacks.Callback), "`KernelNorm(log_dir)` is not a Callback.")
            model = _small_model(hidden, classes)
            try:
                if by_hand:  # fit()'s epoch hooks, with new weights and the step counter set before each
                    _drive_epochs(model, [before, callback, truth], epochs, per_epoch)
                else:
                    call(model.fit, *tiny_data(8 * per_epoch, num_classes=classes), batch_size=8, epochs=epochs,
                         shuffle=False, verbose=0, callbacks=[before, callback, truth], name="fit (with your KernelNorm)")
            except Incorrect as exc:
                if "No step set" in str(exc):
                    raise Incorrect("`tf.summary.scalar` raised \"No step set\": every summary needs a step. Pass "
                                    "`step=epoch`.") from None
                raise
            try:  # (steps, values) of the tag kernel_norm in any run
                found = next((t["kernel_norm"] for t in tb.read_scalars(tmp).values() if "kernel_norm" in t), None)
            except FileNotFoundError:
                found = None
            expect(found is not None, "`read_scalars(log_dir)` finds no `kernel_norm` after training. "
                   "`tf.summary.scalar` writes to the *default* writer only: use it in `with self.writer.as_default():`"
                   " (outside it writes nothing; leaving the block flushes the writer, so the value is on disk).")
        expect(before.records == truth.records, f"Training {case}, your callback changed the weights: the output "
               f"kernel's norm was {[round(r['predictions'], 5) for r in before.records]} before it ran and "
               f"{[round(r['predictions'], 5) for r in truth.records]} after. Only read the kernel: a callback that "
               f"logs must not change what it logs.")
        steps, values = found
        expect(len(steps) == epochs,
               f"After training {case}, the log holds {len(steps)} kernel_norm values; expected one per epoch.")
        expect(steps.tolist() != [per_epoch * (e + 1) for e in range(epochs)], f"Your values are logged at steps "
               f"{steps.tolist()}: the optimizer's update count. Use the epoch (0, 1, ...) as the step, like Keras.")
        expect(steps.tolist() == list(range(epochs)),
               f"Your values are logged at steps {steps.tolist()}; expected the epochs, {list(range(epochs))}.")
        expected = [h["predictions"] for h in truth.records]
        if not all(math.isclose(a, b, rel_tol=1e-5) for a, b in zip(values, expected)):
            for name in truth.records[-1]:
                expect(name == "predictions" or not all(math.isclose(a, h[name], rel_tol=1e-5)
                                                        for a, h in zip(values, truth.records)),
                       f"Training {case}, the values are the norms of layer `{name}`; the output layer is the last "
                       f"one, `self.model.layers[-1]`.")
            raise Incorrect(f"kernel_norm was logged as {[round(float(v), 5) for v in values]}, but the output "
                            f"layer's kernel had norms {[round(v, 5) for v in expected]} at the end of each epoch.")
    return ("`kernel_norm` is in the event files, one value per epoch, equal to the output kernel's norm. In "
            "TensorBoard it would show as its own chart next to epoch_loss (its run is the folder you gave).")
