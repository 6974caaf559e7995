"""Adam and AdamW (Kingma & Ba; Loshchilov & Hutter), as torch.optim computes them."""
import math

import numpy as np

from npnn.optim.optimizer import Optimizer


class Adam(Optimizer):
    """torch.optim.Adam: g += wd*p (coupled decay); m = lerp(m, g, 1-b1); v = b2*v + (1-b2)*g^2;
    with amsgrad v_max = max(v_max, v) replaces v; p -= lr/(1-b1^t) * m / (sqrt(v)/sqrt(1-b2^t) + eps)."""

    _decoupled = False

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, amsgrad: bool = False):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad))

    def _validate(self, group):
        super()._validate(group)
        betas = group["betas"]
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise ValueError(f"{self._name}: betas must be a pair (beta1, beta2), got {betas!r}")
        for i, beta in enumerate(betas):
            if isinstance(beta, bool) or not isinstance(beta, (int, float)) or not 0.0 <= beta < 1.0:
                raise ValueError(f"{self._name}: betas[{i}] must be in [0, 1), got {beta!r}")

    def _update(self, group):
        lr, eps, wd = float(group["lr"]), float(group["eps"]), float(group["weight_decay"])
        beta1, beta2 = (float(b) for b in group["betas"])
        for p in group["params"]:
            g = p.grad
            if g is None:
                continue
            state = self.state.get(p)
            if state is None:
                state = self.state[p] = {"step": 0, "exp_avg": np.zeros_like(p.data),
                                         "exp_avg_sq": np.zeros_like(p.data)}
                if group["amsgrad"]:
                    state["max_exp_avg_sq"] = np.zeros_like(p.data)
            state["step"] += 1
            step, m, v = state["step"], state["exp_avg"], state["exp_avg_sq"]
            a, b = self._buffers(p)
            if wd != 0:
                if self._decoupled:
                    p.data *= 1 - lr * wd
                else:
                    g = np.multiply(p.data, wd, out=a)
                    g += p.grad
            np.subtract(g, m, out=b)             # m = lerp(m, g, 1 - beta1)
            b *= 1 - beta1
            m += b
            v *= beta2                           # v = beta2*v + (1 - beta2)*g*g
            np.multiply(g, g, out=b)
            b *= 1 - beta2
            v += b
            if group["amsgrad"]:
                v = np.maximum(state["max_exp_avg_sq"], v, out=state["max_exp_avg_sq"])
            step_size = lr / (1 - beta1 ** step)
            np.sqrt(v, out=b)                    # denom = sqrt(v)/sqrt(1 - beta2^t) + eps
            b /= math.sqrt(1 - beta2 ** step)
            b += eps
            np.divide(m, b, out=b)
            b *= step_size
            p.data -= b


class AdamW(Adam):
    """torch.optim.AdamW: Adam with decoupled weight decay, p *= 1 - lr*wd before the Adam step."""

    _decoupled = True

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2, amsgrad: bool = False):
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad)
