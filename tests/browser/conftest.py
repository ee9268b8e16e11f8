"""A JupyterLab server on 127.0.0.1 (with a token) and a Playwright page in Debian's chromium.

Playwright cannot download its own browser here, so it drives /usr/bin/chromium
(`executable_path`); .ci/run installs it with apt-get. Screenshots go to build/artifacts/.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

import nbharness as H

sys.path.insert(0, str(Path(__file__).resolve().parent))

CHROMIUM = os.environ.get("KITLIB_CHROMIUM", "/usr/bin/chromium")
from lab import ARTIFACTS  # noqa: E402
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def lab_server(tmp_path_factory):
    port, token = _free_port(), secrets.token_hex(16)
    log = open(tmp_path_factory.mktemp("lab") / "jupyterlab.log", "w")
    metrics = H.BUILD / "browser" / "metrics"
    if metrics.exists():
        shutil.rmtree(metrics)  # our own output of an earlier run, under build/
    env = dict(os.environ, KITLIB_WORK_DIR=str(H.BUILD / "browser" / "work"), KITLIB_HEADLESS="0",
               KITLIB_METRICS_DIR=str(metrics),  # kit.record() of the notebooks run in the browser
               KITLIB_TENSORBOARD="1",  # notebook 12 starts its TensorBoard servers (127.0.0.1)
               JUPYTER_CONFIG_DIR=str(tmp_path_factory.mktemp("jupyter-config")))
    root_flag = ["--allow-root"] if os.geteuid() == 0 else []
    # Render every cell (no windowing), so outputs far from the viewport exist in the DOM.
    settings = tmp_path_factory.mktemp("lab-user-settings")
    tracker = settings / "@jupyterlab" / "notebook-extension" / "tracker.jupyterlab-settings"
    tracker.parent.mkdir(parents=True)
    tracker.write_text('{"windowingMode": "none", "autoStartDefaultKernel": true}')
    docmanager = settings / "@jupyterlab" / "docmanager-extension" / "plugin.jupyterlab-settings"
    docmanager.parent.mkdir(parents=True)
    docmanager.write_text('{"autosave": false}')
    # Serve copies: running a notebook in the browser must never rewrite the committed ones.
    served = H.BUILD / "browser" / "served"
    if served.exists():
        shutil.rmtree(served)  # our own copy from an earlier run, under build/
    shutil.copytree(H.NOTEBOOK_DIR, served / "notebooks",
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints", "work"))
    # Without their committed execution counts, the copies can only look run (counts 1..N)
    # after Run All has really run them: no race with JupyterLab queueing the cells.
    import nbformat
    for nb_path in (served / "notebooks").glob("*.ipynb"):
        nb = nbformat.read(nb_path, as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "code":
                cell.execution_count = None
                cell.outputs = []
        nbformat.write(nb, nb_path)
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", *root_flag, "--no-browser", "--ip=127.0.0.1", f"--port={port}",
         f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={served}",
         f"--LabApp.user_settings_dir={settings}",
         "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"],
        stdout=log, stderr=subprocess.STDOUT, env=env)
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while True:
        try:
            with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2) as r:
                if r.status == 200:
                    break
        except OSError:
            pass
        if proc.poll() is not None or time.time() > deadline:
            proc.kill()
            raise RuntimeError(f"JupyterLab did not start; see {log.name}")
        time.sleep(0.5)
    yield {"base": base, "token": token, "port": port}
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} missing: apt-get install chromium (see .ci/run)"
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    setattr(item, f"rep_{rep.when}", rep)


@pytest.fixture
def page(browser, lab_server, request):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    pg = context.new_page()
    pg.set_default_timeout(60_000)
    yield pg
    rep = getattr(request.node, "rep_call", None)
    if rep is not None and rep.failed:  # keep what the browser showed when it failed
        pg.screenshot(path=str(ARTIFACTS / f"FAILED-{request.node.name}.png"), full_page=True)
    context.close()
    import lab
    lab.shutdown_kernels(lab_server)  # each test starts from one kernel, not the last test's too
