"""Exercises for notebook 10 · Callbacks (``from kitlib.exercises import ___, nb10 as ex``).

1. Stop on accuracy (easy): an ``EarlyStopping`` that watches the right name, in the right direction.
2. A checkpoint every 5 batches (easy): ``ModelCheckpoint`` with ``.weights.h5``, ``save_freq`` and
   ``{epoch}``/``{batch}`` in the file name.
3. Stop at a target accuracy (medium): a callback of your own that sets ``model.stop_training``.
4. Predict EarlyStopping (thought-provoking): how many epochs run, and whose weights you keep.
"""

from __future__ import annotations

import copy

from kitlib.exercises import (Incorrect, Kept, Undefined, attach_callback, call, describe, exercise, expect,
                              expect_class, expect_type, tiny_data, tiny_model, variant)

#: What the notebook's model (compiled with SparseCategoricalAccuracy()) logs after an epoch.
VAL_ACC = "val_sparse_categorical_accuracy"
LOG_KEYS = ("loss", "sparse_categorical_accuracy", "val_loss", VAL_ACC)


def _keras_context():
    import os

    import keras
    import numpy as np
    return {"keras": keras, "np": np, "os": os}  # all imported by the notebook above the exercises


def _compiled_tiny_model(run_eagerly: bool = True):
    """The exercises' stand-in for the notebook's model: same loss and metric (same log names)."""
    import keras
    model = tiny_model()
    model.compile(optimizer=keras.optimizers.RMSprop(learning_rate=1e-2),
                  loss=keras.losses.SparseCategoricalCrossentropy(),
                  metrics=[keras.metrics.SparseCategoricalAccuracy()], run_eagerly=run_eagerly)
    return model


def _drive(callback, model, logs_per_epoch, weights_per_epoch: bool = False):
    """Call the hooks fit() calls at the end of each epoch; return the epochs run (fit stops
    after the epoch whose hooks set ``model.stop_training``). With *weights_per_epoch* the
    model's weights are set to the epoch number first, so restored weights name an epoch."""
    import numpy as np
    attach_callback(callback, model, epochs=len(logs_per_epoch), steps=10)
    model.stop_training = False
    callback.on_train_begin({})
    epochs = 0
    for epoch, logs in enumerate(logs_per_epoch):
        if weights_per_epoch:
            model.set_weights([np.full(w.shape, epoch, dtype=w.dtype) for w in model.get_weights()])
        callback.on_epoch_end(epoch, dict(logs))
        epochs = epoch + 1
        if model.stop_training:
            break
    callback.on_train_end({})
    return epochs


# --------------------------------------------------------------------------- 1. stop on accuracy


_VAL_MONITOR = 'monitor="val_sparse_categorical_accuracy"'
_STOPPER_SOLUTION = f"""
accuracy_stopper = keras.callbacks.EarlyStopping({_VAL_MONITOR},  # as fit() logs it
                                                 patience=3, restore_best_weights=True)
"""
#: (validation accuracies, epochs EarlyStopping(patience=3) runs, epoch it restores, from 0)
RUNS_10_1 = (([0.80, 0.85, 0.84, 0.86, 0.855, 0.85, 0.845, 0.84], 7, 3),
             ([0.70, 0.69, 0.68, 0.71, 0.70, 0.69, 0.68], 7, 3),
             ([0.90, 0.89, 0.88, 0.87, 0.86], 4, 0),
             ([0.50, 0.60, 0.65, 0.70, 0.72], 5, 4))


@exercise(
    "10.1", "Stop on accuracy",
    answers=("accuracy_stopper",),
    starter="""
accuracy_stopper = ___  # EarlyStopping on the validation accuracy: patience 3, best weights put back
""",
    solution=_STOPPER_SOLUTION,
    hints=(
        ("`monitor` takes a key of the logs, exactly as it appears in `history.history`. Print "
        "`history.history.keys()` from section 2."),
        ("This notebook's model is compiled with `keras.metrics.SparseCategoricalAccuracy()`, so its "
        "validation accuracy is logged as `val_sparse_categorical_accuracy`."),
        ("`keras.callbacks.EarlyStopping(monitor=\"val_sparse_categorical_accuracy\", patience=3, "
        "restore_best_weights=True)`. Keras 3 finds out by itself that an accuracy should go up."),
    ),
    context=_keras_context,
    varies="four validation-accuracy runs: peaking in epoch 4 or 1, dipping first, still rising at the end",
    exempt={"hardcoded": "the answer is one EarlyStopping whose settings the task fixes; no parameter to hard-code",
            "mutates": "the answer is Keras' own EarlyStopping (subclasses are refused): no learner code runs",
            "graph": "a callback runs in Python between fit()'s steps, never inside its tf.function"},
)
def q1(accuracy_stopper):
    """Checks that the answer is an EarlyStopping instance (not the class, not a subclass) that
    monitors `val_sparse_categorical_accuracy` with patience 3 and restore_best_weights, then
    drives a copy through four runs and compares the epochs run and the epoch kept."""
    import keras
    stopper = accuracy_stopper
    if isinstance(stopper, type) and issubclass(stopper, keras.callbacks.Callback):
        raise Incorrect("`accuracy_stopper` is the class `EarlyStopping` itself; fit() needs an instance: "
                        "call it, `keras.callbacks.EarlyStopping(monitor=..., ...)`.")
    expect_class(stopper, keras.callbacks.EarlyStopping, "accuracy_stopper", "keras.callbacks.EarlyStopping",
                 why="its own rules for when to stop")
    monitor = stopper.monitor
    if monitor != VAL_ACC:
        if monitor in ("val_accuracy", "val_acc"):
            raise Incorrect(
                f"`monitor={monitor!r}`: this notebook's model logs its validation accuracy as "
                f"`{VAL_ACC}` (the metric object's name). With an unknown name Keras 3 cannot tell "
                f"whether it should go up or down: with mode='auto' fit() stops with a ValueError after "
                f"the first epoch; with mode='max' it warns that the metric is not available and never stops.")
        if monitor in ("sparse_categorical_accuracy", "accuracy"):
            raise Incorrect(f"`monitor={monitor!r}` is the accuracy on the training data; early stopping "
                            f"should watch data the model does not train on: `{VAL_ACC}`.")
        raise Incorrect(f"`monitor={monitor!r}`: watch the validation accuracy, logged as `{VAL_ACC}` "
                        f"(the keys of `history.history` are {list(LOG_KEYS)}).")
    expect_type(stopper.patience, int, "accuracy_stopper.patience", "a whole number of epochs")
    expect(stopper.patience == 3, f"`patience={stopper.patience}`: the task asks to stop after 3 epochs "
                                  f"without improvement.")
    expect(stopper.restore_best_weights is True,
           "`restore_best_weights` is off, so the model keeps the weights of the *last* epoch, up to "
           "3 epochs worse than the best. Pass `restore_best_weights=True`.")
    # Behaviour: drive a copy through the epoch ends of runs whose accuracy peaks early, late or never.
    model = _compiled_tiny_model()
    model.evaluate(*tiny_data(4), verbose=0)  # builds the compiled metrics, as the first epoch of fit() does
    for accuracies, want_epochs, want_best in RUNS_10_1:
        logs = [{"loss": 0.5, "sparse_categorical_accuracy": 0.9, "val_loss": 0.4, VAL_ACC: a} for a in accuracies]
        probe = copy.copy(stopper)
        probe.monitor_op = None  # decide the direction afresh, as a new fit() would
        probe.min_delta = abs(stopper.min_delta)
        probe.verbose = 0
        epochs = _drive(probe, model, logs)
        if (epochs, probe.best_epoch) == (want_epochs, want_best):
            continue
        if stopper.mode == "min":
            raise Incorrect(f"`mode='min'` treats a *falling* accuracy as progress: on a run whose validation "
                            f"accuracy peaks in epoch {want_best + 1} ({accuracies}), it stopped after epoch "
                            f"{epochs} and kept epoch {probe.best_epoch + 1}. Leave `mode='auto'` (Keras 3 reads "
                            f"the direction from the metric) or pass `mode='max'`.")
        raise Incorrect(f"On a run whose validation accuracy peaks in epoch {want_best + 1} ({accuracies}), your "
                        f"callback stopped after epoch {epochs} and kept epoch {probe.best_epoch + 1}; expected: "
                        f"stop after epoch {want_epochs}, keep epoch {want_best + 1}. Leave the other arguments "
                        f"(min_delta, baseline, start_from_epoch) at their defaults.")
    return ("Stops 3 epochs after the best validation accuracy and restores that epoch's weights. "
            "With mode='auto', Keras 3 takes the direction from the compiled metric itself "
            "(accuracy: higher is better), which is why the name must match exactly.")


# --------------------------------------------------------------------------- 2. checkpoint every 5 batches


@exercise(
    "10.2", "A checkpoint every 5 batches",
    answers=("batch_checkpoint",),
    starter='''
def batch_checkpoint(folder):
    """A ModelCheckpoint that saves only the weights, every 5 batches, into `folder`,
    in files whose names hold the epoch and the batch."""
    return ___
''',
    solution='''
def batch_checkpoint(folder):
    """A ModelCheckpoint that saves only the weights, every 5 batches, into `folder`,
    in files whose names hold the epoch and the batch."""
    name = "weights-e{epoch:02d}-b{batch:03d}.weights.h5"  # ModelCheckpoint fills in epoch and batch
    return keras.callbacks.ModelCheckpoint(os.path.join(folder, name), save_weights_only=True, save_freq=5)
''',
    hints=(
        "Section 5 saves a checkpoint every `SAVE_EVERY` batches; here only the weights are wanted.",
        ("Weights alone go to a file ending in `.weights.h5` with `save_weights_only=True`; an int "
        "`save_freq` counts batches."),
        ("`ModelCheckpoint` fills `{epoch}` and `{batch}` in the file name itself. In an f-string Python "
        "would try to fill them first: use a plain string, e.g. "
        "`os.path.join(folder, \"w-e{epoch:02d}-b{batch:03d}.weights.h5\")`."),
    ),
    context=_keras_context,
    varies="the folder: a fresh temporary one at every check (an answer that writes elsewhere fails)\n"
           "the weights before each batch end (the step number), so each file shows when it was written",
    exempt={"mutates": "the only input is a folder path (immutable); the files written in it are what is judged",
            "graph": "ModelCheckpoint runs in Python between fit()'s steps, never inside its tf.function"},
)
def q2(batch_checkpoint):
    """Calls `batch_checkpoint(folder)` with a fresh temporary folder, checks it is a ModelCheckpoint
    saving only weights every 5 batches into that folder, drives it through 2 epochs of 10 batches
    and checks that 4 distinct files hold the weights of steps 5, 10, 15 and 20."""
    import tempfile
    from pathlib import Path

    import keras
    import numpy as np

    with tempfile.TemporaryDirectory(prefix="kitlib-ex10-") as tmp:
        folder = Path(tmp)
        try:
            checkpoint = call(batch_checkpoint, folder, name="batch_checkpoint")
        except (Incorrect, Undefined) as exc:
            text = str(exc)
            if ("NameError" in text and ("'epoch'" in text or "'batch'" in text)) \
                    or text.startswith(("`epoch` is not defined", "`batch` is not defined")):
                raise Incorrect("Calling `batch_checkpoint` raised a NameError for `epoch`/`batch`: in an "
                                "f-string Python fills `{epoch}` itself, before ModelCheckpoint sees it. Use "
                                "a plain string for that part of the name (or double the braces: "
                                "`{{epoch}}`).") from None
            if ".keras" in text or ".weights.h5" in text:
                raise Incorrect(f"{text.splitlines()[0]}\nKeras 3 checkpoints are files: a whole model goes "
                                f"to `.keras`, weights alone (`save_weights_only=True`) to `.weights.h5`; "
                                f"Keras 2's folder names such as `ckpt_{{epoch}}` are refused.") from None
            raise
        if isinstance(checkpoint, keras.callbacks.ModelCheckpoint):
            expect_class(checkpoint, keras.callbacks.ModelCheckpoint, "batch_checkpoint(folder)",
                         "keras.callbacks.ModelCheckpoint", why="its own rules for what and when to save")
        expect(isinstance(checkpoint, keras.callbacks.ModelCheckpoint),
               f"`batch_checkpoint(folder)` should return a `keras.callbacks.ModelCheckpoint`, but it returned "
               f"{describe(checkpoint)}.")
        expect(checkpoint.save_weights_only is True,
               "This checkpoint saves the whole model (architecture, optimizer state...); the task asks for "
               "only the weights: `save_weights_only=True` and a name ending in `.weights.h5`.")
        expect(checkpoint.save_freq == 5,
               f"`save_freq={checkpoint.save_freq!r}`: 'epoch' (the default) saves once per epoch; an int N "
               f"saves every N batches. Pass `save_freq=5`.")
        target = Path(str(checkpoint.filepath)).parent
        expect(target.resolve() == folder.resolve(),
               f"The files go to `{target}`, not into `folder`: join the file name to `folder`.")
        # fit()'s hooks for 2 epochs of 10 batches (saves after batches 5 and 10 of each epoch); before
        # each batch end the weights are set to the step number, so a file tells when it was written.
        model = _compiled_tiny_model()
        attach_callback(checkpoint, model, epochs=2, steps=10, name="batch_checkpoint(folder)")
        logs = {"loss": 0.5, "sparse_categorical_accuracy": 0.8}
        call(checkpoint.on_train_begin, {}, name="on_train_begin")
        for epoch in range(2):
            checkpoint.on_epoch_begin(epoch, {})
            for batch in range(10):
                model.set_weights([np.full(w.shape, 10 * epoch + batch + 1, w.dtype) for w in model.get_weights()])
                call(checkpoint.on_train_batch_end, batch, dict(logs), name="ModelCheckpoint.on_train_batch_end")
            call(checkpoint.on_epoch_end, epoch, dict(logs), name="ModelCheckpoint.on_epoch_end")
        checkpoint.on_train_end({})
        names = sorted(p.name for p in folder.iterdir())
        if len(names) < 4:
            raise Incorrect(f"Training 2 epochs of 10 batches left {len(names)} file(s): {names}. A checkpoint "
                            f"was written 4 times, but names repeat, so later saves overwrote earlier ones. "
                            f"Put both `{{epoch}}` and `{{batch}}` in the name.")
        expect(len(names) == 4, f"Training 2 epochs of 10 batches left {len(names)} files ({names}); "
                                f"expected 4 (after batches 5 and 10 of each epoch).")
        restored = tiny_model()
        steps = []
        for name in names:
            restored.load_weights(folder / name)
            steps.append(int(restored.get_weights()[0].flat[0]))
        expect(sorted(steps) == [5, 10, 15, 20],
               f"The files hold the weights after steps {sorted(steps)}; expected 5, 10, 15 and 20.")
    return (f"4 weight files after 2 epochs of 10 batches ({', '.join(names)}). Each is small, and "
            f"`model.load_weights(path)` puts one back into a model of the same architecture.")


# --------------------------------------------------------------------------- 3. stop at a target accuracy


def _epoch_logs(val_accuracies, train_accuracies):
    return [{"loss": 0.3, "sparse_categorical_accuracy": t, "val_loss": 0.35, VAL_ACC: v}
            for v, t in zip(val_accuracies, train_accuracies)]


def logs_left_alone(hook, epoch, logs, name: str):
    """Call a callback's *hook*(epoch, logs) and refuse one that removed or changed a key of
    the logs fit() passed (History and every later callback read the same dict; adding a
    key of its own, as ReduceLROnPlateau does, is fine). Shared with nb11."""
    before = dict(logs)
    call(hook, epoch, logs, name=name)
    changed = [k for k, v in before.items() if k not in logs or logs[k] is not v]
    expect(not changed, f"Your `{name}` removed or changed {', '.join(repr(k) for k in changed)} in the `logs` "
                        f"fit() passed it. History and every callback after yours read that same dict: read "
                        f"with `logs[...]` or `logs.get(...)`, do not `pop` or overwrite its entries.")


#: (target, validation accuracies, training accuracies, epochs fit() should run). The first is the
#: one the success message describes; the training accuracy passes the target earlier in runs 1-2,
#: later in run 3 (which reaches its target exactly); run 4 never reaches it.
RUNS_10_3 = ((0.9, [0.80, 0.86, 0.90, 0.93, 0.95], [0.84, 0.91, 0.94, 0.96, 0.97], 3),
             (0.75, [0.60, 0.70, 0.74, 0.78, 0.80], [0.70, 0.76, 0.80, 0.85, 0.90], 4),
             (0.85, [0.80, 0.85, 0.90], [0.70, 0.80, 0.90], 2),
             (0.97, [0.90, 0.93, 0.95, 0.96], [0.95, 0.98, 0.99, 0.99], 4))

_STOP_SOLUTION = '''
class StopAtAccuracy(keras.callbacks.Callback):
    """Stops training after the first epoch whose validation accuracy reaches `target`."""

    def __init__(self, target):
        super().__init__()
        self.target = target

    def on_epoch_end(self, epoch, logs=None):
        accuracy = logs["val_sparse_categorical_accuracy"]  # this epoch's validation accuracy, from logs
        if accuracy >= self.target:
            self.model.stop_training = True
'''
_STOP_BODY = '''        accuracy = logs["val_sparse_categorical_accuracy"]  # this epoch's validation accuracy, from logs
        if accuracy >= self.target:
            self.model.stop_training = True'''


@exercise(
    "10.3", "Stop at a target accuracy",
    answers=("StopAtAccuracy",),
    starter=variant(_STOP_SOLUTION, (_STOP_BODY, '''        accuracy = ___  # this epoch's validation accuracy, from logs
        if ___:         # when it reaches the target...
            ___         # ...ask fit() to stop''')),
    solution=_STOP_SOLUTION,
    hints=(
        "`logs` holds this epoch's numbers under the names of `history.history`.",
        "A callback asks fit() to stop by setting an attribute of the model it trains, `self.model`.",
        ("`if accuracy >= self.target: self.model.stop_training = True`. Only ever set it to True: "
        "another callback may already have asked to stop in this epoch."),
    ),
    context=_keras_context,
    varies="the target (0.9, 0.75, 0.85, 0.97) with its own validation/training accuracy run each\n"
           "a run that reaches its target exactly, one that never reaches it, training accuracy above and below\n"
           "one-epoch probes at each target (validation at the target, training above it) to name the mistake",
    exempt={"graph": "a callback's on_epoch_end runs in Python between fit()'s steps, never inside its tf.function"},
)
def q3(StopAtAccuracy):
    """Drives the callback's on_epoch_end (as fit() does) through runs with different targets and
    checks after which epoch it asks `self.model.stop_training`: the first whose validation
    accuracy reaches (>=) the target, never when it is not reached, never un-asking another
    callback's stop, and without removing or changing entries of `logs`."""
    import keras
    cls = StopAtAccuracy
    expect(isinstance(cls, type) and issubclass(cls, keras.callbacks.Callback),
           f"`StopAtAccuracy` should be a class derived from `keras.callbacks.Callback`, but it is "
           f"{describe(cls)}.")
    model = _compiled_tiny_model()

    def on_epoch_end(callback, epoch, logs):
        try:
            logs_left_alone(callback.on_epoch_end, epoch, dict(logs), "on_epoch_end")
        except Incorrect as exc:
            if "KeyError" in str(exc):
                raise Incorrect(f"{str(exc).splitlines()[0]}\nThe logs of this notebook's model hold "
                                f"{list(LOG_KEYS)}: the validation accuracy is `{VAL_ACC}`.") from None
            raise

    def run(target, logs, preset_stop_at=None):
        callback = call(cls, target, name="StopAtAccuracy")
        expect(isinstance(callback, keras.callbacks.Callback), f"`StopAtAccuracy({target})` is not a Callback.")
        attach_callback(callback, model, epochs=len(logs), steps=10, name="StopAtAccuracy")
        model.stop_training = False
        for epoch, epoch_logs in enumerate(logs):
            if epoch == preset_stop_at:
                model.stop_training = True  # another callback asked to stop in this epoch
            on_epoch_end(callback, epoch, epoch_logs)
            if model.stop_training:
                return epoch + 1, callback
        return len(logs), callback

    def stops(target, val, train):
        """Does a fresh callback ask to stop after one epoch with these accuracies?"""
        return run(target, _epoch_logs([val], [train]))[0] == 1 and model.stop_training

    for target, val, train, want in RUNS_10_3:
        epochs, callback = run(target, _epoch_logs(val, train))
        if epochs == want:
            continue
        case = f"With target {target} and validation accuracies {val}"
        if not model.stop_training and getattr(callback, "stop_training", False):
            raise Incorrect("Your callback sets `self.stop_training`, an attribute of the callback that fit() "
                            "never reads. Ask the model to stop: `self.model.stop_training = True`.")
        decisions = {t: (stops(t, t, t - 0.1), stops(t, t + 0.05, t - 0.1), stops(t, t - 0.1, t + 0.05))
                     for t in (0.9, target, 0.6)}  # (val at target, val above, only train above)
        right = (True, True, False)
        if decisions[0.9] == right and any(d != right for d in decisions.values()):
            raise Incorrect(f"{case}, training should stop after epoch {want}; your callback ran {epochs}. It "
                            f"decides right for a target of 0.9 only: it compares with a fixed number instead of "
                            f"the target it was given. Compare with `self.target`.")
        if any(d[2] and not d[1] for d in decisions.values()):
            raise Incorrect(f"{case}, training should stop after epoch {want}, but with your callback it stops "
                            f"when the accuracy on the training data ({train}) reaches the target. Watch the "
                            f"accuracy on the validation data, `logs['{VAL_ACC}']`.")
        if any(d[1] and not d[0] for d in decisions.values()):
            raise Incorrect(f"{case}, training should stop after epoch {want}, the first whose accuracy reaches "
                            f"the target (`>=`, not `>`); your callback ran {epochs} epochs.")
        if epochs < want:
            raise Incorrect(f"{case}, training should stop after epoch {want}, the first whose validation "
                            f"accuracy reaches the target; your callback stopped after epoch {epochs}, whose "
                            f"validation accuracy {val[epochs - 1]} is below the target.")
        raise Incorrect(f"{case}, training should stop after epoch {want}, the first whose validation accuracy "
                        f"reaches the target; with your callback fit() would run {epochs} epochs.")
    if run(0.9, _epoch_logs([0.5] * 4, [0.5] * 4), preset_stop_at=1)[0] != 2:
        raise Incorrect("Another callback (say EarlyStopping) asked to stop in epoch 2, and your callback set "
                        "`stop_training` back to False, so training went on. Only ever set it to True.")
    target = RUNS_10_3[0][0]
    return (f"Training stops after epoch 3, the first whose validation accuracy reaches {target}, and a stop "
            f"asked by another callback is left alone. The same pattern stops on any condition: a loss "
            f"below a bar, a time budget, a NaN.")


# --------------------------------------------------------------------------- 4. predict EarlyStopping


CASES = (  # (val_losses, min_delta, patience, what it shows)
    ([0.50, 0.40, 0.395, 0.39, 0.41, 0.42], 0.02, 2, "improvements smaller than min_delta do not count"),
    ([0.90, 0.70, 0.75, 0.80], 0.0, 3, "a run that never stops early"),
    ([0.50, 0.49, 0.48, 0.47, 0.46, 0.45], 0.05, 4, "no epoch after the first improves by min_delta"),
    ([1.00, 0.90, 0.90, 0.80, 0.70], 0.0, 1, "an equal value is no improvement"),
    ([0.60, 0.50, 0.55, 0.45, 0.50, 0.52, 0.53, 0.44], 0.01, 3, "patience counts again after each improvement"),
)


def _keras_outcome(val_losses, min_delta, patience) -> tuple[int, int]:
    """(epochs run, epoch whose weights are restored), from EarlyStopping itself."""
    import keras
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    stopper = keras.callbacks.EarlyStopping(monitor="val_loss", min_delta=min_delta, patience=patience,
                                            restore_best_weights=True)
    epochs = _drive(stopper, model, [{"val_loss": v} for v in val_losses], weights_per_epoch=True)
    return epochs, int(round(float(model.get_weights()[1][0])))


def _replay(val_losses, min_delta, patience, equal_improves=False) -> tuple[int, int]:
    """EarlyStopping's rule in Python; with *equal_improves*, the mistake `<=` for `<`."""
    best, best_epoch, waited = None, 0, 0
    for epoch, loss in enumerate(val_losses):
        if best is None or loss < best - min_delta or (equal_improves and loss <= best - min_delta):
            best, best_epoch, waited = loss, epoch, 0
            continue
        waited += 1
        if waited >= patience:
            return epoch + 1, best_epoch
    return len(val_losses), best_epoch


def _pair(value, what):
    import numpy as np
    if value is None:
        raise Incorrect(f"{what} returned None: did you forget `return`?")
    expect(isinstance(value, (tuple, list)) and len(value) == 2,
           f"{what} should return a pair `(epochs_run, restored_epoch)`, but it returned {describe(value)}.")
    for name, v in zip(("epochs_run", "restored_epoch"), value):
        expect(isinstance(v, (int, np.integer)) and not isinstance(v, bool),
               f"{what}: `{name}` should be a whole number, but it is {describe(v)}.")
    return int(value[0]), int(value[1])


_OUTCOME_HEAD = '''
def early_stopping_outcome(val_losses, min_delta, patience):
    """What EarlyStopping(monitor="val_loss", min_delta=min_delta, patience=patience,
    restore_best_weights=True) does when fit() logs `val_losses`, one value per epoch.

    Returns (epochs_run, restored_epoch): how many epochs train before it stops (all of
    them if it never stops), and the epoch, counted from 0, whose weights the model
    holds when fit() returns.
    """
'''
_OUTCOME_SOLUTION = _OUTCOME_HEAD + '''    best, best_epoch, waited = None, 0, 0
    for epoch, loss in enumerate(val_losses):
        if best is None or loss < best - min_delta:  # a real improvement
            best, best_epoch, waited = loss, epoch, 0
            continue  # the next epoch
        waited += 1
        if waited >= patience:  # patience used up: fit() stops after this epoch
            return epoch + 1, best_epoch
    return len(val_losses), best_epoch  # never stopped: the best weights are restored all the same
'''


@exercise(
    "10.4", "Predict EarlyStopping",
    answers=("early_stopping_outcome",),
    starter=_OUTCOME_HEAD + "    return ___\n",
    solution=_OUTCOME_SOLUTION,
    hints=(
        ("Replay section 2's rule epoch by epoch: an epoch improves only if it beats the best so far by "
        "more than `min_delta`; count the epochs since the last improvement."),
        ("Training stops at the end of the epoch where that count reaches `patience`; `epochs_run` counts "
        "that epoch too. The restored epoch is the last *improving* epoch, which need not be the lowest loss."),
        ("And when the count never reaches `patience`? In Keras 3, `restore_best_weights=True` puts the best "
        "epoch's weights back at the end of fit() even then."),
    ),
    context=_keras_context,
    varies="patience 1 to 4 and min_delta 0 to 0.05, one run each, with Keras' EarlyStopping as the truth\n"
           "histories: stopping early or never, equal values, improvements smaller than min_delta\n"
           "a fresh list per run, compared afterwards, so an answer that changes `val_losses` is named",
    exempt={"graph": "the answer is plain Python on a list of floats; nothing of it runs inside fit()"},
)
def q4(early_stopping_outcome):
    """Compares `(epochs_run, restored_epoch)` with what Keras' own EarlyStopping does on five
    loss histories with different patience and min_delta, names the rule the answer followed
    instead (lowest loss, off by one, `<=`, another patience, min_delta ignored), and refuses an
    answer that changes the list it is given."""
    import numpy as np
    fn = early_stopping_outcome
    for losses, min_delta, patience, what in CASES:
        expected = _keras_outcome(losses, min_delta, patience)
        kept = Kept(list(losses), "val_losses")
        got = _pair(call(fn, kept.value, min_delta, patience, name="early_stopping_outcome"),
                    "`early_stopping_outcome`")
        kept.expect_unchanged(by="`early_stopping_outcome`", fix="fit() keeps its history; read the list "
                              "(`val_losses[0]`, a loop) or work on a copy (`list(val_losses)`).")
        if got == expected:
            continue
        case = f"val_losses={losses}, min_delta={min_delta}, patience={patience} ({what})"
        runs, restored = expected
        if got == (runs - 1, restored):
            raise Incorrect(f"For {case} you say {got[0]} epochs run; EarlyStopping runs {runs}. It decides "
                            f"at the *end* of an epoch, so `epochs_run` counts that epoch too.")
        if got == _replay(losses, min_delta, patience, equal_improves=True):
            raise Incorrect(f"For {case} you say {got}; EarlyStopping gives {expected}: an equal value is not "
                            f"an improvement (it must beat the best by more than min_delta).")
        if runs == len(losses) and got == (runs, len(losses) - 1):
            raise Incorrect(f"For {case}: EarlyStopping never stops early here, yet with "
                            f"restore_best_weights Keras 3 still puts back the best epoch's weights (epoch "
                            f"{restored}) when fit() ends, not the last epoch's.")
        other = [p for p in range(1, 7) if p != patience and _replay(losses, min_delta, p) == got]
        if other:
            raise Incorrect(f"For {case} you say {got}; EarlyStopping gives {expected}. Your answer behaves as "
                            f"if patience were {other[0]}: use the `patience` argument, not a number.")
        if got[1] == int(np.argmin(losses)) != restored:
            raise Incorrect(f"For {case}: epoch {got[1]} has the lowest loss, but EarlyStopping restores "
                            f"epoch {restored}, the last one that improved by more than min_delta.")
        if min_delta and any(_replay(losses, d, patience) == got for d in (0.0, 0.01, 0.02, 0.05) if d != min_delta):
            raise Incorrect(f"For {case} you say {got}; EarlyStopping gives {expected}. Your answer does not use "
                            f"the `min_delta` it is given: an improvement must beat the best by more than it.")
        raise Incorrect(f"For {case} you say {got[0]} epochs run and epoch {got[1]} restored; EarlyStopping "
                        f"runs {runs} and restores epoch {restored}.")
    return ("Your prediction matches EarlyStopping on all 5 runs. Keep in mind: the restored epoch is the "
            "last one that improved by more than min_delta, and Keras 3 restores it even when training "
            "never stopped early.")
