"""The Train tab's live samples of a sequence run (presets.events.SamplesDrawn): its answers to fixed held-out
sums, right in green and wrong in red with the expected answer, or a line of text it wrote, wrapped."""
from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

GAP = "   "  # between two answers on a line


def answers_text(samples, width: int) -> Text:
    """`epoch 3 · 2/6 right   123+456=0579 ✓   045+900=0955 ✗ 0945 …`, answers packed into `width` columns
    (0: one line), never broken inside one."""
    right = sum(answer.right for answer in samples.answers)
    parts = [(f"epoch {samples.epoch} · {right}/{len(samples.answers)} right", "bold")]
    for a in samples.answers:
        parts.append((f"{a.prompt}{a.answer} ✓", "green") if a.right else
                     (f"{a.prompt}{a.answer} ✗ {a.expected}", "red"))
    text, used = Text(), 0
    for words, style in parts:
        if used and width and used + len(GAP) + len(words) > width:
            text.append("\n")
            used = 0
        elif used:
            text.append(GAP)
            used += len(GAP)
        text.append(words, style=style)
        used += len(words)
    return text


def line_text(samples) -> Text:
    """`epoch 3 · So we watch. We │the model's line` (newlines as ⏎): the prompt dim, what the model wrote bold."""
    text = Text(f"epoch {samples.epoch} · ", style="bold")
    text.append(samples.prompt.replace("\n", "⏎"), style="dim")
    text.append("│", style="dim")
    text.append((samples.text or "").replace("\n", "⏎"), style="bold cyan")
    return text


class SamplesPanel(Static):
    """Shown for sequence runs only: `show(task, samples)` redraws it when the samples or the width changed."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id, markup=False)
        self._shown: tuple = (None, None, None)

    def show(self, task: str, samples) -> None:
        wanted = task == "sequence"
        if self.display != wanted:
            self.display = wanted
        width = self.content_size.width
        if not wanted or (task, samples, width) == self._shown:
            return
        self._shown = (task, samples, width)
        if samples is None:
            self.update(Text("Samples: what the model writes, after each epoch", style="dim"))
        else:
            self.update(answers_text(samples, width) if samples.answers else line_text(samples))

    def on_resize(self) -> None:
        """Answers are packed to the width: a new width packs them again."""
        task, samples, _ = self._shown
        if task is not None:
            self.show(task, samples)
