"""EarlyStopping for the fit loop. (The loop's other callbacks are any callables taking one npnn.events event.)"""
from __future__ import annotations

import math

import numpy as np


class EarlyStopping:
    """Stop when the monitored value has not improved by more than `min_delta` for `patience` calls.

    `__call__(value, model)` returns True when training should stop (best weights already restored
    when `restore_best_weights`). It keeps a deep copy of the best state, and `restore(model)` puts it
    back: the fit loop calls it also when the epoch budget runs out first. A NaN never improves.
    Calls at epochs <= `start_from_epoch` are ignored (a warm-up).
    """

    def __init__(self, patience: int = 10, min_delta: float = 0.0, restore_best_weights: bool = True,
                 mode: str = "min", start_from_epoch: int = 0):
        for name, value in (("patience", patience), ("start_from_epoch", start_from_epoch)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
                raise ValueError(f"EarlyStopping: {name} must be a non-negative integer, got {value!r}")
        if isinstance(min_delta, bool) or not isinstance(min_delta, (int, float)) or not min_delta >= 0:
            raise ValueError(f"EarlyStopping: min_delta must be a number >= 0, got {min_delta!r}")
        if mode not in ("min", "max"):
            raise ValueError(f"EarlyStopping: mode must be 'min' or 'max', got {mode!r}")
        self.patience, self.min_delta, self.mode = int(patience), float(min_delta), mode
        self.restore_best_weights, self.start_from_epoch = bool(restore_best_weights), int(start_from_epoch)
        self.reset()

    def reset(self) -> None:
        """Forget everything seen, to reuse the object for another run."""
        self.best_value: float | None = None
        self.best_epoch: int | None = None
        self.stopped_epoch: int | None = None
        self.wait = 0
        self.improved = False
        self.best_state: dict | None = None
        self._calls = 0

    def _is_improvement(self, value: float) -> bool:
        if math.isnan(value):
            return False
        if self.best_value is None:
            return True
        if self.mode == "min":
            return value < self.best_value - self.min_delta
        return value > self.best_value + self.min_delta

    def __call__(self, value, model=None, epoch: int | None = None) -> bool:
        """Record one epoch's monitored `value`; True means stop now."""
        self._calls += 1
        epoch = self._calls if epoch is None else int(epoch)
        value = float(value)
        self.improved = False
        if epoch <= self.start_from_epoch:
            return False
        if self._is_improvement(value):
            self.best_value, self.best_epoch, self.wait, self.improved = value, epoch, 0, True
            if self.restore_best_weights and model is not None:
                self.best_state = {k: np.copy(v) for k, v in model.state_dict().items()}
            return False
        self.wait += 1
        if self.wait >= self.patience:
            self.stopped_epoch = epoch
            if model is not None:
                self.restore(model)
            return True
        return False

    def restore(self, model) -> bool:
        """Load the best weights seen into `model` (copies: the kept state stays intact). True if it did."""
        if not self.restore_best_weights or self.best_state is None:
            return False
        model.load_state_dict({k: np.copy(v) for k, v in self.best_state.items()})
        return True

    _STATE = ("best_value", "best_epoch", "stopped_epoch", "wait", "improved", "_calls")

    def state_dict(self) -> dict:
        """What it has seen (the best value and epoch, the wait, a copy of the best weights), to resume a run."""
        best = None if self.best_state is None else {k: np.copy(v) for k, v in self.best_state.items()}
        return {**{name: getattr(self, name) for name in self._STATE}, "best_state": best}

    def load_state_dict(self, state_dict: dict) -> None:
        """Continue from `state_dict()` (its settings, patience and the rest, stay this object's)."""
        missing = [name for name in (*self._STATE, "best_state") if name not in state_dict]
        if missing:
            raise ValueError(f"EarlyStopping.load_state_dict: the saved state lacks {missing}")
        for name in self._STATE:
            setattr(self, name, state_dict[name])
        best = state_dict["best_state"]
        self.best_state = None if best is None else {k: np.copy(v) for k, v in best.items()}

    def __repr__(self):
        return (f"EarlyStopping(patience={self.patience}, min_delta={self.min_delta}, mode={self.mode!r}, "
                f"restore_best_weights={self.restore_best_weights}, start_from_epoch={self.start_from_epoch})")
