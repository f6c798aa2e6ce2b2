"""More of ``torch.nn.functional``: glu, the shrink family, threshold, prelu, rrelu, the in-place
activation names, gumbel_softmax, and the group/instance/RMS/local-response normalizations
(docs/nn.md). Each is an op with PyTorch's grad_fn name, or composed of ops where PyTorch
composes it (tanhshrink, rms_norm, instance_norm, local_response_norm, gumbel_softmax), so
the recorded graph ends in the node PyTorch shows."""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

import bibun.ops as _ops
from bibun import _creation, _dtype
from bibun._tensor import Tensor, new_tensor
from bibun.nn import _activation, _layers
from bibun.nn._activation import _ELU, _LEAKY_RELU, _SELU_ALPHA, _SELU_SCALE, _unary_op
from bibun.ops import _xp, elementwise, reduction, shape
from bibun.ops._registry import INPUTS, OUTPUT, apply, defop
from bibun.ops.inplace import write

ndarray = np.ndarray


def _check_float(input: Tensor, kernel: str) -> Tensor:
    if not isinstance(input, Tensor):
        raise TypeError(f"argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
    if input._data.dtype.kind not in "fc":
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{_dtype.scalar_type_name(input._data.dtype)}'")
    return input


# --- glu -----------------------------------------------------------------------------------------
def _halves(ndim: int, dim: int, half: int) -> tuple[tuple, tuple]:
    lead = (slice(None),) * dim
    return lead + (slice(0, half),), lead + (slice(half, None),)


def _glu_vjp(xp: Any, g: Any, x: Any, dim: int, half: int) -> Any:
    # The gradient of each half, placed back at its half of the input (index_put_zeros is a
    # recorded op, so the second derivative is recorded too).
    first, second = _halves(len(x.shape), dim, half)
    a, s = xp.getitem(x, first), xp.sigmoid(xp.getitem(x, second))
    grad_a = g * s
    grad_b = g * a * s * (1 - s)
    shape_ = tuple(x.shape)
    return xp.index_put_zeros(shape_, first, grad_a) + xp.index_put_zeros(shape_, second, grad_b)


def _glu_jvp(xp: Any, tangents: tuple, x: Any, dim: int, half: int) -> Any:
    first, second = _halves(len(x.shape), dim, half)
    t = tangents[0]
    a, s = xp.getitem(x, first), xp.sigmoid(xp.getitem(x, second))
    return xp.getitem(t, first) * s + a * s * (1 - s) * xp.getitem(t, second)


def _glu_primal(x: ndarray, dim: int, half: int) -> ndarray:
    first, second = _halves(x.ndim, dim, half)
    return (x[first] * _xp.NUMPY.sigmoid(x[second])).astype(x.dtype, copy=False)


_GLU = defop("nn.glu", "GluBackward0", _glu_primal, (_glu_vjp,), save=INPUTS, jvp=_glu_jvp)


def glu(input: Tensor, dim: int = -1) -> Tensor:
    """The first half of ``input`` along ``dim`` times the sigmoid of the second half."""
    data = input._data
    if data.ndim == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    _check_float(input, "glu_cpu")
    dim = shape.normalize_dim(dim, data.ndim)
    size = data.shape[dim]
    if size % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {dim} is size {size}")
    return apply(_GLU, (input,), {"dim": dim, "half": size // 2})


# --- shrink, threshold -----------------------------------------------------------------------------
_HARDSHRINK = _unary_op(
    "hardshrink",
    "HardshrinkBackward0",
    lambda x, lambd: np.where((x > lambd) | (x < -lambd), x, 0).astype(x.dtype, copy=False),
    lambda xp, g, x, lambd: xp.where((x > lambd) | (x < -lambd), g, 0.0),
)
_SOFTSHRINK = _unary_op(
    "softshrink",
    "SoftshrinkBackward0",
    lambda x, lambd: np.where(x > lambd, x - lambd, np.where(x < -lambd, x + lambd, 0)).astype(x.dtype, copy=False),
    lambda xp, g, x, lambd: xp.where((x > lambd) | (x < -lambd), g, 0.0),
)


def hardshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """``input`` where \\|input\\| > lambd, else 0."""
    return apply(_HARDSHRINK, (_check_float(input, "hardshrink_cpu"),), {"lambd": lambd})


def softshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """``input`` moved towards 0 by lambd, and 0 within [-lambd, lambd]."""
    _check_float(input, "softshrink_cpu")
    if lambd < 0:
        dtype = input._data.dtype
        name = _dtype.scalar_type_name(dtype)
        limit = f"{float(np.finfo(dtype).max):g}"
        raise RuntimeError(f"lambda must be in range [0, {limit}] for input dtype {name}, but found {lambd:g}")
    return apply(_SOFTSHRINK, (input,), {"lambd": lambd})


def tanhshrink(input: Tensor) -> Tensor:
    """``input - tanh(input)``, composed as PyTorch composes it (SubBackward0)."""
    return input - elementwise.tanh(input)


def _threshold_primal(x: ndarray, threshold: float, value: float) -> ndarray:
    return np.where(x > threshold, x, value).astype(x.dtype, copy=False)


_THRESHOLD = _unary_op(
    "threshold",
    "ThresholdBackward0",
    _threshold_primal,
    lambda xp, g, x, threshold, value: xp.where(x > threshold, g, 0.0),
)
# The in-place form has a name of its own in PyTorch but the same rule, on the old value.
_THRESHOLD_INPLACE = _unary_op(
    "threshold_",
    "ThresholdBackward1",
    _threshold_primal,
    lambda xp, g, x, threshold, value: xp.where(x > threshold, g, 0.0),
)


def threshold(input: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:
    """``input`` where it is greater than ``threshold``, else ``value``."""
    if inplace:
        return threshold_(input, threshold, value)
    params = {"threshold": threshold, "value": value}
    if input._data.dtype.kind not in "fc":
        return new_tensor(_threshold_primal(input._data, threshold, value))
    return apply(_THRESHOLD, (input,), params)


# --- prelu -------------------------------------------------------------------------------------------
def _prelu_shape(x_ndim: int, weight_size: int) -> tuple:
    # A per-channel weight lines up with dim 1; below 2-D there is one channel.
    if weight_size == 1 or x_ndim < 2:
        return ()
    return (weight_size,) + (1,) * (x_ndim - 2)


def _prelu_primal(x: ndarray, w: ndarray, wshape: tuple) -> ndarray:
    return np.where(x > 0, x, x * w.reshape(wshape)).astype(x.dtype, copy=False)


def _prelu_weight_vjp(xp: Any, g: Any, x: Any, w: Any, wshape: tuple) -> Any:
    return xp.reshape(xp.sum_to(xp.where(x > 0, 0.0, g * x), wshape), tuple(w.shape))


_PRELU = defop(
    "nn.prelu",
    "PreluKernelBackward0",
    _prelu_primal,
    (
        lambda xp, g, x, w, wshape: xp.where(x > 0, g, g * xp.reshape(w, wshape)),
        _prelu_weight_vjp,
    ),
    save=INPUTS,
    jvp=lambda xp, tangents, x, w, wshape: _prelu_jvp(xp, tangents, x, w, wshape),
)


def _prelu_jvp(xp: Any, tangents: tuple, x: Any, w: Any, wshape: tuple) -> Any:
    tx, tw = tangents
    out = 0.0
    if tx is not None:
        out = out + xp.where(x > 0, tx, tx * xp.reshape(w, wshape))
    if tw is not None:
        out = out + xp.where(x > 0, 0.0, x * xp.reshape(tw, wshape))
    return out


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """``input`` where positive, else ``weight * input``; ``weight`` has one element or one per
    channel (dim 1)."""
    _check_float(input, "prelu_cpu")
    data = input._data
    size = weight._data.size
    if size != 1:
        channels = data.shape[1] if data.ndim >= 2 else 1
        if size != channels:
            raise RuntimeError(
                "Mismatch of parameter numbers and input channel size. "
                f"Found parameter numbers = {size} and channel size = {channels}."
            )
    return apply(_PRELU, (input, weight), {"wshape": _prelu_shape(data.ndim, size)})


# --- rrelu ---------------------------------------------------------------------------------------
def _rrelu_op(name: str, grad_fn: str) -> Any:
    # The noise (1 where the input is kept, the drawn or mean slope elsewhere) is a parameter:
    # the result is input * noise and so is the gradient, in either mode.
    return defop(
        name,
        grad_fn,
        lambda x, noise: (x * noise).astype(x.dtype, copy=False),
        (lambda xp, g, noise: g * noise,),
        jvp="elementwise",
    )


_RRELU = _rrelu_op("nn.rrelu", "RreluWithNoiseBackward0")
_RRELU_INPLACE = _rrelu_op("nn.rrelu_", "RreluWithNoiseBackward1")


def _rrelu_noise(data: ndarray, lower: float, upper: float, training: bool) -> ndarray:
    if lower > upper:
        raise RuntimeError("Lower bound should be less than or equal to the upper bound")
    if training:
        drawn = _creation.default_generator._rng.uniform(lower, upper, size=data.shape)
        return np.where(data <= 0, drawn, 1.0).astype(data.dtype)
    return np.where(data > 0, 1.0, (lower + upper) / 2).astype(data.dtype)


def rrelu(
    input: Tensor,
    lower: float = 1.0 / 8.0,
    upper: float = 1.0 / 3.0,
    training: bool = False,
    inplace: bool = False,
) -> Tensor:
    """Leaky relu whose negative slope is drawn from U(lower, upper) per element when training
    (bibun's generator) and is (lower + upper) / 2 otherwise."""
    if inplace:
        return rrelu_(input, lower, upper, training)
    _check_float(input, "rrelu_with_noise_out_cpu")
    noise = _rrelu_noise(input._data, lower, upper, training)
    return apply(_RRELU, (input,), {"noise": noise})


def rrelu_(input: Tensor, lower: float = 1.0 / 8.0, upper: float = 1.0 / 3.0, training: bool = False) -> Tensor:
    _check_float(input, "rrelu_with_noise_out_cpu")
    noise = _rrelu_noise(input._data, lower, upper, training)
    return write(input, lambda x: apply(_RRELU_INPLACE, (x,), {"noise": noise}))


# --- in-place activations --------------------------------------------------------------------------
# Each is the out-of-place op written back into ``input`` (ops/inplace.py ``write``: version
# bump, view rebase, leaf check, forward mode). Where PyTorch's in-place kernel saves its result
# instead of its input, so does the op here, with PyTorch's "...Backward1" name.
def _elu_from_output(
    xp: Any, g: Any, out: Any, alpha: float, scale: float, input_scale: float, grad_input_scale: Any = None
) -> Any:
    # For x <= 0, out = scale * alpha * (exp(x * input_scale) - 1), so the derivative
    # scale * alpha * input_scale * exp(x * input_scale) is input_scale * (out + scale * alpha).
    if grad_input_scale is not None:  # celu_: PyTorch's 1 / float32(alpha)
        input_scale = grad_input_scale
    return xp.where(out > 0, g * scale, g * input_scale * (out + scale * alpha))


_ELU_INPLACE = _unary_op("elu_", "EluBackward1", _ELU.primal, _elu_from_output, save=OUTPUT)
_CELU_INPLACE = _unary_op("celu_", "CeluBackward1", _ELU.primal, _elu_from_output, save=OUTPUT)
_LEAKY_RELU_INPLACE = _unary_op(
    "leaky_relu_",
    "LeakyReluBackward1",
    _LEAKY_RELU.primal,
    lambda xp, g, out, negative_slope: xp.where(out > 0, g, g * negative_slope),
    save=OUTPUT,
)


def _negative_slope_check(input: Tensor, slope: float, name: str) -> None:
    from bibun.autograd import grad_mode

    if slope < 0 and input._requires_grad and grad_mode.state_get()[0]:
        # PyTorch raises this in backward; raising before the write keeps ``input`` unchanged.
        raise RuntimeError(
            f"In-place {name} backward calculation is triggered with a negative slope which is not supported. "
            "This is caused by calling in-place forward function with a negative slope, please call "
            "out-of-place version instead."
        )


def _elu_inplace(op: Any, input: Tensor, kernel: str, params: dict) -> Tensor:
    _check_float(input, kernel)
    _negative_slope_check(input, params["alpha"], "elu")
    return write(input, lambda x: apply(op, (x,), params))


def relu_(input: Tensor) -> Tensor:
    return write(input, elementwise.relu)


def elu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    return _elu_inplace(_ELU_INPLACE, input, "elu", {"alpha": alpha, "scale": 1.0, "input_scale": 1.0})


def selu_(input: Tensor) -> Tensor:
    params = {"alpha": _SELU_ALPHA, "scale": _SELU_SCALE, "input_scale": 1.0}
    return _elu_inplace(_ELU_INPLACE, input, "selu", params)


def celu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError")
    return _elu_inplace(_CELU_INPLACE, input, "celu", _activation.celu_params(alpha))


def leaky_relu_(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    _check_float(input, "leaky_relu")
    _negative_slope_check(input, negative_slope, "leakyReLu")
    return write(input, lambda x: apply(_LEAKY_RELU_INPLACE, (x,), {"negative_slope": negative_slope}))


def hardtanh_(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    return write(input, _activation.hardtanh, (min_val, max_val), copy_self=True)


def threshold_(input: Tensor, threshold: float, value: float) -> Tensor:
    if input._data.dtype.kind not in "fc":
        return write(input, lambda x: new_tensor(_threshold_primal(x._data, threshold, value)))
    params = {"threshold": threshold, "value": value}
    return write(input, lambda x: apply(_THRESHOLD_INPLACE, (x,), params), copy_self=True)


# --- normalizations --------------------------------------------------------------------------------
def _normalized_dims(input: Tensor, normalized_shape: Any) -> tuple[tuple, tuple]:
    normalized_shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    in_shape = input._data.shape
    k = len(normalized_shape)
    if k == 0 or len(in_shape) < k or in_shape[len(in_shape) - k :] != normalized_shape:
        raise RuntimeError(
            f"Given normalized_shape={list(normalized_shape)}, expected input with shape "
            f"[*{', '.join(map(str, normalized_shape))}], but got input of size{list(in_shape)}"
        )
    return normalized_shape, tuple(range(len(in_shape) - k, len(in_shape)))


def rms_norm(
    input: Tensor, normalized_shape: Sequence[int], weight: Tensor | None = None, eps: float | None = None
) -> Tensor:
    """``input * rsqrt(mean(input**2) + eps)`` over the last dims, times ``weight``: composed as
    PyTorch composes it (MulBackward0). ``eps`` defaults to the dtype's machine epsilon."""
    normalized_shape, dims = _normalized_dims(input, normalized_shape)
    if weight is not None and weight._data.shape != normalized_shape:
        raise RuntimeError(
            f"Expected weight to be of same shape as normalized_shape, but got weight of shape "
            f"{list(weight._data.shape)} and normalized_shape = {list(normalized_shape)}"
        )
    if eps is None:
        eps = float(np.finfo(input._data.dtype).eps)
    mean_square = reduction.mean(elementwise.pow(input, 2), dims, keepdim=True)
    out = input * _ops.rsqrt(mean_square + eps)
    return out if weight is None else out * weight


def _grouped(x_shape: tuple, groups: int) -> tuple[tuple, tuple, tuple]:
    # (N, C, *) seen as (N, G, C/G, *): the statistics are over dims 2.., the per-channel
    # affine parameters line up with (G, C/G).
    n, c = x_shape[0], x_shape[1]
    gshape = (n, groups, c // groups) + tuple(x_shape[2:])
    axes = tuple(range(2, len(gshape)))
    param_shape = (1, groups, c // groups) + (1,) * (len(x_shape) - 2)
    return gshape, axes, param_shape


def _group_norm_primal(x: ndarray, w: Any, b: Any, groups: int, eps: float) -> ndarray:
    gshape, axes, param_shape = _grouped(x.shape, groups)
    return _layers._affine_primal(x.reshape(gshape), w, b, axes, eps, param_shape).reshape(x.shape)


def _group_norm_rule(rule: Any, reshape_back: bool) -> Any:
    def vjp(xp: Any, g: Any, x: Any, w: Any, b: Any, groups: int, eps: float) -> Any:
        shape_ = tuple(x.shape)
        gshape, axes, param_shape = _grouped(shape_, groups)
        out = rule(xp, xp.reshape(g, gshape), xp.reshape(x, gshape), w, b, axes, eps, param_shape)
        return xp.reshape(out, shape_) if reshape_back else out

    return vjp


def _group_norm_jvp(xp: Any, tangents: tuple, x: Any, w: Any, b: Any, groups: int, eps: float) -> Any:
    # x̂ = (x - mean) * rstd has tangent rstd * (t - mean(t)) - x̂ * mean(x̂ * rstd * (t - mean(t)));
    # the affine part adds x̂ * t_w and t_b.
    tx, tw, tb = tangents
    shape_ = tuple(x.shape)
    gshape, axes, param_shape = _grouped(shape_, groups)
    count = int(np.prod([gshape[a] for a in axes]))
    centered, rstd = _layers._moments(xp, xp.reshape(x, gshape), axes, count, eps)
    x_hat = centered * rstd
    out = 0.0
    if tx is not None:
        t = xp.reshape(tx, gshape)
        t_hat = (t - xp.sum(t, axes, True) / count) * rstd
        t_hat = t_hat - x_hat * (xp.sum(x_hat * t_hat, axes, True) / count)
        out = t_hat * xp.reshape(w, param_shape) if w is not None else t_hat
    if tw is not None:
        out = out + x_hat * xp.reshape(tw, param_shape)
    if tb is not None:
        out = out + xp.reshape(tb, param_shape)
    # Only the bias may have a tangent: its term still has the parameter's shape.
    return xp.reshape(xp.broadcast_to(out, gshape), shape_)


_GROUP_NORM = defop(
    "nn.group_norm",
    "NativeGroupNormBackward0",
    _group_norm_primal,
    (
        _group_norm_rule(_layers._norm_input_vjp, True),
        _group_norm_rule(_layers._norm_weight_vjp, False),
        _group_norm_rule(_layers._norm_bias_vjp, False),
    ),
    save=INPUTS,
    jvp=_group_norm_jvp,
)


def group_norm(
    input: Tensor, num_groups: int, weight: Tensor | None = None, bias: Tensor | None = None, eps: float = 1e-5
) -> Tensor:
    """Normalizes each group of ``C / num_groups`` channels (with the spatial dims) of each
    sample, then applies the per-channel ``weight`` and ``bias``: one NativeGroupNormBackward0."""
    data = input._data
    if data.ndim < 2:
        raise RuntimeError(f"Expected at least 2 dimensions for input tensor but received {data.ndim}")
    channels = data.shape[1]
    if num_groups <= 0 or channels % num_groups:
        raise RuntimeError(
            "Expected number of channels in input to be divisible by num_groups, but got input of shape "
            f"{list(data.shape)} and num_groups={num_groups}"
        )
    for name, p in (("weight", weight), ("bias", bias)):
        if p is not None and (p._data.ndim != 1 or p._data.shape[0] != channels):
            raise RuntimeError(
                f"Expected {name} to be a vector of size equal to the number of channels in input, but got "
                f"{name} of shape {list(p._data.shape)} and input of shape {list(data.shape)}"
            )
    _check_float(input, "native_group_norm")
    return apply(_GROUP_NORM, (input, weight, bias), {"groups": num_groups, "eps": eps}, dtype=data.dtype)


def instance_norm(
    input: Tensor,
    running_mean: Tensor | None = None,
    running_var: Tensor | None = None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    use_input_stats: bool = True,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """batch_norm over (1, N * C, *), each sample's channel a channel of its own, viewed back, as
    PyTorch composes it (ViewBackward0). Running statistics are updated with the mean over
    the batch of each sample's update."""
    data = input._data
    if use_input_stats:
        spatial = int(np.prod(data.shape[2:])) if data.ndim > 2 else 0
        if data.ndim < 2 or spatial <= 1:
            raise ValueError(f"Expected more than 1 spatial element when training, got input size {input.size()}")
    n, c = data.shape[0], data.shape[1]
    folded = shape.reshape(input, (1, n * c) + tuple(data.shape[2:]))

    def repeated(p: Tensor | None) -> Tensor | None:
        return None if p is None else shape.reshape(shape.expand(p, (n, c)), (n * c,))

    means = None if running_mean is None else new_tensor(np.tile(running_mean._data, n))
    variances = None if running_var is None else new_tensor(np.tile(running_var._data, n))
    out = _layers.batch_norm(folded, means, variances, repeated(weight), repeated(bias), use_input_stats, momentum, eps)
    if use_input_stats:
        for running, folded_stat in ((running_mean, means), (running_var, variances)):
            if running is not None:
                running._data[...] = folded_stat._data.reshape(n, c).mean(axis=0)
                running._bump_version()
    return shape.reshape(out, data.shape)


def local_response_norm(input: Tensor, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0) -> Tensor:
    """``input / (k + alpha * mean of input**2 over a window of size channels) ** beta``, the
    window zero-padded at the edges; composed as PyTorch composes it (DivBackward0)."""
    data = input._data
    if data.ndim < 3:
        raise ValueError(
            f"Expected 3D or higher dimensionality                          input (got {data.ndim} dimensions)"
        )
    if data.size == 0:
        return input.clone()
    from bibun.nn.functional import pad

    square = input * input
    before, after = size // 2, (size - 1) // 2
    padded = pad(square, (0, 0) * (data.ndim - 2) + (before, after))
    channels = data.shape[1]
    # The window sum as a sum of shifted slices along the channel dim (an average pool of
    # height ``size`` and stride 1 in PyTorch).
    window = _ops.narrow(padded, 1, 0, channels)
    for offset in range(1, size):
        window = window + _ops.narrow(padded, 1, offset, channels)
    div = elementwise.pow(window * (alpha / size) + k, beta)
    return input / div


def gumbel_softmax(logits: Tensor, tau: float = 1, hard: bool = False, eps: float = 1e-10, dim: int = -1) -> Tensor:
    """softmax((logits + g) / tau) with g ~ Gumbel(0, 1) drawn from bibun's generator; ``hard``
    returns the one-hot of the argmax with the soft sample's gradient (y_hard - y_soft.detach() +
    y_soft, AddBackward0), as PyTorch."""
    data = logits._data
    exponential = _creation.default_generator._rng.exponential(size=data.shape).astype(data.dtype)
    gumbels = new_tensor(-np.log(exponential))
    y_soft = _activation.softmax((logits + gumbels) / tau, dim)
    if not hard:
        return y_soft
    soft = y_soft._data
    axis = shape.normalize_dim(dim, soft.ndim)
    index = np.expand_dims(np.argmax(soft, axis=axis), axis)
    one_hot = np.zeros_like(soft)
    np.put_along_axis(one_hot, index, 1.0, axis=axis)
    return new_tensor(one_hot) - y_soft.detach() + y_soft


__all__ = [
    "glu",
    "hardshrink",
    "softshrink",
    "tanhshrink",
    "threshold",
    "prelu",
    "rrelu",
    "rrelu_",
    "relu_",
    "elu_",
    "leaky_relu_",
    "hardtanh_",
    "selu_",
    "celu_",
    "threshold_",
    "rms_norm",
    "group_norm",
    "instance_norm",
    "local_response_norm",
    "gumbel_softmax",
]

# PyTorch's Tensor methods among these names (x.prelu(w), x.hardshrink()); the functions take
# the tensor first, so they bind as they are.
for _name in ("prelu", "hardshrink"):
    setattr(Tensor, _name, globals()[_name])
