"""Notebooks run clean where learners actually run them: from a read-only checkout, two
copies of one notebook at the same time, and with cells run again.

For every notebook, two kernels start at once from a read-only copy of the checkout
(`chmod -R a-w`, as a shared course folder or a checkout on a read-only mount), with no
KITLIB_WORK_DIR, so the kit picks the work directory by its own rules:

- copy A runs top to bottom; copy B runs every code cell twice in a row (a learner who
  presses Shift+Enter again before going on);
- both must finish without an error, in two different work directories under the per-user
  fallback ($XDG_CACHE_HOME/kitlib/work/<notebook> and <notebook>+2), each told so;
- nothing in the checkout may change (as root, permission bits do not stop a write, so the
  files are compared before and after);
- copy A's recorded numbers must lie in the notebook's smoke bands (another copy running
  beside it changes nothing it computes).
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

import nbharness as H

NOTEBOOKS = H.notebooks()
CHECKOUT_PARTS = ("notebooks", "kitlib", "pyproject.toml", "data")


def _snapshot(root: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(root)): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in sorted(root.rglob("*"))}


def _make_read_only(root: Path) -> None:
    for p in [root, *root.rglob("*")]:
        if not p.is_symlink():
            p.chmod(p.stat().st_mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))


@pytest.fixture(scope="module")
def read_only_checkout(tmp_path_factory):
    root = tmp_path_factory.mktemp("checkout")
    for part in CHECKOUT_PARTS:
        src = H.ROOT / part
        if src.is_dir():
            shutil.copytree(src, root / part, ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints"))
        elif src.is_file():
            shutil.copy2(src, root / part)
    _make_read_only(root)
    yield root
    for p in [root, *root.rglob("*")]:  # let pytest remove it
        if p.is_dir() and not p.is_symlink():
            p.chmod(p.stat().st_mode | stat.S_IWUSR)


def _start(notebook: Path, out: Path, env: dict, twice: bool) -> subprocess.Popen:
    cmd = [sys.executable, str(H.ROOT / "tests" / "nbharness.py"), str(notebook), "smoke", str(out),
           "--kit-work-dir"] + (["--twice"] if twice else [])
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                            cwd=notebook.parent)


def _setup_lines(executed: Path) -> list[str]:
    import nbformat

    nb = nbformat.read(executed, as_version=4)
    return [line for cell in nb.cells if cell.cell_type == "code"
            for o in cell.get("outputs", []) for line in o.get("text", "").splitlines()
            if line.startswith("kitlib: ")]


@pytest.mark.notebook
@pytest.mark.parametrize("name", [p.stem for p in NOTEBOOKS])
def test_two_copies_from_a_read_only_checkout_one_rerunning_each_cell(name, read_only_checkout, tmp_path):
    cache = tmp_path / "cache"
    env = {k: v for k, v in os.environ.items() if k not in {"KITLIB_WORK_DIR", "KITLIB_METRICS_DIR"}}
    env.update(PYTHONPATH=str(read_only_checkout), XDG_CACHE_HOME=str(cache), PYTHONDONTWRITEBYTECODE="1")
    notebook = read_only_checkout / "notebooks" / f"{name}.ipynb"
    before = _snapshot(read_only_checkout)

    t0 = time.monotonic()
    runs = {"A": _start(notebook, tmp_path / "A", env, twice=False),
            "B (each cell twice)": _start(notebook, tmp_path / "B", env, twice=True)}
    results = {label: (*p.communicate(timeout=1800), p.returncode) for label, p in runs.items()}
    wall = time.monotonic() - t0
    failed = {label: (out + err)[-3000:] for label, (out, err, rc) in results.items() if rc != 0}
    assert not failed, "\n\n".join(f"copy {label} failed:\n{text}" for label, text in failed.items())

    # The kernels imported the read-only copy's kitlib and worked in the per-user fallback.
    fallback = cache.resolve() / "kitlib" / "work"
    notes = {label: _setup_lines(tmp_path / label[0] / f"{name}.ipynb") for label in runs}
    for label, lines in notes.items():
        assert any("is read-only" in line and str(fallback) in line for line in lines), (
            f"copy {label} did not report the read-only fallback; its kitlib lines: {lines}")
    used = sorted(p.name for p in fallback.iterdir() if p.is_dir())
    assert used == [name, f"{name}+2"], (
        f"two copies running at once must use two work directories; found {used} after {wall:.0f} s")
    assert any("this copy works in" in line for lines in notes.values() for line in lines)

    after = _snapshot(read_only_checkout)
    changed = sorted(k for k in before.keys() & after.keys() if before[k] != after[k])
    added = sorted(after.keys() - before.keys())
    assert not changed and not added, f"the read-only checkout was written: changed {changed[:5]}, new {added[:5]}"

    metrics_file = tmp_path / "A" / "metrics" / f"{name}.json"
    metrics = json.loads(metrics_file.read_text())["metrics"] if metrics_file.exists() else {}
    baseline = H.load_baseline("smoke", name)
    assert baseline is not None, f"no smoke baseline for {name}"
    problems = H.compare(baseline, metrics, "smoke", where=f"{name} (copy A)")
    assert not problems, "metrics outside their measured bands:\n" + "\n".join(problems)
