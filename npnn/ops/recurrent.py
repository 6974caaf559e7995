"""Fused recurrent layers: one direction of one GRU or LSTM layer over a whole sequence, with a
hand-written backward through time (PyTorch's gate order and equations).

NOTE: composing the same step from Tensor ops costs ~20 graph nodes per time step (slices, products,
gates) and their bookkeeping: such a GRU layer (hidden 128, batch 64, seq 32, forward + backward)
measured 4x slower than this one (470-525 ms against 119-131 ms on the shared machine at load ~8).
Here the input-to-hidden product is one GEMM for all time steps, each step adds only the hidden
product and a few in-place elementwise calls, and the backward pass loops over time steps (never over
batch elements) with each weight gradient summed by one GEMM at the end.
"""
import numpy as np

from npnn._blas import matmul
from npnn.tensor import Function


def _sigmoid_(a: np.ndarray) -> np.ndarray:
    """In place: sigmoid(a) = 0.5·tanh(a/2) + 0.5.

    NOTE: never overflows and takes three in-place calls; a gate's far left tail rounds to 0, which
    a gate value (unlike a log-probability) can afford."""
    a *= 0.5
    np.tanh(a, out=a)
    a *= 0.5
    a += 0.5
    return a


def _sigmoid_slope(s: np.ndarray) -> np.ndarray:
    """σ' from σ's output: s·(1 - s)."""
    slope = 1 - s
    slope *= s
    return slope


def _tanh_slope(t: np.ndarray) -> np.ndarray:
    """tanh' from tanh's output: 1 - t²."""
    slope = t * t
    np.subtract(1, slope, out=slope)
    return slope


def _transposed(w: np.ndarray) -> np.ndarray:
    """wᵀ as a C-contiguous copy.

    NOTE: npnn's matmul issues mid-sized products as a stack of row blocks; NumPy runs that stack
    ~4x slower when the right operand is a transposed view (measured: 64x128 @ 128x512 in 420 µs
    against 125 µs), so each step's product gets a contiguous wᵀ, copied once per sequence."""
    return np.ascontiguousarray(w.T)


def _input_gates(x: np.ndarray, w_ih: np.ndarray, bias) -> np.ndarray:
    """x (T, B, I) @ w_ihᵀ (+ bias) for every time step in one GEMM: (T, B, G·H)."""
    t, b, i = x.shape
    gates = matmul(x.reshape(t * b, i), _transposed(w_ih))
    if bias is not None:
        gates += bias
    return gates.reshape(t, b, -1)


def _previous(seq: np.ndarray, first: np.ndarray, reverse: bool) -> np.ndarray:
    """The state each step started from: `first` at the first processed step, else its neighbour's output."""
    prev = np.empty_like(seq)
    if reverse:
        prev[:-1], prev[-1] = seq[1:], first
    else:
        prev[1:], prev[0] = seq[:-1], first
    return prev


def _weight_grads(d_gates: np.ndarray, inputs: np.ndarray, needs: bool, dtype):
    """dW of gates = inputs @ Wᵀ, summed over time and batch in one GEMM; None where unneeded."""
    if not needs:
        return None
    flat = d_gates.reshape(-1, d_gates.shape[-1])
    # NOTE: as inputsᵀ @ d_gates, transposed back: one-thread row blocks of the transposed d_gates took
    # 1.36 ms against 0.94 ms for the (2048, 512) x (2048, 32) product of the benchmark's input weights
    return matmul(_transposed(inputs.reshape(-1, inputs.shape[-1])), flat).T.astype(dtype, copy=False)


class _RecurrentLayer(Function):
    """Shared bookkeeping: inputs are (x, h0[, c0], w_ih, w_hh[, b_ih, b_hh][, w_hr]); x is (T, B, I)."""

    n_states = 1

    @classmethod
    def run(cls, x, states, weights, reverse: bool) -> tuple:
        """One fused op over Tensors: (output sequence (T, B, H), [h_n(, c_n)]) of this direction."""
        packed = cls.apply(x, *states, *weights, reverse=reverse)
        return cls._split(packed, x.shape[0], 0 if reverse else x.shape[0] - 1, states[0].shape[-1])

    @staticmethod
    def _split(packed, steps: int, last: int, size: int) -> tuple:
        """The packed output's sequence and final states (each op knows its layout); `size`: h's width."""
        raise NotImplementedError

    def _unpack(self, arrays):
        states, rest = arrays[1:1 + self.n_states], arrays[1 + self.n_states:]
        w_ih, w_hh = rest[0], rest[1]
        b_ih, b_hh = (rest[2], rest[3]) if len(rest) >= 4 else (None, None)
        w_hr = rest[-1] if len(rest) in (3, 5) else None
        return arrays[0], states, w_ih, w_hh, b_ih, b_hh, w_hr

    def _input_side_grads(self, d_gates, d_states):
        """Gradients of x, the initial states, w_ih, w_hh and the biases, in the inputs' order."""
        x, w_ih, needs = self.x, self.w_ih, self.needs_input_grad
        dx = matmul(d_gates, w_ih).astype(x.dtype, copy=False) if needs[0] else None
        grads = [dx, *d_states,
                 _weight_grads(d_gates, x, needs[1 + self.n_states], w_ih.dtype),
                 _weight_grads(self.d_hidden_gates, self.h_prev, needs[2 + self.n_states], self.w_hh.dtype)]
        if self.has_bias:
            grads += [d_gates.sum(axis=(0, 1)), self.d_hidden_gates.sum(axis=(0, 1))]
        return tuple(grads)


class LSTMLayer(_RecurrentLayer):
    """Output (T+1, B, H): rows 0..T-1 hold h_t in time order (in their first P columns when projected),
    row T the final cell state c_n.

    i, f, g, o = σ, σ, tanh, σ of x W_ihᵀ + b_ih + h W_hhᵀ + b_hh; c' = f·c + i·g; h' = o·tanh(c'),
    or with a projection w_hr (P, H): h' = (o·tanh(c')) W_hrᵀ.
    """

    n_states = 2

    @staticmethod
    def _split(packed, steps: int, last: int, size: int) -> tuple:
        return packed[:steps, :, :size], [packed[last, :, :size], packed[steps]]

    def forward(self, *arrays, reverse: bool = False):
        x, (h, c), w_ih, w_hh, b_ih, b_hh, w_hr = self._unpack(arrays)
        x = np.ascontiguousarray(x)  # NOTE: batch_first input arrives transposed; backward reuses the copy
        steps, hidden = x.shape[0], w_hh.shape[0] // 4
        bias = None if b_ih is None else b_ih + b_hh  # NOTE: both biases add before any gate
        gates = _input_gates(x, w_ih, bias)
        out = np.empty((steps + 1,) + c.shape, dtype=gates.dtype)
        hs, cells, tanh_cells = out[:steps, :, :h.shape[-1]], np.empty_like(out[:steps]), np.empty_like(out[:steps])
        cell_outs = hs if w_hr is None else np.empty_like(cells)  # o·tanh(c), which w_hr projects
        out[:steps, :, h.shape[-1]:] = 0  # NOTE: the columns a projected h leaves unused hold no garbage
        w_hr_t = None if w_hr is None else _transposed(w_hr)
        w_hh_t, g = _transposed(w_hh), slice(2 * hidden, 3 * hidden)
        for t in (range(steps - 1, -1, -1) if reverse else range(steps)):
            a = gates[t]
            a += matmul(h, w_hh_t)
            pre_g = a[:, g].copy()
            _sigmoid_(a)
            np.tanh(pre_g, out=a[:, g])
            i, f, gg, o = a[:, :hidden], a[:, hidden:g.start], a[:, g], a[:, g.stop:]
            c = cells[t] = f * c + i * gg
            np.tanh(c, out=tanh_cells[t])
            h = cell_outs[t] = o * tanh_cells[t]
            if w_hr_t is not None:
                h = hs[t] = matmul(h, w_hr_t)
        out[steps] = c
        self.x, self.w_ih, self.w_hh, self.reverse, self.has_bias = x, w_ih, w_hh, reverse, b_ih is not None
        self.acts, self.tanh_cells, self.h0, self.c0 = gates, tanh_cells, arrays[1], arrays[2]
        self.w_hr, self.cell_outs = w_hr, cell_outs
        self.h_prev, self.c_prev = _previous(hs, self.h0, reverse), _previous(cells, self.c0, reverse)
        return out

    def backward(self, grad):
        acts, tc, w_hr = self.acts, self.tanh_cells, self.w_hr
        hidden, size = tc.shape[-1], self.h0.shape[-1]
        steps, batch = acts.shape[:2]
        i, f, gg, o = (acts[..., k * hidden:(k + 1) * hidden] for k in range(4))
        # NOTE: everything that does not depend on the carried gradients is computed for all steps at once
        local = np.empty_like(acts)  # d gate pre-activation per unit of dc (i, f, g) or of dh (o)
        np.multiply(gg, _sigmoid_slope(i), out=local[..., :hidden])
        np.multiply(self.c_prev, _sigmoid_slope(f), out=local[..., hidden:2 * hidden])
        np.multiply(i, _tanh_slope(gg), out=local[..., 2 * hidden:3 * hidden])
        np.multiply(tc, _sigmoid_slope(o), out=local[..., 3 * hidden:])
        dc_per_dh = _tanh_slope(tc)
        dc_per_dh *= o
        d_gates = np.empty_like(acts)
        by_gate, local_by_gate = d_gates.reshape(steps, batch, 4, hidden), local.reshape(steps, batch, 4, hidden)
        dh, dc = np.zeros_like(grad[0, :, :size]), grad[steps].copy()
        d_hs = None if w_hr is None else np.empty(grad[:steps, :, :size].shape, dtype=grad.dtype)
        for t in (range(steps) if self.reverse else range(steps - 1, -1, -1)):
            dh += grad[t, :, :size]
            if d_hs is not None:
                d_hs[t] = dh
                dh = matmul(dh, w_hr)  # NOTE: from here on, the gradient of o·tanh(c)
            dc += dh * dc_per_dh[t]
            np.multiply(dc[:, None, :], local_by_gate[t, :, :3], out=by_gate[t, :, :3])
            np.multiply(dh, local_by_gate[t, :, 3], out=by_gate[t, :, 3])
            dh = matmul(d_gates[t], self.w_hh)
            dc *= f[t]
        self.d_hidden_gates = d_gates
        needs = self.needs_input_grad
        grads = self._input_side_grads(d_gates, [dh if needs[1] else None, dc if needs[2] else None])
        if w_hr is None:
            return grads
        return grads + (_weight_grads(d_hs, self.cell_outs, needs[-1], w_hr.dtype),)


class GRULayer(_RecurrentLayer):
    """Output (T, B, H): h_t in time order (PyTorch's GRU equations).

    r, z = σ(x W_irᵀ + b_ir + h W_hrᵀ + b_hr), σ(… z …); n = tanh(x W_inᵀ + b_in + r·(h W_hnᵀ + b_hn));
    h' = (1 - z)·n + z·h.
    """

    @staticmethod
    def _split(packed, steps: int, last: int, size: int) -> tuple:
        return packed, [packed[last]]

    def forward(self, *arrays, reverse: bool = False):
        x, (h,), w_ih, w_hh, b_ih, b_hh, _ = self._unpack(arrays)
        x = np.ascontiguousarray(x)
        steps, hidden = x.shape[0], w_hh.shape[1]
        gates = _input_gates(x, w_ih, b_ih)
        out = np.empty((steps,) + h.shape, dtype=gates.dtype)
        hidden_n = np.empty_like(out)  # h W_hnᵀ + b_hn per step: r's gradient needs it
        w_hh_t = _transposed(w_hh)
        for t in (range(steps - 1, -1, -1) if reverse else range(steps)):
            gh = matmul(h, w_hh_t)
            if b_hh is not None:
                gh += b_hh
            a = gates[t]
            rz = a[:, :2 * hidden]
            rz += gh[:, :2 * hidden]
            _sigmoid_(rz)
            hidden_n[t] = gh[:, 2 * hidden:]
            n = a[:, 2 * hidden:]
            n += rz[:, :hidden] * hidden_n[t]
            np.tanh(n, out=n)
            h = out[t] = n + rz[:, hidden:] * (h - n)
        self.x, self.w_ih, self.w_hh, self.reverse, self.has_bias = x, w_ih, w_hh, reverse, b_ih is not None
        self.acts, self.hidden_n = gates, hidden_n
        self.h_prev = _previous(out, arrays[1], reverse)
        return out

    def backward(self, grad):
        acts, hidden = self.acts, self.w_hh.shape[1]
        r, z, n = (acts[..., k * hidden:(k + 1) * hidden] for k in range(3))
        # NOTE: the factors that do not depend on the carried gradient, for all steps at once
        dn_per_dh = _tanh_slope(n)
        dn_per_dh *= 1 - z
        dz_per_dh = _sigmoid_slope(z)
        dz_per_dh *= self.h_prev - n
        dr_per_dn = _sigmoid_slope(r)
        dr_per_dn *= self.hidden_n
        d_hidden = np.empty_like(acts)  # d(h W_hhᵀ + b_hh): r and z parts equal the input side's
        d_n = np.empty_like(n)
        dh = np.zeros_like(grad[0])
        for t in (range(grad.shape[0]) if self.reverse else range(grad.shape[0] - 1, -1, -1)):
            dh += grad[t]
            np.multiply(dh, dn_per_dh[t], out=d_n[t])
            np.multiply(dh, dz_per_dh[t], out=d_hidden[t, :, hidden:2 * hidden])
            np.multiply(d_n[t], dr_per_dn[t], out=d_hidden[t, :, :hidden])
            np.multiply(d_n[t], r[t], out=d_hidden[t, :, 2 * hidden:])
            dh *= z[t]
            dh += matmul(d_hidden[t], self.w_hh)
        self.d_hidden_gates = d_hidden
        d_gates = np.concatenate([d_hidden[..., :2 * hidden], d_n], axis=-1)
        return self._input_side_grads(d_gates, [dh if self.needs_input_grad[1] else None])
