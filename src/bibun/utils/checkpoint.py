"""Activation checkpointing (``bibun.utils.checkpoint.checkpoint``): trade compute for memory
by keeping none of a segment's intermediate values during forward and recomputing the
segment when backward first needs one (docs/mechanics.md, "Saved tensors and checkpointing").

The default (``use_reentrant=False``) is built on ``saved_tensors_hooks``: during forward each
saved tensor is packed as a small handle; the first unpack in backward reruns the segment
(with the random state of the first run) under hooks that collect the saved tensors in the
same order, and every handle is answered from that list, each entry dropped once used.
``use_reentrant=True`` is the older variant: a custom Function whose backward recomputes
the segment and runs a nested backward through it.
"""

from __future__ import annotations

import warnings
from typing import Any, Callable, Iterable

from bibun._tensor import Tensor
from bibun.autograd import grad_mode
from bibun.autograd.function import Function
from bibun.autograd.graph import saved_tensors_hooks

__all__ = ["checkpoint", "checkpoint_sequential"]

_USE_REENTRANT_WARNING = (
    "bibun.utils.checkpoint: the use_reentrant parameter should be passed explicitly. use_reentrant=False is "
    "recommended, but if you need to preserve the current default behavior, you can pass use_reentrant=True. "
    "Refer to docs for more details on the differences between the two variants."
)


def checkpoint(
    function: Callable[..., Any],
    *args: Any,
    use_reentrant: bool | None = None,
    context_fn: Callable[[], Any] | None = None,
    determinism_check: str = "default",
    debug: bool = False,
    preserve_rng_state: bool = True,
    **kwargs: Any,
) -> Any:
    """Run ``function(*args, **kwargs)`` keeping none of its intermediate values for backward;
    they are recomputed when backward needs them. Returns what ``function`` returns."""
    if use_reentrant is None:
        warnings.warn(_USE_REENTRANT_WARNING, UserWarning, stacklevel=2)
        use_reentrant = True
    if use_reentrant:
        if kwargs:
            raise ValueError("Unexpected keyword arguments: " + ",".join(kwargs))
        return CheckpointFunction.apply(function, preserve_rng_state, *args)
    return _checkpoint_without_reentrant(function, preserve_rng_state, args, kwargs)


def _rng_state() -> Any:
    from bibun import _creation

    return _creation.get_rng_state()


def _set_rng_state(state: Any) -> None:
    from bibun import _creation

    _creation.set_rng_state(state)


class _Handle:
    """What a checkpointed segment keeps for each saved tensor: its position."""

    __slots__ = ("index",)

    def __init__(self, index: int) -> None:
        self.index = index


class _Frame:
    """One checkpointed call: how to rerun it and, after a rerun, its saved tensors."""

    def __init__(self, function: Callable[..., Any], args: tuple, kwargs: dict, rng_state: Any) -> None:
        self.function = function
        self.args = args
        self.kwargs = kwargs
        self.rng_state = rng_state
        self.count = 0
        self.recomputed: list | None = None

    def pack(self, tensor: Tensor) -> _Handle:
        handle = _Handle(self.count)
        self.count += 1
        return handle

    def unpack(self, handle: _Handle) -> Tensor:
        if self.recomputed is None or self.recomputed[handle.index] is None:
            self.recompute()
        value = self.recomputed[handle.index]
        self.recomputed[handle.index] = None  # each saved tensor is unpacked once per backward
        return value

    def recompute(self) -> None:
        collected: list = []

        def keep(tensor: Tensor) -> None:
            # A detached alias: holding the tensor itself would hold its grad_fn, whose saved
            # values would hold the tensor again (a cycle only the garbage collector frees).
            collected.append(tensor.detach())

        # Inputs are cut from the outer graph: the rerun only has to produce saved values.
        args = tuple(a.detach().requires_grad_(a.requires_grad) if isinstance(a, Tensor) else a for a in self.args)
        after = _rng_state() if self.rng_state is not None else None
        if self.rng_state is not None:
            _set_rng_state(self.rng_state)
        try:
            with grad_mode.enable_grad(), saved_tensors_hooks(keep, _never_unpacked):
                self.function(*args, **self.kwargs)
        finally:
            if after is not None:
                _set_rng_state(after)
        if len(collected) != self.count:
            raise RuntimeError(
                "torch.utils.checkpoint: A different number of tensors was saved during the original forward and "
                f"recomputation.\nNumber of tensors saved during forward: {self.count}\nNumber of tensors saved "
                f"during recomputation: {len(collected)}"
            )
        self.recomputed = collected


def _never_unpacked(packed: Any) -> Tensor:
    raise RuntimeError("a recomputed checkpoint segment is never differentiated itself")


def _checkpoint_without_reentrant(
    function: Callable[..., Any], preserve_rng_state: bool, args: tuple, kwargs: dict
) -> Any:
    frame = _Frame(function, args, kwargs, _rng_state() if preserve_rng_state else None)
    with saved_tensors_hooks(frame.pack, frame.unpack):
        return function(*args, **kwargs)


class CheckpointFunction(Function):
    """The reentrant variant: forward runs under no_grad; backward reruns the segment with
    grad and backpropagates through it."""

    @staticmethod
    def forward(ctx: Any, function: Callable[..., Any], preserve_rng_state: bool, *args: Any) -> Any:
        ctx.function = function
        ctx.rng_state = _rng_state() if preserve_rng_state else None
        ctx.inputs = [None if isinstance(a, Tensor) else a for a in args]
        ctx.tensor_indices = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        ctx.save_for_backward(*(a for a in args if isinstance(a, Tensor)))
        return function(*args)

    @staticmethod
    def backward(ctx: Any, *grad_outputs: Any) -> Any:
        from bibun.autograd.engine import backward

        inputs = list(ctx.inputs)
        for i, t in zip(ctx.tensor_indices, ctx.saved_tensors):
            inputs[i] = t.detach().requires_grad_(t.requires_grad)
        after = _rng_state() if ctx.rng_state is not None else None
        if ctx.rng_state is not None:
            _set_rng_state(ctx.rng_state)
        try:
            with grad_mode.enable_grad():
                outputs = ctx.function(*inputs)
        finally:
            if after is not None:
                _set_rng_state(after)
        outputs = outputs if isinstance(outputs, tuple) else (outputs,)
        pairs = [(o, g) for o, g in zip(outputs, grad_outputs) if isinstance(o, Tensor) and o.requires_grad]
        if not pairs:
            raise RuntimeError("none of output has requires_grad=True, this checkpoint() is not necessary")
        backward([o for o, _ in pairs], [g for _, g in pairs])
        grads = tuple(inputs[i].grad if isinstance(inputs[i], Tensor) else None for i in range(len(inputs)))
        return (None, None) + grads


def checkpoint_sequential(
    functions: Iterable[Callable[..., Any]] | Any,
    segments: int,
    input: Tensor,  # noqa: A002 - PyTorch's name
    use_reentrant: bool | None = None,
    **kwargs: Any,
) -> Any:
    """Run a sequence of functions in ``segments`` checkpointed chunks (the last chunk is not
    checkpointed: its values are needed right away by backward)."""
    if use_reentrant is None:
        warnings.warn(_USE_REENTRANT_WARNING, UserWarning, stacklevel=2)
        use_reentrant = True
    functions = list(functions.children()) if hasattr(functions, "children") else list(functions)

    def run(start: int, end: int) -> Callable[[Any], Any]:
        def forward(x: Any) -> Any:
            for f in functions[start : end + 1]:
                x = f(x)
            return x

        return forward

    size = len(functions) // segments
    end = -1
    for start in range(0, size * (segments - 1), size):
        end = start + size - 1
        input = checkpoint(run(start, end), input, use_reentrant=use_reentrant, **kwargs)
    return run(end + 1, len(functions) - 1)(input)
