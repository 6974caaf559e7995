"""An exception the app did not expect (issue 23 item 8): exit status 1, the terminal restored, one line on
stderr naming the crash log, and the traceback in that log ($XDG_STATE_HOME/npnn-tui/crash-<time>.log)."""
from __future__ import annotations

import pytest
from textual.app import App

from tests.tui.conftest import settle
from tests.tui.test_app import SIZE
from tests.tui.test_model_editor import open_editor
from tui.app import TrainerApp
from tui.cli import main
from tui.crash import crash_message, state_dir, write_crash_log
from tui.screens.model_editor import ModelEditor


class Injected(Exception):
    """The exception the tests put into a handler."""


def fail(*args, **kwargs):
    raise Injected("injected into a handler\nwith a second line")


@pytest.fixture
def state(tmp_path, monkeypatch):
    """$XDG_STATE_HOME in tmp_path; the folder the crash logs go to."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    return tmp_path / "state" / "npnn-tui"


def the_log(state) -> str:
    (log,) = state.glob("crash-*.log")
    return log


async def test_an_exception_in_a_key_handler_exits_1_and_writes_its_traceback_to_the_log(app_for, state, monkeypatch):
    monkeypatch.setattr(ModelEditor, "action_remove_layer", fail)
    app = app_for("--preset", "wine_mlp")
    with pytest.raises(Injected):  # NOTE: run_test re-raises what the app met, for the test to see
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await open_editor(pilot)
            await pilot.press("x")
            await pilot.pause()
    assert app.return_code == 1
    log = the_log(state)
    assert app.crash_line == ("npnn-tui: error: the app stopped on an unexpected Injected: injected into a handler "
                              f"with a second line; the traceback is in {log}")
    text = log.read_text()
    assert "Traceback (most recent call last)" in text and "in fail" in text and text.rstrip().endswith(
        "Injected: injected into a handler\nwith a second line")


def run_with_keys(monkeypatch, *keys: str) -> None:
    """npnn-tui's app, as tui.cli.main runs it, without a terminal: the keys pressed once it has settled."""
    async def press(pilot) -> None:
        await settle(pilot)
        await pilot.press(*keys)
    monkeypatch.setattr(TrainerApp, "run", lambda self: App.run(self, headless=True, size=SIZE, auto_pilot=press))


def test_through_the_entry_point_the_app_exits_1_with_one_line_naming_the_log(tmp_path, state, monkeypatch, capsys):
    monkeypatch.setattr(ModelEditor, "action_remove_layer", fail)
    run_with_keys(monkeypatch, "ctrl+l", "x")
    assert main(["--out", str(tmp_path / "runs")]) == 1
    log = the_log(state)
    out, err = capsys.readouterr()
    assert err == crash_message(Injected("injected into a handler\nwith a second line"), log) + "\n"
    assert "Traceback" not in err and "Injected: injected" in log.read_text()


def test_a_normal_quit_still_exits_0(tmp_path, state, monkeypatch, capsys):
    run_with_keys(monkeypatch, "ctrl+l", "escape", "ctrl+q")
    assert main(["--out", str(tmp_path / "runs")]) == 0
    assert capsys.readouterr().err == "" and not state.exists()


def test_the_log_goes_to_the_first_folder_that_takes_it_and_never_over_an_existing_name(tmp_path):
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    try:
        raise Injected("boom")
    except Injected as error:
        caught = error
    first = write_crash_log(caught, (blocked / "npnn-tui", tmp_path / "logs"))
    assert first.parent == tmp_path / "logs" and "Injected: boom" in first.read_text()
    planted = tmp_path / "logs" / "elsewhere"
    for n in range(1, 5):  # the next names are taken by symlinks: none is followed or replaced
        (first.parent / f"{first.stem}-{n}.log").symlink_to(planted)
    second = write_crash_log(caught, (tmp_path / "logs",))
    assert second is None or (second != first and not second.is_symlink() and not planted.exists())
    assert write_crash_log(caught, (blocked / "x",)) is None
    assert crash_message(caught, None).endswith("boom; no crash log could be written")


def test_the_state_dir_follows_xdg_and_ignores_a_relative_value(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    assert state_dir() == tmp_path / "npnn-tui"
    monkeypatch.setenv("XDG_STATE_HOME", "relative/dir")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert state_dir() == tmp_path / "home" / ".local" / "state" / "npnn-tui"


def test_a_long_message_is_cut_on_the_terminal_and_kept_whole_in_the_log(tmp_path):
    try:
        raise Injected("x" * 5000)
    except Injected as error:
        log = write_crash_log(error, (tmp_path,))
        line = crash_message(error, log)
    assert len(line) < 400 and "…" in line and "x" * 5000 in log.read_text()
