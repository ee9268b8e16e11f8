"""Exercises for notebook 01 · End to end (``from kitlib.exercises import ___, nb01 as ex``).

1. The best epoch (easy): a function that reads any ``History``.
2. Scores by name (easy): ``evaluate(..., return_dict=True)`` instead of ``metrics_names``.
3. One-hot labels (medium): the loss and metric that match the labels' format.
4. Accuracy by hand (thought-provoking): ``predict()`` → accuracy, robust to label shapes.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from kitlib.exercises import (Incorrect, Kept, call, dense_forward, describe, exercise, graph_mode_error, expect,
                              expect_probability_loss, expect_type, guarded, tiny_data, tiny_model, variant)


def _close(a, b, rtol=1e-5, atol=1e-7) -> bool:
    return math.isclose(float(a), float(b), rel_tol=rtol, abs_tol=atol)


def _number(value, what: str, verb: str = "returned") -> float:
    """A learner's result as a float, or Incorrect saying what it was."""
    expect(value is not None, f"{what} {verb} None" + (": did you forget `return`?" if verb == "returned" else "."))
    if isinstance(value, (bool, np.bool_)):
        raise Incorrect(f"{what} {verb} {describe(value)}: it should be a number, not a comparison.")
    try:
        arr = np.asarray(value, dtype="float64")
    except (TypeError, ValueError):
        raise Incorrect(f"{what} should be a number, but it {verb} {describe(value)}.") from None
    expect(arr.shape == (), f"{what} {verb} {describe(value)}: reduce it to one number (np.mean of the per-sample "
                            f"results).")
    return float(arr)


def _keras_context():
    import keras
    return {"keras": keras, "np": np}  # imported by the notebook above the exercises


def evaluate_compiled(model, x, y, name: str, known=()) -> dict:
    """``model.evaluate(..., return_dict=True)`` on a model the learner compiled (also used by nb02): as a graph,
    as fit() runs it, so NumPy code in a learner's own loss or metric gets the graph-mode lesson."""
    graph = graph_mode_error(f"The loss or metric that `{name}` compiles", "inside evaluate() and fit()",
                             "Use `keras.ops` (ops.mean, ops.log, ...) or a Keras loss/metric class.")
    return guarded(lambda: model.evaluate(x, y, verbose=0, return_dict=True), name, known=(*known, graph),
                   doing=f"Evaluating the model compiled by `{name}`")


# --------------------------------------------------------------------------- 1. the best epoch
def _history(**logs):
    import keras
    history = keras.callbacks.History()
    history.history, history.epoch = logs, list(range(len(logs["val_loss"])))
    return history


def _history_context():
    return {"history": _history(loss=[0.912, 0.521, 0.338, 0.251],
                                sparse_categorical_accuracy=[0.731, 0.852, 0.901, 0.927],
                                val_loss=[0.634, 0.412, 0.447, 0.493],
                                val_sparse_categorical_accuracy=[0.812, 0.873, 0.869, 0.866]), "np": np}


_HISTORIES = (  # (val_loss, loss) the check builds: the best epoch in the middle, first, last
    ([0.634, 0.412, 0.447, 0.493], [0.912, 0.521, 0.338, 0.251]),
    ([0.402, 0.415, 0.433], [0.701, 0.502, 0.395]),
    ([0.93, 0.71, 0.58, 0.52, 0.497], [1.20, 0.86, 0.64, 0.55, 0.52]))

_SOLUTION_1 = '''
def find_best_epoch(history):
    """(epoch, validation loss) of the epoch with the lowest validation loss.
    Epochs count from 1, as fit() prints them."""
    val_losses = history.history["val_loss"]
    best_val_loss = min(val_losses)
    best_epoch = val_losses.index(best_val_loss) + 1
    return best_epoch, best_val_loss
'''


@exercise(
    "01.1", "The best epoch", answers=("find_best_epoch",),
    starter=variant(_SOLUTION_1, (('val_losses = history.history["val_loss"]\n    best_val_loss = min(val_losses)\n'
                                   '    best_epoch = val_losses.index(best_val_loss) + 1'),
                                  ("best_epoch = ___      # the epoch (as fit() counts them) with the lowest "
                                   "validation loss\n    best_val_loss = ___   # that validation loss"))),
    solution=_SOLUTION_1, context=_history_context,
    hints=(("`history.history` is a dict of lists, one value per epoch. Which key holds the loss on the validation "
            "data?"),
           "`min(values)` gives the lowest value and `values.index(v)` its position in the list.",
           "fit() prints `Epoch 1/2` for the first epoch, but Python lists start at position 0."),
    varies=("histories the check builds: the best epoch in the middle (training loss lowest at the end), first, "
            "and last; then the notebook's own history\n"
            "each history is kept before the call: a function that sorts or edits it is named"),
    exempt={"graph": "the function reads a History's Python lists after fit(); it never runs inside a tf.function"},
)
def q1(find_best_epoch, history):
    """Calls `find_best_epoch` on Histories whose best epoch is in the middle, first and last (the expected epoch
    and loss computed before each call), then on the notebook's history, and verifies (epoch counted from 1,
    lowest validation loss) and that the function leaves `history.history` unchanged."""
    logs = getattr(history, "history", None)
    expect(isinstance(logs, dict) and logs.get("val_loss"), f"`history` should be the History that "
           f"`model.fit(..., validation_data=...)` returned, but it is {describe(history)}: run the fit cell again.")
    for h in (*[_history(loss=list(loss), val_loss=list(val)) for val, loss in _HISTORIES], history):
        val = [float(v) for v in h.history["val_loss"]]   # expectations first, before the call
        others = {k: [float(v) for v in vs] for k, vs in h.history.items() if k != "val_loss"}
        kept = Kept(h, "history")
        got = call(find_best_epoch, h, name="find_best_epoch")
        kept.expect_unchanged(by="`find_best_epoch(history)`", fix="read the values without changing them: "
                              "`min(values)` or `sorted(values)` instead of `values.sort()`.")
        epoch, n = _judge_best(got, val, others), len(val)
    return (f"Epoch {epoch} of {n} has the lowest validation loss. With more epochs this is the number to watch: "
            f"once it stops falling while the training loss still falls, more epochs no longer help "
            f"(EarlyStopping in notebook 10 watches it for you).")


def _judge_best(got, val, others) -> int:
    """The best epoch (from 1) if *got* is right for validation losses *val*, else Incorrect."""
    expect(got is not None, "`find_best_epoch` returned None: did you forget `return best_epoch, best_val_loss`?")
    expect(isinstance(got, (tuple, list)) and len(got) == 2, f"`find_best_epoch` should return two values, "
           f"`best_epoch, best_val_loss`, but it returned {describe(got)}.")
    best_epoch, best_val_loss = got
    n, position = len(val), val.index(min(val))
    losses = f"validation losses [{', '.join(f'{v:.3f}' for v in val)}]"
    said = f"For {losses} your function returns"
    expect_type(best_epoch, int, "best_epoch", "a whole number (the epoch as fit() counts it: 1, 2, ...)")
    expect_type(best_val_loss, (int, float), "best_val_loss", "a number (a loss value)")
    if not _close(best_val_loss, val[position]):
        key = next((k for k, values in others.items() if any(_close(best_val_loss, v) for v in values)), None)
        where = "the training loss" if key == "loss" else f"a value of `{key}`"
        expect(key is None, f"{said} {best_val_loss:.4f}, {where}. The loss on the validation data is under "
                            f"`history.history['val_loss']`.")
        if n > 1 and _close(best_val_loss, val[-1]):
            raise Incorrect(f"{said} the last epoch's, {best_val_loss:.4f}; the lowest one can come earlier. Take "
                            f"the minimum over all epochs.")
        raise Incorrect(f"{said} {best_val_loss:.4f}, which is not the lowest.")
    epoch = int(best_epoch)
    if epoch == position + 1:
        return epoch
    if epoch == position:
        raise Incorrect(f"Off by one: for {losses} your function returns epoch {epoch}, the position in the list, "
                        f"counted from 0. Epochs count from 1, as fit() prints them (`Epoch 1/{n}`): add 1.")
    expect(1 <= epoch <= n, f"For a history of {n} epochs (1 to {n}) your function returns epoch {epoch}.")
    expect(epoch != n, f"{said} epoch {n}, the last epoch, not the one with the lowest validation loss.")
    raise Incorrect(f"{said} epoch {epoch}, whose validation loss is {val[epoch - 1]:.4f}, but another epoch's is "
                    f"lower.")


# --------------------------------------------------------------------------- 2. scores by name
def _score_models():
    """Two compiled models, their data, what evaluate() must report (NumPy, computed before the learner's code
    runs) and how each was compiled, in words."""
    import keras
    accuracy, top_k = keras.metrics.SparseCategoricalAccuracy, keras.metrics.SparseTopKCategoricalAccuracy
    for classes, n, seed, metrics, what in ((3, 40, 0, [accuracy(), top_k(k=2, name="top2_accuracy")],
                                             "a loss and two metrics"),
                                            (4, 20, 2, [accuracy(name="acc")], "a loss and one metric named `acc`")):
        model = tiny_model(num_classes=classes, seed=seed)
        model.compile(optimizer="rmsprop", loss=keras.losses.SparseCategoricalCrossentropy(), metrics=metrics)
        x, y = tiny_data(n=n, num_classes=classes, seed=seed)
        p, labels = dense_forward(model, x), y.astype(int)
        expected = {"loss": float(np.mean(-np.log(np.clip(p[np.arange(n), labels], 1e-7, 1)))),
                    metrics[0].name: float(np.mean(p.argmax(-1) == labels))}
        if classes == 3:
            expected["top2_accuracy"] = float(np.mean(np.any(np.argsort(p, -1)[:, -2:] == labels[:, None], -1)))
        yield model, x, y, expected, what


_SOLUTION_2 = '''
def scores(model, x, y):
    """Evaluate a compiled model on (x, y); return a dict {name: value}."""
    return model.evaluate(x, y, verbose=0, return_dict=True)
'''


@exercise(
    "01.2", "Scores by name", answers=("scores",),
    starter=variant(_SOLUTION_2, ("model.evaluate(x, y, verbose=0, return_dict=True)", "___")),
    solution=_SOLUTION_2, context=_keras_context,
    hints=("`model.evaluate()` can give its results with their names; see section 5 of this notebook.",
           "Look for an argument of `evaluate()` that returns a dict.",
           ("`model.evaluate(x, y, verbose=0, return_dict=True)`; avoid `model.metrics_names` (Keras 3 "
            "groups all compiled metrics under one name).")),
    varies=("two compiled models: 3 classes with a loss and two metrics on 40 samples (a batch of 32 and a remainder), "
            "and 4 classes with one metric named `acc` on 20 samples\n"
            "the expected values come from NumPy before `scores` runs; a model it recompiles or trains is named"),
    exempt={"graph": "scores() calls evaluate() from Python; none of its own code runs inside a tf.function"},
)
def q2(scores):
    """Calls `scores` on two differently compiled models (two metrics, one renamed metric) and verifies the
    dict's names and values against NumPy values computed before the call, and that `scores` neither
    recompiles nor trains the model it is given."""
    for model, x, y, expected, what in list(_score_models()):  # all expectations first
        with warnings.catch_warnings():   # Kept copies the model: Keras warns about its optimizer
            warnings.simplefilter("ignore")
            kept = Kept(model, "model")
        got = call(scores, model, x, y, name="scores")
        kept.expect_unchanged(by="`scores(model, x, y)`", fix="only evaluate it: `model.evaluate(x, y, "
                              "verbose=0, return_dict=True)`, no compile() or fit() inside `scores`.")
        names, on = sorted(expected), f"On a model compiled with {what}"
        expect(got is not None, "`scores` returned None: did you forget `return`?")
        if isinstance(got, (list, tuple)):
            raise Incorrect(f"`scores(...)` returned a {type(got).__name__} of {len(got)} numbers: which one is "
                            f"which? Return a dict that names each value, e.g. {{'loss': ...}}.")
        expect(isinstance(got, dict), f"`scores(...)` should return a dict, but it returned {describe(got)}.")
        keys = sorted(map(str, got))
        if "compile_metrics" in keys:
            raise Incorrect(f"{on} your dict has the keys {keys}, but evaluate() computes {len(expected)} values: "
                            f"{names}. In Keras 3 `model.metrics_names` is {model.metrics_names}: all compiled "
                            f"metrics share one name, so zipping it with evaluate()'s list mislabels values and "
                            f"drops some. Ask evaluate() for the names: `return_dict=True`.")
        expect(keys == names, f"{on} your dict has the keys {keys}; evaluate() reports {names}. Let evaluate() "
                              f"name the values (`return_dict=True`) rather than writing the names yourself.")
        for k in names:
            value = _number(got[k], f"`{k}` in your dict", verb="is")
            expect(_close(value, expected[k], rtol=1e-3),
                   f"{on}, `{k}` is {value:.4f}, but evaluate() gives {expected[k]:.4f} on the same data.")
    return "Every value comes with its own name, however many metrics the model has."


# --------------------------------------------------------------------------- 3. one-hot labels
def _config_names(entry) -> list[str]:
    """Class names or string ids in a (serialized) compile-config entry."""
    if isinstance(entry, dict) and "class_name" in entry:
        if entry["class_name"] == "function" and isinstance(entry.get("config"), str):
            return [entry["config"]]  # a function such as keras.losses.categorical_crossentropy
        return [str(entry["class_name"])]
    if isinstance(entry, (dict, list, tuple)):
        return [n for v in (entry.values() if isinstance(entry, dict) else entry) for n in _config_names(v)]
    return [] if entry is None else [entry if isinstance(entry, str) else type(entry).__name__]


_SOLUTION_3 = '''
def compile_for_one_hot(model):
    """Compile a 10-class softmax model for labels given as one-hot vectors."""
    model.compile(
        optimizer=keras.optimizers.RMSprop(learning_rate=1e-3),
        loss=keras.losses.CategoricalCrossentropy(),
        metrics=[keras.metrics.CategoricalAccuracy()],
    )
'''


@exercise(
    "01.3", "One-hot labels", answers=("compile_for_one_hot",),
    starter=variant(_SOLUTION_3, ("keras.losses.CategoricalCrossentropy()", "___"),
                    ("keras.metrics.CategoricalAccuracy()", "___")),
    solution=_SOLUTION_3, context=_keras_context,
    hints=(("The *Sparse* losses and metrics expect one integer label per sample; a one-hot label is "
            "a vector with a single 1."),
           "Drop the word *Sparse*: `keras.losses.Categorical...` and `keras.metrics.Categorical...`.",
           ("`loss=keras.losses.CategoricalCrossentropy()`, `metrics=[keras.metrics.CategoricalAccuracy()]` "
            "(the string `\"accuracy\"` also works: Keras picks the variant that fits the labels' shape).")),
    varies=("one model, the check's own: compile() takes no size, class count or parameter that a single input "
            "could hide; the loss is judged on predict()'s probabilities and in evaluate()"),
    exempt={"hardcoded": "the answer passes Keras classes or ids to compile(); none depends on the data's size or "
                         "classes",
            "mutates": "compiling the model it is given is the task; the check passes a fresh model"},
)
def q3(compile_for_one_hot):
    """Compiles a fresh 3-class softmax model with `compile_for_one_hot`, evaluates it (as a
    graph, like fit()) on one-hot labels and verifies the loss is the categorical
    cross-entropy of its probabilities (not read as logits) and a metric is the accuracy."""
    import keras
    model = tiny_model(num_classes=3)
    call(compile_for_one_hot, model, name="compile_for_one_hot")
    expect(getattr(model, "compiled", False), "`compile_for_one_hot(model)` did not compile the model: call "
                                              "`model.compile(...)` on the model it receives.")
    try:
        config = model.get_compile_config() or {}
    except Exception:  # a lambda whose source Keras cannot read: judge the objects themselves
        config = {"loss": model.loss, "metrics": None}
    x, y = tiny_data(num_classes=3)
    y_one_hot = keras.utils.to_categorical(y, 3)
    probabilities = model.predict(x, verbose=0).astype("float64")
    results = evaluate_compiled(model, x, y_one_hot, "compile_for_one_hot", known=(
        (lambda _: any("sparse" in n.lower() for n in _config_names(config.get("loss"))),
         ("Evaluating on one-hot labels fails: a *Sparse* loss expects one integer label per sample (shape (n,)), "
          "but one-hot labels have shape (n, classes). Use `keras.losses.CategoricalCrossentropy()`.")),
        (lambda _: any("sparse" in n.lower() for n in _config_names(config.get("metrics"))),
         ("Evaluating on one-hot labels fails in your metric: `SparseCategoricalAccuracy` expects one integer label "
          "per sample. For one-hot labels use `keras.metrics.CategoricalAccuracy()` (or \"accuracy\")."))))
    cross_entropy = float(np.mean(-np.sum(y_one_hot * np.log(np.clip(probabilities, 1e-7, 1 - 1e-7)), axis=-1)))
    accuracy = float(np.mean(probabilities.argmax(axis=-1) == y))
    expect_probability_loss(model.loss, keras.losses.CategoricalCrossentropy(from_logits=True),
                            y_one_hot, probabilities, cross_entropy)
    loss = results.get("loss")
    expect(_close(loss, cross_entropy, rtol=1e-4),
           f"On a one-hot batch evaluate() reports a loss of {loss:.4f}, but the categorical cross-entropy of the "
           f"model's probabilities is {cross_entropy:.4f}. For class probabilities and one-hot labels use "
           f"`keras.losses.CategoricalCrossentropy()`.")
    metrics = {k: v for k, v in results.items() if k != "loss"}
    expect(metrics, "Your model has no metric: add an accuracy metric so fit() and evaluate() report how many "
                    "samples are classified right.")
    shown = ", ".join(f"{k} = {v:.4f}" for k, v in sorted(metrics.items()))
    expect(any(_close(v, accuracy, rtol=1e-5) for v in metrics.values()), f"On a one-hot batch where {accuracy:.0%} "
           f"of the predictions are right, your metrics report {shown}. Use `keras.metrics.CategoricalAccuracy()`.")
    return ("Loss and accuracy match one-hot labels. Integer labels + Sparse…, one-hot labels + "
            "Categorical…: the same model, two label formats.")


# --------------------------------------------------------------------------- 4. accuracy by hand
def _probability_batch(n: int, n_classes: int, n_right: int, seed: int):
    """Probabilities (rows sum to 1) and labels (float32, shape (n,)) with exactly n_right correct."""
    rng = np.random.default_rng(seed)
    logits = rng.normal(size=(n, n_classes))
    probabilities = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    labels = probabilities.argmax(axis=1)
    wrong = rng.permutation(n)[: n - n_right]
    labels[wrong] = (labels[wrong] + 1 + rng.integers(0, n_classes - 1, len(wrong))) % n_classes
    return probabilities.astype("float32"), labels.astype("float32")


_SOLUTION_4 = '''
def accuracy_from_probabilities(probabilities, labels):
    """Fraction of rows whose most probable class equals the label.

    probabilities: shape (n, classes), like model.predict(x). labels: n class numbers,
    shape (n,) or a column of shape (n, 1).
    """
    predicted = np.argmax(probabilities, axis=-1)
    return float(np.mean(predicted == np.reshape(labels, -1)))
'''


@exercise(
    "01.4", "Accuracy by hand", answers=("accuracy_from_probabilities",),
    starter=variant(_SOLUTION_4, ("np.argmax(probabilities, axis=-1)", "___"),
                    ("float(np.mean(predicted == np.reshape(labels, -1)))", "___")),
    solution=_SOLUTION_4, context=_keras_context,
    hints=("The predicted class of a row is the position of its largest probability.",
           ("`np.argmax(probabilities, axis=-1)` gives one class per row; `np.mean(a == b)` the "
            "fraction of equal pairs. Now print the shapes of both sides of `==` for labels of shape (n, 1)."),
           ("Comparing shape (n,) with shape (n, 1) broadcasts to an n×n table of *every* pair: "
            "flatten the labels first with `np.reshape(labels, -1)`.")),
    varies=("batches of 4 samples × 4 classes (1 right) and 8 × 4 (3 right); labels of shape (n,) and a column (n, 1)"
            "\nthe arrays are kept before each call: a function that reshapes or edits them in place is named"),
    exempt={"graph": "a NumPy function applied to predict()'s output; fit() never runs it"},
)
def q4(accuracy_from_probabilities):
    """Calls the function on batches with a known number of right predictions (4 and 8 samples,
    labels of shape (n,) and (n, 1)) and compares with Keras' SparseCategoricalAccuracy,
    computed before the call; a function that changes its input arrays is refused."""
    import keras
    p4, y4 = _probability_batch(4, 4, 1, seed=3)
    p8, y8 = _probability_batch(8, 4, 3, seed=2)
    for probabilities, labels, what in ((p4, y4, "4 samples, 4 classes, labels of shape (4,)"),
                                        (p8, y8, "8 samples, 4 classes, labels of shape (8,)"),
                                        (p8, y8.reshape(-1, 1),
                                         "the same 8 samples with labels as a column, shape (8, 1)")):
        metric = keras.metrics.SparseCategoricalAccuracy()
        metric.update_state(np.reshape(labels, -1), probabilities)
        expected = float(metric.result())
        right = (f"but {int(round(expected * len(probabilities)))} of {len(labels)} predictions are right "
                 f"({expected:g}, as keras.metrics.SparseCategoricalAccuracy agrees)")
        kept = (Kept(probabilities, "probabilities"), Kept(labels, "labels"))
        try:
            result = call(accuracy_from_probabilities, probabilities, labels, name="accuracy_from_probabilities")
        except Incorrect as exc:
            raise Incorrect(f"On {what}: {exc}") from None
        for arg in kept:
            arg.expect_unchanged(by="`accuracy_from_probabilities`", fix="make a new array instead: "
                                 "`np.reshape(labels, -1)` leaves the caller's `labels` as they were, "
                                 "`labels.shape = ...` does not.")
        got = _number(result, "`accuracy_from_probabilities`")
        if _close(got, expected):
            continue
        expect(not _close(got, 100 * expected), f"You return {got:g}, a percentage; return the fraction "
                                                f"({expected:g}).")
        predicted = probabilities.argmax(axis=-1)
        if labels.ndim == 2 and _close(got, np.mean(predicted == labels)):
            raise Incorrect(f"On {what}, your function returns {got:.4f}, {right}. Comparing predictions of shape "
                            f"{predicted.shape} with labels of shape {labels.shape} broadcasts to a table of all "
                            f"{len(labels)}×{len(labels)} pairs. Flatten the labels first.")
        if probabilities.shape[0] == probabilities.shape[1] and _close(
                got, np.mean(probabilities.argmax(axis=0) == np.reshape(labels, -1))):
            raise Incorrect(f"On {what}, your function returns {got:g} instead of {expected:g}: argmax over axis 0 "
                            f"picks the most confident *sample* for each class. A row's class is the argmax over "
                            f"the last axis (`axis=-1`).")
        raise Incorrect(f"On {what}, your function returns {got:.4f}, {right}.")
    return ("Your accuracy matches Keras' on every label shape. The Keras 3 trap behind it: a metric "
            "that compares labels of shape (n,) with predictions of shape (n, 1) counts n×n pairs and "
            "prints a wrong number without any error (notebook 03).")
