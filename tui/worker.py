"""The bodies of the app's thread workers: they train or prepare a presets.Run and only post Messages.

NumPy's BLAS pool is sized for the worker: on a 2-core machine a 2-thread OpenBLAS pool slows down
several-fold as soon as the UI thread takes a core, so training uses `BLAS_THREADS` (measured, see
README "The trainer app").
"""
from __future__ import annotations

from typing import Callable

from threadpoolctl import threadpool_limits

from tui.messages import PreviewFailed, PreviewReady, RunCompleted, RunCrashed, TrainingEvent

BLAS_THREADS = 1


def train(run, run_id: int, post: Callable, should_stop: Callable[[], bool]) -> None:
    """Execute `run`, posting each of its events as a TrainingEvent, then RunCompleted or RunCrashed."""
    def forward(event) -> None:
        post(TrainingEvent(run_id, event))

    try:
        with threadpool_limits(limits=BLAS_THREADS, user_api="blas"):
            result = run.execute(callbacks=(forward,), should_stop=should_stop)
    except Exception as error:  # NOTE: any failure must reach the UI as a message, never kill the app
        post(RunCrashed(run_id, str(error) or type(error).__name__))
        return
    post(RunCompleted(run_id, run, result))


def preview(run, preset: str, post: Callable) -> None:
    """Prepare `run` (load data, build the model) to show the data source and model summary."""
    try:
        with threadpool_limits(limits=BLAS_THREADS, user_api="blas"):
            prepared = run.prepare()
    except Exception as error:  # NOTE: a preset whose data cannot load is shown as an error, not raised
        post(PreviewFailed(preset, str(error) or type(error).__name__))
        return
    post(PreviewReady(preset, prepared))
