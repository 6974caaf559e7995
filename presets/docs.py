"""docs/presets.md, generated from the registry: every layer, optimizer and lr schedule a preset can name, and
every setting with its flag, where a preset records it and whether it may change mid-run.

Regenerate with `python -m presets.docs > docs/presets.md`; tests/test_registry.py checks the file is current.
"""
from __future__ import annotations

import sys

from presets.catalog import LAYERS, LOSSES, NO_SCHEDULE, OPTIMIZERS, SCHEDULERS
from presets.option import REQUIRED, Option, Setting
from presets.schema import DATA_FIELDS, SEQUENCE_SOURCES, TASKS
from presets.settings import OPTIONS_KEY, all_settings, describe


def _default(option: Option) -> str:
    if option.default is REQUIRED:
        return "required"
    if option.default is None:
        return "npnn's default"
    if isinstance(option.default, bool):
        return "true" if option.default else "false"
    if isinstance(option.default, tuple):
        return "[" + ", ".join(f"{value:g}" for value in option.default) + "]"
    return f'"{option.default}"' if isinstance(option.default, str) else f"{option.default:g}"


def _options(options: tuple[Option, ...]) -> str:
    if not options:
        return "—"
    return "<br>".join(f"`{o.name}`: {o.allowed}; {_default(o)}" + (f" — {o.help}" if o.help else "")
                       for o in options)


def _where(setting: Setting) -> str:
    """Where a preset records the setting."""
    if setting.group == "optimizer":
        return f"`[training.{OPTIONS_KEY}] {setting.name}`"
    return f"`[training.{setting.name}]`" if setting.group == "schedule" else f"`[training] {setting.name}`"


def _settings_table() -> list[str]:
    rows = []
    for s in all_settings().values():
        metavar = s.metavar.replace("|", "\\|")  # NOTE: a bare | ends a table cell, even in code
        flags = ", ".join(f"`{flag} {metavar}`" for flag in (s.flag, *s.aliases))
        rows.append(f"| {flags} | {_where(s)} | {s.label} | {'yes' if s.hot else '—'} | {describe(s)} |")
    return rows


def reference_markdown() -> str:
    """The reference page's text: one table of layers, one of optimizers, one of lr schedules, the loss names."""
    lines = [
        "# What a preset can name",
        "",
        "Generated from `presets/catalog.py` and `presets/settings.py` by `python -m presets.docs >",
        "docs/presets.md` (a test keeps it current). Options are written in a preset's `model` list as "
        "`{ type = \"Linear\", out_features = 64 }`;",
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
        "## Settings (command line, the app's form, sweeps, mid-run edits)",
        "",
        "Each setting is one flag, one field of the app's form (its label) and one `--param` name of a sweep",
        "(pairs and tables excepted). Hot ones may change while a run trains (Enter in the locked form); a run",
        "records each change in its `config.toml` as `[[changes]]` (`epoch`, `batch`, `name`, `value`), so",
        "passing that file back as `--preset` replays it. An optimizer's argument applies to the optimizers",
        "that take it; `default` means the optimizer's own value.",
        "",
        "| flag | in a preset | form label | hot | what it is |",
        "| --- | --- | --- | --- | --- |",
        *_settings_table(),
        "",
        "## Optimizers (`[training] optimizer = ...`, with `lr`)",
        "",
        "Their other arguments go in `[training.optimizer_options]`, e.g. `momentum = 0.9` for `sgd`, or are",
        "given as flags (`--weight-decay 1e-4`, `--nesterov true`, `--betas 0.9,0.99`, `--eps 1e-6`, `--alpha",
        "0.9`; see Settings above).",
        "",
        "| optimizer | npnn class | `optimizer_options`: allowed; default |",
        "| --- | --- | --- |",
    ]
    lines += [f"| `{e.name}` | `npnn.optim.{e.cls.__name__}` | {_options(e.options)} |" for e in OPTIMIZERS.values()]
    lines += [
        "",
        f"## Learning-rate schedules (`[training] lr_schedule = ...`, default `\"{NO_SCHEDULE}\"`)",
        "",
        "Stepped once per epoch (`plateau` on the validation loss); the epoch's lr is in `history.csv`.",
        "Their arguments go in `[training.lr_schedule_options]`, e.g. `step_size = 10` for `step`",
        "(`--lr-schedule step --lr-schedule-options step_size=10,gamma=0.5` on the command line).",
        "",
        "| lr_schedule | npnn class | `lr_schedule_options`: allowed; default |",
        "| --- | --- | --- |",
    ]
    lines += [f"| `{e.name}` | `npnn.optim.lr_scheduler.{e.cls.__name__}` | {_options(e.options)} |"
              for e in SCHEDULERS.values()]
    lines += ["", "## Losses (`[training] loss = ...`)", ""]
    lines += [f"- `{name}`: `npnn.nn.{cls.__name__}`" for name, cls in LOSSES.items()]
    lines += [
        "",
        "## Tasks and data (`task = ...`, `[data]`)",
        "",
        f"`task` is one of {', '.join(f'`{t}`' for t in TASKS)}. A `sequence` task (next-token prediction: the",
        f"model gets token ids and gives a score per token at each position) reads the sources "
        f"{' and '.join(f'`{s}`' for s in SEQUENCE_SOURCES)},",
        "and only it does; its model may not read later positions (`causal = true`, `bidirectional = false`).",
        "",
        "| `[data]` key | allowed | what it is |",
        "| --- | --- | --- |",
    ]
    lines += [f"| `{o.name}` | {o.allowed} | {o.help} |" for o in DATA_FIELDS.values()]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.stdout.write(reference_markdown())
