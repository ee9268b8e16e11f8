"""Execute notebooks with papermill and measure them (wall time, kernel peak RSS, metrics).

Used by tests/notebooks and by bench/. Each run gets its own work and metrics folders,
so runs in parallel (pytest-xdist) never share files.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK_DIR = ROOT / "notebooks"
BUILD = ROOT / "build"
BASELINES = ROOT / "tests" / "baselines"
PROBE_TAG = "kitlib-harness-probe"
_PROBE_MARK = "KITLIB_PROBE "
# The kernel's own peak RSS. Linux's VmHWM belongs to the process's memory map, so it
# starts afresh at exec; getrusage's ru_maxrss does not: a kernel spawned (vfork + exec)
# by a pytest worker that has imported TensorFlow inherits the worker's peak and every
# notebook would report the same ~1.1 GB. ru_maxrss is the fallback where /proc is absent.
_PROBE_SOURCE = f"""\
import json as _j, resource as _r, sys as _s
def _peak_rss_kb():
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    peak = _r.getrusage(_r.RUSAGE_SELF).ru_maxrss
    return peak // 1024 if _s.platform == "darwin" else peak  # bytes on macOS, kB on Linux
print({_PROBE_MARK!r} + _j.dumps({{"peak_rss_kb": _peak_rss_kb(), "executable": _s.executable}}))
"""


# The second numeric environment of `make test`: oneDNN capped at AVX (no AVX2 FMA kernels,
# no AVX-512/AMX), which changes the last digits on every x86-64 CPU TensorFlow 2.21 runs on,
# and is one of tools/ensemble.py's settings. The student build's smoke run executes under
# it, so every number the notebooks record is also checked where the last digits differ.
SECOND_ENV = {"ONEDNN_MAX_CPU_ISA": "AVX"}


def notebooks() -> list[Path]:
    return sorted(NOTEBOOK_DIR.glob("[0-9][0-9]_*.ipynb"))


EDITIONS = ("ko", "th")


def editions() -> list[Path]:
    """The Korean and Thai editions (notebooks/<lang>/NN_*.ipynb, built by `make translations`)."""
    return sorted(p for lang in EDITIONS for p in (NOTEBOOK_DIR / lang).glob("[0-9][0-9]_*.ipynb"))


def run_name(path: Path) -> str:
    """'00_start_here' for an English notebook, 'ko-00_start_here' for an edition."""
    return f"{path.parent.name}-{path.stem}" if path.parent.name in EDITIONS else path.stem


@dataclass
class Run:
    notebook: str
    mode: str
    wall_s: float
    peak_rss_mb: float
    executable: str
    output: Path
    metrics: dict = field(default_factory=dict)
    stderr: list[str] = field(default_factory=list)
    retried: str = ""  # why the execution was repeated once (empty: it was not)

    def row(self) -> dict:
        d = asdict(self)
        d["output"] = str(self.output.relative_to(ROOT)) if self.output.is_relative_to(ROOT) else str(self.output)
        d.pop("stderr")
        return d


def with_probe(nb):
    """A copy of *nb* with a last cell that prints the kernel's peak RSS and interpreter."""
    nb = nbformat.from_dict(json.loads(json.dumps(nb)))
    cell = nbformat.v4.new_code_cell(_PROBE_SOURCE, metadata={"tags": [PROBE_TAG]})
    nb.cells.append(cell)
    return nb


def _kernel_config(socket_dir: str):
    """Kernels talk to their client over Unix sockets in a folder of their own. Over TCP
    (the default) each client picks five free ports and the kernel binds them a moment
    later, so kernels started at the same time can pick the same port and one dies with
    "Address already in use" (seen here with four kernels starting together). The socket
    prefix must be absolute and unique: jupyter_client's default for IPC is the relative
    "kernel-ipc", which two kernels started in one folder would share."""
    from traitlets.config import Config

    return Config({"KernelManager": {"transport": "ipc", "ip": os.path.join(socket_dir, "k")}})


# Seconds one cell may run. Smoke cells take under a minute even four kernels to two cores;
# full-mode cells train for minutes on a CPU.
CELL_TIMEOUT = {"smoke": 300, "full": 1200}


def each_cell_twice(nb):
    """A copy of *nb* in which every code cell runs twice in a row, as a learner who presses
    Shift+Enter on a cell again before moving on (the parameters cell runs once: papermill
    puts its injected values after it)."""
    nb = nbformat.from_dict(json.loads(json.dumps(nb)))
    cells = []
    for cell in nb.cells:
        cells.append(cell)
        if cell.cell_type == "code" and "parameters" not in cell.metadata.get("tags", []):
            again = nbformat.from_dict(json.loads(json.dumps(cell)))
            again.id = f"{cell.get('id', 'cell')}-again"[:64]
            cells.append(again)
    nb.cells = cells
    return nb


def execute(path: Path, mode: str, out_dir: Path, parameters: dict | None = None,
            timeout: int | None = None, extra_env: dict | None = None, transform=None,
            own_work_dir: bool = True) -> Run:
    """Run one notebook in *mode* ('smoke' or 'full'); raise if any cell fails.

    The kernel starts in the notebook's folder. *transform*, when given, maps the notebook
    before it runs (e.g. each_cell_twice). With *own_work_dir* (the default) the run gets
    the work directory ``out_dir/work``; without it the kit picks one by its own rules
    (KITLIB_WORK_DIR, the checkout's work/, the per-user fallback), as for a learner."""
    import papermill

    if mode not in {"smoke", "full"}:
        raise ValueError(f"mode must be 'smoke' or 'full', not {mode!r}")
    out_dir.mkdir(parents=True, exist_ok=True)
    src = nbformat.read(path, as_version=4)
    if transform is not None:
        src = transform(src)
    probe_in = out_dir / f"{path.stem}.input.ipynb"
    nbformat.write(with_probe(src), probe_in)
    output = out_dir / f"{path.stem}.ipynb"
    metrics_dir = out_dir / "metrics"
    env = {
        **({"KITLIB_WORK_DIR": str(out_dir / "work")} if own_work_dir else {}),
        "KITLIB_METRICS_DIR": str(metrics_dir),
        "PYTHONHASHSEED": "0",
        "KITLIB_HEADLESS": "1",  # live plots record and leave one static figure
        **(extra_env or {}),
    }
    socket_dir = tempfile.mkdtemp(prefix="kit-")  # short: a socket path has at most 107 bytes
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    params = {"SMOKE": mode == "smoke", **(parameters or {})}
    timeout = timeout or CELL_TIMEOUT[mode]
    retried = ""
    t0 = time.perf_counter()
    try:
        for attempt in (1, 2):
            try:
                papermill.execute_notebook(
                    str(probe_in), str(output), parameters=params, cwd=str(path.parent),
                    kernel_name="python3", progress_bar=False, log_output=False,
                    execution_timeout=timeout, report_mode=False, config=_kernel_config(socket_dir),
                )
                break
            except TimeoutError as exc:  # nbclient's CellTimeoutError
                # A cell that outlives its limit is either a real hang or the notebook client
                # missing the kernel's reply (jupyter/nbclient#312, seen here once with two
                # kernels starting at once on a loaded machine: kernel idle, client waiting).
                # One fresh kernel settles which; a second timeout is a failure.
                if attempt == 2:
                    raise
                retried = f"cell timed out after {timeout} s, ran again in a new kernel: {str(exc)[:200]}"
                print(f"nbharness: {path.stem} ({mode}): {retried}", file=sys.stderr, flush=True)
    finally:
        wall = time.perf_counter() - t0
        shutil.rmtree(socket_dir, ignore_errors=True)
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    executed = nbformat.read(output, as_version=4)
    probe = _probe_result(executed)
    # an edition records under <notebook>.<lang>.json (kitlib.setup(lang=...)), English under <notebook>.json
    lang = path.parent.name if path.parent.name in EDITIONS else None
    metrics_file = metrics_dir / (f"{path.stem}.{lang}.json" if lang else f"{path.stem}.json")
    metrics = json.loads(metrics_file.read_text())["metrics"] if metrics_file.exists() else {}
    stderr = [o.get("text", "") for c in executed.cells if c.cell_type == "code"
              for o in c.get("outputs", []) if o.get("name") == "stderr"]
    return Run(run_name(path), mode, round(wall, 2), round(probe["peak_rss_kb"] / 1024, 1),
               probe["executable"], output, metrics, stderr, retried)


def _probe_result(nb) -> dict:
    for cell in reversed(nb.cells):
        if PROBE_TAG in cell.metadata.get("tags", []):
            for out in cell.get("outputs", []):
                text = out.get("text", "")
                if _PROBE_MARK in text:
                    return json.loads(text.split(_PROBE_MARK, 1)[1].splitlines()[0])
    raise AssertionError("the probe cell did not run: the notebook stopped early")


# --------------------------------------------------------------------------- baselines


def baseline_file(mode: str, notebook: str) -> Path:
    """tests/baselines/<mode>/<notebook>.json: the metrics that notebook records."""
    return BASELINES / mode / f"{notebook}.json"


def load_baseline(mode: str, notebook: str) -> dict | None:
    f = baseline_file(mode, notebook)
    return json.loads(f.read_text()) if f.exists() else None


# A baseline holds, for every value a notebook records (kit.record), either
#   {"equals": v}                                   a string, bool, None, NaN or empty container
#   {"center": c, "cpu": [lo, hi], "seeds": [lo, hi]}  a number: the band it took over the numeric
#                                                      environments (tools/ensemble.py) and over seeds
# keyed by its path in the recorded structure ("history/loss/2"; "/" and "~" escaped as in JSON
# Pointer). A new value passes when it lies in the band widened by the margin of
# tests/baselines/tolerance.json for the mode and profile (cpu, or gpu: the seed band too).


def _escape(key) -> str:
    return str(key).replace("~", "~0").replace("/", "~1")


def flatten(value, prefix: str = "") -> dict:
    """{path: leaf} of a recorded structure; empty dicts and lists are leaves."""
    if isinstance(value, dict) and value:
        out = {}
        for k, v in value.items():
            out.update(flatten(v, f"{prefix}/{_escape(k)}" if prefix else _escape(k)))
        return out
    if isinstance(value, list) and value:
        out = {}
        for i, v in enumerate(value):
            out.update(flatten(v, f"{prefix}/{i}" if prefix else str(i)))
        return out
    return {prefix: value}


def _is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _is_nan(v) -> bool:
    return isinstance(v, float) and math.isnan(v)


def load_tolerance() -> dict:
    """tests/baselines/tolerance.json: per mode, the margins of each profile and the widest
    relative spread a recorded number may have."""
    return json.loads((BASELINES / "tolerance.json").read_text())


def make_bands(by_env: dict, by_seed: dict, tol_mode: dict) -> tuple[dict, list[str]]:
    """Baseline entries from flattened metrics of each environment (and each seed), plus the
    values that must not be recorded as numbers (discrete, chaotic, or missing somewhere)."""
    entries: dict[str, dict] = {}
    issues: list[str] = []
    limit = float(tol_mode["max_relative_spread"])
    floor = float(tol_mode["cpu"]["atol"])
    default = by_env["default"]
    keys = sorted(set().union(*(m.keys() for m in by_env.values())))
    for key in keys:
        where = [e for e, m in by_env.items() if key not in m]
        if where:
            issues.append(f"{key}: recorded in some environments only (missing in {', '.join(where)}): "
                          "a list whose length changes is a discrete outcome")
            continue
        values = [m[key] for m in by_env.values()]
        seeds = [m[key] for m in by_seed.values() if key in m]
        if all(_is_number(v) and not _is_nan(v) for v in values):
            lo, hi = min(values), max(values)
            if hi - lo > limit * max(abs(lo), abs(hi)) + floor:
                issues.append(f"{key}: {lo:.6g} … {hi:.6g} over the environments, wider than "
                              f"{limit:.0%} (chaotic or discrete: claim an invariant instead)")
                continue
            entry = {"center": default[key], "cpu": [lo, hi]}
            numeric_seeds = [v for v in seeds if _is_number(v) and not _is_nan(v)]
            if len(numeric_seeds) != len(by_seed):
                issues.append(f"{key}: not a number under every seed ({seeds})")
                continue
            entry["seeds"] = [min(numeric_seeds + values), max(numeric_seeds + values)]
            entries[key] = entry
            continue
        same = all(_same(v, values[0]) for v in values) and all(_same(v, values[0]) for v in seeds)
        if not same:
            issues.append(f"{key}: takes different values {values} (claim an invariant instead)")
            continue
        entries[key] = {"equals": values[0]}
    return entries, issues


def _same(a, b) -> bool:
    return (_is_nan(a) and _is_nan(b)) or (type(a) is type(b) and a == b)


def margin(entry: dict, spec: dict, band: tuple[float, float] | None = None) -> float:
    """How far outside its band a number may land (tolerance.json gives the reasons).

    A number that came out the same under every seed is arithmetic, not training (a count
    of steps, a size, an exact sum): it only gets the rounding floor. A trained number also
    gets ``rtol_trained``: kernels the ensemble could not run (another CPU's AVX-512/AMX,
    a GPU) move a fit further than the settings one machine can sample."""
    lo, hi = band or entry["cpu"]
    scale = max(abs(lo), abs(hi))
    m = max(float(spec["band_factor"]) * (hi - lo), float(spec["rtol"]) * scale, float(spec["atol"]))
    seeds = entry.get("seeds", entry["cpu"])
    if seeds[1] > seeds[0]:
        m = max(m, float(spec.get("rtol_trained", 0.0)) * scale)
    return m


def compare(baseline: dict, actual: dict, mode: str, profile: str | None = None, where: str = "",
            tolerance: dict | None = None) -> list[str]:
    """Differences between a baseline (bands, see above) and newly recorded metrics."""
    profile = profile or os.environ.get("KITLIB_TOLERANCE", "cpu")
    table = tolerance or load_tolerance()
    try:
        spec = table[mode][profile]
    except KeyError:
        raise KeyError(f"no tolerance for mode {mode!r}, profile {profile!r} in "
                       f"{BASELINES / 'tolerance.json'}") from None
    expected = baseline["metrics"]
    got = flatten(actual)
    problems: list[str] = []
    for key, entry in expected.items():
        name = f"{where}:{key}" if where else key
        if key not in got:
            problems.append(f"{name}: missing (the notebook no longer records it, or a list got shorter)")
            continue
        a = got[key]
        if "equals" in entry:
            if not _same(a, entry["equals"]):
                problems.append(f"{name}: expected {entry['equals']!r}, got {a!r}")
            continue
        if not _is_number(a) or _is_nan(a):
            problems.append(f"{name}: expected a number in {entry['cpu']}, got {a!r}")
            continue
        lo, hi = entry["cpu"] if profile == "cpu" else entry.get("seeds", entry["cpu"])
        if profile != "cpu":
            lo, hi = min(lo, entry["cpu"][0]), max(hi, entry["cpu"][1])
        m = margin(entry, spec, (lo, hi))
        if not lo - m <= a <= hi + m:
            problems.append(f"{name}: {a:.6g} is outside [{lo:.6g}, {hi:.6g}] ± {m:.2g} "
                            f"({profile} band over {mode}-mode environments)")
    for key in sorted(got.keys() - expected.keys()):
        problems.append(f"{where}:{key}: new value without a baseline (run tools/ensemble.py)")
    return problems


def venv_env(venv: Path, **extra) -> dict:
    """The environment for running *venv*'s tools: its bin/ first on PATH, no inherited
    PYTHONPATH or VIRTUAL_ENV of the test run."""
    env = {k: v for k, v in os.environ.items() if k not in {"VIRTUAL_ENV", "PYTHONPATH"}}
    env["PATH"] = f"{venv / 'bin'}:{env.get('PATH', '/usr/bin:/bin')}"
    env["VIRTUAL_ENV"] = str(venv)
    env.update(extra)
    return env


def run_checked(cmd, **kw) -> subprocess.CompletedProcess:
    """Run *cmd*; a failure shows the end of its output."""
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    assert r.returncode == 0, f"{' '.join(map(str, cmd))} failed:\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}"
    return r


def write_json(path: Path, data) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
    tmp.replace(path)


def main(argv: list[str]) -> int:
    """python tests/nbharness.py NOTEBOOK MODE [OUTDIR] [--param NAME=VALUE ...]: run one
    notebook (a name such as 10_callbacks, or a path to an .ipynb), print its row as JSON.

    Used to execute notebooks inside another environment (the Binder test's venv, the
    numeric-environment ensemble of tools/ensemble.py). A --param value is read as JSON
    when it parses (SEED=1 is the int 1), else kept as a string.
    """
    import argparse

    ap = argparse.ArgumentParser(prog="nbharness.py", description=main.__doc__)
    ap.add_argument("notebook")
    ap.add_argument("mode", choices=("smoke", "full"))
    ap.add_argument("outdir", nargs="?")
    ap.add_argument("--param", action="append", default=[], metavar="NAME=VALUE")
    ap.add_argument("--twice", action="store_true", help="run every code cell twice in a row")
    ap.add_argument("--kit-work-dir", action="store_true",
                    help="let the kit choose the work directory (default: OUTDIR/work)")
    args = ap.parse_args(argv)
    params = {}
    for item in args.param:
        name, sep, value = item.partition("=")
        if not sep or not name.isidentifier():
            ap.error(f"--param wants NAME=VALUE, got {item!r}")
        try:
            params[name] = json.loads(value)
        except json.JSONDecodeError:
            params[name] = value
    out = Path(args.outdir) if args.outdir else BUILD / "adhoc" / args.mode
    given = Path(args.notebook)
    path = given if given.suffix == ".ipynb" and given.is_file() else NOTEBOOK_DIR / f"{given.stem}.ipynb"
    run = execute(path.resolve(), args.mode, out, parameters=params,
                  transform=each_cell_twice if args.twice else None, own_work_dir=not args.kit_work_dir)
    print(json.dumps(run.row()))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
