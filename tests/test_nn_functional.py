"""bibun.nn.functional beyond the op database: options (reductions, ignore_index,
label_smoothing, padding_idx, dropout modes and seeding, conv and pool options) against
PyTorch, and bad input: PyTorch's exception type, a message naming the shapes, nothing changed."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import bibun
import bibun.nn.functional as F
from conftest import HAVE_TORCH

torch = pytest.importorskip("torch")
TF = torch.nn.functional
RNG = np.random.default_rng(0)


def _pair(*arrays: np.ndarray, grad: bool = True) -> tuple[list, list]:
    ours = [bibun.tensor(a, requires_grad=grad and a.dtype.kind == "f") for a in arrays]
    theirs = [torch.tensor(a, requires_grad=grad and a.dtype.kind == "f") for a in arrays]
    return ours, theirs


def _same(ours: bibun.Tensor, theirs: torch.Tensor, rtol: float = 1e-10) -> None:
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=rtol, atol=1e-12)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("label_smoothing", [0.0, 0.3])
@pytest.mark.parametrize("weighted", [False, True])
def test_cross_entropy_options_match_pytorch(reduction: str, label_smoothing: float, weighted: bool) -> None:
    logits = RNG.standard_normal((5, 4))
    target = np.array([0, 3, -1, 2, 3])
    weight = RNG.uniform(0.5, 2.0, 4)
    (x, t, w), (xt, tt, wt) = _pair(logits, target, weight, grad=False)
    x.requires_grad_(), xt.requires_grad_()
    kwargs = dict(ignore_index=-1, reduction=reduction, label_smoothing=label_smoothing)
    ours = F.cross_entropy(x, t, w if weighted else None, **kwargs)
    theirs = TF.cross_entropy(xt, tt, wt if weighted else None, **kwargs)
    _same(ours, theirs)
    ours.sum().backward()
    theirs.sum().backward()
    _same(x.grad, xt.grad)
    assert x.grad[2].abs().sum().item() == 0.0  # the ignored sample gets no gradient


def test_cross_entropy_with_probabilities_and_k_dims() -> None:
    logits = RNG.standard_normal((2, 3, 4, 5))
    probs = RNG.uniform(0, 1, (2, 3, 4, 5))
    probs /= probs.sum(1, keepdims=True)
    (x, p), (xt, pt) = _pair(logits, probs)
    _same(F.cross_entropy(x, p, reduction="sum"), TF.cross_entropy(xt, pt, reduction="sum"))
    classes = RNG.integers(0, 3, (2, 4, 5))
    _same(F.cross_entropy(x, bibun.tensor(classes)), TF.cross_entropy(xt, torch.tensor(classes)))


def test_nll_loss_mean_divides_by_the_weights_of_counted_targets() -> None:
    logp = np.log(RNG.uniform(0.1, 1, (4, 3)))
    target = np.array([0, 2, 1, 2])
    weight = np.array([1.0, 2.0, 3.0])
    ours = F.nll_loss(bibun.tensor(logp), bibun.tensor(target), bibun.tensor(weight), ignore_index=1)
    picked = -logp[[0, 1, 3], [0, 2, 2]] * weight[[0, 2, 2]]
    assert ours.item() == pytest.approx(picked.sum() / weight[[0, 2, 2]].sum())


@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss"])
def test_pointwise_loss_broadcasting_warns_like_pytorch(name: str) -> None:
    (x, t), (xt, tt) = _pair(RNG.standard_normal((3, 4)), RNG.standard_normal(4))
    with pytest.warns(UserWarning, match="Using a target size"):
        ours = getattr(F, name)(x, t)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = getattr(TF, name)(xt, tt)
    _same(ours, theirs)
    ours.backward()
    theirs.backward()
    _same(t.grad, tt.grad)


def test_smooth_l1_and_huber_parameters() -> None:
    (x, t), (xt, tt) = _pair(RNG.standard_normal((3, 4)) * 2, RNG.standard_normal((3, 4)))
    _same(F.smooth_l1_loss(x, t, beta=0.5), TF.smooth_l1_loss(xt, tt, beta=0.5))
    _same(F.huber_loss(x, t, delta=0.3, reduction="sum"), TF.huber_loss(xt, tt, delta=0.3, reduction="sum"))
    with pytest.raises(NotImplementedError, match="huber_loss: weight is not supported"):
        F.huber_loss(x, t, weight=bibun.ones(3, 4))  # refused, not silently ignored


def test_binary_cross_entropy_clamps_logs_at_minus_100() -> None:
    p = bibun.tensor([0.0, 1.0, 0.5])
    t = bibun.tensor([1.0, 0.0, 1.0])
    loss = F.binary_cross_entropy(p, t, reduction="none")
    np.testing.assert_allclose(loss.numpy(), [100.0, 100.0, np.log(2)], rtol=1e-6)


def test_kl_div_reductions() -> None:
    logq = np.log(RNG.uniform(0.1, 1, (3, 4)))
    p = RNG.uniform(0, 1, (3, 4))
    p[0, 0] = 0.0  # 0 log 0 = 0
    (x, t), (xt, tt) = _pair(logq, p)
    for reduction in ("none", "sum", "batchmean"):
        _same(F.kl_div(x, t, reduction=reduction), TF.kl_div(xt, tt, reduction=reduction))
    with pytest.warns(UserWarning, match="batchmean"):
        F.kl_div(x, t)


def test_dropout_train_eval_and_seeding() -> None:
    x = bibun.ones(1000, requires_grad=True)
    assert F.dropout(x, 0.4, training=False) is x
    bibun.manual_seed(7)
    first = F.dropout(x, 0.4)
    bibun.manual_seed(7)
    second = F.dropout(x, 0.4)
    np.testing.assert_array_equal(first.detach().numpy(), second.detach().numpy())
    values = {round(float(v), 5) for v in first.detach().numpy()}
    assert values == {0.0, round(1 / 0.6, 5)}
    kept = float((first.detach().numpy() > 0).mean())
    assert 0.5 < kept < 0.7
    first.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), first.detach().numpy())  # gradient = the mask
    assert type(first.grad_fn).__name__ == "MulBackward0"
    assert F.dropout(x, 1.0).detach().abs().sum().item() == 0.0


def test_dropout_probability_out_of_range() -> None:
    with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1, but got 1.5"):
        F.dropout(bibun.ones(3), 1.5)


def test_embedding_padding_idx_gets_no_gradient() -> None:
    weight = RNG.standard_normal((5, 3))
    idx = np.array([[0, 2, 2], [4, 2, 1]])
    (w,), (wt,) = _pair(weight)
    ours = F.embedding(bibun.tensor(idx), w, padding_idx=2)
    theirs = TF.embedding(torch.tensor(idx), wt, padding_idx=2)
    ours.sum().backward()
    theirs.sum().backward()
    _same(w.grad, wt.grad)
    assert w.grad[2].abs().sum().item() == 0.0


def test_one_hot() -> None:
    out = F.one_hot(bibun.tensor([2, 0]), 4)
    assert out.dtype == bibun.int64 and out.tolist() == [[0, 0, 1, 0], [1, 0, 0, 0]]
    assert F.one_hot(bibun.tensor([1, 3])).shape == (2, 4)
    with pytest.raises(RuntimeError, match="Class values must be smaller than num_classes."):
        F.one_hot(bibun.tensor([3]), 2)


def test_batch_norm_training_updates_running_stats_like_pytorch() -> None:
    x = RNG.standard_normal((6, 3, 2))
    ours_stats = [bibun.zeros(3, dtype=bibun.float64), bibun.ones(3, dtype=bibun.float64)]
    theirs_stats = [torch.zeros(3, dtype=torch.float64), torch.ones(3, dtype=torch.float64)]
    ours = F.batch_norm(bibun.tensor(x), *ours_stats, training=True, momentum=0.3)
    theirs = TF.batch_norm(torch.tensor(x), *theirs_stats, training=True, momentum=0.3)
    _same(ours, theirs)
    for a, b in zip(ours_stats, theirs_stats):
        _same(a, b)
    assert ours_stats[0]._version == 1


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(stride=2, padding=1),
        dict(stride=(1, 2), padding=(0, 2), dilation=2),
        dict(padding="same", dilation=(2, 1)),
        dict(padding="valid", groups=3),
    ],
)
def test_conv2d_options_match_pytorch(kwargs: dict) -> None:
    groups = kwargs.get("groups", 1)
    (x, w, b), (xt, wt, bt) = _pair(
        RNG.standard_normal((2, 3, 7, 6)), RNG.standard_normal((6, 3 // groups, 3, 2)), RNG.standard_normal(6)
    )
    ours = F.conv2d(x, w, b, **kwargs)
    theirs = TF.conv2d(xt, wt, bt, **kwargs)
    _same(ours, theirs, rtol=1e-9)
    g = RNG.standard_normal(tuple(theirs.shape))
    ours.backward(bibun.tensor(g))
    theirs.backward(torch.tensor(g))
    for a, c in zip((x, w, b), (xt, wt, bt)):
        _same(a.grad, c.grad, rtol=1e-9)


def test_pooling_options_match_pytorch() -> None:
    (x,), (xt,) = _pair(RNG.standard_normal((2, 2, 7, 9)))
    values, indices = F.max_pool2d(x, (3, 2), stride=(2, 3), padding=1, ceil_mode=True, return_indices=True)
    values_t, indices_t = TF.max_pool2d(xt, (3, 2), stride=(2, 3), padding=1, ceil_mode=True, return_indices=True)
    _same(values, values_t)
    assert indices.tolist() == indices_t.tolist()
    _same(F.avg_pool2d(x, 2, divisor_override=3), TF.avg_pool2d(xt, 2, divisor_override=3))


def _unchanged(*tensors: bibun.Tensor) -> list:
    return [(t.numpy(force=True).copy(), t.grad) for t in tensors]


@pytest.mark.parametrize(
    "call,exc,phrase",
    [
        (
            lambda x: F.linear(x, bibun.ones(5, 3)),
            RuntimeError,
            r"mat1 and mat2 shapes cannot be multiplied \(3x4 and 3x5\)",
        ),
        (
            lambda x: F.cross_entropy(x, bibun.tensor([0, 1])),
            ValueError,
            r"Expected input batch_size \(3\) to match target batch_size \(2\)",
        ),
        (lambda x: F.cross_entropy(x, bibun.tensor([0, 1, 7])), IndexError, "Target 7 is out of bounds."),
        (
            lambda x: F.nll_loss(x, bibun.tensor([0.0, 1.0, 2.0])),
            RuntimeError,
            "expected target dtype to be Long or Byte, but got Float",
        ),
        (
            lambda x: F.mse_loss(x, bibun.ones(2, 4)),
            RuntimeError,
            r"size of tensor a \(3\) must match the size of tensor b \(2\)",
        ),
        (
            lambda x: F.layer_norm(x, (3,)),
            RuntimeError,
            r"Given normalized_shape=\[3\], expected input with shape \[\*, 3\], but got input of size\[3, 4\]",
        ),
        (
            lambda x: F.binary_cross_entropy(x, bibun.ones(3, 4)),
            RuntimeError,
            "all elements of input should be between 0 and 1",
        ),
        (
            lambda x: F.conv2d(x[None, None], bibun.ones(2, 3, 2, 2, dtype=bibun.float64)),
            RuntimeError,
            r"expected input\[1, 1, 3, 4\] to have 3 channels, but got 1 channels instead",
        ),
        (
            lambda x: F.conv2d(x[None, None], bibun.ones(2, 1, 5, 5, dtype=bibun.float64)),
            RuntimeError,
            r"Kernel size can't be greater than actual input size",
        ),
        (
            lambda x: F.max_pool2d(x[None], 2, padding=2),
            RuntimeError,
            "pad should be at most half of effective kernel size",
        ),
        (lambda x: F.pad(x, (1, 2, 3)), RuntimeError, "Padding length must be divisible by 2"),
        (lambda x: F.embedding(bibun.tensor([9]), x), IndexError, "index out of range in self"),
        (lambda x: F.gelu(x, approximate="fast"), RuntimeError, "approximate argument must be either none or tanh"),
    ],
)
def test_bad_input_raises_pytorchs_error_and_changes_nothing(call, exc, phrase) -> None:  # noqa: ANN001
    x = bibun.tensor(RNG.uniform(-1, 1, (3, 4)), requires_grad=True)
    before = _unchanged(x)
    with pytest.raises(exc, match=phrase):
        call(x)
    after = _unchanged(x)
    np.testing.assert_array_equal(before[0][0], after[0][0])
    assert x.grad is None and x._version == 0


def test_softmax_is_stable_and_warns_without_dim() -> None:
    x = bibun.tensor([[1000.0, 0.0, -1000.0]])
    np.testing.assert_allclose(F.softmax(x, 1).numpy(), [[1.0, 0.0, 0.0]])
    np.testing.assert_allclose(F.log_softmax(x, 1).numpy(), [[0.0, -1000.0, -2000.0]])
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmax has been deprecated"):
        F.softmax(bibun.ones(2, 3))
    assert bibun.softmax(x, -1).grad_fn is None and x.softmax(1).shape == (1, 3)


@pytest.mark.parametrize(
    "name, kwargs",
    [
        ("relu", {}),
        ("relu6", {}),
        ("leaky_relu", {"negative_slope": 0.1}),
        ("hardtanh", {}),
        ("elu", {}),
        ("selu", {}),
        ("celu", {}),
        ("hardsigmoid", {}),
        ("hardswish", {}),
        ("silu", {}),
        ("mish", {}),
    ],
)
def test_inplace_true_writes_into_the_input(name, kwargs):
    """F.<activation>(x, inplace=True) returns x itself, written, with PyTorch's node, and the
    gradient of the out-of-place form."""
    leaf = bibun.tensor([-2.0, -0.5, 0.5, 3.0], dtype=bibun.float64, requires_grad=True)
    x = leaf * 1
    version = x._version
    y = getattr(F, name)(x, inplace=True, **kwargs)
    assert y is x and x._version == version + 1
    (y * bibun.tensor([1.0, 2.0, 3.0, 4.0], dtype=bibun.float64)).sum().backward()
    reference = bibun.tensor([-2.0, -0.5, 0.5, 3.0], dtype=bibun.float64, requires_grad=True)
    out = getattr(F, name)(reference, **kwargs)
    (out * bibun.tensor([1.0, 2.0, 3.0, 4.0], dtype=bibun.float64)).sum().backward()
    np.testing.assert_allclose(x.detach().numpy(), out.detach().numpy(), rtol=1e-15)
    np.testing.assert_allclose(leaf.grad.numpy(), reference.grad.numpy(), rtol=1e-15)
    if HAVE_TORCH:
        import torch

        t_leaf = torch.tensor([-2.0, -0.5, 0.5, 3.0], dtype=torch.float64, requires_grad=True)
        t_x = t_leaf * 1
        t_y = getattr(torch.nn.functional, name)(t_x, inplace=True, **kwargs)
        (t_y * torch.tensor([1.0, 2.0, 3.0, 4.0], dtype=torch.float64)).sum().backward()
        assert y.grad_fn.name() == t_y.grad_fn.name()
        np.testing.assert_allclose(leaf.grad.numpy(), t_leaf.grad.numpy(), rtol=1e-12)


@pytest.mark.parametrize(
    "name, flags, expected",
    [
        ("mse_loss", {"size_average": False}, "sum"),
        ("l1_loss", {"reduce": False}, "none"),
        ("smooth_l1_loss", {"size_average": True}, "mean"),
        ("binary_cross_entropy", {"reduce": True, "size_average": False}, "sum"),
        ("binary_cross_entropy_with_logits", {"reduce": False}, "none"),
        ("kl_div", {"size_average": False}, "sum"),
    ],
)
def test_legacy_size_average_and_reduce_pick_the_reduction(name, flags, expected):
    """The old flags are PyTorch's: they win over `reduction`, with its deprecation warning."""
    x = bibun.tensor([[0.2, 0.7], [0.4, 0.9]], dtype=bibun.float64)
    y = bibun.tensor([[0.0, 1.0], [1.0, 0.5]], dtype=bibun.float64)
    with pytest.warns(
        UserWarning, match=f"size_average and reduce args will be deprecated, please use reduction='{expected}'"
    ):
        legacy = getattr(F, name)(x, y, **flags)
    np.testing.assert_array_equal(legacy.numpy(), getattr(F, name)(x, y, reduction=expected).numpy())


def test_legacy_flags_on_class_losses():
    logits = bibun.tensor([[1.0, 2.0, 0.5], [0.1, 0.2, 3.0]])
    target = bibun.tensor([1, 2])
    with pytest.warns(UserWarning, match="please use reduction='none'"):
        out = F.cross_entropy(logits, target, reduce=False)
    assert out.shape == (2,)
    with pytest.warns(UserWarning, match="please use reduction='sum'"):
        total = F.nll_loss(F.log_softmax(logits, 1), target, size_average=False)
    np.testing.assert_allclose(total.item(), out.sum().item(), rtol=1e-6)
