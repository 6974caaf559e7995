"""A labelled loss curve: name, sparkline of the finite values, and the latest value."""
from __future__ import annotations

import math
from statistics import fmean

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Label, Sparkline

from tui.state import fmt


class LossCurve(Horizontal):
    """`train loss ▇▆▅▄▃▂▁  0.412`: the sparkline spans the epochs so far, bucketed by mean."""

    def __init__(self, label: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._label = label

    def compose(self) -> ComposeResult:
        yield Label(self._label, classes="curve-label")
        yield Sparkline([], summary_function=fmean)
        yield Label("—", classes="curve-value")

    def show(self, values: list) -> None:
        """Plot `values` (non-finite ones are left out of the curve but shown as the latest value)."""
        finite = [v for v in values if v is not None and math.isfinite(v)]
        self.query_one(Sparkline).data = finite
        self.query_one(".curve-value", Label).update(fmt(values[-1]) if values else "—")
