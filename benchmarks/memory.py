"""Peak memory of one CNN epoch, measured in a fresh process after one warm-up epoch.

Two methods, because the frameworks allocate differently:
- "rss": the resident-set high-water mark. /proc/self/clear_refs (value 5) resets VmHWM to the current
  RSS just before the epoch; after it, VmHWM - RSS(before) is what the epoch added at its peak. This
  sees every allocator (NumPy's, PyTorch's own CPU allocator, oneDNN scratch buffers), so it is the
  method used for the side-by-side ratio. Where clear_refs is not writable it falls back to the
  ru_maxrss delta (which misses a peak lower than one reached before the epoch).
- "tracemalloc": the peak of Python-traced allocations during the epoch. NumPy reports its array
  buffers to tracemalloc, so for npnn this is the exact array working set; PyTorch does not report
  its tensors, so it is npnn-only.
"""
import gc
import resource
import tracemalloc

from benchmarks.cases import runner


def _status_kib(field: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise OSError(f"/proc/self/status has no {field}")


def _reset_peak_rss() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as clear_refs:
            clear_refs.write("5")
        return True
    except OSError:
        return False


def measure(framework: str, method: str, quick: bool = False) -> dict:
    """Bytes one CNN epoch adds at its peak in this process, by `method` ("rss" or "tracemalloc")."""
    run = runner("cnn_epoch", framework, quick)
    run()  # warm-up epoch: optimizer state, allocator pools and caches exist before measuring
    gc.collect()
    if method == "tracemalloc":
        tracemalloc.start()
        base = tracemalloc.get_traced_memory()[0]
        run()
        peak = tracemalloc.get_traced_memory()[1] - base
        tracemalloc.stop()
        return {"bytes": peak, "method": "tracemalloc peak"}
    if method != "rss":
        raise ValueError(f"memory method must be 'rss' or 'tracemalloc', got {method!r}")
    if _reset_peak_rss():
        before = _status_kib("VmRSS")
        run()
        return {"bytes": (_status_kib("VmHWM") - before) * 1024, "method": "VmHWM after clear_refs"}
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    run()
    return {"bytes": (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) * 1024,
            "method": "ru_maxrss delta"}
