"""Sorting and order statistics: sort, argsort, topk, median (over everything or along a
dim), searchsorted, bucketize and unique.

sort, topk and median(dim) select entries along a dim: the values are the input read at the
returned indices, so the VJP adds the cotangent back at those indices into zeros and the JVP
reads the tangent there (the indices are saved, nothing else). Ties follow PyTorch's CPU
kernels: sort is stable (equal values keep their order, NaN sorts as the largest value),
median(dim) returns the index the stable order puts at position (n - 1) // 2 (or the first
NaN), and median() shares its gradient evenly among the entries equal to it.
"""

from __future__ import annotations

import builtins
from typing import Any

import numpy as np

from bibun._tensor import Tensor, new_tensor
from bibun.ops._registry import INPUTS_AND_OUTPUT, apply, defop
from bibun.ops.reduction import _along_axis_index, return_types
from bibun.ops.shape import normalize_dim

ndarray = np.ndarray


# --- the shared machinery: values read at indices along an axis ----------------------------
def _stable_order(x: ndarray, axis: int, descending: bool) -> ndarray:
    """Indices that sort ``x`` along ``axis``, equal values in their original order. NumPy
    sorts NaN last; for descending order the flipped array is sorted and the order reversed,
    which puts NaN first and keeps ties in order, as PyTorch does."""
    if not descending:
        return np.argsort(x, axis=axis, kind="stable")
    n = x.shape[axis]
    return (n - 1) - np.flip(np.argsort(np.flip(x, axis), axis=axis, kind="stable"), axis)


def _at_least_1d(x: ndarray) -> ndarray:
    return x.reshape(1) if x.ndim == 0 else x


def _along_vjp(xp: Any, grads: tuple, indices: ndarray, *, axis: int, shape: tuple, squeezed: bool, **_: Any) -> Any:
    g = grads[0]
    if not shape:  # a 0-d input: its one entry is the value
        return xp.reshape(g, ())
    kept = np.expand_dims(indices, axis) if squeezed else indices
    if squeezed:
        g = xp.reshape(g, kept.shape)
    return xp.index_put_zeros(shape, _along_axis_index(kept, axis), g)


def _along_jvp(
    xp: Any, tangents: tuple, indices: ndarray, *, axis: int, shape: tuple, squeezed: bool, **_: Any
) -> tuple:
    t = tangents[0]
    if not shape:
        return xp.reshape(t, indices.shape), None
    kept = np.expand_dims(indices, axis) if squeezed else indices
    return xp.reshape(t[_along_axis_index(kept, axis)], indices.shape), None


def _along_op(name: str, grad_fn: str, primal: Any) -> Any:
    """An op returning (values, indices) with values = input at indices along ``axis``."""
    return defop(
        name,
        grad_fn,
        primal,
        (_along_vjp,),
        save=lambda arrays, out, params: (out[1],),
        jvp=_along_jvp,
        outputs=2,
        differentiable_outputs=(0,),
    )


def _take(x: ndarray, indices: ndarray, axis: int, shape: tuple) -> tuple:
    values = np.take_along_axis(_at_least_1d(x), indices, axis)
    if not shape:
        return values.reshape(()), indices.reshape(())
    return values, indices


# --- sort, argsort, topk ---------------------------------------------------------------------
def _sort_primal(x: ndarray, axis: int, descending: bool, shape: tuple, squeezed: bool) -> tuple:
    return _take(x, _stable_order(_at_least_1d(x), axis, descending), axis, shape)


def _topk_primal(x: ndarray, axis: int, k: int, largest: bool, shape: tuple, squeezed: bool) -> tuple:
    order = _stable_order(_at_least_1d(x), axis, largest)
    return _take(x, np.take(order, np.arange(k), axis=axis), axis, shape)


_SORT = _along_op("sort", "SortBackward0", _sort_primal)
_SORT_STABLE = _along_op("sort_stable", "SortBackward1", _sort_primal)
_TOPK = _along_op("topk", "TopkBackward0", _topk_primal)


_UNSET = object()


def sort(input: Tensor, dim: int = -1, descending: bool = False, *, stable: Any = _UNSET) -> Any:
    """The values along ``dim`` in order, and where they came from
    (``bibun.return_types.sort(values, indices)``). Always stable: equal values keep their
    order; NaN sorts as the largest value. Passing ``stable`` at all records SortBackward1,
    as PyTorch's overload does."""
    shape = input._data.shape
    params = {"axis": normalize_dim(dim, input._data.ndim), "descending": bool(descending), "shape": shape}
    params["squeezed"] = False
    values, indices = apply(_SORT if stable is _UNSET else _SORT_STABLE, (input,), params)
    return return_types.sort(values, indices)


def argsort(input: Tensor, dim: int = -1, descending: bool = False, *, stable: builtins.bool = False) -> Tensor:
    """The indices that sort ``input`` along ``dim`` (stable, as ``sort``)."""
    data = input._data
    axis = normalize_dim(dim, data.ndim)
    return new_tensor(_stable_order(_at_least_1d(data), axis, bool(descending)).reshape(data.shape))


def topk(input: Tensor, k: int, dim: int = -1, largest: bool = True, sorted: bool = True) -> Any:  # noqa: A002
    """The ``k`` largest (or smallest) values along ``dim`` and their indices, in order
    (``bibun.return_types.topk``). Among equal values the earlier index comes first."""
    shape = input._data.shape
    axis = normalize_dim(dim, input._data.ndim)
    size = shape[axis] if shape else 1
    if not 0 <= k <= size:
        raise RuntimeError("selected index k out of range")
    params = {"axis": axis, "k": int(k), "largest": bool(largest), "shape": shape, "squeezed": False}
    values, indices = apply(_TOPK, (input,), params)
    return return_types.topk(values, indices)


# --- median ------------------------------------------------------------------------------------
def _median_indices(x: ndarray, axis: int) -> ndarray:
    """PyTorch's choice among ties: position (n - 1) // 2 of the stable order; the first NaN
    when there is one (keepdims form)."""
    n = x.shape[axis]
    order = np.take(np.argsort(x, axis=axis, kind="stable"), [(n - 1) // 2], axis=axis)
    if x.dtype.kind == "f":
        nan = np.isnan(x)
        order = np.where(nan.any(axis=axis, keepdims=True), np.argmax(nan, axis=axis, keepdims=True), order)
    return order


def _median_dim_primal(x: ndarray, axis: int, keepdim: bool, shape: tuple, squeezed: bool) -> tuple:
    flat = _at_least_1d(x)
    kept = _median_indices(flat, axis)
    values = np.take_along_axis(flat, kept, axis)
    if not shape:
        return values.reshape(()), kept.reshape(())
    if squeezed:
        return values.squeeze(axis), kept.squeeze(axis)
    return values, kept


def _median_all_primal(x: ndarray) -> ndarray:
    flat = x.reshape(-1)
    if flat.size == 0:
        return np.array(np.nan, dtype=x.dtype)
    if flat.dtype.kind == "f" and np.isnan(flat).any():
        return np.array(np.nan, dtype=x.dtype)
    return np.partition(flat, (flat.size - 1) // 2)[(flat.size - 1) // 2]


def _tied_with(x: Any, out: Any) -> Any:
    # The entries equal to the median; NaN matches NaN (a NaN median shares among the NaNs).
    return (x == out) | ((x != x) & (out != out))


def _median_all_vjp(xp: Any, g: Any, x: Any, out: Any) -> Any:
    mask = _tied_with(x, out)
    return xp.where(mask, g / xp.sum(mask), 0.0)


def _median_all_jvp(xp: Any, tangents: tuple, x: Any, out: Any) -> Any:
    mask = _tied_with(x, out)
    return xp.sum(xp.where(mask, tangents[0], 0.0)) / xp.sum(mask)


_MEDIAN_ALL = defop(
    "median_all", "MedianBackward0", _median_all_primal, (_median_all_vjp,), save=INPUTS_AND_OUTPUT, jvp=_median_all_jvp
)
_MEDIAN_DIM = _along_op("median_dim", "MedianBackward1", _median_dim_primal)


def median(input: Tensor, dim: int | None = None, keepdim: bool = False) -> Any:
    """The lower median: the middle value, or the smaller of the two middle values of an even
    count. Over everything, a tensor (NaN if any entry is NaN); along ``dim``,
    ``bibun.return_types.median(values, indices)``."""
    data = input._data
    if dim is None:
        return apply(_MEDIAN_ALL, (input,))
    axis = normalize_dim(dim, data.ndim)
    if data.ndim and data.shape[axis] == 0:
        raise IndexError(f"median(): Expected reduction dim {axis} to have non-zero size.")
    params = {"axis": axis, "keepdim": bool(keepdim), "shape": data.shape, "squeezed": not keepdim and data.ndim > 0}
    values, indices = apply(_MEDIAN_DIM, (input,), params)
    return return_types.median(values, indices)


# --- searchsorted, bucketize -----------------------------------------------------------------
def _index_dtype(out_int32: bool) -> np.dtype:
    return np.dtype(np.int32 if out_int32 else np.int64)


def searchsorted(
    sorted_sequence: Tensor,
    input: Any,
    *,
    out_int32: bool = False,
    right: bool = False,
    side: str | None = None,
    sorter: Tensor | None = None,
) -> Tensor:
    """Where each value of ``input`` would be inserted into the innermost dim of
    ``sorted_sequence`` to keep it sorted: the first such place, or the last with
    ``right=True`` / ``side="right"``."""
    if side is not None:
        if side not in ("left", "right"):
            raise RuntimeError(f"bibun.searchsorted(): side can only be 'left' or 'right' but got {side}")
        if side == "left" and right:
            raise RuntimeError(
                "bibun.searchsorted(): side and right can't be set to opposites, got side of left while right was True"
            )
        right = side == "right"
    boundaries = sorted_sequence._data
    scalar = not isinstance(input, Tensor)
    values = np.asarray(input) if scalar else input._data
    if boundaries.ndim == 0:
        raise RuntimeError(
            "bibun.searchsorted(): boundaries tensor should have positive dimension, but got 0 dimension"
        )
    if sorter is not None:
        boundaries = np.take_along_axis(boundaries, sorter._data, axis=-1)
    which = "right" if right else "left"
    if boundaries.ndim == 1:
        out = np.searchsorted(boundaries, values, side=which)
    else:
        if scalar or values.shape[:-1] != boundaries.shape[:-1]:
            raise RuntimeError(
                "bibun.searchsorted(): boundaries tensor should be 1 dimension or the first N-1 dimensions of "
                "boundaries tensor and input value tensor must match, but we got boundaries tensor "
                f"{list(boundaries.shape)} and input value tensor {list(values.shape)}"
            )
        rows_b = boundaries.reshape(-1, boundaries.shape[-1])
        rows_v = values.reshape(-1, values.shape[-1])
        out = np.stack([np.searchsorted(b, v, side=which) for b, v in zip(rows_b, rows_v)]).reshape(values.shape)
    return new_tensor(np.asarray(out).astype(_index_dtype(out_int32)))


def bucketize(input: Any, boundaries: Tensor, *, out_int32: bool = False, right: bool = False) -> Tensor:
    """The bucket of each entry of ``input`` given 1-D sorted ``boundaries`` (searchsorted
    with the arguments the other way round)."""
    if boundaries._data.ndim != 1:
        raise RuntimeError(f"boundaries tensor must be 1 dimension, but got dim({boundaries._data.ndim})")
    return searchsorted(boundaries, input, out_int32=out_int32, right=right)


# --- unique ------------------------------------------------------------------------------------
def _no_derivative(name: str) -> Any:
    def rule(xp: Any, grads: tuple, *saved: Any, **params: Any) -> Any:
        raise NotImplementedError(f"the derivative for '{name}' is not implemented.")

    return rule


def _unique_primal(x: ndarray, axis: int | None) -> tuple:
    if axis is None:
        values, inverse, counts = np.unique(x.reshape(-1), return_inverse=True, return_counts=True, equal_nan=False)
        return values, inverse.reshape(x.shape), counts
    if x.shape[axis] == 0:
        empty = np.zeros(0, dtype=np.int64)
        return x, empty, empty
    values, inverse, counts = np.unique(x, return_inverse=True, return_counts=True, axis=axis, equal_nan=False)
    return values, inverse.reshape(-1), counts


# PyTorch records the node (Unique2Backward0, UniqueDimBackward0); its backward raises.
_UNIQUE = defop(
    "unique", "Unique2Backward0", _unique_primal, (_no_derivative("_unique2"),), outputs=3, differentiable_outputs=(0,)
)
_UNIQUE_DIM = defop(
    "unique_dim",
    "UniqueDimBackward0",
    _unique_primal,
    (_no_derivative("unique_dim"),),
    outputs=3,
    differentiable_outputs=(0,),
)


def unique(
    input: Tensor,
    sorted: bool = True,  # noqa: A002 - PyTorch's name
    return_inverse: bool = False,
    return_counts: bool = False,
    dim: int | None = None,
) -> Any:
    """The distinct values of ``input`` in ascending order (or its distinct slices along
    ``dim``); with ``return_inverse`` where each entry went, with ``return_counts`` how
    often each value occurs. ``sorted=False`` sorts too (PyTorch's CPU kernel does as well)."""
    data = input._data
    if dim is None:
        values, inverse, counts = apply(_UNIQUE, (input,), {"axis": None})
    else:
        axis = normalize_dim(dim, data.ndim)
        values, inverse, counts = apply(_UNIQUE_DIM, (input,), {"axis": axis})
    if not return_inverse and not return_counts:
        return values
    result = [values]
    if return_inverse:
        result.append(inverse)
    if return_counts:
        result.append(counts)
    return tuple(result)


__all__ = ["sort", "argsort", "topk", "median", "searchsorted", "bucketize", "unique"]
