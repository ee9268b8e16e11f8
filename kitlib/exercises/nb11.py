"""Exercises for notebook 11 · Learning-rate schedules (``from kitlib.exercises import ___, nb11 as ex``).

1. Two rates (easy): ``PiecewiseConstantDecay`` and which side of a boundary a step falls on.
2. Warm-up, then cosine (medium): ``CosineDecay`` with ``warmup_steps``; what ``decay_steps``, ``alpha`` count.
3. Halve on a rise (medium): a callback that sets ``optimizer.learning_rate`` from the logs.
4. A warm-up per batch (thought-provoking): counting steps across epochs with ``optimizer.iterations``.
"""

from __future__ import annotations

import math
import textwrap

from kitlib.exercises import Incorrect, attach_callback, call, describe, exercise, expect, guarded, in_graph
from kitlib.exercises.nb10 import compiled_tiny_model, logs_left_alone

_SCHEDULE_ONLY = "the check only calls the schedule with step numbers; no object of the caller is passed"


def _keras_context():
    import keras
    import numpy as np
    return {"keras": keras, "np": np, "schedules": keras.optimizers.schedules}  # imported by the notebook above


def _schedule_values(schedule, steps, name):
    """The learner's schedule at *steps* as floats, read as an optimizer does: in a graph, with an int64
    step tensor (after a plain eager call, so an answer failing everywhere gets its own error)."""
    import keras
    import tensorflow as tf
    if isinstance(schedule, type):
        raise Incorrect(f"`{name}` is the class {schedule.__name__} itself; create a schedule by calling it "
                        f"with its arguments.")
    expect(isinstance(schedule, keras.optimizers.schedules.LearningRateSchedule),
           f"`{name}` should be a schedule from `keras.optimizers.schedules`, but it is {describe(schedule)}.")
    guarded(lambda: schedule(tf.constant(steps[0], dtype=tf.int64)), name, doing=f"Calling `{name}({steps[0]})`")
    values = in_graph(lambda t: tf.map_fn(lambda s: tf.cast(schedule(s), "float64"), t, fn_output_signature=tf.float64),
                      tf.constant(steps, dtype=tf.int64), name=name,
                      doing=f"Your schedule `{name}` (called with the optimizer's step counter)")
    return [float(v) for v in values]


def _close(a, b, atol=1e-12) -> bool:
    return math.isclose(a, b, rel_tol=1e-5, abs_tol=atol)


def _table(steps, values) -> str:
    return ", ".join(f"step {s}: {v:.3g}" for s, v in zip(steps, values))


@exercise(
    "11.1", "Two rates", answers=("two_rates",),
    starter="two_rates = ___  # a schedule: 1e-3 for the steps up to 500 (step 500 included), 1e-4 after",
    solution="two_rates = schedules.PiecewiseConstantDecay(boundaries=[500], values=[1e-3, 1e-4])",
    hints=("Section 1 shows a schedule with fixed values between boundaries.",
           "`PiecewiseConstantDecay(boundaries=[...], values=[...])` takes one more value than boundaries.",
           ("The boundary step itself still gets the earlier value: `boundaries=[500]` keeps 1e-3 at step 500 "
            "and switches at step 501.")),
    context=_keras_context,
    varies="the step: 0, inside, both sides of the boundary (500, 501) and far after, read in the optimizer's graph",
    exempt={"hardcoded": "the task fixes every number of the schedule (500, 1e-3, 1e-4); no parameter to hard-code",
            "mutates": _SCHEDULE_ONLY},
)
def q1(two_rates):
    """Reads the schedule as the optimizer does (int64 step tensor, in a graph) around the boundary and far after:
    1e-3 up to step 500, 1e-4 after; names an off-by-one boundary, swapped values or a rate that keeps falling."""
    steps = [0, 250, 499, 500, 501, 1000, 100_000]
    got = _schedule_values(two_rates, steps, "two_rates")
    if all(_close(g, e) for g, e in zip(got, [1e-3] * 4 + [1e-4] * 3)):
        return ("1e-3 up to step 500, 1e-4 from step 501. An optimizer given this schedule computes `two_rates("
                "optimizer.iterations)` before every update, so update number 500 (counted from 0) still uses 1e-3.")
    shown = f"Your schedule gives {_table(steps, got)}"
    expect(not _close(got[0], 1e-3) or all(_close(g, got[-1]) for g in got[4:]), f"{shown}: after step 500 it "
           f"keeps falling, but the rate should stay at 1e-4. Fixed values between boundaries: "
           f"`PiecewiseConstantDecay`.")
    expect(not (_close(got[3], 1e-4) and _close(got[2], 1e-3)), f"{shown}. At step 500 it already uses 1e-4: a "
           f"boundary step still gets the *earlier* value (`step <= boundary`), so the boundary is 500.")
    expect(not (_close(got[4], 1e-3) and _close(got[5], 1e-4)), f"{shown}. At step 501 it still uses 1e-3: the "
           f"change comes one step late. With `boundaries=[500]` step 501 is the first with the second value.")
    expect(not (_close(got[0], 1e-4) and _close(got[-1], 1e-3)), f"{shown}: the values are in the wrong order. "
           f"`values[0]` applies before the first boundary, `values[1]` after it.")
    raise Incorrect(f"{shown}; expected 1e-3 for the steps up to 500 and 1e-4 after.")


@exercise(
    "11.2", "Warm-up, then cosine", answers=("warmup_cosine",),
    starter=("warmup_cosine = ___  # 0 -> 1e-3 in a straight line over steps 0..200, then half a cosine down to "
             "1e-5 at step 1200"),
    solution="""
warmup_cosine = schedules.CosineDecay(
    initial_learning_rate=0.0,  # where the warm-up starts
    warmup_target=1e-3,  # where it ends (step 200), and where the cosine starts
    warmup_steps=200,
    decay_steps=1000,  # counted after the warm-up: 200 + 1000 = step 1200
    alpha=0.01)  # the final rate as a fraction of the peak: 0.01 * 1e-3 = 1e-5
""",
    hints=("Section 1's \"CosineDecay, warm-up\" curve has this shape; look at its arguments.",
           ("With a warm-up, `initial_learning_rate` is where the warm-up *starts* and `warmup_target` where "
            "it ends. Print `warmup_cosine(1200)` to test your answer."),
           ("`decay_steps` counts the steps after the warm-up, and `alpha` is the lowest rate as a *fraction* "
            "of the peak (`warmup_target`), not a rate.")),
    context=_keras_context,
    varies="the step: warm-up start, middle and end, the cosine's quarter, half and three-quarter points, its end "
           "and far after, read in the optimizer's graph",
    exempt={"hardcoded": "the task fixes every number of the schedule (200, 1200, 1e-3, 1e-5); no parameter to "
                         "hard-code",
            "mutates": _SCHEDULE_ONLY},
)
def q2(warmup_cosine):
    """Reads the schedule as the optimizer does (int64 step tensor, in a graph) during the warm-up, along
    the cosine (quarter points tell it from a straight line) and after its end; names a decay_steps that
    includes the warm-up, alpha as a rate, a warm-up from the peak or none, a straight-line decay."""
    steps = [0, 100, 200, 700, 1200, 5000, 450, 950]
    peak, low = 1e-3, 1e-5
    cosine = [low + (peak - low) * 0.5 * (1 + math.cos(math.pi * f)) for f in (0.25, 0.75)]
    expected = [0.0, peak / 2, peak, low + (peak - low) / 2, low, low, *cosine]
    got = _schedule_values(warmup_cosine, steps, "warmup_cosine")
    if all(_close(g, e, atol=1e-9) for g, e in zip(got, expected)):
        return ("0 at step 0, 1e-3 at step 200, halfway down at step 700 and 1e-5 from step 1200 on. The warm-up "
                "keeps the first updates small while the optimizer's moment estimates are still noisy.")
    shown = f"Your schedule gives {_table(steps, got)}"
    if not _close(got[2], peak):
        expect(not (_close(got[0], peak) and _close(got[1], peak)), f"{shown}: it is flat at 1e-3 during steps "
               f"0..200. The warm-up starts at `initial_learning_rate` and rises to `warmup_target`: start it at 0.0.")
        expect(not _close(got[0], peak),
               f"{shown}: it starts at 1e-3 and has no warm-up. Add `warmup_target` and `warmup_steps`.")
        raise Incorrect(f"{shown}; at step 200, the end of the warm-up, it should be 1e-3.")
    expect(_close(got[0], 0.0, atol=1e-12), f"{shown}; the warm-up starts at `initial_learning_rate`: 0.0.")
    expect(not (got[4] > low * 1.01 and got[5] <= low * 1.01), f"{shown}: at step 1200 it has not come down to 1e-5 "
           f"yet. `decay_steps` counts the steps after the warm-up: 1200 - 200 = 1000.")
    expect(not got[5] < low * 0.5, f"{shown}: it ends far below 1e-5. `alpha` is the final rate as a fraction of "
                                   f"the peak `warmup_target`: 1e-5 / 1e-3 = 0.01.")
    linear = [peak - (peak - low) * f for f in (0.25, 0.75)]
    expect(not all(_close(g, e, atol=1e-9) for g, e in zip(got, [*expected[:6], *linear])), f"{shown}: after the "
           f"warm-up it falls in a straight line. The task asks for half a cosine, which falls slowly at first and "
           f"last (at step 450 it should be {cosine[0]:.3g}): `CosineDecay`.")
    raise Incorrect(f"{shown}; expected {_table(steps, expected)}.")


def _lr_error(exc: Incorrect) -> Incorrect:
    text = str(exc)
    if "set_value" in text or "'lr'" in text:
        return Incorrect(f"{text.splitlines()[0]}\nKeras 2's `keras.backend.set_value(optimizer.lr, v)` is gone "
                         f"in Keras 3: assign `self.model.optimizer.learning_rate = v`.")
    return exc


_HALVE_BODY = '''        loss = logs["loss"]  # this epoch's training loss
        if self.previous_loss is not None and loss > self.previous_loss:  # it rose since the previous epoch
            self.model.optimizer.learning_rate = float(self.model.optimizer.learning_rate) / 2
        self.previous_loss = loss
'''
_HALVE_SOLUTION = f'''
class HalveOnRise(keras.callbacks.Callback):
    """Halves the learning rate after each epoch whose training loss is higher than
    the previous epoch's."""

    def on_train_begin(self, logs=None):
        self.previous_loss = None

    def on_epoch_end(self, epoch, logs=None):
{_HALVE_BODY}'''


def _halvings(lr0: float, losses) -> list[float]:
    """The learning rate after each epoch under HalveOnRise's rule: halved once per rise so far."""
    return [lr0 / 2 ** sum(b > a for a, b in zip(losses, losses[1:i + 1])) for i in range(len(losses))]


def _halving_with(body: str) -> str:
    """The reference HalveOnRise with the body of on_epoch_end replaced (a variant answer)."""
    return _HALVE_SOLUTION.replace(_HALVE_BODY, textwrap.indent(textwrap.dedent(body), " " * 8))


@exercise(
    "11.3", "Halve on a rise", answers=("HalveOnRise",),
    starter=_halving_with('''
        loss = ___  # this epoch's training loss
        if ___:     # it rose since the previous epoch
            ___     # halve the optimizer's learning rate
        self.previous_loss = loss'''),
    solution=_HALVE_SOLUTION,
    hints=("`logs[\"loss\"]` is the epoch's training loss. The first epoch has nothing to compare with.",
           "Read the current rate with `float(self.model.optimizer.learning_rate)`.",
           ("Set it by assignment: `self.model.optimizer.learning_rate = new_rate` (Keras 3 has no "
            "`optimizer.lr` and no `keras.backend.set_value`).")),
    context=_keras_context,
    varies="the starting rate (0.01, 0.003) and the loss history (rises after epochs 3, 5, 6; after 2, 5; an equal "
           "loss)\na second fit() with the same callback (its state must start afresh)",
    exempt={"graph": "a callback's on_epoch_end runs in Python between fit()'s steps, never inside its tf.function"},
)
def q3(HalveOnRise):
    """Drives on_train_begin/on_epoch_end through two loss histories and starting rates, twice each: the rate must
    halve after each epoch whose training loss is above the previous one's; refuses changes to `logs` entries."""
    import keras
    expect(isinstance(HalveOnRise, type) and issubclass(HalveOnRise, keras.callbacks.Callback), "`HalveOnRise` "
           f"should be a class derived from `keras.callbacks.Callback`, but it is {describe(HalveOnRise)}.")
    callback = call(HalveOnRise, name="HalveOnRise")
    expect(isinstance(callback, keras.callbacks.Callback), "`HalveOnRise()` is not a Callback.")
    runs = ((0.01, [1.00, 0.80, 0.90, 0.85, 0.95, 0.97, 0.60], [0.90, 0.85, 0.80, 0.90, 0.80, 0.85, 0.70]),
            (0.003, [0.70, 0.75, 0.60, 0.60, 0.55, 0.58], [0.50, 0.45, 0.55, 0.40, 0.60, 0.35]))
    for lr0, losses, val_losses in runs:
        expected = _halvings(lr0, losses)
        model = compiled_tiny_model(lr0)
        attach_callback(callback, model, epochs=len(losses), steps=10, name="HalveOnRise")
        got = []
        for _ in range(2):  # a second fit() with the same callback must start afresh
            model.optimizer.learning_rate = lr0
            try:
                call(callback.on_train_begin, {}, name="on_train_begin")
                for epoch, (loss, val_loss) in enumerate(zip(losses, val_losses)):
                    logs_left_alone(callback.on_epoch_end, epoch, {"loss": loss, "val_loss": val_loss}, "on_epoch_end")
                    got.append(float(model.optimizer.learning_rate))
            except Incorrect as exc:
                raise _lr_error(exc) from None
        first, second = got[:len(losses)], got[len(losses):]
        if not all(_close(g, e) for g, e in zip(first, expected)):
            shown, want = ", ".join(f"{g:.4g}" for g in first), ", ".join(f"{e:.4g}" for e in expected)
            if all(_close(g, lr0) for g in first):
                where = (" You set `optimizer.lr`: in Keras 3 that only adds an unused attribute; the rate is "
                         "`optimizer.learning_rate`." if hasattr(model.optimizer, "lr") else "")
                raise Incorrect(f"With training losses {losses} the learning rate never changed ({shown}).{where}")
            bad = next((g for g in first if not 0 < g < math.inf), None)  # 0, negative, inf or nan
            expect(bad is None, f"Starting from {lr0} with training losses {losses}, your callback set the rate to "
                   f"{bad} ({shown}): a learning rate must be a positive, finite number, and halving never gets there. "
                   f"Check the arithmetic: `rate / 2` (not `rate // 2`, nor a division by zero).")
            halved = [math.log2(lr0) - math.log2(g) for g in first]  # no overflow for tiny rates
            expect(not any(abs(h - round(h)) > 1e-6 for h in halved), f"Starting from {lr0} with training losses "
                   f"{losses}, the rate after each epoch was {shown}; expected {want}. These are not {lr0} halved: "
                   f"read the current rate from `self.model.optimizer.learning_rate` and halve it, not a fixed number.")
            raise Incorrect(f"With training losses {losses} the rate after each epoch was {shown}; expected {want} "
                            f"(halved after each epoch whose loss is above the previous epoch's, not above the best "
                            f"so far; the training loss, not val_loss).")
        expect(all(_close(g, e) for g, e in zip(second, expected)),
               "A second fit() with the same callback did not start afresh: reset your state in `on_train_begin`.")
    return ("The rate halves after epochs 3, 5 and 6, where the loss rose. This needs a float learning rate: "
            "on an optimizer built with a schedule the assignment raises TypeError (section 4).")


def _drive_batches(callback, model, epochs: int, per_epoch: int) -> list[float]:
    """Call the hooks fit() calls around each update (the step counter +1 after each); return the rate each uses."""
    rates = []
    attach_callback(callback, model, epochs=epochs, steps=per_epoch, name="LinearWarmup")
    call(callback.on_train_begin, {}, name="on_train_begin")
    for epoch in range(epochs):
        call(callback.on_epoch_begin, epoch, {}, name="on_epoch_begin")
        for batch in range(per_epoch):
            step = int(model.optimizer.iterations)
            call(callback.on_train_batch_begin, batch, {}, name="on_train_batch_begin")
            expect(int(model.optimizer.iterations) == step, f"Your `on_train_batch_begin` changed "
                   f"`optimizer.iterations` (from {step} to {int(model.optimizer.iterations)}): that counter belongs "
                   f"to the optimizer, which adds 1 after each update; schedules, checkpoints read it. Only read it.")
            rates.append(float(model.optimizer.learning_rate))  # what this update uses
            model.optimizer.iterations.assign_add(1)  # the update
            call(callback.on_train_batch_end, batch, {"loss": 1.0}, name="on_train_batch_end")
        call(callback.on_epoch_end, epoch, {"loss": 1.0}, name="on_epoch_end")
    call(callback.on_train_end, {}, name="on_train_end")
    return rates


_WARMUP_SOLUTION = '''
class LinearWarmup(keras.callbacks.Callback):
    """Raises the learning rate in a straight line to `target` over the first
    `warmup_steps` updates of training, then keeps it at `target`: update k (counted
    from 0, across epochs) uses target * min(1, (k + 1) / warmup_steps)."""

    def __init__(self, target, warmup_steps):
        super().__init__()
        self.target, self.warmup_steps = target, warmup_steps

    def on_train_batch_begin(self, batch, logs=None):
        k = int(self.model.optimizer.iterations)  # the number of this update, counted from 0 across epochs
        self.model.optimizer.learning_rate = self.target * min(1.0, (k + 1) / self.warmup_steps)
'''
_WARMUP_K = "int(self.model.optimizer.iterations)  # the number of this update, counted from 0 across epochs"
_WARMUP_RATE = "self.target * min(1.0, (k + 1) / self.warmup_steps)"


@exercise(
    "11.4", "A warm-up per batch", answers=("LinearWarmup",),
    starter=_WARMUP_SOLUTION.replace(_WARMUP_K, "___  # the number of this update, counted from 0 across epochs")
    .replace(_WARMUP_RATE, "self.target * ___  # the share of the target that update k uses"),
    solution=_WARMUP_SOLUTION,
    hints=("`batch` starts again at 0 in every epoch; the optimizer counts its updates over the whole run.",
           "`int(self.model.optimizer.iterations)` is the number of updates done before this one, i.e. k.",
           ("Assign `self.model.optimizer.learning_rate = self.target * min(1.0, (k + 1) / self.warmup_steps)`; "
            "that needs an optimizer created with a float rate (with a schedule the assignment raises TypeError).")),
    context=_keras_context,
    varies="target, warmup_steps, updates per epoch and epochs: (0.02, 6, 4, 2) and (0.05, 5, 3, 3), where the "
           "warm-up ends mid-epoch\n"
           "an optimizer with a float rate and one with a schedule (which must be refused with TypeError)",
    exempt={"graph": "a callback's on_train_batch_begin runs in Python before each step, never inside fit()'s "
                     "tf.function"},
)
def q4(LinearWarmup):
    """Drives the batch and epoch hooks (as fit() does, the step counter advancing after each update) for
    two settings of target/warmup_steps/epochs: update k (across epochs) must use target * min(1, (k + 1) /
    warmup_steps); refuses changes to `optimizer.iterations` and silently skipping a scheduled optimizer."""
    import keras
    expect(isinstance(LinearWarmup, type) and issubclass(LinearWarmup, keras.callbacks.Callback), "`LinearWarmup` "
           f"should be a class derived from `keras.callbacks.Callback`, but it is {describe(LinearWarmup)}.")

    def ramp(target, warmup, n):
        return [target * min(1.0, (k + 1) / warmup) for k in range(n)]

    settings = ((0.02, 6, 4, 2), (0.05, 5, 3, 3))  # (target, warmup_steps, updates per epoch, epochs)
    first_target, first_warmup = settings[0][:2]
    for target, warmup, per_epoch, epochs in settings:
        expected = ramp(target, warmup, per_epoch * epochs)
        cb = call(LinearWarmup, target, warmup, name="LinearWarmup")
        expect(isinstance(cb, keras.callbacks.Callback), "`LinearWarmup(target, warmup_steps)` is not a Callback.")
        try:
            got = _drive_batches(cb, compiled_tiny_model(1e-3), epochs, per_epoch)
        except Incorrect as exc:
            raise _lr_error(exc) from None
        if all(_close(g, e) for g, e in zip(got, expected)):
            continue
        shown = ", ".join(f"{g:.3g}" for g in got)
        for fixed, same in (("warmup_steps", ramp(target, first_warmup, len(got))),
                            ("target", ramp(first_target, warmup, len(got)))):
            if (target, warmup) != (first_target, first_warmup) and all(_close(g, e) for g, e in zip(got, same)):
                raise Incorrect(f"With target={target} and warmup_steps={warmup} the updates used {shown}: right "
                                f"for this notebook's {fixed} only. Use `self.{fixed}`, the value the callback was "
                                f"created with, not a number.")
        case = (f"With target={target}, warmup_steps={warmup} and {epochs} epochs of {per_epoch} updates the "
                f"updates used {shown}")
        expect(not (_close(got[per_epoch], expected[0]) and _close(got[0], expected[0])), f"{case}: the warm-up "
               f"started again in epoch 2, because `batch` restarts at 0 every epoch. Count updates with "
               f"`self.model.optimizer.iterations`.")
        expect(not _close(got[0], 0.0, atol=1e-12), f"{case}: the first update used learning rate 0, so it changed "
                                                    f"nothing. Update k uses target * (k + 1) / warmup_steps.")
        expect(len(set(round(g, 12) for g in got[:per_epoch])) != 1, f"{case}: the rate stays the same within an "
               f"epoch. Set it before every batch, in `on_train_batch_begin`.")
        raise Incorrect(f"{case}; expected {', '.join(f'{e:.3g}' for e in expected)}.")
    scheduled = compiled_tiny_model(keras.optimizers.schedules.ExponentialDecay(1e-3, 10, 0.5))  # must fail loudly
    try:
        _drive_batches(call(LinearWarmup, first_target, first_warmup, name="LinearWarmup"), scheduled, 1, 1)
    except Incorrect as exc:
        if exc.learner_error is None:  # the check's own message (e.g. a rate the callback set wrongly)
            raise
        expect(isinstance(exc.learner_error, TypeError), f"On an optimizer created with a learning-rate schedule your "
               f"callback raised {type(exc.learner_error).__name__} ({str(exc).splitlines()[0]}). Refusing is right, "
               f"but with the error Keras raises for it, TypeError (the wrong type of learning rate): let the "
               f"assignment's TypeError through, or raise a TypeError (or subclass) yourself.")
    else:
        raise Incorrect("On an optimizer created with a learning-rate schedule, your callback silently did "
                        "nothing: the warm-up the user asked for never happened. Let the TypeError of the "
                        "assignment through (or raise your own saying the optimizer needs a float rate).")
    return (f"Updates 0..{first_warmup - 1} ramp up to {first_target}, epoch 2 continues where epoch 1 stopped, and "
            f"an optimizer with a schedule is refused. A schedule (CosineDecay with warmup_steps, exercise 2) does "
            f"the same without a callback.")
