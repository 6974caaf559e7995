"""The preset picker and one field per setting (presets.settings), validated as you type by presets.parse_override."""
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
from presets.option import REQUIRED, Setting
from presets.overrides import options_text, value_text
from presets.settings import SCHEDULE_KEY, all_settings, hot_settings, lock_note, preset_value

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


def select_choices(setting: Setting) -> list[tuple[str, str]]:
    """(label, value) of a setting with choices: the registered optimizers or schedules by their labels."""
    if setting.name == "optimizer":
        return optimizer_choices()
    if setting.name == "lr_schedule":
        return schedule_choices()
    return [(choice, choice) for choice in setting.option.options()]


def as_text(key: str, value) -> str:
    """A preset value as the text of its input (the unset word for a [training] key's None: "off")."""
    if value is None:
        setting = all_settings()[key]
        return setting.unset[0] if setting.holds_none else ""
    return value_text(value)


def _defaults_text(entry) -> str:
    """An optimizer's or schedule's arguments with their defaults, "?" for a required one (a placeholder)."""
    return options_text({o.name: "?" if o.default is REQUIRED else o.default for o in entry.options})


class HyperparameterForm(Vertical):
    """Preset select with its description, then one field per setting (presets.settings), in its order: a
    Select for one with choices (the optimizer, the lr schedule), an Input for the others.

    An optimizer argument (weight decay, ...) left empty is the optimizer's default, shown as the placeholder;
    one the selected optimizer does not take is disabled and its row hidden; the schedule's arguments are
    disabled without a schedule.
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
        self._settings = all_settings()  # NOTE: read once, so the fields and overrides() agree

    def compose(self) -> ComposeResult:
        with Horizontal(classes="field"):
            yield Label("Preset")
            yield Select(self._presets, value=self._preset, allow_blank=False, compact=True, id="preset")
        yield Static("", id="description", markup=False)
        for key, setting in self._settings.items():
            with Horizontal(classes="field"):
                yield Label(setting.label)
                if setting.option.options():
                    yield Select(select_choices(setting), allow_blank=False, compact=True, id=key)
                    continue
                refusal = self._dropout_refusal if key == "dropout" else (lambda: None)
                placeholder = "none" if key == "dropout" else setting.unset[0] if setting.unset else ""
                yield Input(compact=True, id=key, validators=[OverrideValidator(key, refusal)],
                            valid_empty=key == "dropout", placeholder=placeholder)

    def _inputs(self) -> list[tuple[str, Input]]:
        """(key, field) of every setting typed as text, in the form's order."""
        return [(key, self.query_one(f"#{key}", Input)) for key, setting in self._settings.items()
                if not setting.option.options()]

    def _dropout_refusal(self) -> str | None:
        return None if self._has_dropout else "dropout: this preset's model has no Dropout layer to set"

    def set_values(self, preset) -> None:
        """Show a presets.Preset's settings (dropout None: the model has no Dropout layer, left empty; an
        optimizer argument the preset does not set, empty: the optimizer's default)."""
        self._has_dropout = preset.dropout is not None
        self.query_one("#description", Static).update(preset.description)
        for key, setting in self._settings.items():
            value = preset_value(setting, preset)
            if setting.option.options():
                self.query_one(f"#{key}", Select).value = value
            else:
                self.query_one(f"#{key}", Input).value = options_text(value) if setting.read else as_text(key, value)
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
        for key in (key for key, setting in self._settings.items() if setting.group == "optimizer"):
            field = self.query_one(f"#{key}", Input)
            field.disabled = key not in declared
            field.parent.display = key in declared  # NOTE: its row is shown only for the optimizers that take it
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

    def lock_note(self) -> str:
        """What the locked form says: the hot edits the selected optimizer takes (presets.settings.lock_note)."""
        return lock_note(self.query_one("#optimizer", Select).value)

    def lock_for_run(self, running: bool) -> None:
        """While a run trains, every field but the hot edits the selected optimizer takes is disabled and its row
        dimmed; otherwise the form's own rule holds (arguments the optimizer or schedule does not take are off)."""
        editable = {setting.name for setting in hot_settings(self.query_one("#optimizer", Select).value)}
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
        values = {key: self.query_one(f"#{key}", Select).value for key, setting in self._settings.items()
                  if setting.option.options()}
        errors = []
        for key, field in self._inputs():
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
