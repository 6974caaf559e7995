"""Data parallelism across processes: each batch's forward and backward split over worker replicas.

DistributedDataParallel's shape on one machine: `DataParallel(model, loss_fn, workers=N)` starts N-1
worker processes, each holding a replica of the model. For every batch this process publishes its
parameters into a shared memory block, sends each worker a slice of the batch, computes the first
slice itself, and sums the slices' gradients (each weighted by its share of the batch, so the sum is
the whole batch's mean-loss gradient up to float rounding). The caller then takes one optimizer step
here, so hot edits, clipping, schedules and hooks all stay in this process.

NOTE: workers are fresh interpreters running `npnn._worker`, not forks: a fork of a process with
threads (a UI) can deadlock, and multiprocessing's spawn would re-run the user's `__main__`. So the
model and loss are pickled: their classes must be importable (defined in a module, not in `__main__`).
BatchNorm normalises each slice with its own batch statistics (as DDP without SyncBatchNorm); the
running statistics are this process's, from its slice. Dropout masks in worker k come from a
generator spawned from the replica's own, so a seed still fixes a run for a given worker count.
Hooks stay here (the replicas are sent without them): a forward or backward hook sees this process's
slice of each batch, as a DDP hook sees its rank's.

Faults: a worker that dies raises WorkerError naming it (pid, exit code or signal); `close()` (also on
an exception, Ctrl+C or SIGTERM in the loop) closes the sockets, waits briefly, then kills. Workers
ignore SIGINT (a terminal's Ctrl+C reaches the whole process group; the parent decides) and end by
themselves when their parent goes, even by SIGKILL: an idle worker reads EOF, a busy one fails to send
its batch's result and exits.
"""
from __future__ import annotations

import io
import mmap
import os
import pickle
import socket
import subprocess
import sys
import time
from typing import TYPE_CHECKING

import numpy as np

from npnn.nn.module import _HOOK_DICTS, Module
from npnn.tensor import Tensor

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

MIN_SLICE = 16  # samples: a smaller slice costs more in messages than its share of the work saves
START_TIMEOUT = 60.0  # seconds a worker may take to import npnn and unpickle its replica
STOP_TIMEOUT = 2.0  # seconds a worker may take to finish its batch and exit once its socket is closed
# NOTE: Ctrl+C ignored before npnn is imported, by the child itself (a preexec_fn is unsafe in a process
# with threads, such as the app's); an ignored signal then stays ignored through the worker's life
_WORKER_BOOT = ("import signal, runpy, sys; signal.signal(signal.SIGINT, signal.SIG_IGN); "
                "sys.argv[0] = 'npnn._worker'; runpy.run_module('npnn._worker', run_name='__main__')")
# workers="auto" (AutoParallel): start workers only when one batch alone takes at least this long and
# the rest of the run alone would take at least MIN_RUN_SECONDS (a worker takes ~0.5 s to start), then
# keep them only when a split batch takes at most PAYS x the time of a batch alone (medians of
# TRIAL_ROUNDS batches each)
MIN_BATCH_SECONDS = 1e-3
MIN_RUN_SECONDS = 3.0
PAYS = 0.9
TRIAL_ROUNDS = 5


class WorkerError(RuntimeError):
    """A worker process failed or died; the message says which and why."""


def _shared_block(size: int) -> tuple[int, mmap.mmap]:
    """An anonymous shared-memory file (fd, mapping) of `size` bytes that a child can map by its fd."""
    size = max(size, 1)
    if hasattr(os, "memfd_create"):
        fd = os.memfd_create("npnn-parallel", os.MFD_CLOEXEC)  # NOTE: pass_fds hands it to the workers alone
    else:  # pragma: no cover - macOS: an unlinked temporary file serves the same purpose
        import tempfile
        handle = tempfile.TemporaryFile()
        fd = os.dup(handle.fileno())
        handle.close()
    os.ftruncate(fd, size)
    return fd, mmap.mmap(fd, size)


def layout(arrays: list[np.ndarray]) -> list[tuple[int, tuple[int, ...], str]]:
    """(byte offset, shape, dtype) of each array packed one after another, 64-byte aligned."""
    spans, offset = [], 0
    for array in arrays:
        spans.append((offset, array.shape, array.dtype.str))
        offset += -(-array.nbytes // 64) * 64
    return spans


def views(buffer, spans, base: int = 0) -> list[np.ndarray]:
    """The arrays a layout places in `buffer`, starting at byte `base`."""
    return [np.ndarray(shape, dtype=np.dtype(dtype), buffer=buffer, offset=base + offset)
            for offset, shape, dtype in spans]


def block_size(spans) -> int:
    if not spans:
        return 0
    offset, shape, dtype = spans[-1]
    return offset + -(-int(np.prod(shape, dtype=np.int64)) * np.dtype(dtype).itemsize // 64) * 64


def _worker_environment() -> dict:
    """The child's environment: one BLAS thread (the worker is the parallelism) and npnn importable."""
    env = dict(os.environ)
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        env[name] = "1"
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env["PYTHONPATH"] = os.pathsep.join(p for p in (here, env.get("PYTHONPATH")) if p)
    return env


class _ReplicaPickler(pickle.Pickler):
    """Pickles modules and tensors without their hooks: a hook (the Inside monitor's, a user's closure)
    belongs to this process."""

    def reducer_override(self, obj):
        if isinstance(obj, Module) and any(obj.__dict__.get(name) for name in _HOOK_DICTS):
            func, args, state, *rest = obj.__reduce_ex__(pickle.HIGHEST_PROTOCOL)
            return (func, args, {**state, **{name: type(state[name])() for name in _HOOK_DICTS}}, *rest)
        if isinstance(obj, Tensor) and obj._grad_hooks:
            func, args, (state, slots), *rest = obj.__reduce_ex__(pickle.HIGHEST_PROTOCOL)
            return (func, args, (state, {**slots, "_grad_hooks": None}), *rest)
        return NotImplemented


def replica_payload(model, loss_fn) -> bytes:
    """The model and loss as a worker receives them: pickled, without hooks."""
    buffer = io.BytesIO()
    _ReplicaPickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump((model, loss_fn))
    return buffer.getvalue()


def available_cores() -> int:
    """The cores this process may run on (its CPU affinity where the OS tells it)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _median_seconds(work, rounds: int) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return sorted(times)[len(times) // 2]


class AutoParallel:
    """workers="auto": train the first batches here alone, timing them; where the run is long enough
    for workers to pay, start them and time as many split batches; keep whichever was faster.

    Only real training batches are timed (no extra forward call, no hook sees anything new). The
    worker count can change once, early in the run; `workers` says the count in use.
    """

    def __init__(self, model, loss_fn, batches: int, generator: np.random.Generator | None = None,
                 cores: int | None = None):
        self.model, self.loss_fn, self._generator = model, loss_fn, generator
        self._cores = available_cores() if cores is None else cores
        self._alone = DataParallel(model, loss_fn, 1)
        self._split: DataParallel | None = None
        self._left, self._size = batches, 0
        self._times: list[float] = []
        self._alone_seconds: float | None = None
        self._deciding = self._cores > 1

    @property
    def workers(self) -> int:
        return self._split.workers if self._split is not None else 1

    def forward_backward(self, x: np.ndarray, y: np.ndarray) -> float:
        engine = self._split or self._alone
        if not self._deciding:
            return engine.forward_backward(x, y)
        start = time.perf_counter()
        loss = engine.forward_backward(x, y)
        self._observe(time.perf_counter() - start, len(x))
        return loss

    def _observe(self, seconds: float, size: int) -> None:
        self._left -= 1
        self._size = self._size or size
        if size != self._size:  # NOTE: a short last batch says nothing about a full one
            return
        self._times.append(seconds)
        if len(self._times) <= TRIAL_ROUNDS:  # NOTE: the first batch of each kind warms caches up
            return
        median = sorted(self._times[1:])[len(self._times[1:]) // 2]
        self._times = []
        if self._split is None:
            self._alone_seconds = median
            count = min(self._cores, size // MIN_SLICE)
            if count < 2 or median < MIN_BATCH_SECONDS or median * self._left < MIN_RUN_SECONDS:
                self._deciding = False
                return
            try:
                self._split = DataParallel(self.model, self.loss_fn, count, self._generator)
            except (WorkerError, OSError):  # NOTE: e.g. a model class defined in a script's __main__, or no
                # process could start (out of pids or memory): train here alone
                self._deciding = False
            return
        self._deciding = False
        assert self._alone_seconds is not None  # NOTE: timed before the split started
        if median > PAYS * self._alone_seconds:
            self._split.close()
            self._split = None

    def close(self) -> None:
        if self._split is not None:
            self._split.close()
        self._deciding = False


class DataParallel:
    """Forward and backward of each batch over `workers` processes (this one included).

    `forward_backward(x, y)` leaves each parameter's `.grad` holding the gradient of the batch's mean
    loss and returns that loss as a float; `close()` (or the `with` block) stops the workers. A batch
    smaller than 2 x MIN_SLICE is computed here alone.
    """

    def __init__(self, model, loss_fn, workers: int, generator: np.random.Generator | None = None):
        if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
            raise ValueError(f"DataParallel: workers must be a positive integer, got {workers!r}")
        self.model, self.loss_fn, self.workers = model, loss_fn, workers
        self._params = list(model.parameters())
        self._spans = layout([p.data for p in self._params])
        self._bytes = block_size(self._spans)
        self._procs: list[subprocess.Popen] = []
        self._conns: list[Connection] = []
        self._fd: int | None = None
        self._block: mmap.mmap | None = None
        if workers > 1:
            self._start(generator)

    # ---- starting and stopping --------------------------------------------------------------------
    def _start(self, generator) -> None:
        # NOTE: imported here: multiprocessing aliases __main__ as __mp_main__ on import, and `import npnn` adds nothing
        from multiprocessing.connection import Connection

        # block: this process's parameters, then one gradient slot per worker
        fd, self._block = _shared_block(self._bytes * self.workers)
        self._fd = fd
        self._shared_params = views(self._block, self._spans)
        self._slots = [views(self._block, self._spans, self._bytes * k) for k in range(1, self.workers)]
        seeds = [int(s) for s in (generator or np.random.default_rng()).integers(2**63, size=self.workers - 1)]
        try:
            payload = replica_payload(self.model, self.loss_fn)
        except (pickle.PicklingError, AttributeError, TypeError) as error:
            raise WorkerError(f"DataParallel: the model or loss cannot be sent to worker processes ({error}); "
                              "define their classes in an importable module") from None
        try:
            for k, seed in enumerate(seeds, start=1):
                ours, theirs = socket.socketpair()
                # NOTE: no output: a worker's stray text would land in the app's screen; it reports by message
                proc = subprocess.Popen([sys.executable, "-c", _WORKER_BOOT, str(theirs.fileno()), str(fd)],
                                        pass_fds=(theirs.fileno(), fd), env=_worker_environment(),
                                        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL)
                theirs.close()
                conn = Connection(ours.detach())
                self._procs.append(proc)
                self._conns.append(conn)
                conn.send(("init", payload, self._spans, self._bytes * k, seed))
            for k in range(1, self.workers):
                self._reply(k, timeout=START_TIMEOUT)
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        """Stop every worker and free the shared block: each socket is closed (an idle worker reads EOF, a
        busy one finishes its batch and exits), and a worker still running after STOP_TIMEOUT is killed."""
        procs, conns = self._procs, self._conns
        self._procs, self._conns = [], []
        for conn in conns:  # NOTE: EOF, not a message: an interrupted send may have left a message half-written
            conn.close()
        try:
            deadline = time.monotonic() + STOP_TIMEOUT
            for proc in procs:
                try:
                    proc.wait(timeout=max(deadline - time.monotonic(), 0.01))
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        finally:  # NOTE: a second Ctrl+C while waiting still leaves no worker running and none unreaped
            for proc in procs:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
        if self._block is not None:
            self._shared_params, self._slots = [], []
            try:
                self._block.close()
            except BufferError:  # NOTE: a view still alive somewhere; the mapping goes with the process
                pass
            assert self._fd is not None  # NOTE: set together with _block
            os.close(self._fd)
            self._fd = self._block = None

    def __enter__(self) -> DataParallel:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self):
        if getattr(self, "_procs", None):
            self.close()

    # ---- one batch --------------------------------------------------------------------------------
    def slices(self, n: int) -> list[tuple[int, int]]:
        """The (start, stop) sample ranges of a batch of n: one per process, each at least MIN_SLICE."""
        count = max(1, min(self.workers, n // MIN_SLICE))
        edges = [n * i // count for i in range(count + 1)]
        return list(zip(edges[:-1], edges[1:]))

    def forward_backward(self, x: np.ndarray, y: np.ndarray) -> float:
        """Set every parameter's .grad to the batch's mean-loss gradient; return the batch's mean loss."""
        parts = self.slices(len(x))
        if len(parts) == 1:
            return self._local(x, y, 1.0)
        for shared, p in zip(self._shared_params, self._params):
            np.copyto(shared, p.data)
        n = len(x)
        for k, (start, stop) in enumerate(parts[1:], start=1):
            xs, ys = np.ascontiguousarray(x[start:stop]), np.ascontiguousarray(y[start:stop])
            try:
                self._conns[k - 1].send(("batch", xs.shape, xs.dtype.str, ys.shape, ys.dtype.str,
                                         (stop - start) / n))
                self._conns[k - 1].send_bytes(xs.data.cast("B"))
                self._conns[k - 1].send_bytes(ys.data.cast("B"))
            except OSError:
                self._died(k)
        start, stop = parts[0]
        loss = self._local(x[start:stop], y[start:stop], (stop - start) / n)
        for k in range(1, len(parts)):
            loss += self._reply(k)
        for i, p in enumerate(self._params):
            for slot in self._slots[:len(parts) - 1]:
                if p.grad is None:
                    p.grad = slot[i].copy()
                else:
                    p.grad += slot[i]
        return loss

    def _local(self, x, y, weight: float) -> float:
        for p in self._params:
            p.grad = None
        loss = self.loss_fn(self.model(Tensor(x)), Tensor(y))
        loss.backward()
        if weight != 1.0:
            for p in self._params:
                if p.grad is not None:
                    p.grad *= weight
        return loss.item() * weight

    def _reply(self, k: int, timeout: float | None = None) -> float:
        conn = self._conns[k - 1]
        try:
            if timeout is not None and not conn.poll(timeout):
                raise WorkerError(f"DataParallel: worker {k} did not start within {timeout:g} s")
            kind, value = conn.recv()
        except (EOFError, OSError):
            self._died(k)
        if kind == "error":
            raise WorkerError(f"DataParallel: worker {k} failed: {value}")
        return value

    def _died(self, k: int):
        proc = self._procs[k - 1]
        try:
            code = proc.wait(timeout=1)
        except subprocess.TimeoutExpired:
            code = None
        how = f"exit code {code}" if code is not None and code >= 0 else \
            f"killed by signal {-code}" if code is not None else "stopped answering"
        raise WorkerError(f"DataParallel: worker {k} (pid {proc.pid}) died ({how})")
