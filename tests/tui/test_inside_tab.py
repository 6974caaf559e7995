"""The Inside tab (F6): per-layer rows with verdicts while a run trains, Step mode sampling every batch, the
last samples kept after the run, and no hook left once a run ends."""
from __future__ import annotations

from rich.console import Console
from textual.widgets import Static

from tests.tui.conftest import settle, train_to_the_end, wait_until
from tui.widgets.inside import EMPTY


def _text(widget: Static) -> str:
    console = Console(width=120, record=True, file=open("/dev/null", "w"))
    console.print(widget.content)
    return console.export_text()


async def test_f6_shows_a_row_per_layer_with_a_headline_after_a_watched_run(app_for):
    app = app_for("--preset", "mnist_cnn", "--epochs", "2")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("f6")
        assert app.screen.query_one("#tabs").active == "inside"
        await train_to_the_end(pilot)
        state = app.screen.inside
        assert state.samples > 0, "no sample reached the Inside tab"
        layers = state.latest.layers
        assert len(layers) == 10 and [s.label for s in layers][:2] == ["Conv2d(1→8, k=3)", "ReLU"]
        assert layers[0].grad_norm > 0 and layers[0].update_ratio > 0 and layers[1].dead is not None
        table = _text(app.screen.query_one("#inside-table", Static))
        for s in layers:
            assert s.label in table
        headline = _text(app.screen.query_one("#inside-headline", Static))
        assert headline.startswith(state.headline[:40])
        assert f"(end of the run, last of {state.samples} samples)" in headline
        assert "first conv filters (8)" in _text(app.screen.query_one("#inside-images", Static))


async def test_f6_after_a_run_trained_with_the_tab_closed_shows_its_last_samples_marked_as_the_end(app_for):
    app = app_for("--preset", "mnist_cnn", "--epochs", "1")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await train_to_the_end(pilot)
        model = app.screen.runs.active.run.model
        assert not any(m._forward_hooks or m._forward_pre_hooks for m in model.modules())
        await pilot.press("f6")
        await wait_until(pilot, lambda: app.screen.inside.ended and app.screen.query_one("#inside-table").size.width > 0)
        state = app.screen.inside
        assert state.samples > 0 and state.ended and len(state.series[0]["grad_norm"]) == state.samples
        headline = _text(app.screen.query_one("#inside-headline", Static))
        assert f"(end of the run, last of {state.samples} samples)" in headline and EMPTY not in headline
        table = _text(app.screen.query_one("#inside-table", Static))
        assert all(s.label in table for s in state.latest.layers)


async def test_in_step_mode_each_f10_shows_that_batch_s_rows(app_for):
    app = app_for("--preset", "tabular_mlp", "--epochs", "2")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("f10")
        await wait_until(pilot, lambda: app.screen.state.paused)
        await pilot.press("f6")
        await wait_until(pilot, lambda: app.screen.inside.samples == 1)
        for step in (2, 3):
            await pilot.press("f10")
            await wait_until(pilot, lambda: app.screen.inside.samples == step and app.screen.state.batch == step)
            await pilot.pause(0.05)
            headline = _text(app.screen.query_one("#inside-headline", Static))
            assert f"(sample {step})" in headline and EMPTY not in headline
            assert app.screen.inside.latest.step == step  # the sample is of the batch just trained
        await pilot.press("f5")
        await wait_until(pilot, lambda: not app.screen.state.running)


async def test_at_80_columns_the_layer_table_scrolls_sideways_instead_of_being_cropped(app_for):
    app = app_for("--preset", "wine_mlp", "--epochs", "2")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await train_to_the_end(pilot)
        await pilot.press("f6")
        view, table = app.screen.query_one("#inside-view"), app.screen.query_one("#inside-table")
        await wait_until(pilot, lambda: table.size.width > 0)
        await settle(pilot)
        assert table.size.width > view.scrollable_content_region.width and view.max_scroll_x > 0
        view.focus()
        for _ in range(view.max_scroll_x):
            await pilot.press("shift+right")
        await settle(pilot)
        assert view.scroll_x == view.max_scroll_x
        assert "verdict" in "".join(strip.text for strip in table.render_lines(table.region.reset_offset))
