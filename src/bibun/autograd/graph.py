"""Graph nodes: what ``tensor.grad_fn`` is. One Node subclass per op, named as PyTorch names
its backward functions (``MulBackward0``); leaves that require grad are reached through an
``AccumulateGrad`` node. A node holds its edges (``next_functions``), the values its rule
saved for backward, and any hooks. See docs/design.md, "The graph"."""

from __future__ import annotations

import itertools
import weakref
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:
    from bibun._tensor import Tensor

# Creation order. A node's inputs are always created before it, so running nodes from the
# highest sequence number down is a topological order (docs/design.md, "The engine").
_sequence = itertools.count()
next_sequence_nr = _sequence.__next__


class RemovableHandle:
    """Returned by every ``register_*hook``; ``remove()`` takes the hook out again."""

    def __init__(self, hooks: dict[int, Any]) -> None:
        self._hooks_ref = weakref.ref(hooks) if hasattr(hooks, "__weakref__") else (lambda: hooks)
        self.id = next(_handle_ids)

    def remove(self) -> None:
        hooks = self._hooks_ref()
        if hooks is not None:
            hooks.pop(self.id, None)

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.remove()


_handle_ids = itertools.count()


class _HookDict(dict):
    """A dict that can be weakly referenced, so handles do not keep nodes alive."""


class _FreedType:
    __slots__ = ()

    def __repr__(self) -> str:
        return "<freed>"


FREED = _FreedType()


class SavedOutput:
    """A node's own output, saved without a reference to the output Tensor (which refers to
    the node: that would be a cycle). Rebuilt as a Tensor with this node as grad_fn when a
    rule runs with create_graph."""

    __slots__ = ("data", "version_counter", "requires_grad", "output_nr")

    def __init__(self, data: Any, version_counter: list[int], requires_grad: bool, output_nr: int = 0) -> None:
        self.data = data
        self.version_counter = version_counter
        self.requires_grad = requires_grad
        self.output_nr = output_nr


class Node:
    """Base of every grad_fn. Edges are ``(node, input_nr, shape, dtype)`` tuples, or None
    for an input that needs no gradient; ``next_functions`` shows them PyTorch's way."""

    _op: Any = None  # the OpDef, set on each op's subclass
    _saved: Any = ()
    _saved_versions: Any = None
    _params: Any = None
    _hooks: Any = None
    _prehooks: Any = None
    _tensor_prehooks: Any = None  # {output_nr: {id: hook}}, tensor.register_hook on non-leaves
    _retain_grad_refs: Any = None  # {output_nr: weakref to a Tensor that retains its grad}
    _anomaly_trace: Any = None
    _next: tuple = ()
    _num_outputs = 1

    def __init__(self) -> None:
        self._seq = next_sequence_nr()

    def name(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        return f"<{type(self).__name__} object at {id(self):#x}>"

    @property
    def next_functions(self) -> tuple[tuple[Node | None, int], ...]:
        return tuple((edge[0], edge[1]) if edge is not None else (None, 0) for edge in self._next)

    @property
    def metadata(self) -> dict[str, Any]:
        meta = self.__dict__.get("_metadata")
        if meta is None:
            meta = self._metadata = {}
        return meta

    def _sequence_nr(self) -> int:
        return self._seq

    def register_hook(self, fn: Callable[..., Any]) -> RemovableHandle:
        """``fn(grad_inputs, grad_outputs)`` runs after the node; it may return new grad_inputs."""
        if self._hooks is None:
            self._hooks = _HookDict()
        handle = RemovableHandle(self._hooks)
        self._hooks[handle.id] = fn
        return handle

    def register_prehook(self, fn: Callable[..., Any]) -> RemovableHandle:
        """``fn(grad_outputs)`` runs before the node; it may return new grad_outputs."""
        if self._prehooks is None:
            self._prehooks = _HookDict()
        handle = RemovableHandle(self._prehooks)
        self._prehooks[handle.id] = fn
        return handle

    def _register_tensor_hook(self, output_nr: int, fn: Callable[..., Any]) -> RemovableHandle:
        if self._tensor_prehooks is None:
            self._tensor_prehooks = {}
        hooks = self._tensor_prehooks.setdefault(output_nr, _HookDict())
        handle = RemovableHandle(hooks)
        hooks[handle.id] = fn
        return handle


class AccumulateGrad(Node):
    """The node through which a leaf receives its gradient. It holds the leaf strongly (the
    leaf holds it weakly), as in PyTorch, so a graph keeps its leaves alive."""

    def __init__(self, variable: Tensor) -> None:
        # Leaves are filled in after every other node (they are only ever sinks).
        self._seq = -1
        self.variable = variable


def grad_accumulator(tensor: Tensor) -> AccumulateGrad:
    """The leaf's AccumulateGrad node, created once and shared by every use of the leaf."""
    ref = tensor._accumulator
    node = ref() if ref is not None else None
    if node is None:
        node = AccumulateGrad(tensor)
        tensor._accumulator = weakref.ref(node)
    return node


def make_node_class(grad_fn_name: str, op: Any) -> type[Node]:
    """One subclass per op, so ``type(t.grad_fn).__name__`` is PyTorch's name."""
    return type(grad_fn_name, (Node,), {"_op": op, "__module__": "bibun.autograd.graph"})
