"""The CI entry point, the GPU workflow and the README agree on how the kit is tested."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


def test_ci_run_installs_system_packages_and_calls_the_readme_command():
    text = (ROOT / ".ci" / "run").read_text()
    assert text.startswith("#!/usr/bin/env bash") and "set -euo pipefail" in text
    install = next(l for l in text.splitlines() if "apt-get install" in l)
    for pkg in ("graphviz", "dataset-fashion-mnist", "chromium", "make"):
        assert pkg in install.split(), pkg
    assert re.search(r"^make test$", text, re.M)
    assert "KITLIB_DATA_DIR" in text and "../shared/data" in text
    readme = (ROOT / "README.md").read_text()
    assert "make test" in readme and "make lab" in readme


def test_make_test_runs_every_suite():
    mk = (ROOT / "Makefile").read_text()
    test_line = next(l for l in mk.splitlines() if l.startswith("test:"))
    for target in ("test-unit-and-notebooks", "test-nbval", "test-browser", "test-binder"):
        assert target in test_line.split(), target
    assert "|| true" not in mk, "a failing step must fail make test"


def test_gpu_workflow_runs_full_mode_with_gpu_tolerances():
    wf = yaml.safe_load((ROOT / ".github" / "workflows" / "gpu-full.yml").read_text())
    job = wf["jobs"]["full-mode"]
    assert "self-hosted" in job["runs-on"] and "gpu" in job["runs-on"]
    assert job["env"] == {"KITLIB_TOLERANCE": "gpu", "GPU": "1"}
    assert any(step.get("run") == "make test-full" for step in job["steps"])


# (test-nbval is left out: its recipe first clears build/nbval of this checkout.)
@pytest.mark.parametrize("target", ["test-unit-and-notebooks", "test-browser", "test-binder", "test-full"])
def test_pytest_collecting_nothing_fails_make(tmp_path, target):
    """pytest's exit code 5 ("no tests collected") must fail the make target, not pass silently.

    A stand-in venv whose python exits 5 takes the place of the real one (VENV=...)."""
    import shutil
    import subprocess

    if shutil.which("make") is None:
        pytest.fail("make is missing: .ci/run installs it with apt-get")
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    fake = venv / "bin" / "python"
    fake.write_text("#!/bin/sh\necho \"pytest: no tests ran\"\nexit 5\n")
    fake.chmod(0o755)
    (venv / ".kitlib-installed").touch()  # newer than pyproject.toml: no reinstall
    run = subprocess.run(["make", "-C", str(ROOT), target, f"VENV={venv}"], capture_output=True, text=True,
                         timeout=60)
    assert run.returncode != 0, run.stdout + run.stderr
    assert "no tests ran" in run.stdout


def test_make_test_lints_first_with_the_committed_ruff_configuration():
    import subprocess
    import sys
    make = (ROOT / "Makefile").read_text()
    deps = re.search(r"^test: (.*)$", make, re.M).group(1).split()
    assert deps.index("lint") < deps.index("test-unit-and-notebooks")
    assert re.search(r"^lint: .*\n\t\$\(BIN\)/python -m ruff check \.$", make, re.M)
    project = (ROOT / "pyproject.toml").read_text()
    test_extra = re.search(r"^test = \[(.*?)^\]", project, re.M | re.S).group(1)
    assert '"ruff' in test_extra
    assert re.search(r'^select = \[.*"F".*"ISC".*\]', project, re.M)
    assert re.search(r'^"notebooks/\*\.ipynb" = \[.*"F811"', project, re.M)
    r = subprocess.run([sys.executable, "-m", "ruff", "check", "."], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


def test_a_missing_comma_in_a_hint_tuple_is_caught(tmp_path):
    import subprocess
    import sys
    (tmp_path / "pyproject.toml").write_text((ROOT / "pyproject.toml").read_text())
    (tmp_path / "hints.py").write_text('HINTS = (\n    "first hint."\n    "second hint.",\n)\n')
    r = subprocess.run([sys.executable, "-m", "ruff", "check", "hints.py"], cwd=tmp_path,
                       capture_output=True, text=True)
    assert r.returncode == 1 and "ISC004" in r.stdout
