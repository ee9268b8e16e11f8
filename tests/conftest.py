"""Shared pytest options for the kit's tests, and the notebook execution report.

Each notebook test writes build/reports/runs/<mode>/<notebook>.json (xdist workers
included); the controller merges them into build/reports/notebooks-<mode>.{json,csv},
and prints a table. Baselines are written by tools/ensemble.py (`make baselines`), never here.
These hooks live here, not in tests/notebooks/, because an xdist controller only loads
the conftest files of the paths it was given.
"""

from __future__ import annotations

import csv
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import nbharness as H  # noqa: E402


def pytest_addoption(parser):
    group = parser.getgroup("kitlib")
    group.addoption("--mode", choices=("smoke", "full"), default="smoke",
                    help="notebook execution mode: smoke (tiny data, CI) or full (guide settings, GPU runners)")


def pytest_configure(config):
    # Tests never reach the network: the data must come from local copies.
    os.environ.setdefault("KITLIB_OFFLINE", "1")


RUNS = H.BUILD / "reports" / "runs"


def pytest_sessionstart(session):
    if hasattr(session.config, "workerinput"):
        return
    mode = session.config.getoption("--mode")
    d = RUNS / mode
    if d.exists():
        for f in d.glob("*.json"):
            f.unlink()  # stale results of an earlier session (build output, ours)


def _rows(mode: str) -> list[dict]:
    d = RUNS / mode
    return [json.loads(f.read_text()) for f in sorted(d.glob("*.json"))] if d.exists() else []


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if hasattr(config, "workerinput"):
        return
    mode = config.getoption("--mode")
    rows = _rows(mode)
    if not rows:
        return
    out = H.BUILD / "reports" / f"notebooks-{mode}"
    H.write_json(out.with_suffix(".json"), {"mode": mode, "notebooks": rows})
    with open(out.with_suffix(".csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["notebook", "mode", "wall_s", "peak_rss_mb"])
        for r in rows:
            w.writerow([r["notebook"], r["mode"], r["wall_s"], r["peak_rss_mb"]])
    tr = terminalreporter
    tr.section(f"notebooks ({mode} mode)")
    for r in rows:
        tr.write_line(f"{r['notebook']:<28} {r['wall_s']:>7.1f} s  {r['peak_rss_mb']:>7.0f} MB peak RSS"
                      + (f"  (ran twice: {r['retried']})" if r.get("retried") else ""))
    tr.write_line(f"{'sum of wall times':<28} {sum(r['wall_s'] for r in rows):>7.1f} s   "
                  f"(report: {out.with_suffix('.json').relative_to(H.ROOT)})")
