"""docs/presets.md, generated from the registry: every layer and optimizer a preset can name, with options.

Regenerate with `python -m presets.docs > docs/presets.md`; tests/test_registry.py checks the file is current.
"""
from __future__ import annotations

import sys

from presets.catalog import LAYERS, LOSSES, OPTIMIZERS
from presets.option import REQUIRED, Option


def _default(option: Option) -> str:
    if option.default is REQUIRED:
        return "required"
    if option.default is None:
        return "npnn's default"
    if isinstance(option.default, bool):
        return "true" if option.default else "false"
    return f'"{option.default}"' if isinstance(option.default, str) else f"{option.default:g}"


def _options(options: tuple[Option, ...]) -> str:
    if not options:
        return "—"
    return "<br>".join(f"`{o.name}`: {o.allowed}; {_default(o)}" + (f" — {o.help}" if o.help else "")
                       for o in options)


def reference_markdown() -> str:
    """The reference page's text: one table of layers, one of optimizers, the loss names."""
    lines = [
        "# What a preset can name",
        "",
        "Generated from `presets/catalog.py` by `python -m presets.docs > docs/presets.md` (a test keeps it",
        "current). Options are written in a preset's `model` list as `{ type = \"Linear\", out_features = 64 }`;",
        'an option whose range says `or "auto"` may be left to the data: sizes are inferred by running one',
        "sample through the model (as `torch.nn.LazyLinear` does), and the last `out_features = \"auto\"` is",
        "the number of outputs the task needs. Defaults are the npnn class's own.",
        "",
        "## Layers (`model = [{ type = ... }]`)",
        "",
        "| type | what it is | options: allowed; default |",
        "| --- | --- | --- |",
    ]
    lines += [f"| `{e.name}` | {e.label} | {_options(e.options)} |" for e in LAYERS.values()]
    lines += [
        "",
        "## Optimizers (`[training] optimizer = ...`, with `lr`)",
        "",
        "Their other arguments go in `[training.optimizer_options]`, e.g. `momentum = 0.9` for `sgd`.",
        "",
        "| optimizer | npnn class | `optimizer_options`: allowed; default |",
        "| --- | --- | --- |",
    ]
    lines += [f"| `{e.name}` | `npnn.optim.{e.cls.__name__}` | {_options(e.options)} |" for e in OPTIMIZERS.values()]
    lines += ["", "## Losses (`[training] loss = ...`)", ""]
    lines += [f"- `{name}`: `npnn.nn.{cls.__name__}`" for name, cls in LOSSES.items()]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.stdout.write(reference_markdown())
