"""NumPy export ("eject"): a directory with predict.py — the whole forward pass and the preprocessing in
plain NumPy, straight-line and readable — and weights.npz (the state dict under PyTorch's keys).

predict.py holds only the functions its model uses; each layer is one line of `forward`.
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
from presets.export.numpy_layers import FUNCTIONS
from presets.export.sequence_layers import NUMPY_FUNCTIONS

_ALL_FUNCTIONS = {**FUNCTIONS, **NUMPY_FUNCTIONS}  # NOTE: in this order in predict.py: a sequence layer's calls others

SCRIPT = "predict.py"


def _call(i: int, spec: dict, weights: dict) -> tuple[str, list]:
    """model[i] as one line of `forward` (its catalog entry's NumPy translation) and the helper functions
    the line calls."""
    entry = LAYERS[spec["type"]]

    def w(*names: str) -> str:
        return "".join(f', {name}=W["{i}.{name}"]' for name in names if f"{i}.{name}" in weights)

    expression, needs = entry.to_numpy(i, entry.full_spec(spec), w)
    if expression is None:
        return f"# model[{i}] {entry.name}: nothing to do when predicting", needs
    return f"x = {expression}", needs


def _functions(needs: set) -> str:
    """The source of the helper functions needed (and the ones they call), in FUNCTIONS order."""
    todo = set(needs)
    for name in needs:
        todo.update(_ALL_FUNCTIONS[name][0])
    return "\n\n\n".join(source for name, (_, source) in _ALL_FUNCTIONS.items() if name in todo)


def predict_source(bundle: Bundle) -> str:
    """The text of predict.py for `bundle`."""
    weights, lines, needs = bundle.model.state_dict(), [], set()
    for i, spec in enumerate(bundle.spec["model"]):
        line, used = _call(i, spec, weights)
        lines.append(f"    {line}")
        needs.update(used)
    proba = ", predict_proba" if bundle.task == "classification" else ""
    functions = _functions(needs)
    uses_math = "math." in functions
    name = docstring_text(bundle.run_dir.name)
    return f'''"""The npnn run {name} ({bundle.task}) with NumPy alone: preprocessing, network, answers.

{usage(bundle, SCRIPT, (f"from predict import predict{proba}", "raw inputs in, answers as npnn's Bundle gives them"))}

The weights are in {WEIGHTS} beside this file, under PyTorch's state-dict keys ("0.weight", ...).{network_note(bundle)}
"""
{imports(bundle, *(("math",) if uses_math else ()))}from pathlib import Path

import numpy as np

{constants(bundle)}
W = dict(np.load(Path(__file__).with_name("{WEIGHTS}")))


{functions + (chr(10) * 3 if functions else "")}def forward(x):
    """The network, one layer a line: prepared float32 input in, raw outputs (logits or standardised
    predictions) out."""
{chr(10).join(lines)}
    return x


{prepare(bundle)}


{answers(bundle)}


{main(bundle)}
'''


def export_numpy(bundle: Bundle, directory, force: bool = False) -> Path:
    """Write predict.py and weights.npz into `directory` (created if needed); returns the directory. Files of
    those names already there are replaced only with `force`, and only regular files outside the run (else
    OutputError, nothing written)."""
    return write_export(bundle, directory, SCRIPT, predict_source(bundle), force)
