"""RMSprop (Hinton), optionally centered and with momentum, as torch.optim computes it."""
import numpy as np

from npnn.optim.optimizer import Optimizer


class RMSprop(Optimizer):
    """torch.optim.RMSprop: g += wd*p; v = alpha*v + (1-alpha)*g^2; centered: v~ = v - gavg^2 with
    gavg = lerp(gavg, g, 1-alpha); with momentum b = mu*b + g/(sqrt(v~)+eps), p -= lr*b;
    else p -= lr*g/(sqrt(v~)+eps)."""

    def __init__(self, params, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0.0, momentum: float = 0.0, centered: bool = False):
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                                      momentum=momentum, centered=centered))

    def _validate(self, group):
        super()._validate(group)
        self._check(group, "alpha", lambda v: v >= 0, "must be >= 0")
        self._check(group, "momentum", lambda v: v >= 0, "must be >= 0")

    def _update(self, group):
        lr, alpha, eps = float(group["lr"]), float(group["alpha"]), float(group["eps"])
        wd, mu = float(group["weight_decay"]), float(group["momentum"])
        for p in group["params"]:
            g = p.grad
            if g is None:
                continue
            state = self.state.get(p)
            if state is None:
                state = self.state[p] = {"step": 0, "square_avg": np.zeros_like(p.data)}
                if group["centered"]:
                    state["grad_avg"] = np.zeros_like(p.data)
            state["step"] += 1
            a, b = self._buffers(p)
            if wd != 0:
                g = np.multiply(p.data, wd, out=a)
                g += p.grad
            v = state["square_avg"]
            v *= alpha                           # v = alpha*v + (1 - alpha)*g*g
            np.multiply(g, g, out=b)
            b *= 1 - alpha
            v += b
            if group["centered"]:
                g_avg = state["grad_avg"]        # g_avg = lerp(g_avg, g, 1 - alpha)
                np.subtract(g, g_avg, out=b)
                b *= 1 - alpha
                g_avg += b
                np.multiply(g_avg, g_avg, out=b)
                np.subtract(v, b, out=b)
                np.sqrt(b, out=b)
            else:
                np.sqrt(v, out=b)
            b += eps
            np.divide(g, b, out=b)
            if mu > 0:
                # NOTE: made on the first step with momentum (torch makes it on the first step only), so
                # momentum switched on mid-run (a hot edit) starts from zero instead of failing
                buf = state.get("momentum_buffer")
                if buf is None:
                    buf = state["momentum_buffer"] = np.zeros_like(p.data)
                buf *= mu
                buf += b
                np.multiply(buf, lr, out=b)
            else:
                b *= lr
            p.data -= b
