"""Panels whose controls drive real training (ipywidgets).

- ``TrainingPanel``: optimizer, learning rate, batch size, epochs, Train and Stop, with
  the live plot inside.
- ``ScheduleExplorer``: a learning-rate schedule and its parameters; the curve is
  redrawn as the controls move.
- ``WeightingExplorer``: the weight of one class in ``class_weight`` → per-class recall
  after a short fit.
- ``LossWeightsExplorer``: ``loss_weights`` of a two-output model → per-output losses.

A Jupyter kernel does not process widget events while a cell (or a callback) runs, so
panels train in short **chunks** (one epoch per ``fit()`` call) scheduled on the kernel's
asyncio event loop; between chunks the kernel handles clicks, so **Stop** takes effect
at the end of the current chunk at the latest. Outside an event loop (tests, scripts)
they run synchronously (``mode="sync"``); ``mode="auto"`` picks.

Every control is a real ipywidget with a stable ``description`` and a CSS class
``kitlib-<name>`` (e.g. ``kitlib-learning-rate``, ``kitlib-train``, ``kitlib-status``),
so code (``slider.value = ...``, ``button.click()``) and a browser can drive it. While a
job runs, ``panel.running`` is True and the panel's box has the class
``kitlib-running``; the status line then starts with ``done:``, ``stopped:`` or
``error:``. In a cell, ``await panel.wait_async()`` waits for a clicked run.
The computation behind each explorer is injected (``train_fn=``, ``schedule_fn=``,
``model_fn=``), with defaults built here from Keras APIs (schedules: ``kitlib.schedules``).
"""

from __future__ import annotations

import asyncio
import html
import math
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from kitlib import _validate as V

import ipywidgets as W
import keras

from kitlib import live as _live
from kitlib import runtime as _runtime
from kitlib import schedules as _schedules
from kitlib import weighting as _weighting

__all__ = [
    "TrainingPanel", "ScheduleExplorer", "WeightingExplorer", "LossWeightsExplorer",
    "OPTIMIZERS", "imbalance_trainer", "multi_output_trainer",
]

MODES = ("auto", "async", "sync")

OPTIMIZERS: dict[str, Callable[..., keras.optimizers.Optimizer]] = {
    "adam": keras.optimizers.Adam,
    "rmsprop": keras.optimizers.RMSprop,
    "sgd": keras.optimizers.SGD,
    "adamw": keras.optimizers.AdamW,
}


def _css(widget: W.Widget, name: str) -> W.Widget:
    widget.add_class(f"kitlib-{name}")
    if hasattr(widget, "style") and "description_width" in widget.style.keys:
        widget.style.description_width = "initial"
    return widget


# --------------------------------------------------------------------------- base


class _Panel:
    """Runs a job (a generator: each ``next()`` is one chunk) synchronously or on the event loop."""

    #: Seconds the event loop gets between chunks to process widget events (e.g. Stop).
    yield_seconds = 0.02

    def __init__(self, mode: str):
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
        self.mode = mode
        self.running = False
        self.error: BaseException | None = None
        self._task: asyncio.Task | None = None
        self._stop_requested = False
        self.status = _css(W.HTML(value=""), "status")
        self.widget: W.Box

    # ---- display
    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)

    def _set_status(self, text: str) -> None:
        self.status.value = html.escape(text)

    # ---- running jobs
    def _resolve_mode(self) -> str:
        try:
            asyncio.get_running_loop()
            loop = True
        except RuntimeError:
            loop = False
        if self.mode == "async" and not loop:
            raise RuntimeError("mode='async' needs a running asyncio event loop (a Jupyter kernel has "
                               "one); use mode='sync' (or 'auto') here")
        if self.mode == "auto":
            return "async" if loop else "sync"
        return self.mode

    def _launch(self, job) -> bool:
        if self.running:
            return False
        try:
            mode = self._resolve_mode()
        except RuntimeError as exc:
            self._fail(exc)
            raise
        self.running = True
        self._stop_requested = False
        self.error = None
        self.widget.add_class("kitlib-running")  # a browser test can wait for this class to go
        self._set_busy(True)
        if mode == "sync":
            self._drive_sync(job)
        else:
            self._task = asyncio.get_running_loop().create_task(self._drive_async(job))
        return True

    def _drive_sync(self, job) -> None:
        try:
            for _ in job:
                if self._stop_requested:
                    job.close()
                    break
        except Exception as exc:
            self._fail(exc)
            raise
        finally:
            self._finish()

    async def _drive_async(self, job) -> None:
        try:
            while True:
                try:
                    next(job)
                except StopIteration:
                    break
                await asyncio.sleep(self.yield_seconds)  # the kernel handles widget events here
                if self._stop_requested:
                    job.close()
                    break
        except Exception as exc:  # shown in the status line; re-raised by wait_async()
            self._fail(exc)
        finally:
            self._finish()

    def _fail(self, exc: BaseException) -> None:
        self.error = exc
        self._set_status(f"error: {type(exc).__name__}: {exc}")

    def _finish(self) -> None:
        self.running = False
        self.widget.remove_class("kitlib-running")
        self._set_busy(False)

    def _set_busy(self, busy: bool) -> None:  # overridden: disable controls while running
        pass

    def stop(self) -> None:
        """Ask the running job to stop at the end of its current chunk (what the Stop button does)."""
        if self.running:
            self._stop_requested = True

    async def wait_async(self) -> None:
        """Wait for the job started by a click (``await panel.wait_async()`` in a cell); re-raise its error."""
        if self._task is not None:
            await asyncio.shield(self._task)
        if self.error is not None:
            raise self.error

    def wait(self) -> None:
        """Return when no job is running; re-raise its error. Sync jobs are done when the click returns.

        A job on this thread's event loop cannot be waited for by blocking (it would never
        run): use ``await panel.wait_async()`` instead.
        """
        if self.running:
            raise RuntimeError("the job runs on this kernel's event loop between cells, so a blocking wait "
                               "would freeze it; use `await panel.wait_async()` in a cell instead")
        if self.error is not None:
            raise self.error


# --------------------------------------------------------------------------- training panel


class _StopAtBatch(keras.callbacks.Callback):
    """Stops fit() within one batch once the panel's Stop was requested (sync mode, or a callback)."""

    def __init__(self, panel: _Panel):
        super().__init__()
        self.panel = panel

    def on_train_batch_end(self, batch, logs=None):
        if self.panel._stop_requested:
            self.model.stop_training = True


def _split_data(data) -> tuple[np.ndarray, np.ndarray, tuple | None]:
    fields = ("x_train", "y_train", "x_val", "y_val")
    if all(hasattr(data, f) for f in fields):
        x, y, val = data.x_train, data.y_train, (data.x_val, data.y_val)
    elif isinstance(data, (tuple, list)) and len(data) in (2, 4):
        x, y = data[0], data[1]
        val = (data[2], data[3]) if len(data) == 4 else None
    else:
        raise TypeError("data must be kitlib.data.guide_data(...) or a tuple (x_train, y_train[, x_val, y_val]); "
                        f"got {type(data).__name__}")
    if len(x) != len(y):
        raise ValueError(f"x_train has {len(x)} samples but y_train has {len(y)}")
    if val is not None and len(val[0]) != len(val[1]):
        raise ValueError(f"x_val has {len(val[0])} samples but y_val has {len(val[1])}")
    return x, y, val


class TrainingPanel(_Panel):
    """Optimizer, learning rate, batch size, epochs; Train / Stop; a live plot of the run.

    Each Train click builds a fresh model (``model_fn()``, seeded with ``seed`` after
    ``keras.backend.clear_session()``), compiles it with the chosen optimizer and
    learning rate, and trains it one epoch per chunk. The same settings give the same
    curve. Results: ``panel.model``, ``panel.history`` and ``panel.runs`` (one dict of
    settings and results per run), ``panel.live`` (the LivePlot).

    Args:
        data: ``guide_data(...)`` or ``(x_train, y_train[, x_val, y_val])``; default:
            the guide's MNIST split with ``n_train`` / ``n_val`` samples (loaded at the
            first run).
        model_fn: returns an *uncompiled* model; default ``kitlib.models.get_uncompiled_model``.
        loss, metrics: passed to ``compile``.
        mode: "auto" (event loop if one runs, else synchronous), "async" or "sync".
        headless: passed to the LivePlot (None: ``$KITLIB_HEADLESS`` / kernel detection).
    """

    def __init__(self, data=None, *, model_fn: Callable[[], keras.Model] | None = None,
                 loss="sparse_categorical_crossentropy", metrics=("sparse_categorical_accuracy",),
                 optimizer: str = "rmsprop", learning_rate: float = 1e-3, batch_size: int = 64,
                 epochs: int = 3, max_epochs: int = 20, batch_sizes: Sequence[int] = (16, 32, 64, 128, 256, 512),
                 seed: int = 42, n_train: int = 8000, n_val: int = 2000, mode: str = "auto",
                 headless: bool | None = None, min_interval: float = 0.5, clear_session: bool = True):
        super().__init__(mode)
        if data is not None:
            _split_data(data)  # fail now, not at the first click
        if model_fn is not None and not callable(model_fn):
            raise TypeError(f"model_fn must be a function returning an uncompiled keras.Model, got {model_fn!r}")
        if optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer {optimizer!r} is not offered; pick one of {sorted(OPTIMIZERS)}")
        batch_sizes = [int(b) for b in batch_sizes]
        if batch_size not in batch_sizes:
            raise ValueError(f"batch_size={batch_size!r} is not in batch_sizes={batch_sizes}")
        for what, v in (("epochs", epochs), ("max_epochs", max_epochs)):
            V.integer(v, what, low=1)
        if epochs > max_epochs:
            raise ValueError(f"epochs={epochs} is above max_epochs={max_epochs}")
        V.number(learning_rate, "learning_rate", low=1e-6, high=10)
        V.integer(seed, "seed", low=0)
        self.data = data
        self.model_fn = model_fn
        self.loss = loss
        self.metrics = list(metrics) if metrics else []
        self.seed = int(seed)
        self.n_train, self.n_val = n_train, n_val
        self.clear_session = clear_session
        self.model: keras.Model | None = None
        self.runs: list[dict[str, Any]] = []

        self.optimizer = _css(W.Dropdown(options=list(OPTIMIZERS), value=optimizer, description="optimizer"),
                              "optimizer")
        self.learning_rate = _css(W.FloatLogSlider(value=learning_rate, base=10, min=-5, max=0, step=0.1,
                                                   description="learning rate", readout_format=".1e"),
                                  "learning-rate")
        self.batch_size = _css(W.Dropdown(options=batch_sizes, value=batch_size, description="batch size"),
                               "batch-size")
        self.epochs = _css(W.IntSlider(value=epochs, min=1, max=max_epochs, description="epochs"), "epochs")
        self.train_button = _css(W.Button(description="Train", button_style="success", icon="play"), "train")
        self.stop_button = _css(W.Button(description="Stop", button_style="danger", icon="stop",
                                         disabled=True), "stop")
        self.image = _css(W.Image(format="png"), "plot")
        self.live = _live.LivePlot(headless=headless, target=self.image, min_interval=min_interval)
        self._stopper = _StopAtBatch(self)
        self.train_button.on_click(lambda _: self.start())
        self.stop_button.on_click(lambda _: self.stop())
        controls = W.HBox([W.VBox([self.optimizer, self.learning_rate]), W.VBox([self.batch_size, self.epochs]),
                           W.VBox([self.train_button, self.stop_button])])
        self.widget = _css(W.VBox([controls, self.status, self.image]), "training-panel")
        self._set_status("ready: choose settings and press Train")

    # ---- public API
    @property
    def settings(self) -> dict[str, Any]:
        """The values the controls hold now (what the next run will use)."""
        return {"optimizer": self.optimizer.value, "learning_rate": float(self.learning_rate.value),
                "batch_size": int(self.batch_size.value), "epochs": int(self.epochs.value)}

    @property
    def history(self) -> dict[str, list[float]]:
        """Epoch values of the current (or last) run, as in ``History.history``."""
        return self.live.history

    @property
    def last_run(self) -> dict[str, Any] | None:
        return self.runs[-1] if self.runs else None

    def start(self) -> bool:
        """Start a run with the current settings (what Train does). False if one is running."""
        if self.running:
            self._set_status("already training: press Stop first")
            return False
        return self._launch(self._run(self.settings))

    def train(self, **settings) -> dict[str, Any]:
        """Set controls (``optimizer=``, ``learning_rate=``, ``batch_size=``, ``epochs=``), run synchronously.

        Returns the run's record (also ``panel.last_run``). For scripts and tests; in a
        notebook, press Train.
        """
        if self.running:
            raise RuntimeError("a run is in progress: press Stop, or `await panel.wait_async()` first")
        unknown = set(settings) - {"optimizer", "learning_rate", "batch_size", "epochs"}
        if unknown:
            raise TypeError(f"unknown setting(s) {sorted(unknown)}; use optimizer, learning_rate, batch_size, epochs")
        for k, v in settings.items():
            getattr(self, k).value = v
        saved, self.mode = self.mode, "sync"
        try:
            self.start()
        finally:
            self.mode = saved
        return self.last_run

    # ---- the job
    def _load(self):
        if self.data is None:
            from kitlib import data as _data
            self.data = _data.guide_data(n_train=self.n_train, n_val=self.n_val)
        return _split_data(self.data)

    def _build(self, s: dict) -> keras.Model:
        if self.model_fn is None:
            from kitlib import models as _models
            model_fn = _models.get_uncompiled_model
        else:
            model_fn = self.model_fn
        self.model = None
        if self.clear_session:
            keras.backend.clear_session()  # frees the previous run's model and graphs
        _runtime.seed_everything(self.seed)
        model = model_fn()
        if not isinstance(model, keras.Model):
            raise TypeError(f"model_fn returned {type(model).__name__}, not a keras.Model")
        model.compile(optimizer=OPTIMIZERS[s["optimizer"]](learning_rate=s["learning_rate"]),
                      loss=self.loss, metrics=self.metrics or None)
        return model

    def _run(self, s: dict):
        x, y, val = self._load()
        self._set_status(f"building a {s['optimizer']} model (learning rate {s['learning_rate']:.1e})…")
        model = self.model = self._build(s)
        self.live.reset()
        self.live.total_epochs = s["epochs"]
        record = dict(s, epochs_done=0, stopped=False, stop_requested_at_epoch=None, steps_per_epoch=None,
                      history=self.live.history, seed=self.seed)
        self.runs.append(record)
        done = 0
        try:
            for epoch in range(s["epochs"]):
                model.fit(x, y, batch_size=s["batch_size"], initial_epoch=epoch, epochs=epoch + 1,
                          validation_data=val, verbose=0, callbacks=[self.live, self._stopper])
                record["steps_per_epoch"] = self.live.params.get("steps")
                if self.live.epochs and self.live.epochs[-1] == epoch:
                    done = record["epochs_done"] = epoch + 1
                if self._stop_requested or model.stop_training:
                    record["stopped"] = True
                    break
                self._set_status(f"epoch {done}/{s['epochs']} · {_summary(self.live.history)}")
                if done < s["epochs"]:
                    yield epoch
        except GeneratorExit:  # Stop between chunks
            record["stopped"] = True
            raise
        finally:
            record["history"] = {k: list(v) for k, v in self.live.history.items()}
            state = "stopped" if record["stopped"] else "done"
            self._set_status(f"{state}: {done}/{s['epochs']} epochs · {_summary(self.live.history)}")

    def _set_busy(self, busy: bool) -> None:
        for w in (self.optimizer, self.learning_rate, self.batch_size, self.epochs, self.train_button):
            w.disabled = busy
        self.stop_button.disabled = not busy

    def stop(self) -> None:
        """Stop the run at the end of the current epoch (what Stop does); no effect when idle."""
        if self.running and not self._stop_requested:
            self._stop_requested = True
            if self.runs:
                self.runs[-1]["stop_requested_at_epoch"] = len(self.live.epochs)
            self._set_status("stopping at the end of this epoch…")


def _summary(history: Mapping[str, list[float]]) -> str:
    parts = [f"{k} {v[-1]:.4g}" for k, v in history.items() if v and not math.isnan(v[-1])]
    return " · ".join(parts) if parts else "no epoch finished"


# --------------------------------------------------------------------------- schedules


def _slug(name: str) -> str:
    return name.replace("_", "-")


def _log_range(p, value) -> tuple[float, float]:
    """Exponent range of a log slider for Param *p* that also holds *value*."""
    if value is not None and value <= 0:
        raise ValueError(f"{p.name}={value!r}: a log-scale slider cannot show 0 or less; "
                         f"give a small positive value such as {p.low:g}")
    lo, hi = math.log10(p.low), math.log10(p.high)
    if value is not None:
        lo, hi = min(lo, math.log10(value)), max(hi, math.log10(value))
    return lo, hi


def _param_widget(p, value) -> W.Widget:
    """The control for one schedule parameter (a ``kitlib.schedules.Param``), set to *value*."""
    label = p.name.replace("_", " ")
    if p.kind == "bool":
        return _css(W.Checkbox(value=bool(value), description=label), _slug(p.name))
    if p.kind == "list":
        text = ", ".join(f"{v:g}" for v in value)
        return _css(W.Text(value=text, description=label, continuous_update=False,
                           placeholder="numbers separated by commas"), _slug(p.name))
    if p.kind == "int":
        v = int(value)
        return _css(W.IntSlider(value=v, min=min(int(p.low), v), max=max(int(p.high), v), description=label),
                    _slug(p.name))
    if p.log:  # "float" or "optional_float" on a log scale (learning rates)
        lo, hi = _log_range(p, None if value is None else float(value))
        shown = float(value) if value is not None else 10 ** ((lo + hi) / 2)
        slider = _css(W.FloatLogSlider(value=shown, base=10, min=lo, max=hi, step=0.05, readout_format=".1e",
                                       description=label), _slug(p.name))
    else:
        v = float(value)
        lo, hi = min(float(p.low), v), max(float(p.high), v)
        step = 10 ** math.floor(math.log10((hi - lo) / 100))  # a round step: values like 0.9, not 0.901
        slider = _css(W.FloatSlider(value=v, min=lo, max=hi, step=step, readout_format=".3g",
                                    description=label), _slug(p.name))
    if p.kind != "optional_float":
        return slider
    # None allowed (CosineDecay's warmup_target: None = no warm-up): a checkbox switches it on.
    switch = _css(W.Checkbox(value=value is not None, description="set", indent=False,
                             layout=W.Layout(width="auto")), f"{_slug(p.name)}-on")
    slider.disabled = value is None
    switch.observe(lambda change: setattr(slider, "disabled", not change["new"]), names="value")
    box = W.HBox([slider, switch])
    box.slider, box.switch = slider, switch
    return box


def _param_value(p, widget):
    """The value of one control as the schedule takes it (lists parsed from their text)."""
    if p.kind == "optional_float":
        return _tidy(widget.slider.value) if widget.switch.value else None
    if p.kind == "list":
        parts = [s for s in widget.value.replace(";", ",").split(",") if s.strip()]
        try:
            return [float(s) for s in parts]
        except ValueError:
            raise ValueError(f"{p.name}: {widget.value!r} is not a list of numbers; "
                             f"write them separated by commas, e.g. 300, 600") from None
    if p.kind == "int":
        return int(widget.value)
    if p.kind == "bool":
        return bool(widget.value)
    return _tidy(widget.value)


def _tidy(value) -> float:
    """A slider's float without binary noise (0.9000000000000001 -> 0.9), as a user would type it."""
    return float(f"{float(value):.10g}")


class ScheduleExplorer:
    """A learning-rate schedule whose curve is redrawn as its controls move.

    The schedules on offer, their parameters, defaults and slider ranges are those of
    :mod:`kitlib.schedules` (``schedules.spec(name)``); the curve is computed by
    ``schedules.evaluate``, so it is what an optimizer given the same schedule uses.
    ``schedule_fn(kind, **params)`` builds the schedule (default ``schedules.make``: a
    ``keras.optimizers.schedules`` object); an injected one may return any callable
    ``step -> learning rate`` that accepts a vector of int64 steps.

    Each schedule has its own controls (kept when you switch away and back); only the
    chosen schedule's controls are in the panel. Every control carries the CSS class
    ``kitlib-<parameter>`` (``kitlib-decay-rate``, ``kitlib-warmup-steps``,
    ``kitlib-boundaries``...), the schedule menu ``kitlib-schedule``, the status line
    (the Keras call that builds the schedule, or the error) ``kitlib-status``, the plot
    ``kitlib-plot``. ``explorer.schedule``, ``.steps``, ``.values`` and ``.code`` hold the
    current curve; ``.redraws`` counts the redraws.
    """

    def __init__(self, schedule_fn: Callable | None = None, *, kind: str = "ExponentialDecay",
                 total_steps: int = 1000, log_scale: bool = False, **params):
        if schedule_fn is not None and not callable(schedule_fn):
            raise TypeError("schedule_fn must be callable (kind, **params) -> schedule")
        kind = _schedules.spec(kind).name  # unknown names raise with the valid choices
        _schedules.make(kind, **params)  # unknown parameters and bad values raise here, with the fix
        V.integer(total_steps, "total_steps", low=1)
        self.schedule_fn = schedule_fn or _schedules.make
        self.kind = _css(W.Dropdown(options=_schedules.names(), value=kind, description="schedule"), "schedule")
        #: {schedule name: {parameter: control}}, every schedule's controls.
        self.all_controls: dict[str, dict[str, W.Widget]] = {}
        for name in _schedules.names():
            values = {**_schedules.defaults(name), **(params if name == kind else {})}
            self.all_controls[name] = {p.name: _param_widget(p, values[p.name])
                                       for p in _schedules.spec(name).params}
        self.total_steps = _css(W.IntSlider(value=int(total_steps), min=10, max=max(20000, int(total_steps)),
                                            step=10, description="steps shown"), "total-steps")
        self.log_scale = _css(W.Checkbox(value=log_scale, description="log scale"), "log-scale")
        self.status = _css(W.HTML(), "status")
        self.summary = _css(W.HTML(), "summary")
        self.image = _css(W.Image(format="png"), "plot")
        self.params_box = W.HBox([], layout=W.Layout(flex_flow="row wrap"))
        self.code = ""
        self.schedule = None
        self.steps = np.empty(0, dtype=np.int64)
        self.values = np.empty(0, dtype=np.float32)
        self.redraws = 0
        watched = [self.kind, self.total_steps, self.log_scale]
        for controls in self.all_controls.values():
            for w in controls.values():
                watched += [w.slider, w.switch] if hasattr(w, "switch") else [w]
        for w in watched:
            w.observe(self._on_change, names="value")
        self.widget = _css(W.VBox([W.HBox([self.kind, self.total_steps, self.log_scale]), self.summary,
                                   self.params_box, self.status, self.image]), "schedule-explorer")
        self.update()

    def _repr_mimebundle_(self, **kwargs):
        """The live panel, plus the current curve as a PNG and the Keras call as text, for
        front ends without the widget (a static render of the notebook)."""
        import base64
        bundle = dict(self.widget._repr_mimebundle_(**kwargs) or {})
        if self.image.value:
            bundle["image/png"] = base64.b64encode(bytes(self.image.value)).decode("ascii")
        bundle["text/plain"] = f"ScheduleExplorer: {self.code or self.kind.value}"
        return bundle

    @property
    def controls(self) -> dict[str, W.Widget]:
        """The controls of the chosen schedule, by parameter name."""
        return self.all_controls[self.kind.value]

    def params(self) -> dict[str, Any]:
        """The parameters the controls give the chosen schedule (what ``schedule_fn`` receives)."""
        spec = _schedules.spec(self.kind.value)
        return {p.name: _param_value(p, self.controls[p.name]) for p in spec.params}

    def _on_change(self, change) -> None:
        self.update()

    def update(self) -> None:
        """Show the chosen schedule's controls, rebuild the schedule and redraw its curve."""
        spec = _schedules.spec(self.kind.value)
        children = tuple(self.controls.values())
        if self.params_box.children != children:
            self.params_box.children = children
        self.summary.value = f"<code>{html.escape(spec.summary)}</code>"
        try:
            schedule = self.schedule_fn(spec.name, **self.params())
            steps = np.arange(int(self.total_steps.value) + 1, dtype=np.int64)
            values = _schedules.evaluate(schedule, steps)
        except Exception as exc:  # a bad combination of values: say so, keep the last curve
            self.status.value = html.escape(f"error: {type(exc).__name__}: {exc}")
            return
        self.schedule, self.steps, self.values = schedule, steps, values
        self.code = _schedules.code(schedule)
        self.status.value = f"<code>{html.escape(self.code)}</code>"
        self.image.value = self._plot()
        self.redraws += 1

    def _plot(self) -> bytes:
        from matplotlib.figure import Figure
        fig = Figure(figsize=(7.0, 2.8), dpi=90, facecolor="white", layout="constrained")
        ax = fig.subplots()
        ax.plot(self.steps, self.values, color="C0", lw=1.8)
        ax.set_xlabel("optimizer step (optimizer.iterations)", fontsize=9)
        ax.set_ylabel("learning rate", fontsize=9)
        ax.set_title(self.kind.value, fontsize=10)
        ax.grid(True, alpha=0.3)
        if self.log_scale.value and np.all(self.values > 0):
            ax.set_yscale("log")
        else:
            ax.set_ylim(bottom=0)
        ax.tick_params(labelsize=8)
        return _live.render_png(fig)


# --------------------------------------------------------------------------- class weighting


def imbalance_trainer(cls: int = 1, *, keep: float = 0.05, n_train: int = 10000, n_val: int = 2000,
                      epochs: int = 2, batch_size: int = 64, seed: int = 42, data=None) -> _weighting.WeightTrainer:
    """The weighting explorer's default ``train_fn``: MNIST with one class made rare.

    Keeps only a ``keep`` fraction of class ``cls`` in the training data
    (``kitlib.data.imbalanced_subset``) and returns a ``kitlib.weighting.WeightTrainer``:
    each call trains the guide's model for ``epochs`` with ``class_weight={cls: weight}``
    and measures every class's recall and precision on the (balanced) validation data.
    Seeded: the same weight gives the same result.
    """
    V.integer(cls, "cls", low=0, high=9, what="a class id")
    V.number(keep, "keep", low=0, high=1, low_open=True, what="a fraction", hint="of the class's samples kept")
    if data is None:
        from kitlib import data as _data
        data = _data.guide_data(n_train=n_train, n_val=n_val)
    x, y, val = _split_data(data)
    if val is None:
        raise ValueError("imbalance_trainer needs validation data to measure recall: (x, y, x_val, y_val)")
    from kitlib.data import imbalanced_subset
    x_imb, y_imb = imbalanced_subset(x, y, rare_class=int(cls), fraction=keep, seed=seed)
    return _weighting.WeightTrainer(x_imb, y_imb, val[0], val[1], rare_class=int(cls), epochs=epochs,
                                    batch_size=batch_size, seed=seed)


class _FitExplorer(_Panel):
    """Shared parts of the weighting and loss-weights explorers: a Fit button, results, a plot."""

    def __init__(self, mode: str):
        super().__init__(mode)
        self.results: list[dict[str, Any]] = []
        self.fit_button = _css(W.Button(description="Fit", button_style="success", icon="play"), "fit")
        self.image = _css(W.Image(format="png"), "plot")
        self.fit_button.on_click(lambda _: self.start())

    def start(self) -> bool:
        if self.running:
            self._set_status("already fitting: wait for it to finish")
            return False
        return self._launch(self._job())

    def _set_busy(self, busy: bool) -> None:
        for w in self._inputs():
            w.disabled = busy
        self.fit_button.disabled = busy

    def _sync(self) -> None:
        saved, self.mode = self.mode, "sync"
        try:
            self.start()
        finally:
            self.mode = saved


def _as_rates(values, n: int, what: str) -> np.ndarray:
    rates = np.asarray(values, dtype=float).reshape(-1)
    if rates.shape != (n,) or np.any((rates < 0) | (rates > 1)):  # NaN (undefined) passes
        raise ValueError(f"train_fn must return {n} {what} values in [0, 1], got {values!r}")
    return rates


class WeightingExplorer(_FitExplorer):
    """The weight of one class in ``class_weight`` → per-class recall after a short fit.

    ``train_fn(weight)`` does the work. It returns a ``kitlib.weighting.WeightResult``
    (recall and precision of every class, accuracy), or just a sequence of
    ``num_classes`` recall values in [0, 1]. Usually it is a
    ``kitlib.weighting.WeightTrainer`` on the notebook's data, which also tells the
    explorer the rare class and the number of classes; without ``train_fn``,
    ``imbalance_trainer(cls)`` (MNIST with class ``cls`` made rare) is built at the first
    Fit. Each Fit appends ``{"weight", "recall", "precision", "accuracy"}`` to
    ``explorer.results`` (precision and accuracy None when ``train_fn`` gives only recall).
    """

    def __init__(self, train_fn: Callable[[float], Any] | None = None, *, cls: int | None = None,
                 weight: float = 1.0, num_classes: int | None = None, mode: str = "auto"):
        super().__init__(mode)
        if train_fn is not None and not callable(train_fn):
            raise TypeError("train_fn must be a function weight -> WeightResult or per-class recall, "
                            "e.g. kitlib.weighting.WeightTrainer(...)")
        if cls is None:
            cls = getattr(train_fn, "rare_class", 1)
        if num_classes is None:
            num_classes = getattr(train_fn, "num_classes", 10)
        V.integer(num_classes, "num_classes", low=2)
        V.integer(cls, "cls", low=0, high=num_classes - 1, what="a class id")
        V.number(weight, "weight", low=0.01, high=1000)
        self.cls = int(cls)
        self.num_classes = int(num_classes)
        self._train_fn = train_fn
        self.weight = _css(W.FloatLogSlider(value=weight, base=10, min=-1, max=2, step=0.05,
                                            description=f"weight of class {self.cls}", readout_format=".3g"),
                           "class-weight")
        self.widget = _css(W.VBox([W.HBox([self.weight, self.fit_button]), self.status, self.image]),
                           "weighting-explorer")
        self._set_status(f"class {self.cls} is rare in the training data; set its weight and press Fit")

    @property
    def train_fn(self) -> Callable[[float], Any]:
        if self._train_fn is None:
            self._train_fn = imbalance_trainer(self.cls)
        return self._train_fn

    def _inputs(self):
        return [self.weight]

    def fit(self, weight: float | None = None) -> np.ndarray:
        """Fit synchronously with ``weight`` (default: the slider's) and return the per-class recall."""
        if weight is not None:
            self.weight.value = weight
        self._sync()
        return np.asarray(self.results[-1]["recall"])

    def _job(self):
        w = float(self.weight.value)
        self._set_status(f"fitting with class {self.cls} weighted {w:.3g}…")
        out = self.train_fn(w)
        if hasattr(out, "recall"):  # a WeightResult
            recall = _as_rates(out.recall, self.num_classes, "recall")
            precision = _as_rates(out.precision, self.num_classes, "precision")
            accuracy = float(out.accuracy)
        else:
            recall, precision, accuracy = _as_rates(out, self.num_classes, "recall"), None, None
        self.results.append({"weight": w, "recall": recall.tolist(),
                             "precision": None if precision is None else precision.tolist(),
                             "accuracy": accuracy})
        found = f"weight {w:.3g}: recall of class {self.cls} = {recall[self.cls]:.3f}"
        if precision is not None:
            found += (", precision = undefined (never predicted)" if math.isnan(precision[self.cls])
                      else f", precision = {precision[self.cls]:.3f}")
        self._set_status(f"{found}, mean recall of the others = "
                         f"{np.nanmean(np.delete(recall, self.cls)):.3f}")
        self.image.value = self._plot()
        yield

    def _plot(self) -> bytes:
        from matplotlib.figure import Figure
        from matplotlib.ticker import FuncFormatter, NullFormatter
        fig = Figure(figsize=(8.0, 2.8), dpi=90, facecolor="white", layout="constrained")
        ax, ax2 = fig.subplots(1, 2, width_ratios=[3, 2])
        last = np.asarray(self.results[-1]["recall"])
        colors = ["C1" if c == self.cls else "C0" for c in range(self.num_classes)]
        ax.bar(range(self.num_classes), last, color=colors)
        if len(self.results) > 1:
            prev = np.asarray(self.results[-2]["recall"])
            ax.step(np.arange(self.num_classes), prev, where="mid", color="k", lw=1, alpha=0.6,
                    label=f"previous (weight {self.results[-2]['weight']:.3g})")
            ax.legend(fontsize=7, loc="lower left")
        ax.set_xticks(range(self.num_classes))
        ax.set_ylim(0, 1.05)
        ax.set_xlabel("class", fontsize=9)
        ax.set_ylabel("recall", fontsize=9)
        ax.set_title(f"weight of class {self.cls} = {self.results[-1]['weight']:.3g}", fontsize=10)
        runs = sorted(self.results, key=lambda r: r["weight"])
        ws = [r["weight"] for r in runs]
        ax2.plot(ws, [r["recall"][self.cls] for r in runs], "o-", color="C1", label="recall")
        with_precision = [r for r in runs if r["precision"] is not None]
        if with_precision:
            ax2.plot([r["weight"] for r in with_precision], [r["precision"][self.cls] for r in with_precision],
                     "s--", color="C2", label="precision")
            ax2.legend(fontsize=7, loc="lower left")
        ax2.set_xscale("log")
        ax2.set_xlim(10 ** self.weight.min * 0.8, 10 ** self.weight.max * 1.25)
        ax2.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        ax2.xaxis.set_minor_formatter(NullFormatter())
        ax2.set_ylim(0, 1.05)
        ax2.set_xlabel(f"weight of class {self.cls}", fontsize=9)
        ax2.set_title(f"class {self.cls}, all fits", fontsize=10)
        for a in (ax, ax2):
            a.grid(True, alpha=0.3)
            a.tick_params(labelsize=8)
        return _live.render_png(fig)


# --------------------------------------------------------------------------- loss weights


def multi_output_trainer(data=None, *, n: int = 1024, epochs: int = 3, batch_size: int = 64, seed: int = 42,
                         learning_rate: float = 0.005) -> Callable[[Mapping[str, float]], dict]:
    """The loss-weights explorer's ``train_fn(loss_weights) -> evaluate(return_dict=True)``.

    Each call trains a fresh, seeded copy of the guide's two-headed model
    (``kitlib.models.get_multi_io_model``) on ``data`` (a ``kitlib.data.multi_io_data``
    result; default: ``n`` samples of it) with MSE on ``score_output``, cross-entropy from
    logits on ``class_output`` and the given ``loss_weights``, then evaluates it on the
    same data. It uses plain SGD, so a larger weight on one output visibly lowers that
    output's loss sooner: with Adam or RMSprop, which rescale each parameter's steps, a
    weight changes little for the parameters that only one output uses. With SGD a large
    weight acts like a larger learning rate for that output, and the fit can diverge.
    """
    from kitlib import data as _data
    from kitlib import models as _models
    for what, v in (("n", n), ("epochs", epochs), ("batch_size", batch_size)):
        V.integer(v, what, low=1)
    if data is None:
        data = _data.multi_io_data(n, seed=seed)
    elif not isinstance(data, _data.MultiIOData):
        raise TypeError(f"data must be kitlib.data.multi_io_data(...), got {type(data).__name__}")
    x = {"img_input": data.images, "ts_input": data.timeseries}
    y = {"score_output": data.scores, "class_output": data.classes}
    num_classes = data.classes.shape[1]

    def train(loss_weights: Mapping[str, float]) -> dict[str, float]:
        keras.backend.clear_session()
        _runtime.seed_everything(seed)
        model = _models.get_multi_io_model(num_classes=num_classes)
        model.compile(optimizer=keras.optimizers.SGD(learning_rate),
                      loss={"score_output": keras.losses.MeanSquaredError(),
                            "class_output": keras.losses.CategoricalCrossentropy(from_logits=True)},
                      loss_weights=dict(loss_weights))
        model.fit(x, y, batch_size=batch_size, epochs=epochs, verbose=0)
        return model.evaluate(x, y, batch_size=256, verbose=0, return_dict=True)

    return train


class LossWeightsExplorer(_FitExplorer):
    """``loss_weights`` of a multi-output model → the per-output losses after a short fit.

    ``train_fn(loss_weights: dict) -> dict`` of results with ``"loss"`` and
    ``"<output>_loss"`` keys (what ``evaluate(return_dict=True)`` returns); default
    ``multi_output_trainer()``. Keras reports each output's loss unweighted; the total
    ``loss`` is Σ weight × output loss, which the status line checks.
    """

    def __init__(self, train_fn: Callable[[Mapping[str, float]], Mapping[str, float]] | None = None, *,
                 outputs: Sequence[str] = ("score_output", "class_output"),
                 weights: Mapping[str, float] | None = None, mode: str = "auto"):
        super().__init__(mode)
        if train_fn is not None and not callable(train_fn):
            raise TypeError("train_fn must be a function loss_weights -> dict of losses")
        outputs = list(outputs)
        if not outputs or not all(isinstance(o, str) and o for o in outputs) or len(set(outputs)) != len(outputs):
            raise ValueError(f"outputs must be distinct output names, got {outputs!r}")
        weights = dict(weights or {})
        unknown = set(weights) - set(outputs)
        if unknown:
            raise ValueError(f"weights for unknown outputs {sorted(unknown)}; outputs are {outputs}")
        self.outputs = outputs
        self._train_fn = train_fn
        self.sliders = {o: _css(W.FloatLogSlider(value=float(weights.get(o, 1.0)), base=10, min=-2, max=2,
                                                 step=0.05, description=f"weight of {o}", readout_format=".3g"),
                                f"loss-weight-{o.replace('_', '-')}")
                        for o in outputs}
        self.widget = _css(W.VBox([W.HBox([*self.sliders.values(), self.fit_button]), self.status, self.image]),
                           "loss-weights-explorer")
        self._set_status("set the loss weights and press Fit")

    @property
    def train_fn(self):
        if self._train_fn is None:
            self._train_fn = multi_output_trainer()
        return self._train_fn

    @property
    def loss_weights(self) -> dict[str, float]:
        return {o: float(s.value) for o, s in self.sliders.items()}

    def _inputs(self):
        return list(self.sliders.values())

    def fit(self, **weights: float) -> dict[str, float]:
        """Fit synchronously (``fit(score_output=2.0)`` sets that slider first); return the results."""
        unknown = set(weights) - set(self.outputs)
        if unknown:
            raise ValueError(f"unknown output(s) {sorted(unknown)}; outputs are {self.outputs}")
        for o, w in weights.items():
            self.sliders[o].value = w
        self._sync()
        return dict(self.results[-1]["losses"])

    def _job(self):
        weights = self.loss_weights
        self._set_status("fitting with loss_weights " + ", ".join(f"{o}={w:.3g}" for o, w in weights.items()) + "…")
        out = self.train_fn(dict(weights))
        losses = {k: float(v) for k, v in dict(out).items() if _live._scalar(v) is not None}
        missing = [k for k in ["loss"] + [f"{o}_loss" for o in self.outputs] if k not in losses]
        if missing:
            raise ValueError(f"train_fn must return a dict with {missing} (as evaluate(return_dict=True) does); "
                             f"got keys {sorted(losses)}")
        weighted = sum(weights[o] * losses[f"{o}_loss"] for o in self.outputs)
        if not all(math.isfinite(v) for v in losses.values()):
            self.results.append({"weights": weights, "losses": losses, "weighted_sum": weighted})
            self._set_status("the fit diverged (loss is nan/inf): with SGD a loss weight multiplies that output's "
                             "gradients, like a larger learning rate; lower the weight")
            self.image.value = self._plot()
            yield
            return
        self.results.append({"weights": weights, "losses": losses, "weighted_sum": weighted})
        terms = " + ".join(f"{weights[o]:.3g}×{losses[f'{o}_loss']:.4g}" for o in self.outputs)
        same = math.isclose(weighted, losses["loss"], rel_tol=1e-3, abs_tol=1e-6)
        self._set_status(f"loss {losses['loss']:.4g} {'=' if same else '≠'} {terms} = {weighted:.4g} "
                         f"({'total is the weighted sum' if same else 'the total includes other terms'})")
        self.image.value = self._plot()
        yield

    def _plot(self) -> bytes:
        from matplotlib.figure import Figure
        runs = self.results[-6:]
        fig = Figure(figsize=(8.0, 2.8), dpi=90, facecolor="white", layout="constrained")
        axes = fig.subplots(1, len(self.outputs), squeeze=False).ravel()
        labels = ["\n".join(f"{r['weights'][o]:.3g}" for o in self.outputs) for r in runs]
        for ax, o in zip(axes, self.outputs):
            vals = [r["losses"][f"{o}_loss"] for r in runs]
            ax.bar(range(len(runs)), vals, color=["C0"] * (len(runs) - 1) + ["C1"])
            ax.set_xticks(range(len(runs)), labels, fontsize=7)
            ax.set_title(f"{o}_loss (unweighted)", fontsize=10)
            ax.set_xlabel("weights (" + ", ".join(self.outputs) + ")", fontsize=8)
            ax.grid(True, axis="y", alpha=0.3)
            ax.tick_params(labelsize=8)
        return _live.render_png(fig)
