"""A labelled loss curve: name, a sparkline that fills left to right over the epoch budget, latest value."""
from __future__ import annotations

import math

import numpy as np
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widget import Widget
from textual.widgets import Label

from tui.state import fmt

BARS = " ▁▂▃▄▅▆▇█"


def columns(values: list, budget: int, width: int) -> np.ndarray:
    """One value per column: the x axis spans max(budget, len(values)) epochs over `width` columns,
    so the curve grows as epochs pass; several epochs in a column are averaged. Non-finite values are
    left out (NaN columns are drawn blank)."""
    n = len(values)
    total = max(budget, n, 1)
    used = min(width, math.ceil(n * width / total))
    data = np.asarray(values, dtype=float)
    starts = np.floor(np.arange(used) * total / width).astype(int)
    ends = np.maximum(starts + 1, np.floor(np.arange(1, used + 1) * total / width).astype(int))
    result = np.full(used, np.nan)
    for column, (start, end) in enumerate(zip(starts, np.minimum(ends, n))):
        finite = data[start:end][np.isfinite(data[start:end])]
        if finite.size:
            result[column] = finite.mean()
    return result


def bar_lines(heights: np.ndarray, rows: int) -> list:
    """Block-character lines (top first) for column heights in [0, 1] (NaN: blank column)."""
    eighths = np.where(np.isnan(heights), 0, np.rint(np.nan_to_num(heights) * (rows * 8 - 1)) + 1).astype(int)
    lines = []
    for row in range(rows - 1, -1, -1):
        level = np.clip(eighths - row * 8, 0, 8)
        lines.append("".join(BARS[i] for i in level))
    return lines


class Curve(Widget):
    """The sparkline itself; its colour comes from CSS (`color`)."""

    DEFAULT_CSS = "Curve { height: 1; width: 1fr; color: $primary; }"

    def __init__(self) -> None:
        super().__init__()
        self.values: list = []
        self.budget = 0

    def render(self) -> Text:
        values = columns(self.values, self.budget, self.size.width)
        finite = values[np.isfinite(values)]
        if finite.size == 0:
            return Text("·" * self.size.width, style="dim")
        low, high = finite.min(), finite.max()
        heights = (values - low) / (high - low) if high > low else np.where(np.isnan(values), np.nan, 0.5)
        return Text("\n".join(bar_lines(heights, self.size.height)))


class LossCurve(Horizontal):
    """`train loss ▇▆▅▄▃▂▁  0.412`: the curve scales from its lowest to its highest value."""

    def __init__(self, label: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._label = label

    def compose(self) -> ComposeResult:
        yield Label(self._label, classes="curve-label")
        yield Curve()
        yield Label("—", classes="curve-value")

    def show(self, values: list, budget: int) -> None:
        """Plot `values` over an x axis of `budget` epochs; the latest value is shown even if not finite."""
        curve = self.query_one(Curve)
        if (curve.values, curve.budget) != (values, budget):
            curve.values, curve.budget = list(values), budget
            curve.refresh()
            self.query_one(".curve-value", Label).update(fmt(values[-1]) if values else "—", layout=False)
