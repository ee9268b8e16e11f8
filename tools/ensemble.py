"""Run every notebook under several numeric environments and record metric bands.

The last digits of a fit depend on the CPU's instruction set, the oneDNN kernels TensorFlow
picks and the number of threads; a baseline recorded on one machine holds only there. This
tool executes the notebooks (smoke and full mode) under settings that change floating point
but not meaning, and writes into tests/baselines/<mode>/<notebook>.json, for every number a
notebook records with kit.record(), the band [min, max] it took over those settings, and the
band over a few other seeds (what sizes the GPU tolerance: other kernels, other rounding).

    python tools/ensemble.py run                  # every environment, both modes (long: see README)
    python tools/ensemble.py run --envs default,onednn-off --modes smoke --notebooks 02,10
    python tools/ensemble.py record               # write tests/baselines/ from build/ensemble/
    python tools/ensemble.py record --notebooks 04,10 --merge   # widen those bands with this machine's
    python tools/ensemble.py table                # the spread of every metric, widest first
    python tools/ensemble.py outputs              # printed text that differs between environments

`run` keeps each execution in build/ensemble/<env>/<mode>/ and skips executions already
there that ran the notebook's current code (--force redoes them), so an interrupted run
resumes where it stopped and, after editing notebooks, only the changed ones run again.
(kitlib changes are not detected: pass --force, or --notebooks for the affected ones.) `record` refuses a value that is discrete or
chaotic (a list whose length changes, a string that changes, a number whose band is wider
than tests/baselines/tolerance.json allows): such a fact is claimed as an invariant in the
notebook, not recorded as a number.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
import nbharness as H  # noqa: E402

OUT = H.BUILD / "ensemble"
DEFAULT_SEED = 42
EXTRA_SEEDS = (1, 2)

# name → (environment variables, cpus the kernel may use: None = all)
ENVIRONMENTS: dict[str, tuple[dict, int | None]] = {
    "default": ({}, None),
    "isa-avx512": ({"ONEDNN_MAX_CPU_ISA": "AVX512_CORE"}, None),
    "isa-avx2": ({"ONEDNN_MAX_CPU_ISA": "AVX2"}, None),
    "isa-avx": ({"ONEDNN_MAX_CPU_ISA": "AVX"}, None),
    "onednn-on": ({"TF_ENABLE_ONEDNN_OPTS": "1"}, None),
    "onednn-off": ({"TF_ENABLE_ONEDNN_OPTS": "0"}, None),
    "threads-1": ({}, 1),
}
# An ISA cap at or above what the CPU has changes nothing: such a setting is skipped.
_ISA_RANK = {"AVX": 1, "AVX2": 2, "AVX512_CORE": 3}


def cpu_isa() -> tuple[int, str]:
    """(rank, name) of the widest vector ISA oneDNN can use here (from /proc/cpuinfo)."""
    try:
        flags = set(Path("/proc/cpuinfo").read_text().split("flags", 2)[1].split("\n", 1)[0].split())
    except (OSError, IndexError):
        return 3, "unknown"
    if "amx_tile" in flags:
        return 4, "AMX"
    if "avx512f" in flags:
        return 3, "AVX512"
    if "avx2" in flags:
        return 2, "AVX2"
    return (1, "AVX") if "avx" in flags else (0, "SSE")


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def onednn_default() -> bool:
    """Whether TensorFlow switches its oneDNN custom operations on by itself on this CPU (it
    does on CPUs with AVX512_VNNI, AVX512_BF16, AVX_VNNI or AMX, not on an AVX2 AMD EPYC):
    read from the line TensorFlow logs at import."""
    env = {k: v for k, v in os.environ.items() if k not in {"TF_ENABLE_ONEDNN_OPTS", "TF_CPP_MIN_LOG_LEVEL"}}
    r = subprocess.run([sys.executable, "-c", "import tensorflow"], capture_output=True, text=True, env=env)
    return "oneDNN custom operations are on" in r.stderr


def effective_envs(names: list[str]) -> tuple[list[str], dict[str, str]]:
    """The settings that differ from 'default' on this CPU, and why the others were skipped."""
    rank, isa = cpu_isa()
    on = onednn_default() if any("onednn" in n for n in names) else None
    kept, skipped = [], {}
    for name in names:
        env, _ = ENVIRONMENTS[name]
        cap = env.get("ONEDNN_MAX_CPU_ISA")
        flag = env.get("TF_ENABLE_ONEDNN_OPTS")
        if cap and _ISA_RANK[cap] >= rank:
            skipped[name] = f"this CPU's widest ISA is {isa}: a cap at {cap} is the default"
        elif flag is not None and cpus_of(name) is None and (flag == "1") == on:
            skipped[name] = f"TensorFlow already runs with oneDNN {'on' if on else 'off'} here: it is the default"
        else:
            kept.append(name)
    return kept, skipped


def cpus_of(name: str) -> int | None:
    return ENVIRONMENTS[name][1]


# --------------------------------------------------------------------------- running


def _task_dir(env: str, mode: str, seed: int) -> Path:
    return OUT / (env if seed == DEFAULT_SEED else f"{env}-seed{seed}") / mode


def _execute(task, slot: int) -> dict:
    env_name, mode, seed, nb = task
    variables, cpus = ENVIRONMENTS[env_name]
    out = _task_dir(env_name, mode, seed)
    cmd = [sys.executable, str(ROOT / "tests" / "nbharness.py"), nb, mode, str(out), "--param", f"SEED={seed}"]
    if cpus is not None:  # pin to distinct cores so two 1-thread runs do not share one
        n = os.cpu_count() or 1
        cores = ",".join(str((slot * cpus + i) % n) for i in range(cpus))
        cmd = ["taskset", "-c", cores] + cmd
    env = {**os.environ, **variables, "KITLIB_OFFLINE": "1"}
    t0 = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT)
    row = {"env": env_name, "mode": mode, "seed": seed, "notebook": nb, "rc": r.returncode,
           "wall_s": round(time.perf_counter() - t0, 1)}
    if r.returncode != 0:
        row["error"] = (r.stdout + r.stderr)[-3000:]
    H.write_json(out / "rows" / f"{nb}.json", row)
    return row


def _code(path: Path) -> list[str]:
    """The code a notebook runs (a solution cell's header comment left out: it runs nothing)."""
    import nbformat

    from kitlib.exercises.build import without_solution_header

    nb = nbformat.read(path, as_version=4)
    skip = {"injected-parameters", H.PROBE_TAG}
    return [without_solution_header(c.source) for c in nb.cells
            if c.cell_type == "code" and not skip & set(c.metadata.get("tags", []))]


def _is_current(folder: Path, nb: str) -> bool:
    """An execution that finished and ran the notebook's current code (else it is redone)."""
    row, executed = folder / "rows" / f"{nb}.json", folder / f"{nb}.ipynb"
    if not row.exists() or not executed.exists() or json.loads(row.read_text())["rc"] != 0:
        return False
    return _code(executed) == _code(H.NOTEBOOK_DIR / f"{nb}.ipynb")


def cmd_run(args) -> int:
    names = args.envs.split(",") if args.envs else list(ENVIRONMENTS)
    unknown = [n for n in names if n not in ENVIRONMENTS]
    if unknown:
        sys.exit(f"unknown environment(s) {unknown}; known: {', '.join(ENVIRONMENTS)}")
    envs, skipped = effective_envs(names)
    for name, why in skipped.items():
        print(f"skip {name}: {why}")
    notebooks = [p.stem for p in H.notebooks()
                 if not args.notebooks or any(p.name.startswith(x) for x in args.notebooks.split(","))]
    seeds = [DEFAULT_SEED] + ([int(s) for s in args.seeds.split(",")] if args.seeds else [])
    tasks = []
    for mode in args.modes.split(","):
        for env in envs:
            for seed in seeds if env == "default" else [DEFAULT_SEED]:
                for nb in notebooks:
                    if args.force or not _is_current(_task_dir(env, mode, seed), nb):
                        tasks.append((env, mode, seed, nb))
    # Slow notebooks first, so the two slots finish together.
    tasks.sort(key=lambda t: (t[1] != "full", t[3] not in {"10_callbacks", "02_compile", "09_multi_io"}))
    print(f"{len(tasks)} executions on {args.jobs} slots ({cpu_name()}, widest ISA {cpu_isa()[1]})", flush=True)
    t0 = time.perf_counter()
    failures = 0
    slots = list(range(args.jobs))

    def work(task):
        slot = slots.pop()
        try:
            return _execute(task, slot)
        finally:
            slots.append(slot)

    with ThreadPoolExecutor(args.jobs) as pool:
        for row in pool.map(work, tasks):
            ok = row["rc"] == 0
            failures += not ok
            print(f"{'ok  ' if ok else 'FAIL'} {row['env']:<22} seed {row['seed']:<3} {row['mode']:<5} "
                  f"{row['notebook']:<28} {row['wall_s']:>6.1f} s", flush=True)
            if not ok:
                print(row["error"], flush=True)
    wall = time.perf_counter() - t0
    H.write_json(OUT / "last-run.json", {"executions": len(tasks), "wall_s": round(wall, 1),
                                         "jobs": args.jobs, "cpu": cpu_name(), "isa": cpu_isa()[1],
                                         "skipped": skipped})
    print(f"{len(tasks)} executions in {wall / 60:.1f} min, {failures} failed")
    return 1 if failures else 0


# --------------------------------------------------------------------------- recording


def _collect(mode: str, nb: str) -> tuple[dict[str, dict], dict[int, dict]]:
    """{env: metrics} at the default seed, {seed: metrics} in the default environment."""
    by_env, by_seed = {}, {}
    for d in sorted(OUT.iterdir()) if OUT.exists() else []:
        f = d / mode / "metrics" / f"{nb}.json"
        if not f.exists() or not _is_current(d / mode, nb):
            continue  # not run, still running (papermill writes as it goes), failed, or stale
        env, _, seed = d.name.partition("-seed")
        metrics = json.loads(f.read_text())["metrics"]
        if seed:
            by_seed[int(seed)] = metrics
        else:
            by_env[env] = metrics
            if env == "default":
                by_seed[DEFAULT_SEED] = metrics
    return by_env, by_seed


def _machine() -> dict:
    return {"cpu": cpu_name(), "isa": cpu_isa()[1], "recorded": time.strftime("%Y-%m-%d")}


def _exact(entry: dict) -> bool:
    """The same number under every setting and seed: arithmetic (a count, a size), not training."""
    lo, hi = entry.get("seeds", entry["cpu"])
    return lo == hi


def merge_bands(old: dict, new: dict, tol_mode: dict) -> tuple[dict, list[str]]:
    """Bands that hold on both machines: for each value recorded by both, the union of the
    environment bands and of the seed bands (the center stays the new default run's, whose
    outputs the notebooks commit). Values the notebook no longer records are dropped."""
    limit, floor = float(tol_mode["max_relative_spread"]), float(tol_mode["cpu"]["atol"])
    merged, issues = {}, []
    for key, entry in new.items():
        before = old.get(key)
        if before is None:
            merged[key] = entry
            continue
        if "equals" in entry or "equals" in before:
            if entry.get("equals", object()) != before.get("equals", object()):
                issues.append(f"{key}: {before} on the earlier machine, {entry} here (claim an invariant instead)")
            merged[key] = entry
            continue
        lo, hi = min(entry["cpu"][0], before["cpu"][0]), max(entry["cpu"][1], before["cpu"][1])
        if _exact(entry) and _exact(before) and entry["cpu"] != before["cpu"]:
            issues.append(f"{key}: exact on each machine but {before['cpu'][0]!r} there, {entry['cpu'][0]!r} here "
                          "(a count or size that depends on the machine: claim an invariant instead)")
            merged[key] = entry
            continue
        if hi - lo > limit * max(abs(lo), abs(hi)) + floor:
            issues.append(f"{key}: {lo:.6g} … {hi:.6g} over both machines, wider than {limit:.0%}")
        seeds = entry.get("seeds", entry["cpu"]), before.get("seeds", before["cpu"])
        merged[key] = {"center": entry["center"], "cpu": [lo, hi],
                       "seeds": [min(seeds[0][0], seeds[1][0], lo), max(seeds[0][1], seeds[1][1], hi)]}
    return merged, issues


def cmd_record(args) -> int:
    tol = H.load_tolerance()
    problems, written = [], 0
    chosen = args.notebooks.split(",") if args.notebooks else None
    summary_file = H.BASELINES / "ensemble.json"
    old_summary = json.loads(summary_file.read_text()) if chosen and summary_file.exists() else {}
    summary = {**_machine(), "notebooks": dict(old_summary.get("notebooks", {}))}
    here = _machine()
    for mode in args.modes.split(","):
        for path in H.notebooks():
            nb = path.stem
            if chosen and not any(nb.startswith(x) for x in chosen):
                continue
            by_env, by_seed = _collect(mode, nb)
            if "default" not in by_env:
                problems.append(f"{mode}/{nb}: no run in the default environment (run `ensemble.py run`)")
                continue
            flat_env = {e: H.flatten(m) for e, m in by_env.items()}
            flat_seed = {s: H.flatten(m) for s, m in by_seed.items()}
            base, issues = H.make_bands(flat_env, flat_seed, tol[mode])
            machines = [{**here, "environments": sorted(by_env), "seeds": sorted(by_seed)}]
            old = H.load_baseline(mode, nb) if args.merge else None
            if old is not None:
                base, more = merge_bands(old["metrics"], base, tol[mode])
                issues += more
                earlier = old.get("machines") or [{
                    "cpu": old_summary.get("cpu", "unknown"), "isa": old_summary.get("isa", "unknown"),
                    "recorded": old_summary.get("recorded", "unknown"),
                    "environments": old.get("environments", []), "seeds": old.get("seeds", [])}]
                machines = earlier + machines
            problems += [f"{mode}/{nb}: {p}" for p in issues]
            H.write_json(H.baseline_file(mode, nb), {
                "about": "bands of kit.record() values over numeric environments; written by tools/ensemble.py",
                "environments": sorted({e for m in machines for e in m["environments"]}),
                "seeds": sorted({s for m in machines for s in m["seeds"]}),
                "machines": machines, "metrics": base})
            summary["notebooks"][f"{mode}/{nb}"] = {"machines": [f"{m['cpu']} ({m['isa']}): "
                                                                 f"{', '.join(m['environments'])}"
                                                                 for m in machines],
                                                   "seeds": sorted({s for m in machines for s in m["seeds"]}),
                                                   "metrics": len(base)}
            written += 1
    executions = [json.loads(f.read_text()) for f in OUT.glob("*/*/rows/*.json")
                  if _is_current(f.parent.parent, f.stem)
                  and (not chosen or any(f.stem.startswith(x) for x in chosen))]
    this_run = {"count": len(executions), "slot_seconds": round(sum(r["wall_s"] for r in executions)),
                "note": "sum of the wall times of the executions behind these baselines; "
                        "two ran at a time (--jobs 2)"}
    if chosen:
        summary["executions"] = old_summary.get("executions", {})
        summary["rerecorded"] = old_summary.get("rerecorded", []) + [
            {**here, "notebooks": chosen, "merged": bool(args.merge), "executions": this_run}]
        summary.update({k: old_summary[k] for k in ("cpu", "isa", "recorded") if k in old_summary})
    else:
        summary["executions"] = this_run
    H.write_json(summary_file, summary)
    print(f"{written} baseline files written")
    if problems:
        print(f"\n{len(problems)} value(s) that must not be recorded as numbers:", file=sys.stderr)
        for p in problems:
            print("  " + p, file=sys.stderr)
        return 1
    return 0


# --------------------------------------------------------------------------- printed outputs

SANITIZE_CFG = ROOT / "tests" / "nbval_sanitize.cfg"
_NBVAL_SKIP = {"metadata", "traceback", "prompt_number", "output_type", "name", "execution_count",
               "application/vnd.jupyter.widget-view+json", "image/png", "image/jpeg"}
_NBVAL_SKIP_TAGS = {"nbval-ignore-output", "nbval-skip"}


def sanitize_patterns() -> list[tuple[str, str]]:
    """The regex → replacement pairs of tests/nbval_sanitize.cfg, in file order (as nbval reads them)."""
    from nbval.plugin import get_sanitize_patterns

    return get_sanitize_patterns(SANITIZE_CFG.read_text())


def comparable_outputs(cell, patterns) -> list[tuple[str, str]]:
    """A code cell's outputs as nbval compares them: streams merged, volatile keys and images
    dropped, every string sanitized."""
    import re

    from nbval.plugin import transform_streams_for_comparison

    def clean(v):
        if not isinstance(v, str):
            return json.dumps(v, sort_keys=True)
        for regex, replace in patterns:
            v = re.sub(regex, replace, v)
        return v

    merged = []  # consecutive stream messages of one name, joined (as a kernel run leaves them)
    for o in cell.get("outputs", []):
        if o.output_type == "stream" and merged and merged[-1].output_type == "stream" \
                and merged[-1].name == o.name:
            merged[-1] = {**merged[-1], "text": merged[-1].text + o.text}
            merged[-1] = type(o)(merged[-1])
        else:
            merged.append(o)
    out = []
    for o in transform_streams_for_comparison(merged):
        for key, value in o.items():
            if key in _NBVAL_SKIP:
                continue
            if key == "data":
                out += [(k, clean(v)) for k, v in value.items() if k not in _NBVAL_SKIP]
            else:
                out.append((key, clean(value)))
    return out


def output_differences(committed: Path, executed: Path, patterns) -> list[str]:
    """Cells whose sanitized output in *executed* differs from the committed notebook (what nbval
    would report). Code cells are matched in order, papermill's injected cell and the probe left out."""
    import nbformat

    ref = nbformat.read(committed, as_version=4)
    new = nbformat.read(executed, as_version=4)
    skip = {"injected-parameters", H.PROBE_TAG}
    ran = [c for c in new.cells if c.cell_type == "code" and not skip & set(c.metadata.get("tags", []))]
    mine = [(i, c) for i, c in enumerate(ref.cells) if c.cell_type == "code"]
    from kitlib.exercises.build import without_solution_header

    if [without_solution_header(c.source) for c in ran] != [without_solution_header(c.source) for _, c in mine]:
        return ["the executed copy ran other code (stale: run `ensemble.py run` again)"]
    diffs = []
    for (i, c), twin in zip(mine, ran):
        if _NBVAL_SKIP_TAGS & set(c.metadata.get("tags", [])):
            continue
        a, b = comparable_outputs(c, patterns), comparable_outputs(twin, patterns)
        if a != b:
            import difflib
            text_a = "\n".join(f"[{k}] {v}" for k, v in a).splitlines()
            text_b = "\n".join(f"[{k}] {v}" for k, v in b).splitlines()
            delta = [l for l in difflib.unified_diff(text_a, text_b, lineterm="", n=0)
                     if l[:1] in "+-" and l[:3] not in ("+++", "---")]
            diffs.append(f"cell {i}:\n      " + "\n      ".join(delta[:12]))
    return diffs


def cmd_outputs(args) -> int:
    """Compare every full-mode execution's printed outputs with the committed notebooks."""
    patterns = sanitize_patterns()
    found = 0
    for d in sorted(OUT.iterdir()) if OUT.exists() else []:
        if "-seed" in d.name:
            continue  # other seeds print other numbers by design; nbval runs seed 42
        for path in H.notebooks():
            executed = d / "full" / f"{path.stem}.ipynb"
            if not _is_current(d / "full", path.stem):
                continue  # not run, still running, failed or stale (`run` redoes those)
            for diff in output_differences(path, executed, patterns):
                found += 1
                print(f"{d.name}: {path.stem} {diff}")
    print(f"{found} cell(s) print machine-dependent text (nbval would fail there)")
    return 1 if found else 0


def cmd_table(args) -> int:
    """The recorded bands: every value (widest first), or one line per notebook (--by-notebook)."""
    tol = H.load_tolerance()
    rows = []
    for mode in args.modes.split(","):
        for path in H.notebooks():
            spec = H.load_baseline(mode, path.stem)
            for key, s in (spec or {}).get("metrics", {}).items():
                if "cpu" not in s:
                    continue
                lo, hi = s["cpu"]
                slo, shi = s.get("seeds", s["cpu"])
                scale = max(abs(lo), abs(hi), 1e-12)
                m = H.margin(s, tol[mode]["cpu"])
                rows.append(((hi - lo) / scale, mode, path.stem, key, lo, hi, m, (shi - slo) / scale))
    rows.sort(key=lambda r: r[0], reverse=True)
    if args.by_notebook:
        print(f"{'mode':<6}{'notebook':<28}{'numbers':>8}{'widest CPU spread':>19}{'widest seed spread':>20}")
        seen = {}
        for r in rows:
            seen.setdefault((r[1], r[2]), []).append(r)
        for (mode, nb), rs in sorted(seen.items()):
            print(f"{mode:<6}{nb:<28}{len(rs):>8}{max(r[0] for r in rs):>18.2%} {max(r[7] for r in rs):>19.2%}")
        return 0
    print(f"{'CPU spread':>11} {'seed spread':>12}  {'band (cpu)':>25} {'margin':>9}  value")
    for rel, mode, nb, key, lo, hi, m, srel in rows[:args.top]:
        print(f"{rel:>11.2%} {srel:>12.2%}  [{lo:>10.5g}, {hi:>10.5g}] {m:>9.2g}  {mode}/{nb}:{key}")
    return 0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run", help="execute notebooks under the numeric environments")
    r.add_argument("--envs", help=f"comma-separated, from: {', '.join(ENVIRONMENTS)} (default: all)")
    r.add_argument("--modes", default="smoke,full")
    r.add_argument("--notebooks", help="comma-separated number prefixes, e.g. 02,10")
    r.add_argument("--seeds", default=",".join(map(str, EXTRA_SEEDS)),
                   help="extra seeds run in the default environment ('' for none)")
    r.add_argument("--jobs", type=int, default=2)
    r.add_argument("--force", action="store_true", help="re-run executions already in build/ensemble/")
    r.set_defaults(fn=cmd_run)
    c = sub.add_parser("record", help="write tests/baselines/<mode>/*.json from build/ensemble/")
    c.add_argument("--modes", default="smoke,full")
    c.add_argument("--notebooks", help="comma-separated number prefixes: re-record only these (the rest stay)")
    c.add_argument("--merge", action="store_true",
                   help="widen the committed bands with this machine's instead of replacing them "
                        "(for numbers whose meaning did not change: another CPU, a rerun)")
    c.set_defaults(fn=cmd_record)
    o = sub.add_parser("outputs", help="cells whose sanitized printed output differs between environments")
    o.set_defaults(fn=cmd_outputs)
    t = sub.add_parser("table", help="print the spread of every recorded metric, widest first")
    t.add_argument("--modes", default="smoke,full")
    t.add_argument("--top", type=int, default=40)
    t.add_argument("--by-notebook", action="store_true")
    t.set_defaults(fn=cmd_table)
    args = ap.parse_args(argv)
    return args.fn(args)


if __name__ == "__main__":
    sys.exit(main())
