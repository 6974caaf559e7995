"""Tensor: an ndarray with reverse-mode autograd, and Function, the base of every primitive op."""
from __future__ import annotations

import functools
import threading
from collections import OrderedDict

import numpy as np

from npnn.hooks import RemovableHandle, add_hook

_state = threading.local()  # grad mode is per thread, as in PyTorch (the TUI trains in a worker)
_default_dtype = np.dtype(np.float32)


def set_default_dtype(dtype) -> None:
    """Set the dtype that Python numbers, lists and new layer parameters get (float32 unless changed)."""
    global _default_dtype
    dtype = np.dtype(dtype)
    if dtype.kind != "f":
        raise TypeError(f"set_default_dtype expects a floating dtype (float32 or float64), got {dtype}")
    _default_dtype = dtype


def get_default_dtype() -> np.dtype:
    """The dtype that Python numbers, lists and new parameters get."""
    return _default_dtype


def is_grad_enabled() -> bool:
    """True unless inside `no_grad()` in this thread."""
    return getattr(_state, "grad_enabled", True)


class no_grad:
    """Context manager and decorator that stops recording the graph (evaluation, weight updates)."""

    def __enter__(self):
        self._previous = is_grad_enabled()
        _state.grad_enabled = False
        return self

    def __exit__(self, *exc):
        _state.grad_enabled = self._previous
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with no_grad():
                return fn(*args, **kwargs)
        return wrapper


class Function:
    """One differentiable primitive. Subclasses write `forward(*arrays, **kw)` and `backward(grad)`.

    `backward` returns one gradient per tensor input (None where no gradient flows); `apply` records
    the node only when grad mode is on and some input requires grad.
    """

    __slots__ = ("parents", "needs_input_grad", "__dict__")
    parents: tuple | None  # None once backward has freed the graph
    needs_input_grad: list[bool]
    # NOTE: hooks of the tensor this node produced (Tensor.register_hook on a non-leaf)
    _grad_hooks: OrderedDict | None = None

    @classmethod
    def apply(cls, *inputs, **kwargs):
        ctx = cls()
        out = ctx.forward(*[t.data for t in inputs], **kwargs)
        result = Tensor.__new__(Tensor)
        result.data = out
        result.grad = None
        if is_grad_enabled() and any(t.requires_grad for t in inputs):
            # NOTE: the graph links Functions (and leaf tensors), not the tensors between them, so an
            # intermediate result's array is freed once no one holds it and no backward needs it
            ctx.parents = tuple(t if t._ctx is None else t._ctx for t in inputs)
            ctx.needs_input_grad = [t.requires_grad for t in inputs]
            result.requires_grad = True
            result._ctx = ctx
        else:
            result.requires_grad = False
            result._ctx = None
        return result

    def forward(self, *args, **kwargs):
        raise NotImplementedError

    def backward(self, grad):
        raise NotImplementedError


class Tensor:
    """An n-dimensional array that records the operations applied to it and can backpropagate."""

    __slots__ = ("data", "grad", "requires_grad", "_ctx", "_grad_hooks", "__weakref__")
    data: np.ndarray
    grad: np.ndarray | None
    requires_grad: bool
    _ctx: Function | None
    _grad_hooks: OrderedDict | None
    __array_priority__ = 1000  # ndarray (op) Tensor defers to Tensor's reflected operators

    def __init__(self, data, requires_grad: bool = False):
        if isinstance(data, Tensor):
            data = data.data
        if isinstance(data, np.ndarray):
            array = data
        elif isinstance(data, (bool, np.bool_)) or (
            isinstance(data, (list, tuple)) and np.asarray(data).dtype == np.bool_
        ):
            array = np.asarray(data)
        else:
            array = np.asarray(data)
            if array.dtype.kind in "biuf":
                array = array.astype(_default_dtype)
            else:
                raise TypeError(f"Tensor expects numbers, lists of numbers or an ndarray, got {type(data).__name__}")
        if requires_grad and array.dtype.kind != "f":
            raise TypeError(f"only floating tensors can require grad, got dtype {array.dtype}")
        self.data = array
        self.grad = None
        self.requires_grad = bool(requires_grad)
        self._ctx = None
        self._grad_hooks = None

    # ---- array facts ----------------------------------------------------------------------------
    shape = property(lambda self: self.data.shape)
    dtype = property(lambda self: self.data.dtype)
    ndim = property(lambda self: self.data.ndim)
    size = property(lambda self: self.data.size)

    def __len__(self):
        return len(self.data)

    def item(self):
        return self.data.item()

    def numpy(self) -> np.ndarray:
        return self.data

    def detach(self) -> Tensor:
        """The same data, cut from the graph."""
        return Tensor(self.data)

    @property
    def is_leaf(self) -> bool:
        return self._ctx is None

    def __repr__(self):
        grad = ", requires_grad=True" if self.requires_grad else ""
        if self._ctx is not None:
            grad = f", grad_fn={type(self._ctx).__name__}"
        body = np.array2string(self.data, precision=4, separator=", ", prefix="Tensor(", threshold=20)
        return f"Tensor({body}, shape={self.shape}, dtype={self.dtype}{grad})"

    def register_hook(self, hook) -> RemovableHandle:
        """Call `hook(grad)` with this tensor's gradient (an ndarray, as `.grad`) each time backward
        computes it; a returned array or Tensor replaces the gradient. On a leaf it runs before the
        gradient is accumulated into `.grad`; hooks run in registration order (PyTorch's semantics)."""
        if not self.requires_grad:
            raise RuntimeError("register_hook: cannot register a hook on a tensor that does not require grad")
        owner = self if self._ctx is None else self._ctx  # NOTE: a non-leaf's gradient arrives at its node
        hooks = getattr(owner, "_grad_hooks", None)
        if hooks is None:
            hooks = owner._grad_hooks = OrderedDict()
        return add_hook(hooks, hook, what="register_hook: the hook")

    no_grad = staticmethod(no_grad)  # the original project spelled it Tensor.no_grad()

    # ---- the backward pass --------------------------------------------------------------------------
    def backward(self, grad=None, retain_graph: bool = False) -> None:
        """Accumulate d(self)/d(leaf) into every leaf's `.grad` that requires grad."""
        if not self.requires_grad:
            raise RuntimeError("backward() called on a tensor that does not require grad "
                               "(no input had requires_grad=True, or it was built under no_grad)")
        if grad is None:
            if self.data.size != 1:
                raise RuntimeError(f"backward() without a grad argument needs a scalar output, got shape "
                                   f"{self.shape}; pass grad= of that shape or reduce first (e.g. .sum())")
            grad = np.ones_like(self.data)
        else:
            grad = np.asarray(grad.data if isinstance(grad, Tensor) else grad, dtype=self.dtype)
            if grad.shape != self.shape:
                raise ValueError(f"backward() grad has shape {grad.shape}, expected {self.shape}")

        # The graph's nodes are Functions and leaf tensors. Count, for every node, the edges along
        # which gradient flows into it (one per use), then hand gradients down in Kahn's order: a
        # node runs only once all its consumers have run, so a value used twice gets both parts.
        # NOTE: both passes are loops over an explicit stack, so a 10,000-op chain needs no recursion
        root = self if self._ctx is None else self._ctx
        pending = _count_consumers(root)
        grads = {id(root): grad}
        ready: list[Tensor | Function] = [root]
        while ready:
            node = ready.pop()
            g = grads.pop(id(node), None)
            if not isinstance(node, Function):
                if g is not None and node.requires_grad:
                    hooks = getattr(node, "_grad_hooks", None)
                    if hooks:
                        if g.shape != node.data.shape:
                            g = np.broadcast_to(g, node.data.shape)
                        g = _run_grad_hooks(hooks, g)
                    node._accumulate(g)
                continue
            if g is not None and node._grad_hooks:
                g = _run_grad_hooks(node._grad_hooks, g)
            parents = node.parents
            assert parents is not None  # NOTE: _count_consumers raised on a freed graph
            parent_grads = node.backward(g) if g is not None else (None,) * len(parents)
            for parent, needs_grad, parent_grad in zip(parents, node.needs_input_grad, parent_grads):
                if not needs_grad:
                    continue
                key = id(parent)
                if parent_grad is not None:
                    grads[key] = parent_grad if key not in grads else grads[key] + parent_grad
                pending[key] -= 1
                if pending[key] == 0:
                    ready.append(parent)
            if not retain_graph:
                node.parents = None
                node.__dict__.clear()  # NOTE: frees the arrays saved for backward

    def _accumulate(self, g: np.ndarray) -> None:
        if g.shape != self.data.shape:
            g = np.broadcast_to(g, self.data.shape)
        if self.grad is None:
            self.grad = np.array(g, dtype=self.data.dtype)  # own copy: later ops may update in place
        else:
            self.grad = self.grad + g

    # ---- operators ----------------------------------------------------------------------------------
    def _wrap(self, other) -> Tensor:
        """Turn a Python number or array into a constant tensor; numbers take self's dtype (no upcast)."""
        if isinstance(other, Tensor):
            return other
        if isinstance(other, (int, float)):
            return Tensor(np.asarray(other, dtype=self.data.dtype))
        return Tensor(other)

    def __add__(self, other): return ops.Add.apply(self, self._wrap(other))
    def __radd__(self, other): return ops.Add.apply(self._wrap(other), self)
    def __sub__(self, other): return ops.Sub.apply(self, self._wrap(other))
    def __rsub__(self, other): return ops.Sub.apply(self._wrap(other), self)
    def __mul__(self, other): return ops.Mul.apply(self, self._wrap(other))
    def __rmul__(self, other): return ops.Mul.apply(self._wrap(other), self)
    def __truediv__(self, other): return ops.Div.apply(self, self._wrap(other))
    def __rtruediv__(self, other): return ops.Div.apply(self._wrap(other), self)
    def __neg__(self): return ops.Neg.apply(self)
    def __matmul__(self, other): return ops.MatMul.apply(self, self._wrap(other))
    def __rmatmul__(self, other): return ops.MatMul.apply(self._wrap(other), self)
    def __getitem__(self, index): return ops.GetItem.apply(self, index=_plain_index(index))

    def __pow__(self, exponent):
        if isinstance(exponent, (int, float)):
            return ops.PowScalar.apply(self, exponent=exponent)
        return ops.Pow.apply(self, self._wrap(exponent))

    def __rpow__(self, base): return ops.Pow.apply(self._wrap(base), self)

    # comparisons give plain boolean arrays-as-tensors (no gradient), as in PyTorch
    def __lt__(self, other): return Tensor(self.data < _raw(other))
    def __le__(self, other): return Tensor(self.data <= _raw(other))
    def __gt__(self, other): return Tensor(self.data > _raw(other))
    def __ge__(self, other): return Tensor(self.data >= _raw(other))

    # ---- elementwise --------------------------------------------------------------------------------
    def exp(self): return ops.Exp.apply(self)
    def log(self): return ops.Log.apply(self)
    def sqrt(self): return ops.Sqrt.apply(self)
    def abs(self): return ops.Abs.apply(self)
    def relu(self): return ops.ReLU.apply(self)
    def sigmoid(self): return ops.Sigmoid.apply(self)
    def logsigmoid(self): return ops.LogSigmoid.apply(self)
    def softplus(self, beta: float = 1.0, threshold: float = 20.0):
        return ops.Softplus.apply(self, beta=beta, threshold=threshold)

    def tanh(self): return ops.Tanh.apply(self)
    def softmax(self, axis: int = -1): return ops.Softmax.apply(self, axis=axis)
    def log_softmax(self, axis: int = -1): return ops.LogSoftmax.apply(self, axis=axis)

    # ---- reductions ---------------------------------------------------------------------------------
    def sum(self, axis=None, keepdims: bool = False):
        return ops.Sum.apply(self, axis=_axes(axis, self.ndim), keepdims=keepdims)

    def mean(self, axis=None, keepdims: bool = False):
        axes = _axes(axis, self.ndim)
        count = int(np.prod([self.shape[a] for a in axes])) if axes else 1
        return self.sum(axis, keepdims) * (1.0 / max(count, 1))

    def max(self, axis=None, keepdims: bool = False):
        return ops.Max.apply(self, axis=_axes(axis, self.ndim), keepdims=keepdims)

    # ---- shape --------------------------------------------------------------------------------------
    def reshape(self, *shape):
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        return ops.Reshape.apply(self, shape=shape)

    def transpose(self, *axes):
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = tuple(axes[0])
        return ops.Transpose.apply(self, axes=axes or None)

    @property
    def T(self):
        return self.transpose()


def _run_grad_hooks(hooks: OrderedDict, grad: np.ndarray) -> np.ndarray:
    """Pass `grad` through each tensor hook in order; a returned value replaces it (same shape)."""
    for hook in tuple(hooks.values()):  # NOTE: a copy, so a hook may remove itself
        result = hook(grad)
        if result is not None:
            result = np.asarray(_raw(result), dtype=grad.dtype)
            if result.shape != grad.shape:
                raise ValueError(f"tensor hook {getattr(hook, '__name__', hook)!r} returned a gradient of shape "
                                 f"{result.shape}, expected {grad.shape}")
            grad = result
    return grad


def _count_consumers(root) -> dict:
    """id(node) -> how many gradient-carrying edges lead into it from the graph above `root`."""
    pending, seen, stack = {id(root): 0}, {id(root)}, [root]
    while stack:
        node = stack.pop()
        if not isinstance(node, Function):
            continue
        if node.parents is None:
            raise RuntimeError("backward() through a graph that was already freed; "
                               "pass retain_graph=True to the first backward() call")
        for parent, needs_grad in zip(node.parents, node.needs_input_grad):
            if not needs_grad:
                continue
            key = id(parent)
            pending[key] = pending.get(key, 0) + 1
            if key not in seen:
                seen.add(key)
                stack.append(parent)
    return pending


def _raw(value):
    return value.data if isinstance(value, Tensor) else value


def _plain_index(index):
    """Indices may hold tensors (integer or boolean arrays); NumPy wants plain arrays."""
    if isinstance(index, tuple):
        return tuple(_raw(i) for i in index)
    return _raw(index)


def _axes(axis, ndim: int):
    """Normalise axis=None|int|tuple to a sorted tuple of non-negative axes."""
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, int):
        axis = (axis,)
    normalised = []
    for a in axis:
        if not -ndim <= a < max(ndim, 1):
            raise ValueError(f"axis {a} is out of range for a tensor with {ndim} dimensions")
        normalised.append(a % ndim if ndim else 0)
    return tuple(sorted(set(normalised)))


def concatenate(tensors, axis: int = 0) -> Tensor:
    """Join tensors along an existing axis (differentiable)."""
    tensors = [t if isinstance(t, Tensor) else Tensor(t) for t in tensors]
    if not tensors:
        raise ValueError("concatenate expects at least one tensor")
    return ops.Concatenate.apply(*tensors, axis=axis)


def stack(tensors, axis: int = 0) -> Tensor:
    """Join tensors along a new axis: each gets a size-1 axis, then they are concatenated."""
    tensors = [t if isinstance(t, Tensor) else Tensor(t) for t in tensors]
    if not tensors:
        raise ValueError("stack expects at least one tensor")
    ndim = tensors[0].ndim + 1
    if not -ndim <= axis < ndim:
        raise ValueError(f"stack axis {axis} is out of range for {ndim - 1}-dimensional tensors")
    axis %= ndim
    expanded = [t.reshape(t.shape[:axis] + (1,) + t.shape[axis:]) for t in tensors]
    return concatenate(expanded, axis=axis)


from npnn import ops  # noqa: E402  NOTE: ops import Function from here; import them last to avoid a cycle
