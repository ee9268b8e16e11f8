"""Small helpers to drive JupyterLab 4 with Playwright."""

from __future__ import annotations

import time

import nbharness as H

ARTIFACTS = H.BUILD / "artifacts"


def open_notebook(page, server, path: str) -> None:
    page.goto(f"{server['base']}/lab/tree/{path}?token={server['token']}&reset")
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=90_000)
    wait_kernel_idle(page, timeout=90)


def wait_kernel_idle(page, timeout: float = 120) -> None:
    """Wait until the notebook's kernel reports idle (toolbar execution indicator)."""
    page.wait_for_function(
        """() => {
            const el = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook-ExecutionIndicator');
            return el && el.getAttribute('data-status') === 'idle';
        }""", timeout=timeout * 1000)


def restart_and_run_all(page, timeout: float = 600) -> None:
    """Kernel ▸ Restart Kernel and Run All Cells…, confirm, and wait for a complete fresh run.

    Done means: every code cell shows an execution count, none shows [*], and the counts are
    exactly 1..N for the N code cells (so committed outputs cannot pass for a new run).
    """
    page.click(".lm-MenuBar-itemLabel:text-is('Kernel')")
    page.click(".lm-Menu-itemLabel:text-is('Restart Kernel and Run All Cells…')")
    page.click(".jp-Dialog-button.jp-mod-accept")
    page.wait_for_function(
        r"""() => {
            const prompts = [...document.querySelectorAll(
                '.jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell .jp-InputArea-prompt')];
            if (!prompts.length) return false;
            const counts = prompts.map(p => (p.textContent.match(/\[(\d+)\]/) || [])[1]);
            if (counts.some(c => c === undefined)) return false;
            const sorted = counts.map(Number).sort((a, b) => a - b);
            return sorted.every((c, i) => c === i + 1);
        }""", timeout=timeout * 1000)
    wait_kernel_idle(page, timeout=timeout)


def errors_in_outputs(page) -> list[str]:
    return page.eval_on_selector_all(
        ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']",
        "els => els.map(e => e.textContent).filter(t => /Traceback|Error/.test(t))")


def set_slider(page, slider_selector: str, value) -> None:
    """Type a value into an ipywidgets slider's readout and press Enter (like a learner)."""
    readout = page.locator(f"{slider_selector} .widget-readout").first
    readout.click()
    page.keyboard.press("Control+A")
    page.keyboard.type(str(value))
    page.keyboard.press("Enter")


def image_sources(page, scope: str) -> list[str]:
    return page.eval_on_selector_all(f"{scope} img", "els => els.map(e => e.src)")
