"""The fit loop shared by every front end (TUI and headless): train, validate, report events, stop.

`FitLoop` is one run as an object that can be driven a batch at a time (the app's Step mode and hot
edits use the same loop as a full run); `fit()` builds one and runs it to the end. The loop never
prints: everything it knows goes to the callbacks as npnn.events dataclasses and into its History.
Per-batch work is kept to the model, the loss, backward, the optional clip, the optimizer step and
one `loss.item()`; batch events are throttled to `batch_event_interval` seconds.
"""
from __future__ import annotations

import math
from collections import deque
from contextlib import contextmanager
from time import perf_counter

import numpy as np

from npnn import loop_state, parallel
from npnn.diagnostics.nan_origin import find_nan_origin
from npnn.events import (
    BatchEnded,
    Diverged,
    EarlyStopped,
    EpochEnded,
    EpochStarted,
    Failed,
    Finished,
    HyperparameterChanged,
    StopReason,
)
from npnn.fit_arguments import check_arguments, check_clip_norm, metric_functions, validation_arrays
from npnn.history import History
from npnn.nn.utils import clip_grad_norm_
from npnn.optim.lr_scheduler import ReduceLROnPlateau
from npnn.tensor import Tensor, no_grad

CLIP_NORM = "max_grad_norm"  # the one hyperparameter of the loop itself; the others live in param_groups


# ---- arrays ---------------------------------------------------------------------------------------
def _cast(array: np.ndarray, dtype) -> np.ndarray:
    """Floating batches take the parameters' dtype (float64 data must not slow a float32 model)."""
    if dtype is not None and array.dtype.kind == "f" and array.dtype != dtype:
        return array.astype(dtype)
    return array


def _finite(array: np.ndarray) -> bool:
    return array.dtype.kind not in "fc" or bool(np.isfinite(array).all())


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


class FitLoop:
    """One training run that can be driven a batch at a time; `fit()` documents the arguments.

    `run()` trains to the end and returns the History. `step_batch()` trains exactly one batch: it
    opens the epoch before its first batch (EpochStarted) and closes it after its last (validation,
    early stopping, scheduler, EpochEnded). `run_epoch()` trains to the end of the current epoch.
    Each returns whether the run goes on (`run()` returns the History). Between two calls a driver may
    pause as long as it likes and read `epoch`, `batch` (batches done in this epoch), `batches`,
    `last_loss`, `history` and each parameter's `.grad` from the last batch; `set_hyperparameter`
    (callable from any thread) takes effect from the next batch, and `stop()` ends the run.
    Drive the loop from one thread at a time. The loop uses only the optimizer's public protocol:
    `param_groups`, `zero_grad()`, `step(closure)` (given the batch's loss, so a non-finite one is a
    skipped step), `skipped_steps`, `hyperparameters()` and `check_hyperparameter(name, value)`.
    """

    def __init__(self, model, loss_fn, optimizer, train_loader, val_data=None, epochs: int = 10,
                 early_stopping=None, scheduler=None, max_grad_norm: float | None = None, metrics=(),
                 callbacks=(), should_stop=None, batch_event_interval: float = 0.1, workers: int | str = "auto",
                 generator: np.random.Generator | None = None):
        callbacks = tuple(callbacks)
        check_arguments(train_loader, epochs, batch_event_interval, callbacks)
        self.max_grad_norm = check_clip_norm(max_grad_norm)
        self._metric_fns, self._val = metric_functions(metrics), validation_arrays(val_data)
        if self._metric_fns and self._val is None:
            raise ValueError(f"fit: metrics {sorted(self._metric_fns)} are computed on validation data; "
                             "pass val_data")
        self.model, self.loss_fn, self.optimizer, self.train_loader = model, loss_fn, optimizer, train_loader
        self.early_stopping, self.scheduler, self.callbacks = early_stopping, scheduler, callbacks
        self.should_stop, self.batch_event_interval = should_stop, batch_event_interval
        self.epochs = int(epochs)
        self._params = list(model.parameters())
        self._dtype = self._params[0].dtype if self._params else None
        self._val_batch = getattr(train_loader, "batch_size", None) or 256
        self.history = History(self._metric_fns)
        self.epoch, self.batch, self.batches = 0, 0, 0
        self.last_loss: float | None = None
        self.final_state: dict | None = None  # state_dict() as it was when the run ended, to continue it later
        self._open = False           # an epoch has started and not ended
        self._batches = iter(())     # the open epoch's batches
        self._pending: deque = deque()
        self._diverged: tuple | None = None
        # the open epoch's numbers, set again when each epoch begins
        self._started = self._last_event = 0.0  # perf_counter() at its start, at the last BatchEnded
        self._total, self._count = 0.0, 0       # sample-weighted sum of its finite batch losses, samples
        self._lr = float(optimizer.param_groups[0]["lr"])  # its lr (its first batch's)
        if early_stopping is not None:
            early_stopping.reset()  # NOTE: as Keras does at train begin: best epochs refer to this run
        # NOTE: workers start last, once every argument is known good (nothing to stop on a bad call)
        self.parallel = None if type(workers) is int and workers == 1 else \
            parallel.AutoParallel(model, loss_fn, len(train_loader) * self.epochs, generator) \
            if workers == "auto" else parallel.DataParallel(model, loss_fn, int(workers), generator)

    @property
    def done(self) -> bool:
        """The run has ended (history.stop_reason says how)."""
        return self.history.stop_reason is not None

    @property
    def running_loss(self) -> float | None:
        """The open (or last) epoch's sample-weighted mean of its finite batch losses so far; None before one."""
        return self._total / self._count if self._count else None

    # ---- driving ----------------------------------------------------------------------------------
    def step_batch(self) -> bool:
        """Train the next batch (opening or closing its epoch as needed); False once the run has ended."""
        with self._driving():
            self._step()
        return not self.done

    def run_epoch(self) -> bool:
        """Train to the end of the current epoch (or of the next one, between epochs); False once ended."""
        with self._driving():
            self._step()
            while self._open:
                self._step()
        return not self.done

    def run(self) -> History:
        """Train until the run ends and return its History."""
        with self._driving():
            while not self.done:
                self._step()
        return self.history

    def stop(self) -> None:
        """End the run now, as should_stop() would: best weights restored, Finished(STOPPED) sent."""
        if not self.done:
            with self._driving():
                self._finish(StopReason.STOPPED)

    def set_hyperparameter(self, name: str, value) -> None:
        """Change `name` ("lr", "momentum", ... in every param group of the optimizer, or "max_grad_norm")
        from the next batch on; it is checked now and recorded in history.changes when applied."""
        if self.done:
            raise RuntimeError(f"set_hyperparameter: the run has ended ({self.history.stop_reason}); "
                               f"{name} can no longer change")
        if name == CLIP_NORM:
            value = check_clip_norm(value)
        elif name not in self.optimizer.hyperparameters():
            raise ValueError(f"set_hyperparameter: {type(self.optimizer).__name__} has no hyperparameter "
                             f"{name!r}; expected one of {[*self.optimizer.hyperparameters(), CLIP_NORM]}")
        else:
            self.optimizer.check_hyperparameter(name, value)
        self._pending.append((name, value))

    # ---- state ----------------------------------------------------------------------------------------
    def state_dict(self) -> dict:
        """Everything to continue this run exactly, between two batches (npnn.loop_state says what)."""
        return loop_state.state_dict(self)

    def load_state_dict(self, state_dict: dict) -> None:
        """Continue from `state_dict()`: the next batch is the one after its (epoch, batch); `epochs` stays
        this loop's budget, which must leave an epoch to train. Call it before the first step."""
        loop_state.load_state_dict(self, state_dict)

    # ---- one batch --------------------------------------------------------------------------------
    @contextmanager
    def _driving(self):
        """NumPy errors silenced for this thread only (a diverging run reports, it does not warn), and
        any exception turned into Failed (best weights restored) before it propagates."""
        try:
            with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                yield
        except BaseException as error:
            self._fail(error)
            raise

    def _step(self) -> None:
        if self.done:
            return
        if not self._open:
            self._begin_epoch()
            if self.done:
                return
        batch = next(self._batches, None)
        if batch is None:            # the loader ran out: an empty epoch, or len() said more
            self._end_epoch()
            return
        if self.should_stop is not None and self.should_stop():
            self._finish(StopReason.STOPPED)
            return
        self._apply_changes()
        self._train_batch(*batch)
        if self._diverged is not None or self.batch >= self.batches:
            self._end_epoch()

    def _train_batch(self, xb, yb) -> None:
        xb, yb = _cast(xb, self._dtype), _cast(yb, self._dtype)
        self.optimizer.zero_grad()
        if self.parallel is not None:
            value = self.parallel.forward_backward(xb, yb)
        else:
            loss = self.loss_fn(self.model(Tensor(xb)), Tensor(yb))
            loss.backward()
            value = loss.item()
        if self.max_grad_norm is not None:
            clip_grad_norm_(self._params, self.max_grad_norm)
        self.optimizer.step(lambda: value)  # NOTE: the optimizer skips the step when the loss is non-finite
        if math.isfinite(value):
            self._total += value * len(xb)
            self._count += len(xb)
        else:
            if _finite(xb) and _finite(yb):  # NOTE: bad data is only skipped; finite data means the model broke
                origin = find_nan_origin(self.model, self.loss_fn, xb, yb)
                self._diverged = (self.epoch, self.batch + 1, value, origin and origin.message)
        self.batch, self.last_loss = self.batch + 1, value
        if self.callbacks:
            now = perf_counter()
            if now - self._last_event >= self.batch_event_interval or self.batch == self.batches \
                    or self._diverged is not None:
                self.emit(BatchEnded(self.epoch, self.epochs, self.batch, self.batches, value, self.running_loss,
                                     self._count, float(self.optimizer.param_groups[0]["lr"])))
                self._last_event = now

    def _apply_changes(self) -> None:
        """Apply the hyperparameter changes asked for since the last batch, before the next one."""
        while self._pending:
            name, value = self._pending.popleft()
            if name == CLIP_NORM:
                old, self.max_grad_norm = self.max_grad_norm, value
            else:
                old = self.optimizer.param_groups[0][name]
                for group in self.optimizer.param_groups:
                    group[name] = value
            change = HyperparameterChanged(self.epoch, self.batch + 1, name, old, value)
            self.history.changes.append(change)
            self.emit(change)

    # ---- epochs -----------------------------------------------------------------------------------
    def _begin_epoch(self) -> None:
        if self.should_stop is not None and self.should_stop():
            self._finish(StopReason.STOPPED)
            return
        self.epoch, self.batch, self.batches = self.epoch + 1, 0, len(self.train_loader)
        self._started = self._last_event = perf_counter()
        self._total, self._count = 0.0, 0
        self.emit(EpochStarted(self.epoch, self.epochs, self.batches))
        self._apply_changes()
        self._lr = float(self.optimizer.param_groups[0]["lr"])  # NOTE: the epoch's lr is its first batch's
        self.model.train()
        self._batches = iter(self.train_loader)
        self._open = True

    def _end_epoch(self) -> None:
        """Validate, update the best value, early stopping and the scheduler, record, then stop if due."""
        self._open = False
        train_loss = self._total / self._count if self._count else math.nan
        val_loss, scores = (_evaluate(self.model, self.loss_fn, *self._val, self._val_batch, self._dtype,
                                      self._metric_fns) if self._val else (None, {}))
        monitored = train_loss if val_loss is None else val_loss
        stop, improved = self._track_best(monitored)
        if isinstance(self.scheduler, ReduceLROnPlateau):
            self.scheduler.step(monitored)
        elif self.scheduler is not None:
            self.scheduler.step()
        h, skipped = self.history, self.optimizer.skipped_steps
        h.append(self.epoch, train_loss, val_loss, self._lr, skipped, scores)
        self.emit(EpochEnded(self.epoch, self.epochs, train_loss, val_loss, dict(scores), self._lr, skipped,
                              h.best_epoch, h.best_value, improved, perf_counter() - self._started))
        if self._diverged is not None:
            epoch, batch, loss, origin = self._diverged
            h.divergence = {"epoch": epoch, "batch": batch, "loss": loss, "origin": origin}
            self.emit(Diverged(epoch, batch, loss, h.best_epoch, h.best_value, origin))
            self._finish(StopReason.DIVERGED)
        elif stop:
            self.emit(EarlyStopped(self.epoch, self.early_stopping.best_epoch, self.early_stopping.best_value))
            self._finish(StopReason.EARLY_STOPPED)
        elif self.epoch == self.epochs:
            self._finish(StopReason.COMPLETED)

    def _track_best(self, monitored: float) -> tuple[bool, bool]:
        """(stop now, improved): early stopping decides when given, else the lowest finite value is best."""
        h, es = self.history, self.early_stopping
        if es is not None:
            stop = es(monitored, self.model, self.epoch)
            h.best_epoch, h.best_value = es.best_epoch, es.best_value
            return stop, es.improved
        improved = math.isfinite(monitored) and (h.best_value is None or monitored < h.best_value)
        if improved:
            h.best_epoch, h.best_value = self.epoch, monitored
        return False, improved

    # ---- the end ----------------------------------------------------------------------------------
    def _close_workers(self) -> None:
        if self.parallel is not None:
            self.parallel.close()

    def _finish(self, reason: StopReason) -> None:
        if all(hasattr(part, "state_dict") for part in (self.optimizer, self.train_loader)):
            self.final_state = self.state_dict()  # NOTE: between two batches, before the best weights come back
        self._open = False
        self._close_workers()
        if reason != StopReason.EARLY_STOPPED and self.early_stopping is not None:
            self.early_stopping.restore(self.model)  # NOTE: early stopping restored them already
        self.model.eval()
        self.history.stop_reason = reason
        self.emit(Finished(reason, self.history))

    def _fail(self, error: BaseException) -> None:
        if self.done:  # NOTE: a callback of Finished raised: the run had ended, let it propagate
            return
        self._open = False
        self._close_workers()
        if self.early_stopping is not None:
            self.early_stopping.restore(self.model)
        self.model.eval()
        self.history.stop_reason = StopReason.INTERRUPTED if isinstance(error, KeyboardInterrupt) else StopReason.FAILED
        self.emit(Failed(error, self.history))

    def emit(self, event) -> None:
        """Send `event` to every callback (the loop's own events, and a driver's such as Step mode's Paused)."""
        for cb in self.callbacks:
            cb(event)


def fit(model, loss_fn, optimizer, train_loader, val_data=None, epochs: int = 10, early_stopping=None,
        scheduler=None, max_grad_norm: float | None = None, metrics=(), callbacks=(), should_stop=None,
        batch_event_interval: float = 0.1, workers: int | str = "auto", generator: np.random.Generator | None = None
        ) -> History:
    """Train `model` for up to `epochs` epochs and return its History (`FitLoop(...).run()`).

    Early stopping (reset at the start) monitors the validation loss (the train loss without
    val_data); best weights are restored when it stops, when the budget runs out, when the run
    diverges and when `should_stop()` (asked before each epoch and batch) ends the run. An epoch's
    train loss averages its finite batch losses. A batch whose loss is non-finite is a skipped step
    (counted in `skipped_steps`); if its data was finite the model has diverged and the run stops
    after that batch with the reason StopReason.DIVERGED (Keras' TerminateOnNaN). Metrics need val_data.
    On an exception the best weights are restored, Failed(error, history) is sent and the exception
    propagates. The model is left in eval mode. NumPy floating-point warnings are silenced inside
    the loop only (np.errstate), callbacks included. `workers` > 1 splits each batch's forward and
    backward over that many processes (npnn.parallel.DataParallel; their Dropout seeds drawn from
    `generator`); "auto" (the default) times the first batches and splits over the cores where that
    pays (npnn.parallel.AutoParallel); the workers stop when the run ends.
    """
    return FitLoop(model, loss_fn, optimizer, train_loader, val_data, epochs, early_stopping, scheduler,
                   max_grad_norm, metrics, callbacks, should_stop, batch_event_interval, workers, generator).run()
