"""npnn: a deep-learning framework on NumPy alone, with PyTorch's names and semantics."""
from importlib import metadata

from npnn import metrics, nn, optim
from npnn._malloc import tune_malloc
from npnn._parallel import get_num_threads, set_num_threads
from npnn.callbacks import EarlyStopping
from npnn.creation import (
    arange,
    eye,
    full,
    full_like,
    linspace,
    ones,
    ones_like,
    rand,
    randint,
    randn,
    zeros,
    zeros_like,
)
from npnn.data import DataLoader, Dataset, TensorDataset
from npnn.gradcheck import gradcheck
from npnn.history import History
from npnn.random import manual_seed
from npnn.serialization import load, save
from npnn.tensor import Tensor, concatenate, get_default_dtype, is_grad_enabled, no_grad, set_default_dtype, stack
from npnn.tensor_ops import (
    amax,
    amin,
    argmax,
    argmin,
    cat,
    chunk,
    clamp,
    cumsum,
    expand,
    flatten,
    gather,
    masked_fill,
    permute,
    split,
    squeeze,
    std,
    tril,
    triu,
    unsqueeze,
    var,
    where,
)
from npnn.training import fit

try:
    __version__ = metadata.version("npnn-tui")  # the distribution's name; the version is written in pyproject.toml
except metadata.PackageNotFoundError:  # NOTE: a source tree on sys.path that pip has not installed
    __version__ = "0+unknown"
__all__ = ["DataLoader", "Dataset", "EarlyStopping", "History", "Tensor", "TensorDataset", "concatenate", "fit",
           "get_default_dtype", "get_num_threads", "gradcheck", "is_grad_enabled", "load", "manual_seed", "metrics",
           "nn", "no_grad", "optim", "save", "set_default_dtype", "set_num_threads", "stack", "tune_malloc",
           # torch-named tensor functions and constructors (docs/tensor_ops.md)
           "amax", "amin", "arange", "argmax", "argmin", "cat", "chunk", "clamp", "cumsum", "expand", "eye", "flatten",
           "full", "full_like", "gather", "linspace", "masked_fill", "ones", "ones_like", "permute", "rand", "randint",
           "randn", "split", "squeeze", "std", "tril", "triu", "unsqueeze", "var", "where", "zeros", "zeros_like"]
