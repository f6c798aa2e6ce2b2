"""Database entries for the elementwise families: unary math (ops/unary.py), binary math
(ops/binary.py) and the elementwise ops of ops/elementwise.py not covered in core.py.
Samples include broadcasting pairs, 0-d, empty and non-contiguous (transposed) inputs."""

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


def _positive(rng: np.random.Generator, shape: tuple) -> np.ndarray:
    return rng.uniform(0.5, 2.5, size=shape)


def _unit(rng: np.random.Generator, shape: tuple) -> np.ndarray:
    return rng.uniform(-0.9, 0.9, size=shape)


def _probability(rng: np.random.Generator, shape: tuple) -> np.ndarray:
    return rng.uniform(0.05, 0.95, size=shape)


def _above_one(rng: np.random.Generator, shape: tuple) -> np.ndarray:
    return rng.uniform(1.2, 3.0, size=shape)


def _away_from_integers(rng: np.random.Generator, shape: tuple) -> np.ndarray:
    # x.5 +- 0.3: rounding is locally constant, so finite differences see its zero derivative.
    return rng.integers(-3, 3, size=shape) + 0.5 + rng.uniform(-0.3, 0.3, size=shape)


def _transposed(m, a):  # noqa: ANN001, ANN202 - a non-contiguous view of the input
    return a.t() if a.dim() == 2 else a


def _unary(name: str, grad_fn: str, sampler=None, covers=(), **kw) -> OpInfo:  # noqa: ANN001
    return OpInfo(
        name,
        (lambda n: lambda m, a: getattr(m, n)(a))(name),
        UNARY,
        grad_fn,
        sampler=sampler or "uniform",
        covers=tuple(covers) + (f"Tensor.{name}",),
        **kw,
    )


OPS = [
    _unary("exp2", "Exp2Backward0"),
    _unary("expm1", "Expm1Backward0"),
    _unary("log2", "Log2Backward0", _positive),
    _unary("log10", "Log10Backward0", _positive),
    _unary("log1p", "Log1PBackward0", _positive),
    _unary("rsqrt", "RsqrtBackward0", _positive),
    _unary("asin", "AsinBackward0", _unit, covers=("arcsin",)),
    _unary("acos", "AcosBackward0", _unit, covers=("arccos",)),
    _unary("atan", "AtanBackward0", covers=("arctan",)),
    _unary("sinh", "SinhBackward0"),
    _unary("cosh", "CoshBackward0"),
    _unary("asinh", "AsinhBackward0", covers=("arcsinh",)),
    _unary("acosh", "AcoshBackward0", _above_one, covers=("arccosh",)),
    _unary("atanh", "AtanhBackward0", _unit, covers=("arctanh",)),
    _unary("erf", "ErfBackward0"),
    _unary("erfc", "ErfcBackward0"),
    _unary("erfinv", "ErfinvBackward0", _unit),
    _unary("logit", "LogitBackward0", _probability),
    OpInfo(
        "logit_eps",
        lambda m, a: m.logit(a, eps=0.2),
        UNARY,
        "LogitBackward0",
        sampler=lambda rng, shape: (
            rng.choice([0.05, 0.1, 0.3, 0.45, 0.6, 0.9, 0.95], size=shape) + rng.uniform(-0.01, 0.01, size=shape)
        ),
    ),
    _unary("floor", "FloorBackward0", _away_from_integers),
    _unary("ceil", "CeilBackward0", _away_from_integers),
    _unary("trunc", "TruncBackward0", _away_from_integers, covers=("fix",)),
    _unary("round", "RoundBackward0", _away_from_integers),
    OpInfo(
        "round_decimals",
        lambda m, a: m.round(a, decimals=1),
        UNARY,
        "RoundBackward1",
        sampler=lambda rng, shape: rng.integers(-30, 30, size=shape) / 10 + 0.05 + rng.uniform(-0.02, 0.02, shape),
    ),
    _unary("frac", "FracBackward0", _away_from_integers),
    _unary("nan_to_num", "NanToNumBackward0"),
    OpInfo(
        "nan_to_num_special",
        lambda m, a: m.nan_to_num(
            m.where(m.tensor([False, True, True, True]), m.tensor([0.0, np.inf, -np.inf, np.nan], dtype=a.dtype), a),
            nan=1.5,
            posinf=9.0,
            neginf=-7.0,
        ),
        [S(((4,),))],
        "NanToNumBackward0",
        second_order=True,
    ),
    OpInfo("exp_transposed", lambda m, a: m.exp(_transposed(m, a)), [S(((3, 4),))], "ExpBackward0"),
    OpInfo("erf_sliced", lambda m, a: m.erf(a[:, ::2]), [S(((3, 4),))], "ErfBackward0"),
    # binary
    OpInfo("atan2", lambda m, a, b: m.atan2(a, b), BINARY, "Atan2Backward0", covers=("arctan2", "Tensor.atan2")),
    OpInfo("hypot", lambda m, a, b: m.hypot(a, b), BINARY, "HypotBackward0", covers=("Tensor.hypot",)),
    OpInfo("logaddexp", lambda m, a, b: m.logaddexp(a, b), BINARY, "LogaddexpBackward0"),
    OpInfo("logaddexp2", lambda m, a, b: m.logaddexp2(a, b), BINARY, "Logaddexp2Backward0"),
    OpInfo("xlogy", lambda m, a, b: m.xlogy(a, b), BINARY, "XlogyBackward0", sampler=_positive),
    OpInfo("xlogy_scalar_self", lambda m, b: m.xlogy(2.0, b), UNARY, "XlogyBackward1", sampler=_positive),
    OpInfo("xlogy_scalar_other", lambda m, a: m.xlogy(a, 3.0), UNARY, "XlogyBackward2"),
    OpInfo("fmax", lambda m, a, b: m.fmax(a, b), BINARY, "FmaxBackward0"),
    OpInfo("fmin", lambda m, a, b: m.fmin(a, b), BINARY, "FminBackward0"),
    OpInfo("lerp", lambda m, a, b: m.lerp(a, b, 0.3), BINARY[:4], "LerpBackward0", covers=("Tensor.lerp",)),
    OpInfo("lerp_large_weight", lambda m, a, b: m.lerp(a, b, 0.8), BINARY[:2], "LerpBackward0"),
    OpInfo(
        "lerp_tensor",
        lambda m, a, b, w: m.lerp(a, b, w),
        [S(((3, 4), (3, 4), (3, 4))), S(((3, 4), (4,), ()), "broadcast")],
        "LerpBackward1",
    ),
    OpInfo(
        "addcmul",
        lambda m, a, b, c: m.addcmul(a, b, c, value=0.5),
        [S(((3, 4), (3, 4), (3, 4))), S(((3, 1), (4,), (3, 4)), "broadcast"), S(((), (2,), ()), "0-d")],
        "AddcmulBackward0",
        covers=("Tensor.addcmul",),
    ),
    OpInfo(
        "addcdiv",
        lambda m, a, b, c: m.addcdiv(a, b, c, value=-2.0),
        [S(((3, 4), (3, 4), (3, 4))), S(((3, 1), (4,), (3, 4)), "broadcast")],
        "AddcdivBackward0",
        sampler=_positive,
        covers=("Tensor.addcdiv",),
    ),
    OpInfo(
        "remainder",
        lambda m, a, b: m.remainder(a, b),
        BINARY[:4],
        "RemainderBackward1",
        sampler=lambda rng, shape: (
            rng.choice([-1, 1], size=shape) * rng.uniform(0.6, 0.9, size=shape) + rng.integers(-2, 3, size=shape) * 2.0
        ),
        covers=("Tensor.__mod__", "Tensor.remainder"),
    ),
    OpInfo(
        "remainder_scalar",
        lambda m, a: a % 1.5,
        UNARY,
        "RemainderBackward0",
        sampler=lambda rng, shape: rng.integers(-3, 3, size=shape) * 1.5 + rng.uniform(0.2, 1.3, size=shape),
    ),
    OpInfo(
        "fmod",
        lambda m, a, b: m.fmod(a, b),
        BINARY[:4],
        "FmodBackward1",
        sampler=lambda rng, shape: (
            rng.choice([-1, 1], size=shape) * rng.uniform(0.6, 0.9, size=shape) + rng.integers(-2, 3, size=shape) * 2.0
        ),
    ),
    OpInfo(
        "fmod_scalar",
        lambda m, a: m.fmod(a, 1.5),
        UNARY,
        "FmodBackward0",
        sampler=lambda rng, shape: rng.integers(-3, 3, size=shape) * 1.5 + rng.uniform(0.2, 1.3, size=shape),
    ),
    OpInfo(
        "floor_divide",
        lambda m, a, b: m.floor_divide(a, b),
        BINARY[:3],
        differentiable=False,
        covers=("Tensor.__floordiv__", "Tensor.__rfloordiv__", "Tensor.floor_divide"),
    ),
    OpInfo(
        "clamp_tensor",
        lambda m, a, lo, hi: m.clamp(a, lo, hi),
        [S(((3, 4), (3, 4), (3, 4))), S(((3, 4), (4,), ()), "broadcast bounds")],
        "ClampBackward0",
        sampler=lambda rng, shape: rng.uniform(-2, 2, size=shape),
    ),
    OpInfo("clamp_tensor_min", lambda m, a, lo: m.clamp(a, min=lo), BINARY[:4], "ClampBackward0"),
    OpInfo("clamp_tensor_max", lambda m, a, hi: m.clamp(a, max=hi), BINARY[:4], "ClampBackward0"),
    OpInfo("clamp_min_only", lambda m, a: m.clamp(a, min=0.1), UNARY, "ClampBackward1"),
    OpInfo("clamp_sliced", lambda m, a: a[::2].clamp(-0.5, 0.5), [S(((5, 3),))], "ClampBackward1"),
    OpInfo("mul_transposed", lambda m, a, b: _transposed(m, a) * b, [S(((4, 3), (3, 4)))], "MulBackward0"),
    OpInfo("div_rounding_trunc", lambda m, a, b: m.div(a, b, rounding_mode="trunc"), BINARY[:2], "DivBackward2"),
    # not differentiable
    OpInfo("isnan", lambda m, a: m.isnan(m.log(a)), UNARY, differentiable=False, covers=("Tensor.isnan",)),
    OpInfo("isinf", lambda m, a: m.isinf(1 / m.floor(a)), UNARY, differentiable=False),
    OpInfo("isfinite", lambda m, a: m.isfinite(m.log(a)), UNARY, differentiable=False),
    OpInfo("isposinf", lambda m, a: m.isposinf(1 / m.floor(a)), UNARY, differentiable=False),
    OpInfo("isneginf", lambda m, a: m.isneginf(1 / m.floor(a)), UNARY, differentiable=False),
]
