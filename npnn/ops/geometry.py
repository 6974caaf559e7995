"""The output size of a window (convolution kernel or pooling window) sliding over an input: one formula."""


def output_size(size: int, kernel: int, stride: int = 1, padding: int = 0) -> int:
    """Window positions along one axis of length `size`, zero-padded by `padding` on both sides.

    PyTorch's formula for Conv2d and MaxPool2d/AvgPool2d (floor mode): (size + 2·padding − kernel) // stride + 1.
    """
    return (size + 2 * padding - kernel) // stride + 1


def output_hw(hw: tuple[int, int], kernel: tuple[int, int], stride: tuple[int, int],
              padding: tuple[int, int]) -> tuple[int, int]:
    """`output_size` for (height, width), each argument a (height, width) pair."""
    return (output_size(hw[0], kernel[0], stride[0], padding[0]),
            output_size(hw[1], kernel[1], stride[1], padding[1]))
