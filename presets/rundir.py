"""The run directory `<out>/<preset>-<timestamp>/`: model.npz, history.csv, config.toml, bundle.json
(what prediction needs, presets.bundle), sweep.json for a sweep's trials, then metrics.json.

Each file is written atomically (npnn's one helper), and metrics.json, the file that says how the run
ended, comes last: a directory without it is a run whose saving did not finish. The output folder is
checked before any data is loaded; when saving still fails, the model and history go to a fallback
folder that the error names.
"""
from __future__ import annotations

import csv
import io
import json
import math
import re
import tempfile
import time
from pathlib import Path

import tomli_w

import npnn
from npnn._atomic import write_atomic
from npnn.events import HyperparameterChanged, StopReason
from npnn.history import History
from presets.errors import OutputError, SaveError

__all__ = ["HISTORY_COLUMNS", "check_out_dir", "history_csv", "make_run_dir", "run_name", "save_run",
           "write_atomic"]

HISTORY_COLUMNS = ("epoch", "train_loss", "val_loss", "lr", "skipped_steps")
SWEEP_FILE = "sweep.json"  # a sweep trial's study, number, parameters and state
MAX_NAME = 64
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def run_name(name: str) -> str:
    """The preset name as a safe folder name: letters, digits, '.', '_' and '-', at most MAX_NAME characters.

    NOTE: a preset's `name` is free text ("../../escaped", "/abs", "sub/dir", 300 characters); the run
    directory must stay a single new folder inside --out whatever it says.
    """
    return _UNSAFE.sub("-", name).strip(".-")[:MAX_NAME].rstrip(".-") or "run"


def check_out_dir(out_dir) -> Path:
    """Create `out_dir` if needed and prove it is writable (a probe file), before any data is loaded."""
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise OutputError(f"--out {out}: is a file, not a directory for run directories")
    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=out):
            pass
    except OSError as exc:
        raise OutputError(f"--out {out}: cannot create or write run directories here "
                          f"({exc.strerror or exc})") from None
    return out


def make_run_dir(out_dir: Path, name: str, started: float) -> Path:
    """A new directory named after the preset and the start time; "-2", "-3"... when it exists."""
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(started))
    base = run_name(name)
    for n in range(1, 1000):
        path = out_dir / (f"{base}-{stamp}" if n == 1 else f"{base}-{stamp}-{n}")
        try:
            path.mkdir()
            return path
        except FileExistsError:
            continue
    raise FileExistsError(f"{out_dir}: too many runs named {base}-{stamp}")


def history_csv(history: History | None) -> str:
    """One row per epoch: epoch, train_loss, val_loss, lr, skipped_steps and the validation metrics."""
    buffer = io.StringIO()
    metric_names = list(history.metrics) if history is not None else []
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([*HISTORY_COLUMNS, *(f"val_{m}" for m in metric_names)])
    if history is not None:
        columns: list[list] = [history.epoch, history.train_loss, history.val_loss, history.lr, history.skipped_steps,
                   *(history.metrics[m] for m in metric_names)]
        for i in range(len(history.epoch)):
            writer.writerow(["" if c[i] is None else c[i] for c in columns])
    return buffer.getvalue()


def _finite(value):
    """JSON has no NaN or Infinity: write them as null."""
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _summary(name, started, prepared, history: History | None, before, after, reason: StopReason,
             error, advice=None) -> dict:
    history = history or History()  # NOTE: a run that failed before its fit loop began has none
    return {
        "preset": name, "reason": reason, "data": prepared.data_description, "notice": prepared.notice,
        "parameters": prepared.num_parameters, "workers": prepared.config["training"].get("workers"),
        "seconds": round(time.time() - started, 3),
        "epochs_run": len(history), "best_epoch": history.best_epoch, "best_val_loss": history.best_value,
        "stopped_epoch": history.stopped_epoch,
        "before": before, "after": after or None,
        "error": f"{type(error).__name__}: {error}" if error is not None and reason == StopReason.FAILED else None,
        "divergence": history.divergence,
        "changes": [_change(c) for c in history.changes],
        "columns": list(prepared.columns) or None, "table_notes": list(prepared.table_notes) or None,
        "advice": None if advice is None else {"kind": advice.kind, "verdict": advice.verdict,
                                               "next_step": advice.next_step},
    }


def _change(change: HyperparameterChanged) -> dict:
    """A hyperparameter changed mid-run, as metrics.json lists it: replaying config.toml with these
    changes applied at (epoch, batch) reproduces the run."""
    return {"epoch": change.epoch, "batch": change.batch, "name": change.name, "old": change.old,
            "new": change.new}


def _fallback(name: str, model, history: History | None) -> Path | None:
    """Write the model and history to a fresh folder in the system's temp directory; None if that fails too."""
    try:
        folder = Path(tempfile.mkdtemp(prefix=f"npnn-unsaved-{run_name(name)}-"))
        npnn.save(model.state_dict(), folder / "model.npz")
        write_atomic(folder / "history.csv", history_csv(history))
    except OSError:
        return None
    return folder


def save_run(out_dir, name, started, prepared, model, history: History | None, before, after, reason: StopReason,
             error=None, extra: dict | None = None, run_dir: Path | None = None, parent: dict | None = None,
             advice=None) -> Path:
    """Write everything the run has into `run_dir` (a resumed run's, or one made at its start), else a fresh
    run directory, and return its path.

    `advice` (presets.advice.Advice) goes into metrics.json as kind, verdict and next_step.
    `extra` maps further JSON file names (bundle.json, sweep.json) to their contents, written before metrics.json.
    `parent` names the run a fork started from (its directory and epoch): config.toml says so in its first
    line, metrics.json in "parent".

    Raises SaveError (naming the run directory and the fallback folder) when a file cannot be written.
    """
    try:
        run_dir = run_dir if run_dir is not None else make_run_dir(Path(out_dir), name, started)
        npnn.save(model.state_dict(), run_dir / "model.npz")
        write_atomic(run_dir / "history.csv", history_csv(history))
        origin = f"# forked from run {parent['run']} at epoch {parent['epoch']}\n" if parent else ""
        write_atomic(run_dir / "config.toml", origin + tomli_w.dumps(prepared.config))
        for file_name, content in (extra or {}).items():
            write_atomic(run_dir / file_name, json.dumps(_finite(content), indent=2) + "\n")
        summary = _summary(name, started, prepared, history, before, after, reason, error, advice)
        if parent is not None:
            summary["parent"] = parent
        write_atomic(run_dir / "metrics.json", json.dumps(_finite(summary), indent=2) + "\n")
    except OSError as exc:
        where = run_dir if run_dir is not None else Path(out_dir)
        folder = _fallback(name, model, history)
        kept = (f"the model and history were written to {folder} instead" if folder is not None
                else "the model and history could not be written to a fallback folder either")
        raise SaveError(f"saving the run to {where} failed ({exc.strerror or exc}); {kept}",
                        run_dir=where, fallback=folder) from exc
    return run_dir

