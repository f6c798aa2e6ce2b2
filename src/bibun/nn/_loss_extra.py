"""Distances and the margin, embedding and likelihood losses. Most are compositions in
PyTorch (ATen's Loss.cpp and torch/nn/functional.py), rebuilt here from bibun's ops in the
same order so that values and grad_fn names agree; pdist, soft_margin_loss and
multi_margin_loss are single ops there and here (docs/nn.md, "Distances and more losses")."""

from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np

from bibun import _creation, _dtype
from bibun._tensor import Tensor
from bibun.autograd import grad_mode
from bibun.nn._activation import logsigmoid
from bibun.nn._loss import _check_reduction, _expand_cotangent, _legacy_reduction, _reduce_primal, _reduced_jvp, _size
from bibun.ops import comparison, elementwise, shape, statistics
from bibun.ops import reduction as _red
from bibun.ops._registry import INPUTS, INPUTS_AND_OUTPUT, apply, defop
from bibun.ops.reduction import _reduction_params

ndarray = np.ndarray


def _apply_reduction(loss: Tensor, reduction: str) -> Tensor:
    """ATen's ``apply_loss_reduction``: mean() or sum() of every entry, or the loss itself."""
    if reduction == "mean":
        return _red.mean(loss)
    return _red.sum(loss) if reduction == "sum" else loss


# --- distances ---------------------------------------------------------------------------------
# at::norm(x, p, dim) records NormBackward1 where torch.norm records LinalgVectorNormBackward0:
# the same rule under the name pairwise_distance's result shows.
_NORM = defop(
    "nn.pairwise_norm",
    "NormBackward1",
    statistics._norm_primal,
    (statistics._norm_vjp,),
    save=INPUTS_AND_OUTPUT,
    jvp=_red.diagonal_jvp(statistics._norm_vjp),
)


def pairwise_distance(x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False) -> Tensor:
    """``norm(x1 - x2 + eps, p)`` over the last dimension of the broadcast pair."""
    diff = x1 - x2 + eps
    dim = max(x1._data.ndim, x2._data.ndim) - 1
    params = _reduction_params(diff, dim if diff._data.ndim else None, keepdim)
    params["ord"] = float(p)
    return apply(_NORM, (diff,), params)


def _pdist_pairs(n: int) -> tuple:
    return np.triu_indices(n, 1)


def _pdist_norm_params(n_pairs: int, features: int, p: float) -> dict:
    return {"axis": (1,), "keepdims": False, "shape": (n_pairs, features), "kept_shape": (n_pairs, 1), "ord": p}


def _pdist_primal(x: ndarray, p: float, rows: ndarray, cols: ndarray) -> ndarray:
    diff = x[rows] - x[cols]
    return statistics._norm_primal(diff, **_pdist_norm_params(len(rows), x.shape[1], p))


def _pdist_local(xp: Any, g: Any, x: Any, out: Any, p: float, rows: ndarray, cols: ndarray) -> Any:
    """The gradient wrt each pair's difference x[i] - x[j]."""
    diff = xp.getitem(x, rows) - xp.getitem(x, cols)
    return statistics._norm_vjp(xp, g, diff, out, **_pdist_norm_params(len(rows), x.shape[1], p))


def _pdist_vjp(xp: Any, g: Any, x: Any, out: Any, p: float, rows: ndarray, cols: ndarray) -> Any:
    local = _pdist_local(xp, g, x, out, p, rows, cols)
    return xp.index_put_zeros(x.shape, (rows,), local) - xp.index_put_zeros(x.shape, (cols,), local)


def _pdist_jvp(xp: Any, tangents: tuple, x: Any, out: Any, p: float, rows: ndarray, cols: ndarray) -> Any:
    (t,) = tangents
    if t is None:
        return None
    slope = _pdist_local(xp, out * 0 + 1, x, out, p, rows, cols)
    return xp.sum(slope * (xp.getitem(t, rows) - xp.getitem(t, cols)), 1)


_PDIST = defop("nn.pdist", "PdistBackward0", _pdist_primal, (_pdist_vjp,), save=INPUTS_AND_OUTPUT, jvp=_pdist_jvp)


def pdist(input: Tensor, p: float = 2) -> Tensor:
    """The p-norm distance between every pair of rows i < j, in row-major order of the pairs."""
    x = input._data
    if x.ndim != 2:
        raise RuntimeError(f"pdist only supports 2D tensors, got: {x.ndim}D")
    if x.dtype.kind != "f":
        raise RuntimeError("pdist only supports floating-point dtypes")
    if p < 0:
        raise RuntimeError("pdist only supports non-negative p values")
    rows, cols = _pdist_pairs(x.shape[0])
    return apply(_PDIST, (input,), {"p": float(p), "rows": rows, "cols": cols})


# --- margin and embedding losses ---------------------------------------------------------------
_EPSILON = 1e-12  # ATen's cosine_embedding_loss keeps the magnitudes away from zero with it


def cosine_embedding_loss(
    input1: Tensor,
    input2: Tensor,
    target: Tensor,
    margin: float = 0,
    size_average: Any = None,
    reduce: Any = None,
    reduction: str = "mean",
) -> Tensor:
    """1 - cos(x1, x2) where target is 1, max(0, cos - margin) where it is -1, 0 elsewhere."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    targ_dim = target._data.ndim
    if targ_dim not in (0, 1):
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    want = 2 if targ_dim == 1 else 1
    if input1._data.ndim != want or input2._data.ndim != want:
        raise RuntimeError(
            f"{targ_dim}D target tensor expects {want}D input tensors, but found inputs with sizes "
            f"{list(input1._data.shape)} and {list(input2._data.shape)}."
        )
    prod_sum = _red.sum(input1 * input2, targ_dim)
    mag_square1 = _red.sum(input1 * input1, targ_dim) + _EPSILON
    mag_square2 = _red.sum(input2 * input2, targ_dim) + _EPSILON
    denom = (mag_square1 * mag_square2).sqrt()
    cos = prod_sum / denom
    zeros = cos.detach() * 0
    pos = 1 - cos
    neg = comparison.clamp_min(cos - margin, 0)
    output = elementwise.where(target == 1, pos, zeros) + elementwise.where(target == -1, neg, zeros)
    return _apply_reduction(output, reduction)


def margin_ranking_loss(
    input1: Tensor,
    input2: Tensor,
    target: Tensor,
    margin: float = 0,
    size_average: Any = None,
    reduce: Any = None,
    reduction: str = "mean",
) -> Tensor:
    """max(0, -target * (input1 - input2) + margin)."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    n1, n2, nt = input1._data.ndim, input2._data.ndim, target._data.ndim
    if n1 != n2 or n1 != nt:
        raise RuntimeError(
            "margin_ranking_loss : All input tensors should have same dimension but got sizes: "
            f"input1: {_size(input1._data.shape)}, input2: {_size(input2._data.shape)}, "
            f"target: {_size(target._data.shape)} "
        )
    output = comparison.clamp_min(-target * (input1 - input2) + margin, 0)
    return _apply_reduction(output, reduction)


def hinge_embedding_loss(
    input: Tensor,
    target: Tensor,
    margin: float = 1.0,
    size_average: Any = None,
    reduce: Any = None,
    reduction: str = "mean",
) -> Tensor:
    """input where target is 1, max(0, margin - input) where it is -1 (both where it is neither)."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    zeros = input.detach() * 0
    margin_clamp = comparison.clamp_min(margin - input, 0)
    output_margin = elementwise.where(target != 1, margin_clamp, zeros)
    output_self = elementwise.where(target != -1, input, zeros)
    return _apply_reduction(output_margin + output_self, reduction)


def _soft_margin_primal(x: ndarray, t: ndarray, reduction: str, shape: tuple) -> ndarray:
    with np.errstate(over="ignore"):
        loss = np.log1p(np.exp(-x * t)).astype(x.dtype, copy=False)
    return _reduce_primal(np.broadcast_to(loss, shape), reduction)


def _soft_margin_vjp(xp: Any, g: Any, x: Any, t: Any, reduction: str, shape: tuple) -> Any:
    # d/dx log(1 + exp(-t x)) = -t sigmoid(-t x)
    return _expand_cotangent(xp, g, reduction, shape) * (-t * xp.sigmoid(-t * x))


_SOFT_MARGIN = defop(
    "nn.soft_margin_loss", "SoftMarginLossBackward0", _soft_margin_primal, (_soft_margin_vjp, None), save=INPUTS
)
_SOFT_MARGIN.jvp = _reduced_jvp(_SOFT_MARGIN)


def soft_margin_loss(
    input: Tensor, target: Tensor, size_average: Any = None, reduce: Any = None, reduction: str = "mean"
) -> Tensor:
    """log(1 + exp(-target * input)); target is not differentiable, as in PyTorch."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    if target.requires_grad and grad_mode.is_grad_enabled():
        raise RuntimeError(
            "The function 'soft_margin_loss' is not differentiable with respect to argument 'target'. "
            "This input cannot have requires_grad True."
        )
    shape_ = np.broadcast_shapes(input._data.shape, target._data.shape)
    params = {"reduction": reduction, "shape": shape_}
    return apply(_SOFT_MARGIN, (input, target), params, dtype=_dtype.result_type(input, target))


# --- likelihood losses -------------------------------------------------------------------------
def gaussian_nll_loss(
    input: Tensor, target: Tensor, var: Tensor | float, full: bool = False, eps: float = 1e-6, reduction: str = "mean"
) -> Tensor:
    """0.5 (log var + (input - target)^2 / var), var clamped below at eps (the clamp is made
    under no_grad on a clone, as PyTorch does, so var's gradient passes through it unchanged)."""
    if isinstance(var, float):
        if var < 0:
            raise ValueError("var has negative entry/entries")
        var = _creation.ones_like(input) * var
    elif not isinstance(var, Tensor):  # PyTorch fails inside torch.any with a TypeError too
        raise TypeError(f"gaussian_nll_loss(): argument 'var' must be Tensor or float, not {type(var).__name__}")
    elif bool((var._data < 0).any()):
        raise ValueError("var has negative entry/entries")
    si, sv = input._data.shape, var._data.shape
    if sv != si:
        if si[:-1] == sv:  # one dimension short: the same variance along the last one
            var = shape.unsqueeze(var, -1)
        elif not (len(si) == len(sv) and sum(b for a, b in zip(si, sv) if a != b) == 1):
            raise ValueError("var is of incorrect size")
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(reduction + " is not valid")
    var = shape.clone(var)
    with grad_mode.no_grad():
        var.clamp_(min=eps)
    loss = 0.5 * (var.log() + (input - target) ** 2 / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _apply_reduction(loss, reduction)


def poisson_nll_loss(
    input: Tensor,
    target: Tensor,
    log_input: bool = True,
    full: bool = False,
    size_average: Any = None,
    eps: float = 1e-8,
    reduce: Any = None,
    reduction: str = "mean",
) -> Tensor:
    """exp(input) - target * input (log_input), or input - target * log(input + eps); with
    ``full``, Stirling's approximation of log(target!) is added where target > 1."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    if log_input:
        loss = input.exp() - target * input
    else:
        loss = input - target * (input + eps).log()
    if full:
        with np.errstate(divide="ignore", invalid="ignore"):  # target <= 1 is masked out below
            stirling = target * target.log() - target + 0.5 * (2 * math.pi * target).log()
        loss = loss + stirling.masked_fill(target <= 1, 0)
    return _apply_reduction(loss, reduction)


# --- triplet losses ----------------------------------------------------------------------------
def _same_ndim(anchor: Tensor, positive: Tensor, negative: Tensor) -> None:
    a, p, n = anchor._data.ndim, positive._data.ndim, negative._data.ndim
    if not a == p == n:
        raise RuntimeError(
            "The anchor, positive, and negative tensors are expected to have the same number of dimensions, "
            f"but got: anchor {a}D, positive {p}D, and negative {n}D inputs"
        )


def _check_margin(margin: float) -> None:
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")


def triplet_margin_loss(
    anchor: Tensor,
    positive: Tensor,
    negative: Tensor,
    margin: float = 1.0,
    p: float = 2,
    eps: float = 1e-6,
    swap: bool = False,
    size_average: Any = None,
    reduce: Any = None,
    reduction: str = "mean",
) -> Tensor:
    """max(0, margin + d(a, p) - d(a, n)) with d = pairwise_distance; ``swap`` takes
    min(d(a, n), d(p, n)) for the negative distance."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    _check_margin(margin)
    _same_ndim(anchor, positive, negative)
    dist_pos = pairwise_distance(anchor, positive, p, eps)
    dist_neg = pairwise_distance(anchor, negative, p, eps)
    if swap:
        dist_neg = elementwise.minimum(dist_neg, pairwise_distance(positive, negative, p, eps))
    return _apply_reduction(comparison.clamp_min(dist_pos + margin - dist_neg, 0), reduction)


def triplet_margin_with_distance_loss(
    anchor: Tensor,
    positive: Tensor,
    negative: Tensor,
    *,
    distance_function: Callable[[Tensor, Tensor], Tensor] | None = None,
    margin: float = 1.0,
    swap: bool = False,
    reduction: str = "mean",
) -> Tensor:
    """triplet_margin_loss with any distance (pairwise_distance by default)."""
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    _check_margin(margin)
    _same_ndim(anchor, positive, negative)
    if distance_function is None:
        distance_function = pairwise_distance
    dist_pos = distance_function(anchor, positive)
    dist_neg = distance_function(anchor, negative)
    if swap:
        dist_neg = elementwise.minimum(dist_neg, distance_function(positive, negative))
    loss = comparison.clamp_min(margin + dist_pos - dist_neg, 0)
    return _apply_reduction(loss, reduction)


# --- multi-class and multi-label margins -------------------------------------------------------
def multilabel_soft_margin_loss(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average: Any = None,
    reduce: Any = None,
    reduction: str = "mean",
) -> Tensor:
    """-(target log sigmoid(x) + (1 - target) log sigmoid(-x)), averaged over the classes."""
    if size_average is not None or reduce is not None:
        reduction = _legacy_reduction(size_average, reduce, reduction)
    loss = -(target * logsigmoid(input) + (1 - target) * logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    class_dim = input._data.ndim - 1
    loss = _red.sum(loss, class_dim) / input._data.shape[class_dim]
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(reduction + " is not valid")  # checked last, as in PyTorch
    return _apply_reduction(loss, reduction)


def _not_differentiable(name: str, argument: str, t: Any) -> None:
    if isinstance(t, Tensor) and t.requires_grad and grad_mode.is_grad_enabled():
        raise RuntimeError(
            f"The function '{name}' is not differentiable with respect to argument '{argument}'. "
            "This input cannot have requires_grad True."
        )


def _frames(input: Tensor) -> tuple:
    """(samples, classes) of a vector or matrix input, as ATen's margin criteria read it."""
    x = input._data
    if not ((x.ndim == 2 and x.shape[1] != 0) or (x.ndim <= 1 and x.size != 0)):
        raise RuntimeError(
            f"Expected non-empty vector or matrix with optional 0-dim batch size, but got: {list(x.shape)}"
        )
    if x.ndim == 2:
        return x.shape
    return 1, (x.shape[0] if x.ndim else 1)


def _check_long(target: Tensor) -> None:
    if target._data.dtype != np.int64:
        raise RuntimeError(f"expected scalar type Long but found {_dtype.scalar_type_name(target._data.dtype)}")


def _per_sample_cotangent(xp: Any, g: Any, reduction: str, n: int) -> Any:
    if reduction == "none":
        return xp.reshape(g, (n, 1))
    g = xp.broadcast_to(xp.reshape(g, (1, 1)), (n, 1))
    return g / n if reduction == "mean" else g


def _reduce_samples(xp: Any, per: Any, reduction: str, out_shape: tuple) -> Any:
    if reduction == "none":
        return xp.reshape(per, out_shape)
    total = xp.sum(per)
    return total / per.shape[0] if reduction == "mean" else total


def _mm_local(xp: Any, gs: Any, x: Any, target: ndarray, scale: ndarray, p: int, margin: float) -> Any:
    """Gradient of each sample's loss (times its cotangent ``gs``, shape (N, 1)) wrt x (N, C):
    every other class i with z_i = margin - x_y + x_i > 0 gets scale_i * d(z^p)/dz, the target
    class minus their sum. ``scale`` holds w_y / C off the target class and 0 on it."""
    n, c = scale.shape
    x2 = xp.reshape(x, (n, c))
    z = margin - xp.reshape(xp.getitem(x2, (np.arange(n), target)), (n, 1)) + x2
    slope = xp.where(z > 0, z * 2 if p == 2 else z * 0 + 1, 0.0)
    h = slope * scale * gs
    return h - xp.sum(h, 1, True) * (scale == 0)


def _mm_primal(
    x: ndarray, target: ndarray, scale: ndarray, p: int, margin: float, reduction: str, out_shape: tuple
) -> ndarray:
    n, c = scale.shape
    x2 = x.reshape(n, c)
    z = margin - x2[np.arange(n), target][:, None] + x2
    per = (np.maximum(z, 0) ** p * scale).sum(1)
    return _reduce_samples(np, per, reduction, out_shape).astype(x.dtype, copy=False)


def _mm_vjp(
    xp: Any, g: Any, x: Any, target: ndarray, scale: ndarray, p: int, margin: float, reduction: str, out_shape: tuple
) -> Any:
    gs = _per_sample_cotangent(xp, g, reduction, scale.shape[0])
    return xp.reshape(_mm_local(xp, gs, x, target, scale, p, margin), x.shape)


def _mm_jvp(xp: Any, tangents: tuple, x: Any, target: ndarray, scale: ndarray, p: int, margin: float, **kw: Any) -> Any:
    (t,) = tangents
    if t is None:
        return None
    slope = _mm_local(xp, np.ones((scale.shape[0], 1), scale.dtype), x, target, scale, p, margin)
    per = xp.sum(slope * xp.reshape(t, scale.shape), 1)
    return _reduce_samples(xp, per, kw["reduction"], kw["out_shape"])


_MULTI_MARGIN = defop(
    "nn.multi_margin_loss", "MultiMarginLossBackward0", _mm_primal, (_mm_vjp,), save=INPUTS, jvp=_mm_jvp
)


def multi_margin_loss(
    input: Tensor,
    target: Tensor,
    p: int = 1,
    margin: float = 1.0,
    weight: Tensor | None = None,
    size_average: Any = None,
    reduce: Any = None,
    reduction: str = "mean",
) -> Tensor:
    """sum over classes i != y of w_y max(0, margin - x_y + x_i)^p / C, per sample."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    if p not in (1, 2):
        raise ValueError("only p == 1 and p == 2 supported")
    if weight is not None and weight._data.ndim != 1:
        raise ValueError("weight must be one-dimensional")
    _not_differentiable("multi_margin_loss", "weight", weight)
    _not_differentiable("multi_margin_loss", "target", target)
    n, c = _frames(input)
    t = target._data
    if not (t.ndim <= 1 and t.size == n):
        raise RuntimeError(
            "multi_margin_loss: target tensor should be 1-D with size equal to the number of input samples "
            f"(batch size). Expected target size [{n}], but got {list(t.shape)}. "
            f"Input has shape {list(input._data.shape)}."
        )
    if weight is not None and weight._data.size != c:
        raise RuntimeError(f"inconsistent weight size, expected {c} but got {list(weight._data.shape)}")
    _check_long(target)
    t = t.reshape(n)
    if t.size and (t.min() < 0 or t.max() >= c):
        raise RuntimeError("target out of range")
    dtype = input._data.dtype
    w_y = np.ones(n, dtype) if weight is None else weight._data.astype(dtype)[t]
    scale = np.repeat((w_y / c)[:, None], c, 1)
    scale[np.arange(n), t] = 0
    out_shape = (n,) if t.ndim and target._data.ndim else ()
    params = {"target": t, "scale": scale, "p": p, "margin": float(margin), "reduction": reduction}
    return apply(_MULTI_MARGIN, (input,), {**params, "out_shape": out_shape})


def _mlm_pairs(x: Any, xp: Any, n: int, c: int) -> Any:
    """z[n, j, i] = 1 - x[n, j] + x[n, i]: the margin of class i against target class j."""
    x2 = xp.reshape(x, (n, c))
    return 1 - xp.reshape(x2, (n, c, 1)) + xp.reshape(x2, (n, 1, c))


def _mlm_primal(x: ndarray, pairs: ndarray, reduction: str, out_shape: tuple) -> ndarray:
    n, c, _ = pairs.shape
    per = (np.maximum(_mlm_pairs(x, np, n, c), 0) * pairs).sum((1, 2))
    return _reduce_samples(np, per, reduction, out_shape).astype(x.dtype, copy=False)


def _mlm_local(xp: Any, gs: Any, x: Any, pairs: ndarray) -> Any:
    """Gradient of each sample's loss (times its cotangent ``gs``, shape (N, 1, 1)) wrt x (N, C)."""
    n, c, _ = pairs.shape
    z = _mlm_pairs(x, xp, n, c)
    h = xp.where(z > 0, z * 0 + 1, 0.0) * pairs * gs
    return xp.sum(h, 1) - xp.sum(h, 2)


def _mlm_vjp(xp: Any, g: Any, x: Any, pairs: ndarray, reduction: str, out_shape: tuple) -> Any:
    n = pairs.shape[0]
    gs = xp.reshape(_per_sample_cotangent(xp, g, reduction, n), (n, 1, 1))
    return xp.reshape(_mlm_local(xp, gs, x, pairs), x.shape)


def _mlm_jvp(xp: Any, tangents: tuple, x: Any, pairs: ndarray, reduction: str, out_shape: tuple) -> Any:
    (t,) = tangents
    if t is None:
        return None
    n, c, _ = pairs.shape
    slope = _mlm_local(xp, np.ones((n, 1, 1), pairs.dtype), x, pairs)
    return _reduce_samples(xp, xp.sum(slope * xp.reshape(t, (n, c)), 1), reduction, out_shape)


_MULTILABEL_MARGIN = defop(
    "nn.multilabel_margin_loss",
    "MultilabelMarginLossBackward0",
    _mlm_primal,
    (_mlm_vjp,),
    save=INPUTS,
    jvp=_mlm_jvp,
)


def multilabel_margin_loss(
    input: Tensor, target: Tensor, size_average: Any = None, reduce: Any = None, reduction: str = "mean"
) -> Tensor:
    """For each target class j (target's entries up to the first -1) and each non-target class
    i: max(0, 1 - (x_j - x_i)), summed and divided by the number of classes, per sample."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    _not_differentiable("multilabel_margin_loss", "target", target)
    n, c = _frames(input)
    t = target._data
    x = input._data
    want = (c,) if x.ndim <= 1 else (n, c)
    if (t.shape if x.ndim else t.reshape(-1).shape) != want:
        raise RuntimeError(f"inconsistent target size: {list(t.shape)} for input of size: {list(x.shape)}")
    _check_long(target)
    t = t.reshape(n, c)
    if t.size and (t.min() < -1 or t.max() >= c):
        raise RuntimeError("argument #2 'target' is out of range")
    # counts[n, j]: how often class j is among the sample's targets (up to the first -1);
    # each (target j, non-target i) pair weighs counts[n, j] / C.
    valid = np.cumprod(t != -1, axis=1).astype(bool)
    counts = np.zeros((n, c), x.dtype)
    rows = np.repeat(np.arange(n)[:, None], c, 1)
    np.add.at(counts, (rows[valid], t[valid]), 1)
    pairs = counts[:, :, None] * (counts == 0)[:, None, :] / c
    out_shape = (n,) if x.ndim == 2 else ()
    return apply(_MULTILABEL_MARGIN, (input,), {"pairs": pairs, "reduction": reduction, "out_shape": out_shape})


__all__ = [
    "pairwise_distance",
    "pdist",
    "cosine_embedding_loss",
    "margin_ranking_loss",
    "hinge_embedding_loss",
    "soft_margin_loss",
    "gaussian_nll_loss",
    "poisson_nll_loss",
    "triplet_margin_loss",
    "triplet_margin_with_distance_loss",
    "multilabel_soft_margin_loss",
    "multi_margin_loss",
    "multilabel_margin_loss",
]
