"""npnn.save / npnn.load: state dicts as .npz archives, written atomically, read without pickle."""
from __future__ import annotations

import os
from collections import OrderedDict

import numpy as np

from npnn._atomic import atomic_open
from npnn.tensor import Tensor


def save(state_dict, path) -> None:
    """Write name → array (or Tensor) to exactly `path` as an .npz, via a temp file and a rename.

    NOTE: np.savez on a file object does not append ".npz"; the rename makes the write all-or-nothing.
    """
    if not isinstance(state_dict, dict):
        hint = " (pass model.state_dict())" if hasattr(state_dict, "state_dict") else ""
        raise TypeError(f"npnn.save expects a dict of name → array{hint}, got {type(state_dict).__name__}")
    arrays = {}
    for name, value in state_dict.items():
        if not isinstance(name, str):
            raise TypeError(f"npnn.save: keys must be strings, got {name!r}")
        array = np.asarray(value.data if isinstance(value, Tensor) else value)
        if array.dtype.hasobject:
            raise TypeError(f"npnn.save: {name!r} holds Python objects; only numeric arrays can be saved")
        arrays[name] = array
    with atomic_open(path, "wb") as f:
        np.savez(f, **arrays)


def load(path) -> OrderedDict:
    """Read an .npz written by `save` into name → ndarray; pickled content is refused here, eagerly."""
    path = os.fspath(path)
    try:
        archive = np.load(path, allow_pickle=False)
    except ValueError as error:
        raise ValueError(f"npnn.load refuses {path}: it holds pickled data, which could run code "
                         f"({error})") from None
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise ValueError(f"npnn.load expects an .npz archive of named arrays, but {path} holds a single array")
    with archive:
        result = OrderedDict()
        for name in archive.files:
            try:
                result[name] = archive[name]
            except ValueError as error:
                raise ValueError(f"npnn.load refuses {path}: member {name!r} holds pickled Python objects, "
                                 f"which could run code ({error})") from None
    return result
