"""Every notebook runs top to bottom (papermill) and reproduces its recorded metrics."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

import nbharness as H

NOTEBOOKS = H.notebooks()


def test_notebooks_exist():
    assert [p.stem[:2] for p in NOTEBOOKS][:2] == ["00", "01"], "notebooks/ must hold 00_…, 01_…"


@pytest.mark.notebook
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs(path: Path, request):
    mode = request.config.getoption("--mode")
    run = H.execute(path, mode, H.BUILD / "executed" / mode)
    H.write_json(H.BUILD / "reports" / "runs" / mode / f"{path.stem}.json", run.row())

    # The kernel is this environment's interpreter, not some other "python3" on the machine.
    assert Path(run.executable).parent == Path(sys.executable).parent, (
        f"kernel python3 runs {run.executable}; install the kernel into the venv "
        f"(python -m ipykernel install --sys-prefix --name python3)")
    # kitlib.setup() keeps TensorFlow's C++ log lines out of the notebook.
    noise = [s for s in run.stderr if "oneDNN" in s or "absl::InitializeLog" in s
             or "use_unbounded_threadpool" in s]
    assert not noise, f"TensorFlow log noise reached the notebook: {noise[0][:200]}"

    baseline = H.load_baseline(mode, path.stem)
    assert baseline is not None, (f"no {mode} baseline for {path.stem}: run "
                                  f"`make baselines` and review the diff")
    problems = H.compare(baseline, run.metrics, mode, where=path.stem)
    assert not problems, "metrics outside their measured bands:\n" + "\n".join(problems)
