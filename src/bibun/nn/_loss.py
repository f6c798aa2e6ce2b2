"""Loss functions: each either one op with PyTorch's grad_fn name (mse_loss, smooth_l1_loss,
huber_loss, binary_cross_entropy[_with_logits], nll_loss) or the composition PyTorch records
(l1_loss, cross_entropy, kl_div) (docs/nn.md, "What exists, and what it records").
``reduction`` is 'none', 'mean' or 'sum'; a target whose shape differs from the input's
broadcasts, with PyTorch's warning."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from bibun import _dtype
from bibun._tensor import Tensor, new_tensor
from bibun.nn._activation import log_softmax
from bibun.ops import elementwise, shape
from bibun.ops import reduction as _red
from bibun.ops._registry import INPUTS, apply, defop

ndarray = np.ndarray
_REDUCTIONS = ("none", "mean", "sum")


def _check_reduction(reduction_: str) -> None:
    if reduction_ not in _REDUCTIONS:
        raise ValueError(f"{reduction_} is not a valid value for reduction")


def _legacy_reduction(size_average: Any, reduce: Any, reduction: str) -> str:
    """PyTorch's ``_Reduction.legacy_get_string``: the old flags win, with its warning."""
    if size_average is None and reduce is None:
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    result = "mean" if size_average and reduce else "sum" if reduce else "none"
    warnings.warn(
        f"size_average and reduce args will be deprecated, please use reduction='{result}' instead.",
        UserWarning,
        stacklevel=3,
    )
    return result


def _reduce_primal(loss: ndarray, reduction_: str) -> ndarray:
    if reduction_ == "mean":
        return np.asarray(loss.mean(), dtype=loss.dtype)
    if reduction_ == "sum":
        return np.asarray(loss.sum(), dtype=loss.dtype)
    return loss


def _expand_cotangent(xp: Any, g: Any, reduction_: str, shape_: tuple, weight: Any = None) -> Any:
    """The cotangent of the reduced loss, as a cotangent of the elementwise loss (times its
    per-entry ``weight``, when there is one)."""
    if reduction_ != "none":
        count = int(np.prod(shape_)) if reduction_ == "mean" else 1
        g = xp.broadcast_to(g, shape_)
        g = g / count if count != 1 else g
    return g if weight is None else g * weight


def _pointwise_loss(name: str, grad_fn: str, loss: Any, derivative: Any) -> Any:
    """An op for loss(input, target) reduced: the derivative wrt input is ``derivative(xp, d)``
    with d = input - target, and wrt target its negative."""

    def primal(x: ndarray, t: ndarray, reduction: str, shape: tuple, **kw: Any) -> ndarray:
        return _reduce_primal(loss(np.broadcast_to(x, shape) - t, **kw).astype(x.dtype, copy=False), reduction)

    def vjp_input(xp: Any, g: Any, x: Any, t: Any, reduction: str, shape: tuple, **kw: Any) -> Any:
        return _expand_cotangent(xp, g, reduction, shape) * derivative(xp, x - t, **kw)

    def vjp_target(xp: Any, g: Any, x: Any, t: Any, reduction: str, shape: tuple, **kw: Any) -> Any:
        return -(_expand_cotangent(xp, g, reduction, shape) * derivative(xp, x - t, **kw))

    op = defop(f"nn.{name}", grad_fn, primal, (vjp_input, vjp_target), save=INPUTS)
    op.jvp = _reduced_jvp(op)
    return op


def _reduced_jvp(op: Any) -> Any:
    """Forward mode for a loss made of an elementwise part and a reduction: the VJP rules with
    reduction='none' applied to the tangents give the elementwise tangent, which is then reduced."""

    def jvp(xp: Any, tangents: tuple, *saved: Any, **params: Any) -> Any:
        elementwise_params = {**params, "reduction": "none"}
        total = None
        for t, rule in zip(tangents, op.vjp):
            if t is not None and rule is not None:
                term = rule(xp, t, *saved, **elementwise_params)
                total = term if total is None else total + term
        if total is None or params["reduction"] == "none":
            return total
        summed = xp.sum(total)
        return summed / int(np.prod(params["shape"])) if params["reduction"] == "mean" else summed

    return jvp


def _broadcast_pair(input: Tensor, target: Tensor, stacklevel: int = 4) -> tuple:
    if not isinstance(target, Tensor):
        raise TypeError(f"argument 'target' must be Tensor, not {type(target).__name__}")
    si, st = input._data.shape, target._data.shape
    if si != st:
        warnings.warn(
            f"Using a target size ({_size(st)}) that is different to the input size ({_size(si)}). "
            "This will likely lead to incorrect results due to broadcasting. Please ensure they have the same size.",
            UserWarning,
            stacklevel=stacklevel,
        )
        elementwise._check_broadcast(si, st)
    return np.broadcast_shapes(si, st), _dtype.result_type(input, target)


def _size(shape_: tuple) -> str:
    return f"bibun.Size([{', '.join(map(str, shape_))}])"


_MSE = _pointwise_loss("mse_loss", "MseLossBackward0", lambda d: d * d, lambda xp, d: d * 2)
_SMOOTH_L1 = _pointwise_loss(
    "smooth_l1_loss",
    "SmoothL1LossBackward0",
    lambda d, beta: np.where(np.abs(d) < beta, 0.5 * d * d / beta if beta else 0.0, np.abs(d) - 0.5 * beta),
    lambda xp, d, beta: xp.where(xp.abs(d) < beta, d / beta if beta else 0.0, xp.sign(d)),
)
_HUBER = _pointwise_loss(
    "huber_loss",
    "HuberLossBackward0",
    lambda d, delta: np.where(np.abs(d) < delta, 0.5 * d * d, delta * (np.abs(d) - 0.5 * delta)),
    lambda xp, d, delta: xp.where(xp.abs(d) < delta, d, xp.sign(d) * delta),
)


def _pointwise(op: Any, input: Tensor, target: Tensor, reduction_: str, **kw: Any) -> Tensor:
    _check_reduction(reduction_)
    shape_, dtype = _broadcast_pair(input, target)
    return apply(op, (input, target), {"reduction": reduction_, "shape": shape_, **kw}, dtype=dtype)


def mse_loss(
    input: Tensor, target: Tensor, size_average: Any = None, reduce: Any = None, reduction: str = "mean"
) -> Tensor:
    reduction = _legacy_reduction(size_average, reduce, reduction)
    return _pointwise(_MSE, input, target, reduction)


def smooth_l1_loss(
    input: Tensor,
    target: Tensor,
    size_average: Any = None,
    reduce: Any = None,
    reduction: str = "mean",
    beta: float = 1.0,
) -> Tensor:
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    return _pointwise(_SMOOTH_L1, input, target, reduction, beta=beta)


def huber_loss(
    input: Tensor, target: Tensor, reduction: str = "mean", delta: float = 1.0, weight: Any = None
) -> Tensor:
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    if weight is not None:  # accepted for PyTorch's signature; ignoring it would give wrong numbers
        raise NotImplementedError("huber_loss: weight is not supported")
    return _pointwise(_HUBER, input, target, reduction, delta=delta)


def l1_loss(
    input: Tensor, target: Tensor, size_average: Any = None, reduce: Any = None, reduction: str = "mean"
) -> Tensor:
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    _broadcast_pair(input, target)
    loss = elementwise.abs(input - target)
    if reduction == "mean":
        return _red.mean(loss)
    return _red.sum(loss) if reduction == "sum" else loss


# --- binary cross-entropy -----------------------------------------------------------------------
def _bce_primal(x: ndarray, t: ndarray, weight: Any, reduction: str, shape: tuple) -> ndarray:
    # PyTorch clamps each log at -100, so a probability of exactly 0 or 1 gives a finite loss.
    with np.errstate(divide="ignore"):
        log_x = np.maximum(np.log(x), -100)
        log_1mx = np.maximum(np.log1p(-x), -100)
    loss = -(t * log_x + (1 - t) * log_1mx)
    if weight is not None:
        loss = loss * weight
    return _reduce_primal(np.broadcast_to(loss, shape).astype(x.dtype, copy=False), reduction)


def _bce_vjp_input(xp: Any, g: Any, x: Any, t: Any, weight: Any, reduction: str, shape: tuple) -> Any:
    g = _expand_cotangent(xp, g, reduction, shape, weight)
    return g * (x - t) / xp.maximum(x * (1 - x), 1e-12)


def _bce_vjp_target(xp: Any, g: Any, x: Any, t: Any, weight: Any, reduction: str, shape: tuple) -> Any:
    g = _expand_cotangent(xp, g, reduction, shape, weight)
    return g * (xp.log(1 - x) - xp.log(x))


_BCE = defop(
    "nn.binary_cross_entropy",
    "BinaryCrossEntropyBackward0",
    _bce_primal,
    (_bce_vjp_input, _bce_vjp_target),
    save=INPUTS,
)
_BCE.jvp = _reduced_jvp(_BCE)


def binary_cross_entropy(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average: Any = None,
    reduce: Any = None,
    reduction: str = "mean",
) -> Tensor:
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    if input._data.shape != target._data.shape:
        raise ValueError(
            f"Using a target size ({_size(target._data.shape)}) that is different to the input size "
            f"({_size(input._data.shape)}) is deprecated. Please ensure they have the same size."
        )
    x = input._data
    if x.size and (np.nanmin(x) < 0 or np.nanmax(x) > 1):
        raise RuntimeError("all elements of input should be between 0 and 1")
    w = None if weight is None else np.broadcast_to(weight._data, x.shape).astype(x.dtype)
    params = {"weight": w, "reduction": reduction, "shape": x.shape}
    return apply(_BCE, (input, target), params, dtype=_dtype.result_type(input, target))


def _bce_logits_primal(x: ndarray, t: ndarray, weight: Any, pos_weight: Any, reduction: str, shape: tuple) -> ndarray:
    softplus_neg = np.logaddexp(0, -x)  # log(1 + exp(-x)), stable
    if pos_weight is None:
        loss = (1 - t) * x + softplus_neg
    else:
        loss = (1 - t) * x + (1 + (pos_weight - 1) * t) * softplus_neg
    if weight is not None:
        loss = loss * weight
    return _reduce_primal(np.broadcast_to(loss, shape).astype(x.dtype, copy=False), reduction)


def _bce_logits_vjp_input(
    xp: Any, g: Any, x: Any, t: Any, weight: Any, pos_weight: Any, reduction: str, shape: tuple
) -> Any:
    g = _expand_cotangent(xp, g, reduction, shape, weight)
    s = xp.sigmoid(x)
    if pos_weight is None:
        return g * (s - t)
    return g * ((1 - t) - (1 + (pos_weight - 1) * t) * (1 - s))


def _bce_logits_vjp_target(
    xp: Any, g: Any, x: Any, t: Any, weight: Any, pos_weight: Any, reduction: str, shape: tuple
) -> Any:
    g = _expand_cotangent(xp, g, reduction, shape, weight)
    if pos_weight is None:
        return -g * x
    return g * ((pos_weight - 1) * -xp.log(xp.sigmoid(x)) - x)


_BCE_LOGITS = defop(
    "nn.binary_cross_entropy_with_logits",
    "BinaryCrossEntropyWithLogitsBackward0",
    _bce_logits_primal,
    (_bce_logits_vjp_input, _bce_logits_vjp_target),
    save=INPUTS,
)
_BCE_LOGITS.jvp = _reduced_jvp(_BCE_LOGITS)


def binary_cross_entropy_with_logits(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average: Any = None,
    reduce: Any = None,
    reduction: str = "mean",
    pos_weight: Tensor | None = None,
) -> Tensor:
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    if input._data.shape != target._data.shape:
        raise ValueError(
            f"Target size ({_size(target._data.shape)}) must be the same as input size ({_size(input._data.shape)})"
        )
    dtype = _dtype.result_type(input, target)
    w = None if weight is None else weight._data.astype(dtype)
    pw = None if pos_weight is None else pos_weight._data.astype(dtype)
    params = {"weight": w, "pos_weight": pw, "reduction": reduction, "shape": input._data.shape}
    return apply(_BCE_LOGITS, (input, target), params, dtype=dtype)


# --- nll_loss, cross_entropy ---------------------------------------------------------------------
def _nll_index(target: ndarray) -> tuple:
    """Index of input[n, target[n, d...], d...] for every target entry (class dim 1)."""
    grids = np.indices(target.shape, sparse=True)
    return (grids[0], target) + tuple(grids[1:])


def _nll_primal(x: ndarray, target: ndarray, weights: ndarray, total: float, reduction: str) -> ndarray:
    picked = -x[_nll_index(target)] * weights
    if reduction == "sum":
        return np.asarray(picked.sum(), dtype=x.dtype)
    if reduction == "mean":
        return np.asarray(picked.sum() / total, dtype=x.dtype)
    return picked.astype(x.dtype, copy=False)


def _nll_vjp(xp: Any, g: Any, target: ndarray, weights: ndarray, total: float, reduction: str, in_shape: tuple) -> Any:
    if reduction != "none":
        g = xp.broadcast_to(g, target.shape)
        if reduction == "mean":
            g = g / total
    return xp.index_put_zeros(in_shape, _nll_index(target), g * -weights)


_NLL = defop(
    "nn.nll_loss",
    "NllLossBackward0",
    lambda x, target, weights, total, reduction, in_shape: _nll_primal(x, target, weights, total, reduction),
    (_nll_vjp,),
    jvp="linear",
)
_NLL_2D = defop(
    "nn.nll_loss2d",
    "NllLoss2DBackward0",
    lambda x, target, weights, total, reduction, in_shape: _nll_primal(x, target, weights, total, reduction),
    (_nll_vjp,),
    jvp="linear",
)


def _nll_prepare(input: Tensor, target: Tensor, weight: Tensor | None, ignore_index: int) -> tuple:
    """Checks shapes and classes; returns (batched input, target, per-entry weights, their sum)."""
    x, t = input._data, target._data
    if t.dtype.kind not in "iu":
        raise RuntimeError(f"expected target dtype to be Long or Byte, but got {_dtype.scalar_type_name(t.dtype)}")
    if x.ndim < 1:
        raise ValueError(f"Expected 1 or more dimensions (got {x.ndim})")
    if x.ndim == 1:
        if t.ndim != 0:
            raise ValueError(
                f"Expected input batch_size (1) to match target batch_size ({t.shape[0] if t.ndim else 1})."
            )
    elif t.shape[:1] != x.shape[:1]:
        raise ValueError(
            f"Expected input batch_size ({x.shape[0]}) to match target batch_size ({t.shape[0] if t.ndim else 1})."
        )
    elif t.shape[1:] != x.shape[2:]:
        raise RuntimeError(f"Expected target size {list(x.shape[:1] + x.shape[2:])}, got {list(t.shape)}")
    classes = x.shape[1] if x.ndim > 1 else x.shape[0]
    if weight is not None and weight._data.shape != (classes,):
        raise RuntimeError(
            f"weight tensor should be defined either for all {classes} classes or no classes but got weight "
            f"tensor of shape: {list(weight._data.shape)}"
        )
    valid = t != ignore_index
    bad = valid & ((t < 0) | (t >= classes))
    if bad.any():
        raise IndexError(f"Target {int(t[bad].flat[0])} is out of bounds.")
    safe = np.where(valid, t, 0).astype(np.int64)
    class_weights = weight._data.astype(x.dtype) if weight is not None else np.ones(classes, x.dtype)
    weights = np.where(valid, class_weights[safe], 0).astype(x.dtype)
    return safe, weights, float(weights.sum())


def nll_loss(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average: Any = None,
    ignore_index: int = -100,
    reduce: Any = None,
    reduction: str = "mean",
) -> Tensor:
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    safe, weights, total = _nll_prepare(input, target, weight, ignore_index)
    x = input._data
    if x.ndim == 1:  # one sample: a batch of one, put back in the result
        safe, weights = safe.reshape(1), weights.reshape(1)
        out = _nll_apply(_NLL, shape.unsqueeze(input, 0), safe, weights, total, reduction)
        return shape.squeeze(out, 0) if reduction == "none" else out
    op = _NLL_2D if x.ndim > 2 else _NLL
    return _nll_apply(op, input, safe, weights, total, reduction)


def _nll_apply(op: Any, input: Tensor, safe: ndarray, weights: ndarray, total: float, reduction: str) -> Tensor:
    params = {"target": safe, "weights": weights, "total": total, "reduction": reduction, "in_shape": input._data.shape}
    return apply(op, (input,), params)


def cross_entropy(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average: Any = None,
    ignore_index: int = -100,
    reduce: Any = None,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> Tensor:
    """log_softmax over the class dim (1, or 0 for unbatched input), then nll_loss for class
    indices or -sum(target * log p) for class probabilities; label_smoothing mixes in the
    uniform distribution, as PyTorch."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    class_dim = 0 if input._data.ndim == 1 else 1
    logp = log_softmax(input, class_dim)
    classes = input._data.shape[class_dim]
    if target._data.dtype.kind == "f":
        return _cross_entropy_probabilities(logp, target, weight, reduction, label_smoothing, class_dim, classes)
    loss = nll_loss(logp, target, weight, ignore_index=ignore_index, reduction=reduction)
    if label_smoothing == 0.0:
        return loss
    # The smoothing term: -sum_c w_c log p_c per entry, reduced like the nll term.
    w_shape = (classes,) + (1,) * (input._data.ndim - class_dim - 1)
    weighted = logp if weight is None else logp * shape.reshape(weight, w_shape)
    smooth = -_red.sum(weighted, class_dim)
    valid = new_tensor(target._data != ignore_index)
    smooth = elementwise.where(valid, smooth, 0.0)
    if reduction == "sum":
        smooth = _red.sum(smooth)
    elif reduction == "mean":
        if weight is None:
            smooth = _red.sum(smooth) / float(valid._data.sum())
        else:
            safe = np.where(valid._data, target._data, 0)
            smooth = _red.sum(smooth) / float(np.where(valid._data, weight._data[safe], 0).sum())
    return loss * (1 - label_smoothing) + smooth * (label_smoothing / classes)


_DIV_SCALAR = defop(
    "nn.div_scalar",
    "DivBackward1",
    lambda x, other: (x / other).astype(x.dtype, copy=False),
    (lambda xp, g, other: g / other,),
    jvp="linear",
)


def _cross_entropy_probabilities(
    logp: Tensor, target: Tensor, weight: Tensor | None, reduction_: str, smoothing: float, class_dim: int, classes: int
) -> Tensor:
    if target._data.shape != logp._data.shape:
        raise RuntimeError(
            f"Expected target size {list(logp._data.shape)}, got {list(target._data.shape)}"
            if target._data.ndim == logp._data.ndim
            else f"Expected input batch_size ({logp._data.shape[0]}) to match target batch_size ({target._data.shape[0]})."
        )
    if smoothing > 0:
        target = target * (1 - smoothing) + smoothing / classes
    terms = logp * target
    if weight is not None:
        terms = terms * shape.reshape(weight, (classes,) + (1,) * (logp._data.ndim - class_dim - 1))
    loss = -_red.sum(terms, class_dim)
    if reduction_ == "none":
        return loss
    total = _red.sum(loss)
    if reduction_ == "sum":
        return total
    batch = logp._data.size // classes
    return apply(_DIV_SCALAR, (total,), {"other": batch})


# --- kl_div ------------------------------------------------------------------------------------
def kl_div(
    input: Tensor,
    target: Tensor,
    size_average: Any = None,
    reduce: Any = None,
    reduction: str = "mean",
    log_target: bool = False,
) -> Tensor:
    """Pointwise target * (log target - input) (input holds log-probabilities), reduced by
    'none', 'sum', 'mean' (over every element) or 'batchmean' (over the batch: the KL divergence)."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if reduction not in ("none", "mean", "sum", "batchmean"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if reduction == "mean":
        warnings.warn(
            "reduction: 'mean' divides the total loss by both the batch size and the support size."
            "'batchmean' divides only by the batch size, and aligns with the KL div math definition."
            "'mean' will be changed to behave the same as 'batchmean' in the next major release.",
            UserWarning,
            stacklevel=2,
        )
    if log_target:
        loss = elementwise.exp(target) * (target - input)
    else:
        loss = _xlogy_self(target) - target * input
    if reduction == "none":
        return loss
    if reduction == "sum":
        return _red.sum(loss)
    if reduction == "mean":
        return _red.mean(loss)
    return _red.sum(loss) / (input._data.shape[0] if input._data.ndim else 1)


def _xlogy_self(t: Tensor) -> Tensor:
    return elementwise.where(t == 0, 0.0, t * elementwise.log(elementwise.where(t == 0, 1.0, t)))


__all__ = [
    "mse_loss",
    "l1_loss",
    "smooth_l1_loss",
    "huber_loss",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "nll_loss",
    "cross_entropy",
    "kl_div",
]
