"""npnn's intra-op threads: an op splits its batch into chunks and runs them side by side.

NOTE: an op's chunks never share a reduction (a weight gradient is summed over all samples after the
chunks), so the thread count changes how the work is split, not the numbers. The work in a
chunk is NumPy calls that release the GIL (copies, ufuncs, one-thread products: see npnn/_blas.py), so
two chunks use two cores. Waiting threads block (no spinning), so on a busy machine a descheduled
chunk delays its op but does not burn the core the other needs. The threads touch no random
generator and no process-wide state; any thread (a UI's worker, several at once) may call in.
"""
from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

MIN_CHUNK = 32  # samples: below this a chunk's Python overhead outweighs the second core

_lock = threading.Lock()
_pool: ThreadPoolExecutor | None = None
_pool_size = 0
_threads: int | None = None


DEFAULT_THREADS = 1  # NOTE: measured on 2 vCPUs, a 2-way split of the CNN's batch did not pay (see README)


def get_num_threads() -> int:
    """Threads npnn's batch-parallel ops use (like torch.get_num_threads); 1 unless set_num_threads."""
    return _threads if _threads is not None else DEFAULT_THREADS


def set_num_threads(threads: int) -> None:
    """Use `threads` threads in npnn's batch-parallel ops (1: everything on the calling thread)."""
    global _threads
    if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
        raise ValueError(f"set_num_threads expects a positive integer, got {threads!r}")
    _threads = threads


def chunks(n: int) -> list[tuple[int, int]]:
    """The (start, stop) sample ranges a batch of n is split into: one per thread, each of at least
    MIN_CHUNK samples."""
    count = max(1, min(get_num_threads(), n // MIN_CHUNK))
    edges = [n * i // count for i in range(count + 1)]
    return list(zip(edges[:-1], edges[1:]))


def _executor(workers: int) -> ThreadPoolExecutor:
    global _pool, _pool_size
    with _lock:
        if _pool is None or _pool_size < workers:
            _pool, _pool_size = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="npnn"), workers
        return _pool


def run_chunks(fn: Callable[[int, int], object], n: int, parts: list | None = None) -> list:
    """[fn(start, stop) for each chunk of a batch of n (or of `parts`)], in chunk order.

    NOTE: the caller and the helper threads take chunks from one counter, and the caller waits only
    for chunks a helper has started. On a busy machine a helper that is not scheduled in time finds
    nothing left to do, so the caller never waits for a thread to be woken (no stall under load).
    """
    parts = chunks(n) if parts is None else parts
    if len(parts) == 1:
        return [fn(*parts[0])]
    results: list = [None] * len(parts)
    errors: list = []
    lock, finished = threading.Lock(), threading.Event()
    progress = {"next": 0, "done": 0}

    def work() -> None:
        while True:
            with lock:
                i = progress["next"]
                progress["next"] += 1
            if i >= len(parts):
                return
            try:
                results[i] = fn(*parts[i])
            except BaseException as error:  # noqa: BLE001  re-raised in the caller
                errors.append(error)
            with lock:
                progress["done"] += 1
                if progress["done"] == len(parts):
                    finished.set()

    pool = _executor(len(parts) - 1)
    for _ in parts[1:]:
        pool.submit(work)
    work()
    finished.wait()
    if errors:
        raise errors[0]
    return results
