"""The braille chart and the sparkline: shared axis ticks, skipped values, best marker, log scale."""
import math

import pytest

from tui.widgets.chart import Series, render, sparkline


def _ticks(lines) -> list[float]:
    return [float(line.split("┤")[0]) for line in lines if "┤" in line]


def _round(value: float) -> bool:
    """1, 2 or 5 times a power of ten."""
    mantissa = f"{abs(value):.0e}".split("e")[0]
    return mantissa in ("1", "2", "5")


def test_y_ticks_sit_on_round_steps_inside_the_data_range():
    lines = render([Series("train", [1.02, 0.8, 0.659, 0.52, 0.452], "cyan")], 60, 10).plain.splitlines()
    ticks = _ticks(lines)
    steps = {round(a - b, 9) for a, b in zip(ticks, ticks[1:])}
    assert len(ticks) >= 2 and len(steps) == 1 and _round(steps.pop())
    assert all(0.452 <= t <= 1.02 for t in ticks)
    log = render([Series("loss", [1 / e for e in range(1, 84)], "cyan")], 120, 22, log=True).plain.splitlines()
    assert _ticks(log) == [1, 0.5, 0.2, 0.1, 0.05, 0.02]
    decades = render([Series("loss", [1e6, 3, 1e-3], "cyan")], 40, 10, log=True).plain.splitlines()
    assert all(_round(t) and math.log10(t) == int(math.log10(t)) for t in _ticks(decades))


def test_sparkline_scales_to_its_own_range_and_skips_non_finite_values():
    assert sparkline([3.0, math.nan, 2.0, 1.0], 10) == "█▅▁"
    assert sparkline([1.0, 2.0, 3.0, 4.0], 2) == "▁█"
    assert sparkline([5.0, 5.0], 4) == "▄▄" and sparkline([], 4) == ""


def test_two_series_share_one_axis_whose_ticks_are_their_common_range():
    lines = render([Series("train", [1.0, 0.5, 0.25], "cyan"), Series("val", [2.0, 1.0, 0.75], "magenta")],
                   40, 8, best=3).plain.splitlines()
    assert len(lines) == 8 and all(len(line) <= 40 for line in lines)
    assert lines[0].strip().startswith("2┤") and _ticks(lines) == [2.0, 1.0]
    assert lines[6].strip().startswith("epoch└1") and lines[6].rstrip().endswith("3")  # epochs run, not a budget
    assert "train" in lines[7] and "val" in lines[7] and "best epoch 3" in lines[7]


def test_a_constant_series_draws_and_nan_or_non_positive_values_on_a_log_scale_are_reported():
    assert "⣿ flat" in render([Series("flat", [1.0, 1.0], "cyan")], 30, 6).plain
    huge = render([Series("diverging", [2.5e33], "cyan")], 30, 6).plain  # ±0.5 would not move 2.5e33
    assert "2.6e+33┤" in huge.replace(" ", "") and "⣿ diverging" in huge
    legend = render([Series("loss", [1.0, 0.0, math.inf, 0.1], "cyan")], 40, 6, log=True).plain.splitlines()
    assert "loss (2 not drawn)" in legend[-1] and "log10" in legend[-1]
    assert legend[0].strip().startswith("1┤") and legend[3].strip().startswith("0.1┤")
    assert "no values yet" in render([Series("empty", [], "cyan")], 30, 6).plain


def test_a_large_chart_gets_more_ticks_on_round_values_and_always_the_last_epoch():
    values = [1.0 / epoch for epoch in range(1, 84)]
    lines = render([Series("loss", values, "cyan")], 120, 22).plain.splitlines()
    assert lines[-2].split("└")[1].split() == ["1", "10", "20", "30", "40", "50", "60", "70", "80", "83"]
    assert _ticks(lines) == [1.0, 0.8, 0.6, 0.4, 0.2]
    narrow = render([Series("loss", values, "cyan")], 40, 8).plain.splitlines()
    assert narrow[-2].split("└")[1].split() == ["1", "50", "83"]


def test_hyperparameter_changes_are_marked_where_they_happened():
    from tui.widgets.chart import Series, render
    text = render([Series("val", [1.0, 0.8, 0.7, 0.65, 0.6], "blue")], 40, 8, marks=[2.5]).plain
    rows = text.splitlines()
    assert sum(row.count("╎") for row in rows[:-2]) >= 1
    assert "1 hyperparameter change" in rows[-1]
    assert "╎" not in render([Series("val", [1.0, 0.8], "blue")], 40, 8).plain


def test_batch_points_sit_between_the_epoch_marks_and_the_axis_starts_at_0_for_them():
    from tui.widgets.chart import Series, render
    epochs = Series("train", [1.0, 0.5], "cyan")
    batches = Series("batch", [1.2, 1.0, 0.6, 0.5], "blue", positions=[0.5, 1.0, 1.5, 2.0])
    rows = render([batches, epochs], 48, 10).plain.splitlines()
    plot = [row[8:] for row in rows[:-2]]
    first_col = min(min((i for i, c in enumerate(row) if c != " "), default=99) for row in plot)
    epoch_only = render([epochs], 48, 10).plain.splitlines()
    assert first_col > 2, "batch 0.5 is half an epoch right of 0, epoch 1 further right still"
    assert min(min((i for i, c in enumerate(row[8:]) if c != " "), default=99) for row in epoch_only[:-2]) == 0
    assert "⣿ batch" in rows[-1] and rows[-2].split("└")[1].split() == ["0", "1", "2"]
    top = [row for row in rows if "┤" in row][0]
    assert float(top.split("┤")[0]) >= 1.0  # the batch losses (up to 1.2) set the range too


def test_smoothing_is_tensorboard_s_debiased_moving_average_and_is_named_in_the_legend():
    from tui.widgets.chart import Series, render, smooth
    assert smooth([2.0, 2.0, 2.0], 0.9) == pytest.approx([2.0, 2.0, 2.0])  # debiased: no pull towards 0
    assert smooth([1.0, 3.0], 0.5) == pytest.approx([1.0, (0.5 * 0.5 + 0.5 * 3.0) / (1 - 0.5 ** 2)])
    with_nan = smooth([1.0, math.nan, 3.0], 0.5)  # a NaN is kept in place and skipped by the average
    assert with_nan[0] == 1.0 and math.isnan(with_nan[1]) and with_nan[2] == pytest.approx(1.75 / 0.75)
    assert smooth([1.0, 3.0], 0.0) == [1.0, 3.0]
    zigzag = [1.0, 3.0] * 20
    assert max(smooth(zigzag, 0.99)[10:]) - min(smooth(zigzag, 0.99)[10:]) < 0.5
    raw, smoothed = (render([Series("loss", zigzag, "cyan")], 60, 12, smoothing=w).plain for w in (0.0, 0.9))
    assert "smoothing 0.9" in smoothed.splitlines()[-1] and "smoothing" not in raw
    assert _ticks(smoothed.splitlines())[0] < _ticks(raw.splitlines())[0]  # the swing is damped: a lower top tick
