"""Execute notebooks with papermill and measure them (wall time, kernel peak RSS, metrics).

Used by tests/notebooks and by bench/. Each run gets its own work and metrics folders,
so runs in parallel (pytest-xdist) never share files.
"""

from __future__ import annotations

import json
import math
import os
import sys
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


def notebooks() -> list[Path]:
    return sorted(NOTEBOOK_DIR.glob("[0-9][0-9]_*.ipynb"))


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


def execute(path: Path, mode: str, out_dir: Path, parameters: dict | None = None,
            timeout: int = 1200, extra_env: dict | None = None) -> Run:
    """Run one notebook in *mode* ('smoke' or 'full'); raise if any cell fails."""
    import papermill

    if mode not in {"smoke", "full"}:
        raise ValueError(f"mode must be 'smoke' or 'full', not {mode!r}")
    out_dir.mkdir(parents=True, exist_ok=True)
    src = nbformat.read(path, as_version=4)
    probe_in = out_dir / f"{path.stem}.input.ipynb"
    nbformat.write(with_probe(src), probe_in)
    output = out_dir / f"{path.stem}.ipynb"
    metrics_dir = out_dir / "metrics"
    env = {
        "KITLIB_WORK_DIR": str(out_dir / "work"),
        "KITLIB_METRICS_DIR": str(metrics_dir),
        "PYTHONHASHSEED": "0",
        "KITLIB_HEADLESS": "1",  # live plots record and leave one static figure
        **(extra_env or {}),
    }
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    params = {"SMOKE": mode == "smoke", **(parameters or {})}
    t0 = time.perf_counter()
    try:
        papermill.execute_notebook(
            str(probe_in), str(output), parameters=params, cwd=str(NOTEBOOK_DIR),
            kernel_name="python3", progress_bar=False, log_output=False,
            execution_timeout=timeout, report_mode=False,
        )
    finally:
        wall = time.perf_counter() - t0
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    executed = nbformat.read(output, as_version=4)
    probe = _probe_result(executed)
    metrics_file = metrics_dir / f"{path.stem}.json"
    metrics = json.loads(metrics_file.read_text())["metrics"] if metrics_file.exists() else {}
    stderr = [o.get("text", "") for c in executed.cells if c.cell_type == "code"
              for o in c.get("outputs", []) if o.get("name") == "stderr"]
    return Run(path.stem, mode, round(wall, 2), round(probe["peak_rss_kb"] / 1024, 1),
               probe["executable"], output, metrics, stderr)


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


def save_baseline(mode: str, notebook: str, metrics: dict) -> Path:
    f = baseline_file(mode, notebook)
    write_json(f, metrics)
    return f


def compare(expected, actual, rtol: float, atol: float, where: str = "") -> list[str]:
    """Differences between a recorded baseline and new metrics (numbers within tolerance)."""
    problems: list[str] = []
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"{where}: expected a dict, got {type(actual).__name__}"]
        for k, v in expected.items():
            if k not in actual:
                problems.append(f"{where}.{k}: missing (the notebook no longer records it)")
            else:
                problems += compare(v, actual[k], rtol, atol, f"{where}.{k}")
        for k in actual.keys() - expected.keys():
            problems.append(f"{where}.{k}: new metric without a baseline (run `make baselines`)")
        return problems
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) != len(expected):
            return [f"{where}: expected {len(expected)} values, got {actual!r}"]
        for i, (e, a) in enumerate(zip(expected, actual)):
            problems += compare(e, a, rtol, atol, f"{where}[{i}]")
        return problems
    if isinstance(expected, bool) or isinstance(expected, str) or expected is None:
        return [] if expected == actual else [f"{where}: expected {expected!r}, got {actual!r}"]
    if isinstance(expected, float) and math.isnan(expected):
        return [] if isinstance(actual, float) and math.isnan(actual) else \
            [f"{where}: expected NaN (as recorded), got {actual!r}"]
    if not isinstance(actual, (int, float)) or (isinstance(actual, float) and math.isnan(actual)):
        return [f"{where}: expected a number near {expected}, got {actual!r}"]
    if not math.isclose(actual, expected, rel_tol=rtol, abs_tol=atol):
        return [f"{where}: {actual:.6g} differs from baseline {expected:.6g} (rtol {rtol}, atol {atol})"]
    return []


def tolerance(mode: str, profile: str | None = None) -> tuple[float, float]:
    """(rtol, atol) for *mode* from tests/baselines/tolerance.json; profile 'gpu'
    (env KITLIB_TOLERANCE=gpu) is looser: other kernels, other rounding."""
    profile = profile or os.environ.get("KITLIB_TOLERANCE", "cpu")
    table = json.loads((BASELINES / "tolerance.json").read_text())
    try:
        tol = table[mode][profile]
    except KeyError:
        raise KeyError(f"no tolerance for mode {mode!r}, profile {profile!r} in "
                       f"{BASELINES / 'tolerance.json'}") from None
    return float(tol["rtol"]), float(tol["atol"])


def write_json(path: Path, data) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
    tmp.replace(path)


def main(argv: list[str]) -> int:
    """python tests/nbharness.py NOTEBOOK MODE [OUTDIR]: run one notebook, print its row as JSON.

    Used to execute notebooks inside another environment (e.g. the Binder test's venv).
    """
    if len(argv) not in (2, 3):
        print(main.__doc__, file=sys.stderr)
        return 2
    name, mode = argv[0], argv[1]
    out = Path(argv[2]) if len(argv) == 3 else BUILD / "adhoc" / mode
    run = execute(NOTEBOOK_DIR / f"{Path(name).stem}.ipynb", mode, out)
    print(json.dumps(run.row()))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
