"""Losses, each with reduction="mean"|"sum"|"none" and PyTorch's options (weight, ignore_index, ...)."""
from __future__ import annotations

import numpy as np

from npnn.nn import functional as F
from npnn.nn.functional import _shape
from npnn.nn.module import Module


class _Loss(Module):
    """Holds and validates `reduction`; subclasses write forward(input, target)."""

    def __init__(self, reduction: str = "mean"):
        super().__init__()
        F._check_reduction(reduction, type(self).__name__)
        self.reduction = reduction

    def extra_repr(self) -> str:
        return "" if self.reduction == "mean" else f"reduction='{self.reduction}'"


class MSELoss(_Loss):
    def forward(self, input, target):
        return F.mse_loss(input, target, self.reduction, label=type(self).__name__)


class L1Loss(_Loss):
    def forward(self, input, target):
        return F.l1_loss(input, target, self.reduction, label=type(self).__name__)


MAELoss = L1Loss  # the original project's name


class HuberLoss(_Loss):
    def __init__(self, reduction: str = "mean", delta: float = 1.0):
        super().__init__(reduction)
        if not delta > 0:
            raise ValueError(f"HuberLoss delta must be positive, got {delta}")
        self.delta = delta

    def forward(self, input, target):
        return F.huber_loss(input, target, self.reduction, self.delta, label=type(self).__name__)


class CrossEntropyLoss(_Loss):
    """Logits (C,), (N, C) or (N, C, d1, ...) against class indices or class probabilities.

    weight (C,) rescales each class; targets equal to ignore_index count for nothing, also not in the
    `mean` denominator (the sum of the weights of the targets that count); label_smoothing mixes the
    target with the uniform distribution. All as torch.nn.CrossEntropyLoss.
    """

    def __init__(self, weight=None, ignore_index: int = -100, reduction: str = "mean", label_smoothing: float = 0.0):
        super().__init__(reduction)
        name = type(self).__name__
        F._check_cross_entropy_options(ignore_index, label_smoothing, name)
        self.weight = _weight(weight, name, "weight", one_dimensional=True)
        self.ignore_index, self.label_smoothing = int(ignore_index), float(label_smoothing)

    def forward(self, input, target):
        return F.cross_entropy(input, target, weight=self.weight, ignore_index=self.ignore_index,
                               reduction=self.reduction, label_smoothing=self.label_smoothing,
                               label=type(self).__name__)

    def extra_repr(self) -> str:
        parts = [super().extra_repr()] + ([] if self.weight is None else [f"weight={_shape(self.weight.shape)}"])
        parts += [f"ignore_index={self.ignore_index}"] if self.ignore_index != -100 else []
        parts += [f"label_smoothing={self.label_smoothing}"] if self.label_smoothing else []
        return ", ".join(p for p in parts if p)


class BCEWithLogitsLoss(_Loss):
    """Sigmoid + binary cross-entropy, stable for any logit; weight and pos_weight broadcast to the input."""

    def __init__(self, weight=None, reduction: str = "mean", pos_weight=None):
        super().__init__(reduction)
        self.weight = _weight(weight, type(self).__name__, "weight")
        self.pos_weight = _weight(pos_weight, type(self).__name__, "pos_weight")

    def forward(self, input, target):
        return F.binary_cross_entropy_with_logits(input, target, weight=self.weight, reduction=self.reduction,
                                                  pos_weight=self.pos_weight, label=type(self).__name__)


class BCELoss(_Loss):
    """Binary cross-entropy of probabilities; weight broadcasts to the input."""

    def __init__(self, weight=None, reduction: str = "mean"):
        super().__init__(reduction)
        self.weight = _weight(weight, type(self).__name__, "weight")

    def forward(self, input, target):
        return F.binary_cross_entropy(input, target, weight=self.weight, reduction=self.reduction,
                                      label=type(self).__name__)


def _weight(value, loss: str, name: str, one_dimensional: bool = False) -> np.ndarray | None:
    """A weight argument, checked once at construction (a constant, not a parameter)."""
    data = F._weight_array(value, name, loss)
    if data is not None and one_dimensional and data.ndim != 1:
        raise ValueError(f"{loss} {name} must be 1-D with one entry per class, got shape {_shape(data.shape)}")
    return data
