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
    """Valid when presets.parse_override accepts the text; its message explains a refusal.
    `refusal()` gives a reason the setting cannot be given at all for the current preset, else None."""

    def __init__(self, key: str, refusal=lambda: None) -> None:
        super().__init__()
        self.key, self.refusal = key, refusal

    def validate(self, value: str) -> ValidationResult:
        reason = self.refusal() if value.strip() else None
        if reason:
            return self.failure(reason)
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
        self._has_dropout = True  # the shown preset's model has Dropout layers (set_values)

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
                refusal = self._dropout_refusal if key == "dropout" else (lambda: None)
                yield Input(compact=True, id=key, validators=[OverrideValidator(key, refusal)],
                            valid_empty=key == "dropout", placeholder={"max_grad_norm": "off"}.get(key, ""))

    def _dropout_refusal(self) -> str | None:
        return None if self._has_dropout else "dropout: this preset's model has no Dropout layer to set"

    def set_values(self, preset) -> None:
        """Show a presets.Preset's settings (dropout None: the model has no Dropout layer, left empty)."""
        self._has_dropout = preset.dropout is not None
        self.query_one("#optimizer", Select).value = preset.optimizer
        for key, _ in FIELDS:
            self.query_one(f"#{key}", Input).value = as_text(key, getattr(preset, key))
        # NOTE: the placeholder says what an empty field means, and overrides() does just that
        self.query_one("#dropout", Input).placeholder = "0 (off)" if self._has_dropout else "none"

    def overrides(self) -> tuple[dict, list]:
        """The parsed settings and the messages of those that do not parse, in display order."""
        values, errors = {"optimizer": self.query_one("#optimizer", Select).value}, []
        for key, _ in FIELDS:
            text = self.query_one(f"#{key}", Input).value
            if key == "dropout" and not self._has_dropout:
                if text.strip():
                    errors.append(self._dropout_refusal())
                continue
            if key == "dropout" and not text.strip():
                values[key] = 0.0  # an empty field is what its placeholder says: "0 (off)"
                continue
            try:
                values[key] = parse_override(key, text)
            except PresetError as error:
                errors.append(str(error))
        return values, errors
