"""The Korean and Thai editions stay complete and in sync with the English notebooks (issue 16).

An edition exists for every notebook whose catalogs are complete (today: 00_start_here);
`make translations` builds the rest as their catalogs fill (`make translations-status`)."""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))
import translations as T  # noqa: E402

EDITIONS = [(lang, p) for lang in T.LANGS for p in sorted((T.NOTEBOOKS / lang).glob("[0-9][0-9]_*.ipynb"))]
IDS = [f"{lang}/{p.stem}" for lang, p in EDITIONS]


def test_the_first_notebook_has_both_editions():
    assert {f"{lang}/{p.stem}" for lang, p in EDITIONS} >= {"ko/00_start_here", "th/00_start_here"}


@pytest.mark.parametrize("lang,path", EDITIONS, ids=IDS)
def test_catalog_is_current_and_complete(lang, path):
    """Extracting again from the English notebook would change nothing: no new, changed
    (fuzzy) or untranslated message."""
    english = T.NOTEBOOKS / path.name
    assert english.exists(), f"{path} has no English source"
    units = T.units(nbformat.read(english, as_version=4))
    current = T._read(T.catalog_path(lang, path.stem), lang)
    merged = T.merge(current, [(u.context, u.msgid, u.note, []) for u in units], lang, path.name)
    c = T.counts(merged)
    assert c["fuzzy"] == 0 and c["untranslated"] == 0, (
        f"{lang}/{path.stem}: {c['fuzzy']} fuzzy, {c['untranslated']} untranslated messages: run "
        f"`make translations` and translate translations/{lang}/{path.stem}.po")
    assert {(m.context, m.id) for m in current if m.id} == {(u.context, u.msgid) for u in units}, (
        f"translations/{lang}/{path.stem}.po is not the current extraction: run `make translations`")


@pytest.mark.parametrize("lang,path", EDITIONS, ids=IDS)
def test_edition_is_what_the_build_writes(lang, path):
    english = nbformat.read(T.NOTEBOOKS / path.name, as_version=4)
    built = T.translate(english, T._read(T.catalog_path(lang, path.stem), lang), lang, f"{lang}/{path.stem}")
    committed = nbformat.read(path, as_version=4)
    assert T._sources(committed) == T._sources(built), f"{path} is stale: run `make translations`"


@pytest.mark.parametrize("lang,path", EDITIONS, ids=IDS)
def test_edition_runs_the_same_code(lang, path):
    english = nbformat.read(T.NOTEBOOKS / path.name, as_version=4).cells
    edition = nbformat.read(path, as_version=4).cells
    assert [(c["id"], c.cell_type, c.metadata.get("tags", [])) for c in edition] == \
        [(c["id"], c.cell_type, c.metadata.get("tags", [])) for c in english]
    for en, tr in zip(english, edition):
        if en.cell_type == "code":
            assert T.code_signature(tr.source) == T.code_signature(en.source), f"cell {en['id']} differs in code"
    setup = [c.source for c in edition if c.cell_type == "code" and "kitlib.setup(" in c.source]
    assert setup and all(f'lang="{lang}"' in s for s in setup), "the setup call must name the edition"


@pytest.mark.parametrize("lang,path", EDITIONS, ids=IDS)
def test_edition_was_executed(lang, path):
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code" and c.source.strip()]
    assert all(c.execution_count is not None for c in code), "run `make translations` (it executes editions)"
    shown = "".join(o.get("text", "") for c in code for o in c.outputs)
    setup_line = next(line for line in shown.splitlines() if line.startswith("kitlib: "))
    script = {"ko": ("\uac00", "\ud7a3"), "th": ("\u0e00", "\u0e7f")}[lang]
    assert any(script[0] <= ch <= script[1] for ch in setup_line), f"kitlib spoke English: {setup_line}"


@pytest.mark.parametrize("lang,path", EDITIONS, ids=IDS)
def test_edition_uses_the_glossary(lang, path):
    problems = T.glossary_problems(T._read(T.catalog_path(lang, path.stem), lang), lang, f"{lang}/{path.stem}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("lang", T.LANGS)
def test_kitlib_messages_use_the_glossary(lang):
    problems = T.glossary_problems(T._read(T.kitlib_catalog_path(lang), lang), lang, f"kitlib {lang}")
    assert not problems, "\n".join(problems)


def test_the_glossary_catches_a_wrong_term():
    from babel.messages.catalog import Catalog
    cat = Catalog(locale="th")
    cat.add("Each epoch calls the callback.", "ทุกยุคจะเรียกการโทรกลับ", context="c1")
    cat.add("The model overfits.", "โมเดลโอเวอร์ฟิต", context="c2")
    problems = T.glossary_problems(cat, "th", "demo")
    assert any("'ยุค' is a wrong rendering of 'epoch'" in p for p in problems)
    assert any("'การโทรกลับ' is a wrong rendering of 'callback'" in p for p in problems)
    assert any("has none of อีพ็อก" in p for p in problems)
    assert not [p for p in problems if "[c2]" in p]


def test_glossary_covers_the_core_terms():
    names = {t.name for t in T.load_glossary()}
    assert names >= {"loss", "optimizer", "metric", "epoch", "batch", "callback", "checkpoint", "learning rate",
                     "schedule", "validation", "holdout", "sample weight", "class weight", "dataset", "layer",
                     "compile", "fit", "evaluate", "predict", "overfitting", "gradient", "one-hot", "logits"}
    wrong_th = {w for t in T.load_glossary() for w in t.wrong["th"]}
    assert wrong_th >= {"การโทรกลับ", "นางแบบ", "ยุค", "น้ำหนักชั้นเรียน", "ชุดการระงับ"}
    for t in T.load_glossary():
        assert t.forms["ko"][0] and t.forms["th"][0], t.name
