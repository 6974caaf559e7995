"""The Inside tab (F6): per-layer rows with verdicts while a run trains, no hooks when the tab is closed."""
from __future__ import annotations

from rich.console import Console
from textual.widgets import Static

from tests.tui.conftest import settle, train_to_the_end


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
        assert headline.startswith(state.headline[:40]) and f"sample {state.samples}" in headline
        assert "first conv filters (8)" in _text(app.screen.query_one("#inside-images", Static))


async def test_with_the_tab_closed_the_run_attaches_no_hook(app_for):
    app = app_for("--preset", "mnist_cnn", "--epochs", "1")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await train_to_the_end(pilot)
        assert app.screen.inside.samples == 0
        model = app.screen.runs.active.run.model
        assert not any(m._forward_hooks or m._forward_pre_hooks for m in model.modules())
