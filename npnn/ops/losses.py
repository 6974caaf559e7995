"""Fused, numerically stable loss primitives; weights are constants (PyTorch keeps them as buffers)."""
import numpy as np

from npnn.tensor import Function


def _reduce(loss: np.ndarray, reduction: str) -> np.ndarray:
    if reduction == "mean":
        return np.asarray(loss.mean(), dtype=loss.dtype)
    if reduction == "sum":
        return np.asarray(loss.sum(), dtype=loss.dtype)
    return loss


def _expand(grad: np.ndarray, shape: tuple, reduction: str, dtype) -> np.ndarray:
    """The upstream gradient of a reduced loss, as one factor per loss entry."""
    if reduction == "none":
        return grad
    scale = grad / np.prod(shape, dtype=dtype) if reduction == "mean" else grad
    return np.asarray(scale, dtype=dtype)


class CrossEntropy(Function):
    """Softmax cross-entropy of logits with the classes on `axis`, as torch.nn.functional.cross_entropy.

    target: class indices (the logits' shape without `axis`, integers) or class probabilities (the
    logits' shape). Index targets: entry i weighs a_i = weight[y_i] (0 where y_i == ignore_index) and
    `mean` divides by sum(a_i); label smoothing mixes in eps/C of the (weighted) uniform target.
    Probability targets: `mean` divides by the number of entries, whatever the weights.
    """

    def forward(self, logits, target, weight=None, axis=-1, ignore_index=None, label_smoothing=0.0,
                reduction="mean"):
        """ignore_index None: no target is ignored (the caller has looked)."""
        # NOTE: the classes move to the last axis (K-dim inputs only) so one code path serves all shapes;
        # contiguous, because _index_grad writes through a reshape.
        self.axis = axis if axis not in (-1, logits.ndim - 1) else None
        self.reduction, self.weight, self.eps = reduction, weight, label_smoothing
        z = logits if self.axis is None else np.ascontiguousarray(np.moveaxis(logits, axis, -1))
        shifted = z - z.max(axis=-1, keepdims=True)
        self.log_probs = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
        self.index = target.dtype.kind in "iu"
        return self._forward_index(target, ignore_index) if self.index else self._forward_probs(target)

    def _forward_index(self, target, ignore_index):
        log_probs, weight, eps = self.log_probs, self.weight, self.eps
        ignored = None if ignore_index is None else target == ignore_index
        safe = target if ignored is None else np.where(ignored, 0, target)
        if log_probs.ndim == 2:
            picked = log_probs[np.arange(len(safe)), safe]
        else:
            picked = np.take_along_axis(log_probs, safe[..., None], axis=-1)[..., 0]
        # a: the weight of each entry's own-class term (0 where ignored); None means all ones.
        a = None if weight is None else weight[safe]
        if ignored is not None:
            a = np.where(ignored, 0, 1 if a is None else a).astype(log_probs.dtype)
        loss = -picked if a is None else -picked * a
        if eps:
            keep = 1 if ignored is None else (~ignored).astype(log_probs.dtype)
            uniform = log_probs.sum(axis=-1) if weight is None else log_probs @ weight
            loss = (1 - eps) * loss - (eps / log_probs.shape[-1]) * uniform * keep
            self.keep = keep
        self.safe, self.a = safe, a
        self.denominator = loss.size if a is None else a.sum(dtype=log_probs.dtype)
        return self._reduce(loss)

    def _forward_probs(self, target):
        log_probs, weight, eps = self.log_probs, self.weight, self.eps
        target = target if self.axis is None else np.moveaxis(target, self.axis, -1)
        if eps:
            target = target * (1 - eps) + eps / log_probs.shape[-1]
        self.wt = target if weight is None else target * weight  # the weighted (smoothed) target
        loss = -(self.wt * log_probs).sum(axis=-1)
        self.denominator = loss.size
        return self._reduce(loss)

    def _reduce(self, loss):
        if self.reduction == "none":
            return loss
        total = np.asarray(loss.sum(), dtype=loss.dtype)
        if self.reduction == "sum":
            return total
        with np.errstate(invalid="ignore", divide="ignore"):  # all ignored: 0/0 = nan, as in PyTorch
            return np.asarray(total / self.denominator, dtype=loss.dtype)

    def backward(self, grad):
        dtype = self.log_probs.dtype
        if self.reduction == "mean":  # all ignored (denominator 0): every entry's gradient is 0, as in PyTorch
            grad = grad / np.asarray(self.denominator, dtype) if self.denominator else np.zeros_like(grad)
        scale = np.asarray(grad, dtype=dtype)
        scale = scale[..., None] if scale.ndim else scale
        g_logits = g_target = None
        if self.needs_input_grad[0]:
            g_logits = self._index_grad() if self.index else self._probs_grad()
            g_logits *= scale
            g_logits = g_logits if self.axis is None else np.moveaxis(g_logits, -1, self.axis)
        if len(self.needs_input_grad) > 1 and self.needs_input_grad[1] and not self.index:
            g = -self.log_probs * scale * (1 - self.eps)
            g_target = g if self.weight is None else g * self.weight
            g_target = g_target if self.axis is None else np.moveaxis(g_target, -1, self.axis)
        return g_logits, g_target

    def _index_grad(self):
        """d loss_i / d z_i = (1-eps) a_i (p_i - onehot(y_i)) + eps/C keep_i (p_i sum(w) - w)."""
        probs, weight, eps, a = np.exp(self.log_probs), self.weight, self.eps, self.a
        classes = probs.shape[-1]
        own = (1 - eps) if a is None else (1 - eps) * a
        g = probs if a is None and not eps else probs * (own if a is None else own[..., None])
        # NOTE: (N, C) logits may be a Fortran-order view, so only the (C,) and K-dim cases (always
        # C-contiguous here) are written through a reshape.
        rows = g if g.ndim == 2 else g.reshape(-1, classes)
        rows[np.arange(rows.shape[0]), self.safe.reshape(-1)] -= own if a is None else own.reshape(-1)
        if eps:
            keep = self.keep if np.ndim(self.keep) == 0 else self.keep[..., None]
            total = classes if weight is None else weight.sum()
            g += (eps / classes) * keep * (probs * total - (1 if weight is None else weight))
        return g

    def _probs_grad(self):
        """d/dz of -sum_c wt_c log_softmax(z)_c = softmax(z) sum(wt) - wt."""
        g = np.exp(self.log_probs)
        g *= self.wt.sum(axis=-1, keepdims=True)
        g -= self.wt
        return g


class BCEWithLogits(Function):
    """(1 - t) x - (1 + (pos_weight - 1) t) log_sigmoid(x), times weight: stable for any |x|."""

    def forward(self, x, target, weight=None, pos_weight=None, reduction="mean"):
        self.x, self.target, self.weight, self.pos_weight, self.reduction = x, target, weight, pos_weight, reduction
        self.softplus_neg = np.maximum(-x, 0) + np.log1p(np.exp(-np.abs(x)))  # -log_sigmoid(x)
        log_weight = 1 if pos_weight is None else 1 + (pos_weight - 1) * target
        loss = (1 - target) * x + log_weight * self.softplus_neg
        return _reduce(loss if weight is None else loss * weight, reduction)

    def backward(self, grad):
        x, t, pw = self.x, self.target, self.pos_weight
        scale = _expand(grad, x.shape, self.reduction, x.dtype)
        if self.weight is not None:
            scale = scale * self.weight
        gx = gt = None
        if self.needs_input_grad[0]:
            e = np.exp(-np.abs(x))
            sigmoid_neg = np.where(x >= 0, e, 1) / (1 + e)  # sigmoid(-x), exact in both tails
            log_weight = 1 if pw is None else 1 + (pw - 1) * t
            gx = ((1 - t) - log_weight * sigmoid_neg) * scale
        if self.needs_input_grad[1]:
            gt = (-x if pw is None else (pw - 1) * self.softplus_neg - x) * scale
        return gx, gt


class BCE(Function):
    """Binary cross-entropy on probabilities, times weight; each log is clamped at -100 as in PyTorch."""

    def forward(self, p, target, weight=None, reduction="mean"):
        self.p, self.target, self.weight, self.reduction = p, target, weight, reduction
        with np.errstate(divide="ignore"):
            self.log_p = np.maximum(np.log(p), -100)
            self.log_q = np.maximum(np.log1p(-p), -100)
        loss = -(target * self.log_p + (1 - target) * self.log_q)
        return _reduce(loss if weight is None else loss * weight, reduction)

    def backward(self, grad):
        p, t = self.p, self.target
        scale = _expand(grad, p.shape, self.reduction, p.dtype)
        if self.weight is not None:
            scale = scale * self.weight
        eps = np.asarray(1e-12, dtype=p.dtype)  # PyTorch's guard against 0 / 0 at p in {0, 1}
        gp = (p - t) / np.maximum(p * (1 - p), eps) * scale if self.needs_input_grad[0] else None
        gt = (self.log_q - self.log_p) * scale if self.needs_input_grad[1] else None
        return gp, gt


class Huber(Function):
    """Elementwise Huber loss of d = a - b: d²/2 inside |d| <= delta, delta·(|d| - delta/2) outside."""

    def forward(self, a, b, delta=1.0):
        self.diff, self.delta = a - b, delta
        absd = np.abs(self.diff)
        return np.where(absd <= delta, 0.5 * self.diff * self.diff, delta * (absd - 0.5 * delta))

    def backward(self, grad):
        g = grad * np.clip(self.diff, -self.delta, self.delta)
        return g, -g
