"""Run directories written by hand under --out, as presets.rundir lays them out, for the Runs tab's tests."""
from __future__ import annotations

import json
from pathlib import Path


def write_run(out: Path, name: str, *, lr=0.001, dropout=0.1, seed=0, optimizer="adam", val=(0.9, 0.7, 0.6),
              reason="completed", mse=0.5, sweep: dict | None = None, task="regression", loss=None,
              changes=()) -> Path:
    """`changes`: (epoch, batch, name, value) hot edits, as config.toml's [[changes]]."""
    path = out / name
    path.mkdir(parents=True)
    loss_line = "" if loss is None else f'loss = "{loss}"\n'
    edits = "".join(f'[[changes]]\nepoch = {e}\nbatch = {b}\nname = "{n}"\nvalue = {v!r}\n' for e, b, n, v in changes)
    (path / "config.toml").write_text(
        f'name = "tabular_mlp"\ntask = "{task}"\n[training]\n{loss_line}optimizer = "{optimizer}"\nlr = {lr}\n'
        f"dropout = {dropout}\npatience = 10\nepochs = 30\nbatch_size = 32\nseed = {seed}\n" + edits)
    rows = "".join(f"{i + 1},1.0,{v},{lr},0\n" for i, v in enumerate(val))
    (path / "history.csv").write_text("epoch,train_loss,val_loss,lr,skipped_steps\n" + rows)
    if sweep is not None:
        (path / "sweep.json").write_text(json.dumps(sweep))
    (path / "metrics.json").write_text(json.dumps({
        "preset": "tabular_mlp", "reason": reason, "epochs_run": len(val), "best_val_loss": min(val),
        "after": {"test": {"mse": mse, "mae": mse / 2}}}))
    return path


def write_runs(out: Path) -> None:
    """Two single runs, a three-trial sweep (one pruned) and a damaged folder."""
    write_run(out, "tabular_mlp-20260101-090000", lr=0.001, mse=0.55, val=(0.9, 0.7, 0.62))
    write_run(out, "tabular_mlp-20260102-090000", lr=0.01, seed=3, mse=0.45, val=(0.8, 0.5, 0.41))
    for trial, (lr, state, val) in enumerate([(0.003, "complete", (0.9, 0.5)), (0.02, "pruned", (1.2,)),
                                              (0.0005, "complete", (0.7, 0.45))]):
        write_run(out, f"tabular_mlp-20260103-09000{trial}", lr=lr, val=val,
                  reason="pruned" if state == "pruned" else "completed",
                  sweep={"study": "lr-search", "trial": trial, "params": {"lr": lr}, "state": state})
    broken = out / "tabular_mlp-20260104-090000"
    broken.mkdir()
    (broken / "metrics.json").write_text("{truncated")
