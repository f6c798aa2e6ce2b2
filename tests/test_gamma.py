"""The gamma family (ops/gamma.py, ops/_gamma_kernels.py): accuracy against PyTorch, Python's
math.lgamma and (where installed) mpmath; the values at poles and infinities; dtypes;
PyTorch's errors; derivatives of several orders against PyTorch's. The op database
(tests/opdb/gamma.py) adds the finite-difference, forward-mode and gradcheck checks."""

from __future__ import annotations

import math

import numpy as np
import pytest

import bibun
from bibun.ops import _gamma_kernels

RNG = np.random.default_rng(0)
POSITIVE = np.concatenate(
    [
        10 ** RNG.uniform(-3, 3, 4000),
        RNG.uniform(0.4, 3.0, 2000),  # around the zeros of lgamma at 1 and 2, and digamma's root
        10 ** RNG.uniform(-300, 300, 400),
        [0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 9.5, 10.0, 12.0, 1e-300, 5e-324, 2.5e305],
    ]
)
_NEGATIVE = -np.concatenate(
    [10 ** RNG.uniform(-3, 3, 3000), RNG.integers(0, 8, 2000) + RNG.uniform(0.001, 0.999, 2000)]
)
NEGATIVE = _NEGATIVE[_NEGATIVE != np.floor(_NEGATIVE)]  # non-integers
SPECIAL = np.array([0.0, -0.0, -1.0, -2.0, -7.0, -np.inf, np.inf, np.nan, 1e-300, -1e-300, 1e308, -2.5, 0.5, 1.0, 2.0])


def _torch():  # noqa: ANN202
    return pytest.importorskip("torch", reason="comparing with PyTorch needs torch (pip install torch==2.13.0)")


def _with_torch(name: str, x: np.ndarray, *args: int) -> np.ndarray:
    torch = _torch()
    t = torch.tensor(x)
    if name == "polygamma":
        return torch.polygamma(args[0], t).numpy()
    return getattr(torch, name)(t, *args).numpy()


def _relative(ours: np.ndarray, exact: np.ndarray) -> np.ndarray:
    with np.errstate(all="ignore"):
        error = np.abs(ours - exact) / np.abs(exact)
    error[ours == exact] = 0.0
    return error


# --- lgamma -------------------------------------------------------------------------------
def test_lgamma_matches_pytorch() -> None:
    # Positive: to the last digit or two. Negative: the reflection formula's absolute error,
    # relative to max(1, |lgamma|) (near lgamma's zeros the value itself is tiny).
    assert _relative(_gamma_kernels.lgamma(POSITIVE), _with_torch("lgamma", POSITIVE)).max() < 1e-15
    theirs = _with_torch("lgamma", NEGATIVE)
    error = np.abs(_gamma_kernels.lgamma(NEGATIVE) - theirs) / np.maximum(1.0, np.abs(theirs))
    assert error.max() < 3e-15
    away_from_zeros = np.abs(theirs) > 1e-2
    assert _relative(_gamma_kernels.lgamma(NEGATIVE), theirs)[away_from_zeros].max() < 1e-13


def test_lgamma_matches_math_lgamma() -> None:
    x = np.concatenate([POSITIVE[POSITIVE < 1e300], NEGATIVE])
    exact = np.array([math.lgamma(v) for v in x])
    ours = _gamma_kernels.lgamma(x)
    # math.lgamma (a Lanczos sum) is itself only good to about 1e-11 relative near its zeros.
    np.testing.assert_allclose(ours, exact, rtol=1e-13, atol=1e-13)


def test_lgamma_to_float64_accuracy() -> None:
    mpmath = pytest.importorskip("mpmath", reason="the high-precision reference needs mpmath")
    x = np.concatenate([POSITIVE[::4], NEGATIVE[::4]])
    with mpmath.workdps(40):
        exact = np.array([float(mpmath.loggamma(mpmath.mpf(v)).real) for v in x])
    ours = _gamma_kernels.lgamma(x)
    assert _relative(ours, exact)[x > 0].max() < 8e-16
    negative = x < 0
    assert (np.abs(ours - exact) / np.maximum(1.0, np.abs(exact)))[negative].max() < 3e-15


# --- digamma and polygamma ----------------------------------------------------------------
@pytest.mark.parametrize("n", [0, 1, 2, 3, 4, 5, 6, 10, 40])
def test_polygamma_matches_pytorch(n: int) -> None:
    x = np.concatenate([POSITIVE, NEGATIVE[NEGATIVE > -300]])
    theirs = _with_torch("polygamma", x, n)
    np.testing.assert_allclose(_gamma_kernels.polygamma(n, x), theirs, rtol=1e-13, atol=1e-15)


def test_digamma_matches_pytorch() -> None:
    x = np.concatenate([POSITIVE, NEGATIVE])
    np.testing.assert_allclose(_gamma_kernels.digamma(x), _with_torch("digamma", x), rtol=1e-13, atol=1e-15)


def test_trigamma_is_pytorchs_formula() -> None:
    # PyTorch's trigamma stops its asymptotic series early (5e-10 relative at x = 1); bibun
    # keeps the formula, so that polygamma(1, x) and digamma's gradient are PyTorch's.
    value = bibun.polygamma(1, bibun.tensor([1.0], dtype=bibun.float64)).item()
    assert value == pytest.approx(1.6449340676383375, rel=1e-15)
    assert value != pytest.approx(math.pi**2 / 6, rel=1e-10)


def test_zeta_blocks_match_pytorch() -> None:
    # Many elements make the direct sum's blocks narrow (16 terms): -6.5 takes exactly 16
    # terms, so its sum ends on a block's edge; -100.25 takes several blocks; -2000.5 alone
    # takes one long block.
    x = np.tile(np.array([-6.5, -100.25, 0.3, 50.0, -0.75, 7.0]), 12000)
    for n in (2, 3):
        np.testing.assert_allclose(_gamma_kernels.polygamma(n, x), _with_torch("polygamma", x, n), rtol=1e-13)
    single = np.array([-2000.5])
    np.testing.assert_allclose(_gamma_kernels.polygamma(3, single), _with_torch("polygamma", single, 3), rtol=1e-13)


@pytest.mark.parametrize("name", ["lgamma", "digamma", "polygamma1", "polygamma2", "polygamma3", "polygamma4"])
def test_special_values_are_pytorchs(name: str) -> None:
    # Poles (0, negative integers), infinities, NaN, and values next to the poles.
    if name.startswith("polygamma"):
        n = int(name[-1])
        ours, theirs = _gamma_kernels.polygamma(n, SPECIAL), _with_torch("polygamma", SPECIAL, n)
    else:
        ours, theirs = getattr(_gamma_kernels, name)(SPECIAL), _with_torch(name, SPECIAL)
    # lgamma(-2.5) = -0.0562...: the reflection formula's absolute error, under 1e-16.
    np.testing.assert_allclose(ours, theirs, rtol=1e-15, atol=1e-16)
    numbers = ~np.isnan(theirs)
    assert np.array_equal(np.signbit(ours[numbers]), np.signbit(theirs[numbers]))  # -inf vs inf, -0.0


def test_lgamma_special_values() -> None:
    x = np.array([0.0, -0.0, -1.0, -3.0, np.inf, -np.inf, np.nan, 1.0, 2.0, 2.5e305, 3e305])
    expected = [np.inf] * 6 + [np.nan, 0.0, 0.0, 1.7555118602376452e308, np.inf]
    np.testing.assert_allclose(_gamma_kernels.lgamma(x), expected, rtol=1e-15)


def test_polygamma_of_large_order_is_pytorchs() -> None:
    # n! is exp(lgamma(n + 1)), as in PyTorch: inf from n = 171 on. (At negative x and large
    # n, PyTorch's direct sum cancels terms of opposite signs: its digits there depend on the
    # last bit of each power, which NumPy's and the C library's pow do not always share.)
    x = np.array([2.0, 0.5, 30.0, 1e-3])
    for n in (20, 100, 170, 171, 300):
        np.testing.assert_allclose(_gamma_kernels.polygamma(n, x), _with_torch("polygamma", x, n), rtol=1e-13)


# --- mvlgamma -----------------------------------------------------------------------------
@pytest.mark.parametrize("p", [1, 2, 3, 5])
def test_mvlgamma_matches_pytorch(p: int) -> None:
    x = np.concatenate([(p - 1) / 2 + 10 ** RNG.uniform(-3, 3, 500), RNG.uniform(-3, (p - 1) / 2, 200)])
    theirs = _with_torch("mvlgamma", x, p)
    ours = _gamma_kernels.mvlgamma(x, p)
    error = np.abs(ours - theirs) / np.maximum(1.0, np.abs(theirs))
    error[ours == theirs] = 0.0  # the poles
    assert error.max() < 1e-14


def test_mvlgamma_is_its_sum() -> None:
    x = bibun.tensor([3.0, 4.5, 10.0], dtype=bibun.float64)
    expected = sum(bibun.lgamma(x - i / 2) for i in range(3)) + 1.5 * math.log(math.pi)
    np.testing.assert_allclose(bibun.mvlgamma(x, 3).numpy(), expected.numpy(), rtol=1e-15)


def test_mvlgamma_does_not_check_the_domain() -> None:
    # PyTorch no longer refuses x <= (p-1)/2: lgamma gives log|Gamma| there, inf at poles.
    x = np.array([0.4, 0.5, -0.25])
    np.testing.assert_allclose(_gamma_kernels.mvlgamma(x, 2), _with_torch("mvlgamma", x, 2), rtol=1e-14)


# --- dtypes -------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float32, np.float16])
def test_single_precision_is_the_rounded_float64_result(dtype: type) -> None:
    x = np.concatenate([RNG.uniform(0.05, 6, 500), -RNG.uniform(0.05, 0.95, 100) - RNG.integers(0, 4, 100)])
    x = x.astype(dtype)
    wide = x.astype(np.float64)
    for fn in (_gamma_kernels.lgamma, _gamma_kernels.digamma, lambda v: _gamma_kernels.polygamma(3, v)):
        single = fn(x)
        assert single.dtype == dtype
        with np.errstate(over="ignore"):  # float16: polygamma(3, .) overflows to inf near 0, as in PyTorch
            np.testing.assert_array_equal(single, fn(wide).astype(dtype))
    single = _gamma_kernels.mvlgamma(x, 2)
    assert single.dtype == dtype
    np.testing.assert_array_equal(single, _gamma_kernels.mvlgamma(wide, 2).astype(dtype))


def test_float32_matches_pytorch() -> None:
    torch = _torch()
    x = (10 ** RNG.uniform(-3, 3, 2000)).astype(np.float32)
    for name, ours, theirs in [
        ("lgamma", bibun.lgamma, torch.lgamma),
        ("digamma", bibun.digamma, torch.digamma),
        ("trigamma", lambda t: t.polygamma(1), lambda t: t.polygamma(1)),
        ("polygamma", lambda t: bibun.polygamma(3, t), lambda t: torch.polygamma(3, t)),
        ("mvlgamma", lambda t: bibun.mvlgamma(t + 1, 3), lambda t: torch.mvlgamma(t + 1, 3)),
    ]:
        a, b = ours(bibun.tensor(x)), theirs(torch.tensor(x))
        assert a.dtype == bibun.float32 and b.dtype == torch.float32, name
        # PyTorch's float32 digamma cancels near its root 1.46: the absolute tolerance.
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-6, atol=1e-6, err_msg=name)


@pytest.mark.parametrize("default", ["float32", "float64"])
def test_integer_and_bool_inputs_use_the_default_dtype(default: str) -> None:
    torch = _torch()
    calls = [
        lambda m, t: m.lgamma(t),
        lambda m, t: m.digamma(t),
        lambda m, t: m.polygamma(2, t),
        lambda m, t: t.mvlgamma(1),
    ]
    previous = bibun.get_default_dtype()
    bibun.set_default_dtype(getattr(bibun, default))
    torch.set_default_dtype(getattr(torch, default))
    try:
        for values in ([1, 2, 3, 0], [True, False]):
            for i, call in enumerate(calls):
                if i == 3 and isinstance(values[0], bool):
                    continue  # mvlgamma refuses bool (test_errors_are_pytorchs)
                a, b = call(bibun, bibun.tensor(values)), call(torch, torch.tensor(values))
                assert str(a.dtype) == f"bibun.{default}" and str(b.dtype) == f"torch.{default}"
                np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-6)
    finally:
        bibun.set_default_dtype(previous)
        torch.set_default_dtype(torch.float32)


# --- errors -------------------------------------------------------------------------------
ERRORS = [
    ("negative n", lambda m, x: m.polygamma(-1, x), RuntimeError, "polygamma(n, x) does not support negative n."),
    ("method negative n", lambda m, x: x.polygamma(-2), RuntimeError, "does not support negative n"),
    ("float n", lambda m, x: m.polygamma(1.5, x), TypeError, "argument 'n' (position 1) must be int, not float"),
    ("bool n", lambda m, x: m.polygamma(True, x), TypeError, "must be int, not bool"),
    ("number input", lambda m, x: m.polygamma(1, 2.0), TypeError, "argument 'input' (position 2) must be Tensor"),
    ("lgamma number", lambda m, x: m.lgamma(2.0), TypeError, "lgamma(): argument 'input' (position 1) must be Tensor"),
    ("digamma list", lambda m, x: m.digamma([1.0]), TypeError, "must be Tensor, not list"),
    ("p zero", lambda m, x: m.mvlgamma(x, 0), RuntimeError, "p has to be greater than or equal to 1"),
    ("p float", lambda m, x: x.mvlgamma(2.0), TypeError, "must be int, not float"),
    ("mvlgamma bool", lambda m, x: m.mvlgamma(x > 0, 1), RuntimeError, "The input tensor may not be a boolean tensor."),
    (
        "lgamma complex",
        lambda m, x: m.lgamma(x.detach() * 1j),
        NotImplementedError,
        "not implemented for 'ComplexDouble'",
    ),
    ("digamma complex", lambda m, x: m.digamma(x.detach().to(m.complex64)), NotImplementedError, "for 'ComplexFloat'"),
    (
        "trigamma complex",
        lambda m, x: m.polygamma(1, x.detach() * 1j),
        NotImplementedError,
        '"trigamma" not implemented',
    ),
    (
        "polygamma complex",
        lambda m, x: m.polygamma(2, x.detach() * 1j),
        NotImplementedError,
        '"polygamma" not implemented',
    ),
]


def _check(lib, fn, exc, phrase) -> None:  # noqa: ANN001
    x = lib.tensor([0.5, 2.0, 3.5], dtype=lib.float64, requires_grad=True)
    with pytest.raises(exc) as info:
        fn(lib, x)
    assert phrase in str(info.value), f"{phrase!r} not in {str(info.value)!r}"
    np.testing.assert_array_equal(x.detach().numpy(), [0.5, 2.0, 3.5])  # nothing modified
    assert x.grad is None and x.grad_fn is None
    if lib is bibun:
        assert x._version == 0


@pytest.mark.parametrize("name, fn, exc, phrase", ERRORS, ids=[c[0] for c in ERRORS])
def test_errors_are_pytorchs(name, fn, exc, phrase) -> None:  # noqa: ANN001
    _check(bibun, fn, exc, phrase)


@pytest.mark.parametrize("name, fn, exc, phrase", ERRORS, ids=[c[0] for c in ERRORS])
def test_the_phrase_is_pytorchs(name, fn, exc, phrase) -> None:  # noqa: ANN001
    _check(_torch(), fn, exc, phrase)


# --- derivatives --------------------------------------------------------------------------
@pytest.mark.parametrize(
    "call",
    [
        lambda m, x: m.lgamma(x),
        lambda m, x: m.digamma(x),
        lambda m, x: m.polygamma(0, x),
        lambda m, x: x.polygamma(2),
        lambda m, x: m.mvlgamma(x, 3),
        lambda m, x: m.special.gammaln(x),
    ],
    ids=["lgamma", "digamma", "polygamma0", "polygamma2", "mvlgamma", "special.gammaln"],
)
def test_three_orders_of_derivatives_match_pytorch(call) -> None:  # noqa: ANN001
    torch = _torch()
    values = [3.7, 0.3, -0.4, -2.6, 12.5, 1.4616321449683622]
    results = []
    for m in (bibun, torch):
        x = m.tensor(values, dtype=m.float64, requires_grad=True)
        y = call(m, x)
        found = [y]
        for _ in range(3):
            (y,) = m.autograd.grad(y.sum(), x, create_graph=True)
            found.append(y)
        results.append(found)
    for order, (ours, theirs) in enumerate(zip(*results)):
        # mvlgamma's gradient is a sum of p digammas: PyTorch builds it on an unsqueezed copy
        # of x, so its higher-order grad_fns (SqueezeBackward1) differ from bibun's (AddBackward0).
        if order < 2 or "MvlgammaBackward0" not in type(results[0][0].grad_fn).__name__:
            assert type(ours.grad_fn).__name__ == type(theirs.grad_fn).__name__
        np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-13)


def test_gradients_climb_the_family() -> None:
    x = bibun.tensor([0.7, 2.5, -1.3], dtype=bibun.float64, requires_grad=True)
    (g,) = bibun.autograd.grad(bibun.lgamma(x).sum(), x, create_graph=True)
    np.testing.assert_array_equal(g.detach().numpy(), bibun.digamma(x).detach().numpy())
    (h,) = bibun.autograd.grad(g.sum(), x)
    np.testing.assert_array_equal(h.numpy(), bibun.polygamma(1, x).detach().numpy())
    (k,) = bibun.autograd.grad(bibun.polygamma(4, x).sum(), x)
    np.testing.assert_array_equal(k.numpy(), bibun.polygamma(5, x).detach().numpy())


def test_arguments_and_names() -> None:
    x = bibun.tensor([1.5, 4.0], dtype=bibun.float64)
    expected = bibun.polygamma(2, x).numpy()
    for n in (np.int64(2), bibun.tensor(2)):
        np.testing.assert_array_equal(bibun.polygamma(n, x).numpy(), expected)
    np.testing.assert_array_equal(bibun.polygamma(n=2, input=x).numpy(), expected)
    np.testing.assert_array_equal(x.polygamma(2).numpy(), expected)
    np.testing.assert_array_equal(x.mvlgamma(p=2).numpy(), bibun.mvlgamma(x, 2).numpy())
    assert bibun.special.gammaln is bibun.lgamma and bibun.special.psi is bibun.digamma
    assert bibun.special.multigammaln is bibun.mvlgamma and bibun.special.polygamma is bibun.polygamma
    empty = bibun.lgamma(bibun.zeros(2, 0))
    assert empty.shape == (2, 0) and empty.dtype == bibun.float32
