"""The speed paths change how work is done, never the result: one-thread row-block products that leave
the BLAS pool alone, batch chunks on npnn's threads, kept heap memory, pooling that keeps the input's
memory layout, and the stride-1 conv input gradient."""
import numpy as np
import pytest

import npnn
from npnn import _blas, _malloc, _parallel
from npnn.ops.conv import Conv2d, MaxPool2d, _layout

RNG = np.random.default_rng(0)


def _blas_threads():
    from threadpoolctl import threadpool_info

    return [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]


@pytest.mark.parametrize("shape_a, shape_b", [((3, 4), (4, 5)), ((4,), (4, 2)), ((3, 4), (4,)),
                                              ((2, 3, 4), (4, 5)), ((300, 300), (300, 300)),
                                              ((64, 784), (784, 32)), ((37, 300), (300, 50)),
                                              ((5, 13, 128), (128, 256)), ((64, 2048), (2048, 256))])
def test_blas_matmul_equals_the_product_and_leaves_the_blas_pool_alone(shape_a, shape_b):
    # NOTE: BLAS gives no bit-exact result across thread counts or kernels, so compare with the float64
    # product at float32's accuracy for sums of up to 300 terms; the last four shapes are issued as
    # one-thread row blocks (the second with a remainder block, the last as bᵀ·aᵀ)
    a, b = RNG.random(shape_a, dtype=np.float32), RNG.random(shape_b, dtype=np.float32)
    before = _blas_threads()
    out = _blas.matmul(a, b)
    assert out.shape == (a @ b).shape and out.dtype == np.float32
    np.testing.assert_allclose(out, a.astype(np.float64) @ b.astype(np.float64), rtol=1e-5)
    assert _blas_threads() == before


def test_blas_matmul_reports_misfitting_shapes_as_numpy_does():
    with pytest.raises(ValueError):
        _blas.matmul(np.ones((2, 3), np.float32), np.ones((4, 5), np.float32))


def test_importing_npnn_and_training_a_conv_leaves_the_blas_pool_alone():
    from npnn import Tensor, nn

    before = _blas_threads()
    model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(4 * 14 * 14, 3))
    model(Tensor(RNG.random((40, 1, 28, 28), dtype=np.float32))).sum().backward()
    assert _blas_threads() == before


def test_batch_chunks_cover_the_batch_once_one_per_thread(monkeypatch):
    for threads in (1, 2, 3):
        monkeypatch.setattr(_parallel, "_threads", threads)
        for n in (1, 31, 64, 65, 200):
            parts = _parallel.chunks(n)
            assert parts[0][0] == 0 and parts[-1][1] == n and len(parts) <= threads
            assert all(stop == start for (_, stop), (start, _) in zip(parts, parts[1:]))
            assert _parallel.run_chunks(lambda start, stop: (start, stop), n) == parts


def test_run_chunks_raises_a_chunks_error_in_the_caller(monkeypatch):
    monkeypatch.setattr(_parallel, "_threads", 2)

    def fail_late(start, stop):
        if start:
            raise ArithmeticError(f"chunk at {start}")
        return start

    with pytest.raises(ArithmeticError, match="chunk at"):
        _parallel.run_chunks(fail_late, 64)


@pytest.mark.parametrize("threads", [0, -1, 1.5, True])
def test_set_num_threads_rejects_what_is_not_a_positive_integer(threads):
    with pytest.raises(ValueError, match="positive integer"):
        npnn.set_num_threads(threads)


def _conv_pool_step(x, w, b):
    """Forward and backward of conv -> max pool through the op Functions: every output and gradient."""
    conv = Conv2d()
    conv.needs_input_grad = [True, True, True]
    y = conv.forward(x, w, b, stride=(1, 1), padding=(1, 1))
    pool = MaxPool2d()
    z = pool.forward(y, (2, 2), (2, 2), (0, 0))
    (gy,) = pool.backward(np.cos(z))
    return (y, z) + conv.backward(gy)


def test_conv_and_pool_give_the_same_numbers_on_any_thread_count_and_from_a_worker_thread(monkeypatch):
    import threading

    x = RNG.standard_normal((70, 3, 8, 8)).astype(np.float32)  # 70 samples: two chunks of 35
    w, b = RNG.standard_normal((4, 3, 3, 3)).astype(np.float32), RNG.standard_normal(4).astype(np.float32)
    monkeypatch.setattr(_parallel, "_threads", 1)
    one = _conv_pool_step(x, w, b)
    monkeypatch.setattr(_parallel, "_threads", 2)
    two = _conv_pool_step(x, w, b)
    seen = []
    worker = threading.Thread(target=lambda: seen.append(_conv_pool_step(x, w, b)))
    worker.start()
    worker.join()
    for results in (two, seen[0]):
        for a, b_ in zip(one, results):
            assert a.shape == b_.shape and np.allclose(a, b_, rtol=1e-6, atol=1e-6)


def _conv_by_definition(x, w, b, padding):
    (ph, pw), (_, _, kh, kw) = padding, w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    oh, ow = xp.shape[2] - kh + 1, xp.shape[3] - kw + 1
    out = np.zeros((x.shape[0], w.shape[0], oh, ow)) + b[None, :, None, None]
    for i in range(kh):
        for j in range(kw):
            out += np.einsum("ncyx,oc->noyx", xp[:, :, i:i + oh, j:j + ow], w[:, :, i, j])
    return out, xp


def test_chunked_conv_forward_and_weight_grad_match_the_definition():
    x = RNG.standard_normal((70, 2, 9, 9))
    w, b = RNG.standard_normal((3, 2, 3, 3)), RNG.standard_normal(3)
    conv = Conv2d()
    conv.needs_input_grad = [False, True, True]
    out = conv.forward(x, w, b, stride=(1, 1), padding=(1, 1))
    expected, xp = _conv_by_definition(x, w, b, (1, 1))
    assert np.allclose(out, expected, atol=1e-12)
    g = RNG.standard_normal(out.shape)
    _, gw, gb = conv.backward(g)
    oh, ow = out.shape[2:]
    gw_expected = np.stack([np.stack([np.einsum("noyx,ncyx->oc", g, xp[:, :, i:i + oh, j:j + ow]) for j in range(3)],
                                     axis=-1) for i in range(3)], axis=-2)
    assert np.allclose(gw, gw_expected, atol=1e-10) and np.allclose(gb, g.sum(axis=(0, 2, 3)), atol=1e-10)


@pytest.mark.parametrize("variable", ["NPNN_MALLOC_TUNING", "MALLOC_TRIM_THRESHOLD_", "MALLOC_MMAP_THRESHOLD_"])
def test_malloc_tuning_steps_aside_when_the_environment_says_so(monkeypatch, variable):
    monkeypatch.setenv(variable, "0")
    assert _malloc.tune_malloc() is False


def _channel_major(shape):
    n, c, h, w = shape
    return RNG.standard_normal((c, n, h, w)).astype(np.float32).transpose(1, 0, 2, 3)


@pytest.mark.parametrize("kernel, stride, padding", [((2, 2), (2, 2), (0, 0)), ((3, 3), (1, 1), (1, 1))])
def test_max_pool_keeps_the_inputs_memory_layout_and_values(kernel, stride, padding):
    x = _channel_major((3, 2, 6, 6))
    pool = MaxPool2d()
    out = pool.forward(x, kernel, stride, padding)
    (gx,) = pool.backward(np.ones(out.shape, np.float32))  # a C-ordered grad is copied to x's layout
    assert np.array_equal(out, MaxPool2d().forward(np.ascontiguousarray(x), kernel, stride, padding))
    assert out.transpose(1, 0, 2, 3).flags.c_contiguous
    assert _layout(gx) == (1, 0, 2, 3)


def _conv_input_grad_by_definition(g, w, padding, input_shape):
    """d(sum(g * conv(x, w)))/dx, written directly: every output position hands g·w to its window."""
    (ph, pw), (n, c, h, wd) = padding, input_shape
    _, _, kh, kw = w.shape
    oh, ow = g.shape[2:]
    gxp = np.zeros((n, c, h + 2 * ph, wd + 2 * pw))
    for i in range(kh):
        for j in range(kw):
            gxp[:, :, i:i + oh, j:j + ow] += np.einsum("noyx,oc->ncyx", g, w[:, :, i, j])
    return gxp[:, :, ph:ph + h, pw:pw + wd]


@pytest.mark.parametrize("n, size, kernel, padding", [(16, 14, 3, 1), (4, 16, 1, 0), (3, 7, 3, 2)])
def test_stride1_conv_input_grad_matches_the_definition(n, size, kernel, padding):
    # the first two shapes make rows of whole 4 KiB pages, so the widened grid takes an extra column
    x = RNG.standard_normal((n, 2, size, size))
    w = RNG.standard_normal((3, 2, kernel, kernel))
    conv = Conv2d()
    conv.needs_input_grad = [True, True]
    out = conv.forward(x, w, stride=(1, 1), padding=(padding, padding))
    g = RNG.standard_normal(out.shape)
    gx, _ = conv.backward(g)
    assert np.allclose(gx, _conv_input_grad_by_definition(g, w, (padding, padding), x.shape), atol=1e-12)


def test_the_graph_does_not_keep_intermediate_results_alive():
    import weakref

    from npnn import Tensor

    x = Tensor(RNG.standard_normal((4, 3)), requires_grad=True)
    h = x + 1.0  # Add saves only shapes for its backward
    out = h.sum()
    alive = weakref.ref(h.data)
    del h
    assert alive() is None  # freed although the graph through it is still there
    out.backward()
    assert np.array_equal(x.grad, np.ones((4, 3)))
