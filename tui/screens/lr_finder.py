"""ctrl+f: the learning-rate range test (presets.lr_find) on the form's model and data, in a worker thread:
the smoothed loss against lr on a log axis with the suggested lr marked; Enter puts it in the form's lr
field, Esc leaves the form as it was. The model it tests is a fresh one: nothing trains or is written.
"""
from __future__ import annotations

import math

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static

from presets.lr_find import LRFind, find_lr, summary
from tui.blas import training_blas_limit
from tui.widgets.chart import Chart, Series

TESTING = "testing learning rates on a copy of the model…"


def lr_axis(lrs: list[float]) -> tuple[tuple[float, str], ...]:
    """(position, label) of each power of ten inside the tried lrs: positions count tries from 1, and the
    tries are evenly spaced in log10(lr), so a position is linear in log10(lr)."""
    if len(lrs) < 2:
        return ()
    low, step = math.log10(lrs[0]), (math.log10(lrs[-1]) - math.log10(lrs[0])) / (len(lrs) - 1)
    powers = range(math.ceil(low - 1e-9), math.floor(math.log10(lrs[-1]) + 1e-9) + 1)
    return tuple((1 + (power - low) / step, f"1e{power}") for power in powers)


class LRFinderScreen(ModalScreen[float | None]):
    """Runs the range test on `run` (a presets.Run not yet trained) and returns the suggested lr on Enter."""

    BINDINGS = [Binding("escape", "cancel", "Cancel"), Binding("enter", "use", "Use lr", priority=True)]

    def __init__(self, run) -> None:
        super().__init__()
        self.run = run
        self.found: LRFind | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="lr-finder"):
            yield Label("Learning-rate range test: lr grows each batch until the loss explodes")
            yield Chart(id="lr-chart")
            yield Static(TESTING, id="lr-summary", markup=False)
            with Horizontal(id="lr-buttons"):
                yield Button("Use lr Enter", id="lr-use", variant="success", compact=True, disabled=True)
                yield Button("Cancel Esc", id="lr-cancel", compact=True)

    def on_mount(self) -> None:
        self._test()

    @work(thread=True, exclusive=True, group="lr-find", exit_on_error=False)
    def _test(self) -> None:
        try:
            with training_blas_limit():
                found = find_lr(self.run)
        except Exception as error:  # NOTE: data that does not load or a model that does not fit: said, not raised
            known = isinstance(error, (ValueError, OSError))
            self.app.call_from_thread(self._failed, str(error) if known else f"{type(error).__name__}: {error}")
            return
        self.app.call_from_thread(self.show, found)

    def _failed(self, message: str) -> None:
        self.query_one("#lr-summary", Static).update(f"The range test failed: {message}")

    def show(self, found: LRFind) -> None:
        """Draw the smoothed loss against lr, the suggestion marked, and say what it found."""
        self.found = found
        result = found.result
        best = result.lrs.index(result.suggestion) + 1 if result.suggestion is not None else None
        self.query_one(Chart).show([Series("smoothed loss", result.smoothed, "cyan")], best=best,
                                   x_name="lr", x_ticks=lr_axis(result.lrs),
                                   best_label=None if best is None else f"suggested lr {result.suggestion:.3g}")
        self.query_one("#lr-summary", Static).update(summary(found) + ("" if best is None else "  Enter: use it"))
        self.query_one("#lr-use", Button).disabled = best is None

    @on(Button.Pressed, "#lr-use")
    def action_use(self) -> None:
        """Enter: the suggested lr goes back to the form (nothing while testing or without a suggestion)."""
        if self.found is not None and self.found.result.suggestion is not None:
            self.dismiss(self.found.result.suggestion)

    @on(Button.Pressed, "#lr-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
