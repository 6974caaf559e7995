"""What the command line means, for every front end: the parser, the typed Options, the default preset.

The entry point (tui.cli), the headless runner and the app all read `Options`; none imports another.
"""
from __future__ import annotations

import argparse
from dataclasses import dataclass, field, replace

import npnn
from presets import Preset, PresetError, parse_override, setting_names
from presets.datasets import reads_csv
from presets.schema import DATA_FIELDS
from presets.settings import all_settings, describe
from tui.exits import EXIT_FAILED, EXIT_HANGUP, EXIT_INTERRUPTED, EXIT_OK, EXIT_TERMINATED, EXIT_USAGE
from tui.failures import ArgumentParser

__all__ = ["DEFAULT_OUT", "DEFAULT_PRESET", "DEFAULT_PRESETS_DIR", "EXIT_FAILED", "EXIT_HANGUP",
           "EXIT_INTERRUPTED", "EXIT_OK", "EXIT_TERMINATED", "EXIT_USAGE", "Options", "build_parser",
           "check_flags_apply", "options_from_args", "overrides_from_args", "parse_options", "with_data_flags"]

DEFAULT_PRESET = "tabular_mlp"
DEFAULT_OUT = "runs"
DEFAULT_PRESETS_DIR = "npnn-presets"  # the user's presets (saved from the model editor), listed after the built-ins


@dataclass(frozen=True)
class Options:
    """One `npnn-tui` invocation: which preset, its overrides (key → validated value), data and output."""
    preset: str = DEFAULT_PRESET
    overrides: dict = field(default_factory=dict)
    data: str | None = None
    target: str | None = None
    columns: tuple | None = None     # --columns: the table's feature columns (data.columns)
    drop: tuple | None = None        # --drop: feature columns left out (data.drop)
    download: bool = False
    out: str = DEFAULT_OUT
    presets_dir: str = DEFAULT_PRESETS_DIR
    headless: bool = False
    list_presets: bool = False
    resume: str | None = None      # a run directory to go on with, in place (--resume)
    fork: str | None = None        # a run directory to start a new run from (--fork)
    from_epoch: str | None = None  # the fork's epoch: a number or "best" (default: the checkpoint's)


class _Override(argparse.Action):
    """Store a parsed override and remember it was given (None is a real value: --clip-norm off)."""

    def __call__(self, parser, namespace, values, option_string=None):
        setattr(namespace, self.dest, values)
        namespace.given_overrides = (*getattr(namespace, "given_overrides", ()), self.dest)


def _override_type(key: str):
    def parse(text: str):
        try:
            return parse_override(key, text)
        except PresetError as error:
            raise argparse.ArgumentTypeError(str(error)) from None
        except OverflowError:  # NOTE: a whole number beyond float's range (400 digits) cannot be range-checked
            raise argparse.ArgumentTypeError(f"{key} must be a number that fits in 64 bits, got one "
                                             f"{len(text.strip())} digits long") from None
    parse.__name__ = key
    return parse


def _names_type(key: str):
    """Column names typed as A,B,C, checked by the data.KEY Option."""
    def parse(text: str):
        try:
            return DATA_FIELDS[key].parse(text, f"--{key}")
        except PresetError as error:
            raise argparse.ArgumentTypeError(str(error)) from None
    parse.__name__ = key
    return parse


def build_parser() -> argparse.ArgumentParser:
    parser = ArgumentParser(  # NOTE: errors in one line (tui.failures)
        prog="npnn-tui", description="Train npnn models live in the terminal, or headless with --headless.",
        epilog="Example: npnn-tui --headless --preset tabular_mlp --epochs 50 --lr 1e-3")
    parser.add_argument("--version", action="version", version=f"%(prog)s {npnn.__version__}")
    parser.add_argument("--preset", metavar="NAME|PATH",
                        help=f"built-in preset name or a preset .toml file (default: {DEFAULT_PRESET})")
    parser.add_argument("--headless", action="store_true", help="train without the app, printing progress")
    parser.add_argument("--list-presets", action="store_true",
                        help="list the built-in presets and yours (--presets-dir), and exit")
    group = parser.add_argument_group("training settings (override the preset; presets.settings lists them)")
    for setting in all_settings().values():
        group.add_argument(setting.flag, *setting.aliases, dest=setting.name, action=_Override,
                           type=_override_type(setting.name), default=None, metavar=setting.metavar,
                           help=describe(setting))
    data = parser.add_argument_group("data")
    data.add_argument("--data", metavar="PATH",
                      help="your data: a .csv (with --target) for tabular presets; MNIST IDX files "
                           "(or their directory) or an .npz with x/y for image presets")
    data.add_argument("--target", metavar="COLUMN", help="the CSV column to predict")
    data.add_argument("--columns", metavar="A,B,C", type=_names_type("columns"),
                      help="the table's feature columns (default: every column but the target); data.columns")
    data.add_argument("--drop", metavar="X,Y", type=_names_type("drop"),
                      help="feature columns to leave out; data.drop")
    data.add_argument("--download", action="store_true",
                      help="allow fetching MNIST from OpenML when it is not cached locally")
    parser.add_argument("--out", metavar="DIR", default=DEFAULT_OUT,
                        help=f"where run directories go (default: {DEFAULT_OUT}); checked before any data is loaded")
    parser.add_argument("--presets-dir", metavar="DIR", default=DEFAULT_PRESETS_DIR,
                        help="your presets, saved from the app's model editor; listed after the built-in ones "
                             f"(default: {DEFAULT_PRESETS_DIR})")
    runs = parser.add_argument_group("continuing a run (headless; the run's config.toml is the preset)")
    runs.add_argument("--resume", metavar="RUN_DIR",
                      help="go on with RUN_DIR from its checkpoint.npz, in the same directory, exactly as if it "
                           "had not stopped; --epochs N sets a new epoch budget (in all)")
    runs.add_argument("--fork", metavar="RUN_DIR",
                      help="start a new run directory from RUN_DIR's checkpoint, with the settings given here "
                           "changed; its config.toml names the parent run")
    runs.add_argument("--from-epoch", metavar="K|best",
                      help="with --fork: start from the state after epoch K, or after the best epoch "
                           "(default: where the parent stopped)")
    parser.set_defaults(given_overrides=())
    return parser


def overrides_from_args(args: argparse.Namespace) -> dict:
    """The preset overrides the user gave on the command line (key → already validated value)."""
    given = getattr(args, "given_overrides", None)
    if given is None:  # a Namespace built by hand: every non-None value counts
        return {k: getattr(args, k) for k in setting_names() if getattr(args, k, None) is not None}
    return {k: getattr(args, k) for k in setting_names() if k in given}


def options_from_args(args: argparse.Namespace) -> Options:
    """The typed Options of a parsed namespace (missing attributes take the defaults)."""
    return Options(preset=getattr(args, "preset", None) or DEFAULT_PRESET, overrides=overrides_from_args(args),
                   data=getattr(args, "data", None), target=getattr(args, "target", None),
                   columns=getattr(args, "columns", None), drop=getattr(args, "drop", None),
                   download=bool(getattr(args, "download", False)), out=getattr(args, "out", None) or DEFAULT_OUT,
                   presets_dir=getattr(args, "presets_dir", None) or DEFAULT_PRESETS_DIR,
                   headless=bool(getattr(args, "headless", False)),
                   list_presets=bool(getattr(args, "list_presets", False)),
                   resume=getattr(args, "resume", None), fork=getattr(args, "fork", None),
                   from_epoch=getattr(args, "from_epoch", None))


def parse_options(argv: list[str] | None = None) -> Options:
    """Parse `npnn-tui` arguments (argparse exits 2 with its message on bad ones)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    options = options_from_args(args)
    problem = _continuing_problem(options, args)
    if problem:
        parser.error(problem)
    return options


def _continuing_problem(options: Options, args: argparse.Namespace) -> str | None:
    """What is wrong with --resume / --fork / --from-epoch beside the other flags, or None."""
    if options.resume and options.fork:
        return "--resume and --fork: give one run to continue"
    if options.from_epoch is not None:
        if not options.fork:
            return f"--from-epoch {options.from_epoch}: only with --fork RUN_DIR"
        if options.from_epoch != "best" and not (options.from_epoch.isdigit() and int(options.from_epoch) >= 1):
            return f"--from-epoch {options.from_epoch}: expected an epoch number >= 1 or best"
    continuing = options.resume or options.fork
    if not continuing:
        return None
    flag = "--resume" if options.resume else "--fork"
    if not options.headless:
        return f"{flag} {continuing}: only with --headless (the app continues runs from its Runs tab)"
    for other in ("preset", "data", "target", "download", "columns", "drop"):
        if getattr(args, other, None):
            return f"--{other}: {flag} {continuing} trains the run's own preset and data (its config.toml)"
    if options.resume:
        changed = sorted(set(options.overrides) - {"epochs"})
        if changed:
            return (f"--resume {continuing}: only --epochs may change (a resumed run is the same run); "
                    f"fork it to change {changed[0]} (--fork {continuing})")
    return None


def check_flags_apply(options: Options, preset: Preset) -> None:
    """Refuse flags the loaded preset cannot use, naming flag, value and why (PresetError: exit 2).

    NOTE: without this a --dropout on a model without Dropout layers, or a --target with no CSV to
    pick a column from, would be dropped without a word."""
    if "dropout" in options.overrides and preset.dropout is None:
        raise PresetError(f"--dropout {options.overrides['dropout']:g}: preset {preset.name} has no Dropout "
                          "layer for it to set")
    for flag, value in (("--columns", options.columns), ("--drop", options.drop)):
        if value is not None and not reads_csv(preset.data, options.data):
            raise PresetError(f"{flag} {','.join(value)}: only a table file (--data FILE.csv) has columns to choose")
    if options.target is not None and not reads_csv(preset.data, options.data):
        why = (f"{options.data} is not a CSV file, so there is no column to pick" if options.data else
               f"needs --data FILE.csv to pick the column from (preset {preset.name} uses "
               f"{preset.data.source} data, which has no columns to choose)")
        raise PresetError(f"--target {options.target}: {why}")


def with_data_flags(options: Options, preset: Preset) -> Preset:
    """The preset with --columns / --drop in its data spec (data.columns / data.drop)."""
    chosen = {key: value for key, value in (("columns", options.columns), ("drop", options.drop)) if value is not None}
    return replace(preset, data=replace(preset.data, **chosen)) if chosen else preset
