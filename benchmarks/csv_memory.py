"""Peak memory of reading a large CSV with presets.datasets.read_csv, against the file's size.

`python -m benchmarks.csv_memory [--rows 200000 --cols 20]` writes a numeric CSV (cols features plus
a target) to a temp folder and reads it in a fresh process per path: "numpy" is read_csv (np.loadtxt),
"csv module" is the slow path it keeps only to name a bad cell (what read_csv did for every file
before). Each line gives the file size, the resident-set growth at the peak above the process's RSS
before reading (VmHWM reset through /proc/self/clear_refs where writable) and tracemalloc's peak of
traced allocations (NumPy reports its buffers to tracemalloc; Python strings are traced too).
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

_CHILD = r"""
import gc, json, sys, tracemalloc
from pathlib import Path
from presets import datasets

def status_kib(field):
    for line in open("/proc/self/status"):
        if line.startswith(field + ":"):
            return int(line.split()[1])

path, mode = Path(sys.argv[1]), sys.argv[2]
gc.collect()
try:
    open("/proc/self/clear_refs", "w").write("5")
except OSError:
    pass
before = status_kib("VmRSS")
tracemalloc.start()
if mode == "numpy":
    x, y, _ = datasets.read_csv(path, "y")
else:
    header, _ = datasets._header(path)
    x, y = datasets._slow_columns(path, header, header.index("y"))
traced = tracemalloc.get_traced_memory()[1]
tracemalloc.stop()
print(json.dumps({"rss_kib": status_kib("VmHWM") - before, "traced": traced, "shape": list(x.shape)}))
"""


def write_csv(path: Path, rows: int, cols: int, seed: int = 0) -> None:
    """A header and `rows` lines of `cols` random features (%.6g) and a target column y."""
    data = np.random.default_rng(seed).normal(size=(rows, cols + 1))
    header = ",".join([f"f{i}" for i in range(cols)] + ["y"])
    np.savetxt(path, data, delimiter=",", fmt="%.6g", header=header, comments="")


def measure(path: Path, mode: str) -> dict:
    root = Path(__file__).resolve().parents[1]
    done = subprocess.run([sys.executable, "-c", _CHILD, str(path), mode], cwd=root, capture_output=True,
                          text=True, check=True)
    return json.loads(done.stdout)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--cols", type=int, default=20, help="feature columns (a target column is added)")
    parser.add_argument("--modes", nargs="+", default=["numpy", "csv"], choices=["numpy", "csv"])
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "large.csv"
        write_csv(path, args.rows, args.cols)
        size = path.stat().st_size
        print(f"{args.rows:,} x {args.cols} features + target: {size / 2**20:.1f} MiB")
        for mode in args.modes:
            m = measure(path, mode)
            label = "numpy (read_csv)" if mode == "numpy" else "csv module (slow path)"
            print(f"  {label:<24} peak RSS +{m['rss_kib'] / 1024:7.1f} MiB ({m['rss_kib'] * 1024 / size:4.2f}x file)"
                  f"   tracemalloc peak {m['traced'] / 2**20:7.1f} MiB ({m['traced'] / size:4.2f}x file)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
