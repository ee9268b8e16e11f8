"""Classroom exercises: ``ex.q1.check()``, ``ex.q1.hint()``, ``ex.q1.solution()``.

A learner replaces the placeholder ``___`` in an answer cell, runs it, and runs the check
below it. ``check()`` reads the learner's variables by name from the notebook (the
caller's globals, or ``check(ns=...)``) and returns a :class:`Result` whose ``outcome`` is
one of

- ``"correct"``;
- ``"incorrect"``, with a message that teaches (what was found, what to compare);
- ``"not attempted"``: a ``___`` is still there (in a variable, or used by a function);
- ``"undefined"``: "define X first", a name the check needs does not exist yet.

``check()`` never raises for anything a learner can write: a wrong type, an exception in
the learner's function, ``___`` used inside a function, an object whose ``__iter__``,
``__eq__``, ``__repr__`` or ``__getattr__`` raise all become a Result (only Ctrl-C and
``exit()`` stop it). A check leaves no trace: Python's and NumPy's random streams, the
warning filters, Keras' settings (floatx, epsilon, image data format, dtype policy, global
seed and seed generator) and TensorFlow's (global seed, global generator, op determinism,
run_functions_eagerly) are put back as they were. Checks build their models in float32,
whatever dtype policy (mixed precision) the learner set. A check stops after
``$KITLIB_CHECK_TIMEOUT`` seconds (default 120; ``0`` turns the limit off) with a message
about loops that never end: in the main thread on Linux/macOS (a Jupyter kernel's cells
run there), and only in Python code (not inside one TensorFlow operation, nor in tf.data's
threads); elsewhere there is no limit. Errors are shown without ANSI colour codes, cut
at a line or sentence end with " …". Checks look
at the learner's *objects* (values, a function's output on a known input, a compiled
model's behaviour on a known batch), never at source text, and never ``eval`` strings.
``hint()`` gives the next hint (``hint(2)`` a given level); ``solution()`` shows the
reference code, which also sits in the notebook in a code cell tagged ``solution``
(``python -m kitlib student OUTDIR`` removes those cells).

The notebook cell pattern
-------------------------
Exercises go in an ``## Exercises`` section before the Summary::

    # %% [markdown]
    # ## Exercises
    # Replace each `___`, run the cell, then run the check below it. `ex.q1.hint()` gives a
    # hint (call it again for the next one), `ex.q1.solution()` shows a reference answer.

    # %%
    from kitlib.exercises import ___, nb01 as ex

    # %% [markdown]
    # ### Exercise 1 · The best epoch (easy)
    # Which epoch had the lowest validation loss? ...

    # %%                         <- the answer cell: exactly ``ex.q1.starter``
    def best_epoch(history):
        # the epoch (as fit() counts them) with the lowest validation loss
        return ___

    # %% tags=["solution"]       <- exactly ``ex.q1.solution_code``; removed for students
    def best_epoch(history):
        # the epoch (as fit() counts them) with the lowest validation loss
        val_losses = history.history["val_loss"]
        return val_losses.index(min(val_losses)) + 1

    # %%
    ex.q1.check()

The tests (tests/exercises/) enforce: one answer cell equal to ``starter`` and one
``solution``-tagged cell equal to ``solution_code`` (whitespace-normalised: dedent, trailing
spaces and blank lines ignored), in that order, then a cell calling ``ex.q1.check()``; every
``solution`` cell belongs to an exercise; no solution line shows in any other cell; module
``nbNN`` goes with ``notebooks/NN_*.ipynb`` and holds 2–4 exercises ``q1``, ``q2``, ... with
ids ``"NN.1"``, ``"NN.2"``, ..., easy first. The answer cell must run as given (``___`` only
assigned or inside a ``def``), because the student build runs it.

Defining exercises (kitlib/exercises/nbNN.py, one module per notebook)
-----------------------------------------------------------------------
The module is the one source of an exercise's code: ``tools/refresh_notebooks.py`` writes
the answer and solution cells from ``starter`` and ``solution``. Ask for a function (or a
class) where the notebook's own data could hide a mistake, so the check can call it on
inputs it builds::

    from kitlib.exercises import Kept, Wrong, call, exercise, expect, variant

    _SOLUTION = '''
    def best_epoch(history):
        # the epoch (as fit() counts them) with the lowest validation loss
        val_losses = history.history["val_loss"]
        return val_losses.index(min(val_losses)) + 1
    '''

    @exercise(
        "01.1", "The best epoch",
        answers=("best_epoch",),                   # names the learner defines
        starter=variant(_SOLUTION, ("val_losses = history.history[\"val_loss\"]\n"
                                    "    return val_losses.index(min(val_losses)) + 1", "return ___")),
        solution=_SOLUTION,
        hints=("Which key of `history.history` holds the validation loss?",
               "`min(values)` and `values.index(v)` help.",
               "fit() prints `Epoch 1/2` first; list positions start at 0."),
        context=_history_context,                  # stand-ins for the notebook's names (tests)
        varies="histories with the best epoch first, in the middle and last",
        exempt={"graph": "the answer reads Python lists; nothing of it runs inside fit()"},
    )
    def q1(best_epoch, history):                   # answers + names from the notebook
        '''Calls best_epoch() on built histories and the notebook's; refuses in-place changes.'''
        for h in (*_built_histories(), history):
            kept = Kept(h, "history")              # before the learner's code runs
            values = kept.original.history["val_loss"]
            want = values.index(min(values)) + 1
            got = call(best_epoch, h, name="best_epoch")
            kept.expect_unchanged(by="`best_epoch(history)`")
            expect(got != want - 1 or want == 1, "Epochs count from 1 ...")
            expect(got == want, f"Epoch {got} is not the one with the lowest validation loss.")
        return "Right on every history."           # the message when correct

The decorated function is the check: its parameters are the ``answers`` (the learner's
names; ``___`` in them means "not attempted") and the notebook names it reads (here
``history``; missing means "run the cells above"). It returns the success message, or
raises :class:`Incorrect` (``expect(...)``, ``expect_type(...)``) with a teaching message.
Call a learner's function through :func:`call` (exceptions and ``___`` are reported for
you). ``context()`` builds the notebook names for the tests.

tests/exercises/ picks up every ``nbNN`` module automatically, and the exercise's test data
from ``tests/exercises/answers/nbNN.py``: realistic wrong answers, each with a substring of
the message the check must produce and its kind (:data:`WRONG_KINDS`), and other correct
answers (a grader that rejects a right answer teaches the wrong lesson)::

    q1 = dict(
        wrong=(Wrong(variant(_SOLUTION, (") + 1", ")")), "Epochs count from 1"),
               Wrong(variant(_SOLUTION, ("val_losses.index(min(val_losses)) + 1", "len(val_losses)")),
                     "last epoch", kind="hardcoded")),
        alternatives=(variant(_SOLUTION, ("val_losses.index(min(val_losses)) + 1",
                                          "int(np.argmin(val_losses)) + 1")),),
    )

They live with the tests, not in the package learners import.

Checks stay fast (well under a second): build what they need from :func:`tiny_data` and
:func:`tiny_model` (seeded initializers, no global seeding). A check that must train calls
``kitlib.runtime.seed_everything(0)`` first and fits a tiny model for a few steps, so its
outcome is the same every time; exercises come last in a notebook, so reseeding there
changes no number the lesson shows. Success messages must not depend on timing or the
machine: the committed notebooks show them and nbval compares them.
"""

from __future__ import annotations

import contextlib
import html
import importlib
import inspect
import io
import itertools
import keyword
import linecache
import os
import pkgutil
import re
import signal
import sys
import textwrap
import threading
import time
import types
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from kitlib.checks import plain_text

__all__ = ["___", "Placeholder", "PlaceholderError", "Exercise", "exercise", "Wrong", "Result",
           "Note", "Incorrect", "NotAttempted", "Undefined", "expect", "expect_type", "call", "describe",
           "contains_placeholder", "normalise_code", "modules", "exercises", "catalog", "run_code",
           "tiny_data", "tiny_model", "dense_forward", "expect_probability_loss", "guarded",
           "expect_class", "attach_callback", "variant", "Kept", "WRONG_KINDS", "in_graph", "graph_mode_error",
           "CheckTimedOut", "check_timeout", "plain_text", "shorten_text",
           "CORRECT", "INCORRECT", "NOT_ATTEMPTED", "UNDEFINED", "OUTCOMES"]

CORRECT = "correct"
INCORRECT = "incorrect"
NOT_ATTEMPTED = "not attempted"
UNDEFINED = "undefined"
OUTCOMES = (CORRECT, INCORRECT, NOT_ATTEMPTED, UNDEFINED)

_MAX_ERROR_CHARS = 400


# --------------------------------------------------------------------------- placeholder


class PlaceholderError(Exception):
    """Raised when code uses the placeholder ``___`` instead of an answer."""


class Placeholder:
    """The ``___`` a learner replaces. Using it (calling it, arithmetic, attributes, ``if``)
    raises :class:`PlaceholderError`, so a half-filled answer never runs by accident."""

    __slots__ = ()
    _instance: "Placeholder | None" = None

    def __new__(cls):
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "___"

    def __reduce__(self):
        return "___"  # pickles as a reference to kitlib.exercises.___

    def __copy__(self):
        return self

    def __deepcopy__(self, memo):
        return self

    def _used(self, how: str):
        raise PlaceholderError(f"___ is a placeholder: replace it with your answer (the code tried {how})")

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        self._used(f"to use .{name}")

    def __call__(self, *args, **kwargs):
        self._used("to call it")

    def __bool__(self):
        self._used("to use it as True/False")

    def __iter__(self):
        self._used("to loop over it")

    def __len__(self):
        self._used("to take its len()")

    def __getitem__(self, key):
        self._used("to index it")

    def __float__(self):
        self._used("to convert it to a number")

    __int__ = __index__ = __float__

    def _arith(self, *other):
        self._used("arithmetic with it")

    (__add__, __radd__, __sub__, __rsub__, __mul__, __rmul__, __truediv__, __rtruediv__,
     __floordiv__, __rfloordiv__, __mod__, __rmod__, __pow__, __rpow__, __matmul__, __rmatmul__,
     __neg__, __pos__, __abs__, __lt__, __le__, __gt__, __ge__) = (_arith,) * 23


___ = Placeholder()


def contains_placeholder(value, _depth: int = 3) -> bool:
    """True if *value* is ``___`` or a list/tuple/set/dict (a few levels deep) holding it.

    Never raises: a learner's container whose ``items()``, ``__iter__`` or ``__len__``
    misbehaves counts as "no placeholder" (the check then reports what it does wrong).
    """
    try:
        return _contains_placeholder(value, _depth)
    except BaseException as exc:
        _reraise_stops(exc)
        return False


def _reraise_stops(exc: BaseException) -> None:
    """Re-raise what must stop a check (Ctrl-C, exit(), the time limit); swallow the rest."""
    if isinstance(exc, (KeyboardInterrupt, SystemExit, CheckTimedOut)):
        raise exc


def _contains_placeholder(value, depth: int) -> bool:
    if isinstance(value, Placeholder):
        return True
    if depth <= 0:
        return False
    if isinstance(value, (list, tuple, set, frozenset)):
        return any(_contains_placeholder(v, depth - 1) for v in itertools.islice(iter(value), 1000))
    if isinstance(value, dict):
        return any(_contains_placeholder(k, depth - 1) or _contains_placeholder(v, depth - 1)
                   for k, v in itertools.islice(iter(value.items()), 1000))
    return False


_PACKAGE_DIR = Path(__file__).resolve().parent


def _placeholder_in_traceback(exc: BaseException) -> bool:
    """Did this error come from ``___``? (a PlaceholderError in the chain, or ``___`` held
    by a local variable of a frame the error passed through, e.g. ``compile(loss=___)``)."""
    seen = set()
    e: BaseException | None = exc
    while e is not None and id(e) not in seen:
        seen.add(id(e))
        if isinstance(e, PlaceholderError):
            return True
        tb = e.__traceback__
        while tb is not None:
            if Path(tb.tb_frame.f_code.co_filename).resolve().parent == _PACKAGE_DIR:
                # the engine's and the checks' own frames hold the notebook namespace (which
                # holds ___ once imported): only the learner's code and what it called count
                tb = tb.tb_next
                continue
            try:
                if any(contains_placeholder(v, 1) for v in list(tb.tb_frame.f_locals.values())):
                    return True
            except Exception:  # pragma: no cover - exotic frames
                pass
            tb = tb.tb_next
        e = e.__cause__ or e.__context__
    return False


# --------------------------------------------------------------------------- outcomes


class Incorrect(Exception):
    """Raise from a check (or use :func:`expect`) to report a wrong answer with a message.

    Raised by :func:`guarded`/:func:`call` for an error in the learner's code, it carries
    that error as ``learner_error`` (a check that wants a given exception type tests it with
    ``isinstance``, so a learner's own subclass counts)."""

    learner_error: BaseException | None = None


class NotAttempted(Exception):
    """Raise from a check when the answer still is (or returns) the placeholder."""


class Undefined(Exception):
    """The learner's code needs a name the notebook has not defined yet (a cell above not run)."""


def _missing_name(exc: BaseException) -> str | None:
    """The name of a NameError in *exc*'s chain (``keras`` when ``import keras`` was not run)."""
    seen = set()
    e: BaseException | None = exc
    while e is not None and id(e) not in seen:
        seen.add(id(e))
        if isinstance(e, NameError) and not isinstance(e, UnboundLocalError):
            name = getattr(e, "name", None)
            if not name:
                m = re.search(r"name '([^']+)' is not defined", str(e))
                name = m.group(1) if m else None
            if name:
                return name
        e = e.__cause__ or e.__context__
    return None


def _undefined_message(name: str) -> str:
    return (f"`{name}` is not defined when your code runs: run the notebook's cells above this exercise "
            f"first (an import such as `import {name}` included), then check again. If `{name}` is "
            f"a name of your own, check its spelling.")


def describe(value) -> str:
    """A short description of a value for messages: ``a str ('0.95')``, ``a list of 3 items``.

    Never raises, whatever the value's ``__repr__``, ``__len__`` or ``__getattr__`` do."""
    if value is None:
        return "None"
    t = type(value)
    try:
        module = t.__module__ if isinstance(t.__module__, str) else "builtins"
        name = t.__name__ if module in ("builtins", "numpy") else f"{module.split('.')[0]}.{t.__qualname__}"
    except BaseException as exc:  # pragma: no cover - a class whose metaclass misbehaves
        _reraise_stops(exc)
        name = "object"
    article = "an" if name[:1].lower() in "aeiou" else "a"
    try:
        if isinstance(value, (bool, int, float, complex)):
            return f"{article} {name} ({value!r})"
        if isinstance(value, str):
            shown = value if len(value) <= 40 else value[:37] + "..."
            return f"{article} {name} ({shown!r})"
        shape = getattr(value, "shape", None)
        if shape is not None and not callable(shape):
            return f"{article} {name} of shape {tuple(shape)}"
        if isinstance(value, (list, tuple, set, dict)):
            return f"{article} {name} of {len(value)} item{'s' * (len(value) != 1)}"
        if isinstance(value, types.FunctionType):
            return f"a function ({value.__name__})"
    except BaseException as exc:  # a value whose attributes misbehave
        _reraise_stops(exc)
    return f"{article} {name}"


def expect(condition, message: str) -> None:
    """Raise :class:`Incorrect` with *message* unless *condition* holds."""
    if not condition:
        raise Incorrect(message)


def expect_type(value, types_, name: str, wanted: str) -> None:
    """Raise :class:`Incorrect` unless *value* is one of *types_* (``bool`` never counts as
    a number). *wanted* says what was expected in words, e.g. ``"a whole number"``."""
    tuple_ = types_ if isinstance(types_, tuple) else (types_,)
    numeric = any(t in (int, float) for t in tuple_)
    ok = isinstance(value, tuple_) and not (numeric and isinstance(value, bool) and bool not in tuple_)
    if not ok and numeric:
        import numpy as np
        want_int = int in tuple_ and float not in tuple_
        np_types = (np.integer,) if want_int else (np.integer, np.floating)
        ok = isinstance(value, np_types)
    if not ok:
        raise Incorrect(f"`{name}` should be {wanted}, but it is {describe(value)}.")


# ANSI escape sequences (colours, bold: Keras formats its errors with them) and other
# control characters a terminal would act on; newlines and tabs stay.
_BOUNDARY_RE = re.compile(r"(?<=[.!?])\s|\n")


def shorten_text(text: str, limit: int = _MAX_ERROR_CHARS) -> str:
    """*text* (made plain) cut to at most *limit* characters (plus " …" to show the cut) at
    the last line or sentence end past a third of *limit*; where there is none (a first
    sentence longer than that), at the last space."""
    text = plain_text(text)
    if len(text) <= limit:
        return text
    head = text[:limit]
    ends = [m.start() for m in _BOUNDARY_RE.finditer(text[:limit + 1]) if m.start() > limit // 3]
    if ends:
        head = text[:ends[-1]]
    else:  # the first sentence alone is longer than the limit: cut between words
        cut = head.rstrip()
        space = max(cut.rfind(" "), cut.rfind("\n"))
        head = cut[:space] if space > limit // 2 else cut
    return head.rstrip(" \n,;:-(") + " …"


def expect_class(value, cls: type, name: str, shown: str | None = None, why: str = "") -> None:
    """Raise :class:`Incorrect` unless *value* is an instance of exactly *cls* (shown in
    messages as *shown*, e.g. ``"keras.optimizers.Adam"``). A subclass is refused by name
    (``AdamW`` for ``Adam``: ``isinstance`` would accept it); *why* says what the subclass
    changes, when that is known."""
    shown = shown or cls.__name__
    if type(value) is cls:
        return
    if isinstance(value, type):
        raise Incorrect(f"`{name}` is a class, {value.__name__}; the task needs an object: call it, "
                        f"`{shown}(...)`.")
    if isinstance(value, cls):
        sub = type(value).__name__
        raise Incorrect(f"`{name}` is {'an' if sub[:1].lower() in 'aeiou' else 'a'} {sub}, a subclass of "
                        f"{cls.__name__} that works "
                        f"differently{f' ({why})' if why else ''}; the task asks for `{shown}` itself.")
    raise Incorrect(f"`{name}` should be a `{shown}`, but it is {describe(value)}.")


def _error_text(exc: BaseException, limit: int = _MAX_ERROR_CHARS) -> str:
    """``Type: message`` for a learner, plain and short (see :func:`shorten_text`). Never
    raises, even for an exception whose ``__str__`` does."""
    try:
        msg = shorten_text(str(exc), limit)
    except BaseException as stop:
        _reraise_stops(stop)
        msg = ""
    name = getattr(type(exc), "__name__", "Exception")
    return f"{name}: {msg}" if msg else name


def guarded(action: Callable[[], Any], name: str, *, known: tuple = (), doing: str | None = None):
    """Run *action*, code that exercises the learner's definition *name*, the way a check should.

    It raised and the traceback passes through a ``___`` → :class:`NotAttempted`; otherwise
    → :class:`Incorrect`: the advice of the first ``(test, advice)`` pair in *known* whose
    ``test(error_text)`` is true, else the error itself, introduced by *doing* (default
    "Using `name`"). Outcomes raised by the action itself pass through unchanged.
    """
    try:
        return action()
    except (KeyboardInterrupt, SystemExit):
        raise
    except (Incorrect, NotAttempted, Undefined):
        raise
    except Exception as exc:
        if _placeholder_in_traceback(exc):
            raise NotAttempted(f"`{name}` still uses ___: replace every ___ in it, run its cell, "
                               f"then check again.") from None
        missing = _missing_name(exc)
        if missing is not None:
            raise Undefined(_undefined_message(missing)) from None
        try:
            text = str(exc)
        except Exception:
            text = ""
        for test, advice in known:
            if test(text):
                raise _incorrect(advice, exc) from None
        raise _incorrect(f"{doing or f'Using `{name}`'} raised {_error_text(exc)}\n"
                         f"Read the error's last line: it usually names the problem.", exc) from None


_GRAPH_ERRORS = ("symbolic", "numpy", "__array__", "__float__", "float() argument", "not allowed in a graph",
                 "graph execution", "is not allowed", "autograph", "iterating over `tf.tensor`", "cannot convert",
                 "to a numpy array", "'tensor' object has no attribute", "only integer scalar")


def _is_graph_error(text: str) -> bool:
    low = text.lower()
    return any(k in low for k in _GRAPH_ERRORS)


def graph_mode_error(what: str, where: str = "inside `fit()`",
                     fix: str = "Use `keras.ops` (ops.mean, ops.where, ops.cast, ...) on tensors instead.") -> tuple:
    """The ``(test, advice)`` pair for ``guarded(..., known=...)`` that names learner code
    which works on concrete values but fails where Keras runs it as a TensorFlow graph
    (``.numpy()``, ``float()``, NumPy functions, Python ``if`` on a tensor). *what* names the
    code ("`PowerLoss`"), *where* the place ("inside `fit()`"), *fix* what to use instead."""
    advice = (f"{what} works when called directly but fails {where}: there Keras runs it as a TensorFlow "
              f"graph, where a tensor has no value yet, so `.numpy()`, `float(...)`, NumPy functions and "
              f"Python `if` on a tensor cannot work. {fix}")
    return (_is_graph_error, advice)


def in_graph(fn: Callable, *args, name: str, doing: str | None = None):
    """Call the learner's *fn* (a loss, a metric's ``update_state``, a layer, ...) inside a
    ``tf.function``, the way ``fit()`` runs it when the model is not compiled with
    ``run_eagerly=True``; return the result as NumPy. An answer that works only eagerly
    gets :func:`graph_mode_error`'s message."""
    import numpy as np
    import tensorflow as tf

    tensors = [tf.convert_to_tensor(a) if isinstance(a, np.ndarray) else a for a in args]
    graph_fn = tf.function(lambda *a: fn(*a), autograph=True, reduce_retracing=True)
    out = guarded(lambda: graph_fn(*tensors), name, known=(graph_mode_error(doing or f"`{name}`"),),
                  doing=f"{doing or f'Using `{name}`'} inside a graph (as fit() does)")
    return tf.nest.map_structure(lambda t: np.asarray(t) if hasattr(t, "numpy") or
                                 isinstance(t, (int, float)) else t, out)


def _incorrect(message: str, error: BaseException) -> Incorrect:
    out = Incorrect(message)
    out.learner_error = error
    return out


def attach_callback(callback, model, *, epochs: int, steps: int, verbose: int = 0, name: str = "your callback"):
    """Give a learner's callback what ``fit()`` gives it before training: ``set_model(model)``
    and ``set_params({"verbose": ..., "epochs": ..., "steps": ...})``, so an answer that
    reads ``self.params["steps"]`` works when a check drives the hooks by hand."""
    guarded(lambda: callback.set_params({"verbose": verbose, "epochs": epochs, "steps": steps}), name,
            doing=f"`{name}.set_params(...)`")
    guarded(lambda: callback.set_model(model), name, doing=f"`{name}.set_model(model)`")
    return callback


def _frozen(value, depth: int = 0):
    """A comparable copy of *value*: arrays, tensors, variables, containers, a History, a
    Keras model's weights and optimizer step (the things checks hand to learners' code)."""
    import numpy as np
    if depth > 6:
        return ("<deep>", id(value))
    if isinstance(value, np.ndarray):
        return ("array", value.copy())
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, [_frozen(v, depth + 1) for v in value])
    if isinstance(value, dict):
        return ("dict", [(k, _frozen(v, depth + 1)) for k, v in value.items()])
    if type(value).__name__ == "History" and isinstance(getattr(value, "history", None), dict):
        return ("History", _frozen(value.history, depth + 1), _frozen(getattr(value, "epoch", None), depth + 1))
    if hasattr(value, "get_weights") and hasattr(value, "layers"):   # a Keras model
        optimizer = getattr(value, "optimizer", None)
        step = getattr(optimizer, "iterations", None)
        return ("model", [w.copy() for w in value.get_weights()],
                None if step is None else int(np.asarray(step)), id(getattr(value, "loss", None)))
    if hasattr(value, "numpy") and hasattr(value, "assign"):   # a variable
        return ("variable", np.array(value.numpy()))
    return ("object", id(value))


def _same(a, b) -> bool:
    import numpy as np
    if type(a) is not type(b):
        return False
    if isinstance(a, np.ndarray):
        return a.shape == b.shape and a.dtype == b.dtype and bool(
            np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"))
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return bool(a == b)


class Kept:
    """What a check hands to the learner's code, kept as it was before the call: compute
    expectations from ``kept.original`` (a copy the learner's code never sees) and call
    :meth:`expect_unchanged` after the learner's code ran, to name an answer that changed
    its inputs in place (sorted a list, shuffled an array, trained or recompiled a model)."""

    def __init__(self, value, name: str):
        import copy
        self.value = value
        self.name = name
        self._frozen = _frozen(value)
        try:
            self.original = copy.deepcopy(value)
        except Exception:
            self.original = value

    def changed(self) -> bool:
        """Whether the object was changed in place since it was kept."""
        return not _same(self._frozen, _frozen(self.value))

    def expect_unchanged(self, by: str = "your function", fix: str = "") -> None:
        """Raise :class:`Incorrect` if the object changed in place; *fix* says what to do."""
        if not self.changed():
            return
        what = self._frozen[0]
        how = {"model": "changed the model it was given (its weights, its optimizer step or its "
                        "compiled loss)",
               "History": "changed `history.history` in place (sorted or edited a list of it?)"}.get(
            what, f"changed `{self.name}` in place")
        raise Incorrect(f"{by} {how}. The caller still needs it as it was: "
                        + (fix or "work on a copy (`list(values)`, `sorted(values)`, `array.copy()`) "
                                  "instead of changing what you were given."))


def call(fn, *args, name: str | None = None, **kwargs):
    """Call a learner's function *fn* (their variable *name*) the way a check should.

    Not a function → :class:`Incorrect`; it used ``___`` or returned it →
    :class:`NotAttempted`; it raised → :class:`Incorrect` naming the error.
    """
    shown = name or getattr(fn, "__name__", "your function")
    if not callable(fn):
        raise Incorrect(f"`{shown}` should be a function (`def {shown}(...):`), but it is {describe(fn)}.")
    result = guarded(lambda: fn(*args, **kwargs), shown, doing=f"Calling `{shown}`")
    if contains_placeholder(result):
        raise NotAttempted(f"`{shown}` still returns ___: replace it with your answer, run its cell, "
                           f"then check again.")
    return result


def _inline_code(text: str) -> str:
    """HTML-escape *text*, render `code` spans and line breaks."""
    out = html.escape(text)
    out = re.sub(r"`([^`]+)`", r"<code>\1</code>", out)
    return out.replace("\n", "<br>")


_STYLE = {
    CORRECT: ("✔", "#1b7f3b", "#e9f7ee"),
    INCORRECT: ("✘", "#b3261e", "#fdecea"),
    NOT_ATTEMPTED: ("…", "#5f6368", "#f1f3f4"),
    UNDEFINED: ("?", "#a05a00", "#fff4e5"),
}


@dataclass(frozen=True)
class Result:
    """What ``check()`` returns: ``outcome`` (one of OUTCOMES) and ``message``.

    Shows as coloured HTML in Jupyter and as deterministic plain text elsewhere.
    """

    exercise: str
    title: str
    outcome: str
    message: str
    output: str = field(default="", repr=False, compare=False)  # what the learner's code printed

    @property
    def correct(self) -> bool:
        return self.outcome == CORRECT

    def _header(self) -> str:
        return f"{_STYLE[self.outcome][0]} {self.outcome} · Exercise {self.exercise}: {self.title}"

    def __str__(self) -> str:
        lines = [self._header()]
        lines += ["  " + l for l in self.message.splitlines()]
        if self.output:
            lines.append(f"  (your code printed {len(self.output.splitlines())} line(s): see .output)")
        return "\n".join(lines)

    __repr__ = __str__

    def _repr_html_(self) -> str:
        mark, fg, bg = _STYLE[self.outcome]
        extra = (f"<div style='color:#5f6368'>(your code printed {len(self.output.splitlines())} "
                 f"line(s): see <code>.output</code>)</div>") if self.output else ""
        return (f"<div style='border-left:4px solid {fg};background:{bg};padding:6px 10px;margin:2px 0'>"
                f"<b style='color:{fg}'>{mark} {html.escape(self.outcome)}</b> · Exercise "
                f"{html.escape(self.exercise)}: {html.escape(self.title)}"
                f"<div>{_inline_code(self.message)}</div>{extra}</div>")


@dataclass(frozen=True)
class Note:
    """A hint or a solution: markdown in Jupyter, plain text elsewhere."""

    title: str
    body: str          # markdown
    plain: str

    def __str__(self) -> str:
        return f"{self.title}\n{self.plain}"

    __repr__ = __str__

    def _repr_markdown_(self) -> str:
        return f"**{self.title}**\n\n{self.body}"


# --------------------------------------------------------------------------- a check leaves no trace


def _keras_settings() -> list[tuple[str, Callable[[], Any], Callable[[Any], Any]]]:
    """(name, read, write) for each global Keras setting a check could change."""
    import keras
    from keras.src.backend import config as kconfig
    from keras.src.backend.common import global_state as gs
    from keras.src.utils import io_utils, traceback_utils

    def attribute(name):
        return (f"keras global {name}", lambda: gs.get_global_attribute(name),
                lambda value: gs.set_global_attribute(name, value))

    def module_global(name):
        return (f"keras {name}", lambda: getattr(kconfig, name), lambda value: setattr(kconfig, name, value))

    def switch(name, read, on, off):
        return (name, read, lambda value: on() if value else off())

    settings = [module_global(n) for n in ("_FLOATX", "_EPSILON", "_IMAGE_DATA_FORMAT", "_MAX_EPOCHS",
                                           "_MAX_STEPS_PER_EPOCH") if hasattr(kconfig, n)]
    # dtype policy (mixed precision included), the seed of keras.utils.set_random_seed and the
    # generator behind unseeded keras.random calls and initializers
    settings += [attribute(n) for n in ("dtype_policy", "global_random_seed", "global_seed_generator")]
    settings.append(switch("keras traceback filtering", traceback_utils.is_traceback_filtering_enabled,
                           traceback_utils.enable_traceback_filtering,
                           traceback_utils.disable_traceback_filtering))
    settings.append(switch("keras interactive logging", io_utils.is_interactive_logging_enabled,
                           io_utils.enable_interactive_logging, io_utils.disable_interactive_logging))
    del keras
    return settings


def _variable_value(variable):
    import numpy as np
    return None if variable is None else np.array(variable.numpy(), copy=True)


class _LearnerState:
    """What a check could change behind the learner's back, captured before it runs and put
    back after: Python's and NumPy's global random streams, the warning filters, Keras'
    global settings (floatx, epsilon, image data format, dtype policy / mixed precision, the
    global seed and seed generator, logging) and TensorFlow's (global seed and its operation
    seed stream, the global generator, op determinism, run_functions_eagerly).

    Libraries the notebook has not imported are not imported here. Keras' layer-name
    counters are left alone (a later layer may be called ``dense_12`` instead of
    ``dense_10``): they change no number.
    """

    def __init__(self):
        import random
        import warnings
        self._random = random.getstate()
        np = sys.modules.get("numpy")
        self._np = np.random.get_state() if np is not None else None
        self._warnings = warnings.catch_warnings()
        self._warnings.__enter__()
        self._keras = self._tf = None
        self._keras_imported = "keras.src.backend.common.global_state" in sys.modules
        self._tf_imported = "tensorflow" in sys.modules
        if self._keras_imported:
            try:
                self._keras = [(name, read, write, read()) for name, read, write in _keras_settings()]
                generator = dict((n, v) for n, _, _, v in self._keras).get("keras global global_seed_generator")
                self._keras_generator = (generator, _variable_value(getattr(generator, "state", None)))
            except Exception:  # pragma: no cover - a Keras whose internals moved: leave it alone
                self._keras = None
        if self._tf_imported:
            try:
                self._tf = self._tf_state()
            except Exception:  # pragma: no cover - a TensorFlow whose internals moved
                self._tf = None

    @staticmethod
    def _tf_state():
        import tensorflow as tf
        from tensorflow.python.eager import context
        from tensorflow.python.framework import config as tf_config
        from tensorflow.python.ops import stateful_random_ops
        ctx = context.context()
        rng = getattr(ctx, "_rng", None)
        generator = stateful_random_ops.global_generator
        return {"seed": ctx._seed, "rng": rng, "rng_state": rng.getstate() if rng is not None else None,
                "determinism": tf_config.is_op_determinism_enabled(),
                "eagerly": tf.config.functions_run_eagerly(),
                "generator": generator,
                "generator_state": _variable_value(getattr(generator, "state", None))}

    def restore(self) -> None:
        """Put everything back; each part on its own, so one failure spoils no other."""
        import random
        for step in (lambda: random.setstate(self._random), self._restore_numpy,
                     lambda: self._warnings.__exit__(None, None, None), self._restore_keras, self._restore_tf):
            try:
                step()
            except Exception:  # pragma: no cover - a library changed its internals
                pass

    def _restore_numpy(self):
        if self._np is not None:
            sys.modules["numpy"].random.set_state(self._np)

    def _restore_keras(self):
        if self._keras is None:
            if not self._keras_imported and "keras.src.backend.common.global_state" in sys.modules:
                # imported by the check: drop the seed state it made
                from keras.src.backend.common import global_state as gs
                for name in ("global_random_seed", "global_seed_generator"):
                    gs.set_global_attribute(name, None)
            return
        import numpy as np
        for _, read, write, value in self._keras:
            if read() is not value:
                write(value)
        generator, state = self._keras_generator
        if generator is not None and state is not None and not np.array_equal(_variable_value(generator.state),
                                                                               state):
            generator.state.assign(state)

    def _restore_tf(self):
        if "tensorflow" not in sys.modules:
            return
        import numpy as np
        import tensorflow as tf
        from tensorflow.python.eager import context
        from tensorflow.python.framework import config as tf_config
        from tensorflow.python.ops import stateful_random_ops
        before = self._tf
        if before is None and self._tf_imported:  # pragma: no cover - could not be read
            return
        if before is None:  # TensorFlow imported by the check: its defaults were in force
            before = {"seed": None, "rng": None, "rng_state": None, "determinism": False, "eagerly": False,
                      "generator": None, "generator_state": None}
        ctx = context.context()
        if ctx._seed != before["seed"]:
            ctx._set_global_seed(before["seed"])
        if before["rng"] is not None:
            ctx._rng = before["rng"]
            before["rng"].setstate(before["rng_state"])
        if tf_config.is_op_determinism_enabled() != before["determinism"]:
            if before["determinism"]:
                tf_config.enable_op_determinism()
            else:
                tf_config.disable_op_determinism()
        if tf.config.functions_run_eagerly() != before["eagerly"]:
            tf.config.run_functions_eagerly(before["eagerly"])
        generator = before["generator"]
        if stateful_random_ops.global_generator is not generator:
            stateful_random_ops.global_generator = generator
        if generator is not None and not np.array_equal(_variable_value(generator.state),
                                                        before["generator_state"]):
            generator.state.assign(before["generator_state"])


@contextlib.contextmanager
def _preserved_state():
    state = _LearnerState()
    try:
        yield
    finally:
        state.restore()


# --------------------------------------------------------------------------- a check that never ends


def _float32_policy() -> None:
    """Checks build their own models in float32, whatever dtype policy the learner set
    (``mixed_float16`` computes in float16, ~1e-3 away from a float64 reference); the
    learner's policy comes back with the rest of their state when the check ends."""
    keras = sys.modules.get("keras")
    if keras is None:
        return   # not imported yet: a check that imports it gets float32, Keras' default
    try:
        keras.config.set_dtype_policy("float32")
    except Exception:  # pragma: no cover - a Keras without dtype policies
        pass


TIMEOUT_ENV = "KITLIB_CHECK_TIMEOUT"
DEFAULT_TIMEOUT_S = 120.0


class CheckTimedOut(BaseException):
    """Raised inside a check that ran past its time limit. A BaseException, so that a learner's
    ``except Exception:`` inside the loop does not swallow it."""


def check_timeout() -> float | None:
    """The time limit of one ``check()`` in seconds: ``$KITLIB_CHECK_TIMEOUT`` (a number of
    seconds; ``0``, ``none`` or ``off``: no limit), else :data:`DEFAULT_TIMEOUT_S`. A value
    that is not a number gives the default. Read at every check, so it can be changed
    while a notebook runs (``os.environ["KITLIB_CHECK_TIMEOUT"] = "300"``)."""
    raw = os.environ.get(TIMEOUT_ENV, "").strip().lower()
    if raw in ("0", "none", "off", "no", "false"):
        return None
    try:
        value = float(raw) if raw else DEFAULT_TIMEOUT_S
    except ValueError:
        return DEFAULT_TIMEOUT_S
    if value != value or value <= 0:  # NaN or negative: no sensible limit
        return DEFAULT_TIMEOUT_S if value != value else None
    return value


def _timeout_message(seconds: float) -> str:
    return (f"Your answer ran for more than {seconds:g} s without finishing: look for a loop that never "
            f"ends (a `while` whose condition never becomes False, a counter that is never increased, "
            f"a method that calls itself) and for code that waits for something that never comes. "
            f"If your answer is just slow, set a longer limit: "
            f"`os.environ[\"{TIMEOUT_ENV}\"] = \"600\"` (seconds), then check again.")


@contextlib.contextmanager
def _time_limit(seconds: float | None):
    """Raise :class:`CheckTimedOut` in the block once *seconds* have passed, again every
    second after that (should the learner's code catch it), using ``SIGALRM``.

    Only where that works: on a system with ``signal.setitimer`` (Linux, macOS), in the main
    thread (where a Jupyter kernel runs cells). Elsewhere (Windows, a check run from another
    thread) there is no limit. The signal interrupts Python code only: a loop inside one
    TensorFlow operation or in a thread of tf.data finishes its operation first. An alarm set
    before (e.g. by a test runner) is put back, with the time it had left."""
    if (not seconds or not hasattr(signal, "setitimer")
            or threading.current_thread() is not threading.main_thread()):
        yield
        return
    armed = [True]

    def on_alarm(signum, frame):
        if armed[0]:
            raise CheckTimedOut(seconds)

    try:
        previous_handler = signal.signal(signal.SIGALRM, on_alarm)
    except (ValueError, OSError):  # not the main interpreter's main thread
        yield
        return
    started = time.monotonic()
    previous_delay, previous_interval = signal.setitimer(signal.ITIMER_REAL, seconds, 1.0)
    try:
        yield
    finally:
        armed[0] = False
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous_handler)
        if previous_delay:
            left = previous_delay - (time.monotonic() - started)
            signal.setitimer(signal.ITIMER_REAL, max(left, 1e-3), previous_interval)


# --------------------------------------------------------------------------- exercises


def normalise_code(code: str) -> str:
    """Code compared between a notebook cell and an exercise: dedented, trailing spaces
    and blank lines removed."""
    lines = textwrap.dedent(code.expandtabs(4)).splitlines()
    return "\n".join(l.rstrip() for l in lines if l.strip())


#: What a declared wrong answer tests (``Wrong(..., kind=...)``):
#: ``mistake``: a realistic misunderstanding; ``hardcoded``: right only for one input (a
#: constant where a parameter belongs, one shape, one class, a size that divides evenly),
#: which a check trying a single input would accept; ``mutates``: changes the caller's
#: objects in place; ``graph``: works eagerly but fails inside the graph-mode ``fit()`` the
#: notebook runs (NumPy calls, ``float()`` or ``.numpy()`` on tensors).
WRONG_KINDS = ("mistake", "hardcoded", "mutates", "graph")


@dataclass(frozen=True)
class Wrong:
    """A realistic wrong answer (code run in the exercise's context by the tests), a
    substring the check's message must contain, and what kind of wrong answer it is
    (one of :data:`WRONG_KINDS`)."""

    code: str
    expect: str
    outcome: str = INCORRECT
    kind: str = "mistake"

    def __post_init__(self):
        if self.kind not in WRONG_KINDS:
            raise ValueError(f"Wrong(kind={self.kind!r}): use one of {WRONG_KINDS}")


def variant(code: str, *replacements: tuple[str, str]) -> str:
    """*code* (usually an exercise's solution) with each ``(old, new)`` replaced: declares a
    wrong answer by what it changes, without writing the answer out again. Each *old* must
    occur in the code, so a changed solution cannot silently turn a variant into a copy."""
    out = textwrap.dedent(code).strip("\n")
    for old, new in replacements:
        if old not in out:
            raise ValueError(f"variant(): {old!r} does not occur in the code it should change:\n{out}")
        out = out.replace(old, new)
    return out


_ID_RE = re.compile(r"^\d\d\.\d+\Z")


class Exercise:
    """One question. Made with the :func:`exercise` decorator; see the module docstring."""

    def __init__(self, id: str, title: str, check: Callable[..., Any], *, answers, starter: str,
                 solution: str, hints, context: Callable[[], dict] | None = None, varies: str = "",
                 exempt: Mapping[str, str] | None = None):
        if not isinstance(id, str) or not _ID_RE.match(id):
            raise ValueError(f"exercise id {id!r} must look like '01.2' (notebook number, dot, question)")
        if isinstance(answers, str):
            answers = (answers,)
        answers = tuple(answers)
        if not answers or not all(isinstance(a, str) and a.isidentifier() and not keyword.iskeyword(a)
                                  for a in answers):
            raise ValueError(f"{id}: answers must name the learner's variables, e.g. ('best_epoch',)")
        params = inspect.signature(check).parameters
        bad = [p.name for p in params.values() if p.kind not in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
        if bad:
            raise ValueError(f"{id}: the check's parameters must be plain names (no *args/**kwargs): {bad}")
        missing = [a for a in answers if a not in params]
        if missing:
            raise ValueError(f"{id}: the check function must take the answers as parameters: {missing}")
        hints = tuple(hints)
        if len(hints) < 2 or not all(isinstance(h, str) and h.strip() for h in hints):
            raise ValueError(f"{id}: give at least 2 hints, each more specific than the last")
        for what, code in (("starter", starter), ("solution", solution)):
            if not isinstance(code, str) or not code.strip():
                raise ValueError(f"{id}: {what} must be the code of the notebook cell")
        if context is not None and not callable(context):
            raise TypeError(f"{id}: context must be a function returning a dict of notebook names")
        exempt = dict(exempt or {})
        for kind, why in exempt.items():
            if kind not in WRONG_KINDS or not (isinstance(why, str) and why.strip()):
                raise ValueError(f"{id}: exempt= maps a kind of wrong answer {WRONG_KINDS} to the reason "
                                 f"it cannot occur in this exercise, got {kind!r}: {why!r}")
        self.id = id
        self.title = title
        self.answers = answers
        self.uses = tuple(p for p in params if p not in answers)
        self.starter = normalise_code(starter)
        self.solution_code = normalise_code(solution)
        self.hints = hints
        self.context = context
        self.varies = textwrap.dedent(varies).strip() if isinstance(varies, str) else ""
        self.exempt = exempt
        self._check = check
        self._hints_seen = 0
        self.name = getattr(check, "__name__", "")
        self.__doc__ = check.__doc__

    # ---- learner API
    def check(self, ns: Mapping | None = None) -> Result:
        """Check the learner's answer; reads the notebook's variables unless *ns* is given."""
        if ns is None:
            ns = sys._getframe(1).f_globals
        elif not isinstance(ns, Mapping):
            raise TypeError(f"check(ns=...) takes a dict of names, got {type(ns).__name__}")
        return self._run(ns)

    def hint(self, n: int | None = None) -> Note:
        """Hint number *n* (1 = gentlest); without *n*, the next one you have not seen."""
        k = len(self.hints)
        if n is None:
            if self._hints_seen >= k:
                return Note(f"No more hints · Exercise {self.id}",
                            f"That was the last of {k} hints. `solution()` shows a reference answer.",
                            f"  That was the last of {k} hints. solution() shows a reference answer.")
            n = self._hints_seen + 1
        from kitlib import _validate as V
        V.integer(n, "n", low=1, hint=f"hint numbers start at 1: hint(1) … hint({k}) gives a hint number, "
                                      f"hint() the next one")
        if n > k:
            return Note(f"No hint {n} · Exercise {self.id}",
                        f"This exercise has {k} hints: `hint(1)` … `hint({k})`. `solution()` shows a reference answer.",
                        f"  This exercise has {k} hints: hint(1) … hint({k}). solution() shows a reference answer.")
        self._hints_seen = max(self._hints_seen, n)
        text = self.hints[n - 1]
        return Note(f"Hint {n} of {k} · Exercise {self.id}: {self.title}", text,
                    textwrap.indent(text, "  "))

    def solution(self) -> Note:
        """The reference solution (the same code as the notebook's `solution` cell)."""
        return Note(f"Solution · Exercise {self.id}: {self.title}",
                    f"```python\n{self.solution_code}\n```",
                    textwrap.indent(self.solution_code, "    "))

    def reset(self) -> None:
        """Forget which hints were shown (``hint()`` starts again at 1)."""
        self._hints_seen = 0

    # ---- the checking machinery
    def _result(self, outcome: str, message: str, output: str = "") -> Result:
        return Result(self.id, self.title, outcome, plain_text(message), output)

    def _run(self, ns: Mapping) -> Result:
        """Judge the answer under a time limit, and put back every global setting the
        check (or the learner's code it runs) changed. Never raises, except for
        KeyboardInterrupt and SystemExit (the learner's own stop)."""
        out = io.StringIO()
        limit = check_timeout()
        try:
            with _preserved_state(), _time_limit(limit):
                _float32_policy()
                return self._judge(ns, out)
        except CheckTimedOut:
            return self._result(INCORRECT, _timeout_message(limit or 0), out.getvalue())
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as exc:  # a learner's object that misbehaves even where checks do not look
            return self._result(INCORRECT, f"Checking your answer raised {_error_text(exc)}\n"
                                           f"One of your names holds an object that raises an error "
                                           f"when it is inspected or used.", out.getvalue())

    def _judge(self, ns: Mapping, out: io.StringIO) -> Result:
        missing_uses = [n for n in self.uses if n not in ns]
        missing_answers = [n for n in self.answers if n not in ns]
        if missing_uses or missing_answers:
            parts = []
            if missing_uses:
                parts.append(f"{_names(missing_uses)} {'is' if len(missing_uses) == 1 else 'are'} not "
                             f"defined: run the notebook's cells above this exercise first.")
            if missing_answers:
                parts.append(f"Define {_names(missing_answers)} first: run the cell with your answer "
                             f"(the one that had ___).")
            return self._result(UNDEFINED, "\n".join(parts))
        unfinished = [n for n in self.answers if contains_placeholder(ns[n])]
        if unfinished:
            return self._result(NOT_ATTEMPTED, f"Replace the ___ in {_names(unfinished)} with your answer, "
                                               f"run that cell, then check again.")
        kwargs = {n: ns[n] for n in (*self.answers, *self.uses)}
        try:
            with contextlib.redirect_stdout(out):
                message = self._check(**kwargs)
        except Incorrect as exc:
            return self._result(INCORRECT, str(exc), out.getvalue())
        except NotAttempted as exc:
            return self._result(NOT_ATTEMPTED, str(exc) or "Replace every ___ with your answer.", out.getvalue())
        except Undefined as exc:
            return self._result(UNDEFINED, str(exc), out.getvalue())
        except (KeyboardInterrupt, SystemExit):
            raise
        except Exception as exc:
            if _placeholder_in_traceback(exc):
                return self._result(NOT_ATTEMPTED, "Your answer still uses ___: replace every ___, "
                                                   "run that cell, then check again.", out.getvalue())
            missing = _missing_name(exc)
            if missing is not None:
                return self._result(UNDEFINED, _undefined_message(missing), out.getvalue())
            reused = self._reused_name(exc, kwargs)
            if reused is not None:
                return self._result(UNDEFINED, reused, out.getvalue())
            return self._result(INCORRECT, f"Checking your answer raised {_error_text(exc)}\n"
                                           f"Read the error's last line: it usually names the problem "
                                           f"(a type, a shape, a name).", out.getvalue())
        if message is not None and not isinstance(message, str):  # pragma: no cover - author error
            raise TypeError(f"{self.id}: a check returns its success message (str) or None")
        return self._result(CORRECT, message or "Well done.", out.getvalue())

    def _reused_name(self, exc: BaseException, kwargs: Mapping) -> str | None:
        """The message for a check that failed because a notebook name it reads (say `data`,
        a module) now holds something else: the learner reused the name for their own object."""
        obj = getattr(exc, "obj", None) if isinstance(exc, AttributeError) else None
        if obj is None:
            return None
        for name in self.uses:
            if kwargs.get(name) is obj:
                return (f"`{name}` is now {describe(obj)}, which has no `{getattr(exc, 'name', '?')}`: the "
                        f"check needs the `{name}` that the notebook's cells above define. Did a cell of "
                        f"yours reuse the name `{name}`? Give your own variable another name, then run "
                        f"the cells above again.")
        return None

    def __repr__(self) -> str:
        return (f"Exercise {self.id}: {self.title} (your answer: {', '.join(self.answers)}; "
                f"{len(self.hints)} hints)")

    def _repr_markdown_(self) -> str:
        return (f"**Exercise {self.id}: {html.escape(self.title)}**. Your answer: "
                f"{', '.join(f'`{a}`' for a in self.answers)}. `check()` · `hint()` · `solution()`")


def _names(names) -> str:
    names = [f"`{n}`" for n in names]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def exercise(id: str, title: str, *, answers, starter: str, solution: str, hints,
             context: Callable[[], dict] | None = None, varies: str = "",
             exempt: Mapping[str, str] | None = None) -> Callable[[Callable], Exercise]:
    """Decorator: turn a check function into an :class:`Exercise` (see the module docstring).

    ``varies``: what the check varies so that only the general answer passes (one line per
    input: parameters, shapes, sizes, classes); ``exempt``: ``{kind: reason}`` for each
    kind of wrong answer in :data:`WRONG_KINDS` that cannot occur in this exercise.
    """
    def wrap(check: Callable) -> Exercise:
        return Exercise(id, title, check, answers=answers, starter=starter, solution=solution,
                        hints=hints, context=context, varies=varies, exempt=exempt)
    return wrap


# --------------------------------------------------------------------------- catalogue


_MODULE_RE = re.compile(r"^nb(\d\d)\Z")


def modules() -> list[str]:
    """Names of the per-notebook exercise modules (``nb00``, ``nb01``, ...)."""
    return sorted(m.name for m in pkgutil.iter_modules(__path__) if _MODULE_RE.match(m.name))


def exercises(module) -> list[Exercise]:
    """The exercises of one module (a module object or a name such as ``"nb01"``), by id."""
    if isinstance(module, str):
        if not _MODULE_RE.match(module):
            raise ValueError(f"exercise modules are named nbNN (e.g. 'nb01'), not {module!r}")
        module = importlib.import_module(f"{__name__}.{module}")
    found = []
    for attr, value in vars(module).items():
        if isinstance(value, Exercise):
            value.name = attr
            found.append(value)
    return sorted(found, key=lambda q: tuple(int(p) for p in q.id.split(".")))


def catalog() -> dict[str, list[Exercise]]:
    """Every exercise of every module: ``{"nb01": [q1, q2, ...], ...}``."""
    return {m: exercises(m) for m in modules()}


_ANSWER_NUMBERS = itertools.count(1)


def run_code(q: Exercise, code: str, ns: dict | None = None) -> Result:
    """For tests and authors: run *code* (an answer cell) in a fresh copy of the exercise's
    context and check it. (Checks themselves never run code from strings.)"""
    if ns is None:
        ns = dict(q.context() if q.context else {})
    ns.setdefault("___", ___)
    filename = f"<answer to {q.id} #{next(_ANSWER_NUMBERS)}>"
    # Known to linecache, as a notebook cell's code is to IPython: tracebacks show its lines and
    # AutoGraph (tf.function, as fit() uses) can read the source of the functions it defines.
    linecache.cache[filename] = (len(code), None, code.splitlines(keepends=True), filename)
    exec(compile(code, filename, "exec"), ns)  # noqa: S102 - test helper
    return q.check(ns=ns)


# --------------------------------------------------------------------------- helpers for checks


def expect_probability_loss(loss, loss_on_logits, y, probabilities, cross_entropy: float) -> None:
    """Refuse a loss that reads a softmax model's probabilities as logits (``from_logits=True``).

    ``loss``: the model's loss as the learner gave it to ``compile()`` (``model.loss``): a Loss
    object, a function such as ``keras.losses.categorical_crossentropy``, a string id, a
    function of their own; or the ``loss`` entry of ``model.get_compile_config()``.
    ``loss_on_logits``: the same loss class built with ``from_logits=True``; ``cross_entropy``:
    the right value, computed independently. Judged by behaviour: the loss is applied to
    ``(y, probabilities)`` outside ``evaluate()`` (where Keras' TensorFlow backend hides the
    mistake by using the softmax's input), and it fails if it gives what ``loss_on_logits``
    gives rather than the cross-entropy. A loss that cannot be applied like that is left to
    the caller's ``evaluate()`` comparison.
    """
    import numpy as np
    y = np.asarray(y)
    probabilities = np.asarray(probabilities, dtype="float32")
    wrong = float(np.mean(np.asarray(loss_on_logits(y, probabilities))))
    setting = _from_logits_setting(loss)
    if setting is None:
        value = _loss_value(loss, y, probabilities)
        setting = (value is not None and abs(value - wrong) <= 1e-3 * max(1.0, abs(wrong))
                   and abs(value - cross_entropy) > 1e-3 * max(1.0, abs(cross_entropy)))
    if not setting:
        return
    raise Incorrect(
        f"`from_logits=True` says the model outputs raw scores (logits), but this model ends in a "
        f"softmax and outputs probabilities. evaluate() still shows the right loss only because "
        f"Keras' TensorFlow backend spots the softmax and uses its input (warning \"Was this "
        f"intended?\"); the same loss on predict()'s probabilities gives {wrong:.4f} instead of "
        f"{cross_entropy:.4f}. Keep the default `from_logits=False`.")


def _from_logits_setting(loss) -> bool | None:
    """``from_logits`` as written in a serialized loss config, or None where there is none."""
    if isinstance(loss, Mapping):
        config = loss.get("config")
        if isinstance(config, Mapping) and "from_logits" in config:
            return bool(config["from_logits"])
    return None


def _loss_value(loss, y, probabilities) -> float | None:
    """The mean of *loss* (an object, function, string id or config) on a batch, or None if
    it cannot be applied to one (a dict of per-output losses, an unknown id)."""
    import keras
    import numpy as np
    try:
        if isinstance(loss, (str, Mapping)):
            loss = keras.losses.get(loss)
    except Exception:
        return None
    if not callable(loss):
        return None
    value = guarded(lambda: loss(y, probabilities), "loss", doing="Applying your loss to the model's "
                                                                  "probabilities")
    try:
        return float(np.mean(np.asarray(value, dtype="float64")))
    except Exception:
        return None


def dense_forward(model, x):
    """What model.predict(x) gives for a stack of Dense layers, computed with NumPy (float64):
    no tf.function to trace, so a check stays quick."""
    import numpy as np
    out = np.asarray(x, dtype="float64")
    for layer in model.layers:
        if not hasattr(layer, "kernel"):
            continue
        kernel, bias = (np.asarray(w, dtype="float64") for w in layer.get_weights())
        out = out @ kernel + bias
        name = getattr(layer.activation, "__name__", "")
        if name == "relu":
            out = np.maximum(out, 0.0)
        elif name == "softmax":
            out = np.exp(out - out.max(axis=-1, keepdims=True))
            out = out / out.sum(axis=-1, keepdims=True)
        elif name == "sigmoid":
            out = 1.0 / (1.0 + np.exp(-out))
        elif name != "linear":
            raise ValueError(f"dense_forward does not know the activation {name!r}")
    return out


def tiny_data(n: int = 32, input_dim: int = 8, num_classes: int = 3, seed: int = 0):
    """A small, fixed classification batch: ``x`` float32 (n, input_dim), ``y`` float32 labels (n,)."""
    import numpy as np
    rng = np.random.default_rng(seed)
    x = rng.random((n, input_dim), dtype=np.float32)
    y = rng.integers(0, num_classes, n).astype("float32")
    return x, y


def tiny_model(input_dim: int = 8, num_classes: int = 3, hidden: int = 8, seed: int = 0):
    """A small uncompiled softmax MLP with seeded initializers: the same weights every call,
    without touching the notebook's global random state."""
    import keras
    from keras import layers

    init = keras.initializers.GlorotUniform
    inputs = keras.Input(shape=(input_dim,), name="features")
    x = layers.Dense(hidden, activation="relu", kernel_initializer=init(seed=seed))(inputs)
    outputs = layers.Dense(num_classes, activation="softmax", kernel_initializer=init(seed=seed + 1))(x)
    return keras.Model(inputs, outputs)
