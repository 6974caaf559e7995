"""npnn: a deep-learning framework on NumPy alone, with PyTorch's names and semantics."""
from npnn import _malloc
from npnn.gradcheck import gradcheck
from npnn.random import manual_seed
from npnn.tensor import (Tensor, concatenate, get_default_dtype, is_grad_enabled, no_grad,
                         set_default_dtype, stack)
from npnn import metrics, nn, optim
from npnn.callbacks import EarlyStopping
from npnn.data import DataLoader, Dataset, TensorDataset
from npnn.serialization import load, save
from npnn.training import History, fit

_malloc.tune_malloc()  # keep freed memory for the next batch: see npnn/_malloc.py

__version__ = "0.1.0"
__all__ = ["DataLoader", "Dataset", "EarlyStopping", "History", "Tensor", "TensorDataset", "concatenate", "fit",
           "get_default_dtype", "gradcheck", "is_grad_enabled", "load", "manual_seed", "metrics", "nn", "no_grad",
           "optim", "save", "set_default_dtype", "stack"]
