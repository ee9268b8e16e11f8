"""The guide's first example, plain Keras vs with the kit's helpers, side by side.

    python bench/bench_guide_replay.py [--reps 5] [--epochs 2]

Both variants run the same training (the guide's MLP on MNIST, batch 64, 2 epochs with
validation, evaluate, predict) in a fresh Jupyter kernel each, interleaved, `--reps` times:

- plain: numpy + keras only (np.load, the guide's preprocessing, set_random_seed and op
  determinism, `fit(verbose=0)`);
- kit:   `kitlib.setup()` (seeding, determinism, quiet logs, work dir), `kit.mnist()`
  (search + array verification + one-allocation preprocessing) and a live `LivePlot()`
  redrawing in the notebook while it trains.

It also times `notebooks/01_end_to_end.ipynb` itself in full mode (its extra cells teach:
plots, the metrics_names demo, exercises) and reports the time of its training cells
against the plain run's. Medians, per stage, and the overhead of the kit's helpers as a
share of the plain run. Writes build/bench/guide_replay.json.
"""

from __future__ import annotations

import argparse
import os
import time
from datetime import datetime

import nbformat
from nbclient import NotebookClient

from _common import ROOT, median, save, table

STAGES = ("setup", "data", "model", "fit", "evaluate+predict")


def _cells(variant: str, data_path: str, epochs: int) -> list[tuple[str, str]]:
    model = '''\
import keras
from keras import layers
inputs = keras.Input(shape=(784,), name="digits")
x = layers.Dense(64, activation="relu", name="dense_1")(inputs)
x = layers.Dense(64, activation="relu", name="dense_2")(x)
outputs = layers.Dense(10, activation="softmax", name="predictions")(x)
model = keras.Model(inputs=inputs, outputs=outputs)
model.compile(optimizer=keras.optimizers.RMSprop(learning_rate=1e-3),
              loss=keras.losses.SparseCategoricalCrossentropy(),
              metrics=[keras.metrics.SparseCategoricalAccuracy()])'''
    tail = [("evaluate+predict", ("results = model.evaluate(x_test, y_test, batch_size=128, verbose=0, return_dict=True)\n"
                                 "probabilities = model.predict(x_test[:5], verbose=0)"))]
    if variant == "plain":
        return [
            ("setup", ("import numpy as np, keras, tensorflow as tf\n"
                      "keras.utils.set_random_seed(42)\ntf.config.experimental.enable_op_determinism()")),
            ("data", (f"with np.load({data_path!r}) as f:\n"
                     "    x_train, y_train, x_test, y_test = f['x_train'], f['y_train'], f['x_test'], f['y_test']\n"
                     "x_train = x_train.reshape(60000, 784).astype('float32') / 255\n"
                     "x_test = x_test.reshape(10000, 784).astype('float32') / 255\n"
                     "y_train, y_test = y_train.astype('float32'), y_test.astype('float32')\n"
                     "x_val, y_val = x_train[-10000:], y_train[-10000:]\n"
                     "x_train, y_train = x_train[:-10000], y_train[:-10000]")),
            ("model", model),
            ("fit", (f"history = model.fit(x_train, y_train, batch_size=64, epochs={epochs}, "
                    "validation_data=(x_val, y_val), verbose=0)")),
            *tail,
        ]
    return [
        ("setup", "import kitlib\nkit = kitlib.setup('bench_replay', smoke=False, seed=42, show=False)"),
        ("data", "x_train, y_train, x_val, y_val, x_test, y_test = kit.mnist()"),
        ("model", model),
        ("fit", ("from kitlib.live import LivePlot\n"
                f"history = model.fit(x_train, y_train, batch_size=64, epochs={epochs}, "
                "validation_data=(x_val, y_val), verbose=0, callbacks=[LivePlot()])")),
        *tail,
    ]


def _stamp(cell, key):
    return datetime.fromisoformat(cell.metadata["execution"][key].replace("Z", "+00:00")).timestamp()


def _run(nb, path_dir) -> tuple[float, list]:
    client = NotebookClient(nb, kernel_name="python3", timeout=1800, record_timing=True,
                            resources={"metadata": {"path": str(path_dir)}})
    t0 = time.time()
    client.execute()
    return time.time() - t0, nb.cells


def run_variant(variant: str, data_path: str, epochs: int) -> dict:
    stages = _cells(variant, data_path, epochs)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(src) for _, src in stages])
    total, cells = _run(nb, ROOT / "build" / "bench")
    out = {"total_s": total}
    for (name, _), cell in zip(stages, cells):
        out[name] = _stamp(cell, "shell.execute_reply") - _stamp(cell, "iopub.status.busy")
    return out


def run_notebook_01() -> dict:
    nb = nbformat.read(ROOT / "notebooks" / "01_end_to_end.ipynb", as_version=4)
    total, cells = _run(nb, ROOT / "notebooks")
    fit = sum(_stamp(c, "shell.execute_reply") - _stamp(c, "iopub.status.busy")
              for c in cells if c.cell_type == "code" and "model.fit(" in c.source
              and "solution" not in c.metadata.get("tags", []))
    return {"total_s": total, "fit_cells_s": fit}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--skip-notebook", action="store_true", help="do not time notebooks/01 itself")
    args = ap.parse_args()
    os.environ.setdefault("KITLIB_WORK_DIR", str(ROOT / "build" / "bench" / "work"))
    os.environ["KITLIB_HEADLESS"] = "0"  # the live plot really draws, as for a learner
    import kitlib.data
    kitlib.data.load_data("mnist")
    src = kitlib.data.last_source("mnist")
    if src.fmt != "npz":
        raise SystemExit("the plain variant reads an mnist.npz; point KITLIB_DATA_DIR at one")
    runs = {"plain": [], "kit": [], "notebook_01": []}
    for rep in range(args.reps):
        for variant in (("plain", "kit") if rep % 2 == 0 else ("kit", "plain")):
            runs[variant].append(run_variant(variant, str(src.path), args.epochs))
        if not args.skip_notebook:
            runs["notebook_01"].append(run_notebook_01())
        print(f"rep {rep + 1}/{args.reps}: plain {runs['plain'][-1]['total_s']:.1f} s, "
              f"kit {runs['kit'][-1]['total_s']:.1f} s", flush=True)
    med = {v: {k: median([r[k] for r in runs[v]]) for k in ("total_s", *STAGES)} for v in ("plain", "kit")}
    rows = [[k, f"{med['plain'][k]:.2f}", f"{med['kit'][k]:.2f}", f"{med['kit'][k] - med['plain'][k]:+.2f}"]
            for k in (*STAGES, "total_s")]
    print(table(rows, ["stage (median s)", "plain keras", "with kitlib", "difference"]))
    overhead = (med["kit"]["total_s"] - med["plain"]["total_s"]) / med["plain"]["total_s"] * 100
    print(f"\nkit helpers (setup + data + live plot) vs plain: {overhead:+.1f} % of the plain run")
    result = {"reps": args.reps, "epochs": args.epochs, "runs": runs, "median": med, "helper_overhead_pct": overhead}
    if runs["notebook_01"]:
        nb_fit = median([r["fit_cells_s"] for r in runs["notebook_01"]])
        nb_total = median([r["total_s"] for r in runs["notebook_01"]])
        print(f"notebooks/01 full mode: {nb_total:.1f} s in all; its fit cells {nb_fit:.2f} s "
              f"vs the plain fit {med['plain']['fit']:.2f} s ({(nb_fit / med['plain']['fit'] - 1) * 100:+.1f} %)")
        result.update(notebook_01_total_s=nb_total, notebook_01_fit_s=nb_fit)
    out = save("guide_replay", result)
    print(f"wrote {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
