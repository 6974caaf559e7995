"""Static tables: the validation/test metrics of a run and the model summary."""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from tui.state import RunState, fmt, percent

COLUMNS = ("before", "current", "best", "after")  # RunState.metrics: val before / val epoch N / val best / test
LOSS_LABELS = {"mse": ("loss (MSE)", "loss (MSE)"), "l1": ("loss (MAE)", "loss (MAE)"),
               "cross_entropy": ("loss (cross-entropy)", "loss (CE)")}  # (wide, narrow)
SAME_AS_LOSS = {"mse": "mse", "l1": "mae"}  # a regression loss that is one of the metrics: one row for both


@dataclass(frozen=True)
class MetricRow:
    """One row: its label when the table has room (`label`) and when it has not (`short`), and its value
    from one column's metrics dict (None when missing)."""
    label: str
    short: str
    value: Callable[[dict], float | None]
    text: Callable[[float | None, int], str] = fmt  # the cell's text at some digits (accuracy: tui.state.percent)


def _metric(key: str, scale: float = 1.0, root: bool = False) -> Callable[[dict], float | None]:
    def value(metrics: dict) -> float | None:
        v = metrics.get(key)
        if v is None:
            return None
        return (math.sqrt(v) if root else v) * scale
    return value


def _perplexity(metrics: dict) -> float | None:
    """exp(loss), also for the epochs' metrics, which hold the loss only."""
    loss = metrics.get("loss")
    if loss is None:
        return None
    return math.exp(loss) if loss < 700 else math.inf  # NOTE: exp overflows a float past ~709


def metric_rows(task: str, loss_name: str, target_std: tuple | None, answers: bool = False) -> tuple[MetricRow, ...]:
    """What the table shows for a run of `task`. Sequence: exact match (with `answers`), token accuracy, loss and
    perplexity.
    Classification: accuracy first, the loss, then MSE and MAE
    of the softmax probabilities against one-hot labels. Regression: the loss, MSE and MAE (standardised
    when the target was), then MAE and RMSE in the target's own units.

    NOTE: errors in target units are the standardised ones times the target's std, exact for one target
    column; with several (each its own std) the mean error has no single unit, so those rows are left out."""
    wide, narrow = LOSS_LABELS.get(loss_name, ("loss", "loss"))
    if task == "sequence":  # NOTE: exact match only for data with answers (`answers`; a text scores every token)
        exact = (MetricRow("exact match (whole answers)", "exact match", _metric("exact_match"), percent),)
        return (*(exact if answers else ()), MetricRow("token accuracy", "token acc", _metric("accuracy"), percent),
                MetricRow(wide, narrow, _metric("loss")),
                MetricRow("perplexity (exp loss)", "perplexity", _perplexity))
    if task == "classification":
        return (MetricRow("accuracy", "accuracy", _metric("accuracy"), percent),
                MetricRow(wide, narrow, _metric("loss")),
                MetricRow("MSE (probabilities)", "MSE (probs)", _metric("mse")),
                MetricRow("MAE (probabilities)", "MAE (probs)", _metric("mae")))
    scaled = target_std is not None
    rows = [MetricRow(wide, narrow, _metric("loss"))]
    for key, name in (("mse", "MSE"), ("mae", "MAE")):
        if SAME_AS_LOSS.get(loss_name) != key:
            rows.append(MetricRow(f"{name} (standardised)" if scaled else name, name, _metric(key)))
    if scaled and len(target_std) == 1:
        std = target_std[0]
        rows += [MetricRow("MAE (target units)", "MAE (units)", _metric("mae", std)),
                 MetricRow("RMSE (target units)", "RMSE (units)", _metric("mse", std, root=True))]
    return tuple(rows)


def headers(epoch: int, two_lines: bool) -> list[tuple[str, ...]]:
    """The value columns' headers: one line each when the table has room, else two (never wrapped)."""
    current = f"epoch {epoch}" if epoch else "epoch"
    if two_lines:
        return [("val", "before"), ("val", current), ("val", "best"), ("test", "best wts")]
    return [("val before",), (f"val {current}",), ("val best",), ("test (best weights)",)]


def metrics_text(rows: tuple[MetricRow, ...], metrics: dict, epoch: int, width: int) -> Text:
    """The table as lines of at most `width` columns: long labels and one-line headers when they fit,
    else short labels, then two-line headers too, then 3 significant digits (cropped, never wrapped, if even
    those do not fit)."""
    for short, two_lines, gap, digits in ((False, False, 2, 4), (True, False, 2, 4), (True, True, 1, 4),
                                          (True, True, 1, 3)):
        cells = [[row.text(row.value(metrics[column]), digits) for column in COLUMNS] for row in rows]
        labels = [row.short if short else row.label for row in rows]
        heads = headers(epoch, two_lines)
        label_width = max(map(len, labels), default=0)
        widths = [max([len(line) for line in head] + [len(row[i]) for row in cells]) for i, head in enumerate(heads)]
        if label_width + sum(widths) + gap * len(widths) <= width:
            break
    text = Text(no_wrap=True, overflow="crop")
    for line in range(len(heads[0])):
        text.append(" " * label_width)
        for head, w in zip(heads, widths):
            text.append(" " * gap + head[line].rjust(w), "bold")
        text.append("\n")
    for label, values in zip(labels, cells):
        text.append(label.ljust(label_width), "bold")
        for value, w in zip(values, widths):
            text.append(" " * gap + value.rjust(w))
        text.append("\n")
    text.rstrip()
    return text


class MetricsTable(Static):
    """The run's metrics: val before training, at the latest epoch and at the best one, and test with
    the best weights; rows by task (see metric_rows)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__("", *args, **kwargs)
        self._args: tuple = ((), {k: {} for k in COLUMNS}, 0)
        self._drawn: tuple | None = None
        self._lines = 0

    def show(self, state: RunState) -> None:
        rows = metric_rows(state.task, state.loss_name, state.target_std, state.answers)
        self._args = (rows, {k: dict(v) for k, v in state.metrics.items()}, len(state.train_losses))
        self._draw()

    def on_resize(self) -> None:
        self._draw()

    def _draw(self) -> None:
        """Redraw if anything shown changed; a layout pass only when the number of lines did (the height is auto)."""
        width = self.content_size.width or self.app.size.width
        text = metrics_text(*self._args, width)
        key = (text.plain, width)
        if key == self._drawn:
            return
        self._drawn = key
        lines = text.plain.count("\n") + 1
        # NOTE: also when the height laid out is not the text's (a draw before the widget had its width)
        self.update(text, layout=lines != self._lines or lines != self.size.height)
        self._lines = lines


class ModelSummary(Static):
    """Layers with their output shapes and parameter counts, and the total."""

    def show(self, rows, num_parameters: int) -> None:
        """NOTE: the layer column takes the room the numbers leave (ratio): a long label is cut (…), never a
        shape or a count."""
        table = Table(box=None, padding=(0, 1), show_edge=False, expand=True)
        table.add_column("layer", no_wrap=True, overflow="ellipsis", ratio=1)
        table.add_column("output", justify="right", no_wrap=True)
        table.add_column("params", justify="right", no_wrap=True)
        for layer, shape, count in rows:
            output = "×".join("N" if size is None else str(size) for size in shape)
            table.add_row(str(layer), output, f"{count:,}" if count else "")
        table.add_row(Text("total", style="bold"), "", Text(f"{num_parameters:,}", style="bold"))
        self.update(table)
