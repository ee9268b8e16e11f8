"""Test data of the exercise catalogue, one module per ``kitlib/exercises/nbNN.py``.

``nbNN.qK = dict(wrong=(Wrong(...), ...), alternatives=("code", ...))``: realistic wrong
answers (code, a substring of the message the check must give, the kind of mistake) and
other correct forms of exercise NN.K. They live with the tests, not in the package that
learners import: they are what the checks are tested against, and several are one edit
away from the reference solution.
"""

from __future__ import annotations

import importlib

from kitlib.exercises import Exercise, Wrong


def _entry(q: Exercise) -> dict:
    module = importlib.import_module(f"{__name__}.nb{q.id[:2]}")
    entry = getattr(module, q.name, None)
    if entry is None:
        raise LookupError(f"{q.id}: add `{q.name} = dict(wrong=(...), alternatives=(...))` to "
                          f"tests/exercises/answers/nb{q.id[:2]}.py")
    unknown = set(entry) - {"wrong", "alternatives"}
    if unknown:
        raise ValueError(f"{q.id}: tests/exercises/answers/nb{q.id[:2]}.py gives unknown keys {sorted(unknown)}")
    return entry


def wrong(q: Exercise) -> tuple[Wrong, ...]:
    """The declared wrong answers of *q*."""
    items = tuple(_entry(q).get("wrong", ()))
    if not all(isinstance(w, Wrong) for w in items):
        raise TypeError(f"{q.id}: wrong= takes Wrong(code, expect, kind=...) items")
    return items


def alternatives(q: Exercise) -> tuple[str, ...]:
    """Other correct answers of *q* (code)."""
    items = tuple(_entry(q).get("alternatives", ()))
    if not all(isinstance(a, str) and a.strip() for a in items):
        raise TypeError(f"{q.id}: alternatives= takes other correct answers as code strings")
    return items
