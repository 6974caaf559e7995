"""Input-gradient saliency: how much each input pixel moves the predicted class's score."""
from __future__ import annotations

import numpy as np

from npnn.tensor import Tensor


def saliency(model, x: np.ndarray) -> tuple[np.ndarray, int]:
    """|d score[predicted] / d x| of one sample `x` (C, H, W), the max over channels scaled to [0, 1],
    and the predicted class. The model runs in eval mode; its mode and its parameters' `.grad` are put
    back, so a training loop that reads them between batches sees its own."""
    params = list(model.parameters())
    kept = [p.grad for p in params]
    was_training = model.training
    dtype = params[0].dtype if params else np.float32
    model.eval()
    try:
        inputs = Tensor(np.asarray(x, dtype=dtype)[None], requires_grad=True)
        scores = model(inputs)
        predicted = int(np.argmax(scores.data[0]))
        scores[0, predicted].backward()
        assert inputs.grad is not None  # NOTE: backward just reached the input, which requires grad
        grad = np.abs(inputs.grad[0].astype(np.float64))
    finally:
        for p, g in zip(params, kept):
            p.grad = g
        model.train(was_training)
    heat = grad.max(axis=0) if grad.ndim == 3 else grad
    peak = heat.max()
    return (heat / peak if peak > 0 and np.isfinite(peak) else np.zeros_like(heat)), predicted
