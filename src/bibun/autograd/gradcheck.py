"""``gradcheck`` and ``gradgradcheck`` with PyTorch's signatures: compare the Jacobians that
backward computes with central finite differences (docs/mechanics.md, "gradcheck").

Jacobians are laid out as PyTorch prints them: one row per input element, one column per
output element. A failure names the output/input pair and shows both Jacobians.
"""

from __future__ import annotations

import warnings
from typing import Any, Callable, Sequence

import numpy as np

from bibun._tensor import Tensor, new_tensor
from bibun.autograd import grad_mode

__all__ = ["gradcheck", "gradgradcheck", "GradcheckError", "get_numerical_jacobian", "get_analytical_jacobian"]


class GradcheckError(RuntimeError):
    """Raised by gradcheck and gradgradcheck when a check fails."""


def _as_tuple(x: Any) -> tuple:
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def _differentiable_inputs(inputs: tuple) -> list[tuple[int, Tensor]]:
    return [(i, t) for i, t in enumerate(inputs) if isinstance(t, Tensor) and t.requires_grad]


def _check_inputs(inputs: tuple) -> None:
    if not _differentiable_inputs(inputs):
        raise ValueError(
            "gradcheck expects at least one input tensor to require gradient, but none of them have requires_grad=True."
        )
    for i, t in _differentiable_inputs(inputs):
        if t._data.dtype not in (np.float64, np.complex128):
            warnings.warn(
                f"Input #{i} requires gradient and is not a double precision floating point or complex. This check "
                "will likely fail if all the inputs are not of double precision floating point or complex. ",
                UserWarning,
                stacklevel=3,
            )


def _outputs(func: Callable[..., Any], inputs: tuple) -> tuple:
    return tuple(o for o in _as_tuple(func(*inputs)) if isinstance(o, Tensor))


def get_numerical_jacobian(func: Callable[..., Any], inputs: Any, eps: float = 1e-6) -> list[list[np.ndarray]]:
    """``[output][input]`` Jacobians by central differences: each input element is nudged by
    ``±eps`` in its own memory (under no_grad), the outputs are re-evaluated, and restored."""
    inputs = _as_tuple(inputs)
    diff = _differentiable_inputs(inputs)
    with grad_mode.no_grad():
        reference = _outputs(func, inputs)
        jacobians = [[np.zeros((t._data.size, o._data.size), dtype=np.float64) for _, t in diff] for o in reference]
        for k, (_, t) in enumerate(diff):
            data = t._data
            if data.size and not data.flags.writeable:
                raise RuntimeError("gradcheck needs inputs whose memory can be perturbed in place (a writable array)")
            # Element by element in row-major order, through the array itself, so strided
            # inputs (transposes, slices) are perturbed where they live.
            for j, index in enumerate(np.ndindex(data.shape)):
                original = data[index].item()
                data[index] = original - eps
                minus = [o._data.astype(np.float64, copy=True) for o in _outputs(func, inputs)]
                data[index] = original + eps
                plus = [o._data.astype(np.float64, copy=True) for o in _outputs(func, inputs)]
                data[index] = original
                for o_index, (p, m) in enumerate(zip(plus, minus)):
                    jacobians[o_index][k][j] = ((p - m) / (2 * eps)).reshape(-1)
    return jacobians


def get_analytical_jacobian(outputs: Any, inputs: Any) -> list[list[np.ndarray]]:
    """``[output][input]`` Jacobians from backward: one ``autograd.grad`` per output element
    with a one-hot ``grad_outputs``."""
    from bibun.autograd.engine import grad

    outputs = _as_tuple(outputs)
    diff = [t for _, t in _differentiable_inputs(_as_tuple(inputs))]
    jacobians = []
    for o in outputs:
        per_input = [np.zeros((t._data.size, o._data.size), dtype=np.float64) for t in diff]
        if o.requires_grad:
            for j in range(o._data.size):
                seed = np.zeros(o._data.size, dtype=o._data.dtype)
                seed[j] = 1
                grads = grad(o, diff, new_tensor(seed.reshape(o._data.shape)), retain_graph=True, allow_unused=True)
                for k, g in enumerate(grads):
                    if g is not None:
                        per_input[k][:, j] = g._data.astype(np.float64).reshape(-1)
        jacobians.append(per_input)
    return jacobians


def _fail(message: str, raise_exception: bool) -> bool:
    if raise_exception:
        raise GradcheckError(message)
    return False


def _show(jacobian: np.ndarray, dtype: Any) -> str:
    return str(new_tensor(jacobian.astype(dtype)))


def gradcheck(
    func: Callable[..., Any],
    inputs: Any,
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
    nondet_tol: float = 0.0,
    check_undefined_grad: bool = True,
    check_grad_dtypes: bool = False,
    check_batched_grad: bool = False,
    check_batched_forward_grad: bool = False,
    check_forward_ad: bool = False,
    check_backward_ad: bool = True,
    fast_mode: bool = False,
    masked: bool | None = None,
) -> bool:
    """Check the gradients of ``func`` at ``inputs`` (a Tensor or a tuple) against finite
    differences; True on success, else GradcheckError (or False with
    ``raise_exception=False``). ``fast_mode``, ``check_batched_grad`` and ``masked`` are
    accepted for compatibility; the full Jacobian is always compared."""
    inputs = _as_tuple(inputs)
    _check_inputs(inputs)
    diff = _differentiable_inputs(inputs)
    outputs = _as_tuple(func(*inputs))
    tensor_outputs = [o for o in outputs if isinstance(o, Tensor)]
    numerical = get_numerical_jacobian(func, inputs, eps)

    for o_index, o in enumerate(tensor_outputs):
        if o.requires_grad:
            continue
        # An output that does not require grad must not depend on any input.
        if any(np.abs(j).max(initial=0.0) > atol for j in numerical[o_index]):
            return _fail("Numerical gradient for function expected to be zero", raise_exception)

    if check_backward_ad:
        analytical = get_analytical_jacobian(tensor_outputs, inputs)
        for o_index, o in enumerate(tensor_outputs):
            if not o.requires_grad:
                continue
            for k, (i, t) in enumerate(diff):
                a, n = analytical[o_index][k], numerical[o_index][k]
                if not np.allclose(a, n, rtol=rtol, atol=atol):
                    return _fail(
                        f"Jacobian mismatch for output {o_index} with respect to input {i},\n"
                        f"numerical:{_show(n, t._data.dtype)}\nanalytical:{_show(a, t._data.dtype)}\n",
                        raise_exception,
                    )
        again = get_analytical_jacobian(_as_tuple(_outputs(func, inputs)), inputs)
        for first, second in zip(analytical, again):
            for a, b in zip(first, second):
                if np.abs(a - b).max(initial=0.0) > nondet_tol:
                    return _fail(
                        "Backward is not reentrant, i.e., running backward with same input and grad_output multiple "
                        "times gives different values, although analytical gradient matches numerical gradient. "
                        f"The tolerance for nondeterminism was {nondet_tol}.",
                        raise_exception,
                    )
        if check_grad_dtypes and not _grad_dtypes_match(tensor_outputs, diff, raise_exception):
            return False

    if check_forward_ad:
        forward = _forward_jacobian(func, inputs)
        for o_index, per_input in enumerate(forward):
            for k, (i, t) in enumerate(diff):
                a, n = per_input[k], numerical[o_index][k]
                if not np.allclose(a, n, rtol=rtol, atol=atol):
                    return _fail(
                        f"Jacobian computed with forward mode mismatch for output {o_index} with respect to input "
                        f"{i},\nnumerical:{_show(n, t._data.dtype)}\nanalytical:{_show(a, t._data.dtype)}\n",
                        raise_exception,
                    )
    return True


def _grad_dtypes_match(outputs: list, diff: list, raise_exception: bool) -> bool:
    from bibun.autograd.engine import grad

    for o in outputs:
        if not o.requires_grad:
            continue
        seed = new_tensor(np.ones_like(o._data))
        grads = grad(o, [t for _, t in diff], seed, retain_graph=True, allow_unused=True)
        for (_, t), g in zip(diff, grads):
            if g is not None and g._data.dtype != t._data.dtype:
                return _fail("Gradient has dtype mismatch", raise_exception)
            if g is not None and g._data.shape != t._data.shape:
                return _fail("Analytical gradient has incorrect size", raise_exception)
    return True


def _forward_jacobian(func: Callable[..., Any], inputs: tuple) -> list[list[np.ndarray]]:
    """``[output][input]`` Jacobians by forward mode: one dual evaluation per input element."""
    from bibun.autograd import forward_ad

    diff = _differentiable_inputs(inputs)
    with grad_mode.no_grad():
        outputs = _outputs(func, inputs)
    jacobians = [[np.zeros((t._data.size, o._data.size)) for _, t in diff] for o in outputs]
    for k, (i, t) in enumerate(diff):
        for j in range(t._data.size):
            tangent = np.zeros(t._data.size, dtype=t._data.dtype)
            tangent[j] = 1
            with forward_ad.dual_level():
                dual_inputs = list(inputs)
                dual_inputs[i] = forward_ad.make_dual(t, new_tensor(tangent.reshape(t._data.shape)))
                for o_index, o in enumerate(_outputs(func, tuple(dual_inputs))):
                    tangent_out = forward_ad.unpack_dual(o).tangent
                    if tangent_out is not None:
                        jacobians[o_index][k][j] = tangent_out._data.astype(np.float64).reshape(-1)
    return jacobians


def gradgradcheck(
    func: Callable[..., Any],
    inputs: Any,
    grad_outputs: Sequence[Tensor] | Tensor | None = None,
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    gen_non_contig_grad_outputs: bool = False,
    raise_exception: bool = True,
    nondet_tol: float = 0.0,
    check_undefined_grad: bool = True,
    check_grad_dtypes: bool = False,
    check_batched_grad: bool = False,
    check_fwd_over_rev: bool = False,
    check_rev_over_rev: bool = True,
    fast_mode: bool = False,
    masked: bool = False,
) -> bool:
    """Check second derivatives: gradcheck of the function that maps ``(inputs, grad_outputs)``
    to the gradients of ``func`` computed with ``create_graph=True``. Random float64
    ``grad_outputs`` (fixed seed, so a failure reproduces) are made when none are given."""
    from bibun.autograd.engine import grad

    inputs = _as_tuple(inputs)
    _check_inputs(inputs)
    if grad_outputs is None:
        rng = np.random.default_rng(0)
        outputs = [o for o in _outputs(func, inputs) if o.requires_grad]
        grad_outputs = tuple(
            new_tensor(rng.standard_normal(o._data.shape).astype(o._data.dtype), True) for o in outputs
        )
    grad_outputs = _as_tuple(grad_outputs)
    n_inputs = len(inputs)

    def first_derivatives(*args: Any) -> tuple:
        primal_args, seeds = args[:n_inputs], args[n_inputs:]
        with grad_mode.enable_grad():  # the finite differences run under no_grad
            outputs = [o for o in _outputs(func, primal_args) if o.requires_grad]
            diff = [t for _, t in _differentiable_inputs(primal_args)]
            grads = grad(outputs, diff, seeds, create_graph=True, allow_unused=True)
        return tuple(g for g in grads if g is not None)

    return gradcheck(
        first_derivatives,
        inputs + grad_outputs,
        eps=eps,
        atol=atol,
        rtol=rtol,
        raise_exception=raise_exception,
        nondet_tol=nondet_tol,
        check_undefined_grad=check_undefined_grad,
        check_grad_dtypes=check_grad_dtypes,
        check_forward_ad=check_fwd_over_rev,
        check_backward_ad=check_rev_over_rev,
    )
