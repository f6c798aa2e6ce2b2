"""The gamma-function family (lgamma, digamma, trigamma, polygamma) on NumPy arrays, in float64.

NumPy has no gamma functions and bibun depends on NumPy alone at run time, so they are
computed here, vectorised, always in float64 (float32 and float16 inputs are rounded back at
the end). docs/gamma.md lists the ops built on these kernels.

lgamma, log|Gamma(x)|, is computed for accuracy (PyTorch calls the C library's lgamma, which
is correctly rounded or nearly so):

- around 2, the Taylor series lgamma(2 + z) = (1 - gamma) z + sum_k (-1)^k (zeta(k) - 1)/k z^k
  for |z| <= 1/2 (30 terms; the coefficients, Euler-Maclaurin sums computed once at import,
  fall like 2^-k); it vanishes at z = 0 with the series, so values near 1 and 2, where lgamma
  crosses zero, keep full relative accuracy;
- below 1.5, lgamma(x) = lgamma(x + 1) - log(x) (twice below 1/2), which brings x into that
  range; between 2.5 and 10, lgamma(x) = lgamma(x - k) + log((x - 1)...(x - k)), with every
  x - j exact;
- from 10, Stirling's series (x - 1/2)(log x - 1) + log(2 pi)/2 - 1/2 + sum B_2k / (2k(2k-1)
  x^(2k-1)) with 9 terms (the first neglected term is below 2e-19), written so that nothing
  overflows before lgamma itself does (past 2.5e305);
- below 0, reflection: lgamma(x) = log(pi) - log|sin(pi r)| - lgamma(1 - x), with r = x -
  round(x) exact, so large |x| loses nothing to the reduction of pi x.

Measured against mpmath at 40 digits over 11,000 points from 1e-3 to 1e300 and 12,000
negative non-integers down to -1000 (tests/test_gamma.py keeps bounds slightly above these):
relative error under 7e-16 for x > 0 (under 5e-16 for 99.9% of points); for x < 0 an
absolute error under 1.4e-15 * max(1, |lgamma(x)|) (near the zeros of lgamma at -2.457...,
-2.747..., ... the subtraction of two nearly equal logs leaves that absolute error, so the
relative one grows as the value shrinks, as with any reflection formula). Against PyTorch
float64: relative error under 1e-15 for x > 0, the same absolute bound below 0.

digamma, trigamma and polygamma(n >= 2) follow PyTorch's own kernels step by step (ATen's
Math.h, after Cephes), so they agree with PyTorch's to 1e-13 relative or better (mostly to
the last digit or two; NumPy's pow and log are not always the C library's to the last bit),
including its choices at poles and its approximations:

- digamma: reflection psi(x) = psi(1 - x) - pi / tan(pi r) for x < 0 (r the fractional part);
  the recurrence psi(x) = psi(x + 1) - 1/x up to x >= 10 (psi(10) as a constant when it
  lands on 10), then the asymptotic series log x - 1/(2x) - sum B_2k / (2k x^2k) to x^-14.
  Against mpmath: relative error under 3e-15 where |psi| >= 0.5, absolute under 2e-15 near the
  positive root 1.4616... (the recurrence's cancellation, as in PyTorch); for x < 0, pi / tan
  loses digits next to a pole (4e-13 relative at 5e-5 from -529), as in PyTorch.
- trigamma (polygamma(1, .)): for x < 1/2 the reflection pi^2 / sin^2(pi x); six steps of
  the recurrence, then an asymptotic series that PyTorch stops at the x^-7 term. Its
  relative error against the true trigamma is up to 5e-10 (at x = 1: 1.6449340676383375 for
  pi^2/6 = 1.6449340668482264), and at a negative integer sin(pi x) is not exactly 0, so
  polygamma(1, -1.0) is 6.6e32, not inf. bibun keeps PyTorch's formula so that values and
  digamma's gradients are PyTorch's.
- polygamma(n, x), n >= 2: (-1)^(n+1) exp(lgamma(n + 1)) zeta(n + 1, x), with Cephes' Hurwitz
  zeta: terms (x + j)^-(n+1) summed directly (in PyTorch's order, with its early stop) until
  x + j > 9 and j >= 9, then the Euler-Maclaurin tail with up to 12 Bernoulli terms. A pole
  (x = 0, -1, ..., -inf) gives +-inf; x = +inf gives NaN, as in PyTorch. Against mpmath:
  relative error under 7e-15 for x > 0 and n up to 40. For x < 0 the direct sum runs |x| + 9
  terms, as in PyTorch (vectorised in blocks: 0.1 s at x = -1e6), and for even n its terms
  change sign, so digits cancel as in PyTorch (3e-14 relative at n = 2).
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Callable

import numpy as np

ndarray = np.ndarray

# --- lgamma -------------------------------------------------------------------------------
_EULER_GAMMA = 0.57721566490153286061
_ONE_MINUS_EULER_GAMMA = 0.42278433509846713939  # lgamma(2 + z) ~ (1 - gamma) z near z = 0
_LOG_PI = math.log(math.pi)
_HALF_LOG_TWO_PI_MINUS_HALF = 0.5 * math.log(2.0 * math.pi) - 0.5
_SERIES_TERMS = 30  # for |z| <= 1/2 the k-th term is below 4^-k / k: 1e-19 at k = 30
_STIRLING_FROM = 10.0
_SHIFT_FROM = 2.5  # [1.5, 2.5): the series directly; above, shift down into it
_BERNOULLI = (
    Fraction(1, 6),
    Fraction(-1, 30),
    Fraction(1, 42),
    Fraction(-1, 30),
    Fraction(5, 66),
    Fraction(-691, 2730),
    Fraction(7, 6),
    Fraction(-3617, 510),
    Fraction(43867, 798),
)  # B_2, B_4, ..., B_18


def _zeta_minus_one(s: int) -> float:
    """zeta(s) - 1 for an integer s >= 2, by Euler-Maclaurin summation from n = 16 (the first
    neglected correction is below 1e-30 of the value for every s used here)."""
    n = 16
    terms = [float(Fraction(1, m**s)) for m in range(2, n)]
    terms += [float(Fraction(1, (s - 1) * n ** (s - 1))), float(Fraction(1, 2 * n**s))]
    rising = Fraction(s)  # s (s+1) ... (s + 2j - 2)
    for j, bernoulli in enumerate(_BERNOULLI, start=1):
        terms.append(float(bernoulli / math.factorial(2 * j) * rising / Fraction(n) ** (s + 2 * j - 1)))
        rising *= (s + 2 * j - 1) * (s + 2 * j)
    return math.fsum(terms)


# lgamma(2 + z) = sum_k C[k] z^(k+1): C[0] = 1 - gamma, C[k-1] = (-1)^k (zeta(k) - 1) / k.
_SERIES = (_ONE_MINUS_EULER_GAMMA,) + tuple((-1) ** k * _zeta_minus_one(k) / k for k in range(2, _SERIES_TERMS + 1))
# Stirling's corrections B_2k / (2k (2k - 1)), k = 1..9: the series in 1/x^2 times 1/x.
_STIRLING = tuple(float(b / (2 * k * (2 * k - 1))) for k, b in enumerate(_BERNOULLI, start=1))


def _lgamma_around_two(z: ndarray) -> ndarray:
    """lgamma(2 + z) for |z| <= 1/2."""
    total = np.full_like(z, _SERIES[-1])
    for c in _SERIES[-2::-1]:
        total = total * z + c
    return total * z


def _lgamma_stirling(x: ndarray) -> ndarray:
    w = 1.0 / (x * x)
    series = np.full_like(x, _STIRLING[-1])
    for c in _STIRLING[-2::-1]:
        series = series * w + c
    return (x - 0.5) * (np.log(x) - 1.0) + _HALF_LOG_TWO_PI_MINUS_HALF + series / x


def _lgamma_positive(x: ndarray) -> ndarray:
    """lgamma on finite x > 0 (a 1-d float64 array)."""
    out = np.empty_like(x)
    tiny = x < 0.5
    out[tiny] = _lgamma_around_two(x[tiny]) - np.log(x[tiny]) - np.log1p(x[tiny])
    low = (x >= 0.5) & (x < 1.5)
    out[low] = _lgamma_around_two(x[low] - 1.0) - np.log(x[low])
    mid = (x >= 1.5) & (x < _SHIFT_FROM)
    out[mid] = _lgamma_around_two(x[mid] - 2.0)
    shifted = (x >= _SHIFT_FROM) & (x < _STIRLING_FROM)
    v = x[shifted]
    k = np.floor(v - 1.5)  # v - k in [1.5, 2.5); every v - j below is exact
    product = np.ones_like(v)
    for j in range(1, int(_STIRLING_FROM)):
        product = np.where(k >= j, product * (v - j), product)
    out[shifted] = _lgamma_around_two(v - k - 2.0) + np.log(product)
    large = x >= _STIRLING_FROM
    out[large] = _lgamma_stirling(x[large])
    return out


def _lgamma64(x: ndarray) -> ndarray:
    out = np.full_like(x, np.inf)  # 0, negative integers, +-inf: a pole of Gamma (or inf itself)
    out[np.isnan(x)] = np.nan
    positive = (x > 0) & (x < np.inf)
    out[positive] = _lgamma_positive(x[positive])
    negative = (x < 0) & (x > -np.inf) & (x != np.floor(x))
    v = x[negative]
    r = v - np.round(v)
    out[negative] = _LOG_PI - np.log(np.abs(np.sin(np.pi * r))) - _lgamma_positive(1.0 - v)
    return out


# --- digamma (PyTorch's calc_digamma) -------------------------------------------------------
_PSI_10 = 2.25175258906672110764
_PSI_ASYMPTOTIC = (
    8.33333333333333333333e-2,
    -2.10927960927960927961e-2,
    7.57575757575757575758e-3,
    -4.16666666666666666667e-3,
    3.96825396825396825397e-3,
    -8.33333333333333333333e-3,
    8.33333333333333333333e-2,
)  # Cephes' order: highest power of 1/x^2 first


def _digamma_from_recurrence(x: ndarray) -> ndarray:
    """PyTorch's digamma for x > 0 (NaN passes through)."""
    x = x.copy()
    result = np.zeros_like(x)
    for _ in range(10):  # x > 0 reaches 10 in at most 10 steps
        below = x < 10
        result[below] -= 1.0 / x[below]
        x[below] += 1.0
    z = 1.0 / (x * x)
    poly = np.zeros_like(x)
    for c in _PSI_ASYMPTOTIC:
        poly = poly * z + c
    y = np.where(x < 1.0e17, z * poly, 0.0)
    out = result + np.log(x) - (0.5 / x) - y
    return np.where(x == 10, result + _PSI_10, out)


def _digamma64(x: ndarray) -> ndarray:
    out = np.empty_like(x)
    zero = x == 0
    out[zero] = np.copysign(np.inf, -x[zero])
    integer = x == np.trunc(x)
    pole = (x < 0) & integer  # the negative integers and -inf
    out[pole] = np.nan
    negative = (x < 0) & ~integer
    v = x[negative]
    r = np.modf(v)[0]
    out[negative] = _digamma_from_recurrence(1.0 - v) - np.pi / np.tan(np.pi * r)
    rest = ~(zero | pole | negative)
    out[rest] = _digamma_from_recurrence(x[rest])
    return out


# --- trigamma (PyTorch's trigamma) ----------------------------------------------------------
def _trigamma64(x: ndarray) -> ndarray:
    reflect = x < 0.5
    sin_pi_x = np.sin(np.pi * x[reflect])
    result = np.zeros_like(x)
    result[reflect] -= (np.pi * np.pi) / (sin_pi_x * sin_pi_x)
    x = np.where(reflect, 1.0 - x, x)
    for _ in range(6):
        result += 1.0 / (x * x)
        x = x + 1.0
    ixx = 1.0 / (x * x)
    result += (1.0 + 1.0 / (2.0 * x) + ixx * (1.0 / 6 - ixx * (1.0 / 30 - ixx * (1.0 / 42)))) / x
    return np.where(reflect, -result, result)


# --- polygamma, n >= 2 (PyTorch's calc_polygamma and Cephes' zeta) --------------------------
_MACHEP = 1.11022302462515654042e-16
_ZETA_A = (
    12.0,
    -720.0,
    30240.0,
    -1209600.0,
    47900160.0,
    -1.8924375803183791606e9,
    7.47242496e10,
    -2.950130727918164224e12,
    1.1646782814350067249e14,
    -4.5979787224074726105e15,
    1.8152105401943546773e17,
    -7.1661652561756670113e18,
)
_BLOCK_ELEMENTS = 1 << 20  # the direct sum takes this many terms at a time, across elements
_CHUNK = 1 << 16


def _zeta64(s: float, q: ndarray) -> ndarray:
    """Hurwitz zeta(s, q) for an integer s >= 2, as Cephes (and PyTorch) compute it; a chunk
    of elements at a time, so the blocks of terms below stay a few megabytes."""
    if q.size <= _CHUNK:
        return _zeta_chunk(s, q)
    return np.concatenate([_zeta_chunk(s, q[i : i + _CHUNK]) for i in range(0, q.size, _CHUNK)])


def _zeta_chunk(s: float, q: ndarray) -> ndarray:
    out = np.empty_like(q)
    pole = (q <= 0) & (q == np.floor(q))
    out[pole] = np.inf
    live = np.flatnonzero(~pole)
    a = q[live]
    total = np.power(a, -s)
    count = np.zeros(live.shape, dtype=np.int64)
    last = np.zeros_like(a)
    tail_rows = []
    # The direct sum, a block of terms at a time: within a block the running sums and the
    # arguments are cumulative sums, so each is rounded exactly as PyTorch's loop rounds it.
    while live.size:
        steps = np.maximum(9 - count, np.where(a <= 9, np.floor(9 - a) + 1, 0))
        width = int(min(max(steps.max(), 1), max(16, _BLOCK_ELEMENTS // live.size)))
        ones = np.ones((live.size, width))
        args = np.cumsum(np.concatenate([a[:, None], ones], axis=1), axis=1)
        terms = np.power(args[:, 1:], -s)
        sums = np.cumsum(np.concatenate([total[:, None], terms], axis=1), axis=1)[:, 1:]
        # A term is taken while j < 9 or the argument before it is <= 9: a prefix of the block.
        taken = ((count[:, None] + np.arange(width)) < 9) | (args[:, :-1] <= 9)
        stop = taken & (-_MACHEP * sums < terms) & (terms < _MACHEP * sums)
        stopped = stop.any(axis=1)
        first = np.argmax(stop, axis=1)
        out[live[stopped]] = sums[stopped, first[stopped]]
        rows = np.flatnonzero(~stopped)
        n_taken = taken[rows].sum(axis=1)  # 0 when the previous block ended the sum exactly
        at = np.maximum(n_taken - 1, 0)
        moved = n_taken > 0
        total = np.where(moved, sums[rows, at], total[rows])
        last = np.where(moved, terms[rows, at], last[rows])
        a = args[rows, n_taken]
        count = count[rows] + n_taken
        finished = n_taken < width
        tail_rows.append((live[rows[finished]], total[finished], last[finished], a[finished]))
        keep = ~finished
        live, total, last, a, count = live[rows[keep]], total[keep], last[keep], a[keep], count[keep]
    for index, total, last, a in tail_rows:
        out[index] = _zeta_tail(s, total, last, a)
    return out


def _zeta_tail(s: float, total: ndarray, b: ndarray, w: ndarray) -> ndarray:
    """Cephes' Euler-Maclaurin tail after the direct sum stopped at argument ``w``."""
    total = total + b * w / (s - 1.0)
    total = total - 0.5 * b
    a = np.ones_like(w)
    k = 0.0
    active = np.ones(w.shape, dtype=bool)
    for coefficient in _ZETA_A:
        a = a * (s + k)
        b = b / w
        t = a * b / coefficient
        total = np.where(active, total + t, total)
        active &= ~(np.abs(t / total) < _MACHEP)
        k += 1.0
        a = a * (s + k)
        b = b / w
        k += 1.0
    return total


def _polygamma64(n: int, x: ndarray) -> ndarray:
    if n == 0:
        return _digamma64(x)
    if n == 1:
        return _trigamma64(x)
    # PyTorch's n! is exp(lgamma(n + 1)), which is not n! exactly: the exp of the correctly
    # rounded log reproduces its digits. Past n = 170 it is inf, as in PyTorch.
    factorial = math.exp(math.log(math.factorial(n))) if n <= 170 else math.inf
    sign = 1.0 if n % 2 else -1.0
    return sign * factorial * _zeta64(float(n + 1), x)


# --- the array functions ------------------------------------------------------------------
def _run(kernel: Callable[[ndarray], ndarray], x: ndarray) -> ndarray:
    x = np.asarray(x)
    dtype = x.dtype if x.dtype.kind == "f" else np.dtype(np.float64)
    with np.errstate(all="ignore"):  # PyTorch returns inf and NaN silently (also float16 overflow)
        result = kernel(x.astype(np.float64).ravel())
        return result.astype(dtype, copy=False).reshape(x.shape)


def lgamma(x: ndarray) -> ndarray:
    """log|Gamma(x)|, elementwise: inf at 0, the negative integers and +-inf."""
    return _run(_lgamma64, x)


def digamma(x: ndarray) -> ndarray:
    """The digamma function psi = Gamma'/Gamma, as PyTorch computes it."""
    return _run(_digamma64, x)


def polygamma(n: int, x: ndarray) -> ndarray:
    """The n-th derivative of digamma (n >= 0), as PyTorch computes it."""
    return _run(lambda v: _polygamma64(n, v), x)


def mvlgamma(x: ndarray, p: int) -> ndarray:
    """The multivariate log-gamma sum_i lgamma(x - i/2) + p(p-1)/4 log(pi), i = 0..p-1, summed
    in PyTorch's order (from x - (p-1)/2 up to x)."""

    def kernel(v: ndarray) -> ndarray:
        total = _lgamma64(v + (-(p - 1) / 2.0))
        for i in range(p - 2, -1, -1):
            total = total + _lgamma64(v + (-i / 2.0))
        return total + float(p * (p - 1)) * _LOG_PI * 0.25

    return _run(kernel, x)
