"""Batched values for ``vmap`` (docs/forward-mode.md, "How vmap works").

A ``BatchedTensor`` is what a vmapped function sees: one example of a batch. It holds the
whole batch as an ordinary Tensor (``_value``, batch dimension first) and a vmap level. Its
``_data`` is not an array but a ``_Logical`` record of one example's shape and dtype: the op
wrappers read shapes and dtypes from it (so dims, broadcasting and errors are computed as for
one example), and anything that would read values from it raises ``_NeedsLoop``, after which
vmap runs the function once per example instead. Ops reach the registry's batch hook
(``_rules.run_batched``), which runs them on ``_value``.

Nested vmaps nest wrappers: the ``_value`` of a level-2 BatchedTensor may be a level-1
BatchedTensor; "unwrapping fully" gives a plain Tensor with every level's batch dimension in
front, outermost first.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from bibun._tensor import Tensor

# Open vmap levels, outermost first: [level id, batch size].
_levels: list[tuple[int, int]] = []
_next_level = [1]


class _NeedsLoop(Exception):
    """A batched value was used in a way no batching rule covers (its values were read)."""


class _Flags:
    c_contiguous = True
    f_contiguous = False
    writeable = True


class _Logical:
    """Shape and dtype of one example: what op wrappers may read from a batched ``_data``."""

    __slots__ = ("shape", "dtype", "ndim", "size", "itemsize")
    flags = _Flags()

    def __init__(self, shape: tuple, dtype: np.dtype) -> None:
        self.shape = shape
        self.dtype = dtype
        self.ndim = len(shape)
        size = 1
        for n in shape:
            size *= n
        self.size = size
        self.itemsize = dtype.itemsize

    def __getattr__(self, name: str) -> Any:
        raise _NeedsLoop(f"read .{name} of a batched tensor's data")

    def _values(self, *args: Any, **kwargs: Any) -> Any:
        raise _NeedsLoop("read the values of a batched tensor")

    __array__ = __getitem__ = __setitem__ = __iter__ = __bool__ = __float__ = __int__ = _values
    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = __truediv__ = __rtruediv__ = _values
    __lt__ = __le__ = __gt__ = __ge__ = __eq__ = __ne__ = __and__ = __or__ = __invert__ = __neg__ = _values
    __hash__ = object.__hash__

    def __len__(self) -> int:
        if not self.shape:
            raise TypeError("len() of unsized object")
        return self.shape[0]


class BatchedTensor(Tensor):
    """One example of a batch, as the function under ``vmap`` sees it."""

    _value: Tensor
    _level: int

    def _get_requires_grad(self) -> bool:
        return self._value._requires_grad

    def _set_requires_grad(self, flag: bool) -> None:
        self._value.requires_grad = flag

    _requires_grad = property(_get_requires_grad, _set_requires_grad)  # type: ignore[assignment]
    requires_grad = property(_get_requires_grad, _set_requires_grad)  # type: ignore[assignment]

    @property
    def _grad_fn(self) -> Any:  # type: ignore[override]
        # The graph lives on ``_value``; code that walks graphs from here (autograd.grad called
        # inside vmap) must see the whole batch, so the function runs per example instead.
        raise _NeedsLoop("autograd on a batched tensor")

    @property
    def grad_fn(self) -> Any:
        return self._value.grad_fn

    @property
    def is_leaf(self) -> bool:
        return self._value.is_leaf

    def detach(self) -> Tensor:
        return wrap(self._value.detach(), self._level)

    @property
    def data(self) -> Tensor:
        return self.detach()

    def __repr__(self, *, tensor_contents: Any = None) -> str:
        inner = repr(self._value).replace("\n", "\n    ")
        return f"BatchedTensor(lvl={self._level}, bdim=0, value=\n    {inner}\n)"

    __str__ = __repr__

    def _values(self, *args: Any, **kwargs: Any) -> Any:
        raise _NeedsLoop("read the values of a batched tensor (item, numpy, bool, backward, ...)")

    item = tolist = numpy = __array__ = __bool__ = __float__ = __int__ = __index__ = backward = _values

    def __format__(self, spec: str) -> str:
        return self._values()

    # Comparisons read values in the op wrappers; batched, they compare whole batches.
    def __lt__(self, other: Any) -> Tensor:
        return _compare("lt", self, other)

    def __le__(self, other: Any) -> Tensor:
        return _compare("le", self, other)

    def __gt__(self, other: Any) -> Tensor:
        return _compare("gt", self, other)

    def __ge__(self, other: Any) -> Tensor:
        return _compare("ge", self, other)

    def __eq__(self, other: Any) -> Tensor:  # type: ignore[override]
        return _compare("eq", self, other)

    def __ne__(self, other: Any) -> Tensor:  # type: ignore[override]
        return _compare("ne", self, other)

    __hash__ = Tensor.__hash__


def wrap(value: Any, level: int) -> Any:
    """``value`` (batch dimension first) as a BatchedTensor at ``level``; tuples elementwise."""
    if type(value) in (tuple, list):
        return type(value)(wrap(v, level) for v in value)
    data = value._data
    out = object.__new__(BatchedTensor)
    out._value = value
    out._level = level
    out._data = _Logical(data.shape[1:], data.dtype)
    return out


def batch_size(level: int) -> int:
    for lvl, size in _levels:
        if lvl == level:
            return size
    raise RuntimeError(f"vmap level {level} is not open")


def levels_of(x: Any) -> list[int]:
    """The vmap levels ``x`` is batched at, innermost first."""
    found = []
    while type(x) is BatchedTensor:
        found.append(x._level)
        x = x._value
    return found


def unwrap_fully(x: Any) -> Any:
    while type(x) is BatchedTensor:
        x = x._value
    return x


def rewrap(plain: Tensor, levels_inner_first: list[int]) -> Any:
    out = plain
    for level in reversed(levels_inner_first):
        out = wrap(out, level)
    return out


def lift(x: Tensor, wanted: list[int] | None = None) -> Tensor:
    """``x`` batched at every open vmap level (or at ``wanted``, outermost first): the levels
    it lacks are added by expanding (a view). Gradients taken on the result are then per
    example, never summed over a batch."""
    from bibun.ops import shape as shape_ops

    if wanted is None:
        wanted = [lvl for lvl, _ in _levels]
    have = levels_of(x)
    if all(level in have for level in wanted):
        return x
    order = [lvl for lvl, _ in _levels if lvl in wanted or lvl in have]  # outermost first
    plain = unwrap_fully(x)
    position = 0
    for level in order:
        if level not in have:
            size = batch_size(level)
            plain = shape_ops.unsqueeze(plain, position)
            plain = shape_ops.expand(plain, plain.shape[:position] + (size,) + plain.shape[position + 1 :])
        position += 1
    return rewrap(plain, list(reversed(order)))


def _compare(name: str, a: Tensor, b: Any) -> Tensor:
    from bibun import ops
    from bibun.func._rules import aligned

    level, args = aligned((a, b))
    return wrap(getattr(ops, name)(*args), level)


def enter_level(size: int) -> int:
    level = _next_level[0]
    _next_level[0] += 1
    _levels.append((level, size))
    from bibun.func import _rules
    from bibun.ops import _registry

    _registry.batch_hook[0] = _rules.run_batched
    return level


def exit_level(level: int) -> None:
    for i, (lvl, _) in enumerate(_levels):
        if lvl == level:
            del _levels[i]
            break
    if not _levels:
        from bibun.ops import _registry

        _registry.batch_hook[0] = None


def is_batched(x: Any) -> bool:
    return type(x) is BatchedTensor


# --- autograd on batched values --------------------------------------------------------------
def grad(outputs: tuple, inputs: tuple, grad_outputs: Any, create_graph: bool) -> tuple:
    """``autograd.grad`` that understands BatchedTensors. Two cases are batched:
    batched outputs and inputs (per-example gradients: the graph is per example, so the
    gradient of the whole batch is every example's gradient), and plain outputs with batched
    cotangents (the backward rules then run on batched cotangents). Others loop."""
    from bibun.autograd.engine import grad as engine_grad

    grad_outputs = tuple(grad_outputs) if grad_outputs is not None else (None,) * len(outputs)
    anything_batched = any(type(v) is BatchedTensor for v in (*outputs, *inputs, *grad_outputs))
    if not anything_batched:
        return engine_grad(
            outputs, inputs, grad_outputs, create_graph=create_graph, retain_graph=True, allow_unused=True
        )
    if not any(type(v) is BatchedTensor for v in (*outputs, *inputs)):
        return engine_grad(outputs, inputs, grad_outputs, create_graph=True, retain_graph=True, allow_unused=True)
    plain_outputs, plain_cotangents = [], []
    for out, cot in zip(outputs, grad_outputs):
        out_levels = levels_of(out)
        if cot is not None:
            cot_levels = levels_of(cot)
            if any(level not in out_levels for level in cot_levels):
                raise _NeedsLoop("a cotangent batched where its output is not")
            cot = unwrap_fully(lift(cot, [lvl for lvl, _ in _levels if lvl in out_levels]))
        plain_outputs.append(unwrap_fully(out))
        plain_cotangents.append(cot)
    union = {level for out in outputs for level in levels_of(out)}
    plain_inputs = []
    for x in inputs:
        if any(level not in levels_of(x) for level in union):
            raise _NeedsLoop("an input not batched where an output is")
        plain_inputs.append(unwrap_fully(x))
    seeds = []
    for out, cot in zip(plain_outputs, plain_cotangents):
        if cot is None:
            from bibun import _creation

            cot = _creation.ones_like(out)  # one per example: each example's output is a scalar
        seeds.append(cot)
    grads = engine_grad(
        plain_outputs, plain_inputs, seeds, create_graph=create_graph, retain_graph=True, allow_unused=True
    )
    return tuple(None if g is None else rewrap(g, levels_of(x)) for g, x in zip(grads, inputs))
