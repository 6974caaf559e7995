"""The footer rebuilds its keys only when what it shows changes (tui.widgets.footer)."""
from __future__ import annotations

from textual.widgets._footer import FooterKey

from tests.tui.conftest import settle, train_to_the_end


def keys(app) -> list:
    return list(app.screen.query(FooterKey))


def labels(app) -> list[tuple[str, bool]]:
    return [(key.description, key.has_class("-disabled")) for key in keys(app)]


async def test_moving_between_fields_keeps_the_footers_keys_and_a_changed_key_rebuilds_them(app_for):
    app = app_for("--epochs", "2")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.screen.query_one("#lr").focus()
        await settle(pilot)
        shown = keys(app)
        assert ("Start", False) in labels(app) and ("Stop", True) in labels(app)
        app.screen.query_one("#epochs").focus()
        await settle(pilot)
        assert keys(app) == shown  # NOTE: the same widgets: nothing was rebuilt
        await pilot.press("f3")
        await settle(pilot)
        assert keys(app) != shown
        await pilot.press("f2")
        await train_to_the_end(pilot)
        assert ("Start", False) in labels(app)
