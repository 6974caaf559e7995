"""Exports: ctrl+e's history is the run directory's history.csv (one writer, one set of column names);
`npnn-tui export` never replaces files already in its folder without --force and checks its path first."""
from __future__ import annotations

import os
import shutil

import pytest

from presets import Run, load_preset
from tests.bundles import regressor  # noqa: F401  (module-scoped fixture)
from tui.cli import main
from presets.save import export_history


def test_exported_history_is_byte_for_byte_the_run_directory_s(tmp_path):
    result = Run(load_preset("tabular_mlp", {"epochs": 2}), out_dir=tmp_path / "runs").execute()
    path = export_history(result.history, str(result.run_dir), tmp_path)
    assert path.name == f"{result.run_dir.name}-history.csv"
    text = path.read_text()
    assert text == (result.run_dir / "history.csv").read_text()
    assert text.splitlines()[0] == "epoch,train_loss,val_loss,lr,skipped_steps,val_mse,val_mae"
    assert len(text.splitlines()) == 1 + 2


# --- issue 23: an export folder already holding the files is refused unless --force ------------------

@pytest.mark.parametrize("option, script", [("--numpy", "predict.py"), ("--pytorch", "model.py")])
def test_an_export_folder_holding_the_files_is_refused_naming_them_unless_force(option, script, regressor,
                                                                                tmp_path, capsys):
    folder = tmp_path / "eject"
    folder.mkdir()
    (folder / script).write_text("# my own script\n")
    (folder / "weights.npz").write_bytes(b"mine")
    assert main(["export", str(regressor), option, str(folder)]) == 2
    captured = capsys.readouterr()
    assert captured.err == (f"npnn-tui: error: {folder}: already holds {script} and weights.npz; pass --force to "
                            "replace them\n") and captured.out == ""
    assert (folder / script).read_text() == "# my own script\n" and (folder / "weights.npz").read_bytes() == b"mine"
    assert sorted(p.name for p in folder.iterdir()) == sorted([script, "weights.npz"])
    assert main(["export", str(regressor), option, str(folder), "--force"]) == 0
    assert "def predict" in (folder / script).read_text() and (folder / "weights.npz").read_bytes()[:2] == b"PK"


def test_one_file_of_an_earlier_export_is_enough_to_refuse(regressor, tmp_path, capsys):
    folder = tmp_path / "eject"
    folder.mkdir()
    (folder / "weights.npz").write_bytes(b"mine")
    (folder / "notes.txt").write_text("kept\n")
    assert main(["export", str(regressor), "--numpy", str(folder)]) == 2
    assert capsys.readouterr().err == (f"npnn-tui: error: {folder}: already holds weights.npz; pass --force to "
                                       "replace it\n")
    assert not (folder / "predict.py").exists()


def test_an_onnx_path_that_is_a_directory_exits_2_before_the_run_is_loaded(regressor, tmp_path, capsys,
                                                                            monkeypatch):
    monkeypatch.setattr("tui.commands.load_run", lambda *a: pytest.fail("the run was loaded before --onnx was checked"))
    assert main(["export", str(regressor), "--onnx", str(tmp_path)]) == 2
    assert capsys.readouterr().err == f"npnn-tui: error: --onnx {tmp_path}: Is a directory\n"
    assert main(["export", str(regressor), "--onnx", str(tmp_path / "no" / "m.onnx")]) == 2
    assert capsys.readouterr().err == f"npnn-tui: error: --onnx {tmp_path / 'no' / 'm.onnx'}: {tmp_path / 'no'}: " \
                                      "No such file or directory\n"


# --- an export never writes into a FIFO, a device or a directory, nor over the run's own files ------------

@pytest.mark.parametrize("option, script", [("--pytorch", "model.py"), ("--numpy", "predict.py")])
def test_a_fifo_or_a_directory_among_the_export_files_exits_2_naming_it_and_nothing_is_written(
        option, script, regressor, tmp_path, capsys):
    fifo, folder = tmp_path / "fifo", tmp_path / "dir"
    fifo.mkdir(), folder.mkdir()
    os.mkfifo(fifo / script)
    (folder / "weights.npz").mkdir()
    keep_open = os.open(fifo / script, os.O_RDWR | os.O_NONBLOCK)  # NOTE: a failing check must not hang the test
    try:
        assert main(["export", str(regressor), option, str(fifo), "--force"]) == 2
    finally:
        os.close(keep_open)
    assert capsys.readouterr().err == (f"npnn-tui: error: {fifo / script}: is a FIFO; an export writes regular "
                                       "files only\n")
    assert os.listdir(fifo) == [script]
    assert main(["export", str(regressor), option, str(folder), "--force"]) == 2
    assert capsys.readouterr().err == (f"npnn-tui: error: {folder / 'weights.npz'}: is a directory; an export "
                                       "writes regular files only\n")
    assert os.listdir(folder) == ["weights.npz"] and not os.listdir(folder / "weights.npz")


def test_an_onnx_file_already_there_needs_force_and_a_device_is_refused(regressor, tmp_path, capsys):
    pytest.importorskip("onnx")
    taken = tmp_path / "m.onnx"
    taken.write_bytes(b"mine")
    assert main(["export", str(regressor), "--onnx", str(taken)]) == 2
    assert capsys.readouterr().err == f"npnn-tui: error: {taken}: already exists; pass --force to replace it\n"
    assert taken.read_bytes() == b"mine"
    assert main(["export", str(regressor), "--onnx", "/dev/null", "--force"]) == 2
    assert "/dev/null: is a character device; an export writes regular files only" in capsys.readouterr().err
    assert main(["export", str(regressor), "--onnx", str(taken), "--force"]) == 0 and taken.read_bytes() != b"mine"


@pytest.mark.parametrize("option, target", [("--onnx", "model.npz"), ("--numpy", "."), ("--pytorch", ".")])
def test_an_export_over_the_runs_own_files_is_refused_even_with_force(option, target, regressor, tmp_path,
                                                                        capsys):
    pytest.importorskip("onnx")
    run = tmp_path / "run"
    shutil.copytree(regressor, run)
    (run / "weights.npz").symlink_to(run / "model.npz")  # NOTE: the export's weights.npz would replace model.npz
    weights = (run / "model.npz").read_bytes()
    link = tmp_path / "link.onnx"
    link.symlink_to(run / "bundle.json")
    for path in (run / target, link):
        path = str(path) if option == "--onnx" else str(run)
        assert main(["export", str(run), option, path, "--force"]) == 2
        err = capsys.readouterr().err
        assert "is one of the run's own files" in err and err.count("\n") == 1
    assert (run / "model.npz").read_bytes() == weights and not (run / "predict.py").exists()
