"""Rearranging ops beyond shape.py's views: flip, roll, repeat/tile, movedim, unflatten,
narrow, split/chunk, and the stacking helpers (hstack, vstack, ravel).

All are linear, so their JVP is the op applied to the tangent (``jvp="linear"``); their VJPs
undo the rearrangement (flip back, roll back, sum the repeats, concatenate the pieces)."""

from __future__ import annotations

import builtins
import math
from typing import Any, Sequence

import numpy as np

from bibun._tensor import Tensor
from bibun.ops._registry import apply, defop
from bibun.ops.shape import (
    _shape_arg,
    cat,
    contiguous,
    getitem,
    normalize_dim,
    normalize_dims,
    permute,
    reshape,
    unsqueeze,
    view,
)

ndarray = np.ndarray
LINEAR = "linear"


# --- flip, roll ---------------------------------------------------------------------------
_FLIP = defop(
    "flip",
    "FlipBackward0",
    lambda x, dims: np.flip(x, dims).copy(),
    (lambda xp, g, dims: xp.flip(g, dims),),
    jvp=LINEAR,
)


def flip(input: Tensor, *dims: Any) -> Tensor:
    """Reverse the order of entries along ``dims`` (a copy, as in PyTorch)."""
    axes = normalize_dims(_shape_arg(dims), input._data.ndim)
    if len(set(axes)) != len(axes):
        raise RuntimeError(f"dim {axes[0]} appears multiple times in the list of dims")
    return apply(_FLIP, (input,), {"dims": axes})


def fliplr(input: Tensor) -> Tensor:
    if input._data.ndim < 2:
        raise RuntimeError("Input must be >= 2-d.")
    return flip(input, 1)


def flipud(input: Tensor) -> Tensor:
    if input._data.ndim < 1:
        raise RuntimeError("Input must be >= 1-d.")
    return flip(input, 0)


def _roll_primal(x: ndarray, shifts: tuple, dims: tuple | None) -> ndarray:
    if dims is None:
        return np.roll(x.reshape(-1), shifts[0]).reshape(x.shape)
    return np.roll(x, shifts, dims)


def _roll_vjp(xp: Any, g: Any, shifts: tuple, dims: tuple | None) -> Any:
    back = tuple(-s for s in shifts)
    if type(g) is ndarray:
        return _roll_primal(g, back, dims)
    return apply(_ROLL, (g,), {"shifts": back, "dims": dims})


_ROLL = defop("roll", "RollBackward0", _roll_primal, (_roll_vjp,), jvp=LINEAR)


def roll(input: Tensor, shifts: Any, dims: Any = None) -> Tensor:
    """Shift entries cyclically by ``shifts`` along ``dims`` (the flattened tensor if None)."""
    shifts = (int(shifts),) if isinstance(shifts, (int, np.integer)) else tuple(int(s) for s in shifts)
    if dims is None:
        if len(shifts) != 1:
            raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, dims:0")
        return apply(_ROLL, (input,), {"shifts": shifts, "dims": None})
    dims = normalize_dims(dims, input._data.ndim)
    if len(shifts) != len(dims):
        raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, dims:{len(dims)}")
    return apply(_ROLL, (input,), {"shifts": shifts, "dims": dims})


# --- repeat, tile -------------------------------------------------------------------------
def _repeat_vjp(xp: Any, g: Any, repeats: tuple, in_shape: tuple) -> Any:
    # View the result as (r0, s0, r1, s1, ...) and sum the repeat axes away.
    padded = (1,) * (len(repeats) - len(in_shape)) + tuple(in_shape)
    split = []
    for r, s in zip(repeats, padded):
        split += [r, s]
    summed = xp.sum(xp.reshape(g, tuple(split)), tuple(range(0, 2 * len(repeats), 2)))
    return xp.reshape(summed, in_shape)


_REPEAT = defop(
    "repeat",
    "RepeatBackward0",
    lambda x, repeats, in_shape: np.tile(x, repeats),
    (_repeat_vjp,),
    jvp=LINEAR,
)


def repeat(input: Tensor, *sizes: Any) -> Tensor:
    """Tile the tensor ``sizes[i]`` times along dim i (new leading dims when longer)."""
    repeats = _shape_arg(sizes)
    if len(repeats) < input._data.ndim:
        raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number of dimensions of tensor")
    if builtins.any(r < 0 for r in repeats):
        raise RuntimeError(f"Trying to create tensor with negative dimension {builtins.min(repeats)}: {list(repeats)}")
    return apply(_REPEAT, (input,), {"repeats": repeats, "in_shape": input._data.shape})


def tile(input: Tensor, dims: Sequence[int]) -> Tensor:
    """``repeat`` where missing leading repeat counts are 1."""
    dims = _shape_arg((dims,)) if not isinstance(dims, (int, np.integer)) else (int(dims),)
    dims = (1,) * (input._data.ndim - len(dims)) + tuple(dims)
    return repeat(input, dims)


# --- movedim, unflatten, narrow ------------------------------------------------------------
def movedim(input: Tensor, source: Any, destination: Any) -> Tensor:
    """Move dims ``source`` to positions ``destination``; the others keep their order."""
    ndim = input._data.ndim
    src = normalize_dims(source, ndim)
    dst = normalize_dims(destination, ndim)
    if len(src) != len(dst):
        raise RuntimeError(
            f"movedim: Invalid source or destination dims: source ({list(src)} dims) should contain the same "
            f"number of dims as destination ({list(dst)} dims)"
        )
    if len(set(src)) != len(src) or len(set(dst)) != len(dst):
        raise RuntimeError("movedim: repeated dim in `source` or `destination`")
    order = [-1] * ndim
    for s, d in zip(src, dst):
        order[d] = s
    rest = iter(i for i in range(ndim) if i not in src)
    order = [next(rest) if o == -1 else o for o in order]
    return permute(input, tuple(order))


moveaxis = movedim


def unflatten(input: Tensor, dim: int, sizes: Sequence[int]) -> Tensor:
    """Split dim ``dim`` into ``sizes`` (one of them may be -1)."""
    shape = input._data.shape
    d = normalize_dim(dim, len(shape))
    sizes = tuple(int(s) for s in sizes)
    if not sizes:
        raise RuntimeError("unflatten: sizes must be non-empty")
    known = math.prod(s for s in sizes if s != -1)
    if sizes.count(-1) == 1 and known and shape[d] % known == 0:
        sizes = tuple(shape[d] // known if s == -1 else s for s in sizes)
    if math.prod(sizes) != shape[d] or -1 in sizes:
        raise RuntimeError(
            f"unflatten: Provided sizes {list(sizes)} don't multiply up to the size of dim {dim} ({shape[d]}) "
            "in the input tensor"
        )
    return reshape(input, shape[:d] + sizes + shape[d + 1 :])


def narrow(input: Tensor, dim: int, start: Any, length: int) -> Tensor:
    """Entries ``start`` to ``start + length`` along ``dim``: a view (SliceBackward0)."""
    if input._data.ndim == 0:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    d = normalize_dim(dim, input._data.ndim)
    size = input._data.shape[d]
    start = int(start)
    if not -size <= start <= size:
        raise IndexError(f"start out of range (expected to be in range of [{-size}, {size}], but got {start})")
    if start < 0:
        start += size
    if length < 0:
        raise RuntimeError("narrow(): length must be non-negative.")
    if start + length > size:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({size}).")
    return getitem(input, (slice(None),) * d + (slice(start, start + length),))


# --- split, chunk: several views at once ----------------------------------------------------
def _split_primal(x: ndarray, dim: int, sizes: tuple) -> tuple:
    bounds = np.cumsum(sizes)[:-1]
    return tuple(np.split(x, bounds, axis=dim))


def _split_vjp(xp: Any, grads: tuple, dim: int, sizes: tuple, shape: tuple = ()) -> Any:
    parts = []
    dtype = next(getattr(g, "_data", g).dtype for g in grads if g is not None)
    is_tensor = builtins.any(g is not None and type(g) is not ndarray for g in grads)
    for g, n in zip(grads, sizes):
        if g is None:
            zeros = np.zeros(shape[:dim] + (n,) + shape[dim + 1 :], dtype=dtype)
            g = _as_tensor(zeros) if is_tensor else zeros
        parts.append(g)
    return cat(parts, dim) if is_tensor else np.concatenate(parts, axis=dim)


def _as_tensor(array: ndarray) -> Tensor:
    from bibun._tensor import new_tensor

    return new_tensor(array)


def _split_op(name: str, grad_fn: str) -> Any:
    return defop(
        name,
        grad_fn,
        lambda x, dim, sizes, shape: _split_primal(x, dim, sizes),
        (_split_vjp,),
        jvp=LINEAR,
        outputs=-1,
        view=True,
    )


_SPLIT = _split_op("split", "SplitBackward0")
_SPLIT_WITH_SIZES = _split_op("split_with_sizes", "SplitWithSizesBackward0")


def split(tensor: Tensor, split_size_or_sections: Any, dim: int = 0) -> tuple[Tensor, ...]:
    """Pieces of ``split_size`` along ``dim`` (the last may be smaller), or of the given sizes."""
    d = normalize_dim(dim, tensor._data.ndim)
    size = tensor._data.shape[d] if tensor._data.ndim else 0
    params = {"dim": d, "shape": tensor._data.shape}
    if isinstance(split_size_or_sections, (int, np.integer)):
        step = int(split_size_or_sections)
        if step < 0:
            raise RuntimeError(f"split expects split_size be non-negative, but got split_size={step}")
        if step == 0 and size != 0:
            raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got dimension size of {size}")
        count = builtins.max(-(-size // step), 1) if step else 1
        sizes = tuple(builtins.min(step, size - i * step) for i in range(count))
        return apply(_SPLIT, (tensor,), {**params, "sizes": sizes})
    sizes = tuple(int(s) for s in split_size_or_sections)
    if builtins.sum(sizes) != size or builtins.any(s < 0 for s in sizes):
        raise RuntimeError(
            f"split_with_sizes expects split_sizes to sum exactly to {size} (input tensor's size at dimension "
            f"{d}), but got split_sizes={list(sizes)}"
        )
    return apply(_SPLIT_WITH_SIZES, (tensor,), {**params, "sizes": sizes})


def split_with_sizes(input: Tensor, split_sizes: Sequence[int], dim: int = 0) -> tuple[Tensor, ...]:
    return split(input, list(split_sizes), dim)


def chunk(input: Tensor, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:
    """``chunks`` pieces of (nearly) equal size along ``dim``; fewer when the size is small."""
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    if input._data.ndim == 0:
        raise RuntimeError("chunk expects at least a 1-dimensional tensor")
    size = input._data.shape[normalize_dim(dim, input._data.ndim)]
    return split(input, builtins.max(-(-size // chunks), 1) if size else 1, dim)


# --- stacking helpers ---------------------------------------------------------------------
def ravel(input: Tensor) -> Tensor:
    # PyTorch's ravel is contiguous().view(-1): a ViewBackward0, over a clone when needed.
    return view(contiguous(input), -1)


def _at_least(t: Tensor, ndim: int) -> Tensor:
    while t._data.ndim < ndim:
        t = unsqueeze(t, 0)
    return t


def hstack(tensors: Sequence[Tensor]) -> Tensor:
    tensors = [_at_least(t, 1) for t in tensors]
    return cat(tensors, 0 if tensors[0]._data.ndim == 1 else 1)


def vstack(tensors: Sequence[Tensor]) -> Tensor:
    return cat([_at_least(t, 2) for t in tensors], 0)


row_stack = vstack

__all__ = [
    "flip",
    "fliplr",
    "flipud",
    "roll",
    "repeat",
    "tile",
    "movedim",
    "moveaxis",
    "unflatten",
    "narrow",
    "split",
    "split_with_sizes",
    "chunk",
    "ravel",
    "hstack",
    "vstack",
    "row_stack",
]
