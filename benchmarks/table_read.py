"""Time and peak memory of reading and preprocessing a large table, as a training run does it.

`python -m benchmarks.table_read [--rows 200000 --cols 20 --text 3 --missing 0.05]` writes a CSV of
`cols` feature columns (`text` of them few-valued text, the rest numbers), a target column, and
`missing` of the feature cells empty or a missing marker, then in a fresh process per mode:
- "read": presets.table.read.read_table alone;
- "train": presets.datasets.load_data on it (read, target checked, split, column plan fitted on the
  training rows, every split encoded and standardised: what a run does before its first batch).
Modules (scikit-learn's included) are imported before the baseline is taken: their code is not the
data's memory. Each line gives the file size, wall and CPU seconds (CPU time is the steadier figure on a shared
machine) and the resident-set growth at the peak above the process's RSS before reading (VmHWM reset
through /proc/self/clear_refs where writable).
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

_CHILD = r"""
import gc, json, sys, time
from pathlib import Path
from presets.datasets import load_data
from presets.schema import DataSpec
from presets.table.read import read_table
from sklearn.model_selection import train_test_split  # NOTE: imported before the baseline, as in a run

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
wall, cpu = time.perf_counter(), time.process_time()
if mode == "read":
    shape = [len(read_table(path)), None]
else:
    splits = load_data(DataSpec(source="csv"), "regression", path, "target")
    shape = [len(splits.x_train) + len(splits.x_val) + len(splits.x_test), splits.x_train.shape[1]]
wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
print(json.dumps({"rss_kib": status_kib("VmHWM") - before, "wall": wall, "cpu": cpu,
                  "shape": shape}))
"""
_MARKERS = ("", "NA", "?", "nan", "null")


def write_table(path: Path, rows: int, cols: int, text: int, missing: float, categories: tuple = (5, 15, 25),
                seed: int = 0) -> None:
    """A header and `rows` lines: `cols - text` numbers (%.6g), `text` text columns (column k with
    categories[k] distinct values), a target; `missing` of the feature cells a gap (empty or a marker)."""
    rng = np.random.default_rng(seed)
    numbers = rng.normal(size=(rows, cols - text))
    sizes = [categories[k % len(categories)] for k in range(text)]
    words = [np.array([f"w{k}_{i}" for i in range(size)])[rng.integers(0, size, rows)] for k, size in enumerate(sizes)]
    gaps = rng.random((rows, cols)) < missing
    markers = np.array(_MARKERS)[rng.integers(0, len(_MARKERS), (rows, cols))]
    target = numbers[:, 0] * 2 + rng.normal(size=rows)
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([f"x{i}" for i in range(cols - text)] + [f"t{k}" for k in range(text)] + ["target"])
        for r in range(rows):
            cells = [f"{v:.6g}" for v in numbers[r]] + [w[r] for w in words]
            writer.writerow([markers[r, j] if gaps[r, j] else cell for j, cell in enumerate(cells)]
                            + [f"{target[r]:.6g}"])


def measure(path: Path, mode: str) -> dict:
    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, "-c", _CHILD, str(path), mode], cwd=root, capture_output=True,
                          text=True, check=True, env=env)
    return json.loads(done.stdout)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--cols", type=int, default=20, help="feature columns (a target column is added)")
    parser.add_argument("--text", type=int, default=3, help="how many feature columns are text")
    parser.add_argument("--missing", type=float, default=0.05, help="fraction of feature cells missing")
    parser.add_argument("--categories", default="5,15,25",
                        help="distinct values of each text column (the one-hot width grows with them)")
    parser.add_argument("--modes", nargs="+", default=["read", "train"], choices=["read", "train"])
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "large.csv"
        categories = tuple(int(n) for n in args.categories.split(","))
        write_table(path, args.rows, args.cols, args.text, args.missing, categories)
        size = path.stat().st_size
        print(f"{args.rows:,} x {args.cols} features ({args.text} text with {args.categories} values, "
              f"{args.missing:.0%} missing) + target: "
              f"{size / 2**20:.1f} MiB; load average {os.getloadavg()[0]:.1f}")
        for mode in args.modes:
            m = measure(path, mode)
            label = "read_table" if mode == "read" else "load_data (read+preprocess)"
            print(f"  {label:<28} {m['wall']:5.2f} s wall {m['cpu']:5.2f} s CPU   peak RSS +"
                  f"{m['rss_kib'] / 1024:6.1f} MiB ({m['rss_kib'] * 1024 / size:4.2f}x file)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
