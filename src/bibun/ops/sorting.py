"""Sorting and order statistics: sort, argsort, msort, topk, median (over everything or along
a dim), kthvalue, mode, quantile, nanquantile, searchsorted, bucketize and unique.

sort, topk and median(dim) select entries along a dim: the values are the input read at the
returned indices, so the VJP adds the cotangent back at those indices into zeros and the JVP
reads the tangent there (the indices are saved, nothing else). Ties follow PyTorch's CPU
kernels: sort is stable (equal values keep their order, NaN sorts as the largest value),
median(dim) returns the index the stable order puts at position (n - 1) // 2 (or the first
NaN), and median() shares its gradient evenly among the entries equal to it. kthvalue and
mode pick among equal values what PyTorch's CPU kernels pick, by replaying their selection
and sort (docs/order-statistics.md). quantile and nanquantile are compositions of recorded
ops, as in PyTorch (sort, gather, lerp), so their graphs are PyTorch's.
"""

from __future__ import annotations

import builtins
from typing import Any

import numpy as np

from bibun import _dtype
from bibun._tensor import Tensor, new_tensor
from bibun.ops._registry import INPUTS_AND_OUTPUT, apply, defop
from bibun.ops.binary import lerp
from bibun.ops.combining import broadcast_tensors
from bibun.ops.elementwise import logical_not
from bibun.ops.indexing import gather, masked_fill
from bibun.ops.reduction import _along_axis_index, return_types, values_and_indices_op
from bibun.ops.shape import flatten, normalize_dim, transpose, unsqueeze
from bibun.ops.unary import ceil, floor, isnan
from bibun.ops.unary import round as round_

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
    return values_and_indices_op(name, grad_fn, primal, _along_vjp, _along_jvp)


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


def msort(input: Tensor) -> Tensor:
    """The values sorted along dim 0 (``sort(input, 0).values``, SortBackward0)."""
    return sort(input, 0).values


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


# --- kthvalue, mode: PyTorch's choice among equal values --------------------------------------
def _greater_or_nan(a: Any, b: Any) -> bool:
    return (a != a and b == b) or a > b  # NaN counts as the largest value


def _quickselect_index(values: list, k: int) -> int:
    """Where PyTorch's kthvalue kernel finds the k-th smallest (0-based) of ``values``: its
    quickselect (median-of-three pivot, NaN largest) replayed, since among equal values the
    one it returns depends on the swaps it makes."""
    order = list(range(len(values)))
    a = list(values)

    def swap(i: int, j: int) -> None:
        a[i], a[j] = a[j], a[i]
        order[i], order[j] = order[j], order[i]

    low, high = 0, len(a) - 1
    while high > low:
        if high == low + 1:
            if _greater_or_nan(a[low], a[high]):
                swap(low, high)
            break
        swap(low + (high - low) // 2, low + 1)
        for i, j in ((low + 1, high), (low, high), (low + 1, low)):
            if _greater_or_nan(a[i], a[j]):
                swap(i, j)
        i, j, pivot = low + 1, high, a[low]
        while True:
            i += 1
            while _greater_or_nan(pivot, a[i]):
                i += 1
            j -= 1
            while _greater_or_nan(a[j], pivot):
                j -= 1
            if j < i:
                break
            swap(i, j)
        swap(low, j)
        if j <= k:
            low = i
        if j >= k:
            high = j - 1
    return order[k]


def _libstdcxx_sort_order(keys: list) -> list:
    """The order in which libstdc++'s std::sort (introsort: median-of-three quicksort down to
    runs of 16, heapsort past the depth limit, then insertion sort) leaves ``keys`` compared
    with ``<``. PyTorch's mode kernel sorts with it, which is not stable: equal values end in
    an order that only a replay reproduces. The recursion is a stack of disjoint ranges."""
    a = list(range(len(keys)))

    def less(i: int, j: int) -> bool:
        return keys[i] < keys[j]

    def sift(first: int, hole: int, length: int, value: int) -> None:  # std::__adjust_heap
        top = child = hole
        while child < (length - 1) // 2:
            child = 2 * (child + 1)
            if less(a[first + child], a[first + child - 1]):
                child -= 1
            a[first + hole] = a[first + child]
            hole = child
        if length % 2 == 0 and child == (length - 2) // 2:
            child = 2 * (child + 1)
            a[first + hole] = a[first + child - 1]
            hole = child - 1
        parent = (hole - 1) // 2
        while hole > top and less(a[first + parent], value):
            a[first + hole] = a[first + parent]
            hole, parent = parent, (parent - 1) // 2
        a[first + hole] = value

    ranges = [(0, len(a), 2 * (len(a).bit_length() - 1))]
    while ranges:
        first, last, depth = ranges.pop()
        while last - first > 16:
            if depth == 0:  # heapsort the range
                for parent in range((last - first - 2) // 2, -1, -1):
                    sift(first, parent, last - first, a[first + parent])
                for end in range(last - 1, first, -1):
                    value, a[end] = a[end], a[first]
                    sift(first, 0, end - first, value)
                break
            depth -= 1
            x, y, z = first + 1, first + (last - first) // 2, last - 1
            if less(a[x], a[y]):
                m = y if less(a[y], a[z]) else (z if less(a[x], a[z]) else x)
            else:
                m = x if less(a[x], a[z]) else (z if less(a[y], a[z]) else y)
            a[first], a[m] = a[m], a[first]
            lo, hi = first + 1, last
            while True:
                while less(a[lo], a[first]):
                    lo += 1
                hi -= 1
                while less(a[first], a[hi]):
                    hi -= 1
                if lo >= hi:
                    break
                a[lo], a[hi] = a[hi], a[lo]
                lo += 1
            ranges.append((lo, last, depth))
            last = lo
    for i in range(1, len(a)):  # insertion sort; past 16 entries the first 16 bound the rest
        value, j = a[i], i
        if i < 16 and less(value, a[0]):
            a[1 : i + 1], a[0] = a[:i], value
            continue
        while j > 0 and less(value, a[j - 1]):  # j > 0: std::sort's guard is the sorted prefix
            a[j] = a[j - 1]
            j -= 1
        a[j] = value
    return a


def _replayed_mode_index(values: list) -> int:
    """PyTorch's mode kernel: sort, then the first longest run of equal values (NaN equals
    nothing), reported at the run's last position."""
    order = _libstdcxx_sort_order(values)
    best, best_count, count = 0, 0, 0
    for position, i in enumerate(order):
        count += 1
        if position == len(order) - 1 or values[i] != values[order[position + 1]]:
            if count > best_count:
                best, best_count = i, count
            count = 0
    return best


def _kth_indices(rows: ndarray, k: int) -> ndarray:
    """The index of the k-th smallest of each row. A row whose k-th value occurs once needs no
    replay; ties are settled as PyTorch's quickselect settles them."""
    if rows.shape[0] == 0:
        return np.zeros(0, dtype=np.int64)
    kth = np.partition(rows, k - 1, axis=1)[:, k - 1 : k]  # NaN sorts last, as in PyTorch
    equal = rows == kth
    if rows.dtype.kind == "f":
        equal |= np.isnan(rows) & np.isnan(kth)
    chosen = np.argmax(equal, axis=1)
    for r in np.flatnonzero(equal.sum(axis=1) > 1):
        chosen[r] = _quickselect_index(rows[r].tolist(), k - 1)
    return chosen


def _mode_indices(rows: ndarray) -> ndarray:
    """The index of each row's mode: the smallest of the most frequent values, at the position
    PyTorch's sort leaves last among its copies. Up to 16 entries that sort is an insertion
    sort (stable: the last copy); a row of distinct values has its minimum; NaN rows and
    longer rows with repeats replay the sort."""
    count, n = rows.shape
    chosen = np.zeros(count, dtype=np.int64)
    replay = np.isnan(rows).any(axis=1) if rows.dtype.kind == "f" else np.zeros(count, dtype=bool)
    if n <= 16:
        fast = np.flatnonzero(~replay)
        r = rows[fast]
        freq = (r[:, :, None] == r[:, None, :]).sum(axis=2)
        top = freq == freq.max(axis=1, keepdims=True)
        mode = np.where(top, r, r.max(axis=1, keepdims=True)).min(axis=1, keepdims=True)
        chosen[fast] = n - 1 - np.argmax((r == mode)[:, ::-1], axis=1)
    else:
        ordered = np.sort(rows, axis=1)
        distinct = ~replay & (ordered[:, 1:] != ordered[:, :-1]).all(axis=1)
        chosen[distinct] = np.argmin(rows[distinct], axis=1)
        replay |= ~distinct
    for r in np.flatnonzero(replay):
        chosen[r] = _replayed_mode_index(rows[r].tolist())
    return chosen


def _select_rows_primal(x: ndarray, axis: int, shape: tuple, squeezed: bool, choose: Any, **params: Any) -> tuple:
    """(values, indices) of the entry ``choose`` picks in each slice along ``axis``."""
    flat = _at_least_1d(x)
    moved = np.moveaxis(flat, axis, -1)
    chosen = choose(moved.reshape(-1, moved.shape[-1]), **params).reshape(moved.shape[:-1])
    kept = np.expand_dims(chosen.astype(np.int64, copy=False), axis)
    values = np.take_along_axis(flat, kept, axis)
    if not shape:
        return values.reshape(()), kept.reshape(())
    if squeezed:
        return values.squeeze(axis), kept.squeeze(axis)
    return values, kept


_KTHVALUE = _along_op("kthvalue", "KthvalueBackward0", _select_rows_primal)
_MODE = _along_op("mode", "ModeBackward0", _select_rows_primal)
_KTHVALUE_RESULT = return_types.kthvalue
_MODE_RESULT = return_types.mode


def _reduction_params(name: str, input: Tensor, dim: int, keepdim: bool) -> dict:
    data = input._data
    axis = normalize_dim(dim, data.ndim)
    if data.ndim and data.shape[axis] == 0:
        raise IndexError(f"{name}(): Expected reduction dim {axis} to have non-zero size.")
    return {"axis": axis, "shape": data.shape, "squeezed": not keepdim and data.ndim > 0}


def kthvalue(input: Tensor, k: int, dim: int = -1, keepdim: bool = False) -> Any:
    """The k-th smallest value along ``dim`` (k counts from 1; NaN is the largest) and its
    index (``bibun.return_types.kthvalue``); among equal values, the one PyTorch returns."""
    if not isinstance(k, (int, np.integer)) or isinstance(k, bool):
        raise TypeError(f"kthvalue(): argument 'k' (position 2) must be int, not {type(k).__name__}")
    data = input._data
    params = _reduction_params("kthvalue", input, dim, keepdim)
    axis = params["axis"]
    if not 1 <= k <= (data.shape[axis] if data.ndim else 1):
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {axis}")
    if data.dtype.kind == "b":
        raise NotImplementedError("\"kthvalue_cpu\" not implemented for 'Bool'")
    values, indices = apply(_KTHVALUE, (input,), {**params, "choose": _kth_indices, "k": int(k)})
    return _KTHVALUE_RESULT(values, indices)


def mode(input: Tensor, dim: int = -1, keepdim: bool = False) -> Any:
    """The most frequent value along ``dim`` (the smallest, when several are) and an index
    where it occurs (``bibun.return_types.mode``): the one PyTorch returns."""
    params = _reduction_params("mode", input, dim, keepdim)
    values, indices = apply(_MODE, (input,), {**params, "choose": _mode_indices})
    return _MODE_RESULT(values, indices)


# --- quantile, nanquantile: PyTorch's composition -------------------------------------------------
_INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")

# PyTorch ends with in-place reshapes of its own intermediate (squeeze_, or unsqueeze_,
# transpose_, squeeze_ for a 1-D q), which record these nodes. Here they are out-of-place
# ops under the same names, on an intermediate nobody else holds.
_LAST_SQUEEZED = defop(
    "quantile_squeeze_",
    "SqueezeBackward4",
    lambda x: x.reshape(x.shape[:-1]),
    (lambda xp, g: xp.reshape(g, tuple(g.shape) + (1,)),),
    jvp="linear",
)
_FIRST_UNSQUEEZED = defop(
    "quantile_unsqueeze_",
    "UnsqueezeBackward1",
    lambda x: x.reshape((1,) + x.shape),
    (lambda xp, g: xp.reshape(g, tuple(g.shape)[1:]),),
    jvp="linear",
)
_ENDS_SWAPPED = defop(
    "quantile_transpose_",
    "TransposeBackward1",
    lambda x: np.swapaxes(x, 0, -1),
    (lambda xp, g: xp.swapaxes(g, 0, -1),),
    jvp="linear",
)

# PyTorch scales q by the last index, a C++ integer: mul with a Scalar, MulBackward1.
_RANK_SCALED = defop(
    "quantile_rank_scale",
    "MulBackward1",
    lambda q, factor: q * q.dtype.type(factor),
    (lambda xp, g, factor: g * factor,),
    jvp="linear",
)


def _quantile_checks(input: Tensor, q: Any, interpolation: str) -> Tensor:
    """PyTorch's checks, in its order; returns q as a tensor."""
    data = input._data
    if not isinstance(q, Tensor):
        q = float(q)
        if not 0 <= q <= 1:
            raise RuntimeError(f"quantile() q must be in the range [0, 1] but got {q:g}")
    if interpolation not in _INTERPOLATIONS:
        raise RuntimeError(
            "quantile() interpolation must be one of linear, lower, higher, midpoint or nearest, "
            f"but got {interpolation}"
        )
    if data.size == 0:
        raise RuntimeError("quantile() input tensor must be non-empty")
    if isinstance(q, Tensor) and q._data.ndim > 1:
        raise RuntimeError("quantile() q must be a scalar or 1D tensor")
    if data.dtype not in (np.float32, np.float64):
        raise RuntimeError("quantile() input tensor must be either float or double dtype")
    if not isinstance(q, Tensor):
        return new_tensor(np.array(q, dtype=data.dtype))
    if q._data.dtype != data.dtype:
        raise RuntimeError("quantile() q tensor must be same dtype as the input tensor")
    return q


def _quantile(input: Tensor, q: Any, dim: int | None, keepdim: bool, interpolation: str, ignore_nan: bool) -> Tensor:
    q = _quantile_checks(input, q, interpolation)
    data = input._data
    axis = None if dim is None else normalize_dim(dim, data.ndim)
    if not ((q._data >= 0) & (q._data <= 1)).all():
        raise RuntimeError("quantile() q values must be in the range [0, 1]")
    # Sorted along the last dim, viewed as (the output's shape without q's dim, n).
    if axis is None:
        sorted_ = sort(input if data.ndim == 1 else flatten(input)).values
        out_shape = [1] * data.ndim if keepdim else []
    else:
        last = axis == data.ndim - 1
        sorted_ = sort(input if last else transpose(unsqueeze(input, -1), axis, -1)).values
        out_shape = list(data.shape)
        if keepdim and out_shape:
            out_shape[axis] = 1
        elif out_shape:
            del out_shape[axis]
    n = sorted_._data.shape[-1]
    if n > 2**24:
        raise RuntimeError("quantile() input tensor is too large")
    sorted_ = sorted_.view(*out_shape, n)
    # Ranks in [0, n): q over the non-NaN entries (nanquantile), or n - 1 where a slice has a
    # NaN (quantile), so that NaN is what the slice gives.
    if ignore_nan:
        ranks = q * (logical_not(isnan(sorted_)).sum(-1, keepdim=True) - 1)
        ranks = masked_fill(ranks, ranks < 0, 0)
    else:
        scaled = apply(_RANK_SCALED, (q,), {"factor": n - 1})
        ranks, has_nan = broadcast_tensors(scaled, isnan(sorted_).any(-1, keepdim=True))
        ranks = masked_fill(ranks, has_nan, n - 1)
    if interpolation in ("lower", "higher", "nearest"):
        ranks = {"lower": floor, "higher": ceil, "nearest": round_}[interpolation](ranks)
    below = ranks.to(_dtype.int64)
    values = gather(sorted_, -1, below)
    if interpolation in ("linear", "midpoint"):
        weights = new_tensor(np.full_like(ranks._data, 0.5)) if interpolation == "midpoint" else ranks - below
        values = lerp(values, gather(sorted_, -1, ceil(ranks).to(_dtype.int64)), weights)
    if q._data.ndim == 0:
        return apply(_LAST_SQUEEZED, (values,))
    return apply(_LAST_SQUEEZED, (apply(_ENDS_SWAPPED, (apply(_FIRST_UNSQUEEZED, (values,)),)),))


def quantile(
    input: Tensor, q: Any, dim: int | None = None, keepdim: bool = False, *, interpolation: str = "linear"
) -> Tensor:
    """The q-th quantiles along ``dim`` (of everything when None); ``q`` a number in [0, 1] or a
    1-D tensor of them (its dim comes first in the result). Between two entries, by
    ``interpolation``: linear, lower, higher, midpoint or nearest. A slice with a NaN gives NaN."""
    return _quantile(input, q, dim, keepdim, interpolation, ignore_nan=False)


def nanquantile(
    input: Tensor, q: Any, dim: int | None = None, keepdim: bool = False, *, interpolation: str = "linear"
) -> Tensor:
    """``quantile`` ignoring NaN: over the non-NaN entries of each slice (NaN if all are NaN)."""
    return _quantile(input, q, dim, keepdim, interpolation, ignore_nan=True)


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


__all__ = ["sort", "argsort", "msort", "topk", "median", "kthvalue", "mode", "quantile", "nanquantile"]
__all__ += ["searchsorted", "bucketize", "unique"]

# Tensor methods: x.kthvalue(k) is kthvalue(x, k) (docs/design.md, "One op, one entry").
for _name in ("kthvalue", "mode", "msort", "quantile", "nanquantile"):
    setattr(Tensor, _name, globals()[_name])
