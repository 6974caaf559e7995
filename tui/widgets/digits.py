"""Test images drawn with half-block characters (two pixel rows per line), each with two caption lines."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from rich.console import Group
from rich.text import Text
from textual.widget import Widget

# index = 2 * top pixel on + bottom pixel on
HALF_BLOCKS = np.array([" ", "▄", "▀", "█"])
CAPTION_LINES = 2


def half_block_lines(image: np.ndarray, threshold: float = 0.5) -> list:
    """Lines of text drawing a (H, W) image in [0, 1]; small images are scaled up to about 16 pixels."""
    scale = max(1, 16 // max(image.shape))
    pixels = np.kron(np.asarray(image, dtype=float) >= threshold, np.ones((scale, scale), dtype=bool))
    if pixels.shape[0] % 2:
        pixels = np.vstack([pixels, np.zeros((1, pixels.shape[1]), dtype=bool)])
    cells = HALF_BLOCKS[2 * pixels[0::2].astype(int) + pixels[1::2].astype(int)]
    return ["".join(row) for row in cells]


class DigitsView(Widget):
    """As many test images as fit the width, each captioned "pred 3 · true 5" (green when right, red when
    wrong) and a dim second line (the top-2 probabilities)."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._tiles: list = []

    def show(self, images: np.ndarray, captions: Sequence[tuple[str, str]], right: Sequence[bool]) -> None:
        self._tiles = [(half_block_lines(image), caption, bool(ok))
                       for image, caption, ok in zip(images, captions, right)]
        self.styles.height = self._needed_height()
        self.refresh(layout=True)

    def _tile_width(self) -> int:
        """Columns per image: the image or its longest caption line, whichever is wider, and a gap."""
        if not self._tiles:
            return 1
        return max(len(self._tiles[0][0][0]), *(len(line) for _, caption, _ in self._tiles for line in caption)) + 2

    def _per_row(self) -> int:
        return max(1, (self.size.width or 80) // self._tile_width())

    def _needed_height(self) -> int:
        if not self._tiles:
            return 1
        rows = -(-len(self._tiles) // self._per_row())
        return rows * (len(self._tiles[0][0]) + CAPTION_LINES + 1)

    def on_resize(self) -> None:
        self.styles.height = self._needed_height()

    def render(self):
        if not self._tiles:
            return Text("")
        width, per_row, lines = self._tile_width(), self._per_row(), []
        for start in range(0, len(self._tiles), per_row):
            chunk = self._tiles[start:start + per_row]
            for y in range(len(chunk[0][0])):
                lines.append(Text("".join(tile[y].ljust(width) for tile, _, _ in chunk)))
            first, second = Text(), Text()
            for _, (top, bottom), ok in chunk:
                first.append(top.ljust(width), style="bold green" if ok else "bold red")
                second.append(bottom.ljust(width), style="dim")
            lines.extend([first, second, Text("")])
        return Group(*lines)
