"""A predicted-against-actual scatter drawn with braille cells (2x4 dots each), over the y = x diagonal.

Both axes share one range, so a perfect model's points lie on the diagonal from corner to corner;
ticks are in the values' own units (the target's, for a regression's test split).
"""
from __future__ import annotations

import numpy as np
from rich.text import Text
from textual.widgets import Static

from tui.widgets.chart import BRAILLE_BASE, BRAILLE_DOTS, Y_LABEL_WIDTH

POINT_STYLE, DIAGONAL_STYLE = "cyan", "dim"


def _tick(value: float) -> str:
    """At most Y_LABEL_WIDTH - 1 characters: 173.5, 12346, 200k, -1.235M, and 1.2e-04 for tiny values."""
    magnitude = abs(value)
    plain = (f"{value / 1e6:.4g}M" if magnitude >= 1e6 else f"{value / 1e3:.4g}k" if magnitude >= 1e5
             else f"{value:.5g}")
    for text in (plain, f"{value:.1e}"):
        if len(text) < Y_LABEL_WIDTH:
            return text
    return f"{value:.0e}"


def render(actual, predicted, width: int, height: int) -> Text:
    """The scatter as Rich Text of `height` lines and at most `width` columns: y ticks, plot, x axis, legend.
    x is `actual`, y is `predicted`; pairs with a non-finite value are left out (and counted in the legend)."""
    actual, predicted = np.asarray(actual, dtype=float), np.asarray(predicted, dtype=float)
    finite = np.isfinite(actual) & np.isfinite(predicted)
    xs, ys = actual[finite], predicted[finite]
    text = Text(no_wrap=True, overflow="crop")
    if not xs.size:
        text.append("no finite predictions to draw".center(width)[:width])
        return text
    plot_w, plot_h = max(width - Y_LABEL_WIDTH - 1, 4), max(height - 2, 2)
    dots_w, dots_h = plot_w * 2, plot_h * 4
    low, high = float(min(xs.min(), ys.min())), float(max(xs.max(), ys.max()))
    if high == low:
        low, high = low - 0.5, high + 0.5

    def dot_x(values):
        return np.rint((values - low) / (high - low) * (dots_w - 1)).astype(int)

    def dot_y(values):
        return np.rint((high - values) / (high - low) * (dots_h - 1)).astype(int)

    points = np.zeros((plot_h, plot_w), dtype=int)
    np.bitwise_or.at(points, (dot_y(ys) // 4, dot_x(xs) // 2), _bits(dot_x(xs), dot_y(ys)))
    along = np.linspace(0.0, 1.0, max(dots_w, dots_h))  # y = x: one dot per step of the longer side
    diag_x, diag_y = np.rint(along * (dots_w - 1)).astype(int), np.rint((1 - along) * (dots_h - 1)).astype(int)
    diagonal = np.zeros_like(points)
    np.bitwise_or.at(diagonal, (diag_y // 4, diag_x // 2), _bits(diag_x, diag_y))
    for row in range(plot_h):
        label = _tick(high) if row == 0 else _tick(low) if row == plot_h - 1 else (
            _tick((high + low) / 2) if row == plot_h // 2 else "")
        text.append(label.rjust(Y_LABEL_WIDTH - 1) + "┤" if label else " " * (Y_LABEL_WIDTH - 1) + "│", "dim")
        for col in range(plot_w):
            # NOTE: a cell holding points shows only them, so the diagonal never passes for a point
            if points[row, col]:
                text.append(chr(BRAILLE_BASE + int(points[row, col])), POINT_STYLE)
            elif diagonal[row, col]:
                text.append(chr(BRAILLE_BASE + int(diagonal[row, col])), DIAGONAL_STYLE)
            else:
                text.append(" ")
        text.append("\n")
    text.append(" " * (Y_LABEL_WIDTH - 1) + "└" + _x_axis(low, high, plot_w) + "\n", "dim")
    legend = Text(" " * Y_LABEL_WIDTH)
    legend.append("⣿ ", POINT_STYLE)
    skipped = int((~finite).sum())
    legend.append(f"{xs.size} test rows" + (f" ({skipped} not finite, not drawn)" if skipped else "") + "  ")
    legend.append("⠑ ", DIAGONAL_STYLE)
    legend.append("predicted = actual")
    legend.truncate(width)
    text.append_text(legend)
    return text


def _bits(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The braille dot bit of each (x, y) dot inside its cell."""
    return np.asarray(BRAILLE_DOTS)[y % 4, x % 2]


def _x_axis(low: float, high: float, plot_w: int) -> str:
    """The x axis line with the low, middle and high ticks under their columns (the last ends flush right)."""
    axis = ["─"] * plot_w
    for fraction, value in ((0.0, low), (0.5, (low + high) / 2), (1.0, high)):
        label = _tick(value)
        col = min(round(fraction * (plot_w - 1)), plot_w - len(label))
        if fraction == 0.5:
            col = max(col - len(label) // 2, 0)
        axis[col:col + len(label)] = label
    return "".join(axis)[:plot_w]


class ScatterPlot(Static):
    """Predicted against actual values; `show` redraws at the widget's current size (also on resize)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__("", *args, **kwargs)
        self._args: tuple = (np.zeros(0), np.zeros(0))

    def show(self, actual, predicted, *, title: str = "") -> None:
        self._args = (np.asarray(actual), np.asarray(predicted))
        self.border_title = title
        self._draw()

    def on_resize(self) -> None:
        self._draw()

    def _draw(self) -> None:
        actual, predicted = self._args
        width, height = self.content_size
        if width and height and actual.size:
            self.update(render(actual, predicted, width, height))
