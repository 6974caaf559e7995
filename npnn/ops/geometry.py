"""The output size of a window (convolution kernel or pooling window) sliding over an input: one formula."""


def output_size(size: int, kernel: int, stride: int = 1, padding: int = 0, ceil_mode: bool = False) -> int:
    """Window positions along one axis of length `size`, padded by `padding` on both sides.

    PyTorch's formula for Conv2d and the pooling layers: (size + 2·padding − kernel) / stride + 1, rounded
    down, or up with `ceil_mode` (pooling only), where the last window must still start inside the input
    or its left padding.
    """
    out = (size + 2 * padding - kernel + (stride - 1 if ceil_mode else 0)) // stride + 1
    if ceil_mode and (out - 1) * stride >= size + padding:
        out -= 1  # NOTE: PyTorch's rule: no window may start in the right padding alone
    return out


def output_hw(hw: tuple[int, int], kernel: tuple[int, int], stride: tuple[int, int],
              padding: tuple[int, int], ceil_mode: bool = False) -> tuple[int, int]:
    """`output_size` for (height, width), each argument a (height, width) pair."""
    return (output_size(hw[0], kernel[0], stride[0], padding[0], ceil_mode),
            output_size(hw[1], kernel[1], stride[1], padding[1], ceil_mode))
