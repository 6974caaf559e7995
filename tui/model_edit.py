"""The model editor's layer list without any UI: edits (add, remove, move, BatchNorm on/off, an option typed
in) and the check after each, by the preset schema's own rules against the data's shapes.

The check is what a preset file gets: presets.schema.validate_layers, then presets.models.dry_run, which
infers the "auto" sizes and the output shapes; the editor shows the layers the dry run got through.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from presets.catalog import LAYERS
from presets.catalog_entries import LayerEntry
from presets.errors import PresetError
from presets.models import InferredLayer, check_next_token_model, dry_run
from presets.option import Option
from presets.schema import validate_layers

EDITED = "the edited model"  # `where` of the schema's messages
# starting values of the required options of a layer just added (any other option starts at its default)
NEW_LAYER = {"out_features": 64, "out_channels": 16, "kernel_size": 3, "output_size": 1}
# NOTE: the editor dry-runs the model on every key: a size typed digit by digit (1, 10, ... 10**8) must not
# build a layer of gigabytes on the way; a preset file may still ask for more
MAX_SIZE = 2 ** 20
SHORT = {"out_features": "out", "out_channels": "out", "kernel_size": "kernel", "padding": "pad"}
BATCH_NORM = {"Linear": "BatchNorm1d", "Conv2d": "BatchNorm2d"}  # what "BatchNorm on" puts after each
# NOTE: layers that keep a model linear (Dropout scales, Identity passes): two Linear layers with only
# these between them compose to one linear map
LINEAR_PASS = ("Dropout", "Identity")


@dataclass(eq=False)
class EditedLayer:
    """One layer of the editor: its spec (every value already accepted by its Option; inferred sizes left
    out, so "auto") and the text of fields that do not parse (option name → text), which block Apply."""
    spec: dict
    typed: dict = field(default_factory=dict)

    @property
    def entry(self) -> LayerEntry:
        return LAYERS[self.spec["type"]]


def editable(spec: dict) -> EditedLayer:
    """A preset's layer with its inferred sizes (in_features, in_channels...) back to "auto": the editor
    infers them again after every edit, so widening one layer resizes the next."""
    entry = LAYERS[spec["type"]]
    return EditedLayer({key: value for key, value in spec.items() if key not in entry.infer})


def new_layer(name: str, dropout: float | None = None) -> EditedLayer:
    """A layer of type `name` as added in the editor: its required options from NEW_LAYER (a Dropout's p
    is the model's one rate when it has one)."""
    entry = LAYERS[name]
    spec = {"type": name}
    for option in entry.options:
        if option.required and option.name in NEW_LAYER:
            spec[option.name] = NEW_LAYER[option.name]
    if name == "Dropout" and dropout is not None:
        spec["p"] = dropout
    return EditedLayer(spec)


def swaps(name: str) -> list[str]:
    """The types a layer's type can change to, keeping its place: the others of its group (an activation
    for another, a pooling for another...); none for Linear and Conv2d, whose options differ."""
    group = LAYERS[name].group
    return [] if group == "layer" else [entry.name for entry in LAYERS.values() if entry.group == group]


def as_text(value) -> str:
    """An option's value as the text of its field."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return f"{value:g}" if isinstance(value, float) else str(value)


def placeholder(option: Option) -> str:
    """What an empty field means: the option's default."""
    if option.required:
        return "required"
    return "default" if option.default is None else as_text(option.default)


def field_error(option: Option, text: str, key: str) -> str | None:
    """Why `text` is not a value of `option` (None: it is, or it is empty and the option has a default)."""
    if not text.strip() and not option.required:
        return None
    try:
        option.parse(text, key)
    except PresetError as error:
        return str(error)
    except OverflowError:  # NOTE: an integer of hundreds of digits, which no float can hold
        return f"{key} must be {option.allowed}, got a number of {len(text.strip())} characters"
    return None


@dataclass(frozen=True)
class Checked:
    """The verdict on the layer list: the layers the dry run got through, the first problem and its row."""
    rows: tuple[InferredLayer, ...] = ()
    error: str | None = None
    bad: int | None = None  # the row the error belongs to (None: the model as a whole, or no error)

    @property
    def num_parameters(self) -> int:
        return sum(row.num_parameters for row in self.rows)


def _unparsed(layers: list[EditedLayer]) -> tuple[str, int] | None:
    """The first field whose text does not parse: its message and row."""
    for i, layer in enumerate(layers):
        for name, text in layer.typed.items():
            message = field_error(layer.entry.option(name), text, f"model[{i}].{name}")
            if message is not None:
                return message, i
    return None


def _too_large(specs: list[dict]) -> tuple[str, int] | None:
    """The first size beyond MAX_SIZE: why it is refused, and its row."""
    for i, spec in enumerate(specs):
        for name, value in spec.items():
            if isinstance(value, int) and not isinstance(value, bool) and value > MAX_SIZE:
                return (f"model[{i}].{name} is {value:,}; the editor builds sizes up to {MAX_SIZE:,} "
                        "(a preset file may ask for more)"), i
    return None


def check(layers: list[EditedLayer], input_shape: tuple, num_outputs: int, tokens: bool = False) -> Checked:
    """The first field that does not parse, else a size beyond MAX_SIZE (no dry run then), else the schema's
    layer check, else the dry run's verdict; the rows the dry run got through either way. `tokens`: the input
    is token ids (a sequence task's)."""
    specs = [layer.spec for layer in layers]
    unparsed, too_large = _unparsed(layers), _too_large(specs)
    if too_large is not None:
        return Checked((), *(unparsed or too_large))
    rows: list[InferredLayer] = []
    error = bad = None
    try:
        validate_layers(EDITED, specs)
    except PresetError as problem:
        error = str(problem)
        bad = next((i for i, layer in enumerate(layers)
                    if any(o.required and o.name not in layer.spec for o in layer.entry.options)), None)
    try:
        for row in dry_run(specs, input_shape, num_outputs, tokens=tokens):
            rows.append(row)
        if tokens:
            check_next_token_model(specs, EDITED)
    except PresetError as problem:
        if error is None:
            error, bad = str(problem), getattr(problem, "layer", len(rows) if len(rows) < len(specs) else None)
    except MemoryError as problem:  # NOTE: sizes whose product is beyond memory (NumPy refuses before allocating)
        if error is None:
            error, bad = f"model[{len(rows)}] ({specs[len(rows)]['type']}) is too large to build: {problem}", len(rows)
    return Checked(tuple(rows), *(unparsed or (error, bad)))


class LayerList:
    """The layers being edited and the edits the editor's keys make; each returns the row to select."""

    def __init__(self, specs: list[dict]) -> None:
        self.layers = [editable(spec) for spec in specs]

    def specs(self) -> list[dict]:
        return [dict(layer.spec) for layer in self.layers]

    def dropout(self) -> float | None:
        """The model's one Dropout rate (presets.schema: every Dropout layer has the same p)."""
        return next((layer.spec["p"] for layer in self.layers if layer.spec["type"] == "Dropout"
                     and "p" in layer.spec), None)

    def add(self, row: int | None, name: str) -> int:
        """Insert a new `name` layer after `row` (first when None); the new row."""
        at = 0 if row is None else row + 1
        self.layers.insert(at, new_layer(name, self.dropout()))
        return at

    def remove(self, row: int) -> int:
        del self.layers[row]
        return min(row, len(self.layers) - 1)

    def move(self, row: int, step: int) -> int:
        to = row + step
        if not 0 <= to < len(self.layers):
            return row
        self.layers[row], self.layers[to] = self.layers[to], self.layers[row]
        return to

    def toggle_batch_norm(self, row: int) -> int:
        """BatchNorm on/off: remove the BatchNorm at `row` or right after it, else put one after a Linear
        (BatchNorm1d) or Conv2d (BatchNorm2d). PresetError for any other layer."""
        kind = self.layers[row].spec["type"]
        following = self.layers[row + 1].spec["type"] if row + 1 < len(self.layers) else None
        if kind in BATCH_NORM.values():
            del self.layers[row]
            return max(row - 1, 0)
        if kind not in BATCH_NORM:
            raise PresetError(f"BatchNorm goes after a Linear or a Conv2d layer, not after {kind}")
        if following == BATCH_NORM[kind]:
            del self.layers[row + 1]
        else:
            self.layers.insert(row + 1, EditedLayer({"type": BATCH_NORM[kind]}))
        return row

    def set_type(self, layer: EditedLayer, name: str) -> None:
        """Swap a layer's type (an activation for another...), keeping the options the new type accepts."""
        entry = LAYERS[name]
        kept = {key: value for key, value in layer.spec.items()
                if key in entry.option_names() and key not in entry.infer
                and entry.option(key).normalize(value) is not None}
        layer.spec = {**new_layer(name, self.dropout()).spec, **kept, "type": name}
        layer.typed = {}

    def set_option(self, layer: EditedLayer, name: str, text: str) -> None:
        """An option as typed: a value its Option accepts is set (empty: the default), other text is kept
        in `typed` (the check reports it). A Dropout's p is the model's one rate: it sets every Dropout."""
        option = layer.entry.option(name)
        layer.typed.pop(name, None)
        if field_error(option, text, name) is not None:
            layer.typed[name] = text
            return
        value = option.parse(text, name) if text.strip() else None
        targets = [x for x in self.layers if x.spec["type"] == "Dropout"] if layer.spec["type"] == "Dropout" \
            else [layer]
        for target in targets:
            if value is None:
                target.spec.pop(name, None)
            else:
                target.spec[name] = value


def describe(spec: dict) -> str:
    """A layer's options as the table shows them: `name=value` for each set one but the inferred sizes
    (the commonest names shortened; the options pane has them in full)."""
    entry = LAYERS[spec["type"]]
    return ", ".join(f"{SHORT.get(name, name)}={as_text(value)}" for name, value in spec.items()
                     if name != "type" and name not in entry.infer)


def shape_text(shape: tuple) -> str:
    return "×".join(str(size) for size in shape)


def linear_hints(specs: list[dict]) -> list[str]:
    """A warning (not a refusal) for each Linear that follows another with nothing but LINEAR_PASS layers
    between: the two compose to one linear map, so the second adds parameters but no expressiveness."""
    hints, previous = [], None
    for i, spec in enumerate(specs):
        kind = spec["type"]
        if kind == "Linear":
            if previous is not None:
                hints.append(f"model[{previous}] and model[{i}] are Linear layers with no activation between: "
                             "together no more expressive than one (put a ReLU between them)")
            previous = i
        elif kind not in LINEAR_PASS:
            previous = None
    return hints


def unfit_reason(name: str, shape: tuple) -> str | None:
    """Why a `name` layer cannot take samples of `shape` (the shape reaching where it would go), or None."""
    entry = LAYERS[name]
    ranks = entry.input_ranks
    if ranks is None or len(shape) in ranks:
        return None
    flatten = " (after a Flatten)" if 1 in ranks and len(shape) > max(ranks) else ""
    return f"takes {entry.input_forms()}{flatten}, here {shape_text(shape)}"


def shape_after(checked: Checked, row: int | None, input_shape: tuple) -> tuple | None:
    """The shape of one sample after layer `row` (the input's before the first, None: it is not known)."""
    if row is None:
        return tuple(input_shape)
    return checked.rows[row].output_shape if row < len(checked.rows) else None
