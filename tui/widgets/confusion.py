"""The confusion matrix of the test set: rows are true classes, columns predicted ones."""
from __future__ import annotations

import numpy as np
from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.widgets import Static


class ConfusionMatrix(Static):
    """Counts with the diagonal (correct) in green and mistakes in red, brighter for more."""

    def show(self, confusion: np.ndarray) -> None:
        confusion = np.asarray(confusion)
        k, total = confusion.shape[0], int(confusion.sum())
        accuracy = np.trace(confusion) / total if total else float("nan")
        title = Text(f"Test confusion matrix · accuracy {accuracy:.2%} of {total:,}", style="bold")
        table = Table(box=None, padding=(0, 1), show_edge=False)
        table.add_column("true╲pred", justify="right", style="bold")
        for j in range(k):
            table.add_column(str(j), justify="right")
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
            table.add_row(str(i), *cells)
        self.update(Group(title, Text(""), table))
