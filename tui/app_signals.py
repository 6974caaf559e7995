"""SIGTERM, SIGHUP and SIGINT while the interactive app runs: each becomes a call in the app's event loop,
so the trainer stops its run, saves it and exits 143 / 129 / 130 as a headless run does.

NOTE: raised in the middle of Textual's loop (tui.exits.signals_interrupt, right for headless runs), the
interrupt skipped the app's shutdown and left a paused run's thread waiting forever, and the process with it.
"""
from __future__ import annotations

import asyncio
import signal
import threading
from typing import Callable

FORWARDED = tuple(s for s in (signal.SIGINT, signal.SIGTERM, getattr(signal, "SIGHUP", None)) if s is not None)


def forward_signals(deliver: Callable[[int], None]) -> Callable[[], None]:
    """From now on these signals call `deliver(signum)` in the running event loop, soon after they arrive
    (not inside the signal handler); returns the function that puts the previous handlers back. A signal
    already ignored stays ignored (`nohup npnn-tui`); outside the main thread nothing changes."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    loop = asyncio.get_running_loop()

    def handler(signum: int, frame) -> None:
        loop.call_soon_threadsafe(deliver, signum)  # NOTE: safe in a handler, as asyncio's own signal handling

    previous = {s: signal.getsignal(s) for s in FORWARDED if signal.getsignal(s) != signal.SIG_IGN}
    for s in previous:
        signal.signal(s, handler)

    def restore() -> None:
        for s, old in previous.items():
            signal.signal(s, signal.SIG_DFL if old is None else old)
    return restore
