"""Test data for kitlib.exercises.nb11: realistic wrong answers (each with a substring of the
message its check must give) and other correct forms, tried by tests/exercises/test_catalog.py."""

from kitlib.exercises import Wrong, variant  # noqa: F401
from kitlib.exercises.nb11 import (  # noqa: F401
    _HALVE_SOLUTION,
    _WARMUP_K,
    _WARMUP_RATE,
    _WARMUP_SOLUTION,
    _halving_with,
)


q1 = dict(
    wrong=(
        Wrong("two_rates = schedules.PiecewiseConstantDecay(boundaries=[499], values=[1e-3, 1e-4])", "step 500"),
        Wrong("two_rates = schedules.PiecewiseConstantDecay(boundaries=[501], values=[1e-3, 1e-4])", "step 501"),
        Wrong("two_rates = schedules.PiecewiseConstantDecay(boundaries=[500], values=[1e-4, 1e-3])", "order"),
        Wrong("two_rates = schedules.ExponentialDecay(1e-3, decay_steps=500, decay_rate=0.1, staircase=True)",
              "stay at 1e-4"),
        Wrong("two_rates = 1e-3", "schedule"),
        Wrong("class TwoRates(schedules.LearningRateSchedule):\n"
              "    def __call__(self, step):\n"
              "        return 1e-3 if step.numpy() <= 500 else 1e-4\n"
              "two_rates = TwoRates()", "graph", kind="graph"),
    ),
    alternatives=(
        "two_rates = keras.optimizers.schedules.PiecewiseConstantDecay([500], [0.001, 0.0001])",
        ("class TwoRates(schedules.LearningRateSchedule):\n"
         "    def __call__(self, step):\n"
         "        if step <= 500:  # AutoGraph turns this `if` on a tensor into a graph condition\n"
         "            return 1e-3\n"
         "        return 1e-4\n"
         "two_rates = TwoRates()"),
    ),
)

q2 = dict(
    wrong=(
        Wrong("warmup_cosine = schedules.CosineDecay(0.0, decay_steps=1200, alpha=0.01, warmup_target=1e-3,\n"
              "                                      warmup_steps=200)", "after the warm-up"),
        Wrong("warmup_cosine = schedules.CosineDecay(0.0, decay_steps=1000, alpha=1e-5, warmup_target=1e-3,\n"
              "                                      warmup_steps=200)", "fraction"),
        Wrong("warmup_cosine = schedules.CosineDecay(1e-3, decay_steps=1000, alpha=0.01, warmup_target=1e-3,\n"
              "                                      warmup_steps=200)", "starts"),
        Wrong("warmup_cosine = schedules.CosineDecay(1e-3, decay_steps=1200, alpha=0.01)", "warm-up"),
        Wrong("class WarmupCosine(schedules.LearningRateSchedule):\n"
              "    def __call__(self, step):\n"
              "        step = float(step)\n"
              "        if step < 200:\n"
              "            return 1e-3 * step / 200\n"
              "        t = min(step - 200, 1000) / 1000\n"
              "        return 1e-5 + (1e-3 - 1e-5) * 0.5 * (1 + np.cos(np.pi * t))\n"
              "warmup_cosine = WarmupCosine()", "graph", kind="graph"),
        Wrong("class WarmupLinear(schedules.LearningRateSchedule):\n"
              "    def __call__(self, step):\n"
              "        step = keras.ops.cast(step, 'float32')\n"
              "        down = 1e-3 - (1e-3 - 1e-5) * keras.ops.minimum(step - 200, 1000) / 1000\n"
              "        return keras.ops.where(step < 200, 1e-3 * step / 200, down)\n"
              "warmup_cosine = WarmupLinear()", "half a cosine"),
    ),
    alternatives=(
        ("warmup_cosine = keras.optimizers.schedules.CosineDecay(0.0, 1000, alpha=1e-5 / 1e-3,\n"
        "                                                       warmup_target=0.001, warmup_steps=200)"),
        ("class WarmupCosine(schedules.LearningRateSchedule):\n"
         "    def __call__(self, step):\n"
         "        step = keras.ops.cast(step, 'float32')\n"
         "        t = keras.ops.minimum(step - 200, 1000) / 1000\n"
         "        down = 1e-5 + (1e-3 - 1e-5) * 0.5 * (1 + keras.ops.cos(np.pi * t))\n"
         "        return keras.ops.where(step < 200, 1e-3 * step / 200, down)\n"
         "warmup_cosine = WarmupCosine()"),
    ),
)

q3 = dict(
    wrong=(
        Wrong(_halving_with('''
            loss = logs["loss"]
            if self.previous_loss is not None and loss > self.previous_loss:
                lr = float(self.model.optimizer.lr)
                keras.backend.set_value(self.model.optimizer.lr, lr / 2)
            self.previous_loss = loss
            '''), "learning_rate = "),
        Wrong(_HALVE_SOLUTION.replace("self.model.optimizer.learning_rate = float(",
                                      "self.model.optimizer.lr = float("), "never changed"),
        Wrong(_halving_with('''
            loss = logs["loss"]
            if self.previous_loss is None or loss < self.previous_loss:
                self.previous_loss = loss
            else:
                self.model.optimizer.learning_rate = float(self.model.optimizer.learning_rate) / 2
            '''), "previous epoch"),
        Wrong(variant(_HALVE_SOLUTION, ('logs["loss"]', 'logs["val_loss"]')), "training loss"),
        Wrong(variant(_HALVE_SOLUTION, ("self.previous_loss = None", "self.previous_loss, self.rises = None, 0"),
                      ("self.model.optimizer.learning_rate = float(self.model.optimizer.learning_rate) / 2",
                       ("self.rises += 1\n"
                       "            self.model.optimizer.learning_rate = 0.01 / 2 ** self.rises"))),
              "read the current rate", kind="hardcoded"),
        Wrong(variant(_HALVE_SOLUTION, ('loss = logs["loss"]', 'loss = logs.pop("loss")')), "pop", kind="mutates"),
        Wrong(variant(_HALVE_SOLUTION, ("learning_rate) / 2", "learning_rate) // 2")), "set the rate to 0.0"),
        Wrong(variant(_HALVE_SOLUTION, ("float(self.model.optimizer.learning_rate) / 2",  # a Variable / 0: inf
                                        "self.model.optimizer.learning_rate / (2 * (epoch // 10))")),
              "set the rate to inf"),
    ),
    alternatives=(
        variant(_HALVE_SOLUTION, ("self.previous_loss = None", 'self.previous_loss = float("inf")'),
                ("self.previous_loss is not None and ", ""),
                ("float(self.model.optimizer.learning_rate) / 2", "self.model.optimizer.learning_rate * 0.5")),
        variant(_HALVE_SOLUTION, ("        self.previous_loss = loss",
                                  ("        self.previous_loss = loss\n"
                                  "        logs[\"learning_rate\"] = float(self.model.optimizer.learning_rate)  # a new key"))),
    ),
)

q4 = dict(
    wrong=(
        Wrong(_WARMUP_SOLUTION.replace(_WARMUP_K, "batch"), "every epoch"),
        Wrong(_WARMUP_SOLUTION.replace("(k + 1) / self.warmup_steps", "k / self.warmup_steps"), "learning rate 0"),
        Wrong(_WARMUP_SOLUTION.replace("def on_train_batch_begin(self, batch, logs=None):",
                                       "def on_epoch_begin(self, epoch, logs=None):"), "every batch"),
        Wrong(_WARMUP_SOLUTION.replace(
            "        self.model.optimizer.learning_rate = " + _WARMUP_RATE,
            "        try:\n"
            "            self.model.optimizer.learning_rate = " + _WARMUP_RATE + "\n"
            "        except TypeError:\n"
            "            pass"), "silently"),
        Wrong(_WARMUP_SOLUTION.replace(
            "        self.model.optimizer.learning_rate = " + _WARMUP_RATE,
            "        try:\n"
            "            self.model.optimizer.learning_rate = " + _WARMUP_RATE + "\n"
            "        except TypeError:\n"
            "            raise ValueError('LinearWarmup needs a float learning rate') from None"),
              "raised ValueError (Calling `on_train_batch_begin` raised ValueError: LinearWarmup needs a float "
              "learning rate). Refusing is right, but with the error Keras raises for it, TypeError"),
        Wrong(variant(_WARMUP_SOLUTION, ("(k + 1) / self.warmup_steps)", "(k + 1) / 6)")), "self.warmup_steps",
              kind="hardcoded"),
        Wrong(variant(_WARMUP_SOLUTION, ("self.model.optimizer.learning_rate = self.target *",
                                         "self.model.optimizer.learning_rate = 0.02 *")), "self.target",
              kind="hardcoded"),
        Wrong(variant(_WARMUP_SOLUTION, (_WARMUP_K, ("int(self.model.optimizer.iterations)\n"
                                                    "        self.model.optimizer.iterations.assign_add(1)  # count it"))),
              "changed `optimizer.iterations`", kind="mutates"),
    ),
    alternatives=(
        "class NeedsFloatRate(TypeError):\n    pass\n\n" + _WARMUP_SOLUTION.replace(
            "        self.model.optimizer.learning_rate = " + _WARMUP_RATE,
            "        try:\n"
            "            self.model.optimizer.learning_rate = " + _WARMUP_RATE + "\n"
            "        except TypeError:\n"
            "            raise NeedsFloatRate('LinearWarmup needs a float learning rate') from None"),
        _WARMUP_SOLUTION.replace("    def on_train_batch_begin", "    def on_epoch_begin(self, epoch, logs=None):\n"
                                 "        self.epoch = epoch\n\n    def on_train_batch_begin").replace(
            _WARMUP_K, 'self.epoch * self.params["steps"] + batch'),
        _WARMUP_SOLUTION.replace(_WARMUP_K, "self.model.optimizer.iterations.numpy()").replace(
            "self.target * min(1.0, (k + 1) / self.warmup_steps)",
            "self.target * (k + 1) / self.warmup_steps if k < self.warmup_steps else self.target"),
    ),
)
