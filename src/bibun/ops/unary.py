"""Unary math functions beyond the core set in elementwise.py: exponentials and logarithms,
inverse and hyperbolic trigonometry, the error-function family, logit, rounding, nan_to_num
and the non-differentiable tests isnan/isinf/isfinite.

Each op is one ``defop`` entry (grad_fn name as PyTorch's, primal, VJP rule); every VJP here
is elementwise and linear in ``g``, so the JVP is the same rule applied to the tangent
(``jvp="elementwise"``). Small float32 inputs are evaluated in float64 and rounded
(``_xp.precise``), which reproduces PyTorch's float32 digits."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from bibun import _dtype
from bibun._tensor import Tensor, new_tensor
from bibun.ops import _special
from bibun.ops._registry import INPUTS, OUTPUT, apply, defop
from bibun.ops._xp import precise

ndarray = np.ndarray
ELEMENTWISE = "elementwise"
_LN2 = math.log(2.0)
_LN10 = math.log(10.0)
_SQRT_PI_OVER_2 = math.sqrt(math.pi) / 2.0
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


def _quiet(primal: Any) -> Any:
    """Run a primal without NumPy's floating-point warnings: PyTorch returns NaN and inf
    outside a function's domain silently (log2(-1), atanh(1), ...)."""

    def run(*args: Any, **kwargs: Any) -> Any:
        with np.errstate(all="ignore"):
            return primal(*args, **kwargs)

    run.__name__ = getattr(primal, "__name__", "primal")
    return run


def _float_input(input: Tensor) -> Tensor:
    """Integer and bool inputs compute in the default float dtype, as in PyTorch."""
    if not isinstance(input, Tensor):
        raise TypeError(f"expected a Tensor as input, got {type(input).__name__}")
    if input._data.dtype.kind not in "fc":
        return input.to(_dtype.get_default_dtype())
    return input


def _unary(name: str, grad_fn: str, primal: Any, vjp: Any, save: Any) -> Any:
    op = defop(name, grad_fn, _quiet(primal), (vjp,), save=save, jvp=ELEMENTWISE)

    def function(input: Tensor) -> Tensor:
        return apply(op, (_float_input(input),))

    function.__name__ = function.__qualname__ = name
    function.__doc__ = f"Elementwise {name}; recorded as {grad_fn}."
    return function


def _precise_custom(fn: Any) -> Any:
    """``precise`` for a primal that is not a ufunc: float64 evaluation for small float32."""

    def run(x: ndarray) -> ndarray:
        if x.dtype.kind == "f" and x.dtype.itemsize < 8 and x.size <= 1024:
            return fn(x.astype(np.float64)).astype(x.dtype)
        return fn(x)

    return run


# --- exponentials and logarithms ---------------------------------------------------------
exp2 = _unary("exp2", "Exp2Backward0", precise(np.exp2), lambda xp, g, out: g * out * _LN2, OUTPUT)
expm1 = _unary("expm1", "Expm1Backward0", precise(np.expm1), lambda xp, g, out: g * (out + 1), OUTPUT)
log2 = _unary("log2", "Log2Backward0", precise(np.log2), lambda xp, g, x: g / (x * _LN2), INPUTS)
log10 = _unary("log10", "Log10Backward0", precise(np.log10), lambda xp, g, x: g / (x * _LN10), INPUTS)
log1p = _unary("log1p", "Log1PBackward0", precise(np.log1p), lambda xp, g, x: g / (x + 1), INPUTS)
rsqrt = _unary(
    "rsqrt",
    "RsqrtBackward0",
    _precise_custom(lambda x: 1 / np.sqrt(x)),
    lambda xp, g, out: g * (out * out * out) * -0.5,
    OUTPUT,
)

# --- trigonometry and hyperbolic functions -----------------------------------------------
asin = _unary("asin", "AsinBackward0", precise(np.arcsin), lambda xp, g, x: g / xp.sqrt(1 - x * x), INPUTS)
acos = _unary("acos", "AcosBackward0", precise(np.arccos), lambda xp, g, x: -g / xp.sqrt(1 - x * x), INPUTS)
atan = _unary("atan", "AtanBackward0", precise(np.arctan), lambda xp, g, x: g / (x * x + 1), INPUTS)
sinh = _unary("sinh", "SinhBackward0", precise(np.sinh), lambda xp, g, x: g * xp.cosh(x), INPUTS)
cosh = _unary("cosh", "CoshBackward0", precise(np.cosh), lambda xp, g, x: g * xp.sinh(x), INPUTS)
asinh = _unary("asinh", "AsinhBackward0", precise(np.arcsinh), lambda xp, g, x: g / xp.sqrt(x * x + 1), INPUTS)
acosh = _unary("acosh", "AcoshBackward0", precise(np.arccosh), lambda xp, g, x: g / xp.sqrt(x * x - 1), INPUTS)
atanh = _unary("atanh", "AtanhBackward0", precise(np.arctanh), lambda xp, g, x: g / (1 - x * x), INPUTS)
arcsin, arccos, arctan = asin, acos, atan
arcsinh, arccosh, arctanh = asinh, acosh, atanh

# --- the error function family -----------------------------------------------------------
erf = _unary(
    "erf",
    "ErfBackward0",
    _special.real_only("erf_vml_cpu", _special.erf),
    lambda xp, g, x: g * (xp.exp(-(x * x)) * _TWO_OVER_SQRT_PI),
    INPUTS,
)
erfc = _unary(
    "erfc",
    "ErfcBackward0",
    _special.real_only("erfc_vml_cpu", _special.erfc),
    lambda xp, g, x: g * (xp.exp(-(x * x)) * -_TWO_OVER_SQRT_PI),
    INPUTS,
)
erfinv = _unary(
    "erfinv",
    "ErfinvBackward0",
    _special.real_only("erfinv_vml_cpu", _special.erfinv),
    lambda xp, g, out: g * (xp.exp(out * out) * _SQRT_PI_OVER_2),
    OUTPUT,
)


# --- logit: log(p / (1 - p)), optionally with p clamped to [eps, 1 - eps] -------------------
def _logit_primal(x: ndarray, eps: float | None) -> ndarray:
    if eps is not None:
        x = np.clip(x, eps, 1 - eps)
    return np.log(x / (1 - x))


def _logit_vjp(xp: Any, g: Any, x: Any, eps: float | None) -> Any:
    if eps is None:
        # PyTorch: NaN outside [0, 1], where logit itself is NaN (the formula alone would give
        # a finite, meaningless slope there).
        return xp.where((x < 0) | (x > 1), float("nan"), g / (x * (1 - x)))
    # PyTorch: zero gradient where the input was clamped (outside [eps, 1 - eps]).
    return xp.where((x < eps) | (x > 1 - eps), 0.0, g / (x * (1 - x)))


_LOGIT = defop("logit", "LogitBackward0", _quiet(_logit_primal), (_logit_vjp,), save=INPUTS, jvp=ELEMENTWISE)


def logit(input: Tensor, eps: float | None = None) -> Tensor:
    """log(p / (1 - p)); with ``eps``, p is first clamped to [eps, 1 - eps]."""
    return apply(_LOGIT, (_float_input(input),), {"eps": None if eps is None else float(eps)})


# --- rounding: piecewise constant, so the gradient is zero (frac passes it through) ---------
def _zero(xp: Any, g: Any, **params: Any) -> Any:
    return g * 0


_FLOOR = defop("floor", "FloorBackward0", np.floor, (_zero,), jvp=ELEMENTWISE)
_CEIL = defop("ceil", "CeilBackward0", np.ceil, (_zero,), jvp=ELEMENTWISE)
_TRUNC = defop("trunc", "TruncBackward0", np.trunc, (_zero,), jvp=ELEMENTWISE)
_ROUND = defop("round", "RoundBackward0", np.round, (_zero,), jvp=ELEMENTWISE)  # half to even, as PyTorch
_ROUND_DECIMALS = defop(
    "round_decimals", "RoundBackward1", lambda x, decimals: np.round(x, decimals), (_zero,), jvp=ELEMENTWISE
)
_FRAC = defop("frac", "FracBackward0", lambda x: x - np.trunc(x), (lambda xp, g: g,), jvp=ELEMENTWISE)


def _rounding(op: Any, input: Tensor, params: dict | None = None) -> Tensor:
    if input._data.dtype.kind in "biu":
        return new_tensor(input._data.copy())  # integers are already whole: a copy, no graph
    return apply(op, (input,), params)


def floor(input: Tensor) -> Tensor:
    return _rounding(_FLOOR, input)


def ceil(input: Tensor) -> Tensor:
    return _rounding(_CEIL, input)


def trunc(input: Tensor) -> Tensor:
    return _rounding(_TRUNC, input)


fix = trunc


def round(input: Tensor, *, decimals: int | None = None) -> Tensor:  # noqa: A001 - PyTorch's name
    """Round half to even; ``decimals`` rounds to that many decimal places. As in PyTorch,
    passing ``decimals`` at all (even 0) selects the other overload (RoundBackward1)."""
    if decimals is not None:
        if input._data.dtype.kind in "biu":
            if decimals:
                raise RuntimeError("round_cpu not implemented for 'Long' with decimals != 0")
            raise NotImplementedError(
                f"\"round_vml_cpu\" not implemented for '{_dtype.scalar_type_name(input._data.dtype)}'"
            )
        return apply(_ROUND_DECIMALS, (input,), {"decimals": int(decimals)})
    return _rounding(_ROUND, input)


def frac(input: Tensor) -> Tensor:
    if input._data.dtype.kind in "biu":
        raise RuntimeError(f"\"frac_cpu\" not implemented for '{_dtype.scalar_type_name(input._data.dtype)}'")
    return apply(_FRAC, (input,))


# --- nan_to_num: the gradient flows through the finite entries only -----------------------
def _nan_to_num_primal(x: ndarray, nan: float, posinf: float | None, neginf: float | None) -> ndarray:
    return np.nan_to_num(x, nan=nan, posinf=posinf, neginf=neginf)


_NAN_TO_NUM = defop(
    "nan_to_num",
    "NanToNumBackward0",
    _nan_to_num_primal,
    (lambda xp, g, finite, **params: xp.where(finite, g, 0.0),),
    save=lambda arrays, out, params: (np.isfinite(arrays[0]),),
    jvp=ELEMENTWISE,
)


def nan_to_num(input: Tensor, nan: float = 0.0, posinf: float | None = None, neginf: float | None = None) -> Tensor:
    """NaN becomes ``nan``; +-inf become ``posinf``/``neginf`` (default: the dtype's extremes)."""
    if input._data.dtype.kind in "biu":
        return new_tensor(input._data.copy())
    return apply(_NAN_TO_NUM, (input,), {"nan": nan, "posinf": posinf, "neginf": neginf})


# --- tests: boolean results, never recorded ----------------------------------------------
def isnan(input: Tensor) -> Tensor:
    return new_tensor(np.isnan(input._data))


def isinf(input: Tensor) -> Tensor:
    return new_tensor(np.isinf(input._data))


def isfinite(input: Tensor) -> Tensor:
    return new_tensor(np.isfinite(input._data))


def isposinf(input: Tensor) -> Tensor:
    return new_tensor(np.isposinf(input._data))


def isneginf(input: Tensor) -> Tensor:
    return new_tensor(np.isneginf(input._data))


__all__ = [
    "exp2",
    "expm1",
    "log2",
    "log10",
    "log1p",
    "rsqrt",
    "asin",
    "acos",
    "atan",
    "sinh",
    "cosh",
    "asinh",
    "acosh",
    "atanh",
    "arcsin",
    "arccos",
    "arctan",
    "arcsinh",
    "arccosh",
    "arctanh",
    "erf",
    "erfc",
    "erfinv",
    "logit",
    "floor",
    "ceil",
    "trunc",
    "fix",
    "round",
    "frac",
    "nan_to_num",
    "isnan",
    "isinf",
    "isfinite",
    "isposinf",
    "isneginf",
]
