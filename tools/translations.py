"""Korean and Thai editions of the notebooks, from the English ones through gettext catalogs.

    python tools/translations.py extract            # English → translations/<lang>/<nb>.po (+ kitlib's catalog)
    python tools/translations.py build [--execute]  # complete catalogs → notebooks/<lang>/<nb>.ipynb
    python tools/translations.py status             # per notebook and language: translated/fuzzy/untranslated
    python tools/translations.py check              # exit 1 when an edition is missing, stale or incomplete

`make translations` runs extract, then build --execute; `make translations-status` runs status.

What is translated (the English notebooks are the one source):

* markdown cells, one message per paragraph (blocks separated by a blank line outside a
  fenced code block; a list, a table or a quote is one block). Keyed by the cell's id
  (msgctxt) and the paragraph's English text (msgid): editing one paragraph makes only that
  message fuzzy, and a translator's tool (Poedit, Weblate) shows units of a readable size
  and can reuse them (translation memory) across notebooks;
* in code cells, only text that cannot change what the code computes: comments (a run of
  whole-line comments at one indentation is one message, so a sentence wrapped over lines
  is translated whole), and string literals given directly as arguments to ``print()``
  (an f-string is one message whose ``{…}`` fields must come back unchanged, in any order).
  Everything else in a code cell (names, other strings, plot labels, widget descriptions)
  is code and stays as written; the only other change is ``lang="<lang>"`` added to the
  ``kitlib.setup(...)`` call, which makes kitlib speak the edition's language.
  :func:`code_signature` is that rule as a test: it is equal for a cell and its translation.

Re-extraction keeps every translation whose English is unchanged; a paragraph or comment
whose English changed keeps the old translation marked fuzzy (the previous English is
kept as ``#| msgid``, so the tool shows what changed); a new one is untranslated; one that
disappeared goes to the obsolete entries (``#~``) at the end of the file. An edition is
built only from a catalog with no untranslated or fuzzy message.

kitlib's own messages (``_()``, ``pgettext()``, ``N_()`` in kitlib/) are extracted into
kitlib/i18n/locale/<lang>/LC_MESSAGES/kitlib.po the same way and compiled to kitlib.mo.
"""

from __future__ import annotations

import argparse
import ast
import copy
import difflib
import io
import re
import sys
import tokenize
from dataclasses import dataclass
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
CATALOGS = ROOT / "translations"
KITLIB = ROOT / "kitlib"
KITLIB_LOCALE = KITLIB / "i18n" / "locale"
LANGS = ("ko", "th")
LANGUAGE_NAMES = {"ko": "Korean", "th": "Thai"}
PROJECT = "kitlib teaching kit"
# Comments that are not prose: tool directives. The solution cells' first line is kitlib's
# (kitlib.exercises.build.SOLUTION_HEADER, rewritten by the cleaner): it belongs to kitlib's
# catalog, not the notebook's.
_DIRECTIVE = re.compile(r"^\s*(noqa|type:|pragma|fmt:|ruff:|isort:|pylint:|!)")
_FENCE = re.compile(r"^\s*(```|~~~)")


def english_notebooks() -> list[Path]:
    return sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))


def catalog_path(lang: str, name: str) -> Path:
    return CATALOGS / lang / f"{name}.po"


def edition_path(lang: str, name: str) -> Path:
    return NOTEBOOKS / lang / f"{name}.ipynb"


# --------------------------------------------------------------------------- units


@dataclass(frozen=True)
class Unit:
    """One message: *context* is the cell id, *msgid* the English text; *kind* is
    'markdown', 'comment' or 'print'."""

    context: str
    msgid: str
    kind: str

    @property
    def note(self) -> str:
        return {"markdown": "markdown paragraph: keep the Markdown, code spans and links as written",
                "comment": "comment in a code cell (each line becomes a '# ' line)",
                "print": "text printed by print(): keep every {…} field exactly as written (its order may change)",
                }[self.kind]


def paragraphs(text: str) -> list[str]:
    """Blocks of *text* separated by blank lines outside fenced code blocks."""
    blocks, current, fenced = [], [], False
    for line in text.split("\n"):
        if _FENCE.match(line):
            fenced = not fenced
        if not fenced and not line.strip():
            if current:
                blocks.append("\n".join(current))
                current = []
            continue
        current.append(line)
    if current:
        blocks.append("\n".join(current))
    return blocks


def _blank_magics(source: str) -> str:
    """*source* with IPython magic and shell lines blanked (same length), so that positions
    from ast and tokenize stay those of the cell."""
    return "\n".join(" " * len(line) if line.lstrip().startswith(("%", "!")) else line
                     for line in source.split("\n"))


def _solution_header() -> str:
    from kitlib.exercises.build import SOLUTION_HEADER
    return SOLUTION_HEADER


@dataclass
class _Span:
    """A piece of a code cell's source to translate: rows are 1-based, columns characters."""

    start: tuple[int, int]
    end: tuple[int, int]
    msgid: str
    kind: str
    indent: str = ""      # comment blocks: the indentation of each line
    inline: bool = False  # a comment after code on its line
    quote: str = ""       # print literals: the f-prefix and quote of the literal
    fstring: bool = False


def _comment_spans(source: str) -> list[_Span]:
    lines = source.split("\n")
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(_blank_magics(source)).readline))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return []
    header = _solution_header()
    spans: list[_Span] = []
    for tok in tokens:
        if tok.type != tokenize.COMMENT:
            continue
        row, col = tok.start
        text = tok.string[1:]
        text = text[1:] if text.startswith(" ") else text
        if tok.string.strip() == header.strip() or _DIRECTIVE.match(text) or not re.search(r"[^\W\d_]", text):
            continue
        inline = bool(lines[row - 1][:col].strip())
        prev = spans[-1] if spans else None
        if (not inline and prev is not None and not prev.inline and prev.end[0] == row - 1
                and prev.indent == lines[row - 1][:col]):
            prev.msgid += "\n" + text
            prev.end = (row, len(lines[row - 1]))
            continue
        spans.append(_Span((row, col if inline else 0), (row, len(lines[row - 1])), text, "comment",
                           indent=lines[row - 1][:col], inline=inline))
    return spans


def _char_col(line: str, byte_col: int) -> int:
    return len(line.encode("utf-8")[:byte_col].decode("utf-8", errors="ignore"))


def _fstring_template(node: ast.JoinedStr) -> str:
    parts = []
    for v in node.values:
        if isinstance(v, ast.Constant):
            parts.append(str(v.value).replace("{", "{{").replace("}", "}}"))
        else:
            conv = {-1: "", 115: "!s", 114: "!r", 97: "!a"}[v.conversion]
            spec = ":" + _fstring_template(v.format_spec) if v.format_spec is not None else ""
            parts.append("{" + ast.unparse(v.value) + conv + spec + "}")
    return "".join(parts)


def _is_print(node) -> bool:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "print"


def _print_spans(source: str) -> list[_Span]:
    try:
        tree = ast.parse(_blank_magics(source))
    except SyntaxError:
        return []
    lines = source.split("\n")
    spans = []
    for node in ast.walk(tree):
        if not _is_print(node):
            continue
        for arg in node.args:
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                msgid, fstring = arg.value, False
            elif isinstance(arg, ast.JoinedStr):
                msgid, fstring = _fstring_template(arg), True
            else:
                continue
            if not re.search(r"[^\W\d_]", re.sub(r"\{[^{}]*\}", "", msgid)):
                continue  # no words: nothing to translate
            start = (arg.lineno, _char_col(lines[arg.lineno - 1], arg.col_offset))
            end = (arg.end_lineno, _char_col(lines[arg.end_lineno - 1], arg.end_col_offset))
            spans.append(_Span(start, end, msgid, "print", fstring=fstring))
    return spans


def units(nb) -> list[Unit]:
    """The messages of an English notebook, in reading order."""
    out: list[Unit] = []
    for cell in nb.cells:
        cid = cell["id"]
        if cell.cell_type == "markdown":
            out += [Unit(cid, p, "markdown") for p in paragraphs(cell.source)]
        elif cell.cell_type == "code":
            spans = sorted(_comment_spans(cell.source) + _print_spans(cell.source), key=lambda s: s.start)
            out += [Unit(cid, s.msgid, s.kind) for s in spans]
    seen, unique = set(), []
    for u in out:
        if (u.context, u.msgid) not in seen:
            seen.add((u.context, u.msgid))
            unique.append(u)
    return unique


# --------------------------------------------------------------------------- catalogs


def _read(path: Path, lang: str):
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import read_po
    if not path.exists():
        return Catalog(locale=lang)
    with path.open("rb") as f:
        catalog = read_po(f, locale=lang)
    for (context, msgid), previous in _previous_ids(path.read_text(encoding="utf-8")).items():
        m = catalog.get(msgid, context=context)
        if m is not None:
            m.previous_id = previous
    return catalog


def _previous_ids(text: str) -> dict[tuple[str | None, str], str]:
    """{(context, msgid): previous msgid} from the '#| msgid' lines of a PO file (babel's reader
    drops them, and they are what shows a translator how the English of a fuzzy message changed)."""
    from babel.messages.pofile import denormalize
    start = re.compile(r'^(#\| msgid|msgctxt|msgid) (".*")$')
    more = re.compile(r'^(#\| )?(".*")$')
    found = {}
    for block in re.split(r"\n\s*\n", text):
        parts: dict[str, list[str]] = {}
        key = None
        for line in block.splitlines():
            m = start.match(line)
            if m:
                key = m.group(1)
                parts[key] = [m.group(2)]
                continue
            m = more.match(line)
            if m and key is not None and bool(m.group(1)) == key.startswith("#|"):
                parts[key].append(m.group(2))
            else:
                key = None
        if "#| msgid" in parts and "msgid" in parts:
            context = denormalize("\n".join(parts["msgctxt"])) if "msgctxt" in parts else None
            found[(context, denormalize("\n".join(parts["msgid"])))] = denormalize("\n".join(parts["#| msgid"]))
    return found


def _write(catalog, path: Path) -> bool:
    """Write *catalog* to *path*; False (and the file untouched) when nothing changed but the date."""
    from babel.messages.pofile import write_po
    buf = io.BytesIO()
    write_po(buf, catalog, width=0, omit_header=False, sort_output=False, include_previous=True,
             ignore_obsolete=False)
    data = buf.getvalue()
    strip_date = re.compile(rb'"(POT-Creation-Date|PO-Revision-Date): [^"]*"\n')
    if path.exists() and strip_date.sub(b"", path.read_bytes()) == strip_date.sub(b"", data):
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return True


def merge(old, messages: list[tuple[str | None, str, str, list[str]]], lang: str, title: str):
    """A new catalog for *messages* ((context, msgid, note, flags)), carrying over *old*'s
    translations: same context and English → kept as it was; same context, English changed →
    the closest old one's translation, fuzzy, with the old English as previous msgid;
    otherwise untranslated. Old messages not used any more become obsolete."""
    from babel.messages.catalog import Catalog

    new = Catalog(locale=lang, project=PROJECT, version="1", fuzzy=False,
                  msgid_bugs_address="https://github.com/", copyright_holder="the kit's authors",
                  header_comment=f"# {title}: {LANGUAGE_NAMES.get(lang, lang)} translation.\n"
                                 f"# Written by tools/translations.py extract; translate in Poedit or any PO editor.\n")
    new.language_team = LANGUAGE_NAMES.get(lang, lang)
    wanted = {(ctx, msgid) for ctx, msgid, _, _ in messages}
    by_context: dict[str | None, list] = {}
    for m in old:
        if m.id and (m.context, m.id) not in wanted and m.string:
            by_context.setdefault(m.context, []).append(m)
    used = set()
    for ctx, msgid, note, flags in messages:
        prev = old.get(msgid, context=ctx) if msgid else None
        if prev is not None:
            new.add(msgid, prev.string, context=ctx, auto_comments=[note], flags=set(flags) | set(prev.flags),
                    previous_id=prev.previous_id if prev.fuzzy else ())
            continue
        candidates = [m for m in by_context.get(ctx, []) if id(m) not in used]
        best = max(candidates, key=lambda m: difflib.SequenceMatcher(None, m.id, msgid).ratio(), default=None)
        if best is not None and difflib.SequenceMatcher(None, best.id, msgid).ratio() >= 0.5:
            used.add(id(best))
            new.add(msgid, best.string, context=ctx, auto_comments=[note], flags=set(flags) | {"fuzzy"},
                    previous_id=best.id)
        else:
            new.add(msgid, "", context=ctx, auto_comments=[note], flags=set(flags))
    for m in old:
        if m.id and (m.context, m.id) not in wanted and id(m) not in used and m.string:
            new.obsolete[(m.id, m.context) if m.context else m.id] = m
    return new


def counts(catalog) -> dict[str, int]:
    """translated / fuzzy / untranslated messages of *catalog* (the header not counted)."""
    c = {"translated": 0, "fuzzy": 0, "untranslated": 0}
    for m in catalog:
        if not m.id:
            continue
        if not m.string:
            c["untranslated"] += 1
        elif m.fuzzy:
            c["fuzzy"] += 1
        else:
            c["translated"] += 1
    return c


def extract_notebook(path: Path, lang: str) -> bool:
    nb = nbformat.read(path, as_version=4)
    messages = [(u.context, u.msgid, u.note, []) for u in units(nb)]
    target = catalog_path(lang, path.stem)
    return _write(merge(_read(target, lang), messages, lang, f"notebooks/{path.name}"), target)


# --------------------------------------------------------------------------- kitlib's own messages


KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "pgettext": ((1, "c"), 2), "N_": ((1, "c"), 2)}


def kitlib_messages() -> list[tuple[str | None, str, str, list[str]]]:
    """Every message kitlib's sources mark: (context, msgid, where, flags)."""
    from babel.messages.extract import extract_from_dir
    found: dict[tuple, list[str]] = {}
    for filename, lineno, message, comments, context in extract_from_dir(
            str(KITLIB), method_map=[("**.py", "python")], keywords=KEYWORDS, strip_comment_tags=True):
        msgid = message[0] if isinstance(message, tuple) else message
        found.setdefault((context, msgid), []).append(f"kitlib/{filename}")  # no line numbers: no churn
    return [(ctx, msgid, " ".join(sorted(set(where))), ["python-brace-format"] if "{" in msgid else [])
            for (ctx, msgid), where in found.items()]


def kitlib_catalog_path(lang: str, suffix: str = "po") -> Path:
    return KITLIB_LOCALE / lang / "LC_MESSAGES" / f"kitlib.{suffix}"


def compile_mo(catalog) -> bytes:
    """The .mo of *catalog*: translated messages only (fuzzy ones left out, so English shows)."""
    from babel.messages.mofile import write_mo
    buf = io.BytesIO()
    write_mo(buf, catalog, use_fuzzy=False)
    return buf.getvalue()


def extract_kitlib(lang: str) -> bool:
    target = kitlib_catalog_path(lang)
    changed = _write(merge(_read(target, lang), kitlib_messages(), lang, "kitlib"), target)
    mo = kitlib_catalog_path(lang, "mo")
    data = compile_mo(_read(target, lang))
    if not mo.exists() or mo.read_bytes() != data:
        mo.write_bytes(data)
        changed = True
    return changed


# --------------------------------------------------------------------------- building editions


class Incomplete(Exception):
    """A catalog lacks a translation (or has a fuzzy one) the edition needs."""


def _lookup(catalog, context: str, msgid: str, where: str) -> str:
    m = catalog.get(msgid, context=context)
    if m is None or not m.string:
        raise Incomplete(f"{where}: no translation for cell {context}: {msgid[:60]!r}")
    if m.fuzzy:
        raise Incomplete(f"{where}: fuzzy translation for cell {context}: {msgid[:60]!r}")
    return m.string


def _split_template(template: str) -> list[tuple[str, str]]:
    """('text', …) and ('field', '{…}') pieces of an f-string template ({{ and }} are text)."""
    out, i, text = [], 0, []
    while i < len(template):
        ch = template[i]
        if template.startswith("{{", i) or template.startswith("}}", i):
            text.append(template[i:i + 2])
            i += 2
            continue
        if ch == "{":
            depth, j, quote = 0, i, None
            while j < len(template):
                c = template[j]
                if quote:
                    quote = None if c == quote else quote
                elif c in "'\"":
                    quote = c
                elif c in "([{":
                    depth += 1
                elif c in ")]}":
                    depth -= 1
                    if depth == 0:
                        break
                j += 1
            if text:
                out.append(("text", "".join(text)))
                text = []
            out.append(("field", template[i:j + 1]))
            i = j + 1
            continue
        text.append(ch)
        i += 1
    if text:
        out.append(("text", "".join(text)))
    return out


def _literal(msgstr: str, fstring: bool) -> str:
    def esc(s: str) -> str:
        return s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
    if not fstring:
        return '"' + esc(msgstr) + '"'
    body = "".join(esc(piece) if kind == "text" else piece for kind, piece in _split_template(msgstr))
    return 'f"' + body + '"'


def _setup_insertion(source: str, lang: str) -> tuple[tuple[int, int], str] | None:
    """Where ``lang="<lang>"`` goes into the kitlib.setup(...) call of *source*, if it has one."""
    try:
        tree = ast.parse(_blank_magics(source))
    except SyntaxError:
        return None
    lines = source.split("\n")
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "setup"
                and isinstance(node.func.value, ast.Name) and node.func.value.id == "kitlib"
                and not any(k.arg == "lang" for k in node.keywords)):
            row = node.end_lineno
            col = _char_col(lines[row - 1], node.end_col_offset) - 1  # the closing parenthesis
            before = "\n".join(lines[:row - 1] + [lines[row - 1][:col]]).rstrip()
            sep = " " if before.endswith(",") else (", " if node.args or node.keywords else "")
            return (row, col), f'{sep}lang="{lang}"'
    return None


def _replace(lines: list[str], start: tuple[int, int], end: tuple[int, int], text: str) -> list[str]:
    (r0, c0), (r1, c1) = start, end
    merged = lines[r0 - 1][:c0] + text + lines[r1 - 1][c1:]
    return lines[:r0 - 1] + merged.split("\n") + lines[r1:]


def translate_code(source: str, cid: str, catalog, lang: str, where: str) -> str:
    edits = []
    for s in _comment_spans(source) + _print_spans(source):
        msgstr = _lookup(catalog, cid, s.msgid, where)
        if s.kind == "comment":
            if s.inline:
                text = "# " + " ".join(msgstr.split("\n"))
            else:
                text = "\n".join(s.indent + ("# " + line if line else "#") for line in msgstr.split("\n"))
        else:
            text = _literal(msgstr, s.fstring)
        edits.append((s.start, s.end, text))
    setup = _setup_insertion(source, lang)
    if setup is not None:
        edits.append((setup[0], setup[0], setup[1]))
    lines = source.split("\n")
    for start, end, text in sorted(edits, key=lambda e: e[0], reverse=True):
        lines = _replace(lines, start, end, text)
    out = "\n".join(lines)
    if code_signature(out) != code_signature(source):
        raise Incomplete(f"{where}: the translation of cell {cid} changes its code (a print() field "
                         f"{{…}} altered or a comment that breaks a line?)")
    return out


def code_signature(source: str) -> str:
    """What must be equal between a code cell and its translation: the cell's syntax tree with
    the text of print()'s string arguments reduced to their {…} fields (sorted: a translation
    may reorder them), comments ignored (ast drops them), and a ``lang=`` argument of
    ``kitlib.setup(...)`` removed. Magic and shell lines are compared as text."""
    magics = [line.strip() for line in source.split("\n") if line.lstrip().startswith(("%", "!"))]
    try:
        tree = ast.parse(_blank_magics(source))
    except SyntaxError as exc:
        return f"unparsable: {exc.msg}"
    for node in ast.walk(tree):
        if _is_print(node):
            new_args = []
            for arg in node.args:
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    arg = ast.Constant("")
                elif isinstance(arg, ast.JoinedStr):
                    fields = sorted((v for v in arg.values if isinstance(v, ast.FormattedValue)), key=ast.dump)
                    arg = ast.JoinedStr(fields)
                new_args.append(arg)
            node.args = new_args
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "setup"
                and isinstance(node.func.value, ast.Name) and node.func.value.id == "kitlib"):
            node.keywords = [k for k in node.keywords if k.arg != "lang"]
    return ast.dump(tree) + "\n" + "\n".join(magics)


def translate(nb, catalog, lang: str, where: str):
    """The *lang* edition of English notebook *nb* (sources only; outputs cleared)."""
    out = copy.deepcopy(nb)
    for cell in out.cells:
        cid = cell["id"]
        if cell.cell_type == "markdown":
            cell.source = "\n\n".join(_lookup(catalog, cid, p, where) for p in paragraphs(cell.source))
        elif cell.cell_type == "code":
            cell.source = translate_code(cell.source, cid, catalog, lang, where)
            cell.outputs = []
            cell.execution_count = None
    return out


def _sources(nb) -> list[tuple[str, str, str]]:
    return [(c["id"], c.cell_type, c.source) for c in nb.cells]


def build(names: list[str] | None = None, execute: bool = False, write: bool = True) -> dict[str, list[str]]:
    """Write each edition whose catalog is complete; returns {'built': [...], 'current': [...],
    'skipped': [reason, ...], 'stale': [...]}. An edition whose sources did not change keeps
    its outputs; a changed one is written without outputs, then executed with *execute*."""
    report: dict[str, list[str]] = {"built": [], "current": [], "skipped": [], "stale": []}
    for path in english_notebooks():
        if names and path.stem not in names:
            continue
        nb = nbformat.read(path, as_version=4)
        for lang in LANGS:
            cat_path = catalog_path(lang, path.stem)
            target = edition_path(lang, path.stem)
            label = f"{lang}/{path.stem}"
            if not cat_path.exists():
                report["skipped"].append(f"{label}: no catalog")
                continue
            try:
                edition = translate(nb, _read(cat_path, lang), lang, label)
            except Incomplete as exc:
                report["skipped"].append(str(exc))
                if target.exists():
                    report["stale"].append(label)
                continue
            if target.exists() and _sources(nbformat.read(target, as_version=4)) == _sources(edition):
                report["current"].append(label)
                continue
            report["built" if write else "stale"].append(label)
            if write:
                if execute:
                    _execute(edition, target.parent)
                _clean(edition)
                target.parent.mkdir(parents=True, exist_ok=True)
                nbformat.write(edition, target)
    return report


def _clean(nb) -> None:
    sys.path.insert(0, str(ROOT / "tools"))
    import refresh_notebooks
    refresh_notebooks.clean(nb)


def _execute(nb, folder: Path) -> None:
    import os
    from nbclient import NotebookClient
    os.environ.setdefault("KITLIB_WORK_DIR", str(ROOT / "build" / "refresh" / "work"))
    os.environ.setdefault("KITLIB_HEADLESS", "1")
    folder.mkdir(parents=True, exist_ok=True)
    NotebookClient(nb, timeout=1800, kernel_name="python3", resources={"metadata": {"path": str(folder)}}).execute()


# --------------------------------------------------------------------------- glossary

GLOSSARY = ROOT / "docs" / "glossary.md"


@dataclass(frozen=True)
class Term:
    """A row of docs/glossary.md: *english* a regular expression; *forms* and *wrong* per language."""

    name: str
    english: re.Pattern
    forms: dict
    wrong: dict


def _cells(row: str) -> list[str]:
    parts = re.split(r"(?<!\\)\|", row.strip().strip("|"))
    return [p.strip().replace("\\|", "|") for p in parts]


def load_glossary(path: Path = GLOSSARY) -> list[Term]:
    """The terms of the glossary's table (the first table whose header starts with 'term')."""
    terms, in_table = [], False
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("| term |"):
            in_table = True
            continue
        if not in_table:
            continue
        if not line.startswith("|"):
            break
        if set(line) <= set("|-: "):
            continue
        name, english, ko, th, wrong = _cells(line)
        english = english.strip("`")
        bad: dict[str, list[str]] = {"ko": [], "th": []}
        for item in filter(None, (w.strip() for w in wrong.split("·"))):
            lang, _, form = item.partition(":")
            bad[lang.strip()].append(form.strip())
        terms.append(Term(name, re.compile(rf"\b(?:{english})\b", re.IGNORECASE),
                          {"ko": [f.strip() for f in ko.split(" / ")], "th": [f.strip() for f in th.split(" / ")]},
                          bad))
    return terms


def prose(text: str) -> str:
    """*text* without what is not translated prose: fenced code, code spans, {…} fields, URLs."""
    text = re.sub(r"```.*?```|~~~.*?~~~", " ", text, flags=re.S)
    text = re.sub(r"`[^`]*`", " ", text)
    text = re.sub(r"\{[^{}]*\}", " ", text)
    return re.sub(r"https?://\S+", " ", text)


def glossary_problems(catalog, lang: str, where: str, terms: list[Term] | None = None) -> list[str]:
    """Translated messages of *catalog* that do not use the glossary's term where the English
    does, or use a rendering the glossary lists as wrong."""
    problems = []
    for m in catalog:
        if not m.id or not m.string:
            continue
        english = prose(m.id if isinstance(m.id, str) else m.id[0])
        translated = prose(m.string if isinstance(m.string, str) else m.string[0])
        for term in terms or load_glossary():
            if not term.english.search(english):
                continue
            if not any(form.lower() in translated.lower() for form in term.forms[lang]):
                problems.append(f"{where} [{m.context}]: the English says {term.name!r}; the translation "
                                f"has none of {' / '.join(term.forms[lang])}: {m.string[:80]!r}")
            for form in term.wrong[lang]:
                if form in translated:
                    problems.append(f"{where} [{m.context}]: {form!r} is a wrong rendering of "
                                    f"{term.name!r}: {m.string[:80]!r}")
    return problems


# --------------------------------------------------------------------------- status


def status_rows() -> list[tuple[str, str, dict[str, int]]]:
    """(notebook, lang, counts) per English notebook and language: the counts of the catalog
    as it would be after extraction (so a changed English paragraph shows as fuzzy now)."""
    rows = []
    for path in english_notebooks():
        nb = nbformat.read(path, as_version=4)
        messages = [(u.context, u.msgid, u.note, []) for u in units(nb)]
        for lang in LANGS:
            merged = merge(_read(catalog_path(lang, path.stem), lang), messages, lang, path.name)
            rows.append((path.stem, lang, counts(merged)))
    for lang in LANGS:
        merged = merge(_read(kitlib_catalog_path(lang), lang), kitlib_messages(), lang, "kitlib")
        rows.append(("kitlib (messages)", lang, counts(merged)))
    return rows


def print_status() -> None:
    rows = status_rows()
    print(f"{'catalog':<28} {'lang':<4} {'translated':>10} {'fuzzy':>6} {'untransl.':>9} {'done':>6}")
    totals: dict[str, dict[str, int]] = {}
    for name, lang, c in rows:
        total = sum(c.values())
        print(f"{name:<28} {lang:<4} {c['translated']:>10} {c['fuzzy']:>6} {c['untranslated']:>9} "
              f"{(c['translated'] / total if total else 1):>6.0%}")
        t = totals.setdefault(lang, {"translated": 0, "fuzzy": 0, "untranslated": 0})
        for k in t:
            t[k] += c[k]
    for lang, c in totals.items():
        total = sum(c.values())
        print(f"{'all':<28} {lang:<4} {c['translated']:>10} {c['fuzzy']:>6} {c['untranslated']:>9} "
              f"{(c['translated'] / total if total else 1):>6.0%}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("command", choices=("extract", "build", "status", "check"))
    ap.add_argument("notebooks", nargs="*", help="names such as 00_start_here (default: all)")
    ap.add_argument("--execute", action="store_true", help="build: run each rebuilt edition (full mode, "
                                                            "as the English notebooks are committed)")
    args = ap.parse_intermixed_args(argv)
    if args.command == "extract":
        for path in english_notebooks():
            if args.notebooks and path.stem not in args.notebooks:
                continue
            for lang in LANGS:
                if extract_notebook(path, lang):
                    print(f"updated {catalog_path(lang, path.stem).relative_to(ROOT)}")
        for lang in LANGS:
            if extract_kitlib(lang):
                print(f"updated {kitlib_catalog_path(lang).relative_to(ROOT)} (and .mo)")
        return 0
    if args.command == "status":
        print_status()
        return 0
    report = build(args.notebooks or None, execute=args.execute, write=args.command == "build")
    for key in ("built", "current", "stale"):
        if report[key]:
            print(f"{key}: {', '.join(report[key])}")
    if report["skipped"]:
        print(f"not built ({len(report['skipped'])} editions whose catalog is incomplete; "
              f"`make translations-status` counts what is missing), first: {report['skipped'][0]}")
    return 1 if args.command == "check" and report["stale"] else 0


if __name__ == "__main__":
    sys.exit(main())
