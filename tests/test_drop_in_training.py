"""Drop-in: small training loops written with torch.nn.functional and hand-made parameters
(no nn.Module, no optim): the loss curve, the final parameters and gradients print under
bibun what they print under PyTorch. Values after many steps are printed rounded where the
summation order leaves noise in the last float32 digit."""

from __future__ import annotations

import pytest

from drop_in_harness import check_runs, check_same_as_pytorch, params

PROGRAMS = {
    "logistic_regression": """
import torch.nn.functional as F
x = torch.tensor([[0.5, 1.5], [1.0, 1.0], [2.0, 0.5], [-1.0, -0.5], [-1.5, 0.0], [0.0, -2.0]])
y = torch.tensor([1.0, 1.0, 1.0, 0.0, 0.0, 0.0])
w = torch.zeros(2, requires_grad=True)
b = torch.zeros(1, requires_grad=True)
for epoch in range(100):
    logits = x @ w + b
    loss = F.binary_cross_entropy_with_logits(logits, y)
    loss.backward()
    with torch.no_grad():
        w -= 0.5 * w.grad
        b -= 0.5 * b.grad
    w.grad.zero_()
    b.grad.zero_()
    if epoch % 25 == 0:
        print(epoch, f"{loss.item():.5f}")
print(w, b)
probs = torch.sigmoid(x @ w + b)
print(probs.detach(), ((probs > 0.5).float() == y).all())
print(F.binary_cross_entropy(probs, y))
""",
    "mlp_classifier": """
import torch.nn.functional as F
x = torch.linspace(-2, 2, 24).reshape(8, 3)
target = torch.tensor([0, 1, 2, 1, 0, 2, 2, 1])
w1 = (torch.arange(12.).reshape(3, 4) / 10 - 0.5).requires_grad_()
b1 = torch.zeros(4, requires_grad=True)
w2 = (torch.arange(12.).reshape(4, 3) / 20 - 0.3).requires_grad_()
b2 = torch.zeros(3, requires_grad=True)
params = [w1, b1, w2, b2]
for step in range(60):
    h = F.relu(x @ w1 + b1)
    logits = h @ w2 + b2
    loss = F.cross_entropy(logits, target)
    for p in params:
        p.grad = None
    loss.backward()
    with torch.no_grad():
        for p in params:
            p -= 0.2 * p.grad
    if step % 20 == 0:
        print(step, round(loss.item(), 4))
print(round(loss.item(), 4), logits.argmax(dim=1))
print(w2.grad.round(decimals=4))
print(loss.grad_fn.name(), logits.grad_fn.name(), h.grad_fn.name())
""",
    "mse_regression_with_linear": """
import torch.nn.functional as F
x = torch.linspace(0, 1, 10).reshape(10, 1)
y = 2 * x.pow(2) - x + 0.5
weight = torch.tensor([[0.1], [-0.1], [0.2]], requires_grad=True)
bias = torch.tensor([0.0, 0.0, 0.0], requires_grad=True)
out_w = torch.tensor([[0.3, 0.3, 0.3]], requires_grad=True)
for step in range(150):
    hidden = torch.tanh(F.linear(x, weight, bias))
    pred = F.linear(hidden, out_w)
    loss = F.mse_loss(pred, y)
    gw, gb, go = torch.autograd.grad(loss, [weight, bias, out_w])
    with torch.no_grad():
        weight.sub_(0.3 * gw)
        bias.sub_(0.3 * gb)
        out_w.sub_(0.3 * go)
print(f"{loss.item():.5f}", pred.shape, pred.grad_fn.name())
print(F.l1_loss(pred, y).detach().round(decimals=4), F.smooth_l1_loss(pred, y).detach().round(decimals=4))
print(F.mse_loss(pred, y, reduction="none").shape, F.mse_loss(pred, y, reduction="sum").grad_fn.name())
""",
    "softmax_regression_manual": """
x = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [-1.0, 0.5]])
labels = torch.tensor([0, 1, 2, 1])
one_hot = torch.nn.functional.one_hot(labels, num_classes=3).float()
W = torch.zeros(2, 3, requires_grad=True)
for step in range(30):
    logp = torch.log_softmax(x @ W, dim=1)
    loss = -(one_hot * logp).sum(dim=1).mean() + 0.01 * (W ** 2).sum()
    loss.backward()
    with torch.no_grad():
        W -= 1.0 * W.grad
        W.grad.zero_()
print(W)
print(f"{loss.item():.5f}", torch.nn.functional.nll_loss(logp, labels))
print(torch.softmax(x @ W, dim=1).sum(dim=1))
""",
    "gradient_clipping_and_accumulation": """
w = torch.tensor([1.0, -2.0, 3.0], requires_grad=True)
batches = [torch.tensor([[1.0, 0.0, 2.0]]), torch.tensor([[0.5, 1.5, -1.0]]), torch.tensor([[2.0, 2.0, 2.0]])]
for xb in batches:
    loss = ((xb @ w) ** 2).sum() / len(batches)
    loss.backward()
print(w.grad)
total_norm = w.grad.norm()
clip = 5.0
if total_norm > clip:
    with torch.no_grad():
        w.grad.mul_(clip / total_norm)
print(total_norm, w.grad, w.grad.norm())
with torch.no_grad():
    w.add_(w.grad, alpha=-0.1)
print(w)
""",
    "conv_net_step": """
import torch.nn.functional as F
img = torch.arange(32.).reshape(2, 1, 4, 4) / 32
kernel = torch.tensor([[[[1.0, 0.0], [0.0, -1.0]]], [[[0.5, 0.5], [0.5, 0.5]]]], requires_grad=True)
head = torch.linspace(-0.5, 0.5, 16).reshape(2, 8).requires_grad_()
target = torch.tensor([0, 1])
for step in range(5):
    feat = F.max_pool2d(F.relu(F.conv2d(img, kernel, padding=1)), 2)
    logits = feat.flatten(1) @ head.reshape(8, 2) if feat.flatten(1).shape[1] == 8 else feat.flatten(1)[:, :8] @ head.reshape(8, 2)
    loss = F.cross_entropy(logits, target)
    loss.backward()
    with torch.no_grad():
        kernel -= 0.1 * kernel.grad
        head -= 0.1 * head.grad
        kernel.grad = None
        head.grad = None
print(feat.shape, round(loss.item(), 4))
print(kernel.round(decimals=4))
print(feat.grad_fn.name(), F.conv2d(img, kernel).grad_fn.name())
""",
    "hand_written_adam": """
# Adam written out with in-place updates, as optimizers are
x = torch.linspace(-1, 1, 8).reshape(4, 2)
y = torch.tensor([0.5, -0.25, 1.0, 0.0])
w = torch.tensor([0.1, -0.2], requires_grad=True)
b = torch.zeros(1, requires_grad=True)
state = {id(p): (torch.zeros_like(p), torch.zeros_like(p)) for p in (w, b)}
lr, beta1, beta2, eps = 0.05, 0.9, 0.999, 1e-8
for step in range(1, 31):
    loss = ((x @ w + b - y) ** 2).mean()
    w.grad = b.grad = None
    loss.backward()
    with torch.no_grad():
        for p in (w, b):
            m, v = state[id(p)]
            m.lerp_(p.grad, 1 - beta1)
            v.mul_(beta2).addcmul_(p.grad, p.grad, value=1 - beta2)
            denom = (v.sqrt() / (1 - beta2 ** step) ** 0.5).add_(eps)
            p.addcdiv_(m, denom, value=-lr / (1 - beta1 ** step))
    if step % 10 == 0:
        print(step, round(loss.item(), 5))
print(w.detach().round(decimals=4), b.detach().round(decimals=4))
z = w * 1
z.clamp_(-0.5, 0.5).sinh_().masked_fill_(torch.tensor([True, False]), 0.0)
print(z.grad_fn.name(), torch.autograd.grad(z.sum(), w))
""",
    "layer_norm_dropout_eval": """
import torch.nn.functional as F
x = torch.tensor([[1.0, 2.0, 3.0, 4.0], [2.0, -2.0, 0.5, 0.0]], requires_grad=True)
g = torch.tensor([1.0, 0.5, 2.0, 1.0], requires_grad=True)
b = torch.tensor([0.0, 0.1, 0.0, -0.1], requires_grad=True)
y = F.layer_norm(x, (4,), g, b)
print(y)
y.pow(2).sum().backward()
print(x.grad, g.grad, b.grad)
print(torch.equal(F.dropout(x, p=0.5, training=False), x), F.dropout(x, 0.0) is x, F.dropout(x, 1.0))
print(F.silu(x), F.softplus(x), F.elu(x - 2), F.selu(x - 2))
# float32 erf: PyTorch's vectorised kernel is a few ulp off; bibun's is correctly rounded
print(F.gelu(x).round(decimals=3), F.gelu(x.double()), F.silu(x).grad_fn.name())
""",
}


@pytest.mark.parametrize("code", params(PROGRAMS))
def test_program_runs_with_bibun(code: str) -> None:
    check_runs(code)


@pytest.mark.parametrize("code", params(PROGRAMS))
def test_program_prints_what_pytorch_prints(code: str) -> None:
    check_same_as_pytorch(code)
