"""Drop-in: the examples of PyTorch's "Autograd mechanics" notes (requires_grad, grad modes,
in-place correctness, multithreading, hooks, hooks on saved tensors) and of the
saved-tensor-hooks tutorial, with fixed inputs, print under bibun what they print under
PyTorch."""

from __future__ import annotations

import pytest

from drop_in_harness import check_runs, check_same_as_pytorch, params

PROGRAMS = {
    "requires_grad_flags": """
x = torch.tensor([1.0, 2.0])
w = torch.tensor([0.5, -0.5], requires_grad=True)
y = x * 3
z = x * w
print(y.requires_grad, z.requires_grad, y.is_leaf, z.is_leaf)
x.requires_grad_()
print(x.requires_grad, x.is_leaf, (x * 3).grad_fn.name())
try:
    z.requires_grad = False
except RuntimeError as e:
    print(type(e).__name__, str(e).splitlines()[0])
try:
    torch.tensor([1, 2], requires_grad=True)
except RuntimeError as e:
    print(type(e).__name__, str(e).splitlines()[0])
try:
    torch.ones(3).retain_grad()
except RuntimeError as e:
    print(type(e).__name__, str(e).splitlines()[0])
frozen = torch.tensor([1.0, 1.0], requires_grad=True)
frozen.requires_grad_(False)
out = (frozen * w).sum()
out.backward()
print(frozen.grad, w.grad, out.grad_fn.name())
""",
    "grad_modes": """
x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
with torch.no_grad():
    y = x * 2
    print(torch.is_grad_enabled(), y.requires_grad, y.grad_fn)
    with torch.enable_grad():
        z = x * 2
    print(z.requires_grad, z.grad_fn.name())
print(torch.is_grad_enabled())
torch.set_grad_enabled(False)
print((x * 2).requires_grad, torch.is_grad_enabled())
torch.set_grad_enabled(True)
with torch.set_grad_enabled(False):
    print((x + 1).requires_grad)
print((x + 1).requires_grad)

@torch.enable_grad()
def doubler(t):
    return t * 2

with torch.no_grad():
    print(doubler(x).requires_grad)

@torch.no_grad
def tripler(t):
    return t * 3

print(tripler(x).requires_grad, tripler(x))
""",
    "inference_mode": """
x = torch.tensor([1.0, 2.0], requires_grad=True)
with torch.inference_mode():
    y = x * x
    print(y.requires_grad, y.is_inference(), torch.is_inference_mode_enabled())
    with torch.inference_mode(mode=False):
        print(torch.is_inference_mode_enabled())
print(y, x.is_inference(), torch.is_inference_mode_enabled())
try:
    (y * x).sum().backward()
except RuntimeError as e:
    print(type(e).__name__, str(e).splitlines()[0])
try:
    y.add_(1)
except RuntimeError as e:
    print(type(e).__name__, str(e).split("See ")[0])
with torch.inference_mode():
    y.zero_()
print(y)
z = y.clone()
print(z.is_inference(), (z * x).requires_grad)

@torch.inference_mode()
def predict(t):
    return t.exp()

print(predict(x), predict(x).is_inference())
""",
    "inplace_version_error": """
a = torch.tensor([0.1, 0.2, 0.3], requires_grad=True)
b = a.sin()
c = b.cos()
print(b._version, c.grad_fn.name())
b.mul_(2)
print(b._version, b.grad_fn.name())
try:
    c.sum().backward()
except RuntimeError as e:
    msg = str(e).split(" Hint")[0]
    print(type(e).__name__, msg)
e = a * 2
e += 1
print(e._version, e.grad_fn.name())
e.sum().backward()
print(a.grad)
""",
    "inplace_views_and_detach": """
x = torch.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
y = x * 1
v = y[1:3]
v.mul_(10)
print(y, v.grad_fn.name(), y.grad_fn.name())
y.sum().backward()
print(x.grad)
d = y.detach()
d.zero_()
print(y, y._version, d._version)
w = torch.tensor([1.0, 2.0], requires_grad=True)
try:
    w[0].add_(1)
except RuntimeError as e:
    print(type(e).__name__, str(e).splitlines()[0])
with torch.no_grad():
    w[0] = 5
print(w, w.is_leaf)
""",
    "sgd_step_in_place": """
w = torch.tensor([[0.5, -0.3], [0.2, 0.8]], requires_grad=True)
x = torch.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
t = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
for _ in range(20):
    loss = ((x @ w - t) ** 2).mean()
    loss.backward()
    with torch.no_grad():
        w.sub_(w.grad, alpha=0.01)
    w.grad.zero_()
print(w)
print(loss, w.grad)
""",
    "multithreading": """
import threading
results = {}

def train_fn(i):
    x = torch.ones(5, 5, requires_grad=True) * (i + 1)
    x.retain_grad()
    y = (x + 3) * (x + 4) * 0.5
    y.sum().backward()
    results[i] = x.grad[0, 0].item()

threads = [threading.Thread(target=train_fn, args=(i,)) for i in range(4)]
for p in threads:
    p.start()
for p in threads:
    p.join()
print(sorted(results.items()))

shared = torch.tensor([1.0, 2.0], requires_grad=True)
def accumulate():
    for _ in range(10):
        (shared ** 2).sum().backward()
threads = [threading.Thread(target=accumulate) for _ in range(3)]
for p in threads:
    p.start()
for p in threads:
    p.join()
print(shared.grad)

flags = {}
def no_grad_in_thread():
    with torch.no_grad():
        flags["inside"] = torch.is_grad_enabled()
with torch.no_grad():
    p = threading.Thread(target=lambda: flags.__setitem__("fresh", torch.is_grad_enabled()))
    p.start(); p.join()
p = threading.Thread(target=no_grad_in_thread)
p.start(); p.join()
print(flags, torch.is_grad_enabled())
""",
    "tensor_hooks": """
a = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
b = a * a
b.retain_grad()
h1 = b.register_hook(lambda g: print("hook 1", g))
h2 = b.register_hook(lambda g: g * 2)
h3 = b.register_hook(lambda g: print("hook 3", g))
b.sum().backward()
print(b.grad, a.grad)
h2.remove()
a.grad = None
b = a * a
b.register_hook(lambda g: g + 1)
a.register_hook(lambda g: print("leaf hook", g))
b.sum().backward()
print(a.grad)
try:
    torch.ones(2).register_hook(lambda g: g)
except RuntimeError as e:
    print(type(e).__name__, str(e).splitlines()[0])
""",
    "node_hooks_order": """
a = torch.tensor([1.0, 2.0], requires_grad=True)
b = a.exp()
c = b.sum()
order = []
b.register_hook(lambda g: order.append("tensor hook on b"))
b.grad_fn.register_prehook(lambda gout: order.append(("prehook", gout[0].tolist())))
b.grad_fn.register_hook(lambda gin, gout: order.append(("posthook", [round(v, 4) for v in gin[0].tolist()])))
a.register_post_accumulate_grad_hook(lambda t: order.append(("post accumulate", t.grad is not None)))
c.backward()
for item in order:
    print(item)
print(a.grad)
def scale_inputs(gin, gout):
    return (gin[0] * 0,)
a.grad = None
d = a.exp()
d.grad_fn.register_hook(scale_inputs)
d.sum().backward()
print(a.grad)
""",
    "saved_tensors_hooks_print": """
def pack_hook(x):
    print("Packing", x)
    return x

def unpack_hook(x):
    print("Unpacking", x)
    return x

a = torch.ones(5, requires_grad=True)
b = torch.ones(5, requires_grad=True) * 2
with torch.autograd.graph.saved_tensors_hooks(pack_hook, unpack_hook):
    y = a * b
y.sum().backward()
print(a.grad, b.grad)
""",
    "saved_tensors_hooks_store": """
storage = {}
counter = [0]

def pack(t):
    counter[0] += 1
    storage[counter[0]] = t.detach().clone()
    return counter[0]

def unpack(key):
    return storage.pop(key)

x = torch.tensor([0.5, 1.5, -2.0], requires_grad=True)
with torch.autograd.graph.saved_tensors_hooks(pack, unpack):
    y = x.pow(2)
    z = y.exp().sum()
print(sorted(storage))
z.backward()
print(x.grad, storage)

def pack_twice(t):
    return t * 2

def unpack_half(t):
    return t / 2

with torch.autograd.graph.saved_tensors_hooks(pack_twice, unpack_half):
    w = x.sin()
g, = torch.autograd.grad(w.sum(), x)
print(g)
""",
    "save_on_cpu_and_disable": """
x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
with torch.autograd.graph.save_on_cpu(pin_memory=False):
    y = (x * x).exp().sum()
y.backward()
print(x.grad)
with torch.autograd.graph.disable_saved_tensors_hooks("no saved tensor hooks here"):
    try:
        with torch.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: t):
            pass
    except RuntimeError as e:
        print(type(e).__name__, str(e).splitlines()[0])
""",
    "anomaly_nan": """
import warnings
x = torch.tensor([0.0, 1.0], requires_grad=True)
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    with torch.autograd.detect_anomaly():
        y = torch.sqrt(x) * 0
        try:
            y.sum().backward()
        except RuntimeError as e:
            print(type(e).__name__, str(e).splitlines()[0])
for w in caught:
    print(w.category.__name__, str(w.message).splitlines()[0])
print(torch.is_anomaly_enabled())
""",
    "anomaly_function_error": """
import warnings

class MyFunc(torch.autograd.Function):
    @staticmethod
    def forward(ctx, inp):
        return inp.clone()

    @staticmethod
    def backward(ctx, gO):
        raise RuntimeError("Some error in backward")

def run_fn(a):
    out = MyFunc.apply(a)
    return out.sum()

inp = torch.ones(3, 3, requires_grad=True)
out = run_fn(inp)
try:
    out.backward()
except RuntimeError as e:
    print(type(e).__name__, str(e).splitlines()[0])
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    with torch.autograd.detect_anomaly():
        out = run_fn(inp)
        try:
            out.backward()
        except RuntimeError as e:
            print(type(e).__name__, str(e).splitlines()[0])
for w in caught:
    print(w.category.__name__, str(w.message).splitlines()[0])
""",
    "backward_twice": """
x = torch.tensor([1.0, 2.0], requires_grad=True)
y = (x * x).sum()
y.backward(retain_graph=True)
y.backward()
print(x.grad)
try:
    y.backward()
except RuntimeError as e:
    print(type(e).__name__, str(e).splitlines()[0][:60])
z = (x + x).sum()
z.backward()
z.backward()
print(x.grad)
x.grad = None
u = x.exp().sum()
u.backward(inputs=[x])
print(x.grad)
try:
    torch.tensor([1.0]).sum().backward()
except RuntimeError as e:
    print(type(e).__name__, str(e).splitlines()[0])
try:
    (x * 2).backward()
except RuntimeError as e:
    print(type(e).__name__, str(e).splitlines()[0])
""",
}


@pytest.mark.parametrize("code", params(PROGRAMS))
def test_program_runs_with_bibun(code: str) -> None:
    check_runs(code)


@pytest.mark.parametrize("code", params(PROGRAMS))
def test_program_prints_what_pytorch_prints(code: str) -> None:
    check_same_as_pytorch(code)
