"""summary(model, input_shape): each layer's label, output shape and parameter count, for UIs."""
import numpy as np

from npnn.nn.module import Module
from npnn.tensor import Tensor, get_default_dtype, no_grad


def summary(model: Module, input_shape, dtype=None) -> list:
    """Run one zero sample of `input_shape` (no batch dimension) through the model's children in order.

    `dtype`: the sample's (default: the default float dtype; int64 for token ids, as torchinfo's dtypes).
    Returns [(layer label, output shape without the batch dimension, parameter count), ...]. Meant
    for Sequential-like models, whose children are applied one after another; the model's
    train/eval mode is left as it was.
    """
    children = list(model.children())
    if not children:
        raise TypeError(f"summary expects a model with child layers applied in order (e.g. Sequential), "
                        f"got {type(model).__name__} with none")
    x = Tensor(np.zeros((1,) + tuple(input_shape), dtype=dtype or get_default_dtype()))
    rows = []
    with no_grad():
        for layer in children:
            x = layer(x)
            rows.append((layer.label(), tuple(x.shape[1:]), layer.num_parameters()))
    return rows
