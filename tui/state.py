"""What the app knows about one run, folded from the run's events; plain Python, no Textual.

Message handlers only call `RunState.apply` (cheap); the screen redraws from the state on a timer,
so rendering costs the same however fast events arrive.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from npnn import events as fit_events
from npnn.events import StopReason
from npnn.history import History
from presets import events as run_events

METRIC_ROWS = (("loss", "loss"), ("mse", "MSE"), ("mae", "MAE"), ("accuracy", "Accuracy"),
               ("perplexity", "perplexity"), ("exact_match", "exact match"))  # for log lines
PERCENT_METRICS = ("accuracy", "exact_match")


def fmt(value, digits: int = 4) -> str:
    """A metric for a table cell: em dash when missing, 'nan'/'inf' spelled out, else 4 significant digits
    (values from 10,000 to a million in full, "35,123" rather than "3.512e+04")."""
    if value is None:
        return "—"
    value = float(value)
    if not math.isfinite(value):
        return str(value)
    if 10 ** digits - 0.5 <= abs(value) < 1e6:  # where g would switch to an exponent
        return f"{value:,.0f}"
    return f"{value:.{digits}g}"


def percent(value, digits: int = 4) -> str:
    """An accuracy (a fraction) as the app shows it everywhere: one decimal of a percent ("93.1%", "100.0%");
    none where a table is short of room (`digits` below fmt's 4: "93%")."""
    if value is None:
        return "—"
    value = float(value)
    return f"{value * 100:.{1 if digits >= 4 else 0}f}%" if math.isfinite(value) else str(value)


def score(key: str, value) -> str:
    """A metric by its key: accuracy and exact match as a percent, the others by fmt."""
    return percent(value) if key in PERCENT_METRICS else fmt(value)


def printable(text: str) -> str:
    """Generated text as one line that cannot move the cursor: a newline as ⏎, a tab as ⇥, any other control
    character as its Unicode picture (␍ for a carriage return)."""
    return "".join("⏎" if c == "\n" else "⇥" if c == "\t" else chr(0x2400 + ord(c)) if ord(c) < 32 else
                   "␡" if c == "\x7f" else c for c in text)


def clock(seconds: float) -> str:
    """A duration as m:ss, or h:mm:ss from an hour on."""
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _setting(value) -> str:
    """A hyperparameter's value for the log: 0.001, off (no clipping), (0.9, 0.999)."""
    if value is None:
        return "off"
    if isinstance(value, (tuple, list)):
        return "(" + ", ".join(f"{v:g}" for v in value) + ")"
    return f"{value:g}" if isinstance(value, float) else str(value)


def verdict_line(advice, continue_key: str | None = None) -> str:
    """An ended run's verdict and next step (presets.advice.Advice); when that is to train longer, the key
    that continues the run (for as many more epochs as the form's Epochs says)."""
    if continue_key is None or not advice.trains_longer:
        return advice.line()
    return f"{advice.line()}: {continue_key} continues this run for the form's Epochs more epochs"


@dataclass
class RunState:
    """Everything a run's views show. `version` grows on every change so views redraw only when needed."""
    run_id: int = 0
    preset: str = ""
    task: str = "regression"
    loss_name: str = ""                  # the preset's loss ("mse", "l1", "cross_entropy")
    target_std: tuple | None = None      # a standardised regression target's std (RunPrepared.target_std)
    answers: bool = False                # a sequence run scores whole answers (RunPrepared.answers)
    train_samples: int = 0
    status: str = "Ready"
    running: bool = False
    epoch: int = 0
    epochs: int = 0
    batch: int = 0
    batches: int = 0
    train_losses: list = field(default_factory=list)
    val_losses: list = field(default_factory=list)
    val_accuracies: list = field(default_factory=list)  # classification runs
    lr: float | None = None
    batch_loss: float | None = None      # the last batch reported (every step in Step mode)
    running_loss: float | None = None    # the epoch's exact mean loss over its batches so far
    batch_points: list = field(default_factory=list)  # (epoch position, batch loss): batch 5 of 10 in epoch 3 is 2.5
    skipped_steps: int = 0
    best_epoch: int | None = None
    best_value: float | None = None
    seconds_per_epoch: float | None = None  # the last epoch's, from the fit loop's timing
    seconds_total: float = 0.0              # of all epochs so far
    paused: bool = False  # a Step-mode run waiting for F10 (one batch) or F5 (full speed)
    marks: list = field(default_factory=list)  # epoch positions of hyperparameter changes, for the chart
    metrics: dict = field(default_factory=lambda: {"before": {}, "current": {}, "best": {}, "after": {}})
    log: list = field(default_factory=list)
    log_read: int = 0
    history: History | None = None
    run_dir: str | None = None
    reason: StopReason | None = None
    version: int = 0
    steady: bool = False  # leave out what differs between identical runs (run directory names carry the time)
    continue_key: str | None = None  # the key that continues an ended run, named by a verdict to train longer
    samples: run_events.SamplesDrawn | None = None  # a sequence run's latest answers or generated line

    def say(self, line: str) -> None:
        self.log.append(line)

    def new_log_lines(self) -> list:
        """Log lines not handed out before (the log widget appends, it never redraws everything)."""
        lines, self.log_read = self.log[self.log_read:], len(self.log)
        return lines

    def apply(self, event) -> None:
        """Fold one event (presets.events or npnn.events) into the state."""
        handler = getattr(self, "_on_" + type(event).__name__, None)
        if handler is not None:
            handler(event)
            self.version += 1

    def know(self, prepared: run_events.RunPrepared) -> None:
        """Take what a preview of the preset says about its data, before any run (the table's rows)."""
        self._take(prepared)
        self.version += 1

    def _take(self, prepared: run_events.RunPrepared) -> None:
        self.preset, self.task = prepared.preset, prepared.task
        self.loss_name = prepared.config.get("training", {}).get("loss", self.loss_name)
        self.target_std, self.train_samples = prepared.target_std, prepared.train_samples
        self.answers = prepared.answers

    def _on_RunPrepared(self, e: run_events.RunPrepared) -> None:
        self._take(e)
        self.say(f"prepared {e.preset}: {e.data_description}, {e.num_parameters:,} parameters")
        if e.notice:
            self.say(f"note: {e.notice}")

    def _on_Evaluated(self, e: run_events.Evaluated) -> None:
        scores = ", ".join(f"{name} {score(key, e.metrics[key])}" for key, name in METRIC_ROWS if key in e.metrics)
        if e.stage == "before" and e.split == "val":
            self.metrics["before"] = dict(e.metrics)
            self.say(f"before training, val: {scores}")
        elif e.stage == "after" and e.split == "test":
            self.metrics["after"] = dict(e.metrics)
            self.say(f"after training (best weights), test: {scores}")

    def _on_EpochStarted(self, e: fit_events.EpochStarted) -> None:
        self.epoch, self.epochs, self.batch, self.batches = e.epoch, e.epochs, 0, e.batches
        self.running_loss = None

    def _on_BatchEnded(self, e: fit_events.BatchEnded) -> None:
        self.epoch, self.batch, self.batches = e.epoch, e.batch, e.batches
        self._batch_done(e.loss, e.running_loss, e.lr)

    def _on_Paused(self, e: run_events.Paused) -> None:
        self.epoch, self.batch, self.batches, self.paused = e.epoch, e.batch, e.batches, True
        self._batch_done(e.loss, e.running_loss, e.lr)
        self.status = f"Paused after batch {e.batch}/{e.batches} of epoch {e.epoch} · F10 step · F5 continue"

    def _batch_done(self, loss, running_loss, lr) -> None:
        """A batch's loss, the epoch's mean so far and lr; one chart point per batch (Paused repeats the
        BatchEnded of the same batch when both came)."""
        self.batch_loss, self.running_loss = loss, running_loss
        if lr is not None:
            self.lr = lr
        position = self.epoch - 1 + self.batch / self.batches if self.batches else self.epoch
        if loss is not None and (not self.batch_points or self.batch_points[-1][0] != position):
            self.batch_points.append((position, loss))

    def resumed(self) -> None:
        """F5 on a paused run: full speed again."""
        self.paused, self.status = False, "Training"
        self.version += 1

    def _on_HyperparameterChanged(self, e: fit_events.HyperparameterChanged) -> None:
        if e.name == "lr":
            self.lr = e.new
        self.marks.append(e.epoch - 1 + (e.batch - 1) / self.batches if self.batches else e.epoch - 1)
        self.say(f"epoch {e.epoch}, batch {e.batch}: {e.name} {_setting(e.old)} → {_setting(e.new)}")

    def _on_EpochEnded(self, e: fit_events.EpochEnded) -> None:
        self.epoch, self.epochs, self.batch = e.epoch, e.epochs, self.batches
        self.train_losses.append(e.train_loss)
        if e.val_loss is not None:
            self.val_losses.append(e.val_loss)
        if "accuracy" in e.metrics:
            self.val_accuracies.append(e.metrics["accuracy"])
        self.lr, self.seconds_per_epoch = e.lr, e.seconds
        self.seconds_total += e.seconds
        self.metrics["current"] = {"loss": e.val_loss, **e.metrics}
        if e.improved:
            self.metrics["best"] = dict(self.metrics["current"])
            self.say(f"epoch {e.epoch}: new best val loss {fmt(e.best_value)}")
        if e.skipped_steps > self.skipped_steps:
            self.say(f"epoch {e.epoch}: {e.skipped_steps - self.skipped_steps} non-finite steps skipped")
        self.skipped_steps = e.skipped_steps
        self.best_epoch, self.best_value = e.best_epoch, e.best_value

    def _on_SamplesDrawn(self, e: run_events.SamplesDrawn) -> None:
        self.samples = e

    def _on_EarlyStopped(self, e: fit_events.EarlyStopped) -> None:
        self.status = f"Early stopping at epoch {e.epoch}"
        self.say(f"early stopping at epoch {e.epoch}: best epoch {e.best_epoch}, val loss {fmt(e.best_value)}")

    def _on_Diverged(self, e: fit_events.Diverged) -> None:
        self.status = f"Diverged at epoch {e.epoch}"
        kept = "no finite epoch to keep" if e.best_epoch is None else f"best epoch {e.best_epoch} kept"
        self.say(f"diverged at epoch {e.epoch}, batch {e.batch}: loss {fmt(e.loss)}; {kept}")
        if e.origin:
            self.status = f"Diverged at epoch {e.epoch}: {e.origin}"
            self.say(e.origin)

    def _on_Finished(self, e: fit_events.Finished) -> None:
        self.history, self.reason = e.history, e.reason
        if e.reason == StopReason.COMPLETED:
            self.status = "Finished"
            self.say(f"finished {self.epoch} epoch{'s' if self.epoch != 1 else ''}")
        elif e.reason == StopReason.STOPPED:
            self.status = "Stopped"
            self._stopped()

    def _stopped(self) -> None:
        """Esc: the log, progress and Runs all count the epochs recorded; an epoch stopped before its
        end is not one of them (the fit loop records an epoch when it ends)."""
        done = len(self.train_losses)
        unfinished = f"; epoch {self.epoch} stopped at batch {self.batch}/{self.batches}, not recorded" \
            if self.epoch > done and self.batch else ""
        self.epoch, self.batch = done, self.batches if done else 0
        self.say(f"stopped by you after {done} epoch{'s' * (done != 1)}{unfinished}: best weights kept")

    def _on_Failed(self, e: fit_events.Failed) -> None:
        self.history, self.reason = e.history, StopReason.FAILED
        self.status = f"Failed: {e.error}"
        self.say(f"failed: {e.error}")

    def _on_RunSaved(self, e: run_events.RunSaved) -> None:
        self.run_dir = e.run_dir
        # NOTE: the worker count "auto" chose depends on the machine: steady (screenshot) mode leaves it out
        used = "" if self.steady or e.workers is None else f" ({e.workers} worker{'s' * (e.workers != 1)})"
        self.say("saved to the run directory" if self.steady else f"saved to {e.run_dir}{used}")
        if e.advice is not None:
            self.say(f"verdict: {verdict_line(e.advice, self.continue_key)}")

    def timing(self) -> str:
        """Epoch time, ETA (to the epoch budget, at the mean epoch time so far; the time taken once the loop
        ended) and training samples per second, from the fit loop's epoch timings. Steady (screenshot)
        mode shows the same dashes as before the first epoch: durations differ between identical runs."""
        done, last = len(self.train_losses), self.seconds_per_epoch
        if self.steady or not done or last is None:
            return "— ms/epoch · ETA — · — samples/s"
        per_epoch = f"{last * 1000:.0f} ms/epoch" if last < 1 else f"{last:.2f} s/epoch"
        if self.running and self.reason is None:
            eta = "ETA " + clock(max(self.epochs - done, 0) * self.seconds_total / done)
        else:
            eta = "took " + clock(self.seconds_total)
        rate = f"{self.train_samples / last:,.0f} samples/s" if self.train_samples and last > 0 else "— samples/s"
        return " · ".join((per_epoch, eta, rate))

    def fail(self, message: str) -> None:
        """The run could not even start or crashed outside the fit loop."""
        self.running, self.reason = False, StopReason.FAILED
        self.status = f"Failed: {message}"
        self.say(f"failed: {message}")
        self.version += 1
