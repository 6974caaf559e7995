"""What a trained model shows of itself for images: its first convolution's filters and a saliency map."""
from __future__ import annotations

import numpy as np

from npnn.diagnostics.saliency import saliency
from npnn.diagnostics.stats import Saliency, filter_images, first_conv


def inside_images(run, index: int) -> tuple:
    """(first conv filters, Saliency of test image `index`) of a presets.Run that is not training; None where
    the model or the data has none (no convolution, inputs that are not images)."""
    model, images = run.model, None if run.splits is None else run.splits.x_test
    conv = first_conv(model) if model is not None else None
    filters = None if conv is None else filter_images(conv.weight.data)
    if images is None or np.ndim(images) != 4 or not len(images):
        return filters, None
    index %= len(images)
    heat, predicted = saliency(model, images[index])
    return filters, Saliency(index, np.asarray(images[index][0], dtype=np.float64), heat, predicted)
