"""Time from kernel start to the first trained model in 01_end_to_end (smoke mode).

    python bench/bench_startup.py [--runs 5] [--notebook 01_end_to_end]

Starts a fresh kernel per run (nbclient, as JupyterLab or papermill would), executes the
notebook in smoke mode with per-cell timing, and reports the time from the moment the
kernel is asked to start until the first cell that calls `.fit(` finishes, plus where
that time goes (kernel start, `import kitlib` + setup, data, the fit itself).
"""

from __future__ import annotations

import argparse
import os
import time
from datetime import datetime

import nbformat
from nbclient import NotebookClient

from _common import ROOT, median, save, table

STAGES = ("kernel start", "setup (TensorFlow import, seeding)", "data", "model + compile", "first fit")


def _ts(cell, key):
    return datetime.fromisoformat(cell.metadata["execution"][key].replace("Z", "+00:00")).timestamp()


def one_run(path, workdir) -> dict:
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if "parameters" in cell.metadata.get("tags", []):
            cell.source = "SMOKE = True\nSEED = 42"
    os.environ["KITLIB_WORK_DIR"] = str(workdir)
    client = NotebookClient(nb, kernel_name="python3", timeout=600, record_timing=True,
                            resources={"metadata": {"path": str(ROOT / "notebooks")}})
    t0 = time.time()
    with client.setup_kernel():
        t_kernel = time.time()
        first_fit_end, marks = None, {}
        for i, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            client.execute_cell(cell, i)
            end = _ts(cell, "shell.execute_reply")
            if "kitlib.setup(" in cell.source:
                marks["setup"] = end
            if "kit.mnist()" in cell.source or "guide_data(" in cell.source:
                marks["data"] = end
            if ".compile(" in cell.source:
                marks["compile"] = end
            if ".fit(" in cell.source:
                first_fit_end = end
                break
    if first_fit_end is None:
        raise SystemExit(f"{path.name} has no cell calling .fit(")
    setup = marks.get("setup", t_kernel)
    data = marks.get("data", setup)
    comp = marks.get("compile", data)
    return {"total_s": first_fit_end - t0, "kernel start": t_kernel - t0,
            "setup (TensorFlow import, seeding)": setup - t_kernel, "data": data - setup,
            "model + compile": comp - data, "first fit": first_fit_end - comp}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--notebook", default="01_end_to_end")
    args = ap.parse_args()
    path = ROOT / "notebooks" / f"{args.notebook}.ipynb"
    runs = [one_run(path, ROOT / "build" / "bench" / "startup" / f"run{i}") for i in range(args.runs)]
    rows = [[k, f"{median([r[k] for r in runs]):.2f}"] for k in STAGES]
    rows.append(["kernel start → first model trained", f"{median([r['total_s'] for r in runs]):.2f}"])
    print(table(rows, ["stage", f"median s over {args.runs} runs"]))
    out = save("startup", {"notebook": args.notebook, "runs": runs,
                           "median_total_s": median([r["total_s"] for r in runs]),
                           "median_stages_s": {k: median([r[k] for r in runs]) for k in STAGES}})
    print(f"wrote {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
