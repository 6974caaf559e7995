"""The one way a test compares with PyTorch: ask for the `torch` fixture.

A test that takes `torch` is marked `torch` (so CI can select them with `-m torch`) and is skipped
when torch is not installed, unless NPNN_REQUIRE_TORCH=1, where a missing torch is an error: CI sets
it so that the parity tests can never pass by being skipped.
"""
from __future__ import annotations

import importlib
import os

import pytest

REQUIRE_TORCH = "NPNN_REQUIRE_TORCH"


def pytest_configure(config):
    config.addinivalue_line("markers", "torch: compares with PyTorch (the `torch` fixture adds it); "
                                       f"skipped without torch unless {REQUIRE_TORCH}=1")


@pytest.hookimpl(tryfirst=True)  # NOTE: before `-m torch` selects by marker
def pytest_collection_modifyitems(items):
    for item in items:
        if "torch" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.torch)


@pytest.fixture(scope="session")
def torch():
    """The torch module: a skip without it, an error instead when NPNN_REQUIRE_TORCH=1."""
    module = importlib.import_module("torch") if os.environ.get(REQUIRE_TORCH) == "1" else pytest.importorskip("torch")
    # NOTE: tiny tensors; PyTorch's OpenMP threads wait for each other on a shared 2-core machine (x10 slower)
    module.set_num_threads(1)
    return module


@pytest.fixture
def spawn():
    """Start a process (tests.processes.start: signals at their defaults, its own process group); every one
    started is killed with its group when the test ends, passed or failed."""
    from tests import processes  # NOTE: here, not on top: tests/test_torch_marker.py runs this file alone
    started = []

    def start(args, **kwargs):
        process = processes.start(args, **kwargs)
        started.append(process)
        return process
    yield start
    for process in started:
        processes.stop(process)


@pytest.fixture(autouse=True)
def _one_process_unless_asked(monkeypatch):
    """workers="auto" never starts workers in a test's own process (a test that wants them says so): what it
    decides depends on the machine's load, and a test's numbers must not."""
    from npnn import parallel
    monkeypatch.setattr(parallel, "MIN_RUN_SECONDS", float("inf"))
