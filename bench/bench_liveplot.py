"""How much does a live training plot slow down fit()? kitlib's LivePlot vs livelossplot.

Three variants of the same fit (the guide's MLP on MNIST, the guide's split, verbose=0):

    plain         model.fit(...)
    kitlib        model.fit(..., callbacks=[kitlib.live.LivePlot()])       (live mode)
    livelossplot  model.fit(..., callbacks=[livelossplot.PlotLossesKeras()])

They run in ONE Jupyter kernel (started here with jupyter_client, like a notebook), so
both plots really render and send their PNGs to a front end: LivePlot through a display
handle (one output updated in place), livelossplot through the inline backend
(clear_output + a new figure each epoch). The variants are interleaved (the order rotates
each repetition) and medians are reported, so background load hits all of them alike.
Each fit builds a fresh seeded model; its wall time includes tracing, as a learner waits
for it. Reported per variant (medians): fit wall and CPU time; the paired overhead
(each run against the plain run of the same repetition, which cancels slow drifts in
background load); and the time spent inside the plot callback's Keras hooks, the
steadiest measure on a busy machine.

    python bench/bench_liveplot.py [--epochs 3] [--reps 5] [--n-train N] [--batch-size 64]

Prints a table and writes build/bench/liveplot.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import queue
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VARIANTS = ("plain", "kitlib", "livelossplot")

SETUP = r"""
%matplotlib inline
import json, os, time
os.environ.pop("KITLIB_HEADLESS", None)   # the bench measures the live mode
import keras, matplotlib.pyplot as plt
from kitlib import data, models, runtime
from kitlib.live import LivePlot
from livelossplot import PlotLossesKeras
runtime.quiet_logs()
_d = data.guide_data(n_train={n_train})

_HOOKS = ("on_train_begin", "on_train_end", "on_epoch_begin", "on_epoch_end",
          "on_train_batch_begin", "on_train_batch_end", "on_test_begin", "on_test_end")

def _self_timed(cb):
    # Time spent inside the hooks the callback overrides (wrapping only those keeps Keras'
    # async batch dispatch decision unchanged: it looks for overridden batch hooks).
    from keras.src.utils.python_utils import is_default
    cb.self_s = 0.0
    for name in _HOOKS:
        method = getattr(cb, name)
        if is_default(method):
            continue
        def timed(*a, _m=method, **kw):
            t = time.perf_counter()
            try:
                return _m(*a, **kw)
            finally:
                cb.self_s += time.perf_counter() - t
        setattr(cb, name, timed)
    return cb

class _EpochTimer(keras.callbacks.Callback):
    # placed last: its on_epoch_end runs after the plot's
    def on_train_begin(self, logs=None):
        self.times = []
    def on_epoch_begin(self, epoch, logs=None):
        self._t = time.perf_counter()
    def on_epoch_end(self, epoch, logs=None):
        self.times.append(time.perf_counter() - self._t)

def _bench(variant, epochs, batch_size):
    keras.backend.clear_session()
    runtime.seed_everything(42)
    model = models.get_compiled_model()
    plot = {{"plain": None, "kitlib": LivePlot, "livelossplot": PlotLossesKeras}}[variant]
    plot = _self_timed(plot()) if plot else None
    timer = _EpochTimer()
    figs = plt.get_fignums()
    c0, t0 = time.process_time(), time.perf_counter()
    h = model.fit(_d.x_train, _d.y_train, batch_size=batch_size, epochs=epochs,
                  validation_data=(_d.x_val, _d.y_val), verbose=0,
                  callbacks=([plot] if plot else []) + [timer])
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    row = {{"variant": variant, "wall_s": wall, "cpu_s": cpu, "epoch_s": timer.times,
           "callback_s": plot.self_s if plot else 0.0,
           "val_loss": h.history["val_loss"][-1], "pyplot_figures_left": len(plt.get_fignums()) - len(figs)}}
    if variant == "kitlib":
        row.update(frames=plot.draws, full_frames=plot.full_draws, draw_s=plot.draw_seconds,
                   headless=plot.headless)
    print("BENCH " + json.dumps(row))
"""


class Kernel:
    def __init__(self):
        from jupyter_client.manager import start_new_kernel
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join([str(ROOT)] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p])
        env.pop("KITLIB_HEADLESS", None)
        self.km, self.kc = start_new_kernel(kernel_name="python3", startup_timeout=180, env=env, cwd=str(ROOT))

    def run(self, code: str, timeout: float = 1800) -> tuple[str, list[dict]]:
        msg_id = self.kc.execute(code)
        out, msgs = [], []
        deadline = time.monotonic() + timeout
        while True:
            try:
                msg = self.kc.get_iopub_msg(timeout=max(1.0, deadline - time.monotonic()))
            except queue.Empty:
                raise TimeoutError("the kernel did not finish in time") from None
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            kind = msg["msg_type"]
            if kind == "status" and msg["content"]["execution_state"] == "idle":
                break
            if kind == "error":
                raise RuntimeError("\n".join(msg["content"]["traceback"]))
            if kind == "stream" and msg["content"]["name"] == "stdout":
                out.append(msg["content"]["text"])
            msgs.append(msg)
        self.kc.get_shell_msg(timeout=60)
        return "".join(out), msgs

    def close(self):
        self.kc.stop_channels()
        self.km.shutdown_kernel(now=True)


def display_stats(msgs: list[dict]) -> dict:
    """What the front end received: PNG outputs shown, updated in place, cleared; bytes of PNG."""
    import base64
    shown = [m for m in msgs if m["msg_type"] == "display_data"]
    updates = [m for m in msgs if m["msg_type"] == "update_display_data"]
    pngs = [m["content"]["data"]["image/png"] for m in shown + updates if "image/png" in m["content"]["data"]]
    return {"png_outputs": len(shown), "png_updates": len(updates),
            "clear_outputs": sum(m["msg_type"] == "clear_output" for m in msgs),
            "png_kb": round(sum(len(base64.b64decode(p)) for p in pngs) / 1024, 1)}


def median(rows, key, f=lambda v: v):
    return statistics.median(f(r[key]) for r in rows)


def summarize(rows: list[dict], reps: int) -> dict:
    by = {v: sorted((r for r in rows if r["variant"] == v), key=lambda r: r["rep"]) for v in VARIANTS}
    plain = by["plain"]
    plain_wall = statistics.median(r["wall_s"] for r in plain)
    summary = {}
    for v, rs in by.items():
        s = {
            "wall_s": median(rs, "wall_s"), "cpu_s": median(rs, "cpu_s"),
            "later_epochs_s": median(rs, "epoch_s", lambda e: sum(e[1:])),
            "callback_s": median(rs, "callback_s"),
            "png_outputs": median(rs, "png_outputs"), "png_updates": median(rs, "png_updates"),
            "clear_outputs": median(rs, "clear_outputs"), "png_kb": median(rs, "png_kb"),
            "pyplot_figures_left": max(r["pyplot_figures_left"] for r in rs),
        }
        s["wall_overhead_pct"] = 100 * (s["wall_s"] / plain_wall - 1)
        s["paired_wall_overhead_pct"] = 100 * statistics.median(a["wall_s"] / b["wall_s"] - 1 for a, b in zip(rs, plain))
        s["paired_cpu_overhead_pct"] = 100 * statistics.median(a["cpu_s"] / b["cpu_s"] - 1 for a, b in zip(rs, plain))
        s["callback_pct"] = 100 * s["callback_s"] / plain_wall
        if v == "kitlib":
            s.update(frames=median(rs, "frames"), full_frames=median(rs, "full_frames"), draw_s=median(rs, "draw_s"))
        summary[v] = s
    return summary


def judge(summary: dict) -> dict:
    out = {}
    for key, field in (("paired_wall", "paired_wall_overhead_pct"), ("callback", "callback_pct")):
        ours, theirs = summary["kitlib"][field], summary["livelossplot"][field]
        out[key] = {"kitlib_pct": ours, "livelossplot_pct": theirs,
                    "ratio": (theirs / ours) if ours > 0 else None,
                    "kitlib_le_5pct": ours <= 5.0,
                    "at_least_3x_less": (ours <= 0 < theirs) or (ours > 0 and theirs >= 3 * ours)}
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--n-train", type=int, default=None, help="training samples (default: the guide's 50,000)")
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--out", type=Path, default=ROOT / "build" / "bench" / "liveplot.json")
    args = ap.parse_args(argv)
    if args.epochs < 2 or args.reps < 1:
        ap.error("--epochs must be >= 2 (the steady-state column skips epoch 1) and --reps >= 1")

    try:
        import livelossplot  # noqa: F401  (imported in the kernel; checked here for a clear message)
    except ImportError:
        sys.exit("bench_liveplot needs livelossplot, the comparison: pip install -e '.[dev]' (or livelossplot)")
    load_before = os.getloadavg()
    t_start = time.perf_counter()
    k = Kernel()
    try:
        k.run(SETUP.format(n_train=args.n_train))
        versions, _ = k.run("import sys, keras, tensorflow as tf, matplotlib, livelossplot, kitlib; "
                            "print(json.dumps({'python': sys.version.split()[0], 'tensorflow': tf.__version__, "
                            "'keras': keras.__version__, 'matplotlib': matplotlib.__version__, "
                            "'livelossplot': livelossplot.__version__}))")
        for v in VARIANTS:  # warm-up: one-time costs (TF, data, Matplotlib fonts) are not measured
            k.run(f"_bench({v!r}, 1, {args.batch_size})")
        rows = []
        for rep in range(args.reps):
            order = VARIANTS[rep % 3:] + VARIANTS[:rep % 3]
            for variant in order:
                out, msgs = k.run(f"_bench({variant!r}, {args.epochs}, {args.batch_size})")
                row = json.loads(out.split("BENCH ", 1)[1].splitlines()[0])
                row.update(rep=rep, **display_stats(msgs))
                rows.append(row)
                print(f"  rep {rep + 1}/{args.reps} {variant:<13} {row['wall_s']:6.2f} s wall "
                      f"{row['cpu_s']:6.2f} s cpu  {row['png_outputs']} shown + {row['png_updates']} updates",
                      flush=True)
    finally:
        k.close()

    summary = summarize(rows, args.reps)
    verdict = judge(summary)
    print()
    print(f"fit of the guide's MLP, {args.epochs} epochs, batch {args.batch_size}, "
          f"{'50,000' if args.n_train is None else f'{args.n_train:,}'} training images + 10,000 validation; "
          f"medians of {args.reps} interleaved runs in one Jupyter kernel")
    head = (f"{'variant':<13} {'fit wall':>9} {'CPU':>7} {'paired wall':>12} {'paired CPU':>11} "
            f"{'in callback':>12} {'% of plain':>11} {'PNG shown':>10} {'updated':>8} {'PNG KB':>7}")
    print(head)
    print("-" * len(head))
    for v in VARIANTS:
        s = summary[v]
        print(f"{v:<13} {s['wall_s']:8.2f}s {s['cpu_s']:6.2f}s {s['paired_wall_overhead_pct']:+11.1f}% "
              f"{s['paired_cpu_overhead_pct']:+10.1f}% {s['callback_s']:11.3f}s {s['callback_pct']:10.1f}% "
              f"{s['png_outputs']:10.0f} {s['png_updates']:8.0f} {s['png_kb']:7.0f}")
    print("paired = median over repetitions of (variant / plain of the same repetition) - 1; "
          "in callback = time inside the plot's Keras hooks")
    for key, label in (("paired_wall", "paired wall-time overhead"), ("callback", "time in the callback")):
        v = verdict[key]
        ratio = "n/a (kitlib within noise of plain)" if v["ratio"] is None else f"{v['ratio']:.1f}x"
        print(f"{label}: kitlib {v['kitlib_pct']:.1f} % (target <= 5 %: {'met' if v['kitlib_le_5pct'] else 'NOT met'}), "
              f"livelossplot {v['livelossplot_pct']:.1f} %, ratio {ratio} "
              f"(target >= 3x: {'met' if v['at_least_3x_less'] else 'NOT met'})")
    load_after = os.getloadavg()
    print(f"load average before/after: {load_before[0]:.2f} / {load_after[0]:.2f} on {os.cpu_count()} CPUs "
          f"(on a shared machine wall times are noisy; the time inside the callbacks is the steadiest measure)")

    args.out.parent.mkdir(parents=True, exist_ok=True)
    result = {
        "benchmark": "liveplot", "date": time.strftime("%Y-%m-%d %H:%M:%S"),
        "settings": {"epochs": args.epochs, "reps": args.reps, "n_train": args.n_train or 50000,
                     "batch_size": args.batch_size, "model": "guide MLP 784-64-64-10", "verbose": 0},
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count(),
                    "loadavg_before": load_before, "loadavg_after": load_after,
                    "bench_wall_s": round(time.perf_counter() - t_start, 1)},
        "versions": json.loads(versions.strip().splitlines()[-1]),
        "summary": summary, "verdict": verdict, "runs": rows,
    }
    args.out.write_text(json.dumps(result, indent=1))
    print(f"written: {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
