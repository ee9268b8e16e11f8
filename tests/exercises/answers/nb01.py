"""Test data for kitlib.exercises.nb01: realistic wrong answers (each with a substring of the
message its check must give) and other correct forms, tried by tests/exercises/test_catalog.py."""

from kitlib.exercises import Wrong, variant  # noqa: F401
from kitlib.exercises.nb01 import (  # noqa: F401
    _SOLUTION_1,
    _SOLUTION_2,
    _SOLUTION_4,
)

_BEST_LINES = "best_val_loss = min(val_losses)\n    best_epoch = val_losses.index(best_val_loss) + 1"

_CCE = '"categorical_crossentropy"'

_ONE_HOT = ('def compile_for_one_hot(model):\n'
            '    model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])')


q1 = dict(
    wrong=(
        Wrong(variant(_SOLUTION_1, ("index(best_val_loss) + 1", "index(best_val_loss)")), "Epochs count from 1"),
        Wrong(variant(_SOLUTION_1, ('["val_loss"]', '["loss"]')), "training"),
        Wrong(variant(_SOLUTION_1, ("return best_epoch, best_val_loss", "return float(best_epoch), best_val_loss")),
              "whole number"),
        Wrong(variant(_SOLUTION_1, (_BEST_LINES, "best_epoch = len(val_losses)\n    best_val_loss = val_losses[-1]")),
              "last epoch", kind="hardcoded"),
        Wrong(variant(_SOLUTION_1, ("return best_epoch, best_val_loss", "return 2, best_val_loss")),
              "another epoch", kind="hardcoded"),
        Wrong(variant(_SOLUTION_1, (_BEST_LINES, ("best_epoch = val_losses.index(min(val_losses)) + 1\n"
                                                 "    val_losses.sort()\n    best_val_loss = val_losses[0]"))),
              "in place", kind="mutates"),
    ),
    alternatives=(
        variant(_SOLUTION_1, (_BEST_LINES, ("best_epoch = np.argmin(val_losses) + 1\n"
                                           "    best_val_loss = np.min(val_losses)"))),
        variant(_SOLUTION_1, (_BEST_LINES, ("best_val_loss = sorted(val_losses)[0]\n"
                                           "    best_epoch = history.epoch[val_losses.index(best_val_loss)] + 1"))),
    ),
)

q2 = dict(
    wrong=(
        Wrong(variant(_SOLUTION_2, ("return model.evaluate(x, y, verbose=0, return_dict=True)",
                                    "return dict(zip(model.metrics_names, model.evaluate(x, y, verbose=0)))")),
              "metrics_names"),
        Wrong(variant(_SOLUTION_2, (", return_dict=True", "")), "list"),
        Wrong(variant(_SOLUTION_2, ("return model.evaluate", "model.evaluate")), "return"),
        Wrong(variant(_SOLUTION_2, ("return model.evaluate(x, y, verbose=0, return_dict=True)",
                                    ("names = ['loss', 'sparse_categorical_accuracy', 'top2_accuracy']\n"
                                    "    return dict(zip(names, model.evaluate(x, y, verbose=0)))"))),
              "one metric named `acc`", kind="hardcoded"),
        Wrong(variant(_SOLUTION_2, ("    return model.evaluate",
                                    ("    model.compile(optimizer='rmsprop', loss='sparse_categorical_crossentropy',\n"
                                    "                  metrics=['accuracy'])\n    return model.evaluate"))),
              "changed the model", kind="mutates"),
        Wrong(variant(_SOLUTION_2, ("    return model.evaluate",
                                    "    model.fit(x, y, epochs=1, verbose=0)\n    return model.evaluate")),
              "changed the model", kind="mutates"),
        Wrong(variant(_SOLUTION_2, ("return model.evaluate(x, y, verbose=0, return_dict=True)",
                                    ("results = model.evaluate(x, y, verbose=0, return_dict=True)\n"
                                    "    if 'acc' in results:   # the usual name, please (the second model only)\n"
                                    "        model.compile(optimizer=model.optimizer, loss='sparse_categorical_crossentropy',\n"
                                    "                      metrics=['sparse_categorical_accuracy'])\n"
                                    "        results = model.evaluate(x, y, verbose=0, return_dict=True)\n"
                                    "    return results"))),
              "changed the model", kind="mutates"),
    ),
    alternatives=(
        variant(_SOLUTION_2, ("return model.evaluate(x, y, verbose=0, return_dict=True)",
                              ("results = model.evaluate(x, y, verbose=0, return_dict=True)\n"
                              "    return {name: float(value) for name, value in results.items()}"))),
    ),
)

q3 = dict(
    wrong=(
        Wrong(variant(_ONE_HOT, (_CCE, "keras.losses.SparseCategoricalCrossentropy()"),
                      ('"accuracy"', "keras.metrics.SparseCategoricalAccuracy()")), "Sparse"),
        Wrong(variant(_ONE_HOT, ('"accuracy"', "keras.metrics.SparseCategoricalAccuracy()")), "integer label"),
        Wrong(variant(_ONE_HOT, (_CCE, '"mse"')), "cross-entropy"),
        Wrong(variant(_ONE_HOT, (_CCE, "keras.losses.CategoricalCrossentropy(from_logits=True)")), "from_logits"),
        Wrong(variant(_ONE_HOT, (', metrics=["accuracy"]', "")), "no metric"),
        Wrong("def compile_for_one_hot(model):\n    return keras.losses.CategoricalCrossentropy()", "compile"),
        Wrong(variant(_ONE_HOT, (_CCE, "lambda y, p: keras.losses.categorical_crossentropy(y, p, from_logits=True)")),
              "from_logits"),
        Wrong(variant(_ONE_HOT, (_CCE, "lambda y, p: -np.sum(y * np.log(p), axis=-1)")), "keras.ops", kind="graph"),
    ),
    alternatives=(
        _ONE_HOT,
        variant(_ONE_HOT, ('"rmsprop"', '"adam"'), (_CCE, "keras.losses.CategoricalCrossentropy()"),
                ('["accuracy"]', '["categorical_accuracy", keras.metrics.TopKCategoricalAccuracy(k=3)]')),
        variant(_ONE_HOT, (_CCE, "keras.losses.categorical_crossentropy"),
                ('"accuracy"', "keras.metrics.categorical_accuracy")),
    ),
)

q4 = dict(
    wrong=(
        Wrong(variant(_SOLUTION_4, ("np.reshape(labels, -1)", "labels")), "broadcast"),
        Wrong(variant(_SOLUTION_4, ("np.reshape(labels, -1)", "labels[:, 0]")), "labels of shape (4,)",
              kind="hardcoded"),
        Wrong(variant(_SOLUTION_4, ("return float(np.mean(predicted == np.reshape(labels, -1)))",
                                    "labels.shape = (-1,)\n    return float(np.mean(predicted == labels))")),
              "in place", kind="mutates"),
        Wrong(variant(_SOLUTION_4, ("axis=-1", "axis=0")), "axis"),
        Wrong(variant(_SOLUTION_4, ("return float(np.mean(predicted == np.reshape(labels, -1)))",
                                    "return predicted == np.reshape(labels, -1)")), "one number"),
        Wrong(variant(_SOLUTION_4, ("return float(", "return 100 * float(")), "fraction"),
    ),
    alternatives=(
        ('def accuracy_from_probabilities(probabilities, labels):\n'
        '    return np.mean(probabilities.argmax(axis=1) == np.ravel(labels))'),
        ('def accuracy_from_probabilities(probabilities, labels):\n'
        '    labels = np.asarray(labels).reshape(-1).astype(int)\n'
        '    return sum(int(p.argmax()) == y for p, y in zip(probabilities, labels)) / len(labels)'),
    ),
)
