"""Database entries for ops/elementwise_extra.py: copysign, float_power, deg2rad, rad2deg,
signbit, sgn, ldexp (differentiable), aminmax, and the integer, bool or histogram results
of gcd, lcm, isin, argwhere, unique_consecutive and histogram (values only). Signs of zero,
NaN and ties are in tests/test_elementwise_extra.py."""

from __future__ import annotations

import numpy as np

from opdb import OpInfo, Sample

S = Sample
UNARY = [S(((3, 4),)), S(((),), "0-d"), S(((2, 0),), "empty")]
BINARY = [
    S(((3, 4), (3, 4))),
    S(((3, 4), (4,)), "broadcast"),
    S(((), (2, 3)), "0-d with matrix"),
    S(((2, 1, 3), (4, 1)), "both broadcast"),
    S(((0, 3), (3,)), "empty"),
]
M34 = [S(((3, 4),)), S(((2, 3, 4),), "3-d")]
ND = dict(differentiable=False)
SIGNED_SPECIALS = S(
    ((8,),), "signed zeros, infinities, NaN", arrays=([0.0, -0.0, 1.5, -2.5, np.inf, -np.inf, np.nan, -np.nan],)
)


def _positive(rng: np.random.Generator, shape: tuple) -> np.ndarray:
    return rng.uniform(0.5, 2.5, size=shape)


def _away_from_zero(rng: np.random.Generator, shape: tuple) -> np.ndarray:
    # Signs do not flip under the finite-difference step.
    return rng.uniform(0.3, 2.0, size=shape) * rng.choice([-1, 1], size=shape)


def _distinct(rng: np.random.Generator, shape: tuple) -> np.ndarray:
    # No ties: the extremes have a unique derivative.
    count = int(np.prod(shape)) if shape else 1
    return (rng.permutation(count).reshape(shape) * 0.37 - 1.0).astype(np.float64)


def _few_values(rng: np.random.Generator, shape: tuple) -> np.ndarray:
    return rng.integers(-2, 3, size=shape).astype(np.float64)


def _ints(m, a, scale=3):  # noqa: ANN001, ANN202 - an int64 tensor made from a float one
    return (a * scale).to(m.int64)


def _unary(name: str, grad_fn: str, sampler=None) -> OpInfo:  # noqa: ANN001
    return OpInfo(
        name,
        (lambda n: lambda m, a: getattr(m, n)(a))(name),
        UNARY,
        grad_fn,
        sampler=sampler or "uniform",
        covers=(f"Tensor.{name}",),
    )


OPS = [
    # copysign
    OpInfo(
        "copysign",
        lambda m, a, b: m.copysign(a, b),
        BINARY,
        "CopysignBackward0",
        sampler=_away_from_zero,
        covers=("Tensor.copysign",),
    ),
    OpInfo("copysign_scalar", lambda m, a: m.copysign(a, -1.5), UNARY, "CopysignBackward1", sampler=_away_from_zero),
    OpInfo(
        "copysign_negative_zero", lambda m, a: a.copysign(-0.0), UNARY, "CopysignBackward1", sampler=_away_from_zero
    ),
    OpInfo(
        "copysign_int_other",
        lambda m, a, b: m.copysign(a, _ints(m, b)),
        BINARY[:2],
        "CopysignBackward0",
        sampler=_away_from_zero,
        nondiff_args=(1,),
    ),  # fmt: skip
    OpInfo("copysign_ints", lambda m, a, b: m.copysign(_ints(m, a), _ints(m, b)), BINARY[:2], **ND),
    OpInfo("copysign_specials", lambda m, a: (m.copysign(a, -1.0), m.copysign(m.ones(8), a)), [SIGNED_SPECIALS], **ND),
    # float_power: a cast to float64, then pow
    OpInfo(
        "float_power",
        lambda m, a: m.float_power(a, 2.5),
        UNARY,
        "PowBackward0",
        sampler=_positive,
        covers=("Tensor.float_power",),
    ),
    OpInfo("float_power_int_exponent", lambda m, a: a.float_power(3), UNARY, "PowBackward0"),
    OpInfo("float_power_tensor", lambda m, a, b: m.float_power(a, b), BINARY, "PowBackward1", sampler=_positive),
    OpInfo("float_power_number_base", lambda m, a: m.float_power(1.5, a), UNARY, "PowBackward2"),
    OpInfo(
        "float_power_ints", lambda m, a, b: m.float_power(_ints(m, a), _ints(m, b)), BINARY[:2], sampler=_positive, **ND
    ),
    # deg2rad, rad2deg
    _unary("deg2rad", "Deg2RadBackward0"),
    _unary("rad2deg", "Rad2DegBackward0"),
    OpInfo("deg2rad_ints", lambda m, a: (m.deg2rad(_ints(m, a, 90)), m.rad2deg(a > 0)), M34, **ND),
    # signbit, sgn
    OpInfo("signbit", lambda m, a: m.signbit(a), UNARY + [SIGNED_SPECIALS], covers=("Tensor.signbit",), **ND),
    OpInfo("signbit_ints", lambda m, a: (m.signbit(_ints(m, a)), a.signbit(), m.signbit(a > 0)), M34, **ND),
    # PyTorch hands back sgn's gradient as a ZeroTensor, which cannot be read as an array; a
    # where in front (whose backward materializes it) leaves the values and grad_fn as they are.
    OpInfo(
        "sgn",
        lambda m, a: m.sgn(a),
        UNARY,
        "SgnBackward0",
        sampler=_away_from_zero,
        torch_fn=lambda m, a: m.sgn(m.where(a == a, a, a)),
        covers=("Tensor.sgn",),
    ),
    OpInfo("sgn_specials", lambda m, a: m.sgn(a), [SIGNED_SPECIALS], **ND),
    OpInfo("sgn_ints", lambda m, a: (m.sgn(_ints(m, a)), m.sgn(a > 0)), M34, **ND),
    # ldexp: integer exponents keep the input's dtype; float exponents promote as a product
    OpInfo(
        "ldexp",
        lambda m, a: m.ldexp(a, m.tensor([0, 3, 1, 2])),
        [S(((3, 4),)), S(((2, 0, 4),), "empty")],
        "LdexpBackward0",
        covers=("Tensor.ldexp",),
    ),
    OpInfo("ldexp_0d", lambda m, a: a.ldexp(m.tensor(5, dtype=m.int32)), [S(((),))], "LdexpBackward0"),
    # Negative integer exponents: PyTorch 2.13's gradient there is 0 (a bug, see
    # docs/ops.md); its float-exponent path, the same function, is the reference.
    OpInfo(
        "ldexp_negative_exponents",
        lambda m, a: m.ldexp(a, m.tensor([-1, -3, 0, 2])),
        [S(((3, 4),))],
        "LdexpBackward0",
        torch_fn=lambda m, a: m.ldexp(a, m.tensor([-1.0, -3.0, 0.0, 2.0])),
    ),
    OpInfo("ldexp_float_exponent", lambda m, a, b: m.ldexp(a, b), BINARY, "LdexpBackward0"),
    OpInfo(
        "ldexp_int_input",
        lambda m, a, b: m.ldexp(_ints(m, a), b),
        BINARY[:2],
        "LdexpBackward0",
        nondiff_args=(0,),
    ),
    OpInfo("ldexp_ints", lambda m, a, b: m.ldexp(_ints(m, a), _ints(m, b)), BINARY[:2], **ND),
    # gcd, lcm, isin
    OpInfo(
        "gcd_lcm",
        lambda m, a, b: (m.gcd(_ints(m, a, 10), _ints(m, b, 10)), a.to(m.int32).lcm(_ints(m, b, 10))),
        BINARY[:4],
        covers=("gcd", "lcm", "Tensor.gcd", "Tensor.lcm"),
        **ND,
    ),
    OpInfo(
        "isin", lambda m, a, b: m.isin(a, b), [S(((3, 4), (5,))), S(((), (2, 3)), "0-d")], sampler=_few_values, **ND
    ),
    OpInfo(
        "isin_forms",
        lambda m, a, b: (
            m.isin(a, b, invert=True),
            m.isin(a, 1.0),
            m.isin(2, b),
            m.isin(_ints(m, a, 1), b * 0.5),
            m.isin(a, b, assume_unique=True),
        ),
        [S(((3, 4), (5,)))],
        sampler=_few_values,
        **ND,
    ),
    # aminmax
    OpInfo(
        "aminmax",
        lambda m, a: m.aminmax(a),
        [S(((3, 4),)), S(((),), "0-d")],
        "AminmaxBackward0",
        sampler=_distinct,
        covers=("Tensor.aminmax",),
    ),
    OpInfo("aminmax_dim", lambda m, a: m.aminmax(a, dim=1), M34, "AminmaxBackward0", sampler=_distinct),
    OpInfo("aminmax_keepdim", lambda m, a: a.aminmax(dim=-1, keepdim=True), M34, "AminmaxBackward0", sampler=_distinct),
    OpInfo("aminmax_all_keepdim", lambda m, a: m.aminmax(a, keepdim=True), M34, "AminmaxBackward0", sampler=_distinct),
    OpInfo("aminmax_min_only", lambda m, a: m.aminmax(a, dim=0).min, M34, "AminmaxBackward0", sampler=_distinct),
    OpInfo("aminmax_ties", lambda m, a: m.aminmax(a, dim=0), M34, sampler=_few_values, **ND),
    OpInfo("aminmax_ints", lambda m, a: (*m.aminmax(_ints(m, a)), *m.aminmax(a > 0, dim=1)), M34, **ND),
    # argwhere, unique_consecutive, histogram
    OpInfo(
        "argwhere",
        lambda m, a: m.argwhere(a),
        M34 + [S(((),), "0-d")],
        sampler=_few_values,
        covers=("Tensor.argwhere",),
        **ND,
    ),
    OpInfo(
        "unique_consecutive",
        lambda m, a: m.unique_consecutive(a),
        [S(((12,),)), S(((3, 4),), "2-d")],
        sampler=_few_values,
        covers=("Tensor.unique_consecutive",),
        **ND,
    ),
    OpInfo(
        "unique_consecutive_all",
        lambda m, a: a.unique_consecutive(return_inverse=True, return_counts=True),
        [S(((3, 4),)), S(((),), "0-d"), S(((0, 2),), "empty")],
        sampler=_few_values,
        **ND,
    ),
    OpInfo(
        "unique_consecutive_dim",
        lambda m, a: m.unique_consecutive(m.cat([a, a, a[:1]], 0), return_inverse=True, return_counts=True, dim=0),
        [S(((2, 3),)), S(((2, 3, 2),), "3-d")],
        sampler=_few_values,
        **ND,
    ),
    OpInfo(
        "histogram",
        lambda m, a: m.histogram(a, 7),
        M34 + [S(((0,),), "empty"), S(((),), "0-d")],
        covers=("Tensor.histogram",),
        **ND,
    ),
    OpInfo(
        "histogram_forms",
        lambda m, a, w: (
            *m.histogram(a, 4, range=(-1.0, 1.5), weight=w),
            *a.histogram(m.tensor([-2.0, -0.5, 0.0, 0.25, 2.0], dtype=a.dtype), density=True),
            *m.histogram(a, 5, weight=w, density=True),
        ),
        [S(((3, 4), (3, 4))), S(((12,), (3, 4)), "weight of another shape")],
        **ND,
    ),
]
