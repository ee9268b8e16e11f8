"""tools/refresh_notebooks.py keeps cell ids: they key the translation catalogs (issue 16)."""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))
import refresh_notebooks as R  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


def _nb(*ids):
    nb = nbformat.v4.new_notebook()
    for i, cid in enumerate(ids):
        cell = nbformat.v4.new_markdown_cell(f"cell {i}")
        if cid is None:
            cell.pop("id", None)
        else:
            cell["id"] = cid
        nb.cells.append(cell)
    return nb


def test_existing_ids_survive_an_inserted_cell():
    nb = _nb("c000", "c001", "c002")
    nb.cells.insert(1, nbformat.v4.new_code_cell("x = 1"))  # JupyterLab gives it a random id
    nb.cells[1].pop("id")                                     # ... or an older tool none at all
    R.clean(nb)
    ids = [c["id"] for c in nb.cells]
    assert ids[0] == "c000" and ids[2:] == ["c001", "c002"]
    assert ids[1] not in {"c000", "c001", "c002"} and R._CELL_ID.match(ids[1])
    nbformat.validate(nb)


def test_moved_and_removed_cells_keep_their_ids():
    nb = _nb("intro", "c001", "c002", "c003")
    nb.cells = [nb.cells[3], nb.cells[0], nb.cells[2]]
    R.clean(nb)
    assert [c["id"] for c in nb.cells] == ["c003", "intro", "c002"]


def test_duplicate_and_invalid_ids_are_replaced_by_unique_ones():
    nb = _nb("c000", "c000", "bad id!", None, "")
    R.clean(nb)
    ids = [c["id"] for c in nb.cells]
    assert ids[0] == "c000"
    assert len(set(ids)) == len(ids), ids
    assert all(R._CELL_ID.match(i) for i in ids)
    nbformat.validate(nb)


def test_cleaning_twice_changes_nothing():
    nb = _nb("c000", None, "c002")
    R.clean(nb)
    first = [c["id"] for c in nb.cells]
    R.clean(nb)
    assert [c["id"] for c in nb.cells] == first


def test_committed_notebooks_keep_their_ids_when_cleaned():
    for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        before = [c["id"] for c in nb.cells]
        R.clean(nb)
        assert [c["id"] for c in nb.cells] == before, path.name
