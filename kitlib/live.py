"""A live training plot for Keras 3: one figure updated in place while ``fit()`` runs.

    from kitlib.live import LivePlot
    model.fit(x, y, validation_data=(xv, yv), epochs=5, verbose=0, callbacks=[LivePlot()])

What it shows: one panel per metric (``loss`` first), with the training value after
every batch (thin line; Keras passes the *running mean since the start of the epoch*
to ``on_train_batch_end``, so it ends each epoch at the epoch value), the epoch values
(dots) and the validation values (squares). The x axis is in epochs.

How it draws:

- **Live** (a Jupyter kernel with a front end: JupyterLab, classic Notebook, VS Code):
  one output updated in place through a display handle (or an ``ipywidgets.Image`` /
  ``ipywidgets.Output`` passed as ``target``). Redraws are throttled: at most every
  ``min_interval`` seconds during an epoch, plus one at each epoch end, and the time
  spent drawing is kept under ``max_overhead`` of the training time (default 2 %; the
  first frame of a fit is not counted); training ends with an up-to-date frame. Frames
  are rendered with Matplotlib's Agg canvas into PNG bytes (no pyplot, so nothing to
  close and no stray figures); while the axes keep their ranges only the curves are
  redrawn (blitting), which costs a few milliseconds instead of tens.
- **Headless** (papermill, nbval, CI, plain scripts): everything is recorded, nothing is
  drawn during training, and one static PNG is rendered when training ends (displayed
  once when inside a kernel, always kept in ``.png``).

Headless is decided by the ``headless=`` argument, else the environment variable
``KITLIB_HEADLESS`` (``1`` headless, ``0`` live), else: headless unless running inside
an IPython kernel.
"""

from __future__ import annotations

import io
import math
import os
import time
import weakref
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from kitlib import _validate as V
from kitlib.i18n import N_, _, language, pgettext

import keras

__all__ = ["LivePlot", "HEADLESS_ENV", "is_headless", "in_kernel", "render_png"]

HEADLESS_ENV = "KITLIB_HEADLESS"
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def in_kernel() -> bool:
    """True inside an IPython kernel (Jupyter, VS Code, papermill), False in a script or terminal."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython ships with ipykernel
        return False
    ip = get_ipython()
    return ip is not None and getattr(ip, "kernel", None) is not None


def is_headless(headless: bool | None = None) -> bool:
    """Resolve headless mode: the argument, else ``$KITLIB_HEADLESS``, else "not in a kernel".

    A kernel cannot know whether a browser is watching it, so runs without one
    (papermill, nbval) should set ``KITLIB_HEADLESS=1``; the kit's test harness does.
    """
    if headless is not None:
        if not isinstance(headless, bool):
            raise TypeError(f"headless must be True, False or None (auto), got {headless!r}")
        return headless
    raw = os.environ.get(HEADLESS_ENV, "")
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    if value:
        raise ValueError(f"{HEADLESS_ENV}={raw!r} is not understood: set it to 1 (record, one static "
                         f"figure at the end) or 0 (live plot), or unset it (auto)")
    return not in_kernel()


# --------------------------------------------------------------------------- series


# The largest |y limit| a panel uses: a quarter of the float maximum keeps limit ± span finite.
_YLIM_MAX = float(np.finfo(np.float64).max) / 4

class _Series:
    """A growing (x, y) float series in amortised O(1) appends."""

    __slots__ = ("x", "y", "n")

    def __init__(self, capacity: int = 256):
        self.x = np.empty(capacity)
        self.y = np.empty(capacity)
        self.n = 0

    def append(self, x: float, y: float) -> None:
        if self.n == self.x.size:
            self.x = np.resize(self.x, 2 * self.n)
            self.y = np.resize(self.y, 2 * self.n)
        self.x[self.n] = x
        self.y[self.n] = y
        self.n += 1

    def arrays(self, max_points: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Views of the data; with ``max_points``, every k-th point (k a power of two) plus the last.

        A power-of-two stride keeps the plotted points fixed as data arrives (no jitter).
        """
        x, y = self.x[: self.n], self.y[: self.n]
        if max_points is None or self.n <= max_points:
            return x, y
        stride = 1 << math.ceil(math.log2(self.n / max_points))
        idx = np.arange(0, self.n, stride)
        if idx[-1] != self.n - 1:
            idx = np.append(idx, self.n - 1)
        return x[idx], y[idx]


def _scalar(value) -> float | None:
    """A log value as a float, or None when it is not a scalar (e.g. a per-class array)."""
    if isinstance(value, (bool, str)) or value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _split(key: str) -> tuple[str, str]:
    """('loss', 'train') for 'loss'; ('loss', 'val') for 'val_loss'."""
    return (key[4:], "val") if key.startswith("val_") and len(key) > 4 else (key, "train")


# --------------------------------------------------------------------------- rendering


# Metric names whose panel title is translated ("손실 (loss)"); any other name is shown as
# Keras logs it. The English title is the name itself.
_TITLED = (N_("metric", "loss"), N_("metric", "accuracy"), N_("metric", "sparse_categorical_accuracy"),
           N_("metric", "categorical_accuracy"), N_("metric", "binary_accuracy"),
           N_("metric", "learning_rate"), N_("metric", "mean_squared_error"),
           N_("metric", "mean_absolute_error"), N_("metric", "auc"), N_("metric", "precision"),
           N_("metric", "recall"))


def metric_title(name: str) -> str:
    """A panel's title: the metric's name, in the learner's language where the kit knows it."""
    return pgettext("metric", name) if name in _TITLED else name


class _Frame:
    """One Agg figure: a panel per metric, curves drawn as animated artists for blitting."""

    def __init__(self, names: Sequence[str], has_val: bool, max_cols: int, cell: tuple[float, float],
                 dpi: int, batch_label: str):
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
        from matplotlib.ticker import MaxNLocator

        if language() != "en":  # Hangul and Thai need a font of their own (kitlib.i18n.fonts)
            from kitlib.i18n import fonts
            fonts.use_fonts(language())
        self.names = list(names)
        n = len(self.names)
        ncols = min(max_cols, n)
        nrows = math.ceil(n / ncols)
        top_in, bottom_in, left_in, right_in, hgap_in, wgap_in = 0.55, 0.45, 0.6, 0.15, 0.7, 0.55
        width = cell[0] * ncols
        height = cell[1] * nrows + top_in - 0.3
        self.fig = Figure(figsize=(width, height), dpi=dpi, facecolor="white")
        self.canvas = FigureCanvasAgg(self.fig)
        axes = self.fig.subplots(nrows, ncols, squeeze=False).ravel()
        self.fig.subplots_adjust(left=left_in / width, right=1 - right_in / width,
                                 bottom=bottom_in / height, top=1 - top_in / height,
                                 hspace=hgap_in / (cell[1] - hgap_in / 2), wspace=wgap_in / (cell[0] - wgap_in / 2))
        for ax in axes[n:]:
            ax.set_visible(False)
        self.axes = dict(zip(self.names, axes))
        self.lines: dict[str, dict[str, Any]] = {}
        for i, (name, ax) in enumerate(self.axes.items()):
            ax.set_title(metric_title(name), fontsize=10)
            if i + ncols >= n:  # bottom panel of its column
                ax.set_xlabel(_("epoch"), fontsize=8, labelpad=2)
            # few ticks: text is most of the cost of a full redraw
            ax.xaxis.set_major_locator(MaxNLocator(nbins=5, integer=True))
            ax.yaxis.set_major_locator(MaxNLocator(nbins=5))
            ax.tick_params(labelsize=8, pad=2)
            ax.grid(True, alpha=0.3)
            self.lines[name] = {
                "batch": ax.plot([], [], color="C0", lw=1.0, alpha=0.45, animated=True)[0],
                "train": ax.plot([], [], "o-", color="C0", ms=4, lw=1.5, animated=True)[0],
                "val": ax.plot([], [], "s-", color="C1", ms=4, lw=1.5, animated=True)[0],
            }
        self.batch_label = batch_label
        self.has_val = has_val
        self.legend = self._legend()
        self.xlim: tuple[float, float] | None = None
        self.ylim: dict[str, tuple[float, float]] = {}
        self.background = None

    def _legend(self):
        first = self.lines[self.names[0]]
        handles, labels = [first["batch"], first["train"]], [self.batch_label, _("train (epoch)")]
        if self.has_val:
            handles.append(first["val"])
            labels.append(_("validation"))
        # an opaque frame: the wider legend with "validation" covers the old one, so adding
        # it later needs no full redraw
        return self.fig.legend(handles, labels, loc="upper center", ncol=len(handles), frameon=True,
                               facecolor="white", edgecolor="white", framealpha=1.0, fontsize=8,
                               bbox_to_anchor=(0.5, 1.0))

    @staticmethod
    def _new_ylim(cur, lo: float, hi: float):
        """Keep the y range while the data fits in it; else a new range with room to move.

        Each full redraw costs tens of milliseconds (a blit about one), so ranges change
        rarely: a range that the data leaves grows by a whole data span that way, falling
        non-negative data (a loss) is shown from 0, and a fraction above 0.5 (an accuracy)
        gets the range up to 1.
        """
        if cur is not None and cur[0] <= lo and hi <= cur[1]:
            return cur  # the data (which only ever grows) still fits: keep the ticks, blit only
        span = hi - lo
        if span <= 0:
            s = max(abs(hi) * 0.1, 1e-3)
            new = (lo - s, hi + s)
        else:
            pad = 0.08 * span
            new = (lo - pad - (span if cur is not None and lo < cur[0] else 0.0),
                   hi + pad + (span if cur is not None and hi > cur[1] else 0.0))
        if lo >= 0 and (new[0] < 0 or lo <= span or (cur is not None and lo < cur[0])):
            new = (0.0, new[1])  # non-negative data that falls (a loss) is shown from 0
        if lo >= 0 and hi <= 1 and (new[1] > 1 or hi > 0.5):  # a fraction (accuracy) heading for 1
            new = (new[0], 1.02)
        # Finite values near the float maximum (a diverging loss) overflow the padding above to
        # inf, which Matplotlib refuses as a limit: keep the limits finite, with a finite span.
        a, b = (float(np.clip(v, -_YLIM_MAX, _YLIM_MAX)) for v in new)
        if not (math.isfinite(a) and math.isfinite(b)) or a >= b:
            return (-_YLIM_MAX, _YLIM_MAX) if not a < b else (a, b)
        return (a, b)

    def render(self, data: dict[str, dict[str, tuple[np.ndarray, np.ndarray]]],
               xmax: float) -> tuple[bytes, bool]:
        """Update the curves, redraw (fully only when an axis changed) and return (PNG, full?)."""
        full = self.background is None
        new_legend = False
        if not self.has_val and any("val" in parts for parts in data.values()):
            self.has_val = True
            self.legend.remove()
            self.legend = self._legend()
            new_legend = True
        xlim = (0.0, max(xmax, 1e-9) * 1.03)  # room for the last marker
        if xlim != self.xlim:
            self.xlim = xlim
            for ax in self.axes.values():
                ax.set_xlim(*xlim)
            full = True
        for name, parts in data.items():
            ys = []
            for kind, line in self.lines[name].items():
                x, y = parts.get(kind, (np.empty(0), np.empty(0)))
                line.set_data(x, y)
                ys.append(y)
            y = np.concatenate(ys) if ys else np.empty(0)
            y = y[np.isfinite(y)]
            if y.size:
                lim = self._new_ylim(self.ylim.get(name), float(y.min()), float(y.max()))
                if lim != self.ylim.get(name):
                    self.ylim[name] = lim
                    self.axes[name].set_ylim(*lim)
                    full = True
        if full:
            self.canvas.draw()
            self.background = self.canvas.copy_from_bbox(self.fig.bbox)
        else:
            self.canvas.restore_region(self.background)
            if new_legend:  # paint the new legend over the old one, keep it in the background
                self.fig.draw_artist(self.legend)
                self.background = self.canvas.copy_from_bbox(self.fig.bbox)
        for name, ax in self.axes.items():
            for line in self.lines[name].values():
                ax.draw_artist(line)
        return _png(self.canvas), full


def _png(canvas) -> bytes:
    """PNG bytes of an Agg canvas (RGB, zlib level 1: a few ms; level 6 is 4x slower for 10 % less)."""
    from PIL import Image

    w, h = canvas.get_width_height()
    img = Image.frombuffer("RGBA", (w, h), canvas.buffer_rgba(), "raw", "RGBA", 0, 1).convert("RGB")
    out = io.BytesIO()
    img.save(out, format="png", compress_level=1)
    return out.getvalue()


def render_png(fig) -> bytes:
    """Render any Matplotlib ``Figure`` (not managed by pyplot) to PNG bytes with Agg."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
    canvas.draw()
    return _png(canvas)


# --------------------------------------------------------------------------- the callback


class LivePlot(keras.callbacks.Callback):
    """Plot loss and metrics while ``fit()`` runs; one figure, updated in place.

    Args:
        metrics: base names of the metrics to plot (``["loss", "accuracy"]``); default all.
            Validation values (``val_<name>``) go into the panel of ``<name>``.
        per_batch: also record and plot the value after every batch (running mean).
        min_interval: seconds between redraws during an epoch (live mode).
        max_overhead: redraws are skipped while the time spent drawing exceeds this
            fraction of the training time so far (the first and last frames of a fit
            are always drawn).
        headless: True records and draws one static figure at the end; False draws
            live; None decides from ``$KITLIB_HEADLESS`` or whether this is a kernel.
        target: where frames go: None (a display handle in the cell output), an
            ``ipywidgets.Image`` (its ``value`` is set), an ``ipywidgets.Output``, or a
            callable receiving the PNG bytes.
        accumulate: when a new ``fit()`` restarts at epoch 0, continue the curves after
            the last epoch instead of starting a new plot. A fit that continues the
            previous one (same model, ``initial_epoch`` = next epoch) always continues.
        max_cols, cell_size, dpi: layout of the figure.
        max_points: at most this many per-batch points are drawn per metric (all are kept).
    """

    def __init__(self, metrics: Sequence[str] | None = None, *, per_batch: bool = True,
                 min_interval: float = 0.5, max_overhead: float = 0.02, headless: bool | None = None,
                 target: Any = None, accumulate: bool = False, max_cols: int = 3,
                 cell_size: tuple[float, float] = (3.6, 2.6), dpi: int = 90, max_points: int = 1500):
        super().__init__()
        if metrics is not None:
            if isinstance(metrics, str):
                metrics = [metrics]
            if not all(isinstance(m, str) and m for m in metrics) or not metrics:
                raise ValueError(f"metrics must be a list of metric names such as ['loss', 'accuracy'], "
                                 f"got {metrics!r}")
            metrics = [_split(m)[0] for m in metrics]
        V.number(min_interval, "min_interval", low=0, what="a number of seconds")
        V.number(max_overhead, "max_overhead", low=0, high=1, low_open=True, what="a fraction",
                 hint="of the training time, e.g. 0.02 for 2 %")
        for what, v in (("max_cols", max_cols), ("dpi", dpi), ("max_points", max_points)):
            V.integer(v, what, low=1)
        if (not isinstance(cell_size, (tuple, list)) or len(cell_size) != 2
                or not all(isinstance(c, (int, float)) and c > 1 for c in cell_size)):
            raise ValueError(f"cell_size must be (width, height) in inches, each > 1, got {cell_size!r}")
        _check_target(target)
        self.metrics = list(metrics) if metrics is not None else None
        self.per_batch = bool(per_batch)
        self.min_interval = float(min_interval)
        self.max_overhead = float(max_overhead)
        self.headless = is_headless(headless)
        self.target = target
        self.accumulate = bool(accumulate)
        self.max_cols = max_cols
        self.cell_size = (float(cell_size[0]), float(cell_size[1]))
        self.dpi = dpi
        self.max_points = max_points
        #: Epochs the x axis should span (e.g. set by a panel that trains in one-epoch chunks).
        self.total_epochs: int | None = None
        self.png: bytes | None = None
        self._handle = None
        self.reset()

    # ---- data access
    def reset(self) -> None:
        """Forget all recorded values (the next ``fit()`` starts a new plot)."""
        #: Epoch-level values, like ``History.history``: {"loss": [...], "val_loss": [...]}.
        self.history: dict[str, list[float]] = {}
        #: The epoch numbers (0-based, continuing across accumulated fits) of those values.
        self.epochs: list[int] = []
        self._batches: dict[str, _Series] = {}
        self._panels: list[str] = []
        self._offset = 0
        self._epoch = 0
        self._last_raw_epoch: int | None = None
        self._model_ref = None
        self._frame: _Frame | None = None
        self._new_fit = True
        self._checked_metrics = False
        self._steps: int | None = None
        self._batches_in_epoch = 0
        self._last_epoch_batches: int | None = None
        #: Frames rendered in the last fit, how many were full redraws, seconds spent drawing.
        self.draws = 0
        self.full_draws = 0
        self.draw_seconds = 0.0
        self._budget_used = 0.0
        self._t0 = self._last_draw = time.perf_counter()
        self._first_batch = True
        self._version = self._drawn_version = 0  # data changes / the change the last frame shows

    def batch_history(self, key: str = "loss") -> tuple[np.ndarray, np.ndarray]:
        """(x in epochs, value) of every batch recorded for ``key`` (copies)."""
        if key not in self._batches:
            known = ", ".join(sorted(self._batches)) or "none yet (per_batch=False, or no fit ran)"
            raise KeyError(f"no per-batch values for {key!r}; recorded: {known}")
        x, y = self._batches[key].arrays()
        return x.copy(), y.copy()

    @property
    def panels(self) -> list[str]:
        """The metric panels, in drawing order."""
        return list(self._panels)

    # ---- Keras hooks
    def on_train_begin(self, logs=None):
        self._new_fit = True
        self._handle = None  # each fit shows its figure in the output of the cell that runs it
        self._first_batch = True
        self.draws = self.full_draws = 0
        self.draw_seconds = 0.0
        self._budget_used = 0.0
        self._t0 = self._last_draw = time.perf_counter()

    def on_epoch_begin(self, epoch, logs=None):
        if self._new_fit:
            self._new_fit = False
            model = self._current_model()
            continues = (self.epochs and self._model_ref is not None and self._model_ref() is model
                         and self._last_raw_epoch is not None and epoch == self._last_raw_epoch + 1)
            if self.epochs and not continues:
                if self.accumulate:
                    self._offset = self.epochs[-1] + 1 - epoch
                else:
                    self.reset()
                    self._new_fit = False
            self._model_ref = _ref(model)
        self._last_raw_epoch = epoch
        self._epoch = epoch + self._offset
        self._steps = self.params.get("steps") if self.params else None
        self._batches_in_epoch = 0

    def on_train_batch_end(self, batch, logs=None):
        if not self.per_batch or not logs:
            return
        if self._new_fit:  # on_epoch_begin was not called (a hand-written loop)
            self.on_epoch_begin(self._last_raw_epoch + 1 if self._last_raw_epoch is not None else 0)
        self._batches_in_epoch = batch + 1
        steps = self._steps or self._last_epoch_batches or (batch + 1)
        x = self._epoch + min((batch + 1) / steps, 1.0)
        for key, value in logs.items():
            v = _scalar(value)
            if v is None:
                continue
            series = self._batches.get(key)
            if series is None:
                series = self._batches[key] = _Series()
                self._add_panel(key)
            series.append(x, v)
        self._version += 1
        if not self._checked_metrics:
            self._check_metrics(logs, epoch_end=False)
        if self.headless:
            return
        now = time.perf_counter()
        if self._first_batch:  # the first step includes tracing: start the clock after it
            self._first_batch = False
            self._last_draw = now
        elif now - self._last_draw >= self.min_interval:
            self._maybe_draw()

    def on_epoch_end(self, epoch, logs=None):
        if self._new_fit:
            self.on_epoch_begin(epoch)
        self._last_epoch_batches = self._batches_in_epoch or self._last_epoch_batches
        logs = logs or {}
        row = {k: _scalar(v) for k, v in logs.items()}
        row = {k: v for k, v in row.items() if v is not None}
        n = len(self.epochs)
        for key, v in row.items():
            if key not in self.history:
                self.history[key] = [math.nan] * n
                self._add_panel(key)
            self.history[key].append(v)
        for key, values in self.history.items():
            if key not in row:
                values.append(math.nan)
        self.epochs.append(self._epoch)
        self._version += 1
        self._check_metrics(row, epoch_end=True)
        if not self.headless:
            self._maybe_draw()

    def on_train_end(self, logs=None):
        if not self.epochs and not self._batches:
            return
        if self.headless or self.draws == 0 or self._drawn_version != self._version:
            self._draw()  # in live mode only when the shown frame is not up to date
        if self.headless and self.target is None and in_kernel():
            from IPython.display import Image, display
            display(Image(data=self.png, format="png"))
        if self.headless:
            self._frame = None  # release the figure; live, it is kept for a fit that continues

    # ---- helpers
    def _current_model(self):
        try:
            return self.model
        except AttributeError:  # pragma: no cover - set_model not called
            return None

    def _add_panel(self, key: str) -> None:
        name = _split(key)[0]
        if name in self._panels or (self.metrics is not None and name not in self.metrics):
            return
        self._panels.append(name)
        order = self.metrics or ["loss"]
        self._panels.sort(key=lambda p: order.index(p) if p in order else len(order))

    def _check_metrics(self, logs: dict, epoch_end: bool) -> None:
        if self.metrics is None or self._checked_metrics:
            return
        seen = {_split(k)[0] for k in list(logs) + list(self.history) + list(self._batches)}
        missing = [m for m in self.metrics if m not in seen]
        if missing and epoch_end:
            raise ValueError(f"LivePlot(metrics=...) names {missing} but the model logs "
                             f"{sorted(seen)}; use those names (without 'val_')")
        if not missing:
            self._checked_metrics = True

    def _maybe_draw(self) -> None:
        now = time.perf_counter()
        if self._budget_used > self.max_overhead * (now - self._t0):
            return  # over the drawing budget: a later frame catches up
        self._draw()

    def _xmax(self) -> float:
        planned = self.total_epochs
        if planned is None and self.params and self.params.get("epochs"):
            planned = int(self.params["epochs"]) + self._offset
        last = self._epoch + 1 if (self.epochs or self._batches) else 1
        return float(max(planned or 0, last, max(self.epochs, default=-1) + 1))

    def _data(self) -> dict[str, dict[str, tuple[np.ndarray, np.ndarray]]]:
        ex = np.asarray(self.epochs, dtype=float) + 1.0  # the value after epoch e sits at x = e + 1
        out: dict[str, dict[str, tuple[np.ndarray, np.ndarray]]] = {}
        for name in self._panels:
            parts = {}
            if name in self._batches:
                parts["batch"] = self._batches[name].arrays(self.max_points)
            if name in self.history:
                parts["train"] = (ex, np.asarray(self.history[name], dtype=float))
            if "val_" + name in self.history:
                parts["val"] = (ex, np.asarray(self.history["val_" + name], dtype=float))
            out[name] = parts
        return out

    def _draw(self) -> None:
        if not self._panels:
            return
        t = time.perf_counter()
        has_val = any("val_" + p in self.history for p in self._panels)
        if self._frame is None or self._frame.names != self._panels:
            label = _("train (running mean in epoch)") if self.per_batch else _("train (batch)")
            self._frame = _Frame(self._panels, has_val, self.max_cols, self.cell_size, self.dpi, label)
        png, full = self._frame.render(self._data(), self._xmax())
        self.png = png
        self._drawn_version = self._version
        self._show(png)
        done = time.perf_counter()
        self.draws += 1
        self.full_draws += int(full)
        self.draw_seconds += done - t
        if self.draws > 1:  # the first frame of a fit (a full layout; fonts load once) is not budgeted
            self._budget_used += done - t
        self._last_draw = done

    def _show(self, png: bytes) -> None:
        target = self.target
        if target is None:
            if self.headless or not in_kernel():
                return
            from IPython.display import Image, display
            img = Image(data=png, format="png")
            if self._handle is None:
                self._handle = display(img, display_id=True)
            else:
                self._handle.update(img)
            return
        if callable(target) and not _is_widget(target):
            target(png)
            return
        import ipywidgets as widgets
        if isinstance(target, widgets.Image):
            target.value = png
        elif isinstance(target, widgets.Output):
            from IPython.display import Image, clear_output, display
            with target:
                clear_output(wait=True)
                display(Image(data=png, format="png"))

    def save(self, path: str | os.PathLike, overwrite: bool = False) -> Path:
        """Write the last frame to ``path`` (PNG). An existing file is kept unless ``overwrite=True``."""
        if self.png is None:
            raise RuntimeError("nothing to save yet: train with this LivePlot in callbacks=[...] first")
        p = Path(path)
        if p.suffix.lower() != ".png":
            raise ValueError(f"{p} must end in .png")
        if p.exists() and not overwrite:
            raise FileExistsError(f"{p} exists; pass overwrite=True to replace it, or pick another name")
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(self.png)
        return p

    def _repr_png_(self):
        return self.png

    def __repr__(self) -> str:
        mode = "headless" if self.headless else "live"
        return (f"LivePlot({mode}, {len(self.epochs)} epochs recorded, panels={self._panels}, "
                f"{self.draws} frames drawn in the last fit)")


def _ref(obj):
    if obj is None:
        return None
    try:
        return weakref.ref(obj)
    except TypeError:  # pragma: no cover - models support weak references
        return lambda: obj


def _is_widget(obj) -> bool:
    try:
        import ipywidgets as widgets
    except ImportError:  # pragma: no cover - a dependency of the kit
        return False
    return isinstance(obj, widgets.Widget)


def _check_target(target) -> None:
    if target is None:
        return
    if _is_widget(target):
        import ipywidgets as widgets
        if isinstance(target, (widgets.Image, widgets.Output)):
            return
        raise TypeError(f"target must be an ipywidgets.Image or ipywidgets.Output, got a {type(target).__name__}")
    if callable(target):
        return
    raise TypeError(f"target must be None, an ipywidgets.Image/Output or a callable taking PNG bytes, "
                    f"got {type(target).__name__}")
