"""Batching rules: how each op runs on a whole batch at once (docs/forward-mode.md, "How
vmap works").

``run_batched`` is the registry's batch hook while a vmap is open. It finds the innermost
vmap level among the op's arguments, takes the batched ones' ``_value`` (batch dimension
first) and runs the op once on the batch with its parameters moved past the batch dimension.
Elementwise ops (``jvp="elementwise"``) and matrix products (``"bilinear"``) need no rule of
their own; the op families with dims and shapes have one each below. An op with no rule runs
once per example (``_loop``) and is counted in ``LOOPED``: correct, just slower.
"""

from __future__ import annotations

import collections
from typing import Any, Callable

import numpy as np

from bibun._tensor import Tensor
from bibun.func._batched import BatchedTensor, batch_size, wrap
from bibun.ops import _registry
from bibun.ops import shape as shape_ops

apply = _registry.apply

# Ops that ran once per example for want of a batching rule: {op name: times}.
LOOPED: collections.Counter = collections.Counter()


class _NoRule(Exception):
    """This call is outside what the op's rule handles: run it per example."""


def _innermost(args: tuple) -> int:
    level = -1
    for a in args:
        if type(a) is BatchedTensor and a._level > level:
            level = a._level
    return level


def run_batched(op: Any, args: tuple, params: dict | None, dtype: Any) -> Any:
    level = _innermost(args)
    if level < 0:
        return NotImplemented
    size = batch_size(level)
    rule = RULES.get(op.name)
    if rule is None:
        rule = _BY_KIND.get(op.jvp if isinstance(op.jvp, str) else None)
    if rule is not None:
        try:
            return rule(op, args, params or {}, dtype, level, size)
        except _NoRule:
            pass
    return _loop(op, args, params, dtype, level, size)


def _loop(op: Any, args: tuple, params: dict | None, dtype: Any, level: int, size: int) -> Any:
    LOOPED[op.name] += 1
    per_example = []
    for b in range(size):
        example = tuple(a._value[b] if _at(a, level) else a for a in args)
        per_example.append(apply(op, example, params or {}, dtype))
    if op.outputs == 1:
        return wrap(shape_ops.stack(per_example, 0), level)
    return tuple(wrap(shape_ops.stack([r[i] for r in per_example], 0), level) for i in range(len(per_example[0])))


def _at(a: Any, level: int) -> bool:
    return type(a) is BatchedTensor and a._level == level


def _shape(a: Any) -> tuple:
    return a._data.shape if isinstance(a, Tensor) else np.shape(a)


def aligned(args: tuple) -> tuple[int, list]:
    """The innermost level and the arguments ready to broadcast: batched ones as their
    batch (batch dimension first, padded with 1s to the widest example's rank)."""
    level = _innermost(args)
    size = batch_size(level)
    rank = max((len(_shape(a)) for a in args if isinstance(a, Tensor)), default=0)
    out = []
    for a in args:
        if _at(a, level):
            shape = a._data.shape
            value = a._value
            if len(shape) < rank:
                value = shape_ops.reshape(value, (size,) + (1,) * (rank - len(shape)) + shape)
            out.append(value)
        else:
            out.append(a)
    return level, out


# --- rules by kind -----------------------------------------------------------------------------
# Parameters that address positions of one example: an op that has them is not a plain
# elementwise map, even when its JVP rule is written "elementwise" (scatter of a constant).
_POSITIONAL = frozenset({"where", "index", "dim", "dims", "axis", "axes", "shape", "in_shape", "out_shape", "block"})


def _elementwise(op: Any, args: tuple, params: dict, dtype: Any, level: int, size: int) -> Any:
    if params and not _POSITIONAL.isdisjoint(params):
        raise _NoRule
    level, physical = aligned(args)
    return wrap(apply(op, tuple(physical), params, dtype), level)


def _broadcast_shape(a: tuple, b: tuple) -> tuple:
    return tuple(np.broadcast_shapes(a, b))


def _matmul(op: Any, args: tuple, params: dict, dtype: Any, level: int, size: int) -> Any:
    a, b = args[:2]
    la, lb = list(a._data.shape), list(b._data.shape)
    drop_row, drop_col = len(la) == 1, len(lb) == 1
    if drop_row:
        la = [1] + la
    if drop_col:
        lb = lb + [1]
    batch = max(len(la), len(lb)) - 2
    operands = []
    for x, logical, was_vector_left, was_vector_right in ((a, la, drop_row, False), (b, lb, False, drop_col)):
        full = (1,) * (batch - (len(logical) - 2)) + tuple(logical)
        if _at(x, level):
            operands.append(shape_ops.reshape(x._value, (size,) + full))
        elif was_vector_left or was_vector_right:
            operands.append(shape_ops.reshape(x, tuple(logical)))
        else:
            operands.append(x)
    out = apply(op, tuple(operands), params, dtype)
    logical_out = list(_broadcast_shape(tuple(la[:-2]), tuple(lb[:-2]))) + [la[-2], lb[-1]]
    if drop_col:
        logical_out.pop(-1)
    if drop_row:
        logical_out.pop(-2 if not drop_col else -1)
    return wrap(shape_ops.reshape(out, (size,) + tuple(logical_out)), level)


def _only_input(args: tuple, level: int) -> Tensor:
    if len(args) != 1 or not _at(args[0], level):
        raise _NoRule
    return args[0]._value


def _shifted(dims: Any) -> Any:
    if isinstance(dims, (tuple, list)):
        return tuple(d + 1 for d in dims)
    return dims + 1


def _unary_with(changes: Callable[[dict, int], dict]) -> Callable[..., Any]:
    """A rule for a one-input op whose parameters name dims and shapes of one example."""

    def rule(op: Any, args: tuple, params: dict, dtype: Any, level: int, size: int) -> Any:
        value = _only_input(args, level)
        return wrap(apply(op, (value,), changes(dict(params), size), dtype), level)

    return rule


def _reduction_params(p: dict, size: int) -> dict:
    p["axis"] = _shifted(p["axis"])
    p["shape"] = (size,) + tuple(p["shape"])
    p["kept_shape"] = (size,) + tuple(p["kept_shape"])
    return p


def _select_along_params(p: dict, size: int) -> dict:
    p["axis"] = p["axis"] + 1
    p["shape"] = (size,) + tuple(p["shape"])
    return p


def _view_params(p: dict, size: int) -> dict:
    p["shape"] = (size,) + tuple(p["shape"])
    p["in_shape"] = (size,) + tuple(p["in_shape"])
    return p


def _dim_params(*names: str, shapes: tuple = ()) -> Callable[[dict, int], dict]:
    def change(p: dict, size: int) -> dict:
        for name in names:
            p[name] = _shifted(p[name])
        for name in shapes:
            p[name] = (size,) + tuple(p[name])
        return p

    return change


def _same(p: dict, size: int) -> dict:
    return p


def _permute_params(p: dict, size: int) -> dict:
    p["axes"] = (0,) + _shifted(p["axes"])
    return p


def _t(op: Any, args: tuple, params: dict, dtype: Any, level: int, size: int) -> Any:
    value = _only_input(args, level)
    if args[0]._data.ndim < 2:
        return wrap(apply(shape_ops._ALIAS, (value,)), level)
    return wrap(apply(shape_ops._TRANSPOSE, (value,), {"dim0": 1, "dim1": 2}), level)


def _expand(op: Any, args: tuple, params: dict, dtype: Any, level: int, size: int) -> Any:
    value = _only_input(args, level)
    target = tuple(params["shape"])
    logical = args[0]._data.shape
    if len(logical) < len(target):
        value = shape_ops.reshape(value, (size,) + (1,) * (len(target) - len(logical)) + logical)
    return wrap(apply(op, (value,), {**params, "shape": (size,) + target}), level)


def _sum_to_size(op: Any, args: tuple, params: dict, dtype: Any, level: int, size: int) -> Any:
    value = _only_input(args, level)
    shape, in_shape = tuple(params["shape"]), tuple(params["in_shape"])
    padded = (size,) + (1,) * (len(in_shape) - len(shape)) + shape
    summed = apply(op, (value,), {**params, "shape": padded, "in_shape": (size,) + in_shape})
    return wrap(shape_ops.reshape(summed, (size,) + shape), level)


def _advanced_index_first(index: Any) -> tuple:
    """``(slice(None),) + index`` when NumPy keeps the batch dimension first with it, that
    is when the index's array entries are adjacent (else NumPy moves them to the front)."""
    items = index if isinstance(index, tuple) else (index,)
    arrays = [i for i, item in enumerate(items) if isinstance(item, (np.ndarray, list)) or type(item) is bool]
    if arrays and arrays[-1] - arrays[0] + 1 != len(arrays):
        raise _NoRule
    return (slice(None),) + items


def _index_params(p: dict, size: int) -> dict:
    p["index"] = _advanced_index_first(p["index"])
    p["in_shape"] = (size,) + tuple(p["in_shape"])
    return p


def _index_put_zeros_params(p: dict, size: int) -> dict:
    p["index"] = _advanced_index_first(p["index"])
    p["shape"] = (size,) + tuple(p["shape"])
    return p


def _joined(op: Any, args: tuple, params: dict, dtype: Any, level: int, size: int) -> Any:
    """cat and stack: unbatched pieces are expanded to the batch, the dim moves by one."""
    pieces = []
    for a in args:
        if _at(a, level):
            pieces.append(a._value)
        else:
            shape = a._data.shape
            pieces.append(shape_ops.expand(shape_ops.unsqueeze(a, 0), (size,) + shape))
    return wrap(apply(op, tuple(pieces), {**params, "dim": params["dim"] + 1}, dtype), level)


def _unbind(op: Any, args: tuple, params: dict, dtype: Any, level: int, size: int) -> Any:
    value = _only_input(args, level)
    changed = {**params, "dim": params["dim"] + 1, "shape": (size,) + tuple(params["shape"])}
    return wrap(tuple(apply(op, (value,), changed, dtype)), level)


_BY_KIND: dict[Any, Callable[..., Any]] = {"elementwise": _elementwise, "bilinear": _matmul}

_reduce = _unary_with(_reduction_params)
RULES: dict[str, Callable[..., Any]] = {
    **{name: _reduce for name in ("sum_all", "sum_dim", "mean_all", "mean_dim", "max_all", "min_all", "amax", "amin")},
    "max_dim": _unary_with(_select_along_params),
    "min_dim": _unary_with(_select_along_params),
    "view": _unary_with(_view_params),
    "permute": _unary_with(_permute_params),
    "transpose": _unary_with(_dim_params("dim0", "dim1")),
    "t": _t,
    "unsqueeze": _unary_with(_dim_params("dim")),
    "squeeze": _unary_with(_dim_params("dims", shapes=("in_shape",))),
    "squeeze_dim": _unary_with(_dim_params("dims", shapes=("in_shape",))),
    "squeeze_dims": _unary_with(_dim_params("dims", shapes=("in_shape",))),
    "expand": _expand,
    "sum_to_size": _sum_to_size,
    "clone": _unary_with(_same),
    "to_dtype": _unary_with(_same),
    "alias": _unary_with(_same),
    "select": _unary_with(_dim_params("dim", shapes=("in_shape",))),
    "slice": _unary_with(_dim_params("dim", shapes=("in_shape",))),
    "index": _unary_with(_index_params),
    "index_put_zeros": _unary_with(_index_put_zeros_params),
    "cat": _joined,
    "stack": _joined,
    "unbind": _unbind,
}
