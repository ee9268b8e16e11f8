"""Exercises for notebook 02 · compile() (``from kitlib.exercises import ___, nb02 as ex``).

1. Adam, as an object (easy): a learning rate other than the default needs the object.
2. Accuracy for several yes/no answers (medium): what ``"accuracy"`` resolves to on
   multi-label outputs, and the metric that counts per answer.
3. Tune SGD with momentum (thought-provoking): the best learning rate of one optimizer,
   found with the notebook's ``train_setting``, and why one shared learning rate misleads.
"""

from __future__ import annotations

import math

import numpy as np

from kitlib.exercises import (Incorrect, call, dense_forward, describe, exercise, expect, expect_class,
                              expect_probability_loss, tiny_data, tiny_model, variant)
from kitlib.exercises.nb01 import evaluate_compiled


def _context():
    import keras
    return {"keras": keras, "np": np, "ops": keras.ops}  # imported by the notebook above the exercises


def _close(a, b, rtol=1e-5, atol=1e-7) -> bool:
    return math.isclose(float(a), float(b), rel_tol=rtol, abs_tol=atol)


def _compile_with(fn, model, name: str):
    """Call the learner's compile function; Keras 2 spellings get a Keras 3 message."""
    try:
        call(fn, model, name=name)
    except Incorrect as exc:
        text = str(exc)
        if "'lr'" in text:
            raise Incorrect(f"{text.splitlines()[0]}\nKeras 3 optimizers take `learning_rate=`; the Keras 2 alias "
                            f"`lr=` is gone.") from None
        if "keras.optimizers.legacy" in text or "attribute 'legacy'" in text:  # Keras 2's legacy optimizers
            raise Incorrect("`keras.optimizers.legacy` does not exist in Keras 3 (it raises ImportError): use "
                            "`keras.optimizers.Adam(learning_rate=...)`.") from None
        raise
    expect(getattr(model, "compiled", False) and getattr(model, "optimizer", None) is not None,
           f"`{name}(model)` did not compile the model: call `model.compile(...)` on the model it receives.")


# --------------------------------------------------------------------------- 1. Adam as an object
_SOLUTION_21 = '''
def compile_with_adam(model):
    """Compile for integer labels: Adam with learning rate 5e-4, sparse categorical
    cross-entropy, and an accuracy metric."""
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=5e-4),  # a string cannot carry 5e-4
        loss=keras.losses.SparseCategoricalCrossentropy(),    # integer labels
        metrics=[keras.metrics.SparseCategoricalAccuracy()],  # integer labels too
    )
'''
_ADAM = "`keras.optimizers.Adam(learning_rate=5e-4)`"


@exercise(
    "02.1", "Adam, as an object", answers=("compile_with_adam",),
    starter=variant(_SOLUTION_21, ("keras.optimizers.Adam(learning_rate=5e-4),  # a string cannot carry 5e-4", "___,"),
                    ("keras.losses.SparseCategoricalCrossentropy(),    # integer labels", "___,"),
                    ("keras.metrics.SparseCategoricalAccuracy()],  # integer labels too", "___],")),
    solution=_SOLUTION_21, context=_context,
    hints=(("A string such as `\"adam\"` builds the optimizer with its default settings. Which setting here is "
            "not the default?"),
           ("Section 1 builds `keras.optimizers.RMSprop(learning_rate=1e-3)`; do the same with Adam. The loss "
            "and metric are the ones for integer labels."),
           ("`optimizer=keras.optimizers.Adam(learning_rate=5e-4)`, "
            "`loss=keras.losses.SparseCategoricalCrossentropy()`, "
            "`metrics=[keras.metrics.SparseCategoricalAccuracy()]`.")),
    varies=("one fresh model (compile() takes no size or class count a single input could hide): the optimizer's "
            "exact class and constant learning rate are read, the loss and metric judged in evaluate() as a graph"),
    exempt={"hardcoded": "the answer passes Keras classes and one constant to compile(); none depends on the data's "
                         "size or classes",
            "mutates": "compiling the model it is given is the task; the check passes a fresh model"},
)
def q1(compile_with_adam):
    """Compiles a fresh model with `compile_with_adam`; verifies the optimizer is exactly Adam at a constant 5e-4
    (no schedule or function) and that evaluate() on integer labels reports the sparse cross-entropy and accuracy."""
    import keras
    model = tiny_model(num_classes=3)
    _compile_with(compile_with_adam, model, "compile_with_adam")
    expect_class(model.optimizer, keras.optimizers.Adam, "model.optimizer", "keras.optimizers.Adam",
                 why="AdamW adds weight decay")
    schedule = getattr(model.optimizer, "_learning_rate", None)
    if isinstance(schedule, keras.optimizers.schedules.LearningRateSchedule):
        raise Incorrect(f"The learning rate is a schedule ({type(schedule).__name__}): it may start at 5e-4, but it "
                        f"changes as training goes on. The task asks for a constant rate: {_ADAM}.")
    expect(not callable(schedule) or hasattr(schedule, "assign"), f"The learning rate is a function: Keras calls it "
           f"again at every step, so it can return something else as training goes on, and it cannot be saved with "
           f"the model. The task asks for a constant rate: {_ADAM}.")
    lr = float(model.optimizer.learning_rate)
    expect(not _close(lr, 1e-3, rtol=1e-6), f"The optimizer is Adam, but with learning rate 0.001, the default: a "
           f"string such as \"adam\" cannot carry settings. Build the object: {_ADAM}.")
    expect(_close(lr, 5e-4, rtol=1e-6), f"The optimizer is Adam with learning rate {lr:g}; the task asks for 5e-4 "
                                        f"(0.0005).")
    x, y = tiny_data(num_classes=3)
    results = evaluate_compiled(model, x, y, "compile_with_adam", known=(
        (lambda text: "rank" in text or "shape" in text,
         ("Evaluating on integer labels (shape (n,)) fails: `categorical_crossentropy` expects one-hot labels. "
          "For integer labels use the *Sparse* loss, `keras.losses.SparseCategoricalCrossentropy()`.")),))
    probabilities = dense_forward(model, x)
    cross_entropy = float(np.mean(-np.log(np.clip(probabilities[np.arange(len(y)), y.astype(int)], 1e-7, 1))))
    expect_probability_loss(model.loss, keras.losses.SparseCategoricalCrossentropy(from_logits=True), y,
                            probabilities, cross_entropy)
    loss = results.get("loss")
    expect(_close(loss, cross_entropy, rtol=1e-4), f"On integer labels evaluate() reports a loss of {loss:.4f}, but "
                                                   f"the sparse categorical cross-entropy is {cross_entropy:.4f}.")
    accuracy = float(np.mean(probabilities.argmax(axis=-1) == y))
    metrics = {k: v for k, v in results.items() if k != "loss"}
    expect(any(_close(v, accuracy) for v in metrics.values()),
           f"No metric reports the accuracy ({accuracy:.4f} on the check's batch); evaluate() gives {metrics}.")
    return ("Adam with learning rate 5e-4, the sparse cross-entropy and an accuracy: the object form is the "
            "only way to pass a setting such as the learning rate.")


# --------------------------------------------------------------------------- 2. multi-label accuracy
_SOLUTION_22 = '''
def compile_multi_label(model):
    """Compile a model with 3 sigmoid outputs: three independent yes/no answers per sample."""
    model.compile(
        optimizer="rmsprop",
        loss=keras.losses.BinaryCrossentropy(),
        metrics=[keras.metrics.BinaryAccuracy()],   # the fraction of yes/no answers that are right
    )
'''


@exercise(
    "02.2", "Accuracy for several yes/no answers", answers=("compile_multi_label",),
    starter=variant(_SOLUTION_22, ("keras.losses.BinaryCrossentropy()", "___"),
                    ("keras.metrics.BinaryAccuracy()", "___")),
    solution=_SOLUTION_22, context=_context,
    hints=(("Each output is its own yes/no question, like a one-output binary classifier. Which loss fits a "
            "sigmoid output?"),
           ("Section 2: with targets of shape (B, 3), the string `\"accuracy\"` becomes CategoricalAccuracy, "
            "which compares argmaxes. Name the accuracy that thresholds each output at 0.5 instead."),
           "`loss=keras.losses.BinaryCrossentropy()`, `metrics=[keras.metrics.BinaryAccuracy()]`."),
    varies=("one fresh 3-sigmoid model on 48 samples whose per-answer and argmax accuracies differ; compile() takes "
            "no size or class count a single input could hide"),
    exempt={"hardcoded": "the answer passes Keras classes or ids to compile(); none depends on the data's size or "
                         "classes",
            "mutates": "compiling the model it is given is the task; the check passes a fresh model"},
)
def q2(compile_multi_label):
    """Compiles a fresh 3-sigmoid model with `compile_multi_label`, evaluates it as a graph (like fit()), verifies
    the loss is the binary cross-entropy and a metric the fraction of right yes/no answers (not an argmax match)."""
    import keras
    inputs = keras.Input(shape=(8,), name="features")
    outputs = keras.layers.Dense(3, activation="sigmoid", kernel_initializer=keras.initializers.GlorotUniform(seed=3))
    model = keras.Model(inputs, outputs(inputs))
    x, _ = tiny_data(n=48)   # a batch whose per-answer and argmax accuracies differ clearly
    y = (np.random.default_rng(4).random((48, 3)) < 0.5).astype("float32")
    _compile_with(compile_multi_label, model, "compile_multi_label")
    results = evaluate_compiled(model, x, y, "compile_multi_label")
    p = dense_forward(model, x)
    per_answer = float(np.mean((p > 0.5) == (y == 1)))
    by_argmax = float(np.mean(p.argmax(axis=1) == y.argmax(axis=1)))
    pc = np.clip(p, 1e-7, 1 - 1e-7)
    bce = float(np.mean(-(y * np.log(pc) + (1 - y) * np.log(1 - pc))))
    loss = results.get("loss")
    expect(_close(loss, bce, rtol=1e-4), f"evaluate() reports a loss of {loss:.4f}, but the binary cross-entropy of "
           f"the three answers is {bce:.4f}. Each sigmoid output is a yes/no question: use "
           f"`keras.losses.BinaryCrossentropy()` (categorical cross-entropy assumes exactly one right class per "
           f"sample).")
    metrics = {k: float(v) for k, v in results.items() if k != "loss"}
    expect(metrics, "The model has no metric: add one that reports the fraction of right yes/no answers.")
    if any(_close(v, per_answer) for v in metrics.values()):
        return (f"Your metric reports {per_answer:.4f}, the fraction of right yes/no answers. On the same batch "
                f"`\"accuracy\"` would have become CategoricalAccuracy and reported {by_argmax:.4f}, the share "
                f"of samples whose largest output sits where the first 1 of the target is.")
    compiled = next((m for m in model.metrics if m.name == "compile_metrics"), None)
    classes = [type(m).__name__ for m in getattr(compiled, "metrics", [])]   # what "accuracy" was resolved to
    if "CategoricalAccuracy" in classes or any(_close(v, by_argmax) for v in metrics.values()):
        raise Incorrect(f"Your metric reports {by_argmax:.4f}: that is CategoricalAccuracy (what the string "
                        f"\"accuracy\" becomes for targets of shape (B, 3)), which compares the position of the "
                        f"largest output with the position of the first 1. The fraction of right yes/no answers is "
                        f"{per_answer:.4f}: ask for `keras.metrics.BinaryAccuracy()`.")
    exact = next((m.name for m in getattr(compiled, "metrics", []) if type(m).__name__ == "Accuracy"), None)
    expect(exact is None, f"`keras.metrics.Accuracy()` counts outputs that equal the target exactly; a sigmoid "
           f"output such as 0.73 never equals 1, so `{exact}` reports {metrics.get(exact, math.nan):.4f}. Threshold "
           f"at 0.5 with `keras.metrics.BinaryAccuracy()`.")
    raise Incorrect(f"On the check's batch the fraction of right yes/no answers is {per_answer:.4f}, but your "
                    f"metrics report {metrics} (resolved to {classes}).")


# --------------------------------------------------------------------------- 3. tune SGD with momentum
_ACC = "val_sparse_categorical_accuracy"
_RATES = (0.003, 0.03, 0.3)


def _momentum_context():
    """The notebook's names, with a stand-in for its train_setting (tests): fixed histories, no training."""
    table = {  # (optimizer, lr): (val accuracy, training accuracy, val loss)
        ("SGD+momentum", 0.003): (0.88762, 0.70604, 0.43971),
        ("SGD+momentum", 0.03): (0.93641, 0.85733, 0.21452),
        ("SGD+momentum", 0.3): (0.72314, 0.80271, 0.92043),
        ("SGD", 0.003): (0.4102, 0.2339, 2.1243),
        ("SGD", 0.03): (0.8916, 0.7360, 0.4316),
        ("SGD", 0.3): (0.9352, 0.8568, 0.2103)}

    def train_setting(optimizer_name, learning_rate, epochs=1):
        val, train, val_loss = table.get((optimizer_name, float(learning_rate)), (0.5, 0.5, 1.5))
        return {"loss": [1.0], "sparse_categorical_accuracy": [train], "val_loss": [val_loss], _ACC: [val]}

    return {**_context(), "train_setting": train_setting}


_SOLUTION_23 = '''
momentum_val_acc = {lr: train_setting("SGD+momentum", lr)["val_sparse_categorical_accuracy"][-1]
                    for lr in (0.003, 0.03, 0.3)}
best_momentum_lr = max(momentum_val_acc, key=momentum_val_acc.get)
'''


@exercise(
    "02.3", "Tune SGD with momentum", answers=("momentum_val_acc", "best_momentum_lr"),
    starter=('momentum_val_acc = ___   # {learning rate: final validation accuracy} of "SGD+momentum" at 0.003, '
             '0.03, 0.3\nbest_momentum_lr = ___   # the learning rate with the highest validation accuracy'),
    solution=_SOLUTION_23, context=_momentum_context,
    hints=(("`train_setting(\"SGD+momentum\", lr)` trains one setting and returns its `history.history`; "
            "the validation accuracy is under `\"val_sparse_categorical_accuracy\"`."),
           ("A dict comprehension over the three rates builds `momentum_val_acc`; "
            "`max(d, key=d.get)` is the key with the largest value."),
           ("Before you look: plain SGD did best at the largest rate of the table. Momentum 0.9 keeps adding "
            "past gradients. Should its best rate be larger or smaller?")),
    varies=("the three learning rates' runs, read back from the notebook's `train_setting` (its cached histories); "
            "values are compared to full precision, so numbers typed in from the printout are named"),
    exempt={"mutates": "the learner's cell reads the histories before the check runs: no earlier copy to compare with",
            "graph": "values read from History dicts in the learner's cell; nothing runs inside a tf.function"},
)
def q3(momentum_val_acc, best_momentum_lr, train_setting):
    """Verifies `momentum_val_acc` holds train_setting("SGD+momentum", lr)'s final validation accuracy for the
    three rates and `best_momentum_lr` the best rate; training accuracy, loss, plain SGD, typed-in values are named."""
    expect(callable(train_setting), f"`train_setting` should be the notebook's training function, but it is "
                                    f"{describe(train_setting)}: run the cells of section 5 again.")
    expect(isinstance(momentum_val_acc, dict), f"`momentum_val_acc` should be a dict {{learning rate: validation "
                                               f"accuracy}}, but it is {describe(momentum_val_acc)}.")
    for k in momentum_val_acc:
        expect(isinstance(k, (int, float)) and not isinstance(k, bool), f"The keys of `momentum_val_acc` should be "
               f"the learning rates (numbers); one is {describe(k)}.")
    keys = {k: next((r for r in _RATES if _close(k, r, rtol=1e-9)), None) for k in momentum_val_acc}
    expect(sorted(r for r in keys.values() if r is not None) == list(_RATES) and len(keys) == 3,
           f"`momentum_val_acc` should have the keys 0.003, 0.03 and 0.3; it has {sorted(momentum_val_acc)}.")
    accuracy = {}
    for key, rate in keys.items():
        history = train_setting("SGD+momentum", rate)  # already trained by your cell: read from memory
        value, name = momentum_val_acc[key], f"`momentum_val_acc[{rate:g}]`"
        number = not isinstance(value, bool) and hasattr(value, "__float__")   # int, float, NumPy scalars
        try:
            got = float(value) if number else None
        except (TypeError, ValueError):
            got = None
        expect(got is not None, f"{name} should be a number, but it is {describe(value)}.")
        truth = accuracy[rate] = float(history[_ACC][-1])
        if _close(got, truth, rtol=1e-6):
            continue
        expect(not _close(got, history["sparse_categorical_accuracy"][-1], rtol=1e-6), f"{name} = {got:.4f} is the "
               f"*training* accuracy. Choose settings on data the model does not learn from: `\"{_ACC}\"`.")
        expect(not _close(got, truth, rtol=0, atol=5.1e-5), f"{name} = {got} is the validation accuracy rounded as "
               f"it was printed ({truth}): numbers typed in from the output go stale when the cell is run again. Read "
               f"them from `train_setting(...)` in your code.")
        expect(not _close(got, history["val_loss"][-1], rtol=1e-6), f"{name} = {got:.4f} is the validation *loss*; "
               f"the task asks for the validation accuracy (`\"{_ACC}\"`).")
        raise Incorrect(f"{name} = {got:.4f}, but `train_setting(\"SGD+momentum\", {rate:g})` ends with validation "
                        f"accuracy {truth:.4f}. Is the optimizer name \"SGD+momentum\" (plain \"SGD\" has no "
                        f"momentum)?")
    best = max(accuracy, key=accuracy.get)
    expect(isinstance(best_momentum_lr, (int, float)) and not isinstance(best_momentum_lr, bool), f"`best_momentum_lr` "
           f"should be a learning rate (a number), but it is {describe(best_momentum_lr)}.")
    if any(_close(best_momentum_lr, v, rtol=1e-9) for v in accuracy.values()) and not any(
            _close(best_momentum_lr, r, rtol=1e-9) for r in _RATES):
        raise Incorrect(f"`best_momentum_lr` = {best_momentum_lr:.4f} is the best *accuracy*; the task asks for the "
                        f"learning rate that reached it (`max(d, key=d.get)`).")
    expect(_close(best_momentum_lr, best, rtol=1e-9), f"`best_momentum_lr` is {best_momentum_lr:g}, but the highest "
                                                      f"validation accuracy, {accuracy[best]:.4f}, came at {best:g}.")
    ordered = ", ".join(f"{r:g}: {accuracy[r]:.4f}" for r in _RATES)
    return (f"SGD with momentum 0.9 does best at {best:g} ({ordered}). Momentum adds up past gradients: "
            f"while they point the same way, each step is about 1 / (1 − 0.9) = 10 times the plain SGD step "
            f"at the same rate, so its good range sits about 10 times lower. Two optimizers compared at one "
            f"shared learning rate are compared at different effective step sizes: tune each one's rate first.")
