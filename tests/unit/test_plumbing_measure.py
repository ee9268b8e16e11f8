"""tools/plumbing.py counts the kit's machinery in a notebook's lesson code (issue 13)."""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))
import plumbing  # noqa: E402


def test_plumbing_is_counted_by_statement_and_exercises_are_left_out(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("SMOKE = False", metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell("try:\n    import kitlib\nexcept ModuleNotFoundError:\n    raise\n"
                                  "kit = kitlib.setup('x', smoke=SMOKE)"),
        nbformat.v4.new_code_cell("# the guide's code\nmodel.fit(x, y,\n          epochs=2)\n\n"
                                  "kit.claim('a fact',\n          1, 1)\nkit.record(a=1)"),
        nbformat.v4.new_markdown_cell("## Exercises"),
        nbformat.v4.new_code_cell("kit.claim('not counted', 1, 1)"),
    ]
    path = tmp_path / "99_x.ipynb"
    nbformat.write(nb, path)
    got = plumbing.measure(path, verbose=True)
    assert (got["lesson_lines"], got["plumbing_lines"]) == (10, 8)
    assert got["lines"] == ["try:", "    import kitlib", "except ModuleNotFoundError:", "    raise",
                            "kit = kitlib.setup('x', smoke=SMOKE)", "kit.claim('a fact',",
                            "          1, 1)", "kit.record(a=1)"]
