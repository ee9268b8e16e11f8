"""Exercises for notebook 07 · PyDataset (``from kitlib.exercises import ___, nb07 as ex``).

1. Only full batches (easy): ``__len__`` that leaves out a last, smaller batch.
2. Reshuffle in pairs (medium): ``on_epoch_end`` that reorders x and y together (spy run).
3. Weights from the generator (medium): ``__getitem__`` returning ``(x, y, sample_weight)`` for samples read from files.
4. Augmentation you can reproduce (thought-provoking): per-batch noise that does not depend on which thread asks first.
"""

from __future__ import annotations

import math

from kitlib.exercises import Incorrect, Kept, call, describe, exercise, expect, guarded, variant

_PYTHON_ONLY = ("a PyDataset's methods run in Python (Keras calls them from its data iterator or worker "
                "threads), never inside a tf.function, so nothing works eagerly yet fails in fit()'s graph")


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
            self.x, self.y, self.batch_size = x, y, batch_size
        def __len__(self):
            return math.ceil(len(self.x) / self.batch_size)
        def __getitem__(self, idx):
            batch = slice(idx * self.batch_size, (idx + 1) * self.batch_size)
            return self.x[batch], self.y[batch]

    class NpyFiles(keras.utils.PyDataset):
        """Batches read from one .npy file per sample, listed in a labels.csv (section 5)."""
        def __init__(self, folder, batch_size=64, shuffle=True, seed=0, **kwargs):
            super().__init__(**kwargs)
            with open(Path(folder) / "labels.csv") as f:
                rows = list(csv.DictReader(f))
            self.paths = [Path(folder) / row["file"] for row in rows]
            self.labels = np.array([int(row["label"]) for row in rows], dtype="float32")
            self.batch_size, self.shuffle = batch_size, shuffle
            self.order, self.rng = np.arange(len(self.paths)), np.random.default_rng(seed)
        def __len__(self):
            return math.ceil(len(self.paths) / self.batch_size)
        def __getitem__(self, idx):
            ids = self.order[idx * self.batch_size:(idx + 1) * self.batch_size]
            x = np.stack([np.load(self.paths[i]) for i in ids]).reshape(len(ids), 784).astype("float32") / 255
            return x, self.labels[ids]
        def on_epoch_end(self):
            if self.shuffle:
                self.rng.shuffle(self.order)
    return {"keras": keras, "np": np, "math": math, "csv": csv, "Path": Path, "SEED": 42,
            "ArrayBatches": ArrayBatches, "NpyFiles": NpyFiles}


def _dataset_class(value, name: str):
    import keras
    expect(isinstance(value, type) and issubclass(value, keras.utils.PyDataset),
           f"`{name}` should be the class (a subclass of keras.utils.PyDataset) that the answer cell defines, but it "
           f"is {describe(value)}: run that cell again.")
    return value


def _batch(ds, idx: int, name: str, pair: bool = False):
    """``ds[idx]`` the way a check should ask for it (errors and ___ become outcomes); with *pair*, an ``(x, y)``."""
    batch = call(lambda: ds[idx], name=f"{name}.__getitem__")
    expect(not pair or (isinstance(batch, (tuple, list)) and len(batch) >= 2),
           f"A batch should be `(x, y)`, but batch {idx} is {describe(batch)}.")
    return batch


def _numbered(n: int):
    """x: sample i has the single feature i; y: 100 + i (so a pair can be checked)."""
    import numpy as np
    return np.arange(n, dtype="float32")[:, None], 100.0 + np.arange(n, dtype="float32")


def _with_advice(action, errors, advice: str):
    """Run *action*; an error of the learner's code of a type in *errors* gets *advice* added to its message."""
    try:
        return action()
    except Incorrect as exc:
        if isinstance(exc.learner_error, errors):
            raise Incorrect(f"{exc}\n{advice}") from None
        raise


_SOLUTION_1 = '''
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
'''
_LEN = "len(self.x) // self.batch_size"


@exercise(
    "07.1", "Only full batches", answers=("FullBatches",),
    starter=variant(_SOLUTION_1, (_LEN, "___   # how many full batches there are")),
    solution=_SOLUTION_1, context=_context,
    hints=(("`fit()` asks for batches 0, 1, ..., len(dataset) - 1. Which `len` makes it stop before the "
            "smaller last batch?"),
           "Section 1 rounds up with `math.ceil`; here you want to round down.",
           "`len(self.x) // self.batch_size`: integer division drops the remainder."),
    varies=("n and batch_size: (12, 4) divides evenly; (14, 4), (7, 3), (10, 5), (23, 6) leave a rest "
            "(several batch sizes and sample counts)"),
    exempt={"mutates": "the answer is `__len__`, which returns a count and is handed no object of the caller "
                       "to change (the arrays are only stored by the given `__init__`)",
            "graph": _PYTHON_ONLY},
)
def q1(FullBatches):
    """Verifies that `__len__` returns the number of full batches, an int, for several sample counts and batch
    sizes (one dividing evenly, others leaving a rest), and that every batch fit() asks for holds batch_size."""
    import numpy as np
    cls = _dataset_class(FullBatches, "FullBatches")
    right = []   # (n, batch_size) already judged right: names what a fixed number ignores
    for n, batch_size in ((12, 4), (14, 4), (7, 3), (10, 5), (23, 6)):   # the first divides evenly, the others not
        ds = call(cls, *_numbered(n), batch_size, name="FullBatches")
        length = call(ds.__len__, name="FullBatches.__len__")
        full = n // batch_size
        where = f"{n} samples in batches of {batch_size}"
        expect(isinstance(length, (int, np.integer)) and not isinstance(length, bool),
               f"`__len__` should return a whole number of batches (`len()` refuses anything but an int); for {where} "
               f"it returned {describe(length)}.")
        expect(length != n, f"For {where}, `__len__` returned {n}: it counts batches, not samples.")
        expect(int(length) <= math.ceil(n / batch_size),
               f"For {where}, `__len__` returned {length}: more batches than the data holds. Count the samples with "
               f"`len(self.x)` (the check tries several sizes), not with a fixed number.")
        sizes = [len(_batch(ds, i, "FullBatches")[0]) for i in range(max(0, int(length)))]
        expect(int(length) <= full, f"For {where}, `__len__` returned {length}, so fit() also asks for a last, "
                                    f"smaller batch (batch sizes {sizes}). Round down.")
        if int(length) != full:
            why = (f" {n} divides evenly into batches of {batch_size}: no batch is left out, so {n} // {batch_size} "
                   f"= {full}." if n % batch_size == 0 else
                   f" It was right for batches of {right[0][1]}: `__len__` must use `self.batch_size`, not a fixed "
                   f"number." if any(b != batch_size for _, b in right) else
                   f" It was right for {right[0][0]} samples: count them with `len(self.x)`, not with a fixed number."
                   if right else "")
            raise Incorrect(f"For {where} there are {full} full batches, but `__len__` returned {length}.{why}")
        expect(all(s == batch_size for s in sizes),
               f"For {where} the batches hold {sizes} samples; each should hold {batch_size}.")
        right.append((n, batch_size))
    return ("Every batch fit() asks for is full; the few samples left over are skipped in each epoch "
            "(reshuffle between epochs and they are different ones each time).")


_SOLUTION_2 = '''
class PairedShuffle(ArrayBatches):
    """ArrayBatches that reorders its samples after every epoch, each x with its own y."""
    def __init__(self, x, y, batch_size, seed=0, **kwargs):
        super().__init__(x, y, batch_size, **kwargs)
        self.rng = np.random.default_rng(seed)
    def on_epoch_end(self):
        order = self.rng.permutation(len(self.x))
        self.x, self.y = self.x[order], self.y[order]
'''
_ORDER = "order = self.rng.permutation(len(self.x))"
_REORDER = "self.x, self.y = self.x[order], self.y[order]"


def _order(ds, n: int, batch_size: int) -> list[int]:
    """The sample numbers in the order the dataset's batches now give them."""
    ids = []
    for i in range(math.ceil(n / batch_size)):
        batch = _batch(ds, i, "PairedShuffle", pair=True)
        xs, labels = [int(v) for v in batch[0][:, 0]], [int(v) - 100 for v in batch[1]]
        expect(len(xs) == len(labels), f"After on_epoch_end(), in batch {i} x has {len(xs)} row(s) and y has "
               f"{len(labels)}: the arrays no longer have the same length. Reorder both whole arrays with one and the "
               f"same permutation.")
        if xs != labels:
            k = next(j for j in range(min(len(xs), len(labels))) if xs[j] != labels[j])
            raise Incorrect(f"After on_epoch_end(), sample {xs[k]} comes with the label of sample {labels[k]}: x and "
                            f"y no longer match. Reorder both arrays with one and the same permutation.")
        ids += xs
    return ids


@exercise(
    "07.2", "Reshuffle in pairs", answers=("PairedShuffle",),
    starter=variant(_SOLUTION_2,
                    (_ORDER, "order = ___           # a new random order of the sample positions (use self.rng)"),
                    (_REORDER, "self.x, self.y = ___  # both arrays in that order")),
    solution=_SOLUTION_2, context=_context,
    hints=("A permutation of the positions 0..n-1, applied to both arrays, keeps every pair together.",
           "`self.rng.permutation(len(self.x))` gives one; `array[order]` reorders an array with it.",
           ("What goes wrong with `self.rng.shuffle(self.x)` followed by `self.rng.shuffle(self.y)`? The "
            "generator has moved on between the two calls.")),
    varies=("n, batch_size and seed: 13 samples in batches of 4 (a last batch of 1), seeds 0 and 5; 20 samples "
            "in batches of 5 (no rest), seed 3; fit() over 3 epochs on the first"),
    exempt={"graph": _PYTHON_ONLY},
)
def q2(PairedShuffle):
    """Verifies that on_epoch_end reorders x and y with one permutation from self.rng (pairs kept, arrays unchanged,
    the same order only for the same seed) for several sizes, and fit() then sees each sample once per new epoch."""
    import warnings
    from kitlib.pipeline import BatchSpy
    cls = _dataset_class(PairedShuffle, "PairedShuffle")

    def shuffled_once(n, batch_size, seed):
        x, y = _numbered(n)
        kept = (Kept(x, "x"), Kept(y, "y"))
        ds = call(cls, x, y, batch_size, seed=seed, name="PairedShuffle")
        _with_advice(lambda: call(ds.on_epoch_end, name="PairedShuffle.on_epoch_end"), (IndexError, ValueError),
                     f"The check gives the dataset {n} samples: take sizes from the data (`len(self.x)`), not from "
                     f"a fixed number.")
        order = _order(ds, n, batch_size)
        for k in kept:
            k.expect_unchanged(by="`on_epoch_end()`", fix="assign new arrays, `self.x, self.y = self.x[order], "
                               "self.y[order]` (indexing with an array makes a copy).")
        return ds, order
    orders = {}
    for n, batch_size, seed in ((13, 4, 0), (20, 5, 3)):
        ds, order = shuffled_once(n, batch_size, seed)
        expect(order != list(range(n)), "After on_epoch_end() the samples come in the same order as before: "
               "`on_epoch_end` must change `self.x` and `self.y` themselves (assign the reordered arrays back).")
        twice = sorted({i for i in order if order.count(i) > 1})
        expect(not twice, f"After on_epoch_end(), sample {twice[0] if twice else ''} appears twice and others are "
                          f"missing: draw a permutation (each position once), not random positions.")
        expect(sorted(order) == list(range(n)),
               f"After on_epoch_end() the batches do not hold each of the {n} samples once.")
        orders[n, seed] = (ds, order)
    expect(shuffled_once(13, 4, 0)[1] == orders[13, 0][1], "Two datasets built with the same seed reorder their "
           "samples differently: nobody can reproduce a run. Draw the order from `self.rng`, made from the seed.")
    expect(shuffled_once(13, 4, 5)[1] != orders[13, 0][1], "seed=0 and seed=5 give the same order: the order "
           "ignores the dataset's seed. Draw it from `self.rng`, which `__init__` makes from `seed`.")
    n, batch_size, epochs = 13, 4, 3
    ds = orders[n, 0][0]
    spy = BatchSpy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        guarded(lambda: spy.model().fit(ds, epochs=epochs, callbacks=[spy], verbose=0, shuffle=False),
                "PairedShuffle", doing="fit() on your dataset")
    for e, s in enumerate(spy.samples(), start=1):
        expect(sorted(s) == list(range(n)), f"Epoch {e} did not train on each of the {n} samples once.")
    expect(len({tuple(s) for s in spy.samples()}) >= epochs, "Two epochs trained on the samples in the same order: "
           "`on_epoch_end` must draw a new order each time (from `self.rng`, not a new generator with a fixed seed).")
    _order(ds, n, batch_size)
    return ("Each epoch trains on every sample once, in a new order, and every x keeps its y. For large arrays, "
            "reorder an index instead (ShuffledBatches in section 3): it avoids copying the data at every epoch.")


# (class weights, n, batch size, classes, shuffled): 0, 2, 3 left out; non-contiguous ids, no rest, shuffled
_CASES_3 = (({1: 3.0, 4: 0.5}, 10, 4, 5, False), ({5: 2.0, 0: 0.25}, 9, 3, 7, True))
_SOLUTION_3 = '''
class WeightedNpyFiles(NpyFiles):
    """NpyFiles whose batches also carry a weight per sample, looked up in class_weight."""
    def __init__(self, folder, class_weight, **kwargs):
        super().__init__(folder, **kwargs)
        self.class_weight = class_weight   # e.g. {5: 2.0}; a class left out weighs 1.0
    def __getitem__(self, idx):
        x, y = super().__getitem__(idx)
        w = np.array([self.class_weight.get(int(label), 1.0) for label in y], dtype="float32")
        return x, y, w
'''
_W = 'w = np.array([self.class_weight.get(int(label), 1.0) for label in y], dtype="float32")'
_RETURN3 = "return x, y, w"


@exercise(
    "07.3", "Weights from the generator", answers=("WeightedNpyFiles",),
    starter=variant(_SOLUTION_3, (_W, "w = ___        # one weight per sample of this batch"),
                    (_RETURN3, "return ___     # what fit() needs to use the weights")),
    solution=_SOLUTION_3, context=_context,
    hints=(("A PyDataset batch may be `(x, y)` or `(x, y, sample_weight)`; Keras reads the third element as "
            "one weight per sample."),
           ("`y` holds float labels such as 4.0; `self.class_weight.get(int(label), 1.0)` gives a label's "
            "weight, 1.0 for a class the dict leaves out."),
           ("`w = np.array([self.class_weight.get(int(label), 1.0) for label in y], dtype=\"float32\")` and "
            "`return x, y, w`.")),
    varies=("class_weight ({1: 3.0, 4: 0.5}; {5: 2.0, 0: 0.25}: non-contiguous ids, classes left out), 10 "
            "samples in batches of 4 (a rest of 2) and 9 in batches of 3, the files' order unshuffled and "
            "shuffled after an epoch"),
    exempt={"graph": _PYTHON_ONLY},
)
def q3(WeightedNpyFiles):
    """Verifies that each batch is (x, y, w), w of shape (batch,) holding class_weight.get(label, 1.0) per sample (two
    dicts, sizes with and without a rest, shuffled), class_weight unchanged, evaluate() as on arrays + sample_weight."""
    import tempfile
    import numpy as np
    from kitlib.exercises import tiny_model
    from kitlib.pipeline import write_samples
    cls = _dataset_class(WeightedNpyFiles, "WeightedNpyFiles")
    for case, (class_weight, n, batch_size, n_classes, shuffled) in enumerate(_CASES_3):
        images = np.random.default_rng(7 + case).integers(0, 256, (n, 28, 28), dtype=np.uint8)
        labels = np.arange(n) % n_classes
        x_all = images.reshape(n, 784).astype("float32") / 255   # what NpyFiles gives, to find each sample
        weights = np.array([class_weight.get(int(c), 1.0) for c in labels])
        kept = Kept(dict(class_weight), "class_weight")
        with tempfile.TemporaryDirectory(prefix="kitlib-07.3-") as folder:
            write_samples(folder, images, labels, fmt="npy")
            ds = call(cls, folder, kept.value, batch_size=batch_size, shuffle=shuffled, seed=case,
                      name="WeightedNpyFiles")
            if shuffled:
                call(ds.on_epoch_end, name="WeightedNpyFiles.on_epoch_end")
            batches = [_with_advice(lambda: _batch(ds, i, "WeightedNpyFiles"), KeyError, f"class_weight may leave "
                                    f"classes out (here {sorted(class_weight)} only): a class left out weighs 1.0, so "
                                    f"look up with `.get(label, 1.0)`.") for i in range(math.ceil(n / batch_size))]
            kept.expect_unchanged(by="`WeightedNpyFiles.__getitem__`", fix="look weights up with "
                                  "`.get(int(label), 1.0)`: `setdefault` adds the classes it is asked for.")
            for i, batch in enumerate(batches):
                _check_weighted_batch(batch, i, class_weight, weights, labels, x_all, batch_size, shuffled)
            if case == 0:
                model = tiny_model(input_dim=784, num_classes=n_classes)
                model.compile(loss="sparse_categorical_crossentropy")
                on_files = guarded(lambda: model.evaluate(ds, verbose=0), "WeightedNpyFiles",
                                   doing="evaluate() on your dataset")
                on_arrays = model.evaluate(x_all, labels.astype("float32"), sample_weight=weights.astype("float32"),
                                           batch_size=batch_size, verbose=0)
                expect(math.isclose(on_files, on_arrays, rel_tol=1e-5),
                       f"evaluate() on your dataset gives a loss of {on_files:.5f}, but {on_arrays:.5f} on the "
                       f"same samples with these weights as sample_weight.")
    return ("Each batch carries one weight per sample, and evaluate() on the files gives the same weighted "
            "loss as the arrays with sample_weight=. (fit(class_weight=...) also works on a PyDataset; "
            "returning w yourself lets the weights come from anywhere, e.g. a column of labels.csv.)")


def _check_weighted_batch(batch, i, class_weight, weights, labels, x_all, batch_size, shuffled):
    """One batch of 07.3, (x, y, w): each weight judged by its sample's x among *x_all*, not by the learner's y."""
    import numpy as np
    expect(isinstance(batch, (tuple, list)), f"Batch {i} is {describe(batch)}; it should be a tuple `(x, y, w)`.")
    expect(len(batch) != 2, "Your batches have two elements, `(x, y)`: Keras trains on them unweighted. Return the "
                            "weights as a third element, `(x, y, w)`.")
    expect(len(batch) == 3, f"Batch {i} has {len(batch)} elements; Keras expects `(x, y, w)`.")
    expect(not isinstance(batch[2], dict), "The third element is the class_weight dict; Keras wants one weight per "
                                           "sample of the batch (an array as long as y).")
    try:
        w = np.asarray(batch[2], dtype="float64")
        rows = np.asarray(batch[0], dtype="float32").reshape(-1, x_all.shape[1])
    except (TypeError, ValueError):
        raise Incorrect(f"The third element of batch {i} is {describe(batch[2])}; it should be an array with one "
                        f"weight per sample.") from None
    index = {r.tobytes(): j for j, r in enumerate(x_all)}
    ids = np.array([index.get(r.tobytes(), -1) for r in rows])
    expect(ids.size and (ids >= 0).all(), f"x of batch {i} does not hold the samples NpyFiles reads: keep "
                                          f"`x, y = super().__getitem__(idx)`.")
    expect(w.shape == (len(ids),), f"The weights of batch {i} have shape {w.shape}; give them shape ({len(ids)},), "
                                   f"one per sample (Keras refuses a column here).")
    expected = weights[ids]
    if np.allclose(w, expected):
        return
    in_file_order = weights[i * batch_size:(i + 1) * batch_size]
    expect(not (shuffled and w.shape == in_file_order.shape and np.allclose(w, in_file_order)),
           f"The weights of batch {i} follow the files' order, but the dataset was shuffled (shuffle=True, after "
           f"on_epoch_end): batch {i} holds other samples. Look the weights up from this batch's own `y`.")
    k = int(np.flatnonzero(~np.isclose(w, expected))[0])
    c = int(labels[ids[k]])
    raise Incorrect(f"In batch {i}, a sample of class {c} got weight {w[k]:g} instead of {expected[k]:g}"
                    + (" (class_weight leaves that class out, so it weighs 1.0)." if c not in class_weight else
                       f". The check passes class_weight={class_weight}: look each label up in `self.class_weight`."))


_SOLUTION_4 = '''
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
'''
_RNG = "np.random.default_rng([self.seed, self.epoch, idx])"


@exercise(
    "07.4", "Augmentation you can reproduce", answers=("NoisyBatches",),
    starter=variant(_SOLUTION_4, (_RNG, "___   # a random generator for this batch of this epoch")),
    solution=_SOLUTION_4, context=_context,
    hints=(("With `workers=4`, four threads call `__getitem__` at once, in an order nobody controls. A generator "
            "shared by all batches hands out its numbers in that order."),
           ("Make a new generator inside `__getitem__`, seeded by everything that names this batch: the "
            "dataset's seed, the epoch and `idx`."),
           "`np.random.default_rng([self.seed, self.epoch, idx])`. Why not `self.seed + self.epoch + idx`?"),
    varies=("seed (0, 1, 2), epoch (0 and 1), the order batches are asked for (forward, reversed, from 4 threads), "
            "and sizes: 16 samples in batches of 4, 10 in batches of 4 (a last batch of 2)"),
    exempt={"graph": _PYTHON_ONLY},
)
def q4(NoisyBatches):
    """Verifies that a batch's noise depends only on (seed, epoch, idx): the same in any order or thread and for a twin
    dataset, different across batches, epochs, seeds (no colliding sums); x keeps its shape, caller's x unchanged."""
    from concurrent.futures import ThreadPoolExecutor
    import numpy as np
    cls = _dataset_class(NoisyBatches, "NoisyBatches")
    n, batch_size = 16, 4
    x, y = np.zeros((n, 3), dtype="float32"), np.arange(n, dtype="float32")  # x is all zeros: a batch shows its noise
    n_batches = n // batch_size
    kept = Kept(x, "x")

    def make(seed, x=x, y=y):
        return call(cls, x, y, batch_size, seed=seed, name="NoisyBatches")

    def noise(ds, idx):
        batch = _batch(ds, idx, "NoisyBatches", pair=True)
        try:
            return np.asarray(batch[0], dtype="float64")
        except (TypeError, ValueError):
            raise Incorrect(f"x of batch {idx} is {describe(batch[0])}; it should be an array.") from None

    ds = make(seed=0)
    first = [noise(ds, i) for i in range(n_batches)]
    kept.expect_unchanged(by="`NoisyBatches.__getitem__`", fix="return a new array, `x + noise`: `x += noise` writes "
                          "into the caller's x (a batch of ArrayBatches is a view of it).")
    expect(all(a.shape == (batch_size, 3) for a in first), "Each x should keep its shape (batch_size, 3).")
    expect(any(a.any() for a in first), "x comes back unchanged: keep the noise line of the starter.")
    twin = make(seed=0)
    expect(all(np.array_equal(noise(twin, i), first[i]) for i in range(n_batches)), "A second dataset built with the "
           "same seed gives other noise, even asked in the same order: nobody can reproduce a run. Seed the generator.")
    twin = make(seed=0)
    expect(all(np.array_equal(noise(twin, i), first[i]) for i in reversed(range(n_batches))), "Asked for in another "
           "order (last batch first), the same batches get different noise: one generator shared by all batches hands "
           "out its numbers in call order. With `workers=4` that order changes from run to run.")
    with ThreadPoolExecutor(4) as pool:
        threaded = list(pool.map(lambda i: (i, noise(ds, i)), [3, 1, 2, 0, 2, 3, 0, 1]))
    for i, a in threaded:
        expect(np.array_equal(a, first[i]), f"Batch {i} asked for from 4 threads at once differs from the same batch "
                                            f"asked for alone.")
    expect(not any(np.array_equal(first[0], a) for a in first[1:]), "Two batches of one epoch got the same noise: "
           "every batch gets the same noise, so the generator must depend on `idx`.")
    for seed in (1, 2):
        expect(not all(np.array_equal(noise(make(seed=seed), i), first[i]) for i in range(n_batches)),
               f"seed={seed} gives the same noise as seed=0: the generator ignores the dataset's seed. Use "
               f"`self.seed`, the seed this dataset was built with.")
    call(ds.on_epoch_end, name="NoisyBatches.on_epoch_end")
    next_epoch = [noise(ds, i) for i in range(n_batches)]
    expect(not all(np.array_equal(a, b) for a, b in zip(first, next_epoch)), "The next epoch gets the same noise: "
           "the model sees the same 'augmented' samples every epoch. Make the generator depend on the epoch too.")
    expect(not any(np.array_equal(next_epoch[i], first[i + 1]) for i in range(n_batches - 1)),
           "Batch 0 of the next epoch gets the noise of batch 1 of this epoch: seeds built as a sum collide "
           "(0 + 1 + 0 = 0 + 0 + 1). Give the generator a list, `[seed, epoch, idx]`, so no two batches share a seed.")
    short = make(seed=0, x=np.zeros((10, 3), dtype="float32"), y=np.arange(10, dtype="float32"))
    shapes = [noise(short, i).shape for i in range(3)]
    expect(shapes == [(4, 3), (4, 3), (2, 3)], f"For 10 samples in batches of 4, x comes back with shapes {shapes}; "
                                               f"each x should keep its own shape, (4, 3), (4, 3) and (2, 3).")
    return ("The noise depends only on (seed, epoch, batch): the same in any order and from any thread, "
            "new every epoch, so `workers=4` gives the same training as one worker.")
