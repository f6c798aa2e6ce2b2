"""In-place ops (``add_``, ``mul_``, ``copy_``, ``t[i] = v``, ``+=`` ...) and the view
bookkeeping they need (docs/mechanics.md, "In-place operations").

Every in-place op is its out-of-place op applied to a snapshot of the old value, then written
back into the tensor's memory, so each derivative is the out-of-place one and nothing new is
needed in the engine:

- on a tensor that owns its memory, the tensor's grad_fn becomes the op's node;
- through a view, the base's grad_fn becomes a ``CopySlices`` node that routes the gradient
  of the written region through the op's node and passes the rest of the base through, and
  the view's grad_fn becomes an ``AsStridedBackward0`` of the base, as in PyTorch;
- other views of the same memory notice the write through the shared version counter and
  rebuild their grad_fn from the base when next used (``refresh_view``).

The version counter is bumped after every write; when the tensor has been saved for
backward, the write also notes its file and line for the error message.
"""

from __future__ import annotations

import os
import sys
import weakref
from typing import Any, Callable

import numpy as np

from bibun import _dtype
from bibun._tensor import Tensor, new_tensor
from bibun.autograd import grad_mode
from bibun.autograd.graph import Node, SavedOutput
from bibun.ops import _registry
from bibun.ops._registry import apply, defop
from bibun.ops.elementwise import _as_operand

ndarray = np.ndarray
LINEAR = "linear"
_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
_WRITES_KEPT = 8


# --- version counter ------------------------------------------------------------------------
def bump_version(tensor: Tensor) -> int:
    """Count one write. Only a counter that was saved for backward (``[version, writes]``)
    also records where the write happened, so unsaved tensors pay nothing for it."""
    counter = tensor._version_counter
    if counter is None:
        tensor._version_counter = [1]
        return 1
    counter[0] += 1
    if len(counter) > 1:
        _note_write(counter)
    return counter[0]


def _note_write(counter: list) -> None:
    frame = sys._getframe(2)
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        frame = frame.f_back
    if frame is None:
        return
    writes = counter[1]
    if writes is None:
        writes = counter[1] = []
    writes.append((counter[0], frame.f_code.co_filename, frame.f_lineno, frame.f_code.co_name))
    del writes[:-_WRITES_KEPT]


# --- the ops that exist only as in-place forms --------------------------------------------------
# The overwritten value gets a zero gradient, as a tensor of zeros (PyTorch's x.grad is zeros, not None).
_ZERO = defop("zero_", "ZeroBackward0", np.zeros_like, (lambda xp, g: xp.zeros_like(g),), jvp=LINEAR)
_FILL = defop(
    "fill_",
    "FillBackward2",
    lambda x, value: np.full_like(x, value),
    (lambda xp, g, value: xp.zeros_like(g),),
    jvp=LINEAR,
)
_FILL_TENSOR = defop(
    "fill_tensor_",
    "FillBackward3",
    lambda x, value: np.full_like(x, value),
    (lambda xp, g: xp.zeros_like(g), lambda xp, g: xp.sum(g)),
    jvp=LINEAR,
)
_COPY = defop(
    "copy_",
    "CopyBackwards",
    lambda x, src: np.broadcast_to(src, x.shape).astype(x.dtype),
    (lambda xp, g: xp.zeros_like(g), lambda xp, g: g),  # the engine casts g to src's dtype and sums it to src's shape
    jvp=LINEAR,
)
# Like CopySlices, a node PyTorch has only in C++: name() gives its namespace.
_COPY.node_cls.name = lambda self: "bibun::autograd::CopyBackwards"


def _take(x: Any, index: Any) -> Any:
    """``x[index]`` for an ndarray, or the recorded getitem for a Tensor (create_graph)."""
    if type(x) is ndarray:
        return x[index]
    from bibun.ops.shape import getitem

    return getitem(x, index)


# --- views: where a view lives in its base ---------------------------------------------------
def view_positions(view: ndarray, base: ndarray) -> ndarray:
    """The flat (C-order) index in ``base`` of every element of ``view``, an int array of the
    view's shape, computed from the two arrays' memory addresses and strides."""
    itemsize = base.itemsize
    offsets = np.array(view.__array_interface__["data"][0] - base.__array_interface__["data"][0], dtype=np.int64)
    for axis, (n, stride) in enumerate(zip(view.shape, view.strides)):
        shape = [1] * view.ndim
        shape[axis] = n
        offsets = offsets + (np.arange(n, dtype=np.int64) * stride).reshape(shape)
    offsets = np.broadcast_to(offsets, view.shape)
    if base.flags.c_contiguous:
        return offsets // itemsize
    # A base with its own strides (say, a transposed array owned by a tensor): look offsets up.
    base_offsets = np.zeros((), dtype=np.int64)
    for axis, (n, stride) in enumerate(zip(base.shape, base.strides)):
        shape = [1] * base.ndim
        shape[axis] = n
        base_offsets = base_offsets + (np.arange(n, dtype=np.int64) * stride).reshape(shape)
    flat_offsets = np.broadcast_to(base_offsets, base.shape).ravel()
    order = np.argsort(flat_offsets, kind="stable")
    return order[np.searchsorted(flat_offsets[order], offsets)]


def _region_backward(xp: Any, g: Any, positions: ndarray, base_shape: tuple) -> Any:
    """A view's gradient placed at its positions in zeros of the base's shape."""
    size = int(np.prod(base_shape, dtype=np.int64))
    return xp.reshape(xp.index_put_zeros((size,), positions, g), base_shape)


_AS_STRIDED = defop(
    "as_strided_view",
    "AsStridedBackward0",
    lambda base, positions, base_shape: base.reshape(-1)[positions],
    (lambda xp, g, positions, base_shape: _region_backward(xp, g, positions, base_shape),),
    jvp=LINEAR,
)


def _view_node(base: Tensor, positions: ndarray) -> Node:
    """The grad_fn of a view after a write: the view as a function of its base's history."""
    node = _AS_STRIDED.node_cls()
    node._next = (_registry._edge(base),)
    node._params = {"positions": positions, "base_shape": base._data.shape}
    return node


class CopySlices(Node):
    """The base's grad_fn after a write through one of its views: the gradient of the written
    region goes through the in-place op's own node (``inner``), the rest of the base's
    gradient passes through unchanged. Edges: the base's old history, then the inner node's
    other inputs."""

    def __init__(self, inner: Node | None, positions: ndarray, base_shape: tuple) -> None:
        super().__init__()
        self.inner = inner
        self.positions = positions
        self.base_shape = base_shape

    def name(self) -> str:  # a node with no Python class in PyTorch: named by its C++ namespace
        return "bibun::autograd::CopySlices"

    @property
    def _saved(self) -> Any:  # the inner node's saved values are this node's (freed with it)
        return self.inner._saved if self.inner is not None else ()

    @_saved.setter
    def _saved(self, value: Any) -> None:
        if self.inner is not None:
            self.inner._saved = value

    def _backward(self, grads: list, xp: Any, create_graph: bool, needed: Any) -> list:
        from bibun.autograd import engine

        g = grads[0]
        result: list = [None] * len(self._next)
        if g is None:
            return result
        # The written region's mask is built here, not kept: a loop of writes into one base
        # would otherwise hold a base-sized mask per write.
        mask = np.zeros(int(np.prod(self.base_shape, dtype=np.int64)), dtype=bool)
        mask[self.positions.ravel()] = True
        base_grad = xp.where(mask.reshape(self.base_shape), 0.0, g)
        if self.inner is not None:
            flat = xp.reshape(g, (-1,))
            inner_grads = engine._apply_rules(self.inner, [_take(flat, self.positions)], xp, create_graph, None)
            edge = self.inner._next[0]
            if inner_grads[0] is not None and edge is not None:
                view_grad = _registry.unbroadcast(xp, inner_grads[0], edge[2], edge[3])
                base_grad = base_grad + _region_backward(xp, view_grad, self.positions, self.base_shape)
            result[1:] = inner_grads[1:]
        result[0] = base_grad
        return result


def refresh_view(view: Tensor) -> None:
    """A view whose memory was written since its grad_fn was set (through itself, its base or
    another view) gets a grad_fn rebuilt from the base's current history, as PyTorch does."""
    view._view_version = view._version_counter[0]
    base = view._base
    if view._view_made_without_grad or not base._requires_grad:
        return
    node = _view_node(base, view_positions(view._data, base._data))
    _move_retained(view, node)
    view._grad_fn = node
    view._output_nr = 0
    view._requires_grad = True


_registry.refresh_view = refresh_view


# --- the write itself -------------------------------------------------------------------------
_KIND_RANK = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}


def _check_result(target: Tensor, data: ndarray, cast_check: bool) -> None:
    """The result of the out-of-place op must fit the tensor written into (PyTorch's errors)."""
    shape = target._data.shape
    if data.shape != shape:
        raise RuntimeError(f"output with shape {list(shape)} doesn't match the broadcast shape {list(data.shape)}")
    if cast_check and _KIND_RANK.get(data.dtype.kind, 3) > _KIND_RANK.get(target._data.dtype.kind, 3):
        raise RuntimeError(
            f"result type {_dtype.scalar_type_name(data.dtype)} can't be cast to the desired "
            f"output type {_dtype.scalar_type_name(target._data.dtype)}"
        )
    if not target._data.flags.writeable:
        raise RuntimeError(
            "unsupported operation: more than one element of the written-to tensor refers to a single memory "
            "location. Please clone() the tensor before performing the operation."
        )


def _requires_grad_any(args: tuple) -> bool:
    for a in args:
        if isinstance(a, Tensor) and a._requires_grad:
            return True
    return False


def _move_retained(tensor: Tensor, node: Node) -> None:
    """``retain_grad()`` follows the tensor to its new grad_fn (hooks stay with the old one,
    where they see the gradient of the old value, as in PyTorch)."""
    if not tensor._retains_grad:
        return
    old = tensor._grad_fn
    if old is not None and old._retain_grad_refs:
        old._retain_grad_refs.pop(tensor._output_nr, None)
    if node._retain_grad_refs is None:
        node._retain_grad_refs = {}
    node._retain_grad_refs[0] = weakref.ref(tensor)


def _point_saved_output_at(node: Node, result: Tensor, target: Tensor, version: int) -> None:
    """The op saved its result (exp_ saves it): after the write that result is ``target``'s
    memory, so later writes to ``target`` must be detected against this version."""
    saved = node._saved
    if not saved or type(saved) is not tuple:
        return
    for value in saved:
        if type(value) is SavedOutput and value.data is result._data:
            counter = target._version_counter
            if len(counter) == 1:
                counter.append(None)
            value.data = target._data
            value.version_counter = counter
            value.version = version


def _ufunc_into(self: Tensor, ufunc: np.ufunc, other: Any) -> bool:
    """The unrecorded arithmetic update (an optimizer step under no_grad) computed straight
    into ``self``'s memory: one pass and no temporary, where the general path computes the
    result and then copies it in. Only when no promotion or broadcast of ``self`` is involved;
    otherwise returns False and the general path (with its checks and errors) runs."""
    data = self._data
    if data.dtype.kind != "f" or not data.flags.writeable:
        return False
    kind = type(other)
    if kind is float or kind is int:
        value = other
    elif isinstance(other, Tensor):
        value = other._data
        if value.dtype != data.dtype or value.ndim > data.ndim:
            return False
        if any(v != 1 and v != d for v, d in zip(value.shape[::-1], data.shape[::-1])):
            return False
    else:
        return False
    ufunc(data, value, out=data)
    return True


def _dual_any(args: tuple) -> bool:
    for a in args:
        if isinstance(a, Tensor) and a._tangents:
            return True
    return False


def _write_tangents(target: Tensor, result: Tensor) -> None:
    """Forward mode through an in-place write: the tangent of the written value replaces the
    target's, in place, as PyTorch does (a tangent given to make_dual changes with it, and a
    view's tangent is a view of its base's, so the base's tangent follows). A target without a
    tangent at a level gets one; through a view, the base gets a zero tangent around the
    written region. Runs before the values are written (``target`` still holds the old ones)."""
    from bibun.autograd import forward_ad

    base = target._base
    levels = set(result._tangents or ()) | set(target._tangents or ())
    if base is not None:
        levels |= set(base._tangents or ())
    for level in sorted(levels & forward_ad._open_ids):
        new = (result._tangents or {}).get(level)
        values = new._data if new is not None else np.zeros((), dtype=target._data.dtype)
        own = (target._tangents or {}).get(level)
        recorded = new is not None and new._requires_grad and new._data.shape == target._data.shape
        if own is not None and not recorded and own._data.shape == target._data.shape and own._data.flags.writeable:
            own._data[...] = values
            continue
        if recorded:  # a tangent with a graph (forward over reverse): kept as it is, not copied
            tangent = new
        else:
            tangent = new_tensor(np.array(np.broadcast_to(values, target._data.shape), dtype=target._data.dtype))
        target._tangents = {**(target._tangents or {}), level: tangent}
        if base is not None:
            base_tangent = (base._tangents or {}).get(level)
            if base_tangent is None or not base_tangent._data.flags.writeable:
                data = np.zeros_like(base._data) if base_tangent is None else base_tangent._data.copy()
                base_tangent = new_tensor(data)
                base._tangents = {**(base._tangents or {}), level: base_tangent}
            # np.put addresses C-order positions of any layout, strided tangents included.
            np.put(base_tangent._data, view_positions(target._data, base._data), tangent._data)


def write(
    self: Tensor,
    compute: Callable[..., Tensor],
    args: tuple = (),
    kwargs: dict | None = None,
    *,
    copy_self: bool = False,
    cast_check: bool = True,
    ufunc: np.ufunc | None = None,
) -> Tensor:
    """Replace ``self``'s value by ``compute(self, *args, **kwargs)`` in place, recording the
    write when grad mode is on and anything involved requires grad. ``copy_self``: the op
    saves its ``self`` input for backward, so the old value is snapshotted first."""
    self._check_inplace()
    if self._base is not None:
        self._sync_view()
    kwargs = kwargs or {}
    base = self._base
    record = grad_mode.state_get()[0] and (
        self._requires_grad or (base is not None and base._requires_grad) or _requires_grad_any(args)
    )
    if record and self._multi_view_of is not None:
        output_nr, op = self._multi_view_of
        raise RuntimeError(
            f"Output {output_nr} of {op.grad_fn.removesuffix('Backward0')} is a view and is being modified inplace. "
            "This view is the output of a function that returns multiple views. Such functions do not allow the "
            "output views to be modified inplace. You should replace the inplace operation by an out-of-place one."
        )
    dual = self._tangents or (base is not None and base._tangents) or _dual_any(args)
    if not record:
        if ufunc is not None and not dual and _ufunc_into(self, ufunc, args[0]):
            bump_version(self)
            return self
        result = compute(self, *args, **kwargs)
        _check_result(self, result._data, cast_check)
        self._data[...] = result._data
        if dual:
            _write_tangents(self, result)
        bump_version(self)
        return self

    old = new_tensor(self._data.copy() if copy_self else self._data, self._requires_grad)
    old._grad_fn, old._output_nr, old._tangents = self._grad_fn, self._output_nr, self._tangents
    result = compute(old, *args, **kwargs)
    _check_result(self, result._data, cast_check)
    if dual:
        _write_tangents(self, result)
    node = result._grad_fn
    if base is None:
        self._data[...] = result._data
        version = bump_version(self)
        if node is not None:
            _point_saved_output_at(node, result, self, version)
            _move_retained(self, node)
            self._grad_fn, self._output_nr, self._requires_grad = node, result._output_nr, True
        return self

    # Through a view: the base's history is rebased onto a CopySlices node.
    positions = view_positions(self._data, base._data)
    self._data[...] = result._data
    version = bump_version(self)
    copy_slices = CopySlices(node, positions, base._data.shape)
    copy_slices._next = (_registry._edge(base),) + (node._next[1:] if node is not None else ())
    if node is not None:
        _point_saved_output_at(node, result, self, version)
    _move_retained(base, copy_slices)
    base._grad_fn, base._output_nr, base._requires_grad = copy_slices, 0, True
    view_node = _view_node(base, positions)
    _move_retained(self, view_node)
    self._grad_fn, self._output_nr, self._requires_grad = view_node, 0, True
    self._view_version = version
    return self


# --- the in-place methods -----------------------------------------------------------------------
def _ops() -> Any:
    from bibun import ops

    return ops


def add_(self: Tensor, other: Any, *, alpha: Any = 1) -> Tensor:
    return write(self, _ops().add, (other,), {"alpha": alpha}, ufunc=np.add if alpha == 1 else None)


def sub_(self: Tensor, other: Any, *, alpha: Any = 1) -> Tensor:
    return write(self, _ops().sub, (other,), {"alpha": alpha}, ufunc=np.subtract if alpha == 1 else None)


def mul_(self: Tensor, other: Any) -> Tensor:
    saves_self = isinstance(other, Tensor) and other._requires_grad
    return write(self, _ops().mul, (other,), copy_self=saves_self, ufunc=np.multiply)


def div_(self: Tensor, other: Any, *, rounding_mode: str | None = None) -> Tensor:
    ufunc = np.true_divide if rounding_mode is None else None
    return write(self, _ops().div, (other,), {"rounding_mode": rounding_mode}, copy_self=True, ufunc=ufunc)


def pow_(self: Tensor, exponent: Any) -> Tensor:
    return write(self, _ops().pow, (exponent,), copy_self=True)


def clamp_(self: Tensor, min: Any = None, max: Any = None) -> Tensor:  # noqa: A002 - PyTorch's names
    return write(self, _ops().clamp, (min, max), copy_self=True)


def clamp_min_(self: Tensor, min: Any) -> Tensor:  # noqa: A002
    return clamp_(self, min, None)


def clamp_max_(self: Tensor, max: Any) -> Tensor:  # noqa: A002
    return clamp_(self, None, max)


def _unary_inplace(name: str, saves_input: bool) -> Callable[[Tensor], Tensor]:
    def method(self: Tensor) -> Tensor:
        return write(self, getattr(_ops(), name), copy_self=saves_input)

    method.__name__ = method.__qualname__ = name + "_"
    return method


# Ops that save their input need the old value kept; those that save their output do not.
_UNARY = {
    "neg": False,
    "exp": False,
    "log": True,
    "sin": True,
    "cos": True,
    "tan": False,
    "tanh": False,
    "sigmoid": False,
    "sqrt": False,
    "abs": True,
    "relu": False,
    "reciprocal": False,
    "square": True,
}
_UNARY_METHODS = {name + "_": _unary_inplace(name, saves) for name, saves in _UNARY.items()}
neg_ = _UNARY_METHODS["neg_"]
exp_ = _UNARY_METHODS["exp_"]


def zero_(self: Tensor) -> Tensor:
    if self._base is None and not self._requires_grad:
        _check_result(self, self._data, False)
        self._data[...] = 0  # the common case (``w.grad.zero_()``): no graph can be involved
        bump_version(self)
        return self
    return write(self, lambda x: apply(_ZERO, (x,)))


def fill_(self: Tensor, value: Any) -> Tensor:
    if isinstance(value, Tensor):
        if value._data.ndim:
            raise RuntimeError(
                f"fill_ only supports 0-dimension value tensor but got tensor with {value._data.ndim} dimensions."
            )
        return write(self, lambda x, v: apply(_FILL_TENSOR, (x, v)), (value,), cast_check=False)
    return write(self, lambda x: apply(_FILL, (x,), {"value": value}), cast_check=False)


def copy_(self: Tensor, src: Tensor, non_blocking: bool = False) -> Tensor:
    if not isinstance(src, Tensor):
        raise TypeError(f"copy_(): argument 'src' (position 1) must be Tensor, not {type(src).__name__}")
    try:
        np.broadcast_shapes(src._data.shape, self._data.shape)
    except ValueError:
        raise RuntimeError(_size_mismatch(self._data.shape, src._data.shape)) from None
    if np.broadcast_shapes(src._data.shape, self._data.shape) != self._data.shape:
        raise RuntimeError(_size_mismatch(self._data.shape, src._data.shape))
    return write(self, lambda x, s: apply(_COPY, (x, s)), (src,), cast_check=False)


def _size_mismatch(a: tuple, b: tuple) -> str:
    for i in range(1, max(len(a), len(b)) + 1):
        x = a[-i] if i <= len(a) else 1
        y = b[-i] if i <= len(b) else 1
        if x != y and y != 1:
            return (
                f"The size of tensor a ({x}) must match the size of tensor b ({y}) at non-singleton dimension "
                f"{max(len(a), len(b)) - i}"
            )
    return f"output with shape {list(a)} doesn't match the broadcast shape {list(b)}"


def index_put_(self: Tensor, indices: Any, values: Tensor, accumulate: bool = False) -> Tensor:
    """``self[indices] = values`` (or ``+=`` with ``accumulate``), recorded as
    IndexPutBackward0: the out-of-place ``index_put`` written back."""
    from bibun.ops.indexing import index_put

    if not isinstance(values, Tensor):
        values = new_tensor(np.asarray(values, dtype=self._data.dtype))
    elif values._data.dtype != self._data.dtype:
        values = values.to(self.dtype)  # t[i] = v casts v, as PyTorch's setitem does
    return write(self, index_put, (indices, values, accumulate), cast_check=False)


def setitem(self: Tensor, index: Any, value: Any) -> None:
    """``t[index] = value``: basic indices write through a view (CopySlices), advanced ones
    (tensors, lists, masks) are one IndexPutBackward0, as in PyTorch."""
    from bibun.ops.shape import _is_advanced, _to_numpy_index, getitem

    items = index if isinstance(index, tuple) else (index,)
    if any(_is_advanced(i) for i in items):
        np_index = tuple(_to_numpy_index(i) for i in items) if isinstance(index, tuple) else _to_numpy_index(index)
        try:
            self._data[np_index]
        except IndexError as error:
            raise IndexError(str(error)) from None
        index_put_(self, np_index if isinstance(np_index, tuple) else (np_index,), value)
        return
    if not isinstance(value, Tensor):
        value = new_tensor(np.asarray(value, dtype=self._data.dtype))
    copy_(getitem(self, index), value)


# --- augmented assignment ------------------------------------------------------------------------
def _augmented(method: Callable[[Tensor, Any], Tensor]) -> Callable[[Tensor, Any], Any]:
    def operator(self: Tensor, other: Any) -> Any:
        if _as_operand(other) is None:
            return NotImplemented
        return method(self, other)

    operator.__name__ = method.__name__
    return operator


METHODS: dict[str, Any] = {
    "add_": add_,
    "sub_": sub_,
    "subtract_": sub_,
    "mul_": mul_,
    "multiply_": mul_,
    "div_": div_,
    "divide_": div_,
    "true_divide_": div_,
    "pow_": pow_,
    "clamp_": clamp_,
    "clip_": clamp_,
    "clamp_min_": clamp_min_,
    "clamp_max_": clamp_max_,
    **_UNARY_METHODS,
    "negative_": neg_,
    "zero_": zero_,
    "fill_": fill_,
    "copy_": copy_,
    "index_put_": index_put_,
    "__setitem__": setitem,
    "__iadd__": _augmented(add_),
    "__isub__": _augmented(sub_),
    "__imul__": _augmented(mul_),
    "__itruediv__": _augmented(div_),
    "__ipow__": _augmented(pow_),
}
for _name, _method in METHODS.items():
    setattr(Tensor, _name, _method)
