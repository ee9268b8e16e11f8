"""Test data for kitlib.exercises.nb05: realistic wrong answers (each with a substring of the
message its check must give) and other correct forms, tried by tests/exercises/test_catalog.py."""

from kitlib.exercises import Wrong, variant  # noqa: F401
from kitlib.exercises.nb05 import (  # noqa: F401
    _SOLUTION_2,
    _SOLUTION_3,
    _SOLUTION_4,
)

_CUT = ("def split_shuffled(x, y, fraction, seed):\n"
        "    cut = int(len(x) * (1 - fraction))\n"
        "    return (x[:cut], y[:cut]), (x[cut:], y[cut:])")


q1 = dict(
    wrong=(
        Wrong("def n_validation(n, split):\n    return int(n * split)", "rounds the training part"),
        Wrong("def n_validation(n, split):\n    return round(n * split)", "floating point"),
        Wrong("def n_validation(n, split):\n    return n * split", "whole number"),
        Wrong("def n_validation(n, split):\n    return int(np.floor(n * (1 - split)))", "training part"),
        Wrong("def n_validation(n, split):\n    return int(np.ceil(n * split))", "validates on"),
        Wrong("def n_validation(n, split):\n    return n - int(np.floor(n * 0.7))", "`split`", kind="hardcoded"),
    ),
    alternatives=(
        "def n_validation(n, split):\n    return n - int(n * (1.0 - split))",
        "def n_validation(n, split):\n    return len(np.arange(n)[int(np.floor(n * (1 - split))):])",
    ),
)

q2 = dict(
    wrong=(
        Wrong(_CUT, "without shuffling"),
        Wrong(variant(_CUT, ("    cut", ("    rng = np.random.default_rng(seed)\n"
                                        "    x, y = rng.permutation(x), rng.permutation(y)\n    cut"))), "labels"),
        Wrong(variant(_SOLUTION_2, ("np.random.default_rng(seed)", "np.random.default_rng()")), "seed"),
        Wrong(variant(_SOLUTION_2, ("np.random.default_rng(seed)", "np.random.default_rng(7)")), "seed",
              kind="hardcoded"),
        Wrong(variant(_SOLUTION_2, ("int(round(len(x) * fraction))", "200")), "fixed", kind="hardcoded"),
        Wrong(variant(_SOLUTION_2, ("int(round(len(x) * fraction))", "int(len(x) * 0.2)")), "fixed",
              kind="hardcoded"),
        Wrong(variant(_CUT, ("    cut", ("    np.random.default_rng(seed).shuffle(x)\n"
                                       "    np.random.default_rng(seed).shuffle(y)\n    cut"))), "in place",
              kind="mutates"),
        Wrong("def split_shuffled(x, y, fraction, seed):\n"
              "    val = np.random.default_rng(seed).choice(len(x), int(len(x) * fraction))\n"
              "    return (x, y), (x[val], y[val])", "both"),
    ),
    alternatives=(
        variant(_CUT, ("    cut", ("    order = np.random.RandomState(seed).permutation(len(x))\n"
                                   "    x, y = x[order], y[order]\n    cut"))),
        ("def split_shuffled(x, y, fraction, seed):\n"
        "    from sklearn.model_selection import train_test_split\n"
        "    x_train, x_val, y_train, y_val = train_test_split(x, y, test_size=fraction, random_state=seed)\n"
        "    return (x_train, y_train), (x_val, y_val)"),
    ),
)

q3 = dict(
    wrong=(
        Wrong("def split_dataset(ds, n_val, seed):\n"
              "    mixed = ds.shuffle(1024, seed=seed)\n"
              "    return mixed.skip(n_val), mixed.take(n_val)", "each pass"),
        Wrong("def split_dataset(ds, n_val, seed):\n"
              "    batches = ds.batch(4)\n"
              "    return batches.skip(n_val).shuffle(64, seed=seed), batches.take(n_val)", "batch"),
        Wrong(variant(_SOLUTION_3, ("return train_ds, val_ds", "return val_ds, train_ds")), "(train_ds, val_ds)"),
        Wrong(variant(_SOLUTION_3, (".shuffle(1024, seed=seed)", "")), "order"),
        Wrong(variant(_SOLUTION_3, ("ds.take(n_val)", "ds.take(8)"), ("ds.skip(n_val)", "ds.skip(8)")), "n_val",
              kind="hardcoded"),
    ),
    alternatives=(
        ("def split_dataset(ds, n_val, seed):\n"
        "    fixed = ds.shuffle(10_000, seed=seed, reshuffle_each_iteration=False)\n"
        "    return fixed.skip(n_val).shuffle(1024, seed=seed), fixed.take(n_val)"),
        variant(_SOLUTION_3, ("shuffle(1024, seed=seed)", "shuffle(buffer_size=64)")),
    ),
)

q4 = dict(
    wrong=(
        Wrong("def make_leaky(x, y):\n    return x, y", "never trained on"),
        Wrong(variant(_SOLUTION_4, ("int(np.ceil(len(x) / 4))", "len(x) // 5")), "never trained on"),
        Wrong(variant(_SOLUTION_4, ("np.concatenate([y, y[:k]])", "y")), "labels"),
        Wrong(variant(_SOLUTION_4, ("np.concatenate([y, y[:k]])", "np.concatenate([y, y[-k:]])")), "label"),
        Wrong(variant(_SOLUTION_4, ("int(np.ceil(len(x) / 4))", "len(x) // 4")), "multiple of 4",
              kind="hardcoded"),
        Wrong(variant(_SOLUTION_4, ("int(np.ceil(len(x) / 4))", "25")), "never trained on", kind="hardcoded"),
        Wrong("def make_leaky(x, y):\n"
              "    k = len(x) // 5 + 1\n"
              "    x[-k:], y[-k:] = x[:k], y[:k]\n"
              "    return x, y", "in place", kind="mutates"),
    ),
    alternatives=(
        "def make_leaky(x, y):\n    return np.concatenate([x, x]), np.concatenate([y, y])",
        "def make_leaky(x, y):\n    return np.tile(x, (3, 1)), np.tile(y, 3)",
        variant(_SOLUTION_4, ("int(np.ceil(len(x) / 4))", "len(x) // 4 + 1")),
    ),
)
