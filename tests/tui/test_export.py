"""Exports: ctrl+e's history is the run directory's history.csv (one writer, one set of column names);
`npnn-tui export` never replaces files already in its folder without --force and checks its path first."""
from __future__ import annotations

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
