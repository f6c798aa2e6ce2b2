"""copysign, float_power, deg2rad, rad2deg, signbit, sgn, ldexp, gcd, lcm, isin, aminmax,
argwhere, unique_consecutive and histogram where the op database does not reach: signs of
zero, NaN and infinities, every dtype pair, integer edge values, ties, the graphs PyTorch
records, and bad input (PyTorch's exception type and message, nothing changed)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import bibun

torch = pytest.importorskip("torch", reason="these checks compare with PyTorch (pip install torch==2.13.0)")

NAN, INF = float("nan"), float("inf")
SPECIALS = [0.0, -0.0, 1.5, -2.5, INF, -INF, NAN, -NAN, 1e-45, -1e-310]
DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]


def _t(lib, values, dtype="float32", requires_grad=False):  # noqa: ANN001, ANN202
    return lib.tensor(values, dtype=getattr(lib, dtype), requires_grad=requires_grad)


def _name(dtype) -> str:  # noqa: ANN001
    return str(dtype).split(".")[1]


def _same(ours, theirs) -> None:  # noqa: ANN001
    """Same dtype, shape and values, NaN where PyTorch has NaN and the same sign bits."""
    assert _name(ours.dtype) == _name(theirs.dtype)
    assert tuple(ours.shape) == tuple(theirs.shape)
    a, b = ours.detach().numpy(), theirs.detach().numpy()
    np.testing.assert_array_equal(a, b)
    if a.dtype.kind == "f":
        assert np.array_equal(np.signbit(a), np.signbit(b))


def _close(ours, theirs) -> None:  # noqa: ANN001
    """Same dtype and shape, values to the last bit or so (pow's last bit is the kernel's)."""
    assert _name(ours.dtype) == _name(theirs.dtype)
    assert tuple(ours.shape) == tuple(theirs.shape)
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=4e-16, equal_nan=True)


def _same_error(fn, exc: type | None = None) -> None:  # noqa: ANN001
    """Both libraries raise the same exception type with the same message (PyTorch's names
    read as bibun's); the bibun call changes nothing."""
    with pytest.raises(Exception) as theirs:
        fn(torch)
    x = bibun.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(type(theirs.value)) as ours:
        fn(bibun)
    if exc is not None:
        assert isinstance(ours.value, exc)
    assert str(ours.value) == str(theirs.value).replace("torch.", "bibun.")
    assert x.grad is None and x._version == 0


def _grad_fn(t) -> str | None:  # noqa: ANN001
    return None if t.grad_fn is None else type(t.grad_fn).__name__


# --- copysign ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_copysign_signs_of_zero_nan_and_infinity(dtype: str) -> None:
    pairs = list(itertools.product(SPECIALS, repeat=2))
    xs, ys = [p[0] for p in pairs], [p[1] for p in pairs]
    results = []
    for lib in (bibun, torch):
        x = _t(lib, xs, dtype, requires_grad=True)
        y = _t(lib, ys, dtype, requires_grad=True)
        out = lib.copysign(x, y)
        gx, gy = lib.autograd.grad(out, (x, y), lib.ones_like(out))
        results.append((out, gx, gy, _grad_fn(out)))
    for ours, theirs in zip(*results):
        if isinstance(ours, str):
            assert ours == theirs == "CopysignBackward0"
        else:
            _same(ours, theirs)


@pytest.mark.parametrize("other", [-1.0, -0.0, 0.0, 2, -3, True, NAN])
def test_copysign_with_a_number(other: object) -> None:
    results = []
    for lib in (bibun, torch):
        x = _t(lib, SPECIALS, requires_grad=True)
        out = x.copysign(other)
        (g,) = lib.autograd.grad(out, x, lib.ones_like(out))
        results.append((out, g))
        assert _grad_fn(out) == "CopysignBackward1"
        assert len(out.grad_fn.next_functions) == 1
    for ours, theirs in zip(*results):
        _same(ours, theirs)


@pytest.mark.parametrize("a, b", list(itertools.product(DTYPES, repeat=2)))
def test_copysign_promotes_as_pytorch(a: str, b: str) -> None:
    values = [3, 0, 1]
    _same(
        bibun.copysign(_t(bibun, values, a), _t(bibun, [-1, 1, 0], b)),
        torch.copysign(_t(torch, values, a), _t(torch, [-1, 1, 0], b)),
    )
    _same(bibun.copysign(_t(bibun, values, a), -2), torch.copysign(_t(torch, values, a), -2))
    _same(
        bibun.copysign(_t(bibun, values, a), bibun.tensor(-2.0, dtype=bibun.float64)),
        torch.copysign(_t(torch, values, a), torch.tensor(-2.0, dtype=torch.float64)),
    )


@pytest.mark.parametrize(
    "fn",
    [
        lambda m: m.copysign(2.0, m.ones(2)),
        lambda m: m.copysign(m.ones(2), [1.0]),
        lambda m: m.copysign(m.ones(2), m.ones(2, dtype=m.complex64)),
        lambda m: m.copysign(m.ones(2), 1j),
        lambda m: m.copysign(m.ones(2, 3), m.ones(4)),
    ],
    ids=["number first", "list", "complex", "complex number", "shapes"],
)
def test_copysign_errors(fn) -> None:  # noqa: ANN001
    _same_error(fn)


# --- float_power ----------------------------------------------------------------------------------------
def test_float_power_casts_then_records_pow() -> None:
    for lib in (bibun, torch):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        d = lib.tensor([1.0, 2.0], dtype=lib.float64, requires_grad=True)
        out = lib.float_power(x, 2)
        assert out.dtype == lib.float64 and _grad_fn(out) == "PowBackward0"
        assert [type(n).__name__ for n, _ in out.grad_fn.next_functions] == ["ToCopyBackward0"]
        out = lib.float_power(d, 2)
        assert [type(n).__name__ for n, _ in out.grad_fn.next_functions] == ["AccumulateGrad"]
        out = lib.float_power(d, lib.tensor(2.0))
        assert _grad_fn(out) == "PowBackward1"
        assert [None if n is None else type(n).__name__ for n, _ in out.grad_fn.next_functions] == [
            "AccumulateGrad",
            None,
        ]
        out = lib.float_power(3, x)
        assert _grad_fn(out) == "PowBackward2"
        (g,) = lib.autograd.grad(out.sum(), x)
        assert g.dtype == lib.float32  # the cast's backward brings the gradient back


@pytest.mark.parametrize("dtype", DTYPES)
def test_float_power_values_and_dtypes(dtype: str) -> None:
    for exponent in (2, 0.5, -1, 0, True):
        _close(
            bibun.float_power(_t(bibun, [0, 1, 2], dtype), exponent),
            torch.float_power(_t(torch, [0, 1, 2], dtype), exponent),
        )
    _close(bibun.float_power(2, _t(bibun, [0, 1, 2], dtype)), torch.float_power(2, _t(torch, [0, 1, 2], dtype)))


def test_float_power_zero_and_negative_bases() -> None:
    results = []
    for lib in (bibun, torch):
        x = lib.tensor([0.0, 0.0, -8.0, 2.0], requires_grad=True)
        e = lib.tensor([0.0, 1.5, 1 / 3, 0.0], requires_grad=True)
        out = lib.float_power(x, e)
        results.append((out, *lib.autograd.grad(out.sum(), (x, e))))
        results[-1] += (lib.float_power(lib.tensor([0.0]), -1), lib.float_power(lib.tensor([2.0]), 1j))
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-15)
        assert _name(ours.dtype) == _name(theirs.dtype)


@pytest.mark.parametrize(
    "fn",
    [
        lambda m: m.float_power(2, 3),
        lambda m: m.float_power([2.0], 3),
        lambda m: m.float_power(m.ones(2, 3), m.ones(4)),
    ],
    ids=["numbers", "list", "shapes"],
)
def test_float_power_errors(fn) -> None:  # noqa: ANN001
    _same_error(fn)


# --- deg2rad, rad2deg -----------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["deg2rad", "rad2deg"])
@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_angle_conversions_round_as_pytorch(name: str, dtype: str) -> None:
    values = np.linspace(-700, 700, 20001).astype(dtype)  # the same inputs (casts from double may differ)
    _same(
        getattr(bibun, name)(bibun.tensor(values)),
        getattr(torch, name)(torch.tensor(values)),
    )
    results = []
    for lib in (bibun, torch):
        x = _t(lib, SPECIALS, dtype, requires_grad=True)
        out = getattr(lib, name)(x)
        results.append((out, *lib.autograd.grad(out, x, lib.ones_like(out))))
    for ours, theirs in zip(*results):
        _same(ours, theirs)


@pytest.mark.parametrize("dtype", ["bool", "uint8", "int32", "int64"])
def test_angle_conversions_of_integers(dtype: str) -> None:
    for name in ("deg2rad", "rad2deg"):
        _same(getattr(bibun, name)(_t(bibun, [0, 1, 1], dtype)), getattr(torch, name)(_t(torch, [0, 1, 1], dtype)))


@pytest.mark.parametrize("name", ["deg2rad", "rad2deg", "signbit", "sgn", "argwhere"])
def test_unary_errors(name: str) -> None:
    _same_error(lambda m: getattr(m, name)(1.0), TypeError)
    if name in ("deg2rad", "rad2deg", "signbit"):
        _same_error(lambda m: getattr(m, name)(m.ones(2, dtype=m.complex64)))


# --- signbit, sgn ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
def test_signbit_and_sgn_for_every_dtype(dtype: str) -> None:
    values = SPECIALS if dtype.startswith("float") else [0, 1, -1, 5, -128, 127, 2] if dtype != "bool" else [0, 1]
    if dtype == "uint8":
        values = [0, 1, 255, 128]
    _same(bibun.signbit(_t(bibun, values, dtype)), torch.signbit(_t(torch, values, dtype)))
    _same(bibun.sgn(_t(bibun, values, dtype)), torch.sgn(_t(torch, values, dtype)))


def test_sgn_gradient_is_zero_even_for_an_infinite_cotangent() -> None:
    x = bibun.tensor(SPECIALS, requires_grad=True)
    out = bibun.sgn(x)
    assert _grad_fn(out) == "SgnBackward0"
    (g,) = bibun.autograd.grad(out, x, bibun.full_like(out, INF))
    assert np.array_equal(g.numpy(), np.zeros(len(SPECIALS))) and not np.any(np.signbit(g.numpy()))


def test_sgn_of_complex_values() -> None:
    values = [3 + 4j, 0j, -2j, complex(INF, 0)]
    np.testing.assert_array_equal(bibun.sgn(bibun.tensor(values)).numpy(), torch.sgn(torch.tensor(values)).numpy())


# --- ldexp ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("a, b", list(itertools.product(DTYPES, repeat=2)))
def test_ldexp_dtypes_as_pytorch(a: str, b: str) -> None:
    x, e = [1, 0, 3], [1, 0, 2]
    try:
        theirs = torch.ldexp(_t(torch, x, a), _t(torch, e, b))
    except NotImplementedError as error:
        with pytest.raises(NotImplementedError) as ours:
            bibun.ldexp(_t(bibun, x, a), _t(bibun, e, b))
        assert str(ours.value) == str(error)
        return
    _same(bibun.ldexp(_t(bibun, x, a), _t(bibun, e, b)), theirs)


def test_ldexp_zero_dim_operands_promote_as_pytorch() -> None:
    pairs = [
        (lambda m: m.tensor([1.0]), lambda m: m.tensor(2.0, dtype=m.float64)),
        (lambda m: m.tensor([1]), lambda m: m.tensor(2.0, dtype=m.float64)),
        (lambda m: m.tensor(1.0, dtype=m.float64), lambda m: m.tensor([2.0])),
        (lambda m: m.tensor([1.0], dtype=m.float16), lambda m: m.tensor(3)),
    ]
    for x, e in pairs:
        _same(bibun.ldexp(x(bibun), e(bibun)), torch.ldexp(x(torch), e(torch)))


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_ldexp_rounds_once_from_double(dtype: str) -> None:
    """Underflow to subnormals and zero, overflow to infinity: C's ldexp in double, then one
    rounding to the input's dtype."""
    x = [2.0**100, 2.0**-149, 3.0, -3.0, 0.0, -0.0, INF, NAN, 1.0, 1.0, 1.0, 1.0]
    e = [-150, 200, -149, -1074, 50, 7, -3, 4, 1023, 1024, -1075, -1022]
    _same(bibun.ldexp(_t(bibun, x, dtype), bibun.tensor(e)), torch.ldexp(_t(torch, x, dtype), torch.tensor(e)))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_ldexp_gradient_is_the_power_of_two(dtype: str) -> None:
    """The gradient of ldexp(x, e) in x is 2 ** e. PyTorch 2.13 evaluates it in integer
    arithmetic for integer exponents, so it gives 0 for negative ones (its float-exponent
    path is right); bibun gives 2 ** e for both (docs/ops.md)."""
    exponents = [-3, -1, 0, 2, 30]
    x = bibun.tensor([0.5, 1.0, 2.0, 3.0, 1.0], dtype=getattr(bibun, dtype), requires_grad=True)
    out = bibun.ldexp(x, bibun.tensor(exponents))
    (g,) = bibun.autograd.grad(out.sum(), x)
    np.testing.assert_array_equal(g.numpy(), np.ldexp(1.0, exponents))
    t = torch.tensor([0.5, 1.0, 2.0, 3.0, 1.0], dtype=getattr(torch, dtype), requires_grad=True)
    (reference,) = torch.autograd.grad(torch.ldexp(t, torch.tensor(exponents, dtype=t.dtype)).sum(), t)
    np.testing.assert_array_equal(g.numpy(), reference.numpy())
    import bibun.autograd.forward_ad as fwAD

    with fwAD.dual_level():
        dual = fwAD.make_dual(x.detach(), bibun.ones_like(x))
        tangent = fwAD.unpack_dual(bibun.ldexp(dual, bibun.tensor(exponents))).tangent
    np.testing.assert_array_equal(tangent.numpy(), np.ldexp(1.0, exponents))


def test_ldexp_second_derivatives_match_pytorch() -> None:
    results = []
    for lib in (bibun, torch):
        x = lib.tensor([1.0, -2.0, 3.0], dtype=lib.float64, requires_grad=True)
        e = lib.tensor([1.0, -1.5, 0.25], dtype=lib.float64, requires_grad=True)
        gx, ge = lib.autograd.grad(lib.ldexp(x, e).sum(), (x, e), create_graph=True)
        results.append((gx, ge, *lib.autograd.grad((gx * ge).sum(), (x, e))))
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-14)


@pytest.mark.parametrize(
    "fn",
    [
        lambda m: m.ldexp(m.ones(2), 2),
        lambda m: m.ldexp(2.0, m.tensor([1])),
        lambda m: m.ldexp(m.ones(2), m.tensor([True, False])),
        lambda m: m.ldexp(m.ones(2, 3), m.ones(4, dtype=m.int64)),
        lambda m: m.ldexp(m.ones(2, 3), m.ones(4)),
    ],
    ids=["number exponent", "number input", "bool exponent", "shapes int", "shapes float"],
)
def test_ldexp_errors(fn) -> None:  # noqa: ANN001
    _same_error(fn)


# --- gcd, lcm --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", ["int8", "uint8"])
def test_gcd_lcm_every_pair_of_a_byte(dtype: str) -> None:
    """Every pair, the most negative value included: PyTorch's |-128| stays -128 in int8."""
    info = np.iinfo(dtype)
    values = np.arange(info.min, info.max + 1)
    a, b = (x.reshape(-1) for x in np.meshgrid(values, values, indexing="ij"))
    for name in ("gcd", "lcm"):
        ours = getattr(bibun, name)(_t(bibun, a, dtype), _t(bibun, b, dtype))
        _same(ours, getattr(torch, name)(_t(torch, a, dtype), _t(torch, b, dtype)))


@pytest.mark.parametrize("dtype", ["int16", "int32", "int64"])
def test_gcd_lcm_of_wider_integers(dtype: str) -> None:
    info = np.iinfo(dtype)
    rng = np.random.default_rng(0)
    # The most negative value is left out for int32 and int64: PyTorch's C++ divides it by -1
    # there, which traps.
    low = info.min if dtype == "int16" else info.min + 1
    edges = np.array([low, low + 1, -1, 0, 1, 2, 6, -6, info.max, info.max - 1, 2 ** (info.bits // 2)])
    a = np.concatenate(
        [rng.integers(low, info.max, 4000), rng.integers(-1000, 1000, 4000), np.repeat(edges, edges.size)]
    )
    b = np.concatenate([rng.integers(low, info.max, 4000), rng.integers(-1000, 1000, 4000), np.tile(edges, edges.size)])
    for name in ("gcd", "lcm"):
        _same(
            getattr(bibun, name)(_t(bibun, a, dtype), _t(bibun, b, dtype)),
            getattr(torch, name)(_t(torch, a, dtype), _t(torch, b, dtype)),
        )


def test_gcd_lcm_promote_and_broadcast_as_pytorch() -> None:
    cases = [("int32", "int16"), ("uint8", "int8"), ("uint8", "int64"), ("int64", "int32")]
    for a, b in cases:
        for name in ("gcd", "lcm"):
            _same(
                getattr(bibun, name)(_t(bibun, [[12], [9]], a), _t(bibun, [8, 6, 0], b)),
                getattr(torch, name)(_t(torch, [[12], [9]], a), _t(torch, [8, 6, 0], b)),
            )
    _same(bibun.gcd(bibun.tensor(4), bibun.tensor([10, 15])), torch.gcd(torch.tensor(4), torch.tensor([10, 15])))
    _same(
        bibun.tensor([4]).lcm(bibun.tensor(6, dtype=bibun.uint8)),
        torch.tensor([4]).lcm(torch.tensor(6, dtype=torch.uint8)),
    )


@pytest.mark.parametrize("name", ["gcd", "lcm"])
@pytest.mark.parametrize(
    "fn",
    [
        lambda m, f: f(m.tensor([12.0]), m.tensor([8.0])),
        lambda m, f: f(m.tensor([12]), m.tensor([8.0], dtype=m.float64)),
        lambda m, f: f(m.tensor([True]), m.tensor([True])),
        lambda m, f: f(m.tensor([12]), 8),
        lambda m, f: f(4, m.tensor([6])),
        lambda m, f: f(m.tensor([3, 4]), m.tensor([3, 4, 5])),
    ],
    ids=["floats", "int and double", "bools", "number other", "number input", "shapes"],
)
def test_gcd_lcm_errors(name: str, fn) -> None:  # noqa: ANN001
    _same_error(lambda m: fn(m, getattr(m, name)))


# --- isin ------------------------------------------------------------------------------------------------
def test_isin_compares_in_the_promoted_dtype() -> None:
    cases = [
        (lambda m: m.tensor([[1.0, 2.0, NAN], [4.0, -0.0, INF]]), lambda m: m.tensor([2.0, 0.0, NAN, INF])),
        (lambda m: m.tensor([1, 2, 3]), lambda m: m.tensor([2.0, 3.5])),
        (lambda m: m.tensor([1.0, 2.5, 3]), lambda m: m.tensor([2, 3])),
        (lambda m: m.tensor([1, 2, 3]), lambda m: 2.5),
        (lambda m: m.tensor([1, 2, 3]), lambda m: 2.0),
        (lambda m: m.tensor([0.1]), lambda m: m.tensor([0.1], dtype=m.float64)),
        (lambda m: m.tensor([0.1], dtype=m.float64), lambda m: m.tensor([0.1])),
        (lambda m: m.tensor([255], dtype=m.uint8), lambda m: m.tensor([-1], dtype=m.int8)),
        (lambda m: m.tensor([255, -1]), lambda m: m.tensor([255], dtype=m.uint8)),
        (lambda m: m.tensor([1.0, 3.0], dtype=m.float16), lambda m: m.tensor([1.0], dtype=m.float16)),
        (lambda m: m.tensor([1, 2]), lambda m: m.tensor([], dtype=m.int64)),
        (lambda m: m.tensor(2), lambda m: m.tensor([[2, 3]])),
        (lambda m: 2.0, lambda m: m.tensor([[1.0, 2.0]])),
        (lambda m: m.arange(50) % 7, lambda m: m.arange(0, 40, 3)),
    ]
    for elements, test in cases:
        for invert in (False, True):
            ours = bibun.isin(elements(bibun), test(bibun), invert=invert)
            _same(ours, torch.isin(elements(torch), test(torch), invert=invert))
    x = bibun.tensor([1.0, 2.0], requires_grad=True)
    assert bibun.isin(x, bibun.tensor([2.0])).grad_fn is None


@pytest.mark.parametrize(
    "fn",
    [
        lambda m: m.isin(m.tensor([True]), m.tensor([1])),
        lambda m: m.isin(m.tensor([1]), m.tensor([True])),
        lambda m: m.isin(m.tensor([1, 2]), True),
        lambda m: m.isin(m.tensor([1 + 1j]), m.tensor([1 + 1j])),
        lambda m: m.isin(2.0, 3.0),
        lambda m: m.isin(m.tensor([1]), [1]),
    ],
    ids=["bool elements", "bool test", "bool number", "complex", "numbers", "list"],
)
def test_isin_errors(fn) -> None:  # noqa: ANN001
    _same_error(fn)


def test_isin_is_not_a_tensor_method() -> None:
    assert not hasattr(torch.Tensor, "isin") and not hasattr(bibun.Tensor, "isin")
    for name in ("copysign", "float_power", "deg2rad", "rad2deg", "signbit", "sgn", "ldexp", "gcd", "lcm"):
        assert hasattr(bibun.Tensor, name) and hasattr(torch.Tensor, name)
    for name in ("aminmax", "argwhere", "unique_consecutive", "histogram"):
        assert hasattr(bibun.Tensor, name) and hasattr(torch.Tensor, name)


# --- aminmax ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("kwargs", [{}, {"dim": 0}, {"dim": -1, "keepdim": True}, {"keepdim": True}])
def test_aminmax_ties_share_the_gradient_as_pytorch(seed: int, kwargs: dict) -> None:
    rng = np.random.default_rng(seed)
    x = rng.integers(-2, 3, size=(4, 5)).astype(np.float64)
    if seed % 2:
        x[rng.random(x.shape) < 0.15] = np.nan
    results = []
    for lib in (bibun, torch):
        t = lib.tensor(x, requires_grad=True)
        low, high = lib.aminmax(t, **kwargs)
        v = np.random.default_rng(seed + 100).standard_normal(tuple(low.shape))
        loss = (low * lib.tensor(v)).sum() + (high * lib.tensor(2 * v + 1)).sum()
        (g,) = lib.autograd.grad(loss, t, retain_graph=True)
        (g_high,) = lib.autograd.grad(high.sum(), t)
        results.append((low, high, g, g_high))
        assert _grad_fn(low) == _grad_fn(high) == "AminmaxBackward0" and low.grad_fn is high.grad_fn
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-15, equal_nan=True)


def test_aminmax_forward_mode_and_result_type() -> None:
    import bibun.autograd.forward_ad as fwAD

    x = [[1.0, 3.0, 3.0], [2.0, 2.0, 0.0], [1.0, NAN, 0.0]]
    tangent = [[1.0, 2.0, 4.0], [8.0, 16.0, 32.0], [1.0, 1.0, 1.0]]
    results = []
    for lib, ad in ((bibun, fwAD), (torch, torch.autograd.forward_ad)):
        with ad.dual_level():
            out = lib.aminmax(ad.make_dual(lib.tensor(x), lib.tensor(tangent)), dim=1)
            results.append([ad.unpack_dual(o).tangent for o in out])
    for ours, theirs in zip(*results):
        _same(ours, theirs)  # the mean tangent of the tied entries; NaN for a slice with NaN
    ours, theirs = bibun.aminmax(bibun.tensor(x), dim=0), torch.aminmax(torch.tensor(x), dim=0)
    assert repr(ours) == repr(theirs).replace("torch.", "bibun.")
    assert type(ours).__name__ == "aminmax" and ours.min is ours[0] and ours.max is ours[1]


@pytest.mark.parametrize("dtype", ["bool", "uint8", "int32", "int64", "float16"])
def test_aminmax_of_other_dtypes(dtype: str) -> None:
    x = [[1, 0, 1], [0, 0, 1]]
    for kwargs in ({}, {"dim": 1}):
        for ours, theirs in zip(
            bibun.aminmax(_t(bibun, x, dtype), **kwargs), torch.aminmax(_t(torch, x, dtype), **kwargs)
        ):
            _same(ours, theirs)
    for ours, theirs in zip(bibun.aminmax(bibun.tensor(2.0), dim=0), torch.aminmax(torch.tensor(2.0), dim=0)):
        _same(ours, theirs)
    for ours, theirs in zip(bibun.aminmax(bibun.zeros(0, 3), dim=1), torch.aminmax(torch.zeros(0, 3), dim=1)):
        _same(ours, theirs)


@pytest.mark.parametrize(
    "fn",
    [
        lambda m: m.aminmax(m.tensor([])),
        lambda m: m.aminmax(m.zeros(0, 3), dim=-2),
        lambda m: m.aminmax(m.ones(2, 2), dim=(0, 1)),
        lambda m: m.aminmax(m.ones(2, 2), dim=True),
        lambda m: m.aminmax(m.ones(2, 2), dim=2),
        lambda m: m.aminmax(m.tensor(1.0), dim=1),
        lambda m: m.aminmax(m.ones(2, 2), 1),
        lambda m: m.aminmax(3.0),
    ],
    ids=["empty", "empty dim", "tuple dim", "bool dim", "dim range", "0-d dim", "positional dim", "number"],
)
def test_aminmax_errors(fn) -> None:  # noqa: ANN001
    _same_error(fn)


# --- argwhere ----------------------------------------------------------------------------------------------
def test_argwhere_edges() -> None:
    cases = [
        lambda m: m.tensor(2.0),
        lambda m: m.tensor(0.0),
        lambda m: m.tensor([NAN, 0.0, -0.0, INF]),
        lambda m: m.tensor([True, False]),
        lambda m: m.zeros(2, 0, 3),
        lambda m: m.tensor([[1, 0], [0, 3]], dtype=m.uint8),
    ]
    for make in cases:
        _same(bibun.argwhere(make(bibun)), torch.argwhere(make(torch)))
    x = bibun.tensor([1.0, 0.0], requires_grad=True)
    assert x.argwhere().grad_fn is None


# --- unique_consecutive ---------------------------------------------------------------------------------------
def test_unique_consecutive_nan_and_signed_zeros() -> None:
    cases = [
        (lambda m: m.tensor([NAN, NAN, 1.0, 1.0, -0.0, 0.0, INF, INF]), {}),
        (lambda m: m.tensor([[NAN], [NAN], [1.0]]), {"dim": 0}),
        (lambda m: m.tensor([[1, 1, 2], [1, 1, 2], [3, 3, 3]]), {"dim": 1}),
        (lambda m: m.tensor([[1, 1, 2], [1, 1, 2], [3, 3, 3]]), {"dim": -2}),
        (lambda m: m.tensor([True, True, False]), {}),
        (lambda m: m.tensor(2.0), {}),
        (lambda m: m.zeros(0, 2), {}),
        (lambda m: m.zeros(2, 0), {}),
        (lambda m: m.zeros(0, 2), {"dim": 0}),
        (lambda m: m.zeros(2, 0), {"dim": 1}),
        (lambda m: m.tensor([[5.0, 6.0]]), {"dim": 0}),
    ]
    for make, kwargs in cases:
        ours = bibun.unique_consecutive(make(bibun), return_inverse=True, return_counts=True, **kwargs)
        theirs = torch.unique_consecutive(make(torch), return_inverse=True, return_counts=True, **kwargs)
        for a, b in zip(ours, theirs):
            _same(a, b)


def test_unique_consecutive_records_a_node_whose_backward_raises() -> None:
    for lib in (bibun, torch):
        x = lib.tensor([1.0, 1.0, 2.0], requires_grad=True)
        values, inverse, counts = lib.unique_consecutive(x, return_inverse=True, return_counts=True)
        assert _grad_fn(values) == "UniqueConsecutiveBackward0"
        assert not inverse.requires_grad and not counts.requires_grad
        assert _grad_fn(lib.unique_consecutive(x.reshape(3, 1), dim=0)) == "UniqueConsecutiveBackward0"
        with pytest.raises(NotImplementedError, match="the derivative for 'unique_consecutive' is not implemented."):
            values.sum().backward()
        assert x.grad is None


@pytest.mark.parametrize(
    "fn",
    [
        lambda m: m.unique_consecutive(m.zeros(0, 0), dim=0),
        lambda m: m.unique_consecutive(m.zeros(0, 2), dim=1),
        lambda m: m.unique_consecutive(m.tensor(1.0), dim=0),
        lambda m: m.unique_consecutive(m.tensor(1.0), dim=-1),
        lambda m: m.unique_consecutive(m.ones(2, 2), dim=2),
    ],
    ids=["two empty dims", "empty dim not selected", "0-d", "0-d negative", "dim range"],
)
def test_unique_consecutive_errors(fn) -> None:  # noqa: ANN001
    _same_error(fn)


# --- histogram -------------------------------------------------------------------------------------------------
HISTOGRAMS = [
    (lambda m: m.tensor([1.0, 2.0, 1.0, 2.5, 4.0, 0.0]), lambda m: 4, {}),
    (lambda m: m.tensor([1.0, 2.0, 1.0, 2.5, 4.0, 0.0]), lambda m: 3, {"range": (0.5, 2.5)}),
    (lambda m: m.tensor([1.0, 2.0, 1.0, 2.5, 4.0, 0.0]), lambda m: 3, {"range": [1.0, 1.0]}),
    (lambda m: m.tensor([1.0, 2.0, 1.0, 2.5, 4.0, 0.0]), lambda m: 3, {"density": True}),
    (
        lambda m: m.tensor([1.0, 2.0, 3.0]),
        lambda m: 2,
        {"weight": lambda m: m.tensor([1.0, -1.0, 2.0]), "density": True},
    ),
    (lambda m: m.tensor([1.0, 2.0, 3.0]), lambda m: 2, {"weight": lambda m: m.tensor([[1.0, 2.0, 3.0]])}),
    (lambda m: m.tensor([2.0, 2.0]), lambda m: 4, {}),
    (lambda m: m.tensor([]), lambda m: 3, {}),
    (lambda m: m.tensor([]), lambda m: 3, {"density": True}),
    (lambda m: m.tensor(1.5), lambda m: 2, {"weight": lambda m: m.tensor(2.0)}),
    (lambda m: m.tensor([1.0, INF, NAN, -INF]), lambda m: 3, {"range": (0.0, 2.0)}),
    (lambda m: m.tensor([0.0, 1.0, 2.0, 3.0]), lambda m: m.tensor([0.0, 1.0, 2.0, 3.0]), {}),
    (lambda m: m.tensor([-1.0, 4.0, 3.0, 1.0]), lambda m: m.tensor([0.0, 1.0, 1.0, 3.0]), {}),
    (lambda m: m.tensor([1.0, 2.0]), lambda m: m.tensor([2.0, 1.0]), {}),
    (lambda m: m.tensor([[0.3, 0.7], [0.1, 0.9]], dtype=m.float64), lambda m: 3, {"density": True}),
    (lambda m: m.linspace(-3, 3, 1001) ** 3, lambda m: 13, {}),
    (lambda m: m.linspace(0, 1, 1001, dtype=m.float64), lambda m: 10, {"range": (0.1, 0.9)}),
]


@pytest.mark.parametrize("case", range(len(HISTOGRAMS)))
def test_histogram_as_pytorch(case: int) -> None:
    make, bins, kwargs = HISTOGRAMS[case]
    ours = bibun.histogram(make(bibun), bins(bibun), **{k: v(bibun) if callable(v) else v for k, v in kwargs.items()})
    theirs = torch.histogram(make(torch), bins(torch), **{k: v(torch) if callable(v) else v for k, v in kwargs.items()})
    for a, b in zip(ours, theirs):
        assert _name(a.dtype) == _name(b.dtype) and tuple(a.shape) == tuple(b.shape)
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-6, equal_nan=True)
    assert repr(type(ours).__name__) == repr(type(theirs).__name__) == "'histogram'"


def test_histogram_records_a_node_on_the_inputs_that_require_grad() -> None:
    for lib in (bibun, torch):
        x = lib.tensor([1.0, 2.0, 1.0], requires_grad=True)
        w = lib.ones(3, requires_grad=True)
        hist, edges = lib.histogram(x, 3, weight=w)
        assert _grad_fn(hist) == _grad_fn(edges) == "NotImplemented" and hist.grad_fn is edges.grad_fn
        assert len(hist.grad_fn.next_functions) == 2
        hist, _ = lib.histogram(x.detach(), lib.tensor([0.0, 1.0, 5.0], requires_grad=True))
        assert len(hist.grad_fn.next_functions) == 1
        with pytest.raises(RuntimeError, match="derivative for aten::histogram is not implemented"):
            hist.sum().backward()
        assert lib.histogram(x.detach(), 3).hist.grad_fn is None
    h = bibun.histogram(bibun.tensor([1.0, 2.0, 2.0]), 2)
    assert repr(h) == repr(torch.histogram(torch.tensor([1.0, 2.0, 2.0]), 2)).replace("torch.", "bibun.")


@pytest.mark.parametrize(
    "fn",
    [
        lambda m: m.histogram(m.ones(3), 0),
        lambda m: m.histogram(m.ones(3), -1),
        lambda m: m.histogram(m.ones(3), 2.0),
        lambda m: m.histogram(m.ones(3), True),
        lambda m: m.histogram(m.ones(3), [0.0, 1.0]),
        lambda m: m.histogram([1.0], 2),
        lambda m: m.histogram(m.ones(3), m.tensor([0.0, 1.0]), range=(0.0, 1.0)),
        lambda m: m.histogram(m.ones(3), 3, range=(2.0, 1.0)),
        lambda m: m.histogram(m.ones(3), 3, range=(0.0, 1.0, 2.0)),
        lambda m: m.histogram(m.ones(3), 3, range=(0.0, INF)),
        lambda m: m.histogram(m.ones(3), 3, range=(1e-7, NAN)),
        lambda m: m.histogram(m.tensor([1.0, NAN]), 3),
        lambda m: m.histogram(m.tensor([1.0, INF]), 3),
        lambda m: m.histogram(m.ones(3), m.tensor([0.0, 1.0], dtype=m.float64)),
        lambda m: m.histogram(m.ones(3), m.tensor([[0.0, 1.0]])),
        lambda m: m.histogram(m.ones(3), m.tensor(1.0)),
        lambda m: m.histogram(m.ones(3), m.tensor([1.0])),
        lambda m: m.histogram(m.ones(3), m.tensor([])),
        lambda m: m.histogram(m.ones(3), 3, weight=m.ones(1)),
        lambda m: m.histogram(m.ones(3), 3, weight=m.ones(3, dtype=m.float64)),
        lambda m: m.histogram(m.ones(3), 3, weight=m.tensor([1, 2, 3])),
        lambda m: m.histogram(m.tensor([1, 2]), 2),
        lambda m: m.histogram(m.tensor([1, 2]), 0),
        lambda m: m.histogram(m.tensor([1, 2]), 2, range=(3.0, 1.0)),
        lambda m: m.histogram(m.tensor([1, 2]), m.tensor([0, 1, 2])),
        lambda m: m.histogram(m.tensor([1.0, 2.0], dtype=m.float16), 2),
    ],
    ids=[
        "0 bins",
        "negative bins",
        "float bins",
        "bool bins",
        "list bins",
        "list input",
        "range with bins tensor",
        "range reversed",
        "range of 3",
        "range infinite",
        "range nan",
        "nan data",
        "infinite data",
        "bins dtype",
        "bins 2-d",
        "bins 0-d",
        "one edge",
        "no edges",
        "weight size",
        "weight dtype",
        "weight ints",
        "int input",
        "int input 0 bins",
        "int input range reversed",
        "int input bins tensor",
        "half input",
    ],
)
def test_histogram_errors(fn) -> None:  # noqa: ANN001
    _same_error(fn)


# --- transforms and forward mode ---------------------------------------------------------------------------------
def test_under_func_transforms_as_pytorch() -> None:
    x = np.array([0.7, -1.3, 2.1, 0.4])
    functions = [
        lambda m, r: m.copysign(r, m.tensor([-1.0, 1.0, -0.0, 2.0], dtype=r.dtype)),
        lambda m, r: m.float_power(r, 3),
        lambda m, r: m.ldexp(r, m.tensor([1, 2, 0, 3])),  # negative ones: see the ldexp gradient test
        lambda m, r: m.ldexp(r, r),
        lambda m, r: m.deg2rad(r) * m.rad2deg(r),
        lambda m, r: m.aminmax(r).max + 2 * m.aminmax(r).min,
    ]
    for fn in functions:
        for transform in ("jacrev", "jacfwd"):
            ours = getattr(bibun.func, transform)(lambda r: fn(bibun, r))(bibun.tensor(x))
            theirs = getattr(torch.func, transform)(lambda r: fn(torch, r))(torch.tensor(x))
            np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-14)
        ours = bibun.func.vmap(lambda r: fn(bibun, r))(bibun.tensor(np.stack([x, -x])))
        theirs = torch.func.vmap(lambda r: fn(torch, r))(torch.tensor(np.stack([x, -x])))
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-14)


def test_forward_mode_refused_where_pytorch_refuses() -> None:
    import bibun.autograd.forward_ad as fwAD

    with fwAD.dual_level():
        dual = fwAD.make_dual(bibun.tensor([1.0, 2.0, 2.0]), bibun.ones(3))
        for fn in (lambda: bibun.unique_consecutive(dual), lambda: bibun.histogram(dual, 2)):
            with pytest.raises(NotImplementedError, match="Trying to use forward AD with"):
                fn()
        # Integer and bool results carry no tangent.
        assert fwAD.unpack_dual(bibun.signbit(dual)).tangent is None
        assert fwAD.unpack_dual(bibun.isin(dual, dual)).tangent is None
