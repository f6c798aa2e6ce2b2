"""More of ``torch.nn.functional``: glu, the shrink family, threshold, prelu, rrelu, the in-place
activation names, gumbel_softmax, and the group/instance/RMS/local-response normalizations
(docs/nn.md). Each is an op with PyTorch's grad_fn name, or composed of ops where PyTorch
composes it (tanhshrink, rms_norm, instance_norm, local_response_norm, gumbel_softmax), so
the recorded graph ends in the node PyTorch shows."""

from __future__ import annotations

from typing import Any

import numpy as np

from bibun import _creation, _dtype
from bibun._tensor import Tensor, new_tensor
from bibun.nn import _activation
from bibun.nn._activation import _ELU, _LEAKY_RELU, _SELU_ALPHA, _SELU_SCALE, _unary_op
from bibun.ops import _xp, elementwise, shape
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
# The in-place form saves its result, as PyTorch's does: the mask is ``result > threshold``,
# which passes the gradient where ``value > threshold`` replaced an element (PyTorch's quirk).
_THRESHOLD_INPLACE = _unary_op(
    "threshold_",
    "ThresholdBackward1",
    _threshold_primal,
    lambda xp, g, out, threshold, value: xp.where(out > threshold, g, 0.0),
    save=OUTPUT,
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
def _elu_from_output(xp: Any, g: Any, out: Any, alpha: float, scale: float, input_scale: float) -> Any:
    # For x <= 0, out = scale * alpha * (exp(x * input_scale) - 1), so the derivative
    # scale * alpha * input_scale * exp(x * input_scale) is input_scale * (out + scale * alpha).
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
    return _elu_inplace(_CELU_INPLACE, input, "celu", {"alpha": alpha, "scale": 1.0, "input_scale": 1.0 / alpha})


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
    return write(input, lambda x: apply(_THRESHOLD_INPLACE, (x,), params))


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
]

# PyTorch's Tensor methods among these names (x.prelu(w), x.hardshrink()); the functions take
# the tensor first, so they bind as they are.
for _name in ("prelu", "hardshrink"):
    setattr(Tensor, _name, globals()[_name])
