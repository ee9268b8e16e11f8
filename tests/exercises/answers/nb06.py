"""Test data for kitlib.exercises.nb06: realistic wrong answers (each with a substring of the
message its check must give) and other correct forms, tried by tests/exercises/test_catalog.py."""

from kitlib.exercises import Wrong, variant  # noqa: F401
from kitlib.exercises.nb06 import (  # noqa: F401
    _PIPELINE,
    _SOLUTION_1,
    _SOLUTION_3,
)


q1 = dict(
    wrong=(
        Wrong('def split_holdout(samples, n_holdout):\n'
              '    shuffled = samples.shuffle(buffer_size=1024)\n'
              '    return shuffled.take(n_holdout), shuffled.skip(n_holdout)', "changes from pass to pass"),
        Wrong('def split_holdout(samples, n_holdout):\n'
              '    return samples.skip(n_holdout), samples.take(n_holdout).shuffle(1024)', "swapped"),
        Wrong(variant(_SOLUTION_1, ("samples.skip(n_holdout)", "samples")), "also trains on"),
        Wrong(variant(_SOLUTION_1, (".shuffle(buffer_size=1024)", "")), "same order"),
        Wrong(variant(_SOLUTION_1, ("take(n_holdout)", "take(5)"), ("skip(n_holdout)", "skip(5)")), "n_holdout",
              kind="hardcoded"),
    ),
    alternatives=(
        ('def split_holdout(samples, n_holdout):\n'
        '    fixed = samples.shuffle(1024, seed=7, reshuffle_each_iteration=False)\n'
        '    return fixed.take(n_holdout), fixed.skip(n_holdout).shuffle(1024)'),
        ('def split_holdout(samples, n_holdout):\n'
        '    return samples.take(n_holdout).batch(2), samples.skip(n_holdout).shuffle(100).batch(4)'),
    ),
)

q2 = dict(
    wrong=(
        Wrong("predicted = [[0, 1, 2], [3, 4, 5], [6, 7, 0], [1, 2, 3], [4, 5, 6]]", "repeat"),
        Wrong("predicted = [[0, 1, 2]] * 5", "carries on"),
        Wrong("predicted = [[0, 1, 2], [3, 4, 5], [6, 7]]", "all 5 epochs"),
        Wrong("predicted = [[0, 1, 2], [3, 4, 5], [6, 7], [], [0, 1, 2]]", "empty"),
        Wrong("predicted = [[0, 1, 2], [3, 4, 5], [6, 7], [0, 1, 2], [3, 4]]", "epoch 5"),
        Wrong("predicted = [[0, 1, 2], [3, 4, 5], [6, 7], [0, 1, 2], '3, 4, 5']", "one list per epoch"),
    ),
    alternatives=("predicted = [list(range(i, min(i + 3, 8))) for i in (0, 3, 6, 0, 3)]",
                  "predicted = ((0, 1, 2), (3, 4, 5), (6, 7), (0, 1, 2), (3, 4, 5))"),
)

q3 = dict(
    wrong=(
        Wrong(variant(_SOLUTION_3, (".repeat()", "")), "nothing"),
        Wrong(variant(_SOLUTION_3, (_PIPELINE, "samples.repeat().shuffle(n_samples).batch(batch_size)")),
              "before `.shuffle()`"),
        Wrong(variant(_SOLUTION_3, (_PIPELINE, "samples.shuffle(n_samples).repeat().batch(batch_size)")),
              "before `.batch()`"),
        Wrong(variant(_SOLUTION_3, (_PIPELINE, "samples.shuffle(n_samples).repeat(3).batch(batch_size)")),
              "before `.batch()`"),
        Wrong(variant(_SOLUTION_3, ("math.ceil(n_samples / batch_size)", "n_samples // batch_size")), "ceil"),
        Wrong(variant(_SOLUTION_3, (_PIPELINE, "samples.batch(batch_size).shuffle(n_samples).repeat()")),
              "same groups"),
        Wrong(variant(_SOLUTION_3, ("buffer_size=n_samples)", "buffer_size=n_samples, reshuffle_each_iteration=False)")),
              "same order"),
        Wrong(variant(_SOLUTION_3, ("math.ceil(n_samples / batch_size)", "n_samples")), "counts batches"),
        Wrong(variant(_SOLUTION_3, ("math.ceil(n_samples / batch_size)", "n_samples / batch_size")), "whole number"),
        Wrong(variant(_SOLUTION_3, (".batch(batch_size)", ".batch(batch_size, drop_remainder=True)")),
              "drop_remainder"),
        Wrong(variant(_SOLUTION_3, (".batch(batch_size)", ".batch(4)")), "batch_size", kind="hardcoded"),
        Wrong(variant(_SOLUTION_3, ("math.ceil(n_samples / batch_size)", "math.ceil(18 / 4)")), "fixed",
              kind="hardcoded"),
    ),
    alternatives=(
        ('def clean_epochs(samples, n_samples, batch_size):\n'
        '    steps = -(-n_samples // batch_size)\n'
        '    return samples.shuffle(1024).batch(batch_size).repeat(), steps'),
        variant(_SOLUTION_3, (".batch(batch_size).repeat()", ".batch(batch_size).shuffle(8).repeat()")),
    ),
)
