"""Re-execute notebooks in place (full mode, as committed) and tidy their metadata.

    python tools/refresh_notebooks.py                # every notebook
    python tools/refresh_notebooks.py 01 03          # by number prefix
    python tools/refresh_notebooks.py --clean-only   # only normalize metadata

The committed outputs are what a learner sees before running anything, and what nbval
compares against in `make test`, so refresh after changing a notebook or kitlib.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
KEEP_CELL_METADATA = {"tags"}


def clean(nb) -> None:
    """Kernel name python3, no execution timings or widget state; tags are kept."""
    nb.metadata = nbformat.from_dict({
        "kernelspec": KERNELSPEC,
        "language_info": {"name": "python", "pygments_lexer": "ipython3"},
    })
    for cell in nb.cells:
        cell.metadata = nbformat.from_dict({k: v for k, v in cell.metadata.items() if k in KEEP_CELL_METADATA})
        cell.pop("id", None)
    nb.nbformat, nb.nbformat_minor = 4, 5
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"c{i:03d}"


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
    args = ap.parse_args()
    from nbclient import NotebookClient

    os.environ.setdefault("KITLIB_WORK_DIR", str(ROOT / "build" / "refresh" / "work"))
    os.environ.setdefault("KITLIB_HEADLESS", "1")  # committed outputs: one static figure per live plot
    for path in select(args.prefixes):
        nb = nbformat.read(path, as_version=4)
        if not args.clean_only:
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
