"""Real-browser checks: JupyterLab on 127.0.0.1 driven by Playwright in Debian's chromium."""

from __future__ import annotations

import pytest

import lab

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
