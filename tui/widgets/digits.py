"""Test images drawn with half-block characters (two pixel rows per line), with predicted and true labels."""
from __future__ import annotations

import numpy as np
from rich.console import Group
from rich.text import Text
from textual.widget import Widget

# index = 2 * top pixel on + bottom pixel on
HALF_BLOCKS = np.array([" ", "▄", "▀", "█"])


def half_block_lines(image: np.ndarray, threshold: float = 0.5) -> list:
    """Lines of text drawing a (H, W) image in [0, 1]; small images are scaled up to about 16 pixels."""
    scale = max(1, 16 // max(image.shape))
    pixels = np.kron(np.asarray(image, dtype=float) >= threshold, np.ones((scale, scale), dtype=bool))
    if pixels.shape[0] % 2:
        pixels = np.vstack([pixels, np.zeros((1, pixels.shape[1]), dtype=bool)])
    cells = HALF_BLOCKS[2 * pixels[0::2].astype(int) + pixels[1::2].astype(int)]
    return ["".join(row) for row in cells]


class DigitsView(Widget):
    """As many test digits as fit the width, each with "pred 3 · true 3" (green when right, red when wrong)."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._tiles: list = []

    def show(self, images: np.ndarray, predicted, true) -> None:
        self._tiles = [(half_block_lines(image), int(p), int(t)) for image, p, t in zip(images, predicted, true)]
        self.styles.height = self._needed_height()
        self.refresh(layout=True)

    def _tile_width(self) -> int:
        """Columns per digit: the image or its caption, whichever is wider, and a gap."""
        return max(len(self._tiles[0][0][0]), len("pred 0 · true 0")) + 2 if self._tiles else 1

    def _per_row(self) -> int:
        return max(1, (self.size.width or 80) // self._tile_width())

    def _needed_height(self) -> int:
        if not self._tiles:
            return 1
        rows = -(-len(self._tiles) // self._per_row())
        return rows * (len(self._tiles[0][0]) + 2)

    def on_resize(self) -> None:
        self.styles.height = self._needed_height()

    def render(self):
        if not self._tiles:
            return Text("Test digits appear after a run of a classification preset (MNIST CNN).", style="dim")
        width, per_row, lines = self._tile_width(), self._per_row(), []
        for start in range(0, len(self._tiles), per_row):
            chunk = self._tiles[start:start + per_row]
            for y in range(len(chunk[0][0])):
                lines.append(Text("".join(tile[y].ljust(width) for tile, _, _ in chunk)))
            caption = Text()
            for _, p, t in chunk:
                caption.append(f"pred {p} · true {t}".ljust(width), style="bold green" if p == t else "bold red")
            lines.extend([caption, Text("")])
        return Group(*lines)
