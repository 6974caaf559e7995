"""The preset picker and the hyperparameter inputs, validated as you type by presets.parse_override."""
from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.validation import ValidationResult, Validator
from textual.widgets import Input, Label, Select, Static

from presets import PresetError, parse_override
from presets.catalog import OPTIMIZERS

# (override key, label) for the text fields, in the order they are shown
FIELDS = (("lr", "lr"), ("dropout", "Dropout"), ("patience", "Patience"), ("min_delta", "Min delta"),
          ("epochs", "Epochs"), ("batch_size", "Batch size"), ("seed", "Seed"), ("max_grad_norm", "Clip norm"))


class OverrideValidator(Validator):
    """Valid when presets.parse_override accepts the text; its message explains a refusal."""

    def __init__(self, key: str) -> None:
        super().__init__()
        self.key = key

    def validate(self, value: str) -> ValidationResult:
        try:
            parse_override(self.key, value)
        except PresetError as error:
            return self.failure(str(error))
        return self.success()


def optimizer_choices() -> list[tuple[str, str]]:
    """(label, name) of every registered optimizer, in registration order."""
    return [(entry.label, entry.name) for entry in OPTIMIZERS.values()]


def as_text(key: str, value) -> str:
    """A preset value as the text of its input ("off" for clipping turned off)."""
    if value is None:
        return "off" if key == "max_grad_norm" else ""
    return f"{value:g}" if isinstance(value, float) else str(value)


class HyperparameterForm(Vertical):
    """Preset select with its description, the optimizer select and one Input per setting."""

    def __init__(self, presets: list, preset: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._presets, self._preset = presets, preset  # (title, name_or_path) pairs; the selected one

    def compose(self) -> ComposeResult:
        with Horizontal(classes="field"):
            yield Label("Preset")
            yield Select(self._presets, value=self._preset, allow_blank=False, compact=True, id="preset")
        yield Static("", id="description", markup=False)
        with Horizontal(classes="field"):
            yield Label("Optimizer")
            yield Select(optimizer_choices(), allow_blank=False, compact=True, id="optimizer")
        for key, label in FIELDS:
            with Horizontal(classes="field"):
                yield Label(label)
                yield Input(compact=True, id=key, validators=[OverrideValidator(key)], valid_empty=key == "dropout",
                            placeholder={"max_grad_norm": "off", "dropout": "none"}.get(key, ""))

    def set_values(self, preset) -> None:
        """Show a presets.Preset's settings (dropout None: the model has no Dropout layer, left empty)."""
        self.query_one("#optimizer", Select).value = preset.optimizer
        for key, _ in FIELDS:
            self.query_one(f"#{key}", Input).value = as_text(key, getattr(preset, key))

    def overrides(self) -> tuple[dict, list]:
        """The parsed settings and the messages of those that do not parse, in display order."""
        values, errors = {"optimizer": self.query_one("#optimizer", Select).value}, []
        for key, _ in FIELDS:
            text = self.query_one(f"#{key}", Input).value
            if key == "dropout" and not text.strip():
                continue  # no dropout override: the preset's model decides
            try:
                values[key] = parse_override(key, text)
            except PresetError as error:
                errors.append(str(error))
        return values, errors
