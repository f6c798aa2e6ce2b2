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
    rule runs with create_graph. ``version`` is the version the output had when saved (0 for
    a fresh output; the version after the write for an in-place op's result)."""

    __slots__ = ("data", "version_counter", "requires_grad", "output_nr", "version")

    def __init__(
        self, data: Any, version_counter: list, requires_grad: bool, output_nr: int = 0, version: int = 0
    ) -> None:
        self.data = data
        self.version_counter = version_counter
        self.requires_grad = requires_grad
        self.output_nr = output_nr
        self.version = version


class Node:
    """Base of every grad_fn. Edges are ``(node, input_nr, shape, dtype)`` tuples, or None
    for an input that needs no gradient; ``next_functions`` shows them PyTorch's way.

    An op's node runs its OpDef's VJP rules. A node without an OpDef (custom Functions,
    CopySlices) instead defines ``_backward(grads, xp, create_graph, needed)`` returning one
    gradient per edge: the engine calls it in the same place, so the loop has no special
    cases (docs/mechanics.md, "Nodes without an op")."""

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

    def name(self) -> str:  # a node with no Python class in PyTorch: named by its C++ namespace
        return "bibun::autograd::AccumulateGrad"


def grad_accumulator(tensor: Tensor) -> AccumulateGrad:
    """The leaf's AccumulateGrad node, created once and shared by every use of the leaf."""
    ref = tensor._accumulator
    node = ref() if ref is not None else None
    if node is None:
        node = AccumulateGrad(tensor)
        tensor._accumulator = weakref.ref(node)
        if tensor._leaf_hooks is not None:
            node._tensor_prehooks = {0: tensor._leaf_hooks}
    return node


def make_node_class(grad_fn_name: str, op: Any) -> type[Node]:
    """One subclass per op, so ``type(t.grad_fn).__name__`` is PyTorch's name."""
    return type(grad_fn_name, (Node,), {"_op": op, "__module__": "bibun.autograd.graph"})


# --- saved-tensor hooks (docs/mechanics.md, "Saved tensors") ---------------------------------
class SavedPacked:
    """A saved value that went through a ``saved_tensors_hooks`` pack function. Keeps what
    autograd needs to rebuild the Tensor on unpack (its grad_fn and output number), not the
    Tensor itself, so the pack function decides what stays in memory."""

    __slots__ = ("packed", "unpack_hook", "grad_fn", "output_nr", "requires_grad", "is_output", "unpack_first", "early")

    def __init__(
        self, packed: Any, unpack_hook: Callable[[Any], Any], grad_fn: Any, output_nr: int, requires_grad: bool
    ) -> None:
        self.packed = packed
        self.unpack_hook = unpack_hook
        self.grad_fn = grad_fn  # None for the node's own outputs (no cycle): the node is given on unpack
        self.output_nr = output_nr
        self.requires_grad = requires_grad
        self.is_output = False
        # For ops PyTorch saves in another order (``a * b`` packs and unpacks b first), the
        # entry to unpack before this one; its result waits in its ``early`` slot.
        self.unpack_first: SavedPacked | None = None
        self.early: Any = None

    def unpack(self, create_graph: bool, node: Any = None) -> Any:
        from bibun._tensor import Tensor, new_tensor

        if self.unpack_first is not None:
            self.unpack_first.early = self.unpack_first.unpack(create_graph, node)
        if self.early is not None:
            value, self.early = self.early, None
            return value
        value = self.unpack_hook(self.packed)
        if not isinstance(value, Tensor):
            raise TypeError(
                f"Output of saved tensor unpack_hook expected to be a Tensor but got result of type "
                f"{type(value).__name__}"
            )
        if not create_graph:
            return value._data
        grad_fn = node if self.is_output else self.grad_fn
        if value._grad_fn is grad_fn and value._output_nr == self.output_nr:
            return value  # the very tensor that was saved (or one with its history)
        rebuilt = new_tensor(value._data, self.requires_grad)
        if self.requires_grad:
            rebuilt._grad_fn = grad_fn
            rebuilt._output_nr = self.output_nr
        return rebuilt


class saved_tensors_hooks:  # noqa: N801 - PyTorch's name
    """Within this context, every tensor an op saves for backward is passed to ``pack_hook``
    and its result kept instead; ``unpack_hook`` turns it back into a Tensor when backward
    needs it. Hooks nest (the innermost pair applies) and are local to the thread/task."""

    def __init__(self, pack_hook: Callable[[Tensor], Any], unpack_hook: Callable[[Any], Tensor]) -> None:
        self.pack_hook = pack_hook
        self.unpack_hook = unpack_hook

    def __enter__(self) -> saved_tensors_hooks:
        from bibun.autograd import _saved_hooks

        self._token = _saved_hooks.push(self.pack_hook, self.unpack_hook)
        return self

    def __exit__(self, *exc: object) -> None:
        from bibun.autograd import _saved_hooks

        _saved_hooks.pop(self._token)


class save_on_cpu(saved_tensors_hooks):  # noqa: N801 - PyTorch's name
    """Saved tensors are moved to the CPU and back on unpack. bibun runs on the CPU only, so
    this keeps the API of PyTorch's memory tool and costs nothing."""

    def __init__(self, pin_memory: bool = False, device_type: str = "cuda") -> None:
        def pack_to_cpu(tensor: Tensor) -> tuple:
            return (tensor.device, tensor.cpu())

        def unpack_from_cpu(packed: tuple) -> Tensor:
            device, tensor = packed
            return tensor.to(device)

        super().__init__(pack_to_cpu, unpack_from_cpu)


class disable_saved_tensors_hooks:  # noqa: N801 - PyTorch's name
    """Raise ``error_message`` if saved-tensor hooks are used within this context."""

    def __init__(self, error_message: str) -> None:
        self.error_message = error_message

    def __enter__(self) -> None:
        from bibun.autograd import _saved_hooks

        self._token = _saved_hooks.disable(self.error_message)

    def __exit__(self, *exc: object) -> None:
        from bibun.autograd import _saved_hooks

        _saved_hooks.enable(self._token)
