"""Exercises for notebook 09 · Multi-input, multi-output (``from kitlib.exercises import ___, nb09 as ex``).

1. Weighted losses (easy): ``loss_weights``, checked against what ``evaluate()`` reports.
2. A Dataset of dicts (easy): ``(inputs dict, targets dict)`` batches of 16 (``element_spec``).
3. Weights for one head (medium): a per-output ``sample_weight`` list that weights class 2 ×5 in the class loss only.
4. A head without a loss (thought-provoking): a ``predict()``-only output, its ``None`` loss, the targets fit() needs.
"""

from __future__ import annotations

import math

from kitlib.exercises import Incorrect, Kept, call, describe, exercise, expect, guarded, in_graph, variant

INPUTS, OUTPUTS = ("img_input", "ts_input"), ("score_output", "class_output")
_FIELDS = (("img_input", "images"), ("ts_input", "timeseries"), ("score_output", "scores"), ("class_output", "classes"))


def _context():
    import keras
    import numpy as np
    import tensorflow as tf
    import kitlib
    data = kitlib.data.multi_io_data(64, seed=1)
    return {"keras": keras, "np": np, "tf": tf, "kitlib": kitlib, "data": data,
            "model": kitlib.models.get_multi_io_model(),  # with x_dict, y_dict: names an answer may reuse by mistake
            "x_dict": {"img_input": data.images, "ts_input": data.timeseries},
            "y_dict": {"score_output": data.scores, "class_output": data.classes}}


def _small(data, n: int = 16):
    """The first *n* samples as the model's input dict and target dict."""
    return ({"img_input": data.images[:n], "ts_input": data.timeseries[:n]},
            {"score_output": data.scores[:n], "class_output": data.classes[:n]})


def _by_hand(scores, classes, predicted_scores, logits):
    """Per-sample squared error of the score and softmax cross-entropy of the class logits."""
    import numpy as np
    se = ((np.asarray(predicted_scores, "float64") - scores) ** 2).reshape(len(scores), -1).mean(axis=1)
    z = np.asarray(logits, "float64")
    z = z - z.max(axis=1, keepdims=True)
    log_softmax = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return se, -(classes * log_softmax).sum(axis=1)


def _check_data(data):
    from kitlib.data import MultiIOData
    expect(isinstance(data, MultiIOData), f"`data` should be the notebook's `kitlib.data.multi_io_data(...)`, but "
                                          f"it is {describe(data)}: run section 2 again.")


def _evaluate(model, x, y, name: str, sample_weight=None, what="evaluate()"):
    """``model.evaluate(..., return_dict=True)`` eagerly (quick; :func:`_losses_in_graph` covers graph mode)."""
    import warnings
    model.run_eagerly = True
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return guarded(lambda: model.evaluate(x, y, sample_weight=sample_weight, batch_size=len(x["img_input"]),
                                              verbose=0, return_dict=True), name, doing=what)


def _losses_in_graph(model, y_true: dict, y_pred: dict, name: str) -> None:
    """Run each of the learner's losses in ``model.loss`` in a tf.function, as fit() does: NumPy code fails there."""
    import numpy as np
    loss = getattr(model, "loss", None)
    pairs = ([(out, loss.get(out)) for out in y_pred] if isinstance(loss, dict) else
             list(zip(model.output_names, loss)) if isinstance(loss, (list, tuple)) else
             [(out, loss) for out in y_pred])
    for out, fn in pairs:
        own = str(getattr(fn, "__module__", None) or type(fn).__module__)
        learners = callable(fn) and not isinstance(fn, str) and not own.startswith("keras")
        if learners and y_true.get(out) is not None and out in y_pred:
            in_graph(fn, np.asarray(y_true[out], "float32"), np.asarray(y_pred[out], "float32"), name=name,
                     doing=f"The loss of `{out}`")


_SOLUTION_1 = '''
def compile_weighted(model):
    """Compile the two-headed model: squared error for the score, cross-entropy for the
    class logits, and a total loss of 0.5 × score loss + 2 × class loss."""
    model.compile(
        optimizer=keras.optimizers.RMSprop(1e-3),
        loss={"score_output": "mse", "class_output": keras.losses.CategoricalCrossentropy(from_logits=True)},
        loss_weights={"score_output": 0.5, "class_output": 2.0},
    )
'''
_LW = 'loss_weights={"score_output": 0.5, "class_output": 2.0}'
_LOSS = 'loss={"score_output": "mse", "class_output": keras.losses.CategoricalCrossentropy(from_logits=True)}'


@exercise(
    "09.1", "Weighted losses", answers=("compile_weighted",),
    starter=variant(_SOLUTION_1, (_LOSS, "loss=___"), (_LW, "loss_weights=___")),
    solution=_SOLUTION_1, context=_context,
    hints=("Section 4 compiles the same model with a dict of losses and `loss_weights`; only the weights differ.",
           ("The class head is a `Dense(5)` without softmax: its loss needs `from_logits=True` (the box after "
            "section 3)."),
           ("`loss_weights={\"score_output\": 0.5, \"class_output\": 2.0}` (a list `[0.5, 2.0]` in the order of "
            "the outputs works too).")),
    varies=("one model is enough: the task fixes the heads and weights. The check compiles a fresh model of its own "
            "(not the notebook's `model`), evaluates it on new data and runs the learner's own losses in a graph"),
    exempt={"mutates": "compiling the model it is given is the task; it receives no other object of the caller"},
)
def q1(compile_weighted):
    """Verifies that compile_weighted(model) compiles its model with squared error for the score, cross-entropy on the
    logits, a total of 0.5 × score + 2 × class (evaluate() vs losses by hand), and own losses that run in a graph."""
    import kitlib
    model = kitlib.models.get_multi_io_model()
    try:
        call(compile_weighted, model, name="compile_weighted")
    except Incorrect as exc:
        if "loss_weight" in str(exc):
            raise Incorrect(f"{exc}\nThe argument is `loss_weights`, with an s.") from None
        raise
    expect(model.compiled, "`compile_weighted(model)` did not compile the model it was given: call `.compile(...)` "
                           "on its argument, not on a model of the notebook.")
    data = kitlib.data.multi_io_data(16, seed=5)
    x, y = _small(data)
    predicted_scores, logits = model.predict(x, verbose=0)
    _losses_in_graph(model, y, {"score_output": predicted_scores, "class_output": logits}, "compile_weighted")
    results = _evaluate(model, x, y, "compile_weighted")
    se, ce = _by_hand(data.scores, data.classes, predicted_scores, logits)
    score_loss, class_loss = results.get("score_output_loss"), results.get("class_output_loss")
    expect(score_loss is not None and class_loss is not None,
           f"evaluate() reports {sorted(results)}: give each output its loss.")
    expect(math.isclose(score_loss, se.mean(), rel_tol=1e-4), f"The score head's loss is {score_loss:.4f}, but its "
           f"mean squared error is {se.mean():.4f}: use mean squared error for `score_output`.")
    expect(math.isclose(class_loss, ce.mean(), rel_tol=1e-4), f"The class head's loss is {class_loss:.4f}, but the "
           f"cross-entropy of the softmax of its outputs is {ce.mean():.4f}. The head outputs logits (no softmax): "
           f"`CategoricalCrossentropy(from_logits=True)`.")
    total, wanted = results["loss"], 0.5 * score_loss + 2.0 * class_loss
    config = model.get_compile_config()
    mixed = isinstance(config.get("loss"), (list, tuple)) and isinstance(config.get("loss_weights"), dict)
    swapped = math.isclose(total, 2.0 * score_loss + 0.5 * class_loss, rel_tol=1e-5)
    expect(not (mixed and swapped),
           f"The total loss is {total:.4f} = 2 × score + 0.5 × class: silently swapped. With a list of losses, Keras 3 "
           f"pairs a dict of loss_weights with the list's positions in sorted key order (class_output, then "
           f"score_output), not by name. Give both as dicts, or both as lists in the order of the outputs.")
    expect(not swapped,
           f"The total loss is 2 × score + 0.5 × class ({total:.4f}): the weights are swapped. A list of "
           f"loss_weights follows the order of the outputs, [score_output, class_output].")
    expect(not math.isclose(total, score_loss + class_loss, rel_tol=1e-5), f"The total loss ({total:.4f}) is the "
           f"plain sum of the two heads' losses: there is no weighted sum yet. Give `loss_weights`.")
    expect(math.isclose(total, wanted, rel_tol=1e-5), f"The total loss is {total:.4f}; 0.5 × {score_loss:.4f} + "
           f"2 × {class_loss:.4f} = {wanted:.4f}.")
    return ("evaluate() reports each head's loss unweighted and a total of exactly 0.5 × score + 2 × class: "
            "training pulls four times harder on the class than on the score.")


def _element_ids(value, data, what: str):
    """The sample each row of *value* comes from (matched on a few values), or -1."""
    import numpy as np
    flat = np.asarray(value).reshape(len(value), -1)[:, :3].astype("float64")
    ref = np.asarray(getattr(data, what)).reshape(len(getattr(data, what)), -1)[:, :3].astype("float64")
    matches = [np.flatnonzero(np.all(np.isclose(ref, row), axis=1)) for row in flat]
    return [int(match[0]) if match.size == 1 else -1 for match in matches]


_SOLUTION_2 = '''
def make_dataset(data):
    """A tf.data.Dataset of batches of 16: ({"img_input": ..., "ts_input": ...},
    {"score_output": ..., "class_output": ...}), from a kitlib.data.multi_io_data(...)."""
    inputs = {"img_input": data.images, "ts_input": data.timeseries}
    targets = {"score_output": data.scores, "class_output": data.classes}
    return tf.data.Dataset.from_tensor_slices((inputs, targets)).shuffle(buffer_size=1024).batch(16)
'''


@exercise(
    "09.2", "A Dataset of dicts", answers=("make_dataset",),
    starter=variant(_SOLUTION_2, (_SOLUTION_2[_SOLUTION_2.index("    inputs = "):].rstrip(), "    return ___")),
    solution=_SOLUTION_2, context=_context,
    hints=("Section 6 builds such a Dataset: `from_tensor_slices` takes one structure, here a tuple of two dicts.",
           ("The dict keys are the names of the model's inputs and outputs: `img_input`, `ts_input`, "
            "`score_output`, `class_output`."),
           ("`tf.data.Dataset.from_tensor_slices((inputs, targets)).batch(16)`, with `inputs` and `targets` "
            "the two dicts (shuffling before batching is a good habit).")),
    varies="the data: 40 samples (batches of 16, 16 and 8) and 32 samples (16 and 16), made by the check",
    exempt={"graph": "tf.data runs every function of a pipeline (a .map() included) as a graph, eagerly or not: "
                     "nothing can work eagerly yet fail in fit()"},
)
def q2(make_dataset, data):
    """Verifies that make_dataset(data) returns a Dataset of (inputs dict, targets dict) keyed by layer names, batches
    of 16 (short last one kept), samples kept together, built from (and leaving unchanged) the data given (2 sizes)."""
    import tensorflow as tf
    import kitlib
    _check_data(data)
    for n, seed in ((40, 3), (32, 4)):
        sample = kitlib.data.multi_io_data(n, seed=seed)
        kept = Kept(sample, "data")
        ds = call(make_dataset, sample, name="make_dataset")
        kept.expect_unchanged(by="`make_dataset(data)`", fix="make new arrays (`data.images - 0.5`) inside the "
                              "pipeline, or leave the data as it is.")
        expect(isinstance(ds, tf.data.Dataset),
               f"`make_dataset` should return a tf.data.Dataset, but it returned {describe(ds)}.")
        spec = ds.element_spec
        expect(isinstance(spec, tuple) and len(spec) == 2,
               f"Each element should be a pair (inputs, targets); its element_spec is {spec}.")
        inputs, targets = spec
        expect(isinstance(inputs, dict) and isinstance(targets, dict), f"The element_spec is "
               f"({type(inputs).__name__}, {type(targets).__name__}); make both parts dicts keyed by the model's layer "
               f"names, so that no order can get mixed up.")
        expect(sorted(inputs) == sorted(INPUTS) and sorted(targets) == sorted(OUTPUTS),
               f"The keys are {sorted(inputs)} and {sorted(targets)}; Keras matches them to the layer names: "
               f"{sorted(INPUTS)} and {sorted(OUTPUTS)}.")
        rank = len(inputs["img_input"].shape)
        expect(rank != 3, "An element is one sample (the image has shape (32, 32, 3)): Keras wants batches. "
                          "Add `.batch(16)`.")
        expect(rank == 4, f"img_input has shape {inputs['img_input'].shape} in the element_spec; expected "
                          f"(None, 32, 32, 3): batches of images.")
        seen = []
        for x, y in guarded(lambda: list(ds.take(10)), "make_dataset", doing="Reading your Dataset"):
            both = {**x, **y}
            sizes = {len(v) for v in both.values()}
            expect(len(sizes) == 1, f"The parts of one element hold different numbers of samples: {sorted(sizes)}.")
            ids = {name: _element_ids(both[name].numpy(), sample, field) for name, field in _FIELDS}
            expect(not any(-1 in v for k, v in ids.items() if k != "class_output"), f"The batches hold samples "
                   f"not in the `data` given to make_dataset (the check passes {n} of its own): build the Dataset "
                   f"from the argument `data`, not from the notebook's arrays.")
            expect(len({tuple(v) for k, v in ids.items() if k != "class_output"}) == 1, "Images, series and "
                   "scores of one element come from different samples: inputs and targets were shuffled separately, "
                   "so the pairs are broken. Build one Dataset from `(inputs, targets)` and shuffle that.")
            seen.append(len(ids["img_input"]))
        expect(not seen or max(seen) == 16, f"The batches hold {seen} samples; batch 16 samples at a time.")
        expect(not seen or set(seen) != {16} or sum(seen) >= n, f"One pass yields {sum(seen)} of the {n} samples: "
               f"the last, shorter batch is dropped (drop_remainder=True?), so fit() never trains on them. Keep it.")
        want = [16] * (n // 16) + [n % 16] * (n % 16 > 0)   # in any order: a shuffle after batching moves the short one
        expect(sorted(seen, reverse=True) == want, f"One pass yields batches of {seen} samples; {n} samples in "
                                                   f"batches of 16 make batches of {want}.")
    return (f"element_spec: (dict of {sorted(INPUTS)}, dict of {sorted(OUTPUTS)}), batches of 16 with every "
            f"image still next to its own series, score and class.")


@exercise(
    "09.3", "Weights for one head", answers=("head_weights",),
    starter="head_weights = ___   # sample_weight for fit(): class 2 counts 5 times, in the class loss only",
    solution=('class_head = np.where(data.class_ids == 2, 5.0, 1.0).astype("float32")\n'
              'head_weights = [np.ones(len(class_head), dtype="float32"), class_head]'),
    context=_context,
    hints=(("`class_weight` is refused with two outputs (section 7); `sample_weight` takes one array per "
            "output instead, in the order of `outputs=[score_output, class_output]`."),
           "`data.classes` is one-hot (one row of 5 per sample); `data.class_ids` gives the class numbers.",
           ("The score head keeps weight 1 for every sample: `np.ones(n)`; the class head gets 5.0 where "
            "`data.class_ids == 2`, else 1.0.")),
    varies=("one input is enough: the answer is the weights for the notebook's own `data`; the check recomputes "
            "them from `data.class_ids` and evaluates a model with them"),
    exempt={"hardcoded": "the answer is a value for the notebook's own data; the task fixes the class (2) and the "
                         "factor (5), and the check compares every sample's weight with data.class_ids",
            "mutates": "the answer is a value; the check calls no learner code, so no caller object is handed to it",
            "graph": "sample weights are data handed to fit(); no learner code runs inside its graph"},
)
def q3(head_weights, data):
    """Verifies that head_weights is a list of two arrays of shape (n,) in the order of the outputs (ones; 5.0 for
    class 2, else 1.0), and that evaluate() with them gives the plain score and weighted class losses by hand."""
    import keras
    import numpy as np
    import kitlib
    _check_data(data)
    n = len(data.scores)
    expected = np.where(data.class_ids == 2, 5.0, 1.0)
    if isinstance(head_weights, dict):
        expect(not all(isinstance(k, str) for k in head_weights), "A dict of sample weights by output name currently "
               "fails in Keras 3.15 (KeyError with dict targets, ValueError with list targets; see section 7): pass "
               "a list, one array per output in the order of `outputs=`.")
        raise Incorrect("That is a class_weight-style dict; with two outputs Keras refuses class_weight. Give "
                        "`sample_weight` one array per output, as a list.")
    expect(not (isinstance(head_weights, np.ndarray) and head_weights.ndim == 1 and len(head_weights) == n),
           "One array for both outputs: Keras applies it to every head, so the score head is weighted too. Give a "
           "list of two arrays, ones for the score head.")
    expect(isinstance(head_weights, (list, tuple)) and len(head_weights) == 2, f"`head_weights` should be a list of "
           f"two arrays (score head, class head), but it is {describe(head_weights)}.")
    arrays = []
    for name, w in zip(OUTPUTS, head_weights):
        try:
            a = np.ones(n) if w is None else np.asarray(w, dtype="float64")
        except (TypeError, ValueError):
            raise Incorrect(f"The weights for {name} are {describe(w)}; give an array of numbers.") from None
        expect(a.shape != (n, 5), f"The weights for {name} have shape {a.shape}: one per class per sample, because "
                                  f"`data.classes` is one-hot. Compare `data.class_ids == 2` (one number per sample).")
        expect(a.shape == (n,), f"The weights for {name} have shape {a.shape}; give shape ({n},), one weight per "
                                f"sample (Keras 3.15 refuses a column (n, 1) for a multi-output model).")
        arrays.append(a)
    score_w, class_w = arrays
    expect(not (np.allclose(score_w, expected) and np.allclose(class_w, 1.0)), "The class weights sit on the score "
           "head, the ones on the class head: the list follows the outputs' order, [score_output, class_output].")
    expect(np.allclose(score_w, 1.0), "The score head is weighted too: give it weight 1 for every sample, only "
                                      "the class loss should change.")
    expect(np.allclose(class_w, expected),
           f"The class head's weights should be 5.0 for the {int((data.class_ids == 2).sum())} samples of class 2 "
           f"and 1.0 for the others; yours differ for {int((~np.isclose(class_w, expected)).sum())} samples.")
    k = min(n, 64)
    model = kitlib.models.get_multi_io_model()
    model.compile(loss=["mse", keras.losses.CategoricalCrossentropy(from_logits=True)])
    x, y = _small(data, k)
    results = _evaluate(model, x, list(y.values()), "head_weights", what="evaluate() with your weights",
                        sample_weight=[None if w is None else np.asarray(w)[:k] for w in head_weights])
    predicted_scores, logits = model.predict(x, verbose=0)
    se, ce = _by_hand(data.scores[:k], data.classes[:k], predicted_scores, logits)
    expect(math.isclose(results["class_output_loss"], float(np.sum(expected[:k] * ce) / k), rel_tol=1e-4)
           and math.isclose(results["score_output_loss"], float(se.mean()), rel_tol=1e-4),
           "evaluate() with your weights does not give the weighted class loss and the plain score loss.")
    return ("With these weights evaluate() reports the plain score loss and a class loss in which every class-2 "
            "sample counts 5 times: class weighting for one head of a multi-output model.")


_SOLUTION_4 = '''
def three_heads():
    """The model of section 1 with a third output, "class_probabilities": the softmax of
    the class logits, for predict() only."""
    base = kitlib.models.get_multi_io_model()
    probabilities = keras.layers.Softmax(name="class_probabilities")(base.outputs[1])
    return keras.Model(base.inputs, [*base.outputs, probabilities])
cross_entropy = keras.losses.CategoricalCrossentropy(from_logits=True)
three_losses = {"score_output": "mse", "class_output": cross_entropy, "class_probabilities": None}
three_targets = {"score_output": data.scores, "class_output": data.classes, "class_probabilities": None}
'''
_PROBS = 'keras.layers.Softmax(name="class_probabilities")(base.outputs[1])'


@exercise(
    "09.4", "A head without a loss", answers=("three_heads", "three_losses", "three_targets"),
    starter=variant(_SOLUTION_4, (_PROBS, "___"), (_SOLUTION_4[_SOLUTION_4.index("cross_entropy"):].rstrip(),
                    ("three_losses = ___    # a loss per output name (none for the probabilities)\n"
                     "three_targets = ___   # fit()'s targets for `data`: a dict keyed by output name"))),
    solution=_SOLUTION_4, context=_context,
    hints=(("The probabilities are the softmax of `base.outputs[1]`: a layer without weights, named "
            "\"class_probabilities\"."),
           "A dict of losses must name every output; `None` marks the one without a loss (section 5).",
           ("And the targets? Try `fit()` with only two keys in the dict. Keras 3.15 wants an entry for the third "
            "output too, and `None` will do.")),
    varies=("one input is enough: the output names and the data are the task's own; the check builds the model with "
            "the learner's three_heads(), evaluates it on 16 samples and runs the learner's own losses in a graph"),
    exempt={"hardcoded": "the task fixes the output names and the targets are the notebook's own `data`; "
                         "three_heads() takes no parameter it could ignore",
            "mutates": "three_heads() takes no arguments and the other answers are values: the check hands no "
                       "object of the caller to learner code"},
)
def q4(three_heads, three_losses, three_targets, data):
    """Verifies three_heads() (the model plus a weightless softmax output "class_probabilities"), three_losses (every
    output, None for the probabilities), three_targets (an entry per output): evaluate()'s total = score + class."""
    import keras
    import numpy as np
    _check_data(data)
    model = call(three_heads, name="three_heads")
    expect(isinstance(model, keras.Model),
           f"`three_heads()` should return a keras.Model, but it returned {describe(model)}.")
    names = list(model.output_names)
    wanted = [*OUTPUTS, "class_probabilities"]
    expect(sorted(names) == sorted(wanted), f"The model's outputs are named {names}; they should be {wanted} (name "
                                            f"the new layer \"class_probabilities\").")
    k = 16
    x, y_true = _small(data, k)
    predicted = dict(zip(names, model.predict(x, verbose=0)))
    logits = np.asarray(predicted["class_output"], "float64")
    softmax = np.exp(logits - logits.max(axis=1, keepdims=True))
    softmax /= softmax.sum(axis=1, keepdims=True)
    expect(np.allclose(predicted["class_probabilities"], softmax, rtol=1e-4, atol=1e-6),
           "class_probabilities should be the softmax of the class logits (rows summing to 1), but it is not: a new "
           "Dense layer has weights of its own. Apply `keras.layers.Softmax(...)` to `base.outputs[1]`.")
    expect(isinstance(three_losses, (dict, list, tuple)),
           f"`three_losses` should be a dict {{output name: loss}}, but it is {describe(three_losses)}.")
    if isinstance(three_losses, dict) and sorted(map(str, three_losses)) != sorted(wanted):
        raise Incorrect(f"`three_losses` names {sorted(map(str, three_losses))}; a dict of losses must name every "
                        f"output ({wanted}), with None for the one without a loss (compile() accepts a short dict, "
                        f"fit() fails).")
    expect(isinstance(three_targets, (dict, list, tuple)),
           f"`three_targets` should be a dict {{output name: targets}}, but it is {describe(three_targets)}.")
    try:
        y = ({key: None if v is None else v[:k] for key, v in three_targets.items()}
             if isinstance(three_targets, dict) else [None if v is None else v[:k] for v in three_targets])
    except TypeError:
        raise Incorrect("Each value in `three_targets` should be an array of targets (or None).") from None
    guarded(lambda: model.compile(optimizer="rmsprop", loss=three_losses), "three_losses",
            doing="compile(loss=three_losses)")
    _losses_in_graph(model, y_true, predicted, "three_losses")
    try:
        results = _evaluate(model, x, y, "three_targets", what="evaluate() with your losses and targets")
    except Incorrect as exc:
        error = str(exc.learner_error or "")
        if isinstance(exc.learner_error, KeyError) and "can't be found" in error:
            raise Incorrect(f"{exc}\nKeras 3.15 wants an entry for every output in a dict of targets, even for an "
                            f"output without a loss: None will do.") from None
        if "Expected keys" in error:
            raise Incorrect(f"{exc}\nA dict of losses must name every output, with None for the one without a "
                            f"loss.") from None
        raise
    se, ce = _by_hand(data.scores[:k], data.classes[:k], predicted["score_output"], logits)
    expect(math.isclose(results.get("score_output_loss", math.nan), se.mean(), rel_tol=1e-4)
           and math.isclose(results.get("class_output_loss", math.nan), ce.mean(), rel_tol=1e-4),
           f"evaluate() reports {sorted(results)}; the score loss should be the squared error and the class "
           f"loss the cross-entropy of the logits (from_logits=True).")
    two = se.mean() + ce.mean()
    expect("class_probabilities_loss" not in results and math.isclose(results["loss"], two, rel_tol=1e-4),
           f"The total loss is {results['loss']:.4f}, more than score + class ({two:.4f}): the probabilities have a "
           f"loss of their own, so the class error counts twice. Give class_probabilities the loss None.")
    return ("The third head costs nothing in training (total = score loss + class loss) and predict() now "
            "returns the class probabilities next to the logits. In Keras 3.15 even an output without a loss "
            "needs an entry in a dict of targets: None will do.")
