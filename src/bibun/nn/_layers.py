"""Layers as functions: linear, bilinear, dropout, embedding, one_hot, and the normalizations
(layer_norm, batch_norm, normalize, cosine_similarity). Recorded as PyTorch records them:
``linear`` is one AddmmBackward0 node on 2-D input, layer_norm and batch_norm are one node
each (NativeLayerNormBackward0, NativeBatchNormBackward0) (docs/nn.md)."""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from bibun import _creation, _dtype
from bibun._tensor import Tensor, new_tensor
from bibun.ops import elementwise, linalg, reduction, shape
from bibun.ops._registry import INPUTS, apply, defop

ndarray = np.ndarray


# --- linear, bilinear ---------------------------------------------------------------------------
def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """input @ weight.T + bias: AddmmBackward0 on 2-D input, reshaped around addmm (ViewBackward0)
    on batched input, as PyTorch."""
    w_t = shape.t(weight) if weight._data.ndim == 2 else weight
    if bias is None:
        return linalg.matmul(input, w_t)
    ndim = input._data.ndim
    if ndim == 2:
        return linalg.addmm(bias, input, w_t)
    if ndim > 2:
        lead = input._data.shape[:-1]
        flat = shape.reshape(input, (-1, input._data.shape[-1]))
        return shape.reshape(linalg.addmm(bias, flat, w_t), lead + (weight._data.shape[0],))
    return linalg.matmul(input, w_t) + bias


def bilinear(input1: Tensor, input2: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """y_k = x1^T W_k x2 + b_k over the last dims."""
    if input1._data.shape[:-1] != input2._data.shape[:-1]:
        raise RuntimeError(
            f"bilinear(): input batch dimensions do not match: got {list(input1._data.shape[:-1])} "
            f"and {list(input2._data.shape[:-1])}"
        )
    if weight._data.ndim != 3 or weight._data.shape[1:] != (input1._data.shape[-1], input2._data.shape[-1]):
        raise RuntimeError(
            f"bilinear(): weight of size {list(weight._data.shape)} does not match inputs of sizes "
            f"{list(input1._data.shape)} and {list(input2._data.shape)}"
        )
    out = linalg.einsum("...i,kij,...j->...k", input1, weight, input2)
    return out if bias is None else out + bias


# --- dropout ------------------------------------------------------------------------------------
def _check_p(p: float) -> None:
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zeroes each element with probability ``p`` (bibun's generator: ``bibun.manual_seed``) and
    scales the rest by 1/(1-p); the identity when not training. The draws are bibun's own, so
    the mask differs from PyTorch's for the same seed."""
    _check_p(p)
    if not training or p == 0.0:
        return input
    if p == 1.0:
        return elementwise.mul(input, 0.0)
    keep = _creation.default_generator._rng.random(input._data.shape) >= p
    scale = np.where(keep, 1.0 / (1.0 - p), 0.0).astype(input._data.dtype)
    return elementwise.mul(input, new_tensor(scale))


# --- embedding, one_hot -------------------------------------------------------------------------
def _embedding_vjp(xp: Any, g: Any, indices: ndarray, padding_idx: int | None, num_weights: int) -> Any:
    if padding_idx is not None:
        g = xp.where(np.expand_dims(indices != padding_idx, -1), g, 0.0)
    return xp.index_put_zeros((num_weights,) + tuple(g.shape[indices.ndim :]), (indices,), g)


_EMBEDDING = defop(
    "nn.embedding",
    "EmbeddingBackward0",
    lambda weight, indices, padding_idx, num_weights: weight[indices],
    (_embedding_vjp,),
    jvp="linear",
)


def embedding(
    input: Tensor,
    weight: Tensor,
    padding_idx: int | None = None,
    max_norm: float | None = None,
    norm_type: float = 2.0,
    scale_grad_by_freq: bool = False,
    sparse: bool = False,
) -> Tensor:
    if max_norm is not None or scale_grad_by_freq or sparse:
        raise NotImplementedError("embedding: max_norm, scale_grad_by_freq and sparse are not supported")
    indices = input._data
    if indices.dtype.kind not in "iu":
        raise RuntimeError(
            "Expected tensor for argument #1 'indices' to have one of the following scalar types: Long, Int; "
            f"but got {_dtype.from_numpy_dtype(indices.dtype)} instead (while checking arguments for embedding)"
        )
    num_weights = weight._data.shape[0]
    if indices.size and (indices.min() < 0 or indices.max() >= num_weights):
        raise IndexError("index out of range in self")
    if padding_idx is not None and padding_idx < 0:
        padding_idx += num_weights
    params = {"indices": indices, "padding_idx": padding_idx, "num_weights": num_weights}
    return apply(_EMBEDDING, (weight,), params)


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    data = tensor._data
    if data.dtype != np.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    if data.size and data.min() < 0:
        raise RuntimeError("Class values must be non-negative.")
    if num_classes == -1:
        if not data.size:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        num_classes = int(data.max()) + 1
    elif data.size and data.max() >= num_classes:
        raise RuntimeError("Class values must be smaller than num_classes.")
    return new_tensor((data[..., None] == np.arange(num_classes)).astype(np.int64))


# --- normalizations -------------------------------------------------------------------------------
def _moments(xp: Any, x: Any, axes: tuple, count: int, eps: float) -> tuple:
    mean = xp.sum(x, axes, True) / count
    centered = x - mean
    var = xp.sum(centered * centered, axes, True) / count
    return centered, 1 / xp.sqrt(var + eps)


def _affine_primal(x: ndarray, weight: Any, bias: Any, axes: tuple, eps: float, param_shape: tuple) -> ndarray:
    count = int(np.prod([x.shape[a] for a in axes]))
    centered, rstd = _moments(_NUMPY, x, axes, count, eps)
    y = centered * rstd
    if weight is not None:
        y = y * weight.reshape(param_shape)
    if bias is not None:
        y = y + bias.reshape(param_shape)
    return y.astype(x.dtype, copy=False)


def _norm_input_vjp(
    xp: Any, g: Any, x: Any, weight: Any, bias: Any, axes: tuple, eps: float, param_shape: tuple
) -> Any:
    # gx = rstd * (gx̂ - mean(gx̂) - x̂ mean(gx̂ x̂)), x̂ the normalized input, gx̂ = g * weight.
    count = int(np.prod([x.shape[a] for a in axes]))
    centered, rstd = _moments(xp, x, axes, count, eps)
    x_hat = centered * rstd
    g_hat = g * xp.reshape(weight, param_shape) if weight is not None else g
    mean_g = xp.sum(g_hat, axes, True) / count
    mean_gx = xp.sum(g_hat * x_hat, axes, True) / count
    return rstd * (g_hat - mean_g - x_hat * mean_gx)


def _norm_weight_vjp(
    xp: Any, g: Any, x: Any, weight: Any, bias: Any, axes: tuple, eps: float, param_shape: tuple
) -> Any:
    count = int(np.prod([x.shape[a] for a in axes]))
    centered, rstd = _moments(xp, x, axes, count, eps)
    return _sum_to_param(xp, g * (centered * rstd), param_shape, weight.shape)


def _norm_bias_vjp(xp: Any, g: Any, x: Any, weight: Any, bias: Any, axes: tuple, eps: float, param_shape: tuple) -> Any:
    return _sum_to_param(xp, g, param_shape, bias.shape)


def _sum_to_param(xp: Any, g: Any, param_shape: tuple, shape_: tuple) -> Any:
    return xp.reshape(xp.sum_to(g, param_shape), tuple(shape_))


_LAYER_NORM = defop(
    "nn.layer_norm",
    "NativeLayerNormBackward0",
    _affine_primal,
    (_norm_input_vjp, _norm_weight_vjp, _norm_bias_vjp),
    save=INPUTS,
)
_BATCH_NORM_TRAIN = defop(
    "nn.batch_norm",
    "NativeBatchNormBackward0",
    _affine_primal,
    (_norm_input_vjp, _norm_weight_vjp, _norm_bias_vjp),
    save=INPUTS,
)


def layer_norm(
    input: Tensor,
    normalized_shape: Sequence[int],
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    normalized_shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    in_shape = input._data.shape
    k = len(normalized_shape)
    if k == 0 or in_shape[len(in_shape) - k :] != normalized_shape or len(in_shape) < k:
        raise RuntimeError(
            f"Given normalized_shape={list(normalized_shape)}, expected input with shape "
            f"[*, {', '.join(map(str, normalized_shape))}], but got input of size{list(in_shape)}"
        )
    for name, p in (("weight", weight), ("bias", bias)):
        if p is not None and p._data.shape != normalized_shape:
            raise RuntimeError(
                f"Expected {name} to be of same shape as normalized_shape, but got {name} of shape "
                f"{list(p._data.shape)} and normalized_shape = {list(normalized_shape)}"
            )
    axes = tuple(range(len(in_shape) - k, len(in_shape)))
    params = {"axes": axes, "eps": eps, "param_shape": normalized_shape}
    return apply(_LAYER_NORM, (input, weight, bias), params, dtype=input._data.dtype)


def _eval_norm_primal(
    x: ndarray, weight: Any, bias: Any, mean: ndarray, var: ndarray, eps: float, param_shape: tuple
) -> ndarray:
    y = (x - mean.reshape(param_shape)) / np.sqrt(var.reshape(param_shape) + eps)
    if weight is not None:
        y = y * weight.reshape(param_shape)
    if bias is not None:
        y = y + bias.reshape(param_shape)
    return y.astype(x.dtype, copy=False)


def _eval_rstd(var: ndarray, eps: float, param_shape: tuple) -> ndarray:
    return 1 / np.sqrt(var.reshape(param_shape) + eps)


_BATCH_NORM_EVAL = defop(
    "nn.batch_norm_eval",
    "NativeBatchNormBackward0",
    _eval_norm_primal,
    (
        lambda xp, g, x, w, b, mean, var, eps, param_shape: (
            g
            * (_eval_rstd(var, eps, param_shape).astype(mean.dtype))
            * (xp.reshape(w, param_shape) if w is not None else 1.0)
        ),
        lambda xp, g, x, w, b, mean, var, eps, param_shape: _sum_to_param(
            xp, g * ((x - mean.reshape(param_shape)) * _eval_rstd(var, eps, param_shape)), param_shape, w.shape
        ),
        lambda xp, g, x, w, b, mean, var, eps, param_shape: _sum_to_param(xp, g, param_shape, b.shape),
    ),
    save=INPUTS,
    jvp=None,
)


def batch_norm(
    input: Tensor,
    running_mean: Tensor | None,
    running_var: Tensor | None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Normalizes over every dim but the channel dim (1). Training uses the batch's statistics
    and updates ``running_mean``/``running_var`` in place (unbiased variance, ``momentum``)."""
    data = input._data
    if data.ndim < 2:
        raise ValueError(f"Expected 2D or higher input (got {data.ndim}D input)")
    channels = data.shape[1]
    param_shape = (1, channels) + (1,) * (data.ndim - 2)
    for name, p in (("running_mean", running_mean), ("running_var", running_var), ("weight", weight), ("bias", bias)):
        if p is not None and p._data.shape != (channels,):
            raise RuntimeError(
                f"{name} should contain {channels} elements not {p._data.size}"
                if name.startswith("running")
                else f"Expected {name} to have {channels} elements, but got {p._data.size}"
            )
    axes = (0,) + tuple(range(2, data.ndim))
    if training:
        count = data.size // channels
        if count <= 1:
            raise ValueError(f"Expected more than 1 value per channel when training, got input size {list(data.shape)}")
        if running_mean is not None or running_var is not None:
            mean = data.mean(axis=axes)
            var = data.var(axis=axes) * count / (count - 1)
            if running_mean is not None:
                running_mean._data[...] = (1 - momentum) * running_mean._data + momentum * mean
                running_mean._bump_version()
            if running_var is not None:
                running_var._data[...] = (1 - momentum) * running_var._data + momentum * var
                running_var._bump_version()
        params = {"axes": axes, "eps": eps, "param_shape": param_shape}
        return apply(_BATCH_NORM_TRAIN, (input, weight, bias), params, dtype=data.dtype)
    if running_mean is None or running_var is None:
        raise RuntimeError("running_mean and running_var must be defined in evaluation mode")
    params = {
        "mean": running_mean._data.astype(data.dtype),
        "var": running_var._data.astype(data.dtype),
        "eps": eps,
        "param_shape": param_shape,
    }
    return apply(_BATCH_NORM_EVAL, (input, weight, bias), params, dtype=data.dtype)


def _norm_keepdim(x: Tensor, p: float, dim: int) -> Tensor:
    if p == 2:
        return elementwise.sqrt(reduction.sum(x * x, dim, keepdim=True))
    vector_norm = getattr(reduction, "vector_norm", None)
    if vector_norm is not None:
        return vector_norm(x, p, dim, True)
    return elementwise.pow(reduction.sum(elementwise.pow(elementwise.abs(x), p), dim, keepdim=True), 1.0 / p)


def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12, out: Any = None) -> Tensor:
    """input / max(‖input‖_p over dim, eps)."""
    denom = elementwise.clamp(_norm_keepdim(input, p, dim), min=eps)
    return elementwise.div(input, shape.expand_as(denom, input))


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """sum(x1/max(‖x1‖, eps) * x2/max(‖x2‖, eps)) over dim, after broadcasting x1 and x2."""
    n1 = elementwise.clamp(_norm_keepdim(x1, 2, dim), min=eps)
    n2 = elementwise.clamp(_norm_keepdim(x2, 2, dim), min=eps)
    return reduction.sum(elementwise.div(x1, n1) * elementwise.div(x2, n2), dim)


from bibun.ops._xp import NUMPY as _NUMPY  # noqa: E402

__all__ = [
    "linear",
    "bilinear",
    "dropout",
    "embedding",
    "one_hot",
    "layer_norm",
    "batch_norm",
    "normalize",
    "cosine_similarity",
]
