"""Matrix products, the small ones on one BLAS thread.

NOTE: OpenBLAS splits every product above ~0.26M multiply-adds over all its threads. For the
products of small models (a 32x128 @ 128x256 Linear, an im2col conv of a 28x28 batch) the split
gains little on an idle machine, and on a busy one (another process, the TUI drawing, tests in
parallel) a product waits for its descheduled partner thread: the diabetes MLP epoch measured 13x
slower with two threads than with one. So products below SMALL_GEMM multiply-adds run on one thread, as
PyTorch keeps small ops on one thread; larger ones use the pool as configured.
"""
import ctypes
import glob
import os

import numpy as np

SMALL_GEMM = 1 << 26  # multiply-adds (M·N·K, summed over a batch): ~1 ms of one core


def _openblas_paths() -> list:
    """Files of OpenBLAS libraries, NumPy's own first: its wheel's bundled-library folder, then the
    files this process has mapped (Linux; SciPy may have loaded a second OpenBLAS)."""
    root = os.path.dirname(os.path.dirname(np.__file__))
    paths = []
    for folder in ("numpy.libs", os.path.join("numpy", ".dylibs")):
        paths += sorted(glob.glob(os.path.join(root, folder, "*openblas*")))
    try:
        with open("/proc/self/maps") as maps:
            mapped = {line.split(None, 5)[-1].strip() for line in maps if "openblas" in line.lower()}
        paths += sorted(mapped, key=lambda path: "numpy" not in path)
    except OSError:
        pass
    return paths


def _openblas_threads():
    """NumPy's OpenBLAS get/set-num-threads functions, or (None, None) for another BLAS."""
    for path in _openblas_paths():
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for prefix in ("scipy_", ""):
            for suffix in ("64_", "", "_64"):
                get = getattr(lib, f"{prefix}openblas_get_num_threads{suffix}", None)
                put = getattr(lib, f"{prefix}openblas_set_num_threads{suffix}", None)
                if get is not None and put is not None:
                    get.restype, put.argtypes = ctypes.c_int, (ctypes.c_int,)
                    return get, put
    return None, None


_get_threads, _set_threads = _openblas_threads()


def matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """`a @ b`, on one BLAS thread when the product is small (see the module note)."""
    if _set_threads is None or a.ndim == 0 or b.ndim == 0:
        return a @ b
    work = a.size * (b.shape[-1] if b.ndim > 1 else 1)  # M·K·N for 2-D; batched shapes scale alike
    if work >= SMALL_GEMM:
        return a @ b
    threads = _get_threads()
    if threads <= 1:
        return a @ b
    _set_threads(1)
    try:
        return a @ b
    finally:
        _set_threads(threads)
