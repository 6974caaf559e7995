"""2-D convolution (im2col + one GEMM per direction) and 2-D max pooling, on NCHW arrays.

NOTE: the convolution computes in a channel-major layout: its columns are (C*kh*kw, N*OH*OW), so the
forward product W @ cols is one GEMM whose result is (O, N, OH, OW) in memory. It is returned as an
NCHW *view* (transpose, no copy); pooling and pointwise ops keep that layout, and the next conv reads
it back without a copy. The layout is invisible to users: shapes and values are plain NCHW.
"""
import numpy as np
from numpy.lib.stride_tricks import as_strided

from npnn._blas import ONE_THREAD_WORK
from npnn._parallel import chunks, run_chunks
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


def _products(a: np.ndarray, b: np.ndarray, out: np.ndarray) -> None:
    """out (M, n, P) = a (M, K) @ b (K, n, P) for every sample: a stack of one-thread products when
    each is small (see npnn/_blas.py), else one product on BLAS's pool. Arrays keep their layouts."""
    m, k = a.shape
    if m * k * b.shape[2] <= ONE_THREAD_WORK:
        np.matmul(a, b.transpose(1, 0, 2), out=out.transpose(1, 0, 2))
    else:
        np.matmul(a, b.reshape(k, -1), out=out.reshape(m, -1))


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
    dcols = np.empty((c * kh * kw, n, oh * wq), dtype=g.dtype)
    _products(np.ascontiguousarray(wmat.T), wide.reshape(o, n, oh * wq), dcols)
    dcols = dcols.reshape(c, kh, kw, n, oh * wq)
    size = c * n * hp * wq
    flat = np.zeros(size + kw, dtype=g.dtype)  # kw spare zeros: the last shifted rows run past the grid
    steps = tuple(s * flat.itemsize for s in (n * hp * wq, hp * wq, 1))
    for i in range(kh):
        for j in range(kw):
            as_strided(flat[i * wq + j:], shape=(c, n, oh * wq), strides=steps)[...] += dcols[:, i, j]
    return flat[:size].reshape(c, n, hp, wq)[:, :, :, :wp]


def _input_grad_strided(g: np.ndarray, wmat: np.ndarray, padded_shape: tuple, kh: int, kw: int,
                        sh: int, sw: int) -> np.ndarray:
    """The same for any stride: col2im as one strided add per kernel position."""
    o, n, oh, ow = g.shape
    c = padded_shape[0]
    dcols = np.empty((c * kh * kw, n, oh * ow), dtype=g.dtype)
    _products(np.ascontiguousarray(wmat.T), g.reshape(o, n, oh * ow), dcols)
    dcols = dcols.reshape(c, kh, kw, n, oh, ow)
    dxp = np.zeros(padded_shape, dtype=g.dtype)  # (C, N, Hp, Wp)
    for i in range(kh):
        for j in range(kw):
            dxp[:, :, i:i + sh * (oh - 1) + 1:sh, j:j + sw * (ow - 1) + 1:sw] += dcols[:, i, j]
    return dxp


class Conv2d(Function):
    """y = conv(x, w) + b with x (N, C, H, W), w (O, C, kh, kw), b (O,) or absent.

    NOTE: both directions run per chunk of the batch (npnn/_parallel.py); the weight gradient is one
    product per sample, summed over the whole batch after the chunks, so chunking changes no result.
    """

    def forward(self, x, w, b=None, stride=(1, 1), padding=(0, 0)):
        n, c, h, wd = x.shape
        o, _, kh, kw = w.shape
        (sh, sw), (ph, pw) = stride, padding
        oh, ow = output_hw((h, wd), (kh, kw), stride, padding)
        wmat = w.reshape(o, -1)
        out = np.empty((o, n, oh * ow), dtype=np.result_type(x, w))

        def chunk(start, stop):
            xp = _channel_major_padded(x[start:stop], ph, pw)
            cols = _windows(xp, kh, kw, sh, sw, oh, ow).reshape(c * kh * kw, stop - start, oh * ow)  # one copy
            _products(wmat, cols, out[:, start:stop])
            if b is not None:
                out[:, start:stop] += b[:, None, None]
            return cols

        self.parts = chunks(n)
        self.cols = run_chunks(chunk, n, self.parts)
        self.wmat, self.geometry = wmat, (x.shape, kh, kw, sh, sw, ph, pw, oh, ow)
        return out.reshape(o, n, oh, ow).transpose(1, 0, 2, 3)

    def backward(self, grad):
        (n, c, h, wd), kh, kw, sh, sw, ph, pw, oh, ow = self.geometry
        o = self.wmat.shape[0]
        g = grad.transpose(1, 0, 2, 3).reshape(o, n, oh * ow)  # a view when grad kept our layout
        want_x, want_w = self.needs_input_grad[0], self.needs_input_grad[1]
        want_b = len(self.needs_input_grad) > 2 and self.needs_input_grad[2]
        gx_cm = np.empty((c, n, h, wd), dtype=grad.dtype) if want_x and len(self.parts) > 1 else None
        gw_each = np.empty((n, o, c * kh * kw), dtype=grad.dtype) if want_w else None

        def chunk(start, stop):
            gi, cols = g[:, start:stop], self.cols[[p[0] for p in self.parts].index(start)]
            if want_w:  # NOTE: one small product per sample, summed: faster than one long, thin product
                np.matmul(gi.transpose(1, 0, 2), cols.transpose(1, 2, 0), out=gw_each[start:stop])
            if want_x:
                g4 = gi.reshape(o, stop - start, oh, ow)
                padded = (c, stop - start, h + 2 * ph, wd + 2 * pw)
                dxp = (_input_grad_stride1(g4, self.wmat, padded, kh, kw) if (sh, sw) == (1, 1)
                       else _input_grad_strided(g4, self.wmat, padded, kh, kw, sh, sw))
                if gx_cm is None:  # one chunk: the cropped padded gradient itself (a view, no copy)
                    return dxp[:, :, ph:ph + h, pw:pw + wd]
                gx_cm[:, start:stop] = dxp[:, :, ph:ph + h, pw:pw + wd]  # channel-major, as x's layout
            return gx_cm

        gx = run_chunks(chunk, n, self.parts)[0]
        gx = gx.transpose(1, 0, 2, 3) if want_x else None
        gw = gw_each.sum(axis=0).reshape(o, c, kh, kw) if want_w else None
        gb = g.sum(axis=(1, 2)) if want_b else None
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
        self.layout = layout = _layout(x)
        self.positions = [(slice(i, i + sh * (oh - 1) + 1, sh), slice(j, j + sw * (ow - 1) + 1, sw))
                          for i in range(kh) for j in range(kw)]
        out = _empty((n, c, oh, ow), x.dtype, layout)  # keeps the memory layout of x
        index = _empty((n, c, oh, ow), np.uint8 if len(self.positions) < 256 else np.int32, layout)

        def chunk(start, stop):
            xp = x[start:stop]
            if ph or pw:
                xp = _empty((stop - start, c, h + 2 * ph, w + 2 * pw), x.dtype, layout)
                xp.fill(-np.inf)
                xp[:, :, ph:ph + h, pw:pw + w] = x[start:stop]
            windows = [xp[:, :, rows, cols] for rows, cols in self.positions]
            best, first = out[start:stop], index[start:stop]
            np.copyto(best, windows[0])
            for window in windows[1:]:
                np.maximum(best, window, out=best)
            # index of each window's first maximum, in window order: the count of leading misses
            missed = windows[0] != best
            np.copyto(first, missed)
            for window in windows[1:-1]:
                missed &= window != best
                first += missed

        run_chunks(chunk, n)
        self.index, self.input_shape, self.padding = index, x.shape, (ph, pw)
        self.padded_shape = (n, c, h + 2 * ph, w + 2 * pw)
        self.tiles = (ph, pw) == (0, 0) and (sh, sw) == (kh, kw) and (h, w) == (oh * kh, ow * kw)
        return out

    def backward(self, grad):
        if _layout(grad) != self.layout:  # one copy, so every pass below runs in memory order
            grad = _copy(grad, self.layout)
        gxp = _empty(self.padded_shape, grad.dtype, self.layout)

        def chunk(start, stop):
            g, index, gx = grad[start:stop], self.index[start:stop], gxp[start:stop]
            if self.tiles:  # each input element lies in exactly one window: one write each, no zero fill
                for k, (rows, cols) in enumerate(self.positions):
                    np.multiply(g, index == k, out=gx[:, :, rows, cols])
                return
            gx.fill(0)
            for k, (rows, cols) in enumerate(self.positions):  # windows may overlap: accumulate
                gx[:, :, rows, cols] += g * (index == k)

        run_chunks(chunk, len(grad))
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
