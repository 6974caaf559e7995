"""The predicted-vs-actual scatter: one shared range, points where they belong, the y = x diagonal, ticks."""
import math

from tui.widgets.chart import BRAILLE_BASE, Y_LABEL_WIDTH
from tui.widgets.scatter import POINT_STYLE, _tick, render

WIDTH, HEIGHT = 50, 12
PLOT_ROWS = HEIGHT - 2


def styled_cells(text, style: str) -> set:
    """(row, column) in the plot of the braille cells drawn in `style` (the legend's sample left out)."""
    cells, lines_start = set(), [0]
    for i, char in enumerate(text.plain):
        if char == "\n":
            lines_start.append(i + 1)
    for span in text.spans:
        if span.style != style:
            continue
        for i in range(span.start, span.end):
            row = max(r for r, start in enumerate(lines_start) if start <= i)
            if row < PLOT_ROWS and BRAILLE_BASE < ord(text.plain[i]) <= BRAILLE_BASE + 0xFF:
                cells.add((row, i - lines_start[row] - Y_LABEL_WIDTH))
    return cells


def test_the_scatter_fills_its_size_with_ticks_of_the_shared_range():
    lines = render([100.0, 200.0, 300.0], [150.0, 180.0, 500.0], WIDTH, HEIGHT).plain.splitlines()
    assert len(lines) == HEIGHT and all(len(line) <= WIDTH for line in lines)
    assert lines[0].strip().startswith("500┤")           # the highest of actual and predicted
    assert lines[PLOT_ROWS - 1].strip().startswith("100┤")  # the lowest
    assert lines[PLOT_ROWS // 2].strip().startswith("300┤")
    axis = lines[PLOT_ROWS]
    assert axis.strip().startswith("└100") and "300" in axis and axis.rstrip().endswith("500")
    assert "3 test rows" in lines[-1] and "predicted = actual" in lines[-1]


def test_points_land_in_the_corners_they_belong_to():
    # actual 0 predicted 10: top left; actual 10 predicted 0: bottom right
    cells = styled_cells(render([0.0, 10.0], [10.0, 0.0], WIDTH, HEIGHT), POINT_STYLE)
    plot_w = WIDTH - Y_LABEL_WIDTH - 1
    assert cells == {(0, 0), (PLOT_ROWS - 1, plot_w - 1)}


def test_the_diagonal_runs_from_bottom_left_to_top_right():
    text = render([5.0], [5.0], WIDTH, HEIGHT)
    diagonal = styled_cells(text, "dim")
    plot_w = WIDTH - Y_LABEL_WIDTH - 1
    assert (PLOT_ROWS - 1, 0) in diagonal and (0, plot_w - 1) in diagonal
    assert {row for row, _ in diagonal} == set(range(PLOT_ROWS))  # unbroken: every row has a piece
    by_row = sorted(diagonal)
    assert all(a[1] >= b[1] for a, b in zip(by_row, by_row[1:]) if a[0] < b[0])  # rising to the right
    assert styled_cells(text, POINT_STYLE) and not styled_cells(text, POINT_STYLE) & diagonal


def test_non_finite_pairs_are_left_out_and_counted():
    legend = render([1.0, 2.0, math.nan, 4.0], [1.0, math.inf, 3.0, 4.0], WIDTH + 20, HEIGHT).plain.splitlines()[-1]
    assert "2 test rows (2 not finite, not drawn)" in legend
    assert "no finite predictions" in render([math.nan], [1.0], WIDTH, HEIGHT).plain


def test_ticks_fit_the_label_column_in_the_targets_units():
    assert [_tick(v) for v in (173.5, 12345.6, 200_000.0, -1_234_567.0, 0.5, 0.000123)] == \
        ["173.5", "12346", "200k", "-1.235M", "0.5", "1.2e-04"]
    assert all(len(_tick(v)) < Y_LABEL_WIDTH for v in (-987654321.0, 1e-9, 123456.789, -0.000987))
