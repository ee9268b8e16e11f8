"""A small multi-worker job for tests/unit/test_distribute.py (not a test module).

    python distributed_worker.py OUT EPOCHS [plain] [shared-backup] [record-saves] [reference]

Trains a tiny model on fixed random data with ``BackupAndRestore`` and writes its final
weights to OUT/worker-<index>.npz. ``plain`` uses ``tf.distribute.MultiWorkerMirroredStrategy``
without kitlib's fix; ``shared-backup`` gives every worker the same backup folder;
``record-saves`` prints the path of every backup the callback writes; ``reference`` trains
the same model in this one process, without a strategy (weights in OUT/worker-reference.npz).
"""
import json
import os
import sys

out, epochs, flags = sys.argv[1], int(sys.argv[2]), set(sys.argv[3:])

import tensorflow as tf  # noqa: E402

import kitlib.distribute  # noqa: E402

if "reference" in flags:
    strategy = tf.distribute.get_strategy()
elif "plain" in flags:
    strategy = tf.distribute.MultiWorkerMirroredStrategy()
else:
    strategy = kitlib.distribute.multi_worker_strategy()

import keras  # noqa: E402
import numpy as np  # noqa: E402

me = "reference" if "reference" in flags else json.loads(os.environ["TF_CONFIG"])["task"]["index"]
kitlib.seed_everything(3)
rng = np.random.default_rng(0)
x = rng.random((256, 20), dtype=np.float32)
y = (x[:, :10].sum(axis=1) > x[:, 10:].sum(axis=1)).astype("int32")
dataset = tf.data.Dataset.from_tensor_slices((x, y)).batch(32)


def build():
    model = keras.Sequential([keras.Input((20,)), keras.layers.Dense(16, activation="relu"),
                              keras.layers.Dense(2, activation="softmax")])
    model.compile(optimizer=keras.optimizers.SGD(0.05, momentum=0.9), loss="sparse_categorical_crossentropy",
                  metrics=["sparse_categorical_accuracy"])
    return model


with strategy.scope():
    model = build()


class Say(keras.callbacks.Callback):
    def on_epoch_begin(self, epoch, logs=None):
        print(f"worker {me} starts epoch {epoch + 1}", flush=True)


class Backup(keras.callbacks.BackupAndRestore):
    def _save_model(self):
        if "record-saves" in flags:
            print(f"worker {me} writes {os.path.abspath(self._weights_path)}", flush=True)
        super()._save_model()


backup_dir = os.path.join(out, "backup") if "shared-backup" in flags else os.path.join(out, "backup", f"worker-{me}")
model.fit(dataset, epochs=epochs, callbacks=[Backup(backup_dir), Say()], shuffle=False, verbose=2)
np.savez(os.path.join(out, f"worker-{me}.npz"), *model.get_weights())
print(f"worker {me} done", flush=True)
