"""A DataParallel worker process: `npnn._worker SOCKET_FD BLOCK_FD`, run by npnn.parallel with Ctrl+C ignored.

It receives its replica of the model and loss once, then for each batch slice runs forward and
backward against the parameters this process's parent published in the shared block, and writes its
weighted gradients into its own slot there. It ends when its parent closes the socket or goes away (EOF on
the socket, or a failed send of a result nobody reads). Floating-point warnings are silenced: a
diverging run is reported by the parent, and the worker has no output.
"""
from __future__ import annotations

import mmap
import pickle
import sys
from multiprocessing.connection import Connection

import numpy as np


def _reseed(model, seed: int) -> None:
    """Give every module that keeps a generator (Dropout) one of this worker's own."""
    rng = np.random.default_rng(seed)
    for module in model.modules():
        if getattr(module, "generator", None) is not None:
            module.generator = np.random.default_rng(int(rng.integers(2**63)))


def serve(conn: Connection, block: mmap.mmap) -> None:
    from npnn import parallel
    from npnn.random import manual_seed
    from npnn.tensor import Tensor

    _, payload, spans, slot_offset, seed = conn.recv()
    model, loss_fn = pickle.loads(payload)
    manual_seed(seed)
    _reseed(model, seed)
    params = list(model.parameters())
    for p, view in zip(params, parallel.views(block, spans)):
        p.data = view  # NOTE: the parent publishes its weights here before every batch
    slot = parallel.views(block, spans, slot_offset)
    model.train()
    conn.send(("ready", 0.0))
    while True:
        try:
            message = conn.recv()
        except EOFError:
            return
        _, x_shape, x_dtype, y_shape, y_dtype, weight = message
        x = np.frombuffer(conn.recv_bytes(), dtype=np.dtype(x_dtype)).reshape(x_shape)
        y = np.frombuffer(conn.recv_bytes(), dtype=np.dtype(y_dtype)).reshape(y_shape)
        try:
            for p in params:
                p.grad = None
            loss = loss_fn(model(Tensor(x)), Tensor(y))
            loss.backward()
            for p, out in zip(params, slot):
                if p.grad is None:
                    out.fill(0)
                else:
                    np.multiply(p.grad, weight, out=out)
            conn.send(("loss", loss.item() * weight))
        except Exception as error:  # noqa: BLE001  reported to the parent, which raises it
            conn.send(("error", f"{type(error).__name__}: {error}"))


def main(argv: list[str]) -> int:
    sock_fd, block_fd = int(argv[0]), int(argv[1])
    np.seterr(all="ignore")
    conn = Connection(sock_fd)
    block = mmap.mmap(block_fd, 0)  # NOTE: never closed: the replica's parameters are views of it
    try:
        serve(conn, block)
    except (EOFError, OSError, KeyboardInterrupt):
        pass
    except Exception as error:  # noqa: BLE001  e.g. the replica would not unpickle
        try:
            conn.send(("error", f"{type(error).__name__}: {error}"))
        except OSError:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
