"""PyTorch export: a directory with model.py (the equivalent torch.nn.Sequential, the preprocessing and
`predict`) and weights.npz (the state dict under PyTorch's keys). model.py imports only NumPy and torch.
"""
from __future__ import annotations

from pathlib import Path

from presets.bundle import Bundle
from presets.catalog import LAYERS
from presets.export._source import (
    WEIGHTS,
    answers,
    constants,
    docstring_text,
    imports,
    main,
    network_note,
    prepare,
    usage,
    write_export,
)
from presets.export.sequence_layers import PYTORCH_CLASSES

SCRIPT = "model.py"


def layers(specs: list) -> str:
    """The nn.Sequential's arguments, one layer a line: each its catalog entry's PyTorch translation."""
    lines = []
    for i, spec in enumerate(specs):
        entry = LAYERS[spec["type"]]
        lines.append(f"        {entry.to_pytorch(entry.full_spec(spec))},  # {i}")
    return "\n".join(lines)


def classes(lines: str) -> str:
    """The source of the classes model.py defines that the layers' lines call (PYTORCH_CLASSES), each
    followed by two blank lines."""
    return "".join(source + "\n\n\n" for name, source in PYTORCH_CLASSES.items() if f"{name}(" in lines)


def model_source(bundle: Bundle) -> str:
    """The text of model.py for `bundle`."""
    proba = ", predict_proba" if bundle.task == "classification" else ""
    modules = layers(bundle.spec["model"])
    name = docstring_text(bundle.run_dir.name)
    return f'''"""The npnn run {name} as a torch.nn.Sequential, with its preprocessing ({bundle.task}).

{usage(bundle, SCRIPT, (f"from model import predict{proba}", "raw inputs in, answers as npnn's Bundle gives them"),
        ("model = build()", "a fresh nn.Sequential with the trained weights, in eval mode"))}

The weights are in {WEIGHTS} beside this file, under the state dict's keys ("0.weight", ...).{network_note(bundle)}
"""
{imports(bundle)}from pathlib import Path

import numpy as np
import torch
from torch import nn

{constants(bundle)}


{classes(modules)}def build() -> nn.Sequential:
    """The network with the trained weights from {WEIGHTS}, in eval mode (Dropout off, BatchNorm's running
    statistics)."""
    model = nn.Sequential(
{modules}
    )
    with np.load(Path(__file__).with_name("{WEIGHTS}")) as weights:
        model.load_state_dict({{key: torch.from_numpy(weights[key]) for key in weights.files}})
    return model.eval()


MODEL = build()


def forward(x):
    """The network's raw outputs (logits or standardised predictions) for prepared input."""
    with torch.no_grad():
        return MODEL(torch.from_numpy(x)).numpy()


{prepare(bundle)}


{answers(bundle)}


{main(bundle)}
'''


def export_pytorch(bundle: Bundle, directory, force: bool = False) -> Path:
    """Write model.py and weights.npz into `directory` (created if needed); returns the directory. Files of
    those names already there are replaced only with `force`, and only regular files outside the run (else
    OutputError, nothing written)."""
    return write_export(bundle, directory, SCRIPT, model_source(bundle), force)
