"""The footer of the app's screens: Textual's Footer, rebuilt only when the keys it shows change."""
from __future__ import annotations

from textual.screen import Screen
from textual.widgets import Footer


def shown_keys(screen: Screen) -> tuple:
    """What a Footer draws from `screen`'s active bindings: each shown key with its action, label, state,
    hint and group, and the command palette's key."""
    bindings = screen.active_bindings
    palette = bindings.get(screen.app.COMMAND_PALETTE_BINDING)
    return (tuple((key, binding.action, binding.description, enabled, tooltip,
                   binding.group.description if binding.group else None)
                  for key, (_, binding, enabled, tooltip) in bindings.items() if binding.show),
            palette[1:] if palette else None)


class KeysFooter(Footer):
    """A Footer that skips rebuilding when its keys stay the same.

    NOTE: Textual's Footer rebuilds every key on each bindings update, and a focus change sends one even
    when the keys shown stay the same (a tab switch sends two); each new key is then restyled on its own,
    which was most of the time a tab switch took.
    """

    _shown: tuple | None = None

    def bindings_changed(self, screen: Screen) -> None:
        shown = shown_keys(screen)
        if shown == self._shown:
            return
        super().bindings_changed(screen)
        if screen.app.app_focus:  # NOTE: else Footer did not rebuild: the next update must
            self._shown = shown
