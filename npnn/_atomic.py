"""The project's one output helper: atomic for files, in place for pipes and devices, as `cp` writes.

A new path or a regular file is written through a temp file beside it, renamed into place, so a reader
never sees half a file and no hidden temp file outlives a failed write; a symlink to a regular file is
followed (the file it names is replaced, the link stays). A FIFO, a character device (/dev/null, a
terminal), a process's open descriptor (/dev/stdout, /proc/self/fd/1, or a symlink to one) and "-"
(stdout) are written in place: they keep their node and their reader gets the bytes. A directory, a
block device or a socket is refused. npnn.save uses it, and presets / tui re-use it (the layers point
down: npnn ← presets ← tui).
"""
from __future__ import annotations

import errno
import os
import re
import secrets
import stat
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO

STDOUT = "-"                      # the path that means the process's standard output
ATOMIC, STREAM = "atomic", "stream"
_DESCRIPTORS = re.compile(r"/proc/(self|\d+)(/task/\d+)?/fd")  # where /dev/stdout and /dev/fd/N lead
_MAX_LINKS = 40                   # as the kernel's own limit on a chain of symlinks


def _error(code: int, path: str, reason: str | None = None) -> OSError:
    """An OSError of the right subclass (IsADirectoryError, ...) naming `path`."""
    return OSError(code, reason or os.strerror(code), path)


def _through_descriptor(path: str) -> bool:
    """True when `path`'s symlinks lead through /proc/<pid>/fd (/dev/stdout, /dev/fd/1, a link to one):
    an open descriptor of a process, written in place, never replaced."""
    for _ in range(_MAX_LINKS):
        if not os.path.islink(path):
            return False
        folder = os.path.dirname(os.path.abspath(path))
        if _DESCRIPTORS.fullmatch(os.path.realpath(folder)):
            return True
        path = os.path.join(folder, os.readlink(path))
    return False


def _check_folder(folder: str) -> None:
    """The folder a temp file goes in must exist and take new files."""
    if not os.path.isdir(folder):
        raise _error(errno.ENOTDIR if os.path.exists(folder) else errno.ENOENT, folder)
    if not os.access(folder, os.W_OK | os.X_OK):
        raise _error(errno.EACCES, folder)


def output_target(path) -> tuple[str, str]:
    """How `path` will be written: (STDOUT, "-"), (STREAM, path) or (ATOMIC, the real path of the file).

    Raises OSError naming the path or its folder when it cannot be written: a directory (or a name
    ending in "/"), a missing or read-only folder, a block device, a socket. Commands call it before
    any work, so a bad output is reported before a long computation.
    """
    path = os.fspath(path)
    if path == STDOUT:
        return STDOUT, path
    if _through_descriptor(path):
        return STREAM, path
    try:
        mode = os.stat(path).st_mode
    except (FileNotFoundError, NotADirectoryError) as missing:  # a new file, or a folder on the way is not one
        if path.endswith(("/", os.sep)):
            if isinstance(missing, NotADirectoryError):
                raise  # "file.csv/"
            raise _error(errno.EISDIR, path, "is a directory name (ends with /) and no such directory exists") \
                from None
        real = os.path.realpath(path)  # NOTE: a dangling symlink is followed, as the shell's `>` does
        _check_folder(os.path.dirname(real))
        return ATOMIC, real
    if stat.S_ISREG(mode):
        real = os.path.realpath(path)
        _check_folder(os.path.dirname(real))
        return ATOMIC, real
    if stat.S_ISFIFO(mode) or stat.S_ISCHR(mode):
        return STREAM, path
    if stat.S_ISDIR(mode):
        raise _error(errno.EISDIR, path)
    raise _error(errno.EINVAL, path, "is neither a regular file, a FIFO nor a character device")


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


def _stdout(mode: str) -> IO:
    if sys.stdout is None:
        raise _error(errno.EBADF, STDOUT, "standard output is closed")
    return sys.stdout if mode == "w" else sys.stdout.buffer


@contextmanager
def atomic_open(path, mode: str = "wb", encoding: str | None = None, newline: str | None = None) -> Iterator[IO]:
    """Open `path` for writing as the module says: a temp file renamed over a new path or a regular file
    on a clean exit (flushed and synced first), or the FIFO, device or stdout itself.

    On any exception (Ctrl+C included) the temp file is removed and the file is left as it was; a
    stream keeps what was written before the exception.
    """
    if mode not in ("w", "wb"):
        raise ValueError(f"atomic_open: mode must be 'w' or 'wb', got {mode!r}")
    how, target = output_target(path)
    if how == STDOUT:
        stream = _stdout(mode)
        yield stream
        stream.flush()
        return
    if how == STREAM:
        with open(target, mode, encoding=encoding, newline=newline) as fh:
            yield fh
        return
    fd, tmp = _create_temp(target)
    try:
        with os.fdopen(fd, mode, encoding=encoding, newline=newline) as fh:
            if os.path.exists(target):  # NOTE: as cp, a replaced file keeps its permission bits
                os.fchmod(fd, stat.S_IMODE(os.stat(target).st_mode))
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        try:
            os.remove(tmp)
        except OSError:
            pass
        raise


def write_atomic(path, data: str | bytes) -> None:
    """Write text (UTF-8, newlines as given) or bytes to `path` through atomic_open."""
    if isinstance(data, str):
        with atomic_open(path, "w", encoding="utf-8", newline="") as fh:
            fh.write(data)
    else:
        with atomic_open(path, "wb") as fh:
            fh.write(data)
