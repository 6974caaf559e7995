"""Each layer's PyTorch translation: the torch.nn module model.py builds for it, given to its catalog entry.

A translation takes model[i]'s full spec and returns the Python expression of the module (`nn` is
torch.nn there); the module's state-dict keys must be npnn's, as weights.npz holds them.
"""
from __future__ import annotations


def same_class(spec: dict) -> str:
    """`nn.<type>(<every option>)`: npnn's class and option names are PyTorch's."""
    options = ", ".join(f"{key}={value!r}" for key, value in spec.items() if key != "type")
    return f"nn.{spec['type']}({options})"
