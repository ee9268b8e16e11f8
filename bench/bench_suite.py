"""Smoke-suite wall time and per-notebook cost (wall s, kernel peak RSS), medians of runs.

    python bench/bench_suite.py [--runs 3] [--mode smoke|full] [--jobs 2] [NOTEBOOK ...]

Runs every notebook with papermill (as `make test` does), `--jobs` at a time, `--runs`
times; prints per-notebook medians and the median wall time of the whole suite, and
writes build/bench/suite-<mode>.json. Target (issue 9): smoke suite <= 180 s on 2 cores.
"""

from __future__ import annotations

import argparse
import time
from concurrent.futures import ThreadPoolExecutor

from _common import ROOT, median, save, table

import nbharness as H


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--mode", choices=("smoke", "full"), default="smoke")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("notebooks", nargs="*")
    args = ap.parse_args()
    paths = [p for p in H.notebooks() if not args.notebooks or any(p.stem.startswith(n) for n in args.notebooks)]
    per_nb: dict[str, dict[str, list]] = {p.stem: {"wall_s": [], "peak_rss_mb": []} for p in paths}
    suite_walls = []
    for r in range(args.runs):
        out = ROOT / "build" / "bench" / "suite" / f"run{r}"
        t0 = time.perf_counter()
        with ThreadPoolExecutor(max_workers=args.jobs) as pool:
            runs = list(pool.map(lambda p: H.execute(p, args.mode, out / p.stem), paths))
        suite_walls.append(time.perf_counter() - t0)
        for run in runs:
            per_nb[run.notebook]["wall_s"].append(run.wall_s)
            per_nb[run.notebook]["peak_rss_mb"].append(run.peak_rss_mb)
        print(f"run {r + 1}/{args.runs}: suite {suite_walls[-1]:.1f} s", flush=True)
    rows = [[name, f"{median(v['wall_s']):.1f}", f"{median(v['peak_rss_mb']):.0f}", f"{max(v['peak_rss_mb']):.0f}"]
            for name, v in per_nb.items()]
    print(table(rows, ["notebook", "wall s (median)", "peak RSS MB (median)", "peak RSS MB (max)"]))
    print(f"\nwhole {args.mode} suite, {args.jobs} notebooks at a time: median {median(suite_walls):.1f} s "
          f"over {args.runs} runs ({', '.join(f'{w:.1f}' for w in suite_walls)})")
    path = save(f"suite-{args.mode}", {"mode": args.mode, "jobs": args.jobs, "runs": args.runs,
                                       "suite_wall_s": suite_walls, "suite_wall_s_median": median(suite_walls),
                                       "notebooks": {k: {"wall_s_median": median(v["wall_s"]),
                                                         "peak_rss_mb_median": median(v["peak_rss_mb"]),
                                                         "peak_rss_mb_max": max(v["peak_rss_mb"]), **v}
                                                     for k, v in per_nb.items()}})
    print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
