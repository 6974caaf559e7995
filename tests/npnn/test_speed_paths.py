"""The speed paths change how work is done, never the result: one-thread small products, kept heap
memory, pooling that keeps the input's memory layout, and the stride-1 conv input gradient."""
import numpy as np
import pytest

from npnn import _blas, _malloc
from npnn.ops.conv import Conv2d, MaxPool2d, _layout

RNG = np.random.default_rng(0)


@pytest.mark.parametrize("shape_a, shape_b", [((3, 4), (4, 5)), ((4,), (4, 2)), ((3, 4), (4,)),
                                              ((2, 3, 4), (4, 5)), ((300, 300), (300, 300))])
def test_blas_matmul_equals_the_product(shape_a, shape_b):
    # NOTE: BLAS gives no bit-exact result across thread counts or kernels, so compare with the float64
    # product at float32's accuracy for sums of up to 300 terms
    a, b = RNG.random(shape_a, dtype=np.float32), RNG.random(shape_b, dtype=np.float32)
    out = _blas.matmul(a, b)
    assert out.shape == (a @ b).shape and out.dtype == np.float32
    np.testing.assert_allclose(out, a.astype(np.float64) @ b.astype(np.float64), rtol=1e-5)


@pytest.mark.skipif(_blas._get_threads is None, reason="needs NumPy's OpenBLAS")
@pytest.mark.parametrize("size", [4, round(_blas.SMALL_GEMM ** (1 / 3)) + 8])  # below and above SMALL_GEMM
def test_blas_matmul_restores_the_thread_count(size):
    before = _blas._get_threads()
    _blas.matmul(np.ones((size, size), np.float32), np.ones((size, size), np.float32))
    assert _blas._get_threads() == before


def test_blas_matmul_restores_the_thread_count_when_the_product_fails():
    before = _blas._get_threads() if _blas._get_threads else None
    with pytest.raises(ValueError):
        _blas.matmul(np.ones((2, 3), np.float32), np.ones((4, 5), np.float32))
    if before is not None:
        assert _blas._get_threads() == before


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
