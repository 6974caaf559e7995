"""Does BatchNorm2d help the MNIST CNN preset? Test accuracy after a few epochs, with and without it.

`python -m benchmarks.batchnorm_presets [--epochs 3 10] [--seeds 0 1 2] [--samples 5000]` trains the
`mnist_cnn` preset as `npnn-tui --headless` would (its split, Adam, early stopping with the best weights
restored, test accuracy after) on the MNIST-like images of benchmarks/data.py (scikit-learn's digits
upscaled into 28x28 frames: no download), once as it is and once with a BatchNorm2d after each Conv2d
(Conv → BatchNorm → ReLU), for every epoch budget and seed, and prints a Markdown table: mean test
accuracy over the seeds, its range, the epochs actually run and the seconds per epoch.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

PRESET = "mnist_cnn"


def with_batchnorm(model: list) -> list:
    """The preset's layer list with a BatchNorm2d (its size inferred) after every Conv2d."""
    out = []
    for layer in model:
        out.append(dict(layer))
        if layer["type"] == "Conv2d":
            out.append({"type": "BatchNorm2d"})
    return out


def variants() -> dict:
    """name → the validated preset: as shipped, and with BatchNorm2d after each convolution."""
    from presets import load_preset
    from presets.schema import preset_from_dict

    plain = load_preset(PRESET)
    raw = plain.to_dict()
    raw["model"] = with_batchnorm(raw["model"])
    raw["name"] = f"{PRESET}_bn"
    return {"as shipped": plain, "BatchNorm2d after each conv": preset_from_dict(raw, "batchnorm variant", raw["name"])}


def write_images(folder: Path, samples: int) -> Path:
    """The MNIST-like images as an .npz the preset reads with --data."""
    from benchmarks.data import mnist_like

    x, y = mnist_like(samples)
    path = folder / "mnist_like.npz"
    np.savez(path, x=x, y=y)
    return path


def train(preset, epochs: int, seed: int, data: Path, out: Path) -> dict:
    """One headless run of `preset` for an epoch budget and seed: test accuracy, epochs run, seconds per epoch."""
    from presets import Run
    from presets.overrides import apply_overrides

    run = Run(apply_overrides(preset, {"epochs": epochs, "seed": seed}), out_dir=out, data_path=str(data))
    start = time.perf_counter()
    result = run.execute()
    seconds = time.perf_counter() - start
    run_epochs = len(result.history.train_loss)
    return {"accuracy": result.after["test"]["accuracy"], "epochs_run": run_epochs,
            "seconds_per_epoch": seconds / max(run_epochs, 1)}


def table(results: dict, seeds: list) -> str:
    """Markdown: one row per model and epoch budget."""
    lines = [f"| model | epoch budget | test accuracy (mean of {len(seeds)} seeds) | range | epochs run | s / epoch |",
             "|---|---:|---:|---:|---:|---:|"]
    for (name, epochs), runs in results.items():
        accuracy = [r["accuracy"] for r in runs]
        epochs_run = sorted({r["epochs_run"] for r in runs})
        lines.append(f"| {name} | {epochs} | {statistics.mean(accuracy):.2%} | {min(accuracy):.2%} – "
                     f"{max(accuracy):.2%} | {', '.join(map(str, epochs_run))} | "
                     f"{statistics.median(r['seconds_per_epoch'] for r in runs):.2f} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.batchnorm_presets", description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, nargs="+", default=[3, 10], help="epoch budgets (default 3 10)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2], help="seeds (default 0 1 2)")
    parser.add_argument("--samples", type=int, default=5000, help="MNIST-like images made (the preset keeps "
                        "its first 5,000; default 5000)")
    args = parser.parse_args(argv)
    if min(args.epochs) < 1 or min(args.seeds) < 0 or args.samples < 100:
        parser.error("--epochs must be >= 1, --seeds >= 0 and --samples >= 100")
    from threadpoolctl import threadpool_limits

    results = {}
    with tempfile.TemporaryDirectory() as folder, threadpool_limits(2):
        data = write_images(Path(folder), args.samples)
        for name, preset in variants().items():
            for epochs in args.epochs:
                results[(name, epochs)] = [train(preset, epochs, seed, data, Path(folder) / "runs")
                                           for seed in args.seeds]
                print(f"{name}, {epochs} epochs: done", file=sys.stderr)
    print(table(results, args.seeds))
    return 0


if __name__ == "__main__":
    sys.exit(main())
