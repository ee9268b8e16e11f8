"""Exercises for notebook 07 · PyDataset (``from kitlib.exercises import ___, nb07 as ex``).

1. Only full batches (easy): ``__len__`` that leaves out a last, smaller batch.
2. Reshuffle in pairs (medium): ``on_epoch_end`` that reorders x and y together (spy run).
3. Weights from the generator (medium): ``__getitem__`` returning ``(x, y, sample_weight)``
   for samples read from files.
4. Augmentation you can reproduce (thought-provoking): per-batch random numbers that do
   not depend on which worker thread asks first.
"""

from __future__ import annotations

import math

from kitlib.exercises import Incorrect, Wrong, call, describe, exercise, expect

# --------------------------------------------------------------------------- the notebook's names


def _context():
    """Stand-ins for the notebook's imports and the classes its sections define."""
    import csv
    from pathlib import Path

    import keras
    import numpy as np

    class ArrayBatches(keras.utils.PyDataset):
        """Consecutive batches of `batch_size` samples from two arrays (section 1)."""

        def __init__(self, x, y, batch_size, **kwargs):
            super().__init__(**kwargs)
            self.x, self.y = x, y
            self.batch_size = batch_size

        def __len__(self):
            return math.ceil(len(self.x) / self.batch_size)

        def __getitem__(self, idx):
            start = idx * self.batch_size
            stop = start + self.batch_size
            return self.x[start:stop], self.y[start:stop]

    class NpyFiles(keras.utils.PyDataset):
        """Batches read from one .npy file per sample, listed in a labels.csv (section 5)."""

        def __init__(self, folder, batch_size=64, shuffle=True, seed=0, **kwargs):
            super().__init__(**kwargs)
            folder = Path(folder)
            with open(folder / "labels.csv") as f:
                rows = list(csv.DictReader(f))
            self.paths = [folder / row["file"] for row in rows]
            self.labels = np.array([int(row["label"]) for row in rows], dtype="float32")
            self.batch_size = batch_size
            self.shuffle = shuffle
            self.order = np.arange(len(self.paths))
            self.rng = np.random.default_rng(seed)

        def __len__(self):
            return math.ceil(len(self.paths) / self.batch_size)

        def __getitem__(self, idx):
            ids = self.order[idx * self.batch_size:(idx + 1) * self.batch_size]
            images = np.stack([np.load(self.paths[i]) for i in ids])
            x = images.reshape(len(ids), 784).astype("float32") / 255
            return x, self.labels[ids]

        def on_epoch_end(self):
            if self.shuffle:
                self.rng.shuffle(self.order)

    return {"keras": keras, "np": np, "math": math, "csv": csv, "Path": Path,
            "ArrayBatches": ArrayBatches, "NpyFiles": NpyFiles}


def _dataset_class(value, name: str):
    import keras
    if not (isinstance(value, type) and issubclass(value, keras.utils.PyDataset)):
        raise Incorrect(f"`{name}` should be the class (a subclass of keras.utils.PyDataset) that the "
                        f"answer cell defines, but it is {describe(value)}: run that cell again.")
    return value


def _batch(ds, idx: int, name: str):
    """``ds[idx]`` the way a check should ask for it (errors and ___ become outcomes)."""
    return call(lambda: ds[idx], name=f"{name}.__getitem__")


def _numbered(n: int):
    """x: sample i has the single feature i; y: 100 + i (so a pair can be checked)."""
    import numpy as np
    x = np.arange(n, dtype="float32")[:, None]
    return x, 100.0 + x[:, 0]


# --------------------------------------------------------------------------- 1. only full batches


_FULL = """
class FullBatches(keras.utils.PyDataset):
    def __init__(self, x, y, batch_size, **kwargs):
        super().__init__(**kwargs)
        self.x, self.y, self.batch_size = x, y, batch_size
    def __len__(self):
        return @@
    def __getitem__(self, idx):
        start = idx * self.batch_size
        return self.x[start:start + self.batch_size], self.y[start:start + self.batch_size]
"""


@exercise(
    "07.1", "Only full batches",
    answers=("FullBatches",),
    starter='''
class FullBatches(keras.utils.PyDataset):
    """Batches of exactly batch_size samples: a last, smaller batch is left out."""
    def __init__(self, x, y, batch_size, **kwargs):
        super().__init__(**kwargs)
        self.x, self.y = x, y
        self.batch_size = batch_size
    def __len__(self):
        return ___   # how many full batches there are
    def __getitem__(self, idx):
        start = idx * self.batch_size
        return self.x[start:start + self.batch_size], self.y[start:start + self.batch_size]
''',
    solution='''
class FullBatches(keras.utils.PyDataset):
    """Batches of exactly batch_size samples: a last, smaller batch is left out."""
    def __init__(self, x, y, batch_size, **kwargs):
        super().__init__(**kwargs)
        self.x, self.y = x, y
        self.batch_size = batch_size
    def __len__(self):
        return len(self.x) // self.batch_size
    def __getitem__(self, idx):
        start = idx * self.batch_size
        return self.x[start:start + self.batch_size], self.y[start:start + self.batch_size]
''',
    hints=(
        ("`fit()` asks for batches 0, 1, ..., len(dataset) - 1. Which `len` makes it stop before the "
        "smaller last batch?"),
        "Section 1 rounds up with `math.ceil`; here you want to round down.",
        "`len(self.x) // self.batch_size`: integer division drops the remainder.",
    ),
    context=_context,
    wrong=(
        Wrong(_FULL.replace("@@", "math.ceil(len(self.x) / self.batch_size)"), "smaller"),
        Wrong(_FULL.replace("@@", "len(self.x) / self.batch_size"), "whole number"),
        Wrong(_FULL.replace("@@", "round(len(self.x) / self.batch_size)"), "smaller"),
        Wrong(_FULL.replace("@@", "len(self.x)"), "counts batches"),
        Wrong("FullBatches = 4", "should be the class"),
    ),
    alternatives=(
        _FULL.replace("@@", "int(len(self.x) / self.batch_size)"),
        _FULL.replace("@@", "math.floor(len(self.x) / self.batch_size)"),
    ),
)
def q1(FullBatches):
    import numpy as np
    cls = _dataset_class(FullBatches, "FullBatches")
    for n, batch_size in ((12, 4), (14, 4), (7, 4), (10, 4)):
        x, y = _numbered(n)
        ds = call(cls, x, y, batch_size, name="FullBatches")
        length = call(ds.__len__, name="FullBatches.__len__")
        full = n // batch_size
        expect(isinstance(length, (int, np.integer)) and not isinstance(length, bool),
               f"`__len__` should return a whole number of batches; for {n} samples in batches of "
               f"{batch_size} it returned {describe(length)}, and `len()` refuses anything but an int.")
        if length == n:
            raise Incorrect(f"For {n} samples in batches of {batch_size}, `__len__` returned {n}: it counts "
                            f"batches, not samples.")
        sizes = [len(_batch(ds, i, "FullBatches")[0]) for i in range(min(int(length), 100))]
        if int(length) > full:
            raise Incorrect(f"For {n} samples in batches of {batch_size}, `__len__` returned {length}, so "
                            f"fit() also asks for a last, smaller batch (batch sizes {sizes}). Round down.")
        expect(int(length) == full, f"For {n} samples in batches of {batch_size} there are {full} full "
                                    f"batches, but `__len__` returned {length}.")
    return ("Every batch fit() asks for is full; the few samples left over are skipped in each epoch "
            "(reshuffle between epochs and they are different ones each time).")


# --------------------------------------------------------------------------- 2. reshuffle in pairs


_PAIRED = """
class PairedShuffle(ArrayBatches):
    def __init__(self, x, y, batch_size, seed=0, **kwargs):
        super().__init__(x, y, batch_size, **kwargs)
        self.rng = np.random.default_rng(seed)
    def on_epoch_end(self):
@@
"""


@exercise(
    "07.2", "Reshuffle in pairs",
    answers=("PairedShuffle",),
    starter='''
class PairedShuffle(ArrayBatches):
    """ArrayBatches that reorders its samples after every epoch, each x with its own y."""
    def __init__(self, x, y, batch_size, seed=0, **kwargs):
        super().__init__(x, y, batch_size, **kwargs)
        self.rng = np.random.default_rng(seed)
    def on_epoch_end(self):
        order = ___           # a new random order of the sample positions (use self.rng)
        self.x, self.y = ___  # both arrays in that order
''',
    solution='''
class PairedShuffle(ArrayBatches):
    """ArrayBatches that reorders its samples after every epoch, each x with its own y."""
    def __init__(self, x, y, batch_size, seed=0, **kwargs):
        super().__init__(x, y, batch_size, **kwargs)
        self.rng = np.random.default_rng(seed)
    def on_epoch_end(self):
        order = self.rng.permutation(len(self.x))
        self.x, self.y = self.x[order], self.y[order]
''',
    hints=(
        "A permutation of the positions 0..n-1, applied to both arrays, keeps every pair together.",
        "`self.rng.permutation(len(self.x))` gives one; `array[order]` reorders an array with it.",
        ("What goes wrong with `self.rng.shuffle(self.x)` followed by `self.rng.shuffle(self.y)`? The "
        "generator has moved on between the two calls."),
    ),
    context=_context,
    wrong=(
        Wrong(_PAIRED.replace("@@", "        self.rng.shuffle(self.x)\n        self.rng.shuffle(self.y)"),
              "no longer"),
        Wrong(_PAIRED.replace("@@", "        order = self.rng.permutation(len(self.x))\n"
                                    "        self.x = self.x[order]"), "no longer"),
        Wrong(_PAIRED.replace("@@", "        order = self.rng.integers(0, len(self.x), len(self.x))\n"
                                    "        self.x, self.y = self.x[order], self.y[order]"), "twice"),
        Wrong(_PAIRED.replace("@@", "        order = self.rng.permutation(len(self.x))\n"
                                    "        x, y = self.x[order], self.y[order]"), "same order"),
    ),
    alternatives=(
        _PAIRED.replace("@@", "        order = np.arange(len(self.x))\n        self.rng.shuffle(order)\n"
                              "        self.x, self.y = self.x[order], self.y[order]"),
    ),
)
def q2(PairedShuffle):
    from kitlib.checks import attempt
    from kitlib.pipeline import BatchSpy

    cls = _dataset_class(PairedShuffle, "PairedShuffle")
    n, batch_size, epochs = 20, 4, 3
    x, y = _numbered(n)
    ds = call(cls, x.copy(), y.copy(), batch_size, name="PairedShuffle")
    call(ds.on_epoch_end, name="PairedShuffle.on_epoch_end")

    def pairs_ok(what: str):
        for i in range(math.ceil(n / batch_size)):
            bx, by = _batch(ds, i, "PairedShuffle")[:2]
            ids = [int(v) for v in bx[:, 0]]
            labels = [int(v) - 100 for v in by]
            if ids != labels:
                k = next(j for j in range(len(ids)) if ids[j] != labels[j])
                raise Incorrect(f"{what}, sample {ids[k]} comes with the label of sample {labels[k]}: x and y "
                                f"no longer match. Reorder both arrays with one and the same permutation.")
    pairs_ok("After one on_epoch_end()")
    spy = BatchSpy()
    run = attempt(lambda: spy.model().fit(ds, epochs=epochs, callbacks=[spy], verbose=0, shuffle=False),
                  show=False)
    if run.error is not None:
        raise Incorrect(f"fit() on your dataset raised {run.raised}: {run.message[:200]}")
    for e, s in enumerate(spy.samples(), start=1):
        twice = sorted({i for i in s if s.count(i) > 1})
        expect(not twice, f"Epoch {e} trained on sample {twice[0] if twice else ''} twice and skipped others: "
                          f"draw a permutation (each position once), not random positions.")
        expect(sorted(s) == list(range(n)), f"Epoch {e} did not train on each of the {n} samples once.")
    if len({tuple(s) for s in spy.samples()}) < epochs:
        raise Incorrect("Two epochs trained on the samples in the same order: `on_epoch_end` must change "
                        "`self.x` and `self.y` themselves (assign the reordered arrays back).")
    pairs_ok(f"After {epochs} epochs")
    return ("Each epoch trains on every sample once, in a new order, and every x keeps its y. For large "
            "arrays, reorder an index instead (ShuffledBatches in section 3): it avoids copying the data "
            "at every epoch.")


# --------------------------------------------------------------------------- 3. weights from the generator


_CLASS_WEIGHT = {1: 3.0, 4: 0.5}  # classes 0, 2, 3 are left out: weight 1.0


_WEIGHTED = """
class WeightedNpyFiles(NpyFiles):
    def __init__(self, folder, class_weight, **kwargs):
        super().__init__(folder, **kwargs)
        self.class_weight = class_weight
    def __getitem__(self, idx):
        x, y = super().__getitem__(idx)
@@
"""


@exercise(
    "07.3", "Weights from the generator",
    answers=("WeightedNpyFiles",),
    starter='''
class WeightedNpyFiles(NpyFiles):
    """NpyFiles whose batches also carry a weight per sample, looked up in class_weight."""
    def __init__(self, folder, class_weight, **kwargs):
        super().__init__(folder, **kwargs)
        self.class_weight = class_weight   # e.g. {5: 2.0}; a class left out weighs 1.0
    def __getitem__(self, idx):
        x, y = super().__getitem__(idx)
        w = ___        # one weight per sample of this batch
        return ___     # what fit() needs to use the weights
''',
    solution='''
class WeightedNpyFiles(NpyFiles):
    """NpyFiles whose batches also carry a weight per sample, looked up in class_weight."""
    def __init__(self, folder, class_weight, **kwargs):
        super().__init__(folder, **kwargs)
        self.class_weight = class_weight   # e.g. {5: 2.0}; a class left out weighs 1.0
    def __getitem__(self, idx):
        x, y = super().__getitem__(idx)
        w = np.array([self.class_weight.get(int(label), 1.0) for label in y], dtype="float32")
        return x, y, w
''',
    hints=(
        ("A PyDataset batch may be `(x, y)` or `(x, y, sample_weight)`; Keras reads the third element as "
        "one weight per sample."),
        ("`y` holds float labels such as 4.0; `self.class_weight.get(int(label), 1.0)` gives a label's "
        "weight, 1.0 for a class the dict leaves out."),
        ("`w = np.array([self.class_weight.get(int(label), 1.0) for label in y], dtype=\"float32\")` and "
        "`return x, y, w`."),
    ),
    context=_context,
    wrong=(
        Wrong(_WEIGHTED.replace("@@", "        w = np.array([self.class_weight.get(int(l), 1.0) for l in y])\n"
                                      "        return x, y"), "two elements"),
        Wrong(_WEIGHTED.replace("@@", "        w = np.array([self.class_weight[int(l)] for l in y])\n"
                                      "        return x, y, w"), "left out"),
        Wrong(_WEIGHTED.replace("@@", "        w = np.array([self.class_weight.get(l, 1.0) for l in y], 'float32')\n"
                                      "        return x, y, w[:, None]"), "shape"),
        Wrong(_WEIGHTED.replace("@@", "        w = np.array([self.class_weight.get(int(l), 0.0) for l in y])\n"
                                      "        return x, y, w"), "weighs 1.0"),
        Wrong(_WEIGHTED.replace("@@", "        return x, y, self.class_weight"), "one weight per sample"),
    ),
    alternatives=(
        _WEIGHTED.replace("@@", "        w = np.ones(len(y), dtype='float32')\n"
                                "        for c, weight in self.class_weight.items():\n"
                                "            w[y == c] = weight\n"
                                "        return [x, y, w]"),
    ),
)
def q3(WeightedNpyFiles):
    import tempfile

    import numpy as np

    from kitlib.exercises import tiny_model
    from kitlib.pipeline import write_samples

    cls = _dataset_class(WeightedNpyFiles, "WeightedNpyFiles")
    n, batch_size = 10, 4
    rng = np.random.default_rng(7)
    images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
    labels = np.arange(n) % 5
    weight_of = np.array([_CLASS_WEIGHT.get(c, 1.0) for c in range(5)], dtype="float32")
    with tempfile.TemporaryDirectory(prefix="kitlib-07.3-") as folder:
        write_samples(folder, images, labels, fmt="npy")
        ds = call(cls, folder, dict(_CLASS_WEIGHT), batch_size=batch_size, shuffle=False,
                  name="WeightedNpyFiles")
        batches = []
        for i in range(math.ceil(n / batch_size)):
            try:
                batches.append(_batch(ds, i, "WeightedNpyFiles"))
            except Incorrect as exc:
                if "KeyError" in str(exc):
                    raise Incorrect(f"{exc}\nclass_weight may leave classes out (here {sorted(_CLASS_WEIGHT)} "
                                    f"only): a class left out weighs 1.0, so look up with "
                                    f"`.get(label, 1.0)`.") from None
                raise
        for i, batch in enumerate(batches):
            expect(isinstance(batch, (tuple, list)),
                   f"Batch {i} is {describe(batch)}; it should be a tuple `(x, y, w)`.")
            if len(batch) == 2:
                raise Incorrect("Your batches have two elements, `(x, y)`: Keras trains on them unweighted. "
                                "Return the weights as a third element, `(x, y, w)`.")
            expect(len(batch) == 3, f"Batch {i} has {len(batch)} elements; Keras expects `(x, y, w)`.")
            w = batch[2]
            if isinstance(w, dict):
                raise Incorrect("The third element is the class_weight dict; Keras wants one weight per sample "
                                "of the batch (an array as long as y).")
            try:
                w = np.asarray(w, dtype="float64")
            except (TypeError, ValueError):
                raise Incorrect(f"The third element of batch {i} is {describe(batch[2])}; it should be an "
                                f"array with one weight per sample.") from None
            ids = labels[i * batch_size:(i + 1) * batch_size]
            if w.shape != (len(ids),):
                raise Incorrect(f"The weights of batch {i} have shape {w.shape}; give them shape "
                                f"({len(ids)},), one per sample (Keras refuses a column here).")
            expected = weight_of[ids]
            if not np.allclose(w, expected):
                k = int(np.flatnonzero(~np.isclose(w, expected))[0])
                c = int(ids[k])
                missing = c not in _CLASS_WEIGHT
                raise Incorrect(f"In batch {i}, a sample of class {c} got weight {w[k]:g} instead of "
                                f"{expected[k]:g}" + (" (class_weight leaves that class out, so it weighs 1.0)."
                                                      if missing else "."))
        model = tiny_model(input_dim=784, num_classes=5)
        model.compile(loss="sparse_categorical_crossentropy")
        x_all = images.reshape(n, 784).astype("float32") / 255
        y_all = labels.astype("float32")
        on_files = model.evaluate(ds, verbose=0)
        on_arrays = model.evaluate(x_all, y_all, sample_weight=weight_of[labels], batch_size=batch_size, verbose=0)
    expect(math.isclose(on_files, on_arrays, rel_tol=1e-5),
           f"evaluate() on your dataset gives a loss of {on_files:.5f}, but {on_arrays:.5f} on the same "
           f"samples with these weights as sample_weight.")
    return ("Each batch carries one weight per sample, and evaluate() on the files gives the same weighted "
            "loss as the arrays with sample_weight=. (fit(class_weight=...) also works on a PyDataset; "
            "returning w yourself lets the weights come from anywhere, e.g. a column of labels.csv.)")


# --------------------------------------------------------------------------- 4. reproducible augmentation


_NOISY = """
class NoisyBatches(ArrayBatches):
    def __init__(self, x, y, batch_size, seed=0, **kwargs):
        super().__init__(x, y, batch_size, **kwargs)
        self.seed = seed
        self.epoch = 0
        self.rng = np.random.default_rng(seed)
    def on_epoch_end(self):
        self.epoch += 1
    def __getitem__(self, idx):
        x, y = super().__getitem__(idx)
        rng = @@
        return x + rng.normal(0.0, 0.1, size=x.shape).astype("float32"), y
"""


@exercise(
    "07.4", "Augmentation you can reproduce",
    answers=("NoisyBatches",),
    starter='''
class NoisyBatches(ArrayBatches):
    """ArrayBatches that adds a little noise to x: new noise every epoch, yet the same
    numbers whatever order (or worker thread) the batches are asked for in."""
    def __init__(self, x, y, batch_size, seed=0, **kwargs):
        super().__init__(x, y, batch_size, **kwargs)
        self.seed = seed
        self.epoch = 0
    def on_epoch_end(self):
        self.epoch += 1
    def __getitem__(self, idx):
        x, y = super().__getitem__(idx)
        rng = ___   # a random generator for this batch of this epoch
        return x + rng.normal(0.0, 0.1, size=x.shape).astype("float32"), y
''',
    solution='''
class NoisyBatches(ArrayBatches):
    """ArrayBatches that adds a little noise to x: new noise every epoch, yet the same
    numbers whatever order (or worker thread) the batches are asked for in."""
    def __init__(self, x, y, batch_size, seed=0, **kwargs):
        super().__init__(x, y, batch_size, **kwargs)
        self.seed = seed
        self.epoch = 0
    def on_epoch_end(self):
        self.epoch += 1
    def __getitem__(self, idx):
        x, y = super().__getitem__(idx)
        rng = np.random.default_rng([self.seed, self.epoch, idx])
        return x + rng.normal(0.0, 0.1, size=x.shape).astype("float32"), y
''',
    hints=(
        ("With `workers=4`, four threads call `__getitem__` at once, in an order nobody controls. A generator "
        "shared by all batches hands out its numbers in that order."),
        ("Make a new generator inside `__getitem__`, seeded by everything that names this batch: the "
        "dataset's seed, the epoch and `idx`."),
        "`np.random.default_rng([self.seed, self.epoch, idx])`. Why not `self.seed + self.epoch + idx`?",
    ),
    context=_context,
    wrong=(
        Wrong(_NOISY.replace("@@", "self.rng"), "order"),
        Wrong(_NOISY.replace("@@", "np.random.default_rng()"), "reproduce"),
        Wrong(_NOISY.replace("@@", "np.random.default_rng(self.seed)"), "every batch"),
        Wrong(_NOISY.replace("@@", "np.random.default_rng([self.seed, idx])"), "every epoch"),
        Wrong(_NOISY.replace("@@", "np.random.default_rng(self.seed + self.epoch + idx)"), "collide"),
        Wrong(_NOISY.replace("@@", "np.random.default_rng([self.epoch, idx])"), "seed"),
    ),
    alternatives=(
        _NOISY.replace("@@", "np.random.default_rng(np.random.SeedSequence([self.seed, self.epoch, idx]))"),
        _NOISY.replace("@@", "np.random.default_rng((self.seed, self.epoch, idx))"),
    ),
)
def q4(NoisyBatches):
    from concurrent.futures import ThreadPoolExecutor

    import numpy as np

    cls = _dataset_class(NoisyBatches, "NoisyBatches")
    n, batch_size = 16, 4
    x = np.zeros((n, 3), dtype="float32")  # x is all zeros, so a batch shows its noise
    y = np.arange(n, dtype="float32")
    n_batches = n // batch_size

    def make(seed):
        return call(cls, x, y, batch_size, seed=seed, name="NoisyBatches")

    def noise(ds, idx):
        batch = _batch(ds, idx, "NoisyBatches")
        expect(isinstance(batch, (tuple, list)) and len(batch) >= 2,
               f"A batch should be `(x, y)`, but batch {idx} is {describe(batch)}.")
        try:
            return np.asarray(batch[0], dtype="float64")
        except (TypeError, ValueError):
            raise Incorrect(f"x of batch {idx} is {describe(batch[0])}; it should be an array.") from None

    ds = make(seed=0)
    first = [noise(ds, i) for i in range(n_batches)]
    expect(all(a.shape == (batch_size, 3) for a in first), "Each x should keep its shape (batch_size, 3).")
    if all(np.array_equal(a, 0.0 * a) for a in first):
        raise Incorrect("x comes back unchanged: keep the noise line of the starter.")
    same_order = make(seed=0)
    if not all(np.array_equal(noise(same_order, i), first[i]) for i in range(n_batches)):
        raise Incorrect("A second dataset built with the same seed gives other noise, even asked in the same "
                        "order: nobody can reproduce a run. Seed the generator.")
    other_order = make(seed=0)
    again = {i: noise(other_order, i) for i in reversed(range(n_batches))}
    if not all(np.array_equal(again[i], first[i]) for i in range(n_batches)):
        raise Incorrect("Asked for in another order (last batch first), the same batches get different "
                        "noise: one generator shared by all batches hands out its numbers in call order. "
                        "With `workers=4` that order changes from run to run.")
    with ThreadPoolExecutor(4) as pool:
        order = [3, 1, 2, 0, 2, 3, 0, 1]
        threaded = list(pool.map(lambda i: noise(ds, i), order))
    for i, a in zip(order, threaded):
        expect(np.array_equal(a, first[i]), f"Batch {i} asked for from 4 threads at once differs from the "
                                            f"same batch asked for alone.")
    if any(np.array_equal(first[0], a) for a in first[1:]):
        raise Incorrect("Two batches of one epoch got the same noise: every batch gets the same noise, so "
                        "the generator must depend on `idx`.")
    if all(np.array_equal(noise(make(seed=1), i), first[i]) for i in range(n_batches)):
        raise Incorrect("seed=1 gives the same noise as seed=0: the generator ignores the dataset's seed.")
    call(ds.on_epoch_end, name="NoisyBatches.on_epoch_end")
    next_epoch = [noise(ds, i) for i in range(n_batches)]
    if all(np.array_equal(a, b) for a, b in zip(first, next_epoch)):
        raise Incorrect("The next epoch gets exactly the same noise: the model sees the same 'augmented' "
                        "samples every epoch. Make the generator depend on the epoch too.")
    if any(np.array_equal(next_epoch[i], first[i + 1]) for i in range(n_batches - 1)):
        raise Incorrect("Batch 0 of the next epoch gets the noise of batch 1 of this epoch: seeds built as "
                        "a sum collide (0 + 1 + 0 = 0 + 0 + 1). Give the numbers to the generator as a "
                        "list, `[seed, epoch, idx]`, so that no two batches share a seed.")
    return ("The noise depends only on (seed, epoch, batch): the same in any order and from any thread, "
            "new every epoch, so `workers=4` gives the same training as one worker.")
