"""Every exercise's check, whatever the answer: leaves the learner's random streams and
Keras/TensorFlow settings as it found them, stops an answer that never ends, and never
raises for a hostile object in the learner's names (issue 14)."""

from __future__ import annotations

import random
import warnings

import answers as A
import hostile_objects as X
import numpy as np
import pytest

from kitlib import exercises as E

ALL = [q for qs in E.catalog().values() for q in qs]
BY_ID = {q.id: q for q in ALL}


def _answer_ns(q, code):
    ns = dict(q.context() if q.context else {})
    ns["___"] = E.___
    exec(compile(code, f"<answer to {q.id}>", "exec"), ns)  # noqa: S102 - the test's own answer code
    return ns


def _state():
    """What a check must not change, in comparable form."""
    import keras
    import tensorflow as tf
    from keras.src.backend.common import global_state
    from tensorflow.python.eager import context
    from tensorflow.python.framework import config as tf_config

    np_state = np.random.get_state()
    generator = global_state.get_global_attribute("global_seed_generator")
    ctx = context.context()
    rng = getattr(ctx, "_rng", None)
    return {
        "random": random.getstate(),
        "numpy": (np_state[0], np_state[1].tolist(), *np_state[2:]),
        "keras config": (keras.config.floatx(), keras.config.epsilon(), keras.config.image_data_format(),
                         global_state.get_global_attribute("dtype_policy")),
        "keras seed": (global_state.get_global_attribute("global_random_seed"), generator,
                       None if generator is None else generator.state.numpy().tolist()),
        "tf seed": (ctx._seed, rng.getstate() if rng is not None else None),
        "tf settings": (tf_config.is_op_determinism_enabled(), tf.config.functions_run_eagerly()),
        "warnings": list(warnings.filters),
    }


@pytest.fixture(scope="module")
def learner_seeded():
    """A learner who seeded everything and has used Keras' global seed generator."""
    import keras
    keras.utils.set_random_seed(2024)
    keras.random.normal((1,))
    yield


@pytest.mark.parametrize("which", ["solution", "starter"])
@pytest.mark.parametrize("q", ALL, ids=[q.id for q in ALL])
def test_a_check_leaves_random_streams_and_settings_as_it_found_them(q, which, learner_seeded):
    ns = _answer_ns(q, q.solution_code if which == "solution" else q.starter)
    random.random()
    np.random.rand()  # whatever the answer cell did, the streams are somewhere
    before = _state()
    r = q.check(ns=ns)
    assert r.outcome == (E.CORRECT if which == "solution" else E.NOT_ATTEMPTED), str(r)
    after = _state()
    assert [k for k in before if before[k] != after[k]] == [], f"{q.id}'s check changed these"


# --------------------------------------------------------------------------- never raises


def _hostiles():
    return [X.HostileDict({"a": 1}), X.HostileList([1, 2]), X.HostileObject(), X.HostileEverything(),
            X.BaseExceptionObject(), X.HostileClass, X.big_boom]


@pytest.mark.parametrize("q", ALL, ids=[q.id for q in ALL])
def test_hostile_objects_in_the_learners_names_never_make_check_raise(q):
    base = _answer_ns(q, q.solution_code)
    for name in q.answers:
        for hostile in _hostiles():
            assert isinstance(E.describe(hostile), str)
            r = q.check(ns={**base, name: hostile})  # must return, not raise
            assert isinstance(r, E.Result) and r.outcome == E.INCORRECT and r.message, (name, r)


# --------------------------------------------------------------------------- a time limit


_LOOPS = {
    "03.1": "def one_hot_mae(y_true, y_pred):\n    while True:\n        pass",
    "05.2": "def split_shuffled(x, y, fraction, seed):\n    n = 0\n    while n >= 0:\n        n += 1",
    "03.2": ("class PowerLoss(keras.losses.Loss):\n"
             "    def __init__(self, power=2.0, name='power_loss', **kwargs):\n"
             "        super().__init__(name=name, **kwargs)\n"
             "        self.power = power\n"
             "    def call(self, y_true, y_pred):\n"
             "        while True:\n"
             "            pass\n"
             "    def get_config(self):\n"
             "        return {**super().get_config(), 'power': self.power}"),
    "03.3": ("class ClassRecall(keras.metrics.Metric):\n"
             "    def __init__(self, class_id, name='class_recall', **kwargs):\n"
             "        super().__init__(name=name, **kwargs)\n"
             "        self.class_id = class_id\n"
             "    def update_state(self, y_true, y_pred, sample_weight=None):\n"
             "        while True:\n"
             "            try:\n"
             "                pass\n"
             "            except Exception:\n"
             "                pass\n"
             "    def result(self):\n"
             "        return 0.0"),
    "07.1": ("class FullBatches(keras.utils.PyDataset):\n"
             "    def __init__(self, x, y, batch_size, **kwargs):\n"
             "        super().__init__(**kwargs)\n"
             "        self.x, self.y, self.batch_size = x, y, batch_size\n"
             "    def __len__(self):\n"
             "        n = 0\n"
             "        while n * self.batch_size != len(self.x) + 1:\n"
             "            n += 1\n"
             "        return n\n"
             "    def __getitem__(self, idx):\n"
             "        return self.x[:1], self.y[:1]"),
    "10.3": ("class StopAtAccuracy(keras.callbacks.Callback):\n"
             "    def __init__(self, target):\n"
             "        super().__init__()\n"
             "        self.target = target\n"
             "    def on_epoch_end(self, epoch, logs=None):\n"
             "        while not self.model.stop_training:\n"
             "            pass"),
    "11.4": ("class LinearWarmup(keras.callbacks.Callback):\n"
             "    def __init__(self, target, warmup_steps):\n"
             "        super().__init__()\n"
             "        self.target, self.warmup_steps = target, warmup_steps\n"
             "    def on_train_batch_begin(self, batch, logs=None):\n"
             "        while True:\n"
             "            pass"),
}


@pytest.mark.parametrize("qid", sorted(_LOOPS))
def test_an_answer_that_never_ends_is_stopped(qid, monkeypatch):
    import time
    q = BY_ID[qid]
    ns = _answer_ns(q, _LOOPS[qid])
    monkeypatch.setenv("KITLIB_CHECK_TIMEOUT", "1")
    t0 = time.monotonic()
    r = q.check(ns=ns)
    assert time.monotonic() - t0 < 20
    assert r.outcome == E.INCORRECT and "ran for more than 1 s without finishing" in r.message, str(r)


# --------------------------------------------------------------------------- mixed precision


@pytest.mark.parametrize("q", ALL, ids=[q.id for q in ALL])
def test_right_answers_stay_right_after_the_learner_switched_to_mixed_precision(q):
    """A learner who ran `set_global_policy("mixed_float16")` (the guide's performance tip)
    before answering: the reference solution and every other correct form still check
    correct, and the learner's policy is still set afterwards."""
    import keras
    before = keras.config.dtype_policy()
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        for code in (q.solution_code, *A.alternatives(q)):
            r = E.run_code(q, code)
            assert r.outcome == E.CORRECT, f"under mixed_float16:\n{code}\n{r}"
            assert keras.config.dtype_policy().name == "mixed_float16"
    finally:
        keras.config.set_dtype_policy(before)
