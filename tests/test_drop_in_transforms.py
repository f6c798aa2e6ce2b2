"""Drop-in: the examples of torch.autograd.functional's reference, the forward-mode AD
tutorial and torch.func's documentation (grad, vmap, jacrev/jacfwd, hessian, per-sample
gradients), with fixed inputs, print under bibun what they print under PyTorch."""

from __future__ import annotations

import pytest

from drop_in_harness import check_runs, check_same_as_pytorch, params

PROGRAMS = {
    "forward_ad_through_in_place_writes": """
import torch.autograd.forward_ad as fwAD
with fwAD.dual_level():
    t = torch.tensor([1.0, 1.0])
    x = fwAD.make_dual(torch.tensor([1.0, 2.0]), t)
    x.mul_(2)
    print(t, fwAD.unpack_dual(x).tangent)  # the tangent given to make_dual changes with it
    base = fwAD.make_dual(torch.zeros(3), torch.tensor([1.0, 2.0, 3.0]))
    base[1:].mul_(10)
    print(fwAD.unpack_dual(base).tangent)
    q = torch.zeros(3)
    q[:2].copy_(fwAD.make_dual(torch.ones(2), torch.tensor([7.0, 8.0])))
    q[2] = fwAD.make_dual(torch.tensor(4.0), torch.tensor(9.0))
    print(fwAD.unpack_dual(q).tangent)
    d = fwAD.make_dual(torch.zeros(2), torch.tensor([5.0, 5.0]))
    d.copy_(torch.tensor([1.0, 1.0]))
    print(fwAD.unpack_dual(d).tangent)
    f = torch.zeros(2)
    f.sin_()
    f.add_(fwAD.make_dual(torch.ones(2), torch.tensor([1.0, 2.0])))
    f.sin_()
    print(fwAD.unpack_dual(f).tangent)
    w = torch.tensor([0.5, 1.5], requires_grad=True)
    y = w * 1
    y.mul_(fwAD.make_dual(torch.ones(2), torch.tensor([1.0, -1.0])))
    tangent = fwAD.unpack_dual(y).tangent  # recorded, as y requires grad (its node's name differs)
    print(tangent.detach(), tangent.requires_grad, y.grad_fn.name())
""",
    "functional_jacobian": """
from torch.autograd.functional import jacobian

def exp_reducer(x):
    return x.exp().sum(dim=1)

inputs = torch.tensor([[0.1, 0.2], [0.3, 0.4]])
print(jacobian(exp_reducer, inputs))
print(jacobian(exp_reducer, inputs, create_graph=True))

def exp_adder(x, y):
    return 2 * x + 3 * y

inputs = (torch.tensor([0.5, 0.6]), torch.tensor([0.7, 0.8]))
print(jacobian(exp_adder, inputs))
print(jacobian(exp_adder, inputs, strategy="forward-mode", vectorize=True))
""",
    "functional_hessian": """
from torch.autograd.functional import hessian

def pow_reducer(x):
    return x.pow(3).sum()

inputs = torch.tensor([[0.5, 1.0], [1.5, 2.0]])
print(hessian(pow_reducer, inputs))
print(hessian(pow_reducer, inputs, create_graph=True).grad_fn is not None)

def pow_adder_reducer(x, y):
    return (2 * x.pow(2) + 3 * y.pow(2)).sum()

inputs = (torch.tensor([0.1, 0.2]), torch.tensor([0.3, 0.4]))
print(hessian(pow_adder_reducer, inputs))
""",
    "functional_vjp_jvp": """
from torch.autograd.functional import vjp, jvp

def exp_reducer(x):
    return x.exp().sum(dim=1)

inputs = torch.tensor([[0.0, 0.25, 0.5, 0.75], [1.0, 1.25, 1.5, 1.75], [-0.5, -1.0, 2.0, 0.1], [0.3, 0.3, 0.3, 0.3]])
v = torch.ones(4)
print(vjp(exp_reducer, inputs, v))
print(vjp(exp_reducer, inputs, v, create_graph=True)[1].grad_fn is not None)

def adder(x, y):
    return 2 * x + 3 * y

inputs = (torch.tensor([0.1, 0.2]), torch.tensor([0.3, 0.4]))
print(vjp(adder, inputs, torch.ones(2)))

def exp_reducer2(x):
    return x.exp().sum(dim=1)

inputs = torch.tensor([[0.2, 0.4], [0.6, 0.8]])
print(jvp(exp_reducer2, inputs, torch.ones(2, 2)))
print(jvp(adder, (torch.tensor([1.0, 2.0]), torch.tensor([3.0, 4.0])), (torch.ones(2), torch.ones(2))))
""",
    "functional_hvp_vhp": """
from torch.autograd.functional import hvp, vhp

def pow_reducer(x):
    return x.pow(3).sum()

inputs = torch.tensor([[0.5, 1.0], [1.5, 2.0]])
v = torch.ones(2, 2)
print(vhp(pow_reducer, inputs, v))
print(hvp(pow_reducer, inputs, v))

def pow_adder_reducer(x, y):
    return (2 * x.pow(2) + 3 * y.pow(2)).sum()

inputs = (torch.tensor([0.1, 0.2]), torch.tensor([0.3, 0.4]))
v = (torch.zeros(2), torch.ones(2))
print(vhp(pow_adder_reducer, inputs, v))
print(hvp(pow_adder_reducer, inputs, v))
""",
    "functional_errors": """
from torch.autograd.functional import jacobian, vjp

def f(x):
    return x * 2

try:
    vjp(f, torch.ones(3), torch.ones(2))
except RuntimeError as e:
    print(type(e).__name__, str(e).splitlines()[0])
try:
    jacobian(lambda x: torch.ones(2), torch.ones(3), strict=True)
except RuntimeError as e:
    print(type(e).__name__, str(e).splitlines()[0])
print(jacobian(lambda x: torch.ones(2), torch.ones(3)))
try:
    jacobian(lambda x: 3.0, torch.ones(2))
except TypeError as e:
    print(type(e).__name__, str(e).splitlines()[0])
""",
    "forward_ad_basics": """
import torch.autograd.forward_ad as fwAD

primal = torch.tensor([[0.1, 0.2], [0.3, 0.4]])
tangent = torch.tensor([[1.0, 0.0], [0.0, 1.0]])

def fn(x, y):
    return x ** 2 + y ** 2

with fwAD.dual_level():
    dual_input = fwAD.make_dual(primal, tangent)
    assert fwAD.unpack_dual(dual_input).tangent is tangent
    dual_input_alt = fwAD.make_dual(primal, tangent.T)
    assert fwAD.unpack_dual(dual_input_alt).tangent is not tangent
    plain_tensor = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    dual_output = fn(dual_input, plain_tensor)
    jvp = fwAD.unpack_dual(dual_output).tangent
    print(jvp)
    print(fwAD.unpack_dual(dual_output).primal)
    p, t = fwAD.unpack_dual(dual_output)
    print(type(fwAD.unpack_dual(dual_output)).__name__, t is jvp)
    print(fwAD.unpack_dual(plain_tensor).tangent)
print(fwAD.unpack_dual(dual_output).tangent)
""",
    "forward_ad_printing_and_ops": """
import math
import torch.autograd.forward_ad as fwAD

x = torch.tensor(1.0)
with fwAD.dual_level():
    dual = fwAD.make_dual(x, torch.tensor(2.0))
    print(torch.exp(dual))
    y = (dual * 3 + 1) ** 2
    print(y)
    v = fwAD.make_dual(torch.tensor([1.0, 2.0, 3.0]), torch.tensor([1.0, 0.0, -1.0]))
    print(fwAD.unpack_dual(v.sum()).tangent, fwAD.unpack_dual(v.mean()).tangent)
    print(fwAD.unpack_dual(torch.softmax(v, 0)).tangent)
    print(fwAD.unpack_dual(v @ torch.tensor([1.0, 1.0, 2.0])).tangent)
    print(fwAD.unpack_dual(torch.stack([v, v * 2]).T).tangent)
    print(fwAD.unpack_dual(torch.relu(v - 2)).tangent)
""",
    "forward_ad_custom_function": """
import torch.autograd.forward_ad as fwAD

class Fn(torch.autograd.Function):
    @staticmethod
    def forward(ctx, foo):
        result = torch.exp(foo)
        ctx.result = result
        return result

    @staticmethod
    def jvp(ctx, gI):
        gO = gI * ctx.result
        del ctx.result
        return gO

    @staticmethod
    def backward(ctx, gO):
        return gO

fn = Fn.apply
primal = torch.tensor([0.0, 0.5, 1.0], dtype=torch.double, requires_grad=True)
tangent = torch.tensor([1.0, 2.0, 3.0], dtype=torch.double)
with fwAD.dual_level():
    dual_input = fwAD.make_dual(primal, tangent)
    dual_output = fn(dual_input)
    jvp = fwAD.unpack_dual(dual_output).tangent
print(jvp)
""",
    "func_grad": """
from torch.func import grad, grad_and_value

x = torch.tensor(0.7)
cos_x = grad(lambda x: torch.sin(x))(x)
print(cos_x, x.cos())
neg_sin_x = grad(grad(lambda x: torch.sin(x)))(x)
print(neg_sin_x, -x.sin())

def f(x, y):
    return (x * y ** 2).sum()

a, b = torch.tensor([1.0, 2.0]), torch.tensor([3.0, -1.0])
print(grad(f)(a, b), grad(f, argnums=1)(a, b), grad(f, argnums=(0, 1))(a, b))

def with_aux(x):
    y = x.sin()
    return y.sum(), y

g, aux = grad(with_aux, has_aux=True)(a)
print(g, aux)
print(grad_and_value(lambda x: (x ** 2).sum())(a))
""",
    "func_vmap": """
from torch.func import vmap

batched_dot = vmap(torch.dot)
x = torch.arange(15.).reshape(3, 5)
y = torch.linspace(-1, 1, 15).reshape(3, 5)
print(batched_dot(x, y))

weights = torch.tensor([[0.1, -0.2, 0.3], [0.5, 0.5, 0.5]])
def model(feature_vec):
    return feature_vec.dot(weights[0]).relu()
examples = torch.tensor([[1.0, 2.0, 3.0], [-1.0, 0.0, 1.0], [4.0, -2.0, 0.5]])
print(vmap(model)(examples))
print(vmap(torch.mv, in_dims=(None, 0))(weights, examples))
print(vmap(torch.sum, in_dims=1)(x))
print(vmap(lambda t: t * 2, out_dims=1)(x).shape)
batched_pow = vmap(torch.pow, in_dims=(0, None))
print(batched_pow(torch.tensor([1.0, 2.0, 3.0]), 2))
print(vmap(vmap(torch.dot))(x.reshape(3, 5, 1).expand(3, 5, 2), y.reshape(3, 5, 1).expand(3, 5, 2)))
try:
    vmap(torch.dot)(torch.ones(3, 2), torch.ones(4, 2))
except ValueError as e:
    print(type(e).__name__, str(e).splitlines()[0][:80])
""",
    "func_jacobians": """
from torch.func import jacrev, jacfwd, hessian, vmap, grad

x = torch.tensor([0.1, 0.5, 1.0, 2.0])
jacobian = jacrev(torch.sin)(x)
print(jacobian)
print(torch.equal(jacobian, torch.diag(torch.cos(x))))
print(jacfwd(torch.sin)(x))

def f(x, y):
    return x + y ** 2

y = torch.tensor([1.0, -1.0, 0.5, 3.0])
jx, jy = jacrev(f, argnums=(0, 1))(x, y)
print(jx.shape, jy)
print(jacfwd(f, argnums=1)(x, y))

def g(x):
    return x.sin().sum()
print(hessian(g)(x))
print(jacfwd(jacrev(g))(x))

def with_aux(x):
    return x.sin(), x.cos()
j, aux = jacrev(with_aux, has_aux=True)(x)
print(j.shape, aux)
batched = torch.stack([x, y])
print(vmap(jacrev(torch.sin))(batched).shape)
print(vmap(grad(g))(batched))
""",
    "func_per_sample_grads": """
from torch.func import grad, vmap

def predict(weight, bias, x):
    return torch.nn.functional.linear(x, weight, bias)

def loss_fn(weight, bias, sample, target):
    prediction = predict(weight, bias, sample.unsqueeze(0))
    return torch.nn.functional.mse_loss(prediction, target.unsqueeze(0))

weight = torch.tensor([[0.2, -0.1, 0.4], [0.0, 0.3, -0.2]])
bias = torch.tensor([0.1, -0.1])
data = torch.linspace(-1, 1, 12).reshape(4, 3)
targets = torch.tensor([[1.0, 0.0], [0.0, 1.0], [0.5, 0.5], [-1.0, 1.0]])
per_sample = vmap(grad(loss_fn, argnums=(0, 1)), in_dims=(None, None, 0, 0))(weight, bias, data, targets)
print(per_sample[0].shape, per_sample[1].shape)
print(per_sample[1].round(decimals=4) + 0.0)  # one entry is a cancellation to ~1e-8: its digits are noise
w = weight.clone().requires_grad_()
b = bias.clone().requires_grad_()
loop = []
for i in range(4):
    gw, gb = torch.autograd.grad(loss_fn(w, b, data[i], targets[i]), (w, b))
    loop.append(gb)
print(torch.stack(loop).round(decimals=4) + 0.0)
print(bool((torch.stack(loop) - per_sample[1]).abs().max() < 1e-6))
""",
    "func_jvp_vjp_linearize": """
from torch.func import jvp, vjp, linearize

x = torch.tensor([0.5, 1.0, 1.5])
out, jvp_out = jvp(torch.sin, (x,), (torch.ones(3),))
print(out, jvp_out)
out, vjp_fn = vjp(torch.sin, x)
print(vjp_fn(torch.ones(3)))
out, jvp_fn = linearize(torch.sin, x)
print(jvp_fn(torch.tensor([1.0, 0.0, 2.0])))
f = lambda x, y: (x * y, x + y)
(p, q), (tp, tq) = jvp(f, (x, x * 2), (torch.ones(3), torch.zeros(3)))
print(p, q, tp, tq)
""",
}

NEEDS: dict[str, tuple[str, ...]] = {}  # program name -> bibun functions it needs that may be missing


@pytest.mark.parametrize("code", params(PROGRAMS, NEEDS))
def test_program_runs_with_bibun(code: str) -> None:
    check_runs(code)


@pytest.mark.parametrize("code", params(PROGRAMS, NEEDS))
def test_program_prints_what_pytorch_prints(code: str) -> None:
    check_same_as_pytorch(code)
