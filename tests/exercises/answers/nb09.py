"""Test data for kitlib.exercises.nb09: realistic wrong answers (each with a substring of the
message its check must give) and other correct forms, tried by tests/exercises/test_catalog.py."""

from kitlib.exercises import Wrong, variant  # noqa: F401
from kitlib.exercises.nb09 import (  # noqa: F401
    _PROBS,
    _SOLUTION_4,
    _LOSS,
    _LW,
    _SOLUTION_1,
    _SOLUTION_2,
)

_OWN_MSE = ("def compile_weighted(model):", ("def squared_error(y_true, y_pred):\n"
            "    return @@\n"
            "def compile_weighted(model):"))

_SLICES = "from_tensor_slices((inputs, targets))"

_SOFTMAX = _SOLUTION_4

_HEADS = _SOLUTION_4.replace(_PROBS, "@@")

_OWN_MSE_4 = ("cross_entropy = ", "def squared_error(y_true, y_pred):\n    return @@\ncross_entropy = ")


q1 = dict(
    wrong=(
        Wrong(variant(_SOLUTION_1, (_LW, 'loss_weights={"score_output": 2.0, "class_output": 0.5}')), "swapped"),
        Wrong(variant(_SOLUTION_1, (_LW, "loss_weights=[2.0, 0.5]")), "swapped"),
        Wrong(variant(_SOLUTION_1, (_LW, 'loss_weight={"score_output": 0.5, "class_output": 2.0}')), "loss_weights"),
        Wrong(variant(_SOLUTION_1, (_LW, "loss_weights=None")), "weighted sum"),
        Wrong(variant(_SOLUTION_1, (_LOSS, ("loss=[keras.losses.MeanSquaredError(), "
                                          "keras.losses.CategoricalCrossentropy(from_logits=True)]"))), "sorted"),
        Wrong(variant(_SOLUTION_1, (_LOSS, ("loss=[keras.losses.MeanSquaredError(), "
                                          "keras.losses.CategoricalCrossentropy(from_logits=True)]")),
                      (_LW, 'loss_weights={"score_output": 1.0, "class_output": 4.0}')), "; 0.5 ×"),
        Wrong(variant(_SOLUTION_1, ("from_logits=True", "")), "from_logits"),
        Wrong(variant(_SOLUTION_1, ("def compile_weighted(model):", "def compile_weighted(two_headed):")),
              "given", kind="hardcoded"),
        Wrong(variant(_SOLUTION_1, (_OWN_MSE[0], _OWN_MSE[1].replace(
            "@@", "np.mean(np.square(np.asarray(y_true) - np.asarray(y_pred)), axis=-1)")), ('"mse"', "squared_error")),
              "keras.ops", kind="graph"),
    ),
    alternatives=(
        variant(_SOLUTION_1, (_LW, "loss_weights=[0.5, 2.0]")),
        variant(_SOLUTION_1, (_LOSS, ("loss=[keras.losses.MeanSquaredError(), "
                                     "keras.losses.CategoricalCrossentropy(from_logits=True)]")),
                (_LW, "loss_weights=[0.5, 2]")),
        variant(_SOLUTION_1, (_OWN_MSE[0], _OWN_MSE[1].replace(
            "@@", "keras.ops.mean(keras.ops.square(y_true - y_pred), axis=-1)")), ('"mse"', "squared_error")),
    ),
)

q2 = dict(
    wrong=(
        Wrong(variant(_SOLUTION_2, (_SLICES, ("from_tensor_slices(((data.images, data.timeseries), "
                                             "(data.scores, data.classes)))"))), "dicts"),
        Wrong(variant(_SOLUTION_2, ('"img_input"', '"image"'), ('"score_output"', '"score"')), "img_input"),
        Wrong(variant(_SOLUTION_2, (".shuffle(buffer_size=1024).batch(16)", "")), "batch"),
        Wrong(variant(_SOLUTION_2, (f"tf.data.Dataset.{_SLICES}.shuffle(buffer_size=1024)",
                                    ("tf.data.Dataset.zip(tf.data.Dataset.from_tensor_slices(inputs).shuffle(64),\n"
                                    "        tf.data.Dataset.from_tensor_slices(targets).shuffle(64))"))), "pairs"),
        Wrong(variant(_SOLUTION_2, ("batch(16)", "batch(32)")), "16"),
        Wrong(variant(_SOLUTION_2, ("batch(16)", "batch(16, drop_remainder=True)")), "drop_remainder"),
        Wrong(variant(_SOLUTION_2, (_SLICES, "from_tensor_slices((x_dict, y_dict))")), "argument", kind="hardcoded"),
        Wrong(variant(_SOLUTION_2, ('inputs = {"img_input": data.images,', ('images = data.images\n'
                                    '    images -= 0.5   # centre the pixels\n    inputs = {"img_input": images,'))),
              "in place", kind="mutates"),
    ),
    alternatives=(
        variant(_SOLUTION_2, (f"{_SLICES}.shuffle(buffer_size=1024)", ("zip(tf.data.Dataset.from_tensor_slices("
                                                                       "inputs), tf.data.Dataset.from_tensor_slices("
                                                                       "targets))"))),
        variant(_SOLUTION_2, (".shuffle(buffer_size=1024).batch(16)", ".batch(16, drop_remainder=False).prefetch(2)")),
        variant(_SOLUTION_2, (".shuffle(buffer_size=1024).batch(16)", ".batch(16).shuffle(8, seed=8)")),  # short first
    ),
)

q3 = dict(
    wrong=(
        Wrong("head_weights = {2: 5.0}", "class_weight"),
        Wrong("w = np.where(data.classes == 2, 5.0, 1.0)\nhead_weights = [np.ones(len(w)), w]", "one-hot"),
        Wrong("w = np.where(data.class_ids == 2, 5.0, 1.0)\nhead_weights = [w, w]", "score head"),
        Wrong("w = np.where(data.class_ids == 2, 5.0, 1.0)\nhead_weights = [w, np.ones(len(w))]", "order"),
        Wrong("head_weights = np.where(data.class_ids == 2, 5.0, 1.0)", "score head"),
        Wrong("w = np.where(data.class_ids == 2, 5.0, 1.0)\n"
              "head_weights = {'score_output': np.ones(len(w)), 'class_output': w}", "list"),
        Wrong("w = np.where(data.class_ids == 2, 5.0, 1.0)\nhead_weights = [np.ones((len(w), 1)), w[:, None]]",
              "shape"),
    ),
    alternatives=(
        "head_weights = [None, np.where(data.class_ids == 2, 5.0, 1.0)]",
        "head_weights = (np.ones(len(data.scores)), 1.0 + 4.0 * (data.classes[:, 2] == 1))",
    ),
)

q4 = dict(
    wrong=(
        Wrong(_SOFTMAX.replace(', "class_probabilities": None}\nthree_targets', "}\nthree_targets"),
              "every output"),
        Wrong(_SOFTMAX.replace('"class_output": data.classes, "class_probabilities": None}',
                               '"class_output": data.classes}'), "None will do"),
        Wrong(_HEADS.replace("@@", 'keras.layers.Dense(5, activation="softmax", name="class_probabilities")'
                                   '(base.outputs[1])'), "softmax of the class logits"),
        Wrong(_SOFTMAX.replace('"class_probabilities": None}\nthree_targets',
                               '"class_probabilities": keras.losses.CategoricalCrossentropy()}\nthree_targets')
              .replace('"class_probabilities": None}', '"class_probabilities": data.classes}'), "twice"),
        Wrong(_SOFTMAX.replace('"class_probabilities"', '"probs"'), "class_probabilities"),
        Wrong(variant(_SOFTMAX, _OWN_MSE_4, ('three_losses = {"score_output": "mse"', ('three_losses = {"score_output": '
                                                                                   'squared_error')),
                      ("@@", "np.mean(np.square(np.asarray(y_true) - np.asarray(y_pred)), axis=-1)")),
              "keras.ops", kind="graph"),
    ),
    alternatives=(
        _HEADS.replace("@@", 'keras.layers.Activation("softmax", name="class_probabilities")(base.outputs[1])'),
        _SOFTMAX.replace('"class_output": data.classes, "class_probabilities": None}',
                         '"class_output": data.classes, "class_probabilities": data.classes}'),
        variant(_SOFTMAX, _OWN_MSE_4, ('three_losses = {"score_output": "mse"', ('three_losses = {"score_output": '
                                                                              'squared_error')),
                ("@@", "keras.ops.mean(keras.ops.square(y_true - y_pred), axis=-1)")),
    ),
)
