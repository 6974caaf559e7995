"""Images as half-block tiles ("▀" takes the top pixel's colour, its background the bottom's), colour scales and
captioned tiles side by side: the Inside tab's filters, saliency maps and attention maps."""
from __future__ import annotations

import numpy as np
from rich.text import Text


def _hex(rgb) -> str:
    r, g, b = (int(round(255 * min(max(c, 0.0), 1.0))) for c in rgb)
    return f"#{r:02x}{g:02x}{b:02x}"


def gray(v: float) -> str:
    return _hex((v, v, v))


def heat(v: float) -> str:
    """Black → red → yellow → white."""
    return _hex((3 * v, 3 * v - 1, 3 * v - 2))


def diverging(v: float) -> str:
    """Negative blue, zero black, positive orange (v in [-1, 1])."""
    return _hex((v, 0.45 * v, 0)) if v >= 0 else _hex((0.2 * -v, 0.5 * -v, -v))


def tile(image: np.ndarray, colour, pixels: int = 16) -> list[Text]:
    """Lines drawing `image` (H, W) with `colour(value)`, scaled up to about `pixels` on its longer side."""
    scale = max(1, pixels // max(image.shape))
    big = np.kron(np.asarray(image, dtype=float), np.ones((scale, scale)))
    if big.shape[0] % 2:
        big = np.vstack([big, np.zeros((1, big.shape[1]))])
    lines = []
    for top, bottom in zip(big[0::2], big[1::2]):
        line = Text()
        for a, b in zip(top, bottom):
            line.append("▀", style=f"{colour(a)} on {colour(b)}")
        lines.append(line)
    return lines


def side_by_side(blocks: list[tuple[str, list[Text]]], gap: int = 3) -> list[Text]:
    """Captioned tiles next to each other: captions on the first line, the tiles below, top-aligned."""
    widths = [max([len(caption)] + [t.cell_len for t in lines]) for caption, lines in blocks]
    rows = max(len(lines) for _, lines in blocks)
    out = [Text("".join(caption.ljust(w + gap) for (caption, _), w in zip(blocks, widths)), style="bold")]
    for y in range(rows):
        line = Text()
        for (_, lines), w in zip(blocks, widths):
            part = lines[y] if y < len(lines) else Text()
            line.append_text(part)
            line.append(" " * (w + gap - part.cell_len))
        out.append(line)
    return out


def filter_tiles(filters: np.ndarray, per_row: int = 8) -> list[Text]:
    """Every filter (out, kh, kw) as a tile, on a colour scale shared by all of them, `per_row` a row."""
    peak = float(np.abs(filters).max()) or 1.0
    tiles = [tile(f / peak, diverging, pixels=6) for f in filters]
    lines = []
    for start in range(0, len(tiles), per_row):
        chunk = tiles[start:start + per_row]
        for y in range(len(chunk[0])):
            line = Text(" ").join(t[y] for t in chunk)
            lines.append(line)
        lines.append(Text(""))
    return lines
