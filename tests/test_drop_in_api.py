"""Drop-in: the examples of PyTorch's torch.autograd API reference (backward, grad,
Function and its ctx methods, once_differentiable, gradcheck/gradgradcheck, graph nodes),
with fixed inputs, print under bibun what they print under PyTorch."""

from __future__ import annotations

import pytest

from drop_in_harness import check_runs, check_same_as_pytorch, params

PROGRAMS = {
    "autograd_backward_function": """
x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
y = torch.tensor([0.5, -1.0], requires_grad=True)
a = x * 2
b = (y ** 2).sum()
torch.autograd.backward([a, b], grad_tensors=[torch.tensor([1.0, 0.1, 0.01]), torch.tensor(2.0)])
print(x.grad, y.grad)
torch.autograd.backward((x * y.sum()).sum(), inputs=[y])
print(x.grad, y.grad)
""",
    "autograd_grad_options": """
x = torch.tensor([0.5, 1.0, 2.0], requires_grad=True)
w = torch.tensor([1.0, -1.0, 0.5], requires_grad=True)
unused = torch.tensor([3.0], requires_grad=True)
y = (x.exp() * w).sum()
gx, gw = torch.autograd.grad(y, (x, w), retain_graph=True)
print(gx, gw)
print(x.grad)
try:
    torch.autograd.grad(y, [x, unused], retain_graph=True)
except RuntimeError as e:
    print(type(e).__name__, str(e).splitlines()[0])
print(torch.autograd.grad(y, [x, unused], retain_graph=True, allow_unused=True))
print(torch.autograd.grad(y, [x, unused], allow_unused=True, materialize_grads=True))
z = x * w
print(torch.autograd.grad(z, x, grad_outputs=torch.tensor([1.0, 0.0, 2.0])))
try:
    torch.autograd.grad(z, x)
except RuntimeError as e:
    print(type(e).__name__, str(e).splitlines()[0])
try:
    torch.autograd.grad((x * 2).sum(), torch.tensor([1.0]))
except RuntimeError as e:
    print(type(e).__name__, str(e).splitlines()[0])
""",
    "grad_of_grad": """
x = torch.tensor([0.3, -0.7], requires_grad=True)
y = (x ** 3 * torch.sin(x)).sum()
g, = torch.autograd.grad(y, x, create_graph=True)
print(g, g.requires_grad, g.grad_fn is not None)
hrow = [torch.autograd.grad(g[i], x, retain_graph=True)[0] for i in range(2)]
print(torch.stack(hrow))
gg = torch.autograd.grad(g.sum(), x, create_graph=True)[0]
ggg = torch.autograd.grad(gg.sum(), x)[0]
print(gg, ggg)
""",
    "function_exp_setup_context": """
class Exp(torch.autograd.Function):
    @staticmethod
    def forward(i):
        return i.exp()

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(output)

    @staticmethod
    def backward(ctx, grad_output):
        result, = ctx.saved_tensors
        return grad_output * result

x = torch.tensor([0.0, 0.5, 1.0], requires_grad=True)
y = Exp.apply(x)
print(y, type(y.grad_fn).__name__)
y.backward(torch.ones(3))
print(x.grad)
""",
    "function_non_tensor_args": """
class Func(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, y, z):
        w = x * y * z
        out = x * y + y * z + w
        ctx.save_for_backward(x, y, out)
        ctx.z = z
        return out

    @staticmethod
    def backward(ctx, grad_out):
        x, y, out = ctx.saved_tensors
        z = ctx.z
        gx = grad_out * (y + y * z)
        gy = grad_out * (x + z + x * z)
        return gx, gy, None

a = torch.tensor(1., requires_grad=True, dtype=torch.double)
b = torch.tensor(2., requires_grad=True, dtype=torch.double)
c = 4
d = Func.apply(a, b, c)
print(d)
d.backward()
print(a.grad, b.grad)
print(torch.autograd.gradcheck(lambda p, q: Func.apply(p, q, c), (a, b)))
""",
    "function_ctx_flags": """
class MulAdd(torch.autograd.Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a * b + a

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        print("needs_input_grad", ctx.needs_input_grad)
        ga = g * (b + 1) if ctx.needs_input_grad[0] else None
        gb = g * a if ctx.needs_input_grad[1] else None
        return ga, gb

a = torch.tensor([1.0, 2.0], requires_grad=True)
b = torch.tensor([3.0, 4.0])
MulAdd.apply(a, b).sum().backward()
print(a.grad)

class SimpleFunc(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.set_materialize_grads(False)
        return x.clone(), x.clone()

    @staticmethod
    def backward(ctx, g1, g2):
        print("grads", g1, g2)
        x = torch.zeros(2)
        if g1 is not None:
            x = x + g1
        if g2 is not None:
            x = x + g2
        return x

x = torch.tensor([1.0, 2.0], requires_grad=True)
out1, out2 = SimpleFunc.apply(x)
out1.sum().backward()
print(x.grad)
""",
    "function_mark_dirty_non_differentiable": """
class AddOneInplace(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        x.add_(1)
        ctx.mark_dirty(x)
        return x

    @staticmethod
    def backward(ctx, g):
        return g

a = torch.tensor([1.0, 2.0], requires_grad=True)
b = a * 1
c = AddOneInplace.apply(b)
print(c, c is b, b._version)
c.sum().backward()
print(a.grad)

class MaxWithIndex(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        values, idx = x.max(dim=0)
        ctx.mark_non_differentiable(idx)
        ctx.save_for_backward(x, idx)
        return values, idx

    @staticmethod
    def backward(ctx, g, g_idx):
        x, idx = ctx.saved_tensors
        grad = torch.zeros_like(x)
        grad[idx, torch.arange(x.shape[1])] = g
        return grad

x = torch.tensor([[1.0, 5.0], [3.0, 2.0]], requires_grad=True)
v, i = MaxWithIndex.apply(x)
print(v, i, i.requires_grad)
v.sum().backward()
print(x.grad)
""",
    "once_differentiable": """
from torch.autograd.function import once_differentiable

class Cube(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 3

    @staticmethod
    @once_differentiable
    def backward(ctx, g):
        x, = ctx.saved_tensors
        print("backward sees requires_grad:", g.requires_grad, torch.is_grad_enabled())
        return 3 * x ** 2 * g

x = torch.tensor([1.0, 2.0], requires_grad=True)
y = Cube.apply(x).sum()
g, = torch.autograd.grad(y, x, create_graph=True)
print(g, g.requires_grad, g.grad_fn.name() if g.grad_fn is not None else None)
y = Cube.apply(x).sum()
g, = torch.autograd.grad(y, x, create_graph=True, grad_outputs=torch.tensor(1.0, requires_grad=True))
print(g.requires_grad, type(g.grad_fn).__name__, g.grad_fn.name())
try:
    g.sum().backward()
except RuntimeError as e:
    print(type(e).__name__, str(e).splitlines()[0])
""",
    "function_double_backward": """
class Square(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 2

    @staticmethod
    def backward(ctx, grad_out):
        x, = ctx.saved_tensors
        return grad_out * 2 * x

x = torch.tensor([1.5, -2.0], dtype=torch.double, requires_grad=True)
print(torch.autograd.gradcheck(Square.apply, x))
print(torch.autograd.gradgradcheck(Square.apply, x))
y = Square.apply(x)
g, = torch.autograd.grad(y.sum(), x, create_graph=True)
print(g, g.grad_fn.name())
g2, = torch.autograd.grad(g.sum(), x)
print(g2)
""",
    "gradcheck_results": """
inputs = (torch.tensor([0.2, 0.4, 0.6], dtype=torch.double, requires_grad=True),
          torch.tensor([1.0, 2.0, 3.0], dtype=torch.double, requires_grad=True))
print(torch.autograd.gradcheck(lambda a, b: a * b.sin(), inputs, eps=1e-6, atol=1e-4))
print(torch.autograd.gradcheck(torch.nn.functional.softplus, inputs[:1]))
print(torch.autograd.gradgradcheck(lambda a, b: (a ** 2 * b).sum(), inputs))

class BadExp(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.exp()

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g * x

print(torch.autograd.gradcheck(BadExp.apply, inputs[:1], raise_exception=False))
try:
    torch.autograd.gradcheck(BadExp.apply, inputs[:1])
except RuntimeError as e:
    print(type(e).__name__, str(e).splitlines()[0])
""",
    "graph_introspection": """
x = torch.tensor([[1.0, 2.0]], requires_grad=True)
w = torch.tensor([[0.5], [0.25]], requires_grad=True)
out = torch.relu(x @ w).sum() * 2
print((x[0] @ w).grad_fn.name(), (x @ w.expand(3, 2, 1)).grad_fn.name())
node = out.grad_fn
seen = []
leaves = []
stack = [node]
while stack:
    n = stack.pop()
    seen.append(type(n).__name__)
    if hasattr(n, "variable"):
        leaves.append(n)
    for child, idx in n.next_functions:
        if child is not None:
            stack.append(child)
print(seen)
print([(acc.variable is x, acc.variable is w, acc.name()) for acc in leaves])
print(out.grad_fn.next_functions[0][1], isinstance(node, torch.autograd.graph.Node))
print(out.grad_fn.metadata, type(node).__name__)
""",
    "new_tensors_and_conveniences": """
import warnings
x = torch.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=torch.float64, requires_grad=True)
print(x.new_zeros(2, 3), x.new_ones((2,)), x.new_full((2,), 7), x.new_empty(0).shape)
print(x.new_tensor([1, 2]), x.new_zeros(2, dtype=torch.int64), x.new_ones(2, requires_grad=True))
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    copy = x.new_tensor(x)
print(copy.requires_grad, caught[0].category.__name__, str(caught[0].message).split(",")[0])
y = (x * 2).view_as(torch.ones(4))
print(y, y.grad_fn.name(), x.reshape_as(torch.ones(4, 1)).shape, x.type_as(torch.ones(1, dtype=torch.int32)))
print(x.is_cpu, x.nbytes, x.itemsize, x.get_device(), x.is_signed(), torch.ones(1, dtype=torch.uint8).is_signed())
print(x.detach().byte(), x.detach().char().dtype, x.detach().short().dtype, x.is_same_size(torch.ones(2, 2)))
print((+x) is x, x.positive() is x, torch.tensor([2.0]).is_nonzero(), torch.tensor(0).is_nonzero())
for bad in (lambda: torch.ones(2).is_nonzero(), lambda: torch.ones(0).is_nonzero(), lambda: +torch.tensor([True])):
    try:
        bad()
    except RuntimeError as error:
        print("RuntimeError:", error)
""",
    "tensor_attributes": """
x = torch.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
y = x.t()
print(y.is_leaf, y._base is x, y.grad_fn.name(), y.requires_grad)
z = x.detach()
print(z._base is None, z.requires_grad, z.is_leaf)
d = x.data
print(d.requires_grad, d.is_leaf, x.dtype, x.device, x.shape, x.ndim, x.numel())
print(x.grad_fn, x.output_nr, (x * 2).output_nr)
v = x.view(4)
print(v.grad_fn.name(), v._version, x.element_size(), x.is_contiguous(), y.is_contiguous())
print(x.requires_grad_(False) is x, x.requires_grad)
""",
}


@pytest.mark.parametrize("code", params(PROGRAMS))
def test_program_runs_with_bibun(code: str) -> None:
    check_runs(code)


@pytest.mark.parametrize("code", params(PROGRAMS))
def test_program_prints_what_pytorch_prints(code: str) -> None:
    check_same_as_pytorch(code)
