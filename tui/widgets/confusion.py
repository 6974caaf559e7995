"""The confusion matrix of the test set: rows are true classes, columns predicted ones, both by class name."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from tui.state import percent

NAME_WIDTH = 10  # longer class names are cut with "…" so ten classes still fit at 120 columns


def short(name: str, width: int = NAME_WIDTH) -> str:
    return name if len(name) <= width else name[:width - 1] + "…"


class ConfusionMatrix(Static):
    """Counts with the diagonal (correct) in green and mistakes in red, brighter for more."""

    def show(self, confusion: np.ndarray, class_names: Sequence[str]) -> None:
        confusion = np.asarray(confusion)
        k, total = confusion.shape[0], int(confusion.sum())
        right = int(np.trace(confusion))
        accuracy = right / total if total else float("nan")
        title = Text(f"Test confusion matrix · accuracy {percent(accuracy)} of {total:,} · {total - right:,} wrong",
                     style="bold")
        names = [short(name) for name in class_names]
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
        self.update(Group(title, Text(""), table))
