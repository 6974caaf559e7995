"""What checkpoint.npz costs: writing it (the loop's state dict copied, then the atomic .npz write) against
one epoch of the MNIST preset (mnist_cnn: its CNN, Adam, batch 64, early stopping), as a run pays it.

    python -m benchmarks.checkpoint_cost [--epochs 5] [--threads 1]

The preset trains on 5,000 MNIST-like 28x28 digits (benchmarks.data, as an .npz through --data) with
one worker; after each epoch the checkpoint is written and timed, the epoch time being the loop's own
(EpochEnded.seconds: training and validation). It prints both medians and their ratio (the bar: <= 5%).
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
from pathlib import Path
from time import perf_counter


def measure(epochs: int, threads: int) -> tuple[list[float], list[float], int]:
    """Per epoch: (the epoch's seconds, the checkpoint's seconds), and the checkpoint's size in bytes."""
    with tempfile.TemporaryDirectory(prefix="npnn-checkpoint-cost-") as name:
        return _measure_in(Path(name), epochs, threads)


def _measure_in(folder: Path, epochs: int, threads: int) -> tuple[list[float], list[float], int]:
    import numpy as np
    from threadpoolctl import threadpool_limits

    from benchmarks.data import mnist_like
    from npnn.events import EpochEnded
    from presets import Run, load_preset
    from presets.checkpoint import CHECKPOINT_FILE, write_checkpoint

    images, labels = mnist_like(5000)
    np.savez(folder / "mnist.npz", x=(images[:, 0] * 255).astype(np.uint8), y=labels)
    run = Run(load_preset("mnist_cnn", {"epochs": epochs}), out_dir=folder, data_path=folder / "mnist.npz",
              workers=1)
    run.prepare()
    epoch_seconds, write_seconds = [], []

    def checkpoint(event) -> None:
        if isinstance(event, EpochEnded):
            epoch_seconds.append(event.seconds)
            start = perf_counter()
            write_checkpoint(folder, loop.state_dict(), {"preset": "mnist_cnn", "before": {}})
            write_seconds.append(perf_counter() - start)

    loop = run.fit_loop((checkpoint,), should_stop=None)
    with threadpool_limits(threads):
        loop.run()
    return epoch_seconds, write_seconds, (folder / CHECKPOINT_FILE).stat().st_size


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.checkpoint_cost", description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1, help="BLAS threads (threadpoolctl), default 1")
    args = parser.parse_args(argv)
    epochs, writes, size = measure(args.epochs, args.threads)
    epoch, write = statistics.median(epochs), statistics.median(writes)
    print("| epoch (median) | checkpoint write (median) | share of an epoch | checkpoint size |")
    print("|---|---|---|---|")
    print(f"| {epoch * 1000:.0f} ms | {write * 1000:.1f} ms | {100 * write / epoch:.2f}% | {size / 1e6:.2f} MB |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
