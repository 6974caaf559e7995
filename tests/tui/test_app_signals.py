"""tui.app_signals: in the app, a signal becomes a call in its event loop; an ignored one stays ignored."""
from __future__ import annotations

import asyncio
import signal

import pytest

from tui.app_signals import forward_signals

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGHUP"), reason="POSIX signals")


def test_sigterm_and_sigint_reach_the_loop_an_ignored_hangup_stays_ignored_and_restore_puts_all_back():
    saved = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)  # as under `nohup`
    delivered = []

    async def main():
        restore = forward_signals(delivered.append)
        try:
            assert signal.getsignal(signal.SIGHUP) == signal.SIG_IGN
            signal.raise_signal(signal.SIGTERM)
            signal.raise_signal(signal.SIGINT)
            assert delivered == []  # NOTE: not inside the handler: soon after, in the loop
            await asyncio.sleep(0.05)
        finally:
            restore()

    try:
        asyncio.run(main())
        assert delivered == [signal.SIGTERM, signal.SIGINT]
        assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
        assert signal.getsignal(signal.SIGHUP) == signal.SIG_IGN
    finally:
        for signum, handler in saved.items():
            signal.signal(signum, handler)
