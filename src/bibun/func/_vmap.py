"""``vmap``: run a function of one example on a whole batch (PyTorch's ``torch.func.vmap``).

The inputs' mapped dimensions are moved to the front and wrapped as BatchedTensors; each op
the function calls then runs once on the whole batch by its batching rule (``_rules``). If
the function reads a batched value (``.item()``, ``if x > 0:``, NumPy on the data), vmap
runs it once per example instead and stacks the results (``FALLBACKS`` counts those).
"""

from __future__ import annotations

import collections
import functools
from typing import Any, Callable

from bibun._tensor import Tensor
from bibun.func._batched import BatchedTensor, _NeedsLoop, enter_level, exit_level, wrap
from bibun.ops import shape as shape_ops

# Functions vmap ran once per example because they read batched values: {name: times}.
FALLBACKS: collections.Counter = collections.Counter()


def _name(func: Callable[..., Any]) -> str:
    return getattr(func, "__name__", repr(func))


def _leaves(tree: Any) -> list:
    """Tensors and other leaves of nested tuples, lists and dicts, in order."""
    if isinstance(tree, (tuple, list)):
        return [leaf for item in tree for leaf in _leaves(item)]
    if isinstance(tree, dict):
        return [leaf for key in tree for leaf in _leaves(tree[key])]
    return [tree]


def _map(fn: Callable[[Any, Any], Any], tree: Any, dims: Any) -> Any:
    """``fn(leaf, dim)`` over ``tree``; ``dims`` is one dim for the whole subtree or a tree
    of the same structure."""
    if isinstance(tree, (tuple, list)):
        subdims = dims if isinstance(dims, (tuple, list)) else [dims] * len(tree)
        items = [_map(fn, t, d) for t, d in zip(tree, subdims)]
        return _rebuild(tree, items)
    if isinstance(tree, dict):
        return {k: _map(fn, v, dims[k] if isinstance(dims, dict) else dims) for k, v in tree.items()}
    return fn(tree, dims)


def _rebuild(tree: Any, items: list) -> Any:
    """A tuple or list like ``tree`` (named tuples and return types too) holding ``items``."""
    if type(tree) in (tuple, list):
        return type(tree)(items)
    try:
        return type(tree)(*items)
    except TypeError:
        return type(tree)(items)


def _structure_matches(tree: Any, dims: Any) -> bool:
    if dims is None or isinstance(dims, int):
        return True
    if isinstance(dims, (tuple, list)):
        return (
            isinstance(tree, (tuple, list))
            and len(tree) == len(dims)
            and all(_structure_matches(t, d) for t, d in zip(tree, dims))
        )
    if isinstance(dims, dict):
        return (
            isinstance(tree, dict)
            and set(tree) == set(dims)
            and all(_structure_matches(tree[k], dims[k]) for k in dims)
        )
    return False


def _check_in_dims(func: Callable[..., Any], in_dims: Any, args: tuple) -> Any:
    prefix = f"vmap({_name(func)}, in_dims={in_dims}, ...)(<inputs>)"
    if not isinstance(in_dims, (int, tuple)) or isinstance(in_dims, bool):
        raise ValueError(
            f"{prefix}: expected `in_dims` to be int or a (potentially nested) tuple matching the structure of "
            f"inputs, got: {type(in_dims)}."
        )
    if isinstance(in_dims, tuple) and not _structure_matches(args, in_dims):
        raise ValueError(f"{prefix}: in_dims is not compatible with the structure of `inputs`.")
    dims = in_dims if isinstance(in_dims, tuple) else (in_dims,) * len(args)
    sizes = []

    def check(leaf: Any, dim: Any) -> None:
        if dim is None:
            return
        if not isinstance(dim, int):
            raise ValueError(
                f"{prefix}: in_dims must be a (potentially nested) tuple of ints and None, got {type(dim)}."
            )
        if not isinstance(leaf, Tensor):
            raise ValueError(
                f"{prefix}: Got in_dim={dim} for an input but the input is of type {type(leaf)}. We cannot vmap "
                "over non-Tensor arguments, please use None as the respective in_dim"
            )
        ndim = leaf.ndim
        if not -ndim <= dim < ndim:
            raise ValueError(
                f"{prefix}: Got in_dim={dim} for some input, but that input is a Tensor of dimensionality {ndim} so "
                f"expected in_dim to satisfy -{ndim} <= in_dim < {ndim}."
            )
        sizes.append(leaf.shape[dim])

    _map(check, tuple(args), dims)
    if not sizes:
        raise ValueError(
            f"{prefix}: at least one input must be batched (got in_dims that are all None for the given inputs)."
        )
    if len(set(sizes)) > 1:
        raise ValueError(
            "vmap: Expected all tensors to have the same size in the mapped dimension, got sizes "
            f"{sizes} for the mapped dimension"
        )
    return dims, sizes[0]


def _move_to_front(x: Tensor, dim: int) -> Tensor:
    dim %= x.ndim
    if dim == 0:
        return x
    order = (dim,) + tuple(i for i in range(x.ndim) if i != dim)
    return shape_ops.permute(x, order)


def _move_from_front(x: Tensor, dim: int) -> Tensor:
    ndim = x.ndim
    dim = dim % ndim if -ndim <= dim < ndim else dim
    if not 0 <= dim < ndim:
        shape_ops.normalize_dim(dim, ndim)  # PyTorch's IndexError
    if dim == 0:
        return x
    order = tuple(range(1, dim + 1)) + (0,) + tuple(range(dim + 1, ndim))
    return shape_ops.permute(x, order)


def vmap(
    func: Callable[..., Any],
    in_dims: Any = 0,
    out_dims: Any = 0,
    randomness: str = "error",
    *,
    chunk_size: int | None = None,
) -> Callable[..., Any]:
    """``vmap(f)(xs)`` is ``stack([f(x) for x in xs])``, computed in one batched pass.
    ``in_dims``: the mapped dim of each input (None: not mapped), nested like the inputs;
    ``out_dims``: where the batch dim goes in each output. ``randomness`` and
    ``chunk_size`` are accepted for compatibility (random ops draw one sample for the batch)."""
    if randomness not in ("error", "different", "same"):
        raise RuntimeError(f"Only allowed values for randomness are 'error', 'different', or 'same'. Got {randomness}")

    @functools.wraps(func)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        dims, size = _check_in_dims(func, in_dims, args)
        level = enter_level(size)
        try:
            batched = _map(
                lambda leaf, dim: leaf if dim is None else wrap(_move_to_front(leaf, dim), level), tuple(args), dims
            )
            try:
                outputs = func(*batched, **kwargs)
                return _outputs(func, outputs, out_dims, level, size)
            except _NeedsLoop:
                pass
        finally:
            exit_level(level)
        FALLBACKS[_name(func)] += 1
        return _per_example(func, args, kwargs, dims, out_dims, size)

    return wrapped


def _outputs(func: Callable[..., Any], outputs: Any, out_dims: Any, level: int, size: int) -> Any:
    def finish(leaf: Any, dim: Any) -> Any:
        if dim is None:
            if type(leaf) is BatchedTensor and leaf._level == level:
                raise ValueError(
                    f"vmap({_name(func)}, ...): `{_name(func)}` can not return a BatchedTensor when out_dim is None"
                )
            return leaf
        if not isinstance(leaf, Tensor):
            raise ValueError(
                f"vmap({_name(func)}, ...): `{_name(func)}` must only return Tensors, got type {type(leaf)}. "
                "Did you mean to set out_dims= to None for output?"
            )
        if type(leaf) is BatchedTensor and leaf._level == level:
            value = leaf._value
        else:  # the same for every example
            value = shape_ops.expand(shape_ops.unsqueeze(leaf, 0), (size,) + tuple(leaf.shape))
        return _move_from_front(value, dim)

    if isinstance(out_dims, tuple) and not _structure_matches(outputs, out_dims):
        raise ValueError(
            f"vmap({_name(func)}, ..., out_dims={out_dims})(<inputs>): out_dims is not compatible with the structure "
            "of `outputs`."
        )
    return _map(finish, outputs, out_dims)


def _per_example(func: Callable[..., Any], args: tuple, kwargs: dict, dims: Any, out_dims: Any, size: int) -> Any:
    """The fallback: call ``func`` once per example and stack the results."""
    results = []
    for b in range(size):

        def pick(leaf: Any, dim: Any, b: int = b) -> Any:
            return leaf if dim is None else shape_ops.select(leaf, dim, b)

        results.append(func(*_map(pick, tuple(args), dims), **kwargs))

    def stack_leaf(position: int, dim: Any) -> Any:
        leaves = [_leaves(r)[position] for r in results]
        if dim is None:
            return leaves[0]
        if not isinstance(leaves[0], Tensor):
            raise ValueError(
                f"vmap({_name(func)}, ...): `{_name(func)}` must only return Tensors, got type {type(leaves[0])}. "
                "Did you mean to set out_dims= to None for output?"
            )
        return shape_ops.stack(leaves, dim if dim >= 0 else dim + leaves[0].ndim + 1)

    counter = iter(range(len(_leaves(results[0]))))
    return _map(lambda leaf, dim: stack_leaf(next(counter), dim), results[0], out_dims)
