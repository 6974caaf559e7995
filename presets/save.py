"""Copies of a finished run's model and history at a path the user chose to keep (the app's ctrl+s, ctrl+e)."""
from __future__ import annotations

from pathlib import Path

import npnn
from presets.rundir import history_csv, write_atomic


def _stem(run_dir: str | Path | None, fallback: str) -> str:
    return Path(run_dir).name if run_dir else fallback


def save_model(model, run_dir: str | Path | None, directory: Path, fallback: str = "npnn-run") -> Path:
    """Save the model's state dict (the best weights) as `<run name>-model.npz` in `directory`."""
    path = Path(directory) / f"{_stem(run_dir, fallback)}-model.npz"
    npnn.save(model.state_dict(), path)
    return path


def export_history(history, run_dir: str | Path | None, directory: Path, fallback: str = "npnn-run") -> Path:
    """Write the run directory's history.csv (the same writer and columns) as `<run name>-history.csv`."""
    path = Path(directory) / f"{_stem(run_dir, fallback)}-history.csv"
    write_atomic(path, history_csv(history))
    return path
