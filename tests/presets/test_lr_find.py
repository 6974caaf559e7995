"""The range test on a preset: the run's model and training split, weights untouched, a table and a summary."""
from __future__ import annotations

import numpy as np
import pytest

from presets import Run, load_preset
from presets.lr_find import check_range, find_lr, summary, table_rows


def test_the_range_test_on_a_preset_suggests_an_lr_and_leaves_the_weights_as_they_were(tmp_path):
    run = Run(load_preset("tabular_mlp"), out_dir=tmp_path / "runs")
    run.prepare()
    before = {name: value.copy() for name, value in run.model.state_dict().items()}
    found = find_lr(run)
    after = run.model.state_dict()
    assert all(np.array_equal(before[name], after[name]) for name in before)
    assert run.optimizer.param_groups[0]["lr"] == pytest.approx(1e-4)
    result = found.result
    assert found.preset == "tabular_mlp" and found.current_lr == pytest.approx(1e-4)
    assert result.suggestion is not None and 1e-5 < result.suggestion < 1.0
    assert not (tmp_path / "runs").exists()  # nothing written
    rows = table_rows(result)
    assert len(rows) <= 26 and [row[0] for row in rows] == sorted(row[0] for row in rows)
    assert [row[0] for row in rows if row[2]] == [result.suggestion]
    assert summary(found).startswith(f"Suggested lr: {result.suggestion:.3g} (steepest fall")
    trained = run.execute()  # the run still trains from its own initial weights
    assert len(trained.history) == run.preset.epochs or trained.reason != "completed"


@pytest.mark.parametrize("start, end, count, flag", [(0.0, 1.0, 10, "--start-lr 0"), (1.0, 0.5, 10, "--end-lr 0.5"),
                                                     (1e-5, float("inf"), 10, "--end-lr inf"),
                                                     (1e-5, 1.0, 1, "--num-iter 1")])
def test_a_range_the_test_cannot_run_is_refused_naming_the_flag(start, end, count, flag):
    with pytest.raises(ValueError, match=f"^{flag}: expected"):
        check_range(start, end, count)


def test_no_suggestion_says_so_and_what_to_try(tmp_path):
    run = Run(load_preset("tabular_mlp"), out_dir=tmp_path / "runs")
    found = find_lr(run, start_lr=1e-9, end_lr=1e-8, num_iter=30)
    assert found.result.suggestion is None
    assert summary(found).startswith("No suggestion: the smoothed loss never fell enough (30 batches")
