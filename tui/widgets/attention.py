"""A sequence model on the Inside tab: each head's attention on one prompt as a half-block heatmap, and each
layer's hidden-state norms at each position (npnn.diagnostics.sequence.SequenceProbe)."""
from __future__ import annotations

import numpy as np
from rich.cells import cell_len
from rich.text import Text

from tui.state import printable
from tui.widgets.chart import sparkline
from tui.widgets.tiles import heat, side_by_side

GAP = 3            # columns between two heads' maps
NORM_LABEL = 32    # columns at most of a layer's name beside its norms (a longer one ends in …)


def shown(name: str) -> str:
    """A token's name in one column: a space as ·, a control character as its picture (tui.state.printable), a
    longer name by its first character, one two columns wide as ?."""
    char = "·" if name == " " else printable(name[:1]) or "?"
    return char if cell_len(char) == 1 else "?"


def head_map(weights: np.ndarray, names: list[str]) -> list[Text]:
    """One head's (T, T) weights: a column per key position under the prompt's characters, two query
    positions a line (▀: the upper one's colour, its background the lower one's) beside their characters;
    black 0 → red → yellow → white 1."""
    length = len(names)
    lines = [Text("   " + "".join(names), style="dim")]
    for row in range(0, length, 2):
        below = row + 1 < length
        line = Text()
        line.append(names[row] + (names[row + 1] if below else " ") + " ", style="dim")  # NOTE: not the cells
        for column in range(length):
            background = f" on {heat(weights[row + 1, column])}" if below else ""
            line.append("▀", style=f"{heat(weights[row, column])}{background}")
        lines.append(line)
    return lines


def attention_lines(probe, width: int) -> list[Text]:
    """Every encoder layer's heads side by side (as many a row as `width` columns hold)."""
    names = [shown(name) for name in probe.names]
    prompt = printable("".join(probe.names))
    lines = [Text(f"Attention on “{prompt}”: a row per query position (two a line), a column per key; "
                  "black 0 → white 1", style="bold")]
    per_row = max(1, (width + GAP) // (len(names) + 3 + GAP))
    for attention in probe.maps:
        lines.append(Text(f"{attention.layer} · encoder layer {attention.block + 1}", style="cyan"))
        heads = [(f"head {h + 1}", head_map(w, names)) for h, w in enumerate(attention.weights)]
        for start in range(0, len(heads), per_row):
            lines += side_by_side(heads[start:start + per_row], gap=GAP)
    return lines


def norm_lines(probe) -> list[Text]:
    """Each layer's mean ‖h‖ at each position as a sparkline under the prompt (scaled to its own range, the
    range written beside it)."""
    if not probe.norms:
        return []
    names = "".join(shown(name) for name in probe.names)
    width = min(NORM_LABEL, max(len(label) for label, _ in probe.norms))
    lines = [Text("Hidden-state norms ‖h‖ by position (mean over the sample prompts; each line on its own scale)",
                  style="bold"),
             Text(" " * (width + 1) + names, style="dim")]
    for label, norms in probe.norms:
        line = Text((label if len(label) <= width else label[:width - 1] + "…").ljust(width) + " ")
        line.append(sparkline(list(norms), len(norms)).ljust(len(names)), style="cyan")
        line.append(f"  {float(np.min(norms)):.3g}–{float(np.max(norms)):.3g}", style="dim")
        lines.append(line)
    return lines


def sequence_lines(probe, width: int) -> list[Text]:
    """The attention maps (a transformer's), then the norms, a blank line between."""
    maps = attention_lines(probe, width) if probe.maps else []
    return maps + ([Text("")] if maps else []) + norm_lines(probe)
