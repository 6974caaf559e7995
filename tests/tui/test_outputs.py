"""Where `npnn-tui predict -o` writes: atomically over a new path or a regular file (a symlink to one is
followed, as cp does); in place into a FIFO, a device, stdout (`-`, /dev/stdout, a link to /proc/self/fd/1),
each keeping its node; refused before any work for a directory or a missing folder; and a closed or full
stdout ends in one line or, for a reader that went away, quietly with 141."""
from __future__ import annotations

import contextlib
import csv
import io
import os
import signal
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tests.bundles import regressor  # noqa: F401  (module-scoped fixture)
from tui.cli import main

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def rows(tmp_path) -> Path:
    from sklearn.datasets import load_diabetes
    data = load_diabetes()
    path = tmp_path / "new.csv"
    lines = [",".join(data.feature_names)] + [",".join(map(str, row)) for row in data.data[:5]]
    path.write_text("\n".join(lines) + "\n")
    return path


def _predictions(text: str) -> list[list[str]]:
    table = list(csv.reader(io.StringIO(text)))
    assert table[0] == ["target"] and len(table) == 6
    return table


def _spawn(argv: list[str], close_stdout: bool = False, **kwargs) -> subprocess.CompletedProcess:
    """`python -m tui ARGV` with default signal dispositions, killed if it outlives the test."""
    def defaults():
        for name in ("SIGINT", "SIGTERM", "SIGHUP"):
            signal.signal(getattr(signal, name), signal.SIG_DFL)
        if close_stdout:
            os.close(1)
    env = dict(os.environ, PYTHONPATH=str(ROOT), OPENBLAS_NUM_THREADS="1")
    proc = subprocess.Popen([sys.executable, "-m", "tui", *argv], env=env, text=True, preexec_fn=defaults,
                            **{"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, **kwargs})
    try:
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="POSIX FIFOs")
def test_a_fifo_keeps_its_node_and_its_reader_gets_the_predictions(regressor, rows, tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_text()), daemon=True)
    reader.start()
    try:
        assert main(["predict", str(regressor), str(rows), "-o", str(fifo)]) == 0
    finally:
        if reader.is_alive():  # NOTE: unblock the reader's open() whatever happened above
            with contextlib.suppress(OSError):  # ENXIO: the reader has closed its end and is ending
                os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        reader.join(timeout=10)
    _predictions(received[0])
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode) and set(os.listdir(tmp_path)) == {"new.csv", "pipe"}


@pytest.mark.skipif(os.name != "posix", reason="POSIX /dev/null")
def test_dev_null_stays_the_device(regressor, rows, capsys):
    before = os.stat("/dev/null")
    assert main(["predict", str(regressor), str(rows), "-o", "/dev/null"]) == 0
    after = os.stat("/dev/null")
    assert stat.S_ISCHR(after.st_mode) and (after.st_ino, after.st_rdev) == (before.st_ino, before.st_rdev)
    assert "Predictions for 5 inputs written to /dev/null" in capsys.readouterr().err


def test_dash_writes_to_stdout(regressor, rows, capsys):
    assert main(["predict", str(regressor), str(rows), "-o", "-"]) == 0
    _predictions(capsys.readouterr().out)


@pytest.mark.skipif(not os.path.exists("/proc/self/fd"), reason="Linux /proc")
@pytest.mark.parametrize("target", ["/dev/stdout", "link"])
def test_dev_stdout_and_a_link_to_proc_self_fd_1_stream_into_the_pipe(regressor, rows, tmp_path, target):
    if target == "link":
        target = str(tmp_path / "out.csv")
        os.symlink("/proc/self/fd/1", target)
    result = _spawn(["predict", str(regressor), str(rows), "-o", target])
    assert result.returncode == 0, result.stderr
    _predictions(result.stdout)
    assert os.path.islink(target) and os.readlink(target) in ("/proc/self/fd/1", os.readlink("/dev/stdout"))


def test_a_symlink_to_a_regular_file_is_followed_and_stays_a_link(regressor, rows, tmp_path):
    real = tmp_path / "real.csv"
    real.write_text("old\n")
    real.chmod(0o640)
    link = tmp_path / "link.csv"
    link.symlink_to(real)
    assert main(["predict", str(regressor), str(rows), "-o", str(link)]) == 0
    assert link.is_symlink() and os.readlink(link) == str(real)
    _predictions(real.read_text())
    assert stat.S_IMODE(real.stat().st_mode) == 0o640  # as cp: the replaced file keeps its permissions
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.csv", "new.csv", "real.csv"]


@pytest.mark.parametrize("case, message", [
    ("directory", "-o {out}: Is a directory"),
    ("slash", "-o {out}: is a directory name (ends with /) and no such directory exists"),
    ("missing_folder", "-o {out}: {folder}: No such file or directory"),
    ("file_as_folder", "-o {out}: {folder}: Not a directory"),
])
def test_an_output_that_cannot_be_written_exits_2_before_any_work(case, message, regressor, rows, tmp_path,
                                                                   capsys, monkeypatch):
    folder = tmp_path / "nowhere"
    out = {"directory": str(tmp_path), "slash": str(tmp_path / "new") + "/", "missing_folder": str(folder / "p.csv"),
           "file_as_folder": str(rows / "p.csv")}[case]
    if case == "file_as_folder":
        folder = rows
    monkeypatch.setattr("tui.commands.load_run", lambda *a: pytest.fail("the run was loaded before -o was checked"))
    assert main(["predict", str(regressor), str(rows), "-o", out]) == 2
    assert capsys.readouterr().err == f"npnn-tui: error: {message.format(out=out, folder=folder)}\n"


@pytest.mark.parametrize("through_link", [False, True])
def test_an_output_that_is_one_of_the_runs_own_files_exits_2_before_any_work(through_link, regressor, rows, tmp_path,
                                                                              capsys, monkeypatch):
    out = tmp_path / "link.json" if through_link else regressor / "bundle.json"
    if through_link:
        out.symlink_to(regressor / "bundle.json")
    before = (regressor / "bundle.json").read_bytes()
    monkeypatch.setattr("tui.commands.load_run", lambda *a: pytest.fail("the run was loaded before -o was checked"))
    assert main(["predict", str(regressor), str(rows), "-o", str(out)]) == 2
    shown = f" ({regressor / 'bundle.json'})" if through_link else ""
    assert capsys.readouterr().err == (f"npnn-tui: error: -o {out}: is one of the run's own files{shown}; write it "
                                       f"outside {regressor}\n")
    assert (regressor / "bundle.json").read_bytes() == before


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="Linux /dev/full")
def test_a_full_stdout_exits_1_with_one_line(regressor, rows):
    with open("/dev/full", "w") as full:
        result = _spawn(["predict", str(regressor), str(rows)], stdout=full)
    assert result.returncode == 1
    assert result.stderr == "npnn-tui: error: stdout: cannot write the predictions (No space left on device)\n"


def test_a_closed_stdout_exits_1_with_one_line(regressor, rows):
    result = _spawn(["predict", str(regressor), str(rows)], close_stdout=True, stdout=subprocess.DEVNULL)
    assert result.returncode == 1
    assert result.stderr == "npnn-tui: error: stdout: cannot write the predictions (standard output is closed)\n"


def test_a_reader_that_went_away_ends_predict_quietly_with_141(regressor, rows):
    """`npnn-tui predict ... | head -0`: the pipe's reader is gone before the first write."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        result = _spawn(["predict", str(regressor), str(rows)], stdout=write_end)
    finally:
        os.close(write_end)
    assert (result.returncode, result.stderr) == (141, "")
