"""Average pooling: fixed windows (AvgPool2d) and PyTorch's adaptive windows (AdaptiveAvgPool2d)."""
import numpy as np

from npnn.tensor import Function


class AvgPool2d(Function):
    """Window sums as kh·kw strided slice additions (a loop over the kernel, never over pixels),
    divided by one divisor per output position (PyTorch's, computed by the caller)."""

    def forward(self, x, kernel_size, stride, padding, out_size, divisor):
        (kh, kw), (sh, sw), (ph, pw), (oh, ow) = kernel_size, stride, padding, out_size
        n, c, h, w = x.shape
        # NOTE: zero padding on the far side also covers ceil_mode's last window; zeros add nothing
        hp, wp = max(h + 2 * ph, (oh - 1) * sh + kh), max(w + 2 * pw, (ow - 1) * sw + kw)
        self.geometry, self.shape, self.divisor = (kernel_size, stride, padding, out_size, (hp, wp)), x.shape, divisor
        if (hp, wp) != (h, w):
            padded = np.zeros((n, c, hp, wp), dtype=x.dtype)
            padded[:, :, ph:ph + h, pw:pw + w] = x
            x = padded
        out = np.zeros((n, c, oh, ow), dtype=x.dtype)
        for i in range(kh):
            for j in range(kw):
                out += x[:, :, i:i + (oh - 1) * sh + 1:sh, j:j + (ow - 1) * sw + 1:sw]
        out /= divisor
        return out

    def backward(self, grad):
        (kh, kw), (sh, sw), (ph, pw), (oh, ow), (hp, wp) = self.geometry
        n, c, h, w = self.shape
        share = grad / self.divisor
        gx = np.zeros((n, c, hp, wp), dtype=grad.dtype)
        for i in range(kh):
            for j in range(kw):
                gx[:, :, i:i + (oh - 1) * sh + 1:sh, j:j + (ow - 1) * sw + 1:sw] += share
        return (gx[:, :, ph:ph + h, pw:pw + w],)


class SeparableMean2d(Function):
    """y = A_h · x · A_wᵀ over the last two axes, for averaging matrices A_h (oh, H), A_w (ow, W):
    adaptive average pooling is separable, so it is two small matrix products each way."""

    def forward(self, x, rows, cols):
        self.rows, self.cols, self.shape = rows, cols, x.shape
        n, c, h, w = x.shape
        across = (x.reshape(-1, w) @ cols.T).reshape(n, c, h, cols.shape[0])
        return np.matmul(rows, across)

    def backward(self, grad):
        n, c, h, w = self.shape
        up = np.matmul(self.rows.T, grad)  # (n, c, h, ow)
        return ((up.reshape(-1, up.shape[-1]) @ self.cols).reshape(n, c, h, w),)
