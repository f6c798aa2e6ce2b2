"""gradcheck and gradgradcheck: PyTorch's signature and messages, passing on correct
derivatives, a failure report naming the output/input pair with both Jacobians, the float64
warning, and second-order checks that catch a backward that is not differentiable."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import bibun
from bibun.autograd import Function, gradcheck, gradgradcheck
from bibun.autograd.gradcheck import GradcheckError, get_numerical_jacobian


def double(*shape, seed=0):
    rng = np.random.default_rng(seed)
    return bibun.tensor(rng.standard_normal(shape), dtype=bibun.float64, requires_grad=True)


class WrongFirstOutput(Function):
    """x*y has gradient y w.r.t. x; this backward claims 2y."""

    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        return x * y, x + y

    @staticmethod
    def backward(ctx, g1, g2):
        x, y = ctx.saved_tensors
        return g1 * y * 2 + g2, g1 * x + g2


class DetachedBackward(Function):
    """Right first derivative of x**3, but its backward cuts the graph (uses a detached
    copy of x), so the second derivative through it is wrong."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x**3

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * 3 * x.detach() ** 2


@pytest.mark.parametrize(
    "fn, shapes",
    [
        (lambda a: a.sin() * a.exp(), [(3,)]),
        (lambda a, b: a @ b, [(2, 3), (3, 4)]),
        (lambda a, b: (a * b.sigmoid(), a.sum()), [(2, 2), (2, 2)]),
        (lambda a: a.tanh().sum(0), [(3, 2)]),
    ],
)
def test_correct_derivatives_pass(fn, shapes):
    inputs = tuple(double(*s, seed=i) for i, s in enumerate(shapes))
    assert gradcheck(fn, inputs) is True
    assert gradgradcheck(fn, inputs) is True


def test_failure_report_names_pair_and_shows_both_jacobians():
    x, y = double(2, seed=1), double(2, seed=2)
    with pytest.raises(GradcheckError) as info:
        gradcheck(WrongFirstOutput.apply, (x, y))
    message = str(info.value)
    assert message.startswith("Jacobian mismatch for output 0 with respect to input 0,\nnumerical:tensor(")
    numerical = np.diag(y.detach().numpy())
    assert f"{numerical[0, 0]:.4f}"[:5] in message.split("analytical:")[0]
    assert f"{2 * numerical[0, 0]:.4f}"[:5] in message.split("analytical:")[1]
    assert isinstance(info.value, RuntimeError)
    assert gradcheck(WrongFirstOutput.apply, (x, y), raise_exception=False) is False
    assert x.grad is None and y.grad is None  # the check accumulates nothing


def test_numerical_jacobian_layout_is_input_by_output():
    x = double(3)
    (jac,) = get_numerical_jacobian(lambda a: a[:2] * 2, (x,))[0]
    np.testing.assert_allclose(jac, [[2, 0], [0, 2], [0, 0]], atol=1e-8)
    np.testing.assert_array_equal(x.detach().numpy(), double(3).detach().numpy())  # inputs restored


def test_warns_for_single_precision_and_refuses_no_grad_inputs():
    x32 = bibun.tensor([0.5, 1.0], requires_grad=True)
    with pytest.warns(UserWarning, match="Input #0 requires gradient and is not a double precision floating point"):
        assert gradcheck(bibun.sin, (x32,), eps=1e-3, atol=1e-2)
    with pytest.raises(ValueError, match="gradcheck expects at least one input tensor to require gradient"):
        gradcheck(bibun.sin, (bibun.tensor([1.0], dtype=bibun.float64),))


def test_output_without_grad_must_not_depend_on_inputs():
    x = double(2)
    with pytest.raises(GradcheckError, match="Numerical gradient for function expected to be zero"):
        gradcheck(lambda a: a.detach() * 2, (x,))


def test_gradgradcheck_catches_a_backward_that_is_not_differentiable():
    x = double(3)
    assert gradcheck(DetachedBackward.apply, (x,))
    with pytest.raises(GradcheckError, match="Jacobian mismatch for output 0 with respect to input 0"):
        gradgradcheck(DetachedBackward.apply, (x,))
    assert gradgradcheck(DetachedBackward.apply, (x,), raise_exception=False) is False


def test_forward_mode_check():
    x = double(3)
    assert gradcheck(lambda a: a.sin() * a, (x,), check_forward_ad=True)


def test_torch_signature_keywords_accepted():
    x = double(2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert gradcheck(
            bibun.exp,
            (x,),
            eps=1e-6,
            atol=1e-5,
            rtol=1e-3,
            nondet_tol=0.0,
            check_undefined_grad=True,
            check_grad_dtypes=True,
            check_batched_grad=False,
            fast_mode=False,
        )
        assert gradgradcheck(bibun.exp, (x,), grad_outputs=(double(2, seed=5),), gen_non_contig_grad_outputs=False)
