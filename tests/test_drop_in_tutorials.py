"""Drop-in: the programs of PyTorch's autograd tutorials ("A Gentle Introduction to
torch.autograd", "Automatic Differentiation with torch.autograd", "The Fundamentals of
Autograd", "Learning PyTorch with Examples"), rewritten with fixed inputs, print under bibun
what they print under PyTorch."""

from __future__ import annotations

import pytest

from drop_in_harness import check_runs, check_same_as_pytorch, params

PROGRAMS = {
    "gentle_intro_dag_exclusion": """
x = torch.ones(5, 5)
y = torch.arange(25.).reshape(5, 5)
z = torch.full((5, 5), 0.5, requires_grad=True)
a = x + y
print(f"Does `a` require gradients?: {a.requires_grad}")
b = x + z
print(f"Does `b` require gradients?: {b.requires_grad}")
print(a.is_leaf, b.is_leaf, z.is_leaf, b.grad_fn.name())
""",
    "gentle_intro_external_grad": """
a = torch.tensor([2., 3.], requires_grad=True)
b = torch.tensor([6., 4.], requires_grad=True)
Q = 3*a**3 - b**2
print(Q, Q.grad_fn.name())
Q.backward(gradient=torch.tensor([1., 0.5]))
print(a.grad, b.grad)
print(Q.grad_fn.next_functions[0][0].name(), Q.grad_fn.next_functions[1][0].name())
try:
    Q.backward()
except RuntimeError as e:
    print(type(e).__name__, str(e).splitlines()[0])
""",
    "basics_bce_with_logits": """
x = torch.ones(5)
y = torch.zeros(3)
w = torch.linspace(-1, 1, 15).reshape(5, 3).requires_grad_()
b = torch.tensor([0.1, -0.2, 0.3], requires_grad=True)
z = torch.matmul(x, w) + b
loss = torch.nn.functional.binary_cross_entropy_with_logits(z, y)
print(f"Gradient function for z = {z.grad_fn.name()}")
print(f"Gradient function for loss = {loss.grad_fn.name()}")
loss.backward()
print(w.grad)
print(b.grad)
print(loss)
z = torch.matmul(x, w)+b
print(z.requires_grad)
with torch.no_grad():
    z = torch.matmul(x, w)+b
print(z.requires_grad)
z = torch.matmul(x, w)+b
z_det = z.detach()
print(z_det.requires_grad, z_det)
""",
    "basics_jacobian_product": """
inp = torch.eye(4, 5, requires_grad=True)
out = (inp+1).pow(2).t()
out.backward(torch.ones_like(out), retain_graph=True)
print(f"First call\\n{inp.grad}")
out.backward(torch.ones_like(out), retain_graph=True)
print(f"\\nSecond call\\n{inp.grad}")
inp.grad.zero_()
out.backward(torch.ones_like(out), retain_graph=True)
print(f"\\nCall after zeroing gradients\\n{inp.grad}")
""",
    "fundamentals_sine": """
import math
a = torch.linspace(0., 2. * math.pi, steps=25, requires_grad=True)
print(a)
b = torch.sin(a)
print(b)
c = 2 * b
print(c)
d = c + 1
print(d)
out = d.sum()
print(out)
print('d:')
print(d.grad_fn.name())
print([(type(f).__name__, i) for f, i in d.grad_fn.next_functions])
print([(type(f).__name__, i) for f, i in d.grad_fn.next_functions[0][0].next_functions])
print('\\nc:')
print(c.grad_fn.name())
print('\\na:')
print(a.grad_fn)
out.backward()
print(a.grad)
""",
    "fundamentals_turning_off": """
a = torch.ones(2, 3, requires_grad=True) * 2
b = torch.ones(2, 3, requires_grad=True) * 3
c1 = a + b
print(c1)
with torch.no_grad():
    c2 = a + b
print(c2)
c3 = a * b
print(c3)

def add_tensors1(x, y):
    return x + y

@torch.no_grad()
def add_tensors2(x, y):
    return x + y

x = torch.ones(5, requires_grad=True)
y = torch.ones(5, requires_grad=True)
print(add_tensors1(x, y))
print(add_tensors2(x, y))
x = torch.rand(5, requires_grad=True)
y = x.detach()
print(x.requires_grad, y.requires_grad)
""",
    "fundamentals_inplace_leaf": """
import math
a = torch.linspace(0., 2. * math.pi, steps=25, requires_grad=True)
try:
    torch.sin_(a)
except RuntimeError as e:
    print(type(e).__name__, str(e).splitlines()[0])
print(a[:3])
b = a.detach().clone()
torch.sin_(b)
print(b[:3], torch.relu_(b - 0.5)[:3], torch.zero_(b[:2]), b[:3])
try:
    a[0] = 1.0
except RuntimeError as e:
    print(type(e).__name__, str(e).splitlines()[0])
""",
    "fundamentals_functional": """
def exp_adder(x, y):
    return 2 * x.exp() + 3 * y

inputs = (torch.tensor([0.25]), torch.tensor([0.75]))
print(torch.autograd.functional.jacobian(exp_adder, inputs))
inputs = (torch.tensor([0.1, 0.2, 0.3]), torch.tensor([0.4, 0.5, 0.6]))
print(torch.autograd.functional.jacobian(exp_adder, inputs))

def do_some_doubling(x):
    y = x * 2
    while y.data.norm() < 1000:
        y = y * 2
    return y

inputs = torch.tensor([0.3, -0.1, 0.8])
my_gradients = torch.tensor([0.1, 1.0, 0.0001])
print(torch.autograd.functional.vjp(do_some_doubling, inputs, v=my_gradients))
""",
    "polynomial_autograd": """
import math
dtype = torch.float
x = torch.linspace(-math.pi, math.pi, 2000, dtype=dtype)
y = torch.sin(x)
a = torch.tensor(0.1, requires_grad=True)
b = torch.tensor(-0.2, requires_grad=True)
c = torch.tensor(0.3, requires_grad=True)
d = torch.tensor(-0.4, requires_grad=True)
learning_rate = 1e-6
for t in range(500):
    y_pred = a + b * x + c * x ** 2 + d * x ** 3
    loss = (y_pred - y).pow(2).sum()
    if t % 100 == 99:
        print(t, round(loss.item(), 1))
    loss.backward()
    with torch.no_grad():
        a -= learning_rate * a.grad
        b -= learning_rate * b.grad
        c -= learning_rate * c.grad
        d -= learning_rate * d.grad
        a.grad = None
        b.grad = None
        c.grad = None
        d.grad = None
print(f'Result: y = {a.item():.4f} + {b.item():.4f} x + {c.item():.4f} x^2 + {d.item():.4f} x^3')
print(a, d.grad)
""",
    "polynomial_legendre_function": """
import math

class LegendrePolynomial3(torch.autograd.Function):
    @staticmethod
    def forward(ctx, input):
        ctx.save_for_backward(input)
        return 0.5 * (5 * input ** 3 - 3 * input)

    @staticmethod
    def backward(ctx, grad_output):
        input, = ctx.saved_tensors
        return grad_output * 1.5 * (5 * input ** 2 - 1)

dtype = torch.float
device = torch.device("cpu")
x = torch.linspace(-math.pi, math.pi, 2000, device=device, dtype=dtype)
y = torch.sin(x)
a = torch.full((), 0.0, device=device, dtype=dtype, requires_grad=True)
b = torch.full((), -1.0, device=device, dtype=dtype, requires_grad=True)
c = torch.full((), 0.0, device=device, dtype=dtype, requires_grad=True)
d = torch.full((), 0.3, device=device, dtype=dtype, requires_grad=True)
learning_rate = 5e-6
for t in range(500):
    P3 = LegendrePolynomial3.apply
    y_pred = a + b * P3(c + d * x)
    loss = (y_pred - y).pow(2).sum()
    if t % 100 == 99:
        print(t, round(loss.item(), 1))
    loss.backward()
    with torch.no_grad():
        a -= learning_rate * a.grad
        b -= learning_rate * b.grad
        c -= learning_rate * c.grad
        d -= learning_rate * d.grad
        a.grad = None
        b.grad = None
        c.grad = None
        d.grad = None
r = lambda v: round(v, 4) + 0.0  # a and c end near zero, where the sign is summation noise
print(f'Result: y = {r(a.item())} + {r(b.item())} * P3({r(c.item())} + {r(d.item())} x)')
print(y_pred.grad_fn.name(), y_pred.grad_fn.next_functions[1][0].next_functions[1][0].name())
print(a.grad, a.requires_grad, a.is_leaf)
""",
    "polynomial_numpy_style_manual_grads": """
import math
x = torch.linspace(-math.pi, math.pi, 200)
y = torch.sin(x)
a, b, c, d = (torch.tensor(v) for v in (0.5, 0.2, -0.1, 0.05))
learning_rate = 1e-5
for t in range(300):
    y_pred = a + b * x + c * x ** 2 + d * x ** 3
    loss = (y_pred - y).pow(2).sum().item()
    grad_y_pred = 2.0 * (y_pred - y)
    a -= learning_rate * grad_y_pred.sum()
    b -= learning_rate * (grad_y_pred * x).sum()
    c -= learning_rate * (grad_y_pred * x ** 2).sum()
    d -= learning_rate * (grad_y_pred * x ** 3).sum()
print(round(loss, 2), f"{a.item():.4f} {b.item():.4f} {c.item():.4f} {d.item():.4f}")
print(a.requires_grad, a.grad_fn)
""",
}


@pytest.mark.parametrize("code", params(PROGRAMS))
def test_program_runs_with_bibun(code: str) -> None:
    check_runs(code)


@pytest.mark.parametrize("code", params(PROGRAMS))
def test_program_prints_what_pytorch_prints(code: str) -> None:
    check_same_as_pytorch(code)
