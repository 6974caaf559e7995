"""How an npnn-tui process ends: its exit codes, and SIGTERM / SIGHUP handled like Ctrl+C.

Standard library only: the entry point sets this up before any heavy import, so an interrupt at any
moment (imports included) ends with the documented code and no traceback. The signal that arrived is
remembered: an import interrupted inside C code (NumPy's) re-raises it as an ImportError, and the
entry point still knows the process was interrupted (tui.failures).
"""
from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
EXIT_INTERRUPTED = 128 + signal.SIGINT           # 130: Ctrl+C, after the partial run is saved
EXIT_TERMINATED = 128 + signal.SIGTERM           # 143: kill / a service manager stopping the run
HANGUP = getattr(signal, "SIGHUP", None)         # not on Windows
EXIT_HANGUP = 128 + HANGUP if HANGUP is not None else None  # 129: the terminal went away
EXIT_PIPE = 128 + getattr(signal, "SIGPIPE", 13)  # 141: stdout's reader went away (`| head`), as `cat` ends
_SIGNAL_NAMES = {signal.SIGINT: "Ctrl+C", signal.SIGTERM: "SIGTERM", HANGUP: "SIGHUP"}


class Interrupted(KeyboardInterrupt):
    """A signal that stops a run as Ctrl+C does (the run saves what it has); `signum` says which."""

    def __init__(self, signum: int) -> None:
        super().__init__(_SIGNAL_NAMES.get(signum, f"signal {signum}"))
        self.signum = signum


def signal_number(error: KeyboardInterrupt) -> int:
    """SIGINT for a plain KeyboardInterrupt, else the signal an Interrupted carries."""
    return getattr(error, "signum", signal.SIGINT)


def interrupt_name(error: KeyboardInterrupt) -> str:
    """How the interrupt is shown: "Ctrl+C", "SIGTERM" or "SIGHUP"."""
    return _SIGNAL_NAMES.get(signal_number(error), f"signal {signal_number(error)}")


def exit_code(error: KeyboardInterrupt) -> int:
    """128 + the signal number, as a shell reports a process a signal ended: 130, 143 or 129."""
    return 128 + signal_number(error)


_received: int | None = None  # the last signal that arrived inside signals_interrupt


def received_signal() -> int | None:
    """The signal that arrived inside the current signals_interrupt block, even if an import swallowed
    or converted the KeyboardInterrupt it raised; None when none did."""
    return _received


def raise_if_interrupted() -> None:
    """Raise Interrupted when a signal arrived but its KeyboardInterrupt was swallowed (an optional import
    that C code turned into an ImportError, caught as a missing package)."""
    if _received is not None:
        raise Interrupted(_received)


def _raise_interrupted(signum: int, frame) -> None:
    global _received
    _received = signum
    raise Interrupted(signum)


@contextmanager
def signals_interrupt() -> Iterator[None]:
    """While inside, SIGINT, SIGTERM and SIGHUP raise Interrupted in the main thread and are remembered
    (received_signal); the previous handlers come back afterwards. Elsewhere than the main thread
    (signal handlers cannot be set there), or for a signal already ignored, nothing changes."""
    global _received
    _received = None
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    # NOTE: a signal already ignored stays ignored (`nohup npnn-tui --headless ...` must survive a hangup).
    wanted = [s for s in (signal.SIGINT, signal.SIGTERM, HANGUP)
              if s is not None and signal.getsignal(s) != signal.SIG_IGN]
    previous = {s: signal.signal(s, _raise_interrupted) for s in wanted}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


def ignore_late_interrupts() -> None:
    """Ignore SIGINT from now on (the process is about to exit with the code its command chose)."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)
