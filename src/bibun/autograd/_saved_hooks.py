"""The machinery behind ``graph.saved_tensors_hooks``: a task-local stack of (pack, unpack)
pairs, and a wrapper around the op table's ``_record`` that is installed only while some
context has hooks, so ops pay nothing otherwise (docs/mechanics.md, "Saved tensors")."""

from __future__ import annotations

import contextvars
import threading
from typing import Any, Callable

from bibun._tensor import Tensor, new_tensor
from bibun.autograd.graph import SavedOutput, SavedPacked, grad_accumulator

# The innermost hooks as (pack, unpack), or a str: the error of disable_saved_tensors_hooks.
_stack: contextvars.ContextVar[tuple] = contextvars.ContextVar("bibun_saved_tensors_hooks", default=())
_lock = threading.Lock()
_active = [0]  # contexts open anywhere; the wrapper is installed while this is positive
_plain_record: list[Any] = [None]


def push(pack: Callable[[Tensor], Any], unpack: Callable[[Any], Tensor]) -> contextvars.Token:
    current = _stack.get()
    if current and isinstance(current[-1], str):
        raise RuntimeError(current[-1])
    token = _stack.set(current + ((pack, unpack),))
    _install()
    return token


def pop(token: contextvars.Token) -> None:
    _stack.reset(token)
    _uninstall()


def disable(message: str) -> contextvars.Token:
    token = _stack.set(_stack.get() + (message,))
    return token


def enable(token: contextvars.Token) -> None:
    _stack.reset(token)


def current_hooks() -> tuple | None:
    """The innermost (pack, unpack) pair of this thread/task, or None."""
    stack = _stack.get()
    if not stack or isinstance(stack[-1], str):
        return None
    return stack[-1]


def _install() -> None:
    from bibun.ops import _registry

    with _lock:
        _active[0] += 1
        if _active[0] == 1:
            _plain_record[0] = _registry._record
            _registry._record = _record_with_hooks


def _uninstall() -> None:
    from bibun.ops import _registry

    with _lock:
        _active[0] -= 1
        if _active[0] == 0:
            _registry._record = _plain_record[0]


def _record_with_hooks(op: Any, args: tuple, arrays: list, params: Any, results: tuple, out: Any) -> Any:
    node = _plain_record[0](op, args, arrays, params, results, out)
    hooks = current_hooks()
    if hooks is not None and node._saved:
        node._saved = pack_values(node, node._saved, hooks)
        node._saved_versions = None  # the hooks own the saved values now
    return node


# Ops whose backward formula for the first input reads the second: PyTorch saves (and so
# packs and unpacks) the second input first. Users see the order when their hooks print.
_SECOND_INPUT_FIRST = frozenset(
    "mul div pow_tensor mm atan2 maximum minimum fmax fmin hypot xlogy fmod remainder logaddexp logaddexp2".split()
)


def pack_values(node: Any, saved: tuple, hooks: tuple) -> tuple:
    """Pass each saved Tensor (inputs and the node's own outputs) through the pack hook, in
    PyTorch's order. Derived constants (masks, indices) are not tensors and stay as they are."""
    pack, unpack = hooks
    swap = node._op is not None and node._op.name in _SECOND_INPUT_FIRST and len(saved) >= 2
    order = [1, 0, *range(2, len(saved))] if swap else range(len(saved))
    token = _stack.set(())  # an op run inside a pack hook is not packed again
    try:
        packed: list = [None] * len(saved)
        for i in order:
            packed[i] = _pack_one(node, saved[i], pack, unpack)
        if swap and type(packed[0]) is SavedPacked and type(packed[1]) is SavedPacked:
            packed[0].unpack_first = packed[1]
        return tuple(packed)
    finally:
        _stack.reset(token)


def _pack_one(node: Any, value: Any, pack: Callable[[Tensor], Any], unpack: Callable[[Any], Tensor]) -> Any:
    """One saved value through the pack hook: an input Tensor, or the node's own output."""
    if isinstance(value, Tensor):
        grad_fn = value._grad_fn
        if grad_fn is None and value._requires_grad:
            grad_fn = grad_accumulator(value)
        return SavedPacked(pack(value), unpack, grad_fn, value._output_nr, value._requires_grad)
    if type(value) is SavedOutput:
        output = new_tensor(value.data, value.requires_grad)
        output._version_counter = value.version_counter
        output._output_nr = value.output_nr
        if value.requires_grad:
            output._grad_fn = node
        entry = SavedPacked(pack(output), unpack, None, value.output_nr, value.requires_grad)
        entry.is_output = True
        return entry
    return value
