"""The Run: event order, the run directory, reproducibility, stop and Ctrl+C, test predictions."""
from __future__ import annotations

import csv
import json
import math
import sys

import numpy as np
import pytest
from sklearn.datasets import load_diabetes
from sklearn.linear_model import Ridge
from sklearn.model_selection import train_test_split

import npnn
from npnn.events import EarlyStopped, EpochEnded, EpochStarted, Failed
from presets import ClassPredictions, RegressionPredictions, Run, load_preset
from presets.datasets import load_data
from presets.events import Evaluated, RunSaved, RunStarted
from tests.presets.conftest import fill_disk_under

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

FILES = {"bundle.json", "checkpoint.npz", "config.toml", "history.csv", "metrics.json", "model.npz"}


def run_once(tmp_path, name="tabular_mlp", overrides=None, **kwargs):
    events = []
    run = Run(load_preset(name, overrides or {"epochs": 3}), out_dir=tmp_path / "runs", **kwargs)
    result = run.execute(callbacks=[events.append])
    return run, result, events


def test_events_arrive_in_the_documented_order(tmp_path):
    _, result, events = run_once(tmp_path)
    kinds = [type(e).__name__ for e in events if type(e).__name__ != "BatchEnded"]
    assert kinds[:4] == ["RunPrepared", "Evaluated", "Evaluated", "RunStarted"]
    assert kinds[4:-3] == ["EpochStarted", "EpochEnded"] * 3 + ["Finished"]
    assert kinds[-3:] == ["Evaluated", "Evaluated", "RunSaved"]
    evaluated = [(e.stage, e.split) for e in events if isinstance(e, Evaluated)]
    assert evaluated == [("before", "val"), ("before", "test"), ("after", "val"), ("after", "test")]
    assert events[-1] == RunSaved(str(result.run_dir), "completed", events[-1].workers, result.advice)
    assert events[3] == RunStarted(str(result.run_dir))  # the run directory exists before the first epoch
    assert events[-1].workers >= 1
    prepared = events[0]
    assert prepared.data_description == "diabetes (442 rows, built in)" and prepared.num_parameters == 34689
    assert prepared.model_summary[0] == ("Linear(10→128)", (128,), 1408)
    assert set(events[-2].metrics) == {"loss", "mse", "mae", "mae_units", "rmse_units"}  # units: the target's own
    assert math.isclose(events[-2].metrics["loss"], events[-2].metrics["mse"], rel_tol=1e-4)  # the loss is MSE
    # with the best weights back, val loss is the fit loop's best: computed the same way
    assert math.isclose(result.after["val"]["loss"], result.history.best_value, rel_tol=1e-4)
    assert prepared.train_samples == 231 and len(prepared.target_std) == 1 and prepared.target_std[0] > 10


def test_run_directory_holds_config_history_metrics_and_model(tmp_path):
    run, result, _ = run_once(tmp_path)
    assert result.run_dir.parent == tmp_path / "runs" and result.run_dir.name.startswith("tabular_mlp-")
    assert {p.name for p in result.run_dir.iterdir()} == FILES
    config = tomllib.loads((result.run_dir / "config.toml").read_text())
    assert config["training"]["seed"] == 0 and config["training"]["epochs"] == 3
    assert config["model"][0] == {"type": "Linear", "in_features": 10, "out_features": 128}
    with open(result.run_dir / "history.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["epoch"] for r in rows] == ["1", "2", "3"]
    assert float(rows[-1]["val_loss"]) == pytest.approx(result.history.val_loss[-1])
    assert float(rows[-1]["val_mse"]) == pytest.approx(result.history.metrics["mse"][-1])
    metrics = json.loads((result.run_dir / "metrics.json").read_text())
    assert metrics["reason"] == "completed" and metrics["epochs_run"] == 3
    assert metrics["before"] == result.before and metrics["after"] == result.after
    state = npnn.load(result.run_dir / "model.npz")
    np.testing.assert_array_equal(state["0.weight"], run.model.state_dict()["0.weight"])
    assert not [p for p in result.run_dir.parent.rglob(".*")]  # no temp files left behind


def test_same_preset_overrides_and_seed_give_the_same_numbers(tmp_path):
    _, first, _ = run_once(tmp_path, overrides={"epochs": 3, "seed": 5})
    _, second, _ = run_once(tmp_path, overrides={"epochs": 3, "seed": 5})
    _, other, _ = run_once(tmp_path, overrides={"epochs": 3, "seed": 6})
    assert first.after == second.after and first.history.train_loss == second.history.train_loss
    assert first.after != other.after
    assert first.run_dir != second.run_dir  # same second: a suffix keeps them apart


def test_config_toml_repeats_the_run(tmp_path):
    _, first, _ = run_once(tmp_path, overrides={"epochs": 2, "seed": 1, "dropout": 0.1, "max_grad_norm": 1.0})
    repeat = Run(load_preset(str(first.run_dir / "config.toml")), out_dir=tmp_path / "again").execute()
    assert repeat.after == first.after


def test_prepare_is_idempotent_and_exposes_model_and_optimizer(tmp_path):
    run = Run(load_preset("tabular_mlp", {"epochs": 2, "lr": 0.01}), out_dir=tmp_path)
    prepared = run.prepare()
    model, optimizer = run.model, run.optimizer
    assert run.prepare() is prepared and run.prepared is prepared and run.model is model
    assert optimizer.param_groups[0]["lr"] == 0.01
    optimizer.param_groups[0]["lr"] = 0.02  # a front end may change lr between epochs
    result = run.execute()
    assert result.history.lr == [0.02, 0.02]


def test_early_stopping_restores_the_best_weights(tmp_path):
    _, result, events = run_once(tmp_path, overrides={"epochs": 60, "patience": 2, "lr": 0.05, "min_delta": 0.01})
    stop = next(e for e in events if isinstance(e, EarlyStopped))
    assert result.reason == "early_stopped" and stop.epoch < 60
    assert result.after["val"]["mse"] == pytest.approx(stop.best_value, rel=1e-5)


def test_should_stop_writes_a_partial_run(tmp_path):
    epochs_seen = []
    run = Run(load_preset("tabular_mlp", {"epochs": 50}), out_dir=tmp_path)
    result = run.execute(callbacks=[lambda e: isinstance(e, EpochEnded) and epochs_seen.append(e.epoch)],
                         should_stop=lambda: len(epochs_seen) >= 2)
    assert result.reason == "stopped" and result.history.epoch == [1, 2]
    assert {p.name for p in result.run_dir.iterdir()} == FILES
    assert json.loads((result.run_dir / "metrics.json").read_text())["reason"] == "stopped"


def test_ctrl_c_writes_a_partial_run_then_reraises(tmp_path):
    events = []

    def interrupt_at_epoch_2(event):
        events.append(event)
        if isinstance(event, EpochStarted) and event.epoch == 2:
            raise KeyboardInterrupt

    run = Run(load_preset("tabular_mlp", {"epochs": 50}), out_dir=tmp_path)
    with pytest.raises(KeyboardInterrupt):
        run.execute(callbacks=[interrupt_at_epoch_2])
    saved = events[-1]
    assert isinstance(saved, RunSaved) and saved.reason == "interrupted"
    assert any(isinstance(e, Failed) for e in events)
    run_dir = tmp_path / saved.run_dir.split("/")[-1]
    assert {p.name for p in run_dir.iterdir()} == FILES
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["reason"] == "interrupted" and metrics["epochs_run"] == 1 and metrics["after"] is None
    assert len((run_dir / "history.csv").read_text().splitlines()) == 2


def test_a_failure_is_saved_with_its_error(tmp_path, monkeypatch):
    def broken_drive(*args, **kwargs):
        raise RuntimeError("the GPU melted")
    monkeypatch.setattr("presets.run.drive", broken_drive)
    run = Run(load_preset("tabular_mlp"), out_dir=tmp_path / "runs")
    with pytest.raises(RuntimeError):
        run.execute()
    (run_dir,) = (tmp_path / "runs").iterdir()
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["reason"] == "failed" and metrics["error"] == "RuntimeError: the GPU melted"


def test_classification_run_on_digits_reports_accuracy_and_predictions(tmp_path):
    _, result, events = run_once(tmp_path, "mnist_cnn", {"epochs": 2, "batch_size": 128})
    assert events[0].notice and "digits" in events[0].notice
    assert set(result.after["test"]) == {"loss", "mse", "mae", "accuracy"}
    assert events[0].target_std is None
    epoch = next(e for e in events if isinstance(e, EpochEnded))
    assert set(epoch.metrics) == {"mse", "mae", "accuracy"}
    p = result.predictions
    assert isinstance(p, ClassPredictions) and p.confusion.shape == (10, 10)
    assert p.confusion.sum() == 360 and np.trace(p.confusion) / 360 == pytest.approx(result.after["test"]["accuracy"])
    assert p.images.shape == (8, 8, 8) and 0.0 <= p.images.min() and p.images.max() <= 1.0
    assert p.predicted.shape == p.true.shape == (8,) and p.true.dtype.kind == "i"
    assert p.class_names == [str(d) for d in range(10)] and p.split == "test"
    config = tomllib.loads((result.run_dir / "config.toml").read_text())
    assert config["data"]["source"] == "digits" and config["model"][7]["in_features"] == 64


def test_wine_run_reports_accuracy_and_names_the_classes(tmp_path):
    _, result, events = run_once(tmp_path, "wine_mlp", {"epochs": 30})
    assert set(result.after["test"]) == {"loss", "mse", "mae", "accuracy"} and result.after["test"]["accuracy"] > 0.8
    p = result.predictions
    assert p.class_names == ["class_0", "class_1", "class_2"] and p.confusion.shape == (3, 3)
    assert p.confusion.sum() == 36 and p.images.size == 0  # a table has no images to draw
    bundle = json.loads((result.run_dir / "bundle.json").read_text())
    assert bundle["class_names"] == p.class_names and len(bundle["feature_mean"]) == 13
    config = tomllib.loads((result.run_dir / "config.toml").read_text())
    assert config["data"]["source"] == "wine" and config["model"][0]["in_features"] == 13


def test_mnist_preset_trains_on_a_28x28_npz(tmp_path, mnist_npz):
    _, result, events = run_once(tmp_path, "mnist_cnn", {"epochs": 1}, data_path=str(mnist_npz))
    assert events[0].notice is None and events[0].model_summary[7][0] == "Linear(784→32)"
    assert result.predictions.images.shape == (8, 28, 28)


def test_regression_predictions_are_the_test_split_in_the_targets_units(tmp_path):
    _, result, _ = run_once(tmp_path)
    p = result.predictions
    assert isinstance(p, RegressionPredictions) and (p.split, p.weights, p.target_name) == ("test", "best", "target")
    x, y = load_diabetes(return_X_y=True)
    _, _, _, y_test = train_test_split(x, y, test_size=0.3, random_state=42)  # the preset's split
    assert p.actual.shape == p.predicted.shape == y_test.shape
    assert np.allclose(p.actual, y_test, rtol=1e-5)  # un-standardised: the targets as the file has them
    assert 25 < np.median(p.predicted) < 346
    assert p.mae == pytest.approx(np.mean(np.abs(p.actual - p.predicted)))


def test_default_tabular_run_beats_ridge_on_the_same_split(tmp_path):
    """The issue's bar: default settings reach a test MSE no worse than scikit-learn's Ridge."""
    preset = load_preset("tabular_mlp")
    s = load_data(preset.data, preset.task)
    ridge = Ridge().fit(s.x_train, s.y_train.ravel())
    ridge_mse = float(np.mean((ridge.predict(s.x_test) - s.y_test.ravel()) ** 2))
    result = Run(preset, out_dir=tmp_path).execute()
    assert result.after["test"]["mse"] <= ridge_mse, (result.after["test"]["mse"], ridge_mse)


# --- fail before training; every file a run directory claims is there (issue 11) ----------------------

def _no_data_loaded(monkeypatch):
    monkeypatch.setattr("presets.run.load_data", lambda *a, **k: pytest.fail("data loaded before --out was checked"))


def test_an_out_that_is_a_file_fails_before_loading_data(tmp_path, monkeypatch):
    from presets import OutputError
    blocker = tmp_path / "afile"
    blocker.write_text("")
    _no_data_loaded(monkeypatch)
    with pytest.raises(OutputError, match=f"--out {blocker}: is a file"):
        Run(load_preset("tabular_mlp"), out_dir=blocker).execute()
    with pytest.raises(OutputError, match=f"--out {blocker / 'runs'}: cannot create or write run directories"):
        Run(load_preset("tabular_mlp"), out_dir=blocker / "runs").execute()


@pytest.mark.skipif(sys.platform == "win32" or __import__("os").geteuid() == 0,
                    reason="needs a user that file permissions apply to")
def test_a_read_only_out_fails_before_loading_data(tmp_path, monkeypatch):
    from presets import OutputError
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    _no_data_loaded(monkeypatch)
    try:
        with pytest.raises(OutputError, match=f"--out {locked}: cannot create or write"):
            Run(load_preset("tabular_mlp"), out_dir=locked).execute()
    finally:
        locked.chmod(0o755)


@pytest.mark.parametrize("name, folder", [("../../escaped", "escaped"), ("/etc/abs", "etc-abs"),
                                          ("sub/dir", "sub-dir"), ("x" * 300, "x" * 64), ("..", "run")])
def test_unsafe_preset_names_become_one_safe_folder_inside_out(tmp_path, small_preset, name, folder):
    path = small_preset(f'name = "{name}"\ntask = "regression"\nmodel = [{{ type = "Linear", out_features = 1 }}]\n'
                        '[data]\nsource = "diabetes"\n[training]\nepochs = 1\n')
    result = Run(load_preset(path), out_dir=tmp_path / "runs").execute()
    assert result.run_dir.parent == tmp_path / "runs" and result.run_dir.name.startswith(folder + "-2")
    assert [p for p in tmp_path.iterdir() if p.name not in ("runs", "custom.toml", "sklearn_home")] == []


def test_a_preset_file_that_is_not_utf8_is_a_preset_error(tmp_path):
    from presets import PresetError
    path = tmp_path / "latin.toml"
    path.write_bytes('title = "Caf\xe9"\n'.encode("latin-1"))
    with pytest.raises(PresetError, match=r"latin.toml: a preset file must be UTF-8 text; byte 0xe9 at offset 12"):
        load_preset(path)


def test_files_are_written_model_first_and_metrics_last(tmp_path, monkeypatch):
    import presets.rundir
    written = []
    real_save, real_write = presets.rundir.npnn.save, presets.rundir.write_atomic
    monkeypatch.setattr(presets.rundir.npnn, "save", lambda sd, p: written.append(p.name) or real_save(sd, p))
    monkeypatch.setattr(presets.rundir, "write_atomic", lambda p, t: written.append(p.name) or real_write(p, t))
    run_once(tmp_path)
    assert written[-5:] == ["model.npz", "history.csv", "config.toml", "bundle.json", "metrics.json"]
    assert set(written[:-5]) == {"checkpoint.npz"}  # during training, at the ends of epochs


def test_run_files_honour_the_umask_and_leave_no_temp_files(tmp_path):
    import os
    old = os.umask(0o027)
    try:
        _, result, _ = run_once(tmp_path)
    finally:
        os.umask(old)
    modes = {p.name: p.stat().st_mode & 0o777 for p in result.run_dir.iterdir()}
    assert modes == dict.fromkeys(FILES, 0o640)


def test_a_save_that_fails_says_saving_failed_and_keeps_the_model_elsewhere(tmp_path, monkeypatch):
    """Disk full mid-save: history.csv cannot be written inside --out."""
    from presets import SaveError
    out = tmp_path / "runs"
    (tmp_path / "spare").mkdir()
    fill_disk_under(out, monkeypatch, tmp_path / "spare")
    with pytest.raises(SaveError) as info:
        Run(load_preset("tabular_mlp", {"epochs": 2}), out_dir=out).execute()
    (run_dir,) = out.iterdir()
    (fallback,) = (tmp_path / "spare").iterdir()
    assert str(info.value) == (f"saving the run to {run_dir} failed (No space left on device); the model and "
                               f"history were written to {fallback} instead")
    assert info.value.fallback == fallback and sorted(p.name for p in fallback.iterdir()) == ["history.csv",
                                                                                           "model.npz"]
    assert "metrics.json" not in {p.name for p in run_dir.iterdir()}  # nothing claims the run completed
    assert not [p for p in run_dir.iterdir() if p.name.startswith(".")]
    assert npnn.load(fallback / "model.npz").keys() == npnn.load(run_dir / "model.npz").keys()


def test_an_interrupted_atomic_write_leaves_no_temp_file(tmp_path):
    from npnn._atomic import atomic_open
    tmp_path = tmp_path / "w"
    tmp_path.mkdir()
    target = tmp_path / "f.txt"
    target.write_text("old")
    with pytest.raises(KeyboardInterrupt):
        with atomic_open(target, "w") as fh:
            fh.write("new")
            raise KeyboardInterrupt
    assert [p.name for p in tmp_path.iterdir()] == ["f.txt"] and target.read_text() == "old"


def test_config_toml_replays_from_another_working_directory(tmp_path, monkeypatch):
    rows = ["a,b,y"] + [f"{i},{i % 5},{i * 0.5}" for i in range(40)]
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "mine.csv").write_text("\n".join(rows) + "\n")
    monkeypatch.chdir(tmp_path / "data")
    first = Run(load_preset("tabular_mlp", {"epochs": 2}), out_dir=tmp_path / "runs", data_path="mine.csv",
                target="y").execute()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    again = Run(load_preset(first.run_dir / "config.toml"), out_dir=tmp_path / "runs2").execute()
    assert again.history.train_loss == pytest.approx(first.history.train_loss)
