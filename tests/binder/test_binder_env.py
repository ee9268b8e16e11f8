"""The Binder recipe works: a fresh venv built from binder/ files alone has what the notebooks need.

repo2docker needs Docker, so this reproduces what it does: install
binder/requirements.txt into a new venv, run binder/postBuild from the repository root,
then import every module the notebooks import and run 00 with that venv's kernel (every
notebook's behaviour is proven once, by the main smoke run). The only extras are the test
tools papermill and nbformat. The venv is reused while binder/ is unchanged.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sys
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


def _env(**extra) -> dict:
    return H.venv_env(VENV, **extra)


_run = H.run_checked


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


def notebook_imports() -> set[str]:
    """Top-level modules imported by any code cell of any notebook, and by kitlib."""
    import ast

    import nbformat

    sources = []
    for path in H.notebooks():
        nb = nbformat.read(path, as_version=4)
        sources += [c.source for c in nb.cells if c.cell_type == "code"]
    sources += [f.read_text() for f in (H.ROOT / "kitlib").rglob("*.py")]
    names = set()
    for src in sources:
        # IPython magics (%tensorboard, !pip) are not Python: drop those lines before parsing.
        code = "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in src.splitlines())
        for node in ast.walk(ast.parse(code)):
            if isinstance(node, ast.Import):
                names |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    return names - {"__future__"}


def test_binder_env_imports_everything_the_notebooks_import(binder_venv):
    """The notebooks' behaviour is proven by the main smoke run; what only Binder's venv can
    prove is that its pinned requirements provide every module the notebooks and kitlib use."""
    names = sorted(notebook_imports() | {"pydot"})  # pydot: keras.utils.plot_model (09) imports it itself
    assert {"keras", "kitlib", "matplotlib", "ipywidgets", "tensorboard"} <= set(names)
    probe = ("import importlib, json, sys\n"
             "missing = {}\n"
             f"for n in {names!r}:\n"
             "    try: importlib.import_module(n)\n"
             "    except Exception as e: missing[n] = f'{type(e).__name__}: {e}'\n"
             "print(json.dumps(missing))")
    r = _run([str(VENV / "bin" / "python"), "-c", probe], cwd=H.ROOT, env=_env(), timeout=300)
    assert json.loads(r.stdout.strip().splitlines()[-1]) == {}


@pytest.mark.notebook
def test_binder_env_runs_the_start_notebook(binder_venv):
    """00 (environment report, data found through postBuild's install, a slider) in the Binder venv."""
    row = _execute("00_start_here")
    H.write_json(H.BUILD / "reports" / "binder-smoke.json", {"notebooks": [row]})
    assert Path(row["executable"]).parent == binder_venv / "bin", row
    assert row["peak_rss_mb"] < MYBINDER_KILL_MB, row
