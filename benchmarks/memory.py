"""Peak memory of one CNN epoch, each measurement in a fresh process.

Before the measured epoch, a throwaway model trains one small epoch (code pages of the libraries get
mapped, lazy initialisation happens: none of that is the epoch's working set); then the measured
model, optimizer and data are built and the C heap is trimmed (malloc_trim), so memory freed by the
warm-up cannot hide the epoch's peak. Two methods, because the frameworks allocate differently:
- "rss": the resident-set high-water mark. /proc/self/clear_refs (value 5) resets VmHWM to the current
  RSS; after the epoch, VmHWM - RSS(before) is what the epoch added at its peak (activations, grads,
  optimizer state, workspace). It sees every allocator (NumPy's, PyTorch's, oneDNN's), so it is the
  side-by-side figure. Where clear_refs is not writable it falls back to the ru_maxrss delta (blind to
  a peak lower than one reached earlier in the process).
- "tracemalloc": the peak of traced allocations during the epoch. NumPy reports its array buffers to
  tracemalloc, so for npnn this is the exact array working set; PyTorch's tensors are not traced.
"""
import ctypes
import ctypes.util
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


def _trim_heap() -> None:
    """Give freed C-heap memory back to the OS (glibc only; elsewhere a no-op)."""
    gc.collect()
    try:
        ctypes.CDLL(ctypes.util.find_library("c")).malloc_trim(0)
    except (OSError, AttributeError, TypeError):
        pass


def measure(framework: str, method: str, quick: bool = False) -> dict:
    """Bytes one CNN epoch adds at its peak in this process, by `method` ("rss" or "tracemalloc")."""
    if method not in ("rss", "tracemalloc"):
        raise ValueError(f"memory method must be 'rss' or 'tracemalloc', got {method!r}")
    warm_up = runner("cnn_epoch", framework, quick=True)
    warm_up()
    del warm_up
    run = runner("cnn_epoch", framework, quick)
    _trim_heap()
    if method == "tracemalloc":
        tracemalloc.start()
        run()
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return {"bytes": peak, "method": "tracemalloc peak"}
    if _reset_peak_rss():
        before = _status_kib("VmRSS")
        run()
        return {"bytes": (_status_kib("VmHWM") - before) * 1024, "method": "VmHWM after clear_refs"}
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    run()
    return {"bytes": (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) * 1024,
            "method": "ru_maxrss delta"}
