"""Shape and indexing ops: views (reshape, transpose, permute, squeeze, unsqueeze, expand,
basic indexing) and copies (clone, dtype conversion, cat, stack, advanced indexing). View
results share memory and the version counter with their base."""

from __future__ import annotations

import builtins
import warnings
from typing import Any, Sequence

import numpy as np

from bibun import _dtype
from bibun._tensor import Tensor, new_tensor
from bibun.ops import _xp
from bibun.ops._registry import apply, defop

LINEAR = "linear"
ndarray = np.ndarray


def normalize_dim(dim: int, ndim: int) -> int:
    """A dim in [-ndim, ndim) made non-negative, or PyTorch's IndexError."""
    rank = builtins.max(ndim, 1)  # a 0-d tensor accepts dim 0 and -1, as in PyTorch
    if not -rank <= dim < rank:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-rank}, {rank - 1}], but got {dim})")
    return dim % rank if ndim else 0


def normalize_dims(dims: Any, ndim: int) -> tuple[int, ...]:
    if isinstance(dims, (int, np.integer)):
        dims = (int(dims),)
    return tuple(normalize_dim(d, ndim) for d in dims) if ndim else ()


def _shape_arg(shape: Sequence[Any]) -> tuple[int, ...]:
    """``f(2, 3)`` and ``f((2, 3))`` both mean the shape (2, 3)."""
    if len(shape) == 1 and not isinstance(shape[0], (int, np.integer)):
        shape = tuple(shape[0])
    return tuple(int(n) for n in shape)


# --- views ----------------------------------------------------------------------------------
def _infer_shape(shape: tuple, numel: int) -> tuple:
    if shape.count(-1) > 1:
        raise RuntimeError("only one dimension can be inferred")
    known = 1
    for n in shape:
        if n != -1:
            known *= n
    if -1 in shape:
        if known == 0 or numel % known:
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
        shape = tuple(numel // known if n == -1 else n for n in shape)
    elif known != numel:
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
    return shape


_VIEW = defop(
    "view",
    "ViewBackward0",
    lambda x, shape, in_shape: x.reshape(shape),
    (lambda xp, g, shape, in_shape: xp.reshape(g, in_shape),),
    jvp=LINEAR,
    view=True,
)


# reshape records what PyTorch's does: a view of a contiguous tensor (ViewBackward0); of a
# non-contiguous one whose strides allow it, an alias (ReshapeAliasBackward0); otherwise a
# copy (CloneBackward0) reshaped in place (UnsafeViewBackward0).
_RESHAPE_ALIAS = defop(
    "reshape_alias",
    "ReshapeAliasBackward0",
    lambda x, shape, in_shape: x.reshape(shape),
    (lambda xp, g, shape, in_shape: xp.reshape(g, in_shape),),
    jvp=LINEAR,
    view=True,
)
UNSAFE_VIEW = defop(
    "unsafe_view",
    "UnsafeViewBackward0",
    lambda x, shape, in_shape: x.reshape(shape),
    (lambda xp, g, shape, in_shape: xp.reshape(g, in_shape),),
    jvp=LINEAR,
)


def reshape(input: Tensor, *shape: Any) -> Tensor:
    data = input._data
    target = _infer_shape(_shape_arg(shape), data.size)
    params = {"shape": target, "in_shape": data.shape}
    if data.flags.c_contiguous:
        return apply(_VIEW, (input,), params)
    try:
        np.reshape(data, target, copy=False)
    except ValueError:  # the strides do not allow a view: PyTorch copies first
        return apply(UNSAFE_VIEW, (clone(input),), params)
    return apply(_RESHAPE_ALIAS, (input,), params)


def view(input: Tensor, *shape: Any) -> Tensor:
    if len(shape) == 1 and isinstance(shape[0], _dtype.dtype):
        return _view_as_dtype(input, shape[0])
    target = _infer_shape(_shape_arg(shape), input._data.size)
    return apply(_VIEW, (input,), {"shape": target, "in_shape": input._data.shape})


def _view_as_dtype(input: Tensor, dtype: _dtype.dtype) -> Tensor:
    """``view(dtype)``: the same memory read as another dtype. Not differentiable (as in
    PyTorch), but it shares memory and the version counter, so writes show through."""
    data = input._data
    source, target = data.dtype, dtype.np
    if source.itemsize != target.itemsize:
        names = f"{_dtype.scalar_type_name(source)} as {_dtype.scalar_type_name(target)} (different element sizes)"
        if data.ndim == 0:
            raise RuntimeError(f"self.dim() cannot be 0 to view {names}")
        if data.shape[-1] > 1 and data.strides[-1] != source.itemsize:
            raise RuntimeError(
                f"self.stride(-1) must be 1 to view {names}, but got {data.strides[-1] // source.itemsize}"
            )
        ratio = max(source.itemsize, target.itemsize) // min(source.itemsize, target.itemsize)
        if target.itemsize > source.itemsize and data.shape[-1] % ratio:
            raise RuntimeError(f"self.size(-1) must be divisible by {ratio} to view {names}, but got {data.shape[-1]}")
    out = new_tensor(data.view(target))
    counter = input._version_counter
    if counter is None:
        counter = input._version_counter = [0]
    out._version_counter = counter
    return out


def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    shape = input._data.shape
    if not shape:
        return reshape(input, 1)
    start, end = normalize_dim(start_dim, len(shape)), normalize_dim(end_dim, len(shape))
    merged = 1
    for n in shape[start : end + 1]:
        merged *= n
    return reshape(input, shape[:start] + (merged,) + shape[end + 1 :])


def _inverse_permutation(axes: tuple) -> tuple:
    return tuple(int(i) for i in np.argsort(axes))


_PERMUTE = defop(
    "permute",
    "PermuteBackward0",
    lambda x, axes: x.transpose(axes),
    (lambda xp, g, axes: xp.permute(g, _inverse_permutation(axes)),),
    jvp=LINEAR,
    view=True,
)
_TRANSPOSE = defop(
    "transpose",
    "TransposeBackward0",
    lambda x, dim0, dim1: x.swapaxes(dim0, dim1),
    (lambda xp, g, dim0, dim1: xp.swapaxes(g, dim0, dim1),),
    jvp=LINEAR,
    view=True,
)
_T = defop("t", "TBackward0", lambda x: x.T, (lambda xp, g: xp.permute(g, None),), jvp=LINEAR, view=True)


def permute(input: Tensor, *dims: Any) -> Tensor:
    axes = normalize_dims(_shape_arg(dims), input._data.ndim)
    if len(axes) != input._data.ndim:
        raise RuntimeError(
            "permute(sparse_coo): number of dimensions in the tensor input does not match the length of the desired "
            f"ordering of dimensions i.e. input.dim() = {input._data.ndim} is not equal to len(dims) = {len(axes)}"
        )
    if len(set(axes)) != len(axes):
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    return apply(_PERMUTE, (input,), {"axes": axes})


def transpose(input: Tensor, dim0: int, dim1: int) -> Tensor:
    ndim = input._data.ndim
    return apply(_TRANSPOSE, (input,), {"dim0": normalize_dim(dim0, ndim), "dim1": normalize_dim(dim1, ndim)})


swapaxes = swapdims = transpose


def t(input: Tensor) -> Tensor:
    if input._data.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {input._data.ndim}D")
    return apply(_T, (input,))


_T_WARNED: set[int] = set()  # PyTorch warns once per process about each deprecated use


def _T_property(input: Tensor) -> Tensor:
    ndim = input._data.ndim
    if ndim != 2 and min(ndim, 1) not in _T_WARNED:
        _T_WARNED.add(min(ndim, 1))
        warnings.warn(
            "Tensor.T is deprecated on 0-D tensors. This function is the identity in these cases."
            if ndim == 0
            else "The use of `x.T` on tensors of dimension other than 2 to reverse their shape is deprecated and it "
            "will throw an error in a future release. Consider `x.mT` to transpose batches of matrices or "
            "`x.permute(*bibun.arange(x.ndim - 1, -1, -1))` to reverse the dimensions of a tensor.",
            UserWarning,
            stacklevel=2,
        )
    return permute(input, tuple(range(ndim))[::-1])


def _mT_property(input: Tensor) -> Tensor:
    if input._data.ndim < 2:
        raise RuntimeError("tensor.mT is only supported on matrices or batches of matrices. Got 1-D tensor.")
    return transpose(input, -2, -1)


_UNSQUEEZE = defop(
    "unsqueeze",
    "UnsqueezeBackward0",
    lambda x, dim: np.expand_dims(x, dim),
    (lambda xp, g, dim: xp.reshape(g, _squeezed_shape(g.shape, (dim,))),),
    jvp=LINEAR,
    view=True,
)


def _squeezed_shape(shape: tuple, dims: tuple) -> tuple:
    return tuple(n for i, n in enumerate(shape) if i not in dims)


def unsqueeze(input: Tensor, dim: int) -> Tensor:
    return apply(_UNSQUEEZE, (input,), {"dim": normalize_dim(dim, input._data.ndim + 1)})


def _squeeze_op(name: str, grad_fn: str) -> Any:
    return defop(
        name,
        grad_fn,
        lambda x, dims, in_shape: x.reshape(_squeezed_shape(x.shape, dims)),
        (lambda xp, g, dims, in_shape: xp.reshape(g, in_shape),),
        jvp=LINEAR,
        view=True,
    )


_SQUEEZE_ALL = _squeeze_op("squeeze", "SqueezeBackward0")
_SQUEEZE_DIM = _squeeze_op("squeeze_dim", "SqueezeBackward1")
_SQUEEZE_DIMS = _squeeze_op("squeeze_dims", "SqueezeBackward2")


def squeeze(input: Tensor, dim: Any = None) -> Tensor:
    shape = input._data.shape
    if dim is None:
        op, dims = _SQUEEZE_ALL, tuple(i for i, n in enumerate(shape) if n == 1)
    else:
        op = _SQUEEZE_DIM if isinstance(dim, (int, np.integer)) else _SQUEEZE_DIMS
        dims = tuple(d for d in normalize_dims(dim, len(shape)) if shape[d] == 1)
    return apply(op, (input,), {"dims": dims, "in_shape": shape})


_EXPAND = defop(
    "expand",
    "ExpandBackward0",
    lambda x, shape: np.broadcast_to(x, shape),
    (lambda xp, g, shape: g,),
    jvp=LINEAR,
    view=True,  # the engine sums the gradient back to x's shape
)


def expand(input: Tensor, *sizes: Any) -> Tensor:
    sizes = _shape_arg(sizes)
    shape = input._data.shape
    if len(sizes) < len(shape):
        raise RuntimeError(
            f"expand(bibun.FloatTensor{{{list(shape)}}}, size={list(sizes)}): the number of sizes provided "
            f"({len(sizes)}) must be greater or equal to the number of dimensions in the tensor ({len(shape)})"
        )
    lead = len(sizes) - len(shape)
    target = list(sizes)
    for i in reversed(range(len(shape))):  # PyTorch reports the last mismatching dim
        n, want = shape[i], sizes[lead + i]
        if want == -1:
            target[lead + i] = n
        elif n != want and n != 1:
            raise RuntimeError(
                f"The expanded size of the tensor ({want}) must match the existing size ({n}) at non-singleton "
                f"dimension {lead + i}.  Target sizes: {list(sizes)}.  Tensor sizes: {list(shape)}"
            )
    return apply(_EXPAND, (input,), {"shape": tuple(target)})


def expand_as(input: Tensor, other: Tensor) -> Tensor:
    return expand(input, other._data.shape)


def broadcast_to(input: Tensor, shape: Sequence[int]) -> Tensor:
    return expand(input, tuple(shape))


_SUM_TO = defop(
    "sum_to_size",
    "SumBackward1",
    lambda x, shape, in_shape: _sum_to(x, shape),
    (lambda xp, g, shape, in_shape=None: xp.broadcast_to(g, in_shape),),
    jvp=LINEAR,
)


def sum_to_size(input: Tensor, *size: Any) -> Tensor:
    shape = _shape_arg(size)
    if input._data.shape == shape:
        return input
    return apply(_SUM_TO, (input,), {"shape": shape, "in_shape": input._data.shape})


def _sum_to(x: ndarray, shape: tuple, in_shape: tuple = ()) -> ndarray:
    from bibun.ops._xp import sum_to

    return sum_to(x, shape)


# --- copies ---------------------------------------------------------------------------------
_CLONE = defop("clone", "CloneBackward0", lambda x: x.copy(), (lambda xp, g: g,), jvp=LINEAR)
_TO_COPY = defop(
    "to_dtype",
    "ToCopyBackward0",
    lambda x, dtype, in_dtype: _xp.astype(x, dtype),
    (lambda xp, g, dtype, in_dtype: xp.astype(g, in_dtype),),
    jvp=LINEAR,
)


def clone(input: Tensor, *, memory_format: Any = None) -> Tensor:
    return apply(_CLONE, (input,))


def contiguous(input: Tensor, memory_format: Any = None) -> Tensor:
    if input._data.flags.c_contiguous:
        return input
    return clone(input)


def to_dtype(input: Tensor, dtype: Any) -> Tensor:
    np_dtype = _dtype.to_numpy_dtype(dtype)
    if np_dtype.kind not in "fc" and input._requires_grad:
        return new_tensor(input._data.astype(np_dtype))  # integer results are not differentiable
    return apply(_TO_COPY, (input,), {"dtype": np_dtype, "in_dtype": input._data.dtype})


# --- indexing -------------------------------------------------------------------------------
_SELECT = defop(
    "select",
    "SelectBackward0",
    # The trailing Ellipsis keeps a 0-d result a view of x (x[0] alone gives a NumPy scalar copy).
    lambda x, dim, index, in_shape: x[(slice(None),) * dim + (index, Ellipsis)],
    (lambda xp, g, dim, index, in_shape: xp.index_put_zeros(in_shape, (slice(None),) * dim + (index,), g),),
    jvp=LINEAR,
    view=True,
)
_SLICE = defop(
    "slice",
    "SliceBackward0",
    lambda x, dim, slc, in_shape: x[(slice(None),) * dim + (slc,)],
    (lambda xp, g, dim, slc, in_shape: xp.index_put_zeros(in_shape, (slice(None),) * dim + (slc,), g),),
    jvp=LINEAR,
    view=True,
)
_ALIAS = defop("alias", "AliasBackward0", lambda x: x.view(), (lambda xp, g: g,), jvp=LINEAR, view=True)
_INDEX = defop(
    "index",
    "IndexBackward0",
    lambda x, index, in_shape: x[index],
    (lambda xp, g, index, in_shape: xp.index_put_zeros(in_shape, index, g),),
    jvp=LINEAR,
)
_INDEX_PUT_ZEROS = defop(
    "index_put_zeros",
    "IndexPutBackward0",
    lambda g, shape, index: _index_put(shape, index, g),
    (lambda xp, gg, shape, index: _index(xp, gg, index),),
    jvp=LINEAR,
)


def _index_put(shape: tuple, index: Any, g: ndarray) -> ndarray:
    from bibun.ops._xp import _index_put_zeros

    return _index_put_zeros(shape, index, g)


def _index(xp: Any, x: Any, index: Any) -> Any:
    return x[index] if type(x) is ndarray else getitem(x, index)


def index_put_zeros(shape: tuple, index: Any, g: Tensor) -> Tensor:
    """Zeros of ``shape`` with ``g`` added at ``index`` (the backward of indexing)."""
    return apply(_INDEX_PUT_ZEROS, (g,), {"shape": shape, "index": index})


def _is_advanced(item: Any) -> bool:
    return isinstance(item, (Tensor, ndarray, list, tuple)) or (isinstance(item, (bool, np.bool_)))


def _to_numpy_index(item: Any) -> Any:
    if isinstance(item, Tensor):
        data = item._data
        if data.dtype.kind == "f":
            raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
        return data
    if isinstance(item, list):
        return np.asarray([i._data if isinstance(i, Tensor) else i for i in item])
    return item


def _is_integer_scalar_tensor(item: Any) -> bool:
    return isinstance(item, Tensor) and item._data.ndim == 0 and item._data.dtype.kind in "iu"


def getitem(input: Tensor, index: Any) -> Tensor:
    """``t[index]`` as PyTorch records it: ints select, slices slice, None unsqueezes, each a
    node of its own; tensor, list and bool indices make one IndexBackward0 node."""
    if _is_integer_scalar_tensor(index):
        index = int(index._data)  # a 0-d integer tensor indexes like an int (SelectBackward0)
    items = index if isinstance(index, tuple) else (index,)
    if isinstance(index, tuple) and builtins.any(_is_integer_scalar_tensor(i) for i in items):
        items = index = tuple(int(i._data) if _is_integer_scalar_tensor(i) else i for i in items)
    if builtins.any(_is_advanced(i) for i in items):
        np_index = tuple(_to_numpy_index(i) for i in items) if isinstance(index, tuple) else _to_numpy_index(index)
        try:
            input._data[np_index]
        except IndexError as error:
            raise IndexError(str(error).replace("for axis", "for dimension")) from None
        return apply(_INDEX, (input,), {"index": np_index, "in_shape": input._data.shape})
    ndim = input._data.ndim
    specified = builtins.sum(1 for i in items if i is not None and i is not Ellipsis)
    if specified > ndim:
        raise IndexError(f"too many indices for tensor of dimension {ndim}")
    result, dim, changed = input, 0, False
    for item in items:
        if item is Ellipsis:
            dim += ndim - specified
        elif item is None:
            result, dim, changed = unsqueeze(result, dim), dim + 1, True
        elif isinstance(item, slice):
            size = result._data.shape[dim]
            if item != slice(None) or not isinstance(index, tuple):
                step = item.step if item.step is not None else 1
                if step <= 0:
                    raise ValueError("step must be greater than zero")
                result = apply(
                    _SLICE, (result,), {"dim": dim, "slc": slice(*item.indices(size)), "in_shape": result._data.shape}
                )
                changed = True
            dim += 1
        else:
            position = int(item)
            size = result._data.shape[dim]
            if not -size <= position < size:
                raise IndexError(f"index {position} is out of bounds for dimension {dim} with size {size}")
            result = apply(_SELECT, (result,), {"dim": dim, "index": position % size, "in_shape": result._data.shape})
            changed = True
    return result if changed else apply(_ALIAS, (input,))


def _unbind_primal(x: ndarray, dim: int) -> tuple:
    # Basic indexing: views of x along any dim, as PyTorch's (np.take would copy).
    lead = (slice(None),) * dim
    return tuple(x[lead + (i,)] for i in range(x.shape[dim]))


def _unbind_vjp(xp: Any, grads: Any, dim: int, shape: tuple = ()) -> Any:
    zero = None
    parts = []
    for g in grads:
        if g is None:
            if zero is None:
                zero = np.zeros(shape[:dim] + shape[dim + 1 :], dtype=_first_dtype(grads))
            g = zero
        parts.append(g)
    return stack(parts, dim) if type(parts[0]) is not ndarray else np.stack(parts, axis=dim)


def _first_dtype(grads: Any) -> Any:
    for g in grads:
        if g is not None:
            return getattr(g, "_data", g).dtype
    return None


_UNBIND = defop(
    "unbind",
    "UnbindBackward0",
    lambda x, dim, shape: _unbind_primal(x, dim),
    (_unbind_vjp,),
    jvp=LINEAR,
    outputs=-1,
    view=True,
)


def unbind(input: Tensor, dim: int = 0) -> tuple[Tensor, ...]:
    dim = normalize_dim(dim, input._data.ndim)
    return apply(_UNBIND, (input,), {"dim": dim, "shape": input._data.shape})


# --- joining --------------------------------------------------------------------------------
def _split_back(xp: Any, g: Any, index: int, dim: int, sizes: tuple) -> Any:
    start = builtins.sum(sizes[:index])
    item = (slice(None),) * dim + (slice(start, start + sizes[index]),)
    return g[item] if type(g) is ndarray else getitem(g, item)


def _cat(*arrays: Any, dim: int, sizes: tuple) -> ndarray:
    return np.concatenate(arrays, axis=dim)


_CAT_RULES = tuple((lambda i: lambda xp, g, dim, sizes: _split_back(xp, g, i, dim, sizes))(i) for i in range(256))
_CAT = defop("cat", "CatBackward0", _cat, _CAT_RULES, jvp=LINEAR)


def cat(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    if not len(tensors):
        raise ValueError("cat(): expected a non-empty list of Tensors")
    tensors = [t for t in tensors if not (t._data.ndim == 1 and t._data.size == 0)] or list(tensors)[:1]
    ndim = tensors[0]._data.ndim
    dim = normalize_dim(dim, ndim)
    _check_cat_shapes(tensors, dim)
    target = _dtype.result_type(*tensors)
    sizes = tuple(t._data.shape[dim] for t in tensors)
    if len(tensors) > len(_CAT_RULES):
        half = len(tensors) // 2
        return cat([cat(tensors[:half], dim), cat(tensors[half:], dim)], dim)
    return apply(_CAT, tuple(tensors), {"dim": dim, "sizes": sizes}, dtype=target)


concat = concatenate = cat


def _check_cat_shapes(tensors: Sequence[Tensor], dim: int) -> None:
    first = tensors[0]._data.shape
    for i, t in enumerate(tensors[1:], 1):
        shape = t._data.shape
        if len(shape) != len(first):
            raise RuntimeError(f"Tensors must have same number of dimensions: got {len(first)} and {len(shape)}")
        for d, (a, b) in enumerate(zip(first, shape)):
            if d != dim and a != b:
                raise RuntimeError(
                    f"Sizes of tensors must match except in dimension {dim}. Expected size {a} but got size {b} "
                    f"for tensor number {i} in the list."
                )


_STACK_RULES = tuple(
    (lambda i: lambda xp, g, dim: g[(slice(None),) * dim + (i,)] if type(g) is ndarray else select(g, dim, i))(i)
    for i in range(256)
)
_STACK = defop("stack", "StackBackward0", lambda *arrays, dim: np.stack(arrays, axis=dim), _STACK_RULES, jvp=LINEAR)


def stack(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    first = tensors[0]._data.shape
    for i, t in enumerate(tensors):
        if t._data.shape != first:
            raise RuntimeError(
                f"stack expects each tensor to be equal size, but got {list(first)} at entry 0 and "
                f"{list(t._data.shape)} at entry {i}"
            )
    if len(tensors) > len(_STACK_RULES):
        return cat([unsqueeze(t, dim) for t in tensors], dim)
    dim = normalize_dim(dim, tensors[0]._data.ndim + 1)
    return apply(_STACK, tuple(tensors), {"dim": dim}, dtype=_dtype.result_type(*tensors))


def select(input: Tensor, dim: int, index: int) -> Tensor:
    return getitem(input, (slice(None),) * normalize_dim(dim, input._data.ndim) + (index,))


__all__ = [
    "reshape",
    "view",
    "flatten",
    "permute",
    "transpose",
    "swapaxes",
    "swapdims",
    "t",
    "unsqueeze",
    "squeeze",
    "expand",
    "expand_as",
    "broadcast_to",
    "sum_to_size",
    "clone",
    "contiguous",
    "unbind",
    "cat",
    "concat",
    "concatenate",
    "stack",
    "select",
]
