"""Compare metrics recorded by a notebook run (kit.record) with tests/baselines/<mode>/.

    python tests/check_metrics.py full build/nbval/metrics

`make test` runs it after nbval has executed the committed notebooks (full mode), so the
numbers a learner reads in a committed notebook are checked within tolerance on every CI
run. Exit status 1 lists every metric that moved or is missing.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import nbharness as H  # noqa: E402


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in {"smoke", "full"}:
        print(__doc__, file=sys.stderr)
        return 2
    mode, folder = argv[0], Path(argv[1])
    names = [p.stem for p in H.notebooks()]
    problems: list[str] = []
    for name in names:
        f = folder / f"{name}.json"
        expected = H.load_baseline(mode, name)
        if expected is None:
            problems.append(f"{name}: no {mode} baseline (run `make baselines`)")
            continue
        if not f.exists():
            problems.append(f"{name}: recorded no metrics in {folder} (did it run?)")
            continue
        got = json.loads(f.read_text())["metrics"]
        problems += H.compare(expected, got, mode, where=name)
        print(f"{name:<28} {'ok' if not any(p.startswith(name) for p in problems) else 'MOVED'}")
    if problems:
        print(f"\n{len(problems)} metric problem(s) against the bands in tests/baselines/{mode}/:",
              file=sys.stderr)
        for p in problems:
            print("  " + p, file=sys.stderr)
        return 1
    print(f"all {len(names)} notebooks within their {mode} bands (tests/baselines/tolerance.json)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
