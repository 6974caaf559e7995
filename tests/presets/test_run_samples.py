"""A sequence run's live samples (presets.sequence.samples): answers to fixed held-out sums or a line of text
after each epoch, in the documented event order, fixed by the seed, within their time budget, and without
changing what the run trains; the Inside tab's prompts are the same fixed ones."""
from __future__ import annotations

import numpy as np
import pytest

from npnn.events import EpochEnded, Finished
from presets import load_preset
from presets.events import SamplesDrawn
from presets.run import Run
from presets.sequence import samples
from presets.sequence.data import decode


def _tiny(name: str, epochs: int = 2, seed: int = 0):
    preset = load_preset(name, {"epochs": epochs, "batch_size": 64, "seed": seed})
    if name == "addition_transformer":
        preset.data.limit = 300
    return preset


def _events(tmp_path, name: str, **kwargs) -> tuple[list, object]:
    events: list = []
    result = Run(_tiny(name, **kwargs), out_dir=tmp_path).execute(callbacks=(events.append,))
    return events, result


def test_sums_are_answered_after_their_epoch_with_the_held_out_answer_and_a_mark(tmp_path):
    events, _ = _events(tmp_path, "addition_transformer")
    drawn = [(i, e) for i, e in enumerate(events) if isinstance(e, SamplesDrawn)]
    assert drawn and drawn[0][1].epoch == 1 and not drawn[0][1].best  # the first epoch's always come
    for i, e in drawn:
        before = events[i - 1]
        assert isinstance(before, Finished if e.best else EpochEnded) and (e.best or before.epoch == e.epoch)
        assert len(e.answers) == samples.ANSWERED and e.text is None
        for answer in e.answers:
            a, b = answer.prompt.rstrip("=").split("+")
            assert answer.prompt.endswith("=") and len(a) == len(b) == 3
            assert answer.expected == f"{int(a) + int(b):04d}" and len(answer.answer) == 4
            assert answer.right == (answer.answer == answer.expected)


def test_the_held_out_prompts_are_test_rows_chosen_the_same_way_every_time(tmp_path):
    runs = [Run(_tiny("addition_transformer"), out_dir=tmp_path) for _ in range(2)]
    for run in runs:
        run.prepare()
    first, second = (run.sample_prompts for run in runs)
    assert np.array_equal(first.rows, second.rows) and first.rows.shape == (samples.ANSWERED, 12)
    x_test = runs[0].splits.x_test
    assert all((x_test == row[:11]).all(axis=1).any() for row in first.rows)  # held out: from the test split
    assert np.array_equal(first.probe, first.rows[:, :11])  # what Inside probes: the rows as the model reads them


def test_a_text_line_starts_from_a_line_of_the_validation_text_and_the_seed_fixes_it(tmp_path):
    one, again, other = (_events(tmp_path, "char_lm", epochs=1, seed=seed)[0] for seed in (0, 0, 1))
    run = Run(_tiny("char_lm"), out_dir=tmp_path)
    run.prepare()
    validation = decode(run.splits.x_val.ravel(), run.sample_prompts.vocab)
    lines = [[(e.epoch, e.prompt, e.text) for e in events if isinstance(e, SamplesDrawn)]
             for events in (one, again, other)]
    assert lines[0] == lines[1] and lines[0][0][0] == 1
    assert lines[0][0][2] != lines[2][0][2]
    epoch, prompt, text = lines[0][0]
    assert len(prompt) == samples.TEXT_PROMPT and len(text) == samples.TEXT_LENGTH
    assert f"\n{prompt}" in validation and not prompt.startswith("\n")  # from the start of a line


def test_samples_never_change_what_the_run_trains(tmp_path, monkeypatch):
    _, with_samples = _events(tmp_path, "char_lm")
    monkeypatch.setattr(samples.LiveSamples, "__call__", lambda self, event: None)
    _, without = _events(tmp_path, "char_lm")
    assert with_samples.history.train_loss == without.history.train_loss
    assert with_samples.history.val_loss == without.history.val_loss


def test_samples_stay_within_their_share_of_the_training_time(tmp_path, monkeypatch):
    """With no time to spare, only the first epoch's (nothing spent yet) and the best weights' are drawn."""
    monkeypatch.setattr(samples, "BUDGET", 0.0)
    events, result = _events(tmp_path, "char_lm", epochs=3)
    drawn = [(e.epoch, e.best) for e in events if isinstance(e, SamplesDrawn)]
    best = result.history.best_epoch
    assert drawn == [(1, False)] + ([(best, True)] if best != 1 else [])


@pytest.mark.parametrize("budget, expected", [(1.0, 3), (0.0, 1)])
def test_the_budget_counts_the_epochs_seconds(budget, expected, monkeypatch):
    monkeypatch.setattr(samples, "BUDGET", budget)
    monkeypatch.setattr(samples, "draw", lambda prompts, model, epoch, seed: SamplesDrawn(epoch))
    sent: list = []
    live = samples.LiveSamples(None, None, 0, sent.append)
    for epoch in (1, 2, 3):
        live(EpochEnded(epoch, 3, 1.0, 1.0, seconds=10.0))
    live(EpochEnded(4, 4, float("nan"), float("nan"), seconds=10.0))  # a diverged epoch writes nothing
    assert [e.epoch for e in sent] == list(range(1, expected + 1))


def test_slow_samples_are_drawn_less_often_and_keep_within_the_budget(monkeypatch):
    """Draws of 1 s after epochs of 10 s: the first epoch's, then only as often as 5% of the training time allows."""
    now = [0.0]
    monkeypatch.setattr(samples, "perf_counter", lambda: now[0])

    def slow_draw(prompts, model, epoch, seed):
        now[0] += 1.0
        return SamplesDrawn(epoch)
    monkeypatch.setattr(samples, "draw", slow_draw)
    sent: list = []
    live = samples.LiveSamples(None, None, 0, sent.append)
    for epoch in range(1, 41):
        live(EpochEnded(epoch, 40, 1.0, 1.0, seconds=10.0))
    epochs = [e.epoch for e in sent]
    assert epochs[0] == 1 and 1 < len(epochs) < 40
    assert live.spent <= samples.BUDGET * live.trained  # 1 s each against 400 s of training: at most 20 s
