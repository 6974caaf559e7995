"""Earlier runs read back from their run directories under --out (presets.rundir writes them).

`load_runs(out_dir)` gives one PastRun per folder: the settings from config.toml, how the run ended and
its scores from metrics.json, the validation-loss series from history.csv and, for a sweep's trial, its
study, number, parameters and state from sweep.json. A folder that is not a finished run directory
(damaged, half-saved, foreign) comes back with `problem` saying why, never as an exception.
"""
from __future__ import annotations

import csv
import io
import math
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from presets.documents import DocumentError, parse_json, parse_toml, read_text
from presets.rundir import HISTORY_COLUMNS, SWEEP_FILE
from presets.schema import settings_of
from presets.sweep import SWEEPS_DIR

_STAMP = re.compile(r"-(\d{8}-\d{6})(?:-\d+)?$")  # presets.rundir.make_run_dir's "<name>-%Y%m%d-%H%M%S[-n]"


@dataclass
class PastRun:
    """One run directory as the Runs tab lists it; `problem` is set (and little else) when it is unreadable."""
    path: Path
    started: datetime | None = None
    preset: str = ""
    task: str = ""
    settings: dict = field(default_factory=dict)  # setting name (presets.settings) → value (None: not set)
    epochs_run: int | None = None
    best_val_loss: float | None = None
    test: dict = field(default_factory=dict)      # metrics on the test split with the best weights
    reason: str = ""                              # how it ended: completed, early_stopped, pruned, failed...
    val_losses: list = field(default_factory=list)
    loss: str = ""                                # the loss trained on ("mse", "l1", "cross_entropy")
    changes: list = field(default_factory=list)   # (setting name, value) hot edits, in order (config's [[changes]])
    sweep: dict | None = None                     # {"study", "trial", "params", "state"} for a sweep's trial
    problem: str | None = None

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def readable(self) -> bool:
        return self.problem is None


class _Unreadable(Exception):
    """Why a folder is not a readable run directory (a short phrase for the table)."""


def started_at(path: Path) -> datetime | None:
    """The start time a run directory's name carries, else the time its metrics.json was written."""
    match = _STAMP.search(path.name)
    if match:
        try:
            return datetime.strptime(match.group(1), "%Y%m%d-%H%M%S")
        except ValueError:
            pass
    try:
        return datetime.fromtimestamp((path / "metrics.json").stat().st_mtime)
    except (OSError, ValueError, OverflowError):  # NOTE: `touch -d` can set a time no datetime holds
        return None


def _text(path: Path) -> str:
    """A file of the run directory as text (bounded, UTF-8); a missing or non-regular one (a FIFO would
    block the app's start) never reaches here."""
    try:
        return read_text(path, "run file")
    except DocumentError as error:
        raise _Unreadable(_short(error, path)) from None


def _json(path: Path, required: bool) -> dict | None:
    if not path.is_file():
        if required:
            raise _Unreadable(f"no {path.name}" + (" (saving did not finish)" if path.name == "metrics.json" else ""))
        return None
    try:
        value = parse_json(_text(path), path.name)
    except DocumentError as error:
        raise _Unreadable(_short(error)) from None
    if not isinstance(value, dict):
        raise _Unreadable(f"{path.name} holds {type(value).__name__}, expected an object")
    return value


def _config(path: Path) -> dict:
    if not path.is_file():
        raise _Unreadable("no config.toml")
    try:
        value = parse_toml(_text(path), path.name)
    except DocumentError as error:
        raise _Unreadable(_short(error)) from None
    training = value.get("training", {})
    if not isinstance(training, dict):
        raise _Unreadable("config.toml has no [training] table")
    return value


def _number(value) -> float | None:
    """A finite float, or None (JSON nulls, text and bools are not scores)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


def _val_losses(path: Path) -> list:
    """The val_loss column of history.csv (an empty cell, e.g. a failed epoch, is NaN); [] when absent."""
    if not path.is_file():
        return []
    try:
        rows = list(csv.reader(io.StringIO(_text(path), newline="")))
    except csv.Error as error:
        raise _Unreadable(f"history.csv cannot be read ({_short(error)})") from None
    if not rows or "val_loss" not in rows[0]:
        raise _Unreadable(f"history.csv has no val_loss column (expected {', '.join(HISTORY_COLUMNS)})")
    column = rows[0].index("val_loss")
    values = []
    for row in rows[1:]:
        try:
            values.append(float(row[column]))
        except (IndexError, ValueError):
            values.append(math.nan)
    return values


def _changes(raw) -> list:
    """config.toml's [[changes]] as (name, value) pairs; entries that are not tables with both are left out."""
    if not isinstance(raw, list):
        return []
    return [(str(c["name"]), c["value"]) for c in raw if isinstance(c, dict) and "name" in c and "value" in c]


def _sweep(path: Path) -> dict | None:
    raw = _json(path / SWEEP_FILE, required=False)
    if raw is None:
        return None
    params = raw.get("params")
    return {"study": str(raw.get("study", "?")), "trial": raw.get("trial"),
            "params": dict(params) if isinstance(params, dict) else {}, "state": str(raw.get("state", ""))}


def _short(error: Exception, path: Path | None = None) -> str:
    """The error's first line, cut to 80 characters; a leading `path` is written as the file's name."""
    text = str(error).splitlines()[0] if str(error) else type(error).__name__
    if path is not None and text.startswith(f"{path}: "):
        text = f"{path.name}: {text[len(str(path)) + 2:]}"
    return text[:80]


def read_run(path) -> PastRun:
    """One run directory; an unreadable one has `problem` set to the reason."""
    path = Path(path)
    run = PastRun(path, started=started_at(path))
    try:
        if not path.is_dir():
            raise _Unreadable("not a directory")
        metrics = _json(path / "metrics.json", required=True)
        assert metrics is not None  # NOTE: required=True raises instead of answering None
        config = _config(path / "config.toml")
        training = config.get("training", {})
        run.preset = str(config.get("name", metrics.get("preset", "")))
        run.task = str(config.get("task", ""))
        run.settings = settings_of(training if isinstance(training, dict) else {})
        run.loss = str(training.get("loss") or ("cross_entropy" if run.task == "classification" else "mse"))
        run.changes = _changes(config.get("changes"))
        run.reason = str(metrics.get("reason") or "?")
        epochs_run = metrics.get("epochs_run")
        run.epochs_run = epochs_run if isinstance(epochs_run, int) and not isinstance(epochs_run, bool) else None
        run.best_val_loss = _number(metrics.get("best_val_loss"))
        after = found if isinstance(found := metrics.get("after"), dict) else {}
        test = found if isinstance(found := after.get("test"), dict) else {}
        run.test = {key: _number(value) for key, value in test.items()}
        run.val_losses = _val_losses(path / "history.csv")
        run.sweep = _sweep(path)
    except _Unreadable as why:
        run.problem = str(why)
    except OSError as error:
        run.problem = f"cannot be read ({error.strerror or error})"
    return run


def load_runs(out_dir) -> list[PastRun]:
    """Every folder under `out_dir` (not the sweeps' journal folder) as a PastRun, oldest first; [] when
    `out_dir` does not exist. Plain files (exports, notes) are not runs and are left out."""
    out = Path(out_dir)
    try:
        folders = [p for p in out.iterdir() if p.is_dir() and p.name != SWEEPS_DIR]
    except OSError:
        return []
    runs = [read_run(p) for p in folders]
    return sorted(runs, key=lambda r: (r.started or datetime.min, r.name))
