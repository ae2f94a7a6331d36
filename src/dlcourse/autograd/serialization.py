"""``save`` and ``load``: tensors, state dicts and other objects to a file and back, as ``torch.save``/``torch.load``.

The file is a pickle behind a short header. A tensor is stored as its array and ``requires_grad``
(and its class, so a ``Parameter`` comes back a ``Parameter``), never with its graph or gradient.
As in PyTorch 2.6 and later, ``load`` reads only tensors, arrays, numbers, strings and the
containers of a state dict unless ``weights_only=False`` is passed: unpickling anything else can
run code, so only do that with a file from a trusted source.

The files are dlcourse's own: a file written by ``torch.save`` is read with ``torch.load``, and a
state dict moves between the two engines with ``load_state_dict``.
"""

from __future__ import annotations

import importlib
import os
import pickle
from typing import IO, Any

import numpy as np

from .tensor import Tensor, _check_device

__all__ = ["load", "save"]

_HEADER = b"dlcourse.save 1\n"
_PROTOCOL = 4

# What ``load`` may rebuild unless weights_only=False: a state dict's containers, NumPy arrays and scalars.
_SAFE_GLOBALS = {
    ("collections", "OrderedDict"),
    ("builtins", "set"), ("builtins", "frozenset"), ("builtins", "complex"), ("builtins", "slice"),
    ("numpy", "ndarray"), ("numpy", "dtype"),
    ("numpy._core.multiarray", "_reconstruct"), ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "scalar"), ("numpy.core.multiarray", "scalar"),
    ("numpy._core.numeric", "_frombuffer"), ("numpy.core.numeric", "_frombuffer"),
    (__name__, "_rebuild_tensor"),
}


def _rebuild_tensor(cls: type, data: np.ndarray, requires_grad: bool) -> Tensor:
    """A tensor of class ``cls`` (``Tensor``, ``Parameter``, ...) from its array, as ``save`` stored it."""
    return cls(data, requires_grad=requires_grad)


class _Pickler(pickle.Pickler):
    """Stores each tensor as its class, array and ``requires_grad`` (no graph, no gradient)."""

    def reducer_override(self, obj):
        if isinstance(obj, Tensor):
            return _rebuild_tensor, (type(obj), obj.data, bool(obj.requires_grad))
        return NotImplemented


class _WeightsOnlyUnpickler(pickle.Unpickler):
    """Rebuilds only what a state dict holds (see ``_SAFE_GLOBALS``) and dlcourse's tensor classes."""

    def find_class(self, module: str, name: str):
        if (module, name) in _SAFE_GLOBALS:
            return super().find_class(module, name)
        if module.split(".")[0] == "dlcourse":
            found = getattr(importlib.import_module(module), name, None)
            if isinstance(found, type) and issubclass(found, Tensor):
                return found
        raise pickle.UnpicklingError(
            f"Weights only load failed: the file holds {module}.{name}, which is not a tensor, an array or a "
            "container of a state dict. Re-running dlcourse.load with weights_only=False will likely succeed, "
            "but it can result in arbitrary code execution. Do it only if you got the file from a trusted source.")


def save(obj: Any, f: str | os.PathLike | IO[bytes]) -> None:
    """Write ``obj`` (a tensor, a ``state_dict()``, any picklable object) to the file ``f`` (a path or a
    binary file object), as ``torch.save(obj, f)``. Tensors keep their dtype and ``requires_grad``;
    their graphs and gradients are not stored."""
    if isinstance(f, str | os.PathLike):
        with open(f, "wb") as file:
            save(obj, file)
        return
    f.write(_HEADER)
    _Pickler(f, protocol=_PROTOCOL).dump(obj)


def load(f: str | os.PathLike | IO[bytes], map_location: Any = None, *, weights_only: bool | None = None) -> Any:
    """Read an object written by :func:`save`, as ``torch.load(f)``.

    Args:
        f: a path or a binary file object.
        map_location: None or the CPU (the engine's only device); any other device raises.
        weights_only: True by default, as in PyTorch 2.6 and later: only tensors, arrays, numbers,
            strings and containers are rebuilt. Pass False to load any pickled object (a whole model,
            say), but only from a file you trust: unpickling can run arbitrary code.
    """
    _check_device(map_location)
    if isinstance(f, str | os.PathLike):
        with open(f, "rb") as file:
            return load(file, map_location, weights_only=weights_only)
    header = f.read(len(_HEADER))
    if header != _HEADER:
        origin = "torch.save (load it with torch.load)" if header.startswith(b"PK") else "something else"
        raise pickle.UnpicklingError(f"dlcourse.load: this file was not written by dlcourse.save but by {origin}")
    unpickler = pickle.Unpickler(f) if weights_only is False else _WeightsOnlyUnpickler(f)
    return unpickler.load()
