"""A Log whose long lines wrap at the pane's width (Textual's Log cuts them at its edge), rewrapped on resize."""
from __future__ import annotations

import textwrap
from collections import deque
from collections.abc import Iterable

from textual.widgets import Log

INDENT = "  "  # a wrapped line's continuation, so one entry still reads as one


class WrappingLog(Log):
    """`entries` are the lines written, unwrapped (what tests and exports read); the widget shows them wrapped."""

    def __init__(self, *, max_lines: int = 2000, id: str | None = None) -> None:
        super().__init__(max_lines=max_lines, id=id)
        self.entries: deque[str] = deque(maxlen=max_lines)
        self._wrap_width = 0  # the width the shown lines were wrapped to (0: not laid out yet, shown unwrapped)

    def write_lines(self, lines: Iterable[str], scroll_end: bool | None = None) -> WrappingLog:
        lines = list(lines)
        self.entries.extend(lines)
        return super().write_lines(self._wrapped(lines), scroll_end=scroll_end)

    def clear(self) -> WrappingLog:
        self.entries.clear()
        return super().clear()

    def on_resize(self) -> None:
        self.rewrap()

    def on_show(self) -> None:
        self.rewrap()  # NOTE: a log on a hidden tab gets no Resize when the terminal changes size

    def rewrap(self) -> None:
        """Rewrap every entry at the width now (a few thousand short lines: cheap next to a layout pass)."""
        width = self._text_width()
        if width != self._wrap_width:
            self._wrap_width = width
            super().clear()
            super().write_lines(self._wrapped(self.entries), scroll_end=True)

    def _text_width(self) -> int:
        # NOTE: one column is left for the vertical scrollbar, which appears once the lines overflow
        return max(self.content_size.width - 1, 0)

    def _wrapped(self, lines: Iterable[str]) -> list[str]:
        width = self._wrap_width
        if width < len(INDENT) + 8:
            return list(lines)
        return [part for line in lines
                for part in (textwrap.wrap(line, width, subsequent_indent=INDENT, break_on_hyphens=False) or [""])]
