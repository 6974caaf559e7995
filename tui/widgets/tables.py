"""Static tables: the validation/test metrics of a run and the model summary."""
from __future__ import annotations

from rich import box
from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from tui.state import METRIC_ROWS, fmt

COLUMNS = ("before", "current", "best", "after")


class MetricsTable(Static):
    """Rows MSE, MAE (and Accuracy); columns before / current epoch / best / after training (test)."""

    _cells: tuple | None = None  # what is shown, to skip redraws that change nothing

    def show(self, metrics: dict, *, classification: bool, epoch: int) -> None:
        """Redraw (without a layout pass: the widget's height is fixed in CSS) if any cell changed."""
        cells = (epoch, tuple((name, *(fmt(metrics[column].get(key)) for column in COLUMNS))
                              for key, name in METRIC_ROWS if key != "accuracy" or classification))
        if cells == self._cells:
            return
        self._cells = cells
        table = Table(box=box.SIMPLE_HEAD, padding=(0, 1), collapse_padding=True, show_edge=False)
        table.add_column("")
        table.add_column("before", justify="right")
        table.add_column(f"epoch {epoch}" if epoch else "epoch", justify="right")
        table.add_column("best", justify="right")
        table.add_column("after (test)", justify="right")
        for name, *values in cells[1]:
            table.add_row(Text(name, style="bold"), *values)
        self.update(table, layout=False)


class ModelSummary(Static):
    """Layers with their output shapes and parameter counts, and the total."""

    def show(self, rows, num_parameters: int) -> None:
        table = Table(box=None, padding=(0, 1), show_edge=False, expand=False)
        table.add_column("layer", no_wrap=True, overflow="ellipsis")
        table.add_column("output", justify="right", no_wrap=True)
        table.add_column("params", justify="right", no_wrap=True)
        for layer, shape, count in rows:
            output = "×".join("N" if size is None else str(size) for size in shape)
            table.add_row(str(layer), output, f"{count:,}" if count else "")
        table.add_row(Text("total", style="bold"), "", Text(f"{num_parameters:,}", style="bold"))
        self.update(table)
