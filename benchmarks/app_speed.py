"""Training inside the app against the same run headless: is the app as fast as the command line?

`python -m benchmarks.app_speed --rounds 3` trains the mnist_cnn preset (10 epochs, seed 0) on 5,000
MNIST-like 28x28 digits (benchmarks.data.mnist_like, written once to an .npz and passed as --data) two
ways, each in a fresh process, their order alternating between rounds:
- headless: `python -m tui --headless ...`, the command line as a user runs it;
- app: the real app (tui.app.make_app) under Textual's test driver, F5 pressed, its own worker thread
  training and its UI thread redrawing the Train tab until the run ends (durations shown, not steady).
Each side's figure is the run's own "seconds" in metrics.json (from the start of the run to its save:
the same work in both), so start-up and imports are left out. Prints each round, the load average, the
medians and the ratio app / headless (goal: <= 1 / 0.95). `--workers 1` compares without data parallelism
(both sides get the same setting); `--epochs` and `--samples` shorten a check; `--refresh S` sets the app's
redraw interval (tui.screens.trainer.REFRESH_SECONDS) for an A/B of what redrawing costs.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.machine import load_average
from benchmarks.runner import ROOT

SIZE = (120, 40)  # the app's terminal, columns x rows
KINDS = ("headless", "app")


def _flags(data: str, out: str, epochs: int, workers: str) -> list[str]:
    return ["--preset", "mnist_cnn", "--data", data, "--epochs", str(epochs), "--seed", "0",
            "--patience", str(epochs), "--workers", workers, "--out", out]


def _seconds(out: str) -> float:
    (run_dir,) = Path(out).iterdir()
    return float(json.loads((run_dir / "metrics.json").read_text())["seconds"])


async def _train_in_app(flags: list[str], refresh: float | None) -> None:
    from tui.app import make_app
    from tui.options import parse_options
    from tui.screens import trainer

    if refresh is not None:
        trainer.REFRESH_SECONDS = refresh

    app = make_app(parse_options(flags))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.app.workers.wait_for_complete()  # the preview: data loaded, model built
        await pilot.press("f5")
        # NOTE: asyncio.sleep, not pilot.pause: each pause forces a screen update, 20 a second at 0.05 s,
        # which the app alone never does (measured: the UI thread's CPU time during training grew with it)
        while not (pilot.app.screen.state.run_id == 1 and not pilot.app.screen.state.running):
            await asyncio.sleep(0.25)
        await pilot.app.workers.wait_for_complete()


def child(kind: str, flags: list[str], refresh: float | None) -> None:
    """In a fresh process: one run, headless or in the app; its run directory holds the figure."""
    if kind == "app":
        asyncio.run(_train_in_app(flags, refresh))
        return
    from tui.cli import main
    code = main(["--headless", *flags])
    if code != 0:
        raise SystemExit(f"the headless run ended with exit code {code}")


def _measure(kind: str, data: str, folder: Path, epochs: int, workers: str, refresh: float | None) -> float:
    out = folder / kind
    env = {k: v for k, v in os.environ.items() if not k.endswith("_NUM_THREADS")}  # as a user's shell has them
    command = [sys.executable, "-m", "benchmarks.app_speed", "--child", kind,
               *(["--refresh", str(refresh)] if refresh is not None else []), "--",
               *_flags(data, str(out), epochs, workers)]
    done = subprocess.run(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                          text=True)
    if done.returncode != 0:
        raise SystemExit(f"{kind} run failed (exit {done.returncode}): {done.stderr.strip()[-500:]}")
    return _seconds(str(out))


def _write_data(path: Path, samples: int) -> None:
    import numpy as np

    from benchmarks.data import mnist_like
    images, labels = mnist_like(samples)
    np.savez(path, x=images[:, 0], y=labels)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.app_speed", description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--samples", type=int, default=5000)
    parser.add_argument("--workers", default="auto", help='the runs\' workers setting ("auto" or N)')
    parser.add_argument("--refresh", type=float, help="the app's redraw interval in seconds (default: the app's)")
    parser.add_argument("--child", choices=KINDS, help=argparse.SUPPRESS)
    parser.add_argument("flags", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child, args.flags, args.refresh)
        return
    with tempfile.TemporaryDirectory(prefix="npnn-app-speed-") as tmp:
        folder = Path(tmp)
        data = folder / "digits28.npz"
        _write_data(data, args.samples)
        times: dict[str, list[float]] = {kind: [] for kind in KINDS}
        print(f"mnist_cnn, {args.samples:,} MNIST-like 28x28 digits, {args.epochs} epochs, seed 0, "
              f"workers {args.workers}, app redraw {args.refresh or 'default'}; seconds per run (metrics.json)")
        print("| round | load before | headless | app | app / headless |")
        print("|---:|---:|---:|---:|---:|")
        for r in range(args.rounds):
            load = load_average()[0]
            order = KINDS if r % 2 == 0 else KINDS[::-1]
            got = {}
            for kind in order:
                round_folder = folder / f"round{r}"
                round_folder.mkdir(exist_ok=True)
                got[kind] = _measure(kind, str(data), round_folder, args.epochs, args.workers, args.refresh)
                times[kind].append(got[kind])
            print(f"| {r + 1} | {load:.2f} | {got['headless']:.2f} | {got['app']:.2f} | "
                  f"{got['app'] / got['headless']:.2f} |", flush=True)
        headless, app = statistics.median(times["headless"]), statistics.median(times["app"])
        ratios = [a / h for a, h in zip(times["app"], times["headless"])]
        print(f"\nmedian: headless {headless:.2f} s, app {app:.2f} s, app / headless {app / headless:.2f} "
              f"(per round {min(ratios):.2f}-{max(ratios):.2f}); load after {load_average()[0]:.2f} "
              f"at {time.strftime('%H:%M:%S')}")


if __name__ == "__main__":
    main()
