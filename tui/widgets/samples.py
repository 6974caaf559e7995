"""The Train tab's live samples of a sequence run (presets.events.SamplesDrawn): its answers to fixed held-out
sums, right in green and wrong in red with the expected answer, or a line of text it wrote, wrapped.

Both fit the lines the panel may take (app.tcss: fewer on short terminals): answers that do not fit are
counted ("+2 more"), a line of text that does not ends in "…"; nothing is cropped mid-answer.
"""
from __future__ import annotations

from rich.cells import cell_len
from rich.text import Text
from textual.widgets import Static

from tui.state import printable

GAP = "   "      # between two answers on a line
MAX_LINES = 4    # when the stylesheet sets no max-height


def when(samples) -> str:
    """"epoch 3", or "best, epoch 12" for the best weights' samples after the run."""
    return f"best, epoch {samples.epoch}" if samples.best else f"epoch {samples.epoch}"


def answers_text(samples, width: int, max_lines: int = MAX_LINES) -> Text:
    """`epoch 3 · 2/6 right   123+456=0579 ✓   045+900=0955 ✗ 0945 …` packed into `width` columns (0: one
    line) and `max_lines` lines, never broken inside an answer; those left out are counted at the end."""
    right = sum(answer.right for answer in samples.answers)
    parts = [(f"{when(samples)} · {right}/{len(samples.answers)} right", "bold")]
    for a in samples.answers:
        parts.append((f"{a.prompt}{a.answer} ✓", "green") if a.right else
                     (f"{a.prompt}{a.answer} ✗ {a.expected}", "red"))
    lines: list[list] = [[]]
    used = 0
    for index, (words, style) in enumerate(parts):
        needed = len(words) + (len(GAP) if used else 0)
        if used and width and used + needed > width:
            if len(lines) == max_lines:
                _count_rest(lines[-1], len(parts) - index, width)
                break
            lines.append([])
            used, needed = 0, len(words)
        lines[-1].append((words, style))
        used += needed
    return Text("\n").join(Text(GAP).join(Text(words, style=style) for words, style in line) for line in lines)


def _count_rest(line: list, left: int, width: int) -> None:
    """End a full last line with "+N more", taking answers off it until that fits."""
    while True:
        more = f"+{left} more"
        used = sum(len(words) for words, _ in line) + len(GAP) * len(line)
        if used + len(more) <= width or len(line) <= 1:
            line.append((more, "dim"))
            return
        line.pop()
        left += 1


def line_text(samples, width: int, max_lines: int = MAX_LINES) -> Text:
    """`epoch 3 · So we watch. We │the model's line` (tui.state.printable): the prompt dim, what the model wrote
    bold, cut every `width` columns (0: one line) into at most `max_lines` lines, the last ending in "…" if cut."""
    text = Text(f"{when(samples)} · ", style="bold")
    text.append(printable(samples.prompt), style="dim")
    text.append("│", style="dim")
    text.append(printable(samples.text or ""), style="bold cyan")
    if not width or text.cell_len <= width:
        return text
    lines = list(text.divide(_cuts(text.plain, width)))
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        last = lines[-1]
        while last.cell_len > width - 1:
            last = last[:-1]
        lines[-1] = last + Text("…", style="dim")
    return Text("\n").join(lines)


def _cuts(plain: str, width: int) -> list[int]:
    """Where to cut `plain` into lines of at most `width` cells (a wide character takes two)."""
    cuts, used = [], 0
    for index, char in enumerate(plain):
        cells = cell_len(char)
        if used + cells > width:
            cuts.append(index)
            used = 0
        used += cells
    return cuts


class SamplesPanel(Static):
    """Shown for sequence runs only: `show(task, samples)` redraws it when the samples or the width changed."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id, markup=False)
        self._shown: tuple = (None, None, None, None)

    def show(self, task: str, samples) -> None:
        wanted = task == "sequence"
        if self.display != wanted:
            self.display = wanted
        limit = self.styles.max_height
        size = (self.content_size.width, int(limit.value) if limit is not None else MAX_LINES)
        if not wanted or (task, samples, *size) == self._shown:
            return
        self._shown = (task, samples, *size)
        if samples is None:
            self.update(Text("Samples: what the model writes, after each epoch", style="dim"))
        else:
            self.update(answers_text(samples, *size) if samples.answers else line_text(samples, *size))

    def on_resize(self) -> None:
        """Samples are fitted to the width: a new width fits them again."""
        task, samples, *_ = self._shown
        if task is not None:
            self.show(task, samples)
