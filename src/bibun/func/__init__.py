"""Function transforms with PyTorch's API (``torch.func``): ``grad``, ``grad_and_value``,
``vjp``, ``jvp``, ``jacrev``, ``jacfwd``, ``hessian``, ``linearize`` and ``vmap``.

Each takes a function and returns a function; they compose (``jacfwd(jacrev(f))``,
``vmap(grad(f))``). Reverse mode runs on the autograd engine, forward mode on
``autograd.forward_ad`` in a private dual level per call, and ``jacrev``/``jacfwd`` compute
every row of a Jacobian in one batched pass with ``vmap``. See docs/forward-mode.md.
"""

from __future__ import annotations

import functools
from typing import Any, Callable

from bibun import _creation
from bibun._tensor import Tensor
from bibun.autograd import forward_ad, grad_mode
from bibun.func import _batched
from bibun.func._vmap import _leaves, vmap
from bibun.ops import _registry
from bibun.ops import shape as shape_ops

__all__ = ["grad", "grad_and_value", "vjp", "jvp", "jacrev", "jacfwd", "hessian", "linearize", "vmap"]

# How many transforms are running: outside all of them results are detached, as in PyTorch.
_depth = [0]


def _tree_map(fn: Callable[[Any], Any], tree: Any) -> Any:
    if isinstance(tree, (tuple, list)):
        return type(tree)(_tree_map(fn, t) for t in tree)
    if isinstance(tree, dict):
        return {k: _tree_map(fn, v) for k, v in tree.items()}
    return fn(tree)


def _check_tensor(x: Any) -> Any:
    if not isinstance(x, Tensor):
        raise ValueError(f"Thing passed to transform API must be Tensor, got {type(x)}")
    return x


def _needs_graph(values: list) -> bool:
    """Whether a backward must record (so an outer transform can differentiate it again):
    inside another transform, or when the values carry tangents or require grad."""
    if _depth[0] > 1 or forward_ad._open:
        return True
    return any(isinstance(v, Tensor) and (v._requires_grad or v._tangents) for v in values)


def _prepare(x: Tensor) -> Tensor:
    """A fresh input to differentiate with respect to, keeping ``x``'s own history and
    tangents (an alias; made a leaf that requires grad when ``x`` does not require grad)."""
    x = _batched.lift(x) if _batched._levels else x
    alias = _registry.apply(shape_ops._ALIAS, (x,))
    if not alias._requires_grad:
        alias.requires_grad_()
    return alias


def _finish(tree: Any, keep: bool) -> Any:
    if keep:
        return tree
    return _tree_map(lambda t: t.detach() if isinstance(t, Tensor) else t, tree)


class _Transform:
    """Counts nesting, so the outermost transform hands back detached results."""

    def __enter__(self) -> bool:
        _depth[0] += 1
        return _depth[0] > 1

    def __exit__(self, *exc: object) -> None:
        _depth[0] -= 1


def _argnums_tuple(argnums: Any, count: int) -> tuple[int, ...]:
    numbers = argnums if isinstance(argnums, tuple) else (argnums,)
    if not numbers:
        raise RuntimeError("argnums must be non-empty")
    for n in numbers:
        if not isinstance(n, int):
            raise RuntimeError(f"argnums must be int or Tuple[int, ...], got: {type(argnums)}")
        if not -count <= n < count:
            raise RuntimeError(f"Got argnum={n}, but only {count} positional inputs")
    return tuple(n % count for n in numbers)


# --- grad ------------------------------------------------------------------------------------------
def grad_and_value(func: Callable[..., Any], argnums: Any = 0, has_aux: bool = False) -> Callable[..., Any]:
    """``(gradient, value)`` of a scalar function; ``argnums`` picks the inputs (an int or a
    tuple of ints), ``has_aux`` lets ``func`` return ``(output, aux)``."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with _Transform() as nested, grad_mode.enable_grad():
            numbers = _argnums_tuple(argnums, len(args))
            args = list(args)
            originals = []
            for n in numbers:
                originals.extend(_leaves(args[n]))
                args[n] = _tree_map(lambda t: _prepare(_check_tensor(t)), args[n])
            output = func(*args, **kwargs)
            aux = None
            if has_aux:
                if not (isinstance(output, tuple) and len(output) == 2):
                    raise RuntimeError(
                        "grad_and_value(f)(*args): output of function f should be a tuple: (output, aux) "
                        "if has_aux is True"
                    )
                output, aux = output
            if not isinstance(output, Tensor):
                raise RuntimeError(
                    f"grad_and_value(f)(*args): Expected f(*args) to return a Tensor, got {type(output)}"
                )
            if output.dim() != 0:
                raise RuntimeError(
                    "grad_and_value(f)(*args): Expected f(*args) to return a scalar Tensor, got tensor with "
                    f"{output.dim()} dims. Maybe you wanted to use the vjp or jacrev APIs instead?"
                )
            inputs = [leaf for n in numbers for leaf in _leaves(args[n])]
            keep = nested or _needs_graph(originals)
            grads = _batched.grad((output,), tuple(inputs), None, create_graph=keep or bool(_batched._levels))
            grads = iter(_creation.zeros_like(x) if g is None else g for g, x in zip(grads, inputs))
            structured = tuple(_tree_map(lambda _: next(grads), args[n]) for n in numbers)
            result = structured if isinstance(argnums, tuple) else structured[0]
            value = (output, aux) if has_aux else output
            return _finish(result, keep), _finish(value, keep)

    return wrapper


def grad(func: Callable[..., Any], argnums: Any = 0, has_aux: bool = False) -> Callable[..., Any]:
    """The gradient of a scalar function with respect to ``argnums`` (``(grad, aux)`` with
    ``has_aux``)."""
    inner = grad_and_value(func, argnums, has_aux)

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        gradient, value = inner(*args, **kwargs)
        return (gradient, value[1]) if has_aux else gradient

    return wrapper


# --- vjp and jvp -----------------------------------------------------------------------------------
def vjp(func: Callable[..., Any], *primals: Any, has_aux: bool = False) -> tuple:
    """``(func(*primals), vjp_fn)``; ``vjp_fn(cotangents)`` gives ``vᵀJ`` for every primal."""
    with _Transform() as nested, grad_mode.enable_grad():
        originals = [leaf for p in primals for leaf in _leaves(p)]
        prepared = _tree_map(lambda t: _prepare(_check_tensor(t)), primals)
        output = func(*prepared)
        aux = None
        if has_aux:
            if not (isinstance(output, tuple) and len(output) == 2):
                raise RuntimeError(
                    "vjp(f, *primals): output of function f should be a tuple: (output, aux) if has_aux is True"
                )
            output, aux = output
        outputs = _leaves(output)
        for o in outputs:
            if not isinstance(o, Tensor):
                raise RuntimeError(
                    f"vjp(f, *primals): Expected f to be a function that has only Tensor outputs, got {type(o)}"
                )
        keep = nested or _needs_graph(originals)
    inputs = _leaves(prepared)

    def vjp_fn(*cotangents: Any) -> tuple:
        if len(cotangents) == 1 and not isinstance(output, (tuple, list, dict)) and isinstance(cotangents[0], Tensor):
            flat = [cotangents[0]]
        else:
            flat = _leaves(cotangents[0] if len(cotangents) == 1 else cotangents)
        if len(flat) != len(outputs):
            raise RuntimeError(
                "Expected pytree structure of cotangents to be the same as pytree structure of outputs to the function"
            )
        with _Transform() as inner_nested, grad_mode.enable_grad():
            keep_now = keep or inner_nested or _needs_graph(flat)
            pairs = [(o, c) for o, c in zip(outputs, flat) if o._requires_grad]
            if pairs:
                grads = _batched.grad(
                    tuple(o for o, _ in pairs),
                    tuple(inputs),
                    tuple(c for _, c in pairs),
                    create_graph=keep_now or bool(_batched._levels),
                )
            else:
                grads = (None,) * len(inputs)
            grads = iter(_creation.zeros_like(x) if g is None else g for g, x in zip(grads, inputs))
            return _finish(_tree_map(lambda _: next(grads), tuple(primals)), keep_now)

    result = (_finish(output, keep), vjp_fn)
    return result + (_finish(aux, keep),) if has_aux else result


def jvp(func: Callable[..., Any], primals: Any, tangents: Any, *, strict: bool = False, has_aux: bool = False) -> tuple:
    """``(func(*primals), J·tangents)`` by forward mode, in one pass."""
    if not isinstance(primals, tuple):
        raise RuntimeError(
            "jvp(f, primals, tangents): Expected primals to be a tuple. E.g. it should be valid to call f(*primals)."
        )
    flat_primals, flat_tangents = _leaves(primals), _leaves(tangents) if isinstance(tangents, tuple) else None
    if flat_tangents is None or len(flat_primals) != len(flat_tangents):
        raise RuntimeError(
            "jvp(f, primals, tangents): Expected primals and tangents to have the same python structure. For "
            "example, if primals is a tuple of 3 tensors, tangents also must be."
        )
    for p in flat_primals + flat_tangents:
        _check_tensor(p)
    with _Transform() as nested:
        level = forward_ad._enter_level(public=False)
        try:
            pairs = iter(zip(flat_primals, flat_tangents))
            duals = _tree_map(lambda _: forward_ad._make_dual(*next(pairs), level), primals)
            output = func(*duals)
            aux = None
            if has_aux:
                if not (isinstance(output, tuple) and len(output) == 2):
                    raise RuntimeError(
                        "jvp(f, primals, tangents): output of function f should be a tuple: (output, aux) if has_aux is True"
                    )
                output, aux = output
            for o in _leaves(output):
                if not isinstance(o, Tensor):
                    raise RuntimeError(
                        f"jvp(f, primals, tangents): expected f(*primals) to return only tensors, got unsupported type {type(o)}"
                    )
            unpacked = _tree_map(lambda o: forward_ad._unpack_dual(o, level), output)
        finally:
            forward_ad._exit_level(level)
        keep = nested or _needs_graph(flat_primals + flat_tangents)

        def primal_of(u: Any) -> Any:
            return u.primal

        def tangent_of(u: Any) -> Any:
            return _creation.zeros_like(u.primal) if u.tangent is None else u.tangent

        is_pair = lambda u: isinstance(u, forward_ad.UnpackedDualTensor)  # noqa: E731
        primal_out = _map_pairs(primal_of, unpacked, is_pair)
        tangent_out = _map_pairs(tangent_of, unpacked, is_pair)
        result = (_finish(primal_out, keep), _finish(tangent_out, keep))
        return result + (aux,) if has_aux else result


def _map_pairs(fn: Callable[[Any], Any], tree: Any, is_leaf: Callable[[Any], bool]) -> Any:
    if is_leaf(tree):
        return fn(tree)
    if isinstance(tree, (tuple, list)):
        return type(tree)(_map_pairs(fn, t, is_leaf) for t in tree)
    if isinstance(tree, dict):
        return {k: _map_pairs(fn, v, is_leaf) for k, v in tree.items()}
    return tree


def linearize(func: Callable[..., Any], *primals: Any) -> tuple:
    """``(func(*primals), jvp_fn)``: ``jvp_fn(*tangents)`` is ``J·tangents`` at ``primals``."""
    output = func(*primals)

    def jvp_fn(*tangents: Any) -> Any:
        return jvp(func, primals, tangents)[1]

    return _finish(output, _depth[0] > 0 or _needs_graph(_leaves(primals))), jvp_fn


from bibun.func._jacobians import hessian, jacfwd, jacrev  # noqa: E402
