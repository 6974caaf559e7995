"""Model specs: "auto" sizes follow the data, mismatches name the layer, the built model is PyTorch-shaped."""
from __future__ import annotations

import numpy as np
import pytest

import npnn
from presets import PresetError, load_preset
from presets.models import build_loss, build_model, build_optimizer, resolve_layers


def test_cnn_linear_size_follows_the_image_size():
    specs = load_preset("mnist_cnn").model
    for side, flat in ((28, 16 * 7 * 7), (8, 16 * 2 * 2)):
        resolved = resolve_layers(specs, (1, side, side), 10)
        assert resolved[7] == {"type": "Linear", "in_features": flat, "out_features": 32}
        assert resolved[-1]["out_features"] == 10
        model = build_model(resolved)
        out = model(npnn.Tensor(np.zeros((2, 1, side, side), dtype=np.float32)))
        assert out.shape == (2, 10)


def test_tabular_model_matches_the_original_architecture():
    resolved = resolve_layers(load_preset("tabular_mlp").model, (10,), 1)
    state = build_model(resolved).state_dict()
    assert {k: v.shape for k, v in state.items()} == {
        "0.weight": (128, 10), "0.bias": (128,), "3.weight": (256, 128), "3.bias": (256,),
        "6.weight": (1, 256), "6.bias": (1,)}


def linear(i, o):
    return {"type": "Linear", "in_features": i, "out_features": o}


@pytest.mark.parametrize("specs, shape, outputs, message", [
    ([linear(5, 1)], (4,), 1, "model[0] (Linear): in_features is 5 but its input has shape (4,)"),
    ([{"type": "Conv2d", "in_channels": 1, "out_channels": 2, "kernel_size": 3}, linear("auto", 3)], (1, 6, 6), 3,
     "put a Flatten before it"),
    ([{"type": "Conv2d", "in_channels": 3, "out_channels": 2, "kernel_size": 3}], (1, 6, 6), 3,
     "model[0] (Conv2d): in_channels is 3 but its input has shape (1, 6, 6); use in_channels = \"auto\" or 1"),
    ([{"type": "Conv2d", "out_channels": 2, "kernel_size": 3}], (6,), 3, "expects images (channels, height, width)"),
    ([{"type": "MaxPool2d", "kernel_size": 9}], (1, 6, 6), 3, "model[0] (MaxPool2d): MaxPool2d(9): input (1, 1, 6, 6) is smaller than the kernel (9, 9)"),
    ([linear("auto", "auto"), linear("auto", 1)], (4,), 1, 'out_features = "auto" is only allowed on the last'),
    ([linear("auto", 3)], (4,), 1, "the model's output has shape (3,), the data needs (1,)"),
])
def test_shape_mismatches_name_the_layer(specs, shape, outputs, message):
    with pytest.raises(PresetError) as info:
        resolve_layers(specs, shape, outputs)
    assert message in str(info.value)


@pytest.mark.parametrize("name, cls", [("sgd", "SGD"), ("momentum", "Momentum"), ("adam", "Adam"),
                                       ("adamw", "AdamW"), ("rmsprop", "RMSprop")])
def test_every_optimizer_name_builds_with_the_preset_lr(name, cls):
    preset = load_preset("tabular_mlp", {"optimizer": name, "lr": 0.05})
    model = build_model(resolve_layers(preset.model, (3,), 1))
    optimizer = build_optimizer(preset, model)
    assert type(optimizer).__name__ == cls and optimizer.param_groups[0]["lr"] == 0.05


def test_losses_follow_the_preset():
    assert type(build_loss(load_preset("tabular_mlp"))).__name__ == "MSELoss"
    assert type(build_loss(load_preset("mnist_cnn"))).__name__ == "CrossEntropyLoss"
