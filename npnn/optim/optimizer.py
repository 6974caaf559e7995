"""Optimizer base: parameter groups, per-parameter state, validation, zero_grad, the non-finite guard.

Each algorithm writes only `_update(group)` (and `_validate` for its own hyperparameters); the base owns
everything else, as torch.optim does. A training loop needs only the public part: `param_groups`,
`zero_grad()`, `step(closure)`, `skipped_steps`, `hyperparameters()` and `check_hyperparameter()`.
"""
from __future__ import annotations

import copy
import math

import numpy as np

from npnn.tensor import Tensor


def _finite_loss(loss) -> bool:
    return math.isfinite(loss.item() if isinstance(loss, Tensor) else float(loss))


def _state_value(key: str, value, p: Tensor):
    """One saved per-parameter entry as npnn keeps it: arrays in the parameter's dtype, `step` a Python int
    (PyTorch saves it as a float32 scalar tensor; converted to NumPy that is a 0-d array)."""
    if key == "step":
        step = float(np.asarray(value))
        if not step.is_integer() or step < 0:
            raise ValueError(f"Optimizer.load_state_dict: step must be a whole number >= 0, got {value!r}")
        return int(step)
    return np.array(value, dtype=p.dtype) if isinstance(value, np.ndarray) else copy.deepcopy(value)


class Optimizer:
    """Holds `param_groups` (dicts with "params" and hyperparameters; "lr" may be changed at any time).

    Non-finite guard: if the loss the closure returns or ANY gradient of a `step()` holds NaN or Inf,
    the whole step is skipped (no parameter and no state changes) and `skipped_steps` grows by one,
    so one bad batch can never turn the weights into NaN. A loop that has computed the loss itself
    passes it as the closure (`step(lambda: loss)`): a non-finite loss skips the step whatever the
    gradients hold.
    """

    def __init__(self, params, defaults: dict):
        self.defaults = dict(defaults)
        self.state: dict = {}
        self.param_groups: list[dict] = []
        self.skipped_steps = 0
        self._scratch: dict = {}
        if isinstance(params, Tensor):
            raise TypeError(f"{self._name}: params must be an iterable of tensors or of param-group dicts, "
                            "got a single Tensor (wrap it in a list)")
        groups = list(params)
        if not groups:
            raise ValueError(f"{self._name}: got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    @property
    def _name(self) -> str:
        return type(self).__name__

    def add_param_group(self, group: dict) -> None:
        """Add a group of parameters; hyperparameters it leaves out come from the defaults."""
        if not isinstance(group, dict):
            raise TypeError(f"{self._name}: a param group must be a dict, got {type(group).__name__}")
        params = group["params"]
        params = [params] if isinstance(params, Tensor) else list(params)
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(f"{self._name}: parameters must be Tensors, got {type(p).__name__}")
            if not p.requires_grad or p.dtype.kind != "f":
                raise ValueError(f"{self._name}: parameters must be floating tensors with requires_grad=True, "
                                 f"got dtype {p.dtype}, requires_grad={p.requires_grad}")
            if not p.is_leaf:
                raise ValueError(f"{self._name}: can't optimize a non-leaf Tensor")
            if id(p) in seen:
                raise ValueError(f"{self._name}: a parameter appears in more than one param group")
            seen.add(id(p))
        new = {**self.defaults, **{k: v for k, v in group.items() if k != "params"}, "params": params}
        self._validate(new)
        self.param_groups.append(new)

    def hyperparameters(self) -> list[str]:
        """The names of the algorithm's hyperparameters, as each param group holds them ("lr", "betas", ...)."""
        return sorted(self.defaults)

    def check_hyperparameter(self, name: str, value) -> None:
        """ValueError unless every param group would accept `value` for `name`; nothing changes (a loop checks
        a change when it is asked for and applies it between two steps)."""
        if name not in self.defaults:
            raise ValueError(f"{self._name}: no hyperparameter {name!r}; expected one of {self.hyperparameters()}")
        for group in self.param_groups:
            self._validate({**group, name: value})

    def _validate(self, group: dict) -> None:
        """Check the hyperparameters every algorithm shares; subclasses add their own checks."""
        self._check(group, "lr", lambda v: v >= 0, "must be >= 0")
        if "weight_decay" in group:
            self._check(group, "weight_decay", lambda v: v >= 0, "must be >= 0")
        if "eps" in group:
            self._check(group, "eps", lambda v: v > 0, "must be > 0")

    def _check(self, group: dict, name: str, ok, expected: str) -> None:
        value = group[name]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
                or not ok(value):
            raise ValueError(f"{self._name}: {name} {expected}, got {value!r}")

    # ---- the step -----------------------------------------------------------------------------------
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the gradients (None, so the next backward allocates fresh arrays), or zero them."""
        for group in self.param_groups:
            for p in group["params"]:
                if set_to_none:
                    p.grad = None
                elif p.grad is not None:
                    p.grad.fill(0)

    def step(self, closure=None):
        """Apply one update to every parameter that has a gradient, unless the loss or a gradient is non-finite."""
        loss = closure() if closure is not None else None
        if (loss is not None and not _finite_loss(loss)) or not self._grads_finite():
            self.skipped_steps += 1  # the step is not taken: nothing else changes
            return loss
        for group in self.param_groups:
            self._update(group)
        return loss

    def _grads_finite(self) -> bool:
        # NOTE: one reduction per gradient; the sum is non-finite if any element is (or on float
        # overflow, which the exact check then rules out).
        with np.errstate(over="ignore", invalid="ignore"):
            for group in self.param_groups:
                for p in group["params"]:
                    g = p.grad
                    if g is not None and not math.isfinite(g.sum()) and not np.isfinite(g).all():
                        return False
        return True

    def _update(self, group: dict) -> None:
        raise NotImplementedError

    def _buffers(self, p: Tensor) -> tuple[np.ndarray, np.ndarray]:
        """Two scratch arrays shaped like `p` for in-place arithmetic (not part of the saved state)."""
        bufs = self._scratch.get(id(p))
        if bufs is None or bufs[0].shape != p.data.shape or bufs[0].dtype != p.data.dtype:
            bufs = self._scratch[id(p)] = (np.empty_like(p.data), np.empty_like(p.data))
        return bufs

    # ---- saving -------------------------------------------------------------------------------------
    def state_dict(self) -> dict:
        """PyTorch's layout: state by parameter index, groups with "params" as index lists (deep copies)."""
        index: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            ids = []
            for p in group["params"]:
                index.setdefault(id(p), len(index))
                ids.append(index[id(p)])
            groups.append({**{k: copy.deepcopy(v) for k, v in group.items() if k != "params"}, "params": ids})
        state = {index[id(p)]: copy.deepcopy(s) for g in self.param_groups for p in g["params"]
                 if (s := self.state.get(p))}
        return {"state": state, "param_groups": groups, "skipped_steps": self.skipped_steps}

    def load_state_dict(self, state_dict: dict) -> None:
        """Load what `state_dict()` returned, for an optimizer over the same parameters in the same order."""
        groups = state_dict["param_groups"]
        if len(groups) != len(self.param_groups):
            raise ValueError(f"{self._name}.load_state_dict: saved state has {len(groups)} param groups, "
                             f"this optimizer has {len(self.param_groups)}")
        params: list[tuple[int, Tensor]] = []
        for mine, saved in zip(self.param_groups, groups):
            if len(mine["params"]) != len(saved["params"]):
                raise ValueError(f"{self._name}.load_state_dict: a saved param group has "
                                 f"{len(saved['params'])} parameters, this one has {len(mine['params'])}")
            params.extend(zip(saved["params"], mine["params"]))
        self.state = {}
        saved_state = state_dict["state"]
        for idx, p in params:
            if idx in saved_state:
                self.state[p] = {k: _state_value(k, v, p) for k, v in saved_state[idx].items()}
        for mine, saved in zip(self.param_groups, groups):
            mine.update({k: copy.deepcopy(v) for k, v in saved.items() if k != "params"})
        self.skipped_steps = int(state_dict.get("skipped_steps", 0))

    def __repr__(self):
        lines = [f"{self._name} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines.extend(f"    {k}: {v}" for k, v in sorted(group.items()) if k != "params")
        return "\n".join(lines + [")"])
