"""One way for kitlib's public functions to check their arguments.

- a wrong *type* raises ``TypeError``, a wrong *value* ``ValueError``;
- every message names the argument, says what is allowed and shows the value, e.g.
  ``seed=-1 is out of range: seed must be a non-negative int (>= 0)`` or
  ``port must be an int in 1024..65535, got '6006' (a str)``;
- ``hint`` adds what to do (``"or None for a free port"``).

``bool`` is never accepted as a number (``True`` is an ``int`` in Python, but ``epochs=True``
is a mistake), NumPy integers and floats are.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

__all__ = ["integer", "number", "boolean", "one_of", "describe_range"]


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _type_name(value: Any) -> str:
    name = type(value).__name__
    return f"{'an' if name[:1].lower() in 'aeiou' else 'a'} {name}"


def _fmt(x) -> str:
    if isinstance(x, (int, np.integer)) or (isinstance(x, float) and x.is_integer() and abs(x) < 1e15):
        return str(int(x))
    return repr(float(x))


def describe_range(kind: str, low=None, high=None, *, low_open: bool = False, high_open: bool = False,
                   what: str | None = None) -> str:
    """Words for what is allowed: ``a positive int (>= 1)``, ``an int in 1024..65535``,
    ``a number in (0, 1]``, ``a fraction in (0, 1]`` (with ``what="a fraction"``)."""
    if kind == "int":
        if low is not None and high is not None:
            return f"{what or 'an int'} in {_fmt(low)}..{_fmt(high)}"
        if what is None and low == 0 and high is None:
            return "a non-negative int (>= 0)"
        if what is None and low == 1 and high is None:
            return "a positive int (>= 1)"
        base = what or "an int"
    else:
        base = what or "a number"
        if low is not None and high is not None:
            return (f"{base} in {'(' if low_open else '['}{_fmt(low)}, {_fmt(high)}"
                    f"{')' if high_open else ']'}")
    if low is not None:
        return f"{base} {'>' if low_open else '>='} {_fmt(low)}"
    if high is not None:
        return f"{base} {'<' if high_open else '<='} {_fmt(high)}"
    return base


def _suffix(hint: str) -> str:
    return f"; {hint}" if hint else ""


def _in_range(v: float, low, high, low_open: bool, high_open: bool) -> bool:
    if low is not None and (v < low or (low_open and v == low)):
        return False
    if high is not None and (v > high or (high_open and v == high)):
        return False
    return True


def _wrong_type(name: str, allowed: str, value, hint: str) -> TypeError:
    return TypeError(f"{name} must be {allowed}, got {_shown(value)} ({_type_name(value)}){_suffix(hint)}")


def _wrong_value(name: str, allowed: str, value, hint: str, problem: str = "is out of range") -> ValueError:
    return ValueError(f"{name}={_shown(value)} {problem}: {name} must be {allowed}{_suffix(hint)}")


def integer(value, name: str, *, low=None, high=None, what: str | None = None, hint: str = "") -> int:
    """*value* as an ``int``; TypeError unless it is an int (NumPy ints too, never bool),
    ValueError unless ``low <= value <= high``. *what* names the kind of number
    (``"a class id"``), *hint* adds what to do."""
    allowed = describe_range("int", low, high, what=what)
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise _wrong_type(name, allowed, value, hint)
    if not _in_range(int(value), low, high, False, False):
        raise _wrong_value(name, allowed, value, hint)
    return int(value)


def number(value, name: str, *, low=None, high=None, low_open: bool = False, high_open: bool = False,
           what: str | None = None, hint: str = "") -> float:
    """*value* as a finite ``float``; TypeError unless it is a real number (never bool),
    ValueError if it is NaN, infinite or outside the range (``low_open``: ``> low``)."""
    allowed = describe_range("float", low, high, low_open=low_open, high_open=high_open, what=what)
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise _wrong_type(name, allowed, value, hint)
    v = float(value)
    if not math.isfinite(v):
        raise _wrong_value(name, allowed, value, hint, problem="is not finite")
    if not _in_range(v, low, high, low_open, high_open):
        raise _wrong_value(name, allowed, value, hint)
    return v


def boolean(value, name: str, *, hint: str = "") -> bool:
    """*value* as a ``bool``; TypeError unless it is True or False (NumPy bools too)."""
    if not isinstance(value, (bool, np.bool_)):
        raise _wrong_type(name, "True or False", value, hint)
    return bool(value)


def one_of(value, name: str, choices, *, hint: str = ""):
    """*value* if it is one of *choices*; ValueError naming the choices otherwise."""
    choices = tuple(choices)
    try:
        ok = value in choices
    except TypeError:
        ok = False
    if not ok:
        raise _wrong_value(name, f"one of {', '.join(map(repr, choices))}", value, hint, problem="is not allowed")
    return value
