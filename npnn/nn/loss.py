"""Losses, each with reduction="mean"|"sum"|"none"; targets must match the input's shape."""
from npnn.nn import functional as F
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
    """Logits (N, C) against class indices (N,) or class probabilities (N, C)."""

    def forward(self, input, target):
        return F.cross_entropy(input, target, self.reduction, label=type(self).__name__)


class BCEWithLogitsLoss(_Loss):
    def forward(self, input, target):
        return F.binary_cross_entropy_with_logits(input, target, self.reduction, label=type(self).__name__)


class BCELoss(_Loss):
    def forward(self, input, target):
        return F.binary_cross_entropy(input, target, self.reduction, label=type(self).__name__)
