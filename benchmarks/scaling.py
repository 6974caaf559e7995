"""How the CNN epoch's time falls with cores: npnn's worker processes against PyTorch's threads.

`python -m benchmarks.scaling --rounds 5` times one epoch of the original CNN (benchmarks/cnn.py's
model, batch 64, Adam, cross-entropy, the explicit loop) on MNIST-like digits, each configuration in a
fresh process (import, build, one warm-up epoch, median of 3 timed), the configurations' order
alternating between rounds:
- npnn with 1..N processes (`npnn.parallel.DataParallel`; BLAS limited to one thread in each),
- npnn as a plain script gets it (no thread limit, one process),
- PyTorch with 1..N threads (`torch.set_num_threads`).
N is the cores this process may use (`--workers 1,2,4` to choose; `taskset -c 0-3 python -m ...`
simulates a smaller machine). `--samples 60000` times the full MNIST-sized epoch; `--busy 2` runs two
busy processes (a pure-Python spin each) beside every measurement, to show behaviour under load.
Prints a Markdown table: per configuration the median epoch, its range, and the ratio to PyTorch's
time on the same cores.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

from benchmarks.machine import load_average
from benchmarks.runner import ROOT

TIMED_RUNS = 3
THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def child(framework: str, count: int, samples: int, plain: bool) -> dict:
    """In a fresh process: one configuration's warm-up epoch, then the median of TIMED_RUNS epochs."""
    import numpy as np

    from benchmarks.cnn import BATCH, _layers
    from benchmarks.data import mnist_like

    images, labels = mnist_like(samples)
    if framework == "torch":
        import torch

        from benchmarks.loops import torch_epochs
        torch.set_num_threads(count)
        torch.manual_seed(0)
        model = _layers(torch.nn)
        run = torch_epochs(model, torch.nn.CrossEntropyLoss(), torch.optim.Adam(model.parameters(), lr=1e-3),
                           images, labels, BATCH)
        close = None
    else:
        import npnn
        from npnn import nn, optim
        from npnn.parallel import DataParallel

        if not plain:
            from threadpoolctl import threadpool_limits
            threadpool_limits(limits=1, user_api="blas")
        npnn.manual_seed(0)
        model = _layers(nn)
        optimizer = optim.Adam(model.parameters(), lr=1e-3)
        split = DataParallel(model, nn.CrossEntropyLoss(), count, np.random.default_rng(0))
        loader = npnn.DataLoader(images, labels, batch_size=BATCH)

        def run(k: int) -> int:
            model.train()
            for _ in range(k):
                for xb, yb in loader:
                    optimizer.zero_grad()
                    split.forward_backward(xb, yb)
                    optimizer.step()
            return k * len(images)

        close = split.close
    try:
        run(1)
        seconds = []
        for _ in range(TIMED_RUNS):
            start = time.perf_counter()
            run(1)
            seconds.append(time.perf_counter() - start)
    finally:
        if close is not None:
            close()
    return {"seconds": statistics.median(seconds), "runs_s": seconds}


def _busy(count: int) -> list[subprocess.Popen]:
    spin = "while True: pass"
    return [subprocess.Popen([sys.executable, "-c", spin]) for _ in range(count)]


def _configurations(counts: list[int]) -> list[tuple[str, str, int, bool]]:
    configs = [(f"npnn, {c} process{'es' if c > 1 else ''}", "npnn", c, False) for c in counts]
    configs.append(("npnn as a plain script gets it (BLAS pool as found, 1 process)", "npnn", 1, True))
    configs += [(f"PyTorch, {c} thread{'s' if c > 1 else ''}", "torch", c, False) for c in counts]
    return configs


def measure(rounds: int, counts: list[int], samples: int, busy: int) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in THREAD_VARIABLES}
    configs = _configurations(counts)
    results: dict[str, list] = {label: [] for label, *_ in configs}
    loads = []
    for r in range(rounds):
        order = configs if r % 2 == 0 else configs[::-1]
        for label, framework, count, plain in order:
            hogs = _busy(busy)
            try:
                loads.append(load_average()[0])
                command = [sys.executable, "-m", "benchmarks.scaling", "--child", framework, str(count),
                           str(samples)] + (["--plain"] if plain else [])
                done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, env=env)
            finally:
                for hog in hogs:
                    hog.kill()
                    hog.wait()
            if done.returncode != 0:
                results[label].append({"error": (done.stderr.strip().splitlines() or ["?"])[-1]})
            else:
                results[label].append(json.loads(done.stdout.strip().splitlines()[-1]))
            answer = results[label][-1]
            print(f"round {r + 1} {label}: " + (f"{answer['seconds']:.3f} s" if "seconds" in answer
                                                else answer["error"]), file=sys.stderr, flush=True)
    return {"rounds": rounds, "samples": samples, "busy": busy, "counts": counts, "results": results,
            "load_1min": [min(loads), max(loads)], "cores": len(os.sched_getaffinity(0))}


def table(report: dict) -> str:
    def median(label):
        values = [a["seconds"] for a in report["results"][label] if "seconds" in a]
        return (statistics.median(values), min(values), max(values)) if values else None

    lines = [f"CNN epoch, {report['samples']:,} MNIST-like 28x28 digits, batch 64, Adam; {report['rounds']} "
             f"alternating rounds in fresh processes, {report['busy']} busy processes beside, 1-min load "
             f"{report['load_1min'][0]:.2f}–{report['load_1min'][1]:.2f}, {report['cores']} cores.", "",
             "| configuration | epoch (median) | range | vs PyTorch on as many cores |", "|---|---:|---|---:|"]
    for label, framework, count, plain in _configurations(report["counts"]):
        m = median(label)
        if m is None:
            lines.append(f"| {label} | failed: {report['results'][label][-1].get('error')} | | |")
            continue
        # NOTE: a plain PyTorch script uses every core, so the plain npnn script is compared with that
        cores = max(report["counts"]) if plain else count
        torch = median(f"PyTorch, {cores} thread{'s' if cores > 1 else ''}")
        ratio = f"{m[0] / torch[0]:.2f}" if torch and framework == "npnn" else ""
        lines.append(f"| {label} | {m[0]:.3f} s | {m[1]:.3f}–{m[2]:.3f} | {ratio} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.scaling", description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--workers", default=None, help="process/thread counts, e.g. 1,2,4 (default 1..cores)")
    parser.add_argument("--samples", type=int, default=4000)
    parser.add_argument("--busy", type=int, default=0, help="busy processes running beside each measurement")
    parser.add_argument("--json", default=None)
    parser.add_argument("--child", nargs=3, metavar=("FRAMEWORK", "COUNT", "SAMPLES"), help=argparse.SUPPRESS)
    parser.add_argument("--plain", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        framework, count, samples = args.child
        print(json.dumps(child(framework, int(count), int(samples), args.plain)), flush=True)
        return 0
    cores = len(os.sched_getaffinity(0))
    counts = [int(c) for c in args.workers.split(",")] if args.workers else list(range(1, cores + 1))
    report = measure(args.rounds, counts, args.samples, args.busy)
    if args.json:
        with open(args.json, "w") as out:
            json.dump(report, out, indent=1)
    print(table(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
