"""The Binder recipe works: a fresh venv built from binder/ files alone runs every notebook.

repo2docker needs Docker, so this reproduces what it does: install
binder/requirements.txt into a new venv, run binder/postBuild from the repository root,
then execute each notebook in smoke mode with that venv's kernel. The only extras are the
test tools papermill and nbformat. The venv is reused while binder/ is unchanged.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import nbharness as H

VENV = H.BUILD / "binder-venv"
BINDER = H.ROOT / "binder"
MYBINDER_KILL_MB = 2048  # mybinder.org restarts a kernel above 2 GB


def _fingerprint() -> str:
    h = hashlib.sha256()
    for f in sorted(BINDER.iterdir()):
        h.update(f.name.encode() + f.read_bytes())
    h.update((H.ROOT / "pyproject.toml").read_bytes())
    return h.hexdigest()


def _env() -> dict:
    env = {k: v for k, v in os.environ.items() if k not in {"VIRTUAL_ENV", "PYTHONPATH"}}
    env["PATH"] = f"{VENV / 'bin'}:{env.get('PATH', '/usr/bin:/bin')}"
    env["VIRTUAL_ENV"] = str(VENV)
    return env


def _run(cmd, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    assert r.returncode == 0, f"{' '.join(map(str, cmd))} failed:\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}"
    return r


@pytest.fixture(scope="module")
def binder_venv():
    stamp = VENV / ".binder-fingerprint"
    if not (stamp.exists() and stamp.read_text() == _fingerprint()):
        if VENV.exists():
            shutil.rmtree(VENV)  # our own build output under build/
        _run([sys.executable, "-m", "venv", str(VENV)])
        pip = [str(VENV / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
        _run(pip + ["-r", str(BINDER / "requirements.txt")], env=_env())
        _run(pip + ["papermill", "nbformat"], env=_env())  # test tools only
        _run(["bash", str(BINDER / "postBuild")], cwd=H.ROOT, env=_env())
        stamp.write_text(_fingerprint())
    return VENV


def _execute(name: str) -> dict:
    r = _run([str(VENV / "bin" / "python"), str(H.ROOT / "tests" / "nbharness.py"), name, "smoke",
              str(H.BUILD / "binder" / "executed")], cwd=H.ROOT, env=_env(), timeout=900)
    return json.loads(r.stdout.strip().splitlines()[-1])


@pytest.mark.notebook
def test_binder_env_runs_every_notebook_in_smoke_mode(binder_venv):
    names = [p.stem for p in H.notebooks()]
    with ThreadPoolExecutor(max_workers=2) as pool:
        rows = list(pool.map(_execute, names))
    H.write_json(H.BUILD / "reports" / "binder-smoke.json", {"notebooks": rows})
    for row in rows:
        assert Path(row["executable"]).parent == binder_venv / "bin", row
        assert row["peak_rss_mb"] < MYBINDER_KILL_MB, row
    assert [r["notebook"] for r in rows] == names
