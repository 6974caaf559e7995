"""`npnn-tui sweep --storage`: what is refused untouched, the driver a URL needs, workers starting at the
same moment on a fresh storage, a worker killed mid-trial, and the default journal's name."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.tui.sweep_workers import (FAST, check_a_killed_workers_trial_is_failed_and_retried,
                                     start_simultaneously)
from tui.cli import main

optuna = pytest.importorskip("optuna")
HUGE = "1" * 400


def _one_line_error(capsys) -> str:
    err = capsys.readouterr().err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    return err


@pytest.mark.parametrize("content", [b"my notes\nline two\n", b"{\"not\": \"optuna\"}\n", b"\x00\x01binary"])
def test_an_existing_file_that_is_not_a_journal_is_refused_untouched(tmp_path, capsys, content):
    notes = tmp_path / "notes.txt"
    notes.write_bytes(content)
    os.utime(notes, (1_000_000_000, 1_000_000_000))
    before = notes.stat()
    argv = ["sweep", "--trials", "1", "--storage", str(notes), "--out", str(tmp_path / "runs"), *FAST]
    assert main(argv) == 2
    assert "is not an Optuna journal file; refusing to write to it" in _one_line_error(capsys)
    after = notes.stat()
    assert notes.read_bytes() == content and (after.st_size, after.st_mtime) == (before.st_size, before.st_mtime)
    assert not (tmp_path / "notes.txt.lock").exists() and not (tmp_path / "runs").exists()


def test_an_existing_file_that_is_not_sqlite_is_refused_untouched(tmp_path, capsys):
    notes = tmp_path / "notes.db"
    notes.write_bytes(b"not a database")
    os.utime(notes, (1_000_000_000, 1_000_000_000))
    argv = ["sweep", "--trials", "1", "--storage", f"sqlite:///{notes}", "--out", str(tmp_path), *FAST]
    assert main(argv) == 2
    assert "is not an SQLite database; refusing to write to it" in _one_line_error(capsys)
    assert notes.read_bytes() == b"not a database" and notes.stat().st_mtime == 1_000_000_000


@pytest.mark.parametrize("storage, message", [
    ("{tmp}", "is a directory"),
    ("sqlite:///{tmp}", "is a directory"),
    ("/dev/null", "is not a regular file"),
    ("sqlite:///{tmp}/missing/folder/s.db", "folder {tmp}/missing/folder does not exist"),
    ("sqlite://", "needs a file"),
    ("redis://localhost/0", "unknown database scheme 'redis'"),
    ("nosuchdb+x://u@h/d", "unknown database scheme 'nosuchdb+x'"),
    ("{tmp}/notes.txt/s.journal", "cannot create its folder"),
    ("/proc/npnn.journal", "cannot create or open it (No such file or directory)"),
    ("sqlite:////proc/npnn.db", "cannot create or open it (No such file or directory)"),
    ("{tmp}/" + "x" * 300 + ".journal", "cannot create or open it (File name too long)"),
    ("sqlite:///{tmp}/" + "x" * 300 + ".db", "cannot create or open it (File name too long)"),
])
def test_a_storage_that_cannot_hold_a_study_is_exit_2_in_one_line(tmp_path, capsys, storage, message):
    (tmp_path / "notes.txt").write_text("mine")
    storage, message = storage.format(tmp=tmp_path), message.format(tmp=tmp_path)
    assert main(["sweep", "--trials", "1", "--storage", storage, "--out", str(tmp_path / "runs"), *FAST]) == 2
    assert message in _one_line_error(capsys)


@pytest.mark.parametrize("url", ["postgresql://u:secret@127.0.0.1:1/db", "postgresql+psycopg://u:secret@127.0.0.1:1/db",
                                 "postgresql+psycopg2://u:secret@127.0.0.1:1/db"])
def test_a_missing_database_driver_names_the_package_for_that_url(tmp_path, capsys, monkeypatch, url):
    import sqlalchemy.engine
    driver = sqlalchemy.engine.make_url(url).get_dialect().driver
    package = {"psycopg": "psycopg[binary]", "psycopg2": "psycopg2-binary"}[driver]
    monkeypatch.setitem(__import__("sys").modules, driver, None)  # NOTE: `import driver` now raises ImportError
    assert main(["sweep", "--trials", "1", "--storage", url, "--out", str(tmp_path), *FAST]) == 1
    err = _one_line_error(capsys)
    assert f"the {driver!r} driver for this URL, which is not installed: pip install '{package}'" in err
    assert "secret" not in err


def test_an_unreachable_database_server_is_exit_1_in_one_line(tmp_path, capsys):
    pytest.importorskip("psycopg")
    url = "postgresql+psycopg://u:secret@127.0.0.1:1/db"  # NOTE: port 1 on loopback: refused at once
    assert main(["sweep", "--trials", "1", "--storage", url, "--out", str(tmp_path), *FAST]) == 1
    err = _one_line_error(capsys)
    assert "cannot use the database" in err and "secret" not in err


@pytest.mark.parametrize("param", [f"lr=1e-4:{HUGE}", f"batch_size=16:{HUGE}", f"epochs=1:{HUGE}:log",
                                   f"lr=-{HUGE}:1e-2"])
def test_a_400_digit_range_end_is_exit_2_in_one_line(tmp_path, capsys, param):
    assert main(["sweep", "--trials", "1", "--param", param, "--out", str(tmp_path)]) == 2
    assert f"npnn-tui: error: --param '{param}'" in _one_line_error(capsys)


@pytest.mark.parametrize("option, value, message", [
    ("--epochs", HUGE, "epochs must be an integer >= 1, got an integer of 400 digits"),
    ("--epochs", "0", "epochs must be an integer >= 1"),
    ("--seed", HUGE, "expected a whole number from 0 to 4294967295"),
    ("--seed", "-1", "expected a whole number from 0 to 4294967295"),
    ("--heartbeat", HUGE, "expected a whole number from 1 to 3600"),
    ("--trials", "0", "expected a whole number >= 1"),
])
def test_a_number_option_out_of_range_is_exit_2_naming_it(tmp_path, capsys, option, value, message):
    argv = ["sweep", "--trials", "1", "--param", "lr=1e-3:1e-2", "--out", str(tmp_path), option, value]
    with pytest.raises(SystemExit) as exit:
        main(argv)
    err = capsys.readouterr().err
    assert exit.value.code == 2 and "Traceback" not in err
    assert f"npnn-tui sweep: error: argument {option}: {message}" in err.strip().splitlines()[-1]


@pytest.mark.parametrize("option", ["preset", "study"])
def test_the_default_journal_stays_inside_out_whatever_the_name_says(tmp_path, capsys, option):
    preset = (Path(__file__).parents[2] / "presets" / "tabular_mlp.toml").read_text()
    (tmp_path / "escape.toml").write_text(preset.replace('name = "tabular_mlp"', 'name = "../../../x"'))
    out = tmp_path / "a" / "b" / "c" / "runs"
    argv = ["sweep", "--trials", "1", "--out", str(out), "--preset", str(tmp_path / "escape.toml"),
            "--epochs", "1", "--param", "lr=1e-3:1e-2"]
    if option == "study":
        argv += ["--study", "../../../y"]
    assert main(argv) == 0
    journals = sorted(path.relative_to(tmp_path) for path in tmp_path.rglob("*.journal"))
    assert journals == [Path("a/b/c/runs/sweeps") / ("x-sweep.journal" if option == "preset" else "y.journal")]
    assert f"in {out / 'sweeps' / journals[0].name}" in capsys.readouterr().out


SIMULTANEOUS_TRIES = 8


@pytest.mark.parametrize("kind", ["sqlite", "journal"])
def test_workers_started_at_the_same_moment_on_fresh_storages_never_crash(tmp_path, kind):
    tries = []
    for number in range(SIMULTANEOUS_TRIES):
        folder = tmp_path / f"try{number}"
        folder.mkdir()
        storage = f"sqlite:///{folder / 's.db'}" if kind == "sqlite" else str(folder / "s.journal")
        tries.append(["sweep", "--trials", "1", "--epochs", "1", "--preset", "tabular_mlp", "--param",
                      "lr=1e-3:1e-2", "--storage", storage, "--study", "s", "--out", str(folder)])
    results = start_simultaneously(tmp_path, 3, tries)
    for returncode, codes, err in results:
        assert returncode == 0 and json.loads(codes) == [0] * SIMULTANEOUS_TRIES, err
        assert "Warning" not in err, err
    for number in range(SIMULTANEOUS_TRIES):
        storage = tries[number][tries[number].index("--storage") + 1]
        if kind == "journal":
            storage = optuna.storages.JournalStorage(optuna.storages.journal.JournalFileBackend(storage))
        trials = optuna.load_study(study_name="s", storage=storage).trials
        assert [t.state.name for t in trials] == ["COMPLETE"] * 3


def test_a_worker_killed_mid_trial_has_its_trial_failed_and_retried_on_a_journal(tmp_path):
    journal = tmp_path / "s.journal"
    storage = optuna.storages.JournalStorage(optuna.storages.journal.JournalFileBackend(str(journal)))
    check_a_killed_workers_trial_is_failed_and_retried(tmp_path, str(journal), storage)


def test_a_worker_killed_mid_trial_has_its_trial_failed_and_retried_on_sqlite(tmp_path):
    url = f"sqlite:///{tmp_path / 's.db'}"
    check_a_killed_workers_trial_is_failed_and_retried(tmp_path, url, url)
