"""Build npnn objects from a validated preset: the model from its layer specs, the loss, the optimizer and
its lr schedule.

"auto" sizes are inferred by a dry run, as torch.nn.LazyLinear does: one zero sample goes through the
layers one at a time, each built from its registry entry (presets.catalog) once the shape reaching it
is known. A layer that refuses its input is reported against the preset key (model[i]) that made it.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from npnn import Tensor, get_default_dtype, nn, no_grad, optim
from presets.catalog import LAYERS, LOSSES, NO_SCHEDULE, OPTIMIZERS, SCHEDULERS
from presets.catalog_entries import LayerEntry
from presets.errors import PresetError
from presets.option import AUTO
from presets.schema import Preset
from presets.sequence.layers import check_causal
from presets.sequence.metrics import TokenCrossEntropy


@dataclass(frozen=True)
class InferredLayer:
    """One layer after the dry run: its spec with "auto" resolved, the layer, what it outputs for one sample."""
    spec: dict
    module: nn.Module
    output_shape: tuple[int, ...]
    num_parameters: int


def _resolve(entry: LayerEntry, spec: dict, shape: tuple[int, ...], is_last_output: bool, num_outputs: int,
             key: str) -> dict:
    """The spec with its "auto" options set from the input shape (or the data's outputs); checks explicit ones."""
    ranks = entry.input_ranks
    if ranks is not None and len(shape) not in ranks:
        hint = " (put a Flatten before it)" if 1 in ranks and len(shape) > max(ranks) else ""
        raise PresetError(f"{key}: expects {entry.input_forms()}, gets shape {shape}{hint}")
    spec = dict(spec)
    if entry.tokens is not None and spec.setdefault(entry.tokens, AUTO) == AUTO:
        spec[entry.tokens] = num_outputs  # NOTE: a sequence task's outputs are one score per token
    elif entry.tokens is not None and isinstance(spec[entry.tokens], int) and spec[entry.tokens] < num_outputs:
        raise PresetError(f"{key}: {entry.tokens} is {spec[entry.tokens]} but the data has {num_outputs} distinct "
                          f'tokens; use {entry.tokens} = "auto" or at least {num_outputs}')
    for name, infer in entry.infer.items():
        expected = infer(shape)
        given = spec.setdefault(name, AUTO)
        if given == AUTO:
            spec[name] = expected
        elif given != expected:
            raise PresetError(f"{key}: {name} is {given} but its input has shape {shape}; "
                              f'use {name} = "auto" or {expected}')
    if entry.output is not None and spec.get(entry.output) == AUTO:
        if not is_last_output:
            raise PresetError(f'{key}: {entry.output} = "auto" is only allowed on the last {entry.name} layer')
        spec[entry.output] = num_outputs
    return spec


def dry_run(specs: list, input_shape: tuple, num_outputs: int, where: str = "model",
            tokens: bool = False) -> Iterator[InferredLayer]:
    """Dry-run the layer specs on one zero sample of `input_shape`, yielding each layer once it is resolved,
    built and applied (the model editor shows the layers before the first that fails).

    `tokens`: the input is token ids (a sequence task) and the output one score per token at each position.
    Raises PresetError at the first layer that cannot be built or refuses its input, and after the last
    layer when the model's output is not (num_outputs,) (with tokens: input_shape + (num_outputs,)). The
    layers are in eval mode (batch statistics of one sample would be meaningless).
    """
    last_output = max((i for i, s in enumerate(specs) if s["type"] in LAYERS and LAYERS[s["type"]].output),
                      default=None)
    x = Tensor(np.zeros((1, *input_shape), dtype=np.int64 if tokens else get_default_dtype()))
    weights = np.random.default_rng(0)  # NOTE: thrown away; their own generator leaves every other alone
    for i, spec in enumerate(specs):
        key = f"{where}[{i}] ({spec['type']})"
        if spec["type"] not in LAYERS:
            raise PresetError(f"{where}[{i}].type must be one of {', '.join(LAYERS)}, got {spec['type']!r}")
        entry = LAYERS[spec["type"]]
        shape = tuple(x.shape[1:])
        spec = _resolve(entry, spec, shape, i == last_output, num_outputs, key)
        try:
            module = entry.build(spec, weights)
            module.eval()
            with no_grad():  # NOTE: not around the loop: a generator would hold it across its yields
                x = module(x)
        except (ValueError, TypeError) as error:
            raise PresetError(f"{key}: {error}") from None
        yield InferredLayer(spec, module, tuple(x.shape[1:]), module.num_parameters())
    shape, expected = tuple(x.shape[1:]), (*input_shape, num_outputs) if tokens else (num_outputs,)
    if shape != expected:
        raise PresetError(f"{where}: the model's output has shape {shape}, the data needs {expected}; "
                          "end with a Linear layer whose out_features is \"auto\"")


def infer_layers(specs: list, input_shape: tuple, num_outputs: int, where: str = "model",
                 tokens: bool = False) -> list[InferredLayer]:
    """Every layer of `dry_run`: the specs resolved, checked to chain and to end in the data's outputs."""
    return list(dry_run(specs, input_shape, num_outputs, where, tokens))


def resolve_layers(specs: list, input_shape: tuple, num_outputs: int, where: str = "model",
                   tokens: bool = False) -> list[dict]:
    """Specs with every "auto" replaced by a number (by a dry run); checks that the layers chain."""
    return [layer.spec for layer in infer_layers(specs, input_shape, num_outputs, where, tokens)]


def build_model(specs: list, generator: np.random.Generator | None = None) -> nn.Sequential:
    """An nn.Sequential from resolved layer specs (no "auto" left), initial weights drawn from `generator`."""
    return nn.Sequential(*(LAYERS[spec["type"]].build(spec, generator) for spec in specs))


def check_next_token_model(specs: list, where: str = "model") -> None:
    """A sequence task's model reads no later position (presets.sequence.layers.check_causal)."""
    check_causal(specs, lambda kind, option: LAYERS[kind].option(option).default, where)


def build_loss(preset: Preset) -> nn.Module:
    """The preset's loss; a sequence task's cross-entropy is taken at every scored position."""
    return TokenCrossEntropy() if preset.task == "sequence" else LOSSES[preset.loss]()


def build_optimizer(preset: Preset, model: nn.Module) -> optim.Optimizer:
    return OPTIMIZERS[preset.optimizer].build(model.parameters(), lr=preset.lr, **preset.optimizer_options)


def build_scheduler(preset: Preset, optimizer: optim.Optimizer) -> optim.lr_scheduler.LRScheduler | None:
    """The preset's lr schedule over `optimizer` (None for "none"), stepped once per epoch by the fit loop."""
    if preset.lr_schedule == NO_SCHEDULE:
        return None
    return SCHEDULERS[preset.lr_schedule].build(optimizer, preset.epochs, **preset.lr_schedule_options)
