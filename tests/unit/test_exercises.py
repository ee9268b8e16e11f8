"""kitlib.exercises: the engine (placeholder, outcomes, hints, rendering) and the
student/instructor build. The per-notebook exercises are tested in tests/exercises/."""

from __future__ import annotations

import copy
import json
import os
import pickle
import subprocess
import sys

import nbformat
import pytest

import hostile_objects as X
import kitlib.exercises as E
from kitlib.exercises import ___, build as B


# --------------------------------------------------------------------------- a toy exercise


def _toy(**overrides):
    """An exercise without TensorFlow: `total` must equal sum(numbers); `double` a function."""
    def check(total, numbers):
        E.expect_type(total, (int, float), "total", "a number")
        E.expect(total != len(numbers), f"{total} is how many numbers there are, not their sum.")
        E.expect(total == sum(numbers), f"`total` is {total}, but the numbers add up to something else.")
        return "Right: that is the sum."

    kwargs = dict(answers=("total",), starter="total = ___", solution="total = sum(numbers)",
                  hints=("Add them up.", "`sum(numbers)`."), context=lambda: {"numbers": [1, 2, 3]})
    kwargs.update(overrides)
    return E.Exercise("99.1", "Add them up", check, **kwargs)


def _fn_exercise():
    def check(double):
        got = E.call(double, 21, name="double")
        E.expect(got == 42, f"`double(21)` returned {E.describe(got)}; expected 42.")
        return "Doubled."

    return E.Exercise("99.2", "Double it", check, answers=("double",),
                      starter="def double(x):\n    return ___",
                      solution="def double(x):\n    return 2 * x", hints=("Multiply.", "`2 * x`."))


# --------------------------------------------------------------------------- placeholder


def test_placeholder_is_a_singleton_that_survives_copy_and_pickle():
    assert E.Placeholder() is ___ and repr(___) == "___"
    assert copy.copy(___) is ___ and copy.deepcopy([___])[0] is ___
    assert pickle.loads(pickle.dumps(___)) is ___


@pytest.mark.parametrize("use", [
    lambda p: p(), lambda p: p.shape, lambda p: p + 1, lambda p: 1 - p, lambda p: p * 2,
    lambda p: bool(p), lambda p: list(p), lambda p: p[0], lambda p: float(p), lambda p: len(p),
    lambda p: p < 1, lambda p: -p,
])
def test_using_the_placeholder_raises_a_clear_error(use):
    with pytest.raises(E.PlaceholderError, match="replace it with your answer"):
        use(___)


def test_placeholder_private_attributes_stay_ordinary_so_tools_can_inspect_it():
    assert not hasattr(___, "_repr_html_") and not hasattr(___, "__array_interface__")
    assert (___ == 0) is False and ___ == ___  # equality is identity, never an error


def test_contains_placeholder_looks_inside_containers():
    assert E.contains_placeholder(___)
    assert E.contains_placeholder([1, (2, ___)]) and E.contains_placeholder({"a": ___})
    assert E.contains_placeholder({___: 1})
    assert not E.contains_placeholder([1, "___", None]) and not E.contains_placeholder("___")


# --------------------------------------------------------------------------- outcomes


def test_reference_answer_is_correct_and_renders():
    r = E.run_code(_toy(), "total = sum(numbers)")
    assert r.outcome == E.CORRECT and r.correct and r.message == "Right: that is the sum."
    assert str(r) == "✔ correct · Exercise 99.1: Add them up\n  Right: that is the sum."
    assert repr(r) == str(r)


def test_wrong_answer_is_incorrect_with_the_reason():
    r = _toy().check(ns={"numbers": [1, 2, 3], "total": 3})
    assert r.outcome == E.INCORRECT and not r.correct
    assert "3 is how many numbers there are" in r.message


def test_placeholder_answer_is_not_attempted():
    q = _toy()
    for value in (___, [___], {"x": ___}):
        r = q.check(ns={"numbers": [1], "total": value})
        assert r.outcome == E.NOT_ATTEMPTED and "Replace the ___ in `total`" in r.message


def test_function_returning_or_using_the_placeholder_is_not_attempted():
    q = _fn_exercise()
    assert E.run_code(q, q.starter).outcome == E.NOT_ATTEMPTED
    r = E.run_code(q, "def double(x):\n    y = ___ * x\n    return y")
    assert r.outcome == E.NOT_ATTEMPTED and "still uses ___" in r.message


def test_placeholder_passed_to_a_library_that_fails_is_not_attempted():
    # The library raises its own error (not PlaceholderError); ___ sits in its frame's locals.
    def library(value):
        raise ValueError(f"cannot interpret {value!r}")

    q = _fn_exercise()
    r = q.check(ns={"double": lambda x: library(___)})
    assert r.outcome == E.NOT_ATTEMPTED


def test_missing_names_are_undefined_with_what_to_run():
    q = _toy()
    r = q.check(ns={"numbers": [1]})
    assert r.outcome == E.UNDEFINED and "Define `total` first" in r.message
    r = q.check(ns={"total": 1})
    assert r.outcome == E.UNDEFINED and "`numbers` is not defined: run the notebook's cells above" in r.message
    r = q.check(ns={})
    assert "`numbers`" in r.message and "`total`" in r.message


@pytest.mark.parametrize("junk", [None, "6", b"6", [6], (6,), {"total": 6}, object(), print,
                                  lambda *a: 6, float("nan"), True, type, ...])
def test_wrong_types_never_crash(junk):
    for q, name, ns in ((_toy(), "total", {"numbers": [1, 2, 3]}), (_fn_exercise(), "double", {})):
        r = q.check(ns={**ns, name: junk})
        assert isinstance(r, E.Result) and r.outcome == E.INCORRECT and r.message


def test_an_exception_in_the_learners_code_becomes_incorrect_with_its_type_and_message():
    q = _fn_exercise()
    r = q.check(ns={"double": lambda x: {}["missing"]})
    assert r.outcome == E.INCORRECT
    assert "Calling `double` raised KeyError: 'missing'" in r.message and "last line" in r.message
    # An error the check itself hits with a strange answer is reported the same way.
    q2 = E.Exercise("99.3", "t", lambda a: a.missing_attribute, answers=("a",), starter="a = ___",
                    solution="a = 1", hints=("h1", "h2"))
    r = q2.check(ns={"a": 1})
    assert r.outcome == E.INCORRECT and "AttributeError" in r.message


def test_keyboard_interrupt_is_not_swallowed():
    def stop(x):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        _fn_exercise().check(ns={"double": stop})


def test_check_reads_the_callers_globals():
    q = _toy()
    namespace = {"q": q, "numbers": [4, 5], "total": 9}
    exec("result = q.check()", namespace)  # a notebook cell: its globals are the kernel's user_ns
    assert namespace["result"].outcome == E.CORRECT


def test_check_rejects_a_namespace_that_is_not_a_mapping():
    with pytest.raises(TypeError, match="dict of names"):
        _toy().check(ns=[("total", 1)])


def test_what_the_learners_code_prints_is_kept_out_of_the_output(capsys):
    def noisy(x):
        print("debugging", x)
        return 2 * x

    r = _fn_exercise().check(ns={"double": noisy})
    assert r.correct and r.output == "debugging 21\n" and capsys.readouterr().out == ""
    assert "your code printed 1 line(s)" in str(r)


# --------------------------------------------------------------------------- hints and solution


def test_hints_come_in_order_and_say_when_there_are_no_more():
    q = _toy()
    assert str(q.hint()) == "Hint 1 of 2 · Exercise 99.1: Add them up\n  Add them up."
    assert "Hint 2 of 2" in str(q.hint())
    last = q.hint()
    assert "No more hints" in str(last) and "last of 2 hints" in str(last)
    assert "Hint 1 of 2" in str(q.hint(1))  # a given level, any time
    q.reset()
    assert "Hint 1 of 2" in str(q.hint())


def test_hint_levels_out_of_range():
    q = _toy()
    note = q.hint(3)
    assert "has 2 hints: hint(1) … hint(2)" in str(note)
    with pytest.raises(ValueError, match="start at 1"):
        q.hint(0)
    with pytest.raises(TypeError, match="hint number"):
        q.hint("2")
    with pytest.raises(TypeError):
        q.hint(True)


def test_hint_asking_for_a_level_moves_next_past_it():
    q = _toy()
    q.hint(2)
    assert "No more hints" in str(q.hint())


def test_solution_shows_the_reference_code_as_markdown():
    note = _fn_exercise().solution()
    assert note._repr_markdown_() == ("**Solution · Exercise 99.2: Double it**\n\n"
                                      "```python\ndef double(x):\n    return 2 * x\n```")
    assert str(note).endswith("    def double(x):\n        return 2 * x")


# --------------------------------------------------------------------------- rendering


@pytest.mark.parametrize("outcome, colour", [(E.CORRECT, "#1b7f3b"), (E.INCORRECT, "#b3261e"),
                                             (E.NOT_ATTEMPTED, "#5f6368"), (E.UNDEFINED, "#a05a00")])
def test_result_html_is_coloured_by_outcome_and_escaped(outcome, colour):
    r = E.Result("99.1", "A <b>title</b>", outcome, "use `a < b`\nthen this")
    h = r._repr_html_()
    assert colour in h and f"{outcome}</b>" in h
    assert "A &lt;b&gt;title&lt;/b&gt;" in h and "<code>a &lt; b</code><br>then this" in h


def test_result_text_is_deterministic():
    a = E.Result("01.1", "T", E.INCORRECT, "line one\nline two")
    b = E.Result("01.1", "T", E.INCORRECT, "line one\nline two")
    assert str(a) == str(b) == "✘ incorrect · Exercise 01.1: T\n  line one\n  line two"
    assert a == b


# --------------------------------------------------------------------------- definitions


@pytest.mark.parametrize("overrides, match", [
    ({"answers": ()}, "answers must name"),
    ({"answers": ("not a name",)}, "answers must name"),
    ({"answers": ("missing",)}, "must take the answers"),
    ({"hints": ("only one",)}, "at least 2 hints"),
    ({"starter": "  "}, "starter must be"),
    ({"solution": None}, "solution must be"),
])
def test_bad_exercise_definitions_fail_at_import(overrides, match):
    with pytest.raises(ValueError, match=match):
        _toy(**overrides)


def test_bad_ids_and_signatures_are_rejected():
    with pytest.raises(ValueError, match="look like '01.2'"):
        E.Exercise("1.1", "t", lambda a: None, answers=("a",), starter="a = ___", solution="a = 1",
                   hints=("h", "h2"))
    with pytest.raises(ValueError, match="plain names"):
        E.Exercise("01.9", "t", lambda a, **kw: None, answers=("a",), starter="a = ___",
                   solution="a = 1", hints=("h", "h2"))


def test_exercise_decorator_and_uses():
    @E.exercise("99.4", "t", answers=("a",), starter="a = ___", solution="a = b", hints=("h1", "h2"))
    def q(a, b):
        return None

    assert isinstance(q, E.Exercise) and q.answers == ("a",) and q.uses == ("b",)
    r = q.check(ns={"a": 1, "b": 1})
    assert r.correct and r.message == "Well done."


def test_expect_type_and_describe():
    import numpy as np
    E.expect_type(np.int64(3), int, "n", "a whole number")
    E.expect_type(np.float32(0.5), (int, float), "x", "a number")
    with pytest.raises(E.Incorrect, match=r"`n` should be a whole number, but it is a bool \(True\)"):
        E.expect_type(True, int, "n", "a whole number")
    with pytest.raises(E.Incorrect, match="float"):
        E.expect_type(2.0, int, "n", "a whole number")
    assert E.describe(None) == "None"
    assert E.describe(np.zeros((2, 3))) == "a ndarray of shape (2, 3)"
    assert E.describe([1, 2]) == "a list of 2 items" and E.describe("x" * 50).endswith("...')")


def test_call_reports_non_functions_and_placeholders():
    with pytest.raises(E.Incorrect, match=r"`f` should be a function \(`def f\(...\):`\), but it is an int"):
        E.call(3, name="f")
    with pytest.raises(E.NotAttempted, match="still returns ___"):
        E.call(lambda: [___], name="f")


def test_normalise_code():
    assert E.normalise_code("\n    a = 1   \n\n    if a:\n        b = 2\n") == "a = 1\nif a:\n    b = 2"


def test_catalogue_finds_the_notebook_modules():
    assert {"nb00", "nb01"} <= set(E.modules())
    qs = E.exercises("nb01")
    assert [q.id for q in qs] == sorted((q.id for q in qs), key=lambda i: int(i.split(".")[1]))
    assert [q.name for q in qs][:2] == ["q1", "q2"]
    with pytest.raises(ValueError, match="named nbNN"):
        E.exercises("build")


# --------------------------------------------------------------------------- student / instructor build


def _notebook(tmp_path, name="01_end_to_end.ipynb", cells=None):
    src = tmp_path / "src"
    src.mkdir(exist_ok=True)
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "other", "display_name": "Other", "language": "python"}
    nb.metadata["custom"] = {"keep": True}
    nb.cells = cells or [
        nbformat.v4.new_markdown_cell("# title", metadata={"tags": ["intro"]}),
        nbformat.v4.new_code_cell("SMOKE = False", metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell("x = ___", metadata={"tags": ["nbval-ignore-output"], "collapsed": True}),
        nbformat.v4.new_code_cell("x = 42", metadata={"tags": ["solution"]}),
        nbformat.v4.new_code_cell("print(x)", execution_count=3,
                                  outputs=[nbformat.v4.new_output("stream", text="42\n")]),
    ]
    nbformat.write(nb, src / name)
    return src


def _read(path):
    return nbformat.read(path, as_version=4)


def test_student_build_removes_solutions_clears_outputs_keeps_tags_and_metadata(tmp_path):
    src = _notebook(tmp_path, "05_demo.ipynb")
    written = B.build("student", tmp_path / "out", src)
    nb = _read(written[0])
    assert [c.source for c in nb.cells] == ["# title", "SMOKE = False", "x = ___", "print(x)"]
    assert [c.metadata.get("tags") for c in nb.cells] == [["intro"], ["parameters"], ["nbval-ignore-output"], None]
    assert nb.cells[2].metadata["collapsed"] is True and nb.metadata["custom"] == {"keep": True}
    assert nb.metadata["kernelspec"]["name"] == "python3"
    assert all(c.outputs == [] and c.execution_count is None for c in nb.cells if c.cell_type == "code")
    marker = json.loads((tmp_path / "out" / B.MARKER).read_text())
    assert marker["kitlib_build"] == "student" and list(marker["files"]) == ["05_demo.ipynb"]


def test_instructor_build_keeps_solutions(tmp_path):
    src = _notebook(tmp_path, "05_demo.ipynb")
    nb = _read(B.build("instructor", tmp_path / "out", src)[0])
    assert "x = 42" in [c.source for c in nb.cells] and nb.cells[4].outputs == []


def test_build_refuses_the_notebooks_folder_itself(tmp_path):
    src = _notebook(tmp_path, "05_demo.ipynb")
    for target in (src, src / "sub"):
        with pytest.raises(B.BuildError, match="refusing to write into the notebooks folder"):
            B.build("student", target, src)
    repo_notebooks = B.source_notebooks()[0].parent
    with pytest.raises(B.BuildError, match="refusing"):
        B.build("student", repo_notebooks, src)
    assert sorted(p.name for p in src.iterdir()) == ["05_demo.ipynb"]


def test_build_refuses_a_folder_it_did_not_write_and_changes_nothing(tmp_path):
    src = _notebook(tmp_path, "05_demo.ipynb")
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    with pytest.raises(B.BuildError, match="not written by a kitlib build"):
        B.build("student", out, src)
    assert [p.name for p in out.iterdir()] == ["notes.txt"]
    a_file = tmp_path / "file"
    a_file.write_text("x")
    with pytest.raises(B.BuildError, match="not a folder"):
        B.build("student", a_file, src)


def test_rebuild_overwrites_its_own_files_keeps_others_and_never_a_changed_notebook(tmp_path):
    src = _notebook(tmp_path, "05_demo.ipynb")
    out = tmp_path / "out"
    B.build("instructor", out, src)
    (out / "notes.txt").write_text("a learner's file")
    (src / "05_demo.ipynb").write_text((src / "05_demo.ipynb").read_text().replace("print(x)", "print(x + 0)"))
    B.build("instructor", out, src)  # unchanged since the last build: replaced
    assert "x = 42" in (out / "05_demo.ipynb").read_text() and "x + 0" in (out / "05_demo.ipynb").read_text()
    assert (out / "notes.txt").read_text() == "a learner's file"
    (out / "05_demo.ipynb").write_text((out / "05_demo.ipynb").read_text().replace("x = 42", "x = 43"))
    before = (out / "05_demo.ipynb").read_bytes()
    with pytest.raises(B.BuildError, match="changed since the last build"):
        B.build("instructor", out, src)
    assert (out / "05_demo.ipynb").read_bytes() == before


@pytest.mark.parametrize("first, second", [("student", "instructor"), ("instructor", "student")])
def test_build_refuses_to_change_the_kind_of_a_folder(tmp_path, first, second):
    src = _notebook(tmp_path, "05_demo.ipynb")
    out = tmp_path / "out"
    B.build(first, out, src)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    with pytest.raises(B.BuildError, match=f"holds a {first} build; refusing to turn it into a {second} build"):
        B.build(second, out, src)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    from kitlib.__main__ import main
    assert main([second, str(out), "--notebooks", str(src)]) == 1


@pytest.mark.parametrize("content", [
    {"files": {}},                                             # no kind
    {"kitlib_build": "teacher", "files": {}},                  # unknown kind
    {"kitlib_build": "student", "files": {"../x.ipynb": "0" * 64}},
    {"kitlib_build": "student", "files": {"05_demo.ipynb": "not a hash"}},
    {"kitlib_build": "student", "files": {}, "extra": 1},
    ["kitlib_build", "student"],
])
def test_build_checks_the_markers_contents(tmp_path, content):
    src = _notebook(tmp_path, "05_demo.ipynb")
    out = tmp_path / "out"
    out.mkdir()
    (out / B.MARKER).write_text(json.dumps(content))
    with pytest.raises(B.BuildError, match="not a kitlib build marker"):
        B.build("student", out, src)


def test_build_never_writes_through_a_planted_link(tmp_path):
    import hashlib
    src = _notebook(tmp_path, "05_demo.ipynb")
    out = tmp_path / "out"
    out.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("someone else's file")
    digest = hashlib.sha256(victim.read_bytes()).hexdigest()
    forged = {"kitlib_build": "student", "files": {"05_demo.ipynb": digest}}
    (out / B.MARKER).write_text(json.dumps(forged))
    (out / "05_demo.ipynb").symlink_to(victim)
    with pytest.raises(B.BuildError, match="symbolic link"):
        B.build("student", out, src)
    assert victim.read_text() == "someone else's file"
    # links on the temporary names an earlier version used, and on the marker itself
    (out / "05_demo.ipynb").unlink()
    for name in (".05_demo.ipynb.tmp", ".kitlib-build.json.tmp"):
        (out / name).symlink_to(victim)
    B.build("student", out, src)
    assert victim.read_text() == "someone else's file"
    assert not (out / "05_demo.ipynb").is_symlink() and "x = ___" in (out / "05_demo.ipynb").read_text()
    (out / B.MARKER).unlink()
    (out / B.MARKER).symlink_to(victim)
    with pytest.raises(B.BuildError, match="not written by a kitlib build"):
        B.build("student", out, src)
    assert victim.read_text() == "someone else's file"


def test_build_refuses_a_broken_marker_and_unknown_kinds(tmp_path):
    src = _notebook(tmp_path, "05_demo.ipynb")
    out = tmp_path / "out"
    out.mkdir()
    (out / B.MARKER).write_text("not json")
    with pytest.raises(B.BuildError, match="not a kitlib build marker"):
        B.build("student", out, src)
    with pytest.raises(B.BuildError, match="kind must be one of"):
        B.build("teacher", tmp_path / "new", src)
    with pytest.raises(B.BuildError, match="no notebooks"):
        B.build("student", tmp_path / "new", tmp_path / "out")


def test_student_build_refuses_a_solution_left_in_an_untagged_cell(tmp_path):
    q = E.exercises("nb01")[0]
    cells = [nbformat.v4.new_code_cell(q.starter), nbformat.v4.new_code_cell(q.solution_code)]
    src = _notebook(tmp_path, "01_end_to_end.ipynb", cells)
    with pytest.raises(B.BuildError, match=r"shows the solution of exercise 01.1 .* Tag that cell 'solution'"):
        B.build("student", tmp_path / "out", src)
    assert not (tmp_path / "out").exists()


def test_layout_problems_name_what_is_missing(tmp_path):
    q = E.exercises("nb01")[0]
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(q.solution_code, metadata={"tags": ["solution"]}),
                nbformat.v4.new_code_cell(q.starter),
                nbformat.v4.new_code_cell("x = 1", metadata={"tags": ["solution"]})]
    problems = "\n".join(B.layout_problems(nb, "nb01"))
    assert "no cell imports the exercises" in problems
    assert "01.1: the solution cell comes before the answer cell" in problems
    assert "01.2: expected one answer cell" in problems
    assert "cell 2 is tagged 'solution' but matches no exercise" in problems


def _cli(*args):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    return subprocess.run([sys.executable, "-m", "kitlib", *args], capture_output=True, text=True,
                          env=env, timeout=120)


def test_cli_student_build_and_its_errors(tmp_path):
    src = _notebook(tmp_path, "05_demo.ipynb")
    r = _cli("student", str(tmp_path / "out"), "--notebooks", str(src))
    assert r.returncode == 0, r.stderr
    assert "student build (solutions removed, outputs cleared): 1 notebooks" in r.stdout
    r = _cli("student", str(src), "--notebooks", str(src))
    assert r.returncode == 1 and "refusing to write into the notebooks folder" in r.stderr


def test_a_bug_in_a_check_is_not_mistaken_for_an_unfinished_answer():
    """The notebook namespace holds ___ once imported; a check that fails for another reason
    must say so (incorrect, with the error), not report "not attempted"."""
    def check(total):
        return {}["missing"]  # an unexpected error inside the check itself

    ex = E.Exercise("99.3", "Buggy check", check, answers=("total",), starter="total = ___",
                    solution="total = 6", hints=("a", "b"))
    result = ex.check(ns={"total": 6, "___": ___, "E": E})
    assert result.outcome == E.INCORRECT, result
    assert "KeyError" in result.message


def test_dense_forward_matches_predict_and_refuses_unknown_activations():
    """Checks compare a learner's metric with a NumPy forward pass: it must equal predict()."""
    import keras
    import numpy as np
    keras.utils.set_random_seed(3)
    x = np.random.default_rng(0).normal(size=(16, 8)).astype("float32")
    model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(5, activation="relu"),
                              keras.layers.Dropout(0.5),  # no kernel: skipped, as in inference
                              keras.layers.Dense(3, activation="softmax")])
    np.testing.assert_allclose(E.dense_forward(model, x), model.predict(x, verbose=0), rtol=1e-5, atol=1e-6)
    tanh = keras.Sequential([keras.Input((8,)), keras.layers.Dense(2, activation="tanh")])
    with pytest.raises(ValueError, match="tanh"):
        E.dense_forward(tanh, x)


def test_expect_probability_loss_refuses_from_logits_on_probabilities_only():
    import keras
    import numpy as np
    y = np.array([0, 1])
    p = np.array([[0.9, 0.1], [0.2, 0.8]])
    right = float(np.mean(-np.log([0.9, 0.8])))
    logits_loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    E.expect_probability_loss({"class_name": "SparseCategoricalCrossentropy", "config": {"from_logits": False}},
                              logits_loss, y, p, right)  # the right setting passes
    E.expect_probability_loss("sparse_categorical_crossentropy", logits_loss, y, p, right)  # a string id too
    with pytest.raises(E.Incorrect, match=r"from_logits=True.*gives 0\.\d{4} instead of 0\.1643"):
        E.expect_probability_loss({"class_name": "SparseCategoricalCrossentropy", "config": {"from_logits": True}},
                                  logits_loss, y, p, right)


@pytest.mark.parametrize("form", ["function", "string", "object", "lambda", "function config", "string config"])
def test_expect_probability_loss_judges_function_forms_by_what_they_compute(form):
    import keras
    import numpy as np
    y = np.array([0, 1])
    p = np.array([[0.9, 0.1], [0.2, 0.8]])
    right = float(np.mean(-np.log([0.9, 0.8])))
    logits_loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    fn = keras.losses.sparse_categorical_crossentropy
    good, bad = {
        "function": (fn, None),
        "string": ("sparse_categorical_crossentropy", None),
        "object": (keras.losses.SparseCategoricalCrossentropy(), logits_loss),
        "lambda": (lambda t, q: fn(t, q), lambda t, q: fn(t, q, from_logits=True)),
        "function config": ({"module": "builtins", "class_name": "function",
                             "config": "sparse_categorical_crossentropy", "registered_name": "function"}, None),
        "string config": ("sparse_categorical_crossentropy", None),
    }[form]
    E.expect_probability_loss(good, logits_loss, y, p, right)  # accepted, no crash
    if bad is not None:
        with pytest.raises(E.Incorrect, match="from_logits=True"):
            E.expect_probability_loss(bad, logits_loss, y, p, right)
    E.expect_probability_loss({"score": "mse"}, logits_loss, y, p, right)  # per-output dicts: left to evaluate()
    with pytest.raises(E.Incorrect, match="Applying your loss.*ZeroDivisionError"):
        E.expect_probability_loss(lambda t, q: 1 / 0, logits_loss, y, p, right)


def test_expect_class_refuses_subclasses_by_name():
    import keras
    E.expect_class(keras.optimizers.Adam(), keras.optimizers.Adam, "opt", "keras.optimizers.Adam")
    with pytest.raises(E.Incorrect, match=r"`opt` is an AdamW, a subclass of Adam.*`keras.optimizers.Adam` itself"):
        E.expect_class(keras.optimizers.AdamW(), keras.optimizers.Adam, "opt", "keras.optimizers.Adam")
    with pytest.raises(E.Incorrect, match="is a class, Adam; the task needs an object"):
        E.expect_class(keras.optimizers.Adam, keras.optimizers.Adam, "opt", "keras.optimizers.Adam")
    with pytest.raises(E.Incorrect, match="should be a `keras.optimizers.Adam`, but it is a str"):
        E.expect_class("adam", keras.optimizers.Adam, "opt", "keras.optimizers.Adam")


def test_guarded_turns_errors_into_outcomes_with_known_advice_first():
    def uses_placeholder():
        return ___ + 1

    with pytest.raises(E.NotAttempted, match="`Thing` still uses ___"):
        E.guarded(uses_placeholder, "Thing")
    known = ((lambda text: "add_metric" in text, "use a metric object instead"),)
    with pytest.raises(E.Incorrect, match="^use a metric object instead$"):
        E.guarded(lambda: (_ for _ in ()).throw(NotImplementedError("add_metric is gone")), "Thing", known=known)
    with pytest.raises(E.Incorrect, match=r"^Using `Thing` in a model raised ZeroDivisionError"):
        E.guarded(lambda: 1 / 0, "Thing", known=known, doing="Using `Thing` in a model")
    with pytest.raises(E.Incorrect, match="mine"):  # an outcome raised inside passes through
        E.guarded(lambda: (_ for _ in ()).throw(E.Incorrect("mine")), "Thing")
    assert E.guarded(lambda: 42, "Thing") == 42
    with pytest.raises(KeyboardInterrupt):
        E.guarded(lambda: (_ for _ in ()).throw(KeyboardInterrupt()), "Thing")


def test_an_exercise_run_before_the_cells_above_says_run_them_first():
    """01's exercise 3 checked before `import keras` ran: the learner's function raises
    NameError for `keras`; that is "run the cells above", not a wrong answer."""
    q = E.exercises("nb01")[2]
    assert q.id == "01.3"
    for code in (q.starter, q.solution_code):
        ns = {"___": ___}  # a fresh kernel: only the exercises import has run
        exec(compile(code, "<answer>", "exec"), ns)
        result = q.check(ns=ns)
        assert result.outcome == E.UNDEFINED, result
        assert "`keras` is not defined" in result.message and "run the notebook's cells above" in result.message
        assert "incorrect" not in str(result) and "NameError" not in result.message


def test_a_name_missing_inside_a_learners_function_is_undefined_everywhere():
    def uses_numpy():
        return np.zeros(3)  # noqa: F821 - `np` is what the learner forgot to import

    with pytest.raises(E.Undefined, match="`np` is not defined.*cells above"):
        E.call(uses_numpy, name="uses_numpy")
    with pytest.raises(E.Undefined, match="`np` is not defined"):
        E.guarded(uses_numpy, "uses_numpy")

    def check(total):
        return total + undefined_in_the_answer  # noqa: F821

    ex = E.Exercise("99.4", "Needs a name", check, answers=("total",), starter="total = ___",
                    solution="total = 6", hints=("a", "b"))
    assert ex.check(ns={"total": 6}).outcome == E.UNDEFINED


def test_a_name_error_for_epoch_in_an_f_string_still_teaches_the_f_string_lesson():
    q = E.exercises("nb10")[1]
    code = ('def batch_checkpoint(folder):\n'
            '    return keras.callbacks.ModelCheckpoint(f"{folder}/w-{epoch}.weights.h5", save_weights_only=True)')
    result = E.run_code(q, code)
    assert result.outcome == E.INCORRECT and "f-string" in result.message, result


# --------------------------------------------------------------------------- a check leaves no trace


def _learner_state():
    """Everything a check must leave as it found it, in comparable form."""
    import random
    import warnings

    import keras
    import numpy as np
    import tensorflow as tf
    from keras.src.backend.common import global_state
    from tensorflow.python.eager import context
    from tensorflow.python.framework import config as tf_config

    np_state = np.random.get_state()
    generator = global_state.get_global_attribute("global_seed_generator")
    ctx = context.context()
    rng = getattr(ctx, "_rng", None)
    from tensorflow.python.ops import stateful_random_ops

    tf_generator = stateful_random_ops.global_generator  # get_global_generator() refuses under op determinism
    return {
        "random": random.getstate(),
        "numpy": (np_state[0], np_state[1].tolist(), *np_state[2:]),
        "keras config": (keras.config.floatx(), keras.config.epsilon(), keras.config.image_data_format(),
                         global_state.get_global_attribute("dtype_policy"),
                         keras.config.is_traceback_filtering_enabled()),
        "keras seed": (global_state.get_global_attribute("global_random_seed"), generator,
                       None if generator is None else generator.state.numpy().tolist()),
        "tf seed": (ctx._seed, rng.getstate() if rng is not None else None),
        "tf settings": (tf_config.is_op_determinism_enabled(), tf.config.functions_run_eagerly()),
        "tf generator": (tf_generator, None if tf_generator is None else tf_generator.state.numpy().tolist()),
        "warnings": list(warnings.filters),
    }


def _meddler(ending):
    """An exercise whose check changes every global it can, then ends as *ending* says."""
    def check(value):
        import random
        import warnings

        import keras
        import numpy as np
        import tensorflow as tf
        random.random()
        np.random.rand()
        keras.random.normal((2,))                        # the global Keras seed generator
        tf.random.get_global_generator().normal((2,))
        tf.random.uniform((1,))                          # an operation seed from TF's global seed
        keras.utils.set_random_seed(7)                   # Python, NumPy, TF and Keras seeds at once
        keras.config.set_floatx("float64")
        keras.config.set_epsilon(1e-3)
        keras.config.set_image_data_format("channels_first")
        keras.config.set_dtype_policy("mixed_float16")
        keras.config.disable_traceback_filtering()
        tf.config.run_functions_eagerly(True)
        tf.config.experimental.enable_op_determinism()
        warnings.simplefilter("error")
        if ending == "incorrect":
            raise E.Incorrect("no")
        if ending == "error":
            raise ValueError("a bug")
        if ending == "timeout":
            while True:
                pass
        return "fine"

    return E.Exercise("99.4", "Meddle", check, answers=("value",), starter="value = ___", solution="value = 1",
                      hints=("h1", "h2"))


@pytest.mark.parametrize("ending", ["correct", "incorrect", "error", "timeout"])
def test_a_check_leaves_random_streams_and_settings_as_it_found_them(ending, monkeypatch):
    import keras
    import tensorflow as tf
    monkeypatch.setenv("KITLIB_CHECK_TIMEOUT", "0.5")
    keras.utils.set_random_seed(1234)
    keras.random.normal((1,))  # the learner has used the global seed generator
    tf.random.uniform((1,))
    tf.random.set_global_generator(tf.random.Generator.from_seed(77))  # and has a TF generator
    before = _learner_state()
    r = _meddler(ending).check(ns={"value": 1})
    assert r.outcome == (E.CORRECT if ending == "correct" else E.INCORRECT), r
    after = _learner_state()
    changed = [k for k in before if before[k] != after[k]]
    assert changed == []


def test_a_check_that_seeds_draws_nothing_from_the_learners_streams():
    import random

    import numpy as np
    random.seed(5)
    np.random.seed(5)
    expected = (random.random(), np.random.rand())
    random.seed(5)
    np.random.seed(5)
    _meddler("correct").check(ns={"value": 1})
    assert (random.random(), np.random.rand()) == expected


# --------------------------------------------------------------------------- a time limit


def _looping_exercise():
    def check(f):
        return f"returned {E.call(f, 1, name='f')}"

    return E.Exercise("99.5", "Loop", check, answers=("f",), starter="def f(x):\n    return ___",
                      solution="def f(x):\n    return x", hints=("h1", "h2"))


def _forever(x):
    while True:
        pass


def _forever_catching(x):
    while True:
        try:
            sum(range(1000))
        except Exception:  # a learner's broad except must not swallow the time limit
            pass


@pytest.mark.parametrize("answer", [_forever, _forever_catching])
def test_an_answer_that_never_ends_is_stopped_with_a_clear_message(answer, monkeypatch):
    import time
    monkeypatch.setenv("KITLIB_CHECK_TIMEOUT", "0.3")
    t0 = time.monotonic()
    r = _looping_exercise().check(ns={"f": answer})
    assert time.monotonic() - t0 < 5
    assert r.outcome == E.INCORRECT
    assert "ran for more than 0.3 s without finishing" in r.message and "loop" in r.message
    assert "KITLIB_CHECK_TIMEOUT" in r.message


def test_the_time_limit_leaves_no_alarm_behind_and_keeps_one_set_before(monkeypatch):
    import signal
    import time
    monkeypatch.setenv("KITLIB_CHECK_TIMEOUT", "0.2")
    fired = []
    previous = signal.signal(signal.SIGALRM, lambda *a: fired.append(1))
    try:
        signal.setitimer(signal.ITIMER_REAL, 30.0)
        assert _looping_exercise().check(ns={"f": _forever}).outcome == E.INCORRECT
        assert _looping_exercise().check(ns={"f": lambda x: x}).correct
        left, _ = signal.getitimer(signal.ITIMER_REAL)
        assert 25 < left <= 30 and signal.getsignal(signal.SIGALRM) is not previous and not fired
        signal.setitimer(signal.ITIMER_REAL, 0)
        assert _looping_exercise().check(ns={"f": lambda x: x}).correct
        assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
        time.sleep(0.3)
        assert not fired
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def test_a_slow_answer_within_the_limit_and_a_check_outside_the_main_thread_are_not_stopped(monkeypatch):
    import threading
    import time
    monkeypatch.setenv("KITLIB_CHECK_TIMEOUT", "1")

    def slow(x):
        time.sleep(0.3)
        return x

    assert _looping_exercise().check(ns={"f": slow}).correct
    monkeypatch.setenv("KITLIB_CHECK_TIMEOUT", "0.1")
    results = []
    thread = threading.Thread(target=lambda: results.append(_looping_exercise().check(ns={"f": slow})))
    thread.start()
    thread.join(10)
    assert results and results[0].correct  # no SIGALRM outside the main thread: no limit there


@pytest.mark.parametrize("raw, seconds", [(None, 120.0), ("", 120.0), ("30", 30.0), ("2.5", 2.5),
                                          ("0", None), ("off", None), ("None", None), ("-1", None),
                                          ("soon", 120.0), ("nan", 120.0)])
def test_the_time_limit_comes_from_the_environment(raw, seconds, monkeypatch):
    if raw is None:
        monkeypatch.delenv("KITLIB_CHECK_TIMEOUT", raising=False)
    else:
        monkeypatch.setenv("KITLIB_CHECK_TIMEOUT", raw)
    assert E.check_timeout() == seconds


# --------------------------------------------------------------------------- never raises


# factories: pytest must not look at the objects themselves when it collects the tests
HOSTILE = {"dict_items_raise": lambda: X.HostileDict({"a": 1}), "list_iter_raises": lambda: X.HostileList([1, 2]),
           "object_dunders_raise": X.HostileObject, "getattribute_raises": X.HostileEverything,
           "base_exception_dunders": X.BaseExceptionObject, "raises_unprintable_error": lambda: X.raises_unprintable,
           "raises_base_exception": lambda: X.big_boom}


@pytest.mark.parametrize("make", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_objects_never_make_check_or_describe_raise(make):
    hostile = make()
    assert isinstance(E.describe(hostile), str)
    assert E.contains_placeholder(hostile) is False
    for q, name, ns in ((_toy(), "total", {"numbers": [1, 2, 3]}), (_fn_exercise(), "double", {})):
        r = q.check(ns={**ns, name: hostile})
        assert isinstance(r, E.Result) and r.outcome == E.INCORRECT and r.message, r


def test_contains_placeholder_stops_in_an_endless_container():
    import itertools

    class Endless(list):
        def __iter__(self):
            return itertools.count()

    assert E.contains_placeholder(Endless()) is False
    assert E.contains_placeholder(X.HostileDict({"a": ___})) is False  # cannot look: the check will tell


# --------------------------------------------------------------------------- error text


_KERAS_LIKE = ("\x1b[1mException encountered when calling Dense.call().\x1b[0m\n\n"
               "\x1b[1mInput 0 of layer \"dense\" is incompatible with the layer: expected axis -1 of input "
               "shape to have value 8, but received input with shape (None, 4)\x1b[0m\n\n"
               "Arguments received by Dense.call():\n" + "  • inputs=tf.Tensor(shape=(None, 4), dtype=float32)\n" * 20)


def test_error_text_is_plain_and_cut_at_a_line_or_sentence_end():
    text = E.shorten_text(_KERAS_LIKE, 400)
    assert "\x1b" not in text and "[1m" not in text and "[0m" not in text
    assert text.startswith("Exception encountered when calling Dense.call().\n\nInput 0 of layer")
    assert text.endswith(" …") and len(text) <= 402
    assert text[:-2].endswith(("(None, 4)", "dtype=float32)", "Dense.call():"))  # a whole line kept
    assert E.plain_text("\x1b[31mred\x1b[0m\r\nnext  \n\n\n\nend\x07") == "red\nnext\n\nend"
    short = "Short and sweet."
    assert E.shorten_text(short) == short


def test_a_first_sentence_longer_than_the_limit_is_cut_between_words():
    words = " ".join(f"word{i}" for i in range(200))
    text = E.shorten_text(words, 100)
    assert text.endswith(" …") and len(text) <= 102
    assert text[:-2].split()[-1] in words.split()  # a whole word, not part of one


def test_a_learners_error_reaches_the_message_plain_and_shortened():
    def broken(x):
        raise ValueError(_KERAS_LIKE)

    r = _fn_exercise().check(ns={"double": broken})
    assert r.outcome == E.INCORRECT and "\x1b" not in r.message and "[1m" not in r.message
    assert "Calling `double` raised ValueError: Exception encountered when calling Dense.call()." in r.message
    assert " …\n" in r.message and len(r.message) < 700


def test_guarded_keeps_the_learners_error_and_attach_callback_gives_fit_s_params():
    import keras

    class Mine(TypeError):
        pass

    def raises():
        raise Mine("needs a float rate")

    with pytest.raises(E.Incorrect) as info:
        E.guarded(raises, "cb")
    assert isinstance(info.value.learner_error, TypeError) and "raised Mine: needs a float rate" in str(info.value)
    assert E.Incorrect("plain").learner_error is None

    class PerStep(keras.callbacks.Callback):
        def on_train_batch_begin(self, batch, logs=None):
            self.seen = (self.params["steps"], self.params["epochs"], self.model)

    model = E.tiny_model()
    cb = E.attach_callback(PerStep(), model, epochs=3, steps=7)
    cb.on_train_batch_begin(0)
    assert cb.seen == (7, 3, model) and cb.params["verbose"] == 0


def test_a_notebook_name_the_learner_reused_reads_run_the_cells_above():
    """`data` was the notebook's object; the learner's own `data = {...}` replaced it. The
    check's attribute access fails: the verdict says which name was reused, not a raw error."""
    import types

    def check(answer, data):
        return f"{len(data.x_train)} and {answer}"

    q = E.Exercise("99.1", "Reuse", check, answers=("answer",), starter="answer = ___",
                   solution="answer = 1", hints=("a", "b"))
    good = q.check(ns={"answer": 1, "data": types.SimpleNamespace(x_train=[1, 2])})
    assert good.outcome == E.CORRECT
    r = q.check(ns={"answer": 1, "data": {"x_train": [1, 2]}})
    assert r.outcome == E.UNDEFINED and "reuse the name `data`" in r.message and "x_train" in r.message, str(r)


def test_variant_declares_a_wrong_answer_by_what_it_changes():
    code = "def f(self):\n    return self.power\n"
    assert E.variant(code, ("self.power", "3")) == "def f(self):\n    return 3"
    with pytest.raises(ValueError, match="does not occur"):
        E.variant(code, ("self.exponent", "3"))


def test_kept_names_an_answer_that_changes_its_inputs_in_place():
    import numpy as np
    import keras
    values = [0.5, 0.2, 0.3]
    kept = E.Kept(values, "values")
    kept.expect_unchanged()
    values.sort()
    assert kept.original == [0.5, 0.2, 0.3]
    with pytest.raises(E.Incorrect, match="changed `values` in place"):
        kept.expect_unchanged()
    history = keras.callbacks.History()
    history.history = {"val_loss": [0.3, 0.1, 0.2]}
    kept = E.Kept(history, "history")
    history.history["val_loss"].sort()
    with pytest.raises(E.Incorrect, match="history.history"):
        kept.expect_unchanged()
    x = np.arange(6.0)
    kept = E.Kept(x, "x")
    x[::-1].sort()
    assert kept.changed() and kept.original.tolist() == [0, 1, 2, 3, 4, 5]


def test_in_graph_names_code_that_only_works_eagerly():
    import numpy as np
    import keras

    def graph_safe(y, p):
        return keras.ops.mean(keras.ops.abs(y - p), axis=-1)

    def eager_only(y, p):
        return np.mean(np.abs(y.numpy() - p.numpy()), axis=-1)

    y, p = np.ones((4, 3), "float32"), np.zeros((4, 3), "float32")
    assert E.in_graph(graph_safe, y, p, name="loss").tolist() == [1.0] * 4
    with pytest.raises(E.Incorrect, match="fails inside `fit\\(\\)`.*keras.ops"):
        E.in_graph(eager_only, y, p, name="loss")
