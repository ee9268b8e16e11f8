"""Exercises for notebook 06 · tf.data (``from kitlib.exercises import ___, nb06 as ex``).

1. A hold-out that stays put (easy): ``take``/``skip`` before ``shuffle``.
2. Predict the batches (medium): ``steps_per_epoch`` without ``.repeat()``, checked against a spy run.
3. Clean epochs (thought-provoking): shuffle → batch → repeat and the right ``steps_per_epoch``,
   on samples whose length Keras cannot know.

The checks number their samples (sample *i* has the single feature *i*) and watch what a
``kitlib.pipeline.BatchSpy`` model trains on, as the notebook does. They try several sizes,
with and without a remainder.
"""

from __future__ import annotations

import math

from kitlib.exercises import Incorrect, call, describe, exercise, expect, guarded, shorten_text, variant

_IMMUTABLE = "a tf.data.Dataset cannot be changed in place: every method returns a new one"
_NO_GRAPH = ("the answer only chains Dataset methods in Python; any function it maps is traced when the "
             "check iterates the Dataset or fits on it, as fit() would")

# --------------------------------------------------------------------------- helpers


def _numbered(n: int, known_length: bool = True):
    """``n`` samples ``([i], 0.0)``; with ``known_length=False`` Keras cannot know how many."""
    import tensorflow as tf
    ds = tf.data.Dataset.range(n).map(lambda i: (tf.cast([i], "float32"), 0.0))
    return ds if known_length else ds.filter(lambda x, y: True)


def _is_dataset(value) -> bool:
    import tensorflow as tf
    return isinstance(value, tf.data.Dataset)


def _sample_ids(dataset, what: str, limit: int = 200) -> list[int]:
    """The sample numbers one pass over *dataset* yields, batched or not (at most *limit* elements)."""
    import numpy as np
    import tensorflow as tf
    if int(dataset.cardinality()) == int(tf.data.INFINITE_CARDINALITY):
        raise Incorrect(f"{what} never ends (`cardinality()` is infinite): a `.repeat()` does not belong "
                        f"here. Keras needs a finite set to validate on and a pass to call an epoch.")
    def read():
        ids: list[int] = []
        for element in dataset.take(limit):
            x = element[0] if isinstance(element, (tuple, list)) else element
            ids.extend(int(round(float(v))) for v in np.asarray(x).reshape(-1))
        return ids

    ids = guarded(read, "your function", doing=f"Reading {what} (keep each element a sample `(x, y)` as "
                                               f"it comes from `samples`)")
    return ids


def _context():
    import numpy as np
    import tensorflow as tf
    return {"tf": tf, "np": np, "math": math}


# --------------------------------------------------------------------------- 1. hold-out

_SOLUTION_1 = '''
def split_holdout(samples, n_holdout):
    """Split a Dataset of single samples into (holdout, train).

    holdout: the same n_holdout samples on every pass, never shown to training;
    train: all the other samples, in a new random order on every pass.
    """
    holdout = samples.take(n_holdout)
    train = samples.skip(n_holdout).shuffle(buffer_size=1024)
    return holdout, train
'''


@exercise(
    "06.1", "A hold-out that stays put",
    answers=("split_holdout",),
    starter=variant(_SOLUTION_1, ("samples.take(n_holdout)", "___"),
                    ("samples.skip(n_holdout).shuffle(buffer_size=1024)", "___")),
    solution=_SOLUTION_1,
    hints=(
        ("Section 6 of the notebook splits `numbers` in two. Which comes first there: the split or "
        "the shuffle?"),
        "`samples.take(n)` gives the first n samples, `samples.skip(n)` all the others.",
        "Shuffle only the training part, after the split: `samples.skip(n_holdout).shuffle(buffer_size=1024)`.",
    ),
    context=_context,
    varies="the sizes: 20 samples with n_holdout=5, 23 with n_holdout=7 (three passes over each part)",
    exempt={"mutates": _IMMUTABLE, "graph": _NO_GRAPH},
)
def q1(split_holdout):
    """Splits numbered Datasets of 20 and 23 samples (hold-outs of 5 and 7), iterates each part
    three times and checks: the hold-out's size, that it is the same every pass and never reaches
    training, that training gets all the other samples once per pass, in a new order."""
    for n, n_holdout in ((20, 5), (23, 7)):
        _check_holdout(split_holdout, n, n_holdout)
    return ("The 5 held-out samples are the same on every pass and never reach training, "
            "which gets the other 15 in a new order each time. Split first, shuffle second.")


def _check_holdout(split_holdout, n: int, n_holdout: int) -> None:
    out = call(split_holdout, _numbered(n), n_holdout, name="split_holdout")
    expect(isinstance(out, (tuple, list)) and len(out) == 2,
           f"`split_holdout` should return two Datasets `(holdout, train)`, but it returned {describe(out)}.")
    holdout, train = out
    for name, ds in (("holdout", holdout), ("train", train)):
        expect(_is_dataset(ds), f"`{name}` should be a tf.data.Dataset, but it is {describe(ds)}.")
    passes_h = [_sample_ids(holdout, "the hold-out") for _ in range(3)]
    passes_t = [_sample_ids(train, "the training part") for _ in range(3)]
    if len(passes_h[0]) == n - n_holdout and len(passes_t[0]) == n_holdout:
        raise Incorrect(f"On {n} samples with n_holdout={n_holdout} your hold-out has {n - n_holdout} samples "
                        f"and training {n_holdout}: the two are swapped. `take(n)` keeps the first n, "
                        f"`skip(n)` the rest.")
    expect(len(passes_h[0]) == n_holdout,
           f"On {n} samples with n_holdout={n_holdout} your hold-out yields {len(passes_h[0])} samples; "
           f"it should yield {n_holdout}"
           f"{': the size is fixed in your code, use `n_holdout`' if len(passes_h[0]) == 5 else ''}.")
    held = [frozenset(p) for p in passes_h]
    if len(set(held)) > 1:
        leaked = len(frozenset().union(*held))
        raise Incorrect(f"The hold-out changes from pass to pass: over 3 passes {leaked} different samples "
                        f"were 'held out', so training sees them too. A `shuffle()` before `take()` "
                        f"reshuffles on every pass; split first, then shuffle the training part.")
    rest = sorted(set(range(n)) - held[0])
    for p in passes_t:
        overlap = sorted(set(p) & held[0])
        if overlap:
            raise Incorrect(f"Training also trains on held-out samples ({len(overlap)} of {n_holdout} on one "
                            f"pass). Build `train` from what `take()` leaves: `samples.skip(n_holdout)`.")
        expect(sorted(p) == rest, f"On {n} samples, one pass over `train` should give each of the other "
                                  f"{len(rest)} samples once; it gave {len(p)} samples ({len(set(p))} different).")
    if len({tuple(p) for p in passes_t}) == 1:
        raise Incorrect("Training gets its samples in the same order on every pass. Add `.shuffle(...)` to "
                        "the training part (it reshuffles on each pass by default).")


# --------------------------------------------------------------------------- 2. predict the batches


def _spy_run(n_batches: int, steps: int, epochs: int) -> list[list[int]]:
    """What a spy model trains on: ``fit(batches, epochs, steps_per_epoch, shuffle=False)``, no repeat."""
    from kitlib.checks import attempt
    from kitlib.pipeline import BatchSpy
    spy = BatchSpy()
    model = spy.model()
    attempt(lambda: model.fit(_numbered(4 * n_batches).batch(4), epochs=epochs, steps_per_epoch=steps,
                              callbacks=[spy], verbose=0, shuffle=False), show=False)
    return spy.batches(4)


def _as_epochs(value, name: str) -> list[list[int]]:
    import numpy as np
    wanted = "a list with one list per epoch, e.g. [[0, 1, 2], [3, 4, 5], ...]"
    expect(isinstance(value, (list, tuple)), f"`{name}` should be {wanted}, but it is {describe(value)}.")
    epochs = []
    for e, item in enumerate(value[:100], start=1):
        expect(isinstance(item, (list, tuple)),
               f"`{name}` should be {wanted}; its item for epoch {e} is {describe(item)}.")
        for b in item:
            expect(isinstance(b, (int, np.integer)) and not isinstance(b, bool),
                   f"Epoch {e} of `{name}` holds {describe(b)}; write batch numbers as whole numbers.")
        epochs.append([int(b) for b in item])
    return epochs


@exercise(
    "06.2", "Predict the batches",
    answers=("predicted",),
    starter='''
# 32 numbered samples in batches of 4: batches 0 to 7. No .repeat(). Predict, without running it:
#   spy_model.fit(numbered_32.batch(4), epochs=5, steps_per_epoch=3, shuffle=False, callbacks=[spy])
predicted = ___   # one list per epoch: the batch numbers it trains on, e.g. [[0, 1, 2], ...]
''',
    solution='''
# 32 numbered samples in batches of 4: batches 0 to 7. No .repeat(). Predict, without running it:
#   spy_model.fit(numbered_32.batch(4), epochs=5, steps_per_epoch=3, shuffle=False, callbacks=[spy])
predicted = [[0, 1, 2], [3, 4, 5], [6, 7], [0, 1, 2], [3, 4, 5]]
''',
    hints=(
        "With `steps_per_epoch`, does epoch 2 start the Dataset over, or carry on where epoch 1 stopped?",
        ("After 6 batches, epoch 3 wants 3 more but only batches 6 and 7 are left. Section 4 shows what "
        "Keras 3 does when a Dataset runs out."),
        ("The epoch that runs out is cut short (with a warning); the next epoch starts a fresh pass from "
        "batch 0. All 5 epochs run."),
    ),
    context=_context,
    varies=("nothing to vary: the answer is a prediction of one fit() call (8 batches, steps_per_epoch=3, "
            "5 epochs), compared with a spy run of that same call"),
    exempt={"hardcoded": ("the answer is the prediction for the one fit() call the exercise describes; it "
                          "has no parameter that could be hard-coded"),
            "mutates": "the answer is a list of numbers; no object of the caller is passed to learner code",
            "graph": "the answer is a list of numbers; no learner code runs inside fit()"},
)
def q2(predicted):
    """Runs the fit() the exercise describes (8 batches, steps_per_epoch=3, 5 epochs, no repeat)
    with a BatchSpy and compares the batches each epoch trained on with the prediction, naming a
    repeated stream, restarted epochs, missing or empty epochs."""
    n_batches, steps, epochs = 8, 3, 5
    guess = _as_epochs(predicted, "predicted")
    actual = _spy_run(n_batches, steps, epochs)
    if guess == actual:
        shown = " | ".join(",".join(map(str, e)) for e in actual)
        return (f"The spy saw exactly that: {shown}. Without `.repeat()` the iterator carries on across "
                f"epochs; the epoch that runs out is cut short and the next one starts a fresh pass.")
    stream = [[(e * steps + s) % n_batches for s in range(steps)] for e in range(epochs)]
    if guess == stream:
        raise Incorrect("That is what a `.repeat()`ed Dataset gives: one endless stream cut into slices of 3. "
                        "Without `.repeat()` the Dataset runs out after batch 7; what happens to that epoch, "
                        "and to the next?")
    if guess == [list(range(steps))] * epochs:
        raise Incorrect("With `steps_per_epoch` set, an epoch does not start the Dataset over: the iterator "
                        "carries on where the previous epoch stopped (section 4).")
    if len(guess) < epochs:
        raise Incorrect(f"You predicted {len(guess)} epochs, but all {epochs} epochs run: running out of data "
                        f"cuts one epoch short, it does not end training (whatever the warning says).")
    if any(len(e) == 0 for e in guess):
        raise Incorrect("No epoch is empty here: Keras knows this Dataset has 8 batches, and right after the "
                        "epoch that uses the last one it starts a fresh pass. (Empty epochs do happen when "
                        "Keras cannot know the length: exercise 3.)")
    expect(len(guess) == epochs, f"`predicted` has {len(guess)} epochs; fit() runs {epochs}.")
    first = next(e for e in range(epochs) if guess[e] != actual[e])
    raise Incorrect(f"Epochs 1 to {first} are right, epoch {first + 1} is not. Run the fit with the spy "
                    f"(section 4) and compare." if first else
                    "Epoch 1 is not right yet: it takes the first `steps_per_epoch` batches.")


# --------------------------------------------------------------------------- 3. clean epochs

_SOLUTION_3 = '''
def clean_epochs(samples, n_samples, batch_size):
    """A training Dataset and the steps_per_epoch that make every epoch one full pass.

    samples: a Dataset of n_samples single (x, y) samples, whose length Keras may not
    know (read from files, or after filter()). Every epoch must train on each sample
    exactly once, in a new random order, in batches of batch_size.
    """
    dataset = samples.shuffle(buffer_size=n_samples).batch(batch_size).repeat()
    steps_per_epoch = math.ceil(n_samples / batch_size)
    return dataset, steps_per_epoch
'''
_PIPELINE = "samples.shuffle(buffer_size=n_samples).batch(batch_size).repeat()"


@exercise(
    "06.3", "Clean epochs",
    answers=("clean_epochs",),
    starter=variant(_SOLUTION_3, (_PIPELINE, "___"), ("math.ceil(n_samples / batch_size)", "___")),
    solution=_SOLUTION_3,
    hints=(
        "Three steps, in an order that matters: `shuffle`, `batch`, `repeat`. Section 4 ends with the recipe.",
        ("Each pass is `ceil(n_samples / batch_size)` batches: the last one may be smaller. Without "
        "`.repeat()` and with an unknown length, what does the epoch after a full pass get?"),
        ("`samples.shuffle(buffer_size=n_samples).batch(batch_size).repeat()` and "
        "`math.ceil(n_samples / batch_size)` steps."),
    ),
    context=_context,
    varies=("n_samples and batch_size: 18 in batches of 4 and 13 in batches of 5 (short last batches), "
            "3 epochs each, samples whose length Keras cannot know"),
    exempt={"mutates": _IMMUTABLE, "graph": _NO_GRAPH},
)
def q3(clean_epochs):
    """Calls clean_epochs for 18 samples in batches of 4 and 13 in batches of 5 (length unknown to
    Keras), checks steps_per_epoch = ceil(n / batch_size), then fits a spy model for 3 epochs and
    checks that every epoch trains on each sample once, in batches of batch_size, in a new order
    and new groups, without running out of data; it names the misplaced step."""
    import tensorflow as tf

    # Unseeded shuffles in the answer draw from TensorFlow's global seed: fix it, so the verdict
    # never depends on what ran before (the engine puts the learner's seed back afterwards).
    tf.random.set_seed(6_3)
    for n, batch_size in ((18, 4), (13, 5)):
        _check_clean_epochs(clean_epochs, n, batch_size, epochs=3)
    return ("Every epoch trained on all 18 samples once, in a new order and new batches, with no "
            "'ran out of data' warning. (Without `.repeat()` this only works when Keras knows the "
            "Dataset's length; here it could not, as with files or `filter()`.)")


def _check_clean_epochs(clean_epochs, n: int, batch_size: int, epochs: int) -> None:
    import numpy as np
    from kitlib.checks import attempt
    from kitlib.pipeline import BatchSpy
    out = call(clean_epochs, _numbered(n, known_length=False), n, batch_size, name="clean_epochs")
    expect(isinstance(out, (tuple, list)) and len(out) == 2,
           f"`clean_epochs` should return `(dataset, steps_per_epoch)`, but it returned {describe(out)}.")
    dataset, steps = out
    expect(_is_dataset(dataset), f"The first value returned should be a tf.data.Dataset, but it is "
                                 f"{describe(dataset)}.")
    expect(isinstance(steps, (int, np.integer)) and not isinstance(steps, bool) and steps >= 1,
           f"steps_per_epoch should be a whole number of batches (>= 1), but it is {describe(steps)}.")
    steps = int(steps)
    full = math.ceil(n / batch_size)
    where = f"With {n} samples in batches of {batch_size}"
    if steps == n:
        raise Incorrect(f"steps_per_epoch counts batches, not samples: {n} samples in batches of {batch_size} "
                        f"make {full} batches.")
    if steps == 5 and full != 5:
        raise Incorrect(f"{where}, your steps_per_epoch is 5, the notebook's number (18 samples in batches of 4): "
                        f"it is fixed in your code. Compute it from `n_samples` and `batch_size` ({full} here).")
    if steps < full:
        raise Incorrect(f"{where}, one pass is {full} batches (the last holds {n - (full - 1) * batch_size}); "
                        f"{steps} steps leave samples out of every epoch and shift the later ones. Round up: "
                        f"`math.ceil(n_samples / batch_size)`.")
    if steps > full:
        raise Incorrect(f"{where}, one pass is {full} batches; {steps} steps per epoch run into the next pass, "
                        f"so an epoch trains on some samples twice.")
    spy = BatchSpy()
    model = spy.model()
    run = attempt(lambda: model.fit(dataset, epochs=epochs, steps_per_epoch=steps, callbacks=[spy],
                                    verbose=0, shuffle=False), show=False)
    if run.error is not None:
        raise Incorrect(f"Training the spy model on your Dataset raised {run.raised}: {shorten_text(run.message)}\n"
                        f"Keep the samples' `(x, y)` structure; only shuffle, batch and repeat.")
    seen = spy.samples()
    counts = [len(s) for s in seen]
    if any(c == 0 for c in counts):
        raise Incorrect(f"Over {epochs} epochs the spy saw {counts} samples: an epoch trained on nothing. "
                        f"Keras cannot know this Dataset's length, so after a full pass the next epoch finds "
                        f"it exhausted (warning: 'ran out of data'). `.repeat()` at the end keeps it flowing.")
    sizes = [sorted(len(b) for b in epoch) for epoch in spy.train]
    wanted = sorted([batch_size] * (full - 1) + [n - (full - 1) * batch_size])
    flat = [len(b) for epoch in spy.train for b in epoch]
    stream = [i for s in seen for i in s]
    if n % batch_size and any(sorted(s) != list(range(n)) for s in seen):
        if (all(size == batch_size for size in flat[:-1])
                and all(sorted(stream[k:k + n]) == list(range(n)) for k in range(0, len(stream) - n + 1, n))):
            twice = sorted({i for i in seen[0] if seen[0].count(i) > 1})
            raise Incorrect(f"{where}, epoch 1 trained on {len(seen[0])} samples, {twice[:3]} twice: with "
                            f"`.repeat()` before `.batch()`, a pass's short last batch is filled up with "
                            f"samples of the next pass, so batches (and epochs) straddle two passes. Batch "
                            f"first, then repeat: shuffle → batch → repeat.")
        if all(size == batch_size for size in flat):
            whole = (n // batch_size) * batch_size
            if all(len(set(stream[k:k + whole])) == whole for k in range(0, len(stream) - whole + 1, whole)):
                raise Incorrect(f"{where}, every batch the spy saw was full: each pass dropped its short last "
                                f"batch (`drop_remainder=True`), so {n - whole} samples miss every pass and the "
                                f"epochs of {full} steps run into the next pass. Keep the short batch: "
                                f"`.batch(batch_size)`.")
            raise Incorrect(f"{where}, every batch the spy saw was full and epochs mixed samples of two passes "
                            f"(some twice, others missing): with `.repeat()` before `.shuffle()` the shuffle "
                            f"mixes samples of the next pass into this one. Shuffle, then batch, then repeat.")
    for e, epoch in enumerate(sizes, start=1):
        expect(epoch == wanted,
               f"{where}, epoch {e} trained on batches of {epoch} samples; one pass in batches of "
               f"{batch_size} is {wanted}. Batch with the `batch_size` you were given.")
    for e, s in enumerate(seen, start=1):
        twice = sorted({i for i in s if s.count(i) > 1})
        if twice:
            raise Incorrect(f"{where}, epoch {e} trained on sample {twice[0]} twice (and missed others): an "
                            f"epoch must be exactly one pass over the samples. Shuffle, then batch, then repeat.")
        expect(sorted(s) == list(range(n)),
               f"{where}, epoch {e} trained on {len(s)} samples ({len(set(s))} different); each of the {n} "
               f"should come exactly once.")
    orders = {tuple(s) for s in seen}
    if len(orders) == 1:
        raise Incorrect("Every epoch trained in the same order. `shuffle()` reshuffles on every pass unless "
                        "told not to (`reshuffle_each_iteration=False`).")
    groups = [{frozenset(b) for b in epoch} for epoch in spy.train]
    if all(g == groups[0] for g in groups):  # before the order test: 5 shuffled batches can repeat an order
        raise Incorrect(f"The same groups of {batch_size} samples travel together in every epoch (only the "
                        f"order of the batches changes): shuffle the samples before `.batch()`.")
    if len(orders) < epochs:
        raise Incorrect("Two epochs trained in the same order. `shuffle()` reshuffles on every pass unless "
                        "told not to (`reshuffle_each_iteration=False`).")
    if run.warned("ran out of data"):
        raise Incorrect("Keras warned that the input ran out of data: give it a Dataset that does not end, "
                        "with `.repeat()` after `.batch()`.")
