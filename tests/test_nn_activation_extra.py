"""glu, shrink, threshold, prelu, rrelu, the in-place activations: errors, in-place behaviour
and the random draws (the op database checks values and gradients)."""

from __future__ import annotations

import numpy as np
import pytest

import bibun
import bibun.nn.functional as F
from conftest import HAVE_TORCH

needs_torch = pytest.mark.skipif(not HAVE_TORCH, reason="torch is not installed")


def _raises_like(call: object) -> None:
    """bibun and PyTorch raise the same exception type with the same message (``torch.`` read
    as ``bibun.``)."""
    import torch

    with pytest.raises(Exception) as theirs:
        call(torch)
    with pytest.raises(type(theirs.value)) as ours:
        call(bibun)
    assert str(ours.value) == str(theirs.value).replace("torch.", "bibun.")


@needs_torch
@pytest.mark.parametrize(
    "call",
    [
        lambda m: m.nn.functional.glu(m.ones(2, 3), 1),
        lambda m: m.nn.functional.glu(m.tensor(1.0)),
        lambda m: m.nn.functional.glu(m.ones(2, 2, dtype=m.int64)),
        lambda m: m.nn.functional.softshrink(m.ones(2), -1.0),
        lambda m: m.nn.functional.softshrink(m.ones(2, dtype=m.float64), -1.0),
        lambda m: m.nn.functional.hardshrink(m.ones(2, dtype=m.int64)),
        lambda m: m.nn.functional.prelu(m.ones(2, 3), m.ones(2)),
        lambda m: m.nn.functional.prelu(m.ones(4), m.ones(4)),
        lambda m: m.nn.functional.rrelu(m.ones(3), 0.5, 0.1),
        lambda m: m.nn.functional.relu_(m.ones(3, requires_grad=True)),
        lambda m: m.nn.functional.elu_(m.ones(3, requires_grad=True)),
    ],
)
def test_errors_match_pytorch(call: object) -> None:
    _raises_like(call)


@pytest.mark.parametrize(
    "name, kwargs",
    [("leaky_relu_", {"negative_slope": -0.1}), ("elu_", {"alpha": -0.5})],
)
def test_negative_slope_in_place_raises_and_changes_nothing(name: str, kwargs: dict) -> None:
    x = bibun.tensor([-1.0, 2.0], requires_grad=True)
    y = x.clone()
    with pytest.raises(RuntimeError, match="negative slope which is not supported"):
        getattr(F, name)(y, **kwargs)
    assert y.tolist() == [-1.0, 2.0] and y._version == 0
    with bibun.no_grad():  # nothing records a gradient, so the negative slope is allowed
        assert getattr(F, name)(y, **kwargs) is y


@pytest.mark.parametrize(
    "name, kwargs, grad_fn",
    [
        ("relu_", {}, "ReluBackward0"),
        ("elu_", {"alpha": 0.5}, "EluBackward1"),
        ("selu_", {}, "EluBackward1"),
        ("celu_", {"alpha": 2.0}, "CeluBackward1"),
        ("leaky_relu_", {"negative_slope": 0.1}, "LeakyReluBackward1"),
        ("hardtanh_", {}, "HardtanhBackward0"),
        ("threshold_", {"threshold": 0.0, "value": -2.0}, "ThresholdBackward1"),
        ("rrelu_", {}, "RreluWithNoiseBackward1"),
    ],
)
def test_in_place_writes_into_the_input(name: str, kwargs: dict, grad_fn: str) -> None:
    x = bibun.tensor([-1.5, -0.25, 0.5, 2.0], dtype=bibun.float64, requires_grad=True)
    y = x.clone()
    out = getattr(F, name)(y, **kwargs)
    assert out is y and y._version == 1
    assert type(y.grad_fn).__name__ == grad_fn
    out_of_place = getattr(F, name.rstrip("_"))(x, **kwargs)
    np.testing.assert_allclose(y.detach().numpy(), out_of_place.detach().numpy())
    (g,) = bibun.autograd.grad(y.sum(), x)
    (g_ref,) = bibun.autograd.grad(out_of_place.sum(), x)
    np.testing.assert_allclose(g.numpy(), g_ref.numpy())


def test_in_place_through_a_view_rebases_the_base() -> None:
    x = bibun.tensor([[-1.0, 2.0], [3.0, -4.0]], requires_grad=True)
    y = x * 1.0
    F.elu_(y[0])
    assert type(y.grad_fn).__name__ == "CopySlices"
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [[np.exp(-1.0), 1.0], [1.0, 1.0]], rtol=1e-6)


def test_threshold_on_integers_has_no_graph() -> None:
    x = bibun.tensor([1, 5, -3])
    assert F.threshold(x, 2, 0).tolist() == [0, 5, 0]
    assert F.threshold_(x, 2, 9) is x and x.tolist() == [9, 5, 9]


def test_rrelu_training_draws_slopes_in_range() -> None:
    bibun.manual_seed(0)
    x = bibun.full((20000,), -1.0, dtype=bibun.float64, requires_grad=True)
    y = F.rrelu(x, 0.1, 0.3, training=True)
    assert type(y.grad_fn).__name__ == "RreluWithNoiseBackward0"
    slopes = -y.detach().numpy()
    assert slopes.min() >= 0.1 and slopes.max() <= 0.3
    assert abs(slopes.mean() - 0.2) < 0.003 and abs(slopes.var() - 0.2**2 / 12) < 0.0005
    y.sum().backward()  # the gradient is the drawn slope
    np.testing.assert_allclose(x.grad.numpy(), slopes)
    positive = bibun.tensor([0.5, 2.0])
    assert F.rrelu(positive, training=True).tolist() == [0.5, 2.0]


def test_rrelu_repeats_with_the_seed() -> None:
    x = -bibun.ones(5)
    bibun.manual_seed(3)
    a = F.rrelu(x, training=True)
    bibun.manual_seed(3)
    assert F.rrelu(x, training=True).tolist() == a.tolist()


def test_tensor_methods() -> None:
    x = bibun.tensor([-1.0, 0.25, 3.0])
    assert x.hardshrink(0.5).tolist() == [-1.0, 0.0, 3.0]
    assert x.prelu(bibun.tensor([0.5])).tolist() == [-0.5, 0.25, 3.0]


# --- normalizations ---------------------------------------------------------------------------------
@needs_torch
@pytest.mark.parametrize(
    "call",
    [
        lambda m: m.nn.functional.rms_norm(m.ones(2, 3), (2,)),
        lambda m: m.nn.functional.rms_norm(m.ones(2, 3), (3,), m.ones(2)),
        lambda m: m.nn.functional.group_norm(m.ones(2, 3, 4), 2),
        lambda m: m.nn.functional.group_norm(m.ones(2, 4, 4), 2, m.ones(3)),
        lambda m: m.nn.functional.group_norm(m.ones(2), 1),
        lambda m: m.nn.functional.instance_norm(m.ones(2, 3, 1)),
        lambda m: m.nn.functional.local_response_norm(m.ones(2, 3), 2),
    ],
)
def test_norm_errors_match_pytorch(call: object) -> None:
    _raises_like(call)


@needs_torch
def test_instance_norm_updates_running_stats_as_pytorch() -> None:
    import torch

    x = np.random.default_rng(0).normal(size=(3, 2, 5))
    ours = [bibun.zeros(2, dtype=bibun.float64), bibun.ones(2, dtype=bibun.float64)]
    theirs = [torch.zeros(2, dtype=torch.float64), torch.ones(2, dtype=torch.float64)]
    a = F.instance_norm(bibun.tensor(x), *ours, momentum=0.3)
    b = torch.nn.functional.instance_norm(torch.tensor(x), *theirs, momentum=0.3)
    np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-12, atol=1e-12)
    for o, t in zip(ours, theirs):
        np.testing.assert_allclose(o.numpy(), t.numpy(), rtol=1e-12)
        assert o._version == 1


def test_rms_norm_default_eps_is_the_dtype_epsilon() -> None:
    x = bibun.zeros(2, 3)  # 0 / sqrt(0 + eps) = 0: finite, so eps was added
    assert F.rms_norm(x, (3,)).tolist() == [[0.0] * 3] * 2


# --- gumbel_softmax ---------------------------------------------------------------------------------
def test_gumbel_softmax_is_a_distribution_and_samples_the_softmax() -> None:
    bibun.manual_seed(0)
    logits = bibun.tensor([[1.0, 0.0, -1.0]], dtype=bibun.float64).expand(20000, 3)
    y = F.gumbel_softmax(logits, tau=0.5)
    np.testing.assert_allclose(y.sum(-1).numpy(), 1.0)
    hard = F.gumbel_softmax(logits, hard=True)
    counts = hard.numpy().sum(0) / 20000
    expected = np.exp([1.0, 0.0, -1.0]) / np.exp([1.0, 0.0, -1.0]).sum()
    np.testing.assert_allclose(counts, expected, atol=0.015)  # argmax of logits + Gumbel noise


def test_gumbel_softmax_hard_is_one_hot_with_the_soft_gradient() -> None:
    logits = bibun.tensor([[0.3, -1.2, 2.0, 0.1], [1.0, 1.5, -0.5, 0.0]], dtype=bibun.float64, requires_grad=True)
    weights = bibun.tensor([1.0, -2.0, 0.5, 3.0], dtype=bibun.float64)
    bibun.manual_seed(5)
    hard = F.gumbel_softmax(logits, tau=0.7, hard=True)
    assert type(hard.grad_fn).__name__ == "AddBackward0"
    values = hard.detach().numpy()
    assert set(np.unique(values)) <= {0.0, 1.0} and (values.sum(-1) == 1).all()
    (g_hard,) = bibun.autograd.grad((hard * weights).sum(), logits)
    bibun.manual_seed(5)
    soft = F.gumbel_softmax(logits, tau=0.7)
    assert type(soft.grad_fn).__name__ == "SoftmaxBackward0"
    assert (np.argmax(soft.detach().numpy(), -1) == np.argmax(values, -1)).all()
    (g_soft,) = bibun.autograd.grad((soft * weights).sum(), logits)
    np.testing.assert_allclose(g_hard.numpy(), g_soft.numpy(), rtol=1e-12)


def test_gumbel_softmax_gradient_given_the_draws() -> None:
    # With the same draws, gumbel_softmax is softmax((logits + g) / tau): check its gradient
    # against that expression's, with g recovered from the seed.
    logits = bibun.tensor([0.5, -0.3, 1.1], dtype=bibun.float64, requires_grad=True)
    bibun.manual_seed(9)
    y = F.gumbel_softmax(logits, tau=2.0, dim=0)
    bibun.manual_seed(9)
    g = -np.log(bibun.default_generator._rng.exponential(size=3))
    expected = F.softmax((logits + bibun.tensor(g)) / 2.0, 0)
    np.testing.assert_allclose(y.detach().numpy(), expected.detach().numpy(), rtol=1e-12)
    v = bibun.tensor([1.0, 2.0, -1.0], dtype=bibun.float64)
    (a,) = bibun.autograd.grad((y * v).sum(), logits)
    (b,) = bibun.autograd.grad((expected * v).sum(), logits)
    np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-12)
