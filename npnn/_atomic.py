"""The project's one atomic-write helper: a temp file beside the target, renamed into place.

npnn.save uses it, and presets / tui re-use it (the layers point down: npnn ← presets ← tui), so a
reader never sees half a file and no hidden temp file outlives a failed write.
"""
from __future__ import annotations

import os
import secrets
from contextlib import contextmanager
from typing import IO, Iterator


def _create_temp(path: str) -> tuple[int, str]:
    """A new hidden file beside `path`, created with mode 0666 so the kernel applies the umask.

    NOTE: tempfile.mkstemp creates files 0600 whatever the umask; run files must be readable as any
    other file the user writes.
    """
    directory, name = os.path.split(os.path.abspath(path))
    while True:
        tmp = os.path.join(directory, f".{name}.{secrets.token_hex(4)}.tmp")
        try:
            return os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666), tmp
        except FileExistsError:
            continue


@contextmanager
def atomic_open(path, mode: str = "wb", encoding: str | None = None, newline: str | None = None) -> Iterator[IO]:
    """Open a temp file for writing; on a clean exit it is flushed, synced and renamed to `path`.

    On any exception (Ctrl+C included) the temp file is removed and `path` is left as it was.
    """
    if mode not in ("w", "wb"):
        raise ValueError(f"atomic_open: mode must be 'w' or 'wb', got {mode!r}")
    path = os.fspath(path)
    fd, tmp = _create_temp(path)
    try:
        with os.fdopen(fd, mode, encoding=encoding, newline=newline) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.remove(tmp)
        except OSError:
            pass
        raise


def write_atomic(path, data: str | bytes) -> None:
    """Write text (UTF-8, newlines as given) or bytes to `path` atomically."""
    if isinstance(data, str):
        with atomic_open(path, "w", encoding="utf-8", newline="") as fh:
            fh.write(data)
    else:
        with atomic_open(path, "wb") as fh:
            fh.write(data)
