"""bibun.autograd.functional: PyTorch's documentation examples as tests, Jacobians and
Hessians against finite differences and against PyTorch, both strategies, vectorized or
not, and PyTorch's errors for bad input."""

from __future__ import annotations

import numpy as np
import pytest

import bibun
from bibun.autograd import functional as F


def _numeric_jacobian(f, x: np.ndarray, eps: float = 1e-6) -> np.ndarray:  # noqa: ANN001
    base = f(x)
    jac = np.zeros(base.shape + x.shape)
    for index in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[index] = eps
        jac[(Ellipsis,) + index] = (f(x + step) - f(x - step)) / (2 * eps)
    return jac


def _exp_reducer(x: bibun.Tensor) -> bibun.Tensor:
    return x.exp().sum(dim=1)


def _exp_adder(x: bibun.Tensor, y: bibun.Tensor) -> bibun.Tensor:
    return 2 * x.exp() + 3 * y


def _pow_reducer(x: bibun.Tensor) -> bibun.Tensor:
    return x.pow(3).sum()


X = np.array([[0.2, -0.5], [1.1, 0.3], [-0.7, 0.9], [0.4, 0.05]])


def test_docs_vjp_example() -> None:
    inputs = bibun.tensor(X)
    v = bibun.ones(4, dtype=bibun.float64)
    out, product = F.vjp(_exp_reducer, inputs, v)
    np.testing.assert_allclose(out.numpy(), np.exp(X).sum(1))
    np.testing.assert_allclose(product.numpy(), np.exp(X))
    assert product.grad_fn is None and not product.requires_grad
    out, product = F.vjp(_exp_reducer, inputs, v, create_graph=True)
    assert type(product.grad_fn).__name__ == "MulBackward0"  # as in PyTorch: against a fresh leaf


def test_docs_jvp_example_two_inputs() -> None:
    x, y = bibun.tensor(X[:2]), bibun.tensor(X[2:])
    v = (bibun.ones(2, 2, dtype=bibun.float64), bibun.ones(2, 2, dtype=bibun.float64))
    out, product = F.jvp(_exp_adder, (x, y), v)
    np.testing.assert_allclose(out.numpy(), 2 * np.exp(X[:2]) + 3 * X[2:])
    np.testing.assert_allclose(product.numpy(), 2 * np.exp(X[:2]) + 3)


def test_jacobian_against_finite_differences_both_strategies() -> None:
    def f(t: bibun.Tensor) -> bibun.Tensor:
        return (t @ t.T).sin().sum(0) * t[:, 0]

    numeric = _numeric_jacobian(lambda a: f(bibun.tensor(a)).numpy(), X)
    for strategy in ("reverse-mode", "forward-mode", None):
        for vectorize in (False, True):
            jac = F.jacobian(f, bibun.tensor(X), vectorize=vectorize, strategy=strategy)
            np.testing.assert_allclose(jac.numpy(), numeric, rtol=1e-6, atol=1e-9, err_msg=f"{strategy} {vectorize}")


def test_hessian_against_finite_differences() -> None:
    def f(t: bibun.Tensor) -> bibun.Tensor:
        return (t**3 * t.sin()).sum()

    x0 = np.array([0.3, -1.1, 0.8])

    def gradient(a: np.ndarray) -> np.ndarray:
        return 3 * a**2 * np.sin(a) + a**3 * np.cos(a)

    numeric = _numeric_jacobian(gradient, x0)
    for strategy in ("reverse-mode", "forward-mode"):
        for vectorize in (False, True):
            hess = F.hessian(f, bibun.tensor(x0), vectorize=vectorize, outer_jacobian_strategy=strategy)
            np.testing.assert_allclose(hess.numpy(), numeric, rtol=1e-6, atol=1e-8)


def test_hvp_and_vhp() -> None:
    x0 = np.array([0.5, 1.5])
    v = bibun.tensor([1.0, -2.0], dtype=bibun.float64)
    out, hv = F.hvp(_pow_reducer, bibun.tensor(x0), v)
    _, vh = F.vhp(_pow_reducer, bibun.tensor(x0), v)
    assert out.item() == pytest.approx(np.sum(x0**3))
    np.testing.assert_allclose(hv.numpy(), 6 * x0 * np.array([1.0, -2.0]))
    np.testing.assert_allclose(vh.numpy(), hv.numpy())


def test_tuple_structure_of_results() -> None:
    x, y = bibun.tensor(X[:2]), bibun.tensor(X[2:])
    jac = F.jacobian(_exp_adder, (x, y))
    assert isinstance(jac, tuple) and len(jac) == 2 and jac[0].shape == (2, 2, 2, 2)
    np.testing.assert_allclose(jac[1].numpy(), 3 * np.eye(4).reshape(2, 2, 2, 2))
    hess = F.hessian(lambda a, b: (a * b).sum(), (x, y))
    assert isinstance(hess, tuple) and isinstance(hess[0], tuple) and hess[0][1].shape == (2, 2, 2, 2)
    np.testing.assert_allclose(hess[0][1].numpy(), np.eye(4).reshape(2, 2, 2, 2))
    np.testing.assert_allclose(hess[0][0].numpy(), 0.0)


@pytest.mark.parametrize("vectorize", [False, True])
def test_against_pytorch(vectorize: bool) -> None:
    torch = pytest.importorskip("torch", reason="comparing with PyTorch needs torch (pip install torch==2.13.0)")
    results = []
    for lib in (bibun, torch):
        f = lib.autograd.functional
        x = lib.tensor(X)
        y = lib.tensor(X[:, 0])
        v = lib.tensor(np.linspace(-1, 1, 8).reshape(4, 2))
        results.append(
            [
                f.jacobian(lambda a, b: (a * b[:, None]).tanh(), (x, y), vectorize=vectorize),
                f.hessian(lambda a: (a.exp() * a).sum(), x, vectorize=vectorize),
                f.jvp(lambda a: a.sin() @ a.T, x, v)[1],
                f.vjp(lambda a: a.sin().sum(1), x, lib.ones_like(y))[1],
                f.hvp(lambda a: (a**4).sum(), x, v)[1],
            ]
        )

    def flat(value: object) -> list:
        if isinstance(value, (tuple, list)):
            return [a for item in value for a in flat(item)]
        return [value.detach().numpy()]

    for ours, theirs in zip(flat(results[0]), flat(results[1])):
        assert ours.shape == theirs.shape
        np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)


# --- bad input --------------------------------------------------------------------------------
def test_non_tensor_inputs_and_outputs() -> None:
    with pytest.raises(TypeError, match="The inputs given to vjp must be either a Tensor or a tuple of Tensors"):
        F.vjp(_exp_reducer, [1.0])
    with pytest.raises(TypeError, match="outputs of the user-provided function given to jacobian must be either"):
        F.jacobian(lambda a: 1.0, bibun.tensor([1.0]))


def test_v_checks() -> None:
    x = bibun.tensor(X)
    with pytest.raises(RuntimeError, match="v has invalid size: should be bibun.Size\\(\\[4\\]\\) but got"):
        F.vjp(_exp_reducer, x, bibun.ones(3, dtype=bibun.float64))
    with pytest.raises(RuntimeError, match="The vector v can only be None if the user-provided function returns"):
        F.vjp(_exp_reducer, x)
    with pytest.raises(RuntimeError, match="v is a tuple of invalid length: should be 2 but got 1"):
        F.jvp(_exp_adder, (x, x), (x,))


def test_strict_mode_violations() -> None:
    x = bibun.tensor([1.0, 2.0])
    with pytest.raises(RuntimeError, match="Output 0 of the user-provided function does not require gradients"):
        F.vjp(lambda a: bibun.ones(2), x, bibun.ones(2), strict=True)
    with pytest.raises(RuntimeError, match="is independent of input 1. This is not allowed in strict mode"):
        F.jacobian(lambda a, b: a * 2, (x, x), strict=True)
    with pytest.raises(RuntimeError, match='`strict=True` and `strategy="forward-mode"` are not supported'):
        F.jacobian(lambda a: a * 2, x, strict=True, strategy="forward-mode")


def test_strategy_checks() -> None:
    x = bibun.tensor([1.0])
    with pytest.raises(AssertionError, match='Expected strategy to be either "forward-mode" or "reverse-mode"'):
        F.jacobian(lambda a: a, x, strategy="sideways")
    with pytest.raises(NotImplementedError, match='`create_graph=True` and `strategy="forward-mode"`'):
        F.jacobian(lambda a: a, x, create_graph=True, strategy="forward-mode")


def test_hessian_of_a_non_scalar_function() -> None:
    with pytest.raises(RuntimeError, match="should contain a single element"):
        F.hessian(lambda a: a**2, bibun.tensor([1.0, 2.0]))
    with pytest.raises(RuntimeError, match="The function given to hvp should return a single Tensor"):
        F.hvp(lambda a: (a.sum(), a.sum()), bibun.tensor([1.0]), bibun.tensor([1.0]))
