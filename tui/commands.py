"""The subcommands of `npnn-tui`: predict, export and sweep act on run directories, lr-find on a preset.

Each returns an exit code (tui.exits); what goes wrong is raised and turned into one line and its
exit code by the entry point (tui.failures): bad input, an output path that cannot be written or an
export folder already holding the files is exit 2 before any work; a missing optional extra (onnx,
optuna) or a failed write is exit 1. Outputs are written only once everything else succeeded.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from npnn._atomic import STDOUT, output_target, write_atomic
from presets import DataError, OutputError, load_run
from presets.bundle import TEXT_LENGTH, own_file
from presets.predict import completions_text, predictions_csv, range_notice, read_inputs, read_prompts, score
from tui.exits import EXIT_OK
from tui.failures import ArgumentParser

COMMANDS = ("predict", "export", "sweep", "lr-find")
MAX_LENGTH = 100_000  # NOTE: characters one prompt may ask for; more would run for hours
SEQUENCE_FLAGS = ("prompts", "temperature", "length", "seed")


def _predict_parser() -> argparse.ArgumentParser:
    parser = ArgumentParser(prog="npnn-tui predict", description="Predict with a trained run on new raw data, "
                                                                 "or complete prompts with a sequence run.")
    parser.add_argument("run_dir", metavar="RUN_DIR", help="a run directory (holds bundle.json and model.npz)")
    parser.add_argument("data", metavar="DATA", nargs="*",
                        help="a CSV with the training's feature columns, or images (.npz with x, or IDX files); "
                             'for a sequence run, prompts to complete ("123+456=")')
    parser.add_argument("-o", "--output", metavar="OUT.csv",
                        help="write the predictions here: a file (replaced atomically), a FIFO, a device, or - "
                             "for stdout (default: stdout)")
    sequence = parser.add_argument_group("sequence runs (each prompt is printed with its completion, one a line)")
    sequence.add_argument("--prompts", metavar="FILE", help="prompts one a line, from a text file or - for stdin")
    sequence.add_argument("--temperature", metavar="T", type=_number(float, 0, "a finite number >= 0"),
                          help="0 (default): the most likely character each time; above 0: sampled from the "
                               "softmax of logits / T (1: as the model predicts, higher: more random)")
    sequence.add_argument("--length", metavar="N",
                          type=_number(int, 1, f"an integer from 1 to {MAX_LENGTH}", MAX_LENGTH),
                          help="characters to write (default: the answer's length for addition, "
                               f"{TEXT_LENGTH} for text)")
    sequence.add_argument("--seed", metavar="S", type=_number(int, 0, "an integer >= 0"),
                          help="seed of the sampling (default: a fresh one each time)")
    return parser


def _number(kind: type, low: float, allowed: str, high: float = float("inf")):
    """An argparse type: a `kind` number from `low` to `high` (finite), else an error saying `allowed`."""
    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            value = None
        if value is None or not low <= value <= high or value == float("inf"):
            raise argparse.ArgumentTypeError(f"must be {allowed}, got {text!r}")
        return value
    return parse


def _export_parser() -> argparse.ArgumentParser:
    parser = ArgumentParser(prog="npnn-tui export", description="Export a trained run with its preprocessing.")
    parser.add_argument("run_dir", metavar="RUN_DIR")
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--onnx", metavar="FILE.onnx", help="an ONNX model: raw features in, predictions out "
                                                            "(needs: pip install 'npnn-tui[onnx]')")
    target.add_argument("--pytorch", metavar="DIR", help="model.py (torch.nn.Sequential) and its state dict")
    target.add_argument("--numpy", metavar="DIR", help="predict.py needing only NumPy, and the weights")
    parser.add_argument("--force", action="store_true",
                        help="replace FILE.onnx, or model.py / predict.py and weights.npz in DIR, already there "
                             "(refused without it)")
    return parser


def _check_output(flag: str, path: str) -> None:
    """Refuse an output path that cannot be written (a directory, a missing folder) before any work."""
    try:
        output_target(path)
    except OSError as error:
        where = "" if error.filename == path else f"{error.filename}: "
        raise OutputError(f"{flag} {path}: {where}{error.strerror}") from None


def _check_not_run_file(flag: str, path: str, run_dir: str) -> None:
    """Refuse an output that is (or leads through symlinks to) a file of the run being read: it would replace
    the run's weights or bundle."""
    real = own_file(run_dir, path) if path != STDOUT else None
    if real is not None:
        shown = "" if real == os.path.abspath(path) else f" ({real})"
        raise OutputError(f"{flag} {path}: is one of the run's own files{shown}; write it outside {run_dir}")


def _check_export_folder(path: str) -> None:
    """An export folder is a folder, or will be made under the nearest one that exists."""
    folder = Path(path)
    while not os.path.lexists(folder) and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir():
        where = "" if str(folder) == path else f"{folder}: "
        raise OutputError(f"{path}: cannot write the export there ({where}not a folder)")


def predict(argv: list[str]) -> int:
    """Read, predict and score first; the output is written only when all of it succeeded."""
    args = _predict_parser().parse_intermixed_args(argv)  # NOTE: prompts may come after the flags
    output = args.output or STDOUT
    _check_output("-o", output)
    _check_not_run_file("-o", output, args.run_dir)
    bundle = load_run(args.run_dir)
    scores = notice = None
    if bundle.is_sequence:
        text, count = _completions(args, bundle)
    else:
        given = [f"--{flag}" for flag in SEQUENCE_FLAGS if getattr(args, flag) is not None]
        if given or len(args.data) != 1:
            raise DataError(f"{args.run_dir}: a {bundle.task} run predicts on one DATA file" +
                            (f"; {given[0]} is for a sequence run" if given else f", got {len(args.data)}"))
        X, y = read_inputs(bundle, args.data[0])
        text = predictions_csv(bundle, X)
        scores = score(bundle, bundle.predict(X), y) if y is not None else None
        notice = range_notice(bundle, X)
    try:
        write_atomic(output, text)
    except BrokenPipeError:
        raise
    except OSError as error:
        raise OSError(error.errno, f"cannot write the predictions ({error.strerror or error})",
                      "stdout" if output == STDOUT else output) from None
    if notice:
        print(f"npnn-tui: warning: {notice}", file=sys.stderr)
    if scores is not None:
        shown = "  ".join(f"{name} {value:.4f}" for name, value in scores.items())
        print(f"{bundle.target_name!r} column present (not used for prediction): {shown}", file=sys.stderr)
    if output != STDOUT:
        done = (f"Completions of {count} prompt{'s' if count != 1 else ''}" if bundle.is_sequence else
                f"Predictions for {len(text.splitlines()) - 1} inputs")
        print(f"{done} written to {output}", file=sys.stderr)
    return EXIT_OK


def _completions(args: argparse.Namespace, bundle) -> tuple[str, int]:
    """The prompts (arguments, or --prompts' lines) each with its completion, one a line; and how many."""
    if bool(args.data) == bool(args.prompts):
        both = "; not both" if args.data else ""
        raise DataError(f"{args.run_dir}: a sequence run completes prompts: give them as arguments or one a line "
                        f"in --prompts FILE (- for stdin){both}")
    prompts = args.data or read_prompts(bundle, args.prompts, args.length, getattr(sys.stdin, "buffer", None))
    return completions_text(bundle, prompts, args.length, args.temperature or 0.0, args.seed), len(prompts)


def export(argv: list[str]) -> int:
    """A missing extra (onnx) is exit 1 naming what to install (tui.failures: an ImportError)."""
    args = _export_parser().parse_args(argv)
    if args.onnx:
        _check_output("--onnx", args.onnx)
    else:
        _check_export_folder(args.pytorch or args.numpy)
    bundle = load_run(args.run_dir)
    if args.onnx:
        from presets.export.onnx import export_onnx
        written = export_onnx(bundle, args.onnx, force=args.force)
    elif args.pytorch:
        from presets.export.pytorch import export_pytorch
        written = export_pytorch(bundle, args.pytorch, force=args.force)
    else:
        from presets.export.numpy import export_numpy
        written = export_numpy(bundle, args.numpy, force=args.force)
    print(f"Exported {bundle.run_dir} to {written}")
    return EXIT_OK


def run_command(argv: list[str]) -> int:
    """Run the subcommand named by argv[0] with the rest of the arguments."""
    name, rest = argv[0], argv[1:]
    if name == "predict":
        return predict(rest)
    if name == "export":
        return export(rest)
    if name == "lr-find":
        from tui.lr_find_command import lr_find_command
        return lr_find_command(rest)
    from tui.sweep import sweep
    return sweep(rest)
