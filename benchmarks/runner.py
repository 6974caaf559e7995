"""The coordinator: one long-lived worker process per framework (or one shared, with in_process=True),
runs alternating A/B (ABBA...) so drifts in machine load hit both sides alike, and collects medians.

NOTE: separate processes by default because NumPy's OpenBLAS pool and PyTorch's OpenMP pool each want
both cores; `python -m benchmarks.threads` measures what sharing one process costs.
"""
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.machine import load_average

ROOT = Path(__file__).resolve().parent.parent
PAUSE = 0.25  # seconds between runs: idle OpenBLAS/OpenMP threads spin ~0.1 s before they sleep


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class Worker:
    """A `python -m benchmarks.worker serve ...` subprocess, spoken to one JSON line at a time."""

    def __init__(self, frameworks):
        self.process = subprocess.Popen([sys.executable, "-m", "benchmarks.worker", "serve", *frameworks],
                                        cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def ask(self, request: dict) -> dict:
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"benchmark worker exited with code {self.process.wait()} "
                               f"while answering {request}")
        return json.loads(line)

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait()


def _summary(samples):
    """Median and interquartile spread of per-unit times, with the samples themselves."""
    seconds = [s["seconds"] for s in samples]
    median = statistics.median(seconds)
    q = statistics.quantiles(seconds, n=4) if len(seconds) > 1 else [median, median, median]
    return {"median_s": median, "iqr_rel": (q[2] - q[0]) / median if median else 0.0,
            "samples_per_s": samples[0]["samples"] / median if median else None, "runs_s": seconds}


def time_cases(cases, frameworks, repeat: int, quick: bool, in_process: bool = False) -> dict:
    """{case: {framework: summary or {"error": ...}}}, each case timed `repeat` times per framework."""
    shared = Worker(frameworks) if in_process else None
    workers = {fw: shared or Worker([fw]) for fw in frameworks}
    results, facts = {}, {}
    try:
        for fw in frameworks:
            facts[fw] = workers[fw].ask({"facts": True})
        for case in cases:
            runs = {fw: [] for fw in frameworks}
            errors = {}
            for i in range(repeat):
                for fw in (frameworks if i % 2 == 0 else frameworks[::-1]):
                    if fw in errors:
                        continue
                    answer = workers[fw].ask({"case": case, "framework": fw, "quick": quick})
                    if "error" in answer:
                        errors[fw] = answer["error"]
                        log(f"  {case} / {fw}: unavailable — {answer['error']}")
                    else:
                        runs[fw].append(answer)
                        log(f"  {case} / {fw} run {i + 1}/{repeat}: {answer['seconds'] * 1e3:.3f} ms")
                    time.sleep(PAUSE)
            results[case] = {fw: ({"error": errors[fw]} if fw in errors else _summary(runs[fw]))
                             for fw in frameworks}
    finally:
        for worker in set(workers.values()):
            worker.close()
    return {"results": results, "facts": facts}


def measure_memory(frameworks, repeat: int, quick: bool, env=None) -> dict:
    """Peak memory of a CNN epoch, each measurement in a fresh process (see memory.py for the methods);
    `env` is the processes' environment (default: this one's)."""
    plan = [(fw, "rss") for fw in frameworks] + ([("npnn", "tracemalloc")] if "npnn" in frameworks else [])
    out = {}
    for fw, method in plan:
        values, error = [], None
        for _ in range(max(1, min(repeat, 3))):
            command = [sys.executable, "-m", "benchmarks.worker", "memory", fw, method] + (["--quick"] if quick else [])
            done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, env=env)
            if done.returncode != 0:
                error = (done.stderr.strip().splitlines() or [f"exit code {done.returncode}"])[-1]
                log(f"  memory {fw} {method}: unavailable — {error}")
                break
            answer = json.loads(done.stdout.strip().splitlines()[-1])
            values.append(answer["bytes"])
            log(f"  memory {fw} {method}: {answer['bytes'] / 2**20:.1f} MiB ({answer['method']})")
        out[f"{fw}_{method}"] = ({"error": error} if error else
                                 {"median_bytes": statistics.median(values), "runs_bytes": values,
                                  "method": answer["method"]})
    return out


def run_suite(cases, frameworks, repeat: int, quick: bool, in_process: bool = False, memory: bool = True) -> dict:
    """Everything `python -m benchmarks` reports, as one JSON-ready dict."""
    started = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    load_before = load_average()
    timed = time_cases(cases, frameworks, repeat, quick, in_process)
    mem = measure_memory(frameworks, repeat, quick) if memory and "cnn_epoch" in cases else {}
    return {"started_utc": started, "settings": {"repeat": repeat, "quick": quick, "in_process": in_process,
                                                 "frameworks": list(frameworks), "command": sys.argv},
            "load_average_before": load_before, "load_average_after": load_average(),
            "machine": timed["facts"], "results": timed["results"], "memory": mem}
