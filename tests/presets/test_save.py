"""ctrl+e's history export (presets.save) is the run directory's history.csv: one writer, one set of column names."""
from __future__ import annotations

from presets import Run, load_preset
from presets.save import export_history


def test_exported_history_is_byte_for_byte_the_run_directory_s(tmp_path):
    result = Run(load_preset("tabular_mlp", {"epochs": 2}), out_dir=tmp_path / "runs").execute()
    path = export_history(result.history, str(result.run_dir), tmp_path)
    assert path.name == f"{result.run_dir.name}-history.csv"
    text = path.read_text()
    assert text == (result.run_dir / "history.csv").read_text()
    assert text.splitlines()[0] == "epoch,train_loss,val_loss,lr,skipped_steps,val_mse,val_mae"
    assert len(text.splitlines()) == 1 + 2
