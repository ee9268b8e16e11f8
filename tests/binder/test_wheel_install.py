"""The kit outside its checkout: a wheel installed into a fresh venv runs notebook 01, and a
notebook opened where kitlib is missing says how to install it (issue 13).

The venv gets the wheel (built with `pip wheel --no-deps`) and the same pinned versions as
Binder (binder/requirements.txt as constraints), plus the test tools papermill and
ipykernel. Notebook 01 is copied into a temporary folder outside the checkout and run there
in smoke mode, so nothing of the checkout is importable: kitlib, its exercises and its
translations must all come from the wheel. The venv is reused while pyproject.toml,
kitlib/ and binder/ are unchanged.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

import nbharness as H

VENV = H.BUILD / "wheel-venv"


def _fingerprint() -> str:
    h = hashlib.sha256()
    files = [H.ROOT / "pyproject.toml", *sorted((H.ROOT / "binder").iterdir()),
             *sorted(p for p in (H.ROOT / "kitlib").rglob("*") if p.is_file() and "__pycache__" not in p.parts)]
    for f in files:
        h.update(str(f.relative_to(H.ROOT)).encode() + f.read_bytes())
    return h.hexdigest()


def _env(**extra) -> dict:
    return H.venv_env(VENV, **extra)


_run = H.run_checked


@pytest.fixture(scope="module")
def wheel_venv(tmp_path_factory):
    stamp = VENV / ".wheel-fingerprint"
    if not (stamp.exists() and stamp.read_text() == _fingerprint()):
        if VENV.exists():
            shutil.rmtree(VENV)  # our own build output under build/
        wheels = tmp_path_factory.mktemp("wheel")
        _run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
              "-w", str(wheels), str(H.ROOT)])
        (wheel,) = wheels.glob("kitlib-*.whl")
        _run([sys.executable, "-m", "venv", str(VENV)])
        pip = [str(VENV / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
        _run(pip + ["-c", str(H.ROOT / "binder" / "requirements.txt"), str(wheel), "papermill", "nbformat",
                    "ipykernel"], env=_env())
        stamp.write_text(_fingerprint())
    return VENV


@pytest.mark.notebook
def test_a_wheel_in_a_fresh_venv_runs_notebook_01_outside_the_checkout(wheel_venv, tmp_path):
    where = _run([str(VENV / "bin" / "python"), "-c",
                  ("import kitlib, kitlib.exercises.nb01, kitlib.i18n, pathlib; "
                   "p = pathlib.Path(kitlib.__file__).parent; print(p); "
                   "print(sorted(str(m.relative_to(p)) for m in p.rglob('*.mo')))")],
                 cwd=tmp_path, env=_env()).stdout.splitlines()
    assert Path(where[0]).is_relative_to(VENV), f"kitlib came from {where[0]}, not from the wheel"
    assert "ko" in where[1] and "th" in where[1], f"the translations are not in the wheel: {where[1]}"

    notebook = tmp_path / "01_end_to_end.ipynb"
    shutil.copy(H.NOTEBOOK_DIR / notebook.name, notebook)
    out = tmp_path / "out.ipynb"
    _run([str(VENV / "bin" / "python"), "-m", "papermill", str(notebook), str(out), "-p", "SMOKE", "True",
          "--cwd", str(tmp_path), "-k", "python3"],
         cwd=tmp_path, env=_env(KITLIB_OFFLINE="1", KITLIB_HEADLESS="1", KITLIB_WORK_DIR=str(tmp_path / "work")),
         timeout=900)
    executed = nbformat.read(out, as_version=4)
    errors = [o for c in executed.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors, errors
    checks = [o.get("data", {}).get("text/plain", "") for c in executed.cells if ".check()" in c.source
              for o in c.get("outputs", [])]
    assert checks and all(text.startswith("✔ correct") for text in checks), checks


def test_a_notebook_opened_where_kitlib_is_missing_says_how_to_install_it(tmp_path):
    """Each notebook's first import of kitlib, run by a Python that cannot import it (no site
    packages, started outside the checkout): the error names the fix."""
    for path in H.notebooks():
        nb = nbformat.read(path, as_version=4)
        cell = next(c for c in nb.cells if c.cell_type == "code" and "import kitlib" in c.source)
        guard = cell.source.split("kit = kitlib.setup")[0]
        r = subprocess.run([sys.executable, "-S", "-c", guard], cwd=tmp_path, capture_output=True, text=True,
                           env={"PATH": os.environ.get("PATH", "")})
        assert r.returncode != 0, f"{path.name}: kitlib imported without site packages?"
        last = r.stderr.strip().splitlines()[-1]
        assert last.startswith("ModuleNotFoundError: ") and "pip install" in last and "make lab" in last, (
            f"{path.name}: {last}")
