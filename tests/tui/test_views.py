"""The app's pure parts: folding run events into state, half-block digits, exports."""
from __future__ import annotations

import math

import numpy as np
import pytest
from threadpoolctl import threadpool_info

from npnn import History
from npnn.events import BatchEnded, EarlyStopped, EpochEnded, EpochStarted, Finished
from presets.control import RunControl
from presets.controller import ActiveRun
from presets.events import Evaluated, RunPrepared, RunSaved
from presets.save import export_history
from tui import worker
from tui.state import RunState, fmt
from tui.widgets.digits import half_block_lines


def epoch_ended(epoch, val, *, improved, skipped=0):
    return EpochEnded(epoch, 10, train_loss=val + 0.1, val_loss=val, metrics={"mse": val, "mae": val / 2},
                      lr=1e-3, skipped_steps=skipped, best_epoch=epoch if improved else 1, best_value=val,
                      improved=improved, seconds=0.5)


def test_state_folds_a_run_into_curves_metrics_status_and_log():
    state = RunState(run_id=1, running=True, status="Training")
    events = [RunPrepared("p", "regression", "diabetes (442 rows, built in)", "a notice", (), 10, {}),
              Evaluated("before", "val", {"mse": 2.0, "mae": 1.0}), Evaluated("before", "test", {"mse": 9.0}),
              EpochStarted(1, 10, 4), epoch_ended(1, 1.0, improved=True),
              EpochStarted(2, 10, 4), epoch_ended(2, 1.5, improved=False, skipped=3),
              EarlyStopped(2, 1, 1.0), Finished("early_stopped", None),
              Evaluated("after", "test", {"mse": 0.9, "mae": 0.4}), RunSaved("runs/p-1", "early_stopped")]
    for event in events:
        state.apply(event)
    assert state.version == len(events)
    assert state.train_losses == [1.1, 1.6] and state.val_losses == [1.0, 1.5]
    assert state.metrics["before"] == {"mse": 2.0, "mae": 1.0}          # val, not test
    assert state.metrics["best"] == {"loss": 1.0, "mse": 1.0, "mae": 0.5}  # the improving epoch's val loss, metrics
    assert state.metrics["current"] == {"loss": 1.5, "mse": 1.5, "mae": 0.75}
    assert state.metrics["after"] == {"mse": 0.9, "mae": 0.4}
    assert state.status == "Early stopping at epoch 2" and state.skipped_steps == 3
    log = state.new_log_lines()
    assert "note: a notice" in log and "epoch 2: 3 non-finite steps skipped" in log
    assert log[-1] == "saved to runs/p-1" and state.new_log_lines() == []


@pytest.mark.parametrize("reason, status", [("completed", "Finished"), ("stopped", "Stopped")])
def test_finished_sets_the_status_word(reason, status):
    state = RunState(status="Training")
    state.apply(Finished(reason, None))
    assert state.status == status


def test_fmt_spells_out_missing_and_non_finite_values():
    assert [fmt(None), fmt(float("nan")), fmt(float("inf")), fmt(0.123456)] == ["—", "nan", "inf", "0.1235"]
    assert [fmt(35123.4), fmt(-9999.6), fmt(9999.4), fmt(2.5e6)] == ["35,123", "-10,000", "9999", "2.5e+06"]


def test_half_blocks_pair_pixel_rows_and_scale_small_images():
    image = np.array([[1, 0], [1, 1], [0, 1]], dtype=float)  # 3 rows: padded to 4 after scaling
    lines = half_block_lines(image)
    scale = 16 // 3
    assert len(lines) == math.ceil(3 * scale / 2) and len(lines[0]) == 2 * scale
    big = np.zeros((28, 28))
    big[0, 0] = big[1, 1] = big[3, 0] = 1.0
    lines = half_block_lines(big)
    assert len(lines) == 14 and lines[0][:2] == "▀▄" and lines[1][0] == "▄" and lines[2].strip() == ""


def test_export_history_writes_the_run_directory_s_columns_one_row_per_epoch(tmp_path):
    history = History(("mse",))
    history.append(1, 1.5, 2.0, 0.01, 0, {"mse": 2.0})
    history.append(2, 0.5, None, 0.01, 0, {"mse": 1.0})
    path = export_history(history, "runs/tabular_mlp-1", tmp_path)
    assert path == tmp_path / "tabular_mlp-1-history.csv"
    assert path.read_text().splitlines() == ["epoch,train_loss,val_loss,lr,skipped_steps,val_mse",
                                             "1,1.5,2.0,0.01,0,2.0", "2,0.5,,0.01,0,1.0"]
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temporary file left behind


def test_batcher_posts_routine_events_at_most_every_interval_and_others_at_once(monkeypatch):
    now = [10.0]
    monkeypatch.setattr(worker, "monotonic", lambda: now[0])
    posted = []
    batcher = worker.EventBatcher(7, posted.append)
    started, batch, ended = EpochStarted(1, 5, 3), BatchEnded(1, 5, 3, 3, 0.5), epoch_ended(1, 1.0, improved=True)
    batcher(started)                                   # nothing posted yet: goes out at once
    for moment, event in ((10.05, batch), (10.08, ended)):
        now[0] = moment
        batcher(event)                                 # within 0.1 s of the last post: held back
    assert [m.events for m in posted] == [(started,)]
    now[0] = 10.09
    finished = Finished("completed", None)
    batcher(finished)                                  # the end is never held back
    assert [m.events for m in posted] == [(started,), (batch, ended, finished)]
    assert all(m.run_id == 7 for m in posted)
    batcher.flush()
    assert len(posted) == 2                            # nothing pending, nothing posted


class ScriptedRun:
    """Stands in for presets.Run in the worker's unit tests: sends one event, then returns or raises."""

    def __init__(self, error=None):
        self.error, self.blas_threads = error, None

    def execute(self, callbacks=(), control=None):
        self.blas_threads = {pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"}
        for callback in callbacks:
            callback(Finished("completed", None))
        if self.error:
            raise self.error
        return "result"


def test_training_worker_uses_one_blas_thread_and_posts_events_then_the_result():
    run, posted = ScriptedRun(), []
    worker.train(ActiveRun(3, run, RunControl()), posted.append)
    assert run.blas_threads in ({1}, set())            # set(): NumPy without a BLAS threadpoolctl knows
    assert [type(m).__name__ for m in posted] == ["TrainingEvents", "RunCompleted"]
    assert posted[0].events == (Finished("completed", None),) and posted[1].result == "result"


def test_training_worker_turns_an_exception_into_a_run_crashed_message():
    posted = []
    worker.train(ActiveRun(4, ScriptedRun(ValueError("no column 'y' in houses.csv")), RunControl()), posted.append)
    assert [type(m).__name__ for m in posted] == ["TrainingEvents", "RunCrashed"]
    assert posted[1].run_id == 4 and posted[1].message == "no column 'y' in houses.csv"


def test_training_worker_turns_the_controller_s_interrupt_into_a_run_interrupted_message():
    posted = []
    worker.train(ActiveRun(5, ScriptedRun(KeyboardInterrupt("SIGHUP")), RunControl()), posted.append)
    assert [type(m).__name__ for m in posted] == ["TrainingEvents", "RunInterrupted"] and posted[1].run_id == 5
