"""A benchmark worker process. Two modes:

`serve FRAMEWORK...`: reads one JSON request per line on stdin ({"case", "framework", "quick"}), times
the case once and answers one JSON line on stdout ({"facts": true} asks for the process's thread pools). The first request for a case builds it and runs it
once untimed (warm-up). The coordinator keeps one such process per framework alive and alternates.

`memory FRAMEWORK METHOD`: in this fresh process, measures the peak memory one CNN epoch adds (after a
warm-up epoch), prints one JSON line and exits. METHOD is "rss" or "tracemalloc" (see memory.py).
"""
import gc
import json
import os
import sys
import time
import traceback

from benchmarks.cases import runner
from benchmarks.machine import facts


def _serve(frameworks):
    runners = {}
    for line in sys.stdin:
        request = json.loads(line)
        if request.get("facts"):
            print(json.dumps(facts(frameworks)), flush=True)
            continue
        key = (request["case"], request["framework"])
        try:
            if request["framework"] not in frameworks:
                raise ValueError(f"this worker serves {frameworks}, not {request['framework']}")
            if key not in runners:
                runners[key] = runner(request["case"], request["framework"], request["quick"])
                runners[key]()  # warm-up: caches, lazy state (Adam moments), BLAS buffers
            run = runners[key]
            gc.collect()
            start = time.perf_counter()
            units, samples = run()
            seconds = time.perf_counter() - start
            answer = {"seconds": seconds / units, "samples": samples / units}
        except Exception as error:  # noqa: BLE001  a missing API becomes a table note, not a crash
            answer = {"error": f"{type(error).__name__}: {error}", "traceback": traceback.format_exc()}
        print(json.dumps(answer), flush=True)


def _limit_torch_threads(argv) -> None:
    """`--torch-threads N` of the coordinator arrives as NPNN_BENCH_TORCH_THREADS (set before timing)."""
    threads = os.environ.get("NPNN_BENCH_TORCH_THREADS")
    if threads and "torch" in argv:
        import torch

        torch.set_num_threads(int(threads))


def main(argv):
    _limit_torch_threads(argv)
    if argv[:1] == ["serve"]:
        _serve(argv[1:])
    elif argv[:1] == ["memory"] and len(argv) in (3, 4):
        from benchmarks.memory import measure

        print(json.dumps(measure(argv[1], argv[2], quick=argv[3:] == ["--quick"])), flush=True)
    else:
        raise SystemExit("usage: python -m benchmarks.worker serve FRAMEWORK... | "
                         "memory FRAMEWORK rss|tracemalloc [--quick]")


if __name__ == "__main__":
    main(sys.argv[1:])
