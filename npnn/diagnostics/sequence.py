"""What a sequence model does with a prompt: every attention head's weights in each TransformerEncoderLayer,
and how large each layer's output vectors (the embeddings and hidden states) are at each position.

One forward pass in eval mode without a graph: forward hooks record each child's output and re-run each
encoder layer's self-attention on that layer's own input (normed first when `norm_first`) asking for
the weights per head, as PyTorch's `need_weights=True, average_attn_weights=False` gives them.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from npnn import nn
from npnn.tensor import Tensor, no_grad


@dataclass(frozen=True)
class AttentionMap:
    """Encoder layer `block` of the model's child `layer` (its summary label) on the probe's first prompt:
    `weights` (heads, T, T), row = query position, column = key position, each row summing to 1."""
    layer: str
    block: int
    weights: np.ndarray


@dataclass(frozen=True)
class SequenceProbe:
    """`tokens` (T,) the prompt the maps are of, `names` its tokens' names (the vocabulary's, else the ids);
    `maps` in the order the layers run; `norms` per child whose output is (N, T, D): its label and the L2
    norm of its output vector at each position, averaged over the probe's prompts (T,)."""
    tokens: np.ndarray
    names: tuple[str, ...]
    maps: tuple[AttentionMap, ...]
    norms: tuple[tuple[str, np.ndarray], ...]


def sequence_probe(model, prompts: np.ndarray, labels=None, vocab=None) -> SequenceProbe:
    """Feed `prompts` (N, T) token ids to `model` (a Sequential-like model whose children are the summary's
    rows, labelled by `labels` or their `label()`); `vocab[i]` names token i. The model's mode is put back."""
    children = list(model.children())
    labels = [child.label() for child in children] if labels is None else [str(x) for x in labels]
    prompts = np.asarray(prompts)
    maps: list[AttentionMap] = []
    norms: list[tuple[str, np.ndarray]] = []
    handles = []
    for label, child in zip(labels, children):
        handles.append(child.register_forward_hook(_norm_hook(label, norms)))
        blocks = [m for m in child.modules() if isinstance(m, nn.TransformerEncoderLayer)]
        for block, layer in enumerate(blocks):
            handles.append(layer.register_forward_pre_hook(_attention_hook(label, block, maps), with_kwargs=True))
    was_training = model.training
    model.eval()
    try:
        with no_grad(), np.errstate(over="ignore", invalid="ignore"):
            model(Tensor(prompts))
    finally:
        for handle in handles:
            handle.remove()
        model.train(was_training)
    names = tuple(str(vocab[i]) if vocab is not None else str(i) for i in prompts[0])
    return SequenceProbe(prompts[0].copy(), names, tuple(maps), tuple(norms))


def _norm_hook(label: str, norms: list):
    def hook(module, args, output):
        data = getattr(output, "data", None)
        if isinstance(data, np.ndarray) and data.ndim == 3 and data.dtype.kind == "f":
            norms.append((label, np.linalg.norm(data.astype(np.float64), axis=-1).mean(axis=0)))
    return hook


def _attention_hook(label: str, block: int, maps: list):
    """Before an encoder layer runs: its self-attention's weights per head on the same input and masks."""
    def hook(layer, args, kwargs):
        names = ("src", "src_mask", "src_key_padding_mask", "is_causal")
        given = dict(zip(names, args)) | kwargs
        x = given["src"]
        if layer.norm_first:
            x = layer.norm1(x)
        weights = layer.self_attn(x, x, x, attn_mask=given.get("src_mask"),
                                  key_padding_mask=given.get("src_key_padding_mask"), need_weights=True,
                                  average_attn_weights=False, is_causal=bool(given.get("is_causal", False)))[1]
        data = np.asarray(weights.data, dtype=np.float64)
        maps.append(AttentionMap(label, block, data[0] if data.ndim == 4 else data))
    return hook
