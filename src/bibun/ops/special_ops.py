"""The functions of ``torch.special`` that are not aliases of ops declared elsewhere: sinc,
entr, xlog1py, the normal distribution's ndtr, log_ndtr and ndtri, and the scaled
complementary error function erfcx. ``bibun.special`` (special.py) gathers them with the
aliases (expit, gammaln, psi, ...).

All are computed in float64 and rounded back to the input's dtype; derivatives follow
PyTorch's formulas. The normal-distribution functions stay accurate in the far tails:
log_ndtr goes through erfcx below -1 (no underflow of ndtr), and ndtri refines its
erfinv-based start with Newton steps on ndtr computed from erfc, on the smaller of p and
1 - p (so p = 1e-300 works).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from bibun._tensor import Tensor
from bibun.ops import _special
from bibun.ops._registry import INPUTS, INPUTS_AND_OUTPUT, OUTPUT, apply, defop
from bibun.ops._xp import NUMPY
from bibun.ops.elementwise import _binary
from bibun.ops.unary import _float_input

ndarray = np.ndarray
_SQRT2 = math.sqrt(2.0)
_SQRT_2PI = math.sqrt(2.0 * math.pi)
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


def _in_float64(fn: Any) -> Any:
    """Evaluate ``fn`` on float64 values and round back to the input's dtype, quietly (NaN
    and infinities are values here, as in PyTorch, not NumPy warnings)."""

    def run(x: ndarray) -> ndarray:
        with np.errstate(all="ignore"):
            result = fn(np.asarray(x, dtype=np.float64))
        return np.asarray(result).astype(x.dtype, copy=False)

    return run


# --- kernels on float64 arrays --------------------------------------------------------------
def _sinc(x: ndarray) -> ndarray:
    px = np.pi * x
    return np.where(x == 0, 1.0, np.sin(px) / np.where(x == 0, 1.0, px))


def _entr(x: ndarray) -> ndarray:
    # -x log x; 0 at 0 (the limit), -inf below 0 (PyTorch's convention), NaN stays NaN.
    return np.where(x > 0, -x * np.log(np.where(x > 0, x, 1.0)), np.where(x == 0, 0.0, np.where(x < 0, -np.inf, x)))


def _ndtr(x: ndarray) -> ndarray:
    return 0.5 * _special.erfc(-x / _SQRT2)


def _log_ndtr(x: ndarray) -> ndarray:
    # Below -1, ndtr underflows long before its log does: log(erfcx(t) / 2) - t^2 with
    # t = -x / sqrt(2). Above, log1p of the small complement keeps the digits near 0.
    t = -x / _SQRT2
    left = np.log(_special.erfcx(t) / 2.0) - t * t
    right = np.log1p(-0.5 * _special.erfc(-t))
    return np.where(x < -1.0, left, right)


def _ndtri(p: ndarray) -> ndarray:
    q = np.minimum(p, 1.0 - p)  # 1 - p is exact for p in [0.5, 1]
    # A start within 5e-4: erfinv for the body; for the tail, where 1 - 2q keeps none of q's
    # digits, the rational approximation of Abramowitz and Stegun 26.2.23.
    t = np.sqrt(-2.0 * np.log(np.where((q > 0) & (q < 1e-3), q, 1e-3)))
    tail = -(t - (2.515517 + t * (0.802853 + t * 0.010328)) / (1.0 + t * (1.432788 + t * (0.189269 + t * 0.001308))))
    x = np.where(q < 1e-3, tail, -_SQRT2 * _special.erfinv(1.0 - 2.0 * q))
    inside = (q > 0) & np.isfinite(x)
    for _ in range(3):  # Newton on ndtr(x) = q, with ndtr from erfc: accurate in the tail
        xi = x[inside]
        density = np.exp(-0.5 * xi * xi) / _SQRT_2PI
        x[inside] = xi - (_ndtr(xi) - q[inside]) / density
    x = np.where(q == 0, -np.inf, x)
    x = np.where(p > 0.5, -x, x)
    return np.where((p < 0) | (p > 1) | np.isnan(p), np.nan, x)


# --- the ops ---------------------------------------------------------------------------------
_SINC = defop(
    "sinc",
    "SincBackward0",
    _in_float64(_sinc),
    (
        lambda xp, g, x: (
            g * xp.where(x == 0, 0.0, (xp.cos(x * math.pi) * (x * math.pi) - xp.sin(x * math.pi)) / (x * x * math.pi))
        ),
    ),
    save=INPUTS,
    jvp="elementwise",
)
_ENTR = defop(
    "entr",
    "SpecialEntrBackward0",
    _special.real_only("entr_cpu", _in_float64(_entr)),
    (lambda xp, g, x: g * -(xp.log(x) + 1),),
    save=INPUTS,
    jvp="elementwise",
)
# PyTorch composes ndtr (its last node is a product with 0.5): the name is that node's.
_NDTR = defop(
    "ndtr",
    "MulBackward1",
    _special.real_only("erf_vml_cpu", _in_float64(_ndtr)),
    (lambda xp, g, x: g * (xp.exp(x * x * -0.5) / _SQRT_2PI),),
    save=INPUTS,
    jvp="elementwise",
)
_LOG_NDTR = defop(
    "log_ndtr",
    "SpecialLogNdtrBackward0",
    _special.real_only("log_ndtr_cpu", _in_float64(_log_ndtr)),
    (lambda xp, g, x, out: g * (xp.exp(-(out + x * x * 0.5)) / _SQRT_2PI),),
    save=INPUTS_AND_OUTPUT,
    jvp="elementwise",
)
_NDTRI = defop(
    "ndtri",
    "SpecialNdtriBackward0",
    _special.real_only("ndtri_cpu", _in_float64(_ndtri)),
    (lambda xp, g, out: g * (xp.exp(out * out * 0.5) * _SQRT_2PI),),
    save=OUTPUT,
    jvp="elementwise",
)
_ERFCX = defop(
    "erfcx",
    "SpecialErfcxBackward0",
    _special.real_only("erfcx_cpu", _in_float64(_special.erfcx)),
    (lambda xp, g, x, out: g * (x * out * 2.0 - _TWO_OVER_SQRT_PI),),
    save=INPUTS_AND_OUTPUT,
    jvp="elementwise",
)


def _log1p(xp: Any, y: Any) -> Any:
    if xp is NUMPY:
        return np.log1p(y)
    from bibun.ops.unary import log1p

    return log1p(y)


def _xlog1py_primal(x: ndarray, y: ndarray) -> ndarray:
    with np.errstate(all="ignore"):
        out = np.where((x == 0) & ~np.isnan(y), 0.0, x * np.log1p(y))
    return out.astype(np.result_type(x, y), copy=False)


_XLOG1PY = defop(
    "xlog1py",
    "SpecialXlog1PyBackward0",
    _special.real_only("xlog1py_cpu", _xlog1py_primal),
    (
        lambda xp, g, x, y: g * xp.where(x == 0, 0.0, _log1p(xp, y)),
        lambda xp, g, x, y: g * x / (y + 1),
    ),
    save=INPUTS,
    jvp="elementwise",
)


def sinc(input: Tensor) -> Tensor:
    """sin(pi x) / (pi x), and 1 at 0."""
    return apply(_SINC, (_float_input(input),))


def entr(input: Tensor) -> Tensor:
    """-x log x elementwise (0 at 0, -inf for negative x)."""
    return apply(_ENTR, (_float_input(input),))


def ndtr(input: Tensor) -> Tensor:
    """The standard normal distribution function."""
    return apply(_NDTR, (_float_input(input),))


def log_ndtr(input: Tensor) -> Tensor:
    """log of the standard normal distribution function, accurate far into the left tail."""
    return apply(_LOG_NDTR, (_float_input(input),))


def ndtri(input: Tensor) -> Tensor:
    """The inverse of ndtr: the standard normal quantile of p in [0, 1]."""
    return apply(_NDTRI, (_float_input(input),))


def erfcx(input: Tensor) -> Tensor:
    """exp(x^2) erfc(x), without the overflow and underflow of computing it that way."""
    return apply(_ERFCX, (_float_input(input),))


def xlog1py(input: Any, other: Any) -> Tensor:
    """x log(1 + y), and 0 where x is 0 (unless y is NaN)."""
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        raise TypeError("xlog1py(): expected at least one Tensor argument")
    if isinstance(input, Tensor) and input._data.dtype.kind not in "fc":
        input = _float_input(input)
    if isinstance(other, Tensor) and other._data.dtype.kind not in "fc":
        other = _float_input(other)
    return _binary(_XLOG1PY, input, other)


# Only sinc is a top-level torch function (and a Tensor method); the others are reached
# through bibun.special.
__all__ = ["sinc"]
Tensor.sinc = sinc
