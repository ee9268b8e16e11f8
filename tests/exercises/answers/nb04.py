"""Test data for kitlib.exercises.nb04: realistic wrong answers (each with a substring of the
message its check must give) and other correct forms, tried by tests/exercises/test_catalog.py."""

from kitlib.exercises import Wrong, variant  # noqa: F401
from kitlib.exercises.nb04 import (  # noqa: F401
    _PER_SAMPLE,
    _SOLUTION_1,
    _SOLUTION_2,
    _SOLUTION_3,
    _ZEROS,
)


q1 = dict(
    wrong=(
        Wrong(variant(_SOLUTION_1, ("ops.abs(inputs)", "ops.square(inputs)")), "square"),
        Wrong(variant(_SOLUTION_1, ("ops.sum(ops.abs(inputs))", "ops.sum(inputs)")), "absolute"),
        Wrong(variant(_SOLUTION_1, ("ops.sum(ops.abs(inputs))", "ops.mean(ops.abs(inputs))")), "mean"),
        Wrong(variant(_SOLUTION_1, ("        self.add_loss(penalty)\n", "")), "add_loss"),
        Wrong(variant(_SOLUTION_1, ("self.rate * ops", "0.01 * ops")), "self.rate", kind="hardcoded"),
        Wrong(variant(_SOLUTION_1, ("ops.sum(ops.abs(inputs))", "np.sum(np.abs(inputs))")), "graph",
              kind="graph"),
        Wrong(variant(_SOLUTION_1, ("self.rate * ops.sum(ops.abs(inputs))",
                                    "self.rate * float(ops.sum(ops.abs(inputs)))")), "graph", kind="graph"),
    ),
    alternatives=(
        variant(_SOLUTION_1, ("self.rate * ops.sum(ops.abs(inputs))", "keras.regularizers.L1(self.rate)(inputs)")),
        variant(_SOLUTION_1, ("ops.sum(ops.abs(inputs))", "ops.sum(ops.where(inputs < 0, -inputs, inputs))")),
    ),
)

q2 = dict(
    wrong=(
        Wrong('''
class DeadFraction(layers.Layer):
    def call(self, inputs):
        self.add_metric(ops.mean(ops.cast(inputs <= 0, "float32")), name="dead_fraction")
        return inputs
''', "add_metric"),
        Wrong(variant(_SOLUTION_2, (_ZEROS, "inputs")), "mean activation"),
        Wrong(variant(_SOLUTION_2, (_ZEROS, 'ops.cast(inputs > 0, "float32")')), "alive"),
        Wrong(variant(_SOLUTION_2, (_ZEROS, f"ops.mean({_ZEROS}, axis=-1.0)")),  # not a dtype mix
              "Using `DeadFraction` in a model raised"),
        Wrong('''
class DeadFraction(layers.Layer):
    def call(self, inputs):
        metric = keras.metrics.Mean(name="dead_fraction")
        metric.update_state(ops.cast(inputs <= 0, "float32"))
        return inputs
''', "__init__"),
        Wrong(variant(_SOLUTION_2, ('keras.metrics.Mean(name="dead_fraction")', "keras.metrics.Mean()")), "name"),
        Wrong(variant(_SOLUTION_2, (_ZEROS, f"ops.mean({_ZEROS})")), "same size", kind="hardcoded"),
        Wrong(variant(_SOLUTION_2, (_ZEROS, f"ops.sum({_ZEROS}, axis=-1) / 16")), "units", kind="hardcoded"),
        Wrong(variant(_SOLUTION_2, (_ZEROS, '(np.asarray(inputs) == 0).astype("float32")')), "graph",
              kind="graph"),
    ),
    alternatives=(
        variant(_SOLUTION_2, (_ZEROS, "ops.where(inputs <= 0, 1.0, 0.0)")),
        variant(_SOLUTION_2, (_ZEROS, f"ops.mean({_ZEROS}, axis=-1)")),
    ),
)

q3 = dict(
    wrong=(
        Wrong(variant(_SOLUTION_3, (_PER_SAMPLE, "ops.sum(ops.square(inputs))")), "grows with the batch"),
        Wrong(variant(_SOLUTION_3, (_PER_SAMPLE, "ops.sum(ops.square(inputs)) / 64")), "batch size",
              kind="hardcoded"),
        Wrong(variant(_SOLUTION_3, (_PER_SAMPLE, "ops.mean(ops.square(inputs))")), "units"),
        Wrong(variant(_SOLUTION_3, ("self.rate * ops", "0.01 * ops")), "self.rate", kind="hardcoded"),
        Wrong(variant(_SOLUTION_3, (_PER_SAMPLE, "ops.sum(ops.square(inputs)) / len(inputs)")), "len(inputs)",
              kind="graph"),
        Wrong(variant(_SOLUTION_3, (_PER_SAMPLE, "ops.sum(ops.square(inputs)) / inputs.shape[0]")), "None",
              kind="graph"),
    ),
    alternatives=(
        variant(_SOLUTION_3, (_PER_SAMPLE,
                              "ops.sum(ops.square(inputs)) / ops.cast(ops.shape(inputs)[0], inputs.dtype)")),
        variant(_SOLUTION_3, (f"self.rate * {_PER_SAMPLE}",
                              "keras.regularizers.L2(self.rate)(inputs) / ops.cast(ops.shape(inputs)[0], \"float32\")")),
    ),
)
