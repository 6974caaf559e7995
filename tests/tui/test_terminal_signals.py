"""The app under a real pseudo-terminal: closing it (a closed window, a dropped SSH connection) or SIGTERM
stops the run, paused in Step mode or not, saves it and exits 129 / 143, as a headless run does."""
from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(not hasattr(os, "openpty") or not hasattr(signal, "SIGHUP"),
                                reason="POSIX pseudo-terminals and signals")

ROOT = Path(__file__).resolve().parents[2]
F5, F10 = b"\x1b[15~", b"\x1b[21~"
SIGNALS = (signal.SIGINT, signal.SIGHUP, signal.SIGTERM)


def _child_setup() -> None:
    """In the child: the dispositions the test relies on (whatever pytest inherited, `nohup` included), and
    the pseudo-terminal as the controlling terminal of its new session, so closing it sends SIGHUP."""
    import fcntl
    import termios
    for signum in SIGNALS:
        signal.signal(signum, signal.SIG_DFL)
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


class Terminal:
    """`npnn-tui FLAGS...` in a 120x40 pseudo-terminal whose screen output the test reads."""

    def __init__(self, tmp_path: Path, *flags: str) -> None:
        import fcntl
        import struct
        import termios
        self.master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
        # NOTE: COLUMNS/LINES win over the terminal's size in Textual; a parent may have set them (pytest-xdist's
        # workers run with COLUMNS=80 LINES=24)
        env = dict(os.environ, TERM="xterm-256color", PYTHONPATH=str(ROOT), COLUMNS="120", LINES="40",
                   SCIKIT_LEARN_DATA=str(tmp_path / "sklearn_home"))
        try:
            self.process = subprocess.Popen([sys.executable, "-m", "tui", "--out", str(tmp_path / "runs"), *flags],
                                            cwd=tmp_path, env=env, stdin=slave, stdout=slave, stderr=slave,
                                            start_new_session=True, preexec_fn=_child_setup)
        finally:
            os.close(slave)
        self.seen = b""

    def read_until(self, text: bytes, timeout: float = 60.0) -> None:
        """Read the screen's output until `text` was drawn (fail after `timeout` seconds)."""
        deadline = time.monotonic() + timeout
        while text not in self.seen:
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise AssertionError(f"{text!r} not drawn (exit code {self.process.poll()}): {self.seen[-800:]!r}")
            self._read(0.1)

    def _read(self, wait: float) -> None:
        if select.select([self.master], [], [], wait)[0]:
            try:
                self.seen += os.read(self.master, 65536)
            except OSError:  # NOTE: EIO once the app closed its side
                time.sleep(wait)

    def press(self, key: bytes) -> None:
        os.write(self.master, key)

    def hang_up(self) -> None:
        """Close the terminal, as closing its window does: the kernel sends the app SIGHUP."""
        os.close(self.master)
        self.master = None

    def exit_code(self, timeout: float = 20.0) -> int | None:
        """Wait for the app to end, reading what it draws meanwhile (a full terminal would block it); None
        when it is still running after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while self.process.poll() is None and time.monotonic() < deadline:
            if self.master is None:
                time.sleep(0.05)
            else:
                self._read(0.05)
        return self.process.poll()

    def close(self) -> None:
        """Kill whatever is left of the app's process group; close the terminal."""
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait(timeout=30)
        if self.master is not None:
            os.close(self.master)


@pytest.fixture
def terminal(tmp_path):
    """Start the app in a pseudo-terminal: `terminal(*flags)`; every one started is killed at the end."""
    started: list[Terminal] = []

    def start(*flags: str) -> Terminal:
        started.append(Terminal(tmp_path, *flags))
        started[-1].read_until(b"Start F5")
        return started[-1]
    yield start
    for term in started:
        term.close()


def _saved_runs(tmp_path) -> list[dict]:
    """metrics.json of every run directory, oldest first."""
    return [json.loads((run / "metrics.json").read_text()) for run in sorted((tmp_path / "runs").iterdir())]


def _paused(term: Terminal) -> None:
    term.press(F10)
    term.read_until(b"Paused after batch 1/")


def test_closing_the_terminal_of_a_paused_run_saves_it_and_exits_129(terminal, tmp_path):
    term = terminal("--preset", "tabular_mlp")
    _paused(term)
    term.hang_up()
    assert term.exit_code() == 129
    (summary,) = _saved_runs(tmp_path)
    assert summary["reason"] == "interrupted" and summary["epochs_run"] == 0
    assert len(list((tmp_path / "runs").glob("*/model.npz"))) == 1


def test_sigterm_to_a_paused_run_saves_it_and_exits_143(terminal, tmp_path):
    term = terminal("--preset", "tabular_mlp")
    _paused(term)
    term.process.send_signal(signal.SIGTERM)
    assert term.exit_code() == 143
    assert [summary["reason"] for summary in _saved_runs(tmp_path)] == ["interrupted"]
    assert b"Traceback" not in term.seen and b"\x1b[?1049l" in term.seen  # the screen the shell had is back


def test_closing_the_terminal_of_a_running_run_stops_it_after_its_batch_and_exits_129(terminal, tmp_path):
    term = terminal("--preset", "tabular_mlp", "--epochs", "100000", "--patience", "100000")
    term.press(F5)
    term.read_until(b"Training \xc2\xb7 epoch")
    term.hang_up()
    assert term.exit_code() == 129
    assert [summary["reason"] for summary in _saved_runs(tmp_path)] == ["interrupted"]


def test_sigterm_after_a_finished_run_exits_143_and_leaves_its_run_as_it_was(terminal, tmp_path):
    term = terminal("--preset", "tabular_mlp", "--epochs", "1")
    term.press(F5)
    term.read_until(b"Finished")
    term.process.send_signal(signal.SIGTERM)
    assert term.exit_code() == 143
    assert [summary["reason"] for summary in _saved_runs(tmp_path)] == ["completed"]
