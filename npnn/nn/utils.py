"""Gradient clipping, in place on `.grad`, with torch.nn.utils' names and results."""
from __future__ import annotations

import math

import numpy as np

from npnn.tensor import Tensor


def _grads(parameters) -> list[np.ndarray]:
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    grads: list[np.ndarray] = []
    for p in parameters:
        if not isinstance(p, Tensor):
            raise TypeError(f"clipping expects Tensors (parameters), got {type(p).__name__}")
        if p.grad is not None:
            grads.append(p.grad)
    return grads


def clip_grad_norm_(parameters, max_norm: float, norm_type: float = 2.0,
                    error_if_nonfinite: bool = False) -> float:
    """Scale all gradients together so their joint `norm_type`-norm is at most `max_norm`.

    Returns the total norm before clipping. A non-finite norm raises RuntimeError when
    `error_if_nonfinite`, else the gradients become non-finite and the optimizer skips the step.
    """
    max_norm, norm_type = float(max_norm), float(norm_type)
    if not max_norm >= 0:
        raise ValueError(f"clip_grad_norm_: max_norm must be >= 0, got {max_norm!r}")
    if not norm_type > 0:
        raise ValueError(f"clip_grad_norm_: norm_type must be > 0 (or inf), got {norm_type!r}")
    grads = _grads(parameters)
    if not grads:
        return 0.0
    with np.errstate(over="ignore", invalid="ignore"):
        if norm_type == math.inf:
            total = max(float(np.max(np.abs(g))) if g.size else 0.0 for g in grads)
        elif norm_type == 2.0:
            total = math.sqrt(sum(float(np.dot(r, r)) for r in (g.ravel() for g in grads)))
        else:
            total = sum(float(np.sum(np.abs(g) ** norm_type)) for g in grads) ** (1.0 / norm_type)
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(f"clip_grad_norm_: the total norm of order {norm_type} of the gradients is "
                           f"{total}; set error_if_nonfinite=False to let the optimizer skip the step")
    coef = max_norm / (total + 1e-6) if math.isfinite(total) else math.nan
    if coef < 1.0 or math.isnan(coef):
        for g in grads:
            np.multiply(g, coef, out=g)
    return total


def clip_grad_value_(parameters, clip_value: float) -> None:
    """Clamp every gradient element into [-clip_value, clip_value]."""
    clip_value = float(clip_value)
    if not clip_value >= 0:
        raise ValueError(f"clip_grad_value_: clip_value must be >= 0, got {clip_value!r}")
    for g in _grads(parameters):
        np.clip(g, -clip_value, clip_value, out=g)
