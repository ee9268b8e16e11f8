"""The student build (`python -m kitlib student OUTDIR`): no solution code, and it still runs."""

from __future__ import annotations

import re

import nbformat
import pytest

import nbharness as H
from kitlib import exercises as E
from kitlib.exercises import build as B

WITH_EXERCISES = [p for p in H.notebooks() if B.module_for(p)]
RESULT_LINE = re.compile(r"^\S+ (correct|incorrect|not attempted|undefined) · Exercise (\d\d\.\d+):", re.M)


@pytest.fixture(scope="module")
def builds(tmp_path_factory):
    root = tmp_path_factory.mktemp("builds")
    return {kind: B.build(kind, root / kind) for kind in B.KINDS}


def _sources(nb) -> list[str]:
    return ["".join(c.source) for c in nb.cells]


def test_every_notebook_is_built(builds):
    names = [p.name for p in H.notebooks()]
    for kind, written in builds.items():
        assert [p.name for p in written] == names, kind


@pytest.mark.parametrize("path", H.notebooks(), ids=[p.stem for p in H.notebooks()])
def test_student_copy_has_no_solution_code(builds, path):
    original = nbformat.read(path, as_version=4)
    student = nbformat.read(builds["student"][0].parent / path.name, as_version=4)
    assert not [c for c in student.cells if "solution" in c.metadata.get("tags", [])]
    n_solutions = sum("solution" in c.metadata.get("tags", []) for c in original.cells)
    assert len(student.cells) == len(original.cells) - n_solutions
    module = B.module_for(path)
    if module:
        assert n_solutions == len(E.exercises(module))
        lines = {l.strip() for s in _sources(student) for l in s.splitlines()}
        for q in E.exercises(module):
            starter = {l.strip() for l in q.starter.splitlines()}
            for line in q.solution_code.splitlines():
                s = line.strip()
                if s and not s.startswith("#") and s not in starter:
                    assert s not in lines, f"{path.name}: solution line of {q.id} left in: {s!r}"


@pytest.mark.parametrize("path", H.notebooks(), ids=[p.stem for p in H.notebooks()])
def test_builds_clear_outputs_and_keep_tags(builds, path):
    original = nbformat.read(path, as_version=4)
    kept = [c.metadata.get("tags", []) for c in original.cells if "solution" not in c.metadata.get("tags", [])]
    for kind, written in builds.items():
        nb = nbformat.read(written[0].parent / path.name, as_version=4)
        assert nb.metadata.kernelspec.name == "python3"
        assert all(c.outputs == [] and c.execution_count is None for c in nb.cells if c.cell_type == "code")
        if kind == "instructor":
            assert _sources(nb) == _sources(original)
            assert [c.metadata.get("tags", []) for c in nb.cells] == [c.metadata.get("tags", []) for c in original.cells]
        else:
            assert [c.metadata.get("tags", []) for c in nb.cells] == kept
            assert any("parameters" in t for t in kept)


@pytest.mark.notebook
@pytest.mark.parametrize("path", WITH_EXERCISES, ids=[p.stem for p in WITH_EXERCISES])
def test_student_copy_runs_in_the_second_numeric_environment(builds, path, tmp_path):
    """The student copy runs without its solutions (checks say 'not attempted') and records the
    lesson's numbers within their bands. It runs under H.SECOND_ENV, so this one execution is
    also `make test`'s check that the notebooks' numbers hold where the last digits differ
    (the source notebooks' smoke run uses the machine's default kernels)."""
    student = builds["student"][0].parent / path.name
    run = H.execute(student, "smoke", tmp_path, extra_env=H.SECOND_ENV)  # raises if any cell fails
    executed = nbformat.read(run.output, as_version=4)
    found: dict[str, list[str]] = {}
    for cell in executed.cells:
        for out in cell.get("outputs", []):
            text = out.get("data", {}).get("text/plain", "") if "data" in out else out.get("text", "")
            for outcome, qid in RESULT_LINE.findall(text):
                found.setdefault(qid, []).append(outcome)
    for q in E.exercises(B.module_for(path)):
        assert "not attempted" in found.get(q.id, []), f"{q.id}: the check did not say 'not attempted': {found}"
        assert "correct" not in found[q.id], f"{q.id} checks correct without its solution"
    # Removing the solutions changes none of the numbers the lesson shows, and other kernels
    # move them only within the bands measured by tools/ensemble.py.
    baseline = H.load_baseline("smoke", path.stem)
    assert baseline is not None
    assert H.compare(baseline, run.metrics, "smoke", where=path.stem) == []
