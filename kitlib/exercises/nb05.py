"""Exercises for notebook 05 · Validation (``from kitlib.exercises import ___, nb05 as ex``).

1. How many are validated? (easy): the size of the ``validation_split`` holdout, Keras' rule.
2. Shuffle once, then split (medium): a seeded split of arrays that keeps pairs together.
3. Split a Dataset (medium): ``take``/``skip`` before ``shuffle``: a holdout that stays put.
4. A leak on purpose (thought-provoking): arrays where ``validation_split`` validates only on samples it also trains on.

The checks try several sizes and fractions (with remainders) and pass the arrays themselves, naming in-place changes.
"""

from __future__ import annotations

import math

from kitlib.exercises import Incorrect, Kept, call, describe, exercise, expect, expect_type, guarded, variant

_NO_GRAPH = "the answer works on NumPy arrays in plain Python; fit() never runs it inside a tf.function"
_SHUFFLE_FIRST = "the split was taken without shuffling first. Shuffle the indices once, then cut."


def _context():
    import keras
    import numpy as np
    import tensorflow as tf
    return {"keras": keras, "np": np, "tf": tf, "ops": keras.ops}  # imported by the notebook above the exercises


def _keras_n_val(n: int, split: float) -> int:
    """What fit(validation_split=split) holds out of n samples (keras' array_slicing rule)."""
    return n - int(math.floor(n * (1.0 - split)))


def _array(value, what: str):
    """A learner's array-like as a NumPy array, or Incorrect."""
    import numpy as np
    try:
        arr = None if value is None or isinstance(value, (str, bytes, dict, bool, int, float)) else np.asarray(value)
    except Exception:
        arr = None
    expect(arr is not None, f"{what} should be an array, but it is {describe(value)}.")
    expect(arr.dtype != object and arr.ndim > 0, f"{what} should be an array of numbers, but it is {describe(value)}.")
    return arr


def _pair(value, what: str, shape: str = "(a, b)"):
    """(a, b) from a learner's tuple/list of two items, or Incorrect."""
    expect(isinstance(value, (tuple, list)) and len(value) == 2,
           f"{what} should be a pair `{shape}`, but it is {describe(value)}.")
    return value[0], value[1]


def _call_keeping(fn, name: str, fix: str, x, y, *rest):
    """Call *fn* with the real arrays x and y (and *rest*), then name an in-place change."""
    kept = (Kept(x, "x"), Kept(y, "y"))
    result = call(fn, x, y, *rest, name=name)
    for k in kept:
        k.expect_unchanged(by=f"`{name}`", fix=fix)
    return result, kept[0].original, kept[1].original


_CASES_1 = [(2500, 0.15), (1003, 0.25), (700, 0.3), (10, 0.5), (99, 0.2), (37, 0.3), (7, 0.33), (1001, 0.1)]
_SOLUTION_1 = '''
def n_validation(n, split):
    """How many of n samples fit(..., validation_split=split) validates on."""
    return n - int(np.floor(n * (1 - split)))
'''


@exercise(
    "05.1", "How many are validated?", answers=("n_validation",),
    starter=variant(_SOLUTION_1, ("n - int(np.floor(n * (1 - split)))", "___")),
    solution=_SOLUTION_1, context=_context,
    hints=(("Section 2 says where Keras cuts the arrays: which part is rounded, the training part or the "
            "validation part?"),
           "Keras keeps `floor(n · (1 − split))` samples for training; the validation part is the rest.",
           "`n - int(np.floor(n * (1 - split)))`. Try it on `n=700, split=0.3` and compare with `700 * 0.3`."),
    varies=("n and split: 8 cases, 2500·0.15, 1003·0.25, 700·0.3, 10·0.5, 99·0.2, 37·0.3, 7·0.33, "
            "1001·0.1 (most with a remainder, one where floating point decides)"),
    exempt={"mutates": "the answer receives two numbers; no object of the caller is passed to it",
            "graph": _NO_GRAPH},
)
def q1(n_validation):
    """Compares n_validation on eight (n, split) pairs (remainders, one decided by floating point) with Keras'
    rule n − floor(n · (1 − split)), naming the training part, a rounded fraction, a float count, a fixed split."""
    import numpy as np
    for n, split in _CASES_1:
        expected = _keras_n_val(n, split)
        n_train = n - expected
        got = call(n_validation, n, split, name="n_validation")
        said = f"`n_validation({n}, {split})` returned"
        if isinstance(got, (float, np.floating)) and float(got).is_integer() and int(got) == expected:
            continue  # e.g. 375.0 from numpy arithmetic: the right count
        expect(not isinstance(got, (float, np.floating)), f"{said} {got!r}: a count of samples is a whole number. "
                                                          f"Keras never splits a sample: it rounds where it cuts.")
        expect_type(got, int, f"n_validation({n}, {split})", "a whole number of samples")
        got = int(got)
        if got == expected:
            continue
        expect(got != n_train, f"{said} {got}: that is the training part (floor(n · (1 − split))). Validation is "
                               f"what is left: n minus that.")
        expect(not any(got == _keras_n_val(n, s) for _, s in _CASES_1 if s != split),
               f"{said} {got}, the answer for another fraction: the split is fixed in your code. Use the argument "
               f"`split`.")
        but = f"{said} {got}, but Keras validates on {expected}"
        expect(got != int(n * split) or got == round(n * split),
               f"{but}: {n} · {split} = {n * split:g} is not whole, and Keras rounds the training part down "
               f"(floor(n · (1 − split)) = {n_train}), so the validation part gets the rest: {n} − {n_train} = "
               f"{expected}.")
        expect(n * (1.0 - split) == round(n * (1.0 - split)) or abs(n * split - round(n * split)) >= 1e-9,
               f"{but}. On paper {n} · (1 − {split}) = {round(n * (1 - split))}, but in floating point it is "
               f"{n * (1.0 - split)!r}, and the floor of that is {n_train}. Compute it the way Keras does: "
               f"n − floor(n · (1 − split)).")
        raise Incorrect(f"{but} of {n} samples: Keras cuts at floor(n · (1 − split)) = {n_train} and validates "
                        f"on the rest.")
    return ("Right on every case, including 700 samples with `validation_split=0.3`: Keras validates on "
            "211, not 210, because 700 · 0.7 is 489.99999999999994 in floating point and Keras rounds "
            "the training part down. Count from the cut, not from the fraction.")


def _split_once(split_shuffled, n: int, fraction: float, seed: int, classes: int):
    """Split n samples sorted by label (x[:, 0]: a sample id) with the learner's function, check what any split
    must satisfy; return (train ids, val ids, val labels, train labels)."""
    import numpy as np
    y = np.repeat(np.arange(classes), -(-n // classes))[:n].astype("float32")
    x = np.stack([np.arange(n, dtype="float32"), np.linspace(0, 1, n, dtype="float32")], axis=1)
    result, _, y0 = _call_keeping(split_shuffled, "split_shuffled", "index with a permutation instead (`x[order]` "
                                  "makes a new array), so the notebook's own `x_train` keeps its order.",
                                  x, y, fraction, seed)
    train, val = _pair(result, "What `split_shuffled` returns", "((x_train, y_train), (x_val, y_val))")
    xt, yt = _pair(train, "The training part", "(x_train, y_train)")
    xv, yv = _pair(val, "The validation part", "(x_val, y_val)")
    xt, yt, xv, yv = (_array(a, name) for a, name in zip((xt, yt, xv, yv), ("x_train", "y_train", "x_val", "y_val")))
    expect(len(xt) == len(yt) and len(xv) == len(yv), f"Each part must hold as many labels as samples: "
           f"x_train {len(xt)}, y_train {len(yt)}, x_val {len(xv)}, y_val {len(yv)}.")
    expect(xt.ndim == 2 and xv.ndim == 2 and xt.shape[1:] == xv.shape[1:] == (2,),
           f"x_train and x_val should keep the samples' shape (n, 2); they have shapes {xt.shape} and {xv.shape}.")
    yt, yv = yt.reshape(-1), yv.reshape(-1)
    ids_t, ids_v = xt[:, 0].astype(int), xv[:, 0].astype(int)
    where = f"With {n} samples, fraction={fraction} and seed={seed}"
    expect(set(ids_t).isdisjoint(ids_v),
           f"{where}, {len(set(ids_t) & set(ids_v))} samples are in both parts, so the validation score is not "
           f"about unseen data. Hold out samples the training part does not contain.")
    everything = np.concatenate([ids_t, ids_v])
    expect(len(everything) == n and len(set(everything.tolist())) == n,
           f"{where}, the two parts together hold {len(everything)} samples ({len(set(everything.tolist()))} "
           f"different ones), but the input had {n}: every sample belongs in exactly one part.")
    if len(ids_v) not in {math.floor(n * fraction), math.ceil(n * fraction), _keras_n_val(n, fraction)}:
        fixed = (" The size is fixed in your code: compute it from `len(x)` and `fraction`."
                 if len(ids_v) in {min(200, n), math.floor(n * 0.2), round(n * 0.2), math.ceil(n * 0.2)} else "")
        raise Incorrect(f"{where}, the validation part should hold about {round(n * fraction)} samples; yours holds "
                        f"{len(ids_v)} (and training {len(ids_t)}).{fixed}")
    mismatched = int(np.sum(np.concatenate([yt, yv]) != y0[everything]))
    expect(mismatched == 0,
           f"{where}, {mismatched} of {n} samples came back with another sample's label: x and y were shuffled "
           f"with different orders, so the labels no longer match the images. Draw one permutation and index "
           f"both arrays with it.")
    expect(set(ids_v.tolist()) not in ({*range(n - len(ids_v), n)}, {*range(len(ids_v))}),
           f"{where}, the validation part is the last (or first) {len(ids_v)} samples: {_SHUFFLE_FIRST}")
    return ids_t, ids_v, yv, yt


_SOLUTION_2 = '''
def split_shuffled(x, y, fraction, seed):
    """Shuffle (x, y) once with `seed`, hold out `fraction` of it for validation.

    Returns (x_train, y_train), (x_val, y_val). The same seed gives the same split.
    """
    order = np.random.default_rng(seed).permutation(len(x))
    n_val = int(round(len(x) * fraction))
    train, val = order[n_val:], order[:n_val]
    return (x[train], y[train]), (x[val], y[val])
'''


@exercise(
    "05.2", "Shuffle once, then split", answers=("split_shuffled",),
    starter=variant(_SOLUTION_2, ("np.random.default_rng(seed).permutation(len(x))", "___"),
                    ("int(round(len(x) * fraction))", "___"),
                    ("    train, val = order[n_val:], order[:n_val]\n    return (x[train], y[train]), (x[val], y[val])",
                     "    # your lines here\n    return (___, ___), (___, ___)")),
    solution=_SOLUTION_2, context=_context,
    hints=("Shuffle *indices*, not the arrays: one permutation of `0 … n−1` keeps each image with its label.",
           ("`np.random.default_rng(seed).permutation(len(x))` gives the same order for the same seed; index both "
            "arrays with it (`x[order]`, `y[order]`), which also leaves the caller's arrays as they were."),
           ("With `order` and `n_val` in hand, the validation indices are `order[:n_val]` and the "
            "training indices `order[n_val:]`.")),
    varies=("n, fraction and seed: 1000 samples · 0.2 · seeds 7 and 8 (10 sorted classes), 53 · 0.3 · 11 "
            "and 41 · 0.15 · 3 (sizes with a remainder)\n"
            "the arrays themselves are passed (not copies): an in-place shuffle is named"),
    exempt={"graph": _NO_GRAPH},
)
def q2(split_shuffled):
    """Splits 1,000 samples sorted by label and two smaller sets (the arrays themselves): sizes, no overlap, each
    sample once with its label, a shuffle before the cut, arrays unchanged, the same split only for the same seed."""
    n, fraction = 1000, 0.2
    ids_t, ids_v, yv, yt = _split_once(split_shuffled, n, fraction, 7, 10)
    classes = sorted(set(yv.astype(int).tolist()))
    expect(len(classes) >= 10, f"On {n} samples sorted by label (10 classes), your validation part holds only "
                               f"class(es) {classes}: {_SHUFFLE_FIRST}")
    missing = sorted(set(range(10)) - set(yt.astype(int).tolist()))
    expect(not missing, f"The training part has no sample of class(es) {missing}: the model could never learn "
                        f"them. Shuffle the indices once, then cut.")
    for case in ((53, 0.3, 11, 3), (41, 0.15, 3, 4)):
        _split_once(split_shuffled, *case)
    expect(sorted(_split_once(split_shuffled, n, fraction, 7, 10)[1]) == sorted(ids_v),
           "Two calls with the same seed (7) gave different validation samples: the shuffle ignores `seed`, so "
           "every run (and every rerun of the notebook) validates on other samples. Use `np.random.default_rng(seed)`.")
    expect(sorted(_split_once(split_shuffled, n, fraction, 8, 10)[1]) != sorted(ids_v),
           "Seeds 7 and 8 gave the same validation samples: the shuffle should depend on `seed` (a fixed "
           "seed in your code gives every caller the same split).")
    return (f"{len(ids_v)} of {n} sorted samples held out, all 10 classes in both parts, every image "
            f"with its own label, the same split for the same seed, and the caller's arrays untouched. "
            f"After this split, `validation_split` is no longer needed: pass `validation_data=(x_val, y_val)`.")


def _elements(ds, what: str) -> list[int]:
    """The scalar elements of one pass over a learner's Dataset, or Incorrect."""
    import numpy as np
    iterate = getattr(ds, "as_numpy_iterator", None)
    expect(callable(iterate), f"{what} should be a `tf.data.Dataset`, but it is {describe(ds)}.")

    def one_pass():
        out: list[int] = []
        for item in iterate():
            arr = np.asarray(item)
            expect(arr.ndim == 0, f"An element of {what} has shape {arr.shape}: the dataset was batched before it "
                                  f"was split, so `take(n)` took n *batches*. Split the samples first, batch each "
                                  f"part afterwards.")
            out.append(int(arr))
            expect(len(out) <= 10_000, f"{what} does not end: split a finite dataset (no `.repeat()` before "
                                       f"splitting).")
        return out
    return guarded(one_pass, "split_dataset", doing=f"Iterating over {what}")


_SOLUTION_3 = '''
def split_dataset(ds, n_val, seed):
    """Split a Dataset of samples into (train_ds, val_ds).

    val_ds: n_val samples, the same ones on every pass. train_ds: all the others,
    in a new random order on every pass. Neither is batched yet.
    """
    val_ds = ds.take(n_val)
    train_ds = ds.skip(n_val).shuffle(1024, seed=seed)
    return train_ds, val_ds
'''


@exercise(
    "05.3", "Split a Dataset", answers=("split_dataset",),
    starter=variant(_SOLUTION_3, ("ds.take(n_val)", "___"), ("ds.skip(n_val).shuffle(1024, seed=seed)", "___")),
    solution=_SOLUTION_3, context=_context,
    hints=("`take(k)` keeps the first k elements and `skip(k)` the rest: together they split without overlap.",
           ("Where does `shuffle()` go? It reshuffles on every pass, so anything taken *after* it changes "
            "from pass to pass."),
           "`val_ds = ds.take(n_val)`, `train_ds = ds.skip(n_val).shuffle(buffer_size, seed=seed)`."),
    varies="n, n_val and seed: 40 samples · 8 · seed 3, and 23 · 5 · seed 9",
    exempt={"mutates": "a tf.data.Dataset cannot be changed in place: every method returns a new one",
            "graph": ("the answer only chains Dataset methods; any function it maps is traced when the check "
                      "iterates the datasets, as fit() would")},
)
def q3(split_dataset):
    """Splits Dataset.range(n) (40 with n_val=8, 23 with n_val=5), iterates each part twice (two epochs): the
    holdout's size and that it stays put, no overlap, every sample in one part, a training order that changes."""
    import tensorflow as tf
    for n, n_val, seed in ((40, 8, 3), (23, 5, 9)):
        result = call(split_dataset, tf.data.Dataset.range(n), n_val, seed, name="split_dataset")
        train_ds, val_ds = _pair(result, "What `split_dataset` returns", "(train_ds, val_ds)")
        val_1, val_2 = _elements(val_ds, "val_ds"), _elements(val_ds, "val_ds")
        train_1, train_2 = _elements(train_ds, "train_ds"), _elements(train_ds, "train_ds")
        expect(len(val_1) != n - n_val or len(train_1) != n_val, f"val_ds has {len(val_1)} samples and train_ds "
               f"{len(train_1)}: the two are swapped. Return them in the order `(train_ds, val_ds)`.")
        expect(len(val_1) == n_val, f"On a dataset of {n} samples with n_val={n_val}, val_ds holds {len(val_1)} "
               f"samples{': the number is fixed in your code, use `n_val`' if len(val_1) == 8 else ''}.")
        trained_on = (set(val_1) | set(val_2)) & (set(train_1) | set(train_2))
        expect(sorted(val_1) == sorted(val_2),
               f"val_ds held {sorted(val_1)} on one pass and {sorted(val_2)} on the next: a `shuffle()` before "
               f"`take()` reshuffles on each pass, so over two epochs {len(trained_on)} \"validation\" samples were "
               f"also trained on. Take the holdout before shuffling, and shuffle only the training part.")
        for i, (train, val) in enumerate(((train_1, val_1), (train_2, val_2)), 1):
            both = sorted(set(train) & set(val))
            expect(not both, f"On pass {i} over {n} samples, samples {both} are in both train_ds and val_ds.")
            expect(sorted(train + val) == list(range(n)),
                   f"On pass {i}, train_ds and val_ds together hold {len(train) + len(val)} samples "
                   f"({len(set(train) | set(val))} different ones) of the {n}: each sample belongs in exactly "
                   f"one part.")
        expect(train_1 != train_2 and train_1 != sorted(train_1),
               "train_ds gives the samples in the same order on every pass: shuffle the training part "
               "(after splitting off the holdout), so each epoch sees a new order.")
    return ("The holdout holds the same 8 samples on every pass and never meets the training part, which is reshuffled "
            "each epoch. Batch both parts after this (`.batch(64)`) and pass `validation_data=val_ds`.")


_SOLUTION_4 = '''
def make_leaky(x, y):
    """Return new arrays (x2, y2) such that fit(x2, y2, validation_split=0.2) validates
    only on samples that it also trains on."""
    k = int(np.ceil(len(x) / 4))   # at least a quarter more: the last 20 % are all copies
    x2 = np.concatenate([x, x[:k]])
    y2 = np.concatenate([y, y[:k]])
    return x2, y2
'''


def _leak_verdict(make_leaky, n: int) -> int:
    """Check make_leaky on n samples (the arrays themselves); return the number validated on."""
    import numpy as np
    rng = np.random.default_rng(5)
    x = np.stack([np.arange(n, dtype="float32"), rng.random(n, dtype=np.float32)], axis=1)
    y = rng.integers(0, 10, n).astype("float32")
    result, x, y = _call_keeping(make_leaky, "make_leaky", "build new arrays (`np.concatenate` makes them) "
                                 "and leave `x` and `y` as they were.", x, y)
    x2, y2 = _pair(result, "What `make_leaky` returns", "(x2, y2)")
    x2, y2 = _array(x2, "x2"), _array(y2, "y2")
    expect(x2.ndim == 2 and x2.shape[1:] == x.shape[1:],
           f"x2 should hold samples shaped like x's rows {x.shape[1:]}; it has shape {x2.shape}.")
    y2 = y2.reshape(len(y2), -1)[:, 0] if y2.ndim > 1 else y2
    expect(len(x2) == len(y2), f"x2 has {len(x2)} rows but y2 has {len(y2)} labels: fit() needs one label per "
                               f"sample, so whatever you do to x, do to y (the labels too).")
    expect(len(x2) >= 5, f"x2 holds only {len(x2)} samples: validation_split=0.2 would validate on almost nothing.")
    cut = len(x2) - _keras_n_val(len(x2), 0.2)
    key = lambda row: tuple(np.round(row.astype("float64"), 5).tolist())  # noqa: E731
    trained = {}
    for row, label in zip(x2[:cut], y2[:cut]):
        trained.setdefault(key(row), set()).add(float(label))
    unseen = [i for i in range(cut, len(x2)) if key(x2[i]) not in trained]
    few = (f" You appended {len(x2) - n} rows, fewer than n/4 = {n / 4:g}: the last 20 % then reach back into the "
           f"original rows (right only where n is a multiple of 4)." if 0 < len(x2) - n < n / 4 else "")
    if unseen:
        raise Incorrect(f"With {n} samples, fit(x2, y2, validation_split=0.2) trains on rows 0…{cut - 1} of x2 and "
                        f"validates on rows {cut}…{len(x2) - 1}; {len(unseen)} of those {len(x2) - cut} validation "
                        f"samples were never trained on (e.g. row {unseen[0]}). Every row after the cut must also "
                        f"appear before it.{few}")
    relabelled = [i for i in range(cut, len(x2)) if float(y2[i]) not in trained[key(x2[i])]]
    if relabelled:
        raise Incorrect(f"{len(relabelled)} validation samples are copies of training samples but with another "
                        f"label (e.g. row {relabelled[0]}): copy each sample's own label with it.")
    return len(x2) - cut


@exercise(
    "05.4", "A leak on purpose", answers=("make_leaky",),
    starter=variant(_SOLUTION_4, ("np.concatenate([x, x[:k]])", "___"), ("np.concatenate([y, y[:k]])", "___"),
                    ("    k = int(np.ceil(len(x) / 4))   # at least a quarter more: the last 20 % are all copies\n",
                     "")),
    solution=_SOLUTION_4, context=_context,
    hints=(("`validation_split=0.2` validates on the *last* 20 % of the arrays you pass. What must those "
            "last rows be, so that the model has seen each of them during training?"),
           ("Copies: append rows that already appear earlier. How many must you append so that the last "
            "20 % of the longer arrays are all copies?"),
           ("If you append k ≥ n/4 copies, the arrays hold at least 1.25 n rows, and the last 20 % of them are copies. "
            "Round k up (`int(np.ceil(len(x) / 4))`): `np.concatenate([x, x[:k]])`, and the same for `y`.")),
    varies=("n: 100, 37 and 137 samples (37 and 137 are not multiples of 4 or 5)\n"
            "the arrays themselves are passed (not copies): overwriting them in place is named"),
    exempt={"graph": _NO_GRAPH},
)
def q4(make_leaky):
    """Gives make_leaky the arrays themselves (100, 37 and 137 samples) and applies Keras' validation_split=0.2 cut
    to what it returns: each validation row a copy of a training row with its own label, the arrays unchanged."""
    n_val = [_leak_verdict(make_leaky, n) for n in (100, 37, 137)][0]
    return (f"All {n_val} validation samples are also training samples: the validation score now measures memory, not "
            "generalization. Real leaks look like this: duplicates, augmented copies, or several photos of one patient "
            "on both sides of the cut. The last-fraction rule itself is what you want for time-ordered data (validate "
            "on the latest days, train on the past); shuffling such data before the cut is what would leak.")
