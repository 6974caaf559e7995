"""npnn: a deep-learning framework on NumPy alone, with PyTorch's names and semantics."""
from npnn.gradcheck import gradcheck
from npnn.random import manual_seed
from npnn.serialization import load, save
from npnn.tensor import (Tensor, concatenate, get_default_dtype, is_grad_enabled, no_grad,
                         set_default_dtype, stack)
from npnn import nn  # noqa: E402  NOTE: after Tensor, which the layers build on
from npnn import metrics, optim  # noqa: E402
from npnn.callbacks import EarlyStopping  # noqa: E402
from npnn.data import DataLoader, Dataset, TensorDataset  # noqa: E402
from npnn.training import History, fit  # noqa: E402

__version__ = "0.1.0"
__all__ = ["DataLoader", "Dataset", "EarlyStopping", "History", "TensorDataset", "fit", "metrics",
           "optim", "Tensor", "concatenate", "get_default_dtype", "gradcheck", "is_grad_enabled", "load", "manual_seed",
           "nn", "no_grad", "save", "set_default_dtype", "stack"]

from npnn._malloc import tune_malloc  # noqa: E402

tune_malloc()  # keep freed memory for the next batch: see npnn/_malloc.py
