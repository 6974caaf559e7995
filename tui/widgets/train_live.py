"""The Train tab's live column: status, the loss (or accuracy) chart, a sequence run's samples, progress and
timing, the metrics table, lr and skipped steps, and the log, all redrawn from a RunState by `show`.

NOTE: each part is updated only when its text changed, and without a layout pass unless its height may
change with it (a wrapping status, the table's header lines): a layout pass over the screen costs far
more than drawing them, on the core the training thread needs.
"""
from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Log, ProgressBar, Static

from tui.state import RunState, fmt
from tui.widgets.chart import Chart, Series
from tui.widgets.samples import SamplesPanel
from tui.widgets.tables import MetricsTable
from tui.widgets.wrapping_log import WrappingLog

SMOOTHING_STEPS = (0.0, 0.6, 0.9, 0.99)  # TensorBoard's slider as a key (s): each press the next weight


def info_line(s: RunState, width: int = 0) -> str:
    """While a run trains, the last batch's loss and the epoch's mean so far (Keras' progress bar); lr and
    skipped steps (the best epoch is in the chart's legend; after the run the table has its losses). In
    `width` columns (0: any) shorter words, so the batch numbers and lr stay on the line's one row."""
    lr = f"lr {s.lr:.2e}" if s.lr is not None else "lr —"
    if not (s.running and s.batch_loss is not None):
        return f"{lr} · skipped steps {s.skipped_steps}"
    batch, mean = fmt(s.batch_loss), fmt(s.running_loss)
    line = f"batch loss {batch} · epoch mean {mean} · {lr} · skipped steps {s.skipped_steps}"
    if not width or len(line) <= width:
        return line
    skipped = [f"skipped {s.skipped_steps}"] if s.skipped_steps else []
    return " · ".join([f"loss {batch}", f"mean {mean}", lr, *skipped])


class TrainLive(Vertical):
    """`show(state)` redraws every live view; `log_scale`, `accuracy`, `batches` and `smoothing` choose
    what the chart shows."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.log_scale = False  # the chart's y axis: log10 (l) or linear
        self.accuracy = False   # the chart shows val accuracy (a, classification) instead of loss
        self.batches = False    # the chart shows each reported batch's loss between the epoch marks (b)
        self.smoothing = SMOOTHING_STEPS[0]  # smooth()'s weight for every line (s)
        self._texts: dict = {}  # what each Static shows (see _put)
        self._state: RunState | None = None

    def compose(self) -> ComposeResult:
        yield Static("Ready", id="status", markup=False)
        yield Chart(id="train-chart")
        yield SamplesPanel(id="live-samples")
        with Horizontal(id="progress-row"):
            yield ProgressBar(id="progress", show_eta=False, show_percentage=False)
            yield Static("", id="progress-text", markup=False)
        yield Static("", id="timing", markup=False)
        yield MetricsTable(id="metrics")
        yield Static("", id="info", markup=False)
        yield WrappingLog(id="log", max_lines=2000)

    def show(self, s: RunState) -> None:
        self._state = s
        self.show_chart()
        self.set_class(s.task == "sequence", "-sequence")  # NOTE: its samples take room from the chart (app.tcss)
        self.query_one(SamplesPanel).show(s.task, s.samples)
        done = s.epoch - 1 + s.batch / s.batches if s.batches else 0
        self.query_one(ProgressBar).update(total=max(s.epochs, 1), progress=max(done, 0))
        batch = f" · batch {s.batch}/{s.batches}" if s.batches else ""
        self._put("#progress-text", f"{s.epoch}/{s.epochs or '—'}{batch}")
        self.query_one(MetricsTable).show(s)
        self._put("#timing", s.timing())
        self._put("#info", info_line(s, self.query_one("#info", Static).content_size.width))
        self._put("#status", s.status if not s.running or s.status != "Training" else f"Training · epoch {s.epoch}")
        status = self.query_one("#status", Static)
        status.set_class(s.status == "Finished", "-finished")
        status.set_class(s.status.startswith(("Stopped", "Early")), "-stopped")
        status.set_class(s.status.startswith(("Failed", "Diverged")), "-failed")
        lines = s.new_log_lines()
        if lines:
            self.query_one(Log).write_lines(lines, scroll_end=True)

    def toggle_log(self) -> None:
        """The chart's y axis between linear and log10."""
        self.log_scale = not self.log_scale
        self.show_chart()

    def toggle_accuracy(self) -> None:
        """The chart between loss and validation accuracy (classification runs)."""
        self.accuracy = not self.accuracy
        self.show_chart()

    def toggle_batches(self) -> None:
        """Batch points between the epoch marks on or off."""
        self.batches = not self.batches
        self.show_chart()

    def next_smoothing(self) -> None:
        """The next smoothing weight of SMOOTHING_STEPS (after the last: none)."""
        self.smoothing = SMOOTHING_STEPS[(SMOOTHING_STEPS.index(self.smoothing) + 1) % len(SMOOTHING_STEPS)]
        self.show_chart()

    def show_chart(self) -> None:
        """Train and val loss on one axis (or val accuracy), over the epochs run so far; the batch losses
        too when asked for, or while no epoch has ended (Step mode, a long first epoch)."""
        s = self._state
        if s is None:
            return
        if self.accuracy and s.task == "classification":
            series = [Series("val accuracy", s.val_accuracies, "green")]
        else:
            series = [Series("train loss", s.train_losses, "cyan"), Series("val loss", s.val_losses, "magenta")]
            if s.batch_points and (self.batches or not s.train_losses):
                positions, losses = zip(*s.batch_points)
                series.insert(0, Series("batch loss", losses, "blue", positions))
        self.query_one("#train-chart", Chart).show(series, best=s.best_epoch, log=self.log_scale, marks=s.marks,
                                                   smoothing=self.smoothing)

    def _put(self, selector: str, text: str) -> None:
        """Show `text` in a Static unless it already shows it; a layout pass only when it or the text it
        replaces is wider than the widget (a status that wraps onto more lines or back onto one)."""
        old = self._texts.get(selector)
        if old != text:
            self._texts[selector] = text
            widget = self.query_one(selector, Static)
            widget.update(text, layout=max(len(text), len(old or "")) > widget.content_size.width)
