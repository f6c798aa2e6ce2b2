"""Hooks, as PyTorch documents them: tensor hooks (order, replacement, removal, retain_grad
after them), post-accumulate-grad hooks, Node pre/post hooks (op nodes and AccumulateGrad),
and PyTorch's errors with nothing registered."""

from __future__ import annotations

import pytest

import bibun
from conftest import HAVE_TORCH

needs_torch = pytest.mark.skipif(not HAVE_TORCH, reason="PyTorch is not installed: the cross-check needs it")


def _hook_program(L):
    log = []
    a = L.tensor(2.0, requires_grad=True)
    b = a * 3
    b.retain_grad()
    b.register_hook(lambda g: log.append(("h1", g.item())) or g * 2)
    b.register_hook(lambda g: log.append(("h2", g.item())))
    removed = b.register_hook(lambda g: log.append(("removed", g.item())) or g * 100)
    removed.remove()
    a.register_hook(lambda g: log.append(("leaf", g.item())) or g + 1)
    a.register_post_accumulate_grad_hook(lambda t: log.append(("post", t.grad.item())))
    mul = b.grad_fn
    mul.register_prehook(lambda grads: log.append(("mul pre", [g.item() for g in grads])))
    mul.register_hook(lambda gi, go: log.append(("mul post", [g.item() if g is not None else None for g in gi])))
    acc = mul.next_functions[0][0]
    acc.register_prehook(lambda grads: log.append(("acc pre", [g.item() for g in grads])))
    acc.register_hook(lambda gi, go: log.append(("acc post", len(gi), [g.item() for g in go])))
    (b * b).backward()
    return log, a.grad.item(), b.grad.item()


def test_hook_order_replacement_and_removal():
    log, a_grad, b_grad = _hook_program(bibun)
    # d(b*b)/db = 2b = 12; h1 doubles it, retain_grad sees the replaced value (registered before).
    assert log[:2] == [("h1", 12.0), ("h2", 24.0)]
    assert b_grad == 24.0
    assert ("mul pre", [24.0]) in log and ("mul post", [72.0, None]) in log
    assert log[-4:] == [("leaf", 72.0), ("acc pre", [73.0]), ("post", 73.0), ("acc post", 0, [73.0])]
    assert a_grad == 73.0


@needs_torch
def test_hooks_match_pytorch():
    import torch

    assert _hook_program(bibun) == _hook_program(torch)


def test_retain_grad_sees_hooks_registered_after_it():
    a = bibun.tensor([1.0, 2.0], requires_grad=True)
    b = a * 1
    b.retain_grad()
    b.register_hook(lambda g: g * 10)
    b.sum().backward()
    assert b.grad.tolist() == [10.0, 10.0] and a.grad.tolist() == [10.0, 10.0]


def test_post_accumulate_hook_can_step_and_be_removed():
    w = bibun.tensor([1.0, 2.0], requires_grad=True)

    def sgd(param):
        with bibun.no_grad():
            param -= 0.5 * param.grad
        param.grad = None

    handle = w.register_post_accumulate_grad_hook(sgd)
    (w * w).sum().backward()
    assert w.tolist() == [0.0, 0.0] and w.grad is None
    handle.remove()
    (w + 1).sum().backward()
    assert w.tolist() == [0.0, 0.0] and w.grad.tolist() == [1.0, 1.0]


def test_hook_errors_register_nothing():
    plain = bibun.tensor([1.0])
    with pytest.raises(RuntimeError, match="cannot register a hook on a tensor that doesn't require gradient"):
        plain.register_hook(lambda g: g)
    with pytest.raises(RuntimeError, match="cannot register a hook on a tensor that doesn't require gradient"):
        plain.register_post_accumulate_grad_hook(lambda t: None)
    assert plain._accumulator is None and plain._post_accumulate_hooks is None
    x = bibun.tensor([1.0], requires_grad=True)
    y = x * 2
    with pytest.raises(RuntimeError, match="post accumulate grad hooks cannot be registered on non-leaf tensors"):
        y.register_post_accumulate_grad_hook(lambda t: None)
    with pytest.raises(RuntimeError, match="can't retain_grad on Tensor that has requires_grad=False"):
        plain.retain_grad()
    assert not plain.retains_grad


def test_handle_as_context_manager_and_hook_under_create_graph():
    x = bibun.tensor(3.0, requires_grad=True)
    y = x * x
    with y.register_hook(lambda g: g * 2):
        (g,) = bibun.autograd.grad(y, x, create_graph=True)
    assert g.item() == 12.0 and g.requires_grad
    (g2,) = bibun.autograd.grad(x * x, x)
    assert g2.item() == 6.0  # the hook is gone


def test_node_hook_replaces_input_gradients():
    x = bibun.tensor([1.0, 2.0], requires_grad=True)
    y = x.exp()
    y.grad_fn.register_hook(lambda grad_inputs, grad_outputs: (grad_inputs[0] * 0 + 7,))
    y.sum().backward()
    assert x.grad.tolist() == [7.0, 7.0]
