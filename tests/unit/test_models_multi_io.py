"""kitlib.models.get_multi_io_model: the guide's two-input, two-output model."""

from __future__ import annotations

import keras
import pytest

from kitlib import data, models


def test_names_shapes_and_size():
    m = models.get_multi_io_model()
    assert [t.name for t in m.inputs] == ["img_input", "ts_input"]
    assert m.output_names == ["score_output", "class_output"]
    assert [tuple(o.shape) for o in m.outputs] == [(None, 1), (None, 5)]
    # Conv2D(3, 3) on 3 channels, Conv1D(3, 3) on 10 features, Dense(1) and Dense(5) on 6
    assert m.count_params() == (3 * 3 * 3 * 3 + 3) + (3 * 10 * 3 + 3) + (6 + 1) + (6 * 5 + 5) == 219
    assert not m.compiled


def test_runs_on_time_series_of_any_length():
    m = models.get_multi_io_model()
    d = data.multi_io_data(4, timesteps=9)
    score, logits = m.predict([d.images, d.timeseries], verbose=0)
    assert score.shape == (4, 1) and logits.shape == (4, 5)
    score2, _ = m.predict({"img_input": d.images, "ts_input": d.timeseries[:, :5]}, verbose=0)
    assert score2.shape == (4, 1)


def test_can_learn_the_synthetic_data():
    keras.utils.set_random_seed(0)
    m = models.get_multi_io_model()
    m.compile(optimizer=keras.optimizers.Adam(1e-2),
              loss=["mse", keras.losses.CategoricalCrossentropy(from_logits=True)])
    d = data.multi_io_data(256, seed=0)
    h = m.fit([d.images, d.timeseries], [d.scores, d.classes], epochs=8, batch_size=32, verbose=0)
    assert h.history["loss"][-1] < 0.8 * h.history["loss"][0]


def test_options_and_bad_arguments():
    m = models.get_multi_io_model(image_shape=(16, 16, 1), ts_features=4, num_classes=3, filters=2)
    assert [tuple(o.shape) for o in m.outputs] == [(None, 1), (None, 3)]
    for kwargs in ({"image_shape": (32, 32)}, {"image_shape": [32, 32, 3]}, {"image_shape": (2, 32, 3)}, {"image_shape": (32, 32, 0)},
                   {"ts_features": 0}):
        with pytest.raises(ValueError):
            models.get_multi_io_model(**kwargs)
    for kwargs in ({"num_classes": True}, {"filters": 1.5}):  # wrong types
        with pytest.raises(TypeError):
            models.get_multi_io_model(**kwargs)
