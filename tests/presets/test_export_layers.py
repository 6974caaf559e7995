"""Every layer of the catalog exports and round-trips: Bundle.predict = ONNX (onnx.reference and onnxruntime)
= the NumPy eject = the PyTorch eject, each through the translations registered with the layer's entry.

The walk over presets.catalog.LAYERS gives a layer that is registered later its own cases with no edit here;
IMAGE_LAYERS and SEQUENCE_LAYERS add the options that change the arithmetic. A sequence layer is walked in a
small language model (token ids in, logits out), its greedy completions compared too.
"""
from __future__ import annotations

import numpy as np
import pytest

from presets.bundle import Bundle
from presets.catalog import LAYERS
from presets.catalog_entries import LayerEntry
from presets.option import AUTO
from tests.exports import answers_of, assert_same_answers, load_script, onnx_input, run_onnx, synthetic  # noqa: F401

# One layer of each kind (and option that changes the arithmetic) between a 1x1 convolution and a Linear.
IMAGE_LAYERS = [
    {"type": "Conv2d", "out_channels": 3, "kernel_size": 3, "stride": 2, "padding": 2, "bias": False},
    {"type": "MaxPool2d", "kernel_size": 3, "stride": 2, "padding": 1},
    {"type": "AvgPool2d", "kernel_size": 3, "stride": 2, "padding": 1},
    {"type": "AvgPool2d", "kernel_size": 4, "stride": 2, "padding": 1, "ceil_mode": True},  # a window past the padding
    {"type": "AvgPool2d", "kernel_size": 4, "stride": 2, "padding": 1, "ceil_mode": True, "count_include_pad": False},
    {"type": "AvgPool2d", "kernel_size": 2, "stride": 3, "padding": 1, "ceil_mode": True},  # PyTorch drops a window
    {"type": "AdaptiveAvgPool2d", "output_size": 4},
    {"type": "BatchNorm2d"},
    {"type": "BatchNorm2d", "affine": False},
    {"type": "LayerNorm", "bias": False},
    {"type": "GELU"},
    {"type": "GELU", "approximate": "tanh"},
    {"type": "SiLU"},
    {"type": "ELU", "alpha": 0.5},
    {"type": "LeakyReLU", "negative_slope": 0.2},
    {"type": "Softplus", "beta": 2.0, "threshold": 1.0},
    {"type": "Sigmoid"},
    {"type": "Tanh"},
    {"type": "Identity"},
]
IMAGE_SHAPE = (2, 13, 11)
# One of each sequence layer's arithmetic: post-norm ReLU and pre-norm GELU blocks, causal or not; stacked and
# bidirectional recurrent layers.
SEQUENCE_LAYERS = [
    {"type": "TransformerBlocks", "nhead": 2, "num_layers": 1, "dim_feedforward": 8, "activation": "relu"},
    {"type": "TransformerBlocks", "nhead": 4, "num_layers": 2, "dim_feedforward": 8, "activation": "gelu",
     "norm_first": True, "causal": True},
    {"type": "GRU", "hidden_size": 3, "num_layers": 2, "bidirectional": True},
    {"type": "LSTM", "hidden_size": 3, "num_layers": 2, "bidirectional": True},
    {"type": "LSTM", "hidden_size": 5},
]
VOCAB = "abcdefg"
STEPS = 6


def one_layer(spec: dict) -> Bundle:
    """`spec` between a 1x1 convolution and a Linear, so every one of its outputs reaches the prediction."""
    return synthetic([{"type": "Conv2d", "out_channels": 2, "kernel_size": 1}, spec, {"type": "Flatten"},
                      {"type": "Linear", "out_features": "auto"}], IMAGE_SHAPE, "regression", 3)


def language_model(*specs: dict) -> Bundle:
    """`specs` between an Embedding (with its positions) and a Linear to logits, on VOCAB; its prompts are
    STEPS - 2 characters, so each completion is 3 (prompt_length's addition-style default)."""
    first = [] if specs[0]["type"] == "Embedding" else [{"type": "Embedding", "num_embeddings": "auto",
                                                         "embedding_dim": 4}]
    return synthetic([*first, *specs, {"type": "Linear", "out_features": "auto"}], (STEPS,), "sequence", len(VOCAB),
                     vocab=VOCAB, prompt_length=STEPS - 2)


def prompts() -> list[str]:
    return ["abca", "gfed", "cccc"]


def images(n: int = 6) -> np.ndarray:
    return np.random.default_rng(0).uniform(0, 255, (n, *IMAGE_SHAPE)).astype(np.float32)


def walked(entry: LayerEntry) -> tuple[Bundle, np.ndarray]:
    """A small model with `entry`'s layer (only its required options set) and inputs for it: images for a
    layer that takes images, else a standardised table in a 3-class classifier."""
    spec = {"type": entry.name, **{o.name: AUTO if o.auto else 2 for o in entry.options if o.required}}
    if entry.output:  # NOTE: "auto" outputs are for the last layer that has them
        spec[entry.output] = 4
    if entry.group == "sequence":
        return language_model(spec), prompts()
    if entry.input_rank == 3:
        return one_layer(spec), images()
    bundle = synthetic([{"type": "Linear", "out_features": 6}, spec, {"type": "Linear", "out_features": "auto"}],
                       (5,), "classification", 3, feature_names=list("abcde"),
                       feature_mean=[1.0, 2, 3, 4, 5], feature_std=[2.0, 1, 3, 1, 0.5], class_names=["x", "y", "z"])
    return bundle, np.random.default_rng(0).normal(size=(9, 5)) * 3


@pytest.mark.parametrize("name", list(LAYERS))
def test_every_catalog_layer_round_trips_through_onnx_and_the_numpy_eject(name, run_onnx, tmp_path):
    from presets.export.numpy import export_numpy
    from presets.export.onnx import export_onnx
    bundle, x = walked(LAYERS[name])
    assert name in [spec["type"] for spec in bundle.spec["model"]]
    assert_same_answers(bundle, x, run_onnx(export_onnx(bundle, tmp_path / "m.onnx"), onnx_input(bundle, x)))
    script = load_script(export_numpy(bundle, tmp_path / "np") / "predict.py")
    assert_same_answers(bundle, x, answers_of(script, bundle, x))


@pytest.mark.parametrize("name", list(LAYERS))
def test_every_catalog_layer_round_trips_through_the_pytorch_eject(name, tmp_path, torch):
    from presets.export.pytorch import export_pytorch
    bundle, x = walked(LAYERS[name])
    module = load_script(export_pytorch(bundle, tmp_path / "pt") / "model.py")
    same = getattr(torch.nn, name, None)  # NOTE: PositionalEmbedding and TransformerBlocks are model.py's own
    assert any(isinstance(layer, same) if same else type(layer).__name__ == name for layer in module.build())
    assert_same_answers(bundle, x, answers_of(module, bundle, x))


@pytest.mark.parametrize("spec", IMAGE_LAYERS, ids=lambda s: "-".join(str(v) for v in s.values()))
def test_onnx_converts_each_layer(spec, run_onnx, tmp_path):
    from presets.export.onnx import export_onnx
    bundle = one_layer(spec)
    assert_same_answers(bundle, images(), run_onnx(export_onnx(bundle, tmp_path / "m.onnx"), images()))


@pytest.mark.parametrize("spec", SEQUENCE_LAYERS, ids=lambda s: "-".join(str(v) for v in s.values()))
def test_each_sequence_layer_exports_to_onnx_numpy_and_pytorch(spec, run_onnx, tmp_path, torch):
    from presets.export.numpy import export_numpy
    from presets.export.onnx import export_onnx
    from presets.export.pytorch import export_pytorch
    positions = [{"type": "PositionalEmbedding"}] if spec["type"] == "TransformerBlocks" else []
    bundle = language_model(*positions, spec)
    assert_same_answers(bundle, prompts(), run_onnx(export_onnx(bundle, tmp_path / "m.onnx"),
                                                    onnx_input(bundle, prompts())))
    for directory, script in ((export_numpy(bundle, tmp_path / "np"), "predict.py"),
                              (export_pytorch(bundle, tmp_path / "pt"), "model.py")):
        assert_same_answers(bundle, prompts(), answers_of(load_script(directory / script), bundle, prompts()))


def test_onnx_tabular_model_with_norms_and_several_standardised_targets(run_onnx, tmp_path):
    from presets.export.onnx import export_onnx
    bundle = synthetic([{"type": "Linear", "out_features": 8, "bias": False}, {"type": "BatchNorm1d"},
                        {"type": "GELU"}, {"type": "LayerNorm", "elementwise_affine": False}, {"type": "Tanh"},
                        {"type": "Linear", "out_features": "auto"}], (5,), "regression", 2,
                       feature_names=list("abcde"), feature_mean=[1.0, 2, 3, 4, 5], feature_std=[2.0, 1, 3, 1, 0.5],
                       target_mean=[10.0, -3], target_std=[2.0, 5])
    x = np.random.default_rng(0).normal(size=(7, 5)) * 3
    answers = run_onnx(export_onnx(bundle, tmp_path / "m.onnx"), x)
    assert answers["prediction"].shape == (7, 2)
    assert_same_answers(bundle, x, answers)


@pytest.mark.parametrize("spec", IMAGE_LAYERS, ids=lambda s: "-".join(str(v) for v in s.values()))
def test_numpy_and_pytorch_exports_compute_each_layer(spec, tmp_path, torch):
    from presets.export.numpy import export_numpy
    from presets.export.pytorch import export_pytorch
    bundle = one_layer(spec)
    for directory, script in ((export_numpy(bundle, tmp_path / "np"), "predict.py"),
                              (export_pytorch(bundle, tmp_path / "pt"), "model.py")):
        assert_same_answers(bundle, images(), answers_of(load_script(directory / script), bundle, images()))


def test_numpy_export_tabular_model_with_norms_and_several_targets(tmp_path):
    from presets.export.numpy import export_numpy
    bundle = synthetic([{"type": "Linear", "out_features": 8, "bias": False}, {"type": "BatchNorm1d"},
                        {"type": "GELU"}, {"type": "LayerNorm", "elementwise_affine": False},
                        {"type": "Linear", "out_features": "auto"}], (5,), "regression", 2,
                       feature_names=list("abcde"), feature_mean=None, feature_std=None)
    x = np.random.default_rng(0).normal(size=(7, 5)) * 3
    answers = answers_of(load_script(export_numpy(bundle, tmp_path / "np") / "predict.py"), bundle, x)
    assert answers["prediction"].shape == (7, 2)
    assert_same_answers(bundle, x, answers)


@pytest.mark.parametrize("format", ["onnx", "numpy"])
def test_batchnorm_without_running_statistics_is_refused(format, tmp_path):
    import importlib
    if format == "onnx":
        pytest.importorskip("onnx")
    export = getattr(importlib.import_module(f"presets.export.{format}"), f"export_{format}")
    bundle = one_layer({"type": "BatchNorm2d", "track_running_stats": False})
    with pytest.raises(ValueError, match=r"model\[1\] \(BatchNorm2d\): track_running_stats = false"):
        export(bundle, tmp_path / "out")
    assert not (tmp_path / "out").exists()
