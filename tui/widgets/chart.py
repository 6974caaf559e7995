"""Line charts of per-epoch (or per-batch) series drawn with braille cells, and one-line sparklines for tables.

NOTE: drawn with our own braille cells (2x4 dots per character) rather than plotext: no extra
dependency, and a redraw is a few NumPy-free list operations, cheap at the app's 4 Hz refresh.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from rich.text import Text
from textual.widgets import Static

SPARK_BLOCKS = "▁▂▃▄▅▆▇█"
BRAILLE_BASE = 0x2800
# dot bit of braille cell position (column 0..1, row 0..3 from the top)
BRAILLE_DOTS = ((0x01, 0x08), (0x02, 0x10), (0x04, 0x20), (0x40, 0x80))
Y_LABEL_WIDTH = 8


@dataclass(frozen=True)
class Series:
    """One line: `values[i]` is the value at epoch i + 1, or at epoch position `positions[i]` when given
    (batch 5 of 10 in epoch 3 is 2.5); `style` a Rich colour such as "cyan"."""
    name: str
    values: Sequence[float]
    style: str
    positions: Sequence[float] | None = None


def smooth(values: Sequence[float], weight: float) -> list:
    """TensorBoard's smoothing: an exponential moving average with weight `weight` on the past, debiased
    so the first values are not pulled towards 0; values that are not finite are kept and skipped."""
    smoothed, last, count = [], 0.0, 0
    for value in values:
        if value is None or not math.isfinite(value) or not weight:
            smoothed.append(value)
            continue
        count += 1
        last = last * weight + (1 - weight) * value
        smoothed.append(last / (1 - weight ** count))
    return smoothed


def _finite(series: Series, log: bool, smoothing: float = 0.0) -> list[tuple[float, float]]:
    """(epoch position, value) of the values that can be drawn (finite; positive on a log scale)."""
    points = []
    positions = series.positions if series.positions is not None else range(1, len(series.values) + 1)
    for position, value in zip(positions, smooth(series.values, smoothing)):
        if value is None or not math.isfinite(value) or (log and value <= 0):
            continue
        points.append((position, math.log10(value) if log else float(value)))
    return points


def sparkline(values: Sequence[float], width: int) -> str:
    """The last `width` finite values as block characters, scaled to their own min..max."""
    points = [v for _, v in _finite(Series("", values, ""), log=False)][-width:]
    if not points:
        return ""
    low, high = min(points), max(points)
    span = high - low
    top = len(SPARK_BLOCKS) - 1
    return "".join(SPARK_BLOCKS[round((v - low) / span * top) if span else top // 2] for v in points)


def _tick(value: float, log: bool) -> str:
    """A y tick label that fits the gutter: fewer digits rather than a cut exponent (2.6e+33, not 2.62e+3)."""
    value = 10 ** value if log else value
    for digits in (3, 2):
        label = f"{value:.{digits}g}"
        if len(label) < Y_LABEL_WIDTH:
            return label
    return f"{value:.1g}"


_STEPS = (1, 2, 5)


def _round_values(low: float, high: float, count: int) -> list[float]:
    """Multiples of a round step (1, 2 or 5 x 10^k) inside [low, high]: about `count`, and at least two."""
    span = high - low
    power = 10 ** math.floor(math.log10(span / max(count, 1)))
    candidates = sorted((m * power * scale for m in _STEPS for scale in (0.1, 1, 10)), reverse=True)
    best: list[float] = []
    for step in candidates:  # NOTE: from coarse to fine, the first step that gives at least `count` ticks
        first = math.ceil(low / step - 1e-9)
        values = [k * step for k in range(first, math.floor(high / step + 1e-9) + 1)]
        if len(values) >= 2 and not best:
            best = values
        if len(values) >= count:
            return values
    return best


def _log_values(low: float, high: float, count: int) -> list[float]:
    """log10 of round values for a log axis from 10^low to 10^high: 1, 2, 5 x 10^k where they fit about
    `count` ticks, else powers of ten (every other one and so on); under a decade, a linear round step."""
    inside = [math.log10(m) + k for k in range(math.floor(low), math.ceil(high) + 1) for m in _STEPS]
    inside = [v for v in inside if low - 1e-9 <= v <= high + 1e-9]
    if 2 <= len(inside) <= count + 1:
        return inside
    powers = [float(k) for k in range(math.ceil(low - 1e-9), math.floor(high + 1e-9) + 1)]
    if len(powers) >= 2:
        stride = max(1, math.ceil(len(powers) / (count + 1)))
        return powers[::-1][::stride][::-1]
    return [math.log10(v) for v in _round_values(10 ** low, 10 ** high, count) if v > 0]


def _y_ticks(low: float, high: float, rows: int, log: bool) -> dict[int, float]:
    """{row: tick value} at round values inside [low, high], about one every four rows: 1, 2, 5 x 10^k
    steps; on a log scale (low/high in log10 units) the same steps of the values themselves, or whole
    powers of ten when the range spans decades."""
    count = max(2, rows // 4)
    values = _round_values(low, high, count) if not log else _log_values(low, high, count)
    ticks: dict[int, float] = {}
    for value in values:
        ticks.setdefault(round((high - value) / (high - low) * (rows - 1)), value)
    return ticks


def _epoch_ticks(epochs: int, count: int) -> list[int]:
    """1 and multiples of a round step (1, 2 or 5 times a power of ten) giving about `count` ticks."""
    raw = max(epochs / count, 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    return [1, *range(step, epochs, step)]


def render(series: Sequence[Series], width: int, height: int, *, best: int | None = None,
           log: bool = False, x_max: int | None = None, marks: Sequence[float] = (), smoothing: float = 0.0,
           x_name: str = "epoch", x_ticks: Sequence[tuple[float, str]] | None = None,
           best_label: str | None = None) -> Text:
    """The chart as Rich Text of `height` lines and at most `width` columns: y ticks, plot, x axis, legend.
    `marks`: epoch positions (fractional: epoch 3, batch 5 of 10 is 2.4) of hyperparameter changes;
    `smoothing`: the weight of smooth() applied to every series (0: the values as they are).
    The x axis runs from epoch 1, or from 0 when batch points of the first epoch come before it. Another
    x axis (the lr finder's lr, evenly spaced on a log scale) gives its `x_name`, `x_ticks` as
    (position, label) and `best_label` for the legend in place of "best epoch N"."""
    plot_w, plot_h = max(width - Y_LABEL_WIDTH - 1, 4), max(height - 2, 2)
    drawn = {s.name: _finite(s, log, smoothing) for s in series}
    values = [v for points in drawn.values() for _, v in points]
    positions = [p for points in drawn.values() for p, _ in points]
    longest = max((len(s.values) for s in series if s.positions is None), default=0)
    epochs = max(x_max or longest, math.ceil(max(positions, default=1)), 1)
    first = 0.0 if min(positions, default=1) < 1 else 1.0  # epoch 0: the start of epoch 1's batches
    text = Text(no_wrap=True, overflow="crop")
    if not values:
        text.append("no values yet".center(width)[:width])
        return text
    low, high = min(values), max(values)
    if not high - low > 0:  # one value or all equal: a band around it (wide enough to differ at 1e33)
        pad = max(abs(high) * 0.05, 0.5)
        low, high = low - pad, high + pad
    ticks = _y_ticks(low, high, plot_h, log)
    dots_w, dots_h = plot_w * 2, plot_h * 4
    cells: list[list[int]] = [[0] * plot_w for _ in range(plot_h)]
    owner: list[list[str | None]] = [[None] * plot_w for _ in range(plot_h)]

    def dot_x(epoch: float) -> int:
        return 0 if epochs == first else round((epoch - first) / (epochs - first) * (dots_w - 1))

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
    mark_cols = {dot_x(max(position, first)) // 2 for position in marks if position <= epochs}
    for row in range(plot_h):
        label = _tick(ticks[row], log) if row in ticks else ""
        text.append(label.rjust(Y_LABEL_WIDTH - 1) + "┤" if label else " " * (Y_LABEL_WIDTH - 1) + "│", "dim")
        for col in range(plot_w):
            if cells[row][col]:
                text.append(chr(BRAILLE_BASE + cells[row][col]), owner[row][col])
            elif col == best_col:
                text.append("┊", "green")
            elif col in mark_cols:
                text.append("╎", "yellow")
            else:
                text.append(" ")
        text.append("\n")
    axis = [" "] * plot_w
    taken: list[tuple[int, int]] = []
    # the last epoch first, then 0 (batch points of epoch 1), the first and round ones between, each only where it
    # touches no other label
    labels = x_ticks if x_ticks is not None else [
        (epoch, str(epoch)) for epoch in [epochs, *([0] if first == 0 else []),
                                          *_epoch_ticks(epochs, max(2, plot_w // 12))]]
    for epoch, label in labels:
        col = max(min(dot_x(epoch) // 2, plot_w - len(label)), 0)
        if all(col > end or col + len(label) < start for start, end in taken):
            axis[col:col + len(label)] = label
            taken.append((col, col + len(label)))
    text.append(x_name.rjust(Y_LABEL_WIDTH - 1) + "└" + "".join(axis)[:plot_w] + "\n", "dim")
    best_text = None if best_col is None else best_label or f"best epoch {best}"
    text.append_text(_legend(series, drawn, best_text, len(marks) if mark_cols else 0, log, width, smoothing))
    return text


def _legend(series: Sequence[Series], drawn: dict, best: str | None, marks: int, log: bool, width: int,
            smoothing: float = 0.0) -> Text:
    """One line naming each series (and its undrawn values), the best epoch, the hyperparameter changes
    marked, the smoothing and a log scale; it starts under the plot when that leaves room for all of it,
    else at the left edge."""
    legend = Text()
    for s in series:
        legend.append("⣿ ", s.style)
        skipped = len(s.values) - len(drawn[s.name])
        legend.append(s.name + (f" ({skipped} not drawn)" if skipped else "") + "  ")
    if best is not None:
        legend.append("┊", "green")
        legend.append(f" {best}  ")
    if marks:
        legend.append("╎", "yellow")
        legend.append(f" {marks} hyperparameter change{'s' if marks > 1 else ''}  ")
    if smoothing:
        legend.append(f"smoothing {smoothing:g}  ", "dim")
    if log:
        legend.append("log10 y axis", "dim")
    legend.rstrip()
    if legend.cell_len + Y_LABEL_WIDTH <= width:
        legend = Text(" " * Y_LABEL_WIDTH) + legend
    legend.truncate(width)
    return legend


class Chart(Static):
    """A line chart of per-epoch series on one shared y axis; `show` redraws it at its current size.

    NOTE: the chart fills exactly the size CSS gives it, so redraws skip the layout pass
    (layout=False), and a `show` that changes nothing draws nothing: a live view may call it at 4 Hz."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__("", *args, **kwargs)
        self._args: tuple = ((), {})
        self._drawn: tuple | None = None  # (args, size) of what is on screen
        self._title = ""

    def show(self, series: Sequence[Series], *, best: int | None = None, log: bool = False,
             x_max: int | None = None, title: str = "", marks: Sequence[float] = (), smoothing: float = 0.0,
             **axis) -> None:
        """Draw `series`; `axis` (x_name, x_ticks, best_label) as `render` takes them, for an x axis other than
        epochs."""
        # values are copied: a caller's list grows in place, and the next show must see the change
        series = tuple(Series(s.name, tuple(s.values), s.style, None if s.positions is None else tuple(s.positions))
                       for s in series)
        self._args = (series, {"best": best, "log": log, "x_max": x_max, "marks": tuple(marks),
                               "smoothing": smoothing, **axis})
        if title != self._title:
            self._title = self.border_title = title
        self._draw()

    def on_resize(self) -> None:
        self._draw()

    def _draw(self) -> None:
        series, options = self._args
        width, height = self.content_size
        key = (self._args, (width, height))
        if width and height and key != self._drawn:
            self._drawn = key
            self.update(render(series, width, height, **options), layout=False)
