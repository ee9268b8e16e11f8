"""Real-browser checks: JupyterLab on 127.0.0.1 driven by Playwright in Debian's chromium."""

from __future__ import annotations

import json
import math
import time

import pytest

import lab
import nbharness as H

pytestmark = pytest.mark.browser
PANEL = ".jp-NotebookPanel:not(.lm-mod-hidden)"


def test_00_run_all_then_move_the_slider_changes_the_plot(lab_server, page):
    lab.open_notebook(page, lab_server, "notebooks/00_start_here.ipynb")
    lab.restart_and_run_all(page, timeout=300)
    assert lab.errors_in_outputs(page) == []
    scope = f"{PANEL} .widget-interact"
    slider = f"{scope} .widget-slider"
    page.locator(scope).scroll_into_view_if_needed()
    page.wait_for_selector(f"{scope} img")
    before = lab.image_sources(page, scope)
    page.screenshot(path=str(lab.ARTIFACTS / "00_before_slider.png"))
    lab.set_slider(page, slider, 7)
    page.wait_for_function(
        "([scope, before]) => { const s = [...document.querySelectorAll(scope + ' img')].map(e => e.src);"
        " return s.length > 0 && s[0] !== before; }", arg=[scope, before[0]], timeout=30_000)
    page.screenshot(path=str(lab.ARTIFACTS / "00_after_slider.png"))
    assert page.inner_text(f"{slider} .widget-readout").strip() == "7"


def test_01_training_panel_slider_and_train_redraw_the_live_plot(lab_server, page):
    lab.open_notebook(page, lab_server, "notebooks/01_end_to_end.ipynb")
    lab.restart_and_run_all(page, timeout=600)
    assert lab.errors_in_outputs(page) == []
    _assert_same_numbers_as_the_nbval_run("01_end_to_end")
    panel = f"{PANEL} .kitlib-training-panel"
    page.locator(panel).scroll_into_view_if_needed()
    page.screenshot(path=str(lab.ARTIFACTS / "01_panel_before.png"))
    before = lab.image_sources(page, panel)

    lab.set_slider(page, f"{panel} .kitlib-learning-rate", "1e-2")
    page.wait_for_function(
        "sel => Math.abs(parseFloat(document.querySelector(sel).textContent) - 0.01) < 1e-9",
        arg=f"{panel} .kitlib-learning-rate .widget-readout", timeout=10_000)
    page.click(f"{panel} .kitlib-train")
    page.wait_for_function("sel => document.querySelector(sel).classList.contains('kitlib-running')",
                           arg=panel, timeout=30_000)
    page.wait_for_function(
        "sel => document.querySelector(sel).textContent.trim().startsWith('done:')",
        arg=f"{panel} .kitlib-status", timeout=300_000)
    after = lab.image_sources(page, panel)
    page.screenshot(path=str(lab.ARTIFACTS / "01_panel_after_train.png"))
    assert after and after != before, "the live plot inside the panel was redrawn"
    assert page.inner_text(f"{panel} .kitlib-status").startswith("done: 2/2 epochs")


def _assert_same_numbers_as_the_nbval_run(name: str):
    """Determinism: a rerun on the same machine (a fresh kernel, same seed) gives the same
    metrics. `make test` runs nbval (full mode, committed notebooks) before this test, so the
    browser's full-mode run of the same notebook is the rerun, and no extra execution is needed.
    Run alone, the browser's numbers are held against the baseline bands instead."""
    first = H.BUILD / "nbval" / "metrics" / f"{name}.json"
    # Every value the notebook records: Run All may still be executing its last cells when
    # the server first reports the kernel idle, so wait for the complete record.
    expected_keys = set(H.flatten(json.loads(first.read_text())["metrics"]) if first.exists()
                        else H.load_baseline("full", name)["metrics"])
    mine = H.BUILD / "browser" / "metrics" / f"{name}.json"
    deadline = time.time() + 600
    while True:
        got = json.loads(mine.read_text()) if mine.exists() else {"metrics": {}}
        if set(H.flatten(got["metrics"])) >= expected_keys or time.time() > deadline:
            break
        time.sleep(2)
    assert got.get("mode") == "full" and got["metrics"], f"{mine} was not written: {got}"
    if not first.exists():
        assert H.compare(H.load_baseline("full", name), got["metrics"], "full", where=name) == []
        return
    flat_a, flat_b = H.flatten(json.loads(first.read_text())["metrics"]), H.flatten(got["metrics"])
    assert flat_a.keys() == flat_b.keys()
    for key, a in flat_a.items():
        b = flat_b[key]
        # same machine, same threads: identical up to float32 rounding of the logs
        assert math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-7), (key, a, b)


def test_12_tensorboard_frame_loads_from_loopback(lab_server, page):
    """With KITLIB_TENSORBOARD=1 (set for this server), notebook 12 starts TensorBoard on
    127.0.0.1 and `%tensorboard` embeds it: the frame must load TensorBoard itself."""
    lab.open_notebook(page, lab_server, "notebooks/12_tensorboard.ipynb")
    lab.restart_and_run_all(page, timeout=600)
    assert lab.errors_in_outputs(page) == []
    frame_sel = f"{PANEL} iframe[id^='tensorboard-frame-']"
    page.wait_for_selector(frame_sel, timeout=120_000)
    page.locator(frame_sel).scroll_into_view_if_needed()
    src = page.get_attribute(frame_sel, "src")
    assert src.startswith("http://127.0.0.1:") or src.startswith("http://localhost:"), src
    # The frame is another origin (TensorBoard's port): ask Playwright for its document.
    frame = page.frame_locator(frame_sel)
    frame.locator("text=TIME SERIES").first.wait_for(timeout=120_000)
    tb = next(f for f in page.frames if f.url.startswith(src.rstrip("/")))
    assert tb.title() == "TensorBoard"
    frame.locator("text=guide_mlp/train").first.wait_for(timeout=60_000)  # the notebook's run
    page.screenshot(path=str(lab.ARTIFACTS / "12_tensorboard_frame.png"))


@pytest.mark.parametrize("name, module", [("01_end_to_end", "nb01"), ("10_callbacks", "nb10")])
def test_solutions_are_collapsed_when_a_notebook_opens(lab_server, page, name, module):
    """A self-learner on Binder opens the notebook and scrolls to an exercise: the answer cell
    is there to edit, the reference solution under it shows as a collapsed input until
    clicked, so none of its revealing lines can be read."""
    import nbformat

    from kitlib.exercises import exercises, normalise_code
    from kitlib.exercises.build import SOLUTION_TAG, _revealing_lines, without_solution_header

    nb = nbformat.read(H.NOTEBOOK_DIR / f"{name}.ipynb", as_version=4)
    lab.open_notebook(page, lab_server, f"notebooks/{name}.ipynb")
    cells = page.locator(f"{PANEL} .jp-Notebook .jp-Cell")
    assert cells.count() == len(nb.cells)
    for q in exercises(module):
        i = next(i for i, c in enumerate(nb.cells) if SOLUTION_TAG in c.metadata.get("tags", [])
                 and normalise_code(without_solution_header(c.source)) == q.solution_code)
        cell = cells.nth(i)
        cell.scroll_into_view_if_needed()
        assert cell.locator(".jp-InputPlaceholder").is_visible(), f"{q.id}: the solution cell is not collapsed"
        shown = cell.inner_text()
        visible = [line for line in _revealing_lines(q) if line in shown]
        assert not visible, f"{q.id}: the solution shows {visible[:2]} before any click"
        answer = cells.nth(i - 1)  # the answer cell above it stays open for editing
        assert answer.locator(".jp-InputArea-editor").is_visible()
    page.screenshot(path=str(lab.ARTIFACTS / f"{name}_solutions_collapsed.png"))
    lab.shutdown_kernels(lab_server)
