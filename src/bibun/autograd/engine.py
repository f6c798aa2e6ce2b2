"""The reverse-mode engine: ``backward`` and ``grad``.

No recursion anywhere: the graph is discovered with an explicit stack, then nodes run in
descending creation order, which is a topological order because a node's inputs always
exist before it (docs/design.md, "The engine"). Gradients are NumPy arrays while the engine
runs, or Tensors when ``create_graph=True`` (then every rule runs on Tensors and records).
"""

from __future__ import annotations

import warnings
from operator import attrgetter
from typing import Any, Sequence

import numpy as np

from bibun._size import Size
from bibun._tensor import Tensor, new_tensor
from bibun.autograd import grad_mode
from bibun.autograd.graph import FREED, AccumulateGrad, Node, grad_accumulator
from bibun.ops import _registry, _xp
from bibun.ops._registry import unbroadcast, unpack_saved

_by_sequence = attrgetter("_seq")

_CREATE_GRAPH_WARNING = (
    "Using backward() with create_graph=True will create a reference cycle between the parameter and its "
    "gradient which can cause a memory leak. We recommend using autograd.grad when creating the graph to "
    "avoid this. If you have to use this function, make sure to reset the .grad fields of your parameters "
    "to None after use to break the cycle and avoid the leak."
)


def _as_tuple(x: Any) -> tuple:
    if x is None:
        return ()
    if isinstance(x, Tensor):
        return (x,)
    return tuple(x)


def _root_gradients(outputs: tuple, grad_outputs: tuple, create_graph: bool) -> list:
    """Validate the outputs and their seed gradients: ``[(node, output_nr, grad)]``."""
    if grad_outputs and len(grad_outputs) != len(outputs):
        raise RuntimeError(
            f"grad requires one gradient per output: got {len(grad_outputs)} gradients for {len(outputs)} outputs"
        )
    roots = []
    for i, out in enumerate(outputs):
        if not isinstance(out, Tensor):
            raise TypeError(f"expected a Tensor as output {i}, got {type(out).__name__}")
        if out._base is not None and out._view_version != out._version_counter[0]:
            _registry.refresh_view(out)
        if not out._requires_grad:
            raise RuntimeError(f"element {i} of tensors does not require grad and does not have a grad_fn")
        given = grad_outputs[i] if grad_outputs else None
        if given is None:
            if out._data.size != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            if out._data.dtype.kind not in "fc":
                raise RuntimeError(f"grad can be implicitly created only for real scalar outputs but got {out.dtype!r}")
            seed = np.ones_like(out._data)
            grad = new_tensor(seed) if create_graph else seed
        else:
            if not isinstance(given, Tensor):
                given = new_tensor(np.asarray(given, dtype=out._data.dtype))
            if given._data.shape != out._data.shape:
                raise RuntimeError(
                    f"Mismatch in shape: grad_output[{i}] has a shape of {Size(given._data.shape)} and "
                    f"output[{i}] has a shape of {Size(out._data.shape)}."
                )
            if given._data.dtype != out._data.dtype:
                given = given.to(out.dtype)
            grad = given if create_graph else given._data
        node = out._grad_fn if out._grad_fn is not None else grad_accumulator(out)
        roots.append((node, out._output_nr, grad))
    return roots


def _target_key(t: Tensor, index: int) -> tuple:
    if not isinstance(t, Tensor):
        raise TypeError(
            f"expected the inputs to differentiate with respect to to be Tensors, got {type(t).__name__} at index {index}"
        )
    if t._base is not None and t._view_version != t._version_counter[0]:
        _registry.refresh_view(t)
    if not t._requires_grad:
        raise RuntimeError("One of the differentiated Tensors does not require grad")
    if t._grad_fn is None:
        return (grad_accumulator(t), 0)
    return (t._grad_fn, t._output_nr)


def _discover(roots: list) -> list[Node]:
    """Every node reachable from the roots, found with an explicit stack."""
    seen: set[int] = set()
    nodes = []
    stack = [r[0] for r in roots]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        nodes.append(node)
        for edge in node._next:
            if edge is not None and id(edge[0]) not in seen:
                stack.append(edge[0])
    return nodes


def _needed(nodes: list[Node], target_nodes: set[int]) -> set[int]:
    """The nodes whose rules must run to reach a target: those with a needed node below.
    Children have lower sequence numbers, so one ascending pass settles every node."""
    needed: set[int] = set()
    for node in sorted(nodes, key=_by_sequence):
        if id(node) in target_nodes or any(e is not None and id(e[0]) in needed for e in node._next):
            needed.add(id(node))
    return needed


def run_backward(
    outputs: Any,
    grad_outputs: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    inputs: Sequence[Tensor] | None = None,
    accumulate: bool = True,
) -> list[Any]:
    """The one engine loop behind ``backward`` (accumulate into ``.grad``) and ``grad``
    (return the gradients of ``inputs``)."""
    outputs = _as_tuple(outputs)
    roots = _root_gradients(outputs, _as_tuple(grad_outputs), create_graph)
    if retain_graph is None:
        retain_graph = create_graph
    targets = [_target_key(t, i) for i, t in enumerate(inputs)] if inputs is not None else None
    nodes = _discover(roots)
    nodes.sort(key=_by_sequence, reverse=True)
    needed = None
    captured: dict[tuple[int, int], Any] = {}
    if targets is not None:
        needed = _needed(nodes, {id(node) for node, _ in targets})
        capture_keys = {(id(node), nr) for node, nr in targets}
    xp = _xp.TENSOR if create_graph else _xp.NUMPY

    buffers: dict[int, list] = {}
    for node, nr, grad in roots:
        _accumulate_into(buffers, node, nr, grad)

    token = grad_mode._state.set((create_graph, False))
    try:
        for node in nodes:
            grads = buffers.pop(id(node), None)
            if grads is None or (needed is not None and id(node) not in needed):
                continue
            if node._tensor_prehooks is not None or node._retain_grad_refs is not None:
                grads = _run_tensor_hooks(node, grads, create_graph)
            if node._prehooks is not None:
                grads = _run_node_prehooks(node, grads, create_graph)
            if targets is not None:
                for nr, g in enumerate(grads):
                    if (id(node), nr) in capture_keys and g is not None:
                        captured[(id(node), nr)] = g
            if type(node) is AccumulateGrad:
                if accumulate and (targets is None or (id(node), 0) in capture_keys):
                    _accumulate_grad(node.variable, grads[0], create_graph)
                    if node._hooks is not None:
                        _run_node_posthooks(node, [], grads, create_graph)
                continue
            if needed is not None and not any(e is not None and id(e[0]) in needed for e in node._next):
                continue  # a target's own node: captured above, nothing below it is wanted
            input_grads = _apply_rules(node, grads, xp, create_graph, needed)
            if node._hooks is not None:
                input_grads = _run_node_posthooks(node, input_grads, grads, create_graph)
            if not retain_graph and node._saved:
                node._saved = FREED
            for edge, g in zip(node._next, input_grads):
                if g is not None and edge is not None:
                    _accumulate_into(buffers, edge[0], edge[1], unbroadcast(xp, g, edge[2], edge[3]))
    finally:
        grad_mode._state.reset(token)

    if targets is None:
        return []
    if accumulate:
        for t, key in zip(inputs, targets):  # non-leaf inputs of backward(inputs=...) keep their grad
            if t._grad_fn is not None and (id(key[0]), key[1]) in captured:
                _accumulate_grad(t, captured[(id(key[0]), key[1])], create_graph)
        return []
    return [captured.get((id(node), nr)) for node, nr in targets]


def _accumulate_into(buffers: dict, node: Node, nr: int, grad: Any) -> None:
    slot = buffers.get(id(node))
    if slot is None:
        slot = buffers[id(node)] = [None] * node._num_outputs
    previous = slot[nr]
    slot[nr] = grad if previous is None else previous + grad


def _apply_rules(node: Node, grads: list, xp: Any, create_graph: bool, needed: set | None) -> list:
    op = node._op
    if op is None:  # a Function or CopySlices node: it runs its own backward (graph.Node)
        return node._backward(grads, xp, create_graph, needed)
    saved = unpack_saved(node, create_graph)
    params = node._params
    g = grads[0] if len(grads) == 1 else grads
    result = []
    for edge, rule in zip(node._next, op.vjp):
        if edge is None or rule is None or (needed is not None and id(edge[0]) not in needed):
            result.append(None)
        elif params:
            result.append(rule(xp, g, *saved, **params))
        else:
            result.append(rule(xp, g, *saved))
    return result


def _accumulate_grad(variable: Tensor, grad: Any, create_graph: bool) -> None:
    """Add into a leaf's ``.grad``: the first gradient is stored (a copy, since rules may hand
    back arrays that others share), later ones are added in place, as PyTorch does."""
    current = variable._grad
    if create_graph:
        variable._grad = grad if current is None else current + grad
    elif current is None:
        variable._grad = new_tensor(np.array(grad, copy=True))
    elif current._requires_grad:
        variable._grad = new_tensor(current._data + grad)
    else:
        current._data += grad
        current._bump_version()
    for hook in (variable._post_accumulate_hooks or {}).values():
        hook(variable)


def _as_user_tensor(g: Any) -> Tensor:
    return g if isinstance(g, Tensor) else new_tensor(g)


def _from_user(value: Any, create_graph: bool) -> Any:
    if value is None or create_graph:
        return value
    return value._data if isinstance(value, Tensor) else np.asarray(value)


def _run_tensor_hooks(node: Node, grads: list, create_graph: bool) -> list:
    """Hooks registered with ``tensor.register_hook`` run first, in registration order; then
    a ``retain_grad()`` tensor stores the (possibly replaced) gradient."""
    grads = list(grads)
    for nr, hooks in (node._tensor_prehooks or {}).items():
        if grads[nr] is None:
            continue
        for hook in list(hooks.values()):
            replaced = hook(_as_user_tensor(grads[nr]))
            if replaced is not None:
                grads[nr] = _from_user(replaced, create_graph)
    for nr, ref in (node._retain_grad_refs or {}).items():
        tensor = ref()
        if tensor is not None and grads[nr] is not None:
            _accumulate_grad(tensor, grads[nr], create_graph)
    return grads


def _run_node_prehooks(node: Node, grads: list, create_graph: bool) -> list:
    for hook in list(node._prehooks.values()):
        replaced = hook(tuple(_as_user_tensor(g) if g is not None else None for g in grads))
        if replaced is not None:
            grads = [_from_user(g, create_graph) for g in replaced]
    return grads


def _run_node_posthooks(node: Node, input_grads: list, grads: list, create_graph: bool) -> list:
    for hook in list(node._hooks.values()):
        as_tensors = tuple(_as_user_tensor(g) if g is not None else None for g in input_grads)
        replaced = hook(as_tensors, tuple(_as_user_tensor(g) if g is not None else None for g in grads))
        if replaced is not None:
            input_grads = [_from_user(g, create_graph) for g in replaced]
    return input_grads


# --- the public entry points ------------------------------------------------------------------
def backward(
    tensors: Any,
    grad_tensors: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    grad_variables: Any = None,
    inputs: Any = None,
) -> None:
    """Accumulate the gradients of ``tensors`` into the ``.grad`` of the leaves (or of
    ``inputs`` alone)."""
    if create_graph:
        warnings.warn(_CREATE_GRAPH_WARNING, UserWarning, stacklevel=3)
    if grad_tensors is None:
        grad_tensors = grad_variables
    if inputs is not None:
        inputs = _as_tuple(inputs)
        if not inputs:
            raise RuntimeError("'inputs' argument to backward() cannot be empty.")
    run_backward(tensors, grad_tensors, retain_graph, create_graph, inputs=inputs, accumulate=True)


def grad(
    outputs: Any,
    inputs: Any,
    grad_outputs: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    only_inputs: bool = True,
    allow_unused: bool | None = None,
    is_grads_batched: bool = False,
    materialize_grads: bool = False,
) -> tuple[Tensor | None, ...]:
    """The gradients of ``outputs`` with respect to ``inputs``, returned rather than
    accumulated; only the part of the graph between them is run."""
    if is_grads_batched:
        raise NotImplementedError("is_grads_batched: use bibun.func.vmap over autograd.grad")
    if allow_unused is None:
        allow_unused = materialize_grads
    inputs_tuple = _as_tuple(inputs)
    results = run_backward(outputs, grad_outputs, retain_graph, create_graph, inputs=inputs_tuple, accumulate=False)
    final = []
    for i, (t, g) in enumerate(zip(inputs_tuple, results)):
        if g is None:
            if materialize_grads:
                final.append(new_tensor(np.zeros_like(t._data)))
                continue
            if not allow_unused:
                raise RuntimeError(
                    f"The differentiated Tensor at index {i} appears to not have been used in the graph. "
                    "Set allow_unused=True if this is the desired behavior."
                )
            final.append(None)
        else:
            final.append(g if create_graph else new_tensor(g))
    return tuple(final)
