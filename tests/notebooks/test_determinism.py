"""A rerun of 01 in full mode (fresh kernel, same seed) prints the same history."""

from __future__ import annotations

import math

import pytest

import nbharness as H


@pytest.mark.notebook
def test_full_mode_rerun_gives_same_history():
    nb = H.NOTEBOOK_DIR / "01_end_to_end.ipynb"
    first = H.execute(nb, "full", H.BUILD / "rerun" / "a")
    second = H.execute(nb, "full", H.BUILD / "rerun" / "b")
    h1, h2 = first.metrics["history"], second.metrics["history"]
    assert h1.keys() == h2.keys() and len(h1["loss"]) == 2
    for key in h1:
        for a, b in zip(h1[key], h2[key]):
            # same machine, same threads: identical up to float32 rounding of the logs
            assert math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-7), (key, h1[key], h2[key])
    assert first.metrics["test"] == pytest.approx(second.metrics["test"], rel=1e-6)
