"""Command line: ``python -m kitlib env | data [--install] | student OUTDIR | instructor OUTDIR``."""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kitlib", description=__doc__)
    sub = parser.add_subparsers(dest="cmd", required=True)
    sub.add_parser("env", help="print the environment report (versions, devices, data found)")
    p_data = sub.add_parser("data", help="find and verify MNIST and Fashion-MNIST")
    p_data.add_argument("--install", action="store_true",
                        help="copy the verified data into the kit's data folder (data/)")
    p_data.add_argument("--require", action="append", default=[],
                        help="fail unless this dataset is found (repeatable); others are optional")
    for kind, what in (("student", "without the solution cells"), ("instructor", "with the solutions")):
        p = sub.add_parser(kind, help=f"write copies of the notebooks {what}, outputs cleared")
        p.add_argument("outdir", help="a new or empty folder, or one written by an earlier build")
        p.add_argument("--notebooks", default=None, metavar="DIR",
                       help="where the notebooks are (default: the kit's notebooks/)")
    args = parser.parse_args(argv)

    if args.cmd in ("student", "instructor"):
        from kitlib.exercises import build
        try:
            written = build.build(args.cmd, args.outdir, args.notebooks)
        except build.BuildError as exc:
            print(f"python -m kitlib {args.cmd}: {exc}", file=sys.stderr)
            return 1
        what = "solutions removed" if args.cmd == "student" else "solutions kept"
        print(f"{args.cmd} build ({what}, outputs cleared): {len(written)} notebooks in {written[0].parent}")
        for path in written:
            print(f"  {path.name}")
        return 0

    from kitlib import data
    if args.cmd == "env":
        from kitlib import runtime
        print(runtime.environment_report())
        return 0
    if args.cmd == "data":
        status = 0
        for name in data.DATASETS:
            title = data.dataset_spec(name).title
            required = name in {data.dataset_spec(r).name for r in args.require}
            try:
                print(data.main_report(name))
                if args.install:
                    path = data.install(name, log=lambda m: print(f"  {m}"))
                    print(f"  installed and verified: {path}")
            except data.DataNotFoundError as exc:
                print(f"{title}: {'ERROR' if required else 'not found (optional)'}")
                if required:
                    print(exc, file=sys.stderr)
                    status = 1
            except data.InstallError as exc:
                print(f"{title}: NOT INSTALLED")
                print(f"python -m kitlib data --install: {exc}", file=sys.stderr)
                status = 1
            except OSError as exc:  # anything else the file system says: a message, not a traceback
                print(f"{title}: ERROR")
                print(f"python -m kitlib data: {type(exc).__name__}: {exc}", file=sys.stderr)
                status = 1
        return status
    return 2  # pragma: no cover


if __name__ == "__main__":
    sys.exit(main())
