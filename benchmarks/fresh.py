"""Fresh-process mode (`python -m benchmarks --fresh`): each measurement is what a user sees running
a script: a new process imports its framework, limits it to --threads threads, builds the case, trains
one warm-up epoch and then times 3 more; the figure is their median. Rounds alternate which framework
goes first; each round gives one npnn / PyTorch ratio, and the table shows the median of those ratios
with their range. With OPENBLAS_CORETYPE or OPENBLAS_L2_SIZE in the environment, every round runs once
with them removed and once as set (they change OpenBLAS's kernel; see README.md).
"""
import json
import os
import statistics
import subprocess
import sys
import time

from benchmarks.machine import load_average
from benchmarks.runner import ROOT, log, measure_memory

TIMED_RUNS = 3
BLAS_VARIABLES = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def child(framework: str, case: str, threads: int, quick: bool) -> dict:
    """In this (fresh) process: import, limit threads, build, one warm-up run, TIMED_RUNS timed runs."""
    started = time.perf_counter()
    if framework == "torch":
        import torch

        torch.set_num_threads(threads)
        limit = None
    else:
        from threadpoolctl import threadpool_limits

        import npnn  # noqa: F401  imported before the limit, as a user script would

        limit = threadpool_limits(limits=threads, user_api="blas")
    from benchmarks.cases import runner
    from benchmarks.machine import facts

    try:
        run = runner(case, framework, quick)
        imported = time.perf_counter() - started
        run()
        seconds, samples = [], 0
        for _ in range(TIMED_RUNS):
            start = time.perf_counter()
            units, samples = run()
            seconds.append((time.perf_counter() - start) / units)
        return {"seconds": statistics.median(seconds), "runs_s": seconds, "samples": samples / units,
                "setup_s": imported, "facts": facts([framework])}
    finally:
        if limit is not None:
            limit.restore_original_limits()


def _environments() -> dict:
    """{label: environment}: OpenBLAS variables unset, and as set when the environment sets them."""
    base = {k: v for k, v in os.environ.items() if k not in THREAD_VARIABLES}
    unset = {k: v for k, v in base.items() if k not in BLAS_VARIABLES}
    envs = {"OpenBLAS variables unset": unset}
    given = {k: base[k] for k in BLAS_VARIABLES if k in base}
    if given:
        envs[", ".join(f"{k}={v}" for k, v in given.items())] = base
    return envs


def _spawn(framework: str, case: str, data: str, threads: int, quick: bool, env: dict) -> dict:
    command = [sys.executable, "-m", "benchmarks.fresh", framework, case, str(threads)] + (["--quick"] if quick else [])
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, env={**env, "NPNN_BENCH_DATA": data})
    if done.returncode != 0:
        return {"error": (done.stderr.strip().splitlines() or [f"exit code {done.returncode}"])[-1]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def _plan(cases, data_kinds):
    """(case, data kind) pairs: the CNN once per data kind, the others on their own data."""
    return [(case, kind) for case in cases for kind in (data_kinds if case == "cnn_epoch" else ["-"])]


def run_fresh(cases, frameworks, rounds: int, threads: int, data_kinds, quick: bool, memory: bool) -> dict:
    """Every round of every (setting, case, data kind), as one JSON-ready dict."""
    report = {"started_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "mode": "fresh",
              "settings": {"rounds": rounds, "threads": threads, "quick": quick, "frameworks": list(frameworks),
                           "timed_runs": TIMED_RUNS, "command": sys.argv},
              "load_average_before": load_average(), "blas": {}}
    envs = _environments()
    for label in envs:
        report["blas"][label] = {"rounds": [], "memory": {}, "facts": {}}
    for r in range(rounds):
        for label, env in envs.items():
            for i, (case, kind) in enumerate(_plan(cases, data_kinds)):
                order = frameworks if (r + i) % 2 == 0 else frameworks[::-1]
                load = load_average()[0]
                entry = {"round": r + 1, "case": case, "data": kind, "load_1min": load}
                for fw in order:
                    answer = _spawn(fw, case, kind if kind != "-" else "digits", threads, quick, env)
                    report["blas"][label]["facts"].setdefault(fw, answer.pop("facts", None))
                    entry[fw] = answer
                    time.sleep(0.2)
                if all("seconds" in entry.get(fw, {}) for fw in ("npnn", "torch")):
                    entry["ratio"] = entry["npnn"]["seconds"] / entry["torch"]["seconds"]
                report["blas"][label]["rounds"].append(entry)
                log(f"round {r + 1} [{label}] {case} {kind}: " + ", ".join(
                    f"{fw} {entry[fw]['seconds'] * 1e3:.2f} ms" if "seconds" in entry[fw] else f"{fw} {entry[fw]['error']}"
                    for fw in order) + (f", ratio {entry['ratio']:.2f}" if "ratio" in entry else "") + f" (load {load:.2f})")
    if memory and "cnn_epoch" in cases:
        for label, env in envs.items():
            report["blas"][label]["memory"] = measure_memory(frameworks, 3, quick, env={**env, "NPNN_BENCH_DATA": "digits"})
    report["load_average_after"] = load_average()
    return report


def _median(values):
    return statistics.median(values) if values else None


def summary(report: dict) -> str:
    """The Markdown tables: per setting, medians over rounds and the median of the per-round ratios."""
    from benchmarks.cases import case_module
    from benchmarks.report import _mib, _time

    s = report["settings"]
    lines = [f"Fresh process per measurement: import, {s['threads']} threads each (threadpool_limits / "
             f"torch.set_num_threads), one warm-up epoch, median of {s['timed_runs']} timed; {s['rounds']} "
             f"alternating rounds; ratio = median of the per-round npnn / PyTorch ratios (range). "
             f"Load average before {'/'.join(f'{v:.2f}' for v in report['load_average_before'])}, after "
             f"{'/'.join(f'{v:.2f}' for v in report['load_average_after'])}."]
    for label, block in report["blas"].items():
        kernels = ", ".join(sorted({p.get("architecture") for f in block["facts"].values() if f
                                    for p in f.get("threadpools", []) if p.get("internal_api") == "openblas"}))
        lines += ["", f"{label} (OpenBLAS kernel {kernels or 'unknown'}):", "",
                  "| case | data | npnn | PyTorch | npnn / PyTorch | range over rounds | 1-min load |",
                  "|---|---|---:|---:|---:|---|---|"]
        groups = {}
        for entry in block["rounds"]:
            groups.setdefault((entry["case"], entry["data"]), []).append(entry)
        for (case, kind), entries in groups.items():
            npnn = _median([e["npnn"]["seconds"] for e in entries if "seconds" in e.get("npnn", {})])
            torch = _median([e["torch"]["seconds"] for e in entries if "seconds" in e.get("torch", {})])
            ratios = [e["ratio"] for e in entries if "ratio" in e]
            loads = [e["load_1min"] for e in entries]
            span = f"{min(ratios):.2f}–{max(ratios):.2f}" if ratios else "—"
            title = case_module(case).TITLE.split(" (")[0]
            lines.append(f"| {title} | {'MNIST-like digits' if kind == 'digits' else kind} | {_time(npnn)} | "
                         f"{_time(torch)} | {f'{_median(ratios):.2f}' if ratios else '—'} | {span} | "
                         f"{min(loads):.2f}–{max(loads):.2f} |")
        mem = block.get("memory") or {}
        a, b = mem.get("npnn_rss"), mem.get("torch_rss")
        if a or b:
            ratio = (f"{a['median_bytes'] / b['median_bytes']:.2f}" if a and b and "error" not in a
                     and "error" not in b and b["median_bytes"] else "—")
            lines.append(f"| CNN epoch peak memory (RSS high-water mark) | MNIST-like digits | {_mib(a)} | {_mib(b)} "
                         f"| {ratio} | — | — |")
    return "\n".join(lines)


def rounds_table(report: dict) -> str:
    """Every round's figures, for the record."""
    lines = ["| setting | round | case | data | npnn | PyTorch | ratio | 1-min load |", "|---|---:|---|---|---:|---:|---:|---:|"]
    from benchmarks.report import _time

    for label, block in report["blas"].items():
        for e in block["rounds"]:
            cells = [_time(e[fw]["seconds"]) if "seconds" in e.get(fw, {}) else "n/a" for fw in ("npnn", "torch")]
            ratio = f"{e['ratio']:.2f}" if "ratio" in e else "—"
            lines.append(f"| {label} | {e['round']} | {e['case']} | {e['data']} | {cells[0]} | {cells[1]} | {ratio} "
                         f"| {e['load_1min']:.2f} |")
    return "\n".join(lines)


if __name__ == "__main__":
    fw, case_name, n_threads = sys.argv[1], sys.argv[2], int(sys.argv[3])
    print(json.dumps(child(fw, case_name, n_threads, quick="--quick" in sys.argv[4:])), flush=True)
