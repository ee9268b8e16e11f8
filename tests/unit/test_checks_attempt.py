"""kitlib.checks.attempt: show what old code does now (error or warnings), never raise."""

from __future__ import annotations

import warnings

import pytest

from kitlib import checks


def test_error_is_caught_printed_and_returned(capsys):
    out = checks.attempt(lambda: {}["missing"])
    assert out.raised == "KeyError" and isinstance(out.error, KeyError) and out.value is None
    assert capsys.readouterr().out.startswith("raises KeyError: 'missing'")


def test_value_and_warnings_are_recorded_once_each(capsys):
    def noisy():
        for _ in range(3):
            warnings.warn("Gradients do not exist for x", UserWarning)
        warnings.warn("other", DeprecationWarning)
        return 42

    out = checks.attempt(noisy)
    assert out.value == 42 and out.raised is None and out.message == ""
    assert out.warnings == ["UserWarning: Gradients do not exist for x", "DeprecationWarning: other"]
    assert out.warned("gradients do NOT exist") and not out.warned("shuffle")
    assert (out.count("GRADIENTS"), out.count("shuffle"), out.count("")) == (1, 0, 2)
    text = capsys.readouterr().out.splitlines()
    assert text[0] == "runs" and len(text) == 3


def test_quiet_mode_and_long_messages(capsys):
    out = checks.attempt(lambda: 1, show=False)
    assert out.value == 1 and capsys.readouterr().out == ""
    checks.attempt(lambda: (_ for _ in ()).throw(ValueError("x" * 1000)), limit=50)
    line = capsys.readouterr().out.strip()
    assert len(line) == len("raises ValueError: ") + 50 and line.endswith("…")
    assert checks.attempt(lambda: None).warnings == []


def test_shorten_and_bad_input():
    assert checks.shorten("a\n  b   c") == "a b c"
    assert checks.shorten("abcdefghijklmnop", limit=10) == "abcdefghi…"
    assert checks.shorten("\x1b[1mValueError\x1b[0m: bad\r\n") == "ValueError: bad"  # Keras' colours
    with pytest.raises(ValueError, match="limit"):
        checks.shorten("x", limit=3)
    with pytest.raises(TypeError, match="lambda"):
        checks.attempt("model.fit()")
