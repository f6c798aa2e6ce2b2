"""Database entries for running extremes and order statistics: cummax, cummin, logcumsumexp,
kthvalue, mode, msort, quantile and nanquantile. Differentiable entries draw distinct values
(no ties, so every selection has a unique derivative); the tie and NaN entries compare values
and indices with PyTorch only (tests/test_order_statistics.py compares their gradients)."""

from __future__ import annotations

import numpy as np

from opdb import OpInfo, Sample

S = Sample
M34 = [S(((3, 4),)), S(((2, 3, 4),), "3-d")]
ND = dict(differentiable=False)
INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")


def _distinct(rng: np.random.Generator, shape: tuple) -> np.ndarray:
    count = int(np.prod(shape)) if shape else 1
    return (rng.permutation(count).reshape(shape) * 0.37 - 1.0).astype(np.float64)


def _few_values(rng: np.random.Generator, shape: tuple) -> np.ndarray:
    return rng.integers(-2, 3, size=shape).astype(np.float64)


def _few_values_and_nans(rng: np.random.Generator, shape: tuple) -> np.ndarray:
    x = _few_values(rng, shape)
    x[rng.random(shape) < 0.2] = np.nan
    return x


def _with_nans(rng: np.random.Generator, shape: tuple) -> np.ndarray:
    """Distinct values with every third entry of the first half NaN: no slice along the first
    or last dim is all NaN. A 1-D or 0-d input (a q) keeps its values."""
    x = _distinct(rng, shape)
    if x.ndim < 2:
        return x
    flat = x.reshape(-1)
    flat[1 : max(2, x.size // 2) : 3] = np.nan
    return x


def _q(m, a, values):  # noqa: ANN001, ANN202 - a 1-D q of the input's dtype
    return m.tensor(values, dtype=a.dtype)


OPS = [
    # cummax, cummin
    OpInfo("cummax", lambda m, a: m.cummax(a, 1), M34, "CummaxBackward0", sampler=_distinct, covers=("Tensor.cummax",)),
    OpInfo("cummax_dim0", lambda m, a: a.cummax(0), M34, "CummaxBackward0", sampler=_distinct),
    OpInfo("cummax_0d", lambda m, a: m.cummax(a, -1), [S(((),))], "CummaxBackward0"),
    OpInfo(
        "cummin", lambda m, a: m.cummin(a, -1), M34, "CumminBackward0", sampler=_distinct, covers=("Tensor.cummin",)
    ),
    OpInfo("cummin_dim0", lambda m, a: a.cummin(0), M34, "CumminBackward0", sampler=_distinct),
    OpInfo("cummin_0d", lambda m, a: a.cummin(0), [S(((),))], "CumminBackward0"),
    OpInfo(
        "cummax_cummin_ties",
        lambda m, a: (*m.cummax(a, 1), *m.cummin(a, 0)),
        [S(((4, 9),)), S(((7, 3),))],
        sampler=_few_values_and_nans,
        **ND,
    ),
    # logcumsumexp
    OpInfo(
        "logcumsumexp",
        lambda m, a: m.logcumsumexp(a, 1),
        M34,
        "LogcumsumexpBackward0",
        covers=("Tensor.logcumsumexp",),
    ),
    OpInfo(
        "logcumsumexp_more",
        lambda m, a: a.logcumsumexp(0),
        [S(((),), "0-d"), S(((0, 3),), "empty"), S(((5,),))],
        "LogcumsumexpBackward0",
    ),
    # exp overflows float32 here and float64 in the next entry; the running log-add-exp does not.
    OpInfo(
        "logcumsumexp_large", lambda m, a: m.logcumsumexp(a, -1), M34, "LogcumsumexpBackward0", domain=(80.0, 120.0)
    ),
    OpInfo(
        "logcumsumexp_spread",
        lambda m, a: m.logcumsumexp(a * 400.0, 0),
        [S(((6, 2),))],
        "LogcumsumexpBackward0",
        fd_eps=1e-8,
    ),
    # kthvalue, mode, msort
    OpInfo(
        "kthvalue",
        lambda m, a: m.kthvalue(a, 2),
        M34,
        "KthvalueBackward0",
        sampler=_distinct,
        covers=("Tensor.kthvalue",),
    ),
    OpInfo("kthvalue_dim_keepdim", lambda m, a: a.kthvalue(2, 0, keepdim=True), M34, "KthvalueBackward0"),
    OpInfo("kthvalue_last", lambda m, a: m.kthvalue(a, 4, dim=-1), M34, "KthvalueBackward0", sampler=_distinct),
    OpInfo("kthvalue_0d", lambda m, a: m.kthvalue(a, 1), [S(((),))], "KthvalueBackward0"),
    OpInfo(
        "kthvalue_ties",
        lambda m, a: (*m.kthvalue(a, 1), *m.kthvalue(a, 4, 0), *a.kthvalue(9, keepdim=True)),
        [S(((5, 9),)), S(((6, 20),), "longer rows")],
        sampler=_few_values_and_nans,
        **ND,
    ),
    OpInfo("mode", lambda m, a: m.mode(a), M34, "ModeBackward0", sampler=_distinct, covers=("Tensor.mode",)),
    OpInfo("mode_dim_keepdim", lambda m, a: a.mode(0, keepdim=True), M34, "ModeBackward0", sampler=_distinct),
    OpInfo("mode_0d", lambda m, a: m.mode(a), [S(((),))], "ModeBackward0"),
    OpInfo(
        "mode_ties",
        lambda m, a: (*m.mode(a), *m.mode(a, 0)),
        [S(((5, 9),)), S(((40, 30),), "past 16 entries"), S(((3, 4),))],
        sampler=_few_values,
        **ND,
    ),
    OpInfo(
        "mode_ties_nans",
        lambda m, a: (*m.mode(a), *a.mode(0, keepdim=True)),
        [S(((5, 9),)), S(((20, 30),), "past 16 entries")],
        sampler=_few_values_and_nans,
        **ND,
    ),
    OpInfo("mode_ints", lambda m, a: (*m.mode((a * 2).to(m.int64)),), [S(((4, 25),))], sampler=_few_values, **ND),
    OpInfo("msort", lambda m, a: m.msort(a), M34 + [S(((),), "0-d")], "SortBackward0", covers=("Tensor.msort",)),
    # quantile, nanquantile: PyTorch's composition ends in SqueezeBackward4 (docs/order-statistics.md)
    OpInfo(
        "quantile",
        lambda m, a: m.quantile(a, 0.3),
        M34 + [S(((),), "0-d"), S(((5,),), "1-d")],
        "SqueezeBackward4",
        covers=("Tensor.quantile",),
    ),
    OpInfo("quantile_dim", lambda m, a: a.quantile(0.62, dim=1), M34, "SqueezeBackward4"),
    OpInfo("quantile_dim0_keepdim", lambda m, a: m.quantile(a, 0.45, 0, True), M34, "SqueezeBackward4"),
    OpInfo("quantile_ends", lambda m, a: (m.quantile(a, 0.0, -1), m.quantile(a, 1, -1)), M34, "SqueezeBackward4"),
    OpInfo(
        "quantile_q_tensor",
        lambda m, a: m.quantile(a, _q(m, a, [0.1, 0.5, 0.93]), dim=-1, keepdim=True),
        M34,
        "SqueezeBackward4",
    ),
    OpInfo(
        "quantile_q_tensor_all",
        lambda m, a: a.quantile(_q(m, a, [0.25, 0.8])),
        [S(((3, 4),)), S(((),), "0-d")],
        "SqueezeBackward4",
    ),
    OpInfo("quantile_q_0d_tensor", lambda m, a: m.quantile(a, _q(m, a, 0.4), 1), M34, "SqueezeBackward4"),
    # The gradient reaches q too: through the weight of the linear interpolation.
    OpInfo(
        "quantile_q_grad",
        lambda m, a, b: m.quantile(a, m.sigmoid(b), dim=1),
        [S(((3, 5), (4,))), S(((2, 7), ()), "0-d q")],
        "SqueezeBackward4",
    ),
    OpInfo(
        "nanquantile_q_grad",
        lambda m, a, b: m.nanquantile(a, m.sigmoid(b), dim=0, keepdim=True),
        [S(((4, 5), (3,)))],
        "SqueezeBackward4",
        sampler=_with_nans,
    ),
    OpInfo(
        "nanquantile",
        lambda m, a: m.nanquantile(a, 0.3, dim=0),
        M34,
        "SqueezeBackward4",
        sampler=_with_nans,
        covers=("Tensor.nanquantile",),
    ),
    OpInfo(
        "nanquantile_all",
        lambda m, a: a.nanquantile(_q(m, a, [0.0, 0.35, 1.0])),
        M34,
        "SqueezeBackward4",
        sampler=_with_nans,
    ),
    OpInfo("nanquantile_no_nan", lambda m, a: m.nanquantile(a, 0.7, 1, True), M34, "SqueezeBackward4"),
    OpInfo(
        "quantile_nan_ties",
        lambda m, a: (m.quantile(a, 0.4, 1), m.nanquantile(a, _q(m, a, [0.1, 0.9]), 0), m.nanquantile(a, 0.5)),
        [S(((5, 6),)), S(((3, 4),))],
        sampler=_few_values_and_nans,
        **ND,
    ),
]

# Every interpolation, along a dim and over everything, with a 0-d and a 1-D q.
OPS += [
    OpInfo(
        f"{name}_{mode}",
        (
            lambda fname, how: (
                lambda m, a: (
                    getattr(m, fname)(a, 0.55, dim=-1, interpolation=how),
                    getattr(m, fname)(a, _q(m, a, [0.0, 0.2, 0.5, 0.75, 1.0]), interpolation=how),
                )
            )
        )(name, mode),
        M34,
        "SqueezeBackward4",
        sampler=_with_nans if name == "nanquantile" else "uniform",
    )
    for name in ("quantile", "nanquantile")
    for mode in INTERPOLATIONS
]
