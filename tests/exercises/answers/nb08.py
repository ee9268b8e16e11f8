"""Test data for kitlib.exercises.nb08: realistic wrong answers (each with a substring of the
message its check must give) and other correct forms, tried by tests/exercises/test_catalog.py."""

from kitlib.exercises import Wrong, variant  # noqa: F401
from kitlib.exercises.nb08 import (  # noqa: F401
    _DICT_2,
    _RETURN_3,
    _SOLUTION_2,
    _SOLUTION_3,
    _SOLUTION_4,
)

_FOUND = "if result.rare_recall >= target:\n        w_min = w\n        break"


q1 = dict(
    wrong=(
        Wrong("class_weight_3 = np.array([1, 1, 1, 4, 1, 1, 1, 1, 1, 1], dtype='float32')", "AttributeError"),
        Wrong("class_weight_3 = {'3': 4.0}", "silently"),
        Wrong("class_weight_3 = {4: 4.0}", "digit 4"),
        Wrong("class_weight_3 = {3: 0.25}", "less"),
        Wrong("class_weight_3 = {3: 4.0, 5: 2.0}", "digit 5"),
        Wrong("class_weight_3 = {3.0: 4.0}", "int class ids"),
    ),
    alternatives=(
        "class_weight_3 = {digit: 4.0 if digit == 3 else 1.0 for digit in range(10)}",
        "class_weight_3 = dict.fromkeys(range(10), 1.0)\nclass_weight_3[3] = 4",
        "class_weight_3 = {np.int64(3): np.float32(4)}",
    ),
)

q2 = dict(
    wrong=(
        Wrong(variant(_SOLUTION_2, (_DICT_2, "return dict(enumerate(weights))")), "positions"),
        Wrong(variant(_SOLUTION_2, (_DICT_2, ('weights = dict(enumerate(weights))\n'
                                             '    weights["others"] = 1.0   # any other class\n'
                                             '    return weights'))), "a string"),
        Wrong(variant(_SOLUTION_2, (_DICT_2, "return dict(zip(classes, weights))")), "int"),
        Wrong(variant(_SOLUTION_2, (_DICT_2, "return weights")), "AttributeError"),
        Wrong(variant(_SOLUTION_2, (_DICT_2, "return {int(c): len(y) / np.sum(y == c) for c in classes}")), "balanced"),
        Wrong(variant(_SOLUTION_2, (_DICT_2, ("counts = [np.sum(y == c) for c in classes]\n"
                                             "    return {int(c): len(y) / (10 * k) for c, k in zip(classes, counts)}"))),
              "n_classes", kind="hardcoded"),
        Wrong(variant(_SOLUTION_2, ("classes = np.unique(y)", ("y.sort()   # np.unique wants sorted labels\n"
                                                              "    classes = np.unique(y)"))),
              "in place", kind="mutates"),
    ),
    alternatives=(
        ('def balanced_class_weight(y):\n'
        '    classes, counts = np.unique(np.asarray(y).astype(int), return_counts=True)\n'
        '    return {int(c): len(y) / (len(classes) * n) for c, n in zip(classes, counts)}'),
        variant(_SOLUTION_2, (_DICT_2, "return {int(c): w for c, w in zip(classes.astype(int), weights.tolist())}")),
    ),
)

q3 = dict(
    wrong=(
        Wrong(variant(_SOLUTION_3, (_RETURN_3, "return np.array([class_weight[int(label)] for label in y])")),
              "left out"),
        Wrong(variant(_SOLUTION_3, (_RETURN_3, "return np.vectorize(class_weight.get)(y)")), "left out"),
        Wrong(variant(_SOLUTION_3, (_RETURN_3, "return class_weight")), "one weight per sample"),
        Wrong(variant(_SOLUTION_3, (_RETURN_3, "return np.where(np.asarray(y) == 3, 4.0, 1.0)")), "class 7",
              kind="hardcoded"),
        Wrong(variant(_SOLUTION_3, (_RETURN_3, "return np.array([{3: 4.0}.get(int(label), 1.0) for label in y])")),
              "class_weight", kind="hardcoded"),
        Wrong(variant(_SOLUTION_3, (_RETURN_3, ('w = np.asarray(y, dtype="float32")\n'
                                               '    w[:] = [class_weight.get(int(label), 1.0) for label in y]\n'
                                               '    return w'))), "changed `y` in place", kind="mutates"),
        Wrong(variant(_SOLUTION_3, (_RETURN_3, ("for c in range(10):\n"
                                               "        class_weight.setdefault(c, 1.0)\n"
                                               "    return np.array([class_weight[int(label)] for label in y])"))),
              "changed `class_weight` in place", kind="mutates"),
    ),
    alternatives=(
        ('def to_sample_weight(y, class_weight):\n'
        '    w = np.ones(len(y))\n'
        '    for c, weight in class_weight.items():\n'
        '        w[np.asarray(y) == c] = weight\n'
        '    return w'),
        ('def to_sample_weight(y, class_weight):\n'
        '    from sklearn.utils.class_weight import compute_sample_weight\n'
        '    return compute_sample_weight(class_weight, np.asarray(y).astype(int))'),
    ),
)

q4 = dict(
    wrong=(
        Wrong(variant(_SOLUTION_4, (".rare_recall >= target", ".accuracy >= target")), "accuracy"),
        Wrong("w_min = 32", "already"),
        Wrong("w_min = 5", "candidates"),
        Wrong(variant(_SOLUTION_4, (_FOUND, "if result.rare_recall < target:\n        w_min = w")), "below"),
        Wrong("w_min = '4'", "a number"),
    ),
    alternatives=(
        ("candidates = [1, 2, 4, 8, 16, 32]\n"
        "w_min = next((w for w in candidates if weighting.recall_for_weight(\n"
        "    w, x_imb, y_imb, x_test, y_test, rare_class=rare, epochs=1, seed=SEED).rare_recall >= 0.6), None)"),
    ),
)
