"""The Inside tab: the headline, one row per layer (numbers, sparklines, verdict), CNN filters and saliency, a
sequence model's attention maps and hidden-state norms.

It draws an InsideState (tui.inside_state); ←/→ (or [ and ]) pick the test digit of the saliency map
and post DigitPicked, which the screen turns into a request to the run.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from rich import box
from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import Static

from npnn.diagnostics.thresholds import UPDATE_RATIO_TARGET
from npnn.diagnostics.verdicts import sci
from tui.inside_state import InsideState
from tui.widgets.attention import sequence_lines
from tui.widgets.chart import sparkline
from tui.widgets.tiles import filter_tiles, gray, heat, side_by_side, tile

SPARK = 8  # sparkline columns per number
LEVEL_STYLES = {"ok": "green", "warn": "yellow", "bad": "bold red"}
TARGET = math.log10(UPDATE_RATIO_TARGET)
EMPTY = "Open this tab while a run trains (F5) to see each layer's weights, gradients, updates and activations."


def _number(value) -> str:
    return "—" if value is None else sci(value)


def _update(value) -> str:
    """log10 of the update ratio, marked ≈ within one decade of the rule of thumb."""
    if value is None:
        return "—"
    if not math.isfinite(value):
        return "skipped"
    return f"{value:+.1f}" + (" ≈" if abs(value - TARGET) <= 1 else "")


def _cell(text: str, values) -> Text:
    """A number above its sparkline over the run."""
    cell = Text(text)
    if values:
        cell.append("\n" + sparkline(list(values), SPARK), style="cyan")
    return cell


def layer_table(state: InsideState) -> Table:
    table = Table(box=box.SIMPLE_HEAD, padding=(0, 1), show_edge=False, expand=False)
    table.add_column("layer", no_wrap=True, overflow="ellipsis", max_width=22)
    for name in ("weight", "grad", f"log10 upd ({TARGET:+.0f})", "mean", "std", "dead/sat"):
        table.add_column(name, justify="right", no_wrap=True, min_width=SPARK)
    table.add_column("verdict", overflow="fold")
    for stats, series, v in zip(state.latest.layers, state.series, state.verdicts):
        health = stats.dead if stats.dead is not None else stats.saturated
        table.add_row(
            Text(stats.label, style="bold"),
            _cell(_number(stats.weight_norm), series["weight_norm"]),
            _cell(_number(stats.grad_norm), series["grad_norm"]),
            _cell(_update(None if stats.update_ratio is None else series["log_update"][-1]), series["log_update"]),
            _cell(_number(stats.mean), series["mean"]),
            _cell(_number(stats.std), series["std"]),
            _cell("—" if health is None else f"{'dead' if stats.dead is not None else 'sat'} {health:.0%}",
                  series["health"]),
            Text(v.text, style=LEVEL_STYLES[v.level]),
        )
    return table


class InsideView(VerticalScroll, can_focus=True):
    """The Inside tab's body; `show(state)` redraws it."""

    BINDINGS = [Binding("left,left_square_bracket", "pick(-1)", "Prev digit", show=False),
                Binding("right,right_square_bracket", "pick(1)", "Next digit", show=False),
                Binding("shift+left", "scroll_left", "Scroll left", show=False),
                Binding("shift+right", "scroll_right", "Scroll right", show=False)]

    @dataclass
    class DigitPicked(Message):
        """The user picked test image `index` for the saliency map."""
        index: int

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.selected = 0
        self._state: InsideState | None = None  # what `show` drew last, drawn again at a new width

    def compose(self):
        yield Static(EMPTY, id="inside-headline", markup=False)
        yield Static("", id="inside-table")
        yield Static("", id="inside-images")

    def action_pick(self, delta: int) -> None:
        self.selected += delta
        self.post_message(self.DigitPicked(self.selected))

    def on_resize(self) -> None:
        """Attention maps are laid out for the width (heads side by side): a new width lays them out again."""
        if self._state is not None and self._state.sequence is not None:
            self.query_one("#inside-images", Static).update(self._images(self._state))

    def show(self, state: InsideState) -> None:
        self._state = state
        headline = self.query_one("#inside-headline", Static)
        if state.latest is None:
            headline.update(EMPTY)
            headline.set_class(False, "-bad")
        else:
            worst = max((v.level for v in state.verdicts), key=("ok", "warn", "bad").index)
            when = f"end of the run, last of {state.samples} samples" if state.ended else f"sample {state.samples}"
            headline.update(f"{state.headline}   ({when})")
            headline.set_class(worst == "bad", "-bad")
            headline.set_class(worst == "warn", "-warn")
        self.query_one("#inside-table", Static).update(layer_table(state) if state.latest else "")
        self.query_one("#inside-images", Static).update(self._images(state))

    def _images(self, state: InsideState):
        blocks = []
        s = state.saliency
        if s is not None:
            blocks.append((f"test digit #{s.index} · pred {s.predicted}", tile(np.clip(s.image, 0, 1), gray)))
            blocks.append(("saliency (|∂score/∂pixel|)", tile(s.map, heat)))
        if state.filters is not None:
            blocks.append((f"first conv filters ({len(state.filters)})", filter_tiles(state.filters)))
        lines = side_by_side(blocks) if blocks else []
        if s is not None:
            lines.append(Text("←/→ or [ ] pick the test digit", style="dim"))
        if state.sequence is not None:
            # NOTE: a tab just opened has no size yet: the screen's width less the padding and scrollbar
            lines += sequence_lines(state.sequence, self.scrollable_content_region.width or self.app.size.width - 3)
        return Group(*lines) if lines else ""
