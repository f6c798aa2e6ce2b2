"""Elementwise ops: arithmetic with PyTorch's type promotion, and unary math functions.
Each entry: grad_fn name, primal, one VJP rule per input; JVPs follow from the VJPs
("elementwise": the rule is linear in ``g`` and applies to a tangent as is)."""

from __future__ import annotations

from typing import Any

import numpy as np

from bibun import _dtype
from bibun._tensor import Tensor, new_tensor
from bibun.ops._registry import INPUTS, INPUTS_AND_OUTPUT, OUTPUT, apply, defop
from bibun.ops._xp import NUMPY

ndarray = np.ndarray
_SCALARS = (int, float, bool, complex, np.number, np.bool_)
ELEMENTWISE = "elementwise"


def _as_operand(x: Any) -> Any:
    """Tensors pass; Python and NumPy scalars stay scalars (weak, as in PyTorch); NumPy arrays
    become constant tensors; anything else is not an operand (the operator returns
    NotImplemented, so Python raises its usual TypeError)."""
    if isinstance(x, Tensor):
        return x
    if isinstance(x, _SCALARS):
        return x.item() if isinstance(x, (np.number, np.bool_)) else x
    if isinstance(x, ndarray):
        return new_tensor(x)
    return None


def _binary(op: Any, a: Any, b: Any, true_division: bool = False, params: dict | None = None) -> Tensor:
    """Promote as PyTorch does, then apply. Fast path (checked with exact types, as it runs on
    every arithmetic op): two tensors of one dtype, or a float tensor with a Python number,
    need neither conversion nor promotion."""
    try:
        if type(a) is Tensor:
            da = a._data.dtype
            kind = type(b)
            if kind is Tensor:
                if da is b._data.dtype and (not true_division or da.kind == "f"):
                    return apply(op, (a, b), params)
            elif (kind is float or kind is int) and da.kind == "f":
                return apply(op, (a, b), params)
        a_operand, b_operand = _as_operand(a), _as_operand(b)
        if a_operand is None or b_operand is None:
            bad, position = (a, 1) if a_operand is None else (b, 2)
            raise TypeError(
                f"{op.name}(): argument (position {position}) must be Tensor or Number, not {type(bad).__name__}"
            )
        a, b = a_operand, b_operand
        target = _dtype.result_type(a, b)
        if true_division and target.kind in "biu":
            target = _dtype.get_default_dtype().np
        return apply(op, (a, b), params, dtype=target)
    except ValueError:
        # NumPy refused to broadcast: say it PyTorch's way (checked only on failure: free otherwise).
        if isinstance(a, Tensor) and isinstance(b, Tensor):
            _check_broadcast(a._data.shape, b._data.shape)
        raise


def _check_broadcast(sa: tuple, sb: tuple) -> None:
    for i in range(1, min(len(sa), len(sb)) + 1):
        x, y = sa[-i], sb[-i]
        if x != y and x != 1 and y != 1:
            dim = max(len(sa), len(sb)) - i
            raise RuntimeError(
                f"The size of tensor a ({x}) must match the size of tensor b ({y}) at non-singleton dimension {dim}"
            )


def _operator(fn: Any) -> Any:
    """Wraps a binary function as a Python operator: unknown operand types give NotImplemented."""

    def method(self: Tensor, other: Any) -> Any:
        kind = type(other)
        if kind is not Tensor and kind is not float and kind is not int:
            other = _as_operand(other)
            if other is None:
                return NotImplemented
        return fn(self, other)

    method.__name__ = fn.__name__
    return method


# --- arithmetic ---------------------------------------------------------------------------
ADD = defop("add", "AddBackward0", np.add, (lambda xp, g: g, lambda xp, g: g), jvp=ELEMENTWISE)
ADD_SCALED = defop(
    "add_scaled",
    "AddBackward0",
    lambda a, b, alpha: a + alpha * b,
    (lambda xp, g, alpha: g, lambda xp, g, alpha: g * alpha),
    jvp=ELEMENTWISE,
)
SUB = defop("sub", "SubBackward0", np.subtract, (lambda xp, g: g, lambda xp, g: -g), jvp=ELEMENTWISE)
# Ops with a Python number on one side: the number is a parameter or a constant input, as
# PyTorch records it (``1 - x`` and ``x ** 2`` show one edge, ``x * 2`` shows two), and only
# the number is saved, so writing to ``x`` afterwards does not invalidate the graph.
RSUB = defop("rsub", "RsubBackward1", lambda a, other: other - a, (lambda xp, g, other: -g,), jvp=ELEMENTWISE)
MUL = defop(
    "mul",
    "MulBackward0",
    np.multiply,
    (lambda xp, g, a, b: g * b, lambda xp, g, a, b: g * a),
    save=INPUTS,
    reads=((1,), (0,)),
    jvp=ELEMENTWISE,
)
MUL_SCALAR = defop(
    "mul_scalar",
    "MulBackward0",
    np.multiply,
    (lambda xp, g, b: g * b, None),
    save=lambda arrays, out, params: (arrays[1],),
    jvp=ELEMENTWISE,
)
DIV_SCALAR = defop(
    "div_scalar",
    "DivBackward0",
    np.true_divide,
    (lambda xp, g, b: g / b, None),
    save=lambda arrays, out, params: (arrays[1],),
    jvp=ELEMENTWISE,
)
DIV = defop(
    "div",
    "DivBackward0",
    np.true_divide,
    (lambda xp, g, a, b: g / b, lambda xp, g, a, b: -g * a / (b * b)),
    save=INPUTS,
    reads=((1,), (0, 1)),
    jvp=ELEMENTWISE,
)
# Rounded division is piecewise constant: its gradient is zero wherever it exists.
_DIV_FLOOR = defop(
    "div_floor", "DivBackward2", np.floor_divide, (lambda xp, g: g * 0, lambda xp, g: g * 0), jvp=ELEMENTWISE
)
_DIV_TRUNC = defop(
    "div_trunc",
    "DivBackward2",
    lambda a, b: np.trunc(np.true_divide(a, b)).astype(np.result_type(a, b), copy=False),
    (lambda xp, g: g * 0, lambda xp, g: g * 0),
    jvp=ELEMENTWISE,
)
NEG = defop("neg", "NegBackward0", np.negative, (lambda xp, g: -g,), jvp=ELEMENTWISE)


def _pow_tensor_scalar_vjp(xp: Any, g: Any, x: Any, exponent: Any) -> Any:
    if exponent == 0:
        return g * 0
    return g * (exponent * x ** (exponent - 1))


def _pow_base_vjp(xp: Any, g: Any, a: Any, b: Any, out: Any) -> Any:
    return xp.where(b == 0, 0.0, g * (b * a ** (b - 1)))


def _pow_exponent_vjp(xp: Any, g: Any, a: Any, b: Any, out: Any) -> Any:
    # d(a**b)/db = a**b log a; PyTorch defines it as 0 where a == 0 and b >= 0.
    return xp.where((a == 0) & (b >= 0), 0.0, g * out * xp.log(a))


POW = defop(
    "pow",
    "PowBackward0",
    lambda x, exponent: np.power(x, exponent),
    (_pow_tensor_scalar_vjp,),
    save=INPUTS,
    jvp=ELEMENTWISE,
)
POW_TENSOR = defop(
    "pow_tensor", "PowBackward1", np.power, (_pow_base_vjp, _pow_exponent_vjp), save=INPUTS_AND_OUTPUT, jvp=ELEMENTWISE
)
RPOW = defop(
    "rpow",
    "PowBackward2",
    lambda exponent, base: np.power(base, exponent),
    (lambda xp, g, out, base: g * out * float(np.log(base)),),
    save=OUTPUT,
    jvp=ELEMENTWISE,
)


def _with_scalar(op: Any, tensor: Any, scalar: Any, name: str) -> Tensor:
    """Apply an op whose Python-number operand is a parameter, promoting as PyTorch does."""
    operand = _as_operand(tensor)
    if not isinstance(operand, Tensor):
        raise TypeError(f"{op.name}(): argument 'input' must be Tensor, not {type(tensor).__name__}")
    target = _dtype.result_type(operand, scalar)
    return apply(op, (operand,), {name: scalar}, dtype=None if target == operand._data.dtype else target)


def add(input: Any, other: Any, *, alpha: Any = 1) -> Tensor:
    if alpha != 1:
        return _binary(ADD_SCALED, input, other, params={"alpha": alpha})
    return _binary(ADD, input, other)


def sub(input: Any, other: Any, *, alpha: Any = 1) -> Tensor:
    if alpha != 1:
        return add(input, other, alpha=-alpha)
    return _binary(SUB, input, other)


subtract = sub


def rsub(input: Any, other: Any) -> Tensor:
    if isinstance(other, Tensor):
        return sub(other, input)
    return _with_scalar(RSUB, input, _as_operand(other), "other")


def mul(input: Any, other: Any) -> Tensor:
    kind = type(other)
    if kind is float or kind is int:
        return _binary(MUL_SCALAR, input, other)
    kind = type(input)
    if kind is float or kind is int:  # 2 * x: PyTorch records x first
        return _binary(MUL_SCALAR, other, input)
    return _binary(MUL, input, other)


multiply = mul


def div(input: Any, other: Any, *, rounding_mode: str | None = None) -> Tensor:
    if rounding_mode is not None:
        if rounding_mode not in ("floor", "trunc"):
            raise ValueError(
                f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found '{rounding_mode}'"
            )
        return _binary(_DIV_FLOOR if rounding_mode == "floor" else _DIV_TRUNC, input, other)
    kind = type(other)
    if kind is float or kind is int:
        return _binary(DIV_SCALAR, input, other, true_division=True)
    return _binary(DIV, input, other, true_division=True)


divide = true_divide = div


def neg(input: Tensor) -> Tensor:
    return apply(NEG, (input,))


negative = neg


def reciprocal(input: Tensor) -> Tensor:
    if input._data.dtype.kind != "f":
        input = input.to(_dtype.get_default_dtype())
    return apply(RECIPROCAL, (input,))


def pow(input: Any, exponent: Any) -> Tensor:  # noqa: A001 - PyTorch's name
    input, exponent = _as_operand(input), _as_operand(exponent)
    if not isinstance(input, Tensor):
        return _with_scalar(RPOW, exponent, input, "base")
    if isinstance(exponent, Tensor):
        return _binary(POW_TENSOR, input, exponent)
    return _with_scalar(POW, input, exponent, "exponent")


def _rtruediv(self: Tensor, other: Any) -> Any:
    other = _as_operand(other)
    if other is None:
        return NotImplemented
    if isinstance(other, Tensor):
        return div(other, self)
    return mul(reciprocal(self), other)  # PyTorch records 2 / x as reciprocal(x) * 2


def _rpow(self: Tensor, other: Any) -> Any:
    other = _as_operand(other)
    if other is None:
        return NotImplemented
    return pow(other, self)


# --- unary math ---------------------------------------------------------------------------
def _unary(name: str, grad_fn: str, primal: Any, vjp: Any, save: Any) -> Any:
    op = defop(name, grad_fn, primal, (vjp,), save=save, jvp=ELEMENTWISE)

    def function(input: Tensor) -> Tensor:
        if input._data.dtype.kind not in "fc":
            input = input.to(_dtype.get_default_dtype())  # integer inputs give floats, as in PyTorch
        return apply(op, (input,))

    function.__name__ = name
    function.__qualname__ = name
    return function


exp = _unary("exp", "ExpBackward0", NUMPY.exp, lambda xp, g, out: g * out, OUTPUT)
log = _unary("log", "LogBackward0", NUMPY.log, lambda xp, g, x: g / x, INPUTS)
sin = _unary("sin", "SinBackward0", NUMPY.sin, lambda xp, g, x: g * xp.cos(x), INPUTS)
cos = _unary("cos", "CosBackward0", NUMPY.cos, lambda xp, g, x: -g * xp.sin(x), INPUTS)
tan = _unary("tan", "TanBackward0", NUMPY.tan, lambda xp, g, out: g * (1 + out * out), OUTPUT)
tanh = _unary("tanh", "TanhBackward0", NUMPY.tanh, lambda xp, g, out: g * (1 - out * out), OUTPUT)
sigmoid = _unary("sigmoid", "SigmoidBackward0", NUMPY.sigmoid, lambda xp, g, out: g * out * (1 - out), OUTPUT)
sqrt = _unary("sqrt", "SqrtBackward0", np.sqrt, lambda xp, g, out: g / (2 * out), OUTPUT)
abs = _unary("abs", "AbsBackward0", np.abs, lambda xp, g, x: g * xp.sign(x), INPUTS)  # noqa: A001
absolute = abs
RECIPROCAL = defop(
    "reciprocal",
    "ReciprocalBackward0",
    np.reciprocal,
    (lambda xp, g, out: -g * out * out,),
    save=OUTPUT,
    jvp=ELEMENTWISE,
)
_RELU = defop(
    "relu",
    "ReluBackward0",
    lambda x: np.maximum(x, 0),
    (lambda xp, g, out: xp.where(out > 0, g, 0.0),),
    save=OUTPUT,
    jvp=ELEMENTWISE,
)


def _sign_primal(x: ndarray) -> ndarray:
    out = np.sign(x)
    if x.dtype.kind == "f" and np.isnan(out).any():
        out = np.where(np.isnan(x), 0, out).astype(x.dtype, copy=False)  # PyTorch: sign(nan) is 0
    return out


_SIGN = defop("sign", "SignBackward0", _sign_primal, (lambda xp, g: g * 0,), jvp=ELEMENTWISE)


def sign(input: Tensor) -> Tensor:
    return apply(_SIGN, (input,))


def _maximum_vjp(xp: Any, g: Any, a: Any, b: Any) -> Any:
    # Ties split the gradient evenly, as in PyTorch.
    return xp.where(a == b, g * 0.5, xp.where(a > b, g, 0.0))


def _minimum_vjp(xp: Any, g: Any, a: Any, b: Any) -> Any:
    return xp.where(a == b, g * 0.5, xp.where(a < b, g, 0.0))


_MAXIMUM = defop(
    "maximum",
    "MaximumBackward0",
    np.maximum,
    (_maximum_vjp, lambda xp, g, a, b: _maximum_vjp(xp, g, b, a)),
    save=INPUTS,
    jvp=ELEMENTWISE,
)
_MINIMUM = defop(
    "minimum",
    "MinimumBackward0",
    np.minimum,
    (_minimum_vjp, lambda xp, g, a, b: _minimum_vjp(xp, g, b, a)),
    save=INPUTS,
    jvp=ELEMENTWISE,
)


def maximum(input: Tensor, other: Tensor) -> Tensor:
    return _binary(_MAXIMUM, input, other)


def minimum(input: Tensor, other: Tensor) -> Tensor:
    return _binary(_MINIMUM, input, other)


def relu(input: Tensor) -> Tensor:
    return apply(_RELU, (input,))


def square(input: Tensor) -> Tensor:
    return pow(input, 2)


# --- comparisons: not differentiable, so no graph ------------------------------------------
def _comparison(ufunc: np.ufunc) -> Any:
    def compare(input: Any, other: Any) -> Tensor:
        a, b = input, other
        if b is None or a is None:
            raise TypeError(
                f"{ufunc.__name__}(): argument 'other' must be Tensor or Number, not {type(other).__name__}"
            )
        return new_tensor(ufunc(getattr(a, "_data", a), getattr(b, "_data", b)))

    compare.__name__ = ufunc.__name__
    return compare


eq, ne = _comparison(np.equal), _comparison(np.not_equal)
lt, le = _comparison(np.less), _comparison(np.less_equal)
gt, ge = _comparison(np.greater), _comparison(np.greater_equal)
greater, greater_equal, less, less_equal, not_equal = gt, ge, lt, le, ne


def equal(input: Tensor, other: Tensor) -> bool:
    return input.shape == other.shape and bool(np.array_equal(input._data, other._data))


def logical_not(input: Tensor) -> Tensor:
    return new_tensor(np.logical_not(input._data))


logical_and, logical_or, logical_xor = (
    _comparison(np.logical_and),
    _comparison(np.logical_or),
    _comparison(np.logical_xor),
)


# --- where --------------------------------------------------------------------------------
_WHERE = defop(
    "where",
    "WhereBackward0",
    np.where,
    (None, lambda xp, g, cond: xp.where(cond, g, 0.0), lambda xp, g, cond: xp.where(cond, 0.0, g)),
    save=lambda arrays, out, params: (arrays[0],),
    jvp=ELEMENTWISE,
)


def where(condition: Tensor, input: Any = None, other: Any = None) -> Any:
    if input is None and other is None:
        return tuple(new_tensor(i) for i in np.nonzero(condition._data))
    a, b = input, other
    target = _dtype.result_type(a, b)
    cond = condition._data if isinstance(condition, Tensor) else np.asarray(condition)
    shape = cond.shape
    for operand in (a, b):
        if isinstance(operand, Tensor):
            _check_broadcast(shape, operand._data.shape)
            shape = np.broadcast_shapes(shape, operand._data.shape)
    return apply(_WHERE, (new_tensor(cond), a, b), dtype=target)


_CLAMP = defop(
    "clamp",
    "ClampBackward1",
    lambda x, min, max: np.clip(x, min, max),
    (lambda xp, g, x, min, max: xp.where(_in_bounds(x, min, max), g, 0.0),),
    save=INPUTS,
    jvp=ELEMENTWISE,
)


def _in_bounds(x: Any, low: Any, high: Any) -> Any:
    # PyTorch passes the gradient at the bounds themselves (clamp'(min) = 1).
    inside = x == x
    if low is not None:
        inside = inside & (x >= low)
    if high is not None:
        inside = inside & (x <= high)
    return inside


def clamp(input: Tensor, min: Any = None, max: Any = None) -> Tensor:  # noqa: A002
    """Limit entries to [min, max]; the gradient passes at the bounds themselves. Tensor bounds
    clamp elementwise (ClampBackward0) and receive the gradient where they are active."""
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        from bibun.ops.binary import clamp_tensor

        return clamp_tensor(input, min, max)
    return apply(_CLAMP, (input,), {"min": min, "max": max})


clip = clamp

__all__ = [
    "add",
    "sub",
    "subtract",
    "rsub",
    "mul",
    "multiply",
    "div",
    "divide",
    "true_divide",
    "neg",
    "negative",
    "reciprocal",
    "pow",
    "exp",
    "log",
    "sin",
    "cos",
    "tan",
    "tanh",
    "sigmoid",
    "sqrt",
    "abs",
    "absolute",
    "relu",
    "square",
    "sign",
    "maximum",
    "minimum",
    "eq",
    "ne",
    "lt",
    "le",
    "gt",
    "ge",
    "greater",
    "greater_equal",
    "less",
    "less_equal",
    "not_equal",
    "equal",
    "logical_not",
    "logical_and",
    "logical_or",
    "logical_xor",
    "where",
    "clamp",
    "clip",
]
