"""Test data for kitlib.exercises.nb12: realistic wrong answers (each with a substring of the
message its check must give) and other correct forms, tried by tests/exercises/test_catalog.py."""

from kitlib.exercises import Wrong, variant  # noqa: F401
from kitlib.exercises.nb12 import (  # noqa: F401
    _BEST_SOLUTION,
    _NORM_SOLUTION,
    _NORM_WRITE,
)


q1 = dict(
    wrong=(
        Wrong(variant(_BEST_SOLUTION, ('logs["validation"]', 'logs["train"]')), "train"),
        Wrong(variant(_BEST_SOLUTION, ("int(steps[np.argmin(values)]) + 1", "int(steps[np.argmin(values)])")), "from 0"),
        Wrong(variant(_BEST_SOLUTION, ("int(steps[np.argmin(values)]) + 1", "float(steps[np.argmin(values)] + 1)")),
              "whole number"),
        Wrong(variant(_BEST_SOLUTION, ("int(steps[np.argmin(values)]) + 1", "int(np.argmin(values)) + 1")),
              "position", kind="hardcoded"),
        Wrong(variant(_BEST_SOLUTION, ('''    steps, values = logs["validation"]["epoch_loss"]
    return int(steps[np.argmin(values)]) + 1''', "    return 3  # read off the chart")), "the notebook's own logs",
              kind="hardcoded"),
        Wrong(variant(_BEST_SOLUTION, ('logs["validation"]["epoch_loss"]', 'logs.pop("validation")["epoch_loss"]')),
              "in place", kind="mutates"),
    ),
    alternatives=(
        variant(_BEST_SOLUTION, ('''    steps, values = logs["validation"]["epoch_loss"]
    return int(steps[np.argmin(values)]) + 1''', '''    series = logs["validation"]["epoch_loss"]
    return int(series.steps[series.values.argmin()]) + 1''')),
        variant(_BEST_SOLUTION, ('''    steps, values = logs["validation"]["epoch_loss"]
    return int(steps[np.argmin(values)]) + 1''', '''    steps, values = logs["validation"]["epoch_loss"]
    return min(zip(values, steps))[1].item() + 1''')),
    ),
)

q2 = dict(
    wrong=(
        Wrong('def logged_epochs(steps_per_epoch, epochs, update_freq):\n'
              '    return [e for e in range(epochs) if e % update_freq == 0]', "batch counter"),
        Wrong('def logged_epochs(steps_per_epoch, epochs, update_freq):\n'
              '    return [e for e in range(epochs) if e * steps_per_epoch % update_freq == 0]', "end of"),
        Wrong('def logged_epochs(steps_per_epoch, epochs, update_freq):\n'
              '    return list(range(epochs)) if steps_per_epoch % update_freq == 0 else []', "runs on"),
        Wrong('def logged_epochs(steps_per_epoch, epochs, update_freq):\n'
              '    return [e for e in range(3) if (e + 1) * steps_per_epoch % update_freq == 0]', "all `epochs`",
              kind="hardcoded"),
    ),
    alternatives=(
        ('def logged_epochs(steps_per_epoch, epochs, update_freq):\n'
        '    ends = np.arange(1, epochs + 1) * steps_per_epoch\n'
        '    return np.flatnonzero(ends % update_freq == 0).tolist()'),
    ),
)

q3 = dict(
    wrong=(
        Wrong(_NORM_SOLUTION.replace(_NORM_WRITE, '        tf.summary.scalar("kernel_norm", norm, step=epoch)\n'),
              "as_default"),
        Wrong(_NORM_SOLUTION.replace("step=epoch", "step=self.model.optimizer.iterations"), "optimizer"),
        Wrong(_NORM_SOLUTION.replace("self.model.layers[-1]", "self.model.layers[1]"), "output layer"),
        Wrong(_NORM_SOLUTION.replace(", step=epoch", ""), "step"),
        Wrong(variant(_NORM_SOLUTION, ("self.model.layers[-1]", "self.model.layers[2]")), "output layer",
              kind="hardcoded"),
        Wrong(variant(_NORM_SOLUTION, ("        norm = float(", ("        kernel = self.model.layers[-1].kernel\n"
                                       "        kernel.assign(kernel / keras.ops.norm(kernel))  # keep it at norm 1\n"
                                       "        norm = float("))),
              "changed the weights: the output kernel's norm was [", kind="mutates"),  # fit() without shuffling
    ),
    alternatives=(
        _NORM_SOLUTION.replace(
            "keras.ops.norm(self.model.layers[-1].kernel)",
            'np.linalg.norm(self.model.get_layer("predictions").get_weights()[0])').replace(
            "self.writer.as_default():", "self.writer.as_default(step=epoch):").replace(", step=epoch)", ")")
        + "\n    def on_train_end(self, logs=None):\n        self.writer.close()\n",
    ),
)
