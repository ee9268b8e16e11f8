"""What the committed notebooks show a learner before anything runs (issue 13): no path of
the machine that executed them, and no claim line that ticks a False or a None."""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import pytest

_ROOT = Path(__file__).resolve().parents[2] / "notebooks"
# the English notebooks and their Korean and Thai editions
NOTEBOOKS = sorted(p for folder in (_ROOT, _ROOT / "ko", _ROOT / "th") for p in folder.glob("[0-9][0-9]_*.ipynb"))
_IDS = [p.name[:2] if p.parent == _ROOT else f"{p.parent.name}-{p.name[:2]}" for p in NOTEBOOKS]

# An absolute path: "/" after a start, a space, a quote, "(" or "=", then two or more folder names.
# URLs ("https://keras.io/guides/x") and fractions ("32/32") do not match.
ABSOLUTE_PATH = re.compile(r"""(?:^|(?<=[\s'"(=]))(?:/[\w.-]+){2,}/?|[A-Za-z]:\\[\w.\\ -]+""", re.M)
# Where Debian's dataset packages install, the same on every Debian machine and Binder: the
# report names it as a place the kit looks, not as this machine's folder.
SYSTEM_PLACES = ("/usr/share/datasets",)
TICKED_NOTHING = re.compile(r"^✔ .*: (False|None)$", re.M)


def _outputs(path):
    nb = nbformat.read(path, as_version=4)
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            text = out.get("text", "")
            data = out.get("data", {})
            yield i, "".join(text) + "\n" + "\n".join("".join(v) if isinstance(v, list) else
                                                      (v if isinstance(v, str) else json.dumps(v))
                                                      for v in data.values())


def test_the_path_pattern_finds_machine_paths_and_nothing_else():
    found = ABSOLUTE_PATH.findall("data: /work/shared/data/mnist.npz (npz)\nsee https://keras.io/guides/x "
                                  "32/32 - 2s\nfile '/home/me/.venv/lib/site-packages/keras/x.py'\n"
                                  "C:\\Users\\me\\kit\n<kit>/data and …/site-packages/keras")
    assert found == ["/work/shared/data/mnist.npz", "/home/me/.venv/lib/site-packages/keras/x.py",
                     "C:\\Users\\me\\kit"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_IDS)
def test_no_path_of_the_executing_machine_in_committed_outputs(path):
    found = [(i, m) for i, text in _outputs(path) for m in ABSOLUTE_PATH.findall(text)
             if not m.startswith(SYSTEM_PLACES)]
    assert not found, (f"{path.name}: outputs show paths of the machine that ran it: {found[:5]}. "
                       f"tools/refresh_notebooks.py replaces them; avoid printing raw warnings.")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_IDS)
def test_no_claim_ticks_a_false_or_a_none(path):
    found = [(i, m.group(0)) for i, text in _outputs(path) for m in TICKED_NOTHING.finditer(text)]
    assert not found, (f"{path.name}: a tick next to False/None reads as a contradiction; state the "
                       f"evidence as a true statement with its value: {found}")


def test_refresh_replaces_this_machines_folders_in_text_and_html(monkeypatch, tmp_path):
    import sys as _sys
    _sys.path.insert(0, str(_ROOT.parent / "tools"))
    import refresh_notebooks as R
    monkeypatch.setenv("KITLIB_DATA_DIR", str(tmp_path / "datasets"))
    assert R.scrub_paths(f"{tmp_path}/datasets/mnist.npz") == "$KITLIB_DATA_DIR/mnist.npz"
    monkeypatch.delenv("KITLIB_DATA_DIR")
    root = str(R.ROOT)
    out = R.scrub_paths({"text/plain": f"data {root}/data/x.npz", "text/html": f"<td>{root}/work</td>"})
    assert out == {"text/plain": "data <kit>/data/x.npz", "text/html": "<td>&lt;kit&gt;/work</td>"}
    assert R.scrub_paths([f"{R.ROOT.parent}/shared/data"]) == ["<kit>/../shared/data"]
