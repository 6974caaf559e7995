"""`python -m benchmarks [options]`: time every case, print the table (options: --help; see README.md)."""
import argparse
import importlib.util
import json
import os
import sys

from benchmarks.cases import CASES
from benchmarks.data import DATA_KINDS
from benchmarks.report import machine_lines, table, write_json
from benchmarks.fresh import rounds_table, run_fresh, summary
from benchmarks.runner import log, run_suite


def parse(argv):
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=None, help="timed runs per case and framework "
                        "(default 7, or 2 with --quick)")
    parser.add_argument("--quick", action="store_true", help="small inputs and 2 runs: a smoke test, not figures")
    parser.add_argument("--json", metavar="PATH", help="also write every figure and machine fact to PATH")
    parser.add_argument("--from-json", metavar="PATH", help="print the table of a saved --json file, run nothing")
    parser.add_argument("--cases", nargs="+", choices=CASES, default=list(CASES), help="which cases to run")
    parser.add_argument("--no-torch", action="store_true", help="npnn only, even if PyTorch is installed")
    parser.add_argument("--no-memory", action="store_true", help="skip the peak-memory processes")
    parser.add_argument("--torch-threads", type=int, metavar="N",
                        help="PyTorch intra-op threads (default: its own choice, one per core)")
    parser.add_argument("--in-process", action="store_true",
                        help="both frameworks in one worker process (to measure thread-pool interference)")
    parser.add_argument("--fresh", action="store_true", help="a fresh process per measurement, as a user runs a "
                        "script (the README's table: see benchmarks/fresh.py)")
    parser.add_argument("--rounds", type=int, default=5, help="--fresh: alternating rounds (default 5)")
    parser.add_argument("--threads", type=int, default=2, help="--fresh: threads per framework (default 2)")
    parser.add_argument("--data", metavar="KIND_OR_PATH", nargs="+", default=None,
                        help="CNN images: digits (MNIST-like, built from scikit-learn's 8x8 digits), random, "
                        "or the path of real MNIST (IDX folder or .npz); default: digits, plus random with --fresh")
    args = parser.parse_args(argv)
    if args.repeat is None:
        args.repeat = 2 if args.quick else 7
    for name in ("repeat", "rounds", "threads"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be at least 1, got {getattr(args, name)}")
    for kind in args.data or []:
        if kind not in DATA_KINDS and not os.path.exists(kind):
            parser.error(f"--data {kind}: expected {' or '.join(DATA_KINDS)} or an existing MNIST path")
    if args.data is None:
        args.data = list(DATA_KINDS) if args.fresh else ["digits"]
    if not args.fresh and len(args.data) != 1:
        parser.error("--data takes one kind or path without --fresh")
    return args


def main(argv=None) -> int:
    args = parse(sys.argv[1:] if argv is None else argv)
    if args.from_json:
        with open(args.from_json) as saved:
            report = json.load(saved)
        if report.get("mode") == "fresh":
            print(summary(report) + "\n\nEvery round:\n\n" + rounds_table(report))
            return 0
        print("\n".join(machine_lines(report)) + "\n\n" + table(report))
        return 0
    frameworks = ["npnn"]
    if not args.no_torch:
        if importlib.util.find_spec("torch") is not None:
            frameworks.append("torch")
        else:
            log("PyTorch is not importable: npnn figures only")
    if args.torch_threads is not None:
        if args.torch_threads < 1:
            raise SystemExit(f"--torch-threads must be at least 1, got {args.torch_threads}")
        os.environ["NPNN_BENCH_TORCH_THREADS"] = str(args.torch_threads)  # inherited by the workers
    if args.fresh:
        report = run_fresh(args.cases, frameworks, args.rounds, args.threads, args.data, args.quick, not args.no_memory)
        print(summary(report) + "\n\nEvery round:\n\n" + rounds_table(report))
        if args.json:
            write_json(report, args.json)
            log(f"wrote {args.json}")
        return 0
    os.environ["NPNN_BENCH_DATA"] = args.data[0]  # inherited by the workers
    report = run_suite(args.cases, frameworks, args.repeat, args.quick, args.in_process, not args.no_memory)
    print("\n".join(machine_lines(report)) + "\n\n" + table(report))
    if args.json:
        write_json(report, args.json)
        log(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
