"""Sweeps on Optuna: each trial is one headless Run of a preset with sampled settings and its own run directory.

The study lives in Optuna's storage (presets.sweep_storage): a journal file (the default, one per study
under --out) or an SQLAlchemy URL. Several processes given the same storage and study name cooperate,
which is how a sweep spreads over cores and machines. A trial retried after its worker died or Ctrl+C
ended it continues its predecessor's run from its checkpoint (presets.sweep_resume). Optuna is an
optional extra, imported only here.
"""
from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from pathlib import Path

from npnn.events import EpochEnded
from presets.checkpoint import CheckpointError
from presets.datasets import load_data
from presets.errors import PresetError
from presets.events import RunSaved, RunStarted
from presets.export import MissingExtra
from presets.registry import load_preset
from presets.run import Run
from presets.rundir import run_name
from presets.settings import all_settings
from presets.sweep_resume import CONTINUED_ATTR, RUN_DIR_ATTR, RunDirLock, continuation, starting_over
from presets.sweep_storage import HEARTBEAT_SECONDS, create_study, retry_trial

INSTALL_HINT = "pip install 'npnn-tui[optuna]'"
SWEEPS_DIR = "sweeps"  # under --out: the default journal storage, one file per study


def searchable() -> tuple[str, ...]:
    """The settings a sweep can sample (presets.settings): numbers from a range, the others from choices.
    NOTE: a pair (betas) or a table (the schedule's arguments) has no range or list of choices to sample from."""
    return tuple(name for name, setting in all_settings().items() if setting.searchable)


def import_optuna():
    """The optuna module, or MissingExtra naming what to install."""
    try:
        import optuna
    except ImportError:
        raise MissingExtra(f"sweeps need Optuna, which is not installed: {INSTALL_HINT}") from None
    return optuna


@dataclass(frozen=True)
class SweepParam:
    """One searched setting: `name` in [low, high] (log-uniform when `log`), or one of `choices`."""
    name: str
    low: float | None = None
    high: float | None = None
    log: bool = False
    choices: tuple[str, ...] = ()

    @property
    def integer(self) -> bool:
        return all_settings()[self.name].option.kind is int

    def suggest(self, trial):
        if self.choices:
            return trial.suggest_categorical(self.name, list(self.choices))
        if self.integer:
            return trial.suggest_int(self.name, int(self.low), int(self.high), log=self.log)
        return trial.suggest_float(self.name, self.low, self.high, log=self.log)


def parse_param(text: str) -> SweepParam:
    """`lr=1e-4:1e-2:log`, `dropout=0:0.5`, `batch_size=16:128`, `optimizer=adam,sgd` → SweepParam.

    Both ends are checked by the setting's own Option (presets.option), so a sweep cannot sample a value
    a preset would refuse."""
    name, sep, spec = text.partition("=")
    name = name.strip()
    if not sep or not spec.strip():
        raise PresetError(f"--param {text!r}: expected NAME=LOW:HIGH[:log] or NAME=A,B,...")
    if name not in searchable():
        why = "cannot be searched" if name in all_settings() else "unknown setting"
        raise PresetError(f"--param {text!r}: {why} {name!r}; allowed: {', '.join(searchable())}")
    option = all_settings()[name].option
    if option.kind not in (int, float) or "," in spec:
        choices = tuple(part.strip() for part in spec.split(","))
        for choice in choices:
            _check(option, name, choice, text)
        return SweepParam(name, choices=choices)
    parts = spec.split(":")
    log = len(parts) == 3 and parts[2].strip().lower() == "log"
    if len(parts) not in (2, 3) or (len(parts) == 3 and not log):
        raise PresetError(f"--param {text!r}: expected NAME=LOW:HIGH or NAME=LOW:HIGH:log")
    low, high = (_check(option, name, part, text) for part in parts[:2])
    if not low < high:
        raise PresetError(f"--param {text!r}: LOW must be below HIGH, got {low} and {high}")
    if log and low <= 0:
        raise PresetError(f"--param {text!r}: a log range needs LOW > 0, got {low}")
    try:
        return SweepParam(name, float(low), float(high), log)
    except OverflowError:
        raise PresetError(f"--param {text!r}: {name} must be {option.allowed}, got a number too large") from None


def _check(option, name: str, value: str, text: str):
    try:
        parsed = option.parse(value.strip())
    except PresetError as error:
        raise PresetError(f"--param {text!r}: {error}") from None
    except OverflowError:  # NOTE: a 400-digit integer, compared with float bounds
        raise PresetError(f"--param {text!r}: {name} must be {option.allowed}, got a number too large") from None
    if parsed is None or (isinstance(parsed, float) and not math.isfinite(parsed)):
        raise PresetError(f"--param {text!r}: {name} must be {option.allowed}, got {value!r}")
    return parsed


def default_storage(out_dir, study: str) -> Path:
    """The journal file a study uses when no --storage is given, named as run directories are (a study
    or preset name like "../../x" stays one file inside --out)."""
    return Path(out_dir) / SWEEPS_DIR / f"{run_name(study)}.journal"


@dataclass(frozen=True)
class TrialResult:
    number: int
    state: str             # "complete", "pruned" or "fail"
    value: float | None    # the trial's best validation loss
    params: dict
    run_dir: str | None
    error: str | None = None  # why a failed trial failed
    continued: tuple | None = None  # (the trial it retried, the epoch it went on after) for a continued retry


class _TrialInterrupted(Exception):
    """Ctrl+C (or SIGTERM/SIGHUP) in a trial: Optuna records the trial as failed, then the sweep re-raises."""


def _check_data(preset, data_path, target) -> None:
    """Refuse data no trial could train on once, before the study exists (each trial reads it again, so a
    pipe or device would be empty from the second trial on)."""
    if data_path is not None:
        path = Path(data_path)
        if path.exists() and not (path.is_file() or path.is_dir()):
            raise PresetError(f"--data {data_path}: a sweep reads its data again for each trial; give a regular file, "
                              "not a pipe or a device")
    load_data(preset.data, preset.task, data_path, target)


class Sweep:
    """An Optuna study (TPE sampler, median pruner on each epoch's validation loss) over one preset."""

    def __init__(self, preset: str, params: list[SweepParam], *, out_dir="runs", storage=None,
                 study: str | None = None, epochs: int | None = None, data_path=None, target=None,
                 sampler_seed: int | None = None, heartbeat: int = HEARTBEAT_SECONDS):
        optuna = import_optuna()
        if not params:
            raise PresetError("a sweep needs at least one --param NAME=LOW:HIGH[:log]")
        names = [param.name for param in params]
        duplicated = sorted({name for name in names if names.count(name) > 1})
        if duplicated:
            raise PresetError(f"--param given twice for {', '.join(duplicated)}")
        self.overrides = {"epochs": epochs} if epochs is not None else {}
        self.base = load_preset(preset, self.overrides)
        if "dropout" in names and self.base.dropout is None:
            raise PresetError(f"--param dropout: preset {self.base.name} has no Dropout layer for it to set")
        _check_data(self.base, data_path, target)
        self.preset, self.params, self.out_dir = preset, params, Path(out_dir)
        self.data_path, self.target = data_path, target
        self.study_name = study or f"{self.base.name}-sweep"
        self.storage = storage if storage is not None else default_storage(out_dir, self.study_name)
        self.interrupted: tuple | None = None  # (trial number, retried?) once Ctrl+C ended a trial
        self.study = create_study(
            optuna, self.storage, self.study_name, heartbeat, direction="minimize",
            sampler=optuna.samplers.TPESampler(seed=sampler_seed),
            pruner=optuna.pruners.MedianPruner(n_startup_trials=3, n_warmup_steps=1))

    def run(self, trials: int, on_trial=None, callbacks=(), on_warning=None) -> list[TrialResult]:
        """Add `trials` trials to the study from this process (Optuna's n_trials); `on_trial(TrialResult)`
        after each, `on_warning(line)` when a retried trial cannot continue its checkpoint (default:
        warnings.warn). A failed trial is recorded as failed and the sweep goes on; Ctrl+C propagates after
        the current trial's run directory is saved, the trial is marked failed in the study and enqueued
        again (`interrupted` says which and whether), so the study's next trial continues it."""
        optuna = import_optuna()
        results: list[TrialResult] = []
        interrupted: list[tuple[KeyboardInterrupt, int]] = []
        warn = on_warning if on_warning is not None else _warn

        def objective(trial):
            try:
                return self._objective(trial, optuna, callbacks, warn)
            except KeyboardInterrupt as interrupt:
                # NOTE: raised through Optuna, a KeyboardInterrupt would leave it printing a traceback;
                # as an ordinary error the trial is closed as failed, then the sweep stops and re-raises.
                interrupted.append((interrupt, trial.number))
                trial.set_user_attr("error", "interrupted")
                self.study.stop()
                raise _TrialInterrupted() from None
            except optuna.TrialPruned:
                raise
            except Exception as error:
                trial.set_user_attr("error", f"{type(error).__name__}: {error}")
                raise

        def record(study, frozen):
            continued = frozen.user_attrs.get(CONTINUED_ATTR)
            result = TrialResult(frozen.number, _STATES.get(frozen.state.name, frozen.state.name.lower()),
                                 frozen.value, dict(frozen.params), frozen.user_attrs.get(RUN_DIR_ATTR),
                                 frozen.user_attrs.get("error"), tuple(continued) if continued else None)
            results.append(result)
            if on_trial is not None:
                on_trial(result)

        self.study.optimize(objective, n_trials=trials, callbacks=[record], catch=(Exception,))
        if interrupted:
            interrupt, number = interrupted[0]
            frozen = next(t for t in self.study.get_trials(deepcopy=False) if t.number == number)
            self.interrupted = (number, retry_trial(optuna, self.study, frozen))
            raise interrupt
        return results

    def _objective(self, trial, optuna, callbacks, warn) -> float:
        values = {param.name: param.suggest(trial) for param in self.params}
        preset = load_preset(self.preset, {**self.overrides, **values})
        lock = RunDirLock()
        try:
            return self._train(trial, optuna, callbacks, warn, preset, values, lock)
        finally:
            lock.release()

    def _train(self, trial, optuna, callbacks, warn, preset, values: dict, lock: RunDirLock) -> float:
        start = continuation(self.study, trial, lock)
        if start.warning is not None:
            warn(start.warning)
        run = self._trial_run(trial, preset, values, start.retried, start.checkpoint)

        def prune(event):
            if isinstance(event, EpochEnded) and event.val_loss is not None and math.isfinite(event.val_loss):
                trial.report(event.val_loss, event.epoch)
                if trial.should_prune():
                    raise optuna.TrialPruned(f"pruned at epoch {event.epoch}")

        def remember(event):
            if isinstance(event, (RunStarted, RunSaved)):
                trial.set_user_attr(RUN_DIR_ATTR, event.run_dir)
            if isinstance(event, RunStarted):
                lock.take(event.run_dir)  # NOTE: a new directory, or the one a retry locked already

        try:
            result = run.execute(callbacks=(prune, remember, *callbacks))
        except CheckpointError as error:  # NOTE: a checkpoint that does not fit is refused before anything is written
            if run.resume is None or start.retried is None:
                raise
            warn(starting_over(trial.number, start.retried, str(error)))
            run = self._trial_run(trial, preset, values, start.retried, None)
            result = run.execute(callbacks=(prune, remember, *callbacks))
        assert run.early_stopping is not None  # NOTE: execute() made it
        best = run.early_stopping.best_value
        if best is None or not math.isfinite(best):
            raise RuntimeError(f"trial {trial.number} ended {result.reason} without a finite validation loss")
        return float(best)

    def _trial_run(self, trial, preset, values: dict, retried: int | None, checkpoint) -> Run:
        """The trial's Run: a new one in --out, or (a retry with a `checkpoint`) the retried trial's run,
        continued in its own directory. Its user attributes say which (a retry inherits its predecessor's)."""
        continued = None if checkpoint is None else [retried, checkpoint.epoch]
        trial.set_user_attr(RUN_DIR_ATTR, None if checkpoint is None else str(checkpoint.run_dir))
        trial.set_user_attr(CONTINUED_ATTR, continued)
        if "error" in trial.user_attrs:
            trial.set_user_attr("error", None)  # NOTE: the failed trial's, inherited by its retry
        sweep = {"study": self.study_name, "trial": trial.number, "params": values, "continued": continued}
        out_dir = self.out_dir if checkpoint is None else checkpoint.run_dir.parent
        return Run(preset, out_dir=out_dir, data_path=self.data_path, target=self.target, sweep=sweep,
                   resume=checkpoint)

    def best(self) -> TrialResult | None:
        """The study's best complete trial so far (from every process), or None."""
        complete = [t for t in self.study.trials if t.state.name == "COMPLETE" and t.value is not None]
        if not complete:
            return None
        t = min(complete, key=lambda t: t.value)
        return TrialResult(t.number, "complete", t.value, dict(t.params), t.user_attrs.get("run_dir"))


_STATES = {"COMPLETE": "complete", "PRUNED": "pruned", "FAIL": "fail"}


def _warn(line: str) -> None:
    warnings.warn(line, RuntimeWarning, stacklevel=3)
