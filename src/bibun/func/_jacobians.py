"""``jacrev``, ``jacfwd`` and ``hessian`` (PyTorch's ``torch.func``): whole Jacobians, one
batched pass each. ``jacrev`` runs one forward pass and then every row's VJP at once (vmap
over the rows of an identity matrix); ``jacfwd`` runs every column's JVP at once; ``hessian``
is ``jacfwd(jacrev(f))``, forward-over-reverse."""

from __future__ import annotations

import functools
from typing import Any, Callable

from bibun import _creation
from bibun._tensor import Tensor
from bibun.func import _argnums_tuple, _depth, _finish, _leaves, _needs_graph, _tree_map, jvp, vjp
from bibun.func._vmap import vmap
from bibun.ops import shape as shape_ops


def _selected(func: Callable[..., Any], args: tuple, numbers: tuple) -> Callable[..., Any]:
    """``func`` as a function of the arguments at ``numbers`` only."""

    def partial(*chosen: Any) -> Any:
        full = list(args)
        for n, value in zip(numbers, chosen):
            full[n] = value
        return func(*full)

    return partial


def _pieces(flat: Tensor, shapes: list) -> list:
    """Cut a flat vector into consecutive pieces of the given shapes."""
    pieces, start = [], 0
    for shape in shapes:
        count = 1
        for n in shape:
            count *= n
        pieces.append(shape_ops.reshape(flat[start : start + count], shape))
        start += count
    return pieces


def _basis(leaves: list) -> Tensor:
    total = sum(leaf.numel() for leaf in leaves)
    return _creation.eye(total, dtype=leaves[0].dtype)


def _assemble(per_output: list, outputs: list, inputs: list, directions_first: bool) -> list:
    """``[[J_ij]]``: output i against input j, shaped ``out_i.shape + in_j.shape``.
    ``per_output[i]`` is batched over one side's elements: input elements for jacfwd
    (``directions_first``: a leading dim), output elements for jacrev."""
    rows = []
    for i, out in enumerate(outputs):
        row = []
        if directions_first:  # per_output[i]: (total_in, *out.shape)
            block = per_output[i]
            moved = shape_ops.permute(block, tuple(range(1, block.ndim)) + (0,))
            start = 0
            for x in inputs:
                n = x.numel()
                row.append(shape_ops.reshape(moved[..., start : start + n], tuple(out.shape) + tuple(x.shape)))
                start += n
        else:  # per_output[j]: (total_out, *in_j.shape); rows of output i are a slice
            offset = sum(o.numel() for o in outputs[:i])
            for j, x in enumerate(inputs):
                block = per_output[j][offset : offset + out.numel()]
                row.append(shape_ops.reshape(block, tuple(out.shape) + tuple(x.shape)))
        rows.append(row)
    return rows


def _structure(rows: list, output: Any, inputs_tree: Any, argnums: Any) -> Any:
    """PyTorch's nesting: outputs outside, inputs (as ``argnums`` was given) inside."""

    def per_input(row: list) -> Any:
        it = iter(row)
        nested = tuple(_tree_map(lambda _: next(it), tree) for tree in inputs_tree)
        return nested if isinstance(argnums, tuple) else nested[0]

    it_rows = iter(rows)
    return _tree_map(lambda _: per_input(next(it_rows)), output)


def jacrev(
    func: Callable[..., Any], argnums: Any = 0, *, has_aux: bool = False, chunk_size: int | None = None
) -> Callable[..., Any]:
    """The Jacobian by reverse mode: one forward pass, then all rows' VJPs in one vmap."""

    @functools.wraps(func)
    def wrapper(*args: Any) -> Any:
        numbers = _argnums_tuple(argnums, len(args))
        chosen = tuple(args[n] for n in numbers)
        result = vjp(_selected(func, args, numbers), *chosen, has_aux=has_aux)
        output, vjp_fn = result[0], result[1]
        outputs, inputs = _leaves(output), _leaves(chosen)
        _depth[0] += 1
        try:

            def row(flat_cotangent: Tensor) -> tuple:
                cotangents = _pieces(flat_cotangent, [tuple(o.shape) for o in outputs])
                it = iter(cotangents)
                grads = vjp_fn(_tree_map(lambda _: next(it), output))
                return tuple(_leaves(grads))

            per_input = list(vmap(row)(_basis(outputs)))
        finally:
            _depth[0] -= 1
        jac = _structure(_assemble(per_input, outputs, inputs, False), output, chosen, argnums)
        # Detached only when nothing outside the transform differentiates through it (PyTorch).
        jac = _finish(jac, _depth[0] > 0 or _needs_graph(inputs))
        return (jac, result[2]) if has_aux else jac

    return wrapper


def jacfwd(
    func: Callable[..., Any], argnums: Any = 0, has_aux: bool = False, *, randomness: str = "error"
) -> Callable[..., Any]:
    """The Jacobian by forward mode: every column's JVP in one vmap."""

    @functools.wraps(func)
    def wrapper(*args: Any) -> Any:
        numbers = _argnums_tuple(argnums, len(args))
        chosen = tuple(args[n] for n in numbers)
        inputs = _leaves(chosen)
        for x in inputs:
            if not isinstance(x, Tensor):
                raise ValueError(f"Thing passed to transform API must be Tensor, got {type(x)}")
        selected = _selected(func, args, numbers)
        shapes = [tuple(x.shape) for x in inputs]
        found: dict[str, Any] = {}

        def column(direction: Tensor) -> Any:
            it = iter(_pieces(direction, shapes))
            tangents = _tree_map(lambda _: next(it), chosen)
            result = jvp(selected, chosen, tangents, has_aux=has_aux)
            found["output"] = result[0]
            return (result[1], result[2]) if has_aux else result[1]

        _depth[0] += 1
        try:
            columns = vmap(column, randomness=randomness)(_basis(inputs))
        finally:
            _depth[0] -= 1
        tangents, aux = (columns[0], _tree_map(lambda a: a[0], columns[1])) if has_aux else (columns, None)
        output = found["output"]
        outputs = _leaves(output)
        per_output = _leaves(tangents)
        jac = _structure(_assemble(per_output, outputs, inputs, True), output, chosen, argnums)
        jac = _finish(jac, _depth[0] > 0 or _needs_graph(inputs))
        return (jac, aux) if has_aux else jac

    return wrapper


def hessian(func: Callable[..., Any], argnums: Any = 0) -> Callable[..., Any]:
    """The Hessian, forward-over-reverse: ``jacfwd(jacrev(func))``."""
    return jacfwd(jacrev(func, argnums), argnums)
