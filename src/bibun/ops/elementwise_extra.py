"""Elementwise functions and small reductions beyond the core families: copysign,
float_power, deg2rad, rad2deg, signbit, sgn, ldexp, gcd, lcm, isin, aminmax, argwhere,
unique_consecutive and histogram.

The differentiable ones are op-table entries whose grad_fn names are PyTorch's (float_power
is PyTorch's composition, a cast to float64 then ``pow``). signbit, gcd, lcm, isin and
argwhere return integers or bools and record nothing. unique_consecutive and histogram record
the node PyTorch records, whose backward raises, as PyTorch's does.
"""

from __future__ import annotations

import builtins
import math
from typing import Any

import numpy as np

from bibun import _dtype
from bibun._creation import _linspace_values
from bibun._tensor import Tensor, new_tensor
from bibun.ops._registry import INPUTS, INPUTS_AND_OUTPUT, apply, defop
from bibun.ops.elementwise import _as_operand, _check_broadcast
from bibun.ops.elementwise import pow as _pow
from bibun.ops.reduction import _extreme_jvp, _reduction_params, return_types
from bibun.ops.shape import normalize_dim

ndarray = np.ndarray
ELEMENTWISE = "elementwise"
_LN2 = math.log(2.0)
_PI_180 = math.pi / 180.0  # PyTorch's M_PI_180 and M_180_PI, rounded to double
_180_PI = 180.0 / math.pi
_NUMBERS = (int, float, bool, complex, np.number, np.bool_)


def _require_tensor(name: str, x: Any, what: str = "input", position: int = 1) -> None:
    if not isinstance(x, Tensor):
        raise TypeError(f"{name}(): argument '{what}' (position {position}) must be Tensor, not {type(x).__name__}")


def _invalid_combination(name: str, got: tuple, signatures: tuple) -> TypeError:
    """PyTorch's message for an argument list that matches none of a function's overloads."""
    names = ", ".join("Tensor" if isinstance(x, Tensor) else x if isinstance(x, str) else type(x).__name__ for x in got)
    lines = "".join(f" * ({s})\n" for s in signatures)
    return TypeError(
        f"{name}() received an invalid combination of arguments - got ({names}), but expected one of:\n{lines}"
    )


def _float_result(*operands: Any) -> np.dtype:
    """The promoted dtype, integers and bools computing in the default float dtype."""
    target = _dtype.result_type(*operands)
    return _dtype.get_default_dtype().np if target.kind in "biu" else target


# --- copysign: |input| with the sign bit of other --------------------------------------------
def _sign_ratio(arrays: list, out: ndarray, params: dict) -> tuple:
    # PyTorch's derivative: result / input, and 0 where the input is 0 (NaN at +-inf and NaN).
    x = arrays[0]
    with np.errstate(all="ignore"):
        return (np.where(x == 0, 0, out / x).astype(out.dtype, copy=False),)


_COPYSIGN = defop(
    "copysign",
    "CopysignBackward0",
    np.copysign,
    (lambda xp, g, ratio: g * ratio, lambda xp, g, ratio: xp.zeros_like(g)),
    save=_sign_ratio,
    jvp=ELEMENTWISE,
)
_COPYSIGN_SCALAR = defop(
    "copysign_scalar",
    "CopysignBackward1",
    lambda x, other: np.copysign(x, other),
    (lambda xp, g, ratio, other: g * ratio,),
    save=_sign_ratio,
    jvp=ELEMENTWISE,
)
_COPYSIGN_SIGNATURES = (
    "Tensor input, Tensor other, *, Tensor out = None",
    "Tensor input, Number other, *, Tensor out = None",
)


def copysign(input: Tensor, other: Any) -> Tensor:
    """The magnitude of ``input`` with the sign of ``other`` (the sign bit: -0.0 counts as
    negative), in floating point. The gradient is +-1 for ``input`` (0 at 0) and 0 for
    ``other``; a number ``other`` records CopysignBackward1."""
    b = other if isinstance(other, Tensor) else _as_operand(other) if isinstance(other, _NUMBERS) else None
    if not isinstance(input, Tensor) or b is None:
        raise _invalid_combination("copysign", (input, other), _COPYSIGN_SIGNATURES)
    target = _float_result(input, b)
    if target.kind == "c":
        raise NotImplementedError(f"\"copysign_cpu\" not implemented for '{_dtype.scalar_type_name(target)}'")
    if isinstance(b, Tensor):
        _check_broadcast(input._data.shape, b._data.shape)
        return apply(_COPYSIGN, (input, b), None, dtype=target)
    return apply(_COPYSIGN_SCALAR, (input,), {"other": b}, dtype=target)


# --- float_power: pow in double precision, as PyTorch composes it ------------------------------
_FLOAT_POWER_SIGNATURES = (
    "Tensor input, Tensor exponent, *, Tensor out = None",
    "Number self, Tensor exponent, *, Tensor out = None",
    "Tensor input, Number exponent, *, Tensor out = None",
)


def float_power(input: Any, exponent: Any) -> Tensor:
    """``input ** exponent`` computed in float64 (complex128 when either side is complex).
    As in PyTorch, tensors are cast first (ToCopyBackward0 when they were not float64), then
    ``pow`` records PowBackward0, PowBackward1 or PowBackward2."""
    operands = [x if isinstance(x, Tensor) else x if isinstance(x, _NUMBERS) else None for x in (input, exponent)]
    if any(x is None for x in operands) or not any(isinstance(x, Tensor) for x in operands):
        raise _invalid_combination("float_power", (input, exponent), _FLOAT_POWER_SIGNATURES)
    is_complex = any(
        (x._data.dtype.kind == "c") if isinstance(x, Tensor) else isinstance(x, (complex, np.complexfloating))
        for x in operands
    )
    dtype = _dtype.complex128 if is_complex else _dtype.float64
    number = complex if is_complex else builtins.float
    base, power = (x.to(dtype) if isinstance(x, Tensor) else number(x) for x in operands)
    return _pow(base, power)


# --- deg2rad, rad2deg: a product with a constant ------------------------------------------------
def _scale_by(factor: float) -> Any:
    def primal(x: ndarray) -> ndarray:
        if x.dtype == np.float16:
            # PyTorch multiplies half by a wrapped double in float32 and rounds once.
            return (x.astype(np.float32) * np.float32(factor)).astype(np.float16)
        return x * factor  # the number is cast to the array's dtype first, as in PyTorch

    return primal


_DEG2RAD = defop("deg2rad", "Deg2RadBackward0", _scale_by(_PI_180), (lambda xp, g: g * _PI_180,), jvp=ELEMENTWISE)
_RAD2DEG = defop("rad2deg", "Rad2DegBackward0", _scale_by(_180_PI), (lambda xp, g: g * _180_PI,), jvp=ELEMENTWISE)


def _angle(op: Any, input: Tensor) -> Tensor:
    _require_tensor(op.name, input)
    kind = input._data.dtype.kind
    if kind == "c":
        raise RuntimeError(f"{op.name} is not supported for complex tensors.")
    if kind != "f":
        input = input.to(_dtype.get_default_dtype())  # integers and bools give floats, as in PyTorch
    return apply(op, (input,))


def deg2rad(input: Tensor) -> Tensor:
    """Degrees to radians: ``input * pi / 180``."""
    return _angle(_DEG2RAD, input)


def rad2deg(input: Tensor) -> Tensor:
    """Radians to degrees: ``input * 180 / pi``."""
    return _angle(_RAD2DEG, input)


# --- signbit, sgn ---------------------------------------------------------------------------------
def signbit(input: Tensor) -> Tensor:
    """True where the sign bit is set: negative numbers, -0.0, -inf and a NaN with its sign
    bit set. A bool tensor, never recorded."""
    _require_tensor("signbit", input)
    data = input._data
    kind = data.dtype.kind
    if kind == "c":
        raise NotImplementedError("signbit is not implemented for complex tensors.")
    if kind == "f":
        out = np.signbit(data)
    elif kind == "i":
        out = data < 0
    else:  # unsigned and bool: never negative
        out = np.zeros(data.shape, dtype=bool)
    return new_tensor(np.asarray(out))


def _sgn_primal(x: ndarray) -> ndarray:
    kind = x.dtype.kind
    if kind == "b":
        return x.copy()
    if kind == "c":
        magnitude = np.abs(x)
        with np.errstate(all="ignore"):
            return np.where(magnitude == 0, 0, x / magnitude).astype(x.dtype)
    # PyTorch's (0 < x) - (x < 0): +0.0 at both zeros and at NaN.
    return np.asarray(0 < x).astype(x.dtype) - np.asarray(x < 0).astype(x.dtype)


# PyTorch's derivative of sgn for real input is a zero tensor (not ``g * 0``: a NaN or inf
# cotangent still gives 0).
_SGN = defop("sgn", "SgnBackward0", _sgn_primal, (lambda xp, g: xp.zeros_like(g),), jvp=ELEMENTWISE)


def sgn(input: Tensor) -> Tensor:
    """The sign of real entries (-1, 0 or 1; 0 at NaN), ``x / |x|`` for complex ones. Its
    gradient is zero."""
    _require_tensor("sgn", input)
    return apply(_SGN, (input,))


# --- ldexp: input * 2 ** other --------------------------------------------------------------------
def _exponents(e: ndarray) -> ndarray:
    # C's ldexp takes an int: larger exponents saturate (the result is then 0 or inf anyway).
    return np.clip(e.astype(np.int64), -(2**31), 2**31 - 1).astype(np.int32)


def _ldexp_int_primal(x: ndarray, e: ndarray) -> ndarray:
    # PyTorch's kernel for a floating input and integer exponents: C's ldexp in double precision,
    # rounded to the input's dtype.
    with np.errstate(all="ignore"):
        return np.asarray(np.ldexp(x.astype(np.float64), _exponents(e))).astype(x.dtype)


def _powers_of_two(arrays: list, out: ndarray, params: dict) -> tuple:
    # 2 ** other, exactly, in float64: the product with the cotangent is rounded once, to the
    # input's dtype, when the engine casts the gradient.
    with np.errstate(all="ignore"):
        return (np.asarray(np.ldexp(1.0, _exponents(arrays[1]))),)


_LDEXP_INT = defop(
    "ldexp_int",
    "LdexpBackward0",
    _ldexp_int_primal,
    (lambda xp, g, powers: g * powers, None),
    save=_powers_of_two,
    jvp=ELEMENTWISE,
)


def _ldexp_primal(x: ndarray, e: ndarray, power_dtype: np.dtype, dtype: np.dtype) -> ndarray:
    # PyTorch's composition: mul(input, pow(2.0, other)), the power in other's float dtype.
    with np.errstate(all="ignore"):
        powers = np.power(power_dtype.type(2), e.astype(power_dtype))
        return np.asarray(np.multiply(x.astype(dtype), powers.astype(dtype)))


def _ldexp_vjp_input(xp: Any, g: Any, x: Any, e: Any, **params: Any) -> Any:
    return g * 2.0**e


def _ldexp_vjp_other(xp: Any, g: Any, x: Any, e: Any, **params: Any) -> Any:
    return g * x * _LN2 * 2.0**e


_LDEXP = defop(
    "ldexp",
    "LdexpBackward0",
    _ldexp_primal,
    (_ldexp_vjp_input, _ldexp_vjp_other),
    save=INPUTS,
    reads=((1,), (0, 1)),
    jvp=ELEMENTWISE,
)


def ldexp(input: Tensor, other: Tensor) -> Tensor:
    """``input * 2 ** other``. With a floating ``input`` and integer exponents the result keeps
    ``input``'s dtype (PyTorch's ldexp kernel); otherwise the dtype is that of
    ``input * pow(2.0, other)``. Recorded as LdexpBackward0."""
    _require_tensor("ldexp", input)
    _require_tensor("ldexp", other, "other", 2)
    x_dtype, e_dtype = input._data.dtype, other._data.dtype
    _check_broadcast(input._data.shape, other._data.shape)
    if x_dtype.kind == "f" and e_dtype.kind in "biu":
        if e_dtype.kind == "b":
            raise NotImplementedError("\"ldexp_cpu_exp\" not implemented for 'Bool'")
        return apply(_LDEXP_INT, (input, other))
    power_dtype = e_dtype if e_dtype.kind in "fc" else _dtype.get_default_dtype().np
    # The power takes other's place in the promotion, with other's number of dims.
    power_like = np.empty((0,) if other._data.ndim else (), dtype=power_dtype)
    dtype = _dtype.result_type(input, power_like)
    return apply(_LDEXP, (input, other), {"power_dtype": power_dtype, "dtype": dtype})


# --- gcd, lcm: integers only, never recorded ----------------------------------------------------
def _euclid(a: ndarray, b: ndarray) -> ndarray:
    """PyTorch's calc_gcd, elementwise: absolute values in the dtype (so the most negative
    value stays negative, as C's abs assigned back does), then ``b % a`` (C's remainder,
    the sign of the dividend) until ``a`` is 0."""
    a, b = np.broadcast_arrays(np.abs(a), np.abs(b))
    a, b = a.copy(), b.copy()
    active = a != 0
    with np.errstate(all="ignore"):
        while active.any():
            divisor = a[active]
            a[active] = np.fmod(b[active], divisor)
            b[active] = divisor
            active = a != 0
    return b


def _lcm_values(a: ndarray, b: ndarray) -> ndarray:
    """PyTorch's calc_lcm: ``|a / gcd * b|``, 0 where the gcd is 0. Types narrower than int
    compute in int (C's promotion), wider ones wrap in their own type."""
    dtype = np.result_type(a, b)
    g = _euclid(a, b)
    wide = np.dtype(np.int64) if dtype.itemsize < 4 else dtype
    with np.errstate(all="ignore"):
        quotient = a.astype(wide) // np.where(g == 0, 1, g).astype(wide)  # exact: g divides a
        value = np.abs(quotient * b.astype(wide))
    return np.where(g == 0, 0, value).astype(dtype)


def _integer_binary(name: str, fn: Any, input: Tensor, other: Tensor) -> Tensor:
    _require_tensor(name, input)
    _require_tensor(name, other, "other", 2)
    target = _dtype.result_type(input, other)
    if target.kind not in "iu":
        raise NotImplementedError(f"\"{name}_cpu\" not implemented for '{_dtype.scalar_type_name(target)}'")
    _check_broadcast(input._data.shape, other._data.shape)
    return new_tensor(np.asarray(fn(input._data.astype(target), other._data.astype(target))))


def gcd(input: Tensor, other: Tensor) -> Tensor:
    """The greatest common divisor of integer tensors, elementwise (gcd(0, 0) = 0)."""
    return _integer_binary("gcd", _euclid, input, other)


def lcm(input: Tensor, other: Tensor) -> Tensor:
    """The least common multiple of integer tensors, elementwise (0 when either is 0)."""
    return _integer_binary("lcm", _lcm_values, input, other)


# --- isin ------------------------------------------------------------------------------------------
_ISIN_SIGNATURES = (
    "Tensor elements, Tensor test_elements, *, bool assume_unique = False, bool invert = False, Tensor out = None",
    "Number element, Tensor test_elements, *, bool assume_unique = False, bool invert = False, Tensor out = None",
    "Tensor elements, Number test_element, *, bool assume_unique = False, bool invert = False, Tensor out = None",
)


def isin(elements: Any, test_elements: Any, *, assume_unique: bool = False, invert: bool = False) -> Tensor:
    """True where an entry of ``elements`` equals some entry of ``test_elements`` (False with
    ``invert=True``), compared in the promoted dtype; NaN is in nothing. Either side may be a
    number. ``assume_unique`` only allows a faster algorithm: the result is the same."""
    operands = [
        x if isinstance(x, Tensor) else x if isinstance(x, _NUMBERS) else None for x in (elements, test_elements)
    ]
    if any(x is None for x in operands) or not any(isinstance(x, Tensor) for x in operands):
        raise _invalid_combination("isin", (elements, test_elements), _ISIN_SIGNATURES)
    arrays = []
    for x in operands:
        array = x._data if isinstance(x, Tensor) else np.asarray(x)
        if array.dtype.kind in "bc":
            kind = array.dtype if isinstance(x, Tensor) else _dtype._scalar_np_dtype(x)
            raise RuntimeError(f"Unsupported input type encountered for isin(): {_dtype.scalar_type_name(kind)}")
        arrays.append(array)
    target = _dtype.result_type(*operands)
    found = np.isin(arrays[0].astype(target), arrays[1].astype(target), invert=invert)
    return new_tensor(np.asarray(found))


# --- aminmax: amin and amax in one node, tied entries sharing the gradient --------------------------------
aminmax_result = return_types.aminmax


def _aminmax_primal(x: ndarray, axis: tuple, keepdims: bool, shape: tuple, kept_shape: tuple) -> tuple:
    return np.min(x, axis=axis, keepdims=keepdims), np.max(x, axis=axis, keepdims=keepdims)


def _share(xp: Any, g: Any, x: Any, out: Any, axis: tuple, keepdims: bool, shape: tuple, kept_shape: tuple) -> Any:
    """PyTorch's scale_grad_by_count: the cotangent divided among the entries equal to the
    extreme. A slice holding NaN has none (NaN equals nothing), so its gradient is NaN
    (0 / 0), as in PyTorch."""
    if not keepdims:
        g, out = xp.reshape(g, kept_shape), xp.reshape(out, kept_shape)
    mask = x == out
    return xp.broadcast_to(g / xp.sum(mask, axis, True), shape) * mask


def _aminmax_vjp(xp: Any, grads: Any, x: Any, low: Any, high: Any, **params: Any) -> Any:
    total = None
    for g, out in zip(grads, (low, high)):
        if g is not None:
            term = _share(xp, g, x, out, **params)
            total = term if total is None else total + term
    return total


def _aminmax_jvp(xp: Any, tangents: tuple, x: Any, low: Any, high: Any, **params: Any) -> tuple:
    return _extreme_jvp(xp, tangents, x, low, **params), _extreme_jvp(xp, tangents, x, high, **params)


_AMINMAX = defop(
    "aminmax",
    "AminmaxBackward0",
    _aminmax_primal,
    (_aminmax_vjp,),
    save=INPUTS_AND_OUTPUT,
    jvp=_aminmax_jvp,
    outputs=2,
)


def aminmax(input: Tensor, *, dim: int | None = None, keepdim: bool = False) -> Any:
    """``(min, max)`` over everything or along one ``dim``, as ``bibun.return_types.aminmax``;
    one node (AminmaxBackward0) for both."""
    _require_tensor("aminmax", input)
    data = input._data
    if dim is not None and (not isinstance(dim, (int, np.integer)) or isinstance(dim, bool)):
        raise TypeError(f"aminmax(): argument 'dim' must be int, not {type(dim).__name__}")
    if dim is None:
        if data.size == 0:
            raise RuntimeError(
                "aminmax(): cannot compute aminmax over an empty dimension as the operation has no identity."
            )
    else:
        axis = normalize_dim(int(dim), data.ndim)
        if data.ndim and data.shape[axis] == 0:
            raise IndexError(f"aminmax: Expected reduction dim {axis} to have non-zero size.")
    low, high = apply(_AMINMAX, (input,), _reduction_params(input, dim, keepdim))
    return aminmax_result(low, high)


# --- argwhere ----------------------------------------------------------------------------------------
def argwhere(input: Tensor) -> Tensor:
    """The indices of the non-zero entries, one row each: an (n, ndim) int64 tensor."""
    _require_tensor("argwhere", input)
    return new_tensor(np.argwhere(input._data).astype(np.int64))


# --- unique_consecutive: the node exists, its backward raises (as in PyTorch) ----------------------
def _runs(different: ndarray, n: int) -> tuple:
    """Where each run starts, each entry's run, and each run's length, from ``different[i]``:
    whether entry i + 1 differs from entry i."""
    starts = np.concatenate(([True], different))
    inverse = np.cumsum(starts) - 1
    first = np.flatnonzero(starts)
    return starts, inverse.astype(np.int64), np.diff(np.append(first, n)).astype(np.int64)


def _unique_consecutive_primal(x: ndarray, axis: int | None) -> tuple:
    empty = np.zeros(0, dtype=np.int64)
    if axis is None:
        flat = x.reshape(-1)
        if flat.size == 0:
            return flat.copy(), np.zeros(x.shape, dtype=np.int64), empty
        starts, inverse, counts = _runs(flat[1:] != flat[:-1], flat.size)
        return flat[starts], inverse.reshape(x.shape), counts
    n = x.shape[axis]
    if x.size == 0:
        return x.copy(), empty, empty
    moved = np.moveaxis(x, axis, 0)
    starts, inverse, counts = _runs((moved[1:] != moved[:-1]).reshape(n - 1, moved[0].size).any(axis=1), n)
    return np.moveaxis(moved[starts], 0, axis), inverse, counts


def _unique_consecutive_vjp(xp: Any, grads: Any, **params: Any) -> Any:
    raise NotImplementedError("the derivative for 'unique_consecutive' is not implemented.")


_UNIQUE_CONSECUTIVE = defop(
    "unique_consecutive",
    "UniqueConsecutiveBackward0",
    _unique_consecutive_primal,
    (_unique_consecutive_vjp,),
    outputs=3,
    differentiable_outputs=(0,),
)


def unique_consecutive(
    input: Tensor, return_inverse: bool = False, return_counts: bool = False, dim: int | None = None
) -> Any:
    """Each run of equal consecutive values (or slices along ``dim``) once; with
    ``return_inverse`` the run of each entry, with ``return_counts`` each run's length."""
    _require_tensor("unique_consecutive", input)
    data = input._data
    axis = None
    if dim is not None:
        if data.ndim == 0:
            raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
        axis = normalize_dim(dim, data.ndim)
        if data.size == 0:
            if data.shape.count(0) > 1:
                raise RuntimeError("Number of zero sized dimensions is more than one, so unique cannot be applied ")
            if data.shape[axis] != 0:
                raise RuntimeError(
                    "There are 0 sized dimensions, and they aren't selected, so unique cannot be applied"
                )
    values, inverse, counts = apply(_UNIQUE_CONSECUTIVE, (input,), {"axis": axis})
    if not return_inverse and not return_counts:
        return values
    return (values,) + ((inverse,) if return_inverse else ()) + ((counts,) if return_counts else ())


# --- histogram ------------------------------------------------------------------------------------------
histogram_result = return_types.histogram
_HISTOGRAM_SIGNATURES = (
    "Tensor input, Tensor bins, *, Tensor weight = None, bool density = False, tuple of Tensors out = None",
    "Tensor input, int bins = 100, *, tuple of floats range = None, Tensor weight = None, bool density = False, "
    "tuple of Tensors out = None",
)


def _histogram_vjp(xp: Any, grads: Any, *saved: Any, **params: Any) -> Any:
    raise RuntimeError("derivative for aten::histogram is not implemented")


# PyTorch records a NotImplemented node on the inputs that require grad (input, bins, weight)
# for both outputs. The values are computed before the node exists: the primal hands them over.
_HISTOGRAM = defop(
    "histogram",
    "NotImplemented",
    lambda *tensors, result: result,
    (_histogram_vjp,) * 3,
    outputs=2,
)


def _outer_edges(flat: ndarray, range: Any) -> tuple:  # noqa: A002 - PyTorch's name
    """The first and last bin edge: ``range``, else the data's extremes, else [0, 1]; an empty
    range is widened by 0.5 on each side (NumPy's rule)."""
    if range is not None:
        if len(range) != 2:
            raise RuntimeError(
                f"bibun.histogramdd: for a 1-dimensional histogram range should have 2 elements, but got {len(range)}"
            )
        low, high = builtins.float(range[0]), builtins.float(range[1])
    elif flat.size:
        low, high = builtins.float(flat.min()), builtins.float(flat.max())
    else:
        low, high = 0.0, 1.0
    if not (math.isfinite(low) and math.isfinite(high)):
        raise RuntimeError(f"bibun.histogramdd: dimension 0's range [{low:g}, {high:g}] is not finite")
    if low > high:
        raise RuntimeError(
            f"bibun.histogramdd: min should not exceed max, but got min {low:g} max {high:g} for dimension 0"
        )
    return (low - 0.5, high + 0.5) if low == high else (low, high)


def _check_histogram_tensors(data: ndarray, bins: Any, weight: Tensor | None) -> None:
    """PyTorch's checks, in its order: a bins tensor and the weight are checked before the
    number of bins it gives; an integer count is checked first."""
    if not isinstance(bins, Tensor) and bins <= 0:
        raise RuntimeError(f"bibun.histogram(): bins must be > 0, but got {bins} for dimension 0")
    if isinstance(bins, Tensor):
        edges = bins._data
        if edges.dtype != data.dtype:
            raise RuntimeError(
                "bibun.histogramdd: input tensor and bins tensors should have the same dtype, but got input with "
                f"dtype {_dtype.cpp_type_name(data.dtype)} and bins for dimension 0 with dtype "
                f"{_dtype.cpp_type_name(edges.dtype)}"
            )
        if edges.ndim != 1:
            raise RuntimeError(
                f"bibun.histogramdd: bins tensor should have one dimension, but got {edges.ndim} dimensions in the "
                "bins tensor for dimension 0"
            )
        if edges.size == 0:
            raise RuntimeError(
                "bibun.histogramdd: bins tensor should have at least 1 element, but got 0 elements in the bins "
                "tensor for dimension 0"
            )
    if weight is not None:
        w = weight._data
        if w.dtype != data.dtype:
            raise RuntimeError(
                "bibun.histogramdd: if weight tensor is provided, input tensor and weight tensor should have the "
                f"same dtype, but got input({_dtype.cpp_type_name(data.dtype)}), and weight({_dtype.cpp_type_name(w.dtype)})"
            )
        if w.size != data.size:
            raise RuntimeError(
                "bibun.histogramdd: if weight tensor is provided it should have the same shape as the input tensor "
                f"excluding its innermost dimension, but got input with shape [{data.size}, 1] and weight with "
                f"shape [{w.size}]"
            )
    if isinstance(bins, Tensor) and bins._data.size < 2:
        raise RuntimeError("bibun.histogram(): bins must be > 0, but got 0 for dimension 0")


def histogram(
    input: Tensor,
    bins: Any = 100,
    *,
    range: Any = None,  # noqa: A002 - PyTorch's name
    weight: Tensor | None = None,
    density: bool = False,
) -> Any:
    """``(hist, bin_edges)`` of the flattened ``input`` as ``bibun.return_types.histogram``:
    ``bins`` equal-width bins over ``range`` (default: the data's range), or the edges given
    by a 1-d ``bins`` tensor. A value counts in the bin whose left edge it reaches, the last
    edge in the last bin; values outside and NaN are left out. ``weight`` adds weights instead
    of ones; ``density`` divides by the total and the bin widths."""
    tensor_bins = isinstance(bins, Tensor)
    integer_bins = isinstance(bins, (int, np.integer)) and not isinstance(bins, (bool, np.bool_))
    if not isinstance(input, Tensor) or not (tensor_bins or integer_bins) or (tensor_bins and range is not None):
        got = (input, bins) + (("range=" + type(range).__name__,) if range is not None else ())
        raise _invalid_combination("histogram", got, _HISTOGRAM_SIGNATURES)
    data = input._data
    _check_histogram_tensors(data, bins, weight)
    flat = data.reshape(-1)
    if tensor_bins:
        edges = bins._data.copy()
    else:
        low, high = _outer_edges(flat, range)
        edges = _linspace_values(
            low, high, int(bins) + 1, data.dtype if data.dtype.kind == "f" else np.dtype(np.float64)
        )
    if data.dtype not in (np.float32, np.float64):
        kernel = "histogram_cpu" if tensor_bins else "histogramdd"
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{_dtype.scalar_type_name(data.dtype)}'")
    # Binary search: the edge at or below each value, the last edge counting in the last bin.
    inside = (flat >= edges[0]) & (flat <= edges[-1])
    position = np.searchsorted(edges, flat[inside], side="right") - 1
    position[position == edges.size - 1] -= 1
    hist = np.zeros(edges.size - 1, dtype=data.dtype)
    np.add.at(hist, position, weight._data.reshape(-1)[inside] if weight is not None else 1)
    if density:
        with np.errstate(all="ignore"):  # an empty histogram is 0 / 0 = NaN, as in PyTorch
            hist = hist / data.dtype.type(hist.sum()) / np.diff(edges)
    # The node goes on the inputs that require grad; dual tensors go too, so that forward mode
    # refuses, as PyTorch's does.
    linked = tuple(t for t in (input, bins, weight) if isinstance(t, Tensor) and (t._requires_grad or t._tangents))
    if linked:
        hist_t, edges_t = apply(_HISTOGRAM, linked, {"result": (hist, edges)})
    else:
        hist_t, edges_t = new_tensor(hist), new_tensor(edges)
    return histogram_result(hist_t, edges_t)


__all__ = [
    "copysign",
    "float_power",
    "deg2rad",
    "rad2deg",
    "signbit",
    "sgn",
    "ldexp",
    "gcd",
    "lcm",
    "isin",
    "aminmax",
    "argwhere",
    "unique_consecutive",
    "histogram",
]

# Tensor methods: x.copysign(y) is copysign(x, y) (docs/design.md, "One op, one entry"). PyTorch
# has no Tensor.isin.
for _name in (
    "copysign",
    "float_power",
    "deg2rad",
    "rad2deg",
    "signbit",
    "sgn",
    "ldexp",
    "gcd",
    "lcm",
    "aminmax",
    "argwhere",
    "unique_consecutive",
    "histogram",
):
    setattr(Tensor, _name, globals()[_name])
