"""Matrix products that stay on one BLAS thread by their shape, and npnn's own intra-op threads.

NOTE: OpenBLAS (0.3.2x) runs a GEMM of M·N·K multiply-adds on M·N·K / 2^18 of its threads. For the
products of small models (a 32x128 @ 128x256 Linear, an im2col conv of a 28x28 batch) a second BLAS
thread gains little on an idle machine, and on a busy one (another process, the TUI drawing, tests in
parallel) a product waits for its descheduled partner while the other spins: measured here at load ~3,
a 64x784 @ 784x32 product took 1.2 ms on two threads against 0.08 ms on one. npnn never changes the
BLAS pool's size (that is process-wide state, set by whoever runs the training: the front ends do it
once per run with threadpoolctl). Instead a mid-sized product (below BIG_GEMM) is issued as a stack of
row blocks of at most ONE_THREAD_WORK multiply-adds each, which OpenBLAS runs on one thread whatever
the pool size; large products go to the pool as configured. Parallel work is npnn's own: ops split the
batch into chunks on `get_num_threads()` threads (npnn/_parallel.py), NumPy releasing the GIL.
"""
import numpy as np

ONE_THREAD_WORK = (1 << 19) - 1  # OpenBLAS runs M·N·K / 2^18 threads, rounded down: one below 2^19
BIG_GEMM = 1 << 26  # multiply-adds (~1 ms of one core) from which a product uses BLAS's pool as configured


def matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """`a @ b`; a mid-sized product with a 2-D right operand is computed in one-thread row blocks (of bᵀ·aᵀ
    when b is too wide for a block of a's rows)."""
    if a.ndim < 2 or b.ndim != 2:
        return a @ b
    k, n = b.shape
    if a.shape[-1] != k:
        return a @ b  # NumPy's own error message
    m = a.size // k if k else 0
    work = m * k * n
    rows = ONE_THREAD_WORK // max(k * n, 1)
    if work <= ONE_THREAD_WORK or work >= BIG_GEMM:
        return a @ b
    if rows < 1:
        if a.ndim == 2 and m * k <= ONE_THREAD_WORK:
            # NOTE: a wide right operand (a weight gradient gᵀ·x such as 64x2048 @ 2048x256): a's rows cannot be
            # blocked, bᵀ·aᵀ's can. Left to a 2-thread pool at load ~3.5 it took ~50 ms in the Transformer encoder
            # benchmark (its threads waiting for each other) against ~1.5 ms blocked (0.5 ms on an idle pool).
            return np.ascontiguousarray(matmul(b.T, a.T).T)
        return a @ b
    a2 = a.reshape(m, k)
    out = np.empty((m, n), dtype=np.result_type(a, b))
    whole = m - m % rows
    np.matmul(a2[:whole].reshape(whole // rows, rows, k), b, out=out[:whole].reshape(whole // rows, rows, n))
    if whole < m:
        np.matmul(a2[whole:], b, out=out[whole:])
    return out.reshape(a.shape[:-1] + (n,))
