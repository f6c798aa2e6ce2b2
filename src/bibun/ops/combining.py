"""Arranging tensors: diff, take, repeat_interleave, atleast_1d/2d/3d, column_stack, dstack,
meshgrid, broadcast_tensors and broadcast_shapes.

Only ``take`` is an op of its own (TakeBackward0); the others are built from the shape and
indexing ops and record what PyTorch records (diff: SubBackward0 of two slices; meshgrid and
broadcast_tensors: ExpandBackward0; repeat_interleave: a view of an expand, or
IndexSelectBackward0 with a tensor of repeats)."""

from __future__ import annotations

import builtins
import warnings
from typing import Any, Sequence

import numpy as np

from bibun._dtype import scalar_type_name
from bibun._size import Size
from bibun._tensor import Tensor, new_tensor
from bibun.ops._registry import apply, defop
from bibun.ops.elementwise import _check_broadcast, logical_xor, sub
from bibun.ops.indexing import index_select
from bibun.ops.layout import narrow
from bibun.ops.shape import cat, contiguous, expand, normalize_dim, reshape, unsqueeze, view

ndarray = np.ndarray


# --- take ----------------------------------------------------------------------------------------
def _take_vjp(xp: Any, g: Any, index: ndarray, shape: tuple) -> Any:
    size = 1
    for n in shape:
        size *= n
    return xp.reshape(xp.index_put_zeros((size,), (index,), g), shape)


_TAKE = defop("take", "TakeBackward0", lambda x, index, shape: x.reshape(-1)[index], (_take_vjp,), jvp="linear")


def take(input: Tensor, index: Tensor) -> Tensor:
    """``input`` read as a flat (row-major) tensor at ``index``; the result has ``index``'s
    shape. Negative indices count from the end."""
    data = index._data
    if data.dtype != np.int64:
        raise RuntimeError(f"take(): Expected a long tensor for index, but got {scalar_type_name(data.dtype)}")
    size = input._data.size
    if data.size and (data.max() >= size or data.min() < -size):
        bad = int(data.max()) if data.max() >= size else int(data.min())
        raise IndexError(f"out of range: tried to access index {bad} on a tensor of {size} elements.")
    flat = np.where(data < 0, data + size, data)
    return apply(_TAKE, (input,), {"index": flat, "shape": input._data.shape})


# --- diff ----------------------------------------------------------------------------------------
def diff(
    input: Tensor, n: int = 1, dim: int = -1, prepend: Tensor | None = None, append: Tensor | None = None
) -> Tensor:
    """The n-th forward difference along ``dim`` (``out[i] = input[i + 1] - input[i]``,
    applied ``n`` times), after joining ``prepend`` and ``append``; bool tensors give XOR."""
    if input._data.ndim == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    if n < 0:
        raise RuntimeError(f"order must be non-negative but got {n}")
    axis = normalize_dim(dim, input._data.ndim)
    pieces = [t for t in (prepend, input, append) if t is not None]
    x = cat(pieces, axis) if len(pieces) > 1 else input
    for _ in range(n):
        length = x._data.shape[axis]
        if length == 0:
            break
        later, earlier = narrow(x, axis, 1, length - 1), narrow(x, axis, 0, length - 1)
        x = logical_xor(later, earlier) if x._data.dtype.kind == "b" else sub(later, earlier)
    return x


# --- repeat_interleave ----------------------------------------------------------------------------
def repeat_interleave(
    input: Tensor, repeats: Any = None, dim: int | None = None, *, output_size: int | None = None
) -> Tensor:
    """Each entry (or slice along ``dim``) repeated in place: ``[1, 2]`` with 2 repeats is
    ``[1, 1, 2, 2]``. ``repeats`` is a number or a tensor with one count per slice; without
    ``dim`` the input is flattened first. ``repeat_interleave(counts)`` alone gives the
    indices ``0, 0, 1, ...`` repeated by ``counts``."""
    if repeats is None:
        counts = input._data
        if counts.ndim != 1 or counts.dtype.kind not in "iu":
            raise RuntimeError("repeat_interleave only accept 1D vector as repeat")
        if counts.size and counts.min() < 0:
            raise RuntimeError("repeats can not be negative")
        return new_tensor(np.repeat(np.arange(counts.size, dtype=np.int64), counts))
    x = reshape(input, (-1,)) if dim is None else input
    axis = 0 if dim is None else normalize_dim(dim, x._data.ndim)
    if x._data.ndim == 0:
        x = reshape(x, (1,))
    length = x._data.shape[axis]
    if isinstance(repeats, Tensor):
        counts = repeats._data.reshape(-1)
        if counts.size == 1 and repeats._data.ndim == 0:
            repeats = int(counts[0])
        else:
            if counts.size == 1:
                counts = np.repeat(counts, length)
            if counts.size != length:
                raise RuntimeError(
                    "repeats must have the same size as input along dim, but got "
                    f"repeats.size(0) = {counts.size} and input.size({axis}) = {length}"
                )
            if counts.size and counts.min() < 0:
                raise RuntimeError("repeats can not be negative")
            index = new_tensor(np.repeat(np.arange(length, dtype=np.int64), counts))
            return index_select(x, axis, index)
    repeats = int(repeats)
    if repeats < 0:
        raise RuntimeError("Repeats must be non-negative")
    shape = x._data.shape
    spread = expand(unsqueeze(x, axis + 1), shape[: axis + 1] + (repeats,) + shape[axis + 1 :])
    # A copy, then a view of it: PyTorch's result is a ViewBackward0 too.
    return view(contiguous(spread), shape[:axis] + (length * repeats,) + shape[axis + 1 :])


# --- atleast_nd, column_stack, dstack -------------------------------------------------------------
def _atleast(name: str, tensors: tuple, one: Any) -> Any:
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        return tuple(one(t) for t in _check_tensors(name, tensors[0]))
    if len(tensors) == 1:
        return one(_check_tensors(name, tensors)[0])
    return tuple(one(t) for t in _check_tensors(name, tensors))


def _check_tensors(name: str, tensors: Sequence[Any]) -> Sequence[Tensor]:
    for t in tensors:
        if not isinstance(t, Tensor):
            raise TypeError(
                f"{name}() received an invalid combination of arguments - got ({type(t).__name__}), but expected "
                "one of:\n * (Tensor input)\n * (tuple of Tensors tensors)"
            )
    return tensors


def _one_1d(t: Tensor) -> Tensor:
    return reshape(t, (1,)) if t._data.ndim == 0 else t


def _one_2d(t: Tensor) -> Tensor:
    ndim = t._data.ndim
    return reshape(t, (1, 1)) if ndim == 0 else unsqueeze(t, 0) if ndim == 1 else t


def _one_3d(t: Tensor) -> Tensor:
    ndim = t._data.ndim
    if ndim == 0:
        return reshape(t, (1, 1, 1))
    if ndim == 1:
        return unsqueeze(unsqueeze(t, 0), -1)
    return unsqueeze(t, -1) if ndim == 2 else t


def atleast_1d(*tensors: Any) -> Any:
    """A 0-d tensor as shape (1,); others as they are (the same object)."""
    return _atleast("atleast_1d", tensors, _one_1d)


def atleast_2d(*tensors: Any) -> Any:
    """0-d as (1, 1), 1-d (n,) as (1, n); others as they are."""
    return _atleast("atleast_2d", tensors, _one_2d)


def atleast_3d(*tensors: Any) -> Any:
    """0-d as (1, 1, 1), (n,) as (1, n, 1), (m, n) as (m, n, 1); others as they are."""
    return _atleast("atleast_3d", tensors, _one_3d)


def column_stack(tensors: Sequence[Tensor]) -> Tensor:
    """Joins along dim 1, vectors and numbers taken as columns."""
    if not len(tensors):
        raise RuntimeError("column_stack expects a non-empty TensorList")
    columns = [reshape(t, (t._data.size, 1)) if t._data.ndim <= 1 else t for t in tensors]
    return cat(columns, 1)


def dstack(tensors: Sequence[Tensor]) -> Tensor:
    """Joins along dim 2 (depth), after ``atleast_3d``."""
    if not len(tensors):
        raise RuntimeError("dstack expects a non-empty TensorList")
    return cat([_one_3d(t) for t in tensors], 2)


# --- broadcasting ---------------------------------------------------------------------------------
def broadcast_shapes(*shapes: Any) -> Size:
    """The shape tensors of the given shapes broadcast to (an int is a 1-d shape)."""
    result: list[int] = []
    for i, shape in enumerate(shapes):
        shape = (int(shape),) if isinstance(shape, (builtins.int, np.integer)) else tuple(int(n) for n in shape)
        if len(shape) > len(result):
            result = [1] * (len(shape) - len(result)) + result
        for k in range(1, len(shape) + 1):
            size, have = shape[-k], result[-k]
            if size == have or size == 1:
                continue
            if have == 1:
                result[-k] = size
                continue
            raise RuntimeError(
                f"Attempting to broadcast a dimension of length {size} at {-k}! Mismatching argument at index {i} "
                f"had {shape}; but expected shape should be broadcastable to {result}"
            )
    return Size(result)


def broadcast_tensors(*tensors: Tensor) -> tuple[Tensor, ...]:
    """The tensors expanded to their common shape (views; a tensor already of that shape is
    returned as it is)."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    shape: tuple = ()
    for t in tensors:
        _check_broadcast(shape, t._data.shape)
        shape = np.broadcast_shapes(shape, t._data.shape)
    return tuple(t if t._data.shape == shape else expand(t, shape) for t in tensors)


def meshgrid(*tensors: Any, indexing: str | None = None) -> tuple[Tensor, ...]:
    """Coordinate grids from 1-d tensors: with ``indexing="ij"`` output k varies along dim k;
    ``"xy"`` swaps the first two dims (Cartesian, as NumPy's default). Each grid is an
    expanded view of its input."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing is None:
        warnings.warn(
            "bibun.meshgrid: in an upcoming release, it will be required to pass the indexing argument.",
            UserWarning,
            stacklevel=2,
        )
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise RuntimeError(f'bibun.meshgrid: indexing must be one of "xy" or "ij", but received: {indexing}')
    if not tensors:
        raise RuntimeError("meshgrid expects a non-empty TensorList")
    for t in tensors:
        if t._data.ndim > 1:
            raise RuntimeError(f"bibun.meshgrid: Expected 0D or 1D tensor in the tensor list but got: {t}")
    if len({t._data.dtype for t in tensors}) > 1:
        raise RuntimeError("meshgrid expects all tensors to have the same dtype")
    order = list(range(len(tensors)))
    if indexing == "xy" and len(tensors) >= 2:
        order[0], order[1] = 1, 0
    ordered = [tensors[k] for k in order]
    shape = tuple(t._data.size for t in ordered)
    grids = []
    for k, t in enumerate(ordered):
        column = tuple(n if i == k else 1 for i, n in enumerate(shape))
        grids.append(expand(reshape(t, column), shape))
    return tuple(grids[order.index(k)] for k in range(len(tensors)))


__all__ = [
    "take",
    "diff",
    "repeat_interleave",
    "atleast_1d",
    "atleast_2d",
    "atleast_3d",
    "column_stack",
    "dstack",
    "broadcast_shapes",
    "broadcast_tensors",
    "meshgrid",
]
