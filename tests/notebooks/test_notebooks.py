"""Every notebook runs top to bottom (papermill) and reproduces its recorded metrics."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

import nbharness as H

NOTEBOOKS = H.notebooks()
# The Korean and Thai editions run the same code (tests/i18n checks it) with kitlib speaking
# their language: each runs too, and must reproduce the English notebook's baseline.
EDITIONS = H.editions()


def test_notebooks_exist():
    assert [p.stem[:2] for p in NOTEBOOKS][:2] == ["00", "01"], "notebooks/ must hold 00_…, 01_…"


@pytest.mark.notebook
@pytest.mark.parametrize("path", NOTEBOOKS + EDITIONS, ids=[H.run_name(p) for p in NOTEBOOKS + EDITIONS])
def test_notebook_runs(path: Path, request):
    mode = request.config.getoption("--mode")
    name = H.run_name(path)
    out = H.BUILD / "executed" / mode / (path.parent.name if name != path.stem else "")
    run = H.execute(path, mode, out)
    H.write_json(H.BUILD / "reports" / "runs" / mode / f"{name}.json", run.row())

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
    assert run.metrics or not baseline["metrics"], f"{name} recorded no metrics"
    problems = H.compare(baseline, run.metrics, mode, where=name)
    assert not problems, "metrics outside their measured bands:\n" + "\n".join(problems)
