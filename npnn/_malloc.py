"""Keep freed memory in the C heap between training steps (glibc only), when a program asks: `npnn.tune_malloc()`.

NOTE: every batch allocates and frees the same large temporaries (im2col columns, activations,
gradients). With glibc's defaults the heap is trimmed back to the OS after each batch and the next
batch page-faults the memory in again; measured here that costs more than the arithmetic (a Conv2d
forward + backward of the CNN: 12 ms against 3 ms). Raising the mmap and trim thresholds keeps the
pages for reuse; the peak is unchanged, the memory just is not returned between batches. Skipped
when the user tunes malloc through the environment, or sets NPNN_MALLOC_TUNING=0.

NOTE: the allocator is the whole process's, so `import npnn` leaves it alone (README, "Global state");
the front ends (npnn-tui's app, headless runs, sweeps) call tune_malloc() when they start.
"""
import ctypes
import ctypes.util
import os
import sys

M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # glibc's mallopt parameter numbers
MMAP_THRESHOLD = 32 << 20  # glibc's largest allowed value: blocks below it come from the heap
TRIM_THRESHOLD = 64 << 20  # free memory kept at the top of the heap (the CNN epoch peaks at ~18 MiB)


def tune_malloc() -> bool:
    """Raise glibc's mmap and trim thresholds for this process (calling it again changes nothing); True if
    it did, False where it steps aside (not glibc, NPNN_MALLOC_TUNING=0, malloc tuned by the environment)."""
    if not sys.platform.startswith("linux") or os.environ.get("NPNN_MALLOC_TUNING", "1") == "0":
        return False
    if any(name in os.environ for name in ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "GLIBC_TUNABLES")):
        return False
    try:
        libc_version = os.confstr("CS_GNU_LIBC_VERSION")
    except (ValueError, OSError):
        libc_version = None
    if not libc_version:  # musl and others: mallopt is absent or a no-op
        return False
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    return bool(libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(libc.mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD))
