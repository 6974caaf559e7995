"""Step mode and hot edits on a Run: one batch per step, changes from the right batch, recorded and replayed."""
from __future__ import annotations

import json
import queue
import threading

import pytest

from npnn.events import BatchEnded, HyperparameterChanged
from presets import PresetError, Run, load_preset
from presets.control import Change, RunControl
from presets.events import Paused


def _start(tmp_path, control, overrides=None):
    """Execute a short tabular run in a thread; returns (events queue, thread, result holder)."""
    events, result = queue.Queue(), {}
    run = Run(load_preset("tabular_mlp", {"epochs": 3, **(overrides or {})}), out_dir=tmp_path / "runs")

    def target():
        result["value"] = run.execute(callbacks=[events.put], control=control)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return events, thread, result


def _next_paused(events) -> Paused:
    while True:
        event = events.get(timeout=30)
        if isinstance(event, Paused):
            return event


def test_each_step_trains_exactly_one_batch_then_pauses(tmp_path):
    control = RunControl(paused=True)
    events, thread, result = _start(tmp_path, control)
    seen = []
    for _ in range(3):
        control.step()
        seen.append(_next_paused(events))
    assert [(p.epoch, p.batch) for p in seen] == [(1, 1), (1, 2), (1, 3)]
    assert seen[0].batches == seen[1].batches > 3 and all(p.loss > 0 for p in seen)
    assert events.empty() or not any(isinstance(e, Paused) for e in list(events.queue))  # nothing ran on
    control.resume()
    thread.join(30)
    assert result["value"].reason == "completed" and len(result["value"].history.epoch) == 3


def test_stop_while_paused_ends_the_run_and_saves_it(tmp_path):
    control = RunControl(paused=True)
    events, thread, result = _start(tmp_path, control)
    control.step()
    _next_paused(events)
    control.stop()
    thread.join(30)
    assert result["value"].reason == "stopped"
    assert (result["value"].run_dir / "metrics.json").exists()


def test_a_hot_lr_edit_applies_from_the_next_batch_is_recorded_and_replays(tmp_path):
    control = RunControl(paused=True)
    events, thread, result = _start(tmp_path, control)
    for _ in range(4):
        control.step()
        _next_paused(events)
    control.set("lr", 0.01)
    control.resume()
    thread.join(60)
    first = result["value"]
    changes = [e for e in list(events.queue) if isinstance(e, HyperparameterChanged)]
    assert [(c.epoch, c.batch, c.name, c.new) for c in changes] == [(1, 5, "lr", 0.01)]
    assert first.history.lr[0] == pytest.approx(1e-4) and first.history.lr[1:] == [0.01, 0.01]
    metrics = json.loads((first.run_dir / "metrics.json").read_text())
    assert metrics["changes"] == [{"epoch": 1, "batch": 5, "name": "lr", "old": 0.0001, "new": 0.01}]
    assert (first.run_dir / "history.csv").read_text().splitlines()[2].split(",")[3] == "0.01"

    replay = Run(load_preset(str(first.run_dir / "config.toml")), out_dir=tmp_path / "replay").execute()
    assert [(c.epoch, c.batch, c.name, c.new) for c in replay.history.changes] == [(1, 5, "lr", 0.01)]
    assert replay.history.train_loss == pytest.approx(first.history.train_loss, rel=1e-4)
    assert replay.history.val_loss == pytest.approx(first.history.val_loss, rel=1e-4)


def test_a_running_run_pauses_on_step_after_the_batch_in_flight(tmp_path):
    control = RunControl()
    events, thread, result = _start(tmp_path, control, {"epochs": 50})
    while not isinstance(events.get(timeout=30), BatchEnded):
        pass
    control.step()
    paused = _next_paused(events)
    control.step()
    again = _next_paused(events)
    assert (again.epoch, again.batch) == ((paused.epoch, paused.batch + 1) if paused.batch < paused.batches
                                          else (paused.epoch + 1, 1))
    control.stop()
    thread.join(30)


def test_config_changes_are_validated_with_the_key_that_is_wrong(tmp_path):
    base = (tmp_path / "p.toml")
    good = ('task = "regression"\nmodel = [{ type = "Linear", in_features = "auto", out_features = "auto" }]\n'
            '[data]\nsource = "diabetes"\n')
    base.write_text(good + '[[changes]]\nepoch = 1\nbatch = 3\nname = "lr"\nvalue = 0.5\n')
    assert load_preset(str(base)).changes == (Change(1, 3, "lr", 0.5),)
    for bad, message in [('epoch = 0\nbatch = 1\nname = "lr"\nvalue = 0.5', "changes[0].epoch must be an integer >= 1"),
                         ('epoch = 1\nbatch = 1\nname = "seed"\nvalue = 3', "changes[0].name must be one of lr"),
                         ('epoch = 1\nbatch = 1\nname = "lr"\nvalue = -1', "changes[0].value: lr must be"),
                         ('epoch = 1\nbatch = 1\nname = "lr"', "exactly epoch, batch, name and value")]:
        base.write_text(good + "[[changes]]\n" + bad + "\n")
        with pytest.raises(PresetError, match=message.replace("[", r"\[").replace("]", r"\]")):
            load_preset(str(base))


def test_only_hot_editable_names_can_be_set():
    with pytest.raises(ValueError, match="'epochs' cannot change during a run"):
        RunControl().set("epochs", 3)
