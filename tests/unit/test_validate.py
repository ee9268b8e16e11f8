"""kitlib._validate: one way to check arguments (TypeError for a type, ValueError for a value)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from kitlib import _validate as V


def test_integers():
    assert V.integer(np.int64(3), "n", low=1) == 3 and type(V.integer(np.int64(3), "n")) is int
    with pytest.raises(TypeError, match=r"^n must be a positive int \(>= 1\), got True \(a bool\)$"):
        V.integer(True, "n", low=1)
    with pytest.raises(TypeError, match=r"^n must be a positive int \(>= 1\), got 2.0 \(a float\)$"):
        V.integer(2.0, "n", low=1)
    with pytest.raises(ValueError, match=r"^seed=-1 is out of range: seed must be a non-negative int \(>= 0\)$"):
        V.integer(-1, "seed", low=0)
    with pytest.raises(ValueError, match=r"^port=80 is out of range: port must be an int in 1024..65535; or None for a free port$"):
        V.integer(80, "port", low=1024, high=65535, hint="or None for a free port")
    with pytest.raises(ValueError, match=r"^cls=10 is out of range: cls must be a class id in 0..9$"):
        V.integer(10, "cls", low=0, high=9, what="a class id")


def test_numbers():
    assert V.number(np.float32(0.5), "keep", low=0, high=1, low_open=True) == 0.5
    with pytest.raises(TypeError, match=r"^keep must be a number in \(0, 1\], got '0.5' \(a str\)$"):
        V.number("0.5", "keep", low=0, high=1, low_open=True)
    with pytest.raises(ValueError, match=r"^keep=0 is out of range: keep must be a number in \(0, 1\]$"):
        V.number(0, "keep", low=0, high=1, low_open=True)
    with pytest.raises(ValueError, match=r"^rate=1.0 is out of range: rate must be a number < 1$"):
        V.number(1.0, "rate", high=1, high_open=True)
    for bad in (math.nan, math.inf, -math.inf):
        with pytest.raises(ValueError, match=r"^x=.* is not finite: x must be a number >= 0$"):
            V.number(bad, "x", low=0)
    with pytest.raises(TypeError, match="got False"):
        V.number(False, "x")


def test_booleans_and_choices():
    assert V.boolean(np.bool_(True), "smoke") is True
    with pytest.raises(TypeError, match=r"^smoke must be True or False, got 'yes' \(a str\)$"):
        V.boolean("yes", "smoke")
    assert V.one_of("a", "mode", ("a", "b")) == "a"
    with pytest.raises(ValueError, match=r"^mode='c' is not allowed: mode must be one of 'a', 'b'$"):
        V.one_of("c", "mode", ("a", "b"))
    with pytest.raises(ValueError, match="mode must be one of"):
        V.one_of([], "mode", ("a", "b"))  # unhashable is just another wrong value


def test_no_public_function_validates_by_hand_any_more():
    """The two hand-written styles are gone: every `isinstance(v, bool) or not isinstance(...)`
    check of an argument goes through kitlib._validate (exercise checks grade a learner's
    values and raise Incorrect, so they are not argument checks)."""
    import re
    from pathlib import Path
    root = Path(V.__file__).parent
    pattern = re.compile(r"isinstance\(\w+, bool\) or not isinstance")
    found = [f"{p.relative_to(root)}:{i}" for p in root.rglob("*.py") if p.name != "_validate.py"
             and not re.match(r"nb\d\d\.py", p.name)
             for i, line in enumerate(p.read_text().splitlines(), 1) if pattern.search(line)]
    assert found == []
