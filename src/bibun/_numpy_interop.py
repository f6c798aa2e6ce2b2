"""NumPy functions called on Tensors (docs/numpy.md): ``np.exp(t)``, ``np.sum(t)``,
``ndarray * t``, ``np.concatenate([t, ...])``.

The rule: a NumPy function with a bibun counterpart dispatches to it, so the graph is
recorded and the result is a Tensor (the NumPy protocols ``__array_ufunc__`` and
``__array_function__``, as MyGrad does). A function without one runs on the plain arrays
only when no argument requires grad (ufuncs then return a Tensor, other functions what NumPy
returns); if one requires grad it fails loudly with PyTorch's numpy() error, because its
result would silently be cut from the graph.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from bibun import ops
from bibun._tensor import Tensor, new_tensor

# ufunc name -> bibun function of the same arity.
_UFUNCS: dict[str, Callable[..., Any]] = {
    "add": ops.add,
    "subtract": ops.sub,
    "multiply": ops.mul,
    "true_divide": ops.div,
    "divide": ops.div,
    "floor_divide": ops.floor_divide,
    "remainder": ops.remainder,
    "fmod": ops.fmod,
    "power": ops.pow,
    "float_power": lambda a, b: ops.pow(_as_float64(a), b),
    "negative": ops.neg,
    "positive": lambda a: a,
    "absolute": ops.abs,
    "sign": ops.sign,
    "exp": ops.exp,
    "exp2": ops.exp2,
    "expm1": ops.expm1,
    "log": ops.log,
    "log2": ops.log2,
    "log10": ops.log10,
    "log1p": ops.log1p,
    "sqrt": ops.sqrt,
    "square": ops.square,
    "reciprocal": ops.reciprocal,
    "sin": ops.sin,
    "cos": ops.cos,
    "tan": ops.tan,
    "arcsin": ops.asin,
    "arccos": ops.acos,
    "arctan": ops.atan,
    "arctan2": ops.atan2,
    "sinh": ops.sinh,
    "cosh": ops.cosh,
    "tanh": ops.tanh,
    "arcsinh": ops.asinh,
    "arccosh": ops.acosh,
    "arctanh": ops.atanh,
    "floor": ops.floor,
    "ceil": ops.ceil,
    "trunc": ops.trunc,
    "rint": ops.round,
    "hypot": ops.hypot,
    "logaddexp": ops.logaddexp,
    "logaddexp2": ops.logaddexp2,
    "maximum": ops.maximum,
    "minimum": ops.minimum,
    "fmax": ops.fmax,
    "fmin": ops.fmin,
    "matmul": lambda a, b: ops.matmul(_tensor(a), _tensor(b)),
    "equal": ops.eq,
    "not_equal": ops.ne,
    "less": ops.lt,
    "less_equal": ops.le,
    "greater": ops.gt,
    "greater_equal": ops.ge,
    "logical_and": ops.logical_and,
    "logical_or": ops.logical_or,
    "logical_xor": ops.logical_xor,
    "logical_not": ops.logical_not,
    "isnan": ops.isnan,
    "isinf": ops.isinf,
    "isfinite": ops.isfinite,
}


def _as_float64(x: Any) -> Any:
    return x.double() if isinstance(x, Tensor) else np.asarray(x, dtype=np.float64)


def _tensor(x: Any) -> Tensor:
    """A Tensor operand: Tensors pass, arrays and numbers become constant tensors."""
    return x if isinstance(x, Tensor) else new_tensor(np.asarray(x))


def _reduction(fn: Callable[..., Any]) -> Callable[..., Any]:
    def run(a: Any, axis: Any = None, dtype: Any = None, out: Any = None, keepdims: bool = False, **rest: Any) -> Any:
        _refuse_out(out)
        if rest.get("where", True) is not True or rest.get("initial") is not None:
            raise TypeError("bibun: the 'where' and 'initial' arguments of NumPy reductions are not supported")
        t = _tensor(a)
        if dtype is not None:
            t = t.to(_to_bibun_dtype(dtype))
        return fn(t, axis, keepdims)

    return run


def _to_bibun_dtype(dtype: Any) -> Any:
    from bibun._dtype import from_numpy_dtype

    return from_numpy_dtype(np.dtype(dtype))


def _refuse_out(out: Any) -> None:
    if out is not None:
        raise TypeError("bibun: NumPy's 'out=' argument is not supported with Tensors (bibun ops return new tensors)")


def _dims(axis: Any) -> Any:
    return tuple(axis) if isinstance(axis, list) else axis


def _var_like(fn: Callable[..., Any]) -> Callable[..., Any]:
    def run(
        a: Any,
        axis: Any = None,
        dtype: Any = None,
        out: Any = None,
        ddof: float = 0,
        keepdims: bool = False,
        **rest: Any,
    ) -> Any:
        _refuse_out(out)
        t = _tensor(a)
        if dtype is not None:
            t = t.to(_to_bibun_dtype(dtype))
        return fn(t, _dims(axis), keepdim=keepdims, correction=rest.get("correction", ddof))

    return run


def _concatenate(arrays: Any, axis: Any = 0, out: Any = None, dtype: Any = None, casting: Any = None) -> Tensor:
    _refuse_out(out)
    tensors = [_tensor(a) for a in arrays]
    if dtype is not None:
        tensors = [t.to(_to_bibun_dtype(dtype)) for t in tensors]
    if axis is None:
        return ops.cat([ops.reshape(t, -1) for t in tensors], 0)
    return ops.cat(tensors, axis)


def _stack(arrays: Any, axis: int = 0, out: Any = None, dtype: Any = None, casting: Any = None) -> Tensor:
    _refuse_out(out)
    tensors = [_tensor(a) for a in arrays]
    if dtype is not None:
        tensors = [t.to(_to_bibun_dtype(dtype)) for t in tensors]
    return ops.stack(tensors, axis)


def _reshape(a: Any, shape: Any = None, order: str = "C", **kwargs: Any) -> Tensor:
    if order != "C":
        raise TypeError("bibun: only C-order reshapes are supported")
    shape = kwargs.get("newshape", shape)
    return ops.reshape(_tensor(a), (shape,) if isinstance(shape, int) else tuple(shape))


def _transpose(a: Any, axes: Any = None) -> Tensor:
    t = _tensor(a)
    return ops.permute(t, tuple(range(t.ndim))[::-1] if axes is None else tuple(axes))


def _squeeze(a: Any, axis: Any = None) -> Tensor:
    return ops.squeeze(_tensor(a), _dims(axis))


def _expand_dims(a: Any, axis: Any) -> Tensor:
    t = _tensor(a)
    for d in sorted((axis,) if isinstance(axis, int) else tuple(axis)):
        t = ops.unsqueeze(t, d)
    return t


def _clip(a: Any, a_min: Any = None, a_max: Any = None, out: Any = None, **kwargs: Any) -> Tensor:
    _refuse_out(out)
    low, high = (
        b if b is None or isinstance(b, (int, float)) else _tensor(b)
        for b in (kwargs.get("min", a_min), kwargs.get("max", a_max))
    )
    return ops.clamp(_tensor(a), low, high)


def _where(condition: Any, x: Any = None, y: Any = None) -> Any:
    if x is None and y is None:
        return ops.where(_tensor(condition))
    return ops.where(_tensor(condition), x, y)


def _scan(fn: Callable[..., Any]) -> Callable[..., Any]:
    def run(a: Any, axis: Any = None, dtype: Any = None, out: Any = None) -> Tensor:
        _refuse_out(out)
        t = _tensor(a)
        if axis is None:
            t, axis = ops.reshape(t, -1), 0
        return fn(t, axis, dtype=None if dtype is None else _to_bibun_dtype(dtype))

    return run


def _arg(fn: Callable[..., Any]) -> Callable[..., Any]:
    def run(a: Any, axis: Any = None, out: Any = None, *, keepdims: bool = False) -> Tensor:
        _refuse_out(out)
        return fn(_tensor(a), axis, keepdims)

    return run


def _dot(a: Any, b: Any, out: Any = None) -> Tensor:
    _refuse_out(out)
    a, b = _tensor(a), _tensor(b)
    if a.ndim == 0 or b.ndim == 0:
        return ops.mul(a, b)
    if a.ndim > 2 or b.ndim > 2:
        raise TypeError("bibun: np.dot of tensors with more than 2 dims is not supported; use bibun.tensordot")
    return ops.matmul(a, b)


_FUNCTIONS: dict[Any, Callable[..., Any]] = {
    np.sum: _reduction(lambda t, axis, keepdims: ops.sum(t, _dims(axis), keepdims)),
    np.mean: _reduction(lambda t, axis, keepdims: ops.mean(t, _dims(axis), keepdims)),
    np.prod: _reduction(lambda t, axis, keepdims: ops.prod(t, axis, keepdims) if axis is not None else ops.prod(t)),
    np.max: _reduction(lambda t, axis, keepdims: ops.amax(t, () if axis is None else _dims(axis), keepdims)),
    np.min: _reduction(lambda t, axis, keepdims: ops.amin(t, () if axis is None else _dims(axis), keepdims)),
    np.amax: _reduction(lambda t, axis, keepdims: ops.amax(t, () if axis is None else _dims(axis), keepdims)),
    np.amin: _reduction(lambda t, axis, keepdims: ops.amin(t, () if axis is None else _dims(axis), keepdims)),
    np.var: _var_like(ops.var),
    np.std: _var_like(ops.std),
    np.argmax: _arg(ops.argmax),
    np.argmin: _arg(ops.argmin),
    np.cumsum: _scan(ops.cumsum),
    np.cumprod: _scan(ops.cumprod),
    np.concatenate: _concatenate,
    np.stack: _stack,
    np.reshape: _reshape,
    np.ravel: lambda a, order="C": _reshape(a, -1, order),
    np.transpose: _transpose,
    np.swapaxes: lambda a, axis1, axis2: ops.transpose(_tensor(a), axis1, axis2),
    np.moveaxis: lambda a, source, destination: ops.movedim(_tensor(a), source, destination),
    np.squeeze: _squeeze,
    np.expand_dims: _expand_dims,
    np.broadcast_to: lambda array, shape, subok=False: ops.broadcast_to(_tensor(array), shape),
    np.flip: lambda m, axis=None: ops.flip(_tensor(m), tuple(range(_tensor(m).ndim)) if axis is None else axis),
    np.roll: lambda a, shift, axis=None: ops.roll(_tensor(a), shift, axis),
    np.tile: lambda A, reps: ops.tile(_tensor(A), (reps,) if isinstance(reps, int) else reps),
    np.clip: _clip,
    np.where: _where,
    np.dot: _dot,
    np.copy: lambda a, order="K", subok=False: ops.clone(_tensor(a)),
    np.nan_to_num: lambda x, copy=True, nan=0.0, posinf=None, neginf=None: ops.nan_to_num(
        _tensor(x), nan, posinf, neginf
    ),
    # Metadata: no values are read, so these work on any tensor.
    np.shape: lambda a: tuple(a.shape),
    np.ndim: lambda a: a.ndim,
    np.size: lambda a, axis=None: a.numel() if axis is None else a.shape[axis],
}


def _to_arrays(value: Any, name: str) -> Any:
    """Tensors inside (nested lists/tuples of) arguments as their arrays, through
    ``Tensor.numpy()``: a tensor that requires grad raises PyTorch's numpy() error."""
    if isinstance(value, Tensor):
        try:
            return value.numpy()
        except RuntimeError as error:
            raise RuntimeError(
                f"{error} (numpy.{name} has no bibun counterpart, so its result would be cut from the graph; "
                "use bibun's ops instead, or detach explicitly)"
            ) from None
    if isinstance(value, (list, tuple)):
        return type(value)(_to_arrays(v, name) for v in value)
    return value


def array_ufunc(self: Tensor, ufunc: np.ufunc, method: str, *inputs: Any, **kwargs: Any) -> Any:
    """``Tensor.__array_ufunc__``: NumPy ufuncs on tensors run bibun's op."""
    fn = _UFUNCS.get(ufunc.__name__)
    if fn is not None and method == "__call__" and not kwargs and ufunc.nin == len(inputs):
        return fn(*inputs)
    if kwargs.get("out") is not None:
        _refuse_out(kwargs["out"])
    name = ufunc.__name__ if method == "__call__" else f"{ufunc.__name__}.{method}"
    result = getattr(ufunc, method)(*_to_arrays(inputs, name), **kwargs)
    if isinstance(result, tuple):
        return tuple(new_tensor(r) if isinstance(r, np.ndarray) else r for r in result)
    return new_tensor(result) if isinstance(result, (np.ndarray, np.generic)) else result


def array_function(self: Tensor, func: Any, types: tuple, args: tuple, kwargs: dict) -> Any:
    """``Tensor.__array_function__``: NumPy functions on tensors run bibun's op."""
    fn = _FUNCTIONS.get(func)
    if fn is not None:
        return fn(*args, **kwargs)
    name = getattr(func, "__name__", str(func))
    return func(*_to_arrays(args, name), **{k: _to_arrays(v, name) for k, v in kwargs.items()})


Tensor.__array_ufunc__ = array_ufunc
Tensor.__array_function__ = array_function
