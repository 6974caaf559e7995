"""`npnn-tui lr-find`: the learning-rate range test on a preset (presets.lr_find), printed as a table of lr
against the smoothed loss with the suggested lr marked, and the suggestion in one line.

Bad flags, preset or data are exit 2 with one line (tui.failures), a failure while testing exit 1.
Nothing is written: the preset's model is built, tested and thrown away.
"""
from __future__ import annotations

import argparse

from presets import Run, load_preset
from presets.lr_find import END_LR, NUM_ITER, START_LR, check_range, find_lr, summary, table_rows
from tui.blas import training_blas_limit
from tui.exits import EXIT_OK
from tui.failures import ArgumentParser
from tui.options import DEFAULT_PRESET, Options, check_flags_apply


def _parser() -> argparse.ArgumentParser:
    parser = ArgumentParser(prog="npnn-tui lr-find",
                            description="The learning-rate range test (Smith 2015, fastai's lr_find): lr grows "
                                        "exponentially over training batches of a fresh model until the loss "
                                        "explodes; the suggestion is where the smoothed loss falls fastest.")
    parser.add_argument("--preset", metavar="NAME|PATH", default=DEFAULT_PRESET,
                        help=f"built-in preset name or a preset .toml file (default: {DEFAULT_PRESET})")
    parser.add_argument("--data", metavar="PATH", help="your data, as for a run (a .csv with --target, MNIST files)")
    parser.add_argument("--target", metavar="COLUMN", help="the CSV column to predict")
    parser.add_argument("--download", action="store_true", help="allow downloading the preset's data (MNIST)")
    parser.add_argument("--start-lr", type=float, default=START_LR, metavar="LR",
                        help=f"the first lr tried (default: {START_LR:g})")
    parser.add_argument("--end-lr", type=float, default=END_LR, metavar="LR",
                        help=f"the last lr tried (default: {END_LR:g})")
    parser.add_argument("--num-iter", type=int, default=NUM_ITER, metavar="N",
                        help=f"batches to try, cycling the training split if it has fewer (default: {NUM_ITER})")
    return parser


def lr_find_command(argv: list[str]) -> int:
    """Check flags and preset, run the test on the training split, print the table and the suggestion."""
    args = _parser().parse_args(argv)
    check_range(args.start_lr, args.end_lr, args.num_iter)
    preset = load_preset(args.preset)
    check_flags_apply(Options(preset=args.preset, data=args.data, target=args.target), preset)
    run = Run(preset, data_path=args.data, target=args.target, download=args.download)
    run.prepare()
    with training_blas_limit():
        found = find_lr(run, args.start_lr, args.end_lr, args.num_iter)
    print(f"Preset {found.preset}: {found.data_description}")
    print(f"{'lr':>12}  {'smoothed loss':>14}")
    for lr, loss, suggested in table_rows(found.result):
        print(f"{lr:>12.3g}  {loss:>14.5g}" + ("  ← suggested" if suggested else ""))
    print(summary(found))
    return EXIT_OK
