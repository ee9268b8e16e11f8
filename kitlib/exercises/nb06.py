"""Exercises for notebook 06 · tf.data (``from kitlib.exercises import ___, nb06 as ex``).

1. A hold-out that stays put (easy): ``take``/``skip`` before ``shuffle``.
2. Predict the batches (medium): ``steps_per_epoch`` without ``.repeat()``, checked against a spy run.
3. Clean epochs (thought-provoking): shuffle → batch → repeat and the right ``steps_per_epoch``,
   on samples whose length Keras cannot know.

The checks number their samples (sample *i* has the single feature *i*) and watch what a
``kitlib.pipeline.BatchSpy`` model trains on, as the notebook does.
"""

from __future__ import annotations

import math

from kitlib.exercises import Incorrect, Wrong, call, describe, exercise, expect

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
    ids: list[int] = []
    try:
        for element in dataset.take(limit):
            x = element[0] if isinstance(element, (tuple, list)) else element
            ids.extend(int(round(float(v))) for v in np.asarray(x).reshape(-1))
    except Incorrect:
        raise
    except Exception as exc:
        raise Incorrect(f"Reading {what} raised {type(exc).__name__}: {str(exc)[:200]}\n"
                        f"Keep each element a sample `(x, y)` as it comes from `samples`.") from None
    return ids


def _context():
    import numpy as np
    import tensorflow as tf
    return {"tf": tf, "np": np, "math": math}


# --------------------------------------------------------------------------- 1. hold-out


@exercise(
    "06.1", "A hold-out that stays put",
    answers=("split_holdout",),
    starter='''
def split_holdout(samples, n_holdout):
    """Split a Dataset of single samples into (holdout, train).

    holdout: the same n_holdout samples on every pass, never shown to training;
    train: all the other samples, in a new random order on every pass.
    """
    holdout = ___
    train = ___
    return holdout, train
''',
    solution='''
def split_holdout(samples, n_holdout):
    """Split a Dataset of single samples into (holdout, train).

    holdout: the same n_holdout samples on every pass, never shown to training;
    train: all the other samples, in a new random order on every pass.
    """
    holdout = samples.take(n_holdout)
    train = samples.skip(n_holdout).shuffle(buffer_size=1024)
    return holdout, train
''',
    hints=(
        ("Section 6 of the notebook splits `numbers` in two. Which comes first there: the split or "
        "the shuffle?"),
        "`samples.take(n)` gives the first n samples, `samples.skip(n)` all the others.",
        "Shuffle only the training part, after the split: `samples.skip(n_holdout).shuffle(buffer_size=1024)`.",
    ),
    context=_context,
    wrong=(
        Wrong('def split_holdout(samples, n_holdout):\n'
              '    shuffled = samples.shuffle(buffer_size=1024)\n'
              '    return shuffled.take(n_holdout), shuffled.skip(n_holdout)', "changes from pass to pass"),
        Wrong('def split_holdout(samples, n_holdout):\n'
              '    return samples.skip(n_holdout), samples.take(n_holdout).shuffle(1024)', "swapped"),
        Wrong('def split_holdout(samples, n_holdout):\n'
              '    return samples.take(n_holdout), samples.shuffle(1024)', "also trains on"),
        Wrong('def split_holdout(samples, n_holdout):\n'
              '    return samples.take(n_holdout), samples.skip(n_holdout)', "same order"),
    ),
    alternatives=(
        ('def split_holdout(samples, n_holdout):\n'
        '    fixed = samples.shuffle(1024, seed=7, reshuffle_each_iteration=False)\n'
        '    return fixed.take(n_holdout), fixed.skip(n_holdout).shuffle(1024)'),
        ('def split_holdout(samples, n_holdout):\n'
        '    return samples.take(n_holdout).batch(2), samples.skip(n_holdout).shuffle(100).batch(4)'),
    ),
)
def q1(split_holdout):
    n, n_holdout = 20, 5
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
           f"it should yield {n_holdout}.")
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
        expect(sorted(p) == rest, f"One pass over `train` should give each of the other {len(rest)} samples "
                                  f"once; it gave {len(p)} samples ({len(set(p))} different).")
    if len({tuple(p) for p in passes_t}) == 1:
        raise Incorrect("Training gets its samples in the same order on every pass. Add `.shuffle(...)` to "
                        "the training part (it reshuffles on each pass by default).")
    return (f"The {n_holdout} held-out samples are the same on every pass and never reach training, "
            f"which gets the other {n - n_holdout} in a new order each time. Split first, shuffle second.")


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
    wrong=(
        Wrong("predicted = [[0, 1, 2], [3, 4, 5], [6, 7, 0], [1, 2, 3], [4, 5, 6]]", "repeat"),
        Wrong("predicted = [[0, 1, 2]] * 5", "carries on"),
        Wrong("predicted = [[0, 1, 2], [3, 4, 5], [6, 7]]", "all 5 epochs"),
        Wrong("predicted = [[0, 1, 2], [3, 4, 5], [6, 7], [], [0, 1, 2]]", "empty"),
        Wrong("predicted = [[0, 1, 2], [3, 4, 5], [6, 7], [0, 1, 2], [3, 4]]", "epoch 5"),
        Wrong("predicted = [[0, 1, 2], [3, 4, 5], [6, 7], [0, 1, 2], '3, 4, 5']", "one list per epoch"),
    ),
)
def q2(predicted):
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


@exercise(
    "06.3", "Clean epochs",
    answers=("clean_epochs",),
    starter='''
def clean_epochs(samples, n_samples, batch_size):
    """A training Dataset and the steps_per_epoch that make every epoch one full pass.

    samples: a Dataset of n_samples single (x, y) samples, whose length Keras may not
    know (read from files, or after filter()). Every epoch must train on each sample
    exactly once, in a new random order, in batches of batch_size.
    """
    dataset = ___
    steps_per_epoch = ___
    return dataset, steps_per_epoch
''',
    solution='''
def clean_epochs(samples, n_samples, batch_size):
    """A training Dataset and the steps_per_epoch that make every epoch one full pass.

    samples: a Dataset of n_samples single (x, y) samples, whose length Keras may not
    know (read from files, or after filter()). Every epoch must train on each sample
    exactly once, in a new random order, in batches of batch_size.
    """
    dataset = samples.shuffle(buffer_size=n_samples).batch(batch_size).repeat()
    steps_per_epoch = math.ceil(n_samples / batch_size)
    return dataset, steps_per_epoch
''',
    hints=(
        "Three steps, in an order that matters: `shuffle`, `batch`, `repeat`. Section 4 ends with the recipe.",
        ("Each pass is `ceil(n_samples / batch_size)` batches: the last one may be smaller. Without "
        "`.repeat()` and with an unknown length, what does the epoch after a full pass get?"),
        ("`samples.shuffle(buffer_size=n_samples).batch(batch_size).repeat()` and "
        "`math.ceil(n_samples / batch_size)` steps."),
    ),
    context=_context,
    wrong=(
        Wrong('def clean_epochs(samples, n_samples, batch_size):\n'
              '    return samples.shuffle(n_samples).batch(batch_size), math.ceil(n_samples / batch_size)',
              "nothing"),
        Wrong('def clean_epochs(samples, n_samples, batch_size):\n'
              '    return samples.repeat().shuffle(n_samples).batch(batch_size), math.ceil(n_samples / batch_size)',
              "twice"),
        Wrong('def clean_epochs(samples, n_samples, batch_size):\n'
              '    return samples.shuffle(n_samples).batch(batch_size).repeat(), n_samples // batch_size',
              "ceil"),
        Wrong('def clean_epochs(samples, n_samples, batch_size):\n'
              '    return samples.batch(batch_size).shuffle(n_samples).repeat(), math.ceil(n_samples / batch_size)',
              "same groups"),
        Wrong('def clean_epochs(samples, n_samples, batch_size):\n'
              '    ds = samples.shuffle(n_samples, reshuffle_each_iteration=False).batch(batch_size).repeat()\n'
              '    return ds, math.ceil(n_samples / batch_size)', "same order"),
        Wrong('def clean_epochs(samples, n_samples, batch_size):\n'
              '    return samples.shuffle(n_samples).batch(batch_size).repeat(), n_samples', "counts batches"),
        Wrong('def clean_epochs(samples, n_samples, batch_size):\n'
              '    return samples.shuffle(n_samples).batch(batch_size).repeat(), n_samples / batch_size',
              "whole number"),
    ),
    alternatives=(
        ('def clean_epochs(samples, n_samples, batch_size):\n'
        '    steps = -(-n_samples // batch_size)\n'
        '    return samples.shuffle(1024).batch(batch_size).repeat(), steps'),
    ),
)
def q3(clean_epochs):
    import numpy as np
    from kitlib.checks import attempt
    from kitlib.pipeline import BatchSpy

    import tensorflow as tf

    n, batch_size, epochs = 18, 4, 3
    # Unseeded shuffles in the answer draw from TensorFlow's global seed: fix it, so the verdict
    # never depends on what ran before (the engine puts the learner's seed back afterwards).
    tf.random.set_seed(6_3)
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
    if steps == n:
        raise Incorrect(f"steps_per_epoch counts batches, not samples: {n} samples in batches of {batch_size} "
                        f"make {full} batches.")
    if steps < full:
        raise Incorrect(f"With {n} samples in batches of {batch_size}, one pass is {full} batches (the last "
                        f"holds {n - (full - 1) * batch_size}); {steps} steps leave samples out of every epoch "
                        f"and shift the later ones. Round up: `math.ceil(n_samples / batch_size)`.")
    if steps > full:
        raise Incorrect(f"With {n} samples in batches of {batch_size}, one pass is {full} batches; {steps} "
                        f"steps per epoch run into the next pass, so an epoch trains on some samples twice.")
    spy = BatchSpy()
    model = spy.model()
    run = attempt(lambda: model.fit(dataset, epochs=epochs, steps_per_epoch=steps, callbacks=[spy],
                                    verbose=0, shuffle=False), show=False)
    if run.error is not None:
        raise Incorrect(f"Training the spy model on your Dataset raised {run.raised}: {run.message[:200]}\n"
                        f"Keep the samples' `(x, y)` structure; only shuffle, batch and repeat.")
    seen = spy.samples()
    sizes = [len(s) for s in seen]
    if any(size == 0 for size in sizes):
        raise Incorrect(f"Over {epochs} epochs the spy saw {sizes} samples: an epoch trained on nothing. "
                        f"Keras cannot know this Dataset's length, so after a full pass the next epoch finds "
                        f"it exhausted (warning: 'ran out of data'). `.repeat()` at the end keeps it flowing.")
    for e, s in enumerate(seen, start=1):
        twice = sorted({i for i in s if s.count(i) > 1})
        if twice:
            raise Incorrect(f"Epoch {e} trained on sample {twice[0]} twice (and missed others): with "
                            f"`.repeat()` before `.shuffle()` the shuffle mixes samples of the next pass into "
                            f"this one. Shuffle, then batch, then repeat.")
    for e, s in enumerate(seen, start=1):
        expect(sorted(s) == list(range(n)),
               f"Epoch {e} trained on {len(s)} samples ({len(set(s))} different); each of the {n} should "
               f"come exactly once.")
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
    return (f"Every epoch trained on all {n} samples once, in a new order and new batches, with no "
            f"'ran out of data' warning. (Without `.repeat()` this only works when Keras knows the "
            f"Dataset's length; here it could not, as with files or `filter()`.)")
