"""`npnn-tui sweep`: Optuna trials as headless runs, cooperating processes on one journal, pruning, Ctrl+C."""
from __future__ import annotations

import fcntl
import json
import os
import signal
import time
from pathlib import Path

import pytest

from presets import PresetError
from presets.export import MissingExtra
from npnn.events import EpochEnded
from presets.sweep import Sweep, SweepParam, parse_param
from tests.tui.sweep_workers import FAST, processes, sweep_worker
from tui.cli import main

PRESETS = Path(__file__).resolve().parents[2] / "presets"

optuna = pytest.importorskip("optuna")


def _trials(out: Path, study: str = "tabular_mlp-sweep") -> list:
    storage = optuna.storages.JournalStorage(
        optuna.storages.journal.JournalFileBackend(str(out / "sweeps" / f"{study}.journal")))
    return optuna.load_study(study_name=study, storage=storage).trials


def _sweep_files(out: Path) -> list[dict]:
    return [json.loads(path.read_text()) for path in sorted(out.glob("*/sweep.json"))]


@pytest.mark.parametrize("text, expected", [
    ("lr=1e-4:1e-2:log", SweepParam("lr", 1e-4, 1e-2, True)),
    ("dropout=0:0.5", SweepParam("dropout", 0.0, 0.5, False)),
    ("batch_size=16:128", SweepParam("batch_size", 16.0, 128.0, False)),
    ("optimizer=adam,sgd", SweepParam("optimizer", choices=("adam", "sgd"))),
    ("weight_decay=1e-5:1e-2:log", SweepParam("weight_decay", 1e-5, 1e-2, True)),
    ("lr_schedule=none,cosine", SweepParam("lr_schedule", choices=("none", "cosine"))),
])
def test_params_parse_with_the_settings_own_ranges(text, expected):
    assert parse_param(text) == expected


@pytest.mark.parametrize("text, message", [
    ("lr", "expected NAME=LOW:HIGH"),
    ("colour=1:2", "unknown setting 'colour'"),
    ("lr=1e-2:1e-4", "LOW must be below HIGH"),
    ("lr=0:1e-2:log", "lr must be"),
    ("dropout=0:1.5", "dropout must be"),
    ("lr=1:2:linear", "NAME=LOW:HIGH:log"),
    ("optimizer=adam,lbfgs", "optimizer must be"),
    ("betas=0.9,0.99", "cannot be searched 'betas'"),
    ("momentum=-1:0.9", "momentum must be"),
])
def test_bad_params_are_refused_naming_the_param(text, message):
    with pytest.raises(PresetError, match=message):
        parse_param(text)


def test_bad_param_on_the_command_line_is_exit_2_without_traceback(tmp_path, capsys):
    assert main(["sweep", "--trials", "1", "--param", "lr=5:1", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "npnn-tui: error: --param 'lr=5:1': LOW must be below HIGH" in err and "Traceback" not in err


def test_a_sweep_without_params_is_refused(tmp_path, capsys):
    assert main(["sweep", "--trials", "1", "--out", str(tmp_path)]) == 2
    assert "at least one --param" in capsys.readouterr().err


def test_a_dropout_param_for_a_model_without_dropout_is_refused(tmp_path, capsys):
    assert main(["sweep", "--preset", "char_lm", "--trials", "1", "--param", "dropout=0:0.5",
                 "--out", str(tmp_path)]) == 2
    assert "--param dropout: preset char_lm has no Dropout layer for it to set" in capsys.readouterr().err
    assert not list(tmp_path.glob("char_lm-*"))


def test_each_trial_is_a_run_directory_and_the_best_is_printed(tmp_path, capsys):
    assert main(["sweep", "--trials", "3", "--seed", "0", "--out", str(tmp_path), *FAST]) == 0
    out = capsys.readouterr().out
    trials = _trials(tmp_path)
    assert [t.state.name for t in trials] == ["COMPLETE"] * 3
    files = _sweep_files(tmp_path)
    assert sorted(f["trial"] for f in files) == [0, 1, 2]
    assert all(f["study"] == "tabular_mlp-sweep" and f["state"] == "complete" for f in files)
    best = min(trials, key=lambda t: t.value)
    assert f"Best trial {best.number}: lr={best.params['lr']:.4g}" in out
    run_dir = Path(best.user_attrs["run_dir"])
    assert str(run_dir) in out and (run_dir / "metrics.json").exists()
    metrics = json.loads((run_dir / "metrics.json").read_text())
    config = (run_dir / "config.toml").read_text()
    assert f"{best.params['lr']!r}" in config or f"lr = {best.params['lr']}" in config
    assert metrics  # the trial's run directory is complete
    assert out.count("Trial ") == 3


def test_a_second_call_adds_its_trials_to_the_same_study(tmp_path, capsys):
    assert main(["sweep", "--trials", "2", "--out", str(tmp_path), *FAST]) == 0
    assert main(["sweep", "--trials", "1", "--out", str(tmp_path), *FAST]) == 0
    assert "2 already in the study" in capsys.readouterr().out
    assert [t.number for t in _trials(tmp_path)] == [0, 1, 2]


def test_a_trial_below_the_median_is_pruned_and_saved_as_pruned(tmp_path, capsys):
    # lr spanning 1e-6 (barely learns) to 1e-2: with 3 startup trials, slow trials fall behind the median
    argv = ["sweep", "--trials", "12", "--seed", "1", "--out", str(tmp_path), "--preset", "tabular_mlp",
            "--epochs", "6", "--param", "lr=1e-6:1e-2:log"]
    assert main(argv) == 0
    states = [t.state.name for t in _trials(tmp_path)]
    assert "PRUNED" in states
    pruned = [f for f in _sweep_files(tmp_path) if f["state"] == "pruned"]
    assert len(pruned) == states.count("PRUNED")
    assert "· pruned ·" in capsys.readouterr().out


def test_two_processes_on_one_journal_each_finish_their_trials(tmp_path):
    with processes() as start:
        first, second = sweep_worker(start, tmp_path, 3), sweep_worker(start, tmp_path, 3)
        for process in (first, second):
            out, err = process.communicate(timeout=240)
            assert process.returncode == 0, err
            assert out.count("Trial ") == 3
    trials = _trials(tmp_path)
    assert sorted(t.number for t in trials) == list(range(6))
    assert all(t.state.name in ("COMPLETE", "PRUNED") for t in trials)  # none failed or left running
    assert sorted(f["trial"] for f in _sweep_files(tmp_path)) == list(range(6))
    assert len({t.user_attrs["run_dir"] for t in trials}) == 6


def test_a_sqlite_url_works_as_storage(tmp_path, capsys):
    pytest.importorskip("sqlalchemy")
    url = f"sqlite:///{tmp_path / 'study.db'}"
    assert main(["sweep", "--trials", "2", "--storage", url, "--study", "s", "--out", str(tmp_path), *FAST]) == 0
    assert len(optuna.load_study(study_name="s", storage=url).trials) == 2


def test_ctrl_c_fails_the_trial_and_enqueues_it_again_and_a_damaged_checkpoint_starts_it_over(tmp_path, capsys):
    # NOTE: no early stop: the checkpoint found below is the running first trial's (a first trial that stopped
    # early would leave one while the next trial, before its run directory exists, is the one interrupted)
    endless = tmp_path / "endless.toml"
    endless.write_text((PRESETS / "tabular_mlp.toml").read_text().replace("patience = 30", "patience = 1000000"))
    with processes() as start:
        process = sweep_worker(start, tmp_path, 50, "--epochs", "400", "--preset", str(endless))
        deadline = time.monotonic() + 120
        while not list(tmp_path.glob("*/checkpoint.npz")):  # NOTE: its first epoch has ended
            assert time.monotonic() < deadline and process.poll() is None
            time.sleep(0.2)
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=120)
    assert process.returncode == 130, (out[-1000:], err[-1000:])
    assert "Traceback" not in err and "the study is kept" in out
    trials = _trials(tmp_path)
    interrupted, retry = trials[-2:]
    assert interrupted.state.name == "FAIL" and f"Trial {interrupted.number} · " in out and "fail (interrupted)" in out
    assert f"trial {interrupted.number} is saved and marked failed" in out and "continues it from its checkpoint" in out
    assert retry.state.name == "WAITING" and retry.params == interrupted.params
    assert retry.system_attrs["retry_history"] == [interrupted.number]
    run_dir = Path(interrupted.user_attrs["run_dir"])
    assert json.loads((run_dir / "sweep.json").read_text())["state"] == "fail"
    checkpoint = run_dir / "checkpoint.npz"
    checkpoint.write_bytes(checkpoint.read_bytes()[:300])  # truncated, as a copy cut short
    capsys.readouterr()

    assert main(["sweep", "--trials", "1", "--out", str(tmp_path), *FAST, "--epochs", "2", "--preset", str(endless)]) == 0
    out, err = capsys.readouterr()
    assert err == f"npnn-tui: warning: trial {retry.number} retries trial {interrupted.number} from the start: " \
                  f"cannot continue run {run_dir}: checkpoint.npz is damaged (" + err.split(" is damaged (")[1]
    assert err.count("\n") == 1 and f"Trial {retry.number} · " in out and "continued" not in out
    again = _trials(tmp_path)[retry.number]
    assert again.state.name == "COMPLETE" and sorted(again.intermediate_values) == [1, 2]
    assert again.user_attrs["run_dir"] != str(run_dir) and again.user_attrs["continued"] is None
    assert again.user_attrs["error"] is None


def test_a_retry_does_not_continue_a_run_that_a_live_worker_still_trains(tmp_path, capsys):
    sweep = Sweep("tabular_mlp", [parse_param("lr=1e-4:1e-1:log"), parse_param("dropout=0:0.5")], out_dir=tmp_path)

    def interrupt(event):
        if isinstance(event, EpochEnded) and event.epoch == 2:
            raise KeyboardInterrupt
    with pytest.raises(KeyboardInterrupt):
        sweep.run(1, callbacks=(interrupt,))
    assert sweep.interrupted == (0, True)
    run_dir = _trials(tmp_path)[0].user_attrs["run_dir"]
    alive = os.open(run_dir, os.O_RDONLY)  # NOTE: as the trial's worker holds it while it trains
    try:
        fcntl.flock(alive, fcntl.LOCK_EX)
        assert main(["sweep", "--trials", "1", "--out", str(tmp_path), *FAST]) == 0
    finally:
        os.close(alive)
    assert capsys.readouterr().err == f"npnn-tui: warning: trial 1 retries trial 0 from the start: its run " \
                                      f"directory {run_dir} is in use by a worker still training it\n"
    retry = _trials(tmp_path)[1]
    assert retry.user_attrs["run_dir"] != run_dir and sorted(retry.intermediate_values) == [1, 2, 3]


def _trials_started(out: Path) -> bool:
    try:
        return bool(_trials(out))
    except KeyError:
        return False


def test_without_optuna_the_command_says_what_to_install(tmp_path, capsys, monkeypatch):
    def missing():
        raise MissingExtra("sweeps need Optuna, which is not installed: pip install 'npnn-tui[optuna]'")
    monkeypatch.setattr("presets.sweep.import_optuna", missing)
    assert main(["sweep", "--trials", "1", "--out", str(tmp_path), *FAST]) == 1
    assert "pip install 'npnn-tui[optuna]'" in capsys.readouterr().err


def test_a_failing_trial_is_reported_with_its_error_and_the_sweep_goes_on(tmp_path, capsys, monkeypatch):
    from presets.run import Run
    execute = Run.execute

    def flaky(self, callbacks=(), should_stop=None):
        if self.sweep["trial"] == 1:
            raise RuntimeError("disk on fire")
        return execute(self, callbacks, should_stop)
    monkeypatch.setattr(Run, "execute", flaky)
    assert main(["sweep", "--trials", "3", "--out", str(tmp_path), *FAST]) == 0
    out = capsys.readouterr().out
    assert "Trial 1 · " in out and "fail (RuntimeError: disk on fire)" in out
    assert [t.state.name for t in _trials(tmp_path)].count("FAIL") == 1


def test_data_no_trial_can_read_is_refused_once_before_the_study(tmp_path, capsys):
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    assert main(["sweep", "--preset", "char_lm", "--trials", "3", "--param", "lr=1e-3:1e-2", "--data", str(empty),
                 "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "empty.txt" in err and not (tmp_path / "out" / "sweeps").exists()
    assert main(["sweep", "--preset", "char_lm", "--trials", "1", "--param", "lr=1e-3:1e-2", "--data", "/dev/null",
                 "--out", str(tmp_path / "out")]) == 2
    assert "a sweep reads its data again for each trial" in capsys.readouterr().err
