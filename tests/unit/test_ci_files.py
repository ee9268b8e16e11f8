"""The CI entry point, the GPU workflow and the README agree on how the kit is tested."""

from __future__ import annotations

import re
from pathlib import Path

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
