"""Database entries for reductions and scans: prod, var/std (with correction), var_mean,
std_mean, logsumexp, vector norms, cumsum/cumprod, all/any, and more dim/keepdim forms of
the core reductions. Inputs with zeros exercise prod's and cumprod's exact zero paths."""

from __future__ import annotations

import numpy as np

from opdb import OpInfo, Sample

S = Sample
MATRIX = [S(((3, 4),)), S(((2, 3, 4),), "3-d")]


def _with_zeros(rng: np.random.Generator, shape: tuple) -> np.ndarray:
    x = rng.uniform(0.5, 1.5, size=shape) * rng.choice([-1, 1], size=shape)
    if x.size:
        x.reshape(-1)[:: max(1, x.size // 2)] = 0.0  # one or two zeros, somewhere
    return x


def _one_zero(rng: np.random.Generator, shape: tuple) -> np.ndarray:
    x = rng.uniform(0.5, 1.5, size=shape) * rng.choice([-1, 1], size=shape)
    if x.size:
        x.reshape(-1)[x.size // 3] = 0.0
    return x


def _distinct(rng: np.random.Generator, shape: tuple) -> np.ndarray:
    count = int(np.prod(shape)) if shape else 1
    return (rng.permutation(count).reshape(shape) * 0.37 - 1.0).astype(np.float64)


def _away_from_zero(rng: np.random.Generator, shape: tuple) -> np.ndarray:
    return rng.uniform(0.3, 1.5, size=shape) * rng.choice([-1, 1], size=shape)


def _with_nans(rng: np.random.Generator, shape: tuple) -> np.ndarray:
    """Every third entry of the first half NaN: no slice along the first dimension is all NaN
    (that case, a NaN gradient, is in tests/test_ties.py)."""
    x = rng.uniform(-2.0, 2.0, size=shape)
    flat = x.reshape(-1)
    flat[1 : max(2, x.size // 2) : 3] = np.nan
    return x


OPS = [
    OpInfo(
        "nansum", lambda m, a: m.nansum(a), MATRIX, "NansumBackward0", sampler=_with_nans, covers=("Tensor.nansum",)
    ),
    OpInfo("nansum_dim", lambda m, a: a.nansum(1, keepdim=True), MATRIX, "NansumBackward0", sampler=_with_nans),
    OpInfo("nansum_no_nan", lambda m, a: m.nansum(a, (0, -1)), MATRIX, "NansumBackward0"),
    OpInfo(
        "nanmean",
        lambda m, a: m.nanmean(a, 0),
        MATRIX,
        "DivBackward0",
        sampler=_with_nans,
        covers=("Tensor.nanmean",),
    ),
    OpInfo("nanmean_all", lambda m, a: a.nanmean(), MATRIX, "DivBackward0", sampler=_with_nans),
    OpInfo("prod", lambda m, a: m.prod(a), [S(((3, 4),)), S(((),), "0-d"), S(((0, 2),), "empty")], "ProdBackward0"),
    OpInfo("prod_dim", lambda m, a: a.prod(1), MATRIX, "ProdBackward1", covers=("Tensor.prod",)),
    OpInfo("prod_keepdim", lambda m, a: m.prod(a, -1, keepdim=True), MATRIX, "ProdBackward1"),
    OpInfo("prod_one_zero", lambda m, a: m.prod(a), [S(((3, 4),))], "ProdBackward0", sampler=_one_zero),
    OpInfo("prod_zeros", lambda m, a: m.prod(a, 0), [S(((4, 3),))], "ProdBackward1", sampler=_with_zeros),
    OpInfo("prod_zeros_all", lambda m, a: m.prod(a), [S(((2, 3),))], "ProdBackward0", sampler=_with_zeros),
    OpInfo("var", lambda m, a: m.var(a), [S(((3, 4),)), S(((5,),))], "VarBackward0", covers=("Tensor.var",)),
    OpInfo("var_dim", lambda m, a: a.var(1, keepdim=True), MATRIX, "VarBackward0"),
    OpInfo("var_correction0", lambda m, a: m.var(a, (0, -1), correction=0), MATRIX, "VarBackward0"),
    OpInfo("var_unbiased_false", lambda m, a: m.var(a, 0, unbiased=False), MATRIX, "VarBackward0"),
    OpInfo("std", lambda m, a: m.std(a), [S(((3, 4),))], "StdBackward0", covers=("Tensor.std",)),
    OpInfo("std_dim", lambda m, a: a.std(-1, correction=2), MATRIX, "StdBackward0"),
    OpInfo("var_mean", lambda m, a: m.var_mean(a, 1), MATRIX, "VarMeanBackward0"),
    OpInfo("std_mean", lambda m, a: m.std_mean(a, correction=0), [S(((3, 4),))], "StdMeanBackward0"),
    OpInfo(
        "logsumexp",
        lambda m, a: m.logsumexp(a, 1),
        MATRIX + [S(((0, 3),), "empty")],
        "LogsumexpBackward0",
        covers=("Tensor.logsumexp",),
    ),
    OpInfo("logsumexp_dims", lambda m, a: a.logsumexp((0, 2), keepdim=True), [S(((2, 3, 4),))], "LogsumexpBackward0"),
    OpInfo("logsumexp_0d", lambda m, a: m.logsumexp(a, 0), [S(((),))], "LogsumexpBackward0"),
    OpInfo(
        "norm",
        lambda m, a: a.norm(),
        [S(((3, 4),)), S(((),), "0-d")],
        "LinalgVectorNormBackward0",
        covers=("Tensor.norm",),
    ),
    OpInfo("norm_dim", lambda m, a: m.norm(a, dim=1, keepdim=True), MATRIX, "LinalgVectorNormBackward0"),
    OpInfo("norm_p1", lambda m, a: m.norm(a, 1), MATRIX, "LinalgVectorNormBackward0", sampler=_away_from_zero),
    OpInfo("norm_p3", lambda m, a: m.norm(a, 3, dim=0), MATRIX, "LinalgVectorNormBackward0"),
    OpInfo(
        "norm_p_half", lambda m, a: m.norm(a, 0.5), [S(((3, 4),))], "LinalgVectorNormBackward0", sampler=_away_from_zero
    ),
    OpInfo(
        "norm_inf", lambda m, a: m.norm(a, float("inf"), dim=1), MATRIX, "LinalgVectorNormBackward0", sampler=_distinct
    ),
    OpInfo(
        "norm_neg_inf",
        lambda m, a: m.norm(a, -float("inf")),
        [S(((3, 4),))],
        "LinalgVectorNormBackward0",
        sampler=_distinct,
    ),
    OpInfo("norm_p0", lambda m, a: m.norm(a, 0, dim=1), MATRIX, "LinalgVectorNormBackward0", second_order=False),
    OpInfo("norm_transposed", lambda m, a: a.t().norm(dim=0), [S(((3, 4),))], "LinalgVectorNormBackward0"),
    OpInfo("cumsum", lambda m, a: m.cumsum(a, 1), MATRIX, "CumsumBackward0", covers=("Tensor.cumsum",)),
    OpInfo("cumsum_0d", lambda m, a: a.cumsum(0), [S(((),)), S(((0, 3),), "empty")], "CumsumBackward0"),
    OpInfo("cumsum_sliced", lambda m, a: a[:, ::2].cumsum(-1), [S(((3, 6),))], "CumsumBackward0"),
    OpInfo("cumprod", lambda m, a: m.cumprod(a, 1), MATRIX, "CumprodBackward0", covers=("Tensor.cumprod",)),
    OpInfo("cumprod_zeros", lambda m, a: a.cumprod(0), [S(((4, 3),))], "CumprodBackward0", sampler=_with_zeros),
    OpInfo("cumprod_0d", lambda m, a: m.cumprod(a, -1), [S(((),))], "CumprodBackward0"),
    OpInfo("sum_transposed", lambda m, a: a.t().sum(0), [S(((3, 4),))], "SumBackward1"),
    OpInfo("mean_dims", lambda m, a: m.mean(a, (0, 2)), [S(((2, 3, 4),))], "MeanBackward1"),
    OpInfo(
        "amax_dims_keepdim",
        lambda m, a: m.amax(a, (0, 2), keepdim=True),
        [S(((2, 3, 4),))],
        "AmaxBackward0",
        sampler=_distinct,
    ),
    OpInfo(
        "max_dim_keepdim", lambda m, a: m.max(a, -1, keepdim=True).values, MATRIX, "MaxBackward0", sampler=_distinct
    ),
    # not differentiable
    OpInfo("all", lambda m, a: m.all(a > 0), MATRIX, differentiable=False, covers=("Tensor.all",)),
    OpInfo("all_dim", lambda m, a: (a > -1.5).all(1), MATRIX, differentiable=False),
    OpInfo("any", lambda m, a: m.any(a > 1.5), MATRIX, differentiable=False, covers=("Tensor.any",)),
    OpInfo("any_dim_keepdim", lambda m, a: m.any(a > 1, 0, keepdim=True), MATRIX, differentiable=False),
    OpInfo(
        "argmax_keepdim", lambda m, a: m.argmax(a, -1, keepdim=True), MATRIX, differentiable=False, sampler=_distinct
    ),
    OpInfo("argmin_all", lambda m, a: a.argmin(), MATRIX, differentiable=False, sampler=_distinct),
]
