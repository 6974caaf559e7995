"""A Module call with hooks (PyTorch's Module._call_impl) and the plumbing of full backward hooks.

Only reached when a module has a hook: `Module.__call__` checks its hook dicts and otherwise calls
`forward` directly. Gradients handed to backward hooks are ndarrays (as `.grad`), None where none flows.
"""
from __future__ import annotations

import numpy as np

from npnn.tensor import Function, Tensor, is_grad_enabled


def call_with_hooks(module, args: tuple, kwargs: dict):
    """Forward pre-hooks, (backward-hook input wrapping), forward, forward hooks, (output wrapping)."""
    for hook, with_kwargs in tuple(module._forward_pre_hooks.values()):
        if with_kwargs:
            result = hook(module, args, kwargs)
            if result is not None:
                if not (isinstance(result, tuple) and len(result) == 2):
                    raise RuntimeError(f"forward pre-hook {_name(hook)} registered with_kwargs=True must return "
                                       f"None or a tuple (new_args, new_kwargs), got {type(result).__name__}")
                args, kwargs = result
        else:
            result = hook(module, args)
            if result is not None:
                args = result if isinstance(result, tuple) else (result,)
    backward = None
    if module._backward_hooks or module._backward_pre_hooks:
        backward = _BackwardHook(module)
        args = backward.setup_input(args)
    output = module.forward(*args, **kwargs)
    for hook, with_kwargs in tuple(module._forward_hooks.values()):
        result = hook(module, args, kwargs, output) if with_kwargs else hook(module, args, output)
        if result is not None:
            output = result
    if backward is not None:
        output = backward.setup_output(output)
    return output


class _BackwardHook:
    """One call's full backward hooks (PyTorch's torch.utils.hooks.BackwardHook).

    The module's tensor inputs and outputs that require grad each pass through an identity node
    joined into one `_Pack`, so their gradients reach the hooks together: the output pack records
    grad_output (after the backward pre-hooks), the input pack calls the hooks with grad_input.
    """

    def __init__(self, module):
        self.module = module
        self.hooks = tuple(module._backward_hooks.values())
        self.pre_hooks = tuple(module._backward_pre_hooks.values())
        self.grad_outputs = None
        self.n_inputs = self.n_outputs = 0
        self.input_index = self.output_index = None
        self.input_tensors = []

    def setup_input(self, args: tuple) -> tuple:
        self.n_inputs = len(args)
        self.input_tensors = [(i, a.shape, a.dtype) for i, a in enumerate(args) if isinstance(a, Tensor)]
        self.input_index, args = _wrap(args, self._input_grads)
        return args

    def setup_output(self, output):
        is_tuple = isinstance(output, tuple)
        outputs = output if is_tuple else (output,)
        self.n_outputs = len(outputs)
        self.output_index, outputs = _wrap(outputs, self._output_grads)
        return outputs if is_tuple else outputs[0]

    def _output_grads(self, grads: list) -> list:
        self.grad_outputs = _spread(self.output_index, grads, self.n_outputs)
        for hook in self.pre_hooks:
            result = hook(self.module, self.grad_outputs)
            if result is not None:
                self.grad_outputs = _checked(result, self.grad_outputs, hook, "backward pre-hook", "grad_output")
        local = self.grad_outputs
        if self.input_index is None:  # NOTE: no input requires grad: the hooks run now, with grad_input all None
            nothing = (None,) * self.n_inputs
            for hook in self.hooks:
                result = hook(self.module, nothing, self.grad_outputs)
                if result is not None and not all(r is None for r in result):
                    raise RuntimeError(f"backward hook {_name(hook)} of {self.module.label()}: no input of this "
                                       f"module requires grad, so it must return None (or only Nones)")
            self.grad_outputs = None
        return [_array(local[i]) for i in self.output_index]

    def _input_grads(self, grads: list) -> list:
        if self.grad_outputs is None:  # NOTE: the gradient reached the inputs without passing the outputs
            return grads
        spread = list(_spread(self.input_index, grads, self.n_inputs))
        for i, shape, dtype in self.input_tensors:  # NOTE: as PyTorch, a tensor input without a gradient gets zeros
            if spread[i] is None:
                spread[i] = np.zeros(shape, dtype)
        grad_inputs = tuple(spread)
        for hook in self.hooks:
            result = hook(self.module, grad_inputs, self.grad_outputs)
            if result is not None:
                grad_inputs = _checked(result, grad_inputs, hook, "backward hook", "grad_input")
        self.grad_outputs = None
        return [_array(grad_inputs[i]) for i in self.input_index]


def _wrap(values: tuple, on_grads):
    """Route the tensors among `values` that require grad through one _Pack; (their indices, new values).

    Indices are None (and values unchanged) when no tensor requires grad or grad mode is off."""
    index = [i for i, v in enumerate(values) if isinstance(v, Tensor) and v.requires_grad]
    if not index or not is_grad_enabled():
        return None, values
    pack = _Pack.apply(*[values[i] for i in index], on_grads=on_grads)
    routed = list(values)
    for k, i in enumerate(index):
        routed[i] = _Unpack.apply(pack, index=k, count=len(index))
    return index, tuple(routed)


def _spread(index: list, grads: list, n: int) -> tuple:
    out: list = [None] * n
    for i, g in zip(index, grads):
        out[i] = g
    return tuple(out)


def _checked(result, previous: tuple, hook, kind: str, what: str) -> tuple:
    """A hook's replacement gradients as arrays of the old shapes and dtypes (None stays None)."""
    result = tuple(result)
    if len(result) != len(previous):
        raise RuntimeError(f"{kind} {_name(hook)} returned {len(result)} values for {what}, expected {len(previous)}")
    checked = []
    for new, old in zip(result, previous):
        new = _array(new)
        if new is not None and old is not None:
            if new.shape != old.shape:
                raise ValueError(f"{kind} {_name(hook)} returned a {what} of shape {new.shape}, expected {old.shape}")
            new = new.astype(old.dtype, copy=False)
        checked.append(new)
    return tuple(checked)


def _array(value):
    return value.data if isinstance(value, Tensor) else (None if value is None else np.asarray(value))


def _name(hook) -> str:
    return repr(getattr(hook, "__name__", hook))


class _SlotGrads:
    """The gradients of a pack's tensors travelling as one value; the engine adds what reaches a node."""

    __slots__ = ("grads",)

    def __init__(self, grads: list):
        self.grads = grads

    def __add__(self, other: _SlotGrads) -> _SlotGrads:
        return _SlotGrads([b if a is None else a if b is None else a + b for a, b in zip(self.grads, other.grads)])


class _Pack(Function):
    """Joins tensors into one node (PyTorch's multi-output BackwardHookFunction): its backward runs once,
    after every gradient into any of them has arrived, and `on_grads` may replace them."""

    def forward(self, *arrays, on_grads):
        self.on_grads = on_grads
        return arrays  # NOTE: a tuple; only _Unpack reads this node's output

    def backward(self, grad: _SlotGrads):
        return tuple(self.on_grads(list(grad.grads)))


class _Unpack(Function):
    """The `index`-th tensor of a pack, unchanged."""

    def forward(self, packed, index: int, count: int):
        self.index, self.count = index, count
        return packed[index]

    def backward(self, grad):
        grads = [None] * self.count
        grads[self.index] = grad
        return (_SlotGrads(grads),)
