"""History: the per-epoch record of one training run, filled by the fit loop (npnn.training)."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict

from npnn.events import HyperparameterChanged, StopReason

_LISTS = ("epoch", "train_loss", "val_loss", "lr", "skipped_steps")


class History:
    """Per-epoch numbers of one run; `skipped_steps` is cumulative, `metrics` maps name → list.

    `changes` lists the hyperparameters changed during the run (HyperparameterChanged records).
    """

    def __init__(self, metric_names: Iterable[str] = ()) -> None:
        self.epoch: list[int] = []
        self.train_loss: list[float] = []
        self.val_loss: list[float | None] = []
        self.lr: list[float] = []
        self.skipped_steps: list[int] = []
        self.metrics: dict[str, list[float]] = {name: [] for name in metric_names}
        self.changes: list[HyperparameterChanged] = []
        self.best_epoch: int | None = None
        self.best_value: float | None = None
        self.stopped_epoch: int | None = None  # the last epoch recorded (None if none finished)
        self.stop_reason: StopReason | None = None
        self.divergence: dict | None = None    # epoch, batch, loss and origin of a diverged run

    def append(self, epoch: int, train_loss: float, val_loss: float | None, lr: float, skipped: int,
               scores: dict[str, float]) -> None:
        """Record one finished epoch (the fit loop calls it once per epoch)."""
        self.epoch.append(epoch)
        self.train_loss.append(train_loss)
        self.val_loss.append(val_loss)
        self.lr.append(lr)
        self.skipped_steps.append(skipped)
        for name, value in scores.items():
            self.metrics[name].append(value)
        self.stopped_epoch = epoch

    def rows(self) -> list[dict]:
        """One dict per epoch: epoch, train_loss, val_loss, lr, skipped_steps, then each metric."""
        return [{"epoch": e, "train_loss": t, "val_loss": v, "lr": lr, "skipped_steps": s,
                 **{name: values[i] for name, values in self.metrics.items()}}
                for i, (e, t, v, lr, s) in enumerate(zip(self.epoch, self.train_loss, self.val_loss,
                                                          self.lr, self.skipped_steps))]

    def state_dict(self) -> dict:
        """The history as plain lists and numbers (its changes as dicts), for a checkpoint; the stop reason is
        left out (a run that continues has not ended)."""
        return {**{name: list(getattr(self, name)) for name in _LISTS},
                "metrics": {name: list(values) for name, values in self.metrics.items()},
                "changes": [asdict(change) for change in self.changes], "best_epoch": self.best_epoch,
                "best_value": self.best_value, "stopped_epoch": self.stopped_epoch, "divergence": self.divergence}

    def load_state_dict(self, state: dict) -> None:
        """Take the epochs of `state_dict()`; the metric names must be this history's."""
        if sorted(state["metrics"]) != sorted(self.metrics):
            raise ValueError(f"History.load_state_dict: the saved run computed metrics {sorted(state['metrics'])}, "
                             f"this one computes {sorted(self.metrics)}")
        for name in _LISTS:
            setattr(self, name, list(state[name]))
        self.metrics = {name: list(state["metrics"][name]) for name in self.metrics}
        self.changes = [HyperparameterChanged(**change) for change in state["changes"]]
        self.best_epoch, self.best_value = state["best_epoch"], state["best_value"]
        self.stopped_epoch, self.divergence = state["stopped_epoch"], state["divergence"]

    def __len__(self) -> int:
        return len(self.epoch)

    def __repr__(self) -> str:
        return (f"History({len(self)} epochs, best_epoch={self.best_epoch}, best_value={self.best_value}, "
                f"stop_reason={self.stop_reason and self.stop_reason.value!r})")
