"""The run directory `<out>/<preset>-<timestamp>/`: config.toml, history.csv, metrics.json, model.npz.

Each file is written to a temp file beside it and renamed into place, so a reader never sees half a file.
"""
from __future__ import annotations

import csv
import io
import json
import math
import os
import tempfile
import time
from pathlib import Path

import tomli_w

import npnn

HISTORY_COLUMNS = ("epoch", "train_loss", "val_loss", "lr", "skipped_steps")


def write_atomic(path: Path, text: str) -> None:
    """Write text to `path` through a temp file in the same directory and os.replace."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def make_run_dir(out_dir: Path, name: str, started: float) -> Path:
    """A new directory named after the preset and the start time; "-2", "-3"... when it exists."""
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(started))
    for n in range(1, 1000):
        path = out_dir / (f"{name}-{stamp}" if n == 1 else f"{name}-{stamp}-{n}")
        try:
            path.mkdir()
            return path
        except FileExistsError:
            continue
    raise FileExistsError(f"{out_dir}: too many runs named {name}-{stamp}")


def history_csv(history) -> str:
    """One row per epoch: epoch, train_loss, val_loss, lr, skipped_steps and the validation metrics."""
    buffer = io.StringIO()
    metric_names = list(history.metrics) if history is not None else []
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([*HISTORY_COLUMNS, *(f"val_{m}" for m in metric_names)])
    if history is not None:
        columns = [history.epoch, history.train_loss, history.val_loss, history.lr, history.skipped_steps,
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


def save_run(out_dir, name, started, prepared, model, history, before, after, reason, error=None) -> Path:
    """Write everything the run has into a fresh run directory and return its path."""
    run_dir = make_run_dir(Path(out_dir), name, started)
    write_atomic(run_dir / "config.toml", tomli_w.dumps(prepared.config))
    write_atomic(run_dir / "history.csv", history_csv(history))
    summary = {
        "preset": name, "reason": reason, "data": prepared.data_description, "notice": prepared.notice,
        "parameters": prepared.num_parameters, "seconds": round(time.time() - started, 3),
        "epochs_run": len(history.epoch) if history is not None else 0,
        "best_epoch": getattr(history, "best_epoch", None), "best_val_loss": getattr(history, "best_value", None),
        "stopped_epoch": getattr(history, "stopped_epoch", None),
        "before": before, "after": after or None,
        "error": f"{type(error).__name__}: {error}" if error is not None and reason == "failed" else None,
    }
    write_atomic(run_dir / "metrics.json", json.dumps(_finite(summary), indent=2) + "\n")
    npnn.save(model.state_dict(), run_dir / "model.npz")
    return run_dir
