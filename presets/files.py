"""The door every data file passes before it is opened: only a regular file is read.

A FIFO blocks until a writer comes and may never end, a device such as /dev/zero or /dev/urandom has no end
at all (the read grows until a MemoryError with an empty message, or the OOM killer), and a directory
cannot be read as a file: each is refused with one line naming the path and what it is.
"""
from __future__ import annotations

import os
import stat
from pathlib import Path

from presets.errors import DataError

_KINDS = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
          (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))


def regular_file(path, what: str = "a data file") -> Path:
    """`path` as a Path when it is a regular file (a symlink to one counts, as `cp` follows it); DataError
    otherwise: '<path>: expected <what>, a regular file; it is a FIFO (named pipe)'."""
    path = Path(path)
    try:
        mode = os.stat(path).st_mode  # NOTE: stat never opens, so it cannot block on a FIFO
    except FileNotFoundError:
        raise DataError(f"{path}: no such file or directory") from None
    except (OSError, ValueError) as error:  # ValueError: a NUL byte in the path
        raise DataError(f"{path}: cannot read {what} ({getattr(error, 'strerror', None) or error})") from None
    if stat.S_ISREG(mode):
        return path
    kind = next((name for test, name in _KINDS if test(mode)), "not a regular file")
    raise DataError(f"{path}: expected {what}, a regular file; it is {kind}")
