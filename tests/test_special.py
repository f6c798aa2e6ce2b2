"""The error-function family computed in NumPy (ops/_special.py): float64 accuracy against
Python's math.erf/math.erfc over the real line, the special values, and erfinv as erf's
inverse; float32 results are the float64 ones rounded."""

from __future__ import annotations

import math

import numpy as np

from bibun.ops import _special

GRID = np.concatenate([np.linspace(-9.0, 9.0, 36001), [1e-300, -1e-12, 0.5, 0.999999, 1.0, 2.5, 27.0]])


def _relative_error(ours: np.ndarray, exact: np.ndarray) -> float:
    nonzero = exact != 0
    assert np.all(ours[~nonzero] == 0)
    return float(np.max(np.abs(ours[nonzero] - exact[nonzero]) / np.abs(exact[nonzero])))


def test_erf_to_float64_accuracy() -> None:
    exact = np.array([math.erf(v) for v in GRID])
    assert _relative_error(_special.erf(GRID), exact) < 2e-15


def test_erfc_to_float64_accuracy_in_the_tail() -> None:
    exact = np.array([math.erfc(v) for v in GRID])
    assert _relative_error(_special.erfc(GRID), exact) < 3e-15
    assert _special.erfc(np.array(26.0)) > 0  # 5.7e-296: no underflow before the true one


def test_special_values() -> None:
    values = np.array([0.0, -0.0, np.inf, -np.inf, np.nan])
    np.testing.assert_array_equal(_special.erf(values), [0.0, -0.0, 1.0, -1.0, np.nan])
    np.testing.assert_array_equal(_special.erfc(values), [1.0, 1.0, 0.0, 2.0, np.nan])
    np.testing.assert_array_equal(
        _special.erfinv(np.array([0.0, 1.0, -1.0, 1.5, np.nan])), [0.0, np.inf, -np.inf, np.nan, np.nan]
    )


def test_erfinv_inverts_erf() -> None:
    x = np.linspace(-3.5, 3.5, 7001)
    # The conditioning of erfinv near +-1 is |d erfinv / dy| * eps(y): compare in x with that in mind.
    roundtrip = _special.erfinv(_special.erf(x))
    slope = np.sqrt(np.pi) / 2 * np.exp(x * x)
    assert np.all(np.abs(roundtrip - x) <= 2e-15 * (1 + slope))


def test_float32_is_the_rounded_float64_result() -> None:
    x = np.linspace(-4, 4, 2001)
    for fn in (_special.erf, _special.erfc):
        single = fn(x.astype(np.float32))
        assert single.dtype == np.float32
        np.testing.assert_array_equal(single, fn(x.astype(np.float32).astype(np.float64)).astype(np.float32))
