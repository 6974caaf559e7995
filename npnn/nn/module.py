"""Parameter and Module: layers that find their parameters by attribute, with PyTorch's state-dict names."""
from __future__ import annotations

from collections import OrderedDict, namedtuple

import numpy as np

from npnn.tensor import Tensor

IncompatibleKeys = namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])


class Parameter(Tensor):
    """A Tensor that a Module owns and an optimizer updates (requires grad by default)."""

    __slots__ = ()

    def __init__(self, data, requires_grad: bool = True):
        super().__init__(data, requires_grad=requires_grad)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()


class Module:
    """Base of every layer. Parameters and sub-Modules assigned as attributes register themselves,
    in assignment order, which fixes the order of `named_parameters()` and the state-dict keys.

    NOTE: registered values also live in the instance __dict__, so `self.weight` is a plain attribute
    read (no __getattr__ detour) and `__call__` is just `forward`.
    """

    def __init__(self):
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "training", True)

    def __setattr__(self, name, value):
        params = self.__dict__.get("_parameters")
        if params is None:
            raise AttributeError(f"cannot assign {name!r} before Module.__init__() was called "
                                 f"(call super().__init__() first in {type(self).__name__}.__init__)")
        modules = self.__dict__["_modules"]
        if isinstance(value, Parameter):
            modules.pop(name, None)
            params[name] = value
        elif isinstance(value, Module):
            params.pop(name, None)
            modules[name] = value
        elif name in params:
            if value is not None:
                raise TypeError(f"cannot assign {type(value).__name__} as parameter {name!r} of "
                                f"{type(self).__name__} (a Parameter or None expected)")
            del params[name]
        elif name in modules:
            if value is not None:
                raise TypeError(f"cannot assign {type(value).__name__} as child module {name!r} of "
                                f"{type(self).__name__} (a Module or None expected)")
            del modules[name]
        elif isinstance(value, (list, tuple)) and any(isinstance(v, Module) for v in value):
            raise TypeError(f"{type(self).__name__}.{name}: a plain {type(value).__name__} of Modules is not "
                            f"registered (its parameters would be missed); wrap it in nn.ModuleList")
        object.__setattr__(self, name, value)

    def __delattr__(self, name):
        self._parameters.pop(name, None)
        self._modules.pop(name, None)
        object.__delattr__(self, name)

    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} does not define forward()")

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    # ---- walking the tree -------------------------------------------------------------------------
    def children(self):
        """The direct sub-Modules, in registration order."""
        return iter(self._modules.values())

    def named_children(self):
        return iter(self._modules.items())

    def named_modules(self, prefix: str = ""):
        """This module and every descendant, with dotted names ("" for self)."""
        yield prefix, self
        for name, child in self._modules.items():
            yield from child.named_modules(f"{prefix}.{name}" if prefix else name)

    def modules(self):
        return (m for _, m in self.named_modules())

    def named_parameters(self, prefix: str = ""):
        """(dotted name, Parameter) for every parameter in the tree; a shared one is listed once."""
        seen = set()
        for module_name, module in self.named_modules(prefix):
            for name, p in module._parameters.items():
                if id(p) not in seen:
                    seen.add(id(p))
                    yield (f"{module_name}.{name}" if module_name else name), p

    def parameters(self):
        return (p for _, p in self.named_parameters())

    def num_parameters(self, trainable_only: bool = False) -> int:
        """How many numbers the model learns (shared parameters counted once)."""
        return sum(p.size for p in self.parameters() if p.requires_grad or not trainable_only)

    # ---- modes and gradients ----------------------------------------------------------------------
    def train(self, mode: bool = True) -> Module:
        """Set training mode on this module and every descendant (Dropout reads it)."""
        for m in self.modules():
            object.__setattr__(m, "training", bool(mode))
        return self

    def eval(self) -> Module:
        return self.train(False)

    def zero_grad(self) -> None:
        """Drop every parameter's gradient (None, as PyTorch's set_to_none=True default)."""
        for p in self.parameters():
            p.grad = None

    # ---- state ------------------------------------------------------------------------------------
    def state_dict(self) -> OrderedDict:
        """Parameter name → a copy of its array; keys and shapes are PyTorch's for the same model."""
        return OrderedDict((name, p.data.copy()) for name, p in self.named_parameters())

    def load_state_dict(self, state_dict, strict: bool = True) -> IncompatibleKeys:
        """Copy arrays into the parameters (cast to each parameter's dtype), checking names and shapes."""
        own = OrderedDict(self.named_parameters())
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        if strict and (missing or unexpected):
            parts = []
            if missing:
                parts.append(f"missing keys {missing}")
            if unexpected:
                parts.append(f"unexpected keys {unexpected}")
            raise ValueError(f"load_state_dict for {type(self).__name__}: " + "; ".join(parts))
        arrays = {}
        for name, p in own.items():
            if name not in state_dict:
                continue
            value = state_dict[name]
            array = np.asarray(value.data if isinstance(value, Tensor) else value)
            if array.shape != p.shape:
                raise ValueError(f"load_state_dict for {type(self).__name__}: {name!r} has shape "
                                 f"{array.shape} in the state dict, the model expects {p.shape}")
            arrays[name] = array
        for name, array in arrays.items():  # NOTE: all checked before any is written
            np.copyto(own[name].data, array, casting="same_kind")
        return IncompatibleKeys(missing, unexpected)

    # ---- text -------------------------------------------------------------------------------------
    def extra_repr(self) -> str:
        """The layer's arguments as shown inside its repr, e.g. `in_features=10, out_features=128`."""
        return ""

    def label(self) -> str:
        """A short name for error messages and model summaries, e.g. `Linear(10→128)`."""
        return type(self).__name__

    def __repr__(self):
        extra = self.extra_repr()
        extra_lines = extra.split("\n") if extra else []
        child_lines = [f"({name}): " + repr(child).replace("\n", "\n  ") for name, child in self._modules.items()]
        lines = extra_lines + child_lines
        body = ""
        if len(extra_lines) == 1 and not child_lines:
            body = extra_lines[0]
        elif lines:
            body = "\n  " + "\n  ".join(lines) + "\n"
        return f"{type(self).__name__}({body})"
