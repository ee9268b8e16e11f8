"""Test data for kitlib.exercises.nb02: realistic wrong answers (each with a substring of the
message its check must give) and other correct forms, tried by tests/exercises/test_catalog.py."""

from kitlib.exercises import Wrong, variant  # noqa: F401
from kitlib.exercises.nb02 import (  # noqa: F401
    _ACC,
    _SOLUTION_23,
)

_OPT, _SCCE = "keras.optimizers.Adam(learning_rate=5e-4)", '"sparse_categorical_crossentropy"'
_ADAM = ('def compile_with_adam(model):\n'
         '    model.compile(optimizer=keras.optimizers.Adam(learning_rate=5e-4),\n'
         '                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])')

_MULTI = ('def compile_multi_label(model):\n'
          '    model.compile(optimizer="rmsprop", loss="binary_crossentropy", metrics=["binary_accuracy"])')

_BEST_23 = "max(momentum_val_acc, key=momentum_val_acc.get)"


q1 = dict(
    wrong=(
        Wrong(variant(_ADAM, (_OPT, '"adam"')), "default"),
        Wrong(variant(_ADAM, ("learning_rate=5e-4", "lr=5e-4")), "lr="),
        Wrong(variant(_ADAM, ("keras.optimizers.Adam", "keras.optimizers.legacy.Adam")), "legacy"),
        Wrong(variant(_ADAM, ("learning_rate=5e-4", "learning_rate=5e-4, is_legacy_optimizer=False")),
              "not recognized: {'is_legacy_optimizer'"),
        Wrong(variant(_ADAM, (_SCCE, '"categorical_crossentropy"')), "Sparse"),
        Wrong(variant(_ADAM, (_SCCE, "keras.losses.SparseCategoricalCrossentropy(from_logits=True)")), "from_logits"),
        Wrong(variant(_ADAM, ("Adam(", "RMSprop(")), "RMSprop"),
        Wrong(variant(_ADAM, ("Adam(", "AdamW(")), "AdamW"),
        Wrong(variant(_ADAM, ("learning_rate=5e-4", ("learning_rate=keras.optimizers.schedules.ExponentialDecay(\n"
                                                    "        5e-4, decay_steps=100, decay_rate=0.5)"))), "constant"),
        Wrong(variant(_ADAM, (_SCCE, "lambda y, p: keras.losses.sparse_categorical_crossentropy(y, p, from_logits=True)")),
              "from_logits"),
        Wrong(variant(_ADAM, ("learning_rate=5e-4", "learning_rate=lambda: 5e-4")), "function"),
        Wrong(variant(_ADAM, (_SCCE, "lambda y, p: np.mean(keras.losses.sparse_categorical_crossentropy(y, p))")),
              "keras.ops", kind="graph"),
    ),
    alternatives=(
        variant(_ADAM, ("learning_rate=5e-4", "5e-4")),
        variant(_ADAM, (_SCCE, "keras.losses.sparse_categorical_crossentropy"),
                ('"accuracy"', "keras.metrics.sparse_categorical_accuracy")),
    ),
)

q2 = dict(
    wrong=(
        Wrong(variant(_MULTI, ('"binary_accuracy"', '"accuracy"')), "CategoricalAccuracy"),
        Wrong(variant(_MULTI, ('"binary_crossentropy"', '"categorical_crossentropy"')), "binary"),
        Wrong(variant(_MULTI, ('"binary_accuracy"', "keras.metrics.Accuracy()")), "exactly"),
        Wrong(variant(_MULTI, ('"binary_accuracy"', 'keras.metrics.Accuracy(name="exact")')), "`exact` reports"),
        Wrong(variant(_MULTI, (', metrics=["binary_accuracy"]', "")), "no metric"),
        Wrong('def compile_multi_label(model):\n'
              '    def right_answers(y, p):\n'
              '        return np.mean((p > 0.5) == (y == 1))\n'
              '    model.compile(optimizer="rmsprop", loss="binary_crossentropy", metrics=[right_answers])',
              "keras.ops", kind="graph"),
    ),
    alternatives=(
        _MULTI,
        ('def compile_multi_label(model):\n'
        '    model.compile(optimizer="adam", loss=keras.losses.BinaryCrossentropy(),\n'
        '                  metrics=[keras.metrics.BinaryAccuracy(threshold=0.5), keras.metrics.AUC()])'),
        ('def compile_multi_label(model):\n'
        '    def right_answers(y, p):\n'
        '        return ops.mean(ops.cast((p > 0.5) == (y == 1), "float32"), axis=-1)\n'
        '    model.compile(optimizer="rmsprop", loss="binary_crossentropy", metrics=[right_answers])'),
    ),
)

q3 = dict(
    wrong=(
        Wrong(variant(_SOLUTION_23, (f'"{_ACC}"', '"sparse_categorical_accuracy"')), "training"),
        Wrong(variant(_SOLUTION_23, ('"SGD+momentum"', '"SGD"')), "SGD+momentum"),
        Wrong(variant(_SOLUTION_23, (_BEST_23, "max(momentum_val_acc.values())")), "learning rate"),
        Wrong(variant(_SOLUTION_23, (f'"{_ACC}"', '"val_loss"')), "loss"),
        Wrong(variant(_SOLUTION_23, (_BEST_23, "0.3")), "highest"),
        Wrong('momentum_val_acc = {0.003: 0.8876, 0.03: 0.9364, 0.3: 0.7231}\n'
              'best_momentum_lr = 0.03', "typed", kind="hardcoded"),
    ),
    alternatives=(
        ('momentum_val_acc = {}\n'
        'for lr in [3e-3, 3e-2, 3e-1]:\n'
        '    momentum_val_acc[lr] = train_setting("SGD+momentum", lr)["val_sparse_categorical_accuracy"][-1]\n'
        'best_momentum_lr = sorted(momentum_val_acc, key=lambda lr: momentum_val_acc[lr])[-1]'),
    ),
)
