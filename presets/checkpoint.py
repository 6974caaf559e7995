"""checkpoint.npz: everything a run needs to go on exactly where it stopped, never pickled.

The file is an .npz (npnn.save: written through a temp file and a rename, so a process killed while
writing leaves the previous checkpoint intact) of plain numeric arrays beside one member, `__meta__`,
a JSON text holding the rest: the fit loop's state dict (npnn.training.FitLoop.state_dict) with each
array replaced by {"__array__": member name}, and what the run itself keeps (the metrics before
training, its start time, the optimizer's and schedule's classes). A person may have edited or cut the
file: reading it checks the archive and the document, and any fault is one CheckpointError line naming
the run and the reason.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

import npnn
from presets.errors import PresetError

CHECKPOINT_FILE = "checkpoint.npz"
FORMAT = 1
_META, _ARRAY, _ITEMS = "__meta__", "__array__", "__items__"
_LOOP_KEYS = ("epoch", "batch", "batches", "epochs", "max_grad_norm", "total", "count", "lr", "pending", "history",
              "model", "optimizer", "scheduler", "early_stopping", "loader")
_RUN_KEYS = ("preset", "started", "before", "optimizer", "scheduler")


class CheckpointError(PresetError):
    """A checkpoint that cannot continue this run (missing, damaged, another model or optimizer): bad input."""


@dataclass
class Checkpoint:
    """A run's saved state: `loop` for FitLoop.load_state_dict, `run` the Run's own part."""
    run_dir: Path
    loop: dict
    run: dict

    @property
    def epoch(self) -> int:
        return int(self.loop["epoch"])

    @property
    def batch(self) -> int:
        return int(self.loop["batch"])


def _encode(value, arrays: dict):
    """`value` as JSON, its arrays moved to `arrays` (dicts with other than text keys as item lists)."""
    if isinstance(value, np.ndarray):
        name = f"a{len(arrays)}"
        arrays[name] = value
        return {_ARRAY: name}
    if isinstance(value, dict):
        if all(isinstance(key, str) for key in value) and _ARRAY not in value and _ITEMS not in value:
            return {key: _encode(item, arrays) for key, item in value.items()}
        return {_ITEMS: [[_encode(key, arrays), _encode(item, arrays)] for key, item in value.items()]}
    if isinstance(value, (list, tuple)):
        return [_encode(item, arrays) for item in value]
    if isinstance(value, np.generic):
        return value.item()
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise TypeError(f"a checkpoint holds arrays, numbers, text, lists and dicts, not {type(value).__name__}")


def _decode(value, arrays: dict):
    if isinstance(value, dict):
        if set(value) == {_ARRAY}:
            name = value[_ARRAY]
            if not isinstance(name, str) or name not in arrays:
                raise ValueError(f"its document names the array {name!r}, which the archive does not hold")
            return arrays[name]
        if set(value) == {_ITEMS}:
            return {_decode(key, arrays): _decode(item, arrays) for key, item in value[_ITEMS]}
        return {key: _decode(item, arrays) for key, item in value.items()}
    if isinstance(value, list):
        return [_decode(item, arrays) for item in value]
    return value


def write_checkpoint(run_dir: Path, loop: dict, run: dict) -> Path:
    """Write `<run_dir>/checkpoint.npz` atomically from a FitLoop state dict and the run's own part."""
    arrays: dict = {}
    document = {"format": FORMAT, "loop": _encode(loop, arrays), "run": _encode(run, arrays)}
    arrays[_META] = np.array(json.dumps(document))
    path = Path(run_dir) / CHECKPOINT_FILE
    npnn.save(arrays, path)
    return path


def read_checkpoint(run_dir) -> Checkpoint:
    """The checkpoint of `run_dir`, checked as far as it can be without the run (CheckpointError otherwise)."""
    run_dir = Path(run_dir)
    path = run_dir / CHECKPOINT_FILE
    if not path.is_file():
        refuse(run_dir, f"it has no {CHECKPOINT_FILE} (not a run directory, a run from before checkpoints, or one "
                        "whose first epoch never ended)")
    try:
        arrays = dict(npnn.load(path))
    except (OSError, ValueError) as error:
        refuse(run_dir, f"{CHECKPOINT_FILE} is damaged ({str(error).splitlines()[0]})")
    meta = arrays.pop(_META, None)
    try:
        if meta is None or meta.dtype.kind != "U" or meta.ndim != 0:
            raise ValueError(f"it lacks its {_META} document")
        document = json.loads(str(meta))
        if not isinstance(document, dict) or document.get("format") != FORMAT:
            raise ValueError(f"its format is {document.get('format') if isinstance(document, dict) else None!r}, "
                             f"expected {FORMAT}")
        loop, run = _decode(document["loop"], arrays), _decode(document["run"], arrays)
        for part, keys, name in ((loop, _LOOP_KEYS, "loop"), (run, _RUN_KEYS, "run")):
            missing = [key for key in keys if not isinstance(part, dict) or key not in part]
            if missing:
                raise ValueError(f"its {name} state lacks {missing[0]!r}")
        for key in ("epoch", "batch", "batches"):
            if isinstance(loop[key], bool) or not isinstance(loop[key], int) or loop[key] < 0:
                raise ValueError(f"its {key} is {loop[key]!r}, expected a whole number >= 0")
    except (ValueError, TypeError, KeyError) as error:
        refuse(run_dir, f"{CHECKPOINT_FILE} is damaged ({error})")
    return Checkpoint(run_dir, loop, run)


def refuse(run_dir, reason: str):
    """Raise the one-line CheckpointError naming the run and the reason."""
    raise CheckpointError(f"cannot continue run {run_dir}: {reason}")
