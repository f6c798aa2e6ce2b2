"""Binary (and ternary) elementwise math beyond +, -, *, /, **: atan2, hypot, logaddexp,
xlogy, fmax/fmin, lerp, integer-style division (floor_divide, remainder, fmod), and clamp
with tensor bounds. Type promotion and broadcasting checks are elementwise.py's
(``_binary``); the engine undoes broadcasting in the gradients.

Every VJP is elementwise and linear in ``g``, so the JVP reuses it (``"elementwise"``)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from bibun import _dtype
from bibun._tensor import Tensor, new_tensor
from bibun.ops._registry import INPUTS, INPUTS_AND_OUTPUT, apply, defop
from bibun.ops.elementwise import _as_operand, _binary, _check_broadcast

ndarray = np.ndarray
ELEMENTWISE = "elementwise"
_LN2 = math.log(2.0)


def _quiet(primal: Any) -> Any:
    """PyTorch returns NaN/inf out of domain without a warning; so do these primals."""

    def run(*args: Any, **kwargs: Any) -> Any:
        with np.errstate(all="ignore"):
            return primal(*args, **kwargs)

    return run


def _require_float(name: str, *operands: Any) -> None:
    for x in operands:
        if isinstance(x, Tensor) and x._data.dtype.kind in "biu":
            if all(not isinstance(o, Tensor) or o._data.dtype.kind in "biu" for o in operands):
                kind = _dtype.scalar_type_name(x._data.dtype)
                raise NotImplementedError(f"\"{name}_cpu\" not implemented for '{kind}'")


def _float_binary(op: Any, input: Any, other: Any) -> Tensor:
    """Like true division: integer operands compute in the default float dtype."""
    a, b = _as_operand(input), _as_operand(other)
    target = _dtype.result_type(a, b)
    if target.kind in "biu":
        target = _dtype.get_default_dtype().np
    if isinstance(a, Tensor) and isinstance(b, Tensor):
        _check_broadcast(a._data.shape, b._data.shape)
    return apply(op, (a, b), None, dtype=target)


# --- atan2, hypot -------------------------------------------------------------------------
def _atan2_vjp_input(xp: Any, g: Any, a: Any, b: Any) -> Any:
    d = a * a + b * b
    # PyTorch gives 0 (not NaN) at the origin, where the angle is not differentiable.
    return xp.where(d == 0, 0.0, g * b / xp.where(d == 0, 1.0, d))


def _atan2_vjp_other(xp: Any, g: Any, a: Any, b: Any) -> Any:
    d = a * a + b * b
    return xp.where(d == 0, 0.0, -g * a / xp.where(d == 0, 1.0, d))


_ATAN2 = defop(
    "atan2",
    "Atan2Backward0",
    _quiet(lambda a, b: _precise2(np.arctan2, a, b)),
    (_atan2_vjp_input, _atan2_vjp_other),
    save=INPUTS,
    jvp=ELEMENTWISE,
)


def _precise2(ufunc: np.ufunc, a: ndarray, b: ndarray) -> ndarray:
    """Two-argument ``_xp.precise``: small float32 inputs evaluated in float64, then rounded."""
    dt = np.result_type(a, b)
    if dt.kind == "f" and dt.itemsize < 8 and np.size(a) + np.size(b) <= 2048:
        return ufunc(a, b, dtype=np.float64).astype(dt)
    return ufunc(a, b)


def atan2(input: Tensor, other: Tensor) -> Tensor:
    """The angle of (other, input) in (-pi, pi]; recorded as Atan2Backward0."""
    return _float_binary(_ATAN2, input, other)


arctan2 = atan2

_HYPOT = defop(
    "hypot",
    "HypotBackward0",
    lambda a, b: _precise2(np.hypot, a, b),
    (lambda xp, g, a, b, out: g * a / out, lambda xp, g, a, b, out: g * b / out),
    save=INPUTS_AND_OUTPUT,
    jvp=ELEMENTWISE,
)


def hypot(input: Tensor, other: Tensor) -> Tensor:
    _require_float("hypot", input, other)
    return _binary(_HYPOT, _as_operand(input), _as_operand(other))


# --- logaddexp, logaddexp2 ----------------------------------------------------------------
_LOGADDEXP = defop(
    "logaddexp",
    "LogaddexpBackward0",
    _quiet(lambda a, b: _precise2(np.logaddexp, a, b)),
    (lambda xp, g, a, b: g / (xp.exp(b - a) + 1), lambda xp, g, a, b: g / (xp.exp(a - b) + 1)),
    save=INPUTS,
    jvp=ELEMENTWISE,
)
_LOGADDEXP2 = defop(
    "logaddexp2",
    "Logaddexp2Backward0",
    _quiet(lambda a, b: _precise2(np.logaddexp2, a, b)),
    (
        lambda xp, g, a, b: g / (xp.exp((b - a) * _LN2) + 1),
        lambda xp, g, a, b: g / (xp.exp((a - b) * _LN2) + 1),
    ),
    save=INPUTS,
    jvp=ELEMENTWISE,
)


def logaddexp(input: Tensor, other: Tensor) -> Tensor:
    """log(exp(input) + exp(other)) without overflow."""
    _require_float("logaddexp", input, other)
    return _binary(_LOGADDEXP, _as_operand(input), _as_operand(other))


def logaddexp2(input: Tensor, other: Tensor) -> Tensor:
    _require_float("logaddexp2", input, other)
    return _binary(_LOGADDEXP2, _as_operand(input), _as_operand(other))


# --- xlogy: x * log(y), defined as 0 where x == 0 (unless y is NaN) -------------------------
def _xlogy_primal(x: Any, y: Any) -> ndarray:
    dtype = np.result_type(x, y)  # before asarray: a Python scalar stays weak
    x, y = np.asarray(x), np.asarray(y)
    out = np.where((x == 0) & ~np.isnan(y), 0.0, x * np.log(y))
    return out.astype(dtype, copy=False)


def _xlogy_vjp_x(xp: Any, g: Any, x: Any, y: Any) -> Any:
    # PyTorch: xlogy(g, y), then 0 where x == 0 and y <= 0.
    y_safe = xp.where(y > 0, y, 1.0)
    log_y = xp.where(y > 0, xp.log(y_safe), xp.where(y == 0, -math.inf, math.nan))
    term = xp.where(g == 0, 0.0, g * log_y)
    return xp.where((x == 0) & (y <= 0), 0.0, term)


def _xlogy_vjp_y(xp: Any, g: Any, x: Any, y: Any) -> Any:
    return g * x / y


_XLOGY = defop(
    "xlogy", "XlogyBackward0", _quiet(_xlogy_primal), (_xlogy_vjp_x, _xlogy_vjp_y), save=INPUTS, jvp=ELEMENTWISE
)
_XLOGY_SCALAR_X = defop(
    "xlogy_scalar_self",
    "XlogyBackward1",
    _quiet(_xlogy_primal),
    (None, _xlogy_vjp_y),
    save=INPUTS,
    jvp=ELEMENTWISE,
)
_XLOGY_SCALAR_Y = defop(
    "xlogy_scalar_other",
    "XlogyBackward2",
    _quiet(_xlogy_primal),
    (_xlogy_vjp_x, None),
    save=INPUTS,
    jvp=ELEMENTWISE,
)


def xlogy(input: Any, other: Any) -> Tensor:
    """input * log(other), with 0 where input == 0 (the convention of entropy terms)."""
    a, b = _as_operand(input), _as_operand(other)
    op = _XLOGY if isinstance(a, Tensor) and isinstance(b, Tensor) else _XLOGY_SCALAR_Y
    if not isinstance(a, Tensor):
        op = _XLOGY_SCALAR_X
    return _float_binary(op, a, b)


# --- fmax / fmin: like maximum/minimum, but a NaN loses; ties go to the first input --------
def _fmax_vjp_a(xp: Any, g: Any, a: Any, b: Any) -> Any:
    return xp.where((a >= b) | (b != b), g, 0.0)


def _fmax_vjp_b(xp: Any, g: Any, a: Any, b: Any) -> Any:
    return xp.where((a >= b) | (b != b), 0.0, g)


def _fmin_vjp_a(xp: Any, g: Any, a: Any, b: Any) -> Any:
    return xp.where((a <= b) | (b != b), g, 0.0)


def _fmin_vjp_b(xp: Any, g: Any, a: Any, b: Any) -> Any:
    return xp.where((a <= b) | (b != b), 0.0, g)


_FMAX = defop("fmax", "FmaxBackward0", np.fmax, (_fmax_vjp_a, _fmax_vjp_b), save=INPUTS, jvp=ELEMENTWISE)
_FMIN = defop("fmin", "FminBackward0", np.fmin, (_fmin_vjp_a, _fmin_vjp_b), save=INPUTS, jvp=ELEMENTWISE)


def fmax(input: Tensor, other: Tensor) -> Tensor:
    return _binary(_FMAX, _as_operand(input), _as_operand(other))


def fmin(input: Tensor, other: Tensor) -> Tensor:
    return _binary(_FMIN, _as_operand(input), _as_operand(other))


# --- lerp: input + weight * (end - input) -------------------------------------------------
def _lerp_primal(a: ndarray, b: ndarray, w: Any) -> ndarray:
    # PyTorch's two-sided formula: exact at both ends (w = 0 gives a, w = 1 gives b).
    out = np.where(np.abs(w) < 0.5, a + w * (b - a), b - (b - a) * (1 - w))
    return out.astype(np.result_type(a, b), copy=False)


_LERP_SCALAR = defop(
    "lerp",
    "LerpBackward0",
    _lerp_primal,
    (lambda xp, g, w: g * (1 - w), lambda xp, g, w: g * w, None),
    save=lambda arrays, out, params: (arrays[2],),
    jvp=ELEMENTWISE,
)
_LERP_TENSOR = defop(
    "lerp_tensor",
    "LerpBackward1",
    _lerp_primal,
    (
        lambda xp, g, a, b, w: g * (1 - w),
        lambda xp, g, a, b, w: g * w,
        lambda xp, g, a, b, w: g * (b - a),
    ),
    save=INPUTS,
    jvp=ELEMENTWISE,
)


def lerp(input: Tensor, end: Tensor, weight: Any) -> Tensor:
    """Linear interpolation ``input + weight * (end - input)``; ``weight`` a number or tensor."""
    if input._data.dtype != end._data.dtype:
        expected, got = _dtype.cpp_type_name(input._data.dtype), _dtype.cpp_type_name(end._data.dtype)
        raise RuntimeError(f"expected dtype {expected} for `end` but got dtype {got}")
    _check_broadcast(input._data.shape, end._data.shape)
    if isinstance(weight, Tensor):
        _check_broadcast(np.broadcast_shapes(input._data.shape, end._data.shape), weight._data.shape)
        return apply(_LERP_TENSOR, (input, end, weight))
    return apply(_LERP_SCALAR, (input, end, float(weight)))


# --- addcmul, addcdiv: input + value * tensor1 * tensor2 (or / tensor2) ---------------------
# Evaluated left to right as PyTorch's kernel does, for its last digits.
_ADDCMUL = defop(
    "addcmul",
    "AddcmulBackward0",
    lambda x, t1, t2, value: x + value * t1 * t2,
    (
        lambda xp, g, x, t1, t2, value: g,
        lambda xp, g, x, t1, t2, value: g * (t2 * value),
        lambda xp, g, x, t1, t2, value: g * (t1 * value),
    ),
    save=INPUTS,
    jvp=ELEMENTWISE,
)
_ADDCDIV = defop(
    "addcdiv",
    "AddcdivBackward0",
    lambda x, t1, t2, value: x + value * t1 / t2,
    (
        lambda xp, g, x, t1, t2, value: g,
        lambda xp, g, x, t1, t2, value: g * (value / t2),
        lambda xp, g, x, t1, t2, value: -g * value * t1 / (t2 * t2),
    ),
    save=INPUTS,
    jvp=ELEMENTWISE,
)


def _addc(op: Any, input: Tensor, tensor1: Tensor, tensor2: Tensor, value: Any) -> Tensor:
    for t in (input, tensor1, tensor2):
        if not isinstance(t, Tensor):
            raise TypeError(f"{op.name}(): argument must be Tensor, not {type(t).__name__}")
    _check_broadcast(tensor1._data.shape, tensor2._data.shape)
    _check_broadcast(input._data.shape, np.broadcast_shapes(tensor1._data.shape, tensor2._data.shape))
    target = _dtype.result_type(input, tensor1, tensor2)
    return apply(op, (input, tensor1, tensor2, value), dtype=target)


def addcmul(input: Tensor, tensor1: Tensor, tensor2: Tensor, *, value: Any = 1) -> Tensor:
    """``input + value * tensor1 * tensor2``, broadcast."""
    return _addc(_ADDCMUL, input, tensor1, tensor2, value)


def addcdiv(input: Tensor, tensor1: Tensor, tensor2: Tensor, *, value: Any = 1) -> Tensor:
    """``input + value * tensor1 / tensor2``, broadcast (floating point only, as in PyTorch)."""
    if tensor1._data.dtype.kind in "biu" and tensor2._data.dtype.kind in "biu":
        raise RuntimeError(
            "Integer division with addcdiv is no longer supported, and in a future  release addcdiv will "
            "perform a true division of tensor1 and tensor2. The historic addcdiv behavior can be implemented "
            "as (input + value * torch.trunc(tensor1 / tensor2)).to(input.dtype) for integer inputs and as "
            "(input + value * tensor1 / tensor2) for float inputs. The future addcdiv behavior is just the "
            "latter implementation: (input + value * tensor1 / tensor2), for all dtypes."
        )
    return _addc(_ADDCDIV, input, tensor1, tensor2, value)


# --- integer-style division ---------------------------------------------------------------
def _no_derivative(name: str) -> Any:
    def rule(xp: Any, g: Any, *args: Any, **params: Any) -> Any:
        raise RuntimeError(f"derivative for aten::{name} is not implemented")

    return rule


def _checked_integer_division(ufunc: np.ufunc) -> Any:
    def run(a: Any, b: Any) -> ndarray:
        # Scalars stay Python scalars: NumPy then keeps the tensor's dtype (weak scalars).
        if np.result_type(a, b).kind in "biu" and np.any(np.asarray(b) == 0):
            raise RuntimeError("ZeroDivisionError")
        with np.errstate(all="ignore"):
            return ufunc(a, b)

    return run


# PyTorch has no derivative for floor_divide (``//``): the node exists and its backward raises.
_FLOOR_DIVIDE = defop(
    "floor_divide",
    "NotImplemented",
    _checked_integer_division(np.floor_divide),
    (_no_derivative("floor_divide"), _no_derivative("floor_divide")),
    jvp=None,
)
_REMAINDER = defop(
    "remainder",
    "RemainderBackward1",
    _checked_integer_division(np.remainder),
    (lambda xp, g, a, b: g, lambda xp, g, a, b: -g * xp.floor(a / b)),
    save=INPUTS,
    jvp=ELEMENTWISE,
)
_REMAINDER_SCALAR = defop(
    "remainder_scalar",
    "RemainderBackward0",
    _checked_integer_division(np.remainder),
    (lambda xp, g: g, None),
    jvp=ELEMENTWISE,
)
_REMAINDER_RSCALAR = defop(
    "remainder_scalar_self",
    "NotImplemented",
    _checked_integer_division(np.remainder),
    (None, _no_derivative("remainder")),
    jvp=None,
)
_FMOD = defop(
    "fmod",
    "FmodBackward1",
    _checked_integer_division(np.fmod),
    (lambda xp, g, a, b: g, lambda xp, g, a, b: -g * xp.trunc(a / b)),
    save=INPUTS,
    jvp=ELEMENTWISE,
)
_FMOD_SCALAR = defop(
    "fmod_scalar", "FmodBackward0", _checked_integer_division(np.fmod), (lambda xp, g: g, None), jvp=ELEMENTWISE
)


def floor_divide(input: Any, other: Any) -> Tensor:
    """``input // other`` rounded toward minus infinity. PyTorch defines no gradient for it:
    the result records a ``NotImplemented`` node whose backward raises."""
    return _binary(_FLOOR_DIVIDE, _as_operand(input), _as_operand(other))


def remainder(input: Any, other: Any) -> Tensor:
    """Python's ``%``: the result has the sign of ``other``."""
    a, b = _as_operand(input), _as_operand(other)
    if not isinstance(a, Tensor):
        return _binary(_REMAINDER_RSCALAR, a, b)
    return _binary(_REMAINDER if isinstance(b, Tensor) else _REMAINDER_SCALAR, a, b)


def fmod(input: Tensor, other: Any) -> Tensor:
    """C's fmod: the result has the sign of ``input``."""
    b = _as_operand(other)
    return _binary(_FMOD if isinstance(b, Tensor) else _FMOD_SCALAR, input, b)


# --- clamp with tensor bounds ---------------------------------------------------------------
def _clamp_primal(x: ndarray, low: Any, high: Any) -> ndarray:
    out = x
    if low is not None:
        out = np.maximum(out, low)
    if high is not None:
        out = np.minimum(out, high)  # with low > high, high wins (as in PyTorch)
    return out


def _clamp_vjp_input(xp: Any, g: Any, x: Any, low: Any, high: Any) -> Any:
    inside = x == x
    if low is not None:
        inside = inside & (x >= low)
    if high is not None:
        inside = inside & (x <= high)
    return xp.where(inside, g, 0.0)


def _clamp_vjp_low(xp: Any, g: Any, x: Any, low: Any, high: Any) -> Any:
    below = x < low
    if high is not None:
        below = below & (low < high)
    return xp.where(below, g, 0.0)


def _clamp_vjp_high(xp: Any, g: Any, x: Any, low: Any, high: Any) -> Any:
    above = x > high
    if low is not None:
        above = above | (low > high)
    return xp.where(above, g, 0.0)


_CLAMP_TENSOR = defop(
    "clamp_tensor",
    "ClampBackward0",
    _clamp_primal,
    (_clamp_vjp_input, _clamp_vjp_low, _clamp_vjp_high),
    save=INPUTS,
    jvp=ELEMENTWISE,
)


def clamp_tensor(input: Tensor, min: Any, max: Any) -> Tensor:  # noqa: A002
    """clamp where a bound is a tensor (elementwise bounds, broadcast with ``input``)."""
    bounds = [b if b is None or isinstance(b, Tensor) else new_tensor(np.asarray(b)) for b in (min, max)]
    operands = [input] + [b for b in bounds if b is not None]
    shape = input._data.shape
    for b in bounds:
        if b is not None:
            _check_broadcast(shape, b._data.shape)
            shape = np.broadcast_shapes(shape, b._data.shape)
    return apply(_CLAMP_TENSOR, (input, *bounds), None, dtype=_dtype.result_type(*operands))


__all__ = [
    "atan2",
    "arctan2",
    "hypot",
    "logaddexp",
    "logaddexp2",
    "xlogy",
    "fmax",
    "fmin",
    "lerp",
    "addcmul",
    "addcdiv",
    "floor_divide",
    "remainder",
    "fmod",
]
