"""The npnn-tui App and `make_app`, the one factory the command line and the tests share."""
from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from rich.text import Text
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen

from presets import PresetInfo, list_presets, load_preset
from tui.app_signals import forward_signals
from tui.crash import crash_message, write_crash_log
from tui.messages import SignalReceived
from tui.options import Options, check_flags_apply
from tui.palette import editor_commands, trainer_commands
from tui.screens import TrainerScreen
from tui.screens.model_editor import ModelEditor


class TrainerApp(App):
    """Pick a preset, tune it, train it in a worker thread and watch it learn."""

    CSS_PATH = "app.tcss"
    TITLE = "npnn-tui"
    BINDINGS = [Binding("ctrl+q", "quit", "Quit", priority=True, show=False)]  # NOTE: the Quit button shows it
    NOTIFICATION_TIMEOUT = 3  # seconds: a toast says what happened, the log keeps it

    def __init__(self, options: Options, presets: list, preset: str, loaded, *, steady: bool = False,
                 export_dir: Path | None = None, skipped: tuple = ()) -> None:
        super().__init__()
        self._screen_args = (options, presets, preset, loaded)
        self.steady, self.export_dir, self._skipped = steady, export_dir, skipped
        self._restore_signals = lambda: None  # on_mount forwards the signals (tui.app_signals)
        self.crash_line: str | None = None  # the one line an unexpected exception left (tui.crash)
        if steady:
            self.animation_level = "none"

    def _handle_exception(self, error: Exception) -> None:
        """Textual's ending for an exception nothing caught (return code 1, the terminal restored), with the
        traceback in a crash log (tui.crash) and, on the terminal, one line naming it instead of a full-screen
        traceback. Only the first exception is logged: the rest follow from it."""
        if self.crash_line is None:
            self.crash_line = crash_message(error, write_crash_log(error))
        super()._handle_exception(error)
        # NOTE: Textual prints what is left in _exit_renderables after the terminal is restored; soft_wrap
        # keeps a long path on one line
        self.error_console.soft_wrap = True
        self._exit_renderables[:] = [Text(self.crash_line)]

    def on_mount(self) -> None:
        for message in self._skipped:
            self.notify(message, title="Preset not listed", severity="warning", markup=False)
        # NOTE: the trainer stops and saves its run, then exits 128 + the signal (tui.app_signals)
        self._restore_signals = forward_signals(lambda signum: self.trainer.post_message(SignalReceived(signum)))

    def on_unmount(self) -> None:
        self._restore_signals()

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """Textual's palette commands, then the trainer's own (tui.palette)."""
        yield from super().get_system_commands(screen)
        if isinstance(screen, TrainerScreen):
            yield from trainer_commands(screen)
        elif isinstance(screen, ModelEditor):
            yield from editor_commands(screen)

    def get_default_screen(self) -> Screen:
        self.trainer = TrainerScreen(*self._screen_args, steady=self.steady, export_dir=self.export_dir)
        return self.trainer


def make_app(options: Options | None = None, *, steady: bool = False, export_dir: Path | None = None) -> TrainerApp:
    """The app for `npnn-tui` Options (None: the defaults, i.e. the tabular MLP preset).

    `steady` hides durations and the cursor blink so screenshots repeat exactly; ctrl+s/ctrl+e write
    to `export_dir` (default: the working directory). Raises presets.PresetError for a bad preset or
    a flag it cannot use (tui.options.check_flags_apply), as a headless run does.
    """
    options = options if options is not None else Options()
    loaded = load_preset(options.preset, options.overrides)
    check_flags_apply(options, loaded)
    skipped: list = []
    choices = preset_choices(options.preset, options.presets_dir, skipped)
    return TrainerApp(options, choices, options.preset, loaded, steady=steady, export_dir=export_dir,
                      skipped=tuple(skipped))


def preset_choices(selected: str, presets_dir=None, skipped: list | None = None) -> list[tuple[str, str]]:
    """(label, name or path) of the built-in presets and the user's (in `presets_dir`; unreadable ones are
    added to `skipped`), and of `selected` when it is another file: labelled by its file name and folder,
    since a run's config.toml carries its preset's title ("Tabular MLP" twice).
    NOTE: the file name comes first, so a narrow picker still shows it."""
    choices = [(picker_label(info), info.choice) for info in list_presets(presets_dir, skipped)]
    if selected not in {name for _, name in choices}:
        path = Path(selected)
        choices.append((f"{path.name} ({path.parent.name})" if path.parent.name else path.name, selected))
    return choices


def picker_label(info: PresetInfo) -> str:
    """A built-in preset by its title, a user preset by its file (and its title when that says more)."""
    if info.builtin:
        return info.title
    return info.path.name if info.title == info.path.stem else f"{info.title} ({info.path.name})"
