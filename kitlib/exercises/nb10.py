"""Exercises for notebook 10 · Callbacks (``from kitlib.exercises import ___, nb10 as ex``).

1. Stop on accuracy (easy): an ``EarlyStopping`` that watches the right name, in the right direction.
2. A checkpoint every 5 batches (easy): ``ModelCheckpoint``, ``.weights.h5``, ``save_freq``, ``{epoch}``/``{batch}``.
3. Stop at a target accuracy (medium): a callback of your own that sets ``model.stop_training``.
4. Predict EarlyStopping (thought-provoking): how many epochs run, and whose weights you keep.
"""

from __future__ import annotations

import copy
import os
import tempfile
from pathlib import Path

from kitlib.exercises import (Incorrect, Kept, Undefined, attach_callback, call, describe, exercise, expect,
                              expect_class, expect_type, tiny_data, tiny_model)

#: What the notebook's model (compiled with SparseCategoricalAccuracy()) logs after an epoch.
VAL_ACC = "val_sparse_categorical_accuracy"
LOG_KEYS = ("loss", "sparse_categorical_accuracy", "val_loss", VAL_ACC)


def _keras_context():
    import keras
    import numpy as np
    return {"keras": keras, "np": np, "os": os}  # all imported by the notebook above the exercises


def compiled_tiny_model(learning_rate=1e-2):
    """The notebook model's stand-in: same loss and metric (log names), RMSprop(*learning_rate*). For nb11 too."""
    import keras
    model = tiny_model()
    model.compile(optimizer=keras.optimizers.RMSprop(learning_rate=learning_rate),
                  loss=keras.losses.SparseCategoricalCrossentropy(),
                  metrics=[keras.metrics.SparseCategoricalAccuracy()], run_eagerly=True)
    return model


def _drive(callback, model, logs_per_epoch):
    """Call the hooks fit() calls at the end of each epoch, the weights set to the epoch number first
    (restored weights name an epoch); return the epochs run (up to one whose hooks set stop_training)."""
    import numpy as np
    attach_callback(callback, model, epochs=len(logs_per_epoch), steps=10)
    model.stop_training = False
    callback.on_train_begin({})
    for epoch, logs in enumerate(logs_per_epoch):
        model.set_weights([np.full(w.shape, epoch, dtype=w.dtype) for w in model.get_weights()])
        callback.on_epoch_end(epoch, dict(logs))
        if model.stop_training:
            break
    callback.on_train_end({})
    return epoch + 1


_VAL_MONITOR = 'monitor="val_sparse_categorical_accuracy"'
_STOPPER_SOLUTION = f"""
accuracy_stopper = keras.callbacks.EarlyStopping({_VAL_MONITOR},  # as fit() logs it
                                                 patience=3, restore_best_weights=True)
"""
#: (validation accuracies, epochs EarlyStopping(patience=3) runs, epoch it restores, from 0)
RUNS_10_1 = (([0.80, 0.85, 0.84, 0.86, 0.855, 0.85, 0.845, 0.84], 7, 3),
             ([0.70, 0.69, 0.68, 0.71, 0.70, 0.69, 0.68], 7, 3), ([0.90, 0.89, 0.88, 0.87, 0.86], 4, 0),
             ([0.50, 0.60, 0.65, 0.70, 0.72], 5, 4))


@exercise(
    "10.1", "Stop on accuracy", answers=("accuracy_stopper",),
    starter="accuracy_stopper = ___  # EarlyStopping on the validation accuracy: patience 3, best weights put back",
    solution=_STOPPER_SOLUTION,
    hints=(("`monitor` takes a key of the logs, exactly as it appears in `history.history`. Print "
            "`history.history.keys()` from section 2."),
           ("This notebook's model is compiled with `keras.metrics.SparseCategoricalAccuracy()`, so its "
            "validation accuracy is logged as `val_sparse_categorical_accuracy`."),
           ("`keras.callbacks.EarlyStopping(monitor=\"val_sparse_categorical_accuracy\", patience=3, "
            "restore_best_weights=True)`. Keras 3 finds out by itself that an accuracy should go up.")),
    context=_keras_context,
    varies="four validation-accuracy runs: peaking in epoch 4 or 1, dipping first, still rising at the end",
    exempt={"hardcoded": "the answer is one EarlyStopping whose settings the task fixes; no parameter to hard-code",
            "mutates": "the answer is Keras' own EarlyStopping (subclasses are refused): no learner code runs",
            "graph": "a callback runs in Python between fit()'s steps, never inside its tf.function"},
)
def q1(accuracy_stopper):
    """Checks for an EarlyStopping instance (not the class, not a subclass) monitoring `val_sparse_categorical_accuracy`
    with patience 3 and restore_best_weights; drives copies through four runs: the epochs run and the epoch kept."""
    import keras
    stopper = accuracy_stopper
    if isinstance(stopper, type) and issubclass(stopper, keras.callbacks.Callback):
        raise Incorrect(f"`accuracy_stopper` is the class `{stopper.__name__}` itself; fit() needs an instance: "
                        f"call EarlyStopping, `keras.callbacks.EarlyStopping(monitor=..., ...)`.")
    expect_class(stopper, keras.callbacks.EarlyStopping, "accuracy_stopper", "keras.callbacks.EarlyStopping",
                 why="its own rules for when to stop")
    monitor = stopper.monitor
    expect(monitor not in ("val_accuracy", "val_acc"), f"`monitor={monitor!r}`: this notebook's model logs its "
           f"validation accuracy as `{VAL_ACC}` (the metric's name). Keras 3 cannot tell which way an unknown name "
           f"should go: mode='auto' raises a ValueError after epoch 1, mode='max' warns and never stops.")
    expect(monitor not in ("sparse_categorical_accuracy", "accuracy"), f"`monitor={monitor!r}` is the accuracy on "
           f"the training data; early stopping should watch data the model does not train on: `{VAL_ACC}`.")
    expect(monitor == VAL_ACC, f"`monitor={monitor!r}`: watch the validation accuracy, logged as `{VAL_ACC}` "
                               f"(the keys of `history.history` are {list(LOG_KEYS)}).")
    expect_type(stopper.patience, int, "accuracy_stopper.patience", "a whole number of epochs")
    expect(stopper.patience == 3, f"`patience={stopper.patience}`: stop after 3 epochs without improvement.")
    expect(stopper.restore_best_weights is True, "`restore_best_weights` is off, so the model keeps the weights "
           "of the *last* epoch, up to 3 epochs worse than the best. Pass `restore_best_weights=True`.")
    model = compiled_tiny_model()
    model.evaluate(*tiny_data(4), verbose=0)  # builds the compiled metrics, as the first epoch of fit() does
    for accuracies, want_epochs, want_best in RUNS_10_1:  # drive a copy through runs peaking early, late, never
        logs = [{"loss": 0.5, "sparse_categorical_accuracy": 0.9, "val_loss": 0.4, VAL_ACC: a} for a in accuracies]
        probe = copy.copy(stopper)
        probe.monitor_op, probe.min_delta, probe.verbose = None, abs(stopper.min_delta), 0  # as before a first fit()
        epochs = _drive(probe, model, logs)
        if (epochs, probe.best_epoch) == (want_epochs, want_best):
            continue
        got = (f"On a run whose validation accuracy peaks in epoch {want_best + 1} ({accuracies}), your callback "
               f"stopped after epoch {epochs} and kept epoch {probe.best_epoch + 1}")
        expect(stopper.mode != "min", f"`mode='min'` treats a *falling* accuracy as progress. {got}. "
               f"Leave `mode='auto'` (Keras 3 reads the direction from the metric) or pass `mode='max'`.")
        raise Incorrect(f"{got}; expected: stop after epoch {want_epochs}, keep epoch {want_best + 1}. Leave the "
                        f"other arguments (min_delta, baseline, start_from_epoch) at their defaults.")
    return ("Stops 3 epochs after the best validation accuracy and restores that epoch's weights. With "
            "mode='auto', Keras 3 takes the direction from the compiled metric itself (accuracy: higher is "
            "better), which is why the name must match exactly.")


_CHECKPOINT_HEAD = '''
def batch_checkpoint(folder):
    """A ModelCheckpoint that saves only the weights, every 5 batches, into `folder`,
    in files whose names hold the epoch and the batch."""
'''


@exercise(
    "10.2", "A checkpoint every 5 batches", answers=("batch_checkpoint",),
    starter=_CHECKPOINT_HEAD + "    return ___",
    solution=_CHECKPOINT_HEAD + '''
    name = "weights-e{epoch:02d}-b{batch:03d}.weights.h5"  # ModelCheckpoint fills in epoch and batch
    return keras.callbacks.ModelCheckpoint(os.path.join(folder, name), save_weights_only=True, save_freq=5)''',
    hints=("Section 5 saves a checkpoint every `SAVE_EVERY` batches; here only the weights are wanted.",
           ("Weights alone go to a file ending in `.weights.h5` with `save_weights_only=True`; an int "
            "`save_freq` counts batches."),
           ("`ModelCheckpoint` fills `{epoch}` and `{batch}` in the file name itself. In an f-string Python "
            "would try to fill them first: use a plain string, e.g. "
            "`os.path.join(folder, \"w-e{epoch:02d}-b{batch:03d}.weights.h5\")`.")),
    context=_keras_context,
    varies="the folder: a fresh temporary one at every check (an answer that writes elsewhere fails)\n"
           "the weights before each batch end (the step number), so each file shows when it was written",
    exempt={"mutates": "the only input is a folder path (immutable); the files written in it are what is judged",
            "graph": "ModelCheckpoint runs in Python between fit()'s steps, never inside its tf.function"},
)
def q2(batch_checkpoint):
    """Calls `batch_checkpoint(folder)` with a fresh folder: a ModelCheckpoint saving only weights every 5 batches
    into it; driven through 2 epochs of 10 batches, 4 distinct files must hold the weights of steps 5, 10, 15, 20."""
    import keras
    import numpy as np
    with tempfile.TemporaryDirectory(prefix="kitlib-ex10-") as tmp:
        folder = Path(tmp)
        try:
            checkpoint = call(batch_checkpoint, folder, name="batch_checkpoint")
        except (Incorrect, Undefined) as exc:
            text = str(exc)
            if text.startswith(("`epoch` is not defined", "`batch` is not defined")):
                raise Incorrect("Calling `batch_checkpoint` raised a NameError for `epoch`/`batch`: in an f-string "
                                "Python fills `{epoch}` itself, before ModelCheckpoint sees it. Use a plain string "
                                "for that part of the name (or double the braces: `{{epoch}}`).") from None
            if ".keras" in text or ".weights.h5" in text:
                raise Incorrect(f"{text.splitlines()[0]}\nKeras 3 checkpoints are files: a whole model goes to "
                                f"`.keras`, weights alone (`save_weights_only=True`) to `.weights.h5`; Keras 2's "
                                f"folder names such as `ckpt_{{epoch}}` are refused.") from None
            raise
        expect_class(checkpoint, keras.callbacks.ModelCheckpoint, "batch_checkpoint(folder)",
                     "keras.callbacks.ModelCheckpoint", why="its own rules for what and when to save")
        expect(checkpoint.save_weights_only is True, "This checkpoint saves the whole model (architecture, optimizer "
               "state...); the task asks for only the weights: `save_weights_only=True`, a name ending `.weights.h5`.")
        expect(checkpoint.save_freq == 5, f"`save_freq={checkpoint.save_freq!r}`: 'epoch' (the default) saves once "
                                          f"per epoch; an int N saves every N batches. Pass `save_freq=5`.")
        target = Path(str(checkpoint.filepath)).parent
        expect(target.resolve() == folder.resolve(),
               f"The files go to `{target}`, not into `folder`: join the file name to `folder`.")
        model = compiled_tiny_model()  # fit()'s hooks for 2 epochs of 10 batches: saves after batches 5 and 10
        attach_callback(checkpoint, model, epochs=2, steps=10, name="batch_checkpoint(folder)")
        logs = {"loss": 0.5, "sparse_categorical_accuracy": 0.8}
        call(checkpoint.on_train_begin, {}, name="on_train_begin")
        for epoch in range(2):
            checkpoint.on_epoch_begin(epoch, {})
            for batch in range(10):  # the weights are the step number, so a file tells when it was written
                model.set_weights([np.full(w.shape, 10 * epoch + batch + 1, w.dtype) for w in model.get_weights()])
                call(checkpoint.on_train_batch_end, batch, dict(logs), name="ModelCheckpoint.on_train_batch_end")
            call(checkpoint.on_epoch_end, epoch, dict(logs), name="ModelCheckpoint.on_epoch_end")
        checkpoint.on_train_end({})
        names = sorted(p.name for p in folder.iterdir())
        left = f"Training 2 epochs of 10 batches left {len(names)} file(s): {names}"
        expect(len(names) >= 4, f"{left}. A checkpoint was written 4 times, but names repeat, so later saves "
                                f"overwrote earlier ones. Put both `{{epoch}}` and `{{batch}}` in the name.")
        expect(len(names) == 4, f"{left}; expected 4 (after batches 5 and 10 of each epoch).")
        restored, steps = tiny_model(), []
        for name in names:
            restored.load_weights(folder / name)
            steps.append(int(restored.get_weights()[0].flat[0]))
        expect(sorted(steps) == [5, 10, 15, 20],
               f"The files hold the weights after steps {sorted(steps)}; expected 5, 10, 15 and 20.")
    return (f"4 weight files after 2 epochs of 10 batches ({', '.join(names)}). Each is small, and "
            f"`model.load_weights(path)` puts one back into a model of the same architecture.")


def logs_left_alone(hook, epoch, logs, name: str):
    """Call a callback's *hook*(epoch, logs); refuse one that removed or changed an entry (adding one is fine)."""
    before = dict(logs)
    call(hook, epoch, logs, name=name)
    changed = [k for k, v in before.items() if k not in logs or logs[k] is not v]
    expect(not changed, f"Your `{name}` removed or changed {', '.join(repr(k) for k in changed)} in the `logs` fit() "
                        f"passed it. History and the callbacks after yours read that dict: read it with `logs[...]` "
                        f"or `logs.get(...)`, never `pop` or overwrite its entries.")


#: (target, validation accuracies, training accuracies, epochs fit() should run); the first is the success message's.
#: Training accuracy passes the target earlier in runs 1-2, later in run 3 (reached exactly); run 4 never reaches it.
RUNS_10_3 = ((0.9, [0.80, 0.86, 0.90, 0.93, 0.95], [0.84, 0.91, 0.94, 0.96, 0.97], 3),
             (0.75, [0.60, 0.70, 0.74, 0.78, 0.80], [0.70, 0.76, 0.80, 0.85, 0.90], 4),
             (0.85, [0.80, 0.85, 0.90], [0.70, 0.80, 0.90], 2),
             (0.97, [0.90, 0.93, 0.95, 0.96], [0.95, 0.98, 0.99, 0.99], 4))
_STOP_BODY = '''\
        accuracy = logs["val_sparse_categorical_accuracy"]  # this epoch's validation accuracy, from logs
        if accuracy >= self.target:
            self.model.stop_training = True'''
_STOP_SOLUTION = f'''
class StopAtAccuracy(keras.callbacks.Callback):
    """Stops training after the first epoch whose validation accuracy reaches `target`."""

    def __init__(self, target):
        super().__init__()
        self.target = target

    def on_epoch_end(self, epoch, logs=None):
{_STOP_BODY}
'''


@exercise(
    "10.3", "Stop at a target accuracy", answers=("StopAtAccuracy",),
    starter=_STOP_SOLUTION.replace(_STOP_BODY, '''        accuracy = ___  # this epoch's validation accuracy, from logs
        if ___:         # when it reaches the target...
            ___         # ...ask fit() to stop'''),
    solution=_STOP_SOLUTION,
    hints=("`logs` holds this epoch's numbers under the names of `history.history`.",
           "A callback asks fit() to stop by setting an attribute of the model it trains, `self.model`.",
           ("`if accuracy >= self.target: self.model.stop_training = True`. Only ever set it to True: "
            "another callback may already have asked to stop in this epoch.")),
    context=_keras_context,
    varies="the target (0.9, 0.75, 0.85, 0.97) with its own validation/training accuracy run each\n"
           "a run that reaches its target exactly, one that never reaches it, training accuracy above and below\n"
           "one-epoch probes at each target (validation at the target, training above it) to name the mistake",
    exempt={"graph": "a callback's on_epoch_end runs in Python between fit()'s steps, never inside its tf.function"},
)
def q3(StopAtAccuracy):
    """Drives on_epoch_end through runs with other targets: it must set `self.model.stop_training` after the first
    epoch whose validation accuracy is >= the target, never un-ask another's stop, leave `logs` entries alone."""
    import keras
    cls = StopAtAccuracy
    expect(isinstance(cls, type) and issubclass(cls, keras.callbacks.Callback),
           f"`StopAtAccuracy` should be a class derived from `keras.callbacks.Callback`, but it is {describe(cls)}.")
    model = compiled_tiny_model()

    def run(target, val, train, preset_stop_at=None):  # the epochs fit() runs with these accuracies
        callback = call(cls, target, name="StopAtAccuracy")
        expect(isinstance(callback, keras.callbacks.Callback), f"`StopAtAccuracy({target})` is not a Callback.")
        attach_callback(callback, model, epochs=len(val), steps=10, name="StopAtAccuracy")
        model.stop_training = False
        for epoch, (v, t) in enumerate(zip(val, train)):
            if epoch == preset_stop_at:
                model.stop_training = True  # another callback asked to stop in this epoch
            logs = {"loss": 0.3, "sparse_categorical_accuracy": t, "val_loss": 0.35, VAL_ACC: v}
            try:
                logs_left_alone(callback.on_epoch_end, epoch, logs, "on_epoch_end")
            except Incorrect as exc:
                if "KeyError" in str(exc):
                    raise Incorrect(f"{str(exc).splitlines()[0]}\nThe logs of this notebook's model hold "
                                    f"{list(LOG_KEYS)}: the validation accuracy is `{VAL_ACC}`.") from None
                raise
            if model.stop_training:
                return epoch + 1, callback
        return len(val), callback

    def stops(target, val, train):  # does a fresh callback ask to stop after one epoch with these accuracies?
        return run(target, [val], [train])[0] == 1 and model.stop_training

    for target, val, train, want in RUNS_10_3:
        epochs, callback = run(target, val, train)
        if epochs == want:
            continue
        expect(model.stop_training or not getattr(callback, "stop_training", False), "Your callback sets "
               "`self.stop_training`, which fit() never reads. Ask the model: `self.model.stop_training = True`.")
        decisions = {t: (stops(t, t, t - 0.1), stops(t, t + 0.05, t - 0.1), stops(t, t - 0.1, t + 0.05))
                     for t in (0.9, target, 0.6)}  # (val at target, val above, only train above)
        right = (True, True, False)
        case = f"With target {target} and validation accuracies {val}, training should stop after epoch {want}"
        expect(not (decisions[0.9] == right and any(d != right for d in decisions.values())), f"{case}; your callback "
               f"ran {epochs}: it is right for a target of 0.9 only. Compare with `self.target`, not a fixed number.")
        expect(not any(d[2] and not d[1] for d in decisions.values()), f"{case}, but your callback stops when "
               f"the accuracy on the training data ({train}) reaches the target. Watch `logs['{VAL_ACC}']`.")
        expect(not any(d[1] and not d[0] for d in decisions.values()), f"{case}, the first whose accuracy "
               f"reaches the target (`>=`, not `>`); your callback ran {epochs} epochs.")
        case += ", the first whose validation accuracy reaches the target"
        expect(epochs > want, f"{case}; your callback stopped after epoch {epochs}, whose validation accuracy "
                              f"{val[epochs - 1]} is below the target.")
        raise Incorrect(f"{case}; with your callback fit() would run {epochs} epochs.")
    expect(run(0.9, [0.5] * 4, [0.5] * 4, preset_stop_at=1)[0] == 2, "Another callback (say EarlyStopping) "
           "asked to stop in epoch 2, and your callback set `stop_training` back to False, so training went on. "
           "Only ever set it to True.")
    return (f"Training stops after epoch 3, the first whose validation accuracy reaches {RUNS_10_3[0][0]}, and a "
            f"stop asked by another callback is left alone. The same pattern stops on any condition: a loss "
            f"below a bar, a time budget, a NaN.")


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
    stopper = keras.callbacks.EarlyStopping(min_delta=min_delta, patience=patience, restore_best_weights=True)
    epochs = _drive(stopper, model, [{"val_loss": v} for v in val_losses])
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
    "10.4", "Predict EarlyStopping", answers=("early_stopping_outcome",),
    starter=_OUTCOME_HEAD + "    return ___\n",
    solution=_OUTCOME_SOLUTION,
    hints=(("Replay section 2's rule epoch by epoch: an epoch improves only if it beats the best so far by "
            "more than `min_delta`; count the epochs since the last improvement."),
           ("Training stops at the end of the epoch where that count reaches `patience`; `epochs_run` counts that "
            "epoch too. The restored epoch is the last *improving* epoch, which need not be the lowest loss."),
           ("And when the count never reaches `patience`? In Keras 3, `restore_best_weights=True` puts the best "
            "epoch's weights back at the end of fit() even then.")),
    context=_keras_context,
    varies="patience 1 to 4 and min_delta 0 to 0.05, one run each, with Keras' EarlyStopping as the truth\n"
           "histories: stopping early or never, equal values, improvements smaller than min_delta\n"
           "a fresh list per run, compared afterwards, so an answer that changes `val_losses` is named",
    exempt={"graph": "the answer is plain Python on a list of floats; nothing of it runs inside fit()"},
)
def q4(early_stopping_outcome):
    """Compares `(epochs_run, restored_epoch)` with Keras' EarlyStopping on five histories (patience, min_delta vary),
    names the rule followed instead (lowest loss, off by one, `<=`, another patience, min_delta ignored) and refuses
    an answer that changes the list it is given."""
    name = "`early_stopping_outcome`"
    for losses, min_delta, patience, what in CASES:
        expected = runs, restored = _keras_outcome(losses, min_delta, patience)
        kept = Kept(list(losses), "val_losses")
        got = call(early_stopping_outcome, kept.value, min_delta, patience, name="early_stopping_outcome")
        expect(got is not None, f"{name} returned None: did you forget `return`?")
        expect(isinstance(got, (tuple, list)) and len(got) == 2,
               f"{name} should return a pair `(epochs_run, restored_epoch)`, but it returned {describe(got)}.")
        for part, value in zip(("epochs_run", "restored_epoch"), got):
            expect_type(value, int, part, "a whole number")
        got = int(got[0]), int(got[1])
        kept.expect_unchanged(by=name, fix="fit() keeps its history; read the list (`val_losses[0]`, a loop) or "
                                           "work on a copy (`list(val_losses)`).")
        if got == expected:
            continue
        case = f"val_losses={losses}, min_delta={min_delta}, patience={patience} ({what})"
        said = f"For {case} you say {got}; EarlyStopping gives {expected}"
        expect(got != (runs - 1, restored), f"For {case} you say {got[0]} epochs run; EarlyStopping runs {runs}. "
                                            f"It decides at the *end* of an epoch: `epochs_run` counts that epoch.")
        expect(got != _replay(losses, min_delta, patience, equal_improves=True),
               f"{said}: an equal value is not an improvement (it must beat the best by more than min_delta).")
        expect(runs < len(losses) or got != (runs, runs - 1), f"For {case}: EarlyStopping never stops early here, "
               f"yet with restore_best_weights Keras 3 puts back epoch {restored}'s weights when fit() ends.")
        other = next((p for p in range(1, 7) if p != patience and _replay(losses, min_delta, p) == got), None)
        expect(other is None, f"{said}. Your answer behaves as if patience were {other}: use the `patience` "
                              f"argument, not a number.")
        expect(not got[1] == losses.index(min(losses)) != restored, f"For {case}: epoch {got[1]} has the lowest loss, "
               f"but EarlyStopping restores epoch {restored}, the last one that improved by more than min_delta.")
        if min_delta and any(_replay(losses, d, patience) == got for d in (0.0, 0.01, 0.02, 0.05) if d != min_delta):
            raise Incorrect(f"{said}. Your answer ignores `min_delta`: an improvement beats the best by more than it.")
        raise Incorrect(f"For {case} you say {got[0]} epochs run and epoch {got[1]} restored; EarlyStopping runs "
                        f"{runs} and restores epoch {restored}.")
    return ("Your prediction matches EarlyStopping on all 5 runs. Keep in mind: the restored epoch is the last "
            "one that improved by more than min_delta, and Keras 3 restores it even when training never stopped "
            "early.")
