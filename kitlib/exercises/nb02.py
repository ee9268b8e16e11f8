"""Exercises for notebook 02 · compile() (``from kitlib.exercises import ___, nb02 as ex``).

1. Adam, as an object (easy): a learning rate other than the default needs the object.
2. Accuracy for several yes/no answers (medium): what ``"accuracy"`` resolves to on
   multi-label outputs, and the metric that counts per answer.
3. Tune SGD with momentum (thought-provoking): the best learning rate of one optimizer,
   found with the notebook's ``train_setting``, and why one shared learning rate misleads.
"""

from __future__ import annotations

import math

from kitlib.exercises import (Incorrect, call, dense_forward, describe, exercise, expect,
                              expect_probability_loss, tiny_data, tiny_model)
from kitlib.exercises.nb01 import evaluate_compiled


def _context():
    import keras
    import numpy as np
    from keras import ops
    return {"keras": keras, "np": np, "ops": ops}  # imported by the notebook above the exercises


def _close(a, b, rtol=1e-5, atol=1e-7) -> bool:
    return math.isclose(float(a), float(b), rel_tol=rtol, abs_tol=atol)


def _compile_with(fn, model, name: str):
    """Call the learner's compile function; Keras 2 spellings get a Keras 3 message."""
    try:
        call(fn, model, name=name)
    except Incorrect as exc:
        text = str(exc)
        if "'lr'" in text:
            raise Incorrect(f"{text.splitlines()[0]}\nKeras 3 optimizers take `learning_rate=`; the Keras 2 "
                            f"alias `lr=` is gone.") from None
        if "legacy" in text:
            raise Incorrect("`keras.optimizers.legacy` does not exist in Keras 3 (it raises ImportError): use "
                            "`keras.optimizers.Adam(learning_rate=...)`.") from None
        raise
    expect(getattr(model, "compiled", False) and getattr(model, "optimizer", None) is not None,
           f"`{name}(model)` did not compile the model: call `model.compile(...)` on the model it receives.")


def _metric_classes(model) -> list[str]:
    """Class names of the compiled metrics (what strings such as "accuracy" were resolved to)."""
    compiled = next((m for m in model.metrics if m.name == "compile_metrics"), None)
    return [type(m).__name__ for m in getattr(compiled, "metrics", [])]


# --------------------------------------------------------------------------- 1. Adam as an object


@exercise(
    "02.1", "Adam, as an object",
    answers=("compile_with_adam",),
    starter='''
def compile_with_adam(model):
    """Compile for integer labels: Adam with learning rate 5e-4, sparse categorical
    cross-entropy, and an accuracy metric."""
    model.compile(
        optimizer=___,
        loss=___,
        metrics=[___],
    )
''',
    solution='''
def compile_with_adam(model):
    """Compile for integer labels: Adam with learning rate 5e-4, sparse categorical
    cross-entropy, and an accuracy metric."""
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=5e-4),  # a string cannot carry 5e-4
        loss=keras.losses.SparseCategoricalCrossentropy(),    # integer labels
        metrics=[keras.metrics.SparseCategoricalAccuracy()],  # integer labels too
    )
''',
    hints=(
        ("A string such as `\"adam\"` builds the optimizer with its default settings. Which setting here is "
        "not the default?"),
        ("Section 1 builds `keras.optimizers.RMSprop(learning_rate=1e-3)`; do the same with Adam. The loss "
        "and metric are the ones for integer labels."),
        ("`optimizer=keras.optimizers.Adam(learning_rate=5e-4)`, "
        "`loss=keras.losses.SparseCategoricalCrossentropy()`, `metrics=[keras.metrics.SparseCategoricalAccuracy()]`."),
    ),
    context=_context,
    varies=("one fresh model: compile() takes no size or class count a single input could hide; the "
            "optimizer's class (exactly Adam) and a constant learning rate are read, the loss and metric "
            "judged in evaluate() (run as a graph, like fit())"),
    exempt={"hardcoded": "the answer passes Keras classes and one constant to compile(); none depends on the "
                         "data's size or classes",
            "mutates": "compiling the model it is given is the task; the check passes a fresh model"},
)
def q1(compile_with_adam):
    """Compiles a fresh model with `compile_with_adam` and verifies the optimizer is exactly Adam
    with a constant learning rate of 5e-4 (no schedule or function), and that evaluate() on
    integer labels reports the sparse cross-entropy and the accuracy."""
    import keras
    import numpy as np
    model = tiny_model(num_classes=3)
    _compile_with(compile_with_adam, model, "compile_with_adam")
    optimizer = model.optimizer
    if isinstance(optimizer, keras.optimizers.Adam) and type(optimizer) is not keras.optimizers.Adam:
        raise Incorrect(f"The model's optimizer is {type(optimizer).__name__}, a subclass of Adam that updates "
                        f"the weights differently (AdamW adds weight decay); the task asks for Adam itself: "
                        f"`keras.optimizers.Adam(learning_rate=5e-4)`.")
    if not isinstance(optimizer, keras.optimizers.Adam):
        raise Incorrect(f"The model's optimizer is {type(optimizer).__name__}; the task asks for Adam.")
    schedule = getattr(optimizer, "_learning_rate", None)
    if isinstance(schedule, keras.optimizers.schedules.LearningRateSchedule):
        raise Incorrect(f"The learning rate is a schedule ({type(schedule).__name__}): it may start at 5e-4, but "
                        f"it changes as training goes on. The task asks for a constant rate: "
                        f"`keras.optimizers.Adam(learning_rate=5e-4)`.")
    if callable(schedule) and not hasattr(schedule, "assign"):
        raise Incorrect("The learning rate is a function: Keras calls it again at every step, so it can return "
                        "something else as training goes on, and it cannot be saved with the model. The task "
                        "asks for a constant rate: `keras.optimizers.Adam(learning_rate=5e-4)`.")
    lr = float(optimizer.learning_rate)
    if not _close(lr, 5e-4, rtol=1e-6):
        if _close(lr, 1e-3, rtol=1e-6):
            raise Incorrect("The optimizer is Adam, but with learning rate 0.001, the default: a string such as "
                            "\"adam\" cannot carry settings. Build the object: "
                            "`keras.optimizers.Adam(learning_rate=5e-4)`.")
        raise Incorrect(f"The optimizer is Adam with learning rate {lr:g}; the task asks for 5e-4 (0.0005).")
    x, y = tiny_data(num_classes=3)
    results = evaluate_compiled(model, x, y, "compile_with_adam", known=(
        (lambda text: "rank" in text or "shape" in text,
         ("Evaluating on integer labels (shape (n,)) fails: `categorical_crossentropy` expects one-hot labels. "
         "For integer labels use the *Sparse* loss, `keras.losses.SparseCategoricalCrossentropy()`.")),))
    probabilities = dense_forward(model, x)
    cross_entropy = float(np.mean(-np.log(np.clip(probabilities[np.arange(len(y)), y.astype(int)], 1e-7, 1))))
    expect_probability_loss(model.loss,
                            keras.losses.SparseCategoricalCrossentropy(from_logits=True), y, probabilities,
                            cross_entropy)
    loss = results.get("loss")
    expect(_close(loss, cross_entropy, rtol=1e-4),
           f"On integer labels evaluate() reports a loss of {loss:.4f}, but the sparse categorical "
           f"cross-entropy is {cross_entropy:.4f}.")
    accuracy = float(np.mean(probabilities.argmax(axis=-1) == y))
    metrics = {k: v for k, v in results.items() if k != "loss"}
    expect(any(_close(v, accuracy) for v in metrics.values()),
           f"No metric reports the accuracy ({accuracy:.4f} on the check's batch); evaluate() gives {metrics}.")
    return ("Adam with learning rate 5e-4, the sparse cross-entropy and an accuracy: the object form is the "
            "only way to pass a setting such as the learning rate.")


# --------------------------------------------------------------------------- 2. multi-label accuracy


def _multi_label_problem():
    """A 3-sigmoid model and a batch whose per-answer and argmax accuracies differ clearly."""
    import keras
    import numpy as np
    init = keras.initializers.GlorotUniform
    inputs = keras.Input(shape=(8,), name="features")
    outputs = keras.layers.Dense(3, activation="sigmoid", kernel_initializer=init(seed=3))(inputs)
    model = keras.Model(inputs, outputs)
    x, _ = tiny_data(n=48)
    rng = np.random.default_rng(4)
    y = (rng.random((48, 3)) < 0.5).astype("float32")
    return model, x, y


@exercise(
    "02.2", "Accuracy for several yes/no answers",
    answers=("compile_multi_label",),
    starter='''
def compile_multi_label(model):
    """Compile a model with 3 sigmoid outputs: three independent yes/no answers per sample."""
    model.compile(
        optimizer="rmsprop",
        loss=___,
        metrics=[___],   # the fraction of yes/no answers that are right
    )
''',
    solution='''
def compile_multi_label(model):
    """Compile a model with 3 sigmoid outputs: three independent yes/no answers per sample."""
    model.compile(
        optimizer="rmsprop",
        loss=keras.losses.BinaryCrossentropy(),
        metrics=[keras.metrics.BinaryAccuracy()],   # the fraction of yes/no answers that are right
    )
''',
    hints=(
        ("Each output is its own yes/no question, like a one-output binary classifier. Which loss fits a "
        "sigmoid output?"),
        ("Section 2: with targets of shape (B, 3), the string `\"accuracy\"` becomes CategoricalAccuracy, "
        "which compares argmaxes. Name the accuracy that thresholds each output at 0.5 instead."),
        "`loss=keras.losses.BinaryCrossentropy()`, `metrics=[keras.metrics.BinaryAccuracy()]`.",
    ),
    context=_context,
    varies=("one fresh 3-sigmoid model on 48 samples whose per-answer and argmax accuracies differ; "
            "compile() takes no size or class count a single input could hide"),
    exempt={"hardcoded": "the answer passes Keras classes or ids to compile(); none depends on the data's "
                         "size or classes",
            "mutates": "compiling the model it is given is the task; the check passes a fresh model"},
)
def q2(compile_multi_label):
    """Compiles a fresh 3-sigmoid model with `compile_multi_label`, evaluates it (as a graph,
    like fit()) and verifies the loss is the binary cross-entropy and a metric reports the
    fraction of right yes/no answers (not CategoricalAccuracy's argmax match)."""
    import numpy as np
    model, x, y = _multi_label_problem()
    _compile_with(compile_multi_label, model, "compile_multi_label")
    results = evaluate_compiled(model, x, y, "compile_multi_label")
    p = dense_forward(model, x)
    per_answer = float(np.mean((p > 0.5) == (y == 1)))
    by_argmax = float(np.mean(p.argmax(axis=1) == y.argmax(axis=1)))
    pc = np.clip(p, 1e-7, 1 - 1e-7)
    bce = float(np.mean(-(y * np.log(pc) + (1 - y) * np.log(1 - pc))))
    loss = results.get("loss")
    if not _close(loss, bce, rtol=1e-4):
        raise Incorrect(f"evaluate() reports a loss of {loss:.4f}, but the binary cross-entropy of the three "
                        f"answers is {bce:.4f}. Each sigmoid output is a yes/no question: use "
                        f"`keras.losses.BinaryCrossentropy()` (categorical cross-entropy assumes exactly one "
                        f"right class per sample).")
    metrics = {k: float(v) for k, v in results.items() if k != "loss"}
    expect(metrics, "The model has no metric: add one that reports the fraction of right yes/no answers.")
    if any(_close(v, per_answer) for v in metrics.values()):
        return (f"Your metric reports {per_answer:.4f}, the fraction of right yes/no answers. On the same batch "
                f"`\"accuracy\"` would have become CategoricalAccuracy and reported {by_argmax:.4f}, the share "
                f"of samples whose largest output sits where the first 1 of the target is.")
    classes = _metric_classes(model)
    if "CategoricalAccuracy" in classes or any(_close(v, by_argmax) for v in metrics.values()):
        raise Incorrect(f"Your metric reports {by_argmax:.4f}: that is CategoricalAccuracy (what the string "
                        f"\"accuracy\" becomes for targets of shape (B, 3)), which compares the position of the "
                        f"largest output with the position of the first 1. The fraction of right yes/no answers "
                        f"is {per_answer:.4f}: ask for `keras.metrics.BinaryAccuracy()`.")
    if "Accuracy" in classes:
        raise Incorrect(f"`keras.metrics.Accuracy()` counts outputs that equal the target exactly; a sigmoid "
                        f"output such as 0.73 never equals 1, so it reports {metrics.get('accuracy', 0.0):.4f}. "
                        f"Threshold at 0.5 with `keras.metrics.BinaryAccuracy()`.")
    raise Incorrect(f"On the check's batch the fraction of right yes/no answers is {per_answer:.4f}, but your "
                    f"metrics report {metrics} (resolved to {classes}).")


# --------------------------------------------------------------------------- 3. tune SGD with momentum


_ACC = "val_sparse_categorical_accuracy"


def _fake_train_setting():
    """A stand-in for the notebook's train_setting (tests): fixed histories, no training."""
    table = {  # (optimizer, lr): (val accuracy, training accuracy, val loss)
        ("SGD+momentum", 0.003): (0.88762, 0.70604, 0.43971),
        ("SGD+momentum", 0.03): (0.93641, 0.85733, 0.21452),
        ("SGD+momentum", 0.3): (0.72314, 0.80271, 0.92043),
        ("SGD", 0.003): (0.4102, 0.2339, 2.1243),
        ("SGD", 0.03): (0.8916, 0.7360, 0.4316),
        ("SGD", 0.3): (0.9352, 0.8568, 0.2103),
    }

    def train_setting(optimizer_name, learning_rate, epochs=1):
        val, train, val_loss = table.get((optimizer_name, float(learning_rate)), (0.5, 0.5, 1.5))
        return {"loss": [1.0], "sparse_categorical_accuracy": [train], "val_loss": [val_loss], _ACC: [val]}

    return train_setting


def _momentum_context():
    return {**_context(), "train_setting": _fake_train_setting()}


_RATES = (0.003, 0.03, 0.3)


_SOLUTION_23 = '''
momentum_val_acc = {lr: train_setting("SGD+momentum", lr)["val_sparse_categorical_accuracy"][-1]
                    for lr in (0.003, 0.03, 0.3)}
best_momentum_lr = max(momentum_val_acc, key=momentum_val_acc.get)
'''


@exercise(
    "02.3", "Tune SGD with momentum",
    answers=("momentum_val_acc", "best_momentum_lr"),
    starter='''
momentum_val_acc = ___   # {learning rate: final validation accuracy} of "SGD+momentum" at 0.003, 0.03, 0.3
best_momentum_lr = ___   # the learning rate with the highest validation accuracy
''',
    solution=_SOLUTION_23,
    hints=(
        ("`train_setting(\"SGD+momentum\", lr)` trains one setting and returns its `history.history`; "
        "the validation accuracy is under `\"val_sparse_categorical_accuracy\"`."),
        ("A dict comprehension over the three rates builds `momentum_val_acc`; "
        "`max(d, key=d.get)` is the key with the largest value."),
        ("Before you look: plain SGD did best at the largest rate of the table. Momentum 0.9 keeps adding "
        "past gradients. Should its best rate be larger or smaller?"),
    ),
    context=_momentum_context,
    varies=("the three learning rates' runs, read back from the notebook's `train_setting` (its cached "
            "histories); values are compared to full precision, so numbers typed in from the printout are named"),
    exempt={"mutates": "the values are read in the learner's own cell, before the check runs: the check has "
                       "no earlier copy of train_setting's histories to compare with",
            "graph": "values read from History dicts in the learner's cell; nothing runs inside a tf.function"},
)
def q3(momentum_val_acc, best_momentum_lr, train_setting):
    """Verifies each value of `momentum_val_acc` is the final validation accuracy of
    train_setting("SGD+momentum", lr) for the three rates, and `best_momentum_lr` is the rate
    with the highest one; training accuracy, loss, plain SGD and typed-in values are named."""
    expect(callable(train_setting),
           f"`train_setting` should be the notebook's training function, but it is {describe(train_setting)}: "
           f"run the cells of section 5 again.")
    if not isinstance(momentum_val_acc, dict):
        raise Incorrect(f"`momentum_val_acc` should be a dict {{learning rate: validation accuracy}}, but it is "
                        f"{describe(momentum_val_acc)}.")
    keys = {}
    for k in momentum_val_acc:
        if isinstance(k, bool) or not isinstance(k, (int, float)):
            raise Incorrect(f"The keys of `momentum_val_acc` should be the learning rates (numbers); one is "
                            f"{describe(k)}.")
        keys[k] = next((r for r in _RATES if _close(k, r, rtol=1e-9)), None)
    expect(sorted(r for r in keys.values() if r is not None) == list(_RATES) and len(keys) == 3,
           f"`momentum_val_acc` should have the keys 0.003, 0.03 and 0.3; it has {sorted(momentum_val_acc)}.")
    runs = {}
    for key, rate in keys.items():
        history = train_setting("SGD+momentum", rate)  # already trained by your cell: read from memory
        runs[rate] = history
        value = momentum_val_acc[key]
        if isinstance(value, bool) or not isinstance(value, (int, float)) and not hasattr(value, "__float__"):
            raise Incorrect(f"`momentum_val_acc[{rate:g}]` should be a number, but it is {describe(value)}.")
        try:
            value = float(value)
        except (TypeError, ValueError):
            raise Incorrect(f"`momentum_val_acc[{rate:g}]` should be a number, but it is {describe(value)}.") from None
        truth = float(history[_ACC][-1])
        if _close(value, truth, rtol=1e-6):
            continue
        if _close(value, history["sparse_categorical_accuracy"][-1], rtol=1e-6):
            raise Incorrect(f"`momentum_val_acc[{rate:g}]` = {value:.4f} is the *training* accuracy. Choose "
                            f"settings on data the model does not learn from: `\"{_ACC}\"`.")
        if _close(value, truth, rtol=0, atol=5.1e-5):
            raise Incorrect(f"`momentum_val_acc[{rate:g}]` = {value} is the validation accuracy rounded as it was "
                            f"printed ({truth}): numbers typed in from the output go stale when the cell is run "
                            f"again. Read them from `train_setting(...)` in your code.")
        if _close(value, history["val_loss"][-1], rtol=1e-6):
            raise Incorrect(f"`momentum_val_acc[{rate:g}]` = {value:.4f} is the validation *loss*; the task asks "
                            f"for the validation accuracy (`\"{_ACC}\"`).")
        raise Incorrect(f"`momentum_val_acc[{rate:g}]` = {value:.4f}, but `train_setting(\"SGD+momentum\", "
                        f"{rate:g})` ends with validation accuracy {truth:.4f}. Is the optimizer name "
                        f"\"SGD+momentum\" (plain \"SGD\" has no momentum)?")
    accuracy = {rate: float(h[_ACC][-1]) for rate, h in runs.items()}
    best = max(accuracy, key=accuracy.get)
    if isinstance(best_momentum_lr, bool) or not isinstance(best_momentum_lr, (int, float)):
        raise Incorrect(f"`best_momentum_lr` should be a learning rate (a number), but it is "
                        f"{describe(best_momentum_lr)}.")
    if any(_close(best_momentum_lr, v, rtol=1e-9) for v in accuracy.values()) and not any(
            _close(best_momentum_lr, r, rtol=1e-9) for r in _RATES):
        raise Incorrect(f"`best_momentum_lr` = {best_momentum_lr:.4f} is the best *accuracy*; the task asks for "
                        f"the learning rate that reached it (`max(d, key=d.get)`).")
    if not _close(best_momentum_lr, best, rtol=1e-9):
        raise Incorrect(f"`best_momentum_lr` is {best_momentum_lr:g}, but the highest validation accuracy, "
                        f"{accuracy[best]:.4f}, came at {best:g}.")
    ordered = ", ".join(f"{r:g}: {accuracy[r]:.4f}" for r in _RATES)
    return (f"SGD with momentum 0.9 does best at {best:g} ({ordered}). Momentum adds up past gradients: "
            f"while they point the same way, each step is about 1 / (1 − 0.9) = 10 times the plain SGD step "
            f"at the same rate, so its good range sits about 10 times lower. Two optimizers compared at one "
            f"shared learning rate are compared at different effective step sizes: tune each one's rate first.")
