"""Build npnn objects from a validated preset: the model from its layer specs, the loss, the optimizer.

Shapes are worked out from the specs before anything is built, so "auto" sizes resolve to what
reaches a layer and a mismatch is reported against the preset key (model[i]) that causes it.
"""
from __future__ import annotations

from npnn import nn, optim
from presets.errors import PresetError
from presets.schema import AUTO, Preset

LOSSES = {"mse": nn.MSELoss, "l1": nn.L1Loss, "cross_entropy": nn.CrossEntropyLoss}
OPTIMIZERS = {"sgd": optim.SGD, "momentum": optim.Momentum, "adam": optim.Adam, "adamw": optim.AdamW,
              "rmsprop": optim.RMSprop}


def _pool_out(size: int, kernel: int, stride: int, padding: int, where: str) -> int:
    out = (size + 2 * padding - kernel) // stride + 1
    if out < 1:
        raise PresetError(f"{where}: a window of {kernel} does not fit an input of size {size}")
    return out


def resolve_layers(specs: list, input_shape: tuple, num_outputs: int, where: str = "model") -> list:
    """Specs with every "auto" replaced by a number and defaults filled in; checks that shapes chain."""
    shape = tuple(input_shape)
    last_linear = max((i for i, s in enumerate(specs) if s["type"] == "Linear"), default=None)
    resolved = []
    for i, spec in enumerate(specs):
        spec, key = dict(spec), f"{where}[{i}] ({spec['type']})"
        kind = spec["type"]
        if kind == "Linear":
            if spec.get("in_features", AUTO) == AUTO:
                spec["in_features"] = shape[-1]
            if spec["out_features"] == AUTO:
                if i != last_linear:
                    raise PresetError(f'{key}: out_features = "auto" is only allowed on the last Linear layer')
                spec["out_features"] = num_outputs
            if len(shape) != 1 or shape[-1] != spec["in_features"]:
                hint = " (put a Flatten before it)" if len(shape) > 1 else ""
                raise PresetError(f"{key}: in_features is {spec['in_features']} but its input has shape "
                                  f"{shape}{hint}; use in_features = \"auto\" or {shape[-1]}")
            shape = (spec["out_features"],)
        elif kind == "Conv2d":
            if len(shape) != 3:
                raise PresetError(f"{key}: expects images (channels, height, width), gets shape {shape}")
            if spec.get("in_channels", AUTO) == AUTO:
                spec["in_channels"] = shape[0]
            if spec["in_channels"] != shape[0]:
                raise PresetError(f"{key}: in_channels is {spec['in_channels']} but its input has {shape[0]} "
                                  f"channel(s) (shape {shape}); use in_channels = \"auto\" or {shape[0]}")
            spec.setdefault("stride", 1)
            spec.setdefault("padding", 0)
            k, s, p = spec["kernel_size"], spec["stride"], spec["padding"]
            shape = (spec["out_channels"], _pool_out(shape[1], k, s, p, key), _pool_out(shape[2], k, s, p, key))
        elif kind == "MaxPool2d":
            if len(shape) != 3:
                raise PresetError(f"{key}: expects images (channels, height, width), gets shape {shape}")
            spec.setdefault("stride", spec["kernel_size"])
            k, s = spec["kernel_size"], spec["stride"]
            shape = (shape[0], _pool_out(shape[1], k, s, 0, key), _pool_out(shape[2], k, s, 0, key))
        elif kind == "Flatten":
            size = 1
            for d in shape:
                size *= d
            shape = (size,)
        elif kind == "Dropout":
            spec.setdefault("p", 0.5)
        resolved.append(spec)
    if shape != (num_outputs,):
        raise PresetError(f"{where}: the model's output has shape {shape}, the data needs ({num_outputs},); "
                          "end with a Linear layer whose out_features is \"auto\"")
    return resolved


def build_model(specs: list) -> nn.Sequential:
    """An nn.Sequential from resolved layer specs (no "auto" left)."""
    layers = []
    for spec in specs:
        kwargs = {k: v for k, v in spec.items() if k != "type"}
        layers.append(getattr(nn, spec["type"])(**kwargs))
    return nn.Sequential(*layers)


def build_loss(preset: Preset):
    return LOSSES[preset.loss]()


def build_optimizer(preset: Preset, model):
    return OPTIMIZERS[preset.optimizer](model.parameters(), lr=preset.lr)
