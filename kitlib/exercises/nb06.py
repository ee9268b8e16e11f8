"""Exercises for notebook 06 · tf.data (``from kitlib.exercises import ___, nb06 as ex``).

1. A hold-out that stays put (easy): ``take``/``skip`` before ``shuffle``.
2. Predict the batches (medium): ``steps_per_epoch`` without ``.repeat()``, checked against a spy run.
3. Clean epochs (thought-provoking): shuffle → batch → repeat, the right ``steps_per_epoch``, length unknown to Keras.

The checks number their samples (sample *i* has the single feature *i*) and watch what a ``kitlib.pipeline.BatchSpy``
model trains on, as the notebook does. They try several sizes, with and without a remainder.
"""

from __future__ import annotations

import math

from kitlib.exercises import Incorrect, call, describe, exercise, expect, guarded, shorten_text, variant

_IMMUTABLE = "a tf.data.Dataset cannot be changed in place: every method returns a new one"
_NO_GRAPH = ("the answer only chains Dataset methods in Python; any function it maps is traced when the "
             "check iterates the Dataset or fits on it, as fit() would")
_RESHUFFLE = "`shuffle()` reshuffles on every pass unless told not to (`reshuffle_each_iteration=False`)."


def _numbered(n: int, known_length: bool = True):
    """``n`` samples ``([i], 0.0)``; with ``known_length=False`` Keras cannot know how many."""
    import tensorflow as tf
    ds = tf.data.Dataset.range(n).map(lambda i: (tf.cast([i], "float32"), 0.0))
    return ds if known_length else ds.filter(lambda x, y: True)


def _sample_ids(dataset, what: str, limit: int = 200) -> list[int]:
    """The sample numbers one pass over *dataset* yields, batched or not (at most *limit* elements)."""
    import numpy as np
    import tensorflow as tf
    expect(int(dataset.cardinality()) != int(tf.data.INFINITE_CARDINALITY),
           f"{what} never ends (`cardinality()` is infinite): a `.repeat()` does not belong here. Keras needs a "
           f"finite set to validate on and a pass to call an epoch.")

    def read():
        return [int(round(float(v))) for element in dataset.take(limit)
                for v in np.asarray(element[0] if isinstance(element, (tuple, list)) else element).reshape(-1)]
    return guarded(read, "your function",
                   doing=f"Reading {what} (keep each element a sample `(x, y)` as it comes from `samples`)")


def _context():
    import numpy as np
    import tensorflow as tf
    return {"tf": tf, "np": np, "math": math}


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
    "06.1", "A hold-out that stays put", answers=("split_holdout",),
    starter=variant(_SOLUTION_1, ("samples.take(n_holdout)", "___"),
                    ("samples.skip(n_holdout).shuffle(buffer_size=1024)", "___")),
    solution=_SOLUTION_1, context=_context,
    hints=("Section 6 of the notebook splits `numbers` in two. Which comes first there: the split or the shuffle?",
           "`samples.take(n)` gives the first n samples, `samples.skip(n)` all the others.",
           "Shuffle only the training part, after the split: `samples.skip(n_holdout).shuffle(buffer_size=1024)`."),
    varies="the sizes: 20 samples with n_holdout=5, 23 with n_holdout=7 (three passes over each part)",
    exempt={"mutates": _IMMUTABLE, "graph": _NO_GRAPH},
)
def q1(split_holdout):
    """Splits numbered Datasets of 20 and 23 samples (hold-outs of 5 and 7), iterates each part three times:
    the hold-out's size, the same every pass and never in training, the others once per pass in a new order."""
    import tensorflow as tf
    for n, n_holdout in ((20, 5), (23, 7)):
        out = call(split_holdout, _numbered(n), n_holdout, name="split_holdout")
        expect(isinstance(out, (tuple, list)) and len(out) == 2,
               f"`split_holdout` should return two Datasets `(holdout, train)`, but it returned {describe(out)}.")
        for name, ds in zip(("holdout", "train"), out):
            expect(isinstance(ds, tf.data.Dataset), f"`{name}` should be a tf.data.Dataset, but it is {describe(ds)}.")
        passes_h = [_sample_ids(out[0], "the hold-out") for _ in range(3)]
        passes_t = [_sample_ids(out[1], "the training part") for _ in range(3)]
        on = f"On {n} samples with n_holdout={n_holdout}"
        expect(len(passes_h[0]) != n - n_holdout or len(passes_t[0]) != n_holdout,
               f"{on} your hold-out has {n - n_holdout} samples and training {n_holdout}: the two are swapped. "
               f"`take(n)` keeps the first n, `skip(n)` the rest.")
        expect(len(passes_h[0]) == n_holdout, f"{on} your hold-out yields {len(passes_h[0])} samples; it should yield "
               f"{n_holdout}{': the size is fixed in your code, use `n_holdout`' if len(passes_h[0]) == 5 else ''}.")
        held = [frozenset(p) for p in passes_h]
        expect(len(set(held)) == 1,
               f"The hold-out changes from pass to pass: over 3 passes {len(frozenset().union(*held))} different "
               f"samples were 'held out', so training sees them too. A `shuffle()` before `take()` reshuffles on "
               f"every pass; split first, then shuffle the training part.")
        rest = sorted(set(range(n)) - held[0])
        for p in passes_t:
            overlap = sorted(set(p) & held[0])
            expect(not overlap, f"Training also trains on held-out samples ({len(overlap)} of {n_holdout} on one "
                                f"pass). Build `train` from what `take()` leaves: `samples.skip(n_holdout)`.")
            expect(sorted(p) == rest, f"On {n} samples, one pass over `train` should give each of the other "
                                      f"{len(rest)} samples once; it gave {len(p)} samples ({len(set(p))} different).")
        expect(len({tuple(p) for p in passes_t}) > 1, "Training gets its samples in the same order on every pass. "
               "Add `.shuffle(...)` to the training part (it reshuffles on each pass by default).")
    return ("The 5 held-out samples are the same on every pass and never reach training, "
            "which gets the other 15 in a new order each time. Split first, shuffle second.")


_SOLUTION_2 = '''
# 32 numbered samples in batches of 4: batches 0 to 7. No .repeat(). Predict, without running it:
#   spy_model.fit(numbered_32.batch(4), epochs=5, steps_per_epoch=3, shuffle=False, callbacks=[spy])
predicted = [[0, 1, 2], [3, 4, 5], [6, 7], [0, 1, 2], [3, 4, 5]]
'''


@exercise(
    "06.2", "Predict the batches", answers=("predicted",),
    starter=variant(_SOLUTION_2, ("[[0, 1, 2], [3, 4, 5], [6, 7], [0, 1, 2], [3, 4, 5]]",
                                  "___   # one list per epoch: the batch numbers it trains on, e.g. [[0, 1, 2], ...]")),
    solution=_SOLUTION_2, context=_context,
    hints=("With `steps_per_epoch`, does epoch 2 start the Dataset over, or carry on where epoch 1 stopped?",
           ("After 6 batches, epoch 3 wants 3 more but only batches 6 and 7 are left. Section 4 shows what "
            "Keras 3 does when a Dataset runs out."),
           ("The epoch that runs out is cut short (with a warning); the next epoch starts a fresh pass from "
            "batch 0. All 5 epochs run.")),
    varies=("nothing to vary: the answer is a prediction of one fit() call (8 batches, steps_per_epoch=3, "
            "5 epochs), compared with a spy run of that same call"),
    exempt={"hardcoded": ("the answer is the prediction for the one fit() call the exercise describes; it "
                          "has no parameter that could be hard-coded"),
            "mutates": "the answer is a list of numbers; no object of the caller is passed to learner code",
            "graph": "the answer is a list of numbers; no learner code runs inside fit()"},
)
def q2(predicted):
    """Runs the fit() the exercise describes (8 batches, steps_per_epoch=3, 5 epochs, no repeat) with a BatchSpy and
    compares each epoch with the prediction, naming a repeated stream, restarted, missing or empty epochs."""
    import numpy as np
    from kitlib.checks import attempt
    from kitlib.pipeline import BatchSpy
    n_batches, steps, epochs = 8, 3, 5
    wanted = "a list with one list per epoch, e.g. [[0, 1, 2], [3, 4, 5], ...]"
    expect(isinstance(predicted, (list, tuple)), f"`predicted` should be {wanted}, but it is {describe(predicted)}.")
    guess = []
    for e, item in enumerate(predicted[:100], start=1):
        expect(isinstance(item, (list, tuple)), f"`predicted` should be {wanted}; its item for epoch {e} is "
                                                f"{describe(item)}.")
        for b in item:
            expect(isinstance(b, (int, np.integer)) and not isinstance(b, bool),
                   f"Epoch {e} of `predicted` holds {describe(b)}; write batch numbers as whole numbers.")
        guess.append([int(b) for b in item])
    spy = BatchSpy()
    attempt(lambda: spy.model().fit(_numbered(4 * n_batches).batch(4), epochs=epochs, steps_per_epoch=steps,
                              callbacks=[spy], verbose=0, shuffle=False), show=False)
    actual = spy.batches(4)
    if guess == actual:
        shown = " | ".join(",".join(map(str, e)) for e in actual)
        return (f"The spy saw exactly that: {shown}. Without `.repeat()` the iterator carries on across "
                f"epochs; the epoch that runs out is cut short and the next one starts a fresh pass.")
    expect(guess != [[(e * steps + s) % n_batches for s in range(steps)] for e in range(epochs)],
           "That is what a `.repeat()`ed Dataset gives: one endless stream cut into slices of 3. Without `.repeat()` "
           "the Dataset runs out after batch 7; what happens to that epoch, and to the next?")
    expect(guess != [list(range(steps))] * epochs, "With `steps_per_epoch` set, an epoch does not start the Dataset "
           "over: the iterator carries on where the previous epoch stopped (section 4).")
    expect(len(guess) >= epochs, f"You predicted {len(guess)} epochs, but all {epochs} epochs run: running out of "
           f"data cuts one epoch short, it does not end training (whatever the warning says).")
    expect(all(guess), "No epoch is empty here: Keras knows this Dataset has 8 batches, and right after the epoch "
           "that uses the last one it starts a fresh pass. (Empty epochs do happen when Keras cannot know the "
           "length: exercise 3.)")
    expect(len(guess) == epochs, f"`predicted` has {len(guess)} epochs; fit() runs {epochs}.")
    first = next(e for e in range(epochs) if guess[e] != actual[e])
    raise Incorrect(f"Epochs 1 to {first} are right, epoch {first + 1} is not. Run the fit with the spy "
                    f"(section 4) and compare." if first else
                    "Epoch 1 is not right yet: it takes the first `steps_per_epoch` batches.")


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
    "06.3", "Clean epochs", answers=("clean_epochs",),
    starter=variant(_SOLUTION_3, (_PIPELINE, "___"), ("math.ceil(n_samples / batch_size)", "___")),
    solution=_SOLUTION_3, context=_context,
    hints=("Three steps, in an order that matters: `shuffle`, `batch`, `repeat`. Section 4 ends with the recipe.",
           ("Each pass is `ceil(n_samples / batch_size)` batches: the last one may be smaller. Without "
            "`.repeat()` and with an unknown length, what does the epoch after a full pass get?"),
           ("`samples.shuffle(buffer_size=n_samples).batch(batch_size).repeat()` and "
            "`math.ceil(n_samples / batch_size)` steps.")),
    varies=("n_samples and batch_size: 18 in batches of 4 and 13 in batches of 5 (short last batches), "
            "3 epochs each, samples whose length Keras cannot know"),
    exempt={"mutates": _IMMUTABLE, "graph": _NO_GRAPH},
)
def q3(clean_epochs):
    """Calls clean_epochs (18 samples in batches of 4, 13 in 5; length unknown to Keras): steps = ceil(n / batch_size),
    and in a 3-epoch spy fit each epoch trains on each sample once, in batches of batch_size, in new orders and
    groups, without running out; names the misplaced step."""
    import tensorflow as tf
    # unseeded shuffles draw from TensorFlow's global seed: fixed here (the engine puts the learner's back after)
    tf.random.set_seed(6_3)
    for n, batch_size in ((18, 4), (13, 5)):
        _check_clean_epochs(clean_epochs, n, batch_size, epochs=3)
    return ("Every epoch trained on all 18 samples once, in a new order and new batches, with no "
            "'ran out of data' warning. (Without `.repeat()` this only works when Keras knows the "
            "Dataset's length; here it could not, as with files or `filter()`.)")


def _check_clean_epochs(clean_epochs, n: int, batch_size: int, epochs: int) -> None:
    import numpy as np
    import tensorflow as tf
    from kitlib.checks import attempt
    from kitlib.pipeline import BatchSpy
    out = call(clean_epochs, _numbered(n, known_length=False), n, batch_size, name="clean_epochs")
    expect(isinstance(out, (tuple, list)) and len(out) == 2,
           f"`clean_epochs` should return `(dataset, steps_per_epoch)`, but it returned {describe(out)}.")
    dataset, steps = out
    expect(isinstance(dataset, tf.data.Dataset),
           f"The first value returned should be a tf.data.Dataset, but it is {describe(dataset)}.")
    expect(isinstance(steps, (int, np.integer)) and not isinstance(steps, bool) and steps >= 1,
           f"steps_per_epoch should be a whole number of batches (>= 1), but it is {describe(steps)}.")
    steps = int(steps)
    full = math.ceil(n / batch_size)
    where = f"With {n} samples in batches of {batch_size}"
    expect(steps != n, f"steps_per_epoch counts batches, not samples: {n} samples in batches of {batch_size} make "
                       f"{full} batches.")
    expect(steps != 5 or full == 5, f"{where}, your steps_per_epoch is 5, the notebook's number (18 samples in "
           f"batches of 4): it is fixed in your code. Compute it from `n_samples` and `batch_size` ({full} here).")
    expect(steps >= full, f"{where}, one pass is {full} batches (the last holds {n - (full - 1) * batch_size}); "
           f"{steps} steps leave samples out of every epoch and shift the later ones. Round up: "
           f"`math.ceil(n_samples / batch_size)`.")
    expect(steps <= full, f"{where}, one pass is {full} batches; {steps} steps per epoch run into the next pass, so "
                          f"an epoch trains on some samples twice.")
    spy = BatchSpy()
    run = attempt(lambda: spy.model().fit(dataset, epochs=epochs, steps_per_epoch=steps, callbacks=[spy],
                                    verbose=0, shuffle=False), show=False)
    if run.error is not None:
        raise Incorrect(f"Training the spy model on your Dataset raised {run.raised}: {shorten_text(run.message)}\n"
                        f"Keep the samples' `(x, y)` structure; only shuffle, batch and repeat.")
    seen = spy.samples()
    expect(all(seen), f"Over {epochs} epochs the spy saw {[len(s) for s in seen]} samples: an epoch trained on "
           "nothing. Keras cannot know this Dataset's length, so after a full pass the next epoch finds it exhausted "
           "(warning: 'ran out of data'). `.repeat()` at the end keeps it flowing.")
    flat = [len(b) for epoch in spy.train for b in epoch]
    stream = [i for s in seen for i in s]
    if n % batch_size and any(sorted(s) != list(range(n)) for s in seen):
        if (all(size == batch_size for size in flat[:-1])
                and all(sorted(stream[k:k + n]) == list(range(n)) for k in range(0, len(stream) - n + 1, n))):
            twice = sorted({i for i in seen[0] if seen[0].count(i) > 1})
            raise Incorrect(f"{where}, epoch 1 trained on {len(seen[0])} samples, {twice[:3]} twice: with "
                            f"`.repeat()` before `.batch()`, a pass's short last batch is filled up with samples of "
                            f"the next pass, so batches (and epochs) straddle two passes. Batch first, then repeat: "
                            f"shuffle → batch → repeat.")
        if all(size == batch_size for size in flat):
            whole = (n // batch_size) * batch_size
            expect(not all(len(set(stream[k:k + whole])) == whole for k in range(0, len(stream) - whole + 1, whole)),
                   f"{where}, every batch the spy saw was full: each pass dropped its short last batch "
                   f"(`drop_remainder=True`), so {n - whole} samples miss every pass and the epochs of {full} steps "
                   f"run into the next pass. Keep the short batch: `.batch(batch_size)`.")
            raise Incorrect(f"{where}, every batch the spy saw was full and epochs mixed samples of two passes (some "
                            f"twice, others missing): with `.repeat()` before `.shuffle()` the shuffle mixes samples "
                            f"of the next pass into this one. Shuffle, then batch, then repeat.")
    wanted = sorted([batch_size] * (full - 1) + [n - (full - 1) * batch_size])
    for e, epoch in enumerate(spy.train, start=1):
        sizes = sorted(len(b) for b in epoch)
        expect(sizes == wanted, f"{where}, epoch {e} trained on batches of {sizes} samples; one pass in batches of "
                                f"{batch_size} is {wanted}. Batch with the `batch_size` you were given.")
    for e, s in enumerate(seen, start=1):
        twice = sorted({i for i in s if s.count(i) > 1})
        if twice:
            raise Incorrect(f"{where}, epoch {e} trained on sample {twice[0]} twice (and missed others): an epoch "
                            f"must be exactly one pass over the samples. Shuffle, then batch, then repeat.")
        expect(sorted(s) == list(range(n)), f"{where}, epoch {e} trained on {len(s)} samples ({len(set(s))} "
                                            f"different); each of the {n} should come exactly once.")
    orders = {tuple(s) for s in seen}
    expect(len(orders) > 1, f"Every epoch trained in the same order. {_RESHUFFLE}")
    groups = [{frozenset(b) for b in epoch} for epoch in spy.train]
    # before the order test: 5 shuffled batches can repeat an order
    expect(not all(g == groups[0] for g in groups), f"The same groups of {batch_size} samples travel together in "
           f"every epoch (only the order of the batches changes): shuffle the samples before `.batch()`.")
    expect(len(orders) >= epochs, f"Two epochs trained in the same order. {_RESHUFFLE}")
    expect(not run.warned("ran out of data"), "Keras warned that the input ran out of data: give it a Dataset that "
                                              "does not end, with `.repeat()` after `.batch()`.")
