"""What an entry of the preset registry (presets.catalog) is: a layer, an optimizer or an lr schedule a preset
may name, with its options, how "auto" sizes are inferred and how it is built."""
from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from npnn import nn, optim
from presets.errors import PresetError
from presets.option import AUTO, Option, Setting

# How many dimensions one sample has for layers that take only one kind of input (no batch dimension).
INPUT_FORMS = {1: "vectors (features,)", 2: "sequences (time, features)", 3: "images (channels, height, width)"}


@dataclass(frozen=True)
class LayerEntry:
    """A layer a preset's `model` list may use: `{ type = name, <option> = value, ... }`.

    `infer` maps an option to how its "auto" value follows from the shape of one sample reaching the
    layer (as torch.nn.LazyLinear infers in_features); `output` names the option whose "auto" is the
    data's number of outputs (allowed on the last layer that has it); `tokens` the option whose "auto" is
    the number of distinct tokens of a sequence task's data; `input_rank` is the number of dimensions of
    one sample the layer takes, or a tuple of them (None: any). `to_onnx`, `to_numpy` and `to_pytorch` are the
    layer's translations for the exports (presets/export/*_layers.py say what each takes and returns).
    """
    name: str
    cls: type
    label: str
    to_onnx: Callable
    to_numpy: Callable
    to_pytorch: Callable
    options: tuple[Option, ...] = ()
    infer: dict[str, Callable[[tuple[int, ...]], int]] = field(default_factory=dict)
    output: str | None = None
    tokens: str | None = None
    input_rank: int | tuple[int, ...] | None = None
    group: str = "layer"

    @property
    def input_ranks(self) -> tuple[int, ...] | None:
        """The numbers of dimensions of one sample the layer takes (None: any)."""
        return (self.input_rank,) if isinstance(self.input_rank, int) else self.input_rank

    def input_forms(self) -> str:
        """What the layer takes, in words: "vectors (features,) or sequences (time, features)"."""
        return " or ".join(INPUT_FORMS.get(rank, f"{rank}-d samples") for rank in self.input_ranks or ())

    def option(self, name: str) -> Option:
        for option in self.options:
            if option.name == name:
                return option
        raise KeyError(f"{self.name} has no option {name!r}; options: {', '.join(self.option_names())}")

    def option_names(self) -> tuple[str, ...]:
        return tuple(option.name for option in self.options)

    def full_spec(self, spec: dict) -> dict:
        """`spec` with every option spelled out (the defaults filled in), as the exports write it."""
        return {"type": self.name} | {option.name: spec.get(option.name, option.default) for option in self.options}

    def build(self, spec: dict, generator: np.random.Generator | None = None) -> nn.Module:
        """The npnn layer for a resolved spec (no "auto" left), random initial weights drawn from `generator`
        when the class takes one; npnn's own ValueError/TypeError pass through."""
        options = {key: value for key, value in spec.items() if key != "type"}
        if generator is not None and "generator" in inspect.signature(self.cls).parameters:
            options["generator"] = generator
        return self.cls(**options)


@dataclass(frozen=True)
class _ClassEntry:
    """An npnn class a preset names in one [training] key, its other arguments in a sub-table `<key>_options`."""
    name: str
    cls: type
    label: str
    options: tuple[Option, ...] = ()
    key = ""  # the [training] key that names it, for messages

    def option_names(self) -> tuple[str, ...]:
        return tuple(option.name for option in self.options)

    def check_options(self, options: dict, prefix: str | None = None, where: str | None = None) -> dict:
        """The options checked against their declarations, required ones present; PresetError names the key
        and what is allowed."""
        head, prefix = f"{where}: " if where else "", prefix or f"{self.key}_options"
        if not isinstance(options, dict):
            raise PresetError(f"{head}[{prefix}] must be a table, got {options!r}")
        declared = {option.name: option for option in self.options}
        out = {}
        for key, value in options.items():
            if key not in declared:
                raise PresetError(f"{head}unknown key {f'{prefix}.{key}'!r} for {self.key} {self.name}; "
                                  f"allowed: {', '.join(declared) or 'none'}")
            out[key] = declared[key].check(value, f"{prefix}.{key}", where)
        for option in self.options:
            if option.required and option.name not in out:
                raise PresetError(f"{head}{self.key} {self.name} needs {prefix}.{option.name} ({option.allowed})")
        return out


@dataclass(frozen=True)
class OptimizerEntry(_ClassEntry):
    """An optimizer a preset's `[training] optimizer` may name; `lr` comes from the preset, `options` are
    the other keyword arguments a preset may set in `[training.optimizer_options]` (defaults: the class's),
    `settings` the same arguments as Settings (the flags, form fields and hot edits that set them)."""
    key = "optimizer"
    settings: tuple[Setting, ...] = ()

    def option(self, name: str) -> Option:
        """The declaration of argument `name`, with this optimizer's default."""
        return next(option for option in self.options if option.name == name)

    def build(self, params, lr: float, **options: Any) -> optim.Optimizer:
        """The optimizer over `params`; each option is checked against its declaration first."""
        return self.cls(params, lr=lr, **self.check_options(options))


@dataclass(frozen=True)
class SchedulerEntry(_ClassEntry):
    """An lr schedule a preset's `[training] lr_schedule` may name, stepped once per epoch by the fit loop;
    its arguments go in `[training.lr_schedule_options]`. An option that is "auto" takes the epoch budget."""
    key = "lr_schedule"

    def build(self, optimizer: optim.Optimizer, epochs: int, **options: Any) -> optim.lr_scheduler.LRScheduler:
        options = {option.name: option.default for option in self.options if not option.required} | options
        options = {name: epochs if value == AUTO else value for name, value in options.items()}
        return self.cls(optimizer, **options)
