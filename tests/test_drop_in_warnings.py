"""Drop-in: programs that make PyTorch warn (reading a non-leaf's .grad, backward with
create_graph=True, copy-constructing with torch.tensor(t), gradcheck on float32, anomaly
mode, implicit softmax dims, ...) record the same warning categories and key phrases, and
print the same values, under bibun."""

from __future__ import annotations

import pytest

from drop_in_harness import check_runs, check_same_as_pytorch, params

# Every program records warnings with this prologue and prints them with show().
_PROLOGUE = """
import warnings

def show(caught):
    for w in caught:
        print(" ", w.category.__name__ + ":", str(w.message).split(". ")[0].splitlines()[0])
    print(" ", len(caught), "warning(s)")
    caught.clear()

"""

PROGRAMS = {
    "non_leaf_grad": """
a = torch.tensor([1.0, 2.0], requires_grad=True)
b = a * 2
b.sum().backward()
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    print(b.grad)
    show(caught)
    print(a.grad)
    show(caught)
    c = a * 3
    c.retain_grad()
    c.sum().backward()
    print(c.grad, c.retains_grad)
    show(caught)
    print(a.detach().grad, (a * 1).detach().grad)
    show(caught)
""",
    "backward_create_graph": """
x = torch.tensor([1.0, 2.0], requires_grad=True)
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    (x ** 3).sum().backward(create_graph=True)
    show(caught)
    print(x.grad, x.grad.requires_grad)
    g, = torch.autograd.grad((x ** 3).sum(), x, create_graph=True)
    show(caught)
    torch.autograd.backward((x ** 2).sum(), create_graph=True, inputs=[x])
    show(caught)
    print(x.grad)
    print(torch.autograd.grad(x.grad.sum(), x))
""",
    "tensor_copy_construct": """
src = torch.tensor([1.0, 2.0], requires_grad=True)
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    t = torch.tensor(src)
    show(caught)
    print(t, t.requires_grad)
    t = torch.tensor(src * 2, dtype=torch.float64)
    show(caught)
    print(t)
    t = src.detach().clone()
    u = torch.as_tensor(src)
    show(caught)
    print(t, u is src)
    v = torch.tensor([src[0].item(), 3.0])
    show(caught)
    print(v)
""",
    "gradcheck_float32": """
x = torch.tensor([0.5, 1.0], requires_grad=True)
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    ok = torch.autograd.gradcheck(torch.sin, (x,), eps=1e-3, atol=1e-2, rtol=1e-2)
    print(ok)
    show(caught)
    ok = torch.autograd.gradcheck(torch.sin, (x.double().detach().requires_grad_(),))
    print(ok)
    show(caught)
""",
    "anomaly_mode_warnings": """
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    with torch.autograd.detect_anomaly():
        x = torch.tensor([1.0, 4.0], requires_grad=True)
        y = x.sqrt().sum()
        y.backward()
    show(caught)
    print(x.grad)
    torch.autograd.set_detect_anomaly(True)
    show(caught)
    print(torch.is_anomaly_enabled())
    torch.autograd.set_detect_anomaly(False)
    with torch.autograd.detect_anomaly(check_nan=False):
        x = torch.tensor([0.0], requires_grad=True)
        (x.sqrt() * 0).sum().backward()
    show(caught)
    print(x.grad)
""",
    "implicit_dims_and_shapes": """
import torch.nn.functional as F
x = torch.tensor([[1.0, 2.0], [3.0, 5.0]], requires_grad=True)
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    print(F.softmax(x))
    show(caught)
    print(F.log_softmax(x))
    show(caught)
    loss = F.mse_loss(x, torch.tensor([1.0, 1.0]))
    show(caught)
    print(loss)
    loss = F.l1_loss(x[0], torch.ones(1, 2))
    show(caught)
    print(loss)
""",
    "transpose_of_1d": """
v = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    print(v.T)
    show(caught)
    print(torch.ones(2, 3, 4).mT.shape, torch.ones(2, 3).T.shape, v.T.shape, torch.ones(2, 3, 4).T.shape)
    show(caught)
    print(torch.tensor(2.0).T, torch.tensor(3.0).T)
    show(caught)
""",
    "no_warning_in_plain_training": """
w = torch.tensor([0.5, -0.5], requires_grad=True)
x = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    for _ in range(3):
        loss = ((x @ w) ** 2).mean()
        loss.backward()
        with torch.no_grad():
            w -= 0.01 * w.grad
        w.grad.zero_()
    show(caught)
    print(w, loss)
""",
}
PROGRAMS = {name: _PROLOGUE + code for name, code in PROGRAMS.items()}
# PyTorch gives these warnings once per process: the programs run in fresh interpreters.
FRESH = {name: PROGRAMS.pop(name) for name in ("backward_create_graph", "transpose_of_1d")}


@pytest.mark.parametrize("code", params({**PROGRAMS, **FRESH}))
def test_program_runs_with_bibun(code: str) -> None:
    check_runs(code)


@pytest.mark.parametrize("code", params(PROGRAMS))
def test_program_prints_what_pytorch_prints(code: str) -> None:
    check_same_as_pytorch(code)


@pytest.mark.parametrize("code", params(FRESH))
def test_program_prints_what_pytorch_prints_in_a_fresh_process(code: str) -> None:
    check_same_as_pytorch(code, fresh=True)
