"""Every exercise of every kitlib/exercises/nbNN.py module, checked automatically.

A new module is picked up without editing this file. For each exercise: the reference
solution checks correct, the untouched answer cell checks "not attempted", each declared
wrong answer checks incorrect with its teaching message, answers of the wrong type never
crash, missing names read "undefined", and the notebook holds the answer cell, the
`solution` cell (identical to the reference code) and the check, in that order.
"""

from __future__ import annotations

import re
import time

import nbformat
import pytest

import answers as A
import nbharness as H
from kitlib import exercises as E
from kitlib.exercises import build as B

CATALOG = E.catalog()
ALL = [q for qs in CATALOG.values() for q in qs]
WRONG = [(q, w) for q in ALL for w in A.wrong(q)]
JUNK = [None, "text", 7, -1.5, [1, 2], {"a": 1}, object(), (lambda *a, **k: None), True]


def _ids(items):
    return [q.id if isinstance(q, E.Exercise) else f"{q[0].id}-wrong{A.wrong(q[0]).index(q[1]) + 1}"
            for q in items]


def _notebook(module: str):
    number = re.match(r"nb(\d\d)$", module).group(1)
    found = sorted(H.NOTEBOOK_DIR.glob(f"{number}_*.ipynb"))
    assert len(found) == 1, f"{module}: expected one notebook notebooks/{number}_*.ipynb, found {found}"
    return found[0]


def test_catalog_is_not_empty():
    assert "nb01" in CATALOG and len(ALL) >= 3


@pytest.mark.parametrize("module", sorted(CATALOG))
def test_module_has_a_sensible_number_of_graded_exercises(module):
    qs = CATALOG[module]
    number = module[2:]
    low, high = (1, 2) if number == "00" else (2, 4)
    assert low <= len(qs) <= high, f"{module}: {len(qs)} exercises, want {low}–{high}"
    assert [q.id for q in qs] == [f"{number}.{i}" for i in range(1, len(qs) + 1)], "ids NN.1, NN.2, ... in order"
    assert [q.name for q in qs] == [f"q{i}" for i in range(1, len(qs) + 1)], "attributes q1, q2, ..."


@pytest.mark.parametrize("q", ALL, ids=_ids(ALL))
def test_reference_solution_is_correct(q):
    r = E.run_code(q, q.solution_code)
    assert r.outcome == E.CORRECT, str(r)
    assert r.output == "", f"the check printed: {r.output!r}"


@pytest.mark.parametrize("q", ALL, ids=_ids(ALL))
def test_untouched_answer_cell_is_not_attempted(q):
    r = E.run_code(q, q.starter)
    assert r.outcome == E.NOT_ATTEMPTED, str(r)


@pytest.mark.parametrize("q", ALL, ids=_ids(ALL))
def test_each_exercise_declares_a_realistic_wrong_answer(q):
    assert A.wrong(q), f"{q.id}: declare at least one Wrong(code, expected message) in tests/exercises/answers/"


@pytest.mark.parametrize("q, wrong", WRONG, ids=_ids(WRONG))
def test_wrong_answer_is_incorrect_with_a_teaching_message(q, wrong):
    r = E.run_code(q, wrong.code)
    assert r.outcome == wrong.outcome, str(r)
    assert wrong.expect.lower() in r.message.lower(), f"expected {wrong.expect!r} in:\n{r}"


@pytest.mark.parametrize("q", ALL, ids=_ids(ALL))
def test_answers_of_the_wrong_type_never_crash(q):
    context = q.context() if q.context else {}
    for name in q.answers:
        for junk in JUNK:
            ns = dict(context)
            E.run_code(q, q.solution_code, ns)  # every other answer right, this one junk
            ns[name] = junk
            r = q.check(ns=ns)
            assert r.outcome == E.INCORRECT and r.message, f"{name} = {junk!r}: {r}"


@pytest.mark.parametrize("q", ALL, ids=_ids(ALL))
def test_missing_names_read_undefined(q):
    context = q.context() if q.context else {}
    r = q.check(ns=dict(context))
    assert r.outcome == E.UNDEFINED and f"`{q.answers[0]}`" in r.message, str(r)
    if q.uses:
        ns = {n: None for n in q.answers}
        r = q.check(ns=ns)
        assert r.outcome == E.UNDEFINED and "run the notebook's cells above" in r.message, str(r)


@pytest.mark.parametrize("q", ALL, ids=_ids(ALL))
def test_hints_escalate_and_solution_shows_the_reference_code(q):
    assert len(q.hints) >= 2 and len(set(q.hints)) == len(q.hints)
    q.reset()
    shown = [str(q.hint()) for _ in q.hints]
    assert [s.split(" · ")[0] for s in shown] == [f"Hint {i} of {len(q.hints)}" for i in range(1, len(q.hints) + 1)]
    assert "No more hints" in str(q.hint())
    q.reset()
    assert f"```python\n{q.solution_code}\n```" in q.solution()._repr_markdown_()


@pytest.mark.parametrize("q", ALL, ids=_ids(ALL))
def test_check_is_quick(q):
    E.run_code(q, q.solution_code)  # first call may build TF functions
    t0 = time.perf_counter()
    E.run_code(q, q.solution_code)
    # The brief is ≤ 1 s on an idle core; 3 s leaves room for a shared CI machine.
    assert time.perf_counter() - t0 < 3.0


@pytest.mark.parametrize("module", sorted(CATALOG))
def test_notebook_follows_the_exercise_cell_pattern(module):
    nb = nbformat.read(_notebook(module), as_version=4)
    assert B.layout_problems(nb, module) == []
    assert B.solution_leaks(B.student_copy(nb), module) == []


ALTERNATIVES = [(q, a) for q in ALL for a in A.alternatives(q)]


@pytest.mark.parametrize("q, code", ALTERNATIVES,
                         ids=[f"{q.id}-alt{A.alternatives(q).index(a) + 1}" for q, a in ALTERNATIVES])
def test_other_correct_answers_are_accepted(q, code):
    r = E.run_code(q, code)
    assert r.outcome == E.CORRECT, str(r)


# --------------------------------------------------------------------------- issue 14: checks that cannot be fooled


@pytest.mark.parametrize("q", ALL, ids=_ids(ALL))
def test_each_kind_of_wrong_answer_is_tried_or_cannot_occur(q):
    """Every exercise's tests include a wrong answer of each kind (hard-coded for one input,
    mutating its inputs, failing only in graph mode), or the exercise says why that kind
    cannot occur in it; and at least one other correct form."""
    tried = {w.kind for w in A.wrong(q)}
    for kind in E.WRONG_KINDS:
        assert kind in tried or kind in q.exempt, (
            f"{q.id}: declare a Wrong(..., kind={kind!r}) or exempt={{{kind!r}: 'why it cannot occur'}}")
        assert not (kind in tried and kind in q.exempt), f"{q.id}: {kind!r} is both tried and exempt"
    assert A.alternatives(q), f"{q.id}: declare at least one other correct form in alternatives="


@pytest.mark.parametrize("q", ALL, ids=_ids(ALL))
def test_each_check_says_what_it_verifies_and_what_it_varies(q):
    doc = (q._check.__doc__ or "").strip()
    assert len(doc) >= 40, f"{q.id}: the check function needs a docstring saying what it verifies"
    assert q.varies, f"{q.id}: varies= must list what the check varies (or why one input is enough)"


def _looping_variants(q):
    """The reference solution with an endless loop put first in one function's body, for
    each function it defines."""
    import ast
    lines = q.solution_code.splitlines()
    out = []
    for node in ast.walk(ast.parse(q.solution_code)):
        if not isinstance(node, ast.FunctionDef):
            continue
        body = node.body
        first = body[1] if (len(body) > 1 and isinstance(body[0], ast.Expr)
                            and isinstance(getattr(body[0], "value", None), ast.Constant)
                            and isinstance(body[0].value.value, str)) else body[0]
        indent = " " * first.col_offset
        code = lines[:first.lineno - 1] + [f"{indent}while True:", f"{indent}    pass"] + lines[first.lineno - 1:]
        out.append((node.name, "\n".join(code)))
    return out


LOOPING = [(q, name, code) for q in ALL for name, code in _looping_variants(q)]


@pytest.mark.parametrize("q, name, code", LOOPING, ids=[f"{q.id}-{name}" for q, name, _ in LOOPING])
def test_an_answer_that_loops_forever_is_stopped_and_judged_incorrect(q, name, code, monkeypatch):
    """Every function of every reference solution, made to loop forever: the check ends
    within its time limit and does not call the answer correct."""
    monkeypatch.setenv("KITLIB_CHECK_TIMEOUT", "1")
    t0 = time.perf_counter()
    r = E.run_code(q, code)
    assert time.perf_counter() - t0 < 30
    assert r.outcome == E.INCORRECT, f"{name} looping forever:\n{r}"


def test_exercise_cells_are_written_from_the_module(tmp_path):
    """The module is the one source of an exercise's code: a notebook whose answer or
    solution cell drifted gets both rewritten (outputs cleared); a notebook in sync is left
    as it is."""
    module = "nb01"
    nb = nbformat.read(_notebook(module), as_version=4)
    assert B.sync_exercise_cells(nb, module) == []
    q = CATALOG[module][0]
    for cell in nb.cells:
        src = B.without_solution_header(cell.source)
        if E.normalise_code(src) in (q.starter, q.solution_code):
            cell.source = cell.source + "\nprint('drifted')"
            cell.outputs = [nbformat.v4.new_output("stream", text="old\n")]
    assert B.sync_exercise_cells(nb, module) == [f"{q.id} answer", f"{q.id} solution"]
    assert B.layout_problems(nb, module) == []
    assert not any("drifted" in c.source or c.get("outputs") for c in nb.cells
                   if E.normalise_code(B.without_solution_header(c.source)) in (q.starter, q.solution_code))
