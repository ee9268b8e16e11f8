"""tests/nbharness.compare: how recorded metrics are held against baselines."""

from __future__ import annotations

import nbharness as H


def test_numbers_within_tolerance_pass_and_outside_fail():
    assert H.compare({"a": 1.0, "b": [0.5, 0.25]}, {"a": 1.0004, "b": [0.5, 0.25]}, 1e-3, 0) == []
    problems = H.compare({"a": 1.0}, {"a": 1.1}, 1e-3, 1e-4, "nb")
    assert problems and "nb.a" in problems[0] and "differs from baseline" in problems[0]


def test_missing_and_new_metrics_are_reported():
    problems = H.compare({"a": 1, "b": 2}, {"a": 1, "c": 3}, 0, 0, "nb")
    assert any("nb.b: missing" in p for p in problems)
    assert any("nb.c: new metric" in p for p in problems)


def test_nan_matches_only_nan():
    nan = float("nan")
    assert H.compare({"x": nan}, {"x": nan}, 0, 0) == []
    assert H.compare({"x": nan}, {"x": 1.0}, 0, 0)
    assert H.compare({"x": 1.0}, {"x": nan}, 0, 0)


def test_lists_must_keep_their_length_and_strings_match_exactly():
    assert H.compare([1, 2], [1, 2, 3], 0, 0)
    assert H.compare({"s": "adam"}, {"s": "sgd"}, 0, 0)
