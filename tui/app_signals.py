"""SIGTERM, SIGHUP and SIGINT while the interactive app runs: each becomes a call in the app's event loop,
so the trainer stops its run, saves it and exits 143 / 129 / 130 as a headless run does.

NOTE: raised in the middle of Textual's loop (tui.exits.signals_interrupt, right for headless runs), the
interrupt skipped the app's shutdown and left a paused run's thread waiting forever, and the process with it.
"""
from __future__ import annotations

import asyncio
import os
import signal
import threading
from collections.abc import Callable

HANGUP = getattr(signal, "SIGHUP", None)  # not on Windows
FORWARDED = tuple(s for s in (signal.SIGINT, signal.SIGTERM, HANGUP) if s is not None)


def detach_terminal() -> None:
    """Point stdout and stderr at /dev/null.
    NOTE: after a hangup the terminal's writes fail: Textual's writer thread would die, and the app block for
    good once its queue is full. Reads give end-of-file, which Textual's input thread copes with."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    for fd in (1, 2):
        try:
            os.dup2(devnull, fd)
        except OSError:
            pass
    os.close(devnull)


def forward_signals(deliver: Callable[[int], None]) -> Callable[[], None]:
    """From now on these signals call `deliver(signum)` in the running event loop, soon after they arrive
    (not inside the signal handler); returns the function that puts the previous handlers back. A signal
    already ignored stays ignored (`nohup npnn-tui`); outside the main thread nothing changes."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    loop = asyncio.get_running_loop()

    def handler(signum: int, frame) -> None:
        if signum == HANGUP:
            detach_terminal()
        loop.call_soon_threadsafe(deliver, signum)  # NOTE: safe in a handler, as asyncio's own signal handling

    previous = {s: signal.getsignal(s) for s in FORWARDED if signal.getsignal(s) != signal.SIG_IGN}
    for s in previous:
        signal.signal(s, handler)

    def restore() -> None:
        for s, old in previous.items():
            signal.signal(s, signal.SIG_DFL if old is None else old)
    return restore
