"""npnn.save / npnn.load: state dicts as .npz archives, written atomically, read without pickle."""
from __future__ import annotations

import os
import struct
import zipfile
import zlib
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
        np.savez(f, **arrays)  # type: ignore[arg-type]  # NOTE: numpy's stub types **kwds as allow_pickle


_NPY_MAGIC, _PICKLE_MAGIC = b"\x93NUMPY", b"\x80"
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")  # a first member, or the end record of an empty archive
_EOCD_SEARCH = 22 + 65535  # a zip's end record and the longest comment it may carry
# what zipfile and NumPy raise on a damaged archive (OSError: a seek past the start, once the file is open)
_DAMAGE = (zipfile.BadZipFile, EOFError, OSError, ValueError, NotImplementedError, RuntimeError, zlib.error)


def load(path) -> OrderedDict:
    """Read an .npz written by `save` into name → ndarray; pickled content is refused here, eagerly.

    A damaged file (empty, truncated, altered) raises ValueError naming the file; a missing one
    raises FileNotFoundError.
    """
    path = os.fspath(path)
    with open(path, "rb") as f:
        head = f.read(len(_NPY_MAGIC))
        f.seek(0)
        if head.startswith(_NPY_MAGIC) or head.startswith(_PICKLE_MAGIC):
            _refuse_single_array(f, path)
        if not head.startswith(_ZIP_MAGIC):
            raise _damaged(path, "the file is empty" if not head else "not a zip archive")
        return _read_archive(f, path)


def _damaged(path: str, reason, member: str | None = None) -> ValueError:
    """The one error for a file that is not a readable archive; `reason` is a text or the exception."""
    if isinstance(reason, BaseException):
        reason = f"{type(reason).__name__}: {reason}" if str(reason) else type(reason).__name__
    where = f"member {member!r}: " if member is not None else ""
    return ValueError(f"{path}: not a readable npnn model file ({where}{reason})")


def _refuse_single_array(f, path: str) -> None:
    """An .npy or a pickle is never a model file: say which, refusing pickles before reading them."""
    try:
        np.load(f, allow_pickle=False)
    except _DAMAGE as error:
        if _is_pickle_refusal(error):
            raise ValueError(f"npnn.load refuses {path}: it holds pickled data, which could run code "
                             f"({error})") from None
        raise _damaged(path, error) from None
    raise ValueError(f"npnn.load expects an .npz archive of named arrays, but {path} holds a single array")


def _read_archive(f, path: str) -> OrderedDict:
    try:
        archive = np.load(f, allow_pickle=False)
        listed = _entries_listed(f)
    except _DAMAGE as error:
        raise _damaged(path, error) from None
    with archive:
        if len(archive.files) != listed:
            raise _damaged(path, f"its zip directory lists {listed} members but {len(archive.files)} can be read")
        result = OrderedDict()
        for name in archive.files:
            try:
                result[name] = archive[name]
            except _DAMAGE as error:
                if _is_pickle_refusal(error):
                    raise ValueError(f"npnn.load refuses {path}: member {name!r} holds pickled Python objects, "
                                     f"which could run code ({error})") from None
                raise _damaged(path, error, name) from None
    return result


def _is_pickle_refusal(error: BaseException) -> bool:
    """NumPy's refusal of pickled content (its wording names the allow_pickle switch)."""
    return isinstance(error, ValueError) and "allow_pickle" in str(error)


def _entries_listed(f) -> int:
    """The member count in the zip's end record (a damaged directory can hide members from zipfile)."""
    f.seek(0, os.SEEK_END)
    size = f.tell()
    f.seek(max(0, size - _EOCD_SEARCH))
    tail = f.read()
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or at + 12 > len(tail):
        raise zipfile.BadZipFile("no end-of-directory record")
    return struct.unpack("<H", tail[at + 10:at + 12])[0]

