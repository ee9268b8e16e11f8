"""Test data for kitlib.exercises.nb07: realistic wrong answers (each with a substring of the
message its check must give) and other correct forms, tried by tests/exercises/test_catalog.py."""

from kitlib.exercises import Wrong, variant  # noqa: F401
from kitlib.exercises.nb07 import (  # noqa: F401
    _LEN,
    _ORDER,
    _REORDER,
    _RETURN3,
    _RNG,
    _SOLUTION_1,
    _SOLUTION_2,
    _SOLUTION_3,
    _SOLUTION_4,
    _W,
)

_SHARED = ("self.epoch = 0", "self.epoch = 0\n        self.rng = np.random.default_rng(seed)")


q1 = dict(
    wrong=(
        Wrong(variant(_SOLUTION_1, (_LEN, "math.ceil(len(self.x) / self.batch_size)")), "smaller"),
        Wrong(variant(_SOLUTION_1, (_LEN, "len(self.x) / self.batch_size")), "whole number"),
        Wrong(variant(_SOLUTION_1, (_LEN, "round(len(self.x) / self.batch_size)")), "smaller"),
        Wrong(variant(_SOLUTION_1, (_LEN, "len(self.x)")), "counts batches"),
        Wrong(variant(_SOLUTION_1, (_LEN, "len(self.x) // 4")), "self.batch_size", kind="hardcoded"),
        Wrong(variant(_SOLUTION_1, (_LEN, "60000 // self.batch_size")), "len(self.x)", kind="hardcoded"),
        Wrong(variant(_SOLUTION_1, (_LEN, "math.ceil(len(self.x) / self.batch_size) - 1")), "divides evenly",
              kind="hardcoded"),
        Wrong("FullBatches = 4", "should be the class"),
    ),
    alternatives=(
        variant(_SOLUTION_1, (_LEN, "int(len(self.x) / self.batch_size)")),
        variant(_SOLUTION_1, (_LEN, "math.floor(len(self.x) / self.batch_size)")),
        variant(_SOLUTION_1, (_LEN, "(len(self.x) - len(self.x) % self.batch_size) // self.batch_size")),
    ),
)

q2 = dict(
    wrong=(
        Wrong(variant(_SOLUTION_2, (f"{_ORDER}\n        {_REORDER}",
                                    "self.rng.shuffle(self.x)\n        self.rng.shuffle(self.y)")), "no longer"),
        Wrong(variant(_SOLUTION_2, (_REORDER, "self.x = self.x[order]")), "no longer"),
        Wrong(variant(_SOLUTION_2, (_REORDER, "self.x, self.y = self.x[order], self.y[order][:-1]")), "y has 0"),
        Wrong(variant(_SOLUTION_2, (_ORDER, "order = self.rng.integers(0, len(self.x), len(self.x))")), "twice"),
        Wrong(variant(_SOLUTION_2, (_REORDER, "x, y = self.x[order], self.y[order]")), "same order"),
        Wrong(variant(_SOLUTION_2, (_ORDER, "order = np.random.permutation(len(self.x))")), "reproduce"),
        Wrong(variant(_SOLUTION_2, (_ORDER, "order = self.rng.permutation(20)")), "len(self.x)", kind="hardcoded"),
        Wrong(variant(_SOLUTION_2, (_ORDER, "order = np.random.default_rng(SEED).permutation(len(self.x))")),
              "seed", kind="hardcoded"),
        Wrong(variant(_SOLUTION_2, (_REORDER, "self.x[:], self.y[:] = self.x[order], self.y[order]")), "in place",
              kind="mutates"),
    ),
    alternatives=(
        variant(_SOLUTION_2, (_ORDER, "order = np.arange(len(self.x))\n        self.rng.shuffle(order)")),
        variant(_SOLUTION_2, (_ORDER, "order = self.rng.permutation(len(self.y))"),
                (_REORDER, "self.x = np.take(self.x, order, axis=0)\n        self.y = np.take(self.y, order)")),
    ),
)

q3 = dict(
    wrong=(
        Wrong(variant(_SOLUTION_3, (_RETURN3, "return x, y")), "two elements"),
        Wrong(variant(_SOLUTION_3, (_W, "w = np.array([self.class_weight[int(l)] for l in y])")), "left out"),
        Wrong(variant(_SOLUTION_3, (_RETURN3, "return x, y, w[:, None]")), "shape"),
        Wrong(variant(_SOLUTION_3, (_W, "w = np.array([self.class_weight.get(int(l), 0.0) for l in y])")),
              "weighs 1.0"),
        Wrong(variant(_SOLUTION_3, (_RETURN3, "return x, y, self.class_weight")), "one weight per sample"),
        Wrong(variant(_SOLUTION_3, (_W, 'w = np.where(y == 5, 2.0, 1.0).astype("float32")')), "self.class_weight",
              kind="hardcoded"),
        Wrong(variant(_SOLUTION_3, (_W, ("labels = self.labels[idx * self.batch_size:(idx + 1) * self.batch_size]\n"
                                        "        w = np.array([self.class_weight.get(int(l), 1.0) for l in labels])"))),
              "shuffled", kind="hardcoded"),
        Wrong(variant(_SOLUTION_3, ("self.class_weight.get(int(label), 1.0)",
                                    "self.class_weight.setdefault(int(label), 1.0)")), "in place", kind="mutates"),
    ),
    alternatives=(
        variant(_SOLUTION_3, (_W, ("w = np.ones(len(y), dtype='float32')\n"
                                  "        for c, weight in self.class_weight.items():\n"
                                  "            w[y == c] = weight")), (_RETURN3, "return [x, y, w]")),
        variant(_SOLUTION_3, (_W, "w = np.vectorize(lambda c: self.class_weight.get(int(c), 1.0))(y)")),
    ),
)

q4 = dict(
    wrong=(
        Wrong(variant(_SOLUTION_4, _SHARED, (_RNG, "self.rng")), "order"),
        Wrong(variant(_SOLUTION_4, (_RNG, "np.random.default_rng()")), "reproduce"),
        Wrong(variant(_SOLUTION_4, (_RNG, "np.random.default_rng(self.seed)")), "every batch"),
        Wrong(variant(_SOLUTION_4, (_RNG, "np.random.default_rng([self.seed, idx])")), "every epoch"),
        Wrong(variant(_SOLUTION_4, (_RNG, "np.random.default_rng(self.seed + self.epoch + idx)")), "collide"),
        Wrong(variant(_SOLUTION_4, (_RNG, "np.random.default_rng([self.epoch, idx])")), "seed"),
        Wrong(variant(_SOLUTION_4, (_RNG, "np.random.default_rng([SEED, self.epoch, idx])")), "seed",
              kind="hardcoded"),
        Wrong(variant(_SOLUTION_4, ('return x + rng.normal(0.0, 0.1, size=x.shape).astype("float32"), y',
                                    ('x += rng.normal(0.0, 0.1, size=x.shape).astype("float32")\n'
                                    '        return x, y'))), "in place", kind="mutates"),
    ),
    alternatives=(
        variant(_SOLUTION_4, (_RNG, "np.random.default_rng(np.random.SeedSequence([self.seed, self.epoch, idx]))")),
        variant(_SOLUTION_4, (_RNG, "np.random.default_rng((self.seed, self.epoch, idx))")),
    ),
)
