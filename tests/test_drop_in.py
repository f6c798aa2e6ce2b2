"""Drop-in: the same PyTorch programs run with ``torch`` bound to bibun and to PyTorch, and
print the same text (bibun's names aside). The programs are typical autograd code: the
official tutorials' first examples, a training loop, hooks, a custom Function, the
functional transforms. More, by topic, in tests/test_drop_in_<topic>.py; the harness is
tests/drop_in_harness.py."""

from __future__ import annotations

import pytest

from drop_in_harness import check_runs, check_same_as_pytorch, params

PROGRAMS = {
    "basics": """
a = torch.tensor([2., 3.], requires_grad=True)
b = torch.tensor([6., 4.], requires_grad=True)
Q = 3*a**3 - b**2
external_grad = torch.tensor([1., 1.])
Q.backward(gradient=external_grad)
print(9*a**2 == a.grad)
print(-2*b == b.grad)
print(a.grad, b.grad, Q)
""",
    "linear_regression": """
torch.manual_seed(0)
x = torch.linspace(-1, 1, 20).reshape(-1, 1)
y = 3 * x + 0.5
w = torch.zeros(1, 1, requires_grad=True)
b = torch.zeros(1, requires_grad=True)
for step in range(200):
    pred = x @ w + b
    loss = ((pred - y) ** 2).mean()
    loss.backward()
    with torch.no_grad():
        w -= 0.1 * w.grad
        b -= 0.1 * b.grad
        w.grad.zero_()
        b.grad.zero_()
print(w, b)
print(f"{loss.item():.6f}")
""",
    "grad_fn_walk": """
x = torch.ones(2, 2, requires_grad=True)
y = x + 2
z = y * y * 3
out = z.mean()
print(y)
print(z, out)
out.backward()
print(x.grad)
print(y.grad_fn.name(), z.grad_fn.name(), out.grad_fn.name())
print([type(f[0]).__name__ for f in out.grad_fn.next_functions])
""",
    "vector_jacobian": """
x = torch.tensor([0.5, -1.0, 2.0], requires_grad=True)
y = x * 2
while y.data.norm() < 1000:
    y = y * 2
print(y)
v = torch.tensor([0.1, 1.0, 0.0001], dtype=torch.float)
y.backward(v)
print(x.grad)
print(x.requires_grad, (x ** 2).requires_grad)
with torch.no_grad():
    print((x ** 2).requires_grad)
print(x.detach().requires_grad, x.eq(x.detach()).all())
""",
    "softmax_ce": """
logits = torch.tensor([[1.0, 2.0, 0.5], [0.1, -1.0, 3.0]], requires_grad=True)
target = torch.tensor([1, 2])
loss = torch.nn.functional.cross_entropy(logits, target)
loss.backward()
print(loss)
print(logits.grad)
p = torch.softmax(logits, dim=1)
print(bool((p.sum(dim=1) - 1).abs().max() < 1e-6))
""",
    "higher_order": """
x = torch.tensor(1.5, requires_grad=True)
y = torch.sin(x) * x ** 2
g, = torch.autograd.grad(y, x, create_graph=True)
h, = torch.autograd.grad(g, x)
print(g, h)
print(torch.autograd.functional.hessian(lambda t: (t ** 3).sum(), torch.tensor([1.0, 2.0])))
print(torch.autograd.functional.jacobian(lambda t: t ** 2, torch.tensor([1.0, 2.0, 3.0])))
""",
    "inplace_error": """
a = torch.tensor([1.0, 2.0], requires_grad=True)
b = a.exp()
b.add_(1)
try:
    b.sum().backward()
except RuntimeError as e:
    print(str(e).split(":")[0])
c = a * 2
c[0] = 10
c.sum().backward()
print(a.grad, c)
""",
    "printing_mix": """
print(torch.arange(10).reshape(2, 5).float() / 3)
print(torch.zeros(3, dtype=torch.int32))
print(torch.tensor([[1e-3, 1e3]]))
print(torch.tensor([1.123456789], dtype=torch.float64))
print(torch.ones(2, 3).sum(0).shape, torch.ones(2,3).T.shape)
print(torch.tensor(3.0).dtype, torch.tensor([1, 2]).float().dtype)
print(torch.eye(3)[1:, :2])
x = torch.randn(3); print(x.shape, x.size(0), x.dim())
""",
    "hooks": """
x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
y = x * 2
h = y.register_hook(lambda g: g * 10)
z = y.sum()
z.backward()
print(x.grad)
h.remove()
""",
    "func_api": """
from torch.func import grad, vmap, jacrev
f = lambda x: torch.sin(x).sum()
print(grad(f)(torch.tensor([0.0, 1.0])))
print(vmap(torch.dot)(torch.ones(3, 2), torch.arange(6.).reshape(3, 2)))
print(jacrev(torch.sin)(torch.tensor([0.0, 1.0])))
""",
    "function": """
class MyExp(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        y = x.exp()
        ctx.save_for_backward(y)
        return y
    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return g * y
x = torch.tensor([0.0, 1.0], requires_grad=True)
y = MyExp.apply(x)
print(y)
y.sum().backward()
print(x.grad)
print(torch.autograd.gradcheck(MyExp.apply, (torch.tensor([0.3, 0.7], dtype=torch.float64, requires_grad=True),)))
""",
    "func_grad_allclose": """
from torch.func import grad
x = torch.linspace(-2, 2, 7)
cos_x = grad(lambda x: torch.sin(x))(x[3])
print(cos_x, torch.allclose(cos_x, x[3].cos()))
g = torch.vmap(grad(lambda t: (t ** 3).sum()))(x.reshape(7, 1))
print(torch.allclose(g, 3 * x.reshape(7, 1) ** 2), torch.isclose(g[:, 0], 3 * x ** 2))
""",
    "double_backward_hvp": """
x = torch.tensor([1.0, -0.5, 2.0], requires_grad=True)
v = torch.tensor([1.0, 0.0, 1.0])
loss = (x ** 2 * x.sin()).sum()
g, = torch.autograd.grad(loss, x, create_graph=True)
hv, = torch.autograd.grad(g, x, grad_outputs=v)
print(g, hv)
print(torch.autograd.functional.hvp(lambda t: (t ** 2 * t.sin()).sum(), x.detach(), v))
""",
    "numpy_and_scalars": """
import numpy as np
x = torch.tensor([1.5, -2.0, 3.25], requires_grad=True)
y = (x * 2).sum()
try:
    x.numpy()
except RuntimeError as e:
    print(type(e).__name__, str(e).splitlines()[0])
print(x.detach().numpy(), type(x.detach().numpy()).__name__, x.tolist(), y.item(), float(y), int(x[0]))
try:
    x.item()
except RuntimeError as e:
    print(type(e).__name__, str(e).splitlines()[0])
try:
    float(x)
except (RuntimeError, ValueError, TypeError) as e:
    print(type(e).__name__, str(e).splitlines()[0])
try:
    bool(x > 0)
except RuntimeError as e:
    print(type(e).__name__, str(e).splitlines()[0])
a = np.array([1.0, 2.0])
t = torch.from_numpy(a)
a[0] = 10
print(t, t.dtype, torch.tensor(a).dtype, torch.as_tensor(a) is not None)
""",
    "backward_errors": """
x = torch.tensor([1.0, 2.0], requires_grad=True)
y = x * 3
try:
    y.backward(torch.ones(3))
except RuntimeError as e:
    print(type(e).__name__, str(e).splitlines()[0])
try:
    y.backward()
except RuntimeError as e:
    print(type(e).__name__, str(e).splitlines()[0])
y.backward(torch.tensor([1.0, 0.5]))
print(x.grad)
try:
    x.grad = torch.zeros(3)
except RuntimeError as e:
    print(type(e).__name__, str(e).splitlines()[0])
x.grad = None
z = x.detach() * 2
try:
    z.sum().backward()
except RuntimeError as e:
    print(type(e).__name__, str(e).splitlines()[0])
print(x.grad)
""",
    "dtype_promotion_grads": """
a = torch.tensor([1.0, 2.0], requires_grad=True)
b = torch.tensor([0.5, 0.25], dtype=torch.float64, requires_grad=True)
i = torch.tensor([3, 4])
c = a * b + a * i + a / 2
print(c, c.dtype)
c.sum().backward()
print(a.grad, a.grad.dtype, b.grad, b.grad.dtype)
print((i / 2).dtype, (i * 2.5).dtype, (i // 2), (a.double() + 1).grad_fn.name())
print(torch.tensor(True) + torch.tensor(2), torch.arange(5) * 0.5)
""",
    "detach_and_data_tricks": """
w = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
target = w.detach().clone()
with torch.no_grad():
    w.data.mul_(2)
loss = ((w - target) ** 2).sum()
loss.backward()
print(w, target, w.grad)
stopped = (w * 2).detach()
print(stopped.requires_grad, stopped.grad_fn)
ema = torch.zeros(3)
for step in range(3):
    ema = 0.9 * ema + 0.1 * w.detach()
print(ema)
w2 = w.detach().requires_grad_()
(w2 ** 2).sum().backward()
print(w2.grad, w.grad)
""",
}

# Programs that need functions bibun is gaining: they run once those land.
NEEDS = {"func_grad_allclose": ("allclose", "isclose")}


@pytest.mark.parametrize("code", params(PROGRAMS, NEEDS))
def test_program_runs_with_bibun(code: str) -> None:
    check_runs(code)


@pytest.mark.parametrize("code", params(PROGRAMS, NEEDS))
def test_program_prints_what_pytorch_prints(code: str) -> None:
    check_same_as_pytorch(code)
