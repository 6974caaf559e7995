"""Driving a run from another thread: Step mode (one batch, then pause), resume, stop, and hot edits.

`drive(loop, control, changes)` is the one loop over npnn's FitLoop that a Run uses: without a
control it trains straight through (headless runs); with one, before every batch it applies the
changes due at that batch (a replayed config's `[[changes]]`, then the user's hot edits) and waits
while the control is paused. A step trains exactly one batch, then sends Paused to the callbacks.
`RunControl.stop` is the one way another thread ends a run: before its next batch, at once when paused.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass

from presets.errors import PresetError
from presets.events import Paused
from presets.settings import hot_settings


@dataclass(frozen=True)
class Change:
    """Set `name` to `value` from batch `batch` of epoch `epoch` on (both count from 1)."""
    epoch: int
    batch: int
    name: str
    value: object


class RunControl:
    """Thread-safe controls for one run: `step()`, `resume()`, `pause()`, `stop()` and `set(name, value)`.

    `paused=True` starts the run paused before its first batch (F10 from Ready then steps it)."""

    def __init__(self, paused: bool = False) -> None:
        self._cond = threading.Condition()
        self._paused, self._steps, self._stopped = paused, 0, False
        self._interrupt: KeyboardInterrupt | None = None
        self._edits: list[tuple[str, object]] = []

    @property
    def paused(self) -> bool:
        return self._paused

    @property
    def stopping(self) -> bool:
        """stop() was called: the run ends before its next batch."""
        return self._stopped

    def step(self) -> None:
        """Train one more batch, then pause (from running: pause after the batch in flight)."""
        with self._cond:
            self._paused = True
            self._steps += 1
            self._cond.notify_all()

    def resume(self) -> None:
        with self._cond:
            self._paused, self._steps = False, 0
            self._cond.notify_all()

    def pause(self) -> None:
        with self._cond:
            self._paused = True

    def stop(self, interrupt: KeyboardInterrupt | None = None) -> None:
        """End the run before its next batch, at once when paused (best weights kept, as should_stop would).
        With `interrupt` (a signal the front end caught) the run raises it there instead, so it is saved
        as interrupted, as a headless run that the signal reached directly."""
        with self._cond:
            self._stopped = True
            self._interrupt = self._interrupt or interrupt
            self._cond.notify_all()

    def set(self, name: str, value) -> None:
        """Change hyperparameter `name` (a hot Setting, presets.settings) from the next batch on; ValueError for
        another name or a value its Option refuses (presets.overrides.parse_hot_edit checks typed text)."""
        hot = {setting.name: setting for setting in hot_settings()}
        if name not in hot:
            raise ValueError(f"RunControl.set: {name!r} cannot change during a run; expected one of {tuple(hot)}")
        spec = hot[name]
        try:
            if value is not None or not spec.holds_none:
                spec.option.check(value)
        except PresetError as error:
            raise ValueError(f"RunControl.set: {error}") from None
        with self._cond:
            self._edits.append((name, value))

    def _take_edits(self) -> list:
        with self._cond:
            edits, self._edits = self._edits, []
        return edits

    def _wait_turn(self) -> bool:
        """Block while paused with no step asked for; False when stopped."""
        with self._cond:
            while self._paused and not self._steps and not self._stopped:
                self._cond.wait()
            if self._stopped:
                return False
            if self._paused:
                self._steps -= 1
            return True

    def _stepping(self) -> bool:
        with self._cond:
            return self._paused


def next_position(loop) -> tuple[int, int]:
    """(epoch, batch) of the batch the loop trains next."""
    if loop.batch < loop.batches:
        return loop.epoch, loop.batch + 1
    return loop.epoch + 1, 1


def drive(loop, control: RunControl | None = None, changes=()):
    """Train `loop` (an npnn FitLoop) to its end and return its History; see the module docstring."""
    pending = sorted(changes, key=lambda c: (c.epoch, c.batch))
    if control is None and not pending:
        return loop.run()
    while not loop.done:
        position = next_position(loop)
        while pending and (pending[0].epoch, pending[0].batch) <= position:
            change = pending.pop(0)
            loop.set_hyperparameter(change.name, change.value)
        if control is not None:
            if not control._wait_turn():
                if control._interrupt is not None:
                    raise control._interrupt
                loop.stop()
                break
            for name, value in control._take_edits():
                loop.set_hyperparameter(name, value)
        loop.step_batch()
        if control is not None and control._stepping() and not loop.done:
            loop.emit(Paused(loop.epoch, loop.epochs, loop.batch, loop.batches, loop.last_loss, loop.running_loss,
                             float(loop.optimizer.param_groups[0]["lr"])))
    return loop.history
