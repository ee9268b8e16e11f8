"""Re-execute notebooks in place (full mode, as committed) and tidy their metadata.

    python tools/refresh_notebooks.py                # every notebook
    python tools/refresh_notebooks.py 01 03          # by number prefix
    python tools/refresh_notebooks.py --clean-only   # only normalize metadata (and sync exercises)
    python tools/refresh_notebooks.py --from build/ensemble/default/full   # adopt executions made there

Each exercise's answer and solution cells are first written from its module
(kitlib/exercises/nbNN.py is the one source of an exercise's code).

The committed outputs are what a learner sees before running anything, and what nbval
compares against in `make test`, so refresh after changing a notebook or kitlib.
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import sys
import time
from pathlib import Path

import nbformat

from kitlib.exercises.build import hide_solutions, module_for, sync_exercise_cells, without_solution_header

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
KEEP_CELL_METADATA = {"tags"}


def _machine_paths() -> list[tuple[str, str]]:
    """Folders of the machine that executed a notebook, longest first, and what a committed
    output shows instead (the learner's own run shows their real paths)."""
    import site
    import sysconfig
    pairs = [(sysconfig.get_paths()["purelib"], "…/site-packages"), *[(p, "…/site-packages")
             for p in site.getsitepackages()], (str(ROOT / "notebooks"), "…/notebooks"),
             (str(ROOT), "<kit>"), (str(ROOT.parent), "<kit>/.."), (sys.prefix, "<venv>"),
             (str(Path.home()), "~")]
    data = os.environ.get("KITLIB_DATA_DIR")
    if data:
        pairs.append((str(Path(data).resolve()), "$KITLIB_DATA_DIR"))
        pairs.append((data.rstrip("/"), "$KITLIB_DATA_DIR"))
    import tempfile
    pairs.append((tempfile.gettempdir(), "<tmp>"))
    # a folder that is two of these at once (a checkout in /tmp: its parent is the temporary
    # folder) keeps the first name listed, the more telling one
    first: dict[str, str] = {}
    for a, b in pairs:
        if a and len(a) > 1:
            first.setdefault(a, b)
    return sorted(first.items(), key=lambda ab: -len(ab[0]))


def scrub_paths(value, html: bool = False):
    """*value* (an output's text, a list of lines, a dict of MIME data) with this machine's
    folders replaced (see _machine_paths); HTML-escaped in ``text/html``."""
    if isinstance(value, str):
        import html as html_module
        import re
        pairs = dict(_machine_paths())
        # one pass, longest folder first, whole path components only ("/work" is not "/workshop"
        # and is not found again inside the "<kit>/work" that replaced a longer folder)
        pattern = re.compile("(?<![\\w./-])(?:" + "|".join(f"{re.escape(path)}(?![\\w.-])" for path in pairs) + ")")
        return pattern.sub(lambda m: html_module.escape(pairs[m.group(0)]) if html else pairs[m.group(0)], value)
    if isinstance(value, list):
        return [scrub_paths(v, html) for v in value]
    if isinstance(value, dict):
        return {k: scrub_paths(v, html or k == "text/html") for k, v in value.items()}
    return value


def clean(nb) -> None:
    """Kernel name python3, no execution timings or widget state, no path of this machine
    in the outputs; tags and cell ids are kept (see stable_ids), and the input of each
    solution cell is collapsed."""
    nb.metadata = nbformat.from_dict({
        "kernelspec": KERNELSPEC,
        "language_info": {"name": "python", "pygments_lexer": "ipython3"},
    })
    for cell in nb.cells:
        cell.metadata = nbformat.from_dict({k: v for k, v in cell.metadata.items() if k in KEEP_CELL_METADATA})
        for out in cell.get("outputs", []):   # no path of this machine in what is committed
            for key in ("text", "data"):
                if key in out:
                    out[key] = nbformat.from_dict(scrub_paths(out[key]))
    hide_solutions(nb)  # solution cells collapsed until clicked
    nb.nbformat, nb.nbformat_minor = 4, 5
    stable_ids(nb)


# nbformat 4.5: 1 to 64 letters, digits, '-' and '_'.
_CELL_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def stable_ids(nb) -> None:
    """Every cell keeps the id it has; a cell without one (or with an invalid id, or the
    second of two cells with the same id, as a copied cell can be) gets a fresh one that no
    other cell of the notebook uses. The ids key the translation catalogs (translations/),
    so inserting, moving or removing a cell must not change any other cell's id."""
    taken: set[str] = set()
    fresh: list = []
    for cell in nb.cells:
        cid = cell.get("id")
        if isinstance(cid, str) and _CELL_ID.match(cid) and cid not in taken:
            taken.add(cid)
        else:
            fresh.append(cell)
    for cell in fresh:
        while True:
            cid = "c" + secrets.token_hex(4)
            if cid not in taken:
                break
        taken.add(cid)
        cell["id"] = cid


def adopt(executed, source) -> None:
    """Outputs of a papermill execution of *source*'s current code (e.g. the ensemble's default
    environment) put into *source*: the injected-parameters and probe cells dropped, stream
    messages joined as a kernel run leaves them, execution counts renumbered."""
    skip = {"injected-parameters", "kitlib-harness-probe"}
    cells = [c for c in executed.cells if c.cell_type == "code" and not skip & set(c.metadata.get("tags", []))]
    code = [c for c in source.cells if c.cell_type == "code"]
    if [without_solution_header(c.source) for c in cells] != [without_solution_header(c.source) for c in code]:
        raise SystemExit("the execution ran other code than the notebook holds now: run it again")
    count = 0
    for mine, run in zip(code, cells):
        merged = []
        for out in run.outputs:
            if out.output_type == "stream" and merged and merged[-1].output_type == "stream" \
                    and merged[-1].name == out.name:
                merged[-1].text += out.text
            else:
                merged.append(out)
        mine.outputs = merged
        count += 1 if run.execution_count is not None else 0
        mine.execution_count = count if run.execution_count is not None else None
        for out in mine.outputs:
            if "execution_count" in out:
                out.execution_count = mine.execution_count


def select(prefixes: list[str]) -> list[Path]:
    paths = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    if prefixes:
        paths = [p for p in paths if any(p.name.startswith(x) for x in prefixes)]
        if not paths:
            sys.exit(f"no notebook matches {prefixes}")
    return paths


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("prefixes", nargs="*")
    ap.add_argument("--clean-only", action="store_true")
    ap.add_argument("--timeout", type=int, default=1800)
    ap.add_argument("--from", dest="source", type=Path,
                    help="take outputs from papermill executions in this folder instead of executing")
    args = ap.parse_args()
    from nbclient import NotebookClient

    os.environ.setdefault("KITLIB_WORK_DIR", str(ROOT / "build" / "refresh" / "work"))
    os.environ.setdefault("KITLIB_HEADLESS", "1")  # committed outputs: one static figure per live plot
    for path in select(args.prefixes):
        nb = nbformat.read(path, as_version=4)
        module = module_for(path)
        synced = sync_exercise_cells(nb, module) if module else []
        if synced:
            print(f"{path.name}: exercise cells written from kitlib/exercises/{module}.py: {', '.join(synced)}")
        if args.source:
            adopt(nbformat.read(args.source / path.name, as_version=4), nb)
            print(f"{path.name}: outputs adopted from {args.source}")
        elif not args.clean_only:
            t0 = time.perf_counter()
            NotebookClient(nb, timeout=args.timeout, kernel_name="python3",
                           resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()
            print(f"{path.name}: executed in {time.perf_counter() - t0:.1f} s")
        clean(nb)
        nbformat.validate(nb)
        nbformat.write(nb, path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
