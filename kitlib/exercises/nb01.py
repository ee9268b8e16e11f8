"""Exercises for notebook 01 · End to end (``from kitlib.exercises import ___, nb01 as ex``).

1. The best epoch (easy): read the ``History``.
2. Scores by name (easy): ``evaluate(..., return_dict=True)`` instead of ``metrics_names``.
3. One-hot labels (medium): the loss and metric that match the labels' format.
4. Accuracy by hand (thought-provoking): ``predict()`` → accuracy, robust to label shapes.
"""

from __future__ import annotations

import math

from kitlib.exercises import (Incorrect, Wrong, call, describe, exercise, expect, expect_probability_loss,
                              expect_type, tiny_data, tiny_model)


def _close(a, b, rtol=1e-5, atol=1e-7) -> bool:
    return math.isclose(float(a), float(b), rel_tol=rtol, abs_tol=atol)


def _number(value, what: str, verb: str = "returned") -> float:
    """A learner's result as a float, or Incorrect saying what it was."""
    import numpy as np
    if value is None:
        raise Incorrect(f"{what} {verb} None" + (": did you forget `return`?" if verb == "returned" else "."))
    if isinstance(value, (bool, np.bool_)):
        raise Incorrect(f"{what} {verb} {describe(value)}: it should be a number, not a comparison.")
    try:
        arr = np.asarray(value, dtype="float64")
    except (TypeError, ValueError):
        raise Incorrect(f"{what} should be a number, but it {verb} {describe(value)}.") from None
    if arr.shape != ():
        raise Incorrect(f"{what} {verb} {describe(value)}: reduce it to one number "
                        f"(np.mean of the per-sample results).")
    return float(arr)


# --------------------------------------------------------------------------- 1. the best epoch


def _history_context():
    import keras
    history = keras.callbacks.History()
    history.history = {
        "loss": [0.912, 0.521, 0.338, 0.251],
        "sparse_categorical_accuracy": [0.731, 0.852, 0.901, 0.927],
        "val_loss": [0.634, 0.412, 0.447, 0.493],
        "val_sparse_categorical_accuracy": [0.812, 0.873, 0.869, 0.866],
    }
    import numpy as np
    return {"history": history, "np": np}


@exercise(
    "01.1", "The best epoch",
    answers=("best_epoch", "best_val_loss"),
    starter="""
best_epoch = ___      # the epoch (as fit() counts them) with the lowest validation loss
best_val_loss = ___   # that validation loss
""",
    solution="""
val_losses = history.history["val_loss"]
best_val_loss = min(val_losses)
best_epoch = val_losses.index(best_val_loss) + 1
""",
    hints=(
        ("`history.history` is a dict of lists, one value per epoch. Which key holds the "
        "loss on the validation data?"),
        "`min(values)` gives the lowest value and `values.index(v)` its position in the list.",
        "fit() prints `Epoch 1/2` for the first epoch, but Python lists start at position 0.",
    ),
    context=_history_context,
    wrong=(
        Wrong("best_val_loss = min(history.history['val_loss'])\n"
              "best_epoch = history.history['val_loss'].index(best_val_loss)", "Epochs count from 1"),
        Wrong("best_val_loss = min(history.history['loss'])\n"
              "best_epoch = history.history['loss'].index(best_val_loss) + 1", "training"),
        Wrong("best_epoch = len(history.history['val_loss'])\n"
              "best_val_loss = history.history['val_loss'][-1]", "last epoch"),
        Wrong("best_epoch = 2.0\nbest_val_loss = 0.412", "whole number"),
    ),
    alternatives=(
        ("best_epoch = int(np.argmin(history.history['val_loss'])) + 1\n"
        "best_val_loss = float(np.min(history.history['val_loss']))"),
    ),
)
def q1(best_epoch, best_val_loss, history):
    logs = getattr(history, "history", None)
    expect(isinstance(logs, dict) and logs.get("val_loss"),
           f"`history` should be the History that `model.fit(..., validation_data=...)` returned, but "
           f"it is {describe(history)}: run the fit cell again.")
    val = [float(v) for v in logs["val_loss"]]
    best = min(val)
    position = val.index(best)
    n = len(val)
    expect_type(best_epoch, int, "best_epoch", "a whole number (the epoch as fit() counts it: 1, 2, ...)")
    expect_type(best_val_loss, (int, float), "best_val_loss", "a number (a loss value)")
    if not _close(best_val_loss, best):
        for key, values in logs.items():
            if key != "val_loss" and any(_close(best_val_loss, v) for v in values):
                where = "the training loss" if key == "loss" else f"a value of `{key}`"
                raise Incorrect(f"`best_val_loss` = {best_val_loss:.4f} is {where}. The loss on the "
                                f"validation data is under `history.history['val_loss']`.")
        if n > 1 and _close(best_val_loss, val[-1]):
            raise Incorrect("`best_val_loss` is the last epoch's validation loss; the lowest one can come "
                            "earlier. Take the minimum over all epochs.")
        raise Incorrect(f"`best_val_loss` = {best_val_loss:.4f} is not the lowest value of "
                        f"`history.history['val_loss']`.")
    epoch = int(best_epoch)
    if epoch == position + 1:
        pass
    elif epoch == position:
        raise Incorrect(f"Off by one: {epoch} is the position in the list, counted from 0. "
                        f"Epochs count from 1, as fit() prints them (`Epoch 1/{n}`): add 1.")
    elif not 1 <= epoch <= n:
        raise Incorrect(f"There were only {n} epochs (1 to {n}); `best_epoch` is {epoch}.")
    elif epoch == n:
        raise Incorrect(f"Epoch {n} is the last epoch, not the one with the lowest validation loss.")
    else:
        raise Incorrect(f"Epoch {epoch} had validation loss {val[epoch - 1]:.4f}, but another epoch's is lower.")
    return (f"Epoch {position + 1} of {n} has the lowest validation loss. With more epochs this is "
            f"the number to watch: once it stops falling while the training loss still falls, more "
            f"epochs no longer help (EarlyStopping in notebook 10 watches it for you).")


# --------------------------------------------------------------------------- 2. scores by name


def _keras_context():
    import keras
    import numpy as np
    return {"keras": keras, "np": np}  # imported by the notebook above the exercises


@exercise(
    "01.2", "Scores by name",
    answers=("scores",),
    starter='''
def scores(model, x, y):
    """Evaluate a compiled model on (x, y); return a dict {name: value}."""
    return ___
''',
    solution='''
def scores(model, x, y):
    """Evaluate a compiled model on (x, y); return a dict {name: value}."""
    return model.evaluate(x, y, verbose=0, return_dict=True)
''',
    hints=(
        "`model.evaluate()` can give its results with their names; see section 5 of this notebook.",
        "Look for an argument of `evaluate()` that returns a dict.",
        ("`model.evaluate(x, y, verbose=0, return_dict=True)`; avoid `model.metrics_names` (Keras 3 "
        "groups all compiled metrics under one name)."),
    ),
    context=_keras_context,
    wrong=(
        Wrong('def scores(model, x, y):\n'
              '    return dict(zip(model.metrics_names, model.evaluate(x, y, verbose=0)))', "metrics_names"),
        Wrong('def scores(model, x, y):\n'
              '    return model.evaluate(x, y, verbose=0)', "list"),
        Wrong('def scores(model, x, y):\n'
              '    model.evaluate(x, y, verbose=0, return_dict=True)', "return"),
    ),
    alternatives=(
        ('def scores(model, x, y):\n'
        '    results = model.evaluate(x, y, verbose=0, return_dict=True)\n'
        '    return {name: float(value) for name, value in results.items()}'),
    ),
)
def q2(scores):
    import keras
    model = tiny_model()
    model.compile(optimizer="rmsprop", loss=keras.losses.SparseCategoricalCrossentropy(),
                  metrics=[keras.metrics.SparseCategoricalAccuracy(),
                           keras.metrics.SparseTopKCategoricalAccuracy(k=2, name="top2_accuracy")])
    x, y = tiny_data()
    got = call(scores, model, x, y, name="scores")
    expected = model.evaluate(x, y, verbose=0, return_dict=True)
    names = sorted(expected)
    if got is None:
        raise Incorrect("`scores` returned None: did you forget `return`?")
    if isinstance(got, (list, tuple)):
        raise Incorrect(f"`scores(...)` returned a {type(got).__name__} of {len(got)} numbers: which one is "
                        f"which? Return a dict that names each value, e.g. {{'loss': ...}}.")
    expect(isinstance(got, dict), f"`scores(...)` should return a dict, but it returned {describe(got)}.")
    keys = sorted(map(str, got))
    if "compile_metrics" in keys:
        raise Incorrect(
            f"On a model compiled with a loss and two metrics your dict has the keys {keys}, "
            f"but evaluate() computes {len(expected)} values: {names}. In Keras 3 "
            f"`model.metrics_names` is {model.metrics_names}: all compiled metrics share one "
            f"name, so zipping it with evaluate()'s list mislabels values and drops some. Ask "
            f"evaluate() for the names: `return_dict=True`.")
    expect(keys == names, f"On a model compiled with a loss and two metrics your dict has the keys "
                          f"{keys}; evaluate() reports {names}.")
    for k in names:
        value = _number(got[k], f"`{k}` in your dict", verb="is")
        expect(_close(value, expected[k], rtol=1e-4),
               f"`{k}` is {value:.4f}, but evaluate() gives {expected[k]:.4f} on the same data.")
    return "Every value comes with its own name, however many metrics the model has."


# --------------------------------------------------------------------------- 3. one-hot labels


def _config_names(entry) -> list[str]:
    """Class names or string ids in a (serialized) compile-config entry."""
    if entry is None:
        return []
    if isinstance(entry, str):
        return [entry]
    if isinstance(entry, dict):
        if "class_name" in entry:
            if entry["class_name"] == "function" and isinstance(entry.get("config"), str):
                return [entry["config"]]  # a function such as keras.losses.categorical_crossentropy
            return [str(entry["class_name"])]
        return [n for v in entry.values() for n in _config_names(v)]
    if isinstance(entry, (list, tuple)):
        return [n for v in entry for n in _config_names(v)]
    return [type(entry).__name__]


@exercise(
    "01.3", "One-hot labels",
    answers=("compile_for_one_hot",),
    starter='''
def compile_for_one_hot(model):
    """Compile a 10-class softmax model for labels given as one-hot vectors."""
    model.compile(
        optimizer=keras.optimizers.RMSprop(learning_rate=1e-3),
        loss=___,
        metrics=[___],
    )
''',
    solution='''
def compile_for_one_hot(model):
    """Compile a 10-class softmax model for labels given as one-hot vectors."""
    model.compile(
        optimizer=keras.optimizers.RMSprop(learning_rate=1e-3),
        loss=keras.losses.CategoricalCrossentropy(),
        metrics=[keras.metrics.CategoricalAccuracy()],
    )
''',
    hints=(
        ("The *Sparse* losses and metrics expect one integer label per sample; a one-hot label is "
        "a vector with a single 1."),
        "Drop the word *Sparse*: `keras.losses.Categorical...` and `keras.metrics.Categorical...`.",
        ("`loss=keras.losses.CategoricalCrossentropy()`, `metrics=[keras.metrics.CategoricalAccuracy()]` "
        "(the string `\"accuracy\"` also works: Keras picks the variant that fits the labels' shape)."),
    ),
    context=_keras_context,
    wrong=(
        Wrong('def compile_for_one_hot(model):\n'
              '    model.compile(optimizer="rmsprop", loss=keras.losses.SparseCategoricalCrossentropy(),\n'
              '                  metrics=[keras.metrics.SparseCategoricalAccuracy()])', "Sparse"),
        Wrong('def compile_for_one_hot(model):\n'
              '    model.compile(optimizer="rmsprop", loss=keras.losses.CategoricalCrossentropy(),\n'
              '                  metrics=[keras.metrics.SparseCategoricalAccuracy()])', "integer label"),
        Wrong('def compile_for_one_hot(model):\n'
              '    model.compile(optimizer="rmsprop", loss="mse", metrics=["accuracy"])', "cross-entropy"),
        Wrong('def compile_for_one_hot(model):\n'
              '    model.compile(optimizer="rmsprop",\n'
              '                  loss=keras.losses.CategoricalCrossentropy(from_logits=True),\n'
              '                  metrics=["accuracy"])', "from_logits"),
        Wrong('def compile_for_one_hot(model):\n'
              '    model.compile(optimizer="rmsprop", loss="categorical_crossentropy")', "no metric"),
        Wrong('def compile_for_one_hot(model):\n'
              '    return keras.losses.CategoricalCrossentropy()', "compile"),
        Wrong('def compile_for_one_hot(model):\n'
              '    model.compile(optimizer="rmsprop",\n'
              '                  loss=lambda y, p: keras.losses.categorical_crossentropy(y, p, from_logits=True),\n'
              '                  metrics=["accuracy"])', "from_logits"),
    ),
    alternatives=(
        ('def compile_for_one_hot(model):\n'
        '    model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])'),
        ('def compile_for_one_hot(model):\n'
        '    model.compile(optimizer="adam", loss=keras.losses.CategoricalCrossentropy(),\n'
        '                  metrics=["categorical_accuracy", keras.metrics.TopKCategoricalAccuracy(k=3)])\n'
        '    return model'),
        ('def compile_for_one_hot(model):\n'
        '    model.compile(optimizer="rmsprop", loss=keras.losses.categorical_crossentropy,\n'
        '                  metrics=[keras.metrics.categorical_accuracy])'),
    ),
)
def q3(compile_for_one_hot):
    import keras
    import numpy as np

    n_classes = 3
    model = tiny_model(num_classes=n_classes)
    call(compile_for_one_hot, model, name="compile_for_one_hot")
    expect(getattr(model, "compiled", False),
           "`compile_for_one_hot(model)` did not compile the model: call `model.compile(...)` "
           "on the model it receives.")
    try:
        config = model.get_compile_config() or {}
    except Exception:  # a lambda whose source Keras cannot read: judge the objects themselves
        config = {"loss": model.loss, "metrics": None}
    loss_names = [n.lower() for n in _config_names(config.get("loss"))]
    metric_names = [n.lower() for n in _config_names(config.get("metrics"))]
    x, y = tiny_data(num_classes=n_classes)
    y_one_hot = keras.utils.to_categorical(y, n_classes)
    probabilities = model.predict(x, verbose=0).astype("float64")
    try:
        results = model.evaluate(x, y_one_hot, verbose=0, return_dict=True)
    except Exception:
        if any("sparse" in n for n in loss_names):
            raise Incorrect("Evaluating on one-hot labels fails: a *Sparse* loss expects one integer label "
                            "per sample (shape (n,)), but one-hot labels have shape (n, classes). "
                            "Use `keras.losses.CategoricalCrossentropy()`.") from None
        if any("sparse" in n for n in metric_names):
            raise Incorrect("Evaluating on one-hot labels fails in your metric: "
                            "`SparseCategoricalAccuracy` expects one integer label per sample. For "
                            "one-hot labels use `keras.metrics.CategoricalAccuracy()` (or \"accuracy\").") from None
        raise
    p = np.clip(probabilities, 1e-7, 1 - 1e-7)
    cross_entropy = float(np.mean(-np.sum(y_one_hot * np.log(p), axis=-1)))
    accuracy = float(np.mean(probabilities.argmax(axis=-1) == y))
    expect_probability_loss(model.loss, keras.losses.CategoricalCrossentropy(from_logits=True),
                            y_one_hot, probabilities, cross_entropy)
    loss = results.get("loss")
    expect(_close(loss, cross_entropy, rtol=1e-4),
           f"On a one-hot batch evaluate() reports a loss of {loss:.4f}, but the categorical "
           f"cross-entropy of the model's probabilities is {cross_entropy:.4f}. For class "
           f"probabilities and one-hot labels use `keras.losses.CategoricalCrossentropy()`.")
    metrics = {k: v for k, v in results.items() if k != "loss"}
    expect(metrics, "Your model has no metric: add an accuracy metric so fit() and evaluate() report "
                    "how many samples are classified right.")
    if not any(_close(v, accuracy, rtol=1e-5) for v in metrics.values()):
        shown = ", ".join(f"{k} = {v:.4f}" for k, v in sorted(metrics.items()))
        raise Incorrect(f"On a one-hot batch where {accuracy:.0%} of the predictions are right, your "
                        f"metrics report {shown}. Use `keras.metrics.CategoricalAccuracy()`.")
    return ("Loss and accuracy match one-hot labels. Integer labels + Sparse…, one-hot labels + "
            "Categorical…: the same model, two label formats.")


# --------------------------------------------------------------------------- 4. accuracy by hand


def _probability_batch(n: int, n_classes: int, n_right: int, seed: int):
    """Probabilities (rows sum to 1) and labels (float32, shape (n,)) with exactly n_right correct."""
    import numpy as np
    rng = np.random.default_rng(seed)
    logits = rng.normal(size=(n, n_classes))
    probabilities = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    predicted = probabilities.argmax(axis=1)
    labels = predicted.copy()
    wrong = rng.permutation(n)[: n - n_right]
    labels[wrong] = (predicted[wrong] + 1 + rng.integers(0, n_classes - 1, len(wrong))) % n_classes
    return probabilities.astype("float32"), labels.astype("float32")


@exercise(
    "01.4", "Accuracy by hand",
    answers=("accuracy_from_probabilities",),
    starter='''
def accuracy_from_probabilities(probabilities, labels):
    """Fraction of rows whose most probable class equals the label.

    probabilities: shape (n, classes), like model.predict(x). labels: n class numbers,
    shape (n,) or a column of shape (n, 1).
    """
    predicted = ___
    return ___
''',
    solution='''
def accuracy_from_probabilities(probabilities, labels):
    """Fraction of rows whose most probable class equals the label.

    probabilities: shape (n, classes), like model.predict(x). labels: n class numbers,
    shape (n,) or a column of shape (n, 1).
    """
    predicted = np.argmax(probabilities, axis=-1)
    return float(np.mean(predicted == np.reshape(labels, -1)))
''',
    hints=(
        "The predicted class of a row is the position of its largest probability.",
        ("`np.argmax(probabilities, axis=-1)` gives one class per row; `np.mean(a == b)` the "
        "fraction of equal pairs. Now print the shapes of both sides of `==` for labels of shape (n, 1)."),
        ("Comparing shape (n,) with shape (n, 1) broadcasts to an n×n table of *every* pair: "
        "flatten the labels first with `np.reshape(labels, -1)`."),
    ),
    context=_keras_context,
    wrong=(
        Wrong('def accuracy_from_probabilities(probabilities, labels):\n'
              '    return float(np.mean(np.argmax(probabilities, axis=-1) == labels))', "broadcast"),
        Wrong('def accuracy_from_probabilities(probabilities, labels):\n'
              '    return float(np.mean(np.argmax(probabilities, axis=0) == np.reshape(labels, -1)))', "axis"),
        Wrong('def accuracy_from_probabilities(probabilities, labels):\n'
              '    return np.argmax(probabilities, axis=-1) == np.reshape(labels, -1)', "one number"),
        Wrong('def accuracy_from_probabilities(probabilities, labels):\n'
              '    return 100 * np.mean(np.argmax(probabilities, axis=-1) == np.reshape(labels, -1))',
              "fraction"),
    ),
    alternatives=(
        ('def accuracy_from_probabilities(probabilities, labels):\n'
        '    return np.mean(probabilities.argmax(axis=1) == np.ravel(labels))'),
        ('def accuracy_from_probabilities(probabilities, labels):\n'
        '    labels = np.asarray(labels).reshape(-1).astype(int)\n'
        '    return sum(int(p.argmax()) == y for p, y in zip(probabilities, labels)) / len(labels)'),
    ),
)
def q4(accuracy_from_probabilities):
    import keras
    import numpy as np

    fn = accuracy_from_probabilities
    cases = [  # (probabilities, labels as given, description); each with a known number right
        (*_probability_batch(4, 4, 1, seed=3), "4 samples, 4 classes, labels of shape (4,)"),
        (*_probability_batch(8, 4, 3, seed=2), "8 samples, 4 classes, labels of shape (8,)"),
    ]
    p8, y8 = cases[1][0], cases[1][1]
    cases.append((p8, y8.reshape(-1, 1), "the same 8 samples with labels as a column, shape (8, 1)"))
    for probabilities, labels, what in cases:
        metric = keras.metrics.SparseCategoricalAccuracy()
        metric.update_state(np.reshape(labels, -1), probabilities)
        expected = float(metric.result())
        n_right = int(round(expected * len(probabilities)))
        got = _number(call(fn, probabilities.copy(), labels.copy(), name="accuracy_from_probabilities"),
                      "`accuracy_from_probabilities`")
        if _close(got, expected):
            continue
        if _close(got, 100 * expected):
            raise Incorrect(f"You return {got:g}, a percentage; return the fraction ({expected:g}).")
        predicted = probabilities.argmax(axis=-1)
        if labels.ndim == 2 and _close(got, np.mean(predicted == labels)):
            raise Incorrect(
                f"On {what}, your function returns {got:.4f}, but {n_right} of {len(labels)} predictions "
                f"are right ({expected:g}, as keras.metrics.SparseCategoricalAccuracy agrees). Comparing "
                f"predictions of shape {predicted.shape} with labels of shape {labels.shape} broadcasts "
                f"to a table of all {len(labels)}×{len(labels)} pairs. Flatten the labels first.")
        if probabilities.shape[0] == probabilities.shape[1] and _close(
                got, np.mean(probabilities.argmax(axis=0) == np.reshape(labels, -1))):
            raise Incorrect(f"On {what}, your function returns {got:g} instead of {expected:g}: argmax over "
                            f"axis 0 picks the most confident *sample* for each class. A row's class is "
                            f"the argmax over the last axis (`axis=-1`).")
        raise Incorrect(f"On {what}, your function returns {got:.4f}, but {n_right} of {len(labels)} "
                        f"predictions are right ({expected:g}, as keras.metrics.SparseCategoricalAccuracy "
                        f"agrees).")
    return ("Your accuracy matches Keras' on every label shape. The Keras 3 trap behind it: a metric "
            "that compares labels of shape (n,) with predictions of shape (n, 1) counts n×n pairs and "
            "prints a wrong number without any error (notebook 03).")
