"""The reverse-mode engine: ``backward`` and ``grad``.

No recursion anywhere: the graph is discovered with an explicit stack, then nodes run in
descending creation order, which is a topological order because a node's inputs always
exist before it (docs/design.md, "The engine"). Gradients are NumPy arrays while the engine
runs, or Tensors when ``create_graph=True`` (then every rule runs on Tensors and records).
"""

from __future__ import annotations

import sys
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
_refcount = sys.getrefcount
ndarray = np.ndarray

# Gradients of at least this many elements are added in place when the engine holds the only
# reference to the array (PyTorch steals a gradient whose use count is 1 in the same way):
# no new array per accumulation and no copy into a leaf's .grad. Below it, allocation is
# cheaper than the checks. See docs/design.md, "The engine".
_IN_PLACE_MIN_SIZE = 4096


def _sole_owner(array: Any, references: int) -> bool:
    """True when ``array`` is an ndarray owning its memory, writable, large enough to matter,
    and referenced from at most ``references`` places (counted by the caller)."""
    return (
        type(array) is ndarray
        and array.size >= _IN_PLACE_MIN_SIZE
        and array.base is None
        and array.flags.writeable
        and _refcount(array) <= references
    )


# PyTorch never warns about inf/nan arising in backward (0 * inf, log(0) inside a rule), so
# NumPy's floating-point warnings are off while the engine runs. NumPy keeps that state in a
# context variable: setting it directly costs a fifth of np.errstate's enter and exit.
try:
    from numpy._core._ufunc_config import _extobj_contextvar, _make_extobj

    _QUIET = _make_extobj(all="ignore")

    def _quiet_numpy() -> Any:
        return _extobj_contextvar.set(_QUIET)

    def _restore_numpy(token: Any) -> None:
        _extobj_contextvar.reset(token)

except ImportError:  # another NumPy layout: the public, slower way

    def _quiet_numpy() -> Any:
        state = np.errstate(all="ignore")
        state.__enter__()
        return state

    def _restore_numpy(token: Any) -> None:
        token.__exit__(None, None, None)


_CREATE_GRAPH_WARNING = (
    "Using backward() with create_graph=True will create a reference cycle between the parameter and its "
    "gradient which can cause a memory leak. We recommend using autograd.grad when creating the graph to "
    "avoid this. If you have to use this function, make sure to reset the .grad fields of your parameters "
    "to None after use to break the cycle and avoid the leak."
)

_create_graph_warned: list[bool] = []


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
        edge = _registry._edge(out)
        if edge is None:
            raise RuntimeError(f"element {i} of tensors does not require grad and does not have a grad_fn")
        given = grad_outputs[i] if grad_outputs else None
        if given is None:
            if out._data.size != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            if out._data.dtype.kind not in "fc":
                raise RuntimeError(f"grad can be implicitly created only for real scalar outputs but got {out.dtype!r}")
            data = out._data
            if create_graph:
                grad = new_tensor(np.ones(data.shape, data.dtype))
            else:  # a 0-d seed is a NumPy scalar: see unpack_saved
                grad = data.dtype.type(1) if data.shape == () else np.ones(data.shape, data.dtype)
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
            if not create_graph and grad.shape == ():
                grad = grad[()]
        roots.append((edge[0], edge[1], grad))
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
    """Every node reachable from the roots, found with an explicit stack, in the order the
    engine runs them: highest sequence number first (docs/design.md, "The engine")."""
    seen = {r[0] for r in roots}
    stack = list(seen)
    add = seen.add
    while stack:
        for edge in stack.pop()._next:
            if edge is not None and edge[0] not in seen:
                add(edge[0])
                stack.append(edge[0])
    return sorted(seen, key=_by_sequence, reverse=True)


def _needed(nodes: list[Node], target_nodes: set[Node]) -> set[Node]:
    """The nodes whose rules must run to reach a target: those with a needed node below.
    Children have lower sequence numbers, so one ascending pass settles every node."""
    needed: set[Node] = set()
    for node in reversed(nodes):
        if node in target_nodes or any(e is not None and e[0] in needed for e in node._next):
            needed.add(node)
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
    needed = capture_keys = None
    captured: dict[tuple[Node, int], Any] = {}
    if targets is not None:
        needed = _needed(nodes, {node for node, _ in targets})
        capture_keys = set(targets)
    xp = _xp.TENSOR if create_graph else _xp.NUMPY
    apply_rules = _apply_rules  # read once: anomaly mode swaps in a checking runner

    buffers: dict[Node, list] = {}
    for node, nr, grad in roots:
        _accumulate_into(buffers, node, nr, grad)
    pop = buffers.pop

    token = grad_mode._state.set((create_graph, False))
    numpy_state = _quiet_numpy()
    try:
        for node in nodes:
            grads = pop(node, None)
            if grads is None or (needed is not None and node not in needed):
                continue
            if node._tensor_prehooks is not None or node._retain_grad_refs is not None:
                grads = _run_tensor_hooks(node, grads, create_graph)
            if node._prehooks is not None:
                grads = _run_node_prehooks(node, grads, create_graph)
            if capture_keys is not None:
                for nr, g in enumerate(grads):
                    if g is not None and (node, nr) in capture_keys:
                        captured[(node, nr)] = g
            if type(node) is AccumulateGrad:
                if accumulate and (capture_keys is None or (node, 0) in capture_keys):
                    _accumulate_grad(node.variable, grads[0], create_graph)
                    if node._hooks is not None:
                        _run_node_posthooks(node, [], grads, create_graph)
                continue
            if needed is not None and not any(e is not None and e[0] in needed for e in node._next):
                continue  # a target's own node: captured above, nothing below it is wanted
            input_grads = apply_rules(node, grads, xp, create_graph, needed)
            if node._hooks is not None:
                input_grads = _run_node_posthooks(node, input_grads, grads, create_graph)
            if not retain_graph and node._saved:
                node._saved = FREED
            for edge, g in zip(node._next, input_grads):
                if g is None or edge is None:
                    continue
                target, nr, shape, dtype = edge
                if g.shape != shape or g.dtype != dtype:
                    g = unbroadcast(xp, g, shape, dtype)
                slot = buffers.get(target)
                if slot is None:
                    if target._num_outputs == 1:
                        buffers[target] = [g]
                        continue
                    slot = buffers[target] = [None] * target._num_outputs
                previous = slot[nr]
                if previous is None:
                    slot[nr] = g
                elif _sole_owner(previous, 4):  # the slot, `previous`, the parameter, getrefcount's
                    previous += g
                    previous = None  # a stale local would count as one more owner later
                else:
                    slot[nr] = previous + g
            # Stale locals would count as owners of these gradients when a leaf stores them.
            input_grads = g = None
    finally:
        _restore_numpy(numpy_state)
        grad_mode._state.reset(token)

    if targets is None:
        return []
    if accumulate:
        for t, key in zip(inputs, targets):  # non-leaf inputs of backward(inputs=...) keep their grad
            if t._grad_fn is not None and key in captured:
                _accumulate_grad(t, captured[key], create_graph)
        return []
    return [captured.get(key) for key in targets]


def _accumulate_into(buffers: dict, node: Node, nr: int, grad: Any) -> None:
    slot = buffers.get(node)
    if slot is None:
        slot = buffers[node] = [None] * node._num_outputs
    previous = slot[nr]
    slot[nr] = grad if previous is None else previous + grad


def _apply_rules(node: Node, grads: list, xp: Any, create_graph: bool, needed: set | None) -> list:
    op = node._op
    if op is None:  # a Function or CopySlices node: it runs its own backward (graph.Node)
        return node._backward(grads, xp, create_graph, needed)
    saved = node._saved
    if saved:
        saved = unpack_saved(node, create_graph)
    params = node._params
    g = grads[0] if node._num_outputs == 1 else grads
    edges, vjps = node._next, op.vjp
    if needed is None and params is None:
        # The common case. One- and two-input ops are unrolled: a list comprehension is a
        # function call of its own on every node, about a tenth of a small backward.
        count = len(edges)
        if count == 1 and vjps:
            rule = vjps[0]
            return [None if edges[0] is None or rule is None else rule(xp, g, *saved)]
        if count == 2 and len(vjps) >= 2:
            rule_a, rule_b = vjps[0], vjps[1]
            return [
                None if edges[0] is None or rule_a is None else rule_a(xp, g, *saved),
                None if edges[1] is None or rule_b is None else rule_b(xp, g, *saved),
            ]
        return [None if edge is None or rule is None else rule(xp, g, *saved) for edge, rule in zip(edges, vjps)]
    result = []
    for edge, rule in zip(edges, vjps):
        if edge is None or rule is None or (needed is not None and edge[0] not in needed):
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
        if current is None and isinstance(grad, Tensor) and grad._requires_grad:
            # PyTorch stores a recorded copy (grad_fn CopyBackwards), not the tensor itself.
            grad = new_tensor(np.empty_like(grad._data)).copy_(grad)
        variable._grad = grad if current is None else current + grad
    elif current is None:
        # The popped buffer list, `grad`, `_sole_owner`'s parameter and getrefcount's argument:
        # four references mean nobody else holds it (tests/test_engine.py checks the count).
        owned = _sole_owner(grad, 4)
        variable._grad = new_tensor(grad if owned else np.array(grad, copy=True))
    elif current._requires_grad:
        variable._grad = new_tensor(current._data + grad)
    else:
        current._data += grad
        counter = current._version_counter
        if counter is None:
            current._version_counter = [1]
        else:
            counter[0] += 1
    hooks = variable._post_accumulate_hooks
    if hooks:
        for hook in list(hooks.values()):
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
    if create_graph and not _create_graph_warned:
        _create_graph_warned.append(True)  # PyTorch warns once per process (TORCH_WARN_ONCE)
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
        return _batched_grad(outputs, inputs, grad_outputs, retain_graph, create_graph, allow_unused, materialize_grads)
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


def _batched_grad(
    outputs: Any,
    inputs: Any,
    grad_outputs: Any,
    retain_graph: bool | None,
    create_graph: bool,
    allow_unused: bool | None,
    materialize_grads: bool,
) -> tuple[Tensor | None, ...]:
    """``grad(..., is_grads_batched=True)``: the first dimension of every grad_output indexes
    a batch of vector-Jacobian products. One backward pass per row over the retained graph
    (PyTorch batches this with vmap; the results are the same), stacked along dim 0."""
    from bibun.ops.shape import stack

    outputs_tuple, seeds = _as_tuple(outputs), _as_tuple(grad_outputs)
    if len(seeds) != len(outputs_tuple) or any(not isinstance(s, Tensor) or s.dim() == 0 for s in seeds):
        raise RuntimeError(
            "If `is_grads_batched=True`, we interpret the first dimension of each grad_output as the batch dimension. The sizes of grad_outputs must be at least 1-dimensional."
        )
    rows = {s.shape[0] for s in seeds}
    if len(rows) != 1:
        raise RuntimeError("If `is_grads_batched=True`, every grad_output must have the same first dimension.")
    (count,) = rows
    if count == 0:  # PyTorch indexes the first row and fails the same way
        raise IndexError("index 0 is out of bounds for dimension 0 with size 0")
    per_row = []
    for b in range(count):
        keep = True if b < count - 1 else retain_graph
        per_row.append(
            grad(
                outputs_tuple,
                inputs,
                [s[b] for s in seeds],
                keep,
                create_graph,
                True,
                allow_unused,
                False,
                materialize_grads,
            )
        )
    return tuple(None if row[0] is None else stack(list(row)) for row in zip(*per_row))
