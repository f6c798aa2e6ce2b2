"""The error function family (erf, erfc, erfinv) on NumPy arrays, to float64 accuracy.

NumPy has no erf and bibun depends on NumPy alone at run time, so these are computed here,
vectorised, always in float64 (float32 inputs are rounded back at the end, which gives
PyTorch's float32 results):

- erf for |x| < 2.5: the everywhere-positive series
  erf(x) = 2/sqrt(pi) * exp(-x^2) * sum_n 2^n x^(2n+1) / (1*3*...*(2n+1)),
  which has no cancellation; beyond, 1 - erfc.
- erfc for x >= 1: Laplace's continued fraction
  erfc(x) = exp(-x^2)/sqrt(pi) / (x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))),
  evaluated bottom-up with a fixed depth; below 1, 1 - erf (erfc > 0.15 there, so the
  subtraction loses under one digit); erfc(-x) = 2 - erfc(x).
- erfinv: PyTorch's own method (Pavlis' rational approximation, then two Newton steps on
  erf), so float64 results agree with PyTorch's to the last digits.

Relative error against Python's ``math.erf``/``math.erfc`` is below 3e-15 over the real line
(tests/test_special.py).
"""

from __future__ import annotations

from typing import Any

import numpy as np

ndarray = np.ndarray
_TWO_OVER_SQRT_PI = 2.0 / np.sqrt(np.pi)
_SERIES_TERMS = 60  # enough for |x| < 2.5: the terms fall below 1e-17 of the sum
_SERIES_LIMIT = 2.5
_FRACTION_DEPTH = 200  # enough for x >= 1 (100 would do from 1.5 on)
_FRACTION_START = 1.0


def real_only(kernel: str, fn: Any) -> Any:
    """``fn`` for real arrays; complex input raises PyTorch's NotImplementedError naming its
    kernel (these functions are real-valued here: converting would drop the imaginary part)."""

    def run(x: Any, *args: Any, **kwargs: Any) -> Any:
        if np.iscomplexobj(x):
            from bibun import _dtype

            raise NotImplementedError(
                f"\"{kernel}\" not implemented for '{_dtype.scalar_type_name(np.asarray(x).dtype)}'"
            )
        return fn(x, *args, **kwargs)

    run.__name__ = getattr(fn, "__name__", kernel)
    return run


def _as_float64(x: ndarray) -> ndarray:
    return np.asarray(x, dtype=np.float64)


def _erf_series(x: ndarray) -> ndarray:
    x2 = x * x
    term = x.copy()
    total = x.copy()
    for n in range(1, _SERIES_TERMS):
        term *= 2.0 * x2 / (2 * n + 1)
        total += term
    return _TWO_OVER_SQRT_PI * np.exp(-x2) * total


def _erfc_fraction(x: ndarray) -> ndarray:
    """erfc for x >= 1 (inf gives 0)."""
    f = x.copy()
    for k in range(_FRACTION_DEPTH, 0, -1):
        f = x + (0.5 * k) / f
    with np.errstate(invalid="ignore"):
        return np.where(np.isinf(x), 0.0, _exp_minus_square(x) / np.sqrt(np.pi) / f)


def _exp_minus_square(x: ndarray) -> ndarray:
    """exp(-x^2) without the rounding error of x*x (which exp magnifies by x^2 in the tail):
    x = hi + lo with hi on a 2^-20 grid, so hi*hi is exact and the small rest is added apart."""
    hi = np.round(x * 1048576.0) / 1048576.0
    lo = x - hi
    return np.exp(-hi * hi) * np.exp(-lo * (x + hi))


def _finish(result: ndarray, like: ndarray) -> ndarray:
    dtype = like.dtype if like.dtype.kind == "f" else np.dtype(np.float64)
    return result.astype(dtype, copy=False).reshape(like.shape)


def erf(x: ndarray) -> ndarray:
    """The error function, elementwise (NaN stays NaN)."""
    x = np.asarray(x)
    v = _as_float64(x).ravel()
    out = np.empty_like(v)
    small = np.abs(v) < _SERIES_LIMIT
    out[small] = _erf_series(v[small])
    large = ~small & ~np.isnan(v)
    a = np.abs(v[large])
    out[large] = np.copysign(1.0 - _erfc_fraction(a), v[large])
    out[np.isnan(v)] = np.nan
    return _finish(out, x)


def erfc(x: ndarray) -> ndarray:
    """The complementary error function 1 - erf(x), accurate where it is tiny."""
    x = np.asarray(x)
    v = _as_float64(x).ravel()
    a = np.abs(v)
    out = np.empty_like(v)
    near = a < _FRACTION_START
    out[near] = 1.0 - _erf_series(v[near])
    far = ~near & ~np.isnan(v)
    tail = _erfc_fraction(a[far])
    out[far] = np.where(v[far] > 0, tail, 2.0 - tail)
    out[np.isnan(v)] = np.nan
    return _finish(out, x)


def erfcx(x: ndarray) -> ndarray:
    """The scaled complementary error function exp(x^2) erfc(x): from 1 on, the continued
    fraction without its exp(-x^2) factor (no underflow, ~1/(x sqrt(pi)) for large x);
    below, erfc times exp(x^2) (inf below about -26.6, where the true value overflows)."""
    x = np.asarray(x)
    v = _as_float64(x).ravel()
    out = np.empty_like(v)
    far = v >= _FRACTION_START
    a = v[far]
    f = a.copy()
    for k in range(_FRACTION_DEPTH, 0, -1):
        f = a + (0.5 * k) / f
    with np.errstate(invalid="ignore", divide="ignore"):
        out[far] = np.where(np.isinf(a), 0.0, 1.0 / np.sqrt(np.pi) / f)
    near = ~far
    with np.errstate(over="ignore", divide="ignore"):
        # 1 / exp(-x^2) keeps exp(x^2) free of the rounding error of x*x (see above).
        out[near] = erfc(v[near]) / _exp_minus_square(v[near])
    out[np.isnan(v)] = np.nan
    return _finish(out, x)


# Pavlis' coefficients, as PyTorch's calc_erfinv uses them.
_A = (0.886226899, -1.645349621, 0.914624893, -0.140543331)
_B = (-2.118377725, 1.442710462, -0.329097515, 0.012229801)
_C = (-1.970840454, -1.624906493, 3.429567803, 1.641345311)
_D = (3.543889200, 1.637067800)
_CENTRAL_RANGE = 0.7


def erfinv(y: ndarray) -> ndarray:
    """The inverse error function on [-1, 1]: +-inf at +-1, NaN outside."""
    y = np.asarray(y)
    v = _as_float64(y).ravel()
    a = np.abs(v)
    x = np.full_like(v, np.nan)
    central = a <= _CENTRAL_RANGE
    z = v[central] ** 2
    num = ((_A[3] * z + _A[2]) * z + _A[1]) * z + _A[0]
    den = (((_B[3] * z + _B[2]) * z + _B[1]) * z + _B[0]) * z + 1.0
    x[central] = v[central] * num / den
    tail = (a > _CENTRAL_RANGE) & (a < 1.0)
    z = np.sqrt(-np.log((1.0 - a[tail]) / 2.0))
    num = ((_C[3] * z + _C[2]) * z + _C[1]) * z + _C[0]
    den = (_D[1] * z + _D[0]) * z + 1.0
    x[tail] = np.copysign(num / den, v[tail])
    inside = central | tail
    for _ in range(2):  # Newton on erf(x) = y: each step doubles the correct digits
        xi = x[inside]
        x[inside] = xi - (erf(xi) - v[inside]) / (_TWO_OVER_SQRT_PI * np.exp(-xi * xi))
    x[a == 1.0] = np.copysign(np.inf, v[a == 1.0])
    return _finish(x, y)
