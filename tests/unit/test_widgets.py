"""kitlib.widgets: panels driven the way a user drives them (set values, click), without a browser."""

from __future__ import annotations

import asyncio
import math
import time

import numpy as np
import pytest

import ipywidgets as W
import keras

import kernelhelp
from kitlib import live, schedules, widgets
from kitlib.widgets import (LossWeightsExplorer, ScheduleExplorer, TrainingPanel, WeightingExplorer)

PNG = b"\x89PNG\r\n\x1a\n"
N = 512


@pytest.fixture(autouse=True)
def _headless(monkeypatch):
    monkeypatch.setenv(live.HEADLESS_ENV, "1")


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    x = rng.random((N, 784), dtype=np.float32)
    y = rng.integers(0, 10, N).astype("float32")
    return x, y, x[:128], y[:128]


def png(widget) -> bytes:
    return bytes(widget.value)


# --------------------------------------------------------------------------- training panel


def test_controls_are_real_widgets_with_stable_descriptions_and_css_classes(data):
    p = TrainingPanel(data)
    expected = {"optimizer": (W.Dropdown, "optimizer", "kitlib-optimizer"),
                "learning_rate": (W.FloatLogSlider, "learning rate", "kitlib-learning-rate"),
                "batch_size": (W.Dropdown, "batch size", "kitlib-batch-size"),
                "epochs": (W.IntSlider, "epochs", "kitlib-epochs"),
                "train_button": (W.Button, "Train", "kitlib-train"),
                "stop_button": (W.Button, "Stop", "kitlib-stop")}
    for attr, (cls, description, css) in expected.items():
        w = getattr(p, attr)
        assert isinstance(w, cls) and w.description == description and css in w._dom_classes
    assert "kitlib-status" in p.status._dom_classes and "kitlib-plot" in p.image._dom_classes
    assert "kitlib-training-panel" in p.widget._dom_classes
    assert p.stop_button.disabled and not p.running
    assert "application/vnd.jupyter.widget-view+json" in p._repr_mimebundle_()


def test_train_click_trains_a_model_with_the_values_of_the_controls(data):
    p = TrainingPanel(data)
    p.optimizer.value = "adam"
    p.learning_rate.value = 3e-3
    p.batch_size.value = 128
    p.epochs.value = 2
    assert not p.image.value
    p.train_button.click()  # no event loop here: runs synchronously
    opt = p.model.optimizer
    assert isinstance(opt, keras.optimizers.Adam)
    assert float(opt.learning_rate) == pytest.approx(3e-3)
    steps = math.ceil(N / 128)
    assert int(opt.iterations) == 2 * steps  # two epochs of batch 128 really ran
    run = p.last_run
    assert run["steps_per_epoch"] == steps and run["epochs_done"] == 2 and not run["stopped"]
    assert len(p.history["loss"]) == 2 and len(p.history["val_loss"]) == 2
    assert png(p.image).startswith(PNG)
    assert p.status.value.startswith("done: 2/2 epochs")
    assert not p.running and p.stop_button.disabled and not p.train_button.disabled


def test_same_settings_give_the_same_curve_and_other_settings_another(data):
    p = TrainingPanel(data)
    a = p.train(optimizer="sgd", learning_rate=0.01, batch_size=64, epochs=2)["history"]
    first_frame = png(p.image)
    b = p.train()["history"]
    assert a == b  # seeded: a rerun with the same values reproduces the curve exactly
    c = p.train(learning_rate=0.1)["history"]
    assert c["loss"] != a["loss"] and png(p.image) != first_frame
    assert [r["learning_rate"] for r in p.runs] == pytest.approx([0.01, 0.01, 0.1])


def test_a_new_run_frees_the_previous_model_and_no_figure_is_left_open(data):
    import gc
    import weakref
    import matplotlib.pyplot as plt
    figs = plt.get_fignums()
    p = TrainingPanel(data, epochs=1)
    p.train()
    old = weakref.ref(p.model)
    p.train()
    gc.collect()
    assert old() is None  # clear_session + one model per run: nothing accumulates
    ex = ScheduleExplorer()
    ex.controls["decay_rate"].value = 0.7
    assert plt.get_fignums() == figs


def test_stop_during_a_batch_stops_within_the_epoch(data):
    p = TrainingPanel(data, headless=False, min_interval=0.0, epochs=5)
    # a live frame is drawn after every batch; press Stop when the first one arrives
    p.image.observe(lambda _: p.stop_button.click(), names="value")
    p.train_button.click()
    run = p.last_run
    assert run["stopped"] and run["stop_requested_at_epoch"] == 0
    assert int(p.model.optimizer.iterations) < run["steps_per_epoch"]  # stopped inside epoch 1
    assert p.status.value.startswith("stopped")


def test_stop_click_on_the_event_loop_is_handled_between_chunks(data):
    """With an event loop (as in a kernel), Train returns at once and chunks run as tasks."""
    p = TrainingPanel(data, epochs=20, mode="auto")

    async def scenario():
        p.train_button.click()
        assert p.running and p.train_button.disabled and not p.stop_button.disabled
        assert "kitlib-running" in p.widget._dom_classes
        assert p.start() is False and "already training" in p.status.value
        with pytest.raises(RuntimeError, match="a run is in progress"):
            p.train(epochs=1)
        with pytest.raises(RuntimeError, match="wait_async"):
            p.wait()  # blocking here would freeze the loop the job runs on
        while len(p.live.epochs) < 2:
            await asyncio.sleep(0.005)  # the loop runs chunks; we get control between them
        p.stop_button.click()
        await p.wait_async()

    asyncio.run(scenario())
    run = p.last_run
    assert run["stopped"] and 2 <= run["stop_requested_at_epoch"] < 20
    # not one more chunk after the click was handled ("within one chunk" at worst)
    assert run["epochs_done"] == run["stop_requested_at_epoch"]
    assert not p.running and not p.train_button.disabled
    assert "kitlib-running" not in p.widget._dom_classes and p.status.value.startswith("stopped: 2/20")


def test_errors_reach_the_status_line(data):
    p = TrainingPanel(data, model_fn=lambda: "not a model")
    p.train_button.click()  # ipywidgets reports a handler's exception; the panel shows it too
    assert p.status.value.startswith("error: TypeError: model_fn returned str") and not p.running
    assert isinstance(p.error, TypeError)
    with pytest.raises(TypeError, match="model_fn returned str"):
        p.wait()
    with pytest.raises(TypeError, match="model_fn returned str"):
        p.train()

    async def scenario():
        p.train_button.click()
        with pytest.raises(TypeError, match="model_fn returned str"):
            await p.wait_async()

    asyncio.run(scenario())
    assert "model_fn returned str" in p.status.value


def test_the_default_data_is_the_guides_mnist():
    p = TrainingPanel(n_train=256, n_val=64)
    p.train(epochs=1, batch_size=64)
    assert p.last_run["steps_per_epoch"] == 4 and p.data.x_train.shape == (256, 784)


@pytest.mark.parametrize("kwargs, err, match", [
    ({"optimizer": "adagrad"}, ValueError, "pick one of"),
    ({"batch_size": 100}, ValueError, "not in batch_sizes"),
    ({"epochs": 30}, ValueError, "above max_epochs"),
    ({"epochs": 0}, ValueError, "positive int"),
    ({"learning_rate": 0}, ValueError, "learning_rate must be a number"),
    ({"mode": "thread"}, ValueError, "mode must be one of"),
    ({"seed": -1}, ValueError, "non-negative int"),
    ({"model_fn": "mlp"}, TypeError, "model_fn must be a function"),
    ({"data": (np.zeros((3, 2)), np.zeros(2))}, ValueError, "3 samples but y_train has 2"),
    ({"data": np.zeros((3, 2))}, TypeError, "data must be kitlib.data.guide_data"),
])
def test_training_panel_rejects_bad_arguments(kwargs, err, match, data):
    kwargs.setdefault("data", data)
    with pytest.raises(err, match=match):
        TrainingPanel(**kwargs)


def test_train_rejects_unknown_settings_and_values_the_controls_do_not_offer(data):
    p = TrainingPanel(data)
    with pytest.raises(TypeError, match="unknown setting"):
        p.train(lr=0.1)
    with pytest.raises(Exception, match="Invalid selection"):
        p.train(batch_size=100)


def test_async_mode_without_an_event_loop_says_what_to_use(data):
    p = TrainingPanel(data, mode="async")
    p.train_button.click()
    assert "needs a running asyncio event loop" in p.status.value and "mode=&#x27;sync&#x27;" in p.status.value
    with pytest.raises(RuntimeError, match="mode='sync'"):
        p.start()
    assert not p.running


# --------------------------------------------------------------------------- schedules


def _shown(ex) -> set[str]:
    """Parameter names of the controls in the panel now (the chosen schedule's)."""
    return {n for n, w in ex.all_controls[ex.kind.value].items() if w in ex.params_box.children}


@pytest.mark.parametrize("kind", schedules.names())
def test_each_schedule_starts_from_kitlib_schedules_and_plots_what_keras_computes(kind):
    ex = ScheduleExplorer(kind=kind, total_steps=600)
    # one source of truth: the explorer's parameters and defaults are kitlib.schedules'
    assert ex.params() == schedules.defaults(kind)
    assert list(ex.all_controls) == schedules.names()
    assert isinstance(ex.schedule, keras.optimizers.schedules.LearningRateSchedule)
    assert type(ex.schedule).__name__ == kind and ex.code.startswith(f"keras.optimizers.schedules.{kind}(")
    assert ex.steps.tolist() == list(range(601))
    for i in (0, 200, 599, 600):
        assert ex.values[i] == pytest.approx(float(ex.schedule(i)), rel=1e-5)
    # only the chosen schedule's controls are in the panel, each with its CSS class
    assert _shown(ex) == {p.name for p in schedules.spec(kind).params}
    for name, w in ex.controls.items():
        assert f"kitlib-{name.replace('_', '-')}" in (w.slider if hasattr(w, "slider") else w)._dom_classes
    assert "ExponentialDecay" in ex.kind.options and "kitlib-schedule-explorer" in ex.widget._dom_classes


def test_moving_a_slider_redraws_the_curve():
    ex = ScheduleExplorer(kind="ExponentialDecay", decay_rate=0.5, total_steps=1000)
    before, frame, n = ex.values.copy(), png(ex.image), ex.redraws
    ex.controls["decay_rate"].value = 0.9
    assert ex.redraws == n + 1 and png(ex.image) != frame
    assert ex.values[-1] > before[-1] and ex.values[0] == before[0]
    assert ex.params()["decay_rate"] == 0.9 and "decay_rate=0.9," in ex.code  # no 0.9000000000000001
    ex.controls["initial_learning_rate"].value = 1e-3
    assert ex.params()["initial_learning_rate"] == 1e-3
    ex.controls["staircase"].value = True
    assert len(np.unique(ex.values)) == 1000 // 200 + 1  # a staircase: one value per decay_steps
    assert "staircase=True" in ex.code and "staircase=True" in ex.status.value


def test_switching_schedules_shows_their_controls_and_keeps_each_ones_settings():
    ex = ScheduleExplorer(kind="ExponentialDecay", total_steps=1000)
    ex.controls["decay_rate"].value = 0.8
    ex.kind.value = "PolynomialDecay"
    assert isinstance(ex.schedule, keras.optimizers.schedules.PolynomialDecay)
    assert "decay_rate" not in _shown(ex) and "power" in _shown(ex)
    assert ex.params() == schedules.defaults("PolynomialDecay")
    assert "(1 - step / decay_steps)^power" in ex.summary.value
    ex.kind.value = "ExponentialDecay"
    assert ex.params()["decay_rate"] == pytest.approx(0.8)


def test_the_notebook_schedules_can_be_set_up_in_the_explorer():
    """Notebook 11 plots five schedules; each can be dialled in and gives the same curve."""
    lr0 = 1e-3
    setups = [
        ("ExponentialDecay", dict(initial_learning_rate=lr0, decay_steps=200, decay_rate=0.5)),
        ("PiecewiseConstantDecay", dict(boundaries=[300, 600], values=[lr0, lr0 / 2, lr0 / 10])),
        ("PolynomialDecay", dict(initial_learning_rate=lr0, decay_steps=800, end_learning_rate=lr0 / 10, power=2.0)),
        ("InverseTimeDecay", dict(initial_learning_rate=lr0, decay_steps=100, decay_rate=0.5)),
        ("CosineDecay", dict(initial_learning_rate=1e-5, decay_steps=800, warmup_target=lr0, warmup_steps=100)),
    ]
    ex = ScheduleExplorer(total_steps=1000)
    for kind, params in setups:
        ex.kind.value = kind
        for name, value in params.items():
            w = ex.controls[name]
            if hasattr(w, "switch"):
                w.switch.value, w.slider.value = True, value
            elif isinstance(w, W.Text):
                w.value = ", ".join(map(str, value))
            else:
                w.value = value
        np.testing.assert_allclose(ex.values, schedules.values(kind, 1000, **params).values, rtol=1e-5)
    assert ex.values[100] == pytest.approx(lr0, rel=1e-5)  # the cosine warm-up ends at warmup_target


def test_piecewise_boundaries_are_typed_as_text_and_mistakes_are_explained():
    ex = ScheduleExplorer(kind="PiecewiseConstantDecay", total_steps=1000)
    assert ex.controls["boundaries"].value == "300, 600"
    ex.controls["boundaries"].value = "100; 200"
    ex.controls["values"].value = "0.1, 0.05, 0.01"
    assert [float(ex.values[s]) for s in (100, 101, 201)] == pytest.approx([0.1, 0.05, 0.01])
    before = ex.values.copy()
    ex.controls["values"].value = "0.1, 0.05"
    assert "one more value than boundaries" in ex.status.value
    ex.controls["values"].value = "0.1, fast, 0.01"
    assert "not a list of numbers" in ex.status.value
    np.testing.assert_array_equal(ex.values, before)  # the last good curve stays


def test_the_warmup_target_is_none_until_switched_on():
    ex = ScheduleExplorer(kind="CosineDecay", total_steps=400, warmup_steps=100)
    w = ex.controls["warmup_target"]
    assert ex.params()["warmup_target"] is None and w.slider.disabled
    assert ex.values[0] == pytest.approx(1e-3)  # no warm-up: starts at initial_learning_rate
    w.switch.value = True
    assert not w.slider.disabled and ex.params()["warmup_target"] == pytest.approx(w.slider.value)
    assert ex.values[0] == pytest.approx(1e-3) and ex.values[100] == pytest.approx(w.slider.value, rel=1e-5)


def test_the_optimizer_follows_the_schedule_the_explorer_shows():
    ex = ScheduleExplorer(kind="InverseTimeDecay", decay_steps=10, decay_rate=1.0, total_steps=100)
    opt = keras.optimizers.SGD(learning_rate=ex.schedule)
    v = keras.Variable(1.0)
    for _ in range(30):
        opt.apply([keras.ops.ones(())], [v])
    assert int(opt.iterations) == 30
    assert float(opt.learning_rate) == pytest.approx(ex.values[30], rel=1e-5)


def test_an_injected_schedule_function_is_used_and_its_errors_are_shown():
    calls = []

    def my_schedule(kind, initial_learning_rate, decay_steps, decay_rate, staircase):
        calls.append((kind, dict(initial_learning_rate=initial_learning_rate, decay_steps=decay_steps,
                                 decay_rate=decay_rate, staircase=staircase)))
        if initial_learning_rate > 0.5:
            raise ValueError("too high for this demo")
        return lambda step: initial_learning_rate / (1.0 + np.asarray(step) / 100.0)

    ex = ScheduleExplorer(my_schedule, kind="ExponentialDecay", initial_learning_rate=0.1, total_steps=100)
    assert calls[-1][0] == "ExponentialDecay" and calls[-1][1]["initial_learning_rate"] == pytest.approx(0.1)
    assert calls[-1][1]["decay_steps"] == 200
    assert ex.values[100] == pytest.approx(0.05)
    before = ex.values.copy()
    ex.controls["initial_learning_rate"].value = 0.9
    assert "too high for this demo" in ex.status.value
    np.testing.assert_array_equal(ex.values, before)  # the last good curve stays


def test_sliders_reach_values_outside_their_usual_range():
    ex = ScheduleExplorer(kind="ExponentialDecay", decay_steps=8000, total_steps=30000)
    assert ex.controls["decay_steps"].value == 8000 and ex.total_steps.value == 30000
    assert ex.values[8000] == pytest.approx(5e-4, rel=1e-5)


def test_the_explorer_shows_a_static_curve_where_widgets_do_not_render():
    import base64
    ex = ScheduleExplorer(kind="PolynomialDecay", total_steps=300)
    bundle = ex._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle  # the live panel in JupyterLab
    assert base64.b64decode(bundle["image/png"]) == png(ex.image) and png(ex.image).startswith(PNG)
    assert bundle["text/plain"] == f"ScheduleExplorer: {ex.code}"


def test_bad_explorer_arguments_are_refused_with_the_fix():
    with pytest.raises(ValueError, match="unknown schedule 'Linear'"):
        ScheduleExplorer(kind="Linear")
    with pytest.raises(TypeError, match="did you mean 'initial_learning_rate'"):
        ScheduleExplorer(kind="ExponentialDecay", initial_learning_rat=0.1)
    with pytest.raises(ValueError, match="one more value than boundaries"):
        ScheduleExplorer(kind="PiecewiseConstantDecay", boundaries=[10], values=[0.1])
    with pytest.raises(ValueError, match="cannot show 0"):
        ScheduleExplorer(kind="CosineDecay", initial_learning_rate=0.0)
    with pytest.raises(ValueError, match="total_steps must be a positive int"):
        ScheduleExplorer(total_steps=0)
    with pytest.raises(TypeError, match="schedule_fn must be callable"):
        ScheduleExplorer("ExponentialDecay")


# --------------------------------------------------------------------------- class weighting


def test_weighting_explorer_calls_train_fn_with_the_slider_weight():
    calls = []

    def train_fn(weight):
        calls.append(weight)
        return [min(1.0, 0.1 * weight)] + [0.9] * 9

    ex = WeightingExplorer(train_fn, cls=0)
    assert ex.weight.description == "weight of class 0" and "kitlib-class-weight" in ex.weight._dom_classes
    ex.weight.value = 5.0
    ex.fit_button.click()
    assert calls == [pytest.approx(5.0)]
    assert ex.results[-1]["recall"][0] == pytest.approx(0.5)
    frame = png(ex.image)
    assert frame.startswith(PNG) and "recall of class 0 = 0.500" in ex.status.value
    assert ex.fit(8.0)[0] == pytest.approx(0.8) and png(ex.image) != frame
    assert [r["weight"] for r in ex.results] == pytest.approx([5.0, 8.0])


def test_weighting_explorer_rejects_a_train_fn_that_breaks_the_contract():
    ex = WeightingExplorer(lambda w: [0.5] * 3)
    with pytest.raises(ValueError, match="must return 10 recall values in"):
        ex.fit(2.0)
    assert ex.status.value.startswith("error: ValueError") and not ex.results
    with pytest.raises(ValueError, match="cls must be a class id"):
        WeightingExplorer(lambda w: [0.5] * 10, cls=10)


def test_weighting_explorer_shows_precision_when_train_fn_gives_a_weight_result():
    from kitlib.weighting import WeightResult

    def train_fn(weight):
        recall = tuple([0.9] * 4 + [min(1.0, weight / 10)] + [0.9] * 5)
        precision = tuple([0.9] * 4 + [math.nan if weight < 2 else 0.5] + [0.9] * 5)
        return WeightResult(weight, 4, recall, precision, 0.8)

    train_fn.rare_class, train_fn.num_classes = 4, 10
    ex = WeightingExplorer(train_fn)
    assert ex.cls == 4 and ex.weight.description == "weight of class 4"
    ex.fit(1.0)
    assert "precision = undefined" in ex.status.value and ex.results[-1]["accuracy"] == 0.8
    ex.fit(5.0)
    assert "recall of class 4 = 0.500, precision = 0.500" in ex.status.value
    assert ex.results[-1]["precision"][4] == 0.5 and png(ex.image).startswith(PNG)
    bad = WeightingExplorer(lambda w: WeightResult(w, 1, (0.5,) * 10, (2.0,) * 10, 0.5))
    with pytest.raises(ValueError, match="10 precision values in"):
        bad.fit(2.0)


def test_the_default_trainer_raises_the_recall_of_the_rare_class_with_its_weight():
    from kitlib import data as kdata
    from kitlib import weighting
    d = kdata.guide_data(n_train=3000, n_val=1000)
    train = widgets.imbalance_trainer(cls=3, keep=0.05, epochs=2, data=d)
    assert isinstance(train, weighting.WeightTrainer)
    assert train.n_rare == round(0.05 * int((d.y_train == 3).sum()))
    assert train.n_train == len(d.y_train) - int((d.y_train == 3).sum()) + train.n_rare
    ex = WeightingExplorer(train)
    assert ex.cls == 3 and ex.num_classes == 10
    plain, weighted = ex.fit(1.0), ex.fit(20.0)
    assert weighted[3] > plain[3] + 0.1  # weighting the rare class finds more of it
    assert 0 < ex.results[-1]["precision"][3] < 1  # the weighted model predicts 3s, some wrongly
    weighting.clear_cache()  # train again: seeded, so the same weight gives the same recall
    np.testing.assert_array_equal(ex.fit(1.0), plain)
    with pytest.raises(ValueError, match="keep must be a fraction"):
        widgets.imbalance_trainer(cls=3, keep=0, data=d)
    with pytest.raises(ValueError, match="needs validation data"):
        widgets.imbalance_trainer(cls=3, data=(d.x_train, d.y_train))


# --------------------------------------------------------------------------- loss weights


def test_loss_weights_explorer_passes_the_slider_values_and_checks_the_total():
    seen = []

    def train_fn(loss_weights):
        seen.append(dict(loss_weights))
        a, b = 0.2, 1.5
        return {"loss": loss_weights["score_output"] * a + loss_weights["class_output"] * b,
                "score_output_loss": a, "class_output_loss": b}

    ex = LossWeightsExplorer(train_fn)
    assert set(ex.sliders) == {"score_output", "class_output"}
    assert "kitlib-loss-weight-class-output" in ex.sliders["class_output"]._dom_classes
    ex.sliders["class_output"].value = 0.5
    ex.fit_button.click()
    assert seen == [{"score_output": 1.0, "class_output": pytest.approx(0.5)}]
    assert "total is the weighted sum" in ex.status.value and png(ex.image).startswith(PNG)
    assert ex.fit(score_output=2.0)["loss"] == pytest.approx(2.0 * 0.2 + 0.5 * 1.5)


def test_loss_weights_explorer_reports_missing_keys_and_divergence():
    with pytest.raises(ValueError, match=r"\['class_output_loss'\]"):
        LossWeightsExplorer(lambda w: {"loss": 1.0, "score_output_loss": 1.0}).fit()
    ex = LossWeightsExplorer(lambda w: {"loss": math.nan, "score_output_loss": math.nan, "class_output_loss": 1.0})
    ex.fit()
    assert "diverged" in ex.status.value
    with pytest.raises(ValueError, match="unknown outputs"):
        LossWeightsExplorer(lambda w: {}, weights={"score": 1.0})
    with pytest.raises(ValueError, match="unknown output"):
        LossWeightsExplorer(lambda w: {}).fit(score=2.0)


def test_the_default_multi_output_trainer_trades_one_loss_for_the_other():
    from kitlib import data as kdata
    ex = LossWeightsExplorer(widgets.multi_output_trainer(kdata.multi_io_data(512, seed=1), epochs=3))
    class_first = ex.fit(score_output=0.1, class_output=10.0)
    score_first = ex.fit(score_output=10.0, class_output=0.1)
    assert class_first["class_output_loss"] < score_first["class_output_loss"]
    assert score_first["score_output_loss"] < class_first["score_output_loss"]
    for r in ex.results:  # Keras reports per-output losses unweighted; the total is Σ weight·loss
        assert r["losses"]["loss"] == pytest.approx(r["weighted_sum"], rel=1e-5)
    with pytest.raises(TypeError, match="multi_io_data"):
        widgets.multi_output_trainer((1, 2))
    with pytest.raises(ValueError, match="epochs must be a positive int"):
        widgets.multi_output_trainer(epochs=0)


# --------------------------------------------------------------------------- in a real kernel


def test_in_a_kernel_a_stop_click_from_the_front_end_stops_between_chunks():
    k = kernelhelp.kernel()
    k.execute("""
import os, numpy as np
os.environ['KITLIB_HEADLESS'] = '1'
from kitlib.widgets import TrainingPanel
rng = np.random.default_rng(0)
x = rng.random((4096, 784), dtype=np.float32); y = rng.integers(0, 10, 4096).astype('float32')
panel = TrainingPanel((x, y, x[:512], y[:512]), epochs=20)
""")
    stop_id = k.value("panel.stop_button.model_id")
    # Train's click handler schedules the run on the kernel's event loop and returns
    assert k.value("panel.train_button.click(), panel.running")[1] is True
    t0 = time.monotonic()
    while k.value("len(panel.live.epochs)") < 2:  # the kernel answers between chunks
        assert time.monotonic() - t0 < 120, "training did not progress"
        time.sleep(0.2)
    k.click(stop_id)  # what the browser sends when Stop is clicked
    while k.value("panel.running"):
        assert time.monotonic() - t0 < 180, "Stop was not handled"
        time.sleep(0.2)
    run = k.value("{k: v for k, v in panel.last_run.items() if k != 'history'}")
    assert run["stopped"] and run["stop_requested_at_epoch"] >= 2
    assert run["epochs_done"] <= run["stop_requested_at_epoch"] + 1 < 20  # within one chunk
    assert k.value("panel.status.value").startswith("stopped")
    k.execute("os.environ.pop('KITLIB_HEADLESS', None)")
