"""Do NumPy's and PyTorch's thread pools fight when both live in one process?

`python -m benchmarks.threads [--repeat N] [--rounds R]` times the CNN and MLP epochs of both frameworks
with each framework in its own worker process and with both in one shared worker, alternating the two
set-ups R times, and prints the median time of each side per set-up. A shared-process slowdown well
beyond the run-to-run spread means the pools interfere, and the suite must keep them apart (it does by
default: `python -m benchmarks` uses one process per framework; `--in-process` shares one).
"""
import argparse
import statistics
import sys

from benchmarks.runner import log, time_cases

CASES = ("cnn_epoch", "mlp_epoch")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.threads", description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per case, side and round")
    parser.add_argument("--rounds", type=int, default=2, help="alternations of separate/shared set-ups")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    times = {(setup, case, fw): [] for setup in ("separate", "shared") for case in CASES for fw in ("npnn", "torch")}
    for round_ in range(args.rounds):
        for setup in (("separate", "shared") if round_ % 2 == 0 else ("shared", "separate")):
            log(f"round {round_ + 1}: {setup} processes")
            results = time_cases(CASES, ["npnn", "torch"], args.repeat, quick=False,
                                 in_process=setup == "shared")["results"]
            for case in CASES:
                for fw in ("npnn", "torch"):
                    times[setup, case, fw].extend(results[case][fw].get("runs_s", []))
    print("| case | side | separate processes | one shared process | shared / separate |")
    print("|---|---|---:|---:|---:|")
    for case in CASES:
        for fw in ("npnn", "torch"):
            separate = statistics.median(times["separate", case, fw])
            shared = statistics.median(times["shared", case, fw])
            print(f"| {case} | {fw} | {separate * 1e3:.1f} ms | {shared * 1e3:.1f} ms | {shared / separate:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
