"""Forward-mode AD with PyTorch's API (``torch.autograd.forward_ad``): a dual level,
``make_dual`` attaches a tangent to a primal, every op carries tangents forward by its JVP
rule, ``unpack_dual`` reads them back (docs/forward-mode.md).

How it works: while a level is open, ``_propagate`` sits in the op registry's
``forward_hook`` and runs after every op. It looks for tangents on the op's inputs (symbolic
zeros: an input with no tangent contributes nothing) and computes the output tangent from the
op's ``jvp`` entry (docs/forward-mode.md, "The JVP contract"). With no level open the hook is
removed, so ops cost nothing extra.

Tangents are stored per level on ``tensor._tangents`` ({level id: Tensor}). Level ids are
unique and increase with nesting; a tangent at level L is computed with only the levels
below L active, so inner tangents carry outer tangents (nested duals, as ``jacfwd(jacfwd(f))``
needs) and never their own (no perturbation confusion). Tangents are computed on NumPy arrays
when nothing needs recording, and with recorded bibun ops on Tensors when the primals or
tangents require grad or carry outer tangents: then a backward through a tangent gives
forward-over-reverse products.
"""

from __future__ import annotations

import itertools
from typing import Any, NamedTuple

import numpy as np

from bibun._tensor import Tensor, new_tensor
from bibun.autograd import grad_mode
from bibun.ops import _registry, _xp
from bibun.ops._registry import INPUTS, INPUTS_AND_OUTPUT, NOTHING, OUTPUT

__all__ = ["dual_level", "enter_dual_level", "exit_dual_level", "make_dual", "unpack_dual", "UnpackedDualTensor"]

ndarray = np.ndarray

# Open levels, outermost first: (level id, public). Public levels come from enter_dual_level
# (PyTorch allows one at a time); private ones from bibun.func.jvp, which nest freely.
_open: list[tuple[int, bool]] = []
_open_ids: set[int] = set()
_ids = itertools.count()
# Only levels below this id propagate: set while a tangent at some level is being computed.
_limit = [float("inf")]


class UnpackedDualTensor(NamedTuple):
    """What ``unpack_dual`` returns: the primal and its tangent (None when it has none)."""

    primal: Tensor
    tangent: Tensor | None


# --- levels -------------------------------------------------------------------------------
def _enter_level(public: bool) -> int:
    level_id = next(_ids)
    _open.append((level_id, public))
    _open_ids.add(level_id)
    _registry.forward_hook[0] = _propagate
    return level_id


def _exit_level(level_id: int) -> None:
    _open.remove(next(entry for entry in _open if entry[0] == level_id))
    _open_ids.discard(level_id)
    if not _open:
        _registry.forward_hook[0] = None


def _public_levels() -> list[int]:
    return [level_id for level_id, public in _open if public]


def enter_dual_level() -> int:
    """Open a forward-AD level and return its number (0: one public level at a time)."""
    if _public_levels():
        raise RuntimeError("Nested forward mode AD is not supported at the moment")
    _enter_level(public=True)
    return 0


def exit_dual_level(*, level: int | None = None) -> None:
    """Close the level opened by ``enter_dual_level``; tangents made in it are gone."""
    public = _public_levels()
    current = len(public) - 1
    if level is None:
        level = current
    if level < 0:
        raise RuntimeError("Dual level must be a positive number.")
    if level != current:
        raise RuntimeError(
            "Trying to exit a forward AD level that was not the last one that was created. This is not supported."
        )
    _exit_level(public[level])


class dual_level:  # noqa: N801 - PyTorch's name
    """Context manager (and decorator) for a forward-AD level::

    with dual_level():
        x = make_dual(x, v)
        y = f(x)
        tangent = unpack_dual(y).tangent
    """

    def __enter__(self) -> int:
        return enter_dual_level()

    def __exit__(self, *exc: object) -> None:
        exit_dual_level()

    def __call__(self, fn: Any) -> Any:
        import functools

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self.__class__():
                return fn(*args, **kwargs)

        return wrapper


def _resolve(level: int | None, caller: str) -> int:
    """A public level number (or None: the innermost) as a level id."""
    public = _public_levels()
    if level is None:
        if not public:
            raise RuntimeError(
                "Trying to create a dual Tensor for forward AD but no level exists, make sure to "
                "enter_dual_level() first."
            )
        return public[-1]
    if not 0 <= level < len(public):
        raise RuntimeError(f"Invalid level given to {caller}")
    return public[level]


# --- dual tensors ------------------------------------------------------------------------
def _dtype_name(t: Tensor) -> str:
    return repr(t.dtype)


def make_dual(tensor: Tensor, tangent: Tensor, *, level: int | None = None) -> Tensor:
    """A view of ``tensor`` that carries ``tangent`` at the level (default: the innermost)."""
    level_id = _resolve(level, "_make_dual")
    return _make_dual(tensor, tangent, level_id)


def _make_dual(tensor: Tensor, tangent: Tensor, level_id: int) -> Tensor:
    if type(tensor) is not Tensor or type(tangent) is not Tensor:
        batched = _batched_module()
        if batched is not None and (batched.is_batched(tensor) or batched.is_batched(tangent)):
            return _make_dual_batched(batched, tensor, tangent, level_id)
    if not isinstance(tensor, Tensor):
        raise TypeError(f"make_dual(): argument 'tensor' must be Tensor, not {type(tensor).__name__}")
    if not isinstance(tangent, Tensor):
        raise TypeError(f"make_dual(): argument 'tangent' must be Tensor, not {type(tangent).__name__}")
    if tensor._data.dtype.kind not in "fc":
        raise ValueError(f"Expected primal to be floating point or complex, but got: {_dtype_name(tensor)}")
    if tangent._data.dtype.kind not in "fc":
        raise ValueError(f"Expected tangent to be floating point or complex, but got: {_dtype_name(tangent)}")
    if tangent._data.shape != tensor._data.shape:
        raise RuntimeError(
            "Trying to set a forward gradient that has a different size than that of the original Tensor, "
            f"this is not supported. Tensor is of size {list(tensor._data.shape)} while the given forward "
            f"gradient is of size {list(tangent._data.shape)}."
        )
    if tensor._tangents and level_id in tensor._tangents and level_id in _open_ids:
        public = _public_levels()
        number = public.index(level_id) if level_id in public else level_id
        raise RuntimeError(
            "Making a dual Tensor based on a Tensor that already has a forward gradient at the same level "
            f"{number} is not supported."
        )
    from bibun.ops import shape as shape_ops

    dual = shape_ops.view(tensor, tensor._data.shape)  # a view, as in PyTorch; keeps outer tangents
    tangents = {k: v for k, v in (dual._tangents or {}).items() if k in _open_ids}
    tangents[level_id] = tangent
    dual._tangents = tangents
    return dual


def unpack_dual(tensor: Tensor, *, level: int | None = None) -> UnpackedDualTensor:
    """``(primal, tangent)``: a view of ``tensor`` without its tangent, and the tangent (or None)."""
    if not isinstance(tensor, Tensor):
        raise TypeError(f"unpack_dual(): argument 'tensor' must be Tensor, not {type(tensor).__name__}")
    public = _public_levels()
    if level is None:
        if not public:
            return UnpackedDualTensor(tensor, None)
        level_id = public[-1]
    elif 0 <= level < len(public):
        level_id = public[level]
    else:
        return UnpackedDualTensor(tensor, None)
    return _unpack_dual(tensor, level_id)


def _unpack_dual(tensor: Tensor, level_id: int) -> UnpackedDualTensor:
    if type(tensor) is not Tensor:
        batched = _batched_module()
        if batched is not None and batched.is_batched(tensor):
            levels = batched.levels_of(tensor)
            primal, tangent = _unpack_dual(batched.unwrap_fully(tensor), level_id)
            return UnpackedDualTensor(
                batched.rewrap(primal, levels), None if tangent is None else batched.rewrap(tangent, levels)
            )
    tangents = tensor._tangents
    if not tangents or level_id not in tangents or level_id not in _open_ids:
        return UnpackedDualTensor(tensor, None)
    from bibun.ops import shape as shape_ops

    primal = _registry.apply(shape_ops._ALIAS, (tensor,))
    if primal._tangents:
        primal._tangents = {k: v for k, v in primal._tangents.items() if k != level_id and k in _open_ids} or None
    return UnpackedDualTensor(primal, tangents[level_id])


def _batched_module() -> Any:
    import sys

    return sys.modules.get("bibun.func._batched")


def _make_dual_batched(batched: Any, tensor: Any, tangent: Any, level_id: int) -> Tensor:
    """Under vmap: both batched at the same levels (the unbatched one expanded), then the
    dual is made on the whole batch and wrapped again."""
    wanted = [lvl for lvl, _ in batched._levels if lvl in batched.levels_of(tensor) + batched.levels_of(tangent)]
    tensor, tangent = batched.lift(tensor, wanted), batched.lift(tangent, wanted)
    dual = _make_dual(batched.unwrap_fully(tensor), batched.unwrap_fully(tangent), level_id)
    return batched.rewrap(dual, batched.levels_of(tensor))


def _current_tangent(tensor: Tensor) -> Tensor | None:
    """The tangent ``repr`` shows: the one at the innermost open level that has one."""
    tangents = tensor._tangents
    for level_id, _ in reversed(_open):
        if level_id in tangents:
            return tangents[level_id]
    return None


# --- propagation (the registry's forward hook) ----------------------------------------------
def _propagate(op: Any, args: tuple, arrays: list, params: dict | None, results: tuple, out: Any) -> None:
    levels = None
    for a in args:
        tangents = getattr(a, "_tangents", None)
        if tangents:
            for level_id in tangents:
                if level_id < _limit[0] and level_id in _open_ids:
                    if levels is None:
                        levels = {level_id}
                    else:
                        levels.add(level_id)
    if levels is None:
        return
    if op.jvp is None:
        raise NotImplementedError(
            f"Trying to use forward AD with {op.name} that does not support it because it has not been "
            "implemented yet (no jvp rule in its op-table entry)."
        )
    for level_id in sorted(levels):
        previous = _limit[0]
        _limit[0] = level_id
        try:
            out_tangents = _output_tangents(op, args, arrays, params or {}, results, out, level_id)
        finally:
            _limit[0] = previous
        for r, t in zip(results, out_tangents):
            if t is not None:
                if r._tangents:
                    r._tangents[level_id] = t
                else:
                    r._tangents = {level_id: t}
    if any(r._tangents for r in results):
        _keep_saved_outputs_dual(op, results)


def _needs_tensors(args: tuple, tangents: tuple, level_id: int) -> bool:
    """Compute with recorded ops when a backward may go through the tangent, or when the
    values carry tangents of outer levels (which must flow into this tangent)."""
    grad_on = grad_mode.state_get()[0]
    for value in itertools.chain(args, tangents):
        if not isinstance(value, Tensor):
            continue
        if grad_on and value._requires_grad:
            return True
        if value._tangents and any(k < level_id and k in _open_ids for k in value._tangents):
            return True
    return False


def _output_tangents(
    op: Any, args: tuple, arrays: list, params: dict, results: tuple, out: Any, level_id: int
) -> tuple:
    tangents = tuple(a._tangents.get(level_id) if isinstance(a, Tensor) and a._tangents else None for a in args)
    use_tensors = _needs_tensors(args, tangents, level_id)
    rule = op.jvp
    if use_tensors:
        xp = _xp.TENSOR
        primals: Any = args
        outs: Any = results
    else:
        xp = _xp.NUMPY
        tangents = tuple(t._data if t is not None else None for t in tangents)
        primals = arrays
        outs = (out,) if len(results) == 1 else tuple(out)
    # Tangents take the dtype the primal computed at (after promotion).
    tangents = tuple(
        t if t is None or _dtype_of(p) is None or _dtype_of(t) == _dtype_of(p) else xp.astype(t, _dtype_of(p))
        for t, p in zip(tangents, arrays)
    )
    if rule == "elementwise":
        result = _elementwise(op, xp, tangents, _saved(op, primals, arrays, outs, out, params), params)
    elif rule == "linear":
        result = _linear(op, use_tensors, tangents, arrays, params)
    elif rule == "bilinear":
        result = _bilinear(op, use_tensors, tangents, primals, params, results[0]._data.dtype)
    else:
        result = rule(xp, tangents, *_saved(op, primals, arrays, outs, out, params), **params)
    if op.outputs == 1:
        result = (result,)
    final = []
    for r, t in zip(results, result):
        if t is None or r._data.dtype.kind not in "fc":
            final.append(None)
            continue
        if t.shape != r._data.shape:
            t = xp.broadcast_to(t, r._data.shape)
        if _dtype_of(t) != r._data.dtype:
            t = xp.astype(t, r._data.dtype)
        final.append(t if use_tensors else new_tensor(np.asarray(t)))
    return tuple(final)


def _dtype_of(x: Any) -> Any:
    if isinstance(x, Tensor):
        return x._data.dtype
    return getattr(x, "dtype", None)


def _saved(op: Any, primals: Any, arrays: list, outs: tuple, out: Any, params: dict) -> tuple:
    """What the op's rules receive, as the registry saves it (see ``_record``)."""
    save = op.save
    if save is NOTHING:
        return ()
    if save is INPUTS:
        return tuple(primals)
    if save is OUTPUT:
        return tuple(outs)
    if save is INPUTS_AND_OUTPUT:
        return tuple(primals) + tuple(outs)
    return save(arrays, out, params)  # derived constants, from the raw arrays as _record does


def _elementwise(op: Any, xp: Any, tangents: tuple, saved: tuple, params: dict) -> Any:
    total = None
    for t, vjp in zip(tangents, op.vjp):
        if t is None or vjp is None:
            continue
        term = vjp(xp, t, *saved, **params)
        if term is None:
            continue
        if total is None:
            total = term
        elif (
            _owned(total, tangents, saved)
            and getattr(term, "dtype", total.dtype) == total.dtype
            and total.shape == np.broadcast_shapes(total.shape, np.shape(term))
        ):
            np.add(total, term, out=total)  # no new array: large tangents cost page faults
        else:
            total = total + term
    return total


def _owned(x: Any, tangents: tuple, saved: tuple) -> bool:
    """Whether ``x`` is an array a rule just made (not an input, a saved value or a view)."""
    return (
        type(x) is ndarray
        and x.base is None
        and x.flags.writeable
        and not any(x is v for v in tangents)
        and not any(x is v for v in saved)
    )


def _linear(op: Any, use_tensors: bool, tangents: tuple, arrays: list, params: dict) -> Any:
    inputs = []
    for t, a in zip(tangents, arrays):
        if t is not None:
            inputs.append(t)
        elif type(a) is ndarray:
            zeros = np.zeros_like(a)
            inputs.append(new_tensor(zeros) if use_tensors else zeros)
        else:
            inputs.append(a)  # a constant argument of the op
    if use_tensors:
        return _registry.apply(op, tuple(inputs), params)
    return op.primal(*inputs, **params)


def _bilinear(op: Any, use_tensors: bool, tangents: tuple, primals: Any, params: dict, dtype: Any) -> Any:
    (t_a, t_b), (a, b) = tangents[:2], primals[:2]
    if use_tensors:

        def run(x: Any, y: Any) -> Any:
            return _registry.apply(op, (x, y), params, dtype=dtype)
    else:

        def run(x: Any, y: Any) -> Any:
            return op.primal(x, y, **params)

    total = None
    if t_a is not None:
        total = run(t_a, b)
    if t_b is not None:
        term = run(a, t_b)
        total = term if total is None else total + term
    return total


def _keep_saved_outputs_dual(op: Any, results: tuple) -> None:
    """A node that saved its own output saves it as a bare array (``SavedOutput``), which
    would lose the output's tangent when a backward with create_graph rebuilds it. For dual
    outputs save the output Tensor itself, so forward-over-reverse sees its tangent."""
    if op.save is not OUTPUT and op.save is not INPUTS_AND_OUTPUT:
        return
    node = results[0]._grad_fn
    if node is None or not node._saved or type(node._saved) is not tuple or node._saved_versions is not None:
        return
    from bibun.autograd.graph import SavedOutput

    saved = list(node._saved)
    changed = False
    for i, value in enumerate(saved):
        if type(value) is SavedOutput and value.output_nr < len(results):
            r = results[value.output_nr]
            if r._tangents and value.data is r._data:
                saved[i] = r
                changed = True
    if changed:
        node._saved = tuple(saved)
