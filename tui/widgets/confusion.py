"""The confusion matrix of the test set: rows are true classes, columns predicted ones."""
from __future__ import annotations

import numpy as np
from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.widgets import Static


def confusion_view(confusion: np.ndarray, class_names=()) -> Group:
    """Counts with the diagonal (correct) in green and mistakes in red, brighter for more; rows and columns
    are headed by `class_names` (the label numbers when there are none, or not one per class)."""
    confusion = np.asarray(confusion)
    k, total = confusion.shape[0], int(confusion.sum())
    names = [str(name) for name in class_names] if len(class_names) == k else [str(i) for i in range(k)]
    accuracy = np.trace(confusion) / total if total else float("nan")
    title = Text(f"Test confusion matrix · accuracy {accuracy:.2%} of {total:,}", style="bold")
    table = Table(box=None, padding=(0, 1), show_edge=False)
    table.add_column("true╲pred", justify="right", style="bold")
    for name in names:
        table.add_column(name, justify="right")
    worst = max(int((confusion - np.diag(np.diag(confusion))).max()), 1)
    for i in range(k):
        cells = []
        for j in range(k):
            count = int(confusion[i, j])
            if i == j:
                style = "bold green"
            elif count:
                style = "bold red" if count * 2 >= worst else "red"
            else:
                style = "dim"
            cells.append(Text(str(count), style=style))
        table.add_row(names[i], *cells)
    return Group(title, Text(""), table)


class ConfusionMatrix(Static):
    """The test confusion matrix of the latest classification run (tui.widgets.confusion.confusion_view)."""

    def show(self, confusion: np.ndarray, class_names=()) -> None:
        self.update(confusion_view(confusion, class_names))
