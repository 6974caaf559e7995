"""`import npnn` (and `import presets`) changes nothing process-wide: glibc's allocator is tuned only when a
program calls npnn.tune_malloc(), as npnn-tui does (README, "Global state")."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

# NOTE: glibc serves a block above its mmap threshold (128 KiB by default, raised only by freeing such a
# block, up to 32 MiB) with its own mmap, counted in mallinfo's hblks; tune_malloc sets the threshold to
# 32 MiB, so a 24 MiB block then comes from the heap. A fresh interpreter shows which is in force; the
# probe keeps its blocks, so that it does not move the threshold itself.
PROBE = """
import ctypes, ctypes.util, json, os, sys

class MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks",
                                                     "fsmblks", "uordblks", "fordblks", "keepcost")]

libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
libc.mallinfo2.restype = MallInfo2
libc.malloc.restype = ctypes.c_void_p
kept = []

def mmapped(size=24 << 20):
    before = libc.mallinfo2().hblks
    kept.append(libc.malloc(size))  # NOTE: kept: freeing an mmapped block would raise glibc's threshold
    return libc.mallinfo2().hblks - before

seen = {"fresh": mmapped()}
import npnn, presets, presets.run, presets.export.onnx
seen["imported"] = mmapped()
seen["tuned"] = npnn.tune_malloc()
seen["after_tuning"] = mmapped()
print(json.dumps(seen))
"""


def glibc_with_mallinfo2() -> bool:
    try:
        version = os.confstr("CS_GNU_LIBC_VERSION") or ""
    except (ValueError, OSError):
        return False
    parts = version.split()[-1].split(".") if version.startswith("glibc") else []
    return len(parts) >= 2 and (int(parts[0]), int(parts[1])) >= (2, 33)


def probe(**env: str) -> dict:
    clean = {k: v for k, v in os.environ.items()
             if k not in ("NPNN_MALLOC_TUNING", "MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "GLIBC_TUNABLES")}
    result = subprocess.run([sys.executable, "-c", PROBE], env={**clean, **env}, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.mark.skipif(not glibc_with_mallinfo2(), reason="needs glibc >= 2.33 (mallinfo2) to read the allocator")
def test_import_npnn_leaves_the_allocator_alone_and_tune_malloc_changes_it():
    seen = probe()
    assert seen["fresh"] == 1, "a large block should be mmapped under glibc's defaults"
    assert seen["imported"] == 1, "importing npnn or presets tuned malloc"
    assert seen["tuned"] is True and seen["after_tuning"] == 0


@pytest.mark.skipif(not glibc_with_mallinfo2(), reason="needs glibc >= 2.33 (mallinfo2) to read the allocator")
def test_tune_malloc_steps_aside_when_the_environment_opts_out():
    seen = probe(NPNN_MALLOC_TUNING="0")
    assert seen["tuned"] is False and seen["after_tuning"] == 1


def test_the_command_line_tunes_the_allocator_and_the_library_does_not(monkeypatch):
    calls = []
    monkeypatch.setattr("npnn.tune_malloc", lambda: calls.append(1) or True)
    from tui.cli import main
    with pytest.raises(SystemExit):
        main(["--version"])
    assert calls == [1]
