"""Exercises for notebook 08 · Sample and class weighting (``from kitlib.exercises import ___, nb08 as ex``).

1. A class weight (easy): the dict ``fit(class_weight=...)`` reads, and how Keras looks it up.
2. Balanced weights for any class ids (easy): ``compute_class_weight`` → a dict with the right keys.
3. The same as sample weights (medium): an array that trains bit-identically to ``class_weight``.
4. A recall target (thought-provoking): the smallest weight that finds 60 % of the rare class.
"""

from __future__ import annotations

import math

from kitlib.exercises import Incorrect, Kept, call, describe, exercise, expect, expect_type, variant

_BEFORE_FIT = "the learner's function runs in Python on NumPy labels before fit(), never inside a tf.function"


def _context():
    import keras
    import numpy as np
    from sklearn.utils.class_weight import compute_class_weight
    return {"np": np, "keras": keras, "compute_class_weight": compute_class_weight}


def _is_int_id(key) -> bool:
    import numpy as np
    return isinstance(key, (int, np.integer)) and not isinstance(key, (bool, np.bool_))


def _check_class_weight_dict(value, name: str) -> dict:
    """*value* as a class_weight dict Keras can use (int keys, number values), or Incorrect."""
    import numpy as np
    expect(not isinstance(value, (np.ndarray, list, tuple)), f"`{name}` is {describe(value)}; `fit(class_weight=...)` "
           f"wants a dict {{class id: weight}}. Keras 3 fails with `AttributeError: ... has no attribute 'get'` (it "
           f"looks weights up with `class_weight.get(class_id, 1.0)`).")
    expect(isinstance(value, dict), f"`{name}` should be a dict {{class id: weight}}, but it is {describe(value)}.")
    expect(value, f"`{name}` is an empty dict: every class keeps weight 1.0.")
    for key, weight in value.items():
        expect(not isinstance(key, str), f"`{name}` has the key {key!r}, a string. Keras looks each label up as "
               f"`class_weight.get(int(label), 1.0)`, so a string key never matches: every sample silently keeps "
               f"weight 1.0. Use int keys such as 3.")
        expect(_is_int_id(key), f"`{name}` has the key {key!r} ({type(key).__name__}); use int class ids. (Float "
               f"keys happen to work with arrays but break `fit()` on a Dataset, which builds `range(max(keys) + 1)`.)")
        ok = isinstance(weight, (int, float, np.integer, np.floating)) and not isinstance(weight, (bool, np.bool_))
        expect(ok and math.isfinite(float(weight)) and float(weight) >= 0,
               f"The weight of class {key} in `{name}` is {describe(weight)}; weights are numbers >= 0.")
    return {int(k): float(v) for k, v in value.items()}


@exercise(
    "08.1", "A class weight", answers=("class_weight_3",),
    starter="class_weight_3 = ___   # for fit(): digit 3 counts 4 times as much as each other digit",
    solution="class_weight_3 = {3: 4.0}", context=_context,
    hints=("`class_weight` maps a class id to its weight; section 1 builds one for the digit 5.",
           "A class the dict leaves out keeps weight 1.0, so one entry is enough.",
           "`{3: 4.0}` (or all ten digits, with 4.0 for digit 3 and 1.0 for the others)."),
    varies=("one input is enough: the answer is a constant dict for the task's own class and factor; the check "
            "reads it as Keras does, `class_weight.get(digit, 1.0)` for every digit 0–9"),
    exempt={"hardcoded": "the task fixes the class (digit 3) and the factor (4): the answer is that constant, "
                         "there is no parameter it could ignore",
            "mutates": "the answer is a dict; the check calls no learner code, so no caller object is handed to it",
            "graph": "a class_weight dict is read in Python by fit()'s data adapter; no learner code runs in a graph"},
)
def q1(class_weight_3):
    """Verifies that class_weight_3 is a dict with int class ids and number weights that, looked up as Keras does
    (`get(digit, 1.0)` for digits 0–9), makes digit 3 weigh 4 times each other digit."""
    cw = _check_class_weight_dict(class_weight_3, "class_weight_3")
    effective = {digit: cw.get(digit, 1.0) for digit in range(10)}  # what Keras uses for each digit
    unknown = sorted(k for k in cw if not 0 <= k <= 9)
    expect(not unknown, f"`class_weight_3` names class {unknown[0] if unknown else ''}, but the digits are 0..9.")
    w3 = effective[3]
    other = next((d for d, v in effective.items() if v == 4.0), None)
    expect(w3 != 1.0 or other is None, f"Weight 4.0 goes to digit {other}, and digit 3 keeps 1.0. The keys are the "
                                       f"class ids (the labels themselves), not positions.")
    expect(not math.isclose(w3, 0.25), "Digit 3 gets weight 0.25: its samples would count less, not more. A weight "
                                       "multiplies each sample's loss.")
    others = {d: v for d, v in effective.items() if d != 3}
    expect(all(v == others[0] for v in others.values()), "Every digit other than 3 should weigh the same, but "
           + ", ".join(f"digit {d} weighs {v:g}" for d, v in others.items() if v != 1.0) + ".")
    expect(others[0] > 0 and math.isclose(w3 / others[0], 4.0), f"Digit 3 weighs {w3:g} and the others "
           f"{others[0]:g}: that is {w3 / others[0] if others[0] else 0:g} times as much, not 4.")
    return ("Each sample of digit 3 now counts 4 times in the loss. Keras finds a label's weight with "
            "`class_weight.get(int(label), 1.0)`: int keys, and every class left out weighs 1.0.")


_SOLUTION_2 = '''
def balanced_class_weight(y):
    """scikit-learn's balanced weights for the labels y (any class ids, int or float),
    as the dict that fit(class_weight=...) needs."""
    classes = np.unique(y)
    weights = compute_class_weight("balanced", classes=classes, y=y)
    return {int(c): float(w) for c, w in zip(classes, weights)}
'''
_DICT_2 = "return {int(c): float(w) for c, w in zip(classes, weights)}"


@exercise(
    "08.2", "Balanced weights for any class ids", answers=("balanced_class_weight",),
    starter=variant(_SOLUTION_2, (_DICT_2, "return ___")),
    solution=_SOLUTION_2, context=_context,
    hints=("`weights[i]` is the weight of the class `classes[i]`. Which one should be the key?",
           ("`dict(enumerate(weights))` works only when the classes are exactly 0, 1, 2, ... Pair each class "
            "with its weight: `zip(classes, weights)`."),
           "The kit's labels are floats (5.0): make the keys `int(c)`."),
    varies=("the labels: int ids 2, 5, 7; float32 ids 2.0, 5.0, 7.0; ids 0, 3, 6, 9; two classes 1 and 4 "
            "(non-contiguous ids, missing classes, different counts)"),
    exempt={"graph": _BEFORE_FIT},
)
def q2(balanced_class_weight):
    """Verifies that balanced_class_weight(y) returns {int class id: sklearn's balanced weight} for labels with
    non-contiguous ids, float or int, two to four classes of different counts, and leaves the labels unchanged."""
    import numpy as np
    from sklearn.utils.class_weight import compute_class_weight
    for y, what in ((np.array([2] * 6 + [5] * 2 + [7] * 4), "int labels 2, 5 and 7"),
                    (np.array([7] * 3 + [2] * 6 + [5] * 3, dtype="float32"),
                     "float32 labels 2.0, 5.0 and 7.0 (like y_train)"),
                    (np.arange(30) % 10 // 3 * 3, "int labels 0, 3, 6 and 9"),
                    (np.array([4, 1, 4, 4, 1, 4, 4]), "int labels 1 and 4")):
        kept = Kept(y, "y")
        classes = np.unique(kept.original)
        expected = {int(c): float(w) for c, w in
                    zip(classes, compute_class_weight("balanced", classes=classes, y=kept.original))}
        got = call(balanced_class_weight, y, name="balanced_class_weight")
        kept.expect_unchanged(by="`balanced_class_weight(y)`",
                              fix="leave the labels as they are: `np.unique` sorts a copy, no need to sort `y`.")
        if isinstance(got, (np.ndarray, list, tuple)):
            _check_class_weight_dict(got, "balanced_class_weight(y)")
        expect(isinstance(got, dict), f"For {what}, `balanced_class_weight` returned {describe(got)}; "
                                      f"return a dict {{class id: weight}}.")
        cw = _check_class_weight_dict(got, "balanced_class_weight(y)")  # a string key: its own message first
        if sorted(cw) == list(range(len(classes))) and list(expected) != list(cw):
            raise Incorrect(f"For {what} your keys are {sorted(cw)}: positions in `classes`, "
                            f"not class ids. Keras would weight classes 0, 1, 2 and leave {list(expected)} at 1.0.")
        expect(sorted(cw) == list(expected), f"For {what} your keys are {sorted(cw)}; the classes are "
                                             f"{list(expected)}.")
        for c, w in expected.items():
            expect(math.isclose(cw[c], w, rel_tol=1e-6),
                   f"For {what} class {c} gets {cw[c]:.4g}; 'balanced' gives {w:.4g} = n_samples / "
                   f"(n_classes · count of class {c}).")
    return ("Every class id gets its balanced weight: the rarer the class, the larger the weight, and all "
            "classes weigh the same in total. `dict(enumerate(w))` is right only for classes 0, 1, 2, ...")


_SOLUTION_3 = '''
def to_sample_weight(y, class_weight):
    """The sample_weight array that trains exactly like fit(class_weight=class_weight)."""
    return np.array([class_weight.get(int(label), 1.0) for label in y], dtype="float32")
'''
_RETURN_3 = 'return np.array([class_weight.get(int(label), 1.0) for label in y], dtype="float32")'
# (class_weight, label dtype): float32 labels as in the notebook; int labels, non-contiguous ids, a weight 0
_CASES_3 = (({3: 4.0, 7: 0.5}, "float32"), ({0: 2.0, 9: 3.0, 5: 0.0}, "int64"))


@exercise(
    "08.3", "The same as sample weights", answers=("to_sample_weight",),
    starter=variant(_SOLUTION_3, (_RETURN_3, "return ___")),
    solution=_SOLUTION_3, context=_context,
    hints=("One weight per sample: the weight of that sample's class. Section 2 does it for one class.",
           ("Keras looks each label up with `class_weight.get(int(label), 1.0)`: a class the dict leaves "
            "out weighs 1.0."),
           "`np.array([class_weight.get(int(label), 1.0) for label in y], dtype=\"float32\")`."),
    varies=("class_weight and labels: {3: 4.0, 7: 0.5} on float32 labels 0–9; {0: 2.0, 9: 3.0, 5: 0.0} "
            "on int labels (non-contiguous ids, a weight 0, classes left out)"),
    exempt={"graph": _BEFORE_FIT},
)
def q3(to_sample_weight):
    """Verifies that to_sample_weight(y, class_weight) gives each sample class_weight.get(label, 1.0) for two dicts
    (non-contiguous ids, a weight 0, classes left out), leaves y and the dict as they were, trains like class_weight."""
    import numpy as np
    from kitlib.exercises import tiny_data, tiny_model
    from kitlib.runtime import seed_everything
    x, y = tiny_data(n=64, num_classes=10, seed=3)
    weights = [_sample_weight_of(to_sample_weight, y.astype(dtype), cw) for cw, dtype in _CASES_3]

    def fit(**weighting):  # one training step on the whole batch, eagerly (no tracing: quick)
        seed_everything(0)
        model = tiny_model(num_classes=10)
        model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy", run_eagerly=True)
        model.train_on_batch(x, y, **weighting)
        return model.get_weights()
    same = all(np.array_equal(a, b) for a, b in zip(fit(class_weight=_CASES_3[0][0]), fit(sample_weight=weights[0])))
    expect(same, "Your weights look right, but training with them does not give the same model as class_weight. "
                 "Return plain numbers, one per sample.")
    return ("Trained with your sample_weight, a small model ends with the very same weights (bit for bit) as "
            "with class_weight: Keras turns class_weight into exactly this array. Multiply it with other "
            "per-sample weights when you need both.")


def _sample_weight_of(to_sample_weight, y, class_weight):
    """The learner's weights for (y, class_weight), judged against Keras' lookup; y and the dict must stay unchanged."""
    import numpy as np
    expected = np.array([class_weight.get(int(label), 1.0) for label in y])
    kept_y, kept_cw = Kept(y, "y"), Kept(dict(class_weight), "class_weight")
    try:
        got = call(to_sample_weight, kept_y.value, kept_cw.value, name="to_sample_weight")
    except Incorrect as exc:
        if isinstance(exc.learner_error, KeyError):
            raise Incorrect(f"{exc}\nThe check's class_weight is {class_weight}: a class left out weighs 1.0, "
                            f"as in Keras. Look weights up with `.get(int(label), 1.0)`.") from None
        raise
    for kept in (kept_y, kept_cw):
        kept.expect_unchanged(by="`to_sample_weight`", fix="build a new array (`np.array([...])`) and look weights up "
                              "with `.get(int(label), 1.0)`, which leaves the dict as it is.")
    expect(not isinstance(got, dict), "`to_sample_weight` returned a dict; sample_weight is one weight per sample, an "
                                      "array as long as y.")
    try:
        w = np.asarray(got, dtype="float64")
    except (TypeError, ValueError):
        raise Incorrect(f"`to_sample_weight` returned {describe(got)}; return an array with one weight per "
                        f"sample (None in it? a class left out of class_weight weighs 1.0).") from None
    expect(w.size == len(y) and w.shape in ((len(y),), (len(y), 1)),
           f"For {len(y)} labels, `to_sample_weight` returned shape {w.shape}; give one weight per sample.")
    w = w.reshape(-1)
    wrong = np.flatnonzero(~np.isclose(w, expected))
    if wrong.size:
        k = int(wrong[0])
        c = int(y[k])
        raise Incorrect(f"Sample {k} (class {c}) gets weight {w[k]:g}; with class_weight {class_weight} it weighs "
                        f"{expected[k]:g}" + (" (its class is left out, so 1.0)." if c not in class_weight else
                                              ". Look each label up in the `class_weight` you are given (the check "
                                              "tries several)."))
    return got


_SOLUTION_4 = '''
candidates = [1, 2, 4, 8, 16, 32]
target = 0.6
w_min = None
for w in candidates:
    result = weighting.recall_for_weight(w, x_imb, y_imb, x_test, y_test, rare_class=rare, epochs=1,
                                         seed=SEED)
    if result.rare_recall >= target:
        w_min = w
        break
'''
CANDIDATES, TARGET = (1, 2, 4, 8, 16, 32), 0.6


def _imbalanced_context():
    """MNIST with the digit 5 made rare, small enough for quick fits (as section 5, smaller)."""
    from kitlib import data, weighting
    d = data.guide_data(n_train=2500, n_val=600)
    x_imb, y_imb = data.imbalanced_subset(d.x_train, d.y_train, rare_class=5, fraction=0.3, seed=0)
    return {**_context(), "weighting": weighting, "x_imb": x_imb, "y_imb": y_imb,
            "x_test": d.x_val, "y_test": d.y_val, "rare": 5, "SEED": 42}


@exercise(
    "08.4", "A recall target", answers=("w_min",),
    starter=variant(_SOLUTION_4, (_SOLUTION_4[_SOLUTION_4.index("None\n"):].rstrip(),
                    "___   # the smallest candidate weight whose recall of the rare digit reaches target")),
    solution=_SOLUTION_4, context=_imbalanced_context,
    hints=(("`weighting.recall_for_weight(w, x_imb, y_imb, x_test, y_test, rare_class=rare, epochs=1, seed=SEED)` "
            "trains with one weight, as the sweep of section 5 did; its `.rare_recall` is what to compare."),
           ("Try the candidates from the smallest up and stop at the first that reaches the target: the "
            "weights before it do not."),
           ("Not `.accuracy` (all digits) nor `.rare_precision`: the target is about finding the rare digit. "
            "Leave `w_min = None` if no candidate reaches it.")),
    varies=("one input is enough: the answer is one number for the notebook's own data; the check re-runs "
            "recall_for_weight on that data at w_min and at the candidate below it"),
    exempt={"hardcoded": "the answer is a number for the notebook's own data, which the check re-runs the "
                         "sweep on: a number written in by hand is judged by the same runs",
            "mutates": "the answer is a number; the check calls no learner code, so no caller object is handed to it",
            "graph": "the training runs in kitlib's recall_for_weight; no learner code runs inside fit()"},
)
def q4(w_min, weighting, x_imb, y_imb, x_test, y_test, rare, SEED):
    """Verifies that w_min is the smallest candidate weight whose rare-class recall (recall_for_weight on the
    notebook's data) reaches the target: it reaches it, the one below does not; None only if even the largest fails."""
    def run(w):
        return weighting.recall_for_weight(w, x_imb, y_imb, x_test, y_test, rare_class=rare, epochs=1, seed=SEED)
    if w_min is None:
        top = run(CANDIDATES[-1])
        expect(top.rare_recall < TARGET, f"`w_min` is None, but weight {CANDIDATES[-1]} finds {top.rare_recall:.3f} of "
               f"the digit {rare}s, which reaches {TARGET}: look again.")
        return (f"No candidate reaches {TARGET} here: even weight {CANDIDATES[-1]} finds only {top.rare_recall:.3f} of "
                f"the {rare}s. With so few of them, more epochs or more samples of the rare digit would be needed.")
    expect_type(w_min, (int, float), "w_min", "a number, one of the candidate weights (or None)")
    i = next((k for k, c in enumerate(CANDIDATES) if math.isclose(float(w_min), c)), None)
    expect(i is not None, f"{w_min:g} is not one of the candidates {list(CANDIDATES)}.")
    result = run(CANDIDATES[i])
    expect(result.rare_recall >= TARGET, f"At weight {w_min:g} the recall of the digit {rare} is "
           f"{result.rare_recall:.3f}, below the target {TARGET}. (The accuracy there is {result.accuracy:.3f}, but "
           f"it counts every digit: a model that never predicts a {rare} still scores high.)")
    below = "it is the smallest candidate"
    if i > 0:
        before = run(CANDIDATES[i - 1])
        expect(before.rare_recall < TARGET, f"Weight {CANDIDATES[i - 1]:g} already finds {before.rare_recall:.3f} of "
                                            f"the {rare}s: a smaller candidate reaches the target.")
        below = f"weight {CANDIDATES[i - 1]:g} finds {before.rare_recall:.3f}"
    return (f"Weight {w_min:g} finds {result.rare_recall:.3f} of the {rare}s ({below}), at a precision of "
            f"{result.rare_precision:.3f} and an accuracy of {result.accuracy:.3f} on all digits. Any larger "
            f"weight buys more recall with more false alarms.")
