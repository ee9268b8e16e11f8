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


def test_probe_reports_the_kernels_own_peak_not_its_parents():
    """A kernel started by a big process (a pytest worker with TensorFlow loaded) must not
    report the parent's peak RSS as its own (ru_maxrss is inherited across vfork + exec)."""
    import json
    import subprocess
    import sys

    import numpy as np

    import nbharness as H

    ballast = np.ones(64 * 2**20, dtype=np.uint8)  # 64 MB resident in this (parent) process
    out = subprocess.run([sys.executable, "-c", H._PROBE_SOURCE], capture_output=True, text=True, check=True)
    del ballast
    line = next(x for x in out.stdout.splitlines() if x.startswith(H._PROBE_MARK))
    probe = json.loads(line[len(H._PROBE_MARK):])
    assert probe["executable"] == sys.executable
    import resource
    parent_peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    assert 1_000 < probe["peak_rss_kb"] < 64 * 1024 < parent_peak_kb  # a bare interpreter: ~10 MB
