"""Reductions: sum, mean, max/min (PyTorch's tie rules), amax/amin. A reduction's gradient
is the incoming gradient put back into the reduced dimensions and broadcast to the input's
shape (``_expand_back``)."""

from __future__ import annotations

from collections import namedtuple
from operator import itemgetter
from typing import Any

import numpy as np

from bibun import _dtype
from bibun._tensor import Tensor, new_tensor
from bibun.ops._registry import INPUTS_AND_OUTPUT, apply, defop
from bibun.ops.shape import normalize_dims

LINEAR = "linear"


def _expand_back(xp: Any, g: Any, shape: tuple, kept_shape: tuple) -> Any:
    """Undo a reduction's shape: reinsert reduced dims as size 1, then broadcast."""
    if g.shape != kept_shape:
        g = xp.reshape(g, kept_shape)
    return xp.broadcast_to(g, shape)


def _reduction_params(x: Tensor, dim: Any, keepdim: bool) -> dict:
    shape = x._data.shape
    axes = normalize_dims(dim, x._data.ndim) if dim is not None else tuple(range(len(shape)))
    kept = tuple(1 if i in axes else n for i, n in enumerate(shape))
    return {"axis": axes, "keepdims": keepdim, "shape": shape, "kept_shape": kept}


def _sum_primal(x: Any, axis: tuple, keepdims: bool, shape: tuple, kept_shape: tuple, dtype: Any = None) -> Any:
    # The ufunc's own reduce: np.sum's Python wrapper would add a call and be the frame NumPy
    # attributes its inf - inf warning to (bibun's filter covers bibun's frames only).
    return np.add.reduce(x, axis=axis, dtype=dtype, keepdims=keepdims)


def _sum_vjp(xp: Any, g: Any, axis: tuple, keepdims: bool, shape: tuple, kept_shape: tuple, dtype: Any = None) -> Any:
    return _expand_back(xp, g, shape, kept_shape)


_SUM_ALL = defop("sum_all", "SumBackward0", _sum_primal, (_sum_vjp,), jvp=LINEAR)
_SUM_DIM = defop("sum_dim", "SumBackward1", _sum_primal, (_sum_vjp,), jvp=LINEAR)


def sum(input: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:  # noqa: A001
    params = _reduction_params(input, dim, keepdim)
    data_dtype = input._data.dtype
    if dtype is not None:
        params["dtype"] = _dtype.to_numpy_dtype(dtype)
    elif data_dtype.kind in "biu":
        params["dtype"] = np.dtype(np.int64)  # PyTorch sums integers and bools as int64
    return apply(_SUM_ALL if dim is None else _SUM_DIM, (input,), params)


def _mean_primal(x: Any, axis: tuple, keepdims: bool, shape: tuple, kept_shape: tuple) -> Any:
    return np.mean(x, axis=axis, keepdims=keepdims, dtype=x.dtype)


def _mean_vjp(xp: Any, g: Any, axis: tuple, keepdims: bool, shape: tuple, kept_shape: tuple) -> Any:
    count = 1
    for a in axis:
        count *= shape[a]
    return _expand_back(xp, g / count, shape, kept_shape)


_MEAN_ALL = defop("mean_all", "MeanBackward0", _mean_primal, (_mean_vjp,), jvp=LINEAR)
_MEAN_DIM = defop("mean_dim", "MeanBackward1", _mean_primal, (_mean_vjp,), jvp=LINEAR)


def mean(input: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:
    if dtype is not None:
        input = input.to(dtype)
    if input._data.dtype.kind not in "fc":
        raise RuntimeError(
            "mean(): could not infer output dtype. Input dtype must be either a floating point or complex dtype. "
            f"Got: {_dtype.scalar_type_name(input._data.dtype)}"
        )
    return apply(_MEAN_ALL if dim is None else _MEAN_DIM, (input,), _reduction_params(input, dim, keepdim))


# --- nansum, nanmean: NaNs count as zero (and, for the mean, not at all) ---------------------
def _nansum_vjp(
    xp: Any, g: Any, is_nan: Any, axis: tuple, keepdims: bool, shape: tuple, kept_shape: tuple, **_: Any
) -> Any:
    # A product with the mask, not a where: an infinite incoming gradient (nanmean of an
    # all-NaN slice divides by a zero count) makes NaN at the NaN entries, as in PyTorch.
    return _expand_back(xp, g, shape, kept_shape) * ~is_nan


def _nansum_jvp(xp: Any, tangents: tuple, is_nan: Any, axis: tuple, keepdims: bool, **_: Any) -> Any:
    # The tangents of NaN entries do not reach the sum, whatever they are.
    return xp.sum(xp.where(is_nan, 0.0, tangents[0]), axis, keepdims)


def _nansum_primal(x: Any, axis: tuple, keepdims: bool, shape: tuple, kept_shape: tuple, dtype: Any = None) -> Any:
    return np.nansum(x, axis=axis, keepdims=keepdims, dtype=dtype)


_NANSUM = defop(
    "nansum",
    "NansumBackward0",
    _nansum_primal,
    (_nansum_vjp,),
    save=lambda arrays, out, params: (np.isnan(arrays[0]),),
    jvp=_nansum_jvp,
)


def nansum(input: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:
    """The sum with NaNs treated as zero."""
    params = _reduction_params(input, dim, keepdim)
    if dtype is not None:
        params["dtype"] = _dtype.to_numpy_dtype(dtype)
    elif input._data.dtype.kind in "biu":
        params["dtype"] = np.dtype(np.int64)
    return apply(_NANSUM, (input,), params)


def nanmean(input: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:
    """The mean of the entries that are not NaN (NaN where there are none). As in PyTorch, the
    nansum divided by the count, so its grad_fn is DivBackward0."""
    if dtype is not None:
        input = input.to(dtype)
    if input._data.dtype.kind not in "fc":
        raise RuntimeError(
            "nanmean(): expected input to have floating point or complex dtype but got "
            f"{_dtype.scalar_type_name(input._data.dtype)}"
        )
    from bibun.ops.unary import isnan

    count = sum(isnan(input).logical_not(), dim, keepdim)
    with np.errstate(invalid="ignore"):  # all-NaN slices are 0/0 = NaN, without a NumPy warning
        return nansum(input, dim, keepdim) / count


# --- max / min over everything, amax / amin: ties share the gradient evenly -------------------
# Where the extreme is NaN, PyTorch's max()/min() share the gradient among the NaN entries,
# while amax/amin (and max/min over a dim list) give every entry NaN: no entry equals a NaN
# extreme, the count is 0 and the masked share is 0 * inf.
def _extreme_mask(x: Any, out: Any, axis: tuple, keepdims: bool, kept_shape: tuple, nan_is_extreme: bool) -> Any:
    out_kept = out if keepdims else out.reshape(kept_shape) if hasattr(out, "reshape") else out
    mask = x == out_kept
    if nan_is_extreme:
        mask = mask | ((x != x) & (out_kept != out_kept))
    return mask


def _extreme_rules(nan_is_extreme: bool) -> tuple:
    def vjp(xp: Any, g: Any, x: Any, out: Any, axis: tuple, keepdims: bool, shape: tuple, kept_shape: tuple) -> Any:
        mask = _extreme_mask(x, out, axis, keepdims, kept_shape, nan_is_extreme)
        return (_expand_back(xp, g, shape, kept_shape) / xp.sum(mask, axis, True)) * mask

    def jvp(
        xp: Any, tangents: tuple, x: Any, out: Any, axis: tuple, keepdims: bool, shape: tuple, kept_shape: tuple
    ) -> Any:
        # The mean of the tangent over the tied entries: the transpose of the VJP above.
        mask = _extreme_mask(x, out, axis, keepdims, kept_shape, nan_is_extreme)
        return xp.sum(xp.where(mask, tangents[0], 0.0), axis, keepdims) / xp.sum(mask, axis, keepdims)

    return vjp, jvp


_extreme_vjp, _extreme_jvp = _extreme_rules(nan_is_extreme=False)
_all_extreme_vjp, _all_extreme_jvp = _extreme_rules(nan_is_extreme=True)


def _extreme_op(name: str, grad_fn: str, reducer: Any, nan_is_extreme: bool = False) -> Any:
    return defop(
        name,
        grad_fn,
        lambda x, axis, keepdims, shape, kept_shape: reducer(x, axis=axis, keepdims=keepdims),
        (_all_extreme_vjp if nan_is_extreme else _extreme_vjp,),
        save=INPUTS_AND_OUTPUT,
        jvp=_all_extreme_jvp if nan_is_extreme else _extreme_jvp,
    )


_MAX_ALL = _extreme_op("max_all", "MaxBackward1", np.max, nan_is_extreme=True)
_MIN_ALL = _extreme_op("min_all", "MinBackward1", np.min, nan_is_extreme=True)
_AMAX = _extreme_op("amax", "AmaxBackward0", np.max)
_AMIN = _extreme_op("amin", "AminBackward0", np.min)


def amax(input: Tensor, dim: Any = (), keepdim: bool = False) -> Tensor:
    return apply(_AMAX, (input,), _reduction_params(input, dim if dim != () else None, keepdim))


def amin(input: Tensor, dim: Any = (), keepdim: bool = False) -> Tensor:
    return apply(_AMIN, (input,), _reduction_params(input, dim if dim != () else None, keepdim))


# --- max / min along a dim: (values, indices); the gradient goes to the returned index -------
class _ReturnType(tuple):
    """PyTorch's ``torch.return_types.max`` and friends: a tuple whose items are also named
    fields, printed by field."""

    _fields: tuple = ()
    _name = ""

    def __new__(cls, *items: Any) -> _ReturnType:
        return super().__new__(cls, items)

    def __repr__(self) -> str:
        fields = ",\n".join(f"{field}={value!r}" for field, value in zip(self._fields, self))
        return f"bibun.return_types.{self._name}(\n{fields})"


def named_result_type(name: str, fields: tuple = ("values", "indices")) -> type:
    """The ``bibun.return_types.<name>`` class: a ``_ReturnType`` with one property per field."""
    namespace: dict[str, Any] = {"_fields": fields, "_name": name, "__module__": "bibun.return_types"}
    namespace.update((field, property(itemgetter(i))) for i, field in enumerate(fields))
    return type(name, (_ReturnType,), namespace)


# Every named pair an op returns, with its fields: sort, topk, median, kthvalue, mode
# (ops/sorting.py), cummax and cummin (ops/scan.py) return (values, indices) as max and min
# do; aminmax and histogram (ops/elementwise_extra.py) have their own fields.
_VALUES_INDICES = ("values", "indices")
_RETURN_TYPE_FIELDS = {
    **dict.fromkeys(("max", "min", "sort", "topk", "median", "kthvalue", "mode", "cummax", "cummin"), _VALUES_INDICES),
    "aminmax": ("min", "max"),
    "histogram": ("hist", "bin_edges"),
    "svd": ("U", "S", "V"),  # the older torch.svd (ops/linalg_extra.py)
}
return_types = namedtuple("return_types", _RETURN_TYPE_FIELDS)(
    *(named_result_type(name, fields) for name, fields in _RETURN_TYPE_FIELDS.items())
)


def _select_along_primal(x: Any, axis: int, keepdim: bool, arg: Any) -> tuple:
    indices = arg(x, axis=axis, keepdims=True)
    values = np.take_along_axis(x, indices, axis=axis)
    if not keepdim:
        values, indices = values.squeeze(axis), indices.squeeze(axis)
    return values, indices


def _select_along_vjp(xp: Any, grads: Any, indices: Any, axis: int, keepdim: bool, arg: Any, shape: tuple = ()) -> Any:
    g = grads[0]
    idx = indices if keepdim else np.expand_dims(indices, axis)
    if not keepdim:
        g = xp.reshape(g, idx.shape)
    return xp.index_put_zeros(shape, _along_axis_index(idx, axis), g)


def _along_axis_index(idx: np.ndarray, axis: int) -> tuple:
    """A NumPy fancy index that addresses ``idx`` along ``axis`` (as take_along_axis does)."""
    grids = list(np.ogrid[tuple(slice(n) for n in idx.shape)])
    grids[axis] = idx
    return tuple(grids)


def _select_along_jvp(
    xp: Any, tangents: tuple, indices: Any, axis: int, keepdim: bool, arg: Any, shape: tuple = ()
) -> tuple:
    idx = indices if keepdim else np.expand_dims(indices, axis)
    return (xp.reshape(tangents[0][_along_axis_index(idx, axis)], indices.shape), None)


def values_and_indices_op(name: str, grad_fn: str, primal: Any, vjp: Any, jvp: Any) -> Any:
    """An op returning (values, indices) whose values are entries of the input picked at the
    indices (max(dim), sort, topk, median, kthvalue, mode, cummax, ...): only the indices are
    saved, and only the values are differentiable."""
    return defop(
        name,
        grad_fn,
        primal,
        (vjp,),
        save=lambda arrays, out, params: (out[1],),
        jvp=jvp,
        outputs=2,
        differentiable_outputs=(0,),
    )


def _select_along_op(name: str, grad_fn: str) -> Any:
    return values_and_indices_op(
        name,
        grad_fn,
        lambda x, axis, keepdim, arg, shape: _select_along_primal(x, axis, keepdim, arg),
        _select_along_vjp,
        _select_along_jvp,
    )


_MAX_DIM = _select_along_op("max_dim", "MaxBackward0")
_MIN_DIM = _select_along_op("min_dim", "MinBackward0")


def _max_or_min(input: Tensor, dim: Any, keepdim: bool, other: Any, which: str) -> Any:
    if isinstance(dim, Tensor):  # max(a, b) is maximum(a, b)
        other, dim = dim, None
    if other is not None:
        from bibun.ops import elementwise

        return elementwise.maximum(input, other) if which == "max" else elementwise.minimum(input, other)
    if dim is None:
        if input._data.size == 0:
            raise RuntimeError(
                f"{which}(): Expected reduction dim to be specified for input.numel() == 0. Specify the reduction dim with the 'dim' argument."
            )
        return apply(_MAX_ALL if which == "max" else _MIN_ALL, (input,), _reduction_params(input, None, False))
    (axis,) = normalize_dims(dim, input._data.ndim)
    arg = np.argmax if which == "max" else np.argmin
    params = {"axis": axis, "keepdim": keepdim, "arg": arg, "shape": input._data.shape}
    values, indices = apply(_MAX_DIM if which == "max" else _MIN_DIM, (input,), params)
    return (return_types.max if which == "max" else return_types.min)(values, indices)


def max(input: Tensor, dim: Any = None, keepdim: bool = False, *, other: Any = None) -> Any:  # noqa: A001
    return _max_or_min(input, dim, keepdim, other, "max")


def min(input: Tensor, dim: Any = None, keepdim: bool = False, *, other: Any = None) -> Any:  # noqa: A001
    return _max_or_min(input, dim, keepdim, other, "min")


def argmax(input: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:
    if dim is None:
        return new_tensor(np.argmax(input._data))
    return new_tensor(np.argmax(input._data, axis=normalize_dims(dim, input.ndim)[0], keepdims=keepdim))


def argmin(input: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:
    if dim is None:
        return new_tensor(np.argmin(input._data))
    return new_tensor(np.argmin(input._data, axis=normalize_dims(dim, input.ndim)[0], keepdims=keepdim))


# --- prod: the gradient is the product of the other entries -------------------------------
def diagonal_jvp(vjp: Any) -> Any:
    """The JVP of a reduction whose VJP is ``expand_back(g) * D`` (D the local derivative, of
    the input's shape): the tangent times D, summed over the reduced dims. The rule is run
    with a cotangent of ones to get D. Needs ``save=INPUTS_AND_OUTPUT``."""

    def jvp(xp: Any, tangents: tuple, *saved: Any, **params: Any) -> Any:
        out = saved[-1]
        local = vjp(xp, xp.zeros_like(out) + 1, *saved, **params)
        return xp.sum(tangents[0] * local, params["axis"], params["keepdims"])

    return jvp


def others_product(xp: Any, x: Any, axis: int) -> Any:
    """For each entry along ``axis``, the product of the other entries (exact with zeros):
    each slice is tiled into an n x n matrix with ones on the diagonal, then multiplied out.
    O(n^2) memory along ``axis``: used only when the input holds a zero."""
    moved = xp.swapaxes(x, axis, -1)
    n = moved.shape[-1]
    tiled = xp.broadcast_to(xp.reshape(moved, moved.shape[:-1] + (1, n)), moved.shape + (n,))
    others = xp.prod(xp.where(np.eye(n, dtype=bool), 1.0, tiled), -1)
    return xp.swapaxes(others, axis, -1)


def _prod_primal(
    x: Any, axis: tuple, keepdims: bool, shape: tuple, kept_shape: tuple, has_zero: bool, dtype: Any
) -> Any:
    return np.prod(x, axis=axis, keepdims=keepdims, dtype=dtype)


def _prod_vjp(
    xp: Any, g: Any, x: Any, out: Any, axis: tuple, keepdims: bool, shape: tuple, kept_shape: tuple, **params: Any
) -> Any:
    g = _expand_back(xp, g, shape, kept_shape)
    if not params["has_zero"]:
        return g * (_expand_back(xp, out, shape, kept_shape) / x)
    if len(axis) == 1:
        return g * others_product(xp, x, axis[0])
    # Several dims: flatten them to one (the reduced dims moved last) and reuse the above.
    kept_dims = tuple(i for i in range(len(shape)) if i not in axis)
    order = kept_dims + tuple(axis)
    flat = xp.reshape(xp.permute(x, order), tuple(shape[i] for i in kept_dims) + (-1,))
    others = xp.reshape(others_product(xp, flat, len(kept_dims)), tuple(shape[i] for i in order))
    return g * xp.permute(others, tuple(int(i) for i in np.argsort(order)))


_PROD_ALL = defop(
    "prod_all", "ProdBackward0", _prod_primal, (_prod_vjp,), save=INPUTS_AND_OUTPUT, jvp=diagonal_jvp(_prod_vjp)
)
_PROD_DIM = defop(
    "prod_dim", "ProdBackward1", _prod_primal, (_prod_vjp,), save=INPUTS_AND_OUTPUT, jvp=diagonal_jvp(_prod_vjp)
)


def prod(input: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:
    """The product of the entries (over ``dim``); integers and bools multiply as int64."""
    if dim is not None and not isinstance(dim, (int, np.integer)):
        raise TypeError(f"prod(): argument 'dim' must be int, not {type(dim).__name__}")
    params = _reduction_params(input, dim, keepdim)
    if dtype is not None:
        params["dtype"] = _dtype.to_numpy_dtype(dtype)
    else:
        params["dtype"] = np.dtype(np.int64) if input._data.dtype.kind in "biu" else None
    # A static fact about the values, decided with the forward pass: the rule then needs no data.
    params["has_zero"] = bool((input._data == 0).any())
    return apply(_PROD_ALL if dim is None else _PROD_DIM, (input,), params)


# --- all / any: boolean, never recorded ---------------------------------------------------
def _logical_reduction(input: Tensor, dim: Any, keepdim: bool, reducer: Any) -> Tensor:
    data = input._data
    axis = None if dim is None else normalize_dims(dim, data.ndim)
    out = reducer(data != 0 if data.dtype.kind != "b" else data, axis=axis, keepdims=keepdim)
    if data.dtype == np.uint8:
        out = out.astype(np.uint8)  # PyTorch keeps uint8 for uint8 inputs
    return new_tensor(out)


def all(input: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:  # noqa: A001
    """True where every entry (over ``dim``) is non-zero."""
    return _logical_reduction(input, dim, keepdim, np.all)


def any(input: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:  # noqa: A001
    """True where some entry (over ``dim``) is non-zero."""
    return _logical_reduction(input, dim, keepdim, np.any)


__all__ = ["sum", "mean", "nansum", "nanmean", "max", "min", "amax", "amin", "argmax", "argmin", "prod", "all", "any"]

# linalg.vector_norm is declared with the other formula reductions (statistics.py); the
# linear-algebra namespace reaches it here.
from bibun.ops.statistics import vector_norm  # noqa: E402, F401
