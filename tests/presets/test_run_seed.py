"""A seed fixes the run: a Run owns its generators, so a run beside another run or a preview repeats
a run alone exactly (same process, same code path and one BLAS thread for all: exact equality is right)."""
from __future__ import annotations

import threading

import pytest
from threadpoolctl import threadpool_limits

import npnn
from npnn.events import BatchEnded
from presets import Run, load_preset
from tui import worker

SETTINGS = {"epochs": 4, "seed": 7, "patience": 100}


@pytest.fixture(autouse=True)
def one_blas_thread():
    with threadpool_limits(limits=1, user_api="blas"):
        yield


def history_of(result) -> tuple:
    h = result.history
    return h.epoch, h.train_loss, h.val_loss, h.metrics, h.skipped_steps, h.best_epoch, result.after


def run_alone(tmp_path, name="tabular_mlp"):
    return Run(load_preset(name, SETTINGS), out_dir=tmp_path / "alone").execute()


def test_a_run_beside_another_training_run_repeats_the_run_alone(tmp_path):
    alone = run_alone(tmp_path)
    started, stop, ended = threading.Event(), threading.Event(), []
    other = Run(load_preset("tabular_mlp", {"epochs": 10_000, "seed": 1, "patience": 10_000}),
                out_dir=tmp_path / "other")

    def mark(event):
        if isinstance(event, BatchEnded):
            started.set()

    thread = threading.Thread(target=lambda: ended.append(other.execute(callbacks=(mark,), should_stop=stop.is_set)))
    thread.start()
    try:
        assert started.wait(30)
        beside = Run(load_preset("tabular_mlp", SETTINGS), out_dir=tmp_path / "beside").execute()
        overlapped = not ended
    finally:
        stop.set()
        thread.join(60)
    assert overlapped and ended[0].reason == "stopped"  # the other run trained all along
    assert history_of(beside) == history_of(alone)


def test_a_run_while_previews_prepare_repeats_the_run_alone(tmp_path):
    alone = run_alone(tmp_path)
    stop, previews = threading.Event(), []

    def keep_previewing():
        while not stop.is_set():
            worker.preview(Run(load_preset("tabular_mlp", {"seed": 3}), out_dir=tmp_path / "p"), "tabular_mlp",
                           previews.append)

    thread = threading.Thread(target=keep_previewing)
    thread.start()
    try:
        beside = Run(load_preset("tabular_mlp", SETTINGS), out_dir=tmp_path / "beside").execute()
        count = len(previews)
    finally:
        stop.set()
        thread.join(60)
    assert count >= 1 and history_of(beside) == history_of(alone)


def test_a_run_does_not_use_or_reseed_npnn_default_generator(tmp_path):
    npnn.manual_seed(123)
    expected = npnn.random.generator().random(4)
    npnn.manual_seed(123)
    run_alone(tmp_path)
    assert npnn.random.generator().random(4).tolist() == expected.tolist()
