"""Indexing with index tensors: index_select, gather/take_along_dim, scatter/scatter_add,
index_add, masked_fill, masked_select and index_put (out of place; ``Tensor.__setitem__``
builds on it).

Every op here is linear in its differentiable inputs (``jvp="linear"``). Gathering reads at
a NumPy fancy index; its VJP adds the cotangent back at that index into zeros, so repeated
indices accumulate (``xp.index_put_zeros``). Scattering writes at an index; its VJP zeroes
the overwritten entries and gathers the cotangent for the source."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from bibun import _dtype
from bibun._tensor import Tensor, new_tensor
from bibun.ops._registry import apply, defop
from bibun.ops.binary import _no_derivative
from bibun.ops.elementwise import _check_broadcast
from bibun.ops.shape import _to_numpy_index, expand, normalize_dim, reshape

ndarray = np.ndarray
LINEAR = "linear"


def _index_array(index: Any, name: str, what: str = "index") -> ndarray:
    if not isinstance(index, Tensor):
        raise TypeError(f"{name}(): argument '{what}' must be Tensor, not {type(index).__name__}")
    data = index._data
    if data.dtype.kind not in "iu":
        raise RuntimeError(f"{name}(): Expected dtype int32/int64 for {what}")
    return data


def _along(index: ndarray, dim: int) -> tuple:
    """The NumPy fancy index that addresses ``index`` along ``dim`` (what gather reads)."""
    grids = list(np.ogrid[tuple(slice(n) for n in index.shape)])
    grids[dim] = index
    return tuple(grids)


def _leading(shape: tuple) -> tuple:
    """The block of a tensor covered by an index of ``shape`` (the index may be smaller)."""
    return tuple(slice(0, n) for n in shape)


def _check_along(input: Tensor, dim: int, index: ndarray, other: Tensor | None = None) -> None:
    shape = input._data.shape
    if index.ndim != len(shape) and not (index.ndim <= 1 and len(shape) <= 1):
        raise RuntimeError("Index tensor must have the same number of dimensions as input tensor")
    for d in range(index.ndim):
        if d != dim and index.shape[d] > (shape[d] if shape else 1):
            raise RuntimeError(
                f"Size does not match at dimension {d} expected index {list(index.shape)} to be no larger than "
                f"self {list(shape)} apart from dimension {dim}"
            )
        if other is not None and index.shape[d] > other._data.shape[d]:
            raise RuntimeError(
                f"Expected index {list(index.shape)} to be no larger than src {list(other._data.shape)} apart "
                f"from dimension {dim}"
            )
    size = shape[dim] if shape else 1
    if index.size and (index.min() < 0 or index.max() >= size):
        bad = int(index.min() if index.min() < 0 else index.max())
        raise RuntimeError(f"index {bad} is out of bounds for dimension {dim} with size {size}")


# --- index_select -------------------------------------------------------------------------
_INDEX_SELECT = defop(
    "index_select",
    "IndexSelectBackward0",
    lambda x, dim, index, in_shape: np.take(x, index, axis=dim),
    (lambda xp, g, dim, index, in_shape: xp.index_put_zeros(in_shape, (slice(None),) * dim + (index,), g),),
    jvp=LINEAR,
)


def index_select(input: Tensor, dim: int, index: Tensor) -> Tensor:
    """Entries ``index`` along ``dim`` (a 1-D index; repeats allowed)."""
    idx = _index_array(index, "index_select")
    if idx.ndim > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    d = normalize_dim(dim, input._data.ndim)
    size = input._data.shape[d] if input._data.ndim else 1
    if idx.size and (idx.min() < -size or idx.max() >= size):
        bad = int(idx.max() if idx.max() >= size else idx.min())
        raise IndexError(f"index out of range in self: index {bad} for dimension {d} with size {size}")
    idx = idx.reshape(-1) % size if size else idx.reshape(-1)
    if input._data.ndim == 0:
        return apply(_INDEX_SELECT, (reshape(input, 1),), {"dim": 0, "index": idx, "in_shape": (1,)})
    return apply(_INDEX_SELECT, (input,), {"dim": d, "index": idx, "in_shape": input._data.shape})


# --- gather, take_along_dim -----------------------------------------------------------------
_GATHER = defop(
    "gather",
    "GatherBackward0",
    lambda x, where, in_shape: x[where],
    (lambda xp, g, where, in_shape: xp.index_put_zeros(in_shape, where, g),),
    jvp=LINEAR,
)


def gather(input: Tensor, dim: int, index: Tensor) -> Tensor:
    """``out[i][j][k] = input[i][index[i][j][k]][k]`` (for dim = 1): reads along ``dim``."""
    idx = _index_array(index, "gather")
    d = normalize_dim(dim, input._data.ndim)
    _check_along(input, d, idx)
    if input._data.ndim == 0:
        return apply(_GATHER, (input,), {"where": (), "in_shape": ()}) if idx.ndim == 0 else reshape(input, 1)
    return apply(_GATHER, (input,), {"where": _along(idx, d), "in_shape": input._data.shape})


def take_along_dim(input: Tensor, indices: Tensor, dim: int | None = None) -> Tensor:
    """``gather`` with the index broadcast against ``input`` (all but ``dim``); with no dim,
    indices into the flattened tensor."""
    idx = _index_array(indices, "take_along_dim", "indices")
    if dim is None:
        flat = reshape(input, -1)
        return gather(flat, 0, new_tensor(idx.reshape(-1)))
    d = normalize_dim(dim, input._data.ndim)
    if idx.ndim != input._data.ndim:
        raise RuntimeError(
            "torch.take_along_dim(): input and indices should have the same number of dimensions, "
            f"but got {input._data.ndim} dimensions for input, and {idx.ndim} dimensions for indices"
        )
    in_shape, idx_shape = list(input._data.shape), list(idx.shape)
    in_shape[d] = idx_shape[d] = 1
    _check_broadcast(tuple(in_shape), tuple(idx_shape))
    common = np.broadcast_shapes(tuple(in_shape), tuple(idx_shape))
    target_in = tuple(input._data.shape[d] if i == d else n for i, n in enumerate(common))
    target_idx = tuple(idx.shape[d] if i == d else n for i, n in enumerate(common))
    if target_in != input._data.shape:
        input = expand(input, target_in)
    return gather(input, d, new_tensor(np.broadcast_to(idx, target_idx)))


# --- scatter, scatter_add -----------------------------------------------------------------
def _scatter_primal(x: ndarray, src: Any, where: tuple, block: tuple, add: bool, **shapes: Any) -> ndarray:
    # ``shapes`` (out_shape, src_shape) are params for the VJP rules only; ``add`` is True,
    # False or the ufunc of scatter(reduce=...).
    out = x.copy()
    values = src[block] if isinstance(src, ndarray) and src.ndim else src
    if add is True:
        np.add.at(out, where, values)
    elif add is False:
        out[where] = values
    else:
        add.at(out, where, values)
    return out


def _scatter_vjp_input(xp: Any, g: Any, **params: Any) -> Any:
    if params["add"]:
        return g
    hit = np.zeros(params["out_shape"], dtype=bool)
    hit[params["where"]] = True
    return xp.where(hit, 0.0, g)


def _scatter_vjp_src(xp: Any, g: Any, **params: Any) -> Any:
    picked = xp.getitem(g, params["where"])
    src_shape = params["src_shape"]
    if picked.shape != src_shape:  # the index covered only a leading block of src
        return xp.index_put_zeros(src_shape, params["block"], picked)
    return picked


_SCATTER = defop(
    "scatter",
    "ScatterBackward0",
    _scatter_primal,
    (_scatter_vjp_input, _scatter_vjp_src),
    jvp=LINEAR,
)
_SCATTER_VALUE = defop(
    "scatter_value",
    "ScatterBackward1",
    _scatter_primal,
    (_scatter_vjp_input, None),
    # Affine in the input (the value is a constant): the tangent keeps its entries not written.
    jvp=lambda xp, tangents, **params: _scatter_vjp_input(xp, tangents[0], **params),
)
_SCATTER_ADD = defop(
    "scatter_add",
    "ScatterAddBackward0",
    _scatter_primal,
    (_scatter_vjp_input, _scatter_vjp_src),
    jvp=LINEAR,
)


# scatter(reduce="add" | "multiply"): PyTorch computes it but has no derivative; the node
# exists (grad_fn NotImplemented) and its backward raises.
_SCATTER_REDUCE = defop(
    "scatter_reduce_argument",
    "NotImplemented",
    _scatter_primal,
    (_no_derivative("scatter"), _no_derivative("scatter")),
    jvp=None,
)
_REDUCE_UFUNCS = {"add": np.add, "multiply": np.multiply}


def _scatter(name: str, input: Tensor, dim: int, index: Tensor, src: Any, add: Any) -> Tensor:
    idx = _index_array(index, name)
    d = normalize_dim(dim, input._data.ndim)
    is_tensor = isinstance(src, Tensor)
    _check_along(input, d, idx, src if is_tensor and src._data.ndim else None)
    params = {
        "where": _along(idx, d) if input._data.ndim else (),
        "block": _leading(idx.shape),
        "add": add,
        "out_shape": input._data.shape,
    }
    reduced = add is not True and add is not False
    if is_tensor:
        if src._data.dtype != input._data.dtype:
            raise RuntimeError(f"{name}(): Expected self.dtype to be equal to src.dtype")
        params["src_shape"] = src._data.shape
        if reduced:
            return apply(_SCATTER_REDUCE, (input, src), params)
        return apply(_SCATTER_ADD if add else _SCATTER, (input, src), params)
    value = src.item() if hasattr(src, "item") else src
    return apply(_SCATTER_REDUCE if reduced else _SCATTER_VALUE, (input, value), params)


def scatter(
    input: Tensor, dim: int, index: Tensor, src: Any = None, *, value: Any = None, reduce: Any = None
) -> Tensor:
    """Out of place: ``input`` with ``src`` (or ``value``) written at ``index`` along ``dim``;
    with ``reduce="add"`` or ``"multiply"`` combined with what is there instead (no gradient,
    as in PyTorch)."""
    if reduce is None:
        return _scatter("scatter", input, dim, index, value if src is None else src, add=False)
    if reduce not in _REDUCE_UFUNCS:
        raise RuntimeError("reduce argument must be either add or multiply.")
    if isinstance(src, Tensor):
        warnings.warn(
            "The reduce argument of torch.scatter with Tensor src is deprecated and will be removed in a future "
            "PyTorch release. Use torch.scatter_reduce instead for more reduction options.",
            UserWarning,
            stacklevel=2,
        )
    return _scatter("scatter", input, dim, index, value if src is None else src, add=_REDUCE_UFUNCS[reduce])


def scatter_add(input: Tensor, dim: int, index: Tensor, src: Tensor) -> Tensor:
    """Out of place: ``input`` with ``src`` added at ``index`` along ``dim`` (repeats add up)."""
    return _scatter("scatter_add", input, dim, index, src, add=True)


# --- index_add ----------------------------------------------------------------------------
_INDEX_ADD = defop(
    "index_add",
    "IndexAddBackward0",
    lambda x, source, where, alpha: _index_add_primal(x, source, where, alpha),
    (
        lambda xp, g, where, alpha: g,
        lambda xp, g, where, alpha: xp.getitem(g, where) * alpha if alpha != 1 else xp.getitem(g, where),
    ),
    jvp=LINEAR,
)


def _index_add_primal(x: ndarray, source: ndarray, where: tuple, alpha: Any) -> ndarray:
    out = x.copy()
    np.add.at(out, where, source * alpha if alpha != 1 else source)
    return out


def index_add(input: Tensor, dim: int, index: Tensor, source: Tensor, *, alpha: Any = 1) -> Tensor:
    """Out of place: ``source`` (times ``alpha``) added into ``input`` at ``index`` along ``dim``."""
    idx = _index_array(index, "index_add")
    d = normalize_dim(dim, input._data.ndim)
    if idx.ndim > 1:
        raise IndexError("index_add_(): Index is supposed to be a vector")
    n_source = source._data.shape[d] if source._data.ndim else 1
    if idx.size != n_source:
        raise RuntimeError(
            f"index_add_(): Number of indices ({idx.size}) should be equal to source.size(dim): ({n_source}), "
            f"for dim: {d}"
        )
    size = input._data.shape[d]
    if idx.size and (idx.min() < -size or idx.max() >= size):
        raise IndexError(f"index out of range in self: index {int(idx.max())} for dimension {d} with size {size}")
    where = (slice(None),) * d + (idx.reshape(-1) % size,)
    return apply(_INDEX_ADD, (input, source), {"where": where, "alpha": alpha}, dtype=_dtype.result_type(input, source))


# --- masked_fill, masked_select -------------------------------------------------------------
_MASKED_FILL = defop(
    "masked_fill",
    "MaskedFillBackward0",
    lambda x, value, mask: np.where(mask, np.asarray(value, dtype=x.dtype), x),
    (lambda xp, g, mask: xp.where(mask, 0.0, g), None),
    jvp="elementwise",  # affine in the input (the fill value is a constant)
)
_MASKED_FILL_TENSOR = defop(
    "masked_fill_tensor",
    "MaskedFillBackward1",
    lambda x, value, mask: np.where(mask, value.astype(x.dtype), x),
    (lambda xp, g, mask: xp.where(mask, 0.0, g), lambda xp, g, mask: xp.sum(xp.where(mask, g, 0.0))),
    jvp=LINEAR,
)


def _check_mask(name: str, mask: Any) -> ndarray:
    if not isinstance(mask, Tensor):
        raise TypeError(f"{name}(): argument 'mask' must be Tensor, not {type(mask).__name__}")
    if mask._data.dtype != np.bool_:
        raise RuntimeError(
            f"{name} only supports boolean masks, but got mask with dtype {_dtype.cpp_type_name(mask._data.dtype)}"
        )
    return mask._data


def masked_fill(input: Tensor, mask: Tensor, value: Any) -> Tensor:
    """``input`` with ``value`` wherever ``mask`` is True (mask broadcast to input's shape)."""
    m = _check_mask("masked_fill_", mask)
    shape = input._data.shape
    if np.broadcast_shapes(shape, m.shape) != shape:
        _check_broadcast(shape, m.shape)
        raise RuntimeError(f"The expanded size of the mask ({list(m.shape)}) must match the input's size {list(shape)}")
    if isinstance(value, Tensor):
        if value._data.ndim:
            raise RuntimeError(
                "masked_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                f"{value._data.ndim} dimension(s)."
            )
        return apply(_MASKED_FILL_TENSOR, (input, value), {"mask": m})
    return apply(_MASKED_FILL, (input, value), {"mask": m})


_MASKED_SELECT = defop(
    "masked_select",
    "MaskedSelectBackward0",
    lambda x, mask, shape: np.broadcast_to(x, shape)[mask],
    (lambda xp, g, mask, shape: xp.index_put_zeros(shape, mask, g),),
    jvp=LINEAR,
)


def masked_select(input: Tensor, mask: Tensor) -> Tensor:
    """The entries where ``mask`` (broadcast with ``input``) is True, as a 1-D tensor."""
    m = _check_mask("masked_select", mask)
    _check_broadcast(m.shape, input._data.shape)  # PyTorch names the mask "tensor a"
    shape = np.broadcast_shapes(input._data.shape, m.shape)
    # A copy: the mask's values at this call are what backward must use, even if the mask
    # tensor is written to afterwards.
    return apply(_MASKED_SELECT, (input,), {"mask": np.broadcast_to(m.copy(), shape), "shape": shape})


# --- index_put: the out-of-place form of ``t[indices] = values`` -------------------------------
def _index_put_primal(x: ndarray, values: ndarray, index: tuple, accumulate: bool) -> ndarray:
    out = x.copy()
    if accumulate:
        np.add.at(out, index, values)
    else:
        out[index] = values
    return out


def _index_put_vjp_input(xp: Any, g: Any, index: tuple, accumulate: bool) -> Any:
    if accumulate:
        return g
    hit = np.zeros(g.shape, dtype=bool)
    hit[index] = True
    return xp.where(hit, 0.0, g)


_INDEX_PUT = defop(
    "index_put",
    "IndexPutBackward0",
    _index_put_primal,
    (_index_put_vjp_input, lambda xp, g, index, accumulate: xp.getitem(g, index)),
    jvp=LINEAR,
)


def index_put(input: Tensor, indices: Any, values: Any, accumulate: bool = False) -> Tensor:
    """A copy of ``input`` with ``values`` written (or, with ``accumulate``, added: repeated
    indices add up) at ``indices`` (a tuple of index tensors, or any ``t[...]`` index)."""
    index = (
        tuple(_to_numpy_index(i) for i in indices) if isinstance(indices, (tuple, list)) else _to_numpy_index(indices)
    )
    try:
        region = input._data[index]
    except IndexError as error:
        raise IndexError(str(error).replace("axis", "dimension")) from None
    if not isinstance(values, Tensor):
        values = new_tensor(np.asarray(values, dtype=input._data.dtype))
    if values._data.dtype != input._data.dtype:
        raise RuntimeError(
            "Index put requires the source and destination dtypes match, got "
            f"{_dtype.from_numpy_dtype(input._data.dtype).name.capitalize()} for the destination and "
            f"{_dtype.from_numpy_dtype(values._data.dtype).name.capitalize()} for the source."
        )
    if np.broadcast_shapes(region.shape, values._data.shape) != np.shape(region):
        raise RuntimeError(
            f"shape mismatch: value tensor of shape {list(values._data.shape)} cannot be broadcast to indexing "
            f"result of shape {list(region.shape)}"
        )
    return apply(_INDEX_PUT, (input, values), {"index": index, "accumulate": bool(accumulate)})


__all__ = [
    "index_select",
    "gather",
    "take_along_dim",
    "scatter",
    "scatter_add",
    "index_add",
    "masked_fill",
    "masked_select",
    "index_put",
]
