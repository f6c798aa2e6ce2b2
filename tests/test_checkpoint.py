"""Memory tools: saved_tensors_hooks (PyTorch's documented examples), save_on_cpu, and
checkpoint in both variants: same gradients as the plain run, one recomputation per segment,
the random state replayed, and fewer bytes held after forward."""

from __future__ import annotations

import gc
import tracemalloc
import warnings

import numpy as np
import pytest

import bibun
from bibun.autograd.graph import save_on_cpu, saved_tensors_hooks
from bibun.utils import checkpoint as checkpoint_module
from bibun.utils.checkpoint import checkpoint, checkpoint_sequential
from conftest import HAVE_TORCH

needs_torch = pytest.mark.skipif(not HAVE_TORCH, reason="PyTorch is not installed: the cross-check needs it")


def test_saved_tensors_hooks_documented_example():
    packed, unpacked = [], []

    def pack(x):
        packed.append(x)
        return x

    def unpack(x):
        unpacked.append(x)
        return x

    a = bibun.ones(5, requires_grad=True)
    b = bibun.ones(5, requires_grad=True) * 2
    with saved_tensors_hooks(pack, unpack):
        y = a * b
    y.sum().backward()
    # PyTorch's order: MulBackward0 saves other before self, and unpacks them in that order too
    assert packed[0] is b and packed[1] is a and len(packed) == 2 and unpacked == [b, a]
    assert a.grad.tolist() == [2.0] * 5


def test_pack_to_numpy_and_back_outputs_included():
    stored = []

    def pack(t):
        stored.append(t.detach().numpy().copy())
        return len(stored) - 1

    def unpack(i):
        return bibun.tensor(stored[i])

    x = bibun.tensor([0.5, 1.5], dtype=bibun.float64, requires_grad=True)
    with saved_tensors_hooks(pack, unpack):
        y = x.exp().sin()  # exp saves its output, sin its input
    assert len(stored) == 2
    (g,) = bibun.autograd.grad(y.sum(), x, create_graph=True)
    np.testing.assert_allclose(g.detach().numpy(), np.cos(np.exp([0.5, 1.5])) * np.exp([0.5, 1.5]))
    (gg,) = bibun.autograd.grad(g.sum(), x)  # second order through unpacked values
    xs = np.array([0.5, 1.5])
    expected = -np.sin(np.exp(xs)) * np.exp(2 * xs) + np.cos(np.exp(xs)) * np.exp(xs)
    np.testing.assert_allclose(gg.numpy(), expected)


def test_hooks_nest_and_are_removed_on_exit():
    from bibun.ops import _registry

    plain_record = _registry._record
    calls = []
    with saved_tensors_hooks(lambda t: calls.append("outer") or t, lambda t: t):
        with saved_tensors_hooks(lambda t: calls.append("inner") or t, lambda t: t):
            bibun.ones(2, requires_grad=True).sin()
        bibun.ones(2, requires_grad=True).sin()
    assert calls == ["inner", "outer"] and _registry._record is plain_record


def test_save_on_cpu_is_transparent():
    x = bibun.tensor([1.0, 2.0], requires_grad=True)
    with save_on_cpu(pin_memory=False):
        y = (x * x).sin()
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.cos(np.array([1.0, 4.0])) * 2 * np.array([1.0, 2.0]), rtol=1e-6)


def _mlp(lib, depth=4, width=6, seed=0):
    rng = np.random.default_rng(seed)
    weights = [lib.tensor(rng.standard_normal((width, width)) / 3, requires_grad=True) for _ in range(depth)]
    x = lib.tensor(rng.standard_normal((3, width)), requires_grad=True)
    return weights, x


def _block(h, w):
    h = h @ w
    return h * h.sigmoid()


@pytest.mark.parametrize("use_reentrant", [False, True])
def test_checkpoint_gradients_equal_plain_run(use_reentrant):
    weights, x = _mlp(bibun)
    h = x
    for w in weights:
        h = _block(h, w)
    h.sum().backward()
    expected = [w.grad.numpy().copy() for w in weights] + [x.grad.numpy().copy()]
    for w in weights:
        w.grad = None
    x.grad = None
    h = x
    for w in weights:
        h = checkpoint(_block, h, w, use_reentrant=use_reentrant)
    assert type(h.grad_fn).__name__ == ("CheckpointFunctionBackward" if use_reentrant else "MulBackward0")
    h.sum().backward()
    for got, want in zip([w.grad for w in weights] + [x.grad], expected):
        np.testing.assert_array_equal(got.numpy(), want)


@needs_torch
def test_checkpoint_matches_pytorch():
    import torch
    import torch.utils.checkpoint

    grads = []
    for lib, ck in ((bibun, checkpoint), (torch, torch.utils.checkpoint.checkpoint)):
        weights, x = _mlp(lib)
        h = x
        for w in weights:
            h = ck(_block, h, w, use_reentrant=False)
        h.sum().backward()
        grads.append([w.grad.numpy() for w in weights])
    for a, b in zip(*grads):
        np.testing.assert_allclose(a, b, rtol=1e-10)


def test_one_recomputation_per_segment_and_random_state_replayed(monkeypatch):
    runs = []
    original = checkpoint_module._Frame.recompute

    def counting(self):
        runs.append(self)
        original(self)

    monkeypatch.setattr(checkpoint_module._Frame, "recompute", counting)

    def noisy(h):
        return (h * bibun.randn(*h.shape, dtype=bibun.float64)).sin()

    x = bibun.tensor(np.linspace(0.1, 0.9, 6).reshape(2, 3), requires_grad=True)
    bibun.manual_seed(3)
    y = checkpoint(noisy, checkpoint(noisy, x, use_reentrant=False), use_reentrant=False)
    y.sum().backward()
    assert len(runs) == 2
    bibun.manual_seed(3)
    x2 = bibun.tensor(np.linspace(0.1, 0.9, 6).reshape(2, 3), requires_grad=True)
    noisy(noisy(x2)).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), x2.grad.numpy())


def test_checkpoint_holds_less_after_forward():
    weights, x = _mlp(bibun, depth=8, width=256)
    held = {}
    for name, run in (("plain", _block), ("checkpoint", lambda h, w: checkpoint(_block, h, w, use_reentrant=False))):
        gc.collect()
        tracemalloc.start()
        h = x
        for w in weights:
            h = run(h, w)
        held[name] = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
        del h
    # plain: ~3 saved activations per layer; checkpointed: each layer's input and output only
    assert held["checkpoint"] < 0.6 * held["plain"]


def test_checkpoint_sequential_and_warning_without_use_reentrant():
    weights, x = _mlp(bibun, depth=6)
    layers = [lambda h, w=w: _block(h, w) for w in weights]
    out = checkpoint_sequential(layers, 3, x, use_reentrant=False)
    out.sum().backward()
    got = x.grad.numpy().copy()
    x.grad = None
    h = x
    for f in layers:
        h = f(h)
    h.sum().backward()
    np.testing.assert_allclose(got, x.grad.numpy(), rtol=1e-12)
    with pytest.warns(UserWarning, match="the use_reentrant parameter should be passed explicitly"):
        checkpoint(_block, x, weights[0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        checkpoint(_block, x, weights[0], use_reentrant=False)
