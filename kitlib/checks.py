"""Run a line of old (Keras 2 era) code and show what it does now.

    out = attempt(lambda: model.fit(dataset, validation_split=0.2))
    # prints: raises ValueError: Argument `validation_split` is only supported ...
    kit.claim("validation_split with a Dataset is refused", out.raised, "ValueError")

``attempt`` never lets the error escape (the notebook goes on); it prints the error
type and message (shortened), or the warnings the call emitted, and returns them.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable

from kitlib import _validate as V

__all__ = ["Attempt", "attempt", "plain_text", "shorten"]

_ANSI_RE = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-_]?")
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def plain_text(text: str) -> str:
    """*text* without ANSI escape codes or other control characters, lines right-stripped,
    runs of blank lines squeezed to one."""
    text = _ANSI_RE.sub("", str(text).replace("\r\n", "\n"))
    text = _CONTROL_RE.sub("", text.replace("\r", "\n"))
    text = "\n".join(line.rstrip() for line in text.split("\n"))
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def shorten(text: str, limit: int = 300) -> str:
    """*text* on one line (plain: see :func:`plain_text`), cut at *limit* characters with an ellipsis."""
    V.integer(limit, "limit", low=10)
    one = " ".join(plain_text(text).split())
    return one if len(one) <= limit else one[: limit - 1] + "…"


@dataclass
class Attempt:
    """The outcome of ``attempt``: the value, or the error; and the warnings emitted."""

    value: Any = None
    error: BaseException | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def raised(self) -> str | None:
        """The error's class name (e.g. ``"TypeError"``), or None if the call returned."""
        return type(self.error).__name__ if self.error is not None else None

    @property
    def message(self) -> str:
        return str(self.error) if self.error is not None else ""

    def warned(self, text: str) -> bool:
        """Whether any warning contains *text* (case-insensitive)."""
        return any(text.lower() in w.lower() for w in self.warnings)

    def count(self, text: str) -> int:
        """How many of the warnings contain *text* (case-insensitive): evidence a claim can
        print ("warnings about X: 0") where ``warned`` would print a bare False."""
        return sum(text.lower() in w.lower() for w in self.warnings)


def attempt(fn: Callable[[], Any], *, show: bool = True, limit: int = 300) -> Attempt:
    """Call ``fn()`` (a lambda around the code to try), catching any error and recording
    every warning. Prints ``raises Type: message`` or ``runs`` plus each distinct warning
    (shortened to *limit* characters) unless ``show=False``."""
    if not callable(fn):
        raise TypeError("attempt() takes a function to call, e.g. attempt(lambda: model.fit(...))")
    out = Attempt()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            out.value = fn()
        except Exception as exc:  # the point is to show it
            out.error = exc
    seen: list[str] = []
    for w in caught:
        text = f"{w.category.__name__}: {w.message}"
        if text not in seen:
            seen.append(text)
    out.warnings = seen
    if show:
        if out.error is not None:
            print(f"raises {out.raised}: {shorten(out.message, limit)}")
        else:
            print("runs" + (" (no warning)" if not seen else ""))
        for text in seen:
            print(f"  warns {shorten(text, limit)}")
    return out
