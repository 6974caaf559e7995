"""Hook handles: what every `register_*hook` returns (PyTorch's torch.utils.hooks.RemovableHandle).

Each hook lives in an ordered dict owned by the module or tensor it is registered on, keyed by its
handle, so hooks run in registration order and nothing is kept in a module-level registry.
"""
from __future__ import annotations

import weakref
from collections import OrderedDict


class RemovableHandle:
    """`handle.remove()` unregisters the hook (again is harmless); `with handle:` removes it on exit.

    NOTE: it holds the hook dicts by weak reference, so a kept handle does not keep a module alive.
    """

    __slots__ = ("_dicts", "__weakref__")

    def __init__(self, *hooks_dicts: OrderedDict):
        self._dicts = tuple(weakref.ref(d) for d in hooks_dicts)

    def remove(self) -> None:
        for ref in self._dicts:
            hooks = ref()
            if hooks is not None:
                hooks.pop(self, None)

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc) -> None:
        self.remove()

    def __repr__(self):
        alive = any(ref() is not None and self in ref() for ref in self._dicts)
        return f"RemovableHandle({'registered' if alive else 'removed'})"


def add_hook(hooks: OrderedDict, hook, value=None, prepend: bool = False, what: str = "hook") -> RemovableHandle:
    """Register `hook` (stored as `value` when given) last in `hooks`, or first when `prepend`."""
    if not callable(hook):
        raise TypeError(f"{what} must be callable, got {type(hook).__name__}")
    handle = RemovableHandle(hooks)
    hooks[handle] = hook if value is None else value
    if prepend:
        hooks.move_to_end(handle, last=False)
    return handle
