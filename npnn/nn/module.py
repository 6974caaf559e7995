"""Parameter and Module: layers that find their parameters and buffers by attribute, with PyTorch's
state-dict names."""
from __future__ import annotations

from collections import OrderedDict, namedtuple

import numpy as np

from npnn.hooks import RemovableHandle, add_hook
from npnn.nn._hooks import call_with_hooks
from npnn.tensor import Tensor

_HOOK_DICTS = ("_forward_pre_hooks", "_forward_hooks", "_backward_pre_hooks", "_backward_hooks")
IncompatibleKeys = namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])


class Parameter(Tensor):
    """A Tensor that a Module owns and an optimizer updates (requires grad by default)."""

    __slots__ = ()

    def __init__(self, data, requires_grad: bool = True):
        super().__init__(data, requires_grad=requires_grad)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()


class Module:
    """Base of every layer. Parameters, buffers and sub-Modules assigned as attributes register
    themselves, in assignment order, which fixes the order of `named_parameters()` and the state-dict
    keys (per module: its parameters, then its buffers, then its children, as in PyTorch).

    NOTE: registered values also live in the instance __dict__, so `self.weight` is a plain attribute
    read (no __getattr__ detour) and `__call__` is just `forward` unless the module has hooks.
    """

    _parameters: OrderedDict[str, Parameter | None]
    _buffers: OrderedDict[str, Tensor | None]
    _non_persistent_buffers: set[str]
    _modules: OrderedDict[str, Module]
    _forward_pre_hooks: OrderedDict
    _forward_hooks: OrderedDict
    _backward_pre_hooks: OrderedDict
    _backward_hooks: OrderedDict
    training: bool

    def __init__(self):
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_non_persistent_buffers", set())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "training", True)
        for name in _HOOK_DICTS:
            object.__setattr__(self, name, OrderedDict())

    def __setattr__(self, name, value):
        params = self.__dict__.get("_parameters")
        if params is None:
            raise AttributeError(f"cannot assign {name!r} before Module.__init__() was called "
                                 f"(call super().__init__() first in {type(self).__name__}.__init__)")
        buffers, modules = self.__dict__["_buffers"], self.__dict__["_modules"]
        if isinstance(value, Parameter):
            self._forget(name)
            params[name] = value
        elif isinstance(value, Module):
            self._forget(name)
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
        elif name in buffers:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"cannot assign {type(value).__name__} as buffer {name!r} of "
                                f"{type(self).__name__} (a Tensor or None expected)")
            buffers[name] = value
        elif isinstance(value, (list, tuple)) and any(isinstance(v, Module) for v in value):
            raise TypeError(f"{type(self).__name__}.{name}: a plain {type(value).__name__} of Modules is not "
                            f"registered (its parameters would be missed); wrap it in nn.ModuleList")
        object.__setattr__(self, name, value)

    def _forget(self, name: str) -> None:
        """Drop `name` from every registry (before it is registered again as something else)."""
        self._parameters.pop(name, None)
        self._buffers.pop(name, None)
        self._non_persistent_buffers.discard(name)
        self._modules.pop(name, None)

    def __delattr__(self, name):
        self._forget(name)
        object.__delattr__(self, name)

    def register_buffer(self, name: str, tensor, persistent: bool = True) -> None:
        """Register state that is saved with the model but not learned (BatchNorm's running stats).

        `tensor` is a Tensor, an array (wrapped, keeping its dtype) or None (a slot left empty, not in
        the state dict); `persistent=False` keeps it out of `state_dict()`. It never requires grad.
        """
        if not isinstance(name, str) or not name or "." in name:
            raise KeyError(f"{type(self).__name__}.register_buffer: the name must be a non-empty string "
                           f"without '.', got {name!r}")
        if hasattr(self, name) and name not in self._buffers:
            raise KeyError(f"{type(self).__name__}.register_buffer: attribute {name!r} already exists")
        if isinstance(tensor, Parameter):
            raise TypeError(f"{type(self).__name__}.register_buffer: {name!r} is a Parameter; "
                            f"assign it as an attribute to register a parameter")
        if isinstance(tensor, np.ndarray):
            tensor = Tensor(tensor)
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"{type(self).__name__}.register_buffer: {name!r} must be a Tensor, an ndarray "
                            f"or None, got {type(tensor).__name__}")
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers.discard(name)
        else:
            self._non_persistent_buffers.add(name)
        object.__setattr__(self, name, tensor)

    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} does not define forward()")

    def __call__(self, *args, **kwargs):
        # NOTE: the hot path without hooks is four empty-dict checks
        if self._forward_pre_hooks or self._forward_hooks or self._backward_hooks or self._backward_pre_hooks:
            return call_with_hooks(self, args, kwargs)
        return self.forward(*args, **kwargs)

    # ---- hooks (PyTorch's API and order: registration order, `prepend=True` puts one first) -------
    def register_forward_pre_hook(self, hook, *, prepend: bool = False, with_kwargs: bool = False) -> RemovableHandle:
        """`hook(module, args)` runs before `forward`; a returned value replaces args (a non-tuple is
        wrapped in one). With `with_kwargs=True`: `hook(module, args, kwargs)` -> None or (args, kwargs)."""
        return add_hook(self._forward_pre_hooks, hook, (hook, bool(with_kwargs)), prepend,
                        f"{type(self).__name__}.register_forward_pre_hook: the hook")

    def register_forward_hook(self, hook, *, prepend: bool = False, with_kwargs: bool = False) -> RemovableHandle:
        """`hook(module, args, output)` runs after `forward`; a returned value replaces the output.
        With `with_kwargs=True` it is called as `hook(module, args, kwargs, output)`."""
        return add_hook(self._forward_hooks, hook, (hook, bool(with_kwargs)), prepend,
                        f"{type(self).__name__}.register_forward_hook: the hook")

    def register_full_backward_pre_hook(self, hook, prepend: bool = False) -> RemovableHandle:
        """`hook(module, grad_output)` runs when the gradients w.r.t. the outputs are known; a returned
        tuple replaces grad_output. Gradients are ndarrays (None where none flows), as `.grad`."""
        return add_hook(self._backward_pre_hooks, hook, None, prepend,
                        f"{type(self).__name__}.register_full_backward_pre_hook: the hook")

    def register_full_backward_hook(self, hook, prepend: bool = False) -> RemovableHandle:
        """`hook(module, grad_input, grad_output)` runs when the gradients w.r.t. the module's positional
        tensor inputs are computed (at once, with grad_input all None, if no input requires grad); a
        returned tuple replaces grad_input. Gradients are ndarrays (None where none flows), as `.grad`."""
        return add_hook(self._backward_hooks, hook, None, prepend,
                        f"{type(self).__name__}.register_full_backward_hook: the hook")

    # ---- walking the tree -------------------------------------------------------------------------
    def children(self):
        """The direct sub-Modules, in registration order."""
        return iter(self._modules.values())

    def named_children(self):
        return iter(self._modules.items())

    def named_modules(self, prefix: str = "", remove_duplicate: bool = True, _seen=None):
        """This module and every descendant, with dotted names ("" for self); a module used twice is
        listed once, under its first path (as PyTorch's default), unless remove_duplicate=False."""
        if remove_duplicate:
            _seen = set() if _seen is None else _seen
            if id(self) in _seen:
                return
            _seen.add(id(self))
        yield prefix, self
        for name, child in self._modules.items():
            yield from child.named_modules(f"{prefix}.{name}" if prefix else name, remove_duplicate, _seen)

    def modules(self):
        return (m for _, m in self.named_modules())

    def _named_members(self, registry: str, prefix: str, recurse: bool, remove_duplicate: bool):
        seen = set()
        tree = self.named_modules(prefix, remove_duplicate) if recurse else [(prefix, self)]
        for module_name, module in tree:
            for name, value in getattr(module, registry).items():
                if value is None or (remove_duplicate and id(value) in seen):
                    continue
                seen.add(id(value))
                yield (f"{module_name}.{name}" if module_name else name), value

    def named_parameters(self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True):
        """(dotted name, Parameter) for every parameter in the tree; a shared one is listed once."""
        return self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse: bool = True):
        return (p for _, p in self.named_parameters(recurse=recurse))

    def named_buffers(self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True):
        """(dotted name, Tensor) for every buffer in the tree (persistent or not); shared ones once."""
        return self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse: bool = True):
        return (b for _, b in self.named_buffers(recurse=recurse))

    def num_parameters(self, trainable_only: bool = False) -> int:
        """How many numbers the model learns (shared parameters counted once; buffers not counted)."""
        return sum(p.size for p in self.parameters() if p.requires_grad or not trainable_only)

    # ---- modes and gradients ----------------------------------------------------------------------
    def train(self, mode: bool = True) -> Module:
        """Set training mode on this module and every descendant (Dropout and BatchNorm read it)."""
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
    def _state_tensors(self, prefix: str = "") -> OrderedDict:
        """Key → the Tensor behind it, every path of a shared module included (PyTorch's state-dict
        walk: own parameters, own persistent buffers, then each child, with no de-duplication)."""
        out: OrderedDict[str, Tensor] = OrderedDict()
        for name, p in self._parameters.items():
            if p is not None:
                out[prefix + name] = p
        for name, b in self._buffers.items():
            if b is not None and name not in self._non_persistent_buffers:
                out[prefix + name] = b
        for name, child in self._modules.items():
            out.update(child._state_tensors(f"{prefix}{name}."))
        return out

    def state_dict(self) -> OrderedDict:
        """Name → a copy of each parameter and persistent buffer; keys, shapes and dtypes are
        PyTorch's for the same model (a shared module appears under every path it is used at)."""
        return OrderedDict((name, t.data.copy()) for name, t in self._state_tensors().items())

    def load_state_dict(self, state_dict, strict: bool = True) -> IncompatibleKeys:
        """Copy arrays (or Tensors, or PyTorch CPU tensors) into the parameters and buffers, cast to
        each one's dtype. Names (when strict), shapes and dtypes are all checked before anything is
        written, so a failed load changes nothing."""
        own = self._state_tensors()
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        where = f"load_state_dict for {type(self).__name__}"
        if strict and (missing or unexpected):
            parts = []
            if missing:
                parts.append(f"missing keys {missing}")
            if unexpected:
                parts.append(f"unexpected keys {unexpected}")
            raise ValueError(f"{where}: " + "; ".join(parts))
        arrays = []
        for name, target in own.items():
            if name not in state_dict:
                continue
            value = state_dict[name]
            try:
                array = np.asarray(value.data if isinstance(value, Tensor) else value)
            except (TypeError, ValueError, RuntimeError) as error:
                raise TypeError(f"{where}: {name!r} is not an array ({type(value).__name__}: {error})") from None
            if array.shape != target.shape:
                raise ValueError(f"{where}: {name!r} has shape {array.shape} in the state dict, the model "
                                 f"expects {target.shape}")
            if array.dtype.kind not in "biuf" or not np.can_cast(array.dtype, target.dtype, "same_kind"):
                raise TypeError(f"{where}: {name!r} has dtype {array.dtype} in the state dict, the model "
                                f"expects {target.dtype} (or a real number dtype that casts to it)")
            arrays.append((target, array))
        for target, array in arrays:  # NOTE: written only after every key passed every check
            np.copyto(target.data, array, casting="same_kind")
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
