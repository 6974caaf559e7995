"""What the Inside tab costs: the CNN epoch through `fit` with no monitor, with the monitor switch bound
but nobody watching (the tab closed), and watched with the automatic sampling rate (the tab open).

    python -m benchmarks.inside_overhead [--rounds 5] [--threads 1]

4,000 MNIST-like 28x28 digits (benchmarks.data), batch 64, Adam(1e-3), cross-entropy. Each round
trains one epoch per mode on the same model, the order rotating between rounds after one warm-up
epoch; the table gives each mode's median epoch and the median of its per-round ratio to "none".
"""
from __future__ import annotations

import argparse
import statistics
from time import perf_counter

MODES = ("none", "closed", "open")


def _epoch_timer(threads: int):
    import numpy as np
    from threadpoolctl import threadpool_limits

    import npnn
    from benchmarks.cnn import BATCH, _layers
    from benchmarks.data import cnn_data
    from npnn import nn, optim
    from npnn.data import DataLoader
    from npnn.diagnostics.switch import MonitorSwitch
    from npnn.training import fit

    images, labels = cnn_data()
    npnn.manual_seed(0)
    model = _layers(nn)
    optimizer = optim.Adam(model.parameters(), lr=1e-3)
    loader = DataLoader(images, labels, batch_size=BATCH, shuffle=True, generator=np.random.default_rng(0))
    switch = MonitorSwitch()
    switch.bind(model, images=images[:16])
    samples = []

    def epoch(mode: str) -> float:
        callbacks = () if mode == "none" else (switch,)
        switch.watch(samples.append if mode == "open" else None)
        with threadpool_limits(threads):
            start = perf_counter()
            fit(model, nn.CrossEntropyLoss(), optimizer, loader, epochs=1, callbacks=callbacks)
            return perf_counter() - start

    return epoch, samples


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.inside_overhead", description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1, help="BLAS threads (threadpoolctl), default 1")
    args = parser.parse_args(argv)
    epoch, samples = _epoch_timer(args.threads)
    epoch("none")  # warm-up
    times = {mode: [] for mode in MODES}
    for r in range(args.rounds):
        order = MODES[r % 3:] + MODES[:r % 3]
        for mode in order:
            times[mode].append(epoch(mode))
    print(f"CNN epoch through fit, {args.rounds} rounds, {args.threads} BLAS thread(s); "
          f"{len(samples)} samples taken while open ({len(samples) / args.rounds:.1f} per epoch)\n")
    print("| Inside tab | median epoch (s) | vs none (median of rounds) | range |")
    print("|---|---|---|---|")
    for mode in MODES:
        ratios = [t / base for t, base in zip(times[mode], times["none"])]
        label = {"none": "no monitor", "closed": "closed (switch bound, no hooks)", "open": "open (sampled)"}[mode]
        print(f"| {label} | {statistics.median(times[mode]):.3f} | {statistics.median(ratios):.3f}x | "
              f"{min(ratios):.3f}–{max(ratios):.3f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
