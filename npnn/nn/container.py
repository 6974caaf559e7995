"""Containers: Sequential, ModuleList, and MLP (a Sequential built from sizes)."""
from __future__ import annotations

from collections import OrderedDict

from npnn.nn.activation import GELU, LeakyReLU, ReLU, Sigmoid, Tanh
from npnn.nn.dropout import Dropout
from npnn.nn.linear import Linear
from npnn.nn.module import Module
from npnn.nn.pooling import MaxPool2d


def _check_module(owner: str, value) -> Module:
    if not isinstance(value, Module):
        raise TypeError(f"{owner} holds Modules only, got {type(value).__name__}")
    return value


def _hooked(module: Module) -> bool:
    return bool(module._forward_pre_hooks or module._forward_hooks or module._backward_hooks
                or module._backward_pre_hooks)


def _pool_first(first: Module, second: Module) -> bool:
    """A plain ReLU followed by a plain MaxPool2d, neither hooked: Sequential pools first (same result)."""
    return type(first) is ReLU and type(second) is MaxPool2d and not _hooked(first) and not _hooked(second)


class ModuleList(Module):
    """A list of Modules whose parameters register under "0", "1", ... (the list index)."""

    def __init__(self, modules=()):
        super().__init__()
        for m in modules:
            self.append(m)

    def append(self, module: Module) -> ModuleList:
        self._modules[str(len(self._modules))] = _check_module(type(self).__name__, module)
        return self

    def extend(self, modules) -> ModuleList:
        for m in modules:
            self.append(m)
        return self

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def __getitem__(self, index):
        items = list(self._modules.values())
        if isinstance(index, slice):
            return type(self)(items[index])
        return items[index]


class Sequential(Module):
    """Applies its children in order. Sequential(m0, m1, ...) or Sequential(OrderedDict(name=m))."""

    def __init__(self, *modules):
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], (dict, OrderedDict)):
            for name, m in modules[0].items():
                self._modules[str(name)] = _check_module("Sequential", m)
        else:
            for m in modules:
                self.append(m)

    def append(self, module: Module) -> Sequential:
        self._modules[str(len(self._modules))] = _check_module("Sequential", module)
        return self

    def forward(self, x):
        modules = list(self._modules.values())
        i = 0
        while i < len(modules):
            if i + 1 < len(modules) and _pool_first(modules[i], modules[i + 1]):
                # NOTE: max-pooling and ReLU commute (ReLU is monotone), values and gradients exactly;
                # pooling first runs ReLU on a quarter of the values. Only without hooks, which could see it.
                x = modules[i](modules[i + 1](x))
                i += 2
            else:
                x = modules[i](x)
                i += 1
        return x

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def __getitem__(self, index):
        if isinstance(index, slice):  # keeps the original names, as PyTorch does
            return Sequential(OrderedDict(list(self._modules.items())[index]))
        return list(self._modules.values())[index]


_ACTIVATIONS = {"relu": ReLU, "tanh": Tanh, "sigmoid": Sigmoid, "leaky_relu": LeakyReLU, "gelu": GELU}


class MLP(Sequential):
    """Linear → activation [→ Dropout] per hidden size, then a Linear to out_features.

    A Sequential, so its state-dict keys are PyTorch's for the same stack (`0.weight`, `0.bias`, ...).
    """

    def __init__(self, in_features: int, hidden_sizes, out_features: int, activation: str = "relu",
                 dropout: float = 0.0):
        if activation not in _ACTIVATIONS:
            raise ValueError(f"MLP activation must be one of {sorted(_ACTIVATIONS)}, got {activation!r}")
        layers, width = [], in_features
        for size in hidden_sizes:
            layers += [Linear(width, size), _ACTIVATIONS[activation]()]
            if dropout:
                layers.append(Dropout(dropout))
            width = size
        layers.append(Linear(width, out_features))
        super().__init__(*layers)
