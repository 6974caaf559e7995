"""What the app leaves when it meets an exception it did not expect: the traceback in a crash log, one line
naming that log for the terminal (restored by then), and exit status 1.

The log goes to `$XDG_STATE_HOME/npnn-tui/` (default `~/.local/state/npnn-tui/`), as the XDG base directory
spec says for logs; when that folder cannot be written, to the system's temporary folder.
"""
from __future__ import annotations

import os
import sys
import tempfile
import traceback
from datetime import datetime, timezone
from pathlib import Path

APP_DIR = "npnn-tui"
MESSAGE_CHARS = 200  # of the exception's message on the terminal (the log has all of it)


def state_dir() -> Path:
    """Where npnn-tui keeps its logs: $XDG_STATE_HOME/npnn-tui (a relative or empty value is ignored, as the
    spec says), else ~/.local/state/npnn-tui."""
    base = os.environ.get("XDG_STATE_HOME", "")
    root = Path(base) if os.path.isabs(base) else Path.home() / ".local" / "state"
    return root / APP_DIR


def _open_new_log(folder: Path, stamp: str):
    """A new file crash-<stamp>[-n].log in `folder` (created, private), open for writing."""
    folder.mkdir(parents=True, exist_ok=True)
    for n in range(100):
        path = folder / f"crash-{stamp}{f'-{n}' if n else ''}.log"
        try:
            # NOTE: O_EXCL: never follows or replaces what already sits at the name (a symlink planted in /tmp)
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            continue
        return path, os.fdopen(descriptor, "w", encoding="utf-8", errors="replace")
    raise FileExistsError(f"{folder}: crash-{stamp}-*.log all exist")


def write_crash_log(error: BaseException, folders: tuple[Path, ...] | None = None) -> Path | None:
    """Write `error`'s traceback (with the time, command line and Python) to a new log file in the first of
    `folders` (default: the state dir, then the temp dir) that can take it; its path, or None if none could."""
    now = datetime.now(timezone.utc)
    stamp = now.strftime("%Y%m%dT%H%M%SZ")
    details = "".join(traceback.format_exception(type(error), error, error.__traceback__))
    text = (f"npnn-tui crashed at {now.isoformat(timespec='seconds')}\n"
            f"command: {' '.join(sys.argv)}\npython: {sys.version.split()[0]}\n\n{details}")
    for folder in folders if folders is not None else (state_dir(), Path(tempfile.gettempdir()) / APP_DIR):
        try:
            path, handle = _open_new_log(folder, stamp)
            with handle:
                handle.write(text)
        except OSError:
            continue
        return path
    return None


def crash_message(error: BaseException, log: Path | None) -> str:
    """The one line the terminal gets: what was raised, and where its traceback is."""
    text = " ".join(str(error).split())
    if len(text) > MESSAGE_CHARS:
        text = text[:MESSAGE_CHARS] + "…"
    what = type(error).__name__ + (f": {text}" if text else "")
    where = f"the traceback is in {log}" if log is not None else "no crash log could be written"
    return f"npnn-tui: error: the app stopped on an unexpected {what}; {where}"
