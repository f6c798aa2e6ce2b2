"""Higher-level differentiation of whole functions, with PyTorch's signatures and errors
(``torch.autograd.functional``): ``vjp``, ``jvp``, ``jacobian``, ``hessian``, ``vhp``, ``hvp``.

Each takes a function of Tensors and the point to differentiate at. Reverse-mode products go
through ``autograd.grad``; ``jvp`` and ``strategy="forward-mode"`` use true forward mode
(``forward_ad``), not PyTorch's double-backward trick, so a JVP costs one forward pass.
``vectorize=True`` computes every row of a Jacobian in one batched pass with
``bibun.func.vmap``. See docs/forward-mode.md.
"""

from __future__ import annotations

from typing import Any, Callable

from bibun import _creation
from bibun._tensor import Tensor
from bibun.autograd import forward_ad, grad_mode
from bibun.ops import shape as shape_ops

__all__ = ["vjp", "jvp", "jacobian", "hessian", "vhp", "hvp"]

_STRATEGIES = ("forward-mode", "reverse-mode")


# --- argument handling (PyTorch's checks and messages) ---------------------------------------
def _as_tuple(value: Any, arg_name: str, fn_name: str) -> tuple[bool, tuple]:
    """``(was_a_tuple, values)``; anything but Tensors is PyTorch's TypeError."""
    is_tuple = isinstance(value, tuple)
    values = value if is_tuple else (value,)
    for i, item in enumerate(values):
        if not isinstance(item, Tensor):
            where = f"value at index {i}" if is_tuple else f"given {arg_name}"
            raise TypeError(
                f"The {arg_name} given to {fn_name} must be either a Tensor or a tuple of Tensors but the "
                f"{where} has type {type(item)}."
            )
    return is_tuple, values


def _prepare(inputs: tuple, create_graph: bool, need_graph: bool) -> tuple:
    """Fresh inputs to differentiate with respect to: a view that keeps the caller's graph
    when the result must be differentiable again, a detached leaf otherwise."""
    prepared = []
    for x in inputs:
        if create_graph and x._requires_grad:
            prepared.append(shape_ops.view(x, x._data.shape))
        else:
            prepared.append(x.detach().requires_grad_(need_graph))
    return tuple(prepared)


def _finish(values: tuple, create_graph: bool) -> tuple:
    if not create_graph:
        return tuple(v.detach() if isinstance(v, Tensor) else _finish(v, create_graph) for v in values)
    return values


def _unpack(values: Any, to_unpack: Any) -> Any:
    """Undo the tuple wrapping for arguments the caller did not pass as tuples."""
    if isinstance(to_unpack, tuple):
        outer, inner = to_unpack
        if not inner:
            values = tuple(v[0] for v in values)
        return values if outer else values[0]
    return values if to_unpack else values[0]


def _validate_v(v: tuple, other: tuple, other_is_tuple: bool) -> None:
    if len(v) != len(other):
        if other_is_tuple:
            raise RuntimeError(f"v is a tuple of invalid length: should be {len(other)} but got {len(v)}.")
        raise RuntimeError("The given v should contain a single Tensor.")
    for i, (a, b) in enumerate(zip(v, other)):
        if a.shape != b.shape:
            prefix = f"Entry {i} in " if other_is_tuple else ""
            raise RuntimeError(f"{prefix}v has invalid size: should be {b.shape} but got {a.shape}.")


_STRICT_MESSAGES = {
    "outputs": (
        "Output {i} of the user-provided function does not require gradients. The outputs must be computed in "
        "a differentiable manner from the input when running in strict mode."
    ),
    "grad_inputs": (
        "The gradient with respect to input {i} is independent of the inputs of the user-provided function. "
        "This is not allowed in strict mode."
    ),
    "jacobian": (
        "While computing the hessian, found that the jacobian of the user-provided function with respect to "
        "input {i} is independent of the input. This is not allowed in strict mode. You should ensure that your "
        "function is twice differentiable and that the jacobian depends on the inputs (this would be violated "
        "by a linear function for example)."
    ),
    "hessian": (
        "The hessian of the user-provided function with respect to input {i} is independent of the input. "
        "This is not allowed in strict mode. You should ensure that your function is thrice differentiable "
        "and that the hessian depends on the inputs."
    ),
}


def _check_requires_grad(values: tuple, kind: str, strict: bool) -> None:
    if not strict:
        return
    for i, v in enumerate(values):
        if v is None:
            raise RuntimeError(
                f"The output of the user-provided function is independent of input {i}. "
                "This is not allowed in strict mode."
            )
        if not v._requires_grad:
            raise RuntimeError(_STRICT_MESSAGES[kind].format(i=i))


def _grad(outputs: tuple, inputs: tuple, grad_outputs: Any = None, create_graph: bool = False) -> tuple:
    """``autograd.grad`` over the outputs that require grad; None for unused inputs. Batched
    values (inside ``vmap``) go through ``bibun.func``'s batch-aware version."""
    from bibun.func import _batched

    if grad_outputs is None:
        grad_outputs = (None,) * len(outputs)
    pairs = [(o, g) for o, g in zip(outputs, grad_outputs) if o is not None and o._requires_grad]
    if not pairs:
        return (None,) * len(inputs)
    return _batched.grad(tuple(o for o, _ in pairs), tuple(inputs), tuple(g for _, g in pairs), create_graph)


_ZERO_MESSAGES = {
    "back": "The output of the user-provided function is independent of input {i}. This is not allowed in strict mode.",
    "back_trick": (
        "The gradient with respect to the input is independent of entry {i} in the grad_outputs when using the "
        "double backward trick to compute forward mode gradients. This is not allowed in strict mode."
    ),
    "double_back": (
        "The jacobian of the user-provided function is independent of input {i}. This is not allowed in strict mode."
    ),
}


def _fill_in_zeros(grads: tuple, refs: tuple, strict: bool, create_graph: bool, stage: str) -> tuple:
    """Zeros for the gradients autograd left out (an unused input), or strict mode's error."""
    filled = []
    for i, g in enumerate(grads):
        if g is None:
            if strict:
                raise RuntimeError(_ZERO_MESSAGES[stage].format(i=i))
            g = _creation.zeros_like(refs[i])
        elif strict and create_graph and not g._requires_grad:
            what = "hessian" if stage.startswith("double") else "jacobian"
            raise RuntimeError(
                f"The {what} of the user-provided function is independent of input {i}. This is not allowed in "
                "strict mode when create_graph=True."
            )
        filled.append(g)
    return tuple(filled)


def _single_element_v(values: tuple, what: str) -> None:
    if len(values) != 1 or values[0].numel() != 1:
        raise RuntimeError(f"The vector v can only be None if the {what} a single Tensor with a single element.")


# --- vjp and jvp ---------------------------------------------------------------------------
def vjp(
    func: Callable[..., Any], inputs: Any, v: Any = None, create_graph: bool = False, strict: bool = False
) -> tuple[Any, Any]:
    """``(func(*inputs), vᵀ J)``: the vector-Jacobian product at ``inputs``."""
    with grad_mode.enable_grad():
        inputs_is_tuple, inputs = _as_tuple(inputs, "inputs", "vjp")
        inputs = _prepare(inputs, create_graph, need_graph=True)
        outputs_is_tuple, outputs = _as_tuple(func(*inputs), "outputs of the user-provided function", "vjp")
        _check_requires_grad(outputs, "outputs", strict)
        if v is not None:
            _, v = _as_tuple(v, "v", "vjp")
            v = _prepare(v, create_graph, need_graph=False)
            _validate_v(v, outputs, outputs_is_tuple)
        else:
            _single_element_v(outputs, "user-provided function returns")
    with grad_mode.set_grad_enabled(create_graph or grad_mode.is_grad_enabled()):
        products = _fill_in_zeros(_grad(outputs, inputs, v, create_graph), inputs, strict, create_graph, "back")
    return _unpack(_finish(outputs, create_graph), outputs_is_tuple), _unpack(
        _finish(products, create_graph), inputs_is_tuple
    )


def jvp(
    func: Callable[..., Any], inputs: Any, v: Any = None, create_graph: bool = False, strict: bool = False
) -> tuple[Any, Any]:
    """``(func(*inputs), J v)``: the Jacobian-vector product at ``inputs``, by forward mode."""
    with grad_mode.enable_grad():
        inputs_is_tuple, inputs = _as_tuple(inputs, "inputs", "jvp")
        inputs = _prepare(inputs, create_graph, need_graph=create_graph or strict)
        if v is not None:
            _, v = _as_tuple(v, "v", "jvp")
            v = _prepare(v, create_graph, need_graph=False)
            _validate_v(v, inputs, inputs_is_tuple)
        else:
            _single_element_v(inputs, "input to the user-provided function is")
            v = (_creation.ones_like(inputs[0]),)
        outputs, tangents = _forward(func, inputs, v, "jvp", strict)
    products = _fill_in_zeros(tangents, outputs, strict, create_graph, "back_trick")
    return _unpack(_finish(outputs, create_graph), outputs_is_tuple_of(outputs)), _unpack(
        _finish(products, create_graph), outputs_is_tuple_of(outputs)
    )


class _OutputsTuple(tuple):
    """The outputs of ``func``, remembering whether ``func`` returned a tuple."""

    was_tuple = True


def outputs_is_tuple_of(outputs: tuple) -> bool:
    return getattr(outputs, "was_tuple", True)


def _forward(func: Callable[..., Any], inputs: tuple, tangents: tuple, fn_name: str, strict: bool) -> tuple:
    """Run ``func`` on dual inputs in a private level: (outputs, output tangents or None)."""
    level = forward_ad._enter_level(public=False)
    try:
        duals = tuple(forward_ad._make_dual(x, t, level) for x, t in zip(inputs, tangents))
        was_tuple, outputs = _as_tuple(func(*duals), "outputs of the user-provided function", fn_name)
        _check_requires_grad(outputs, "outputs", strict)
        unpacked = [forward_ad._unpack_dual(o, level) for o in outputs]
    finally:
        forward_ad._exit_level(level)
    primal_outputs = _OutputsTuple(u.primal for u in unpacked)
    primal_outputs.was_tuple = was_tuple
    return primal_outputs, tuple(u.tangent for u in unpacked)


# --- Jacobians and Hessians ----------------------------------------------------------------
def jacobian(
    func: Callable[..., Any],
    inputs: Any,
    create_graph: bool = False,
    strict: bool = False,
    vectorize: bool = False,
    strategy: str | None = None,
) -> Any:
    """The Jacobian of ``func`` at ``inputs``: for output i and input j a Tensor of shape
    ``outputs[i].shape + inputs[j].shape``. ``strategy`` picks reverse mode (one pass per
    output element) or forward mode (one pass per input element); left as None, bibun picks
    the mode with fewer passes (PyTorch defaults to "reverse-mode"). ``vectorize=True`` does
    all passes at once with ``bibun.func.vmap``."""
    if strategy is not None and strategy not in _STRATEGIES:
        raise AssertionError(
            'Expected strategy to be either "forward-mode" or "reverse-mode". Hint: If your function has more '
            'outputs than inputs, "forward-mode" tends to be more performant. Otherwise, prefer to use "reverse-mode".'
        )
    if strategy == "forward-mode":
        if create_graph:
            raise NotImplementedError(
                'torch.autograd.functional.jacobian: `create_graph=True` and `strategy="forward-mode"` are not '
                'supported together (yet). Please either set `create_graph=False` or `strategy="reverse-mode"`.'
            )
        return _jacobian_forward(func, inputs, strict, as_lists=True)
    auto = strategy is None and not create_graph and not strict
    result = _jacobian_reverse(func, inputs, create_graph, strict, vectorize, auto)
    if result is _SWITCH_TO_FORWARD:
        return _jacobian_forward(func, inputs, strict)
    return result


_SWITCH_TO_FORWARD = object()


def _jacobian_reverse(
    func: Callable[..., Any], inputs: Any, create_graph: bool, strict: bool, vectorize: bool, auto: bool = False
) -> Any:
    with grad_mode.enable_grad():
        inputs_is_tuple, inputs = _as_tuple(inputs, "inputs", "jacobian")
        inputs = _prepare(inputs, create_graph, need_graph=True)
        outputs_is_tuple, outputs = _as_tuple(func(*inputs), "outputs of the user-provided function", "jacobian")
        _check_requires_grad(outputs, "outputs", strict)
        if auto and 0 < sum(x.numel() for x in inputs) < sum(o.numel() for o in outputs):
            return _SWITCH_TO_FORWARD  # fewer forward passes (one per input element) than reverse ones
        if vectorize and strict:
            raise RuntimeError(
                "torch.autograd.functional.jacobian: `strict=True` and `vectorized=True` are not supported together. "
                "Please either set `strict=False` or `vectorize=False`."
            )
        rows: list[list] = [[] for _ in outputs]  # rows[i][j]: d outputs[i] / d inputs[j]
        for i, out in enumerate(outputs):
            flat = shape_ops.reshape(out, -1)
            if vectorize or not strict:  # one batched backward; strict mode checks row by row
                per_input = _batched_vjp_rows(flat, inputs, create_graph)
            else:
                per_input = _looped_vjp_rows(flat, inputs, i, create_graph, strict)
            rows[i] = [shape_ops.reshape(r, out.shape + x.shape) for r, x in zip(per_input, inputs)]
    jac = tuple(_finish(tuple(r), create_graph) for r in rows)
    return _unpack(jac, (outputs_is_tuple, inputs_is_tuple))


def _looped_vjp_rows(flat: Tensor, inputs: tuple, out_index: int, create_graph: bool, strict: bool) -> list:
    from bibun.ops.shape import stack

    columns: list[list] = [[] for _ in inputs]
    for k in range(flat.numel()):
        grads = _grad((flat[k],), inputs, None, create_graph)
        for j, (g, x) in enumerate(zip(grads, inputs)):
            if g is None:
                if strict:
                    raise RuntimeError(
                        f"Output {out_index} of the user-provided function is independent of input {j}. This is not "
                        "allowed in strict mode."
                    )
                g = _creation.zeros_like(x)
            elif strict and create_graph and not g._requires_grad:
                raise RuntimeError(
                    f"The jacobian of the user-provided function is independent of input {out_index}. This is not "
                    "allowed in strict mode when create_graph=True."
                )
            columns[j].append(g)
    return [stack(c, 0) if c else _creation.zeros((0,) + x.shape, dtype=x.dtype) for c, x in zip(columns, inputs)]


def _batched_vjp_rows(flat: Tensor, inputs: tuple, create_graph: bool) -> list:
    from bibun.func import vmap

    basis = _creation.eye(flat.numel(), dtype=flat.dtype)

    def row(cotangent: Tensor) -> tuple:
        grads = _grad((flat,), inputs, (cotangent,), create_graph=True)
        return tuple(_creation.zeros_like(x) if g is None else g for g, x in zip(grads, inputs))

    return list(vmap(row)(basis))


def _jacobian_forward(func: Callable[..., Any], inputs: Any, strict: bool, as_lists: bool = False) -> Any:
    """Forward mode, one column per input element. ``as_lists``: PyTorch's forward-mode
    jacobian returns lists where reverse mode returns tuples (when the inputs are a tuple)."""
    if strict:
        raise RuntimeError(
            'torch.autograd.functional.jacobian: `strict=True` and `strategy="forward-mode"` are not supported '
            'together (yet). Please either set `strict=False` or `strategy="reverse-mode"`.'
        )
    inputs_is_tuple, inputs = _as_tuple(inputs, "inputs", "jacobian")
    inputs = tuple(x.detach() for x in inputs)
    numels = [x.numel() for x in inputs]
    total = sum(numels)
    if total == 0:
        return _jacobian_reverse(func, inputs if inputs_is_tuple else inputs[0], False, False, False)
    dtype = inputs[0].dtype
    basis = _creation.eye(total, dtype=dtype)
    info: dict[str, Any] = {}

    def column(direction: Tensor) -> tuple:
        tangents, start = [], 0
        for x, n in zip(inputs, numels):
            tangents.append(shape_ops.reshape(direction[start : start + n], x.shape).to(x.dtype))
            start += n
        outputs, out_tangents = _forward(func, inputs, tuple(tangents), "jacobian", False)
        info["outputs"] = outputs
        return tuple(_creation.zeros_like(o) if t is None else t for o, t in zip(outputs, out_tangents))

    # Always batched (``vectorize`` or not): the numbers are a loop's, the cost one pass.
    from bibun.func import vmap

    columns = vmap(column)(basis)  # per output: (total, *out.shape)
    outputs = info["outputs"]
    jac = []
    for out, col in zip(outputs, columns):
        moved = shape_ops.permute(col, tuple(range(1, col.ndim)) + (0,))  # input directions last
        row, start = [], 0
        for x, n in zip(inputs, numels):
            part = moved[(Ellipsis, slice(start, start + n))]
            row.append(shape_ops.reshape(part, out.shape + x.shape).detach())
            start += n
        jac.append(row if as_lists else tuple(row))
    return _unpack(jac if as_lists else tuple(jac), (outputs_is_tuple_of(outputs), inputs_is_tuple))


def hessian(
    func: Callable[..., Any],
    inputs: Any,
    create_graph: bool = False,
    strict: bool = False,
    vectorize: bool = False,
    outer_jacobian_strategy: str = "reverse-mode",
) -> Any:
    """The Hessian of a scalar function: the Jacobian of its gradient. The outer Jacobian
    runs in ``outer_jacobian_strategy`` ("forward-mode": forward-over-reverse)."""
    inputs_is_tuple, inputs = _as_tuple(inputs, "inputs", "hessian")
    if outer_jacobian_strategy not in _STRATEGIES:
        raise AssertionError('Expected strategy to be either "forward-mode" or "reverse-mode".')

    def scalar_function(*args: Tensor) -> Tensor:
        out = func(*args)
        out_is_tuple, outs = _as_tuple(out, "outputs of the user-provided function", "hessian")
        _check_requires_grad(outs, "outputs", strict)
        if out_is_tuple or not isinstance(out, Tensor):
            raise RuntimeError("The function given to hessian should return a single Tensor")
        if out.numel() != 1:
            raise RuntimeError("The Tensor returned by the function given to hessian should contain a single element")
        return shape_ops.squeeze(out)

    def gradient(*args: Tensor) -> tuple:
        if outer_jacobian_strategy == "forward-mode":
            # The dual inputs are leaves: requiring grad in place keeps their tangents.
            args = tuple(a if a._requires_grad else a.requires_grad_() for a in args)
        jac = _jacobian_reverse(scalar_function, args, True, strict, False)
        _check_requires_grad(jac, "jacobian", strict)
        return jac

    result = jacobian(
        gradient,
        inputs,
        create_graph=create_graph,
        strict=strict,
        vectorize=vectorize,
        strategy=outer_jacobian_strategy,
    )
    return _unpack(result, (inputs_is_tuple, inputs_is_tuple))


def _scalar_output(func: Callable[..., Any], inputs: tuple, fn_name: str, strict: bool) -> tuple:
    outputs_is_tuple, outputs = _as_tuple(func(*inputs), "outputs of the user-provided function", fn_name)
    _check_requires_grad(outputs, "outputs", strict)
    if outputs_is_tuple:
        raise RuntimeError(f"The function given to {fn_name} should return a single Tensor")
    if outputs[0].numel() != 1:
        raise RuntimeError(f"The Tensor returned by the function given to {fn_name} should contain a single element")
    return outputs_is_tuple, outputs


def vhp(
    func: Callable[..., Any], inputs: Any, v: Any = None, create_graph: bool = False, strict: bool = False
) -> tuple[Any, Any]:
    """``(func(*inputs), vᵀ H)`` for a scalar function: reverse-over-reverse."""
    return _hessian_product(func, inputs, v, create_graph, strict, "vhp")


def hvp(
    func: Callable[..., Any], inputs: Any, v: Any = None, create_graph: bool = False, strict: bool = False
) -> tuple[Any, Any]:
    """``(func(*inputs), H v)`` for a scalar function. The Hessian is symmetric for the
    twice-differentiable functions this is meant for, so this is ``vhp``'s computation
    (PyTorch uses a double-backward trick; the numbers agree)."""
    return _hessian_product(func, inputs, v, create_graph, strict, "hvp")


def _hessian_product(
    func: Callable[..., Any], inputs: Any, v: Any, create_graph: bool, strict: bool, fn_name: str
) -> tuple[Any, Any]:
    with grad_mode.enable_grad():
        inputs_is_tuple, inputs = _as_tuple(inputs, "inputs", fn_name)
        inputs = _prepare(inputs, create_graph, need_graph=True)
        if v is not None:
            _, v = _as_tuple(v, "v", fn_name)
            v = _prepare(v, create_graph, need_graph=False)
            _validate_v(v, inputs, inputs_is_tuple)
        else:
            if len(inputs) != 1 or inputs[0].numel() != 1:
                raise RuntimeError(
                    "The vector v can only be None if the input to the user-provided function is a single Tensor "
                    "with a single element."
                )
        outputs_is_tuple, outputs = _scalar_output(func, inputs, fn_name, strict)
        jac = _grad(outputs, inputs, None, create_graph=True)
        _check_requires_grad(jac, "jacobian", strict)
    with grad_mode.set_grad_enabled(create_graph or grad_mode.is_grad_enabled()):
        products = _grad(jac, inputs, v, create_graph)
        products = _fill_in_zeros(products, inputs, strict, create_graph, "double_back")
    return _unpack(_finish(outputs, create_graph), outputs_is_tuple), _unpack(
        _finish(products, create_graph), inputs_is_tuple
    )
