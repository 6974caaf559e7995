"""The workers setting: "auto" or a count, from the command line and presets; a run records the count it used,
so its config.toml replays with that count and a seed fixes a run for a given count."""
from __future__ import annotations

import json
import sys

import numpy as np
import pytest

from presets import PresetError, Run, load_preset
from presets.settings import setting
from tui.cli import main

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib


def test_workers_takes_auto_or_a_positive_count():
    workers = setting("workers")
    assert workers.option.default == "auto" and not workers.hot and workers.flag == "--workers"
    assert workers.parse("auto") == "auto" and workers.parse("AUTO") == "auto" and workers.parse("3") == 3
    for bad in ("0", "-1", "1.5", "two", ""):
        with pytest.raises(PresetError, match=r'workers must be an integer >= 1, or "auto"'):
            workers.parse(bad)
    assert load_preset("tabular_mlp").workers == "auto"


def test_a_bad_workers_flag_is_refused_with_one_line(capsys, tmp_path):
    with pytest.raises(SystemExit) as refused:
        main(["--headless", "--workers", "0", "--out", str(tmp_path / "runs")])
    assert refused.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "workers" in err and "'0'" in err and not (tmp_path / "runs").exists()


def _run(tmp_path, name: str, workers):
    overrides = {"epochs": 2, "batch_size": 64, "workers": workers}
    return Run(load_preset("tabular_mlp", overrides), out_dir=tmp_path / name).execute()


def _recorded(run_dir) -> tuple:
    config = tomllib.loads((run_dir / "config.toml").read_text())
    return config["training"]["workers"], json.loads((run_dir / "metrics.json").read_text())["workers"]


def test_a_run_records_the_count_it_used_and_its_config_replays_with_it(tmp_path):
    first = _run(tmp_path, "a", 2)
    assert _recorded(first.run_dir) == (2, 2)
    replay = load_preset(first.run_dir / "config.toml")
    assert replay.workers == 2
    again = Run(replay, out_dir=tmp_path / "b").execute()
    assert _recorded(again.run_dir) == (2, 2)
    np.testing.assert_allclose(again.history.train_loss, first.history.train_loss, rtol=1e-6)
    np.testing.assert_allclose(again.history.val_loss, first.history.val_loss, rtol=1e-6)


def test_auto_is_recorded_resolved(tmp_path):
    """A run this short never pays for workers (npnn.parallel.MIN_RUN_SECONDS): auto resolves to one process."""
    result = _run(tmp_path, "auto", "auto")
    assert _recorded(result.run_dir) == (1, 1)


def test_headless_prints_the_setting_and_the_count_used(capsys, tmp_path):
    assert main(["--headless", "--epochs", "1", "--workers", "2", "--batch-size", "64",
                 "--out", str(tmp_path / "runs")]) == 0
    lines = capsys.readouterr().out.splitlines()
    (settings,) = [line for line in lines if line.startswith("Settings: ")]
    assert settings.endswith(" · workers 2")
    (saved,) = [line for line in lines if line.startswith("Run saved to ")]  # NOTE: the verdict line follows it
    assert saved.endswith(" s, 2 workers)")


def test_the_app_log_says_how_many_workers_computed_the_run():
    from presets.events import RunSaved
    from tui.state import RunState
    state = RunState(run_id=1, running=True, status="Training")
    state.apply(RunSaved("runs/p-1", "completed", 2))
    assert state.new_log_lines()[-1] == "saved to runs/p-1 (2 workers)"
