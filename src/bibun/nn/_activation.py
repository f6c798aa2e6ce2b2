"""Activation functions and softmax, each an op with PyTorch's grad_fn name (docs/nn.md).
Rules use only the shared rule vocabulary (ops/_xp.py) or ops declared here, so second
derivatives are recorded too: gelu's derivative is itself an op (``gelu_backward``)."""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from bibun import _dtype
from bibun._tensor import Tensor
from bibun.ops import _xp, elementwise, shape
from bibun.ops._registry import INPUTS, OUTPUT, apply, defop
from bibun.ops.linalg import _register_vocabulary

ELEMENTWISE = "elementwise"
ndarray = np.ndarray


def _float_input(input: Tensor, name: str) -> Tensor:
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
    if input._data.dtype.kind not in "fc":
        raise NotImplementedError(f"\"{name}\" not implemented for '{_dtype.from_numpy_dtype(input._data.dtype)}'")
    return input


def _unary_op(name: str, grad_fn: str, primal: Any, vjp: Any, save: Any = INPUTS) -> Any:
    return defop(f"nn.{name}", grad_fn, primal, (vjp,), save=save, jvp=ELEMENTWISE)


# --- piecewise linear ------------------------------------------------------------------------
_HARDTANH = _unary_op(
    "hardtanh",
    "HardtanhBackward0",
    lambda x, min_val, max_val: np.clip(x, min_val, max_val),
    # PyTorch passes no gradient at the bounds themselves (unlike clamp).
    lambda xp, g, x, min_val, max_val: xp.where((x > min_val) & (x < max_val), g, 0.0),
)


def _in_place(name: str, input: Tensor, *args: Any) -> Tensor:
    """``inplace=True``: the activation's in-place form (_activation_extra.py, which imports
    this module, hence the late import)."""
    from bibun.nn import _activation_extra

    return getattr(_activation_extra, name)(input, *args)


def _written_back(function: Any, input: Tensor) -> Tensor:
    """``inplace=True`` for activations PyTorch has no separate in-place name for here: the
    result written back into ``input`` (its old value kept for the backward rule)."""
    from bibun.ops.inplace import write

    return write(input, function, copy_self=True)


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False) -> Tensor:
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    if inplace:
        return _in_place("hardtanh_", input, min_val, max_val)
    return apply(_HARDTANH, (_float_input(input, "hardtanh"),), {"min_val": min_val, "max_val": max_val})


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    if inplace:
        return _in_place("relu_", input)
    return elementwise.relu(input)


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    return hardtanh(input, 0.0, 6.0, inplace)


_LEAKY_RELU = _unary_op(
    "leaky_relu",
    "LeakyReluBackward0",
    lambda x, negative_slope: np.where(x > 0, x, x * negative_slope).astype(x.dtype, copy=False),
    lambda xp, g, x, negative_slope: xp.where(x > 0, g, g * negative_slope),
)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    if inplace:
        return _in_place("leaky_relu_", input, negative_slope)
    return apply(_LEAKY_RELU, (_float_input(input, "leaky_relu"),), {"negative_slope": negative_slope})


# PyTorch's hardsigmoid backward multiplies by 1/6 rounded to float32, in every dtype.
_ONE_SIXTH_F32 = float(np.float32(1.0 / 6.0))
_HARDSIGMOID = _unary_op(
    "hardsigmoid",
    "HardsigmoidBackward0",
    lambda x: (np.clip(x + 3, 0, 6) / 6).astype(x.dtype, copy=False),
    lambda xp, g, x: xp.where((x > -3) & (x < 3), g * _ONE_SIXTH_F32, 0.0),
)
_HARDSWISH = _unary_op(
    "hardswish",
    "HardswishBackward0",
    lambda x: (x * np.clip(x + 3, 0, 6) / 6).astype(x.dtype, copy=False),
    # PyTorch's kernel: 0 up to and including -3, the slope below 3, 1 from 3 on.
    lambda xp, g, x: xp.where(x <= -3, 0.0, xp.where(x < 3, g * (x / 3 + 0.5), g)),
)


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    if inplace:
        return _written_back(hardsigmoid, input)
    return apply(_HARDSIGMOID, (_float_input(input, "hardsigmoid"),))


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    if inplace:
        return _written_back(hardswish, input)
    return apply(_HARDSWISH, (_float_input(input, "hardswish"),))


# --- exponential family ----------------------------------------------------------------------
# PyTorch's CPU formulas, term for term, with small float32 arrays' exp/log1p/expm1
# correctly rounded (_xp.precise): the printed digits then agree with PyTorch's.
_expm1, _log1p, _exp = _xp.precise(np.expm1), _xp.precise(np.log1p), _xp.NUMPY.exp


def _elu_primal(x: ndarray, alpha: float, scale: float, input_scale: float, grad_input_scale: Any = None) -> ndarray:
    negative = _expm1(np.minimum(x, 0) * input_scale) * (alpha * scale)
    return np.where(x > 0, x * scale, negative).astype(x.dtype, copy=False)


def _elu_vjp(
    xp: Any, g: Any, x: Any, alpha: float, scale: float, input_scale: float, grad_input_scale: Any = None
) -> Any:
    # For x <= 0 the derivative is scale * alpha * input_scale * exp(x * input_scale); the
    # exponent is clipped at 0 so the unused branch never overflows. ``grad_input_scale``:
    # celu's, which PyTorch's derivative takes as 1 / alpha with alpha rounded to float32.
    if grad_input_scale is not None:
        input_scale = grad_input_scale
    negative = g * (scale * alpha * input_scale) * xp.exp(xp.where(x > 0, 0.0, x) * input_scale)
    return xp.where(x > 0, g * scale, negative)


_ELU = _unary_op("elu", "EluBackward0", _elu_primal, _elu_vjp)
_CELU = _unary_op("celu", "CeluBackward0", _elu_primal, _elu_vjp)
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    if inplace:
        return _in_place("elu_", input, alpha)
    params = {"alpha": alpha, "scale": 1.0, "input_scale": 1.0}
    return apply(_ELU, (_float_input(input, "elu"),), params)


def selu(input: Tensor, inplace: bool = False) -> Tensor:
    if inplace:
        return _in_place("selu_", input)
    params = {"alpha": _SELU_ALPHA, "scale": _SELU_SCALE, "input_scale": 1.0}
    return apply(_ELU, (_float_input(input, "selu"),), params)


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    if inplace:
        return _in_place("celu_", input, alpha)
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError")
    return apply(_CELU, (_float_input(input, "celu"),), celu_params(alpha))


def celu_params(alpha: float) -> dict:
    """celu as elu: input_scale 1 / alpha, and PyTorch's derivative's 1 / float32(alpha)."""
    return {
        "alpha": alpha,
        "scale": 1.0,
        "input_scale": 1.0 / alpha,
        "grad_input_scale": 1.0 / float(np.float32(alpha)),
    }


def _softplus_primal(x: ndarray, beta: float, threshold: float) -> ndarray:
    bx = x * beta
    with np.errstate(over="ignore"):  # exp overflows only where the threshold picks x
        soft = _log1p(_exp(bx)) / beta
    return np.where(bx > threshold, x, soft).astype(x.dtype, copy=False)


_SOFTPLUS = _unary_op(
    "softplus",
    "SoftplusBackward0",
    _softplus_primal,
    lambda xp, g, x, beta, threshold: xp.where(x * beta > threshold, g, g * xp.sigmoid(x * beta)),
)


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    return apply(_SOFTPLUS, (_float_input(input, "softplus"),), {"beta": beta, "threshold": threshold})


_LOGSIGMOID = _unary_op(
    "logsigmoid",
    "LogSigmoidBackward0",
    lambda x: (np.minimum(x, 0) - _log1p(_exp(-np.abs(x)))).astype(x.dtype, copy=False),
    lambda xp, g, x: g * xp.sigmoid(-x),
)


def logsigmoid(input: Tensor) -> Tensor:
    return apply(_LOGSIGMOID, (_float_input(input, "log_sigmoid_forward"),))


def _silu_primal(x: ndarray) -> ndarray:
    with np.errstate(over="ignore"):  # exp(-x) = inf for very negative x gives x / inf = -0
        return (x / (1 + _exp(-x))).astype(x.dtype, copy=False)


def _silu_vjp(xp: Any, g: Any, x: Any) -> Any:
    s = xp.sigmoid(x)
    return g * (s * (1 + x * (1 - s)))


_SILU = _unary_op("silu", "SiluBackward0", _silu_primal, _silu_vjp)


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    if inplace:
        return _written_back(silu, input)
    return apply(_SILU, (_float_input(input, "silu"),))


def _tanh_softplus(xp: Any, x: Any) -> Any:
    # tanh(log(1 + e^x)) written with s = sigmoid(x), 1 + e^x = 1 / (1 - s): no overflow.
    q = 1 - xp.sigmoid(x)
    q2 = q * q
    return (1 - q2) / (1 + q2)


def _mish_vjp(xp: Any, g: Any, x: Any) -> Any:
    t = _tanh_softplus(xp, x)
    return g * (t + x * xp.sigmoid(x) * (1 - t * t))


def _mish_primal(x: ndarray) -> ndarray:
    with np.errstate(over="ignore"):  # exp(x) = inf for large x: tanh(inf) = 1, the result x
        return (x * _xp.NUMPY.tanh(_log1p(_exp(x)))).astype(x.dtype, copy=False)


_MISH = _unary_op(
    "mish",
    "MishBackward0",
    _mish_primal,
    _mish_vjp,
)


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    if inplace:
        return _written_back(mish, input)
    return apply(_MISH, (_float_input(input, "mish"),))


def softsign(input: Tensor) -> Tensor:
    return elementwise.div(input, elementwise.abs(input) + 1)


# --- gelu: its derivative is an op of its own, so that second derivatives are recorded -------
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


def _erf(x: ndarray) -> ndarray:
    from bibun.ops import _special

    return _special.erf(x)


def _gelu_primal(x: ndarray, approximate: str) -> ndarray:
    if approximate == "tanh":
        inner = _SQRT_2_OVER_PI * (x + 0.044715 * x**3)
        return (0.5 * x * (1 + np.tanh(inner))).astype(x.dtype, copy=False)
    return (0.5 * x * (1 + _erf(x / math.sqrt(2.0)))).astype(x.dtype, copy=False)


def _gelu_derivative(x: ndarray, approximate: str) -> ndarray:
    if approximate == "tanh":
        inner = _SQRT_2_OVER_PI * (x + 0.044715 * x**3)
        t = np.tanh(inner)
        return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * _SQRT_2_OVER_PI * (1 + 3 * 0.044715 * x * x)
    cdf = 0.5 * (1 + _erf(x / math.sqrt(2.0)))
    return cdf + x * np.exp(-0.5 * x * x) * _INV_SQRT_2PI


def _gelu_second_derivative(xp: Any, x: Any, approximate: str) -> Any:
    if approximate == "tanh":
        c, k = _SQRT_2_OVER_PI, 0.044715
        t = xp.tanh(c * (x + k * x * x * x))
        dinner = c * (1 + 3 * k * x * x)
        sech2 = 1 - t * t
        return sech2 * dinner - x * sech2 * t * dinner * dinner + 0.5 * x * sech2 * c * 6 * k * x
    return xp.exp(x * x * -0.5) * _INV_SQRT_2PI * (2 - x * x)


_GELU_BACKWARD = defop(
    "nn.gelu_backward",
    "GeluBackwardBackward0",
    lambda g, x, approximate: (g * _gelu_derivative(x, approximate)).astype(g.dtype, copy=False),
    (
        lambda xp, gg, g, x, approximate: xp.gelu_backward(gg, x, approximate),
        lambda xp, gg, g, x, approximate: gg * g * _gelu_second_derivative(xp, x, approximate),
    ),
    save=INPUTS,
    jvp=None,
)


def _gelu_backward_tensor(g: Tensor, x: Tensor, approximate: str) -> Tensor:
    return apply(_GELU_BACKWARD, (g, x), {"approximate": approximate})


_GELU = _unary_op(
    "gelu",
    "GeluBackward0",
    _gelu_primal,
    lambda xp, g, x, approximate: xp.gelu_backward(g, x, approximate),
)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    if approximate not in ("none", "tanh"):
        raise RuntimeError(f"approximate argument must be either none or tanh, but got {approximate}")
    return apply(_GELU, (_float_input(input, "GeluKernelImpl"),), {"approximate": approximate})


# --- softmax, log_softmax ----------------------------------------------------------------------
def _softmax_primal(x: ndarray, dim: int) -> ndarray:
    shifted = x - np.max(x, axis=dim, keepdims=True) if x.size else x
    e = np.exp(shifted)
    return e / np.sum(e, axis=dim, keepdims=True)


def _log_softmax_primal(x: ndarray, dim: int) -> ndarray:
    if not x.size:
        return x.copy()
    shifted = x - np.max(x, axis=dim, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=dim, keepdims=True))


def _softmax_jvp(xp: Any, tangents: tuple, out: Any, dim: int) -> Any:
    t = tangents[0]
    return out * (t - xp.sum(t * out, dim, True))


def _log_softmax_jvp(xp: Any, tangents: tuple, out: Any, dim: int) -> Any:
    t = tangents[0]
    return t - xp.sum(t * xp.exp(out), dim, True)


_SOFTMAX = defop(
    "nn.softmax",
    "SoftmaxBackward0",
    _softmax_primal,
    (lambda xp, g, out, dim: out * (g - xp.sum(g * out, dim, True)),),
    save=OUTPUT,
    jvp=_softmax_jvp,
)
_LOG_SOFTMAX = defop(
    "nn.log_softmax",
    "LogSoftmaxBackward0",
    _log_softmax_primal,
    (lambda xp, g, out, dim: g - xp.exp(out) * xp.sum(g, dim, True),),
    save=OUTPUT,
    jvp=_log_softmax_jvp,
)


def _softmax_dim(name: str, ndim: int, stacklevel: int) -> int:
    warnings.warn(
        f"Implicit dimension choice for {name} has been deprecated. Change the call to include dim=X as an argument.",
        UserWarning,
        stacklevel=stacklevel,
    )
    return 0 if ndim in (0, 1, 3) else 1


def _softmax_apply(op: Any, input: Tensor, dim: int, dtype: Any) -> Tensor:
    if dtype is not None:
        input = input.to(dtype)
    if input._data.dtype.kind not in "fc":
        name = "softmax_lastdim_kernel_impl" if op is _SOFTMAX else "log_softmax_lastdim_kernel_impl"
        raise RuntimeError(f"\"{name}\" not implemented for '{_dtype.from_numpy_dtype(input._data.dtype)}'")
    return apply(op, (input,), {"dim": shape.normalize_dim(dim, input._data.ndim)})


def softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype: Any = None) -> Tensor:
    if dim is None:
        dim = _softmax_dim("softmax", input._data.ndim, _stacklevel)
    return _softmax_apply(_SOFTMAX, input, dim, dtype)


def log_softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype: Any = None) -> Tensor:
    if dim is None:
        dim = _softmax_dim("log_softmax", input._data.ndim, _stacklevel)
    return _softmax_apply(_LOG_SOFTMAX, input, dim, dtype)


def softmin(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype: Any = None) -> Tensor:
    if dim is None:
        dim = _softmax_dim("softmin", input._data.ndim, _stacklevel)
    return _softmax_apply(_SOFTMAX, -input, dim, dtype)


def tanh(input: Tensor) -> Tensor:
    return elementwise.tanh(input)


def sigmoid(input: Tensor) -> Tensor:
    return elementwise.sigmoid(input)


_register_vocabulary(
    gelu_backward=(lambda g, x, approximate: _GELU_BACKWARD.primal(g, x, approximate), _gelu_backward_tensor)
)

__all__ = [
    "relu",
    "relu6",
    "hardtanh",
    "leaky_relu",
    "elu",
    "selu",
    "celu",
    "gelu",
    "silu",
    "mish",
    "softplus",
    "softsign",
    "hardsigmoid",
    "hardswish",
    "logsigmoid",
    "softmax",
    "log_softmax",
    "softmin",
    "tanh",
    "sigmoid",
]
