"""Normalisation: one fused primitive for BatchNorm and LayerNorm, (x - mean)·invstd·weight + bias."""
import numpy as np

from npnn.tensor import Function


class Normalize(Function):
    """y = (x - mean)·invstd, then ·weight + bias when given, with mean and invstd computed by the caller.

    `stat_axes` are the axes the statistics were reduced over; `batch_stats` says whether they came
    from x itself (BatchNorm in training, LayerNorm), so that the gradient flows through them too,
    or are constants (BatchNorm's running statistics in eval mode). `param_shape` broadcasts the
    affine parameters over x, `param_axes` are the axes their gradients are summed over.
    """

    def forward(self, x, *affine, mean, invstd, stat_axes, batch_stats, param_shape, param_axes,
                has_weight, has_bias):
        self.xhat = (x - mean) * invstd
        self.invstd, self.stat_axes, self.batch_stats = invstd, stat_axes, batch_stats
        self.param_axes, self.has_weight, self.has_bias = param_axes, has_weight, has_bias
        self.affine_shapes = [a.shape for a in affine]
        self.weight = affine[0].reshape(param_shape) if has_weight else None
        out = self.xhat * self.weight if has_weight else self.xhat
        if has_bias:  # NOTE: a new array when out is xhat, which backward still needs
            bias = affine[-1].reshape(param_shape)
            out = out + bias if out is self.xhat else np.add(out, bias, out=out)
        return out

    def backward(self, grad):
        xhat, needs = self.xhat, self.needs_input_grad
        g_xhat = grad * self.weight if self.has_weight else grad
        gx = None
        if needs[0]:
            if self.batch_stats:
                # NOTE: d/dx of (x - mean(x))/std(x): the two extra terms are the gradient through
                # the batch mean and the (biased) batch variance
                gx = g_xhat - g_xhat.mean(axis=self.stat_axes, keepdims=True)
                gx -= xhat * (g_xhat * xhat).mean(axis=self.stat_axes, keepdims=True)
                gx *= self.invstd
            else:
                gx = g_xhat * self.invstd
        grads = [gx]
        if self.has_weight:
            gw = (grad * xhat).sum(axis=self.param_axes) if needs[1] else None
            grads.append(None if gw is None else gw.reshape(self.affine_shapes[0]))
        if self.has_bias:
            gb = grad.sum(axis=self.param_axes) if needs[len(grads)] else None
            grads.append(None if gb is None else gb.reshape(self.affine_shapes[-1]))
        return tuple(grads)
