"""kitlib.data.multi_io_data: small, seeded, float32, learnable targets."""

from __future__ import annotations

import numpy as np
import pytest

from kitlib import data


def test_shapes_dtypes_and_one_hot_classes():
    d = data.multi_io_data(50, seed=1)
    assert d.images.shape == (50, 32, 32, 3) and d.timeseries.shape == (50, 20, 10)
    assert d.scores.shape == (50, 1) and d.classes.shape == (50, 5)
    assert all(a.dtype == np.float32 for a in d)
    assert np.array_equal(d.classes.sum(axis=1), np.ones(50))
    assert d.class_ids.shape == (50,) and set(d.class_ids.tolist()) <= set(range(5))
    assert d.images.min() >= 0 and d.images.max() <= 1


def test_targets_follow_the_inputs():
    d = data.multi_io_data(200, seed=0)
    # the score is the image's brightness offset: it explains the image mean
    corr = np.corrcoef(d.images.mean(axis=(1, 2, 3)), d.scores[:, 0])[0, 1]
    assert corr > 0.99
    # the class shows as the raised feature of the time series
    assert np.array_equal(d.timeseries[:, :, :5].mean(axis=1).argmax(axis=1), d.class_ids)


def test_seeded_and_sized():
    a, b, c = data.multi_io_data(10, 3), data.multi_io_data(10, 3), data.multi_io_data(10, 4)
    assert all(np.array_equal(u, v) for u, v in zip(a, b))
    assert not np.array_equal(a.images, c.images)
    d = data.multi_io_data(8, timesteps=7, num_classes=3)
    assert d.timeseries.shape == (8, 7, 10) and d.classes.shape == (8, 3)
    assert data.multi_io_data(100).images.nbytes < 1.3e6


@pytest.mark.parametrize("kwargs, err, match", [
    ({"n": 0}, ValueError, "n must be an int >= 1"),
    ({"n": 2.5}, TypeError, "n must be an int"),
    ({"timesteps": 2}, ValueError, "timesteps must be an int >= 3"),
    ({"num_classes": 1}, ValueError, "num_classes must be an int >= 2"),
    ({"num_classes": 11}, ValueError, "at most 10 classes"),
    ({"seed": -1}, ValueError, "seed must be a non-negative int"),
    ({"seed": True}, TypeError, "seed must be a non-negative int"),
])
def test_bad_arguments(kwargs, err, match):
    with pytest.raises(err, match=match):
        data.multi_io_data(**kwargs)
