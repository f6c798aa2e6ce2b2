"""Tensor conveniences PyTorch code uses everywhere and that are not ops: ``new_zeros`` and
its family (a new tensor with this one's dtype), ``type_as``/``view_as``/``reshape_as``,
the remaining dtype casts, and metadata (``nbytes``, ``itemsize``, ``is_cpu``, ...)."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from bibun import _creation, _dtype
from bibun._tensor import Tensor


def _dtype_or_own(self: Tensor, dtype: Any) -> Any:
    return dtype if dtype is not None else _dtype.from_numpy_dtype(self._data.dtype)


def new_zeros(self: Tensor, *size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """Zeros of ``size`` with this tensor's dtype (unless ``dtype`` is given)."""
    return _creation.zeros(*size, dtype=_dtype_or_own(self, dtype), requires_grad=requires_grad)


def new_ones(self: Tensor, *size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    return _creation.ones(*size, dtype=_dtype_or_own(self, dtype), requires_grad=requires_grad)


def new_empty(self: Tensor, *size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    return _creation.empty(*size, dtype=_dtype_or_own(self, dtype), requires_grad=requires_grad)


def new_full(
    self: Tensor, size: Any, fill_value: Any, *, dtype: Any = None, device: Any = None, requires_grad: bool = False
) -> Tensor:
    return _creation.full(size, fill_value, dtype=_dtype_or_own(self, dtype), requires_grad=requires_grad)


def new_tensor(
    self: Tensor, data: Any, *, dtype: Any = None, device: Any = None, requires_grad: bool = False
) -> Tensor:
    """A copy of ``data`` with this tensor's dtype (unless ``dtype`` is given)."""
    if isinstance(data, Tensor):
        warnings.warn(
            "To copy construct from a tensor, it is recommended to use sourceTensor.detach().clone() or "
            "sourceTensor.detach().clone().requires_grad_(True), rather than tensor.new_tensor(sourceTensor).",
            UserWarning,
            stacklevel=2,
        )
        data = data._data
    return _creation.tensor(data, dtype=_dtype_or_own(self, dtype), requires_grad=requires_grad)


def type_as(self: Tensor, other: Tensor) -> Tensor:
    return self.to(other.dtype)


def view_as(self: Tensor, other: Tensor) -> Tensor:
    return self.view(other.shape)


def reshape_as(self: Tensor, other: Tensor) -> Tensor:
    return self.reshape(other.shape)


def is_same_size(self: Tensor, other: Tensor) -> bool:
    return self._data.shape == other._data.shape


def is_signed(self: Tensor) -> bool:
    return self._data.dtype.kind in "ifc"


def is_nonzero(self: Tensor) -> bool:
    """The truth value of a one-element tensor (PyTorch's errors otherwise)."""
    size = self._data.size
    if size == 0:
        raise RuntimeError("Boolean value of Tensor with no values is ambiguous")
    if size > 1:
        raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
    return bool(self._data.reshape(()))


def get_device(self: Tensor) -> int:
    return -1  # the CPU, as PyTorch reports it


def positive(self: Tensor) -> Tensor:
    """``+x``: the tensor itself, as in PyTorch (bool tensors refuse)."""
    if self._data.dtype == np.bool_:
        raise RuntimeError("The `+` operator, on a bool tensor is not supported.")
    return self


def _cast(dtype: Any) -> Any:
    def method(self: Tensor) -> Tensor:
        return self.to(dtype)

    return method


METHODS: dict[str, Any] = {
    "new_zeros": new_zeros,
    "new_ones": new_ones,
    "new_empty": new_empty,
    "new_full": new_full,
    "new_tensor": new_tensor,
    "type_as": type_as,
    "view_as": view_as,
    "reshape_as": reshape_as,
    "is_same_size": is_same_size,
    "is_signed": is_signed,
    "is_nonzero": is_nonzero,
    "get_device": get_device,
    "positive": positive,
    "__pos__": positive,
    "byte": _cast(_dtype.uint8),
    "char": _cast(_dtype.int8),
    "short": _cast(_dtype.int16),
}
PROPERTIES: dict[str, Any] = {
    "is_cpu": property(lambda self: True),
    "itemsize": property(lambda self: self._data.dtype.itemsize),
    "nbytes": property(lambda self: self._data.nbytes),
}
for _name, _method in METHODS.items():
    if _method.__name__ == "method":  # the casts: name them after their method
        _method.__name__ = _method.__qualname__ = _name
    setattr(Tensor, _name, _method)
for _name, _property in PROPERTIES.items():
    setattr(Tensor, _name, _property)
