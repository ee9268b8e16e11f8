"""tools/translations.py: extraction, fuzzy marking, the build of an edition, code identity (issue 16)."""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))
import translations as T  # noqa: E402

SETUP = 'import kitlib\n\nkit = kitlib.setup("99_demo", smoke=SMOKE, seed=SEED)'
CODE = ('# Build the model.\n# Same seed: same weights.\nmodel = make(3)  # three layers\n'
        'print("loss:", loss)\nprint(f"{n:,} images, {kit.epochs(2)} epoch(s)")\n'
        'label = "not printed, so code"\n%time x = 1\n')


def _notebook(markdown="# Title\n\nFirst paragraph,\nwrapped.\n\n```python\nx = 1\n\ny = 2\n```\n\n- a\n- b"):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell(markdown, id="intro"),
                nbformat.v4.new_code_cell(SETUP, id="setup"),
                nbformat.v4.new_code_cell(CODE, id="code")]
    return nb


def _catalog(nb, lang="ko", translate=lambda u: f"<{u.msgid}>"):
    cat = T.merge(T._read(Path("/nonexistent.po"), lang), [(u.context, u.msgid, u.note, []) for u in T.units(nb)],
                  lang, "test")
    for m in cat:
        if m.id:
            m.string = translate(next(u for u in T.units(nb) if (u.context, u.msgid) == (m.context, m.id)))
    return cat


def test_markdown_is_split_into_paragraphs_but_fenced_code_stays_whole():
    units = T.units(_notebook())
    md = [u.msgid for u in units if u.kind == "markdown"]
    assert md == ["# Title", "First paragraph,\nwrapped.", "```python\nx = 1\n\ny = 2\n```", "- a\n- b"]
    assert {u.context for u in units if u.kind == "markdown"} == {"intro"}


def test_code_cells_give_comments_and_print_text_only():
    units = [u for u in T.units(_notebook()) if u.context == "code"]
    assert [(u.kind, u.msgid) for u in units] == [
        ("comment", "Build the model.\nSame seed: same weights."),   # a run of whole-line comments: one message
        ("comment", "three layers"),
        ("print", "loss:"),
        ("print", "{n:,} images, {kit.epochs(2)} epoch(s)"),
    ]  # "not printed, so code" is code: not extracted


def test_directives_and_the_solution_header_are_not_extracted():
    from kitlib.exercises.build import SOLUTION_HEADER
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(f"{SOLUTION_HEADER}\nimport os  # noqa: F401\nx = 1  # 42\n", id="s")]
    assert T.units(nb) == []


def test_reextraction_keeps_marks_fuzzy_and_retires(tmp_path):
    nb = _notebook("# Title\n\nKeep me.\n\nChange me a little.\n\nDrop me.")
    messages = lambda nb: [(u.context, u.msgid, u.note, []) for u in T.units(nb)]  # noqa: E731
    po = tmp_path / "demo.po"
    cat = T.merge(T._read(po, "ko"), messages(nb), "ko", "demo")
    for m in cat:
        if m.id:
            m.string = "번역: " + m.id
    T._write(cat, po)
    nb.cells[0].source = "# Title\n\nKeep me.\n\nChange me a lot, really.\n\nA new paragraph."
    T._write(T.merge(T._read(po, "ko"), messages(nb), "ko", "demo"), po)
    new = T._read(po, "ko")
    assert new.get("Keep me.", context="intro").string == "번역: Keep me."
    assert not new.get("Keep me.", context="intro").fuzzy
    changed = new.get("Change me a lot, really.", context="intro")
    assert changed.fuzzy and changed.string == "번역: Change me a little."
    # the old English is kept (written as #| msgid), so the translator's tool shows what changed
    assert changed.previous_id in ("Change me a little.", ["Change me a little."])
    assert new.get("A new paragraph.", context="intro").string == ""
    assert any(k[0] == "Drop me." for k in new.obsolete), list(new.obsolete)
    assert "#| msgid \"Change me a little.\"" in po.read_text()
    T._write(T.merge(T._read(po, "ko"), messages(nb), "ko", "demo"), po)  # extracting again keeps it
    assert "#| msgid \"Change me a little.\"" in po.read_text()
    assert T._read(po, "ko").get("Change me a lot, really.", context="intro").fuzzy
    assert T.counts(new)["fuzzy"] >= 1 and T.counts(new)["untranslated"] >= 1


def test_writing_an_unchanged_catalog_leaves_the_file_alone(tmp_path):
    po = tmp_path / "x.po"
    msgs = [("c1", "Hello", "note", [])]
    assert T._write(T.merge(T._read(po, "th"), msgs, "th", "x"), po)
    before = po.read_bytes()
    assert not T._write(T.merge(T._read(po, "th"), msgs, "th", "x"), po)
    assert po.read_bytes() == before


def test_build_translates_text_and_keeps_code():
    nb = _notebook()
    ko = {"Build the model.\nSame seed: same weights.": "모델을 만듭니다.\n같은 시드: 같은 가중치.",
          "three layers": "층 세 개", "loss:": "손실:",
          "{n:,} images, {kit.epochs(2)} epoch(s)": "에포크 {kit.epochs(2)}번, 이미지 {n:,}장 \"따옴표\""}
    cat = _catalog(nb, translate=lambda u: ko.get(u.msgid, "번역 " + u.msgid))
    out = T.translate(nb, cat, "ko", "test")
    setup, code = out.cells[1].source, out.cells[2].source
    assert setup.endswith('seed=SEED, lang="ko")')
    assert code.startswith("# 모델을 만듭니다.\n# 같은 시드: 같은 가중치.\nmodel = make(3)  # 층 세 개\n")
    assert 'print("손실:", loss)' in code
    assert 'print(f"에포크 {kit.epochs(2)}번, 이미지 {n:,}장 \\"따옴표\\"")' in code
    assert 'label = "not printed, so code"' in code and "%time x = 1" in code
    for a, b in zip(nb.cells, out.cells):
        assert a["id"] == b["id"] and a.cell_type == b.cell_type
        if a.cell_type == "code":
            assert T.code_signature(a.source) == T.code_signature(b.source)
    namespace = {}
    exec(compile(code.replace("%time ", ""), "cell", "exec"),
         {"make": lambda n: n, "loss": 0.5, "n": 1000, "print": lambda *a: namespace.setdefault("p", a),
          "kit": type("K", (), {"epochs": lambda self, k: k})()}, namespace)
    assert namespace["label"] == "not printed, so code"


@pytest.mark.parametrize("bad", ["이미지 {m:,}장", "이미지 {n:,}장", "이미지 {n:,}장 {kit.epochs(3)}"])
def test_a_translation_that_changes_a_field_is_refused(bad):
    nb = _notebook()
    cat = _catalog(nb, translate=lambda u: bad if u.msgid.startswith("{n:,}") else "x " + u.msgid)
    with pytest.raises(T.Incomplete, match="changes its code"):
        T.translate(nb, cat, "ko", "test")


def test_an_untranslated_or_fuzzy_message_blocks_the_build():
    nb = _notebook()
    cat = _catalog(nb)
    cat.get("# Title", context="intro").string = ""
    with pytest.raises(T.Incomplete, match="no translation"):
        T.translate(nb, cat, "ko", "test")
    cat = _catalog(nb)
    cat.get("# Title", context="intro").flags.add("fuzzy")
    with pytest.raises(T.Incomplete, match="fuzzy"):
        T.translate(nb, cat, "ko", "test")


def test_code_signature_tells_code_changes_from_text_changes():
    sig = T.code_signature
    assert sig('print("a", x)  # c') == sig('print("가", x)')
    assert sig('print(f"{a} b {c}")') == sig('print(f"{c} 나 {a}")')
    assert sig('kitlib.setup("n", lang="th")') == sig('kitlib.setup("n")')
    assert sig('print("a", x)') != sig('print("a", y)')
    assert sig('label = "a"') != sig('label = "b"')            # a string that is not printed is code
    assert sig('print("a".upper())') != sig('print("b".upper())')  # only direct literal arguments are text
    assert sig('print(f"{a}")') != sig('print(f"{a!r}")')
    assert sig("%time x = 1") != sig("%timeit x = 1")


def test_literal_escaping_round_trips():
    import ast
    for text in ['plain', 'quote " and \\ backslash', 'new\nline', "tab\tand 'single'"]:
        assert ast.literal_eval(T._literal(text, False)) == text
    tree = ast.parse(T._literal('{a:>{w}} and {{braces}} "q"', True), mode="eval")
    assert isinstance(tree.body, ast.JoinedStr)
    assert eval(compile(tree, "x", "eval"), {"a": 1, "w": 3}) == '  1 and {braces} "q"'
