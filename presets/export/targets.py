"""Where an export may write: checked for every file of it before anything is written."""
from __future__ import annotations

import os
import stat

from presets.bundle import own_file
from presets.errors import OutputError

_KINDS = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))


def check_targets(paths: list, run_dir) -> list[str]:
    """The export's files that are already there, as regular files (replaced only with --force); OutputError
    naming one that is not a regular file (a FIFO would hang the write, a directory fail it half-way) or that
    is one of the run's own files. Called before anything is written."""
    present = []
    for path in map(str, paths):
        try:
            mode = os.stat(path).st_mode
        except (FileNotFoundError, NotADirectoryError):
            if os.path.islink(path):  # NOTE: a dangling symlink is the user's too: replaced only with --force
                present.append(os.path.basename(path))
            continue
        if not stat.S_ISREG(mode):
            kind = next((name for test, name in _KINDS if test(mode)), "not a regular file")
            raise OutputError(f"{path}: is {kind}; an export writes regular files only")
        real = own_file(run_dir, path)
        if real is not None:
            shown = "" if real == os.path.abspath(path) else f" ({real})"
            raise OutputError(f"{path}: is one of the run's own files{shown}; export to a path outside {run_dir}")
        present.append(os.path.basename(path))
    return present
