"""The preset picker and the hyperparameter inputs, validated as you type by presets.parse_override."""
from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.validation import ValidationResult, Validator
from textual.widgets import Input, Label, Select, Static

from presets import PresetError, parse_override
from presets.catalog import NO_SCHEDULE, OPTIMIZERS, SCHEDULERS
from presets.option import REQUIRED
from presets.overrides import options_text, value_text
from presets.schema import OPTIMIZER_KEYS, SCHEDULE_KEY

# (override key, label) for the text fields, in the order they are shown; the optimizer's arguments follow
# its select, the schedule's arguments its select
FIELDS = (("lr", "lr"), ("weight_decay", "Wt decay"), ("momentum", "Momentum"), ("nesterov", "Nesterov"),
          ("betas", "Betas"), ("dropout", "Dropout"), ("patience", "Patience"), ("min_delta", "Min delta"),
          ("epochs", "Epochs"), ("batch_size", "Batch size"), ("seed", "Seed"), ("max_grad_norm", "Clip norm"))
SCHEDULE_FIELDS = ((SCHEDULE_KEY, "Sched args"),)
_PLACEHOLDERS = {"max_grad_norm": "off", "dropout": "none"}
_UNUSED = "—"  # the placeholder of an argument the selected optimizer or schedule does not take


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


def schedule_choices() -> list[tuple[str, str]]:
    """(label, name) of "none" and every registered lr schedule."""
    return [("None", NO_SCHEDULE), *((entry.label, entry.name) for entry in SCHEDULERS.values())]


def as_text(key: str, value) -> str:
    """A preset value as the text of its input ("off" for clipping turned off)."""
    if value is None:
        return "off" if key == "max_grad_norm" else ""
    return value_text(value)


def _defaults_text(entry) -> str:
    """An optimizer's or schedule's arguments with their defaults, "?" for a required one (a placeholder)."""
    return options_text({o.name: "?" if o.default is REQUIRED else o.default for o in entry.options})


class HyperparameterForm(Vertical):
    """Preset select with its description, the optimizer select, one Input per setting and the lr schedule.

    An optimizer argument (weight decay, ...) left empty is the optimizer's default, shown as the placeholder;
    one the selected optimizer does not take is disabled, as are the schedule's arguments without a schedule.
    """

    @dataclass
    class PresetChosen(Message):
        """The preset picker's value changed to `preset` (a name or path)."""
        preset: str

    @dataclass
    class Edited(Message):
        """A field or the optimizer or schedule changed: `overrides()` may say something new."""

    @dataclass
    class Submitted(Message):
        """Enter in the field of setting `key`, holding `text` (a hot edit while a run trains)."""
        key: str
        text: str

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
        yield from self._inputs(FIELDS)
        with Horizontal(classes="field"):
            yield Label("LR sched")
            yield Select(schedule_choices(), allow_blank=False, compact=True, id="lr_schedule")
        yield from self._inputs(SCHEDULE_FIELDS)

    def _inputs(self, fields) -> ComposeResult:
        for key, label in fields:
            with Horizontal(classes="field"):
                yield Label(label)
                refusal = self._dropout_refusal if key == "dropout" else (lambda: None)
                yield Input(compact=True, id=key, validators=[OverrideValidator(key, refusal)],
                            valid_empty=key == "dropout", placeholder=_PLACEHOLDERS.get(key, ""))

    def _dropout_refusal(self) -> str | None:
        return None if self._has_dropout else "dropout: this preset's model has no Dropout layer to set"

    def set_values(self, preset) -> None:
        """Show a presets.Preset's settings (dropout None: the model has no Dropout layer, left empty; an
        optimizer argument the preset does not set, empty: the optimizer's default)."""
        self._has_dropout = preset.dropout is not None
        self.query_one("#description", Static).update(preset.description)
        self.query_one("#optimizer", Select).value = preset.optimizer
        self.query_one("#lr_schedule", Select).value = preset.lr_schedule
        for key, _ in FIELDS:
            value = preset.optimizer_options.get(key) if key in OPTIMIZER_KEYS else getattr(preset, key)
            self.query_one(f"#{key}", Input).value = as_text(key, value)
        self.query_one(f"#{SCHEDULE_KEY}", Input).value = options_text(preset.lr_schedule_options)
        # NOTE: the placeholder says what an empty field means, and overrides() does just that
        self.query_one("#dropout", Input).placeholder = "0 (off)" if self._has_dropout else "none"
        self._show_optimizer(preset.optimizer)
        self._show_schedule(preset.lr_schedule)

    def show_dropout(self, rate: float | None) -> None:
        """The Dropout field shows `rate` (the model editor's layers carry it)."""
        self.query_one("#dropout", Input).value = as_text("dropout", rate)

    @on(Select.Changed, "#preset")
    def _preset_chosen(self, event: Select.Changed) -> None:
        self.post_message(self.PresetChosen(event.value))

    @on(Input.Changed)
    @on(Select.Changed, "#optimizer, #lr_schedule")
    def _edited(self) -> None:
        self.post_message(self.Edited())

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        self.post_message(self.Submitted(event.input.id, event.value))

    @on(Select.Changed, "#optimizer")
    def _optimizer_changed(self, event: Select.Changed) -> None:
        self._show_optimizer(event.value)

    @on(Select.Changed, "#lr_schedule")
    def _schedule_changed(self, event: Select.Changed) -> None:
        self._show_schedule(event.value)

    def _show_optimizer(self, name: str) -> None:
        """Enable the arguments `name` takes, with its defaults as placeholders; clear and disable the others."""
        declared = {option.name: option for option in OPTIMIZERS[name].options}
        for key in OPTIMIZER_KEYS:
            field = self.query_one(f"#{key}", Input)
            field.disabled = key not in declared
            field.placeholder = value_text(declared[key].default) if key in declared else _UNUSED
            if field.disabled:
                field.value = ""

    def _show_schedule(self, name: str) -> None:
        """The schedule's arguments field: its defaults as placeholder, without arguments it does not take."""
        field = self.query_one(f"#{SCHEDULE_KEY}", Input)
        entry = SCHEDULERS.get(name)
        field.disabled = entry is None
        field.placeholder = _defaults_text(entry) if entry else _UNUSED
        try:
            given = parse_override(SCHEDULE_KEY, field.value)
        except PresetError:
            return  # the user's text stays, the validator explains it
        taken = {k: v for k, v in given.items() if entry and k in entry.option_names()}
        if taken != given:
            field.value = options_text(taken)

    def lock_for_run(self, running: bool, editable=()) -> None:
        """While a run trains, every field but those in `editable` (the hot edits) is disabled and its row
        dimmed; otherwise the form's own rule holds (arguments the optimizer or schedule does not take are off)."""
        fields = list(self.query("Input, Select"))
        for field in fields:
            field.disabled = False
        self._show_optimizer(self.query_one("#optimizer", Select).value)
        self._show_schedule(self.query_one("#lr_schedule", Select).value)
        for field in fields:
            locked = running and field.id not in editable
            field.disabled = field.disabled or locked
            field.parent.set_class(locked, "-locked")  # its row: the label dims too

    def overrides(self) -> tuple[dict, list]:
        """The parsed settings and the messages of those that do not parse, in display order."""
        values, errors = {"optimizer": self.query_one("#optimizer", Select).value,
                          "lr_schedule": self.query_one("#lr_schedule", Select).value}, []
        for key, _ in (*FIELDS, *SCHEDULE_FIELDS):
            field = self.query_one(f"#{key}", Input)
            if field.disabled:
                continue  # not taken by the optimizer or schedule
            if key == "dropout" and not self._has_dropout:
                if field.value.strip():
                    errors.append(self._dropout_refusal())
                continue
            if key == "dropout" and not field.value.strip():
                values[key] = 0.0  # an empty field is what its placeholder says: "0 (off)"
                continue
            try:
                values[key] = parse_override(key, field.value)
            except PresetError as error:
                errors.append(str(error))
        return values, errors
