"""Questions about dtypes, answered PyTorch's way: ``finfo``/``iinfo`` (the limits of a
floating or integer type), ``result_type``/``promote_types``/``can_cast`` (the promotion
rules of _dtype.py, docs/design.md "Type promotion") and ``is_complex``."""

from __future__ import annotations

import builtins
from typing import Any

import numpy as np

from bibun import _dtype
from bibun._tensor import Tensor

_CATEGORY = {"b": 0, "i": 1, "u": 1, "f": 2, "c": 3}


def _as_dtype(d: Any) -> _dtype.dtype:
    if type(d) is _dtype.dtype:
        return d
    raise TypeError(f"expected a bibun.dtype, got {type(d).__name__}")


class finfo:
    """The limits of a floating-point dtype: ``bibun.finfo(bibun.float32).eps``. A complex
    dtype answers for its real part, as in PyTorch."""

    __slots__ = ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution", "dtype")

    def __init__(self, type: _dtype.dtype | None = None) -> None:  # noqa: A002 - PyTorch's name
        d = _dtype.get_default_dtype() if type is None else _as_dtype(type)
        if not (d.is_floating_point or d.is_complex):
            raise TypeError(
                "bibun.finfo() requires a floating point input type. Use bibun.iinfo to handle 'bibun.finfo'"
            )
        d = d.to_real()
        info = np.finfo(d.np)
        self.bits = builtins.int(info.bits)
        self.eps = builtins.float(info.eps)
        self.max = builtins.float(info.max)
        self.min = builtins.float(info.min)
        self.tiny = self.smallest_normal = builtins.float(info.smallest_normal)
        # PyTorch's resolution is the decimal one, 10 ** -digits, computed in double.
        self.resolution = 10.0 ** -builtins.int(info.precision)
        self.dtype = d.name

    def __eq__(self, other: object) -> builtins.bool:
        return isinstance(other, finfo) and other.dtype == self.dtype

    def __hash__(self) -> builtins.int:
        return hash(("finfo", self.dtype))

    def __repr__(self) -> str:
        return (
            f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, eps={self.eps:g}, "
            f"smallest_normal={self.smallest_normal:g}, tiny={self.tiny:g}, dtype={self.dtype})"
        )


class iinfo:
    """The limits of an integer dtype: ``bibun.iinfo(bibun.int64).max``."""

    __slots__ = ("bits", "max", "min", "dtype")

    def __init__(self, type: _dtype.dtype) -> None:  # noqa: A002 - PyTorch's name
        d = _as_dtype(type)
        if d is _dtype.bool:
            raise TypeError("bibun.bool is not supported by bibun.iinfo")
        if d.np.kind not in "iu":
            raise TypeError("bibun.iinfo() requires an integer input type. Use bibun.finfo to handle 'bibun.iinfo'")
        info = np.iinfo(d.np)
        self.bits = builtins.int(info.bits)
        self.max = builtins.int(info.max)
        self.min = builtins.int(info.min)
        self.dtype = d.name

    def __eq__(self, other: object) -> builtins.bool:
        return isinstance(other, iinfo) and other.dtype == self.dtype

    def __hash__(self) -> builtins.int:
        return hash(("iinfo", self.dtype))

    def __repr__(self) -> str:
        return f"iinfo(min={builtins.float(self.min):g}, max={builtins.float(self.max):g}, dtype={self.dtype})"


_NUMBERS = (builtins.bool, builtins.int, builtins.float, builtins.complex, np.number, np.bool_)


def result_type(tensor1: Any, tensor2: Any) -> _dtype.dtype:
    """The dtype an elementwise op on ``tensor1`` and ``tensor2`` (tensors or numbers) gives:
    ``result_type(int64 tensor, 2.5)`` is the default float dtype."""
    for position, operand in enumerate((tensor1, tensor2), 1):
        if not isinstance(operand, (Tensor, *_NUMBERS)):
            raise TypeError(
                f"result_type(): argument 'tensor{position}' (position {position}) must be Tensor or Number, "
                f"not {type(operand).__name__}"
            )
    operands = [x.item() if isinstance(x, (np.number, np.bool_)) else x for x in (tensor1, tensor2)]
    return _dtype.from_numpy_dtype(_dtype.result_type(*operands))


def promote_types(type1: _dtype.dtype, type2: _dtype.dtype) -> _dtype.dtype:
    """The smallest dtype both promote to: ``promote_types(int64, float16)`` is float16."""
    return _dtype.from_numpy_dtype(_dtype._promote_two(_as_dtype(type1).np, _as_dtype(type2).np))


def can_cast(from_: _dtype.dtype, to: _dtype.dtype) -> builtins.bool:
    """Whether PyTorch's casting rules allow ``from_`` to become ``to``: a cast may narrow
    within a category (float64 to float32) but never lower the category (float to int,
    complex to float, a number to bool)."""
    return _CATEGORY[_as_dtype(from_).np.kind] <= _CATEGORY[_as_dtype(to).np.kind]


def is_complex(input: Tensor) -> builtins.bool:
    if not isinstance(input, Tensor):
        raise TypeError(f"is_complex(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
    return input._data.dtype.kind == "c"


__all__ = ["finfo", "iinfo", "result_type", "promote_types", "can_cast", "is_complex"]
