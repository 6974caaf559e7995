"""Where a non-finite loss came from: the first layer whose output (or gradient) stopped being finite.

`find_nan_origin` replays the diverged batch with the weights it saw (its optimizer step was
skipped), hooks every leaf module, and names the first whose forward output holds NaN or Inf, saying
whether that layer's own weights were already non-finite. If every output is finite the loss itself
is to blame; if the forward pass is finite the backward pass is checked the same way, in the order
gradients flow. The model's state (buffers such as BatchNorm's running stats) is put back afterwards.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from npnn.tensor import Tensor

WHERE = ("output", "gradient", "loss")


@dataclass(frozen=True)
class NanOrigin:
    """`layer` (its label) is where non-finite values first appeared, in its `where` ("output", "gradient"
    or "loss": then `layer` names the loss); `weights_finite` is False when its own weights already were not."""
    layer: str
    where: str
    weights_finite: bool = True

    @property
    def message(self) -> str:
        """One sentence for the status line, the log and metrics.json, with what it probably means."""
        if self.where == "loss":
            return (f"non-finite values first appeared in the loss {self.layer}, on finite model outputs: "
                    f"check the targets and the loss")
        place = f"the {self.where} of {self.layer}"
        if not self.weights_finite:
            return (f"non-finite values first appeared in {place}; its weights were already non-finite: "
                    f"an earlier step overflowed them (the learning rate is too high or gradients exploded)")
        return (f"non-finite values first appeared in {place}; its weights were finite: "
                f"the learning rate is too high")


def _finite(array) -> bool:
    array = np.asarray(array)
    return array.dtype.kind not in "fc" or bool(np.isfinite(array).all())


def _leaves(model) -> list:
    """The modules that compute (no children of their own); the model itself when it has none."""
    leaves = [m for m in model.modules() if next(iter(m.children()), None) is None]
    return leaves or [model]


def _weights_finite(module) -> bool:
    return all(_finite(p.data) for p in module.parameters())


def _label(module) -> str:
    return module.label() if hasattr(module, "label") else type(module).__name__


def find_nan_origin(model, loss_fn, x: np.ndarray, y: np.ndarray) -> NanOrigin | None:
    """Replay one batch (inputs `x`, targets `y`) and return where it first became non-finite; None if
    the replay stays finite (a random layer such as Dropout drew differently)."""
    state = model.state_dict()  # copies
    first_output: list = []
    gradient_order: list = []

    def on_output(module, args, output):
        if not first_output and isinstance(output, Tensor) and not _finite(output.data):
            first_output.append(module)

    def on_gradient(module, grad_input, grad_output):
        grads = [g for g in (*grad_output, *grad_input) if g is not None]
        if not gradient_order and not all(_finite(g) for g in grads):
            gradient_order.append(module)

    leaves = _leaves(model)
    params = list(model.parameters())
    grads = [p.grad for p in params]
    handles = [m.register_forward_hook(on_output) for m in leaves]
    handles += [m.register_full_backward_hook(on_gradient) for m in leaves]
    try:
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            loss = loss_fn(model(Tensor(x)), Tensor(y))
            if first_output:
                module = first_output[0]
                return NanOrigin(_label(module), "output", _weights_finite(module))
            if not _finite(loss.data):
                return NanOrigin(_label(loss_fn), "loss")
            for p in params:
                p.grad = None
            loss.backward()
            for module in gradient_order:
                return NanOrigin(_label(module), "gradient", _weights_finite(module))
            bad = next((m for m in reversed(leaves)
                        if any(p.grad is not None and not _finite(p.grad) for p in m.parameters())), None)
            return None if bad is None else NanOrigin(_label(bad), "gradient", _weights_finite(bad))
    finally:
        for handle in handles:
            handle.remove()
        for p, grad in zip(params, grads):
            p.grad = grad
        model.load_state_dict(state)
