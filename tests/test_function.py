"""Custom autograd Functions, following PyTorch's documented examples: both forward styles,
ctx features, multiple outputs, non-tensor arguments, double backward, once_differentiable,
forward mode through ``jvp``, and the errors."""

from __future__ import annotations

import math

import numpy as np
import pytest

import bibun
from bibun.autograd import Function
from bibun.autograd.function import once_differentiable
from conftest import HAVE_TORCH

needs_torch = pytest.mark.skipif(not HAVE_TORCH, reason="PyTorch is not installed: the cross-check needs it")


def make_functions(L):
    class Exp(L.autograd.Function):
        @staticmethod
        def forward(ctx, i):
            result = i.exp()
            ctx.save_for_backward(result)
            return result

        @staticmethod
        def backward(ctx, grad_output):
            (result,) = ctx.saved_tensors
            return grad_output * result

    class LinearFunction(L.autograd.Function):
        @staticmethod
        def forward(input, weight, bias=None):
            output = input.mm(weight.t())
            if bias is not None:
                output += bias.unsqueeze(0).expand_as(output)
            return output

        @staticmethod
        def setup_context(ctx, inputs, output):
            input, weight, bias = inputs
            ctx.save_for_backward(input, weight, bias)

        @staticmethod
        def backward(ctx, grad_output):
            input, weight, bias = ctx.saved_tensors
            grad_input = grad_weight = grad_bias = None
            if ctx.needs_input_grad[0]:
                grad_input = grad_output.mm(weight)
            if ctx.needs_input_grad[1]:
                grad_weight = grad_output.t().mm(input)
            if bias is not None and ctx.needs_input_grad[2]:
                grad_bias = grad_output.sum(0)
            return grad_input, grad_weight, grad_bias

    class MulConstant(L.autograd.Function):
        @staticmethod
        def forward(ctx, tensor, constant):
            ctx.constant = constant
            return tensor * constant

        @staticmethod
        def backward(ctx, grad_output):
            return grad_output * ctx.constant, None

    class SinCos(L.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            ctx.set_materialize_grads(False)
            return x.sin(), x.cos()

        @staticmethod
        def backward(ctx, g_sin, g_cos):
            (x,) = ctx.saved_tensors
            grad = None
            if g_sin is not None:
                grad = g_sin * x.cos()
            if g_cos is not None:
                grad = (0 if grad is None else grad) - g_cos * x.sin()
            return grad

    return Exp, LinearFunction, MulConstant, SinCos


def test_exp_example_values_name_and_double_backward():
    Exp, *_ = make_functions(bibun)
    x = bibun.tensor([0.5, 1.0], dtype=bibun.float64, requires_grad=True)
    y = Exp.apply(x)
    assert type(y.grad_fn).__name__ == "ExpBackward" and y.grad_fn.name() == "ExpBackward"
    assert repr(y.grad_fn).startswith("<bibun.autograd.function.ExpBackward object at 0x")
    assert type(y.grad_fn.next_functions[0][0]).__name__ == "AccumulateGrad"
    (g,) = bibun.autograd.grad(y.sum(), x, create_graph=True)
    np.testing.assert_allclose(g.detach().numpy(), np.exp([0.5, 1.0]))
    (gg,) = bibun.autograd.grad(g.sum(), x)  # backward written with bibun ops: differentiable
    np.testing.assert_allclose(gg.numpy(), np.exp([0.5, 1.0]))
    assert bibun.autograd.gradcheck(Exp.apply, (x,)) and bibun.autograd.gradgradcheck(Exp.apply, (x,))


def test_setup_context_style_and_needs_input_grad():
    _, Linear, *_ = make_functions(bibun)
    bibun.manual_seed(0)
    inp = bibun.randn(4, 3, dtype=bibun.float64, requires_grad=True)
    weight = bibun.randn(2, 3, dtype=bibun.float64, requires_grad=True)
    bias = bibun.randn(2, dtype=bibun.float64)  # needs no gradient
    assert bibun.autograd.gradcheck(Linear.apply, (inp, weight, bias))
    out = Linear.apply(inp, weight, bias)
    assert out.grad_fn.needs_input_grad == (True, True, False)
    out.sum().backward()
    np.testing.assert_allclose(weight.grad.numpy(), np.ones((2, 4)) @ inp.detach().numpy())
    assert bias.grad is None


def test_non_tensor_argument_and_no_graph_under_no_grad():
    _, _, MulConstant, _ = make_functions(bibun)
    x = bibun.tensor([1.0, 2.0], requires_grad=True)
    y = MulConstant.apply(x, 3.0)
    y.sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]
    assert len(y.grad_fn.next_functions) == 2 and y.grad_fn.next_functions[1] == (None, 0)
    with bibun.no_grad():
        z = MulConstant.apply(x, 3.0)
    assert z.grad_fn is None and not z.requires_grad


def test_multiple_outputs_and_set_materialize_grads():
    *_, SinCos = make_functions(bibun)
    x = bibun.tensor([0.3, 0.7], dtype=bibun.float64, requires_grad=True)
    s, c = SinCos.apply(x)
    assert s.grad_fn is c.grad_fn and s.grad_fn.next_functions[0][0] is not None
    s.sum().backward()  # the cos output gets no gradient: backward sees None, not zeros
    np.testing.assert_allclose(x.grad.numpy(), np.cos([0.3, 0.7]))
    assert bibun.autograd.gradcheck(SinCos.apply, (x,))


@needs_torch
def test_functions_match_pytorch():
    import torch

    results = []
    for L in (bibun, torch):
        Exp, Linear, MulConstant, SinCos = make_functions(L)
        x = L.tensor([[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]], dtype=L.float64, requires_grad=True)
        w = L.tensor([[1.0, -1.0, 2.0]], dtype=L.float64, requires_grad=True)
        b = L.tensor([0.5], dtype=L.float64, requires_grad=True)
        s, c = SinCos.apply(MulConstant.apply(Exp.apply(x), 2.0))
        out = Linear.apply(s * c, w, b)
        out.sum().backward()
        results.append(
            [x.grad.numpy().tolist(), w.grad.numpy().tolist(), b.grad.numpy().tolist(), type(out.grad_fn).__name__]
        )
    np.testing.assert_allclose(results[0][0], results[1][0])
    np.testing.assert_allclose(results[0][1], results[1][1])
    np.testing.assert_allclose(results[0][2], results[1][2])
    assert results[0][3] == results[1][3] == "LinearFunctionBackward"


def test_mark_dirty_rebases_input_and_bumps_version():
    class Double_(Function):
        @staticmethod
        def forward(ctx, x):
            x.mul_(2)
            ctx.mark_dirty(x)
            return x

        @staticmethod
        def backward(ctx, g):
            return g * 2

    leaf = bibun.tensor([1.0, 2.0], requires_grad=True)
    y = leaf * 1
    out = Double_.apply(y)
    assert out is y and type(y.grad_fn).__name__ == "Double_Backward" and y._version == 2
    (y * y).sum().backward()
    assert leaf.grad.tolist() == [8.0, 16.0]
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad has been used in an in-place operation"):
        Double_.apply(leaf)


def test_mark_non_differentiable():
    class SortWithIndex(Function):
        @staticmethod
        def forward(ctx, x):
            order = bibun.tensor(np.argsort(x.numpy()).astype(np.float64))
            ctx.mark_non_differentiable(order)
            ctx.order = order.numpy().astype(int)
            return x * 1, order

        @staticmethod
        def backward(ctx, g, g_order):
            assert g_order.abs().sum().item() == 0.0  # materialized zeros for the other output
            return g

    x = bibun.tensor([3.0, 1.0, 2.0], requires_grad=True)
    values, order = SortWithIndex.apply(x)
    assert values.requires_grad and not order.requires_grad and order.grad_fn is None
    values.sum().backward()
    assert x.grad.tolist() == [1.0, 1.0, 1.0]


def test_once_differentiable_blocks_double_backward():
    class Square(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x**2

        @staticmethod
        @once_differentiable
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 2 * x * g

    x = bibun.tensor([1.5], requires_grad=True)
    (g,) = bibun.autograd.grad(Square.apply(x).sum(), x, create_graph=True)
    assert g.item() == 3.0 and not g.requires_grad  # as in PyTorch: no grad output requires grad
    seed = bibun.ones(1, requires_grad=True)
    (g,) = bibun.autograd.grad(Square.apply(x), x, seed, create_graph=True)
    assert g.item() == 3.0 and g.requires_grad and type(g.grad_fn).__name__ == "Error"
    with pytest.raises(RuntimeError, match="trying to differentiate twice a function that was marked with @once"):
        g.sum().backward()
    assert x.grad is None
    Square.apply(x).sum().backward()
    assert x.grad.item() == 3.0


def test_jvp_slot_runs_in_forward_mode():
    import bibun.autograd.forward_ad as fwAD

    class Cube(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.x = x
            return x**3

        @staticmethod
        def backward(ctx, g):
            return 3 * ctx.x**2 * g

        @staticmethod
        def jvp(ctx, x_t):
            return 3 * ctx.x**2 * x_t

    x = bibun.tensor([2.0, 3.0])
    with fwAD.dual_level():
        dual = fwAD.make_dual(x, bibun.tensor([1.0, 0.5]))
        out = Cube.apply(dual)
        tangent = fwAD.unpack_dual(out).tangent
    assert tangent.tolist() == [12.0, 13.5]

    class NoJvp(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1

    with fwAD.dual_level(), pytest.raises(NotImplementedError, match="You must implement the jvp function"):
        NoJvp.apply(fwAD.make_dual(x, bibun.ones(2)))


def test_backward_errors():
    class WrongShape(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1

        @staticmethod
        def backward(ctx, g):
            return g[:1]

    class WrongCount(Function):
        @staticmethod
        def forward(ctx, x, y):
            return x * y

        @staticmethod
        def backward(ctx, g):
            return g

    x = bibun.tensor([1.0, 2.0, 3.0], requires_grad=True)
    with pytest.raises(
        RuntimeError, match=r"Function WrongShapeBackward returned an invalid gradient at index 0 - got \[1\]"
    ):
        WrongShape.apply(x).sum().backward()
    with pytest.raises(RuntimeError, match="returned an incorrect number of gradients \\(expected 2, got 1\\)"):
        WrongCount.apply(x, x).sum().backward()
    assert x.grad is None


def test_saved_tensor_checks():
    Exp, *_ = make_functions(bibun)
    x = bibun.tensor([1.0, 2.0], requires_grad=True)
    y = Exp.apply(x)
    y.add_(1)
    with pytest.raises(RuntimeError, match="which is output 0 of Exp, is at version 1; expected version 0 instead"):
        y.sum().backward()
    z = Exp.apply(x)
    z.sum().backward()
    with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time"):
        z.sum().backward()
    assert x.grad.tolist() == pytest.approx([math.e, math.e**2])


def test_forward_runs_on_primals_and_forward_mode_uses_jvp():
    import bibun.autograd.forward_ad as fwAD

    class Exp(bibun.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            y = x.exp()
            ctx.result = y
            return y

        @staticmethod
        def backward(ctx, g):
            return g * ctx.result

        @staticmethod
        def jvp(ctx, t):
            return t * ctx.result

    with fwAD.dual_level():
        x = fwAD.make_dual(bibun.tensor([0.0, 1.0]), bibun.tensor([1.0, 2.0]))
        y = Exp.apply(x)
        assert repr(y) == "tensor([1.0000, 2.7183], tangent=tensor([1.0000, 5.4366]))"
        assert fwAD.unpack_dual(y).tangent._tangents is None  # the tangent itself is not dual
