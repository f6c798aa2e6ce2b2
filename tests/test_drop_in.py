"""Drop-in: the same PyTorch programs run with ``torch`` bound to bibun and to PyTorch, and
print the same text (bibun's names aside). The programs are typical autograd code: the
official tutorials' first examples, a training loop, hooks, a custom Function, the
functional transforms."""

from __future__ import annotations

import contextlib
import io
import warnings

import pytest

import bibun

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
}


def _run(module: object, code: str) -> str:
    if module is bibun:
        code = code.replace("from torch.func import", "from bibun.func import")
    out = io.StringIO()
    with contextlib.redirect_stdout(out), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exec(code, {"torch": module})  # noqa: S102 - our own test programs
    return out.getvalue()


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_program_runs_with_bibun(name: str) -> None:
    assert _run(bibun, PROGRAMS[name]).strip()


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_program_prints_what_pytorch_prints(name: str) -> None:
    torch = pytest.importorskip("torch", reason="the side-by-side comparison needs torch")

    expected = _run(torch, PROGRAMS[name]).replace("torch.", "bibun.")
    assert _run(bibun, PROGRAMS[name]) == expected
