"""2-D convolution (im2col + one GEMM per direction) and 2-D max pooling, on NCHW arrays.

NOTE: the convolution computes in a channel-major layout: its columns are (C*kh*kw, N*OH*OW), so the
forward product W @ cols is one GEMM whose result is (O, N, OH, OW) in memory. It is returned as an
NCHW *view* (transpose, no copy); pooling and pointwise ops keep that layout, and the next conv reads
it back without a copy. The layout is invisible to users: shapes and values are plain NCHW.
"""
import numpy as np
from numpy.lib.stride_tricks import as_strided

from npnn._blas import matmul
from npnn.ops.geometry import output_hw
from npnn.tensor import Function


def _channel_major_padded(x: np.ndarray, ph: int, pw: int) -> np.ndarray:
    """x (N, C, H, W) as a (C, N, H+2ph, W+2pw) array, zero-padded; a view when there is no padding."""
    xc = x.transpose(1, 0, 2, 3)
    if not (ph or pw):
        return xc
    n, c, h, w = x.shape
    padded = np.zeros((c, n, h + 2 * ph, w + 2 * pw), dtype=x.dtype)
    padded[:, :, ph:ph + h, pw:pw + w] = xc
    return padded


def _windows(xp: np.ndarray, kh: int, kw: int, sh: int, sw: int, oh: int, ow: int) -> np.ndarray:
    """A strided (C, kh, kw, N, OH, OW) view of every kernel window of a (C, N, Hp, Wp) array."""
    c, n, _, _ = xp.shape
    s = xp.strides
    return as_strided(xp, shape=(c, kh, kw, n, oh, ow),
                      strides=(s[0], s[2], s[3], s[1], s[2] * sh, s[3] * sw), writeable=False)


def _input_grad_stride1(g: np.ndarray, wmat: np.ndarray, padded_shape: tuple, kh: int, kw: int) -> np.ndarray:
    """The gradient of a stride-1 convolution's padded input, (C, N, Hp, Wp), from g (O, N, OH, OW).

    NOTE: g is widened to a grid of Wq >= Wp columns, zero beyond OW. On such a grid, kernel offset
    (i, j) is the flat shift i·Wq + j, so col2im is kh·kw adds of rows of OH·Wq values rather than of
    OW-long pieces (about 2x faster at 14x14). The zero columns add nothing where rows wrap around.
    """
    o, n, oh, ow = g.shape
    c, _, hp, wp = padded_shape
    wq = wp
    if (n * oh * g.itemsize) % 4096:  # else every width gives whole pages: nothing to avoid
        while (n * oh * wq * g.itemsize) % 4096 == 0:  # rows of whole 4 KiB pages make OpenBLAS's GEMM thrash
            wq += 1
    wide = np.zeros((o, n, oh, wq), dtype=g.dtype)
    wide[:, :, :, :ow] = g
    dcols = matmul(wmat.T, wide.reshape(o, n * oh * wq)).reshape(c, kh, kw, n, oh * wq)
    size = c * n * hp * wq
    flat = np.zeros(size + kw, dtype=g.dtype)  # kw spare zeros: the last shifted rows run past the grid
    steps = tuple(s * flat.itemsize for s in (n * hp * wq, hp * wq, 1))
    for i in range(kh):
        for j in range(kw):
            as_strided(flat[i * wq + j:], shape=(c, n, oh * wq), strides=steps)[...] += dcols[:, i, j]
    return flat[:size].reshape(c, n, hp, wq)[:, :, :, :wp]


class Conv2d(Function):
    """y = conv(x, w) + b with x (N, C, H, W), w (O, C, kh, kw), b (O,) or absent."""

    def forward(self, x, w, b=None, stride=(1, 1), padding=(0, 0)):
        n, c, h, wd = x.shape
        o, _, kh, kw = w.shape
        (sh, sw), (ph, pw) = stride, padding
        oh, ow = output_hw((h, wd), (kh, kw), stride, padding)
        xp = _channel_major_padded(x, ph, pw)
        cols = _windows(xp, kh, kw, sh, sw, oh, ow).reshape(c * kh * kw, n * oh * ow)  # one copy
        wmat = w.reshape(o, -1)
        out = matmul(wmat, cols)
        if b is not None:
            out += b[:, None]
        self.cols, self.wmat, self.geometry = cols, wmat, (x.shape, xp.shape, kh, kw, sh, sw, ph, pw, oh, ow)
        return out.reshape(o, n, oh, ow).transpose(1, 0, 2, 3)

    def backward(self, grad):
        (n, c, h, wd), padded_shape, kh, kw, sh, sw, ph, pw, oh, ow = self.geometry
        o = self.wmat.shape[0]
        g = grad.transpose(1, 0, 2, 3).reshape(o, n * oh * ow)  # a view when grad kept our layout
        gw = None
        if self.needs_input_grad[1]:
            # NOTE: one GEMM per sample, summed, is 2-4x faster here than the single (O, N·P) @ (N·P, K)
            # product, which OpenBLAS runs slowly for this long, thin shape
            gw = matmul(g.reshape(o, n, -1).transpose(1, 0, 2),
                        self.cols.reshape(c * kh * kw, n, -1).transpose(1, 2, 0)).sum(axis=0).reshape(o, c, kh, kw)
        gb = g.sum(axis=1) if len(self.needs_input_grad) > 2 and self.needs_input_grad[2] else None
        gx = None
        if self.needs_input_grad[0] and (sh, sw) == (1, 1):
            dxp = _input_grad_stride1(g.reshape(o, n, oh, ow), self.wmat, padded_shape, kh, kw)
            gx = dxp[:, :, ph:ph + h, pw:pw + wd].transpose(1, 0, 2, 3)
        elif self.needs_input_grad[0]:
            dcols = matmul(self.wmat.T, g).reshape(c, kh, kw, n, oh, ow)
            dxp = np.zeros(padded_shape, dtype=grad.dtype)  # (C, N, Hp, Wp)
            for i in range(kh):  # col2im: one strided add per kernel position
                for j in range(kw):
                    dxp[:, :, i:i + sh * (oh - 1) + 1:sh, j:j + sw * (ow - 1) + 1:sw] += dcols[:, i, j]
            gx = dxp[:, :, ph:ph + h, pw:pw + wd].transpose(1, 0, 2, 3)
        return (gx, gw, gb) if len(self.needs_input_grad) > 2 else (gx, gw)


class MaxPool2d(Function):
    """Max over kernel windows; the gradient goes to the first maximum of each window, as in PyTorch.

    NOTE: both directions loop over the kh*kw kernel positions, each a strided slice of the whole batch.
    That handles overlap and padding alike and beats a reshape + max(axis=(3, 5)) even when windows
    tile the input (strided-axis reductions are slow in NumPy: ~8 ms against ~0.3 ms for the CNN).
    Forward keeps only the position of each window's maximum (one byte per output, not the input),
    so backward is one masked write per position; arrays keep the input's memory layout.
    """

    def forward(self, x, kernel_size=(2, 2), stride=(2, 2), padding=(0, 0)):
        n, c, h, w = x.shape
        (kh, kw), (sh, sw), (ph, pw) = kernel_size, stride, padding
        oh, ow = output_hw((h, w), kernel_size, stride, padding)
        self.layout = _layout(x)
        xp = x
        if ph or pw:
            xp = _empty((n, c, h + 2 * ph, w + 2 * pw), x.dtype, self.layout)
            xp.fill(-np.inf)
            xp[:, :, ph:ph + h, pw:pw + w] = x
        self.positions = [(slice(i, i + sh * (oh - 1) + 1, sh), slice(j, j + sw * (ow - 1) + 1, sw))
                          for i in range(kh) for j in range(kw)]
        windows = [xp[:, :, rows, cols] for rows, cols in self.positions]
        out = windows[0].copy(order="K")  # keeps the memory layout of x
        for window in windows[1:]:
            np.maximum(out, window, out=out)
        # index of each window's first maximum, in window order: the count of leading misses
        missed = windows[0] != out
        index = missed.astype(np.uint8 if len(windows) < 256 else np.int32)
        for window in windows[1:-1]:
            missed &= window != out
            index += missed
        self.index, self.padded_shape, self.input_shape, self.padding = index, xp.shape, x.shape, (ph, pw)
        self.tiles = (ph, pw) == (0, 0) and (sh, sw) == (kh, kw) and (h, w) == (oh * kh, ow * kw)
        return out

    def backward(self, grad):
        index = self.index
        if _layout(grad) != self.layout:  # one copy, so every pass below runs in memory order
            grad = _copy(grad, self.layout)
        if self.tiles:  # each input element lies in exactly one window: one write each, no zero fill
            gx = _empty(self.padded_shape, grad.dtype, self.layout)
            for k, (rows, cols) in enumerate(self.positions):
                np.multiply(grad, index == k, out=gx[:, :, rows, cols])
            return (gx,)
        gxp = _empty(self.padded_shape, grad.dtype, self.layout)
        gxp.fill(0)
        for k, (rows, cols) in enumerate(self.positions):  # windows may overlap: accumulate
            gxp[:, :, rows, cols] += grad * (index == k)
        (ph, pw), (_, _, h, w) = self.padding, self.input_shape
        return (gxp[:, :, ph:ph + h, pw:pw + w],)


def _layout(x: np.ndarray) -> tuple:
    """The axis order of x in memory, outermost first (NCHW is (0, 1, 2, 3))."""
    return tuple(sorted(range(x.ndim), key=lambda axis: -x.strides[axis]))


def _empty(shape: tuple, dtype, layout: tuple) -> np.ndarray:
    """An uninitialised array of `shape` laid out in memory in the axis order `layout`."""
    return np.empty([shape[a] for a in layout], dtype=dtype).transpose(np.argsort(layout))


def _copy(x: np.ndarray, layout: tuple) -> np.ndarray:
    """x copied into memory in the axis order `layout`."""
    out = _empty(x.shape, x.dtype, layout)
    out[...] = x
    return out
