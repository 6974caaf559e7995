"""Line charts of per-epoch series drawn with braille cells, and one-line sparklines for tables.

NOTE: drawn with our own braille cells (2x4 dots per character) rather than plotext: no extra
dependency, and a redraw is a few NumPy-free list operations, cheap at the app's 4 Hz refresh.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

from rich.text import Text
from textual.widgets import Static

SPARK_BLOCKS = "▁▂▃▄▅▆▇█"
BRAILLE_BASE = 0x2800
# dot bit of braille cell position (column 0..1, row 0..3 from the top)
BRAILLE_DOTS = ((0x01, 0x08), (0x02, 0x10), (0x04, 0x20), (0x40, 0x80))
Y_LABEL_WIDTH = 8


@dataclass(frozen=True)
class Series:
    """One line: `values[i]` is the value at epoch i + 1; `style` a Rich colour such as "cyan"."""
    name: str
    values: Sequence[float]
    style: str


def _finite(values: Sequence[float], log: bool) -> list[tuple[int, float]]:
    """(epoch, value) of the values that can be drawn (finite; positive on a log scale)."""
    points = []
    for epoch, value in enumerate(values, start=1):
        if value is None or not math.isfinite(value) or (log and value <= 0):
            continue
        points.append((epoch, math.log10(value) if log else float(value)))
    return points


def sparkline(values: Sequence[float], width: int) -> str:
    """The last `width` finite values as block characters, scaled to their own min..max."""
    points = [v for _, v in _finite(values, log=False)][-width:]
    if not points:
        return ""
    low, high = min(points), max(points)
    span = high - low
    top = len(SPARK_BLOCKS) - 1
    return "".join(SPARK_BLOCKS[round((v - low) / span * top) if span else top // 2] for v in points)


def _tick(value: float, log: bool) -> str:
    value = 10 ** value if log else value
    return f"{value:.3g}"[:Y_LABEL_WIDTH - 1]


def render(series: Sequence[Series], width: int, height: int, *, best: int | None = None,
           log: bool = False, x_max: int | None = None, marks: Sequence[float] = ()) -> Text:
    """The chart as Rich Text of `height` lines and at most `width` columns: y ticks, plot, x axis, legend.
    `marks`: epoch positions (fractional: epoch 3, batch 5 of 10 is 2.4) of hyperparameter changes."""
    plot_w, plot_h = max(width - Y_LABEL_WIDTH - 1, 4), max(height - 2, 2)
    drawn = {s.name: _finite(s.values, log) for s in series}
    values = [v for points in drawn.values() for _, v in points]
    longest = max((len(s.values) for s in series), default=0)
    epochs = max(x_max or longest, 1)
    text = Text(no_wrap=True, overflow="crop")
    if not values:
        text.append("no values yet".center(width)[:width])
        return text
    low, high = min(values), max(values)
    if high == low:
        low, high = low - 0.5, high + 0.5
    dots_w, dots_h = plot_w * 2, plot_h * 4
    cells: list[list[int]] = [[0] * plot_w for _ in range(plot_h)]
    owner: list[list[str | None]] = [[None] * plot_w for _ in range(plot_h)]

    def dot_x(epoch: float) -> int:
        return 0 if epochs == 1 else round((epoch - 1) / (epochs - 1) * (dots_w - 1))

    def dot_y(value: float) -> int:
        return round((high - value) / (high - low) * (dots_h - 1))

    for s in series:
        previous = None
        for epoch, value in drawn[s.name]:
            point = (dot_x(epoch), dot_y(value))
            steps = 1 if previous is None else max(abs(point[0] - previous[0]), abs(point[1] - previous[1]), 1)
            start = previous or point
            for k in range(1, steps + 1):  # a straight line from the previous point
                x = start[0] + (point[0] - start[0]) * k // steps
                y = start[1] + (point[1] - start[1]) * k // steps
                cells[y // 4][x // 2] |= BRAILLE_DOTS[y % 4][x % 2]
                owner[y // 4][x // 2] = s.style
            previous = point
    best_col = dot_x(best) // 2 if best is not None and 1 <= best <= epochs else None
    mark_cols = {dot_x(max(position, 1)) // 2 for position in marks if position <= epochs}
    for row in range(plot_h):
        label = _tick(high, log) if row == 0 else _tick(low, log) if row == plot_h - 1 else (
            _tick((high + low) / 2, log) if row == plot_h // 2 else "")
        text.append(label.rjust(Y_LABEL_WIDTH - 1) + "┤" if label else " " * (Y_LABEL_WIDTH - 1) + "│", "dim")
        for col in range(plot_w):
            if cells[row][col]:
                text.append(chr(BRAILLE_BASE + cells[row][col]), owner[row][col])
            elif col == best_col:
                text.append("┊", "green")
            elif col in mark_cols:
                text.append("╎", "magenta")
            else:
                text.append(" ")
        text.append("\n")
    axis = [" "] * plot_w
    ticks = sorted({1, epochs, (1 + epochs) // 2})
    for epoch in ticks:
        label, col = str(epoch), min(dot_x(epoch) // 2, plot_w - 1)
        col = min(col, plot_w - len(label))
        axis[col:col + len(label)] = label
    text.append(" " * (Y_LABEL_WIDTH - 1) + "└" + "".join(axis)[:plot_w] + "\n", "dim")
    legend = Text(" " * Y_LABEL_WIDTH)
    for s in series:
        legend.append("⣿ ", s.style)
        skipped = len(s.values) - len(drawn[s.name])
        legend.append(s.name + (f" ({skipped} not drawn)" if skipped else "") + "  ")
    if best_col is not None:
        legend.append("┊", "green")
        legend.append(f" best epoch {best}  ")
    if mark_cols:
        legend.append("╎", "magenta")
        legend.append(f" {len(marks)} hyperparameter change{'s' if len(marks) > 1 else ''}  ")
    legend.append("log10 scale · epoch" if log else "epoch", "dim")
    legend.truncate(width)
    text.append_text(legend)
    return text


class Chart(Static):
    """A line chart of per-epoch series on one shared y axis; `show` redraws it at its current size."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__("", *args, **kwargs)
        self._args: tuple = ((), {})

    def show(self, series: Sequence[Series], *, best: int | None = None, log: bool = False,
             x_max: int | None = None, title: str = "", marks: Sequence[float] = ()) -> None:
        self._args = (tuple(series), {"best": best, "log": log, "x_max": x_max, "marks": tuple(marks)})
        self.border_title = title
        self._draw()

    def on_resize(self) -> None:
        self._draw()

    def _draw(self) -> None:
        series, options = self._args
        width, height = self.content_size
        if width and height:
            self.update(render(series, width, height, **options))
