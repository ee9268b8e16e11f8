"""kitlib.pipeline: BatchSpy (which samples each batch held), EpochTimer, sample files."""

from __future__ import annotations

import csv
import statistics

import keras
import numpy as np
import pytest
import tensorflow as tf

from kitlib import pipeline


def numbered(n):
    return tf.data.Dataset.range(n).map(lambda i: (tf.cast([i], "float32"), 0.0))


def test_spy_records_train_validation_evaluate_and_predict_batches():
    spy = pipeline.BatchSpy()
    model = spy.model()
    model.fit(numbered(12).batch(4), epochs=2, validation_data=numbered(7).batch(4),
              callbacks=[spy], verbose=0, shuffle=False)
    assert spy.train == [[(0, 1, 2, 3), (4, 5, 6, 7), (8, 9, 10, 11)]] * 2
    assert spy.val == [[(0, 1, 2, 3), (4, 5, 6)]] * 2
    assert spy.batches(4) == [[0, 1, 2]] * 2 and spy.batches(4, "val") == [[0, 1]] * 2
    assert spy.samples() == [list(range(12))] * 2
    assert spy.report(4).splitlines() == ["epoch 1: trained on 0 1 2 | validated on 0 1",
                                          "epoch 2: trained on 0 1 2 | validated on 0 1"]
    assert "[0,1,2,3]" in spy.report()
    model.evaluate(numbered(5).batch(2), callbacks=[spy], verbose=0)
    assert spy.evaluated == [(0, 1), (2, 3), (4,)]
    model.predict(numbered(3).batch(2), callbacks=[spy], verbose=0)
    assert spy.predicted == [(0, 1), (2,)]
    assert spy.train == [[(0, 1, 2, 3), (4, 5, 6, 7), (8, 9, 10, 11)]] * 2  # untouched by evaluate


def test_spy_model_never_learns_and_a_new_fit_starts_a_new_record():
    spy = pipeline.BatchSpy()
    model = spy.model()
    before = [w.copy() for w in model.get_weights()]
    model.fit(numbered(8).batch(4), epochs=1, callbacks=[spy], verbose=0)
    assert all(np.array_equal(a, b) for a, b in zip(before, model.get_weights()))
    model.fit(numbered(4).batch(4), epochs=1, callbacks=[spy], verbose=0)
    assert spy.train == [[(0, 1, 2, 3)]]


def test_spy_misuse_is_explained():
    spy = pipeline.BatchSpy()
    model = spy.model()
    with pytest.raises(RuntimeError, match="callbacks=\\[spy\\]"):
        model.fit(numbered(4).batch(2), epochs=1, verbose=0)
    with pytest.raises(ValueError, match="features"):
        spy.model(features=0)
    with pytest.raises(ValueError, match="batch_size"):
        spy.batches(0)
    with pytest.raises(ValueError, match="which"):
        spy.samples("test")
    assert "no epoch recorded" in pipeline.BatchSpy().report()


def test_epoch_timer_counts_steps_and_seconds():
    timer = pipeline.EpochTimer()
    with pytest.raises(RuntimeError, match="no epoch timed"):
        timer.steady()
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse", steps_per_execution=2)
    model.fit(numbered(24).batch(4), epochs=3, callbacks=[timer], verbose=0, shuffle=False)
    assert timer.steps == [6, 6, 6] and len(timer.seconds) == 3
    assert all(s > 0 for s in timer.seconds)
    assert timer.steady() == statistics.median(timer.seconds[1:])
    model.fit(numbered(8).batch(4), epochs=1, callbacks=[timer], verbose=0, shuffle=False)
    assert timer.steps == [2] and timer.steady() == timer.seconds[0]


def test_write_samples_npy_and_png(tmp_path):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (12, 28, 28), dtype=np.uint8)
    labels = np.arange(12) % 10
    (tmp_path / "npy").mkdir()
    paths, out_labels = pipeline.write_samples(tmp_path / "npy", images, labels)
    assert len(paths) == 12 and paths[0].endswith("00000.npy")
    assert np.array_equal(np.load(paths[5]), images[5]) and np.array_equal(out_labels, labels)
    with open(tmp_path / "npy" / "labels.csv") as f:
        rows = list(csv.DictReader(f))
    assert rows[3] == {"file": "00003.npy", "label": "3"}
    (tmp_path / "png").mkdir()
    png_paths, _ = pipeline.write_samples(tmp_path / "png", images, labels, fmt="png")
    assert np.array_equal(pipeline.read_png(png_paths[7]), images[7])
    (tmp_path / "rgb").mkdir()
    rgb = rng.integers(0, 256, (2, 8, 8, 3), dtype=np.uint8)
    rgb_paths, _ = pipeline.write_samples(tmp_path / "rgb", rgb, [0, 1], fmt="png")
    assert np.array_equal(pipeline.read_png(rgb_paths[1]), rgb[1])


def test_write_samples_never_overwrites_and_checks_its_input(tmp_path):
    images = np.zeros((3, 4, 4), np.uint8)
    pipeline.write_samples(tmp_path, images, [0, 1, 2])
    stamp = (tmp_path / "00000.npy").stat().st_mtime_ns
    with pytest.raises(FileExistsError, match="not overwriting.*fresh_dir"):
        pipeline.write_samples(tmp_path, images, [0, 1, 2])
    assert (tmp_path / "00000.npy").stat().st_mtime_ns == stamp
    with pytest.raises(FileNotFoundError, match="not a folder"):
        pipeline.write_samples(tmp_path / "missing", images, [0, 1, 2])
    other = tmp_path / "o"
    other.mkdir()
    with pytest.raises(ValueError, match="one label per image"):
        pipeline.write_samples(other, images, [0, 1])
    with pytest.raises(ValueError, match="fmt"):
        pipeline.write_samples(other, images, [0, 1, 2], fmt="jpg")
    with pytest.raises(TypeError, match="uint8"):
        pipeline.write_samples(other, images.astype("float32"), [0, 1, 2], fmt="png")
    with pytest.raises(ValueError, match="no images"):
        pipeline.write_samples(other, images[:0], [])
    assert list(other.iterdir()) == []
