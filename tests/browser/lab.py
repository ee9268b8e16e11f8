"""Small helpers to drive JupyterLab 4 with Playwright."""

from __future__ import annotations

import json
import time
import urllib.request

import nbharness as H

ARTIFACTS = H.BUILD / "artifacts"


def open_notebook(page, server, path: str) -> None:
    page.goto(f"{server['base']}/lab/tree/{path}?token={server['token']}&reset")
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=90_000)
    page._kitlib = {"server": server, "path": path}  # for the kernel-state checks below
    wait_kernel_idle(page, timeout=90)


def api(server, route: str, method: str = "GET"):
    req = urllib.request.Request(f"{server['base']}/api/{route}", method=method,
                                 headers={"Authorization": f"token {server['token']}"})
    with urllib.request.urlopen(req, timeout=10) as r:
        body = r.read()
    return json.loads(body) if body else None


def kernel_state(server, path: str) -> str | None:
    """The server's view of the notebook's kernel: 'idle', 'busy', 'starting', 'dead'…"""
    for s in api(server, "sessions"):
        if s.get("path") == path and s.get("kernel"):
            return s["kernel"].get("execution_state")
    return None


def shutdown_kernels(server) -> None:
    """Free each notebook's kernel (about 1 GB each once TensorFlow is imported)."""
    for k in api(server, "kernels"):
        api(server, f"kernels/{k['id']}", method="DELETE")


def wait_kernel_idle(page, timeout: float = 120, settle: float = 2.0) -> None:
    """Wait until the Jupyter server reports the notebook's kernel idle for `settle` seconds.

    The server's execution_state is used, not the toolbar's execution indicator: the
    indicator is a frontend heuristic (it groups cells scheduled close together) and was
    seen stuck on 'busy' after a complete run. A dead kernel fails at once.
    """
    server, path = page._kitlib["server"], page._kitlib["path"]
    deadline = time.time() + timeout
    idle_since = None
    state = None
    while time.time() < deadline:
        state = kernel_state(server, path)
        if state == "dead":
            raise AssertionError(f"the kernel of {path} died (out of memory?)")
        if state == "idle":
            idle_since = idle_since or time.time()
            if time.time() - idle_since >= settle:
                return
        else:
            idle_since = None
        page.wait_for_timeout(250)
    raise AssertionError(f"the kernel of {path} was not idle after {timeout:.0f} s (last state: {state})")


def restart_and_run_all(page, timeout: float = 600) -> None:
    """Kernel ▸ Restart Kernel and Run All Cells…, confirm, and wait for a complete fresh run.

    Done means: every code cell whose input is shown has an execution count, none shows [*],
    the counts differ, and the highest is N for the N code cells: the last cell ran after
    all the others (the served copies carry no counts, so old ones cannot pass for a new
    run). A collapsed cell (a reference solution) shows no prompt at all, so the counts
    seen are 1..N with its numbers missing.
    """
    page.click(".lm-MenuBar-itemLabel:text-is('Kernel')")
    page.click(".lm-Menu-itemLabel:text-is('Restart Kernel and Run All Cells…')")
    page.click(".jp-Dialog-button.jp-mod-accept")
    handle = page.wait_for_function(
        r"""() => {
            const panel = '.jp-NotebookPanel:not(.lm-mod-hidden)';
            const failed = [...document.querySelectorAll(
                panel + " .jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")]
                .map(e => e.textContent).find(t => /Traceback/.test(t));
            if (failed) return 'error: ' + failed.slice(-800);  // Run All stops at an error
            const cells = document.querySelectorAll(panel + ' .jp-CodeCell').length;
            const prompts = [...document.querySelectorAll(panel + ' .jp-CodeCell .jp-InputArea-prompt')];
            if (!prompts.length) return false;
            const counts = prompts.map(p => (p.textContent.match(/\[(\d+)\]/) || [])[1]);
            if (counts.some(c => c === undefined)) return false;
            const sorted = counts.map(Number).sort((a, b) => a - b);
            const distinct = sorted.every((c, i) => i === 0 || c > sorted[i - 1]);
            return distinct && sorted[0] >= 1 && sorted[sorted.length - 1] === cells ? 'done' : false;
        }""", timeout=timeout * 1000, polling=500)
    outcome = handle.json_value()
    if outcome != "done":
        page.screenshot(path=str(ARTIFACTS / "FAILED-run-all.png"), full_page=True)
        raise AssertionError(f"Run All stopped at a cell that raised:\n{outcome}")
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
