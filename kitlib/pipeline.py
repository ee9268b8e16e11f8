"""Input pipelines under the microscope (notebooks 06 tf.data and 07 PyDataset).

- ``BatchSpy``: a callback plus a tiny model that write down *which samples* every
  training, validation and prediction batch held, epoch by epoch. Feed it data whose
  first feature is the sample's number and you see exactly what ``fit()`` consumed
  (a log written inside a ``tf.data`` map would also count the batches that were only
  prefetched).
- ``EpochTimer``: wall-clock seconds per epoch, for small timing tables.
- ``write_samples``: a small set of per-sample ``.npy`` or ``.png`` files for the
  "read from disk" data generators.
"""

from __future__ import annotations

import csv
import os
import statistics
import time
from pathlib import Path

import numpy as np

import keras

from kitlib import _validate as V

__all__ = ["BatchSpy", "EpochTimer", "write_samples", "read_png", "process_workers"]


class _SpyLayer(keras.layers.Layer):
    """Identity layer that reports the first feature of every row it sees (eager mode only)."""

    def __init__(self, spy: "BatchSpy", **kwargs):
        super().__init__(**kwargs)
        self._spy = spy

    def call(self, inputs, training=None):
        if not isinstance(inputs, keras.KerasTensor):  # skip the symbolic build
            array = inputs.numpy() if hasattr(inputs, "numpy") else keras.ops.convert_to_numpy(inputs)
            ids = array[:, 0]
            self._spy._see(ids, bool(training))
        return inputs


class BatchSpy(keras.callbacks.Callback):
    """Record which samples each batch of ``fit``/``evaluate``/``predict`` held.

    Number your samples in the first input feature (sample *i* has value *i*), build
    the model with ``spy.model()`` and pass the spy as a callback::

        spy = BatchSpy()
        model = spy.model()
        model.fit(numbered_dataset, epochs=3, callbacks=[spy], verbose=0)
        spy.train        # one list per epoch, one tuple of sample numbers per batch
        spy.batches(4)   # the same as batch numbers (first sample // 4)

    ``spy.val`` holds one list per validation run inside ``fit``; ``spy.evaluated`` and
    ``spy.predicted`` the batches of the last ``evaluate``/``predict`` call. The model
    runs eagerly (it has one weight): it exists to watch the data, not to learn.
    """

    def __init__(self):
        super().__init__()
        self.train: list[list[tuple[int, ...]]] = []
        self.val: list[list[tuple[int, ...]]] = []
        self.evaluated: list[tuple[int, ...]] = []
        self.predicted: list[tuple[int, ...]] = []
        self._in_fit = False
        self._test: list | None = None
        self._predict: list | None = None

    # ---- the model the spy watches through
    def model(self, features: int = 1) -> keras.Model:
        """A compiled ``features → spy → Dense(1)`` model (SGD with learning rate 0, MSE,
        ``run_eagerly=True``): its weights never change, whatever the data."""
        V.integer(features, "features", low=1)
        model = keras.Sequential([keras.Input((features,), name="sample_number"),
                                  _SpyLayer(self, name="spy"),
                                  keras.layers.Dense(1, name="out")])
        model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.0), loss="mse", run_eagerly=True)
        return model

    # ---- callback hooks
    def on_train_begin(self, logs=None):
        self.train, self.val = [], []
        self._in_fit = True

    def on_train_end(self, logs=None):
        self._in_fit = False

    def on_epoch_begin(self, epoch, logs=None):
        self.train.append([])

    def on_test_begin(self, logs=None):
        if self._in_fit:
            self.val.append([])
            self._test = self.val[-1]
        else:
            self.evaluated = []
            self._test = self.evaluated

    def on_test_end(self, logs=None):
        self._test = None

    def on_predict_begin(self, logs=None):
        self.predicted = []
        self._predict = self.predicted

    def on_predict_end(self, logs=None):
        self._predict = None

    def _see(self, ids: np.ndarray, training: bool) -> None:
        batch = tuple(int(round(float(i))) for i in ids)
        if training:
            if not self.train:  # fit() without this spy among its callbacks
                raise RuntimeError("BatchSpy saw a training batch but is not a callback of fit(): "
                                   "pass callbacks=[spy]")
            self.train[-1].append(batch)
        elif self._test is not None:
            self._test.append(batch)
        elif self._predict is not None:
            self._predict.append(batch)

    # ---- views
    @staticmethod
    def _numbers(epochs, batch_size: int):
        V.integer(batch_size, "batch_size", low=1)
        return [[b[0] // batch_size for b in epoch] for epoch in epochs]

    def batches(self, batch_size: int, which: str = "train") -> list[list[int]]:
        """Per epoch (or validation run), the batch numbers seen: first sample // batch_size.

        Meaningful when batches are cut from data in order (batch k holds samples
        k·batch_size …); ``which`` is "train" or "val".
        """
        if which not in ("train", "val"):
            raise ValueError(f"which must be 'train' or 'val', not {which!r}")
        return self._numbers(self.train if which == "train" else self.val, batch_size)

    def report(self, batch_size: int | None = None) -> str:
        """One line per epoch: the batches trained on (and validated on, if any).

        With ``batch_size``, batches are shown by number (first sample // batch_size);
        without it, by their sample numbers.
        """
        def fmt(batches):
            if batch_size is None:
                return " ".join("[" + ",".join(map(str, b)) + "]" for b in batches)
            return " ".join(str(b[0] // batch_size) for b in batches)
        if batch_size is not None:
            self._numbers([], batch_size)  # validates batch_size
        lines = []
        for e, batches in enumerate(self.train):
            line = f"epoch {e + 1}: trained on {fmt(batches) or '(nothing)'}"
            if e < len(self.val):
                line += f" | validated on {fmt(self.val[e]) or '(nothing)'}"
            lines.append(line)
        return "\n".join(lines) if lines else "(no epoch recorded: was the spy among fit's callbacks?)"

    def samples(self, which: str = "train") -> list[list[int]]:
        """Per epoch (or validation run), every sample number seen, in order."""
        if which not in ("train", "val"):
            raise ValueError(f"which must be 'train' or 'val', not {which!r}")
        epochs = self.train if which == "train" else self.val
        return [[i for batch in epoch for i in batch] for epoch in epochs]


class EpochTimer(keras.callbacks.Callback):
    """Wall-clock seconds (validation included, if any) and training steps of every epoch
    of a ``fit``. Steps are counted correctly with ``steps_per_execution`` > 1."""

    def __init__(self):
        super().__init__()
        self.seconds: list[float] = []
        self.steps: list[int] = []
        self._t0 = 0.0

    def on_train_begin(self, logs=None):
        self.seconds, self.steps = [], []

    def on_epoch_begin(self, epoch, logs=None):
        self.steps.append(0)
        self._t0 = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        self.steps[-1] = batch + 1  # `batch` is the last step of this execution

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self._t0)

    def steady(self) -> float:
        """Median epoch time without the first epoch (tracing, cache filling); with one
        epoch, that epoch's time."""
        if not self.seconds:
            raise RuntimeError("no epoch timed yet: pass the timer to fit(callbacks=[timer])")
        later = self.seconds[1:] or self.seconds
        return statistics.median(later)


def write_samples(folder: str | os.PathLike, images, labels, fmt: str = "npy") -> tuple[list[str], np.ndarray]:
    """Write one file per sample into *folder* (``00000.npy`` …) and a ``labels.csv``.

    ``fmt="npy"`` saves each image array as it is; ``fmt="png"`` saves uint8 images of
    shape (h, w) or (h, w, 1|3) losslessly (grayscale or RGB). Returns the file paths
    (as strings) and the labels. Existing files are never overwritten: write into a
    fresh folder, e.g. ``kit.fresh_dir("samples")``.
    """
    if fmt not in ("npy", "png"):
        raise ValueError(f"fmt must be 'npy' or 'png', not {fmt!r}")
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder} is not a folder; create it first, e.g. kit.fresh_dir('samples')")
    images = np.asarray(images)
    labels = np.asarray(labels)
    if images.ndim < 2 or labels.shape != (images.shape[0],):
        raise ValueError(f"need one label per image: images {images.shape}, labels {labels.shape}")
    if images.shape[0] == 0:
        raise ValueError("no images to write")
    if fmt == "png":
        if images.dtype != np.uint8:
            raise TypeError(f"PNG files hold uint8 pixels (0–255); got {images.dtype}. "
                            f"Write the raw images, or fmt='npy' for float arrays")
        if not (images.ndim == 3 or (images.ndim == 4 and images.shape[-1] in (1, 3))):
            raise ValueError(f"PNG needs images shaped (n, h, w) or (n, h, w, 1|3), got {images.shape}")
    width = max(5, len(str(images.shape[0] - 1)))
    paths = [folder / f"{i:0{width}d}.{fmt}" for i in range(images.shape[0])]
    clash = [p for p in paths + [folder / "labels.csv"] if p.exists()]
    if clash:
        raise FileExistsError(f"{clash[0]} already exists; not overwriting it. Write into an empty "
                              f"folder, e.g. kit.fresh_dir('{folder.name}')")
    if fmt == "png":
        from PIL import Image
        for p, img in zip(paths, images):
            Image.fromarray(img[..., 0] if img.ndim == 3 and img.shape[-1] == 1 else img).save(p)
    else:
        for p, img in zip(paths, images):
            np.save(p, img, allow_pickle=False)
    with open(folder / "labels.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["file", "label"])
        w.writerows((p.name, lab.item()) for p, lab in zip(paths, labels))
    return [str(p) for p in paths], labels.copy()


def read_png(path: str | os.PathLike) -> np.ndarray:
    """The pixels of a PNG file as a uint8 array (h, w) or (h, w, 3), via Pillow."""
    from PIL import Image
    with Image.open(path) as img:
        return np.asarray(img)


def process_workers(cls: type | None = None) -> tuple[bool, str]:
    """Whether ``use_multiprocessing=True`` can run a PyDataset of class *cls* here, and why not.

    Keras starts worker processes with Python's default start method. With ``fork`` (Linux
    up to Python 3.13) a child inherits the notebook's classes. With ``spawn`` (Windows,
    macOS) or ``forkserver`` (Linux from Python 3.14) a child re-imports each class by module
    and name, and a class defined in a notebook (module ``__main__``) cannot be imported
    there: the workers fail instead of loading batches. Returns ``(True, "")`` or
    ``(False, explanation with the fix)``.
    """
    import multiprocessing

    method = multiprocessing.get_start_method(allow_none=True) or multiprocessing.get_context().get_start_method()
    if method == "fork":
        return True, ""
    module = getattr(cls, "__module__", "__main__") if cls is not None else "__main__"
    if module != "__main__":
        return True, ""
    name = getattr(cls, "__name__", "your PyDataset")
    return False, (f"worker processes start with {method!r} here, which re-imports `{name}` by name, and a "
                   f"class defined in a notebook cannot be imported in another process. Put the class "
                   f"in a .py file next to the notebook and import it from there, or use threads "
                   f"(workers=N without use_multiprocessing).")
