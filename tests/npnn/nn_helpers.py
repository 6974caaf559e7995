"""Shared helpers for the npnn.nn tests: gradcheck a Module through its own forward."""
import numpy as np
import pytest

import npnn
from npnn import gradcheck


@pytest.fixture
def float64():
    """Build layers in float64 for the test, then restore float32."""
    previous = npnn.get_default_dtype()
    npnn.set_default_dtype(np.float64)
    yield
    npnn.set_default_dtype(previous)


def check_module(module, *inputs) -> bool:
    """gradcheck module(*inputs) with respect to the inputs and every parameter of the module.

    The parameters are swapped for gradcheck's float64 copies while it runs, so the module's own
    forward (checks, functional call, fused op) is what gets differentiated.
    """
    slots = [(owner, name) for owner in module.modules() for name in owner._parameters]
    originals = [owner.__dict__[name] for owner, name in slots]

    def fn(*tensors):
        for (owner, name), p in zip(slots, tensors[len(inputs):]):
            object.__setattr__(owner, name, p)
        return module(*tensors[:len(inputs)])

    try:
        return gradcheck(fn, *inputs, *[p.data for p in originals])
    finally:
        for (owner, name), p in zip(slots, originals):
            object.__setattr__(owner, name, p)
