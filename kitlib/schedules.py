"""Learning-rate schedules by name: build one, evaluate it over steps, plot the curves.

A schedule explorer (sliders) and notebook 11 use the same three calls::

    from kitlib import schedules
    schedules.names()                                   # the built-in schedules kitlib knows
    sched = schedules.make("ExponentialDecay", decay_steps=200)   # a Keras schedule object
    curve = schedules.values("CosineDecay", 1000, warmup_steps=100, warmup_target=1e-3)
    curve.steps, curve.values                           # NumPy arrays, ready to plot

Values always come from the real Keras schedule, evaluated on ``int64`` steps as an
optimizer calls it with ``optimizer.iterations``, so a plot shows what training uses (to
float32 rounding: a whole curve is computed in one vectorized call, the optimizer computes
one step at a time, and the two may differ in the last digits, relative error < 1e-5).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from kitlib import _validate as V

__all__ = ["Param", "ScheduleSpec", "Curve", "SCHEDULES", "names", "spec", "defaults", "make",
           "evaluate", "values", "code", "plot"]


@dataclass(frozen=True)
class Param:
    """One constructor argument of a schedule, with a range a slider can use.

    ``kind`` is "float", "int", "bool", "optional_float" (None allowed) or "list".
    ``log`` says a log-scale slider suits it (learning rates). ``low``/``high`` are the
    slider's range; ``valid`` is what Keras can use without a NaN or inf learning rate,
    ``(min, max, min_is_excluded, why)`` (None: no bound).
    """

    name: str
    default: Any
    kind: str = "float"
    low: float | None = None
    high: float | None = None
    log: bool = False
    valid: tuple | None = None


@dataclass(frozen=True)
class ScheduleSpec:
    name: str
    keras_name: str
    params: tuple[Param, ...]
    summary: str

    @property
    def defaults(self) -> dict[str, Any]:
        return {p.name: (list(p.default) if isinstance(p.default, (list, tuple)) else p.default)
                for p in self.params}

    def param(self, name: str) -> Param:
        for p in self.params:
            if p.name == name:
                return p
        raise KeyError(name)


class Curve(NamedTuple):
    """A schedule evaluated at ``steps``: learning rate ``values[i]`` at ``steps[i]``."""

    steps: np.ndarray
    values: np.ndarray


_LR = dict(kind="float", low=1e-5, high=1.0, log=True, valid=(0, None, False, "a learning rate cannot be negative"))
_STEPS = (1, None, False, "a number of steps; 0 would divide by zero")
_FRACTION = (0, 1, False, "a fraction of the initial learning rate")

SCHEDULES: dict[str, ScheduleSpec] = {s.name: s for s in (
    ScheduleSpec("ExponentialDecay", "ExponentialDecay", (
        Param("initial_learning_rate", 1e-3, **_LR),
        Param("decay_steps", 200, "int", 1, 5000, valid=_STEPS),
        Param("decay_rate", 0.5, "float", 0.01, 1.0,
              valid=(0, None, True, ("the learning rate is lr0 · rate^(step / decay_steps): a negative rate "
                                    "gives NaN, 0 stops training after step 0"))),
        Param("staircase", False, "bool"),
    ), "lr0 · rate^(step / decay_steps)  (floor of the exponent with staircase=True)"),
    ScheduleSpec("PiecewiseConstantDecay", "PiecewiseConstantDecay", (
        Param("boundaries", (300, 600), "list"),
        Param("values", (1e-3, 5e-4, 1e-4), "list"),
    ), "values[i] while boundaries[i-1] < step <= boundaries[i]"),
    ScheduleSpec("PolynomialDecay", "PolynomialDecay", (
        Param("initial_learning_rate", 1e-3, **_LR),
        Param("decay_steps", 800, "int", 1, 5000, valid=_STEPS),
        Param("end_learning_rate", 1e-4, **_LR),
        Param("power", 1.0, "float", 0.1, 5.0,
              valid=(0, None, False, "a negative power gives 0 ** negative = inf at decay_steps")),
        Param("cycle", False, "bool"),
    ), "(lr0 - end) · (1 - step / decay_steps)^power + end, then end"),
    ScheduleSpec("InverseTimeDecay", "InverseTimeDecay", (
        Param("initial_learning_rate", 1e-3, **_LR),
        Param("decay_steps", 100, "int", 1, 5000, valid=_STEPS),
        Param("decay_rate", 0.5, "float", 0.01, 10.0,
              valid=(0, None, False, "a negative rate divides by zero, then turns the learning rate negative")),
        Param("staircase", False, "bool"),
    ), "lr0 / (1 + rate · step / decay_steps)"),
    ScheduleSpec("CosineDecay", "CosineDecay", (
        Param("initial_learning_rate", 1e-3, **_LR),
        Param("decay_steps", 800, "int", 1, 5000, valid=_STEPS),
        Param("alpha", 0.0, "float", 0.0, 1.0, valid=_FRACTION),
        Param("warmup_target", None, "optional_float", 1e-5, 1.0, log=True,
              valid=(0, None, False, "a learning rate cannot be negative")),
        Param("warmup_steps", 0, "int", 0, 5000, valid=(0, None, False, "a number of steps")),
    ), "half a cosine from lr0 down to alpha · lr0 over decay_steps (optional linear warm-up first)"),
    ScheduleSpec("CosineDecayRestarts", "CosineDecayRestarts", (
        Param("initial_learning_rate", 1e-3, **_LR),
        Param("first_decay_steps", 200, "int", 1, 5000, valid=_STEPS),
        Param("t_mul", 2.0, "float", 1.0, 4.0,
              valid=(1, None, False, ("each period is t_mul times the last; below 1 the periods shrink to "
                                     "nothing and Keras returns NaN (t_mul=0 at once)"))),
        Param("m_mul", 1.0, "float", 0.1, 1.0,
              valid=(0, None, False, "a negative m_mul makes the learning rate negative")),
        Param("alpha", 0.0, "float", 0.0, 1.0, valid=_FRACTION),
    ), "cosine decays that restart, each period t_mul times longer and m_mul times lower"),
)}


def names() -> list[str]:
    """The schedule names kitlib knows (Keras' built-in classes), in teaching order."""
    return list(SCHEDULES)


def spec(name: str) -> ScheduleSpec:
    """The :class:`ScheduleSpec` of a schedule: its parameters, defaults and slider ranges."""
    if not isinstance(name, str):
        raise TypeError(f"schedule name must be a string such as 'ExponentialDecay', not {type(name).__name__}")
    if name in SCHEDULES:
        return SCHEDULES[name]
    folded = {k.lower(): k for k in SCHEDULES}
    if name.lower() in folded:
        return SCHEDULES[folded[name.lower()]]
    close = difflib.get_close_matches(name, list(SCHEDULES), n=1, cutoff=0.5)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    raise ValueError(f"unknown schedule {name!r}: choose one of {names()}.{hint}")


def defaults(name: str) -> dict[str, Any]:
    """A fresh dict of the default parameters of schedule *name*."""
    return spec(name).defaults


def _check_params(s: ScheduleSpec, params: dict[str, Any]) -> dict[str, Any]:
    valid = [p.name for p in s.params]
    unknown = [k for k in params if k not in valid]
    if unknown:
        hints = [difflib.get_close_matches(k, valid, n=1) for k in unknown]
        extra = "; ".join(f"{k!r} → did you mean {h[0]!r}?" for k, h in zip(unknown, hints) if h)
        raise TypeError(f"{s.name} has no parameter {', '.join(map(repr, unknown))}"
                        f"{' (' + extra + ')' if extra else ''}; its parameters are {valid}")
    merged = {**s.defaults, **params}
    for p in s.params:
        v = merged[p.name]
        if p.kind == "bool":
            if not isinstance(v, (bool, np.bool_)):
                raise TypeError(f"{s.name}: {p.name} must be True or False, got {v!r}")
            merged[p.name] = bool(v)
        elif p.kind == "list":
            if isinstance(v, (str, bytes)) or not hasattr(v, "__len__"):
                raise TypeError(f"{s.name}: {p.name} must be a list of numbers, got {v!r}")
            merged[p.name] = [_number(s, p.name, x) for x in v]
        elif p.kind == "optional_float" and v is None:
            continue
        else:
            merged[p.name] = _number(s, p.name, v, integer=p.kind == "int")
        if p.valid is not None:
            lo, hi, lo_open, why = p.valid
            check = V.integer if p.kind == "int" else V.number
            extra = {} if p.kind == "int" else {"low_open": lo_open}
            check(merged[p.name], p.name, low=lo, high=hi, hint=f"{why} ({s.name})", **extra)
    if s.name == "PiecewiseConstantDecay":
        b, vals = merged["boundaries"], merged["values"]
        if len(vals) != len(b) + 1:
            raise ValueError(f"PiecewiseConstantDecay needs one more value than boundaries: "
                             f"{len(b)} boundaries {b} need {len(b) + 1} values, got {len(vals)} {vals}")
        if any(x >= y for x, y in zip(b, b[1:])):
            raise ValueError(f"PiecewiseConstantDecay boundaries must increase strictly, got {b}")
        for i, v in enumerate(vals):
            V.number(v, f"values[{i}]", low=0, what="a learning rate",
                     hint=f"values are learning rates, got {vals}")
        merged["boundaries"] = [int(x) if float(x).is_integer() else x for x in b]
    return merged


def _number(s: ScheduleSpec, name: str, v, integer: bool = False):
    v = V.number(v, name, hint=f"in {s.name}")
    if integer:  # sliders give floats: a whole float counts as a step count
        if v != int(v):
            raise ValueError(f"{name} counts steps and must be a whole number, got {name}={v!r} "
                             f"(in {s.name})")
        return int(v)
    return v


def make(name: str, **params):
    """Build ``keras.optimizers.schedules.<name>(**params)`` (unset parameters take the defaults).

    Unknown names and parameters raise with the valid choices; the values are checked
    (whole step counts, learning rates >= 0, one more value than boundaries) before
    Keras sees them.
    """
    import keras
    s = spec(name)
    kwargs = _check_params(s, params)
    cls = getattr(keras.optimizers.schedules, s.keras_name)
    return cls(**kwargs)


def _as_steps(steps) -> np.ndarray:
    if isinstance(steps, (bool, np.bool_)):
        raise TypeError(f"steps must be an int or a sequence of ints, got {steps!r}")
    if isinstance(steps, (int, np.integer)):
        if steps < 0:
            raise ValueError(f"steps={steps}: give the last step (>= 0) or a list of steps")
        return np.arange(int(steps) + 1, dtype=np.int64)
    arr = np.asarray(steps)
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"steps must be an int or a non-empty 1-D sequence of ints, got shape {arr.shape}")
    if arr.dtype.kind == "f":
        if not np.all(np.isfinite(arr)) or not np.all(arr == np.round(arr)):
            raise ValueError("steps are optimizer iterations: whole numbers only")
        arr = arr.astype(np.int64)
    elif arr.dtype.kind not in "iu":
        raise TypeError(f"steps must be integers, got dtype {arr.dtype}")
    if (arr < 0).any():
        raise ValueError(f"steps must be >= 0, got {int(arr.min())}")
    return arr.astype(np.int64)


def evaluate(schedule, steps) -> np.ndarray:
    """The learning rate ``schedule(step)`` at each step, as float32 (what the optimizer uses).

    *schedule* is any Keras ``LearningRateSchedule`` (or a callable of the step); *steps*
    an int N (steps 0..N) or a sequence of non-negative ints. Steps are passed as
    ``int64``, the dtype of ``optimizer.iterations``. The result equals what
    ``float(optimizer.learning_rate)`` reads at those iterations up to float32 rounding
    (relative difference < 1e-5): vectorized kernels round differently from scalar ones.
    """
    import tensorflow as tf
    if not callable(schedule):
        raise TypeError(f"schedule must be a LearningRateSchedule (or a callable of the step), "
                        f"got {type(schedule).__name__}; build one with kitlib.schedules.make(name, ...)")
    arr = _as_steps(steps)
    t = tf.constant(arr, dtype=tf.int64)
    try:
        out = np.asarray(schedule(t), dtype=np.float32)
        out = np.broadcast_to(out, arr.shape)  # a constant schedule returns one number
    except (ValueError, TypeError, tf.errors.InvalidArgumentError):
        # Schedules that branch on the step (CosineDecay's warm-up uses ops.cond) are not
        # vectorized by themselves; tf.vectorized_map evaluates them per step in one graph.
        out = tf.vectorized_map(lambda s: tf.cast(schedule(s), tf.float32), t).numpy()
    out = np.array(out, dtype=np.float32)
    bad = ~np.isfinite(out)
    if bad.any():
        i = int(np.argmax(bad))
        raise ValueError(f"the schedule gives learning rate {out[i]} at step {int(arr[i])} (and "
                         f"{int(bad.sum()) - 1} more non-finite values): an optimizer would train on NaN/inf. "
                         f"Check its parameters ({code(schedule)})")
    return out


def values(name: str, steps=1000, **params) -> Curve:
    """Schedule *name* with *params* evaluated over *steps* (an int N means 0..N)."""
    sched = make(name, **params)
    arr = _as_steps(steps)
    return Curve(arr, evaluate(sched, arr))


def code(schedule) -> str:
    """The Python call that builds *schedule*, e.g. ``keras.optimizers.schedules.ExponentialDecay(...)``.

    Arguments come from the schedule's ``get_config()`` (the name and None values are
    left out); an object without a config is shown by its ``repr``.
    """
    try:
        cfg = schedule.get_config()
    except (AttributeError, NotImplementedError, TypeError):
        return repr(schedule)
    if not isinstance(cfg, dict):
        return repr(schedule)
    args = ", ".join(f"{k}={v!r}" for k, v in cfg.items() if k != "name" and v is not None)
    module = "keras.optimizers.schedules" if type(schedule).__module__.startswith("keras") else type(schedule).__module__
    return f"{module}.{type(schedule).__name__}({args})"


def plot(curves, ax=None, *, log: bool = False, title: str | None = None):
    """Plot ``{label: Curve}`` (or one Curve) as learning rate against step; returns the Figure.

    Draws into *ax* when given; otherwise makes a new figure. The caller shows it
    (``plt.show()``) so no figure is left open behind a notebook cell.
    """
    import matplotlib.pyplot as plt
    if isinstance(curves, Curve):
        curves = {"": curves}
    if not isinstance(curves, dict) or not curves:
        raise TypeError("plot() takes a Curve or a non-empty dict {label: Curve} "
                        "(from kitlib.schedules.values(...))")
    for label, c in curves.items():
        if not isinstance(c, Curve):
            raise TypeError(f"curve {label!r} is a {type(c).__name__}, not a Curve from kitlib.schedules.values()")
    if ax is None:
        fig, ax = plt.subplots(figsize=(6, 3))
    else:
        fig = ax.figure
    for label, c in curves.items():
        ax.plot(c.steps, c.values, label=label or None)
    ax.set(xlabel="step (optimizer.iterations)", ylabel="learning rate")
    if log:
        ax.set_yscale("log")
    if title:
        ax.set_title(title)
    if any(curves):
        ax.legend(fontsize=8)
    return fig
