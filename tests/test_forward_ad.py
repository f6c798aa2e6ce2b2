"""Forward-mode AD (bibun.autograd.forward_ad): PyTorch's forward-mode tutorial as tests,
tangents against reverse mode and finite differences, forward-over-reverse, printing, and
PyTorch's errors for bad input."""

from __future__ import annotations

import numpy as np
import pytest

import bibun
import bibun.autograd.forward_ad as fwAD
from bibun.ops import _registry


def _tutorial_function(x1: bibun.Tensor, x2: bibun.Tensor) -> bibun.Tensor:
    y = x1 * x2
    return bibun.log(y) * bibun.sin(y)


def test_tutorial_forward_mode_matches_reverse_mode() -> None:
    """The tutorial's f(x1, x2) = log(x1 x2) sin(x1 x2) at (1, 2): one forward pass with
    tangent (1, 0) gives dz/dx1, the number reverse mode gives."""
    x1 = bibun.tensor(1.0, requires_grad=True)
    x2 = bibun.tensor(2.0, requires_grad=True)
    _tutorial_function(x1, x2).backward()
    with fwAD.dual_level():
        z = _tutorial_function(fwAD.make_dual(bibun.tensor(1.0), bibun.tensor(1.0)), bibun.tensor(2.0))
        tangent = fwAD.unpack_dual(z).tangent
    assert tangent.item() == pytest.approx(x1.grad.item(), rel=1e-6)
    assert fwAD.unpack_dual(z).tangent is None  # the level is gone


def test_pytorch_tutorial_basic_usage() -> None:
    """PyTorch's forward-mode AD tutorial: fn(x, y) = x ** 2 + y ** 2 with a dual x."""
    primal = bibun.randn(10, 10, dtype=bibun.float64)
    tangent = bibun.randn(10, 10, dtype=bibun.float64)
    y = bibun.randn(10, 10, dtype=bibun.float64)
    with fwAD.dual_level():
        dual_input = fwAD.make_dual(primal, tangent)
        assert fwAD.unpack_dual(dual_input).tangent is tangent
        dual_output = dual_input**2 + y**2
        jvp = fwAD.unpack_dual(dual_output).tangent
        unpacked = fwAD.unpack_dual(dual_output)
        assert isinstance(unpacked, tuple) and unpacked._fields == ("primal", "tangent")
        np.testing.assert_allclose(unpacked.primal.numpy(), (primal**2 + y**2).numpy())
    np.testing.assert_allclose(jvp.numpy(), (2 * primal * tangent).numpy(), rtol=1e-12)


def test_tangents_against_finite_differences() -> None:
    rng = np.random.default_rng(0)
    x, v = rng.uniform(0.5, 1.5, (3, 4)), rng.standard_normal((3, 4))

    def f(t: bibun.Tensor) -> bibun.Tensor:
        return (bibun.exp(t).sum(1) * t.mean(0).sum() + (t @ t.T).sum()).tanh()

    with fwAD.dual_level():
        tangent = fwAD.unpack_dual(f(fwAD.make_dual(bibun.tensor(x), bibun.tensor(v)))).tangent.numpy()
    eps = 1e-6
    numeric = (f(bibun.tensor(x + eps * v)).numpy() - f(bibun.tensor(x - eps * v)).numpy()) / (2 * eps)
    np.testing.assert_allclose(tangent, numeric, rtol=1e-6, atol=1e-9)


def test_repr_shows_the_tangent() -> None:
    with fwAD.dual_level():
        y = fwAD.make_dual(bibun.tensor(1.0), bibun.tensor(2.0)).sin()
        text = repr(y)
        vector = repr(fwAD.make_dual(bibun.tensor([1.0, 2.0]), bibun.tensor([1.0, 3.0])) * 2)
    assert text.startswith("tensor(0.8415, tangent=1.08060")
    assert vector == "tensor([2., 4.], tangent=tensor([2., 6.]))"
    assert repr(y) == "tensor(0.8415)"  # outside the level the tangent is gone


def test_repr_matches_pytorch() -> None:
    torch = pytest.importorskip("torch", reason="comparing with PyTorch needs torch (pip install torch==2.13.0)")
    outputs = []
    for lib in (bibun, torch):
        ad = lib.autograd.forward_ad
        with ad.dual_level():
            d = ad.make_dual(lib.tensor([0.5, 2.0], dtype=lib.float64), lib.tensor([1.0, -1.0], dtype=lib.float64))
            outputs.append(repr((d * d.exp()).sum()))
    assert outputs[0] == outputs[1].replace("torch.", "bibun.")


def test_no_hook_outside_a_level() -> None:
    assert _registry.forward_hook[0] is None
    with fwAD.dual_level():
        assert _registry.forward_hook[0] is not None
    assert _registry.forward_hook[0] is None


def test_symbolic_zeros_and_constants() -> None:
    with fwAD.dual_level():
        x = fwAD.make_dual(bibun.tensor([1.0, 2.0]), bibun.tensor([1.0, 0.5]))
        c = bibun.tensor([3.0, 4.0])
        assert fwAD.unpack_dual(c * 2).tangent is None  # nothing dual in, nothing out
        np.testing.assert_allclose(fwAD.unpack_dual(x * c + c).tangent.numpy(), [3.0, 2.0])
        np.testing.assert_allclose(fwAD.unpack_dual(x[1]).tangent.numpy(), 0.5)
        values, indices = bibun.max(x, 0)
        assert fwAD.unpack_dual(values).tangent.item() == 0.5
        assert fwAD.unpack_dual(indices).tangent is None


def test_ties_in_max_share_the_tangent_like_pytorch() -> None:
    with fwAD.dual_level():
        x = fwAD.make_dual(bibun.tensor([1.0, 2.0, 2.0]), bibun.tensor([1.0, 1.0, 3.0]))
        assert fwAD.unpack_dual(x.max()).tangent.item() == 2.0  # the mean over the tied entries
        assert fwAD.unpack_dual(bibun.amax(x)).tangent.item() == 2.0


def test_dtype_promotion_keeps_tangent_dtype_of_result() -> None:
    with fwAD.dual_level():
        x = fwAD.make_dual(bibun.tensor([1.0, 2.0]), bibun.tensor([1.0, 1.0]))
        y = x * bibun.tensor([2.0, 3.0], dtype=bibun.float64)
        assert y.dtype == bibun.float64 and fwAD.unpack_dual(y).tangent.dtype == bibun.float64


def test_forward_over_reverse_gives_hessian_vector_products() -> None:
    """A dual tensor that requires grad: backward through the JVP is H v."""
    x0 = np.array([0.3, -1.2, 2.0])
    v = np.array([1.0, 0.5, -2.0])
    x = bibun.tensor(x0, requires_grad=True)
    with fwAD.dual_level():
        d = fwAD.make_dual(x, bibun.tensor(v))
        y = (d**3 * d.sin()).sum()
        tangent = fwAD.unpack_dual(y).tangent
        assert tangent.requires_grad
        (hv,) = bibun.autograd.grad(tangent, x)
    second = 6 * x0 * np.sin(x0) + 6 * x0**2 * np.cos(x0) - x0**3 * np.sin(x0)
    np.testing.assert_allclose(hv.numpy(), second * v, rtol=1e-12)


def test_forward_over_reverse_through_saved_outputs() -> None:
    """exp and tanh save their output for backward; its tangent must reach the backward."""
    x = bibun.tensor([0.2, 0.7], dtype=bibun.float64, requires_grad=True)
    with fwAD.dual_level():
        d = fwAD.make_dual(x, bibun.ones(2, dtype=bibun.float64))
        (g,) = bibun.autograd.grad((bibun.exp(d) + bibun.tanh(d)).sum(), d, create_graph=True)
        hv = fwAD.unpack_dual(g).tangent.detach().numpy()
    x0 = np.array([0.2, 0.7])
    t = np.tanh(x0)
    np.testing.assert_allclose(hv, np.exp(x0) - 2 * t * (1 - t**2), rtol=1e-12)


def test_against_pytorch() -> None:
    torch = pytest.importorskip("torch", reason="comparing with PyTorch needs torch (pip install torch==2.13.0)")
    rng = np.random.default_rng(5)
    a, b, v = rng.standard_normal((3, 4)), rng.standard_normal((4, 2)), rng.standard_normal((3, 4))
    tangents = []
    for lib in (bibun, torch):
        ad = lib.autograd.forward_ad
        with ad.dual_level():
            x = ad.make_dual(lib.tensor(a), lib.tensor(v))
            y = lib.softmax(x @ lib.tensor(b), 1) if hasattr(lib, "softmax") else None
            z = (x.sin() @ lib.tensor(b)).sum(0).max() + x.abs().mean() + x.reshape(12)[3:7].prod()
            tangents.append(ad.unpack_dual(z).tangent.item())
            del y
    assert tangents[0] == pytest.approx(tangents[1], rel=1e-12)


# --- bad input --------------------------------------------------------------------------------
def test_make_dual_outside_a_level() -> None:
    with pytest.raises(RuntimeError, match="no level exists, make sure to enter_dual_level"):
        fwAD.make_dual(bibun.tensor(1.0), bibun.tensor(1.0))


def test_tangent_of_the_wrong_shape() -> None:
    with fwAD.dual_level(), pytest.raises(RuntimeError, match="different size than that of the original Tensor"):
        fwAD.make_dual(bibun.tensor(1.0), bibun.tensor([1.0, 2.0]))


def test_integer_primal_or_tangent() -> None:
    with fwAD.dual_level():
        with pytest.raises(ValueError, match="Expected primal to be floating point or complex, but got: bibun.int64"):
            fwAD.make_dual(bibun.tensor(1), bibun.tensor(1.0))
        with pytest.raises(ValueError, match="Expected tangent to be floating point or complex"):
            fwAD.make_dual(bibun.tensor(1.0), bibun.tensor(1))


def test_dual_of_a_dual_at_the_same_level() -> None:
    with fwAD.dual_level():
        d = fwAD.make_dual(bibun.tensor(1.0), bibun.tensor(1.0))
        with pytest.raises(RuntimeError, match="already has a forward gradient at the same level 0"):
            fwAD.make_dual(d, bibun.tensor(2.0))


def test_nested_levels_are_refused_like_pytorch() -> None:
    with fwAD.dual_level():
        with pytest.raises(RuntimeError, match="Nested forward mode AD is not supported at the moment"):
            fwAD.enter_dual_level()
    assert fwAD._open == []


def test_exit_levels() -> None:
    level = fwAD.enter_dual_level()
    assert level == 0
    with pytest.raises(RuntimeError, match="not the last one that was created"):
        fwAD.exit_dual_level(level=1)
    fwAD.exit_dual_level(level=0)
    with pytest.raises(RuntimeError, match="Dual level must be a positive number"):
        fwAD.exit_dual_level()


def test_unpack_dual_of_a_plain_tensor() -> None:
    t = bibun.tensor([1.0])
    assert fwAD.unpack_dual(t).tangent is None
    with fwAD.dual_level():
        assert fwAD.unpack_dual(t) == (t, None)
