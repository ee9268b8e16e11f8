"""python -m kitlib: the data check used by `make data` and the environment report."""

from __future__ import annotations

import os
import subprocess
import sys


def run(*args, env=None):
    return subprocess.run([sys.executable, "-m", "kitlib", *args], capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=120)


def test_data_command_reports_where_mnist_was_found():
    r = run("data", "--require", "mnist")
    assert r.returncode == 0, r.stderr
    assert "MNIST:" in r.stdout and "verified in" in r.stdout


def test_data_command_fails_with_the_fix_when_nothing_is_found(tmp_path):
    env = {"KITLIB_DATA_DIR": str(tmp_path), "KITLIB_CACHE_DIR": str(tmp_path / "kit"),
           "KERAS_HOME": str(tmp_path / "keras"), "KITLIB_OFFLINE": "1"}
    r = run("data", "--require", "mnist", env=env)
    assert r.returncode == 1
    assert "MNIST: ERROR" in r.stdout and "KITLIB_DATA_DIR" in r.stderr


def test_env_command_prints_the_report():
    r = run("env")
    assert r.returncode == 0, r.stderr
    assert "tensorflow" in r.stdout and "data: MNIST" in r.stdout
