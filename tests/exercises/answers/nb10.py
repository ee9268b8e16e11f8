"""Test data for kitlib.exercises.nb10: realistic wrong answers (each with a substring of the
message its check must give) and other correct forms, tried by tests/exercises/test_catalog.py."""

from kitlib.exercises import Wrong, variant  # noqa: F401
from kitlib.exercises.nb10 import (  # noqa: F401
    _OUTCOME_HEAD,
    _OUTCOME_SOLUTION,
    _STOPPER_SOLUTION,
    _STOP_BODY,
    _STOP_SOLUTION,
    _VAL_MONITOR,
)


q1 = dict(
    wrong=(
        Wrong(variant(_STOPPER_SOLUTION, (_VAL_MONITOR, 'monitor="val_accuracy"')), "val_sparse_categorical_accuracy"),
        Wrong(variant(_STOPPER_SOLUTION, (_VAL_MONITOR, 'monitor="sparse_categorical_accuracy"')), "training data"),
        Wrong(variant(_STOPPER_SOLUTION, ("patience=3,", 'patience=3, mode="min",')), "mode"),
        Wrong(variant(_STOPPER_SOLUTION, (", restore_best_weights=True", "")), "restore_best_weights"),
        Wrong(variant(_STOPPER_SOLUTION, ("patience=3", "patience=2")), "patience"),
        Wrong("accuracy_stopper = keras.callbacks.EarlyStopping", "instance"),
        Wrong("accuracy_stopper = keras.callbacks.ReduceLROnPlateau", "class `ReduceLROnPlateau`"),
        Wrong("class Patient(keras.callbacks.EarlyStopping):\n"
              "    def on_epoch_end(self, epoch, logs=None):\n"
              "        pass  # never stops\n"
              'accuracy_stopper = Patient(monitor="val_sparse_categorical_accuracy", mode="max",\n'
              "                           patience=3, restore_best_weights=True)", "subclass of EarlyStopping"),
    ),
    alternatives=(
        ('accuracy_stopper = keras.callbacks.EarlyStopping("val_sparse_categorical_accuracy", mode="max",\n'
        '                                                 patience=3, restore_best_weights=True, verbose=1)'),
    ),
)

q2 = dict(
    wrong=(
        Wrong('def batch_checkpoint(folder):\n'
              '    return keras.callbacks.ModelCheckpoint(os.path.join(folder, "ckpt_{epoch}"), save_freq=5)',
              ".keras"),
        Wrong('def batch_checkpoint(folder):\n'
              '    return keras.callbacks.ModelCheckpoint(os.path.join(folder, "w-{epoch}.weights.h5"),\n'
              '                                           save_weights_only=True, save_freq=5)', "{batch}"),
        Wrong('def batch_checkpoint(folder):\n'
              '    return keras.callbacks.ModelCheckpoint(os.path.join(folder, "w-e{epoch}-b{batch}.weights.h5"),\n'
              '                                           save_weights_only=True)', "save_freq"),
        Wrong('def batch_checkpoint(folder):\n'
              '    return keras.callbacks.ModelCheckpoint(os.path.join(folder, "w-e{epoch}-b{batch}.keras"),\n'
              '                                           save_freq=5)', "only the weights"),
        Wrong('def batch_checkpoint(folder):\n'
              '    return keras.callbacks.ModelCheckpoint(f"{folder}/w-e{epoch}-b{batch}.weights.h5",\n'
              '                                           save_weights_only=True, save_freq=5)', "f-string"),
        Wrong('def batch_checkpoint(folder):\n'  # a NameError of its own: reported as it is, no f-string lesson
              '    raise NameError("no \'epoch\' in the name")', "raised NameError: no 'epoch'"),
        Wrong('def batch_checkpoint(folder):\n'
              '    return keras.callbacks.ModelCheckpoint("checkpoints/w-e{epoch}-b{batch}.weights.h5",\n'
              '                                           save_weights_only=True, save_freq=5)', "not into `folder`",
              kind="hardcoded"),
    ),
    alternatives=(
        ('def batch_checkpoint(folder):\n'
        '    return keras.callbacks.ModelCheckpoint(folder / "{epoch}_{batch}.weights.h5",\n'
        '                                           save_freq=5, save_weights_only=True)'),
        ('def batch_checkpoint(folder):\n'
        '    return keras.callbacks.ModelCheckpoint(f"{folder}/w-e{{epoch}}-b{{batch}}.weights.h5",\n'
        '                                           save_weights_only=True, save_freq=5)'),
    ),
)

q3 = dict(
    wrong=(
        Wrong(variant(_STOP_SOLUTION, ("self.model.stop_training = True", "self.stop_training = True")),
              "self.model.stop_training"),
        Wrong(variant(_STOP_SOLUTION, ('logs["val_sparse_categorical_accuracy"]', 'logs["val_accuracy"]')),
              "val_sparse_categorical_accuracy"),
        Wrong(variant(_STOP_SOLUTION, ('logs["val_sparse_categorical_accuracy"]', 'logs["sparse_categorical_accuracy"]')),
              "training data"),
        Wrong(variant(_STOP_SOLUTION, ("accuracy >= self.target", "accuracy > self.target")), "reaches"),
        Wrong(variant(_STOP_SOLUTION, ("accuracy >= self.target", "round(accuracy, 1) >= self.target")),
              "below the target"),
        Wrong(variant(_STOP_SOLUTION, (_STOP_BODY, '''        accuracy = logs["val_sparse_categorical_accuracy"]
        self.model.stop_training = accuracy >= self.target''')), "another callback"),
        Wrong(variant(_STOP_SOLUTION, ("accuracy >= self.target", "accuracy >= 0.9")), "self.target", kind="hardcoded"),
        Wrong(variant(_STOP_SOLUTION, ('logs["val_sparse_categorical_accuracy"]',
                                       'logs.pop("val_sparse_categorical_accuracy")')), "pop", kind="mutates"),
    ),
    alternatives=(
        variant(_STOP_SOLUTION, (_STOP_BODY, '''        logs = logs or {}
        if logs.get("val_sparse_categorical_accuracy", 0.0) >= self.target:
            print(f"epoch {epoch + 1} of {self.params['epochs']}: target reached, stopping")
            self.model.stop_training = True''')),
        variant(_STOP_SOLUTION, ("        if accuracy >= self.target:\n            self.model.stop_training = True",
                                 ("        if accuracy >= self.target:\n            self.model.stop_training = True\n"
                                 '        logs["target_reached"] = float(accuracy >= self.target)  # a new key'))),
    ),
)

q4 = dict(
    wrong=(
        Wrong(_OUTCOME_HEAD + "    best = int(np.argmin(val_losses))\n"
                              "    return min(len(val_losses), best + patience + 1), best\n", "lowest"),
        Wrong(variant(_OUTCOME_SOLUTION, ("return len(val_losses), best_epoch", "return len(val_losses), len(val_losses) - 1")),
              "never stops"),
        Wrong(variant(_OUTCOME_SOLUTION, ("return epoch + 1, best_epoch", "return epoch, best_epoch")), "counts that epoch"),
        Wrong(variant(_OUTCOME_SOLUTION, ("loss < best - min_delta", "loss <= best - min_delta")), "equal"),
        Wrong(variant(_OUTCOME_SOLUTION, ("waited >= patience", "waited >= 2")), "as if patience were 2",
              kind="hardcoded"),
        Wrong(variant(_OUTCOME_SOLUTION, ("loss < best - min_delta", "loss < best - 0.02")), "min_delta",
              kind="hardcoded"),
        Wrong(variant(_OUTCOME_SOLUTION, ("best, best_epoch, waited = None, 0, 0\n    for epoch, loss in enumerate(val_losses):",
                                          ("best, best_epoch, waited = val_losses.pop(0), 0, 0  # epoch 0 is the first best\n"
                                          "    for epoch, loss in enumerate(val_losses, start=1):")),
                      ("return len(val_losses), best_epoch", "return len(val_losses) + 1, best_epoch")),
              "changed `val_losses` in place", kind="mutates"),
    ),
    alternatives=(
        _OUTCOME_HEAD + '''    best, best_epoch = float("inf"), 0
    for epoch, loss in enumerate(val_losses):
        if loss < best - min_delta:
            best, best_epoch = loss, epoch
        elif epoch - best_epoch >= patience:
            return (epoch + 1, best_epoch)
    return (len(val_losses), best_epoch)
''',
        _OUTCOME_HEAD + '''    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    stopper = keras.callbacks.EarlyStopping(min_delta=min_delta, patience=patience, restore_best_weights=True)
    stopper.set_model(model)
    model.stop_training = False  # what fit() does first
    stopper.on_train_begin()
    for epoch, loss in enumerate(val_losses):
        model.set_weights([np.full(w.shape, epoch, w.dtype) for w in model.get_weights()])
        stopper.on_epoch_end(epoch, {"val_loss": loss})
        if model.stop_training:
            break
    stopper.on_train_end()
    return epoch + 1, int(model.get_weights()[1][0])
''',
    ),
)
