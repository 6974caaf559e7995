"""The speed paths change how work is done, never the result: one-thread small products and kept
heap memory."""
import numpy as np
import pytest

from npnn import _blas, _malloc

RNG = np.random.default_rng(0)


@pytest.mark.parametrize("shape_a, shape_b", [((3, 4), (4, 5)), ((4,), (4, 2)), ((3, 4), (4,)),
                                              ((2, 3, 4), (4, 5)), ((300, 300), (300, 300))])
def test_blas_matmul_equals_the_operator_and_restores_the_thread_count(shape_a, shape_b):
    a, b = RNG.random(shape_a, dtype=np.float32), RNG.random(shape_b, dtype=np.float32)
    before = _blas._get_threads() if _blas._get_threads else None
    assert np.array_equal(_blas.matmul(a, b), a @ b)
    if before is not None:
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

