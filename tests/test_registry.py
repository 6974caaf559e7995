"""The registry (presets.catalog) is the one list of layers and optimizers: schema, builder, form, --help, docs.

A new layer or optimizer is its npnn class plus one register_* call (a layer's with its ONNX, NumPy and
PyTorch translations); the fake ones below are accepted everywhere, exports included, without touching
any other file.
"""
from __future__ import annotations

import inspect
from pathlib import Path

import numpy as np
import pytest

import npnn
from npnn import nn, optim
from presets import PresetError, load_preset, parse_override
from presets.catalog import LAYERS, OPTIMIZERS, register_layer, register_optimizer
from presets.docs import reference_markdown
from presets.models import build_model, build_optimizer, infer_layers, resolve_layers
from presets.option import AUTO, REQUIRED, Option
from presets.schema import preset_from_dict
from tests.exports import answers_of, assert_same_answers, load_script, run_onnx, synthetic  # noqa: F401  (a fixture)
from tui.app import make_app
from tui.options import build_parser, parse_options
from tui.widgets.form import optimizer_choices

DOCS = Path(__file__).resolve().parents[1] / "docs" / "presets.md"


class Gate(nn.Module):
    """A made-up layer: y = x * weight, one weight per feature (`num_features` inferred from the input)."""

    def __init__(self, num_features: int, init: float = 1.0):
        super().__init__()
        self.weight = nn.Parameter(np.full(num_features, init, dtype=npnn.get_default_dtype()))

    def forward(self, x):
        return x * self.weight


class HalfSGD(optim.SGD):
    """A made-up optimizer: SGD at half the learning rate."""

    def __init__(self, params, lr: float = 1e-3, momentum: float = 0.0):
        super().__init__(params, lr=lr / 2, momentum=momentum)


def gate_to_onnx(layer, x: str) -> str:
    return layer.op("Mul", [x, *layer.param("weight")])


def gate_to_numpy(i: int, spec: dict, w) -> tuple:
    return f'x * W["{i}.weight"]', []


def gate_to_pytorch(spec: dict) -> str:
    """A translation may refuse a layer its format lacks, as BatchNorm without running statistics is refused."""
    raise ValueError("the PyTorch export has no Gate layer")


@pytest.fixture
def fakes():
    """Gate and HalfSGD registered for one test (one register_* call each), removed afterwards."""
    layer = register_layer(Gate, "Gate (per-feature scale)", Option("num_features", int, low=1),
                           Option("init", float, low=0), infer={"num_features": lambda shape: shape[-1]},
                           input_rank=1, to_onnx=gate_to_onnx, to_numpy=gate_to_numpy, to_pytorch=gate_to_pytorch)
    optimizer = register_optimizer("halfsgd", HalfSGD, "Half SGD",
                                   Option("momentum", float, low=0, high=1, high_open=True))
    yield layer, optimizer
    del LAYERS["Gate"], OPTIMIZERS["halfsgd"]


FAKE_PRESET = """
task = "regression"
model = [
    { type = "Linear", out_features = 8 },
    { type = "Gate", init = 0.5 },
    { type = "Linear", out_features = "auto" },
]
[data]
source = "diabetes"
[training]
optimizer = "halfsgd"
lr = 0.2
"""


def test_a_registered_layer_and_optimizer_are_accepted_by_schema_builder_form_and_help(fakes, tmp_path):
    path = tmp_path / "fake.toml"
    path.write_text(FAKE_PRESET)
    preset = load_preset(str(path))
    assert preset.optimizer == "halfsgd" and preset.model[1] == {"type": "Gate", "init": 0.5}
    assert parse_override("optimizer", " HalfSGD ") == "halfsgd"
    specs = resolve_layers(preset.model, (10,), 1)
    assert specs[1] == {"type": "Gate", "init": 0.5, "num_features": 8}
    model = build_model(specs)
    assert isinstance(model[1], Gate) and model[1].weight.shape == (8,)
    optimizer = build_optimizer(preset, model)
    assert isinstance(optimizer, HalfSGD) and optimizer.param_groups[0]["lr"] == pytest.approx(0.1)
    assert ("Half SGD", "halfsgd") in optimizer_choices()
    assert "halfsgd" in " ".join(build_parser().format_help().split())
    assert "`Gate`" in reference_markdown() and "`halfsgd`" in reference_markdown()


def test_options_of_a_registered_layer_are_checked_like_the_built_in_ones(fakes, tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text(FAKE_PRESET.replace("init = 0.5", "init = -1"))
    with pytest.raises(PresetError, match=r"model\[1\]\.init must be a number >= 0, got -1"):
        load_preset(str(path))
    with pytest.raises(PresetError, match=r"model\[1\] \(Gate\): num_features is 3 but its input has shape \(8,\)"):
        resolve_layers([{"type": "Linear", "out_features": 8}, {"type": "Gate", "num_features": 3}], (10,), 8)


async def test_the_form_offers_a_registered_optimizer(fakes):
    app = make_app(parse_options(["--optimizer", "halfsgd"]), steady=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        select = app.screen.query_one("#optimizer")
        assert select.value == "halfsgd"
        assert app.screen.query_one("#form").overrides()[0]["optimizer"] == "halfsgd"
        await app.workers.wait_for_complete()


async def test_the_form_has_a_field_for_each_argument_of_the_selected_optimizer():
    app = make_app(parse_options(["--optimizer", "rmsprop", "--alpha", "0.9"]), steady=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        form = app.screen.query_one("#form")
        shown = {field.id for field in form.query("Input") if field.parent.display and not field.disabled}
        assert {"alpha", "eps", "weight_decay", "momentum", "centered"} <= shown and "betas" not in shown
        assert form.overrides()[0]["alpha"] == 0.9
        app.screen.query_one("#optimizer").value = "adam"
        await pilot.pause()
        app.screen.query_one("#amsgrad").value = "true"
        assert form.overrides()[0]["amsgrad"] is True and "alpha" not in form.overrides()[0]
        await app.workers.wait_for_complete()


def test_a_registered_layer_exports_through_its_own_translations(fakes, run_onnx, tmp_path):
    from presets.export.numpy import export_numpy
    from presets.export.onnx import export_onnx
    from presets.export.pytorch import export_pytorch
    bundle = synthetic([{"type": "Linear", "out_features": 4}, {"type": "Gate", "init": 0.5},
                        {"type": "Linear", "out_features": "auto"}], (3,), "regression", 1, feature_names=list("abc"))
    x = np.random.default_rng(0).normal(size=(5, 3))
    assert_same_answers(bundle, x, run_onnx(export_onnx(bundle, tmp_path / "m.onnx"), x))
    assert_same_answers(bundle, x, answers_of(load_script(export_numpy(bundle, tmp_path / "np") / "predict.py"),
                                              bundle, x))
    with pytest.raises(ValueError, match="the PyTorch export has no Gate layer"):
        export_pytorch(bundle, tmp_path / "pt")


def test_registering_a_name_twice_an_option_the_class_lacks_or_no_translations_is_an_error():
    translations = {"to_onnx": gate_to_onnx, "to_numpy": gate_to_numpy, "to_pytorch": gate_to_pytorch}
    with pytest.raises(ValueError, match="already registered"):
        register_layer(nn.ReLU, "ReLU again", **translations)
    with pytest.raises(TypeError, match="Linear takes no argument 'width'"):
        register_layer(nn.Linear, "wide", Option("width", int), name="Wide", **translations)
    with pytest.raises(ValueError, match="layer 'Wide' needs its export translations: to_onnx, to_pytorch"):
        register_layer(nn.Linear, "wide", name="Wide", to_numpy=gate_to_numpy)
    with pytest.raises(ValueError, match="layer 'Gate' needs its export translations: to_onnx, to_numpy, to_pytorch"):
        register_layer(Gate, "Gate", Option("num_features", int, low=1))
    assert "Wide" not in LAYERS and "Gate" not in LAYERS


@pytest.mark.parametrize("name", list(LAYERS))
def test_each_layer_entry_names_its_npnn_class_and_takes_its_defaults_from_it(name):
    entry = LAYERS[name]
    if entry.cls.__module__ == "presets.sequence.layers":  # NOTE: a Sequential-friendly form of torch's module
        assert entry.group == "sequence" and issubclass(entry.cls, getattr(nn, name, nn.Module))
    else:
        assert getattr(nn, name) is entry.cls
    parameters = inspect.signature(entry.cls.__init__).parameters
    for option in entry.options:
        if option.name in entry.infer or option.name == entry.tokens:
            assert option.default == AUTO
        elif parameters[option.name].default is inspect.Parameter.empty:
            assert option.default is REQUIRED and option.required
        else:
            assert option.default == parameters[option.name].default


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_each_optimizer_builds_with_its_declared_options(name):
    entry = OPTIMIZERS[name]
    model = nn.Linear(3, 1)
    options = {o.name: o.default for o in entry.options}
    optimizer = entry.build(model.parameters(), lr=0.01, **options)
    assert isinstance(optimizer, entry.cls)
    for key, value in options.items():
        assert optimizer.param_groups[0][key] == value
    with pytest.raises(PresetError, match=f"unknown key 'optimizer_options.colour' for optimizer {name}"):
        entry.build(model.parameters(), lr=0.01, colour=1)


def test_the_dry_run_gives_output_shapes_and_parameter_counts_as_nn_summary_does():
    specs = load_preset("mnist_cnn").model
    layers = infer_layers(specs, (1, 28, 28), 10)
    model = build_model([layer.spec for layer in layers])
    summary = nn.summary(model, (1, 28, 28))
    assert [(layer.output_shape, layer.num_parameters) for layer in layers] == [(s, n) for _, s, n in summary]
    assert layers[7].spec["in_features"] == 16 * 7 * 7


def test_options_parse_text_as_the_form_types_it():
    size = Option("out_features", int, low=1, auto=True)
    assert (size.parse(" 12 "), size.parse("Auto")) == (12, AUTO)
    with pytest.raises(PresetError, match=r'out_features must be an integer >= 1, or "auto", got \'0\''):
        size.parse("0")
    flag = Option("bias", bool)
    assert (flag.parse("true"), flag.parse("False")) == (True, False)
    with pytest.raises(PresetError, match="bias must be true or false, got 'yes'"):
        flag.parse("yes")


def test_the_dropout_default_is_the_one_in_npnn():
    default = inspect.signature(nn.Dropout.__init__).parameters["p"].default
    assert LAYERS["Dropout"].option("p").default == default
    preset = load_preset("tabular_mlp")
    raw = preset.to_dict()
    del raw["training"]["dropout"]
    for layer in raw["model"]:
        layer.pop("p", None)
    assert preset_from_dict(raw, "x.toml", "x").dropout == default


def test_docs_list_every_layer_and_optimizer_as_the_registry_has_them():
    assert DOCS.read_text() == reference_markdown(), "regenerate: python -m presets.docs > docs/presets.md"


@pytest.mark.parametrize("name", list(LAYERS))
def test_every_registered_layer_builds_and_dry_runs_with_only_its_required_options(name):
    entry = LAYERS[name]
    spec = {"type": name, **{o.name: AUTO if o.auto else 2 for o in entry.options if o.required}}
    sample = (2, 6, 6) if entry.input_rank == 3 else (4,)
    tokens = entry.group == "sequence"  # NOTE: sequence layers read token ids, or the vectors an Embedding gives
    before = [{"type": "Embedding", "embedding_dim": 4}] if tokens and entry.tokens is None else []
    head = [] if entry.output else [{"type": "Linear", "out_features": "auto"}] if tokens else \
        [{"type": "Flatten"}, {"type": "Linear", "out_features": "auto"}]
    layers = infer_layers([*before, spec, *head], sample, 3, tokens=tokens)
    layer = layers[len(before)]
    assert isinstance(layer.module, entry.cls) and AUTO not in layer.spec.values()
    assert layers[-1].output_shape == ((4, 3) if tokens else (3,))
    build_model([layer.spec for layer in layers])
