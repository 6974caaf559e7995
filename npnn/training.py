"""The fit loop shared by every front end (TUI and headless): train, validate, report events, stop.

It never prints: everything it knows goes to the callbacks as npnn.events dataclasses and into the
returned History. Per-batch work is kept to the model, the loss, backward, the optional clip, the
optimizer step and one `loss.item()`; batch events are throttled to `batch_event_interval` seconds.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from time import perf_counter

import numpy as np

from npnn import metrics as metrics_module
from npnn.events import BatchEnded, EarlyStopped, EpochEnded, EpochStarted, Failed, Finished
from npnn.nn.utils import clip_grad_norm_
from npnn.optim.lr_scheduler import ReduceLROnPlateau
from npnn.tensor import Tensor, no_grad


class History:
    """Per-epoch numbers of one fit() run; `skipped_steps` is cumulative, `metrics` maps name → list."""

    def __init__(self, metric_names=()):
        self.epoch: list[int] = []
        self.train_loss: list[float] = []
        self.val_loss: list[float | None] = []
        self.lr: list[float] = []
        self.skipped_steps: list[int] = []
        self.metrics: dict[str, list[float]] = {name: [] for name in metric_names}
        self.best_epoch: int | None = None
        self.best_value: float | None = None
        self.stopped_epoch: int | None = None  # the last epoch recorded (None if none finished)
        self.stop_reason: str | None = None    # completed|early_stopped|stopped|failed|interrupted

    def _append(self, epoch, train_loss, val_loss, lr, skipped, scores) -> None:
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

    def __len__(self) -> int:
        return len(self.epoch)

    def __repr__(self):
        return (f"History({len(self)} epochs, best_epoch={self.best_epoch}, best_value={self.best_value}, "
                f"stop_reason={self.stop_reason!r})")


def _metric_functions(metrics) -> dict:
    if isinstance(metrics, str):
        raise TypeError(f"fit: metrics must be a sequence of names or a mapping, got the string {metrics!r} "
                        f"(write metrics=({metrics!r},))")
    if isinstance(metrics, Mapping):
        for name, fn in metrics.items():
            if not callable(fn):
                raise TypeError(f"fit: metric {name!r} must be callable(y_pred, y_true), got {type(fn).__name__}")
        return dict(metrics)
    return {name: metrics_module.get(name) for name in metrics}


def _validation_arrays(val_data):
    if val_data is None:
        return None
    if not isinstance(val_data, (tuple, list)) or len(val_data) != 2:
        raise ValueError("fit: val_data must be a pair (X, y) of arrays")
    X, y = (v.data if isinstance(v, Tensor) else np.asarray(v) for v in val_data)
    if len(X) != len(y) or len(X) == 0:
        raise ValueError(f"fit: val_data X and y must be non-empty with the same number of samples, "
                         f"got {len(X)} and {len(y)}")
    return X, y


def _cast(array: np.ndarray, dtype) -> np.ndarray:
    """Floating batches take the parameters' dtype (float64 data must not slow a float32 model)."""
    if dtype is not None and array.dtype.kind == "f" and array.dtype != dtype:
        return array.astype(dtype)
    return array


def _evaluate(model, loss_fn, X, y, batch_size, dtype, metric_fns):
    """Validation loss (sample-weighted mean over batches) and metrics on the joined predictions."""
    model.eval()
    total, preds = 0.0, []
    with no_grad():
        for start in range(0, len(X), batch_size):
            xb, yb = _cast(X[start:start + batch_size], dtype), _cast(y[start:start + batch_size], dtype)
            out = model(Tensor(xb))
            total += loss_fn(out, Tensor(yb)).item() * len(xb)
            preds.append(out.data)
    pred = np.concatenate(preds)
    return total / len(X), {name: float(fn(pred, y)) for name, fn in metric_fns.items()}


def fit(model, loss_fn, optimizer, train_loader, val_data=None, epochs: int = 10, early_stopping=None,
        scheduler=None, max_grad_norm: float | None = None, metrics=(), callbacks=(), should_stop=None,
        batch_event_interval: float = 0.1) -> History:
    """Train `model` for up to `epochs` epochs and return its History (see the module docstring).

    Early stopping (reset at the start) monitors the validation loss (the train loss without
    val_data); best weights are restored when it stops, when the budget runs out and when
    `should_stop()` ends the run. An epoch's train loss averages its finite batch losses (a
    non-finite batch is a skipped step, counted in `skipped_steps`). Metrics need val_data.
    On an exception the best weights are restored,
    Failed(error, history) is sent and the exception propagates. The model is left in eval mode.
    """
    if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) or epochs < 1:
        raise ValueError(f"fit: epochs must be a positive integer, got {epochs!r}")
    if max_grad_norm is not None and not float(max_grad_norm) > 0:
        raise ValueError(f"fit: max_grad_norm must be > 0 or None, got {max_grad_norm!r}")
    if not batch_event_interval >= 0:
        raise ValueError(f"fit: batch_event_interval must be >= 0 seconds, got {batch_event_interval!r}")
    metric_fns = _metric_functions(metrics)
    val = _validation_arrays(val_data)
    if metric_fns and val is None:
        raise ValueError(f"fit: metrics {sorted(metric_fns)} are computed on validation data; pass val_data")
    callbacks = tuple(callbacks)
    for cb in callbacks:
        if not callable(cb):
            raise TypeError(f"fit: callbacks must be callables taking one event, got {type(cb).__name__}")
    if getattr(train_loader, "_single", False):
        raise ValueError("fit: train_loader yields inputs only; build it with targets, DataLoader(X, y)")
    params = list(model.parameters())
    dtype = params[0].dtype if params else None
    batch_size = getattr(train_loader, "batch_size", None) or 256
    history = History(metric_fns)

    def emit(event):
        for cb in callbacks:
            cb(event)

    if early_stopping is not None:
        early_stopping.reset()  # NOTE: as Keras does at train begin: best epochs refer to this run
    epochs, reason = int(epochs), "completed"
    try:
        for epoch in range(1, epochs + 1):
            if should_stop is not None and should_stop():
                reason = "stopped"
                break
            started, lr, n_batches = perf_counter(), float(optimizer.param_groups[0]["lr"]), len(train_loader)
            emit(EpochStarted(epoch, epochs, n_batches))
            model.train()
            total, count, last_event = 0.0, 0, started
            for i, (xb, yb) in enumerate(train_loader, 1):
                if should_stop is not None and should_stop():
                    reason = "stopped"
                    break
                xb, yb = _cast(xb, dtype), _cast(yb, dtype)
                optimizer.zero_grad()
                loss = loss_fn(model(Tensor(xb)), Tensor(yb))
                loss.backward()
                if max_grad_norm is not None:
                    clip_grad_norm_(params, max_grad_norm)
                optimizer.step()
                value = loss.item()
                if math.isfinite(value):
                    total += value * len(xb)
                    count += len(xb)
                if callbacks:
                    now = perf_counter()
                    if now - last_event >= batch_event_interval or i == n_batches:
                        emit(BatchEnded(epoch, epochs, i, n_batches, value))
                        last_event = now
            if reason == "stopped":
                break
            train_loss = total / count if count else math.nan
            val_loss, scores = _evaluate(model, loss_fn, *val, batch_size, dtype, metric_fns) if val else (None, {})
            monitored = train_loss if val_loss is None else val_loss
            stop = False
            if early_stopping is not None:
                stop = early_stopping(monitored, model, epoch)
                improved = early_stopping.improved
                history.best_epoch, history.best_value = early_stopping.best_epoch, early_stopping.best_value
            else:
                improved = math.isfinite(monitored) and (history.best_value is None or monitored < history.best_value)
                if improved:
                    history.best_epoch, history.best_value = epoch, monitored
            if isinstance(scheduler, ReduceLROnPlateau):
                scheduler.step(monitored)
            elif scheduler is not None:
                scheduler.step()
            history._append(epoch, train_loss, val_loss, lr, optimizer.skipped_steps, scores)
            emit(EpochEnded(epoch, epochs, train_loss, val_loss, dict(scores), lr, optimizer.skipped_steps,
                            history.best_epoch, history.best_value, improved, perf_counter() - started))
            if stop:
                reason = "early_stopped"
                emit(EarlyStopped(epoch, early_stopping.best_epoch, early_stopping.best_value))
                break
        if reason != "early_stopped" and early_stopping is not None:
            early_stopping.restore(model)
        model.eval()
    except BaseException as error:
        if early_stopping is not None:
            early_stopping.restore(model)
        model.eval()
        history.stop_reason = "interrupted" if isinstance(error, KeyboardInterrupt) else "failed"
        emit(Failed(error, history))
        raise
    history.stop_reason = reason
    emit(Finished(reason, history))
    return history
