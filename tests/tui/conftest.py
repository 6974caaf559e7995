"""Helpers for the trainer app's tests: an app writing into tmp_path, and waiting on the app's state."""
from __future__ import annotations

import asyncio
import time

import pytest

from tui.app import make_app
from tui.options import parse_options


@pytest.fixture
def app_for(tmp_path):
    """make_app for `npnn-tui FLAGS...`; run directories and exports go to tmp_path."""
    def build(*flags):
        return make_app(parse_options(["--out", str(tmp_path / "runs"), *flags]), steady=True, export_dir=tmp_path)
    return build


async def wait_until(pilot, condition, timeout: float = 30.0) -> float:
    """Let the app run until `condition()` holds; return the seconds it took (fail after `timeout`)."""
    start = time.monotonic()
    while not condition():
        if time.monotonic() - start > timeout:
            raise AssertionError(f"condition not met within {timeout} s")
        await pilot.pause(0.02)
    return time.monotonic() - start


async def settle(pilot) -> None:
    """Wait for every worker (preview, training) to end and the messages they posted to be handled."""
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await asyncio.sleep(0.05)
    await pilot.pause()


async def train_to_the_end(pilot, run_id: int = 1) -> None:
    """Press F5 and wait until run `run_id` has ended and everything it posted is shown."""
    await pilot.press("f5")
    await wait_until(pilot, lambda: pilot.app.screen.state.run_id == run_id and not pilot.app.screen.state.running)
    await settle(pilot)
