"""TensorBoard without a browser tab: read event files into NumPy, plot them inline, and
launch a TensorBoard server on 127.0.0.1 when one can run.

``keras.callbacks.TensorBoard(log_dir)`` writes one *run* per sub-folder (``train/``,
``validation/``), each holding ``events.out.tfevents.*`` files. TensorFlow 2 stores every
summary as a tensor, so the classic ``EventAccumulator.Scalars()`` finds nothing, and
TensorBoard's own readers keep only a sample of the points per tag by default. This
module reads every event::

    from kitlib import tb
    logs = tb.read_scalars(log_dir)        # {run: {tag: Series(steps, values)}}
    steps, values = logs["validation"]["epoch_loss"]
    tb.plot_scalars(logs, ["epoch_loss"])  # train and validation on one axis
    server = tb.launch(log_dir)            # a real TensorBoard on http://127.0.0.1:<port>/
    server.stop()

The package ``tensorboard`` is separate from ``tensorflow-cpu`` 2.21; the kit depends on it.
"""

from __future__ import annotations

import atexit
import html
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import numpy as np

from kitlib import _validate as V

__all__ = ["PortInUse", "Series", "Histogram", "event_files", "read_scalars", "read_histograms", "plot_scalars",
           "plot_histograms", "free_port", "Server", "launch", "prepare_magic", "server_wanted",
           "stop_magic_servers", "LOOPBACK", "SERVER_ENV"]

LOOPBACK = ("127.0.0.1", "localhost", "::1")
#: Set to 1 where JupyterLab runs (its kernels inherit it) to start the TensorBoard servers of
#: notebook 12 without editing its parameters cell (e.g. a browser test).
SERVER_ENV = "KITLIB_TENSORBOARD"
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"", "0", "false", "no", "off"}
_EVENT_GLOB = "events.out.tfevents.*"


class Series(NamedTuple):
    """One scalar tag of one run: ``values[i]`` was logged at ``steps[i]`` (steps ascending)."""

    steps: np.ndarray
    values: np.ndarray


class Histogram(NamedTuple):
    """A histogram logged at ``step``: ``counts[i]`` values fell in ``[left[i], right[i])``."""

    step: int
    left: np.ndarray
    right: np.ndarray
    counts: np.ndarray


# --------------------------------------------------------------------------- reading


def _logdir(logdir) -> Path:
    if isinstance(logdir, (bytes, bool)) or not isinstance(logdir, (str, os.PathLike)):
        raise TypeError(f"logdir must be a path (str or Path), got {type(logdir).__name__}")
    p = Path(logdir).expanduser()
    if not p.exists():
        raise FileNotFoundError(f"log dir {str(p)!r} does not exist: pass the log_dir you gave "
                                f"keras.callbacks.TensorBoard(log_dir=...), after fit() has run")
    if not p.is_dir():
        raise NotADirectoryError(f"{str(p)!r} is a file; pass the folder that holds the runs "
                                 f"(the TensorBoard callback's log_dir)")
    return p


def event_files(logdir) -> dict[str, list[Path]]:
    """``{run: [event files, oldest first]}`` for every folder under *logdir* holding events.

    A run is named by its path relative to *logdir* (``"train"``, ``"validation"``,
    ``"."`` for files directly in *logdir*).
    """
    root = _logdir(logdir)
    runs: dict[str, list[Path]] = {}
    for f in sorted(root.rglob(_EVENT_GLOB)):
        if f.is_file():
            run = f.parent.relative_to(root).as_posix()
            runs.setdefault(run, []).append(f)
    # File names start with the creation time (seconds), then host and pid; sort by it.
    for files in runs.values():
        files.sort(key=lambda f: (_file_time(f), f.name))
    return dict(sorted(runs.items()))


def _file_time(f: Path) -> int:
    try:
        return int(f.name.split(".")[3])
    except (IndexError, ValueError):
        return 0


def _events(path: Path):
    from tensorboard.backend.event_processing import event_file_loader
    return event_file_loader.EventFileLoader(str(path)).Load()


def _select(kind: str, wanted, available) -> list[str]:
    if wanted is None:
        return list(available)
    if isinstance(wanted, str):
        wanted = [wanted]
    wanted = list(wanted)
    missing = [w for w in wanted if w not in available]
    if missing:
        raise KeyError(f"{kind} {missing} not found; available: {sorted(available)}")
    return wanted


def _read(logdir, plugin: str, runs, tags):
    """{run: {tag: [(step, file_index, ndarray)]}} for summaries written by *plugin*."""
    from tensorboard.util import tensor_util
    files = event_files(logdir)
    selected = _select("runs", runs, files)
    out: dict[str, dict[str, list]] = {}
    for run in selected:
        plugin_of: dict[str, str] = {}
        per_tag: dict[str, list] = {}
        for i, f in enumerate(files[run]):
            for event in _events(f):
                if not event.HasField("summary"):
                    continue
                for v in event.summary.value:
                    # TensorFlow 2 writers attach the metadata to the first value of a tag only.
                    if v.HasField("metadata") and v.metadata.plugin_data.plugin_name:
                        plugin_of.setdefault(v.tag, v.metadata.plugin_data.plugin_name)
                    if plugin_of.get(v.tag) != plugin or not v.HasField("tensor"):
                        continue
                    per_tag.setdefault(v.tag, []).append((int(event.step), i, tensor_util.make_ndarray(v.tensor)))
        out[run] = per_tag
    if tags is not None:
        available = {t for per_tag in out.values() for t in per_tag}
        wanted = _select("tags", tags, available)
        out = {run: {t: per_tag[t] for t in wanted if t in per_tag} for run, per_tag in out.items()}
    return out


def _latest_per_step(run: str, tag: str, points: list) -> list:
    """Sort by step; where several files logged the same step, keep the latest file's value."""
    by_step: dict[int, tuple] = {}
    overlap = False
    for step, i, value in points:
        if step in by_step and by_step[step][0] != i:
            overlap = True
        by_step[step] = (i, value)
    if overlap:
        warnings.warn(f"run {run!r}, tag {tag!r}: several event files log the same steps "
                      f"(fit() ran more than once with this log_dir); the latest values are kept. "
                      f"Give each training run its own log_dir.", stacklevel=3)
    return [(s, by_step[s][1]) for s in sorted(by_step)]


def read_scalars(logdir, runs=None, tags=None) -> dict[str, dict[str, Series]]:
    """Every scalar in *logdir* as ``{run: {tag: Series(steps, values)}}``.

    Nothing is sampled away (TensorBoard's readers keep a sample per tag by default).
    *runs* / *tags* (a name or a list) restrict the result; unknown names raise KeyError
    listing what exists. Values are float64 copies of what was logged (float32 for Keras).
    """
    raw = _read(logdir, "scalars", runs, tags)
    out: dict[str, dict[str, Series]] = {}
    for run, per_tag in raw.items():
        out[run] = {}
        for tag in sorted(per_tag):
            points = _latest_per_step(run, tag, per_tag[tag])
            out[run][tag] = Series(np.array([s for s, _ in points], dtype=np.int64),
                                   np.array([float(np.asarray(v).reshape(())) for _, v in points]))
    if not any(out.values()):
        files = event_files(logdir)
        if not files:
            raise FileNotFoundError(f"no event files under {str(logdir)!r}: did fit() run with "
                                    f"keras.callbacks.TensorBoard(log_dir={str(logdir)!r})?")
    return out


def read_histograms(logdir, run: str = "train", tags=None) -> dict[str, list[Histogram]]:
    """The histograms of one *run* (``histogram_freq`` > 0 writes weights to ``train``):
    ``{tag: [Histogram(step, left, right, counts), ...]}`` in step order."""
    raw = _read(logdir, "histograms", [run], tags)[run]
    out: dict[str, list[Histogram]] = {}
    for tag in sorted(raw):
        out[tag] = [Histogram(s, a[:, 0].copy(), a[:, 1].copy(), a[:, 2].copy())
                    for s, a in _latest_per_step(run, tag, raw[tag])]
    return out


# --------------------------------------------------------------------------- plotting


def plot_scalars(logs, tags=None, runs=None, *, title: str | None = None, ncols: int = 3):
    """One subplot per tag, one line per run (e.g. train and validation ``epoch_loss``).

    *logs* is ``read_scalars(...)``'s result or a log dir. Returns the Figure; show it with
    ``plt.show()`` (which also closes it in a notebook).
    """
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator
    if isinstance(logs, (str, os.PathLike)):
        logs = read_scalars(logs)
    if not isinstance(logs, dict):
        raise TypeError("plot_scalars() takes the dict read_scalars() returns, or a log dir")
    runs = _select("runs", runs, logs)
    available = sorted({t for r in runs for t in logs[r]})
    tags = _select("tags", tags, available)
    if not tags:
        raise ValueError(f"no scalars to plot in runs {runs}")
    ncols = max(1, min(ncols, len(tags)))
    nrows = -(-len(tags) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.6 * ncols, 2.8 * nrows), squeeze=False)
    for ax, tag in zip(axes.flat, tags):
        for run in runs:
            if tag in logs[run]:
                s = logs[run][tag]
                ax.plot(s.steps, s.values, "o-" if len(s.steps) < 30 else "-", ms=3, label=run)
        ax.set(title=tag, xlabel="epoch" if tag.startswith("epoch_") else "step")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.legend(fontsize=8)
    for ax in list(axes.flat)[len(tags):]:
        ax.axis("off")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_histograms(hists, tag: str, ax=None):
    """Overlay the histograms of one *tag* (e.g. ``"predictions/kernel/histogram"``), one
    line per logged step, darker = later. *hists* is ``read_histograms(...)``'s result."""
    import matplotlib.pyplot as plt
    if not isinstance(hists, dict):
        raise TypeError("plot_histograms() takes the dict read_histograms() returns")
    if tag not in hists:
        raise KeyError(f"histogram tag {tag!r} not found; available: {sorted(hists)}")
    if ax is None:
        fig, ax = plt.subplots(figsize=(5, 3))
    else:
        fig = ax.figure
    snaps = hists[tag]
    cmap = plt.get_cmap("viridis")
    for k, h in enumerate(snaps):
        centers = (h.left + h.right) / 2
        ax.plot(centers, h.counts, color=cmap(k / max(1, len(snaps) - 1)), label=f"step {h.step}")  # step = epoch for Keras
    ax.set(title=tag, xlabel="weight value", ylabel="count")
    ax.legend(fontsize=8)
    return fig


# --------------------------------------------------------------------------- server


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that is free on *host* right now (the OS picks it)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def _tensorboard_binary() -> str | None:
    found = shutil.which("tensorboard")
    if found:
        return found
    beside = Path(sys.executable).parent / "tensorboard"
    return str(beside) if beside.is_file() and os.access(beside, os.X_OK) else None


def server_wanted(requested=False) -> bool:
    """Whether to start a real TensorBoard: *requested* (notebook 12's ``TENSORBOARD_SERVER``
    parameter) or the environment variable ``KITLIB_TENSORBOARD`` set to 1.

    The variable lets a JupyterLab server (and so every kernel it starts) switch the
    servers on without editing the notebook. Values other than 1/true/yes/on and
    0/false/no/off (or unset) raise ``ValueError`` naming the accepted ones.
    """
    if not isinstance(requested, bool):
        raise TypeError(f"TENSORBOARD_SERVER must be True or False, got {requested!r}")
    raw = os.environ.get(SERVER_ENV, "")
    value = raw.strip().lower()
    if value not in _TRUE | _FALSE:
        raise ValueError(f"{SERVER_ENV}={raw!r} is not understood: set it to 1 (start TensorBoard) "
                         f"or 0 (do not), or unset it")
    return requested or value in _TRUE


def prepare_magic(stop_at_exit: bool = True) -> str:
    """Make ``%tensorboard`` find the TensorBoard of this environment; returns its path.

    The magic starts the program ``tensorboard`` from ``PATH``; a kernel started from a
    virtual environment often does not have the environment's ``bin/`` on ``PATH``, and
    the magic then reports that it cannot find TensorBoard. This sets
    ``TENSORBOARD_BINARY`` (which the magic honours) when needed.

    The magic's servers outlive the kernel that started them (by design, so a second
    ``%tensorboard`` can reuse them). With ``stop_at_exit=True`` the ones this process
    starts are stopped when it exits (a kernel shutdown or restart), like
    :func:`launch`'s.
    """
    if stop_at_exit:
        atexit.unregister(stop_magic_servers)  # once, however often this is called
        atexit.register(stop_magic_servers)
    explicit = os.environ.get("TENSORBOARD_BINARY")
    if explicit:
        return explicit
    binary = _tensorboard_binary()
    if binary is None:
        raise FileNotFoundError("no `tensorboard` program found on PATH or beside this Python "
                                f"({Path(sys.executable).parent}); install the `tensorboard` package")
    if shutil.which("tensorboard") != binary:
        os.environ["TENSORBOARD_BINARY"] = binary
    return binary


def stop_magic_servers(timeout: float = 5.0) -> list[int]:
    """Stop the TensorBoard servers this process started (``%tensorboard``'s included); their pids.

    Only servers that are this process's own children are touched: TensorBoard's registry
    (``tensorboard.manager.get_all()``) lists every server of the user, started from anywhere.
    """
    try:
        import psutil
        from tensorboard import manager
    except ImportError:  # pragma: no cover - both ship with the kit's dependencies
        return []
    stopped = []
    for info in manager.get_all():
        try:
            proc = psutil.Process(info.pid)
            if proc.ppid() != os.getpid():
                continue
            proc.terminate()
            try:
                proc.wait(timeout)
            except psutil.TimeoutExpired:
                proc.kill()
            stopped.append(info.pid)
        except psutil.Error:  # gone already, or not ours to stop
            continue
    return stopped


@dataclass
class Server:
    """A TensorBoard process serving *logdir* on ``url``. ``stop()`` ends it (also at exit)."""

    url: str
    port: int
    host: str
    logdir: Path
    process: subprocess.Popen = field(repr=False)
    _log: object = field(default=None, repr=False)

    @property
    def running(self) -> bool:
        return self.process.poll() is None

    def stop(self, timeout: float = 5.0) -> None:
        """Terminate the server (kill it if it does not exit within *timeout* s)."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout)
        if self._log is not None:
            self._log.close()
            self._log = None
        try:
            atexit.unregister(self.stop)
        except Exception:  # pragma: no cover
            pass

    def __enter__(self) -> "Server":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def _repr_html_(self) -> str:
        state = "running" if self.running else f"stopped (exit code {self.process.returncode})"
        return (f"TensorBoard {state}: <a href='{html.escape(self.url)}' target='_blank'>"
                f"{html.escape(self.url)}</a> serving {html.escape(str(self.logdir))}")


def _port_in_use(host: str, port: int) -> bool:
    """Is something listening on *host*:*port*? (SO_REUSEADDR: a port in TIME_WAIT counts as free.)"""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return True
    return False


def _served_logdir(url: str) -> str | None:
    """The logdir the TensorBoard at *url* reports, or None if nothing (or not TensorBoard) answers."""
    try:
        with urllib.request.urlopen(url + "data/logdir", timeout=2) as r:
            if r.status != 200:
                return None
            return str(json.loads(r.read().decode()).get("logdir", ""))
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError, ValueError, AttributeError):
        return None


class PortInUse(RuntimeError):
    """The port asked for is taken (another TensorBoard, or any other server)."""


def launch(logdir, port: int | None = None, host: str = "127.0.0.1", timeout: float = 60.0) -> Server:
    """Start TensorBoard on *host*:*port* (a free port by default) and wait until it answers.

    Only loopback addresses are accepted: TensorBoard has no authentication, so it must
    not listen on a network interface (reach a remote machine through an SSH tunnel).
    The server counts as started only when *its own* process is alive and the answer names
    this *logdir*, so another TensorBoard already on the port is never taken for it.
    A *port* already in use raises :class:`PortInUse` (``port=None`` picks a free one, and
    picks again if another program takes it first). Raises ``RuntimeError`` with
    TensorBoard's own output if it exits or does not answer within *timeout* seconds.
    """
    root = _logdir(logdir).resolve()
    if host not in LOOPBACK:
        raise ValueError(f"host={host!r}: TensorBoard has no login, so kitlib only binds a "
                         f"loopback address {LOOPBACK}; use an SSH tunnel to reach it from elsewhere")
    if port is not None:
        port = V.integer(port, "port", low=1024, high=65535, hint="or None for a free port")
    if port is not None:
        if _port_in_use(host, port):
            raise PortInUse(f"port {port} on {host} is already in use (another TensorBoard, or another "
                            f"server): pass port=None to get a free port, or stop what uses {port}")
        return _start(root, port, host, timeout)
    for attempt in range(3):
        chosen = free_port(host)
        try:
            return _start(root, chosen, host, timeout)
        except PortInUse:  # another program took the free port first: pick again
            if attempt == 2:
                raise


def _start(root: Path, port: int, host: str, timeout: float) -> Server:
    log = tempfile.TemporaryFile(prefix="kitlib-tensorboard-")
    cmd = [sys.executable, "-m", "tensorboard.main", "--logdir", str(root), "--host", host,
           "--port", str(port), "--reload_interval", "2"]
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    url_host = f"[{host}]" if ":" in host else host
    server = Server(f"http://{url_host}:{port}/", port, host, root, proc, log)
    atexit.register(server.stop)
    deadline = time.monotonic() + timeout
    foreign = None
    while True:
        served = _served_logdir(server.url)
        if proc.poll() is not None:
            output = _tail(log)
            server.stop()
            if foreign is not None or "in use" in output.lower():
                raise PortInUse(f"TensorBoard exited with code {proc.returncode}: port {port} on {host} is "
                                f"already in use{f' by a TensorBoard serving {foreign}' if foreign else ''}. "
                                f"Pass port=None to get a free port, or stop the other server.\n{output}")
            raise RuntimeError(f"TensorBoard exited with code {proc.returncode} before serving "
                               f"{server.url}:\n{output}")
        if served is not None:
            if Path(served).resolve() == root:
                return server
            foreign = served  # someone else's TensorBoard answers on this port; ours will exit
        if time.monotonic() > deadline:
            output = _tail(log)
            server.stop()
            raise RuntimeError(f"TensorBoard did not answer on {server.url} within {timeout:.0f} s:\n{output}")
        time.sleep(0.25)


def _tail(log, n: int = 4000) -> str:
    try:
        log.seek(0)
        return log.read().decode(errors="replace")[-n:]
    except (OSError, ValueError):  # pragma: no cover
        return "(no output captured)"
