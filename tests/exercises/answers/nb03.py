"""Test data for kitlib.exercises.nb03: realistic wrong answers (each with a substring of the
message its check must give) and other correct forms, tried by tests/exercises/test_catalog.py."""

from kitlib.exercises import Wrong, variant  # noqa: F401
from kitlib.exercises.nb03 import (  # noqa: F401
    _CONFIG,
    _SOLUTION_3,
    _SOLUTION_32,
)

# TopTwoHits ported from Keras 2 as it was: both traps (B×B broadcast, result() returning the variable)
_TOP2_PORTED = '''
class TopTwoHits(keras.metrics.Metric):
    def __init__(self, name="top2_hits", **kwargs):
        super().__init__(name=name, **kwargs)
        self.hits = self.add_weight(shape=(), initializer="zeros", name="hits")

    def update_state(self, y_true, y_pred, sample_weight=None):
        labels = ops.cast(y_true, "int32")
        top2 = ops.cast(ops.top_k(y_pred, k=2)[1], "int32")
        first, second = top2[:, :1], top2[:, 1:]
        hit = ops.cast(ops.logical_or(ops.equal(labels, first), ops.equal(labels, second)), "float32")
        hit = ops.reshape(hit, (-1,))
        if sample_weight is not None:
            hit = hit * ops.reshape(ops.cast(sample_weight, hit.dtype), (-1,))
        self.hits.assign_add(ops.sum(hit))

    def result(self):
        return self.hits
'''

_POWER_TEMPLATE = variant(_SOLUTION_32, ("ops.power(ops.abs(y_true - y_pred), self.power)",
                                         "ops.abs(y_true - y_pred) ** self.power"))

_POWERED = "ops.abs(y_true - y_pred) ** self.power"

_TOP2_FIXED = (_TOP2_PORTED
               .replace('labels = ops.cast(y_true, "int32")', 'labels = ops.reshape(ops.cast(y_true, "int32"), (-1, 1))')
               .replace("return self.hits", "return ops.copy(self.hits)"))


q1 = dict(
    wrong=(
        Wrong("def one_hot_mae(y_true, y_pred):\n    return ops.mean(ops.abs(y_true - y_pred))", "one value per sample"),
        Wrong("def one_hot_mae(y_true, y_pred):\n    return ops.sum(ops.abs(y_true - y_pred), axis=-1)", "sum"),
        Wrong("def one_hot_mae(y_true, y_pred):\n    return ops.mean(ops.square(y_true - y_pred), axis=-1)",
              "squared"),
        Wrong("def one_hot_mae(y_true, y_pred):\n    return np.mean(np.abs(y_true - y_pred), axis=-1)", "keras.ops",
              kind="graph"),
        Wrong("def one_hot_mae(y_true, y_pred):\n    return ops.sum(ops.abs(y_true - y_pred), axis=-1) / 4",
              "3 classes", kind="hardcoded"),
        Wrong("def one_hot_mae(y_true, y_pred):\n    return ops.abs(y_true - y_pred)", "one value per sample"),
    ),
    alternatives=(
        "def one_hot_mae(y_true, y_pred):\n    return keras.losses.mean_absolute_error(y_true, y_pred)",
        "def one_hot_mae(y_true, y_pred):\n    return ops.mean(ops.absolute(y_pred - y_true), axis=1)",
    ),
)

q2 = dict(
    wrong=(
        Wrong(variant(_POWER_TEMPLATE, (f"\n\n    def get_config(self):\n        return {_CONFIG}", "")), "default"),
        Wrong(variant(_POWER_TEMPLATE, (_CONFIG, '{"power": self.power}')), "super().get_config()"),
        Wrong(variant(_POWER_TEMPLATE, (_POWERED, "ops.abs(y_true - y_pred) ** 2")), "self.power", kind="hardcoded"),
        Wrong(variant(_POWER_TEMPLATE, (_POWERED, "ops.abs(y_true - y_pred) ** 3")), "self.power", kind="hardcoded"),
        Wrong(variant(_POWER_TEMPLATE, (f"ops.mean({_POWERED}", "np.mean(np.abs(y_true - y_pred) ** self.power")),
              "keras.ops", kind="graph"),
        Wrong(variant(_POWER_TEMPLATE, (_POWERED, "(y_true - y_pred) ** self.power")), "absolute"),
        Wrong(variant(_POWER_TEMPLATE, (", axis=-1)", ")")), "one value per sample"),
    ),
    alternatives=(
        _POWER_TEMPLATE,
        variant(_SOLUTION_32, (f"return {_CONFIG}", ('config = super().get_config()\n'
                                                    '        config.update({"power": self.power})\n'
                                                    '        return config'))),
    ),
)

q3 = dict(
    wrong=(
        Wrong(variant(_SOLUTION_3, ("else ops.reshape(ops.cast(sample_weight, self.dtype), (-1,)))",
                                    "else ops.ones_like(guess, dtype=self.dtype))")), "sample_weight"),
        Wrong(variant(_SOLUTION_3, ("equal(true_class, self.class_id)", "equal(GUESS, self.class_id)"),
                      ("equal(guess, self.class_id)", "equal(true_class, self.class_id)"), ("GUESS", "guess")),
              "precision"),
        Wrong(variant(_SOLUTION_3, ("assign_add", "assign")), "accumulate"),
        Wrong(variant(_SOLUTION_3, ("self.class_id), self.dtype)", "2), self.dtype)")), "self.class_id",
              kind="hardcoded"),
        Wrong(variant(_SOLUTION_3, ("divide_no_nan(self.hits, self.actual)", "divide_no_nan(self.actual, self.hits)")),
              "wrong way round"),
        Wrong(variant(_SOLUTION_3, ('true_class = ops.reshape(ops.cast(y_true, "int32"), (-1,))',
                                    'true_class = np.reshape(y_true, -1).astype("int32")')), "keras.ops", kind="graph"),
        Wrong(variant(_SOLUTION_3, ('ops.reshape(ops.cast(y_true, "int32"), (-1,))', 'ops.cast(y_true, "int32")')),
              "shape (24, 1)"),
        Wrong(variant(_SOLUTION_3, ('guess = ops.cast(ops.argmax(y_pred, axis=-1), "int32")',
                                    'guess = ops.reshape(ops.cast(ops.argmax(y_pred, axis=-1), "int32"), (-1, 1))'),
                      ("ops.ones_like(guess,", "ops.ones_like(true_class,")), "B×B"),
    ),
    alternatives=('''
class ClassRecall(keras.metrics.Metric):
    def __init__(self, class_id, name="class_recall", **kwargs):
        super().__init__(name=name, **kwargs)
        self.class_id = class_id
        self.hits = self.add_weight(shape=(), initializer="zeros", name="hits")
        self.actual = self.add_weight(shape=(), initializer="zeros", name="actual")

    def update_state(self, y_true, y_pred, sample_weight=None):
        labels = ops.reshape(y_true, (-1,))
        predicted = ops.argmax(y_pred, axis=-1)
        if sample_weight is None:
            sample_weight = ops.ones_like(labels)
        w = ops.cast(ops.reshape(sample_weight, (-1,)), "float32")
        mine = ops.cast(labels == self.class_id, "float32") * w
        self.actual.assign_add(ops.sum(mine))
        self.hits.assign_add(ops.sum(mine * ops.cast(predicted == self.class_id, "float32")))

    def result(self):
        return self.hits / self.actual
''',),
)

q4 = dict(
    wrong=(
        Wrong(_TOP2_PORTED, "B×B"),
        Wrong(_TOP2_FIXED.replace("return ops.copy(self.hits)", "return self.hits"), "validation"),
        Wrong(_TOP2_FIXED.replace("ops.logical_or(ops.equal(labels, first), ops.equal(labels, second))",
                                  "ops.equal(labels, first)"), "top 2"),
        Wrong(_TOP2_FIXED.replace("ops.top_k(y_pred, k=2)[1]", "ops.argsort(y_pred, axis=-1)[:, :2]"), "least"),
        Wrong(variant(_TOP2_FIXED, ('(ops.cast(y_true, "int32"), (-1, 1))', '(ops.cast(y_true, "int32"), (32, 1))')),
              "16 labels", kind="hardcoded"),
        Wrong(variant(_TOP2_FIXED, ('labels = ops.reshape(ops.cast(y_true, "int32"), (-1, 1))',
                                    'labels = np.reshape(y_true, (-1, 1)).astype("int32")')), "keras.ops", kind="graph"),
    ),
    alternatives=(
        _TOP2_FIXED,
        _TOP2_FIXED.replace("return ops.copy(self.hits)", "return self.hits * 1.0"),
    ),
)
