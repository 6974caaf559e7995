"""Earlier runs read back from --out: a real run directory round-trips; damaged or foreign folders are unreadable."""
from __future__ import annotations

import json
import math
import os
from datetime import datetime

from presets import Run, load_preset
from presets.past_runs import load_runs, read_run


def test_a_run_directory_reads_back_its_settings_scores_and_val_curve(tmp_path):
    preset = load_preset("tabular_mlp", {"epochs": 3, "lr": 0.002, "seed": 5, "max_grad_norm": 1.5})
    result = Run(preset, out_dir=tmp_path / "runs").execute()
    (run,) = load_runs(tmp_path / "runs")
    assert run.readable and run.path == result.run_dir and run.preset == "tabular_mlp"
    assert run.settings["lr"] == 0.002 and run.settings["seed"] == 5 and run.settings["max_grad_norm"] == 1.5
    assert run.settings["optimizer"] == preset.optimizer and run.settings["batch_size"] == preset.batch_size
    assert run.epochs_run == 3 and run.reason == "completed" and run.sweep is None
    assert len(run.val_losses) == 3 and math.isclose(run.best_val_loss, min(run.val_losses), rel_tol=1e-6)
    assert set(run.test) == {"loss", "mse", "mae", "mae_units", "rmse_units"} and run.started is not None


def _fake(path, metrics='{"reason": "completed", "epochs_run": 2, "best_val_loss": 0.5}',
          config='name = "x"\ntask = "regression"\n[training]\nlr = 0.1\n', history="epoch,train_loss,val_loss\n1,1,0.6\n2,1,0.5\n"):
    path.mkdir(parents=True)
    for name, text in (("metrics.json", metrics), ("config.toml", config), ("history.csv", history)):
        if text is not None:
            (path / name).write_text(text)
    return path


def test_damaged_and_foreign_folders_are_listed_unreadable_with_the_reason(tmp_path):
    tmp_path = tmp_path / "runs"
    _fake(tmp_path / "good-20260101-101010")
    _fake(tmp_path / "broken-json", metrics="{not json")
    _fake(tmp_path / "no-metrics", metrics=None)
    _fake(tmp_path / "bad-toml", config="name = = =")
    _fake(tmp_path / "list-json", metrics="[1, 2]")
    _fake(tmp_path / "bad-history", history="a,b\n1,2\n")
    (tmp_path / "holiday-photos").mkdir()
    (tmp_path / "holiday-photos" / "beach.jpg").write_bytes(b"\xff\xd8")
    (tmp_path / "notes.txt").write_text("a file, not a run")
    (tmp_path / "sweeps").mkdir()  # the sweeps' journal folder is not a run
    runs = {run.name: run for run in load_runs(tmp_path)}
    assert set(runs) == {"good-20260101-101010", "broken-json", "no-metrics", "bad-toml", "list-json",
                         "bad-history", "holiday-photos"}
    assert runs["good-20260101-101010"].readable and runs["good-20260101-101010"].started.year == 2026
    assert runs["good-20260101-101010"].val_losses == [0.6, 0.5]
    assert "not valid JSON" in runs["broken-json"].problem
    assert "no metrics.json" in runs["no-metrics"].problem and "saving did not finish" in runs["no-metrics"].problem
    assert "not valid TOML" in runs["bad-toml"].problem
    assert "expected an object" in runs["list-json"].problem
    assert "val_loss" in runs["bad-history"].problem
    assert "no metrics.json" in runs["holiday-photos"].problem


def test_non_numbers_in_metrics_json_are_left_blank_not_raised(tmp_path):
    path = _fake(tmp_path / "odd", metrics=json.dumps({"reason": "diverged", "epochs_run": "two",
                                                        "best_val_loss": None, "after": {"test": {"mse": "x"}}}))
    run = read_run(path)
    assert run.readable and run.epochs_run is None and run.best_val_loss is None and run.test == {"mse": None}


def test_a_sweep_trial_carries_its_study_number_params_and_state(tmp_path):
    path = _fake(tmp_path / "t-20260101-101010")
    (path / "sweep.json").write_text(json.dumps({"study": "s1", "trial": 4, "params": {"lr": 0.01}, "state": "pruned"}))
    run = read_run(path)
    assert run.sweep == {"study": "s1", "trial": 4, "params": {"lr": 0.01}, "state": "pruned"}


def test_a_missing_out_folder_has_no_runs(tmp_path):
    assert load_runs(tmp_path / "nowhere") == []


HUGE = "1" + "0" * 400  # a 401-digit integer: float() and NumPy overflow on it
DEEP_JSON = "[" * 5000 + "]" * 5000  # Python's parsers recurse per level


def damaged_runs(out):
    """Run folders a person (or a broken disk) could leave under --out: each must be listed, never raise."""
    _fake(out / "huge-best", metrics=f'{{"reason": "completed", "best_val_loss": {HUGE}}}')
    _fake(out / "huge-test", metrics=f'{{"reason": "completed", "after": {{"test": {{"mse": -{HUGE}}}}}}}')
    _fake(out / "huge-epochs", metrics=f'{{"reason": "completed", "epochs_run": {HUGE}}}')
    _fake(out / "deep-json", metrics=f'{{"reason": {DEEP_JSON}}}')
    _fake(out / "deep-toml", config=f"name = {DEEP_JSON}\n")
    _fake(out / "somewhat-deep-toml", config=f"name = {'[' * 40}{']' * 40}\n")
    _fake(out / "huge-toml", config=f'name = "x"\n[training]\nepochs = {HUGE}\nlr = {HUGE}\n')
    _fake(out / "huge-sweep")
    (out / "huge-sweep" / "sweep.json").write_text(f'{{"study": "s", "trial": {HUGE}, "params": {{"lr": {HUGE}}}}}')
    _fake(out / "deep-sweep")
    (out / "deep-sweep" / "sweep.json").write_text(f'{{"params": {DEEP_JSON}}}')
    _fake(out / "fifo-history", history=None)
    os.mkfifo(out / "fifo-history" / "history.csv")  # reading it would block the app's start forever
    _fake(out / "huge-history", history="epoch,train_loss,val_loss\n" + "1,1,0.5\n" * (2 * 2 ** 20 + 1))
    _fake(out / "binary-metrics", metrics=None)
    (out / "binary-metrics" / "metrics.json").write_bytes(b"\xff\xfe\x00garbage")
    return out


def test_huge_numbers_and_deep_nesting_mark_the_folder_instead_of_raising(tmp_path):
    runs = {run.name: run for run in load_runs(damaged_runs(tmp_path / "runs"))}
    assert len(runs) == 12
    for name in ("huge-best", "huge-test", "huge-epochs", "huge-toml", "huge-sweep"):
        assert "integer of 401 digits" in runs[name].problem, name
    assert runs["huge-best"].problem.startswith("metrics.json: best_val_loss is an integer of 401 digits")
    assert runs["huge-toml"].problem.startswith("config.toml: training.")
    for name in ("deep-json", "deep-toml", "deep-sweep", "somewhat-deep-toml"):
        assert "nest" in runs[name].problem and "32 levels" in runs[name].problem, name
    assert runs["fifo-history"].readable and runs["fifo-history"].val_losses == []
    assert "too large" in runs["huge-history"].problem
    assert "UTF-8" in runs["binary-metrics"].problem


def test_read_run_of_a_damaged_folder_never_raises_at_any_stack_depth(tmp_path):
    """The Runs tab reads folders deep inside Textual's call stack: the loader must not rely on spare stack."""
    out = damaged_runs(tmp_path / "runs")

    def nested(depth):
        return [read_run(path) for path in sorted(out.iterdir())] if depth == 0 else nested(depth - 1)

    assert all(not run.readable for run in nested(400) if run.name not in ("fifo-history",))


def test_a_metrics_file_dated_beyond_the_calendar_leaves_the_start_blank(tmp_path, monkeypatch):
    import presets.past_runs

    class Calendar(datetime):  # NOTE: ext4 clamps mtimes at 2446; XFS and btrfs keep what `touch -d` sets
        @classmethod
        def fromtimestamp(cls, timestamp, tz=None):
            raise ValueError("year 31688740476 is out of range")
    monkeypatch.setattr(presets.past_runs, "datetime", Calendar)
    run = read_run(_fake(tmp_path / "no-stamp-in-the-name"))
    assert run.readable and run.started is None
