"""The `npnn-tui` command line: the interactive trainer, `--headless` runs and `--list-presets`.

Exit codes: 0 success, 2 bad arguments or preset (argparse's own errors too), 130 Ctrl+C (after the
partial run is saved), 1 other failures. User errors print one line, never a traceback.
"""
from __future__ import annotations

import argparse
import sys

from presets.catalog import OPTIMIZERS

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
DEFAULT_PRESET = "tabular_mlp"
# CLI flag → (override key, metavar, help). Values are parsed by presets.parse_override, as in the app's form.
_OVERRIDE_FLAGS = {
    "--optimizer": ("optimizer", "NAME", None),  # help: the registered optimizers (presets.catalog)
    "--lr": ("lr", "F", "learning rate (> 0)"),
    "--dropout": ("dropout", "F", "rate of every Dropout layer, in [0, 1)"),
    "--patience": ("patience", "N", "early-stopping patience in epochs (>= 0)"),
    "--min-delta": ("min_delta", "F", "smallest val-loss decrease that counts as progress (>= 0)"),
    "--epochs": ("epochs", "N", "epoch budget (>= 1)"),
    "--batch-size": ("batch_size", "N", "training batch size (>= 1)"),
    "--seed": ("seed", "N", "random seed for init, dropout and shuffling (>= 0)"),
    "--clip-norm": ("max_grad_norm", "F|off", "clip the gradient norm to F (alias --max-grad-norm); off: no clipping"),
}


class _Override(argparse.Action):
    """Store a parsed override and remember it was given (None is a real value: --clip-norm off)."""

    def __call__(self, parser, namespace, values, option_string=None):
        setattr(namespace, self.dest, values)
        namespace.given_overrides = (*getattr(namespace, "given_overrides", ()), self.dest)


def _override_type(key: str):
    def parse(text: str):
        from presets import PresetError, parse_override
        try:
            return parse_override(key, text)
        except PresetError as error:
            raise argparse.ArgumentTypeError(str(error)) from None
    parse.__name__ = key
    return parse


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="npnn-tui", description="Train npnn models live in the terminal, or headless with --headless.",
        epilog="Example: npnn-tui --headless --preset tabular_mlp --epochs 50 --lr 1e-3")
    parser.add_argument("--preset", metavar="NAME|PATH",
                        help=f"built-in preset name or a preset .toml file (default: {DEFAULT_PRESET})")
    parser.add_argument("--headless", action="store_true", help="train without the app, printing progress")
    parser.add_argument("--list-presets", action="store_true", help="list the built-in presets and exit")
    group = parser.add_argument_group("training settings (override the preset)")
    for flag, (key, metavar, help_text) in _OVERRIDE_FLAGS.items():
        aliases = (flag, "--max-grad-norm") if key == "max_grad_norm" else (flag,)
        group.add_argument(*aliases, dest=key, action=_Override, type=_override_type(key), default=None,
                           metavar=metavar, help=help_text or "one of " + ", ".join(OPTIMIZERS))
    data = parser.add_argument_group("data")
    data.add_argument("--data", metavar="PATH",
                      help="your data: a .csv (with --target) for tabular presets; MNIST IDX files "
                           "(or their directory) or an .npz with x/y for image presets")
    data.add_argument("--target", metavar="COLUMN", help="the CSV column to predict")
    data.add_argument("--download", action="store_true",
                      help="allow fetching MNIST from OpenML when it is not cached locally")
    parser.add_argument("--out", metavar="DIR", default="runs", help="where run directories go (default: runs)")
    parser.set_defaults(given_overrides=())
    return parser


def overrides_from_args(args: argparse.Namespace) -> dict:
    """The preset overrides the user gave on the command line (key → already validated value)."""
    from presets import OVERRIDE_KEYS
    given = getattr(args, "given_overrides", None)
    if given is None:  # a Namespace built by hand: every non-None value counts
        return {k: getattr(args, k) for k in OVERRIDE_KEYS if getattr(args, k, None) is not None}
    return {k: getattr(args, k) for k in OVERRIDE_KEYS if k in given}


def _error(message: str) -> None:
    print(f"npnn-tui: error: {message}", file=sys.stderr)


def _list_presets() -> int:
    from presets import list_presets
    infos = list_presets()
    width = max(len(info.name) for info in infos)
    for info in infos:
        print(f"{info.name:<{width}}  {info.title} — {info.description}")
    return EXIT_OK


def _interactive(args) -> int:
    try:
        from tui.app import make_app
    except ModuleNotFoundError as error:
        if error.name != "tui.app":
            raise
        print("npnn-tui: the interactive trainer is not available yet; use --headless")
        return EXIT_OK
    make_app(args).run()
    return EXIT_OK


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    from presets import DataError, PresetError
    try:
        if args.list_presets:
            return _list_presets()
        if args.headless:
            from tui.headless import run_headless
            return run_headless(args)
        return _interactive(args)
    except (PresetError, DataError) as error:
        _error(str(error))
        return EXIT_USAGE
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
