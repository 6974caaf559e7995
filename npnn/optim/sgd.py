"""Stochastic gradient descent with optional momentum, dampening, Nesterov and weight decay."""
import numpy as np

from npnn.optim.optimizer import Optimizer


class SGD(Optimizer):
    """torch.optim.SGD's rule: g += wd*p; b = mu*b + (1-dampening)*g (b = g on the first step);
    g = g + mu*b if nesterov else b; p -= lr*g."""

    def __init__(self, params, lr: float = 1e-3, momentum: float = 0.0, dampening: float = 0.0,
                 weight_decay: float = 0.0, nesterov: bool = False):
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov))

    def _validate(self, group):
        super()._validate(group)
        self._check(group, "momentum", lambda v: v >= 0, "must be >= 0")
        self._check(group, "dampening", lambda v: True, "must be a finite number")
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError(f"{self._name}: nesterov requires momentum > 0 and dampening = 0, got "
                             f"momentum={group['momentum']!r}, dampening={group['dampening']!r}")

    def _update(self, group):
        lr, mu, wd = float(group["lr"]), float(group["momentum"]), float(group["weight_decay"])
        dampening, nesterov = float(group["dampening"]), group["nesterov"]
        for p in group["params"]:
            g = p.grad
            if g is None:
                continue
            tmp = self._buffers(p)[0]
            if wd != 0:
                g = np.multiply(p.data, wd, out=tmp)
                g += p.grad
            if mu != 0:
                state = self.state.setdefault(p, {})
                buf = state.get("momentum_buffer")
                if buf is None:
                    buf = state["momentum_buffer"] = np.array(g, dtype=p.dtype)
                else:
                    buf *= mu
                    buf += g if dampening == 0 else (1 - dampening) * g
                if nesterov:
                    if g is tmp:
                        tmp += mu * buf
                    else:
                        np.multiply(buf, mu, out=tmp)
                        tmp += g
                    g = tmp
                else:
                    g = buf
            np.multiply(g, lr, out=tmp)
            p.data -= tmp


class Momentum(SGD):
    """The original project's optimizer: SGD with (heavy-ball) momentum 0.9 by default."""

    def __init__(self, params, lr: float = 0.01, momentum: float = 0.9, dampening: float = 0.0,
                 weight_decay: float = 0.0, nesterov: bool = False):
        super().__init__(params, lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                         nesterov=nesterov)
