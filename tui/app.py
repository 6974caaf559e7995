"""The npnn-tui App and `make_app`, the one factory the command line and the tests share."""
from __future__ import annotations

from pathlib import Path

from textual.app import App
from textual.binding import Binding
from textual.screen import Screen

from presets import list_presets, load_preset
from tui.cli import build_parser, overrides_from_args
from tui.screens import TrainerScreen

DEFAULT_PRESET = "tabular_mlp"


class TrainerApp(App):
    """Pick a preset, tune it, train it in a worker thread and watch it learn."""

    CSS_PATH = "app.tcss"
    TITLE = "npnn-tui"
    BINDINGS = [Binding("ctrl+q", "quit", "Quit", priority=True)]

    def __init__(self, args, presets: list, preset: str, loaded, *, steady: bool = False,
                 export_dir: Path | None = None) -> None:
        super().__init__()
        self._screen_args = (args, presets, preset, loaded)
        self.steady, self.export_dir = steady, export_dir
        if steady:
            self.animation_level = "none"

    def get_default_screen(self) -> Screen:
        return TrainerScreen(*self._screen_args, steady=self.steady, export_dir=self.export_dir)


def make_app(args=None, *, steady: bool = False, export_dir: Path | None = None) -> TrainerApp:
    """The app for parsed `npnn-tui` arguments (None: the defaults, i.e. the tabular MLP preset).

    `steady` hides durations and the cursor blink so screenshots repeat exactly; ctrl+s/ctrl+e write
    to `export_dir` (default: the working directory). Raises presets.PresetError for a bad preset.
    """
    if args is None:
        args = build_parser().parse_args([])
    options = [(info.title, info.name) for info in list_presets()]
    preset = args.preset or DEFAULT_PRESET
    loaded = load_preset(preset, overrides_from_args(args))
    if preset not in {name for _, name in options}:
        options.append((loaded.title, preset))
    return TrainerApp(args, options, preset, loaded, steady=steady, export_dir=export_dir)
