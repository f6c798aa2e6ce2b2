"""More shape and indexing ops: tensor_split and hsplit/vsplit/dsplit (views), rot90,
diagflat, block_diag, cartesian_prod, tril_indices/triu_indices, unravel_index, and the
out-of-place writes index_fill, index_copy, masked_scatter, diagonal_scatter,
select_scatter and slice_scatter.

The splits are slices (one SliceBackward0 view per piece, as PyTorch records them), so they
reuse ``getitem``. Every write below copies its input and writes the source into the copy;
its VJP zeroes the written entries for the input and reads them back for the source, and it
is linear in (input, source), so its JVP is the op applied to the tangents."""

from __future__ import annotations

import builtins
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from bibun import _dtype
from bibun._tensor import Tensor, new_tensor
from bibun.autograd import grad_mode
from bibun.ops._registry import apply, defop
from bibun.ops.combining import meshgrid
from bibun.ops.elementwise import _check_broadcast
from bibun.ops.linalg import diag_embed
from bibun.ops.products import _UNSAFE_VIEW
from bibun.ops.shape import clone, contiguous, getitem, normalize_dim, reshape, select, stack

ndarray = np.ndarray
LINEAR = "linear"
_INT_TYPES = (int, np.integer)


def _type_names(args: tuple) -> str:
    return ", ".join("Tensor" if isinstance(a, Tensor) else type(a).__name__ for a in args)


def _invalid_arguments(name: str, args: tuple, overloads: tuple[str, ...]) -> TypeError:
    """PyTorch's message for arguments that match none of a function's signatures."""
    lines = "".join(f"\n * ({o})" for o in overloads)
    return TypeError(
        f"{name}() received an invalid combination of arguments - got ({_type_names(args)}), "
        f"but expected one of:{lines}\n"
    )


def _is_int(value: Any) -> bool:
    return isinstance(value, _INT_TYPES) and not isinstance(value, (bool, np.bool_))


def _slice_bounds(start: int | None, end: int | None, size: int) -> tuple[int, int]:
    """``at::slice``'s clamping: negative bounds count from the end, then both are clamped
    to [0, size], and an end before the start gives an empty slice at the start."""
    start = 0 if start is None else int(start)
    end = size if end is None else int(end)
    if start < 0:
        start += size
    if end < 0:
        end += size
    start = builtins.min(builtins.max(start, 0), size)
    end = builtins.min(builtins.max(end, start), size)
    return start, end


# --- tensor_split, hsplit, vsplit, dsplit: a SliceBackward0 view per piece --------------------
def _piece(input: Tensor, dim: int, start: int, end: int) -> Tensor:
    return getitem(input, (slice(None),) * dim + (slice(start, end),))


def _split_at(input: Tensor, indices: Sequence[Any], dim: int) -> tuple[Tensor, ...]:
    size = input._data.shape[dim]
    pieces, start = [], 0
    for index in [*indices, None]:
        end = size if index is None else int(index)
        pieces.append(_piece(input, dim, *_slice_bounds(start, end, size)))
        start = end
    return tuple(pieces)


def _split_sections(input: Tensor, sections: int, dim: int) -> tuple[Tensor, ...]:
    if sections <= 0:
        raise RuntimeError(f"number of sections must be larger than 0, got {sections}")
    size = input._data.shape[dim]
    small, extra = divmod(size, sections)
    pieces, start = [], 0
    for i in range(sections):
        end = start + small + (1 if i < extra else 0)
        pieces.append(_piece(input, dim, start, end))
        start = end
    return tuple(pieces)


def tensor_split(
    input: Tensor,
    indices_or_sections: Any = None,
    dim: int = 0,
    *,
    sections: Any = None,
    indices: Any = None,
    tensor_indices_or_sections: Any = None,
) -> tuple[Tensor, ...]:
    """``sections`` pieces of sizes differing by at most one (the first ones larger), or the
    pieces between the given ``indices`` along ``dim``. Each piece is a view."""
    for given in (sections, indices, tensor_indices_or_sections):
        if given is not None:
            indices_or_sections = given
    arg = indices_or_sections
    overloads = (
        "Tensor input, tuple of ints indices, int dim = 0",
        "Tensor input, Tensor tensor_indices_or_sections, int dim = 0",
        "Tensor input, int sections, int dim = 0",
    )
    if not (isinstance(arg, (Tensor, list, tuple)) or _is_int(arg)):
        raise _invalid_arguments("tensor_split", (input, arg), overloads)
    ndim = input._data.ndim
    if ndim == 0:
        raise RuntimeError(f"tensor_split expected at least a 1-dimensional tensor, but got a tensor with {ndim} dims")
    d = normalize_dim(dim, ndim)
    if isinstance(arg, Tensor):
        data = arg._data
        if data.dtype != np.int64:
            raise RuntimeError(
                "tensor_split expected tensor_indices_or_sections to have dtype of long, but got "
                f"{_dtype.scalar_type_name(data.dtype)}"
            )
        if data.ndim > 1:
            raise RuntimeError(
                "tensor_split expected tensor_indices_or_sections to be a zero-dimensional or one-dimensional "
                f"tensor, but got a tensor with {data.ndim} dims"
            )
        if data.ndim == 0:
            return _split_sections(input, int(data), d)
        return _split_at(input, data.tolist(), d)
    if isinstance(arg, (list, tuple)):
        return _split_at(input, arg, d)
    return _split_sections(input, int(arg), d)


def _split_family(name: str, min_dims: int, input: Tensor, indices_or_sections: Any, dim: int) -> tuple:
    arg = indices_or_sections
    if not (isinstance(arg, (list, tuple)) or _is_int(arg)):
        raise _invalid_arguments(
            name, (input, arg), ("Tensor input, int sections", "Tensor input, tuple of ints indices")
        )
    ndim = input._data.ndim
    if ndim < min_dims:
        raise RuntimeError(
            f"bibun.{name} requires a tensor with at least {min_dims} dimension, but got a tensor with {ndim} "
            "dimensions!"
        )
    if isinstance(arg, (list, tuple)):
        return tensor_split(input, list(arg), dim)
    size = input._data.shape[dim]
    if arg == 0 or size % arg:
        raise RuntimeError(
            f"bibun.{name} attempted to split along dimension {dim}, but the size of the dimension {size} is not "
            f"divisible by the split_size {arg}!"
        )
    return tensor_split(input, int(arg), dim)


def hsplit(input: Tensor, indices_or_sections: Any) -> tuple[Tensor, ...]:
    """``tensor_split`` along dim 1 (dim 0 for a 1-D tensor); sections must divide evenly."""
    return _split_family("hsplit", 1, input, indices_or_sections, 0 if input._data.ndim == 1 else 1)


def vsplit(input: Tensor, indices_or_sections: Any) -> tuple[Tensor, ...]:
    """``tensor_split`` along dim 0 of a tensor of at least 2 dims."""
    return _split_family("vsplit", 2, input, indices_or_sections, 0)


def dsplit(input: Tensor, indices_or_sections: Any) -> tuple[Tensor, ...]:
    """``tensor_split`` along dim 2 of a tensor of at least 3 dims."""
    return _split_family("dsplit", 3, input, indices_or_sections, 2)


# --- rot90 ------------------------------------------------------------------------------------
def _rot90_primal(x: ndarray, k: int, dims: tuple[int, int]) -> ndarray:
    # PyTorch's steps, so the result has PyTorch's strides: a flip (a copy in the input's
    # memory order), then a transpose; no turn is a contiguous copy.
    d0, d1 = dims
    if k == 1:
        return np.flip(x, d1).copy(order="K").swapaxes(d0, d1)
    if k == 2:
        return np.flip(x, dims).copy(order="K")
    if k == 3:
        return np.flip(x, d0).copy(order="K").swapaxes(d0, d1)
    return x.copy()


def _rot90_vjp(xp: Any, g: Any, k: int, dims: tuple[int, int]) -> Any:
    back = (4 - k) % 4
    if type(g) is ndarray:
        return _rot90_primal(g, back, dims)
    return apply(_ROT90, (g,), {"k": back, "dims": dims})


_ROT90 = defop("rot90", "Rot90Backward0", _rot90_primal, (_rot90_vjp,), jvp=LINEAR)


def rot90(input: Tensor, k: int = 1, dims: Sequence[int] = (0, 1)) -> Tensor:
    """Rotate by 90 degrees ``k`` times in the plane of ``dims``, from the first dim towards
    the second (a copy, as in PyTorch)."""
    if not _is_int(k):
        raise TypeError(f"rot90(): argument 'k' (position 2) must be int, not {type(k).__name__}")
    dims = tuple(int(d) for d in dims)
    ndim = input._data.ndim
    if len(dims) != 2:
        raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
    if ndim < 2:
        raise RuntimeError(f"expected total dims >= 2, but got total dims = {ndim}")
    wrapped = (normalize_dim(dims[0], ndim), normalize_dim(dims[1], ndim))
    if wrapped[0] == wrapped[1]:
        raise RuntimeError(f"expected rotation dims to be different, but got dim0 = {dims[0]} and dim1 = {dims[1]}")
    return apply(_ROT90, (input,), {"k": int(k) % 4, "dims": wrapped})


# --- diagflat, block_diag, cartesian_prod -------------------------------------------------------
def diagflat(input: Tensor, offset: int = 0) -> Tensor:
    """The flattened input on diagonal ``offset`` of a square matrix. Recorded as PyTorch
    composes it: ``diag_embed`` (DiagEmbedBackward0) of the flattened input."""
    return diag_embed(reshape(contiguous(input), -1), offset, 0, 1)


def _block_diag_primal(*arrays: ndarray, blocks: tuple, shape: tuple) -> ndarray:
    out = np.zeros(shape, dtype=arrays[0].dtype)
    for a, (row, col, height, width, _) in zip(arrays, blocks):
        out[row : row + height, col : col + width] = a.reshape(height, width)
    return out


def _block_rule(i: int) -> Any:
    def rule(xp: Any, g: Any, blocks: tuple, shape: tuple) -> Any:
        row, col, height, width, in_shape = blocks[i]
        return xp.reshape(xp.getitem(g, (slice(row, row + height), slice(col, col + width))), in_shape)

    return rule


_BLOCK_RULES = tuple(_block_rule(i) for i in range(256))
_BLOCK_DIAG = defop("block_diag", "BlockDiagBackward0", _block_diag_primal, _BLOCK_RULES, jvp=LINEAR)


def block_diag(*tensors: Tensor) -> Tensor:
    """The tensors (each at most 2-D; 0-D and 1-D ones count as one row) as the diagonal
    blocks of one matrix, zeros elsewhere. The dtype is the tensors' promoted one."""
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got {type(t).__name__}")
    for i, t in enumerate(tensors):
        if t._data.ndim > 2:
            raise RuntimeError(
                f"bibun.block_diag: Input tensors must have 2 or fewer dimensions. Input {i} has {t._data.ndim} "
                "dimensions"
            )
    if not tensors:
        return new_tensor(np.zeros((1, 0), dtype=_dtype.get_default_dtype().np))
    if len(tensors) > len(_BLOCK_RULES):
        raise RuntimeError(f"block_diag: at most {len(_BLOCK_RULES)} tensors are supported")
    blocks, row, col = [], 0, 0
    for t in tensors:
        shape = t._data.shape
        height, width = (1, 1) if not shape else (1, shape[0]) if len(shape) == 1 else shape
        blocks.append((row, col, height, width, shape))
        row, col = row + height, col + width
    params = {"blocks": tuple(blocks), "shape": (row, col)}
    return apply(_BLOCK_DIAG, tensors, params, dtype=_dtype.result_type(*tensors))


# PyTorch's reshape of a tensor that is not contiguous but whose memory allows the new shape.
_RESHAPE_ALIAS = defop(
    "flatten_alias",
    "ReshapeAliasBackward0",
    lambda x, shape, in_shape: x.reshape(shape),
    (lambda xp, g, shape, in_shape: xp.reshape(g, in_shape),),
    jvp=LINEAR,
    view=True,
)


def _flatten_grid(grid: Tensor) -> Tensor:
    """``flatten`` of a meshgrid output as PyTorch records it: a view of a contiguous grid
    (ViewBackward0), an alias when the memory allows the flat shape (ReshapeAliasBackward0),
    else a copy reshaped (CloneBackward0, then UnsafeViewBackward0)."""
    data = grid._data
    params = {"shape": (data.size,), "in_shape": data.shape}
    if data.size == 0 or data.flags.c_contiguous:
        return reshape(grid, -1)
    if np.may_share_memory(data.reshape(-1), data):
        return apply(_RESHAPE_ALIAS, (grid,), params)
    return apply(_UNSAFE_VIEW, (clone(grid),), params)


def cartesian_prod(*tensors: Tensor) -> Tensor:
    """All combinations of one entry from each 1-D tensor, one per row (the last tensor
    varies fastest). One tensor is returned as it is, as in PyTorch."""
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got {type(t).__name__}")
        if t._data.ndim != 1:
            raise RuntimeError(f"Expect a 1D vector, but got shape {list(t._data.shape)}")
    if len(tensors) == 1:
        return tensors[0]
    grids = meshgrid(*tensors, indexing="ij")
    return stack([_flatten_grid(g) for g in grids], 1)


# --- tril_indices, triu_indices, unravel_index: integer results, no graph -------------------------
def _triangle_indices(name: str, row: Any, col: Any, offset: Any, dtype: Any, requires_grad: bool) -> Tensor:
    for position, (what, value) in enumerate((("row", row), ("col", col), ("offset", offset)), 1):
        if not _is_int(value):
            raise TypeError(
                f"{name}(): argument '{what}' (position {position}) must be int, not {type(value).__name__}"
            )
    np_dtype = np.dtype(np.int64) if dtype is None else _dtype.to_numpy_dtype(dtype)
    if requires_grad and np_dtype.kind not in "fc":
        raise RuntimeError("Only Tensors of floating point and complex dtype can require gradients")
    if row < 0:
        raise RuntimeError(f"row must be non-negative, got{row}")
    if col < 0:
        raise RuntimeError(f"col must be non-negative, got{col}")
    if np_dtype not in (np.dtype(np.int32), np.dtype(np.int64)):
        raise NotImplementedError(f"\"{name}\" not implemented for '{_dtype.scalar_type_name(np_dtype)}'")
    pick = np.tril_indices if name == "tril_indices" else np.triu_indices
    rows, cols = pick(int(row), int(offset), int(col))
    return new_tensor(np.stack([rows, cols]).astype(np_dtype).reshape(2, -1))


def tril_indices(
    row: int,
    col: int,
    offset: int = 0,
    *,
    dtype: Any = None,
    device: Any = None,
    layout: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """The (row, col) coordinates of the lower triangle of a row x col matrix (entries on or
    below diagonal ``offset``), as a 2 x N tensor in row-major order."""
    return _triangle_indices("tril_indices", row, col, offset, dtype, requires_grad)


def triu_indices(
    row: int,
    col: int,
    offset: int = 0,
    *,
    dtype: Any = None,
    device: Any = None,
    layout: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """The (row, col) coordinates of the upper triangle (on or above diagonal ``offset``)."""
    return _triangle_indices("triu_indices", row, col, offset, dtype, requires_grad)


def unravel_index(indices: Tensor, shape: Any) -> tuple[Tensor, ...]:
    """The coordinates in ``shape`` of flat ``indices``, one int64 tensor per dim. Indices
    wrap around (``-1`` is the last entry), as in PyTorch; the results are views of one
    tensor, as PyTorch's are."""
    if indices.is_complex() or indices.is_floating_point() or indices._data.dtype == np.bool_:
        raise TypeError(f"expected 'indices' to be integer dtype, but got {indices.dtype}")
    if not isinstance(shape, (int, Sequence)):
        raise TypeError(f"expected 'shape' to be int or sequence of ints, but got {type(shape)}")
    if isinstance(shape, int):
        shape = (shape,)
    for n in shape:
        if not isinstance(n, int):
            raise TypeError(f"expected 'shape' sequence to only contain ints, but got {type(n)}")
    shape = tuple(int(n) for n in shape)
    if builtins.any(n < 0 for n in shape):
        raise ValueError(f"'shape' cannot have negative values, but got {shape}")
    flat = indices._data.astype(np.int64)
    if flat.size and 0 in shape:
        raise RuntimeError("ZeroDivisionError")
    strides = [math.prod(shape[i + 1 :]) for i in range(len(shape))]
    coords = (flat[..., None] // np.asarray(strides, dtype=np.int64)) % np.asarray(shape, dtype=np.int64)
    whole = new_tensor(coords.reshape(flat.shape + (len(shape),)))
    return tuple(select(whole, -1, i) for i in range(len(shape)))


# --- writes into a copy: index_fill, index_copy, masked_scatter, *_scatter ------------------------
_CPP_NAMES = {
    "float16": "c10::Half",
    "bfloat16": "c10::BFloat16",
    "float32": "float",
    "float64": "double",
    "int8": "int8_t",
    "int16": "int16_t",
    "int32": "int",
    "int64": "int64_t",
    "uint8": "uint8_t",
}


def _checked_value(name: str, value: Any, np_dtype: np.dtype) -> Any:
    """A fill value as PyTorch converts it to the tensor's dtype: complex into a real tensor
    and values out of the dtype's range raise (unsigned types accept negatives down to -max,
    which wrap)."""
    if isinstance(value, (complex, np.complexfloating)) and np_dtype.kind != "c":
        raise RuntimeError(f"{name}(): Converting complex Scalar to non-complex type is not supported")
    if np_dtype.kind in "iu":
        info = np.iinfo(np_dtype)
        low = -int(info.max) if np_dtype.kind == "u" else int(info.min)
        if not math.isfinite(value) or not low <= value <= int(info.max):
            raise RuntimeError(f"value cannot be converted to type {_CPP_NAMES[np_dtype.name]} without overflow")
        return np.asarray(int(value)).astype(np_dtype)  # through int: truncation, and wrapping for unsigned
    if np_dtype.kind == "f" and math.isfinite(value) and builtins.abs(value) > float(np.finfo(np_dtype).max):
        raise RuntimeError(f"value cannot be converted to type {_CPP_NAMES[np_dtype.name]} without overflow")
    return np.asarray(value).astype(np_dtype)


def _no_integer_gradients(input: Tensor, other: Any) -> None:
    """An integer result cannot carry the gradient of a float source: PyTorch's error."""
    if isinstance(other, Tensor) and other._requires_grad and input._data.dtype.kind not in "fc":
        if grad_mode.is_grad_enabled():
            raise RuntimeError(f"Autograd not support dtype: {_dtype.scalar_type_name(input._data.dtype)}")


def _zero_where_written(xp: Any, g: Any, mask: ndarray, **params: Any) -> Any:
    """The input's VJP for every write here: the written entries received no gradient."""
    return xp.where(mask, 0.0, g)


def _index_arg(name: str, index: Any, args: tuple, overloads: tuple[str, ...]) -> ndarray:
    if not isinstance(index, Tensor):
        raise _invalid_arguments(name, args, overloads)
    return index._data


def _along_mask(shape: tuple, dim: int, positions: ndarray) -> ndarray:
    """True at the entries whose index along ``dim`` is one of ``positions``."""
    mask = np.zeros(shape or (1,), dtype=bool)
    mask[(slice(None),) * dim + (positions,)] = True
    return mask.reshape(shape)


# index_fill: the value is a constant (Backward0) or a 0-d tensor (Backward1).
def _fill_primal(x: ndarray, value: ndarray, mask: ndarray) -> ndarray:
    out = x.copy(order="K")  # PyTorch's clone keeps the input's strides
    # copyto broadcasts the mask, so a batch of inputs (vmap) is filled the same way.
    np.copyto(out, value, casting="unsafe", where=mask)
    return out


_INDEX_FILL = defop(
    "index_fill",
    "IndexFillBackward0",
    _fill_primal,
    (_zero_where_written, None),
    jvp="elementwise",  # affine in the input: its tangent with the filled entries zeroed
)
_INDEX_FILL_TENSOR = defop(
    "index_fill_tensor",
    "IndexFillBackward1",
    _fill_primal,
    (_zero_where_written, lambda xp, g, mask: xp.sum(xp.where(mask, g, 0.0))),
    jvp=LINEAR,
)


def index_fill(input: Tensor, dim: int, index: Tensor, value: Any) -> Tensor:
    """Out of place: ``value`` (a number or a 0-d tensor) written at positions ``index``
    along ``dim``. Negative indices count from the end; repeats are allowed."""
    overloads = (
        "Tensor input, int dim, Tensor index, Tensor value",
        "Tensor input, int dim, Tensor index, Number value",
    )
    idx = _index_arg("index_fill", index, (input, dim, index, value), overloads)
    if isinstance(value, Tensor) and value._data.ndim:
        raise RuntimeError(
            "index_fill_ only supports a 0-dimensional value tensor, but got tensor with "
            f"{value._data.ndim} dimension(s)."
        )
    if idx.dtype != np.int64:
        raise IndexError("index_fill_(): Expected dtype int64 for index.")
    shape = input._data.shape
    d = normalize_dim(dim, len(shape))
    if idx.ndim > 1:
        raise RuntimeError("Index has to be a vector/scalar")
    size = shape[d] if shape else 1
    idx = idx.reshape(-1)
    bad = idx[(idx < -size) | (idx >= size)]
    if bad.size:
        raise IndexError(f"index {int(bad[0])} is out of bounds for dimension {d} with size {size}")
    mask = _along_mask(shape, d, idx % size if size else idx)
    if isinstance(value, Tensor):
        _checked_value("index_fill_", value._data.item(), input._data.dtype)
        _no_integer_gradients(input, value)
        return apply(_INDEX_FILL_TENSOR, (input, value), {"mask": mask})
    return apply(_INDEX_FILL, (input, _checked_value("index_fill_", value, input._data.dtype)), {"mask": mask})


def _index_copy_primal(x: ndarray, source: ndarray, where: tuple, mask: ndarray, target: tuple) -> ndarray:
    out = x.copy()  # contiguous whatever the input's strides, as PyTorch's index_copy result is
    out.reshape(out.shape or (1,))[where] = source.reshape(target)  # a 0-d input is written as shape (1,)
    return out


def _index_copy_source_vjp(xp: Any, g: Any, where: tuple, mask: ndarray, target: tuple, src_shape: tuple) -> Any:
    flat = g if g.shape else xp.reshape(g, (1,))
    return xp.reshape(xp.getitem(flat, where), src_shape)


_INDEX_COPY = defop(
    "index_copy",
    "IndexCopyBackward0",
    lambda x, source, where, mask, target, src_shape: _index_copy_primal(x, source, where, mask, target),
    (_zero_where_written, _index_copy_source_vjp),
    jvp=LINEAR,
)


def _sizes(shape: Sequence[int]) -> str:
    return " ".join(str(n) for n in shape)


def index_copy(input: Tensor, dim: int, index: Tensor, source: Tensor) -> Tensor:
    """Out of place: slice ``i`` of ``source`` along ``dim`` copied to position
    ``index[i]``. The source receives the gradient at every listed position (as PyTorch's
    ``index_select`` backward gives it, also where a repeated index was overwritten)."""
    overloads = ("Tensor input, int dim, Tensor index, Tensor source",)
    idx = _index_arg("index_copy", index, (input, dim, index, source), overloads)
    if not isinstance(source, Tensor):
        raise _invalid_arguments("index_copy", (input, dim, index, source), overloads)
    shape, src_shape = input._data.shape, source._data.shape
    d = normalize_dim(dim, len(shape))
    if idx.ndim > 1:
        raise IndexError(f"index_copy_(): Index should have dimension 1 or 0 (got {idx.ndim})")
    count = idx.size
    if not src_shape and count != 1:
        raise IndexError(f"index_copy_(): When source is scalar, index should have one element (got {count})")
    if src_shape and shape and len(src_shape) != len(shape):
        raise IndexError(
            "index_copy_(): When source and destination are not scalars, their dimensionality must match. "
            f"Source dimensionality ({len(src_shape)}), destination dimensionality ({len(shape)})"
        )
    if idx.dtype != np.int64:
        raise RuntimeError(
            f"index_copy_(): Expected a long tensor for index, but got {_dtype.scalar_type_name(idx.dtype)}"
        )
    if source._data.dtype != input._data.dtype:
        raise RuntimeError(
            "index_copy_(): self and source expected to have the same dtype, but got (self) "
            f"{_dtype.scalar_type_name(input._data.dtype)} and (source) {_dtype.scalar_type_name(source._data.dtype)}"
        )
    self_slice = shape[:d] + shape[d + 1 :]
    src_slice = src_shape[:d] + src_shape[d + 1 :]
    if self_slice != src_slice:
        raise RuntimeError(
            "index_copy_(): Source/destination tensor must have same slice shapes. Destination slice shape: "
            f"{_sizes(self_slice)} at dimension {d} and source slice shape: {_sizes(src_slice)} at dimension 0."
        )
    if src_shape and count != src_shape[d]:
        raise IndexError(
            f"index_copy_(): Number of indices ({count}) should be equal to source.size(dim) ({src_shape[d]})"
        )
    size = shape[d] if shape else 1
    idx = idx.reshape(-1).copy()
    bad = idx[(idx < 0) | (idx >= size)]
    if bad.size:
        raise IndexError(f"index_copy_(): index {int(bad[0])} is out of bounds for dimension {d} with size {size}")
    full = shape or (1,)
    where = (slice(None),) * d + (idx,)
    params = {
        "where": where,
        "mask": _along_mask(shape, d, idx),
        "target": full[:d] + (count,) + full[d + 1 :],
        "src_shape": src_shape,
    }
    return apply(_INDEX_COPY, (input, source), params)


def _masked_scatter_primal(x: ndarray, source: ndarray, mask: ndarray, count: int, src_shape: tuple) -> ndarray:
    out = np.broadcast_to(x, mask.shape).copy()
    out[mask] = source.reshape(-1)[:count]
    return out


def _masked_scatter_source_vjp(xp: Any, g: Any, mask: ndarray, count: int, src_shape: tuple) -> Any:
    picked = xp.getitem(g, mask)
    size = math.prod(src_shape)
    if count < size:  # the source entries past the mask's count were never read
        picked = xp.index_put_zeros((size,), slice(0, count), picked)
    return xp.reshape(picked, src_shape)


_MASKED_SCATTER = defop(
    "masked_scatter",
    "MaskedScatterBackward0",
    _masked_scatter_primal,
    (lambda xp, g, mask, count, src_shape: xp.where(mask, 0.0, g), _masked_scatter_source_vjp),
    jvp=LINEAR,
)


def masked_scatter(input: Tensor, mask: Tensor, source: Tensor) -> Tensor:
    """Out of place: the entries of ``source``, in order, written where ``mask`` is True
    (``input`` and ``mask`` broadcast together)."""
    for position, (what, value) in enumerate((("mask", mask), ("source", source)), 2):
        if not isinstance(value, Tensor):
            raise TypeError(
                f"masked_scatter(): argument '{what}' (position {position}) must be Tensor, not {type(value).__name__}"
            )
    m, shape = mask._data, input._data.shape
    _check_broadcast(m.shape, shape)
    if source._data.dtype != input._data.dtype:
        raise RuntimeError(
            "masked_scatter: expected self and source to have same dtypes but got"
            f"{_dtype.scalar_type_name(input._data.dtype)} and {_dtype.scalar_type_name(source._data.dtype)}"
        )
    if m.dtype != np.bool_:
        raise RuntimeError(
            f"masked_scatter_ only supports boolean masks, but got mask with dtype {_dtype.scalar_type_name(m.dtype)}"
        )
    # A copy: later writes to the mask must not reach the node (index_copy copies its index too).
    full = np.broadcast_to(m, np.broadcast_shapes(m.shape, shape)).copy()
    count = int(np.count_nonzero(full))
    if source._data.size < count:
        raise RuntimeError("Number of elements of source < number of ones in mask")
    params = {"mask": full, "count": count, "src_shape": source._data.shape}
    return apply(_MASKED_SCATTER, (input, source), params)


def _probe(shape: tuple) -> ndarray:
    """An array of ``shape`` that takes no memory, to read the shape of a region of it."""
    return np.broadcast_to(np.False_, shape)


def _check_src_size(src: Tensor, slice_shape: tuple) -> None:
    if src._data.shape != tuple(slice_shape):
        raise RuntimeError(
            "expected src to have a size equal to the slice of self. src size = "
            f"{list(src._data.shape)}, slice size = {list(slice_shape)}"
        )


def _write_primal(x: ndarray, src: ndarray, index: tuple, mask: ndarray) -> ndarray:
    out = x.copy(order="K")  # PyTorch's *_scatter ops keep the input's strides
    out[index] = src
    return out


def _diagonal_index(shape: tuple, offset: int, dim1: int, dim2: int) -> tuple:
    """The NumPy index of a diagonal, for an array whose dims ``dim1``, ``dim2`` are moved last."""
    n = np.diagonal(_probe(shape), offset, dim1, dim2).shape[-1]
    return (Ellipsis, np.arange(n) + builtins.max(-offset, 0), np.arange(n) + builtins.max(offset, 0))


def _diagonal_scatter_primal(x: ndarray, src: ndarray, offset: int, dim1: int, dim2: int, mask: ndarray) -> ndarray:
    out = x.copy(order="K")
    np.moveaxis(out, (dim1, dim2), (-2, -1))[_diagonal_index(x.shape, offset, dim1, dim2)] = src
    return out


_DIAGONAL_SCATTER = defop(
    "diagonal_scatter",
    "DiagonalScatterBackward0",
    _diagonal_scatter_primal,
    (_zero_where_written, lambda xp, g, offset, dim1, dim2, mask: xp.diagonal(g, offset, dim1, dim2)),
    jvp=LINEAR,
)
_SELECT_SCATTER = defop(
    "select_scatter",
    "SelectScatterBackward0",
    _write_primal,
    (_zero_where_written, lambda xp, g, index, mask: xp.getitem(g, index)),
    jvp=LINEAR,
)
_SLICE_SCATTER = defop(
    "slice_scatter",
    "SliceScatterBackward0",
    _write_primal,
    (_zero_where_written, lambda xp, g, index, mask: xp.getitem(g, index)),
    jvp=LINEAR,
)


def diagonal_scatter(input: Tensor, src: Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    """Out of place: ``src`` written on the diagonal that ``diagonal(input, offset, dim1,
    dim2)`` reads (``src`` of exactly that shape; its dtype is converted)."""
    shape = input._data.shape
    d1, d2 = normalize_dim(dim1, len(shape)), normalize_dim(dim2, len(shape))
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    offset = int(offset)
    _check_src_size(src, np.diagonal(_probe(shape), offset, d1, d2).shape)
    _no_integer_gradients(input, src)
    mask = np.zeros(shape, dtype=bool)
    np.moveaxis(mask, (d1, d2), (-2, -1))[_diagonal_index(shape, offset, d1, d2)] = True
    params = {"offset": offset, "dim1": d1, "dim2": d2, "mask": mask}
    return apply(_DIAGONAL_SCATTER, (input, src), params, dtype=input._data.dtype)


def _write(op: Any, input: Tensor, src: Tensor, index: tuple) -> Tensor:
    mask = np.zeros(input._data.shape, dtype=bool)
    mask[index] = True
    _no_integer_gradients(input, src)
    return apply(op, (input, src), {"index": index, "mask": mask}, dtype=input._data.dtype)


def select_scatter(input: Tensor, src: Tensor, dim: int, index: int) -> Tensor:
    """Out of place: ``src`` written at ``select(input, dim, index)``."""
    shape = input._data.shape
    if not shape:
        raise IndexError("select() cannot be applied to a 0-dim tensor.")
    d = normalize_dim(dim, len(shape))
    index = int(index)
    if not -shape[d] <= index < shape[d]:
        raise IndexError(f"select(): index {index} out of range for tensor of size {list(shape)} at dimension {d}")
    _check_src_size(src, shape[:d] + shape[d + 1 :])
    # The trailing Ellipsis keeps a 0-d read a view (an array), as _SELECT in shape.py does.
    return _write(_SELECT_SCATTER, input, src, (slice(None),) * d + (index % shape[d], Ellipsis))


def slice_scatter(
    input: Tensor, src: Tensor, dim: int = 0, start: int | None = None, end: int | None = None, step: int = 1
) -> Tensor:
    """Out of place: ``src`` written at ``input[start:end:step]`` along ``dim``."""
    shape = input._data.shape
    if not shape:
        raise IndexError("slice() cannot be applied to a 0-dim tensor.")
    d = normalize_dim(dim, len(shape))
    if step <= 0:
        raise RuntimeError("slice step must be positive")
    first, last = _slice_bounds(start, end, shape[d])
    index = (slice(None),) * d + (slice(first, last, int(step)),)
    _check_src_size(src, _probe(shape)[index].shape)
    return _write(_SLICE_SCATTER, input, src, index)


__all__ = [
    "tensor_split",
    "hsplit",
    "vsplit",
    "dsplit",
    "rot90",
    "diagflat",
    "block_diag",
    "cartesian_prod",
    "tril_indices",
    "triu_indices",
    "unravel_index",
    "index_fill",
    "index_copy",
    "masked_scatter",
    "diagonal_scatter",
    "select_scatter",
    "slice_scatter",
]


def _split_method(fn: Any) -> Any:
    """``x.hsplit(1, 2)``: as a method, the indices may also come one by one, as in PyTorch."""

    def method(self: Tensor, *indices_or_sections: Any) -> tuple[Tensor, ...]:
        if len(indices_or_sections) == 1:
            return fn(self, indices_or_sections[0])
        return fn(self, list(indices_or_sections))

    method.__name__ = method.__qualname__ = fn.__name__
    method.__doc__ = fn.__doc__
    return method


# The Tensor methods (x.tensor_split(2), x.rot90(), x.index_fill(0, i, v), ...) are these
# functions, bound here so the family is declared in one place.
for _name in (
    "tensor_split",
    "rot90",
    "diagflat",
    "index_fill",
    "index_copy",
    "masked_scatter",
    "diagonal_scatter",
    "select_scatter",
    "slice_scatter",
):
    setattr(Tensor, _name, globals()[_name])
for _name in ("hsplit", "vsplit", "dsplit"):
    setattr(Tensor, _name, _split_method(globals()[_name]))
