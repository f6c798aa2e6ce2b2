"""Closeness tests (isclose, allclose), one-sided clamps (clamp_min, clamp_max), heaviside
and the bitwise family (bitwise_and/or/xor/not, and the operators ``&``, ``|``, ``^``, ``~``
for integer and bool tensors)."""

from __future__ import annotations

import builtins
from typing import Any

import numpy as np

from bibun import _dtype
from bibun._tensor import Tensor, new_tensor
from bibun.ops._registry import INPUTS, apply, defop
from bibun.ops.binary import _no_derivative
from bibun.ops.elementwise import _as_operand, _check_broadcast

ndarray = np.ndarray
ELEMENTWISE = "elementwise"


def _require_tensor(x: Any, name: str, what: str, position: int) -> None:
    if not isinstance(x, Tensor):
        raise TypeError(f"{name}(): argument '{what}' (position {position}) must be Tensor, not {type(x).__name__}")


# --- isclose, allclose -------------------------------------------------------------------------
def isclose(input: Tensor, other: Tensor, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> Tensor:
    """Where ``|input - other| <= atol + rtol * |other|`` (and where both are equal, infinities
    included); NaN equals NaN only with ``equal_nan``. Both tensors must share a dtype."""
    _require_tensor(input, "isclose", "input", 1)
    _require_tensor(other, "isclose", "other", 2)
    a, b = input._data, other._data
    if a.dtype != b.dtype:
        raise RuntimeError(f"{_dtype.scalar_type_name(a.dtype)} did not match {_dtype.scalar_type_name(b.dtype)}")
    if rtol < 0:
        raise RuntimeError(f"rtol must be greater than or equal to zero, but got {rtol:g}")
    if atol < 0:
        raise RuntimeError(f"atol must be greater than or equal to zero, but got {atol:g}")
    _check_broadcast(a.shape, b.shape)
    close = a == b
    if a.dtype.kind == "b":
        return new_tensor(np.asarray(close))
    if a.dtype.kind in "iu":  # integers are compared in double, as PyTorch does
        a, b = a.astype(np.float64), b.astype(np.float64)
    with np.errstate(all="ignore"):
        if equal_nan:
            close = close | (np.isnan(a) & np.isnan(b))
        error = np.abs(a - b)
        close = close | (np.isfinite(error) & (error <= atol + np.abs(rtol * b)))
    return new_tensor(np.asarray(close))


def allclose(input: Tensor, other: Tensor, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> bool:
    """True when ``isclose`` holds everywhere (a Python bool)."""
    return builtins.bool(isclose(input, other, rtol, atol, equal_nan)._data.all())


# --- clamp_min, clamp_max ----------------------------------------------------------------------
_CLAMP_MIN = defop(
    "clamp_min",
    "ClampMinBackward0",
    lambda x, min: np.maximum(x, min),
    (lambda xp, g, x, min: xp.where(x >= min, g, 0.0),),
    save=INPUTS,
    jvp=ELEMENTWISE,
)
_CLAMP_MAX = defop(
    "clamp_max",
    "ClampMaxBackward0",
    lambda x, max: np.minimum(x, max),
    (lambda xp, g, x, max: xp.where(x <= max, g, 0.0),),
    save=INPUTS,
    jvp=ELEMENTWISE,
)
# With a tensor bound, the bound gets the gradient where it is the result.
_CLAMP_MIN_TENSOR = defop(
    "clamp_min_tensor",
    "ClampMinBackward1",
    np.maximum,
    (lambda xp, g, x, low: xp.where(x >= low, g, 0.0), lambda xp, g, x, low: xp.where(x < low, g, 0.0)),
    save=INPUTS,
    jvp=ELEMENTWISE,
)
_CLAMP_MAX_TENSOR = defop(
    "clamp_max_tensor",
    "ClampMaxBackward1",
    np.minimum,
    (lambda xp, g, x, high: xp.where(x <= high, g, 0.0), lambda xp, g, x, high: xp.where(x > high, g, 0.0)),
    save=INPUTS,
    jvp=ELEMENTWISE,
)


def _one_sided_clamp(name: str, input: Tensor, bound: Any, scalar_op: Any, tensor_op: Any) -> Tensor:
    if isinstance(bound, Tensor):
        _check_broadcast(input._data.shape, bound._data.shape)
        return apply(tensor_op, (input, bound), None, dtype=_dtype.result_type(input, bound))
    operand = _as_operand(bound)
    if operand is None or isinstance(operand, Tensor):
        raise TypeError(
            f"{name}() received an invalid combination of arguments - got (Tensor, {type(bound).__name__}), "
            f"but expected one of:\n * (Tensor input, Tensor {name[6:]})\n * (Tensor input, Number {name[6:]})"
        )
    target = _dtype.result_type(input, operand)
    key = "min" if tensor_op is _CLAMP_MIN_TENSOR else "max"
    return apply(scalar_op, (input,), {key: operand}, dtype=target)


def clamp_min(input: Tensor, min: Any) -> Tensor:  # noqa: A002 - PyTorch's name
    """``max(input, min)`` elementwise; the gradient passes where ``input >= min``."""
    return _one_sided_clamp("clamp_min", input, min, _CLAMP_MIN, _CLAMP_MIN_TENSOR)


def clamp_max(input: Tensor, max: Any) -> Tensor:  # noqa: A002 - PyTorch's name
    """``min(input, max)`` elementwise; the gradient passes where ``input <= max``."""
    return _one_sided_clamp("clamp_max", input, max, _CLAMP_MAX, _CLAMP_MAX_TENSOR)


# --- heaviside -----------------------------------------------------------------------------------
def _heaviside_primal(x: ndarray, values: ndarray) -> ndarray:
    # PyTorch's formula: ``values`` where x == 0, else (x > 0); NaN gives 0.
    return np.where(x == 0, values, (x > 0).astype(x.dtype))


_HEAVISIDE = defop(
    "heaviside",
    "NotImplemented",
    _heaviside_primal,
    (_no_derivative("heaviside"), _no_derivative("heaviside")),
    jvp=None,
)


def heaviside(input: Tensor, values: Tensor) -> Tensor:
    """The step function: 0 below zero, 1 above, ``values`` at zero. PyTorch defines no
    derivative: the result records a ``NotImplemented`` node whose backward raises."""
    _require_tensor(values, "heaviside", "values", 2)
    if input._data.dtype != values._data.dtype:
        raise RuntimeError("heaviside is not yet implemented for tensors with different dtypes.")
    _check_broadcast(input._data.shape, values._data.shape)
    return apply(_HEAVISIDE, (input, values))


# --- bitwise --------------------------------------------------------------------------------------
def _bitwise(name: str, ufunc: np.ufunc, input: Any, other: Any) -> Tensor:
    a, b = _as_operand(input), _as_operand(other)
    for position, operand in ((1, a), (2, b)):
        if operand is None:
            bad = input if position == 1 else other
            raise TypeError(
                f"{name}(): argument (position {position}) must be Tensor or Number, not {type(bad).__name__}"
            )
    target = _dtype.result_type(a, b)
    if target.kind not in "biu":
        raise NotImplementedError(f"\"{name}_cpu\" not implemented for '{_dtype.scalar_type_name(target)}'")
    if isinstance(a, Tensor) and isinstance(b, Tensor):
        _check_broadcast(a._data.shape, b._data.shape)
    arrays = [x._data if isinstance(x, Tensor) else np.asarray(x) for x in (a, b)]
    return new_tensor(np.asarray(ufunc(arrays[0].astype(target), arrays[1].astype(target))))


def bitwise_and(input: Any, other: Any) -> Tensor:
    """Bitwise AND of integer or bool tensors (``a & b``)."""
    return _bitwise("bitwise_and", np.bitwise_and, input, other)


def bitwise_or(input: Any, other: Any) -> Tensor:
    """Bitwise OR of integer or bool tensors (``a | b``)."""
    return _bitwise("bitwise_or", np.bitwise_or, input, other)


def bitwise_xor(input: Any, other: Any) -> Tensor:
    """Bitwise XOR of integer or bool tensors (``a ^ b``)."""
    return _bitwise("bitwise_xor", np.bitwise_xor, input, other)


def bitwise_not(input: Tensor) -> Tensor:
    """Bitwise NOT of an integer tensor (``~a``: ``-a - 1``); logical NOT of a bool tensor."""
    data = input._data
    if data.dtype.kind not in "biu":
        raise NotImplementedError(f"\"bitwise_not_cpu\" not implemented for '{_dtype.scalar_type_name(data.dtype)}'")
    return new_tensor(np.asarray(np.invert(data)))


def _binary_operator(fn: Any, reflected: bool = False) -> Any:
    def method(self: Tensor, other: Any) -> Any:
        if _as_operand(other) is None:
            return NotImplemented
        return fn(other, self) if reflected else fn(self, other)

    return method


def _invert_operator(self: Tensor) -> Tensor:
    if self._data.dtype.kind not in "biu":
        raise TypeError("~ (operator.invert) is only implemented on integer and Boolean-type tensors")
    return bitwise_not(self)


# The operators as PyTorch defines them: bitwise on integer and bool tensors (bound to Tensor
# in _tensor_methods.py).
OPERATORS = {
    "__and__": _binary_operator(bitwise_and),
    "__rand__": _binary_operator(bitwise_and, reflected=True),
    "__or__": _binary_operator(bitwise_or),
    "__ror__": _binary_operator(bitwise_or, reflected=True),
    "__xor__": _binary_operator(bitwise_xor),
    "__rxor__": _binary_operator(bitwise_xor, reflected=True),
    "__invert__": _invert_operator,
}

__all__ = [
    "isclose",
    "allclose",
    "clamp_min",
    "clamp_max",
    "heaviside",
    "bitwise_and",
    "bitwise_or",
    "bitwise_xor",
    "bitwise_not",
]
