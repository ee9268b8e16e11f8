"""How much of each notebook's lesson code is the kit's plumbing rather than the guide's code.

    python tools/plumbing.py            # a table, one row per notebook, and the total
    python tools/plumbing.py --json     # the same as JSON
    python tools/plumbing.py -v 06      # also list the plumbing lines of notebook 06

Lesson code: the code cells before the ``## Exercises`` heading, without the ``parameters``
cell, counting lines that are not blank and not comments. Plumbing: lines of statements that
exist for the kit, not for the lesson a learner copies: proofs and records (``kit.claim``,
``kit.record``, ``claims``), reseeding (``kit.reseed``), the setup cell's ``kit = ...`` and
imports of kitlib (with the guard that says how to install it), ``attempt(...)`` wrappers, and ``kit.epochs``/``kit.path``/``kit.fresh_dir``
helpers (counted once per line that uses them). The measure is a line count, so moving a
proof into a helper lowers it only when the notebook really holds less machinery.
"""

from __future__ import annotations

import argparse
import ast
import json
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
PLUMBING_CALLS = {"kit.claim", "kit.record", "kit.reseed", "kit.claims", "attempt", "kitlib.setup",
                  "kit.epochs", "kit.path", "kit.fresh_dir", "kit.steps", "kit.pick"}


def _name(node) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_name(node.value)}.{node.attr}"
    return ""


def _imports_kitlib(node) -> bool:
    if not isinstance(node, (ast.Import, ast.ImportFrom)):
        return False
    names = [a.name for a in node.names] + [getattr(node, "module", "") or ""]
    return any(n == "kitlib" or n.startswith("kitlib.") for n in names)


def _plumbing_lines(tree) -> set[int]:
    """Line numbers (1-based) of a cell's source that belong to plumbing."""
    lines: set[int] = set()
    for node in ast.walk(tree):
        span = None
        if isinstance(node, ast.Call) and _name(node.func) in PLUMBING_CALLS:
            span = (node.lineno, node.end_lineno)
        elif isinstance(node, (ast.Import, ast.ImportFrom)) and _imports_kitlib(node):
            span = (node.lineno, node.end_lineno)
        elif isinstance(node, ast.Try) and any(_imports_kitlib(n) for n in node.body):
            span = (node.lineno, node.end_lineno)   # the "kitlib is missing: install it" guard
        if span:
            lines.update(range(span[0], span[1] + 1))
    return lines


def _code_lines(source: str) -> set[int]:
    return {i for i, line in enumerate(source.splitlines(), 1)
            if line.strip() and not line.strip().startswith("#")}


def measure(path: Path, verbose: bool = False) -> dict:
    nb = nbformat.read(path, as_version=4)
    lesson = plumbing = 0
    shown = []
    for cell in nb.cells:
        if cell.cell_type == "markdown" and cell.source.lstrip().startswith("## Exercises"):
            break
        if cell.cell_type != "code" or "parameters" in cell.metadata.get("tags", []):
            continue
        source = cell.source
        try:
            tree = ast.parse(source)
        except SyntaxError:   # IPython magics: count the lines, no plumbing found
            lesson += len(_code_lines(source))
            continue
        code = _code_lines(source)
        mine = _plumbing_lines(tree) & code
        lesson += len(code)
        plumbing += len(mine)
        if verbose:
            lines = source.splitlines()
            shown += [lines[i - 1] for i in sorted(mine)]
    out = {"notebook": path.name, "lesson_lines": lesson, "plumbing_lines": plumbing,
           "plumbing_pct": round(100.0 * plumbing / lesson, 1) if lesson else 0.0}
    if verbose:
        out["lines"] = shown
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("prefixes", nargs="*")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()
    paths = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    if args.prefixes:
        paths = [p for p in paths if any(p.name.startswith(x) for x in args.prefixes)]
    rows = [measure(p, args.verbose) for p in paths]
    total_lesson = sum(r["lesson_lines"] for r in rows)
    total_plumbing = sum(r["plumbing_lines"] for r in rows)
    total = {"notebook": "all", "lesson_lines": total_lesson, "plumbing_lines": total_plumbing,
             "plumbing_pct": round(100.0 * total_plumbing / total_lesson, 1) if total_lesson else 0.0}
    if args.json:
        print(json.dumps(rows + [total], indent=1))
        return 0
    print(f"{'notebook':32s} {'lesson':>7s} {'plumbing':>9s} {'%':>6s}")
    for r in rows + [total]:
        print(f"{r['notebook']:32s} {r['lesson_lines']:7d} {r['plumbing_lines']:9d} {r['plumbing_pct']:6.1f}")
        for line in r.get("lines", []):
            print(f"    {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
