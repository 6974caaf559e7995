"""One output-size formula for windows: Conv2d and MaxPool2d produce the sizes npnn.ops.geometry gives."""
import numpy as np
import pytest

from npnn import Tensor, nn
from npnn.ops.geometry import output_hw, output_size


@pytest.mark.parametrize("size, kernel, stride, padding, expected", [
    (28, 3, 1, 1, 28), (28, 2, 2, 0, 14), (7, 2, 2, 0, 3), (5, 5, 1, 0, 1), (10, 3, 3, 1, 4),
])
def test_output_size_is_pytorch_s_floor_formula(size, kernel, stride, padding, expected):
    assert output_size(size, kernel, stride, padding) == expected


@pytest.mark.parametrize("size, kernel, stride, padding, expected", [
    (5, 2, 2, 0, 3), (4, 2, 2, 0, 2), (6, 3, 2, 1, 4), (5, 3, 2, 1, 3), (7, 3, 3, 0, 3), (2, 2, 2, 1, 2),
    (5, 2, 3, 1, 2), (6, 2, 4, 1, 2), (3, 2, 2, 1, 2),  # rounding up would start a window in the padding
])
def test_ceil_mode_rounds_up_but_never_starts_a_window_in_the_right_padding(size, kernel, stride, padding, expected):
    # expected: torch.nn.AvgPool2d(kernel, stride, padding, ceil_mode=True) on a (1, 1, size, size) input
    assert output_size(size, kernel, stride, padding, ceil_mode=True) == expected


@pytest.mark.parametrize("layer", [nn.Conv2d(2, 3, kernel_size=3, stride=2, padding=1),
                                   nn.MaxPool2d(3, stride=2, padding=1), nn.MaxPool2d(2)])
def test_layers_produce_the_sizes_the_formula_gives(layer):
    x = Tensor(np.zeros((1, 2, 9, 12), dtype=np.float32))
    kernel = layer.kernel_size if isinstance(layer.kernel_size, tuple) else (layer.kernel_size,) * 2
    stride = layer.stride if isinstance(layer.stride, tuple) else (layer.stride,) * 2
    padding = layer.padding if isinstance(layer.padding, tuple) else (layer.padding,) * 2
    assert layer(x).shape[2:] == output_hw((9, 12), kernel, stride, padding)
