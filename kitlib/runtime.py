"""One setup call per notebook: seeding and op determinism, quiet logs, smoke/full mode,
a per-notebook work directory, metric recording, and an environment report."""

from __future__ import annotations

import html
import json
import logging
import os
import platform
import re
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from kitlib import _validate as V
from kitlib import i18n as _i18n
from kitlib.i18n import N_, _, pgettext

from kitlib import data as _data

__all__ = ["Kit", "setup", "seed_everything", "quiet_logs", "work_root", "WorkDirError", "environment_report",
           "EnvironmentReport", "SMOKE_SIZES", "ClaimFailed", "filter_lines"]


class ClaimFailed(AssertionError):
    """A number the notebook states did not hold when the cell ran."""

# Smoke mode: tiny data, 1 epoch; seconds per notebook.
SMOKE_SIZES = {"n_train": 2048, "n_val": 512, "n_test": 512}
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}\Z")
_MARKER = ".kitlib-workdir"


# TensorFlow 2.21 logs through absl before absl::InitializeLog() is called, so
# TF_CPP_MIN_LOG_LEVEL no longer hides its C++ lines (oneDNN notice at import, a
# harmless NodeDef version-skew error at the first fit). In a Jupyter kernel those
# lines reach the notebook through the captured file descriptor 2.
_CPP_LOG = re.compile(rb"^([IWEF])\d{4} \d\d:\d\d:\d+\.\d+ +\d+ [\w.+-]+:\d+\] ")
_ALWAYS_DROP = (
    b"WARNING: All log messages before absl::InitializeLog() is called are written to STDERR",
    b"NodeDef mentions attribute use_unbounded_threadpool which is not in the op definition",
)
_fd_filter_installed = False


def _drop_line(line: bytes, level: int) -> bool:
    if any(s in line for s in _ALWAYS_DROP):
        return True
    m = _CPP_LOG.match(line)
    return bool(m) and "IWEF".index(m.group(1).decode()) < level


def filter_lines(data: bytes, level: int = 2) -> bytes:
    """Drop TensorFlow C++ log lines below *level* (0 I, 1 W, 2 E, 3 F) and known noise."""
    return b"".join(l for l in data.splitlines(keepends=True) if not _drop_line(l, level))


def _install_fd_filter(level: int) -> bool:
    """Route file descriptor 2 through a line filter (only inside a Jupyter kernel).

    Python-level output in a kernel does not use fd 2, so tracebacks are unaffected; in a
    plain script nothing is changed (a filter thread could lose the last lines at exit).
    """
    global _fd_filter_installed
    if _fd_filter_installed or "ipykernel" not in sys.modules or os.name != "posix":
        return _fd_filter_installed
    import threading
    try:
        original = os.dup(2)
        r, w = os.pipe()
        os.dup2(w, 2)
        os.close(w)
    except OSError:  # pragma: no cover - no fd 2 to filter
        return False

    def pump():
        buf = b""
        with os.fdopen(r, "rb", buffering=0) as src:
            while chunk := src.read(65536):
                buf += chunk
                *lines, buf = buf.split(b"\n")
                out = b"".join(l + b"\n" for l in lines if not _drop_line(l, level))
                if out:
                    os.write(original, out)
                if buf and not _CPP_LOG.match(buf) and not buf.startswith(b"WARNING: All log"):
                    os.write(original, buf)  # a partial line that is not a log line: pass it on now
                    buf = b""

    threading.Thread(target=pump, name="kitlib-stderr-filter", daemon=True).start()
    _fd_filter_installed = True
    return True


def quiet_logs() -> None:
    """Silence TensorFlow's C++ INFO/WARNING lines and its Python logger below ERROR.

    Python warnings (e.g. Keras' own deprecation notices) stay visible: they teach.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    try:
        level = int(os.environ["TF_CPP_MIN_LOG_LEVEL"])
    except ValueError:
        level = 2
    _install_fd_filter(level)
    try:
        import absl.logging
        absl.logging.set_verbosity(absl.logging.ERROR)
    except ImportError:  # pragma: no cover - absl ships with tensorflow
        pass
    logging.getLogger("tensorflow").setLevel(logging.ERROR)


def seed_everything(seed: int = 42, deterministic: bool = True) -> None:
    """Seed Python, NumPy and the backend; optionally make TF ops deterministic.

    With ``deterministic=True`` a rerun (same machine, same thread count) gives the
    same losses and weights. Seed-only is also repeatable but gives other numbers,
    so the kit always uses one mode: both.
    """
    V.integer(seed, "seed", low=0)
    import keras
    keras.utils.set_random_seed(int(seed))
    if deterministic:
        import tensorflow as tf
        tf.config.experimental.enable_op_determinism()


class WorkDirError(OSError):
    """No writable work directory; the message says which setting to change."""


def _user_work_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base).expanduser().resolve() / "kitlib" / "work"


def _writable(path: Path) -> bool:
    """Can the kit create files at *path*? Judged on the nearest existing folder, by its
    permission bits too: root may write anywhere, but a checkout made read-only on purpose
    (``chmod -R a-w``) must not be written into even then."""
    p = path
    while not p.exists():
        if p.parent == p:
            return False
        p = p.parent
    try:
        st = p.stat()
    except OSError:
        return False
    return p.is_dir() and bool(st.st_mode & 0o222) and os.access(p, os.W_OK | os.X_OK)


def _work_root_and_note() -> tuple[Path, str | None]:
    env = os.environ.get("KITLIB_WORK_DIR")
    if env:
        return Path(env).expanduser().resolve(), None
    root = _data._project_root()
    default = (root / "work") if root is not None else Path.cwd().resolve() / "kitlib-work"
    if _writable(default):
        return default, None
    fallback = _user_work_root()
    return fallback, _("{default} is read-only, so this notebook's files go to {fallback} "
                       "(set KITLIB_WORK_DIR to choose another folder)").format(default=default, fallback=fallback)


def work_root() -> Path:
    """Where per-notebook work directories live.

    ``$KITLIB_WORK_DIR`` if set; else ``work/`` in the checkout if it can be written;
    else (a read-only checkout) ``$XDG_CACHE_HOME/kitlib/work`` or ``~/.cache/kitlib/work``.
    """
    return _work_root_and_note()[0]


# Work directories this process holds: folder → open file descriptor carrying the lock.
_HELD: dict[Path, int] = {}
_CLAIMED: dict[tuple[Path, str], Path] = {}  # (root, notebook) → the folder this process uses
_LOCK_FILE = ".kitlib-lock"
_MAX_COPIES = 50


def _lock_owner(folder: Path) -> str:
    try:
        text = (folder / _LOCK_FILE).read_text().strip()
    except OSError:
        return _("another process")
    return _("another kernel (pid {pid})").format(pid=text) if text.isdigit() else _("another process")


def _try_lock(folder: Path) -> bool:
    """Take *folder*'s lock for this process (held until the process ends); False if taken."""
    if folder in _HELD:
        return True
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX: no locking, one copy per notebook
        _HELD[folder] = -1
        return True
    fd = os.open(folder / _LOCK_FILE, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return False
    os.ftruncate(fd, 0)
    os.write(fd, str(os.getpid()).encode())
    _HELD[folder] = fd  # never closed: the kernel holds it until it exits (kill -9 included)
    return True


def _claim_workdir(root: Path, notebook: str) -> tuple[Path, str | None]:
    """This notebook's work directory under *root*, locked for this process.

    When another running copy of the same notebook (a duplicated notebook in JupyterLab,
    two papermill runs) holds ``<root>/<notebook>``, this copy gets its own
    ``<root>/<notebook>+2`` (``+3``, ...), so neither can empty the other's folders.
    A lock dies with its process, so a crashed kernel never blocks the next run.
    """
    first = root / notebook
    if (root, notebook) in _CLAIMED:  # the setup cell run again in the same kernel: same folder
        return _CLAIMED[root, notebook], None
    for i in range(1, _MAX_COPIES + 1):
        folder = first if i == 1 else root / f"{notebook}+{i}"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            taken = not _try_lock(folder)
        except OSError as exc:
            raise WorkDirError(
                f"cannot use the work directory {folder} ({type(exc).__name__}: {exc.strerror or exc}); "
                f"set KITLIB_WORK_DIR to a writable folder, e.g. export KITLIB_WORK_DIR=~/kitlib-work"
            ) from exc
        if taken:
            continue
        _CLAIMED[root, notebook] = folder
        if i == 1:
            return folder, None
        return folder, _("{owner} is running {notebook} with {first}; this copy works "
                         "in {folder} so that neither removes the other's files").format(
            owner=_lock_owner(first), notebook=notebook, first=first, folder=folder)
    raise WorkDirError(f"{_MAX_COPIES} copies of {notebook} are running under {root}: stop some "
                       f"kernels, or set KITLIB_WORK_DIR to another folder for this one")


_MODE_NAMES = (N_("mode", "smoke"), N_("mode", "full"))  # translated where setup() prints them


@dataclass
class Kit:
    """What ``setup()`` returns: the notebook's mode, seed, work dir and helpers."""

    name: str
    smoke: bool
    seed: int
    deterministic: bool
    workdir: Path
    metrics: dict[str, Any] = field(default_factory=dict)
    edition: str = "en"  # the notebook's language (setup's lang=)

    # ---- mode helpers
    @property
    def mode(self) -> str:
        return "smoke" if self.smoke else "full"

    def pick(self, full, smoke):
        """``full`` in full mode, ``smoke`` in smoke mode."""
        return smoke if self.smoke else full

    def epochs(self, full: int, smoke: int = 1) -> int:
        """Number of epochs: the guide's in full mode, one (or ``smoke``) in smoke mode."""
        for what, v in (("full", full), ("smoke", smoke)):
            V.integer(v, f"epochs({what}=...)", low=1)
        return smoke if self.smoke else full

    # ---- data
    def mnist(self, name: str = "mnist", **kwargs) -> _data.GuideData:
        """The guide's preprocessed split; small subsets in smoke mode (override with n_*=...)."""
        if self.smoke:
            for k, v in SMOKE_SIZES.items():
                kwargs.setdefault(k, v)
        return _data.guide_data(name, **kwargs)

    # ---- seeding
    def reseed(self, seed: int | None = None) -> None:
        """Seed again (e.g. before building each model) so a cell gives the same result when rerun."""
        seed_everything(self.seed if seed is None else seed, self.deterministic)

    # ---- files
    def path(self, *parts: str) -> Path:
        """A path inside this notebook's work directory (parent folders are created)."""
        p = self.workdir.joinpath(*parts).resolve()
        if self.workdir.resolve() not in (p, *p.parents):
            raise ValueError(f"{'/'.join(parts)!r} leaves the work directory {self.workdir}; "
                             f"use a relative path without '..'")
        p.parent.mkdir(parents=True, exist_ok=True)
        return p

    def fresh_dir(self, *parts: str) -> Path:
        """An empty folder inside the work directory (its old contents are removed).

        Only folders inside this notebook's own work directory can be emptied.
        """
        if not parts:
            raise ValueError("fresh_dir() needs a sub-folder name, e.g. kit.fresh_dir('checkpoints')")
        p = self.path(*parts)
        if p == self.workdir.resolve():
            raise ValueError("fresh_dir() cannot empty the whole work directory; name a sub-folder")
        if p.exists():
            shutil.rmtree(p) if p.is_dir() else p.unlink()
        p.mkdir(parents=True)
        return p

    # ---- metrics (read by the regression tests)
    @property
    def metrics_file(self) -> Path:
        env = os.environ.get("KITLIB_METRICS_DIR")
        if env:
            return Path(env) / (f"{self.name}.json" if self.edition == "en" else f"{self.name}.{self.edition}.json")
        return self.workdir / "metrics.json"

    def record(self, **values) -> None:
        """Record numbers this notebook shows, so tests can compare them with baselines.

        Accepts numbers, NumPy scalars/arrays, lists and dicts of those (e.g.
        ``history.history``). Written to ``$KITLIB_METRICS_DIR/<notebook>.json``
        (or ``metrics.json`` in the work dir).
        """
        if not values:
            raise ValueError("record() needs name=value pairs, e.g. kit.record(test_acc=acc)")
        for k, v in values.items():
            self.metrics[k] = _jsonable(v, k)
        f = self.metrics_file
        f.parent.mkdir(parents=True, exist_ok=True)
        tmp = f.with_suffix(".json.tmp")
        tmp.write_text(json.dumps({"notebook": self.name, "mode": self.mode, "seed": self.seed,
                                   "metrics": self.metrics}, indent=1, sort_keys=True))
        tmp.replace(f)

    def claim(self, statement: str, actual, expected, *, rtol: float = 0.0, atol: float = 0.0,
              record: str | None = None):
        """State a fact the prose relies on, check it now, and keep it for the tests.

        Prints ``✔ statement: actual`` (or raises ClaimFailed with both values), so a
        notebook that runs in CI proves what it says. Returns None. Numbers are compared with
        ``rtol``/``atol``; other values (shapes, strings, lists) must be equal.
        ``record="name"`` also records ``actual`` under that name.
        """
        a, e = _jsonable(actual, statement), _jsonable(expected, statement)
        if not _close(a, e, rtol, atol):
            raise ClaimFailed(f"{statement}: got {a!r}, expected {e!r}"
                              + (f" (rtol={rtol}, atol={atol})" if rtol or atol else ""))
        if record:
            self.record(**{record: a})
        print(f"✔ {statement}: {_show(a)}")
        # Returns None on purpose: a claim is a statement, and a returned value would
        # print a second output line (nbval runs cells without a trailing-';' filter).

    # ---- reporting
    def report(self, verify_data: bool = True) -> "EnvironmentReport":
        """The environment report (versions, devices, data found, mode); displays as a table."""
        rep = environment_report(verify_data=verify_data)
        rep.rows.update({"mode": self.mode, "seed": str(self.seed),
                         "op determinism": "on" if self.deterministic else "off",
                         "work dir": str(self.workdir)})
        return rep

    def summary(self) -> str:
        return _("kitlib: {notebook} in {mode} mode, seed {seed}, op determinism {determinism}").format(
            notebook=self.name, mode=pgettext("mode", self.mode), seed=self.seed,
            determinism=pgettext("switch", "on") if self.deterministic else pgettext("switch", "off"))

    def __repr__(self) -> str:
        return self.summary()


def _show(v) -> str:
    """Short human form: whole numbers as integers (thousands separated from 1,000 on, as
    counts are printed), other floats to 4 significant digits."""
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e15:
        v = int(v)
    if isinstance(v, int) and not isinstance(v, bool):
        return f"{v:,}" if abs(v) >= 1000 else str(v)
    if isinstance(v, float):
        return f"{v:.4g}"
    return repr(v)


def _close(a, e, rtol: float, atol: float) -> bool:
    import math
    if isinstance(a, (list, tuple)) and isinstance(e, (list, tuple)):
        return len(a) == len(e) and all(_close(x, y, rtol, atol) for x, y in zip(a, e))
    if isinstance(a, dict) and isinstance(e, dict):
        return a.keys() == e.keys() and all(_close(a[k], e[k], rtol, atol) for k in a)
    numeric = (int, float)
    if isinstance(a, numeric) and isinstance(e, numeric) and not isinstance(a, bool) and not isinstance(e, bool):
        return math.isclose(a, e, rel_tol=rtol, abs_tol=atol)
    return a == e


def _jsonable(v, key: str):
    if isinstance(v, (bool, int, float, str)) or v is None:
        return v
    if isinstance(v, np.generic):
        return v.item()
    if isinstance(v, np.ndarray):
        return v.tolist()
    if isinstance(v, dict):
        return {str(k): _jsonable(x, key) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_jsonable(x, key) for x in v]
    if hasattr(v, "numpy"):  # a backend tensor
        return _jsonable(np.asarray(v.numpy()), key)
    raise TypeError(f"record({key}=...) got a {type(v).__name__}; record numbers, lists or dicts of numbers")


def setup(notebook: str, *, smoke: bool = False, seed: int = 42, deterministic: bool = True,
          show: bool = True, lang: str = "en", logical_cpus: int | None = None) -> Kit:
    """Prepare a notebook: quiet logs, seed + op determinism, mode, work dir.

    ``notebook`` names the work directory (``work/<notebook>/``; see :func:`work_root` for
    where ``work/`` is). A second running copy of the same notebook gets its own
    ``work/<notebook>+2/`` (and says so). Call it once, in the cell after the ``parameters`` cell::

        kit = kitlib.setup("01_end_to_end", smoke=SMOKE, seed=SEED)

    ``lang`` is the notebook's edition (``"en"``, ``"ko"``, ``"th"``; ``make translations``
    writes it into the Korean and Thai notebooks): kitlib's messages and plot labels follow
    it unless ``$KITLIB_LANG`` says otherwise (see :mod:`kitlib.i18n`), and an edition other
    than English works in ``work/<notebook>.<lang>/`` with its own metrics file, so the
    editions of one notebook can run side by side.

    ``logical_cpus=n`` splits the CPU into *n* logical devices before anything starts
    TensorFlow's runtime (:func:`kitlib.distribute.split_cpu`), for ``MirroredStrategy``
    on a machine without GPUs; it has to be the first TensorFlow thing the kernel does.
    """
    if not isinstance(notebook, str):
        raise TypeError(f"notebook must be a str such as '01_end_to_end', got {notebook!r} "
                        f"({type(notebook).__name__})")
    smoke = V.boolean(smoke, "smoke")
    if not _NAME_RE.match(notebook):
        raise ValueError(f"notebook={notebook!r}: must be a simple name such as '01_end_to_end' "
                         f"(1 to 100 letters, digits, '_', '-', '.'; no '/', spaces, newlines or "
                         f"control characters)")
    edition = _i18n.check_language(lang)
    if logical_cpus is not None:
        V.integer(logical_cpus, "logical_cpus", low=1, high=64)
    quiet_logs()
    if logical_cpus is not None:
        from kitlib.distribute import split_cpu
        split_cpu(logical_cpus)
    _i18n.set_language(edition)
    seed_everything(seed, deterministic)
    # Importing TensorFlow (inside seed_everything) resets its Python logger to INFO,
    # which lets "WARNING:tensorflow: ... retracing" lines into notebooks: set it again.
    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    root, note = _work_root_and_note()
    workdir, copy_note = _claim_workdir(root, notebook if edition == "en" else f"{notebook}.{edition}")
    (workdir / _MARKER).touch()
    kit = Kit(notebook, smoke, int(seed), deterministic, workdir, edition=edition)
    if show:
        print(kit.summary())
        for line in (note, copy_note):
            if line:
                print(f"kitlib: {line}")
    return kit


# --------------------------------------------------------------------------- report


@dataclass
class EnvironmentReport:
    rows: dict[str, str]

    def __str__(self) -> str:
        width = max(map(len, self.rows))
        return "\n".join(f"{k:<{width}}  {v}" for k, v in self.rows.items())

    def _repr_html_(self) -> str:
        body = "".join(f"<tr><th style='text-align:left'>{html.escape(k)}</th>"
                       f"<td style='text-align:left'>{html.escape(v)}</td></tr>"
                       for k, v in self.rows.items())
        return f"<table>{body}</table>"

    def __repr__(self) -> str:
        return str(self)


def _total_memory_gb() -> str:
    try:
        import psutil
        return f"{psutil.virtual_memory().total / 2**30:.1f} GiB"
    except Exception:  # pragma: no cover
        return "unknown"


def environment_report(verify_data: bool = True) -> EnvironmentReport:
    """Versions, devices and where each dataset was found (and whether it verified)."""
    import keras
    import tensorflow as tf
    rows: dict[str, str] = {
        "python": sys.version.split()[0],
        "platform": platform.platform(terse=True),
        "tensorflow": tf.__version__,
        "keras": f"{keras.__version__} (backend {keras.backend.backend()})",
        "numpy": np.__version__,
        "cpus": f"{os.cpu_count()} logical, {_total_memory_gb()} RAM",
    }
    gpus = tf.config.list_physical_devices("GPU")
    rows["devices"] = ", ".join(d.name.replace("/physical_device:", "") for d in
                                tf.config.list_physical_devices()) or "none"
    rows["gpu"] = f"{len(gpus)} GPU(s)" if gpus else "none (CPU only: smoke mode is seconds, full mode minutes)"
    for name in _data.DATASETS:
        title = _data.DATASETS[name].title
        if verify_data:
            t0 = time.perf_counter()
            try:
                _data.load_data(name, download=False)
                src = _data.last_source(name)
                rows[f"data: {title}"] = f"{src.describe()}, verified in {time.perf_counter() - t0:.1f} s"
            except _data.DataNotFoundError:
                rows[f"data: {title}"] = "not found (see kitlib.data.sources())"
        else:
            found = _data.candidates(name)
            rows[f"data: {title}"] = found[0].describe() if found else "not found locally"
    rows["KITLIB_OFFLINE"] = os.environ.get("KITLIB_OFFLINE", "unset")
    return EnvironmentReport(rows)
