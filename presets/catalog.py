"""The registry of what a preset can name: layers, optimizers and lr schedules, each an npnn class with its options.

The schema validates against it, presets.models builds from it, the app's form and `npnn-tui --help`
list it, docs/presets.md is generated from it (presets.docs) and the exports translate each layer
through its entry. Adding a layer, an optimizer or an lr schedule to presets is the npnn class plus one
`register_layer` / `register_optimizer` / `register_scheduler` call here; a layer also names its ONNX,
NumPy and PyTorch translations (written in presets/export/onnx_layers.py, numpy_layers.py and
pytorch_layers.py). An optimizer's arguments are Settings (presets.settings): each becomes a flag, a
form field, a sweep parameter and, when hot, a mid-run edit, with nothing else to write.

Defaults are read from the npnn class's signature, so each default is stated once, in npnn. What an entry
is (its options, "auto" inference, how it builds) is presets.catalog_entries.
"""
from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from npnn import nn, optim
from presets.catalog_entries import LayerEntry, OptimizerEntry, SchedulerEntry
from presets.errors import PresetError
from presets.export import numpy_layers as to_numpy
from presets.export import onnx_layers as to_onnx
from presets.export import pytorch_layers as to_pytorch
from presets.export import sequence_layers as to_sequence
from presets.option import AUTO, REQUIRED, Option, Setting
from presets.sequence import layers as sequence

LAYERS: dict[str, LayerEntry] = {}
OPTIMIZERS: dict[str, OptimizerEntry] = {}
SCHEDULERS: dict[str, SchedulerEntry] = {}
NO_SCHEDULE = "none"  # `lr_schedule = "none"`: the lr changes only when set by hand
LOSSES: dict[str, type] = {"mse": nn.MSELoss, "l1": nn.L1Loss, "cross_entropy": nn.CrossEntropyLoss}


def class_default(cls: type, name: str) -> Any:
    """The default of argument `name` of `cls.__init__` (REQUIRED when it has none): npnn states it once."""
    parameters = inspect.signature(cls.__init__).parameters  # type: ignore[misc]  # NOTE: the class's own __init__
    if name not in parameters:
        raise TypeError(f"{cls.__name__} takes no argument {name!r}; it takes "
                        f"{', '.join(p for p in parameters if p not in ('self', 'params'))}")
    default = parameters[name].default
    return REQUIRED if default is inspect.Parameter.empty else default


def with_defaults(cls: type, *options: Option) -> tuple[Option, ...]:
    """The options with each default taken from `cls.__init__`'s signature (required when it has none).

    A name the signature lacks is an error, so the registry cannot drift from the npnn class.
    """
    return tuple(replace(option, default=class_default(cls, option.name)) for option in options)


def register_layer(cls: type, label: str, *options: Option, name: str | None = None,
                   to_onnx: Callable | None = None, to_numpy: Callable | None = None,
                   to_pytorch: Callable | None = None, **details: Any) -> LayerEntry:
    """Make an npnn layer class available to presets under `name` (default: its class name), with its
    translations for the ONNX, NumPy and PyTorch exports (each required: a layer presets can train, the
    exports can write).

    `details`: LayerEntry's infer, output, tokens, input_rank, group. An inferred option defaults to "auto".
    """
    name = name or cls.__name__
    given = {"to_onnx": to_onnx, "to_numpy": to_numpy, "to_pytorch": to_pytorch}
    translations: dict[str, Any] = {key: translation for key, translation in given.items() if callable(translation)}
    if missing := [key for key in given if key not in translations]:
        raise ValueError(f"layer {name!r} needs its export translations: {', '.join(missing)} "
                         "(functions in presets/export/onnx_layers.py, numpy_layers.py, pytorch_layers.py)")
    inferred = {**details.get("infer", {}), **({details["tokens"]: None} if details.get("tokens") else {})}
    options = tuple(replace(option, default=AUTO, auto=True) if option.name in inferred else option
                    for option in with_defaults(cls, *options))
    entry = LayerEntry(name, cls, label, options=options, **translations, **details)
    if entry.name in LAYERS:
        raise ValueError(f"layer {entry.name!r} is already registered")
    LAYERS[entry.name] = entry
    return entry


def argument(option: Option, label: str = "", *, hot: bool = False, column: str = "") -> Setting:
    """An optimizer argument as a Setting: set in [training.optimizer_options], "default" for the optimizer's own;
    `hot`: it may change mid-run (npnn's FitLoop.set_hyperparameter takes any param-group key)."""
    return Setting(option, label, group="optimizer", unset=("default",), hot=hot, column=column)


def register_optimizer(name: str, cls: type, label: str, *arguments: Setting | Option) -> OptimizerEntry:
    """Make an npnn optimizer class available to presets as `[training] optimizer = name`; `arguments` are
    its other keyword arguments (an Option is the Setting of that name another optimizer declares, else an
    `argument` with a label from its name).

    An argument another optimizer also takes must agree with it on type, range and hot-editability: one
    name is one setting (one flag, one form field)."""
    if name in OPTIMIZERS:
        raise ValueError(f"optimizer {name!r} is already registered")
    if name != name.lower():
        raise ValueError(f"optimizer names are lower case (presets compare them lower-cased), got {name!r}")
    known: dict[str, tuple[str, Setting]] = {}  # each argument's first declaration
    for other in OPTIMIZERS.values():
        for setting in other.settings:
            known.setdefault(setting.name, (other.name, setting))
    settings = tuple(item if isinstance(item, Setting) else replace(known[item.name][1], option=item)
                     if item.name in known else argument(item) for item in arguments)
    for setting in settings:
        owner, declared = known.get(setting.name, (None, setting))
        if (setting.option.kind, setting.option.allowed, setting.hot) != \
                (declared.option.kind, declared.option.allowed, declared.hot):
            raise ValueError(f"optimizer {name}: {setting.name} must be declared as {owner} declares it "
                             f"({declared.option.allowed}{', hot' if declared.hot else ''}), got "
                             f"{setting.option.allowed}{', hot' if setting.hot else ''}")
    entry = OptimizerEntry(name, cls, label, with_defaults(cls, *(s.option for s in settings)), settings)
    OPTIMIZERS[name] = entry
    return entry


def register_scheduler(name: str, cls: type, label: str, *options: Option) -> SchedulerEntry:
    """Make an npnn lr scheduler available to presets as `[training] lr_schedule = name`.

    An option declared with auto=True defaults to "auto" (the epoch budget), the others to the class's default."""
    if name in SCHEDULERS or name == NO_SCHEDULE:
        raise ValueError(f"lr schedule {name!r} is already registered")
    options = tuple(replace(option, default=AUTO) if option.auto else option for option in with_defaults(cls, *options))
    entry = SchedulerEntry(name, cls, label, options)
    SCHEDULERS[name] = entry
    return entry


def _size(name: str, *, auto: bool = False, help: str = "") -> Option:
    return Option(name, int, low=1, auto=auto, help=help)


def _rate(name: str, help: str) -> Option:
    return Option(name, float, low=0, high=1, high_open=True, help=help)


def _non_negative(name: str, help: str) -> Option:
    return Option(name, float, low=0, help=help)


def _flag(name: str, help: str) -> Option:
    return Option(name, bool, help=help)


def _channels(shape: tuple[int, ...]) -> int:
    return shape[0]


def _features(shape: tuple[int, ...]) -> int:
    return shape[-1]


def _steps(shape: tuple[int, ...]) -> int:
    return shape[0]


# --- layers ------------------------------------------------------------------------------------------
register_layer(nn.Linear, "Linear (fully connected)",
               _size("in_features", auto=True, help="size of each input sample"),
               _size("out_features", auto=True, help="size of each output sample"),
               _flag("bias", "learn an additive bias"),
               infer={"in_features": _features}, output="out_features", input_rank=(1, 2),
               to_onnx=to_onnx.linear, to_numpy=to_numpy.linear, to_pytorch=to_pytorch.same_class)
register_layer(nn.Conv2d, "Conv2d (2-D convolution)",
               _size("in_channels", auto=True, help="channels of the input images"),
               _size("out_channels", help="channels produced (number of filters)"),
               _size("kernel_size", help="side of the square kernel"),
               _size("stride", help="step of the kernel"),
               Option("padding", int, low=0, help="zeros added on every side"),
               _flag("bias", "learn an additive bias per channel"),
               infer={"in_channels": _channels}, input_rank=3,
               to_onnx=to_onnx.conv2d, to_numpy=to_numpy.conv2d, to_pytorch=to_pytorch.same_class)
register_layer(nn.MaxPool2d, "MaxPool2d (max over windows)",
               _size("kernel_size", help="side of the square window"),
               _size("stride", help="step of the window (default: kernel_size)"),
               Option("padding", int, low=0, help="-inf added on every side, at most half the kernel"),
               input_rank=3, group="pooling",
               to_onnx=to_onnx.max_pool2d, to_numpy=to_numpy.max_pool2d, to_pytorch=to_pytorch.same_class)
register_layer(nn.AvgPool2d, "AvgPool2d (mean over windows)",
               _size("kernel_size", help="side of the square window"),
               _size("stride", help="step of the window (default: kernel_size)"),
               Option("padding", int, low=0, help="zeros added on every side, at most half the kernel"),
               _flag("ceil_mode", "round the output size up"),
               _flag("count_include_pad", "count the padding in each mean"),
               input_rank=3, group="pooling",
               to_onnx=to_onnx.avg_pool2d, to_numpy=to_numpy.avg_pool2d, to_pytorch=to_pytorch.same_class)
register_layer(nn.AdaptiveAvgPool2d, "AdaptiveAvgPool2d (mean to a fixed size)",
               _size("output_size", help="side of the square output"), input_rank=3, group="pooling",
               to_onnx=to_onnx.adaptive_avg_pool2d, to_numpy=to_numpy.adaptive_avg_pool2d,
               to_pytorch=to_pytorch.same_class)
register_layer(nn.BatchNorm1d, "BatchNorm1d (normalise each feature over the batch)",
               _size("num_features", auto=True, help="features (or channels) of the input"),
               Option("eps", float, low=0, low_open=True, help="added to the variance"),
               _rate("momentum", "weight of each batch in the running statistics"),
               _flag("affine", "learn a scale and a shift"), _flag("track_running_stats", "keep running statistics"),
               infer={"num_features": _channels}, group="normalization",
               to_onnx=to_onnx.batch_norm, to_numpy=to_numpy.batch_norm, to_pytorch=to_pytorch.same_class)
register_layer(nn.BatchNorm2d, "BatchNorm2d (normalise each channel over the batch)",
               _size("num_features", auto=True, help="channels of the input images"),
               Option("eps", float, low=0, low_open=True, help="added to the variance"),
               _rate("momentum", "weight of each batch in the running statistics"),
               _flag("affine", "learn a scale and a shift"), _flag("track_running_stats", "keep running statistics"),
               infer={"num_features": _channels}, input_rank=3, group="normalization",
               to_onnx=to_onnx.batch_norm, to_numpy=to_numpy.batch_norm, to_pytorch=to_pytorch.same_class)
register_layer(nn.LayerNorm, "LayerNorm (normalise each sample's last axis)",
               _size("normalized_shape", auto=True, help="size of the last axis"),
               Option("eps", float, low=0, low_open=True, help="added to the variance"),
               _flag("elementwise_affine", "learn a scale and a shift"), _flag("bias", "learn the shift"),
               infer={"normalized_shape": _features}, group="normalization",
               to_onnx=to_onnx.layer_norm, to_numpy=to_numpy.layer_norm, to_pytorch=to_pytorch.same_class)
register_layer(nn.Flatten, "Flatten (to one vector per sample)", group="reshape",
               to_onnx=to_onnx.flatten, to_numpy=to_numpy.flatten, to_pytorch=to_pytorch.same_class)
register_layer(nn.Identity, "Identity (passes its input on)", group="reshape",
               to_onnx=to_onnx.unchanged, to_numpy=to_numpy.unchanged, to_pytorch=to_pytorch.same_class)
register_layer(nn.ReLU, "ReLU", group="activation",
               to_onnx=to_onnx.relu, to_numpy=to_numpy.relu, to_pytorch=to_pytorch.same_class)
register_layer(nn.LeakyReLU, "LeakyReLU", Option("negative_slope", float, help="slope for negative inputs"),
               group="activation",
               to_onnx=to_onnx.leaky_relu, to_numpy=to_numpy.leaky_relu, to_pytorch=to_pytorch.same_class)
register_layer(nn.GELU, "GELU", Option("approximate", str, choices=("none", "tanh"),
                                       help="tanh: the tanh approximation"), group="activation",
               to_onnx=to_onnx.gelu, to_numpy=to_numpy.gelu, to_pytorch=to_pytorch.same_class)
register_layer(nn.SiLU, "SiLU (x·sigmoid(x))", group="activation",
               to_onnx=to_onnx.silu, to_numpy=to_numpy.silu, to_pytorch=to_pytorch.same_class)
register_layer(nn.ELU, "ELU", Option("alpha", float, low=0, help="value approached for large negative inputs"),
               group="activation", to_onnx=to_onnx.elu, to_numpy=to_numpy.elu, to_pytorch=to_pytorch.same_class)
register_layer(nn.Softplus, "Softplus", Option("beta", float, low=0, low_open=True, help="sharpness"),
               Option("threshold", float, low=0, low_open=True, help="above beta·x, linear"), group="activation",
               to_onnx=to_onnx.softplus, to_numpy=to_numpy.softplus, to_pytorch=to_pytorch.same_class)
register_layer(nn.Sigmoid, "Sigmoid", group="activation",
               to_onnx=to_onnx.sigmoid, to_numpy=to_numpy.sigmoid, to_pytorch=to_pytorch.same_class)
register_layer(nn.Tanh, "Tanh", group="activation",
               to_onnx=to_onnx.tanh, to_numpy=to_numpy.tanh, to_pytorch=to_pytorch.same_class)
register_layer(nn.Dropout, "Dropout", _rate("p", "probability of zeroing an element while training"),
               group="regularization",
               to_onnx=to_onnx.unchanged, to_numpy=to_numpy.unchanged, to_pytorch=to_pytorch.same_class)
register_layer(nn.Embedding, "Embedding (a learned vector per token)",
               _size("num_embeddings", help="tokens in the vocabulary (auto: the data's)"),
               _size("embedding_dim", help="size of each token's vector"),
               tokens="num_embeddings", input_rank=1, group="sequence",
               to_onnx=to_sequence.onnx_embedding, to_numpy=to_sequence.numpy_embedding,
               to_pytorch=to_sequence.pytorch_embedding)
register_layer(sequence.PositionalEmbedding, "PositionalEmbedding (a learned vector per position, added)",
               _size("num_positions", auto=True, help="longest sequence (auto: the data's)"),
               _size("embedding_dim", auto=True, help="size of each vector"),
               infer={"num_positions": _steps, "embedding_dim": _features}, input_rank=2, group="sequence",
               to_onnx=to_sequence.onnx_positional_embedding, to_numpy=to_sequence.numpy_positional_embedding,
               to_pytorch=to_sequence.pytorch_positional_embedding)
register_layer(sequence.TransformerBlocks, "TransformerBlocks (self-attention and feed-forward layers)",
               _size("d_model", auto=True, help="size of each position's vector"),
               _size("nhead", help="attention heads (divides d_model)"),
               _size("num_layers", help="blocks stacked"),
               _size("dim_feedforward", help="width of each block's feed-forward layer"),
               _rate("dropout", "probability of zeroing an element while training"),
               Option("activation", str, choices=("relu", "gelu"), help="the feed-forward layer's activation"),
               _flag("norm_first", "LayerNorm before each sublayer (pre-norm, as GPT-2)"),
               _flag("causal", "each position attends to itself and earlier ones only (a language model)"),
               infer={"d_model": _features}, input_rank=2, group="sequence",
               to_onnx=to_sequence.onnx_transformer_blocks, to_numpy=to_sequence.numpy_transformer_blocks,
               to_pytorch=to_sequence.pytorch_transformer_blocks)
for _cls, _label in ((sequence.GRUOutputs, "GRU (gated recurrent unit layers)"),
                     (sequence.LSTMOutputs, "LSTM (long short-term memory layers)")):
    register_layer(_cls, _label, _size("input_size", auto=True, help="size of each step's input"),
                   _size("hidden_size", help="size of the hidden state"),
                   _size("num_layers", help="recurrent layers stacked"),
                   _rate("dropout", "dropout between stacked layers while training"),
                   _flag("bidirectional", "also read each sequence backwards (outputs twice hidden_size)"),
                   name=_cls.__name__.removesuffix("Outputs"), infer={"input_size": _features}, input_rank=2,
                   group="sequence", to_onnx=to_sequence.onnx_recurrent, to_numpy=to_sequence.numpy_recurrent,
                   to_pytorch=to_sequence.pytorch_recurrent)

# --- optimizers --------------------------------------------------------------------------------------
# NOTE: momentum >= 1 never forgets a gradient (the steps grow without bound), so presets keep it below 1
_MOMENTUM = argument(_rate("momentum", "momentum factor"), "Momentum", hot=True)
_WEIGHT_DECAY = argument(_non_negative("weight_decay", "L2 penalty added to the gradient"), "Wt decay", column="wd")
_EPS = argument(Option("eps", float, low=0, low_open=True, help="added to the denominator for stability"), "Eps")
_AMSGRAD = argument(_flag("amsgrad", "AMSGrad: divide by the running maximum of the squared-gradient mean"),
                    "AMSGrad")
_NESTEROV = argument(_flag("nesterov", "Nesterov momentum, needs momentum > 0"), "Nesterov")
_BETAS = argument(Option("betas", float, low=0, high=1, high_open=True, length=2,
                         help="decay rates of the running means of the gradient and its square"), "Betas", hot=True)
register_optimizer("sgd", optim.SGD, "SGD", _MOMENTUM, _WEIGHT_DECAY, _NESTEROV)
register_optimizer("momentum", optim.Momentum, "Momentum", _MOMENTUM, _WEIGHT_DECAY, _NESTEROV)
register_optimizer("adam", optim.Adam, "Adam", _BETAS, _EPS, _WEIGHT_DECAY, _AMSGRAD)
register_optimizer("adamw", optim.AdamW, "AdamW", _BETAS, _EPS,
                   replace(_WEIGHT_DECAY, option=_non_negative("weight_decay", "decoupled weight decay")), _AMSGRAD)
register_optimizer("rmsprop", optim.RMSprop, "RMSprop", argument(_rate("alpha", "smoothing constant"), "Alpha"),
                   _EPS, _WEIGHT_DECAY, _MOMENTUM,
                   argument(_flag("centered", "normalise by the estimated variance"), "Centered"))

# --- lr schedules ------------------------------------------------------------------------------------
_GAMMA = Option("gamma", float, low=0, low_open=True, help="factor the lr is multiplied by")
register_scheduler("step", optim.lr_scheduler.StepLR, "Step",
                   _size("step_size", help="epochs between two cuts"), _GAMMA)
register_scheduler("cosine", optim.lr_scheduler.CosineAnnealingLR, "Cosine",
                   _size("T_max", auto=True, help="epochs of the half cosine (auto: the epoch budget)"),
                   _non_negative("eta_min", "the lowest lr"))
register_scheduler("plateau", optim.lr_scheduler.ReduceLROnPlateau, "Plateau (on the val loss)",
                   Option("factor", float, low=0, high=1, low_open=True, high_open=True, help="factor of each cut"),
                   Option("patience", int, low=0, help="epochs without improvement before a cut"),
                   _non_negative("threshold", "smallest relative improvement that counts"),
                   Option("cooldown", int, low=0, help="epochs to wait after a cut"),
                   _non_negative("min_lr", "the lowest lr"))


def layer(name: str, where: str = "model") -> LayerEntry:
    """The registered layer `name`; PresetError naming the registered ones otherwise."""
    if not isinstance(name, str) or name not in LAYERS:  # NOTE: a list or table is unhashable
        raise PresetError(f"{where}.type must be one of {', '.join(LAYERS)}, got {name!r}")
    return LAYERS[name]
