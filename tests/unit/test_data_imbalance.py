"""kitlib.data.imbalanced_subset and class_counts: one class made rare, with clear errors."""

from __future__ import annotations

import numpy as np
import pytest

from kitlib import data


@pytest.fixture
def labelled():
    y = np.repeat(np.arange(4), 50)  # 50 samples of each of 4 classes
    x = np.arange(200 * 3, dtype=np.float32).reshape(200, 3)
    return x, y


def test_keeps_every_other_sample_and_a_fraction_of_the_rare_class(labelled):
    x, y = labelled
    xs, ys = data.imbalanced_subset(x, y, rare_class=2, fraction=0.1, seed=0)
    assert data.class_counts(ys, 4).tolist() == [50, 50, 5, 50]
    assert xs.shape == (155, 3) and xs.dtype == np.float32
    # rows travel with their labels and keep the original order
    rows = xs[:, 0].astype(int) // 3
    assert np.array_equal(y[rows], ys) and np.all(np.diff(rows) > 0)


def test_the_choice_is_seeded_and_copies_the_arrays(labelled):
    x, y = labelled
    a = data.imbalanced_subset(x, y, 1, 0.2, seed=3)
    b = data.imbalanced_subset(x, y, 1, 0.2, seed=3)
    c = data.imbalanced_subset(x, y, 1, 0.2, seed=4)
    assert np.array_equal(a[0], b[0]) and not np.array_equal(a[0], c[0])
    a[0][:] = -1
    assert x.min() >= 0  # the input was not modified


def test_float_labels_one_hot_and_tiny_fractions(labelled):
    x, y = labelled
    xs, ys = data.imbalanced_subset(x, y.astype("float32"), rare_class=3, fraction=1e-6)
    assert ys.dtype == np.float32 and int((ys == 3).sum()) == 1  # at least one sample is kept
    one_hot = np.eye(4, dtype="float32")[y]
    _, yh = data.imbalanced_subset(x, one_hot, rare_class=0, fraction=0.5)
    assert yh.shape[1] == 4 and data.class_counts(yh).tolist() == [25, 50, 50, 50]
    _, y_all = data.imbalanced_subset(x, y, rare_class=0, fraction=1)
    assert len(y_all) == 200


@pytest.mark.parametrize("fraction, err", [(0, ValueError), (-0.1, ValueError), (1.5, ValueError),
                                           (True, TypeError), ("0.1", TypeError), (float("nan"), ValueError)])
def test_bad_fraction_names_the_valid_range(labelled, fraction, err):
    x, y = labelled
    with pytest.raises(err, match=r"fraction.*\(0, 1\]"):
        data.imbalanced_subset(x, y, rare_class=1, fraction=fraction)


def test_bad_rare_class_lists_the_classes_present(labelled):
    x, y = labelled
    with pytest.raises(ValueError, match=r"rare_class=7 does not occur.*\[0, 1, 2, 3\]"):
        data.imbalanced_subset(x, y, rare_class=7, fraction=0.1)
    with pytest.raises(TypeError, match="int class id"):
        data.imbalanced_subset(x, y, rare_class="5", fraction=0.1)
    with pytest.raises(TypeError, match="int class id"):
        data.imbalanced_subset(x, y, rare_class=2.0, fraction=0.1)


def test_mismatched_or_non_integer_labels_are_refused(labelled):
    x, y = labelled
    with pytest.raises(ValueError, match="x has 199 samples but y has 200"):
        data.imbalanced_subset(x[:-1], y, rare_class=1, fraction=0.1)
    with pytest.raises(ValueError, match="non-integer"):
        data.imbalanced_subset(x, y + 0.5, rare_class=1, fraction=0.1)
    with pytest.raises(TypeError, match="integer class ids"):
        data.imbalanced_subset(x, y.astype(str), rare_class=1, fraction=0.1)


def test_class_counts():
    assert data.class_counts([0, 2, 2, 5]).tolist() == [1, 0, 2, 0, 0, 1]
    assert data.class_counts(np.array([1.0, 1.0]), num_classes=3).tolist() == [0, 2, 0]
    with pytest.raises(ValueError, match="num_classes=3"):
        data.class_counts([0, 3], num_classes=3)
    with pytest.raises(ValueError, match=">= 0"):
        data.class_counts([-1, 0])
