"""The Keras 3 behaviours that the exercises of notebooks 10-13 state in their messages, or use
as the truth their checks compare with, measured on Keras itself."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import keras
import tensorflow as tf

from kitlib import tb
from kitlib.exercises import nb10, nb12, nb13, tiny_data, tiny_model


def _compiled(metrics=("sparse_categorical_accuracy",), optimizer=None):
    model = tiny_model()
    model.compile(optimizer=optimizer or keras.optimizers.RMSprop(1e-2), loss="sparse_categorical_crossentropy",
                  metrics=[keras.metrics.SparseCategoricalAccuracy()] if metrics else None, run_eagerly=True)
    return model


# --------------------------------------------------------------------------- 10


def test_early_stopping_on_a_name_the_model_does_not_log():
    """10.1: with mode='auto' an unknown name raises after epoch 1; with mode='max' it warns and never stops."""
    x, y = tiny_data(32)
    with pytest.raises(ValueError, match="isn't able to automatically determine"):
        _compiled().fit(x, y, epochs=2, verbose=0, validation_data=(x, y),
                        callbacks=[keras.callbacks.EarlyStopping(monitor="val_accuracy", patience=0)])
    with pytest.warns(UserWarning, match="Early stopping conditioned on metric `val_accuracy` which is not available"):
        history = _compiled().fit(x, y, epochs=3, verbose=0, validation_data=(x, y), callbacks=[
            keras.callbacks.EarlyStopping(monitor="val_accuracy", mode="max", patience=0)])
    assert len(history.epoch) == 3


def test_early_stopping_restores_the_best_weights_even_without_stopping():
    """10.4's message: Keras 3 restores at the end of fit(), stopped early or not."""
    assert nb10._keras_outcome([0.9, 0.7, 0.75, 0.8], 0.0, 3) == (4, 1)
    assert nb10._keras_outcome([0.50, 0.40, 0.395, 0.39, 0.41, 0.42], 0.02, 2) == (4, 1)


def test_every_case_of_exercise_10_4_needs_its_own_rule():
    """Each run of 10.4 is there to catch a different mistake: their outcomes differ from the
    naive answers (lowest loss; last epoch when it never stops)."""
    for losses, min_delta, patience, _ in nb10.CASES:
        runs, restored = nb10._keras_outcome(losses, min_delta, patience)
        assert 1 <= runs <= len(losses) and 0 <= restored < runs
    outcomes = [nb10._keras_outcome(*case[:3]) for case in nb10.CASES]
    assert any(r != int(np.argmin(c[0])) for (_, r), c in zip(outcomes, nb10.CASES))
    assert any(n == len(c[0]) and r != n - 1 for (n, r), c in zip(outcomes, nb10.CASES))


# --------------------------------------------------------------------------- 11


def test_assigning_optimizer_lr_silently_does_nothing():
    """11.3's message: `optimizer.lr = v` only adds an attribute; `keras.backend.set_value` is gone."""
    optimizer = keras.optimizers.RMSprop(learning_rate=0.01)
    optimizer.lr = 0.5
    assert float(optimizer.learning_rate) == pytest.approx(0.01)
    assert not hasattr(keras.backend, "set_value")
    scheduled = keras.optimizers.RMSprop(keras.optimizers.schedules.ExponentialDecay(0.1, 10, 0.5))
    with pytest.raises(TypeError, match="not settable"):
        scheduled.learning_rate = 0.01


# --------------------------------------------------------------------------- 12


@pytest.mark.parametrize("steps, update_freq, epochs", [(6, 4, 4), (5, 10, 4)])
def test_the_rule_of_exercise_12_2_is_what_the_tensorboard_callback_writes(tmp_path, steps, update_freq, epochs):
    x, y = tiny_data(8 * steps)
    _compiled().fit(x, y, batch_size=8, epochs=epochs, verbose=0,
                    callbacks=[keras.callbacks.TensorBoard(tmp_path, update_freq=update_freq)])
    logged = tb.read_scalars(tmp_path)["train"]["epoch_loss"].steps.tolist()
    assert logged == nb12.logged_epochs_rule(steps, epochs, update_freq)
    assert 0 < len(logged) < epochs  # some epochs written, some dropped


def test_a_summary_written_in_an_as_default_block_is_on_disk_when_the_block_ends(tmp_path):
    """12.3's solution and hint: leaving `with writer.as_default():` flushes the writer."""
    writer = tf.summary.create_file_writer(str(tmp_path))
    with writer.as_default():
        assert tf.summary.scalar("x", 1.5, step=0)
    assert tb.read_scalars(tmp_path)["."]["x"].values.tolist() == [1.5]
    assert not tf.summary.scalar("y", 2.0, step=0)  # outside the block: nothing written, no error


# --------------------------------------------------------------------------- 13


def test_a_metric_kept_as_a_model_attribute_is_tracked_and_reset_each_epoch():
    """13.2: an attribute metric appears in model.metrics, so fit() resets it every epoch."""
    class WithTracker(keras.Model):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.seen = keras.metrics.Sum(name="seen")

        def train_step(self, data):
            x, _ = data
            self.seen.update_state(tf.cast(tf.shape(x)[0], "float32"))
            return {"seen": self.seen.result()}

    base = tiny_model()
    model = WithTracker(base.inputs, base.outputs)
    model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy", run_eagerly=True)
    assert "seen" in [m.name for m in model.metrics]
    x, y = tiny_data(24)
    assert model.fit(x, y, batch_size=8, epochs=2, verbose=0).history["seen"] == [24.0, 24.0]


def test_the_four_clipping_choices_of_exercise_13_3_train_differently():
    """13.3 names the option a wrong answer reproduces: the four trainings must be distinguishable."""
    runs = {name: nb13._clip_reference(**option)[0] for name, option in
            [("clipnorm", dict(clipnorm=1.0)), ("global", dict(global_clipnorm=1.0)),
             ("clipvalue", dict(clipvalue=1.0)), ("none", {})]}
    names = list(runs)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            assert nb13._max_diff(runs[a], runs[b]) > 1e-4, (a, b)


def test_per_tensor_clip_by_norm_is_what_clipnorm_does():
    """13.3's reference solution equals RMSprop(clipnorm=1.0) (the check allows 1e-6)."""
    from kitlib.exercises import run_code
    result = run_code(nb13.q3, nb13.q3.solution_code)
    assert result.correct, str(result)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the check itself warns about nothing
        run_code(nb13.q3, nb13.q3.solution_code)
