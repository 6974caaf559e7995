"""`npnn-tui sweep`: an Optuna study over one preset, one line per trial, the best trial at the end.

Several processes given the same --storage and --study cooperate; --trials counts per process.
"""
from __future__ import annotations

import argparse
import sys

from presets.errors import PresetError
from presets.export import MissingExtra
from presets.settings import setting
from presets.sweep import Sweep, TrialResult, default_storage, parse_param
from presets.sweep_storage import GRACE_HEARTBEATS, HEARTBEAT_SECONDS, StorageUnavailable, shown_storage
from tui.blas import training_blas_limit
from tui.exits import EXIT_FAILED, EXIT_OK, exit_code, interrupt_name
from tui.options import DEFAULT_OUT, DEFAULT_PRESET

MAX_SEED = 2**32 - 1  # NOTE: Optuna's TPE sampler seeds NumPy's RandomState, which takes no more
MAX_HEARTBEAT = 3600


def _whole(low: int, high: int | None = None):
    """An argparse type: a whole number from `low` (to `high`); 400 digits are refused, not overflowed."""
    expected = f"a whole number >= {low}" if high is None else f"a whole number from {low} to {high}"

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}") from None
        if value < low or (high is not None and value > high):
            raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}")
        return value
    return parse


def _epochs(text: str) -> int:
    """--epochs, checked by the setting's own Option (as a preset's epochs are)."""
    try:
        return setting("epochs").parse(text)
    except PresetError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    except OverflowError:  # NOTE: a 400-digit integer, compared with float bounds
        raise argparse.ArgumentTypeError("expected a whole number >= 1, got a number too large") from None


def sweep_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="npnn-tui sweep", description="Search a preset's settings with Optuna (TPE sampler, median pruner); "
        "each trial is a headless run with its own run directory. Processes given the same --storage and "
        "--study cooperate: that is how a sweep spreads over cores and machines.")
    parser.add_argument("--preset", default=DEFAULT_PRESET, help=f"preset name or file (default: {DEFAULT_PRESET})")
    parser.add_argument("--trials", type=_whole(1), required=True,
                        help="trials this process adds to the study (Optuna's n_trials)")
    parser.add_argument("--param", action="append", default=[], metavar="NAME=LOW:HIGH[:log]",
                        help="a setting to search, e.g. lr=1e-4:1e-2:log, dropout=0:0.5, optimizer=adam,sgd "
                             "(repeatable)")
    parser.add_argument("--storage", metavar="URL_OR_JOURNAL_FILE",
                        help="where the study lives: a journal file, or an SQLAlchemy URL (sqlite:///s.db; "
                             "postgresql+psycopg://… for workers on many machines); default: "
                             "OUT/sweeps/STUDY.journal")
    parser.add_argument("--study", metavar="NAME", help="study name (default: PRESET-sweep)")
    parser.add_argument("--epochs", type=_epochs, help="epochs per trial (default: the preset's)")
    parser.add_argument("--out", default=DEFAULT_OUT, help=f"folder for the trials' run directories "
                                                           f"(default: {DEFAULT_OUT})")
    parser.add_argument("--data", help="a data file for the preset (as in a headless run)")
    parser.add_argument("--target", help="the CSV column to predict (with --data)")
    parser.add_argument("--heartbeat", type=_whole(1, MAX_HEARTBEAT), default=HEARTBEAT_SECONDS,
                        metavar="SECONDS",
                        help=f"a running trial's worker marks it alive this often; a trial silent for "
                             f"{GRACE_HEARTBEATS} heartbeats (its worker was killed) is failed and its settings "
                             f"retried (default: {HEARTBEAT_SECONDS})")
    parser.add_argument("--seed", type=_whole(0, MAX_SEED),
                        help="seed of the TPE sampler (default: random, so cooperating processes do not propose the "
                             "same settings)")
    return parser


def _settings(params: dict) -> str:
    return " ".join(f"{name}={value:.4g}" if isinstance(value, float) else f"{name}={value}"
                    for name, value in params.items())


def _trial_line(result: TrialResult) -> str:
    value = "—" if result.value is None else f"{result.value:.4f}"
    state = result.state if result.error is None else f"{result.state} ({result.error})"
    continued = "" if result.continued is None else \
        f"continued trial {result.continued[0]} after epoch {result.continued[1]} · "
    return f"Trial {result.number} · {_settings(result.params)} · best val loss {value} · {state} · " \
           f"{continued}{result.run_dir or 'no run directory'}"


def sweep(argv: list[str]) -> int:
    """Run `npnn-tui sweep` with `argv`; ValueError (bad --param, preset, data) is exit 2 in tui.cli."""
    args = sweep_parser().parse_args(argv)
    if args.target and not args.data:
        raise ValueError("--target names a column of --data; give --data too")
    params = [parse_param(text) for text in args.param]
    _quiet_optuna()
    try:
        study = Sweep(args.preset, params, out_dir=args.out, storage=args.storage, study=args.study,
                      epochs=args.epochs, data_path=args.data, target=args.target, sampler_seed=args.seed,
                      heartbeat=args.heartbeat)
    except (MissingExtra, StorageUnavailable) as error:
        print(f"npnn-tui: error: {error}", file=sys.stderr)
        return EXIT_FAILED
    storage = args.storage or default_storage(args.out, study.study_name)
    print(f"Study {study.study_name!r} in {shown_storage(storage)}: {args.trials} trial(s) from this process, "
          f"{len(study.study.trials)} already in the study", flush=True)
    try:
        with training_blas_limit():
            study.run(args.trials, on_trial=lambda result: print(_trial_line(result), flush=True),
                      on_warning=lambda line: print(f"npnn-tui: warning: {line}", file=sys.stderr, flush=True))
    except KeyboardInterrupt as interrupt:
        print(f"Interrupted ({interrupt_name(interrupt)}): {_interrupted(study)}", flush=True)
        _print_best(study)
        return exit_code(interrupt)
    return _print_best(study)


def _interrupted(study: Sweep) -> str:
    """What became of the trial Ctrl+C ended (presets.sweep.Sweep.run)."""
    if study.interrupted is None:
        return "no trial was training; the study is kept."
    number, retried = study.interrupted
    then = "the study's next trial (this command again) continues it from its checkpoint" if retried else \
        "it was retried as often as a trial may be, so it is not retried again"
    return f"trial {number} is saved and marked failed, and the study is kept: {then}."


def _quiet_optuna() -> None:
    """Our line per trial (with a failed trial's error) replaces Optuna's log (this is the sweep's own process)."""
    try:
        import optuna
    except ImportError:
        return
    optuna.logging.set_verbosity(optuna.logging.ERROR)


def _print_best(study: Sweep) -> int:
    best = study.best()
    if best is None:
        print("No trial has completed yet.")
        return EXIT_FAILED
    print(f"Best trial {best.number}: {_settings(best.params)} · best val loss {best.value:.4f} · {best.run_dir}")
    return EXIT_OK
