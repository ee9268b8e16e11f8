"""tests/nbval_sanitize.cfg masks what differs between machines, and nothing a learner reads as text.

The rules are applied as nbval applies them (tools/ensemble.py reads them with nbval's own
parser); `output_differences` is the check `tools/ensemble.py outputs` runs over the ensemble.
"""

from __future__ import annotations

import re
import sys

import nbformat
import pytest

import nbharness as H

sys.path.insert(0, str(H.ROOT / "tools"))
import ensemble as E  # noqa: E402

PATTERNS = E.sanitize_patterns()


def clean(text: str) -> str:
    for regex, replace in PATTERNS:
        text = re.sub(regex, replace, text)
    return text


FIT = ("Epoch 1/3\n782/782 - 3s - 3ms/step - loss: 0.3502 - learning_rate: 0.0010\n"
       "Epoch 2/3\n{msg2}782/782 - 2s - 3ms/step - loss: 0.1634 - learning_rate: {lr2}\n"
       "Epoch 3/3\n{msg3}782/782 - 2s - 2ms/step - loss: 0.1181 - learning_rate: {lr3}\n")
REDUCE = "\nEpoch {n}: ReduceLROnPlateau reducing learning rate to 0.0005000000237487257.\n"


@pytest.mark.parametrize("a, b", [
    ("Epoch 6: early stopping", "Epoch 7: early stopping"),
    ("Restoring model weights from the end of the best epoch: 4.", "Restoring model weights from the end of the best epoch: 5."),
    ("epochs run: 6, stopped_epoch: 5, best_epoch: 3", "epochs run: 7, stopped_epoch: 6, best_epoch: 4"),
    ("✔ best_epoch + patience = stopped_epoch: 5", "✔ best_epoch + patience = stopped_epoch: 6"),
    ("fixed metric:   9,609   NumPy correct count:  9,609", "fixed metric:   9,608   NumPy correct count:  9,608"),
    ("✔ the counts agree: 70,920", "✔ the counts agree: 70,912"),
    ("✔ the logged losses: [0.204, 0.1474, 0.1377]", "✔ the logged losses: [0.204, 0.1474, 0.1377, 0.1233]"),
    ("val_loss 0.1271; at best_epoch 0.1271", "val_loss 0.1324; at best_epoch 0.1324"),
    ("val_loss per epoch [0.204  0.1474 0.1377]", "val_loss per epoch [0.2040 0.1474 0.13  ]"),
    ("learning_rate: 5.0000e-04", "learning_rate: 2.5000e-04"),
    # the epoch where ReduceLROnPlateau fires moves; the rest of the fit's log is still compared
    (FIT.format(msg2="", lr2="0.0010", msg3=REDUCE.format(n=3), lr3="0.0010"),
     FIT.format(msg2=REDUCE.format(n=2), lr2="0.0010", msg3="", lr3="5.0000e-04")),
])
def test_machine_dependent_values_are_masked(a, b):
    assert clean(a) == clean(b)


@pytest.mark.parametrize("a, b", [
    ("✔ correct · Exercise 10.1", "✘ incorrect · Exercise 10.1"),
    ("Epoch 6: early stopping", "Epoch 6: stopped for another reason"),
    ("compile(optimizer=SGD(learning_rate=0.1))", "compile(optimizer=SGD(learning_rate=0.2))"),
    ("batches per epoch: 782", "batches per epoch: 781"),
    ("raises ValueError: Expected keys", "raises KeyError: Expected keys"),
    (FIT.format(msg2="", lr2="0.0010", msg3="", lr3="0.0010"),
     FIT.format(msg2="", lr2="0.0010", msg3="", lr3="0.0010").replace("Epoch 3/3\n", "")),
])
def test_text_that_means_something_is_still_compared(a, b):
    assert clean(a) != clean(b)


def _nb(*outputs):
    nb = nbformat.v4.new_notebook()
    for i, out in enumerate(outputs):
        cell = nbformat.v4.new_code_cell(f"print({i})")
        cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=t) for t in out]
        nb.cells.append(cell)
    return nb


def test_output_differences_is_what_nbval_would_report(tmp_path):
    committed = tmp_path / "committed.ipynb"
    nbformat.write(_nb(["fixed metric: 9,609\n"], ["✔ correct\n"], ["Epoch 6: early stopping\n"]), committed)

    same = tmp_path / "same.ipynb"  # other digits, and streams split as papermill leaves them
    nbformat.write(_nb(["fixed metric: ", "9,608\n"], ["✔ correct\n"], ["Epoch 5: early stopping\n"]), same)
    assert E.output_differences(committed, same, PATTERNS) == []

    changed = tmp_path / "changed.ipynb"
    nbformat.write(_nb(["fixed metric: 9,609\n"], ["✘ incorrect\n"], []), changed)
    diffs = E.output_differences(committed, changed, PATTERNS)
    assert [d.split(":")[0] for d in diffs] == ["cell 1", "cell 2"]
    assert "incorrect" in diffs[0]
