"""The subcommands of `npnn-tui` that act on run directories: predict, export and sweep.

Each returns an exit code (tui.exits); bad input raises a ValueError that the entry point prints as
one line with exit code 2. A missing optional extra (onnx, optuna) is exit 1 naming what to install.
"""
from __future__ import annotations

import argparse
import sys

from presets import load_run
from presets.export import MissingExtra
from presets.predict import predictions_csv, read_inputs, score
from presets.rundir import write_atomic
from tui.exits import EXIT_FAILED, EXIT_OK

COMMANDS = ("predict", "export", "sweep")


class _Parser(argparse.ArgumentParser):
    """A subcommand's parser whose errors are one line (exit 2), pointing at --help for the usage."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _predict_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="npnn-tui predict", description="Predict with a trained run on new raw data.")
    parser.add_argument("run_dir", metavar="RUN_DIR", help="a run directory (holds bundle.json and model.npz)")
    parser.add_argument("data", metavar="DATA", help="a CSV with the training's feature columns, or images "
                                                     "(.npz with x, or IDX files)")
    parser.add_argument("-o", "--output", metavar="OUT.csv", help="write the predictions here (default: stdout)")
    return parser


def _export_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="npnn-tui export", description="Export a trained run with its preprocessing.")
    parser.add_argument("run_dir", metavar="RUN_DIR")
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--onnx", metavar="FILE.onnx", help="an ONNX model: raw features in, predictions out "
                                                            "(needs: pip install 'npnn-tui[onnx]')")
    target.add_argument("--pytorch", metavar="DIR", help="model.py (torch.nn.Sequential) and its state dict")
    target.add_argument("--numpy", metavar="DIR", help="predict.py needing only NumPy, and the weights")
    return parser


def predict(argv: list[str]) -> int:
    args = _predict_parser().parse_args(argv)
    bundle = load_run(args.run_dir)
    X, y = read_inputs(bundle, args.data)
    text = predictions_csv(bundle, X)
    if args.output:
        write_atomic(args.output, text)
    else:
        sys.stdout.write(text)
    if y is not None:
        scores = score(bundle, bundle.predict(X), y)
        shown = "  ".join(f"{name} {value:.4f}" for name, value in scores.items())
        print(f"{bundle.target_name!r} column present (not used for prediction): {shown}", file=sys.stderr)
    if args.output:
        print(f"Predictions for {len(text.splitlines()) - 1} inputs written to {args.output}", file=sys.stderr)
    return EXIT_OK


def export(argv: list[str]) -> int:
    args = _export_parser().parse_args(argv)
    bundle = load_run(args.run_dir)
    try:
        if args.onnx:
            from presets.export.onnx import export_onnx
            written = export_onnx(bundle, args.onnx)
        elif args.pytorch:
            from presets.export.pytorch import export_pytorch
            written = export_pytorch(bundle, args.pytorch)
        else:
            from presets.export.numpy import export_numpy
            written = export_numpy(bundle, args.numpy)
    except MissingExtra as error:
        print(f"npnn-tui: error: {error}", file=sys.stderr)
        return EXIT_FAILED
    print(f"Exported {bundle.run_dir} to {written}")
    return EXIT_OK


def run_command(argv: list[str]) -> int:
    """Run the subcommand named by argv[0] with the rest of the arguments."""
    name, rest = argv[0], argv[1:]
    if name == "predict":
        return predict(rest)
    if name == "export":
        return export(rest)
    from tui.sweep import sweep
    return sweep(rest)
