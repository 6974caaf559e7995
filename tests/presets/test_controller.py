"""RunController, the app's run lifecycle without a UI: start, step, stop (RunControl's, the one way), an
interrupt by a signal, hot edits, the end, and what is kept for saving."""
from __future__ import annotations

import json
import queue
import threading

import pytest

from presets import PresetError, load_preset
from presets.controller import RunController
from presets.events import Paused


def _controller(tmp_path) -> RunController:
    return RunController("tabular_mlp", load_preset("tabular_mlp"), tmp_path / "runs")


def _execute(active):
    """Execute `active` in a thread as the app's worker does; returns (events, thread, outcome)."""
    events, outcome = queue.Queue(), {}

    def target():
        try:
            outcome["result"] = active.execute(callbacks=(events.put,))
        except KeyboardInterrupt as interrupt:
            outcome["raised"] = interrupt

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return events, thread, outcome


def _paused(events) -> Paused:
    while True:
        event = events.get(timeout=60)
        if isinstance(event, Paused):
            return event


def _metrics(tmp_path) -> list[dict]:
    return [json.loads(path.read_text()) for path in sorted((tmp_path / "runs").glob("*/metrics.json"))]


def test_stop_ends_a_paused_run_now_and_it_is_kept_for_saving(tmp_path):
    runs = _controller(tmp_path)
    assert runs.save_model(tmp_path) is None and runs.export_history(tmp_path) is None  # nothing yet
    active = runs.start({"epochs": 3}, paused=True)
    events, thread, outcome = _execute(active)
    runs.step()
    assert _paused(events).batch == 1
    with pytest.raises(RuntimeError, match="has not ended"):
        runs.start({})
    assert runs.stop() and not runs.stop()  # asked once; the second call has nothing more to stop
    thread.join(60)
    assert outcome["result"].reason == "stopped" and runs.running
    assert runs.ended(active.id, outcome["result"]) and not runs.running
    assert runs.save_model(tmp_path).name.endswith("-model.npz") and runs.export_history(tmp_path).is_file()


def test_an_interrupt_stops_a_paused_run_which_is_saved_as_interrupted_and_raises_it(tmp_path):
    runs = _controller(tmp_path)
    active = runs.start({"epochs": 3}, paused=True)
    events, thread, outcome = _execute(active)
    runs.step()
    _paused(events)
    interrupt = KeyboardInterrupt("SIGHUP")
    assert runs.interrupt(interrupt) is True  # the run has still to end
    thread.join(60)
    assert outcome["raised"] is interrupt and runs.interrupted is interrupt
    assert [m["reason"] for m in _metrics(tmp_path)] == ["interrupted"]
    assert runs.ended(active.id) and runs.last is None and runs.save_model(tmp_path) is None
    assert runs.interrupt(KeyboardInterrupt("again")) is False and runs.interrupted is interrupt


def test_hot_edits_change_only_what_may_change_and_only_while_a_run_goes(tmp_path):
    runs = _controller(tmp_path)
    assert runs.hot_edit("lr", "0.01") is False  # no run
    active = runs.start({"epochs": 1}, paused=True)
    events, thread, outcome = _execute(active)
    runs.step()
    _paused(events)
    assert runs.hot_edit("epochs", "5") is False  # not a hot edit
    with pytest.raises(PresetError):
        runs.hot_edit("lr", "-1")
    assert runs.hot_edit("lr", "0.01") is True
    runs.resume()
    thread.join(60)
    assert [(c.name, c.new) for c in outcome["result"].history.changes] == [("lr", 0.01)]
    assert not runs.ended(active.id + 1)  # an older or unknown run's end changes nothing
    assert runs.running and runs.ended(active.id, outcome["result"])


def test_the_next_run_trains_the_selected_preset_with_the_editor_s_layers_and_the_form_s_values(tmp_path):
    runs = _controller(tmp_path)
    runs.select("wine_mlp")
    layers = [{"type": "Linear", "out_features": 8}, {"type": "ReLU"}, {"type": "Linear", "out_features": "auto"}]
    assert runs.use_layers(layers).model == layers
    preset = runs.next_preset({"lr": 0.05})
    assert (preset.name, preset.lr, preset.model) == ("wine_mlp", 0.05, layers)
    runs.select("tabular_mlp")
    assert runs.layers is None and runs.next_preset({}).model == load_preset("tabular_mlp").model
    with pytest.raises(PresetError):
        runs.select("no_such_preset")


def test_watch_inside_passes_on_a_new_destination_or_rate_and_ignores_a_repeat(tmp_path, monkeypatch):
    controller = _controller(tmp_path)
    active = controller.start({}, paused=True)
    asked = []
    monkeypatch.setattr(active.run.inside, "watch", lambda callback, every=None: asked.append((callback, every)))
    hidden, visible = [].append, print
    for callback, every in ((hidden, None), (hidden, None), (visible, None), (visible, 1), (visible, 1)):
        controller.watch_inside(callback, every)
    assert asked == [(hidden, None), (visible, None), (visible, 1)]
    controller.stop()


def test_continue_last_trains_the_ended_run_n_more_epochs_in_its_own_directory(tmp_path):
    runs = _controller(tmp_path)
    with pytest.raises(PresetError, match="nothing to continue"):
        runs.continue_last(2)
    first = runs.start({"epochs": 3})
    events, thread, outcome = _execute(first)
    thread.join(120)
    assert runs.ended(first.id, outcome["result"])
    run_dir = outcome["result"].run_dir
    before = (run_dir / "history.csv").read_text().splitlines()
    second = runs.continue_last(2)
    assert second.id == first.id + 1 and runs.running
    events, thread, outcome = _execute(second)
    thread.join(120)
    assert runs.ended(second.id, outcome["result"])
    assert outcome["result"].run_dir == run_dir and outcome["result"].reason == "completed"
    after = (run_dir / "history.csv").read_text().splitlines()
    assert after[:4] == before and [row.split(",")[0] for row in after[1:]] == ["1", "2", "3", "4", "5"]
    assert [path.parent for path in (tmp_path / "runs").glob("*/metrics.json")] == [run_dir]
