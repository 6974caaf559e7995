"""A diverging run (lr 1e30) is reported as diverged by headless, metrics.json and the app, without warnings."""
from __future__ import annotations

import json
import warnings

from textual.widgets import Log, Static

from tests.tui.conftest import settle, train_to_the_end
from tui.cli import main

DIVERGING = ["--preset", "tabular_mlp", "--lr", "1e30", "--epochs", "5"]


def test_headless_reports_a_diverged_run_as_diverged_without_runtime_warnings(capsys, tmp_path):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        code = main(["--headless", *DIVERGING, "--out", str(tmp_path)])
    assert code == 0 and [w for w in caught if issubclass(w.category, RuntimeWarning)] == []
    out, err = capsys.readouterr()
    assert "Diverged at epoch 1, batch 2: loss nan (no finite epoch to restore)" in out
    origin = ("non-finite values first appeared in the output of Linear(128→256); its weights were finite: "
              "the learning rate is too high")
    assert f"  N{origin[1:]}" in out
    assert "(diverged," in out and "completed" not in out and "RuntimeWarning" not in err
    run_dir, = tmp_path.iterdir()
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["reason"] == "diverged" and metrics["epochs_run"] == 1 and metrics["best_epoch"] is None
    assert metrics["divergence"] == {"epoch": 1, "batch": 2, "loss": None, "origin": origin}


async def test_the_app_shows_a_diverged_run_in_its_status_and_log(app_for):
    app = app_for(*DIVERGING)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await train_to_the_end(pilot)
        status = app.screen.query_one("#status", Static)
        assert str(status.render()).startswith("Diverged at epoch 1: non-finite values first appeared in the "
                                               "output of Linear(128→256)") and status.has_class("-failed")
        log = "\n".join(app.screen.query_one(Log).entries)
        assert "diverged at epoch 1, batch 2: loss nan; no finite epoch to keep" in log
        assert "its weights were finite: the learning rate is too high" in log
        assert app.screen.state.reason == "diverged"
