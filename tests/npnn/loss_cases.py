"""The loss option grid shared by the gradchecks (test_nn_losses.py) and the PyTorch parity tests."""
import itertools

import numpy as np

CLASSES = 4
SHAPES = {"unbatched": (CLASSES,), "batched": (5, CLASSES), "2d": (3, CLASSES, 2, 3)}
WEIGHT = np.array([0.5, 2.0, 1.0, 3.0])
REDUCTIONS = ("mean", "sum", "none")


def cross_entropy_cases():
    """(id, shape name, target kind, weighted, ignore_index, label_smoothing, reduction) over the grid.

    ignore_index 1 and -1 occur in the targets; probabilities only take the default (negative) one.
    """
    cases = []
    for shape, kind, weighted, ignore, smoothing, reduction in itertools.product(
            SHAPES, ("index", "probs"), (False, True), (-100, 1, -1), (0.0, 0.15), REDUCTIONS):
        if kind == "probs" and ignore != -100:
            continue
        case_id = f"{shape}-{kind}-{'weight' if weighted else 'noweight'}-ii={ignore}-ls={smoothing}-{reduction}"
        cases.append((case_id, shape, kind, weighted, ignore, smoothing, reduction))
    return cases


def cross_entropy_inputs(shape_name: str, kind: str, ignore_index: int, seed: int = 0):
    """float64 logits and a target; index targets hold ignore_index in some places when it is used."""
    rng = np.random.default_rng(seed)
    shape = SHAPES[shape_name]
    logits = rng.standard_normal(shape) * 2
    if kind == "probs":
        axis = 0 if len(shape) == 1 else 1
        raw = rng.random(shape) + 0.05
        return logits, raw / raw.sum(axis=axis, keepdims=True)
    index_shape = shape[:0] if len(shape) == 1 else shape[:1] + shape[2:]
    target = rng.integers(0, CLASSES, index_shape)
    if ignore_index != -100:
        flat = target.reshape(-1)
        flat[::3] = ignore_index  # in an unbatched (0-d) target this ignores the only entry
        if ignore_index == 1 and target.ndim == 0:
            target = np.asarray(2)  # keep one unbatched case where nothing is ignored
    return logits, target


BCE_WEIGHT_SHAPES = {"none": None, "scalar": (), "per-class": (CLASSES,), "per-row": (5, 1), "full": (5, CLASSES)}
