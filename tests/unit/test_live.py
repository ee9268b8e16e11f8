"""kitlib.live: the live training plot (recording, throttling, headless mode, display in a kernel)."""

from __future__ import annotations

import math

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


import kernelhelp  # noqa: E402
from kitlib import live, models, runtime  # noqa: E402
from kitlib.live import LivePlot  # noqa: E402

PNG = b"\x89PNG\r\n\x1a\n"
N, BATCH = 320, 32  # 10 steps per epoch


_MODEL = []


@pytest.fixture(autouse=True)
def _no_env(monkeypatch, shared_model):
    monkeypatch.delenv(live.HEADLESS_ENV, raising=False)
    _MODEL[:] = [shared_model]


@pytest.fixture(scope="module")
def xy():
    rng = np.random.default_rng(0)
    x = rng.random((N, 784), dtype=np.float32)
    y = rng.integers(0, 10, N).astype("float32")
    return x, y, x[:64], y[:64]


@pytest.fixture(scope="module")
def shared_model():
    runtime.seed_everything(0)
    return models.get_compiled_model()  # traced once, reused: these tests check the plot, not the numbers


def fit(xy, cb, epochs=3, model=None, **kw):
    x, y, xv, yv = xy
    if model is None:
        model = _MODEL[0]
    h = model.fit(x, y, batch_size=BATCH, epochs=epochs, validation_data=(xv, yv), verbose=0,
                  callbacks=[cb], **kw)
    return model, h


# --------------------------------------------------------------------------- recording


def test_headless_records_keras_history_and_draws_one_final_frame(xy):
    before = plt.figure()  # a user's own pyplot figure must survive untouched
    figs = plt.get_fignums()
    cb = LivePlot(headless=True)
    _, h = fit(xy, cb)
    assert cb.headless
    assert cb.history == h.history  # every epoch value Keras reported, exactly
    assert cb.epochs == [0, 1, 2]
    assert cb.draws == 1 and cb.png.startswith(PNG)  # one static frame, at the end
    assert plt.get_fignums() == figs  # no pyplot figure created or closed
    plt.close(before)
    assert cb.panels == ["loss", "sparse_categorical_accuracy"]


def test_per_batch_values_are_running_means_that_end_at_the_epoch_value(xy):
    cb = LivePlot(headless=True)
    _, h = fit(xy, cb)
    x, loss = cb.batch_history("loss")
    assert len(loss) == 3 * (N // BATCH)
    np.testing.assert_allclose(x[:3], [0.1, 0.2, 0.3])  # x is in epochs: batch b of epoch e at e + (b+1)/steps
    assert x[-1] == pytest.approx(3.0)
    # Keras 3 passes the mean since the start of the epoch to on_train_batch_end, so the
    # last batch of each epoch shows exactly the epoch's loss.
    ends = loss[N // BATCH - 1::N // BATCH]
    np.testing.assert_allclose(ends, h.history["loss"], rtol=1e-6)
    with pytest.raises(KeyError, match="recorded: loss, sparse_categorical_accuracy"):
        cb.batch_history("val_loss")


def test_per_batch_false_records_epochs_only(xy):
    cb = LivePlot(headless=True, per_batch=False)
    fit(xy, cb, epochs=2)
    assert len(cb.history["loss"]) == 2
    with pytest.raises(KeyError, match="no per-batch values"):
        cb.batch_history("loss")


def test_a_continued_fit_extends_the_curves_and_a_new_fit_starts_over(xy):
    cb = LivePlot(headless=True)
    model, _ = fit(xy, cb, epochs=2)
    fit(xy, cb, epochs=4, initial_epoch=2, model=model)  # training continues: same plot
    assert cb.epochs == [0, 1, 2, 3] and len(cb.history["loss"]) == 4
    fit(xy, cb, epochs=1, model=model)  # a new fit from epoch 0: a new plot (like History)
    assert cb.epochs == [0] and len(cb.history["loss"]) == 1


def test_accumulate_appends_a_new_fit_after_the_last_epoch(xy):
    cb = LivePlot(headless=True, accumulate=True)
    model, _ = fit(xy, cb, epochs=2)
    fit(xy, cb, epochs=2, model=model)
    assert cb.epochs == [0, 1, 2, 3]
    x, _ = cb.batch_history("loss")
    assert x[-1] == pytest.approx(4.0) and np.all(np.diff(x) > 0)


def test_metrics_selects_panels_and_an_unknown_name_fails_with_the_logged_names(xy):
    cb = LivePlot(["val_loss"], headless=True)  # val_ prefix means the same panel
    fit(xy, cb, epochs=1)
    assert cb.panels == ["loss"]
    with pytest.raises(ValueError, match=r"names \['accuracy'\].*'sparse_categorical_accuracy'"):
        fit(xy, LivePlot(["loss", "accuracy"], headless=True), epochs=1)


# --------------------------------------------------------------------------- drawing


def test_live_frames_go_to_the_target_throttled_by_time(xy):
    frames = []
    cb = LivePlot(headless=False, target=frames.append, min_interval=1e9, max_overhead=1.0)
    fit(xy, cb, epochs=3)
    # min_interval blocks every mid-epoch redraw: one frame per epoch end; the last one is
    # already up to date when training ends, so no extra final frame
    assert cb.draws == len(frames) == 3
    assert all(f.startswith(PNG) for f in frames) and cb.png == frames[-1]
    assert frames[0] != frames[-1]  # the curves moved

    frames.clear()
    cb = LivePlot(headless=False, target=frames.append, min_interval=0.0, max_overhead=1.0)
    fit(xy, cb, epochs=3)
    # every batch but the fit's first (it includes tracing, so the clock starts after it)
    # and every epoch end
    assert cb.draws == len(frames) == 3 * (N // BATCH) - 1 + 3
    assert cb.full_draws < cb.draws / 3  # most frames only redraw the curves (blitting)


def test_drawing_budget_caps_the_time_spent_drawing(xy):
    frames = []
    cb = LivePlot(headless=False, target=frames.append, min_interval=0.0, max_overhead=1e-9)
    fit(xy, cb, epochs=3)
    # the first frame (not budgeted), one budgeted frame that uses up the budget, then
    # nothing until the final frame, drawn because the shown one is out of date
    assert len(frames) == 3 and cb.draws == 3


def test_an_ipywidgets_image_target_gets_the_png(xy):
    import ipywidgets as W
    img = W.Image(format="png")
    cb = LivePlot(headless=True, target=img)
    fit(xy, cb, epochs=1)
    assert bytes(img.value) == cb.png and cb.png.startswith(PNG)


def test_frames_show_every_panel_even_when_values_are_nan(xy):
    cb = LivePlot(headless=False, target=lambda png: None, min_interval=0.0, max_overhead=1.0)
    cb.set_params({"epochs": 2, "steps": 2})
    cb.on_train_begin()
    cb.on_epoch_begin(0)
    cb.on_train_batch_end(0, {"loss": math.nan, "acc": 0.5, "per_class": np.zeros(3)})
    cb.on_train_batch_end(1, {"loss": math.inf, "acc": 0.6})
    cb.on_epoch_end(0, {"loss": math.nan, "acc": 0.6, "val_loss": 1.0})
    cb.on_train_end()
    assert cb.panels == ["loss", "acc"] and cb.png.startswith(PNG)  # the array log is skipped
    assert math.isnan(cb.history["loss"][0]) and cb.history["val_loss"] == [1.0]


def test_save_writes_the_last_frame_and_never_overwrites_silently(xy, tmp_path):
    cb = LivePlot(headless=True)
    with pytest.raises(RuntimeError, match="train with this LivePlot"):
        cb.save(tmp_path / "a.png")
    fit(xy, cb, epochs=1)
    p = cb.save(tmp_path / "plots" / "a.png")
    assert p.read_bytes() == cb.png
    p.write_bytes(b"mine")
    with pytest.raises(FileExistsError, match="overwrite=True"):
        cb.save(p)
    assert p.read_bytes() == b"mine"
    cb.save(p, overwrite=True)
    assert p.read_bytes() == cb.png
    with pytest.raises(ValueError, match="must end in .png"):
        cb.save(tmp_path / "a.jpg")


# --------------------------------------------------------------------------- headless detection


def test_headless_comes_from_the_argument_then_the_env_var_then_the_kernel(monkeypatch):
    assert live.is_headless() is True  # pytest is not a kernel
    monkeypatch.setenv(live.HEADLESS_ENV, "0")
    assert LivePlot().headless is False
    assert LivePlot(headless=True).headless is True
    monkeypatch.setenv(live.HEADLESS_ENV, "1")
    assert LivePlot().headless is True
    assert LivePlot(headless=False).headless is False
    monkeypatch.setenv(live.HEADLESS_ENV, "maybe")
    with pytest.raises(ValueError, match="KITLIB_HEADLESS='maybe' is not understood"):
        LivePlot()


@pytest.mark.parametrize("kwargs, err, match", [
    ({"headless": "yes"}, TypeError, "headless must be True, False or None"),
    ({"min_interval": -1}, ValueError, "min_interval must be a number of seconds"),
    ({"max_overhead": 0}, ValueError, "max_overhead must be a fraction"),
    ({"max_overhead": 5}, ValueError, "max_overhead must be a fraction"),
    ({"metrics": []}, ValueError, "metrics must be a list of metric names"),
    ({"metrics": ["loss", 3]}, ValueError, "metrics must be a list of metric names"),
    ({"max_cols": 0}, ValueError, "max_cols must be a positive int"),
    ({"dpi": 1.5}, TypeError, "dpi must be a positive int"),
    ({"cell_size": (3,)}, ValueError, "cell_size must be"),
    ({"target": "plot.png"}, TypeError, "target must be None"),
])
def test_bad_arguments_are_rejected(kwargs, err, match):
    with pytest.raises(err, match=match):
        LivePlot(**kwargs)


def test_an_ipywidget_that_cannot_show_an_image_is_rejected():
    import ipywidgets as W
    with pytest.raises(TypeError, match="ipywidgets.Image or ipywidgets.Output"):
        LivePlot(target=W.IntSlider())


# --------------------------------------------------------------------------- in a real kernel


def test_in_a_kernel_one_output_is_updated_in_place_and_headless_shows_one_figure():
    k = kernelhelp.kernel()
    k.execute("""
import os, numpy as np, matplotlib.pyplot as plt
from kitlib import models, runtime
from kitlib.live import LivePlot
rng = np.random.default_rng(0)
x = rng.random((2048, 784), dtype=np.float32); y = rng.integers(0, 10, 2048).astype('float32')
def fit(cb):
    runtime.seed_everything(0)
    m = models.get_compiled_model()
    m.fit(x, y, batch_size=32, epochs=2, validation_split=0.1, verbose=0, callbacks=[cb])
""")
    k.execute("os.environ.pop('KITLIB_HEADLESS', None); figs = plt.get_fignums()")
    msgs = k.execute("cb = LivePlot(min_interval=0.0); fit(cb)")["messages"]
    shown = [m for m in msgs if m["msg_type"] == "display_data"]
    updates = [m for m in msgs if m["msg_type"] == "update_display_data"]
    assert len(shown) == 1, "live mode displays one output"
    display_id = shown[0]["content"]["transient"]["display_id"]
    assert updates and all(m["content"]["transient"]["display_id"] == display_id for m in updates)
    assert all("image/png" in m["content"]["data"] for m in shown + updates)
    assert k.value("cb.headless, cb.draws, plt.get_fignums() == figs") == (False, 1 + len(updates), True)

    # an ipywidgets.Output target: each frame replaces the previous one (clear_output(wait=True))
    msgs = k.execute("import ipywidgets as W; out = W.Output(); cb = LivePlot(min_interval=0.0, target=out); "
                     "fit(cb)")["messages"]
    kinds = [m["msg_type"] for m in msgs if m["msg_type"] in ("display_data", "clear_output")]
    assert kinds and kinds == ["clear_output", "display_data"] * k.value("cb.draws")
    assert all(m["content"]["wait"] for m in msgs if m["msg_type"] == "clear_output")

    k.execute("os.environ['KITLIB_HEADLESS'] = '1'")
    msgs = k.execute("cb = LivePlot(min_interval=0.0); fit(cb)")["messages"]
    kinds = [m["msg_type"] for m in msgs if m["msg_type"] in ("display_data", "update_display_data")]
    assert kinds == ["display_data"], "headless: exactly one static figure, at the end"
    assert "image/png" in msgs[[m["msg_type"] for m in msgs].index("display_data")]["content"]["data"]
    assert k.value("cb.headless, cb.draws, plt.get_fignums() == figs") == (True, 1, True)
    k.execute("os.environ.pop('KITLIB_HEADLESS', None)")


def test_y_ranges_change_rarely_so_most_frames_only_redraw_curves():
    new = live._Frame._new_ylim
    assert new(None, 0.9, 2.4) == (0.0, pytest.approx(2.52))  # a loss: from 0
    assert new((0.0, 2.52), 0.2, 2.4) == (0.0, 2.52)  # falls, still fits: kept
    assert new(None, 0.1, 0.8) == (0.0, 1.02)  # an accuracy on its way to 1
    assert new((0.0, 1.02), 0.1, 0.97) == (0.0, 1.02)
    lo, hi = new((0.0, 2.52), 0.2, 3.0)  # left the range upwards: grows by a whole span
    assert lo == 0.0 and hi > 3.0 + 2.8 * 0.9
    lo, hi = new(None, -3.0, -1.0)  # negative data is not anchored at 0
    assert lo < -3.0 and -1.0 < hi < 0


def test_slowly_moving_curves_cost_two_full_redraws():
    frames = []
    cb = LivePlot(headless=False, target=frames.append, min_interval=0.0, max_overhead=1.0)
    cb.set_params({"epochs": 2, "steps": 300})
    cb.on_train_begin()
    for e in range(2):
        cb.on_epoch_begin(e)
        for b in range(300):
            t = e * 300 + b
            cb.on_train_batch_end(b, {"loss": 2.0 / (1 + 0.01 * t), "accuracy": 1 - 1 / (2 + 0.01 * t)})
        cb.on_epoch_end(e, {"loss": 0.5, "accuracy": 0.8, "val_loss": 0.6, "val_accuracy": 0.75})
    cb.on_train_end()
    assert cb.draws == len(frames) == 2 * 300 - 1 + 2
    # the first frame sees the first values only; the first fall shows the loss from 0, the
    # accuracy already goes up to 1: after that the axes never change
    assert cb.full_draws == 2


def test_the_benchmark_pairs_each_run_with_the_plain_run_of_its_repetition():
    import importlib.util
    from pathlib import Path
    path = Path(__file__).resolve().parents[2] / "bench" / "bench_liveplot.py"
    spec = importlib.util.spec_from_file_location("bench_liveplot", path)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)

    def row(variant, rep, wall, cb=0.0):
        return {"variant": variant, "rep": rep, "wall_s": wall, "cpu_s": wall, "epoch_s": [1.0, wall / 2],
                "callback_s": cb, "png_outputs": 1, "png_updates": 0, "clear_outputs": 0, "png_kb": 1.0,
                "pyplot_figures_left": 0, "frames": 1, "full_frames": 1, "draw_s": cb}

    # background load doubles every time in repetition 1: paired ratios cancel it
    rows = [row("plain", 0, 10.0), row("kitlib", 0, 10.2, 0.2), row("livelossplot", 0, 11.0, 1.0),
            row("plain", 1, 20.0), row("kitlib", 1, 20.4, 0.4), row("livelossplot", 1, 22.0, 2.0),
            row("plain", 2, 10.0), row("kitlib", 2, 10.2, 0.2), row("livelossplot", 2, 11.0, 1.0)]
    s = bench.summarize(rows, 3)
    assert s["kitlib"]["paired_wall_overhead_pct"] == pytest.approx(2.0)
    assert s["livelossplot"]["paired_wall_overhead_pct"] == pytest.approx(10.0)
    assert s["kitlib"]["callback_pct"] == pytest.approx(2.0)  # 0.2 s of a 10 s median plain fit
    v = bench.judge(s)
    assert v["paired_wall"]["ratio"] == pytest.approx(5.0) and v["paired_wall"]["at_least_3x_less"]
    assert v["callback"]["kitlib_le_5pct"]


@pytest.mark.parametrize("values", [[1e308, -1e308], [1.7e308, 1.79e308], [1e308, 1e308],
                                    [0.0, 1.7e308], [-1.7e308, 1.7e308], [5e-324, 1e-308]])
@pytest.mark.parametrize("headless", [True, False])
def test_finite_values_near_the_float_maximum_still_draw(values, headless):
    import warnings
    cb = LivePlot(headless=headless, target=lambda png: None, min_interval=0.0, max_overhead=1.0)
    cb.set_params({"epochs": len(values), "steps": 2})
    cb.on_train_begin()
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # no overflow on the way either
        for epoch, v in enumerate(values):
            cb.on_epoch_begin(epoch)
            cb.on_train_batch_end(0, {"loss": v})
            cb.on_train_batch_end(1, {"loss": v})
            cb.on_epoch_end(epoch, {"loss": v, "val_loss": -v})
        cb.on_train_end()
    assert cb.png.startswith(PNG) and cb.history["loss"] == values
    lo, hi = cb._frame.ylim["loss"] if cb._frame is not None else (-1, 1)
    assert math.isfinite(lo) and math.isfinite(hi) and lo < hi
