"""Custom autograd Functions (``bibun.autograd.Function``): a forward written with any code
and a hand-written backward, with PyTorch's API (docs/mechanics.md, "Custom Functions").

Each Function subclass gets a node class named ``<ClassName>Backward``; the node *is* the
``ctx`` of forward and backward, as in PyTorch. The node has no OpDef: the engine calls its
``_backward``, which hands the gradients to the user's ``backward`` as Tensors. With
``create_graph=True`` that backward runs with grad mode on, so a backward written with bibun
ops is itself differentiable (double backward).
"""

from __future__ import annotations

import functools
from typing import Any, Callable

import numpy as np

from bibun._tensor import Tensor, new_tensor
from bibun.autograd import grad_mode
from bibun.autograd.graph import Node, SavedOutput
from bibun.ops import _registry
from bibun.ops.inplace import bump_version

__all__ = ["Function", "FunctionCtx", "once_differentiable", "InplaceFunction"]


class FunctionCtx:
    """What ``forward``/``setup_context`` and ``backward`` receive as ``ctx``."""

    to_save: tuple = ()
    needs_input_grad: tuple = ()
    materialize_grads: bool = True
    _dirty: tuple = ()
    _non_differentiable: tuple = ()

    def save_for_backward(self, *tensors: Tensor | None) -> None:
        """Keep tensors (inputs, outputs or None) for backward, with in-place checks."""
        for t in tensors:
            if t is not None and not isinstance(t, Tensor):
                raise TypeError(
                    "save_for_backward can only save variables, but argument "
                    f"{tensors.index(t)} is of type {type(t).__name__}"
                )
        self.to_save = tensors

    def save_for_forward(self, *tensors: Tensor | None) -> None:
        self.saved_for_forward = tensors

    def mark_dirty(self, *args: Tensor) -> None:
        """These inputs were modified in place by forward (and are returned as outputs)."""
        self._dirty = args

    def mark_non_differentiable(self, *args: Tensor) -> None:
        """These outputs get no gradient (backward still receives a zero for them)."""
        self._non_differentiable = args

    def set_materialize_grads(self, value: bool) -> None:
        """With False, backward receives None (not zeros) for outputs that got no gradient."""
        self.materialize_grads = bool(value)

    @property
    def saved_tensors(self) -> tuple:
        if self._saved is None:
            return ()
        return tuple(v if isinstance(v, Tensor) or v is None else v for v in _registry.unpack_saved(self, True))

    saved_variables = saved_tensors


class BackwardCFunction(FunctionCtx, Node):
    """Base of the ``<ClassName>Backward`` nodes."""

    _forward_cls: Any = None
    _saved: Any = None
    _output_meta: tuple = ()  # (shape, dtype) per output, None for non-tensor outputs

    def __repr__(self) -> str:
        return f"<bibun.autograd.function.{type(self).__name__} object at {id(self):#x}>"

    def apply(self, *grads: Any) -> Any:
        return self._forward_cls.backward(self, *grads)

    def _backward(self, grads: list, xp: Any, create_graph: bool, needed: Any) -> list:
        tensors = []
        for g, meta in zip(grads, self._output_meta):
            if g is None:
                if self.materialize_grads and meta is not None:
                    g = np.zeros(meta[0], dtype=meta[1])
                else:
                    tensors.append(None)
                    continue
            tensors.append(g if isinstance(g, Tensor) else new_tensor(g))
        results = self._forward_cls.backward(self, *tensors)
        if not isinstance(results, tuple):
            results = (results,)
        edges = self._next
        if len(results) < len(edges) or any(r is not None for r in results[len(edges) :]):
            raise RuntimeError(
                f"function {self.name()} returned an incorrect number of gradients (expected {len(edges)}, "
                f"got {len(results)})"
            )
        out = []
        for i, (edge, g) in enumerate(zip(edges, results)):
            if edge is None or g is None:
                out.append(None)
                continue
            if not isinstance(g, Tensor):
                raise TypeError(
                    f"function {self.name()} returned a gradient different than None at position {i + 1}, "
                    f"but the corresponding forward input was not a Variable"
                )
            shape = edge[2]
            if g._data.shape != shape and not _sums_to(g._data.shape, shape):
                raise RuntimeError(
                    f"Function {self.name()} returned an invalid gradient at index {i} - got "
                    f"{list(g._data.shape)} but expected shape compatible with {list(shape)}"
                )
            out.append(g if create_graph else g._data)
        return out


def _sums_to(grad_shape: tuple, shape: tuple) -> bool:
    """Whether a gradient of ``grad_shape`` can be summed down to ``shape`` (broadcasting)."""
    try:
        return np.broadcast_shapes(grad_shape, shape) == grad_shape
    except ValueError:
        return False


class FunctionMeta(type):
    """Gives every Function subclass its own node class, named ``<ClassName>Backward``."""

    def __init__(cls, name: str, bases: tuple, attrs: dict) -> None:
        cls._backward_cls = type(name + "Backward", (BackwardCFunction,), {"_forward_cls": cls})
        super().__init__(name, bases, attrs)


class Function(metaclass=FunctionMeta):
    """Subclass and define ``forward(ctx, *args)`` (or ``forward(*args)`` plus
    ``setup_context(ctx, inputs, output)``) and ``backward(ctx, *grad_outputs)``; call it with
    ``MyFunction.apply(*args)``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError(
            "Legacy autograd function with non-static forward method is deprecated. Please use new-style "
            "autograd function with static forward method. (Example: "
            "https://pytorch.org/docs/stable/autograd.html#torch.autograd.Function)"
        )

    @staticmethod
    def forward(*args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError("You must implement the forward function for custom autograd.Function.")

    @staticmethod
    def setup_context(ctx: Any, inputs: tuple, output: Any) -> Any:
        raise NotImplementedError("setup_context is not implemented.")

    @staticmethod
    def backward(ctx: Any, *grad_outputs: Any) -> Any:
        raise NotImplementedError(
            "You must implement either the backward or vjp method for your custom autograd.Function to use it "
            "with backward mode AD."
        )

    vjp = backward

    @staticmethod
    def jvp(ctx: Any, *grad_inputs: Any) -> Any:
        raise NotImplementedError(
            "You must implement the jvp function for custom autograd.Function to use it with forward mode AD."
        )

    @classmethod
    def apply(cls, *args: Any, **kwargs: Any) -> Any:
        ctx = cls._backward_cls()
        grad_enabled = grad_mode.state_get()[0]
        ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a.requires_grad for a in args)
        record = grad_enabled and any(ctx.needs_input_grad)
        token = grad_mode._state.set((False, grad_mode.state_get()[1]))
        # forward runs on primal values only, as in PyTorch: forward mode goes through ``jvp``.
        forward_hook, _registry.forward_hook[0] = _registry.forward_hook[0], None
        try:
            if cls.setup_context is not Function.setup_context:
                outputs = cls.forward(*args, **kwargs)
                cls.setup_context(ctx, args, outputs)
            else:
                outputs = cls.forward(ctx, *args, **kwargs)
        finally:
            _registry.forward_hook[0] = forward_hook
            grad_mode._state.reset(token)
        single = not isinstance(outputs, tuple)
        outputs = (outputs,) if single else outputs
        outputs = _wrap_outputs(ctx, args, outputs, record)
        if _registry.forward_hook[0] is not None:
            _forward_mode(cls, ctx, args, outputs)
        return outputs[0] if single else outputs


class InplaceFunction(Function):
    """PyTorch's base for Functions with an ``inplace`` flag."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace


def _wrap_outputs(ctx: BackwardCFunction, args: tuple, outputs: tuple, record: bool) -> tuple:
    """Attach the node to the outputs: dirty inputs are rebased onto it (as an in-place op),
    inputs returned as they are become new tensors sharing memory, non-differentiable
    outputs stay out of the graph."""
    dirty = {id(t) for t in ctx._dirty}
    non_diff = {id(t) for t in ctx._non_differentiable}
    input_ids = {id(a) for a in args if isinstance(a, Tensor)}
    if record:
        for t in ctx._dirty:
            if t._requires_grad and t._grad_fn is None:
                raise RuntimeError("a leaf Variable that requires grad has been used in an in-place operation.")
        edges = tuple(map(_registry._edge, args))  # before dirty inputs are rebased onto this node
    wrapped = []
    meta = []
    for nr, out in enumerate(outputs):
        if not isinstance(out, Tensor):
            wrapped.append(out)
            meta.append(None)
            continue
        if id(out) in input_ids and id(out) not in dirty:
            alias = new_tensor(out._data)
            if out._version_counter is None:
                out._version_counter = [0]
            alias._version_counter = out._version_counter
            out = alias
        elif id(out) not in dirty:
            out._base = None  # a Function's output is its own tensor, not a view of an input
        meta.append((out._data.shape, out._data.dtype))
        if record and id(out) not in non_diff and out._data.dtype.kind in "fc":
            if id(out) in dirty:
                bump_version(out)
            if id(out) in dirty and out._retains_grad and out._grad_fn is not None:
                out._grad_fn._retain_grad_refs.pop(out._output_nr, None)
                out._retains_grad = False
            out._grad_fn, out._output_nr, out._requires_grad = ctx, nr, True
        elif id(out) not in dirty:
            out._requires_grad = False
        wrapped.append(out)
    ctx._output_meta = tuple(meta)
    if record:
        ctx._num_outputs = len(outputs)
        ctx._next = edges
        _save(ctx, wrapped)
    else:
        ctx._saved = tuple(ctx.to_save) if ctx.to_save else None
    return tuple(wrapped)


def _save(ctx: BackwardCFunction, outputs: tuple) -> None:
    """Saved outputs are kept without a reference to the output Tensor (no cycle through the
    node); saved inputs keep their version for the in-place check."""
    if not ctx.to_save:
        ctx._saved = None
        return
    output_ids = {id(o): nr for nr, o in enumerate(outputs) if isinstance(o, Tensor)}
    saved = []
    for t in ctx.to_save:
        if t is not None and id(t) in output_ids and t._grad_fn is ctx:
            version = _registry._mark_saved(t)
            saved.append(SavedOutput(t._data, t._version_counter, True, output_ids[id(t)], version))
        else:
            saved.append(t)
    ctx._saved = tuple(saved)
    ctx._saved_versions = _registry._versions(ctx._saved)
    from bibun.autograd import _saved_hooks

    hooks = _saved_hooks.current_hooks()
    if hooks is not None:
        ctx._saved = _saved_hooks.pack_values(ctx, ctx._saved, hooks)
        ctx._saved_versions = None


def _forward_mode(cls: type, ctx: BackwardCFunction, args: tuple, outputs: tuple) -> None:
    """Forward-mode AD through a Function: its ``jvp`` gets one tangent per input (zeros for
    tensors without one, None for non-tensors) and returns one per output."""
    from bibun.autograd import forward_ad

    levels = sorted({lv for a in args if isinstance(a, Tensor) and a._tangents for lv in a._tangents})
    for level_id in levels:
        if level_id not in forward_ad._open_ids:
            continue
        tangents = []
        for a in args:
            if not isinstance(a, Tensor):
                tangents.append(None)
            elif a._tangents and level_id in a._tangents:
                tangents.append(a._tangents[level_id])
            else:
                tangents.append(new_tensor(np.zeros_like(a._data)))
        results = cls.jvp(ctx, *tangents)
        if not isinstance(results, tuple):
            results = (results,)
        for out, t in zip(outputs, results):
            if isinstance(out, Tensor) and t is not None:
                out._tangents = {**(out._tangents or {}), level_id: t}


def once_differentiable(fn: Callable[..., Any]) -> Callable[..., Any]:
    """For a backward that cannot itself be differentiated: it runs under no_grad, and a
    double backward through its result raises instead of silently giving zeros."""

    @functools.wraps(fn)
    def wrapper(ctx: Any, *args: Any) -> Any:
        create_graph = grad_mode.state_get()[0]
        token = grad_mode._state.set((False, grad_mode.state_get()[1]))
        try:
            outputs = fn(ctx, *args)
        finally:
            grad_mode._state.reset(token)
        if not create_graph:
            return outputs
        inputs = [a for a in args if isinstance(a, Tensor) and a._requires_grad]
        if not inputs:
            return outputs
        single = not isinstance(outputs, tuple)
        results = []
        for out in (outputs,) if single else outputs:
            if isinstance(out, Tensor):
                node = Error()
                node._next = tuple(map(_registry._edge, inputs))
                wrapped = new_tensor(out._data, True)
                wrapped._grad_fn = node
                out = wrapped
            results.append(out)
        return results[0] if single else tuple(results)

    return wrapper


class Error(Node):
    """The grad_fn of a once_differentiable backward's result: differentiating it raises."""

    def name(self) -> str:  # a node with no Python class in PyTorch: named by its C++ namespace
        return "bibun::autograd::Error"

    def _backward(self, grads: list, xp: Any, create_graph: bool, needed: Any) -> list:
        raise RuntimeError("trying to differentiate twice a function that was marked with @once_differentiable")
