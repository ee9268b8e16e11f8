"""Test data for kitlib.exercises.nb13: realistic wrong answers (each with a substring of the
message its check must give) and other correct forms, tried by tests/exercises/test_catalog.py."""

from kitlib.exercises import Wrong, variant  # noqa: F401
from kitlib.exercises.nb13 import (  # noqa: F401
    _CONFIDENCE_SOLUTION,
    _MAX_ROWS,
    _SOLUTION_1,
    _clipped_with,
)


q1 = dict(
    wrong=(
        Wrong(variant(_SOLUTION_1, ("metric.reset_state()", "metric.reset_states()")), "reset_state()"),
        Wrong('def finish_epoch(metrics):\n'
              '    results = {}\n'
              '    for metric in metrics:\n'
              '        metric.reset_state()\n'
              '        results[metric.name] = float(metric.result())\n'
              '    return results', "before"),
        Wrong('def finish_epoch(metrics):\n'
              '    return {metric.name: float(metric.result()) for metric in metrics}', "reset"),
        Wrong(variant(_SOLUTION_1, ("float(metric.result())", "metric.result()")), "float"),
        Wrong('def finish_epoch(metrics):\n'
              '    loss, accuracy = metrics\n'
              '    results = {"loss": float(loss.result()), "sparse_categorical_accuracy": float(accuracy.result())}\n'
              '    loss.reset_state()\n'
              '    accuracy.reset_state()\n'
              '    return results', "any list of metrics", kind="hardcoded"),
        Wrong('def finish_epoch(metrics):\n'
              '    results = {}\n'
              '    while metrics:\n'
              '        metric = metrics.pop()\n'
              '        results[metric.name] = float(metric.result())\n'
              '        metric.reset_state()\n'
              '    return results', "in place", kind="mutates"),
    ),
    alternatives=(
        ('def finish_epoch(metrics):\n'
        '    results = {m.name: float(m.result()) for m in metrics}\n'
        '    for m in metrics:\n'
        '        m.reset_state()\n'
        '    return results'),
    ),
)

q2 = dict(
    wrong=(
        Wrong(variant(_CONFIDENCE_SOLUTION, ('keras.metrics.Mean(name="confidence")', "keras.metrics.Mean()")),
              'name="confidence"'),
        Wrong(variant(_CONFIDENCE_SOLUTION, (_MAX_ROWS, "keras.ops.max(y_pred)")), "axis=-1"),
        Wrong(variant(_CONFIDENCE_SOLUTION, (_MAX_ROWS, "keras.ops.argmax(y_pred, axis=-1)")), "probabilit"),
        Wrong(variant(_CONFIDENCE_SOLUTION,
                      (('        self.confidence = keras.metrics.Mean(name="confidence")  # a metric that averages '
                        'values over the epoch, named "confidence"\n'), ""),
                      (('            elif metric.name == "confidence":\n'
                        f'                metric.update_state({_MAX_ROWS})  # the highest probability of each '
                        'sample in the batch\n'), ""),
                      ("        return {metric.name: metric.result() for metric in self.metrics}",
                       (f"        confidence_tracker.update_state({_MAX_ROWS})\n"
                        "        logs = {metric.name: metric.result() for metric in self.metrics}\n"
                        '        logs["confidence"] = confidence_tracker.result()\n'
                        "        return logs")))
              .replace("class ConfidenceModel", 'confidence_tracker = keras.metrics.Mean(name="confidence")\n'
                                                "class ConfidenceModel"), "reset"),
        Wrong(variant(_CONFIDENCE_SOLUTION, (_MAX_ROWS, f"keras.ops.mean({_MAX_ROWS})")), "same size",
              kind="hardcoded"),
        Wrong(variant(_CONFIDENCE_SOLUTION, (_MAX_ROWS, "np.max(y_pred, axis=-1)")), "graph", kind="graph"),
        Wrong(variant(_CONFIDENCE_SOLUTION, (_MAX_ROWS, "float(keras.ops.mean(keras.ops.max(y_pred, axis=-1)))")),
              "graph", kind="graph"),
    ),
    alternatives=(
        variant(_CONFIDENCE_SOLUTION, (_MAX_ROWS, "tf.reduce_max(y_pred, axis=1)")),
        variant(_CONFIDENCE_SOLUTION, (_MAX_ROWS, f"{_MAX_ROWS}, sample_weight=None")),
    ),
)

q3 = dict(
    wrong=(
        Wrong(_clipped_with("gradients, _ = tf.clip_by_global_norm(gradients, 1.0)"), "global_clipnorm"),
        Wrong(_clipped_with("gradients = [tf.clip_by_value(g, -1.0, 1.0) for g in gradients]"), "clipvalue"),
        Wrong(_clipped_with(), "not clipped"),
        Wrong(_clipped_with("gradients = [g / tf.norm(g) for g in gradients]"), "at most"),
        Wrong(_clipped_with("gradients = [tf.clip_by_norm(g, 1.0) if len(g.shape) == 2 else g for g in gradients]"),
              "biases", kind="hardcoded"),
        Wrong(_clipped_with("gradients = [g * min(1.0, 1.0 / float(tf.norm(g))) for g in gradients]"), "graph",
              kind="graph"),
        Wrong(_clipped_with("gradients = [g / max(1.0, np.linalg.norm(g)) for g in gradients]"), "graph",
              kind="graph"),
        Wrong(_clipped_with(  # NaN only when weighted: the weighted run must not let NaN through
            "gradients = [tf.clip_by_norm(g, 1.0) + tf.sqrt(1.0 - tf.reduce_max(sample_weight)) for g in gradients]"),
              "NaN"),
    ),
    alternatives=(
        _clipped_with("clipped = []",
                      "for g in gradients:",
                      "    norm = keras.ops.sqrt(keras.ops.sum(keras.ops.square(g)))",
                      "    clipped.append(g * 1.0 / keras.ops.maximum(norm, 1.0))",
                      "gradients = clipped"),
        _clipped_with("gradients = [g / tf.maximum(tf.norm(g), 1.0) for g in gradients]"),
    ),
)
