"""Conv2d backward on batch geometries that used to trip the stride-1 col2im layout search."""
import numpy as np

import npnn
from npnn import nn


def test_conv_backward_when_batch_rows_fill_whole_pages():
    # N * OH * itemsize = 256 * 4 * 4 bytes = 4 KiB: no grid width avoids page-aligned rows
    npnn.manual_seed(0)
    conv = nn.Conv2d(8, 16, 3, padding=1)
    x = npnn.Tensor(np.random.default_rng(0).standard_normal((256, 8, 4, 4)).astype(np.float32),
                    requires_grad=True)
    conv(x).sum().backward()
    assert x.grad.shape == x.shape and np.isfinite(x.grad).all()
    # the input gradient of sum(conv(x)) is the sum of the weights over output channels, cropped by padding
    w = conv.weight.data.sum(axis=0)
    np.testing.assert_allclose(x.grad[0, :, 1, 1], w.sum(axis=(1, 2)), rtol=1e-5)
