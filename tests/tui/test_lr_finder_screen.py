"""ctrl+f: the lr finder on the form's model and data, its chart on a log lr axis, Enter fills the form's lr."""
from __future__ import annotations

import io

from rich.console import Console
from textual.widgets import Input, Static

from tests.tui.conftest import settle, wait_until
from tui.screens.lr_finder import LRFinderScreen, lr_axis
from tui.widgets.chart import Chart

SIZE = (120, 40)


def shown(widget: Static) -> str:
    console = Console(width=200, record=True, file=io.StringIO())
    console.print(widget.render())
    return console.export_text()


def test_the_lr_axis_puts_powers_of_ten_where_the_tries_reach_them():
    lrs = [1e-7 * 10 ** (i / 10) for i in range(81)]  # 1e-7 .. 1e1, ten tries a decade
    ticks = lr_axis(lrs)
    assert [label for _, label in ticks] == [f"1e{p}" for p in range(-7, 2)]
    assert [round(position, 6) for position, _ in ticks] == [1 + 10 * k for k in range(9)]
    assert lr_axis([1e-3]) == ()


async def test_ctrl_f_tests_the_forms_model_and_enter_puts_the_suggestion_in_the_lr_field(app_for):
    app = app_for()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        trainer = app.screen
        await pilot.press("ctrl+f")
        await pilot.pause()
        finder = app.screen
        assert isinstance(finder, LRFinderScreen)
        await wait_until(pilot, lambda: finder.found is not None)
        await pilot.pause()
        suggestion = finder.found.result.suggestion
        assert suggestion is not None
        chart = shown(finder.query_one(Chart))
        assert f"suggested lr {suggestion:.3g}" in chart and "1e-05" not in chart
        axis = next(line for line in chart.splitlines() if "└" in line)
        assert axis.split("└")[0].strip() == "lr" and axis.split("└")[1].split()[:2] == ["1e-7", "1e-6"] and "1e-1" in axis
        assert shown(finder.query_one("#lr-summary")).startswith(f"Suggested lr: {suggestion:.3g}")
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is trainer
        assert trainer.query_one("#lr", Input).value == f"{suggestion:.3g}"
        assert trainer.side.form.overrides()[0]["lr"] == float(f"{suggestion:.3g}")


async def test_esc_leaves_the_form_as_it_was_and_a_running_run_is_not_disturbed(app_for):
    app = app_for("--epochs", "2")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        trainer = app.screen
        before = trainer.query_one("#lr", Input).value
        await pilot.press("ctrl+f")
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is trainer and trainer.query_one("#lr", Input).value == before
        await pilot.press("f10")
        await wait_until(pilot, lambda: trainer.state.paused)
        await pilot.press("ctrl+f")
        await pilot.pause()
        assert app.screen is trainer  # refused while a run trains
        await pilot.press("escape")
        await wait_until(pilot, lambda: not trainer.state.running)


async def test_data_that_does_not_fit_the_model_is_said_in_the_finder_not_raised(app_for, tmp_path):
    path = tmp_path / "table.csv"
    path.write_text("a,b,y\n" + "".join(f"{i},{i % 3},{i % 2}\n" for i in range(30)))
    app = app_for("--preset", "mnist_cnn", "--data", str(path), "--target", "y")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+f")
        await pilot.pause()
        finder = app.screen
        assert isinstance(finder, LRFinderScreen)
        await wait_until(pilot, lambda: shown(finder.query_one("#lr-summary")).startswith("The range test failed: "))
        assert finder.query_one("#lr-use").disabled
        await pilot.press("enter")  # nothing to use: the finder stays
        await pilot.pause()
        assert app.screen is finder
