"""The op table and ``apply``: the one place that runs an op's primal, records its graph
node and saves what its backward rule needs (docs/design.md, "One op, one entry").

An op is declared once with ``defop``: its grad_fn name, the NumPy primal, one VJP rule per
differentiable input, a JVP rule (or the shorthand "elementwise" / "linear"), and what to
save. Rules are written against an array namespace ``xp``: the engine runs them on NumPy
arrays at first order and on Tensors (``xp = bibun``'s own ops) with ``create_graph=True``,
so every derivative is itself differentiable. Names: ``g`` is the cotangent (the incoming
gradient), ``t`` a tangent, the inputs keep their op's names.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from bibun._tensor import Tensor, new_tensor
from bibun.autograd import grad_mode
from bibun.autograd.graph import FREED, Node, SavedOutput, grad_accumulator, make_node_class

ndarray = np.ndarray
_grad_state = grad_mode.state_get

# What an op saves for backward; its rules receive exactly these, after ``xp`` and ``g``.
NOTHING, INPUTS, OUTPUT, INPUTS_AND_OUTPUT = "nothing", "inputs", "output", "inputs+output"

OPS: dict[str, OpDef] = {}

# Forward-mode AD (autograd/forward_ad.py) puts its tangent-propagation function here while a
# dual level is open: ``hook(op, args, arrays, params, results, out)``. One check per op.
forward_hook: list[Any] = [None]
# bibun.func.vmap puts its batching function here while a vmap is running:
# ``hook(op, args, params, dtype)`` runs the op on batched arguments, or returns NotImplemented.
batch_hook: list[Any] = [None]


class OpDef:
    """One op's entry in the table."""

    __slots__ = (
        "name",
        "grad_fn",
        "primal",
        "vjp",
        "jvp",
        "save",
        "view",
        "outputs",
        "differentiable_outputs",
        "node_cls",
        "__weakref__",
    )

    def __init__(
        self,
        name: str,
        grad_fn: str,
        primal: Callable[..., Any],
        vjp: tuple,
        jvp: Any,
        save: Any,
        view: bool,
        outputs: int,
        differentiable_outputs: tuple[int, ...] | None,
    ) -> None:
        self.name = name
        self.grad_fn = grad_fn
        self.primal = primal
        self.vjp = vjp
        self.jvp = jvp
        self.save = save
        self.view = view
        self.outputs = outputs
        self.differentiable_outputs = differentiable_outputs
        self.node_cls = make_node_class(grad_fn, self)

    def __repr__(self) -> str:
        return f"<op {self.name} ({self.grad_fn})>"


def defop(
    name: str,
    grad_fn: str,
    primal: Callable[..., Any],
    vjp: tuple[Callable[..., Any] | None, ...],
    *,
    save: Any = NOTHING,
    jvp: Any = None,
    view: bool = False,
    outputs: int = 1,
    differentiable_outputs: tuple[int, ...] | None = None,
) -> OpDef:
    """Declare an op. ``save`` is one of NOTHING, INPUTS, OUTPUT, INPUTS_AND_OUTPUT, or a
    function ``(arrays, out, params) -> tuple`` of derived constants (masks, indices) that
    are saved instead. ``view=True`` marks ops whose result shares memory with input 0."""
    if name in OPS:
        raise ValueError(f"op {name!r} is declared twice")
    op = OpDef(name, grad_fn, primal, tuple(vjp), jvp, save, view, outputs, differentiable_outputs)
    OPS[name] = op
    return op


def _edge(x: Any) -> tuple | None:
    if type(x) is not Tensor and not isinstance(x, Tensor):
        return None
    if not x._requires_grad:
        return None
    node = x._grad_fn
    if node is None:
        node = grad_accumulator(x)
    data = x._data
    return (node, x._output_nr, data.shape, data.dtype)


def _version(x: Tensor) -> int:
    counter = x._version_counter
    return counter[0] if counter is not None else 0


def apply(op: OpDef, args: tuple, params: dict[str, Any] | None = None, dtype: np.dtype | None = None) -> Any:
    """Run ``op`` on ``args`` (Tensors and constants) and record a node when grad mode is on
    and an input requires grad. ``dtype``: compute at this dtype (the promoted one)."""
    if batch_hook[0] is not None:
        batched = batch_hook[0](op, args, params, dtype)
        if batched is not NotImplemented:
            return batched
    requires_grad = False
    arrays = []
    for a in args:
        if isinstance(a, Tensor):
            arrays.append(a._data)
            if a._requires_grad:
                requires_grad = True
        else:
            arrays.append(a)
    if dtype is not None:
        arrays = [x.astype(dtype) if type(x) is ndarray and x.dtype != dtype else x for x in arrays]
    out = op.primal(*arrays, **params) if params else op.primal(*arrays)
    grad_enabled, inference = _grad_state()
    record = requires_grad and grad_enabled
    if op.outputs == 1:
        result = new_tensor(out, record)
        if inference:
            result._is_inference = True
        if op.view:
            _make_view(result, args[0])
        if record:
            _record(op, args, arrays, params, (result,), out)
        if forward_hook[0] is not None:
            forward_hook[0](op, args, arrays, params, (result,), out)
        return result
    results = tuple(
        new_tensor(o, record and (op.differentiable_outputs is None or i in op.differentiable_outputs))
        for i, o in enumerate(out)
    )
    for i, r in enumerate(results):
        r._output_nr = i
        if op.view:
            _make_view(r, args[0])
    if record:
        _record(op, args, arrays, params, results, out)
    if forward_hook[0] is not None:
        forward_hook[0](op, args, arrays, params, results, out)
    return results


def _make_view(result: Tensor, base: Tensor) -> None:
    """A view shares its base's version counter, so a write through either is seen by both."""
    counter = base._version_counter
    if counter is None:
        counter = base._version_counter = [0]
    result._version_counter = counter
    result._base = base._base if base._base is not None else base


def _record(op: OpDef, args: tuple, arrays: list, params: dict | None, results: tuple, out: Any) -> None:
    node = op.node_cls()
    node._next = tuple(map(_edge, args))
    if len(results) != 1:
        node._num_outputs = len(results)
    if params:
        node._params = params
    save = op.save
    if save is NOTHING:
        pass
    elif save is INPUTS:
        node._saved = args
        node._saved_versions = _versions(args)
    elif save is OUTPUT:
        node._saved = _save_outputs(results, out, op)
    elif save is INPUTS_AND_OUTPUT:
        node._saved = args + _save_outputs(results, out, op)
        node._saved_versions = _versions(args)
    else:
        node._saved = save(arrays, out, params or {})
    for r in results:
        if r._requires_grad:
            r._grad_fn = node


def _save_outputs(results: tuple, out: Any, op: OpDef) -> tuple:
    saved = []
    for i, r in enumerate(results):
        counter = r._version_counter
        if counter is None:
            counter = r._version_counter = [0]
        saved.append(SavedOutput(r._data, counter, r._requires_grad, i))
    return tuple(saved)


def _versions(args: tuple) -> tuple | None:
    """The saved inputs' versions, or None when all are at version 0 (the common case)."""
    versions = None
    for i, a in enumerate(args):
        if isinstance(a, Tensor):
            if a._is_inference:
                raise RuntimeError(
                    "Inference tensors cannot be saved for backward. To work around you can make a clone "
                    "to get a normal tensor and use it in autograd."
                )
            counter = a._version_counter
            if counter is not None and counter[0]:
                if versions is None:
                    versions = [0] * len(args)
                versions[i] = counter[0]
    return tuple(versions) if versions is not None else None


def unpack_saved(node: Node, create_graph: bool) -> tuple:
    """The node's saved values as its rules take them: arrays at first order, Tensors with
    create_graph. Raises PyTorch's errors for freed values and in-place modification."""
    saved = node._saved
    if saved is FREED:
        raise RuntimeError(
            "Trying to backward through the graph a second time (or directly access saved tensors after "
            "they have already been freed). Saved intermediate values of the graph are freed when you call "
            ".backward() or autograd.grad(). Specify retain_graph=True if you need to backward through the "
            "graph a second time or if you need to access saved tensors after calling backward."
        )
    if not saved:
        return saved
    versions = node._saved_versions
    unpacked = []
    for i, value in enumerate(saved):
        if isinstance(value, Tensor):
            expected = versions[i] if versions is not None else 0
            if _version(value) != expected:
                _raise_modified(node, value, expected)
            unpacked.append(value if create_graph else value._data)
        elif type(value) is SavedOutput:
            if value.version_counter[0] != 0:
                _raise_modified(node, None, 0, value)
            if create_graph:
                t = new_tensor(value.data, value.requires_grad)
                if value.requires_grad:
                    t._grad_fn = node
                    t._output_nr = value.output_nr
                t._version_counter = value.version_counter
                unpacked.append(t)
            else:
                unpacked.append(value.data)
        else:
            unpacked.append(value)
    return tuple(unpacked)


def _raise_modified(node: Node, tensor: Tensor | None, expected: int, output: SavedOutput | None = None) -> None:
    from bibun._dtype import from_numpy_dtype

    if output is not None:
        data, version, what = output.data, output.version_counter[0], f"output {output.output_nr} of {node.name()}"
    else:
        data, version = tensor._data, _version(tensor)
        what = f"output {tensor._output_nr} of {tensor._grad_fn.name()}" if tensor._grad_fn is not None else "a leaf"
    type_name = {"float32": "FloatTensor", "float64": "DoubleTensor", "float16": "HalfTensor"}.get(
        str(data.dtype), "Tensor"
    )
    raise RuntimeError(
        "one of the variables needed for gradient computation has been modified by an inplace operation: "
        f"[bibun.{type_name} [{', '.join(map(str, data.shape))}]], which is {what}, is at version {version}; "
        f"expected version {expected} instead. (saved by {node.name()}; dtype {from_numpy_dtype(data.dtype)!r})"
    )


def unbroadcast(xp: Any, grad: Any, shape: tuple, dtype: Any) -> Any:
    """Undo broadcasting: sum ``grad`` down to an input's shape and cast to its dtype. The only
    place broadcasting is undone (docs/design.md, "Broadcasting")."""
    if grad.shape != shape:
        grad = xp.sum_to(grad, shape)
    if getattr(grad, "_data", grad).dtype != dtype:
        grad = xp.astype(grad, dtype)
    return grad
