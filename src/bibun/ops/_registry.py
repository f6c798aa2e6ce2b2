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

from bibun import _dtype
from bibun._tensor import Tensor, new_tensor
from bibun.autograd import grad_mode
from bibun.autograd.graph import FREED, Node, SavedOutput, SavedPacked, grad_accumulator, make_node_class

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
        "reads",
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
        reads: tuple[tuple[int, ...], ...] | None = None,
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
        self.reads = reads
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
    reads: tuple[tuple[int, ...], ...] | None = None,
) -> OpDef:
    """Declare an op. ``save`` is one of NOTHING, INPUTS, OUTPUT, INPUTS_AND_OUTPUT, or a
    function ``(arrays, out, params) -> tuple`` of derived constants (masks, indices) that
    are saved instead. ``view=True`` marks ops whose result shares memory with input 0.
    ``reads`` (with INPUTS): for each input's rule, the inputs it reads; then only the inputs
    that the rules of inputs requiring grad read are saved (the others are saved as None), as
    PyTorch saves only what the needed gradients use."""
    if name in OPS:
        raise ValueError(f"op {name!r} is declared twice")
    op = OpDef(name, grad_fn, primal, tuple(vjp), jvp, save, view, outputs, differentiable_outputs, reads)
    OPS[name] = op
    return op


def _edge(x: Any) -> tuple | None:
    """Where the gradient of ``x`` goes: ``(node, output_nr, shape, dtype)`` with its grad_fn, or
    its AccumulateGrad for a leaf; None when it goes nowhere (``_record`` inlines this)."""
    if type(x) is not Tensor and not isinstance(x, Tensor):
        return None
    if x._base is not None and x._view_version != x._version_counter[0]:
        refresh_view(x)
    if not x._requires_grad:
        return None
    node = x._grad_fn
    if node is None:
        if x._view_made_without_grad:
            return None  # requires grad, but its gradient reaches nothing, as in PyTorch
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
            if a._base is not None and a._view_version != a._version_counter[0]:
                refresh_view(a)  # written since its grad_fn was set (docs/mechanics.md, "In-place operations")
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
            _make_view(result, args[0], grad_enabled)
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
            _make_view(r, args[0], grad_enabled)
            if record:  # PyTorch refuses in-place writes to these (ops/inplace.py, write)
                r._multi_view_of = (i, op)
    if record:
        _record(op, args, arrays, params, results, out)
    if forward_hook[0] is not None:
        forward_hook[0](op, args, arrays, params, results, out)
    return results


def _make_view(result: Tensor, base: Tensor, grad_enabled: bool = True) -> None:
    """A view shares its base's version counter, so a write through either is seen by both.
    ``_base`` is always the root (the tensor that owns the memory); ``_view_version`` is the
    version at which the view's grad_fn was last valid."""
    data, source = result._data, base._data
    owner, source_owner = data.base, source.base
    if (owner if owner is not None else data) is not (source_owner if source_owner is not None else source):
        if not np.may_share_memory(data, source):
            return  # NumPy had to copy (reshape of a non-contiguous array): not a view, as in PyTorch
    counter = base._version_counter
    if counter is None:
        counter = base._version_counter = [0]
    result._version_counter = counter
    result._base = base._base if base._base is not None else base
    if counter[0]:
        result._view_version = counter[0]
    if not grad_enabled:
        result._view_made_without_grad = True
        if base._requires_grad:
            # PyTorch: a view made under no_grad of a tensor that requires grad is a leaf that
            # requires grad (its gradient does not reach the base).
            result._requires_grad = True


def refresh_view(view: Tensor) -> None:
    """Bring a view's grad_fn up to date after a write to its memory (replaced by
    ops/inplace.py with the version that rebuilds the grad_fn from the base's history)."""
    view._view_version = view._version_counter[0]


def _record(op: OpDef, args: tuple, arrays: list, params: dict | None, results: tuple, out: Any) -> Node:
    """Create the op's node: its edges, params and saved values. One pass over the inputs
    builds the edges and, when the op saves its inputs, their versions too (this runs for
    every recorded op)."""
    if results[0]._data.dtype.kind == "c":
        raise RuntimeError(_dtype.COMPLEX_GRADIENTS_UNSUPPORTED)
    node = op.node_cls()
    save = op.save
    saves_inputs = save is INPUTS or save is INPUTS_AND_OUTPUT
    reads = op.reads
    edges = []
    versions = None
    for i, a in enumerate(args):
        if not isinstance(a, Tensor):
            edges.append(None)
            continue
        if a._requires_grad:  # _edge(a), inlined
            node_of_a = a._grad_fn
            if node_of_a is None and not a._view_made_without_grad:
                node_of_a = grad_accumulator(a)
            # A view made under no_grad requires grad but passes its gradient nowhere (PyTorch).
            data = a._data
            edges.append(None if node_of_a is None else (node_of_a, a._output_nr, data.shape, data.dtype))
        else:
            edges.append(None)
        if saves_inputs:
            version = _mark_saved(a)
            if version:
                if versions is None:
                    versions = [0] * len(args)
                versions[i] = version
    if reads is not None and saves_inputs and None in edges:
        # Some input needs no gradient: keep only what the needed rules read.
        args = _save_read_inputs(args, edges, reads)
    node._next = tuple(edges)
    if len(results) != 1:
        node._num_outputs = len(results)
    if params:
        node._params = params
    if save is NOTHING:
        pass
    elif save is INPUTS:
        node._saved = args
        if versions is not None:
            node._saved_versions = tuple(versions)
    elif save is OUTPUT:
        node._saved = _save_outputs(results)
    elif save is INPUTS_AND_OUTPUT:
        node._saved = args + _save_outputs(results)
        if versions is not None:
            node._saved_versions = tuple(versions)
    else:
        node._saved = save(arrays, out, params or {})
    for r in results:
        if r._requires_grad:
            r._grad_fn = node
    return node


def _save_read_inputs(args: tuple, edges: list, reads: tuple) -> tuple:
    """``args`` with None in place of the inputs no needed rule reads (``defop(reads=...)``):
    ``x * w`` with only ``w`` requiring grad keeps ``x`` alone. Versions were taken for every
    input already; a None entry is never checked."""
    needed: set[int] = set()
    for i, edge in enumerate(edges):
        if edge is not None:
            needed.update(reads[i])
    return tuple(a if i in needed else None for i, a in enumerate(args))


def _save_outputs(results: tuple) -> tuple:
    """The op's outputs as saved for backward: array and version counter, not the Tensor,
    which refers to the node (docs/design.md, "Rules run on arrays and on Tensors"). The
    counter is prepared as ``_mark_saved`` does, inlined (an op's fresh output is never an
    inference tensor, and this runs for every op that saves its output)."""
    saved = []
    for i, r in enumerate(results):
        counter = r._version_counter
        if counter is None:
            counter = r._version_counter = [0, None]
        elif len(counter) == 1:
            counter.append(None)
        saved.append(SavedOutput(r._data, counter, r._requires_grad, i, counter[0]))
    return tuple(saved)


def _mark_saved(tensor: Tensor) -> int:
    """Prepare ``tensor`` to be saved for backward and return its version.

    A version counter is ``[version]``, or ``[version, writes]`` once the tensor has been
    saved for backward: only then does an in-place write spend time noting where it happened
    (for the error message), so tensors nobody saved pay nothing (docs/mechanics.md,
    "Versions"). Inference tensors may never be saved (PyTorch's rule)."""
    if tensor._is_inference:
        raise RuntimeError(
            "Inference tensors cannot be saved for backward. Please do not use Tensors created in inference "
            "mode in computation tracked by autograd. To work around this, you can make a clone to get a normal "
            "tensor and use it in autograd, or use `bibun.no_grad()` instead of `bibun.inference_mode()`."
        )
    counter = tensor._version_counter
    if counter is None:
        tensor._version_counter = [0, None]
        return 0
    if len(counter) == 1:
        counter.append(None)
    return counter[0]


def _versions(args: tuple) -> tuple | None:
    """The saved inputs' versions, or None when all are at version 0 (the common case)."""
    versions = [_mark_saved(a) if isinstance(a, Tensor) else 0 for a in args]
    return tuple(versions) if any(versions) else None


def unpack_saved(node: Node, create_graph: bool) -> Any:
    """The node's saved values as its rules take them: arrays at first order, Tensors with
    create_graph. Raises PyTorch's errors for freed values and in-place modification.

    The loop below is the common case (first order, nothing modified, no saved-tensor hooks);
    anything else goes to ``_unpack_checked``, which handles every case. At first order a 0-d
    array is handed to the rules as a NumPy scalar: arithmetic on those is about ten times
    cheaper than on 0-d arrays, with the same dtype rules (docs/design.md, "The engine")."""
    saved = node._saved
    if create_graph or saved is FREED or node._saved_versions is not None:
        return _unpack_checked(node, create_graph)
    unpacked = []
    for value in saved:
        kind = type(value)
        if kind is Tensor:
            counter = value._version_counter
            if counter is not None and counter[0]:
                return _unpack_checked(node, create_graph)
            data = value._data
            unpacked.append(data[()] if data.shape == () else data)
        elif kind is SavedOutput:
            if value.version_counter[0] != value.version:
                return _unpack_checked(node, create_graph)
            data = value.data
            unpacked.append(data[()] if data.shape == () else data)
        elif kind is SavedPacked or isinstance(value, Tensor):
            return _unpack_checked(node, create_graph)
        else:
            unpacked.append(value)
    return unpacked


def _unpack_checked(node: Node, create_graph: bool) -> tuple:
    """``unpack_saved`` for every case, with the version checks and their errors."""
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
            if value.version_counter[0] != value.version:
                _raise_modified(node, None, value.version, value)
            if create_graph:
                t = new_tensor(value.data, value.requires_grad)
                if value.requires_grad:
                    t._grad_fn = node
                    t._output_nr = value.output_nr
                t._version_counter = value.version_counter
                unpacked.append(t)
            else:
                unpacked.append(value.data)
        elif type(value) is SavedPacked:
            unpacked.append(value.unpack(create_graph, node))
        else:
            unpacked.append(value)
    return tuple(unpacked)


def _raise_modified(node: Node, tensor: Tensor | None, expected: int, output: SavedOutput | None = None) -> None:
    """PyTorch's error, followed by what PyTorch cannot say: which op saved the tensor and the
    file and line of the in-place write that moved it past the saved version."""
    if output is not None:
        data, counter = output.data, output.version_counter
        what = f", which is output {output.output_nr} of {_forward_name(node)},"
    else:
        data, counter = tensor._data, tensor._version_counter
        what = f", which is output {tensor._output_nr} of {_forward_name(tensor._grad_fn)}," if tensor._grad_fn else ""
    version = counter[0] if counter is not None else 0
    from bibun.autograd import anomaly_mode

    if anomaly_mode.is_anomaly_enabled():
        hint = (
            "Hint: the backtrace further above shows the operation that failed to compute its gradient. "
            "The variable in question was changed in there or anywhere later. Good luck!"
        )
    else:
        hint = (
            "Hint: enable anomaly detection to find the operation that failed to compute its gradient, with "
            "bibun.autograd.set_detect_anomaly(True, check_nan=False)."
        )
    detail = f"\nIt was saved for backward by {node.name()}"
    write = _write_that_bumped(counter, expected)
    if write is not None:
        filename, lineno, function, source = write
        detail += f" and then modified in place at {filename}:{lineno}, in {function}"
        detail += f":\n    {source}" if source else "."
    else:
        detail += "."
    raise RuntimeError(
        "one of the variables needed for gradient computation has been modified by an inplace operation: "
        f"[bibun.{_dtype.scalar_type_name(data.dtype)}Tensor [{', '.join(map(str, data.shape))}]]{what} is at version {version}; "
        f"expected version {expected} instead. {hint}{detail}"
    )


def _forward_name(node: Node) -> str:
    """PyTorch names the forward op here: ``Exp`` for ExpBackward0."""
    name = node.name()
    cut = name.rfind("Backward")
    return name[:cut] if cut > 0 and (name[cut + 8 :].isdigit() or cut + 8 == len(name)) else name


def _write_that_bumped(counter: list | None, expected: int) -> tuple | None:
    """The recorded in-place write that took the counter from ``expected`` to the next
    version (else the latest recorded one): ``(filename, lineno, function, source line)``."""
    writes = counter[1] if counter is not None and len(counter) > 1 else None
    if not writes:
        return None
    chosen = writes[-1]
    for entry in writes:
        if entry[0] == expected + 1:
            chosen = entry
            break
    import linecache

    _, filename, lineno, function = chosen
    return filename, lineno, function, linecache.getline(filename, lineno).strip()


def unbroadcast(xp: Any, grad: Any, shape: tuple, dtype: Any) -> Any:
    """Undo broadcasting: sum ``grad`` down to an input's shape and cast to its dtype. The only
    place broadcasting is undone (docs/design.md, "Broadcasting")."""
    if grad.shape != shape:
        grad = xp.sum_to(grad, shape)
    if getattr(grad, "_data", grad).dtype != dtype:
        grad = xp.astype(grad, dtype)
    return grad
