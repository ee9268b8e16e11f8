"""kitlib.schedules: schedule values equal their formulas; bad input is refused with the fix."""

from __future__ import annotations

import math

import numpy as np
import pytest

from kitlib import schedules as S

STEPS = np.array([0, 1, 37, 99, 100, 101, 250, 299, 300, 301, 599, 600, 601, 799, 800, 801, 900, 1000, 4321])


# Reference formulas, written from the definitions (float64), independent of Keras.
def exponential(s, lr0, decay_steps, decay_rate, staircase):
    p = s / decay_steps
    return lr0 * decay_rate ** (np.floor(p) if staircase else p)


def piecewise(s, boundaries, values):
    out = np.full(s.shape, values[-1], dtype=float)
    for i in reversed(range(len(boundaries))):  # upper boundary inclusive: step <= b_i → values[i]
        out[s <= boundaries[i]] = values[i]
    return out


def polynomial(s, lr0, decay_steps, end, power, cycle):
    s = s.astype(float)
    if cycle:
        ds = decay_steps * np.where(s == 0, 1.0, np.ceil(s / decay_steps))
    else:
        ds, s = float(decay_steps), np.minimum(s, decay_steps)
    return (lr0 - end) * (1 - s / ds) ** power + end


def inverse_time(s, lr0, decay_steps, decay_rate, staircase):
    p = s / decay_steps
    return lr0 / (1 + decay_rate * (np.floor(p) if staircase else p))


def cosine(s, lr0, decay_steps, alpha, warmup_target=None, warmup_steps=0):
    s = s.astype(float)
    if warmup_target is None:
        s = np.minimum(s, decay_steps)
        return lr0 * ((1 - alpha) * 0.5 * (1 + np.cos(np.pi * s / decay_steps)) + alpha)
    s = np.minimum(s, decay_steps + warmup_steps)
    warm = lr0 + (warmup_target - lr0) * s / warmup_steps
    d = np.maximum(s - warmup_steps, 0)
    decay = warmup_target * ((1 - alpha) * 0.5 * (1 + np.cos(np.pi * d / decay_steps)) + alpha)
    return np.where(s < warmup_steps, warm, decay)


def cosine_restarts(s, lr0, first, t_mul, m_mul, alpha):
    out = []
    for step in s.astype(float):
        frac = step / first
        if t_mul == 1.0:
            i = math.floor(frac)
            frac -= i
        else:
            i = math.floor(math.log(1 - frac * (1 - t_mul)) / math.log(t_mul))
            frac = (frac - (1 - t_mul ** i) / (1 - t_mul)) / t_mul ** i
        cos = 0.5 * m_mul ** i * (1 + math.cos(math.pi * frac))
        out.append(lr0 * ((1 - alpha) * cos + alpha))
    return np.array(out)


CASES = [
    ("ExponentialDecay", dict(initial_learning_rate=0.1, decay_steps=100, decay_rate=0.5, staircase=False),
     lambda s: exponential(s, 0.1, 100, 0.5, False)),
    ("ExponentialDecay", dict(initial_learning_rate=0.1, decay_steps=100, decay_rate=0.5, staircase=True),
     lambda s: exponential(s, 0.1, 100, 0.5, True)),
    ("PiecewiseConstantDecay", dict(boundaries=[300, 600], values=[1e-3, 5e-4, 1e-4]),
     lambda s: piecewise(s, [300, 600], [1e-3, 5e-4, 1e-4])),
    ("PolynomialDecay", dict(initial_learning_rate=1e-2, decay_steps=800, end_learning_rate=1e-4, power=2.0),
     lambda s: polynomial(s, 1e-2, 800, 1e-4, 2.0, False)),
    ("PolynomialDecay", dict(initial_learning_rate=1e-2, decay_steps=300, end_learning_rate=1e-4, power=0.5, cycle=True),
     lambda s: polynomial(s, 1e-2, 300, 1e-4, 0.5, True)),
    ("InverseTimeDecay", dict(initial_learning_rate=1e-2, decay_steps=100, decay_rate=0.5),
     lambda s: inverse_time(s, 1e-2, 100, 0.5, False)),
    ("InverseTimeDecay", dict(initial_learning_rate=1e-2, decay_steps=100, decay_rate=0.5, staircase=True),
     lambda s: inverse_time(s, 1e-2, 100, 0.5, True)),
    ("CosineDecay", dict(initial_learning_rate=1e-2, decay_steps=800, alpha=0.1),
     lambda s: cosine(s, 1e-2, 800, 0.1)),
    ("CosineDecay", dict(initial_learning_rate=0.0, decay_steps=800, warmup_target=1e-2, warmup_steps=100),
     lambda s: cosine(s, 0.0, 800, 0.0, 1e-2, 100)),
    ("CosineDecayRestarts", dict(initial_learning_rate=1e-2, first_decay_steps=100, t_mul=2.0, m_mul=0.5, alpha=0.0),
     lambda s: cosine_restarts(s, 1e-2, 100, 2.0, 0.5, 0.0)),
]


@pytest.mark.parametrize("name, params, formula", CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_values_equal_the_formula_at_sampled_steps(name, params, formula):
    curve = S.values(name, STEPS, **params)
    assert curve.steps.dtype == np.int64 and curve.values.dtype == np.float32
    np.testing.assert_array_equal(curve.steps, STEPS)
    # float32 (Keras) against float64 (formula): agree to float32 rounding
    np.testing.assert_allclose(curve.values, formula(STEPS), rtol=2e-6, atol=1e-9)


def test_piecewise_boundary_step_still_has_the_earlier_value():
    c = S.values("PiecewiseConstantDecay", [299, 300, 301], boundaries=[300], values=[1.0, 0.5])
    assert c.values.tolist() == [1.0, 1.0, 0.5]


def test_int_steps_means_every_step_from_zero():
    c = S.values("ExponentialDecay", 10)
    assert c.steps.tolist() == list(range(11)) and len(c.values) == 11


def test_values_match_what_an_optimizer_uses_at_each_iteration():
    import keras
    sched = S.make("CosineDecay", initial_learning_rate=0.0, decay_steps=50, warmup_target=1e-2, warmup_steps=10)
    opt = keras.optimizers.SGD(learning_rate=sched)
    expected = S.evaluate(sched, 80)
    seen = []
    for k in range(81):
        opt.iterations.assign(k)
        seen.append(float(opt.learning_rate))
    # one vectorized call vs one scalar call per step: equal to float32 rounding
    np.testing.assert_allclose(np.array(seen, dtype=np.float32), expected, rtol=1e-5, atol=0)


def test_make_uses_defaults_and_overrides():
    sched = S.make("PolynomialDecay", power=3.0)
    cfg = sched.get_config()
    assert cfg["power"] == 3.0 and cfg["decay_steps"] == S.defaults("PolynomialDecay")["decay_steps"]
    assert type(sched).__name__ == "PolynomialDecay"


def test_names_spec_and_defaults():
    assert S.names()[:5] == ["ExponentialDecay", "PiecewiseConstantDecay", "PolynomialDecay",
                             "InverseTimeDecay", "CosineDecay"]
    d = S.defaults("PiecewiseConstantDecay")
    d["values"].append(9.0)  # a fresh copy: the registry is unchanged
    assert len(S.defaults("PiecewiseConstantDecay")["values"]) == 3
    assert S.spec("cosinedecay").name == "CosineDecay"  # case-insensitive
    for s in S.SCHEDULES.values():  # every default sits inside its slider range
        for p in s.params:
            if p.kind in ("float", "int") and p.low is not None:
                assert p.low <= p.default <= p.high, (s.name, p)
        S.make(s.name)  # and the defaults build


def test_unknown_schedule_name_suggests_the_close_one():
    with pytest.raises(ValueError, match=r"unknown schedule 'ExponentialDecy'.*Did you mean 'ExponentialDecay'"):
        S.make("ExponentialDecy")
    with pytest.raises(TypeError, match="must be a string"):
        S.spec(3)


@pytest.mark.parametrize("name, params, err, match", [
    ("ExponentialDecay", {"decay_step": 10}, TypeError, r"no parameter 'decay_step'.*did you mean 'decay_steps'"),
    ("ExponentialDecay", {"lr": 0.1}, TypeError, r"its parameters are \['initial_learning_rate'"),
    ("ExponentialDecay", {"decay_steps": 10.5}, ValueError, "whole number"),
    ("ExponentialDecay", {"decay_steps": 0}, ValueError, "decay_steps"),  # Keras' own check
    ("ExponentialDecay", {"initial_learning_rate": -0.1}, ValueError, "negative"),
    ("ExponentialDecay", {"initial_learning_rate": "0.1"}, TypeError, "must be a number"),
    ("ExponentialDecay", {"initial_learning_rate": float("nan")}, ValueError, "finite"),
    ("ExponentialDecay", {"staircase": "yes"}, TypeError, "True or False"),
    ("PiecewiseConstantDecay", {"boundaries": [100, 200], "values": [1.0, 0.5]}, ValueError, "one more value"),
    ("PiecewiseConstantDecay", {"boundaries": [200, 100], "values": [1.0, 0.5, 0.1]}, ValueError, "increase"),
    ("PiecewiseConstantDecay", {"boundaries": 100, "values": [1.0, 0.5]}, TypeError, "list of numbers"),
    ("PiecewiseConstantDecay", {"boundaries": [100], "values": [1.0, -0.5]}, ValueError, ">= 0"),
    # values Keras accepts but that give NaN or inf learning rates
    ("ExponentialDecay", {"decay_rate": -0.5}, ValueError, r"decay_rate=-0.5 is out of range: decay_rate must be a number > 0"),
    ("ExponentialDecay", {"decay_rate": 0}, ValueError, "decay_rate must be a number > 0"),
    ("InverseTimeDecay", {"decay_rate": -2.0}, ValueError, r"decay_rate must be a number >= 0.*divides by zero"),
    ("PolynomialDecay", {"power": -1.0}, ValueError, r"power=-1.0 is out of range: power must be a number >= 0.*inf"),
    ("PolynomialDecay", {"decay_steps": 0}, ValueError, "decay_steps must be a positive int"),
    ("CosineDecayRestarts", {"t_mul": 0}, ValueError, r"t_mul=0.0 is out of range: t_mul must be a number >= 1.*NaN"),
    ("CosineDecayRestarts", {"t_mul": 0.5}, ValueError, "t_mul must be a number >= 1"),
    ("CosineDecayRestarts", {"m_mul": -1.0}, ValueError, "m_mul must be a number >= 0"),
    ("CosineDecayRestarts", {"first_decay_steps": 0}, ValueError, "first_decay_steps must be a positive int"),
    ("CosineDecay", {"alpha": -0.5}, ValueError, r"alpha must be a number in \[0, 1\]"),
    ("CosineDecay", {"alpha": 2.0}, ValueError, r"alpha must be a number in \[0, 1\]"),
    ("CosineDecay", {"warmup_steps": -3}, ValueError, "warmup_steps must be a non-negative int"),
    ("CosineDecay", {"warmup_target": -1e-3}, ValueError, "warmup_target must be a number >= 0"),
])
def test_bad_parameters_are_refused(name, params, err, match):
    with pytest.raises(err, match=match):
        S.make(name, **params)


@pytest.mark.parametrize("steps, err, match", [
    (-1, ValueError, ">= 0"),
    ([0, -5], ValueError, ">= 0"),
    ([0.5, 1.0], ValueError, "whole numbers"),
    ([[0, 1]], ValueError, "1-D"),
    ([], ValueError, "non-empty"),
    (["a"], TypeError, "integers"),
    (True, TypeError, "int or a sequence"),
])
def test_bad_steps_are_refused(steps, err, match):
    with pytest.raises(err, match=match):
        S.evaluate(S.make("ExponentialDecay"), steps)


def test_evaluate_refuses_a_non_schedule():
    with pytest.raises(TypeError, match="LearningRateSchedule"):
        S.evaluate(0.01, 10)


def test_evaluate_accepts_float_steps_that_are_whole_and_plain_callables():
    sched = S.make("InverseTimeDecay")
    np.testing.assert_array_equal(S.evaluate(sched, np.array([0.0, 5.0])), S.evaluate(sched, [0, 5]))
    np.testing.assert_array_equal(S.evaluate(lambda step: 0.5, [0, 1, 2]), np.float32([0.5, 0.5, 0.5]))


def test_plot_draws_one_line_per_curve_and_refuses_other_input():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    curves = {n: S.values(n, 100) for n in ("ExponentialDecay", "CosineDecay")}
    fig = S.plot(curves, log=True, title="two")
    try:
        ax = fig.axes[0]
        assert len(ax.lines) == 2 and ax.get_yscale() == "log" and ax.get_title() == "two"
        assert [t.get_text() for t in ax.get_legend().get_texts()] == list(curves)
    finally:
        plt.close(fig)
    fig = S.plot(S.values("ExponentialDecay", 10))
    plt.close(fig)
    with pytest.raises(TypeError, match="Curve"):
        S.plot({"x": [1, 2, 3]})
    with pytest.raises(TypeError, match="non-empty dict"):
        S.plot({})


def test_code_shows_the_keras_call_that_rebuilds_the_schedule():
    import keras
    sched = S.make("PolynomialDecay", initial_learning_rate=0.01, decay_steps=300, power=2.0)
    text = S.code(sched)
    assert text.startswith("keras.optimizers.schedules.PolynomialDecay(initial_learning_rate=0.01, decay_steps=300")
    assert "name=" not in text and "power=2.0" in text
    rebuilt = eval(text, {"keras": keras})  # noqa: S307 - the point: the text is the call
    np.testing.assert_array_equal(S.evaluate(rebuilt, 400), S.evaluate(sched, 400))
    assert "warmup_target" not in S.code(S.make("CosineDecay"))  # None values are left out
    assert S.code(lambda step: 0.1).startswith("<function")


def test_a_schedule_that_gives_nan_or_inf_is_refused_when_evaluated():
    import keras
    growing = keras.optimizers.schedules.ExponentialDecay(1.0, decay_steps=1, decay_rate=1e10)
    with pytest.raises(ValueError, match=r"learning rate inf at step 4 .*NaN/inf.*ExponentialDecay"):
        S.evaluate(growing, 10)
    with pytest.raises(ValueError, match="at step 0"):
        S.evaluate(lambda step: np.full(np.shape(step), np.nan, np.float32), 3)


@pytest.mark.parametrize("name", list(S.SCHEDULES))
def test_every_schedule_stays_finite_over_its_slider_range(name):
    spec = S.spec(name)
    for p in spec.params:
        if p.kind not in ("float", "int") or p.low is None:
            continue
        for v in (p.low, p.high):
            curve = S.values(name, 6000, **{p.name: v})
            assert np.isfinite(curve.values).all(), (p.name, v)
