"""Distances and the margin, embedding and likelihood losses beyond the op database: bad
input raises PyTorch's exception with its message (bibun.Size read as torch.Size), the
legacy size_average/reduce flags warn and pick PyTorch's reduction, and edge cases agree."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import bibun
import bibun.nn.functional as F

torch = pytest.importorskip("torch")
TF = torch.nn.functional
RNG = np.random.default_rng(0)


def _both(*arrays: np.ndarray) -> tuple[list, list]:
    return [bibun.tensor(a) for a in arrays], [torch.tensor(a) for a in arrays]


def _same_error(name: str, arrays: tuple, **kwargs: object) -> None:
    ours, theirs = _both(*arrays)
    with pytest.raises(Exception) as expected:
        getattr(TF, name)(*theirs, **kwargs)
    with pytest.raises(type(expected.value)) as got:
        getattr(F, name)(*ours, **kwargs)
    assert str(got.value).replace("bibun.", "torch.") == str(expected.value)


X34, Y34 = RNG.standard_normal((3, 4)), RNG.standard_normal((3, 4))
SIGNS3 = np.array([1.0, -1.0, 1.0])

ERRORS = [
    ("pdist", (RNG.standard_normal((2, 3, 4)),), {}),
    ("pdist", (X34,), {"p": -1}),
    ("cosine_embedding_loss", (X34, Y34, np.ones((3, 1))), {}),
    ("cosine_embedding_loss", (X34, Y34, np.array(1.0)), {}),
    ("cosine_embedding_loss", (X34[0], Y34[0], SIGNS3), {}),
    ("cosine_embedding_loss", (X34, Y34, SIGNS3), {"reduction": "avg"}),
    ("margin_ranking_loss", (X34, Y34, SIGNS3), {}),
    ("margin_ranking_loss", (X34[0], Y34[0], X34[1]), {"reduction": "x"}),
    ("hinge_embedding_loss", (X34, np.sign(Y34)), {"reduction": "x"}),
    ("soft_margin_loss", (X34, np.sign(Y34)), {"reduction": "x"}),
]


@pytest.mark.parametrize("name,arrays,kwargs", ERRORS, ids=[e[0] for e in ERRORS])
def test_bad_input_raises_as_pytorch(name: str, arrays: tuple, kwargs: dict) -> None:
    _same_error(name, arrays, **kwargs)


def test_soft_margin_target_is_not_differentiable() -> None:
    x, t = bibun.tensor(X34, requires_grad=True), bibun.tensor(np.sign(Y34), requires_grad=True)
    with pytest.raises(RuntimeError, match="not differentiable with respect to argument 'target'"):
        F.soft_margin_loss(x, t)
    with bibun.no_grad():
        F.soft_margin_loss(x, t)


@pytest.mark.parametrize("flags", [(False, None), (None, False), (True, True), (False, True)])
@pytest.mark.parametrize(
    "name,arrays",
    [
        ("cosine_embedding_loss", (X34, Y34, SIGNS3)),
        ("margin_ranking_loss", (X34[0], Y34[0], np.sign(X34[1]))),
        ("hinge_embedding_loss", (X34, np.sign(Y34))),
        ("soft_margin_loss", (X34, np.sign(Y34))),
    ],
)
def test_legacy_flags_warn_and_reduce_as_pytorch(name: str, arrays: tuple, flags: tuple) -> None:
    ours, theirs = _both(*arrays)
    size_average, reduce = flags
    with warnings.catch_warnings(record=True) as expected:
        warnings.simplefilter("always")
        want = getattr(TF, name)(*theirs, size_average=size_average, reduce=reduce)
    with warnings.catch_warnings(record=True) as got:
        warnings.simplefilter("always")
        value = getattr(F, name)(*ours, size_average=size_average, reduce=reduce)
    assert [str(w.message) for w in got] == [str(w.message) for w in expected]
    assert [w.category for w in got] == [w.category for w in expected]
    assert got[0].filename == __file__
    np.testing.assert_allclose(value.numpy(), want.numpy(), rtol=1e-12)


def test_pdist_edge_cases_match_pytorch() -> None:
    for shape, p in (((1, 3), 2), ((3, 0), 0.5), ((0, 3), 2), ((4, 3), 0), ((4, 3), float("inf"))):
        a = RNG.standard_normal(shape)
        np.testing.assert_allclose(F.pdist(bibun.tensor(a), p).numpy(), TF.pdist(torch.tensor(a), p).numpy())


def test_pairwise_distance_and_hinge_labels_match_pytorch() -> None:
    (a, b), (at, bt) = _both(RNG.standard_normal((2, 5)), RNG.standard_normal(5))
    for kw in ({}, {"p": 1.0, "keepdim": True}, {"p": float("inf")}, {"p": 0.0}):
        np.testing.assert_allclose(F.pairwise_distance(a, b, **kw).numpy(), TF.pairwise_distance(at, bt, **kw).numpy())
    # labels other than +-1 take both terms, as in ATen
    (x, y), (xt, yt) = _both(X34, RNG.integers(-2, 3, (3, 4)).astype(float))
    np.testing.assert_allclose(
        F.hinge_embedding_loss(x, y, reduction="none").numpy(),
        TF.hinge_embedding_loss(xt, yt, reduction="none").numpy(),
    )


GAUSSIAN_ERRORS = [
    (X34, Y34, RNG.uniform(0.1, 1, 4)),
    (X34, Y34, RNG.uniform(0.1, 1, (2, 1))),
    (X34, Y34, -RNG.uniform(0.1, 1, (3, 4))),
]


@pytest.mark.parametrize("arrays", GAUSSIAN_ERRORS, ids=["var size", "var broadcast", "negative var"])
def test_gaussian_nll_bad_var_raises_as_pytorch(arrays: tuple) -> None:
    _same_error("gaussian_nll_loss", arrays)


def test_likelihood_losses_bad_reduction_and_scalar_var() -> None:
    _same_error("gaussian_nll_loss", (X34, Y34, np.ones((3, 4))), reduction="x")
    _same_error("poisson_nll_loss", (X34, Y34), reduction="x")
    (x, t), (xt, tt) = _both(X34, Y34)
    with pytest.raises(ValueError, match="var has negative entry/entries"):
        F.gaussian_nll_loss(x, t, -1.0)
    with pytest.raises(TypeError):  # PyTorch: a TypeError from torch.any
        TF.gaussian_nll_loss(xt, tt, 2)
    with pytest.raises(TypeError, match="argument 'var' must be Tensor or float, not int"):
        F.gaussian_nll_loss(x, t, 2)
    np.testing.assert_allclose(F.gaussian_nll_loss(x, t, 0.7).numpy(), TF.gaussian_nll_loss(xt, tt, 0.7).numpy())


def test_gaussian_nll_var_gradient_passes_through_the_clamp_as_pytorch() -> None:
    # PyTorch clamps a clone under no_grad: entries below eps still get 1/eps - d^2/eps^2 terms.
    v = np.array([[1e-9, 0.5, 2.0, 1e-3]] * 3)
    ours = [bibun.tensor(a, requires_grad=True) for a in (X34, Y34, v)]
    theirs = [torch.tensor(a, requires_grad=True) for a in (X34, Y34, v)]
    F.gaussian_nll_loss(*ours, eps=1e-2, full=True, reduction="sum").backward()
    TF.gaussian_nll_loss(*theirs, eps=1e-2, full=True, reduction="sum").backward()
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-12)


def test_poisson_nll_full_masks_small_targets_and_legacy_flags() -> None:
    target = np.array([[0.0, 1.0, 1.5, 3.0]] * 3)
    (x, t), (xt, tt) = _both(np.abs(X34) + 0.1, target)
    for kw in ({"log_input": False, "full": True}, {"full": True, "reduction": "none"}):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            ours = F.poisson_nll_loss(x, t, **kw)
        np.testing.assert_allclose(ours.numpy(), TF.poisson_nll_loss(xt, tt, **kw).numpy(), rtol=1e-12)
    with pytest.warns(UserWarning, match="please use reduction='sum' instead"):
        ours = F.poisson_nll_loss(x, t, size_average=False)
    with pytest.warns(UserWarning):
        np.testing.assert_allclose(ours.numpy(), TF.poisson_nll_loss(xt, tt, size_average=False).numpy())


LABELS = np.array([[0, 2, -1, 1], [3, 3, -1, 0], [-1, 0, 0, 0]])
CLASSES = np.array([0, 2, 3])
MARGIN_ERRORS = [
    ("triplet_margin_loss", (X34, Y34, X34[0]), {}),
    ("triplet_margin_loss", (X34, Y34, X34), {"margin": 0.0}),
    ("triplet_margin_with_distance_loss", (X34, Y34, X34[0]), {}),
    ("triplet_margin_with_distance_loss", (X34, Y34, X34), {"reduction": "x"}),
    ("triplet_margin_with_distance_loss", (X34, Y34, X34), {"margin": -1.0}),
    ("multilabel_soft_margin_loss", (X34, Y34), {"reduction": "x"}),
    ("multi_margin_loss", (X34, CLASSES[:2]), {}),
    ("multi_margin_loss", (X34, CLASSES[None]), {}),
    ("multi_margin_loss", (X34[0], CLASSES[:2]), {}),
    ("multi_margin_loss", (X34, np.array([0, 1, 4])), {}),
    ("multi_margin_loss", (X34, np.array([0, -1, 1])), {}),
    ("multi_margin_loss", (X34, CLASSES), {"p": 3}),
    ("multi_margin_loss", (X34, CLASSES), {"reduction": "x"}),
    ("multi_margin_loss", (X34, CLASSES.astype(float)), {}),
    ("multi_margin_loss", (RNG.standard_normal((2, 3, 4)), CLASSES[:2]), {}),
    ("multilabel_margin_loss", (X34, LABELS[:2]), {}),
    ("multilabel_margin_loss", (X34, LABELS + 2), {}),
    ("multilabel_margin_loss", (X34, LABELS.astype(float)), {}),
    ("multilabel_margin_loss", (X34, LABELS), {"reduction": "x"}),
    ("multilabel_margin_loss", (RNG.standard_normal((2, 3, 4)), np.zeros((2, 3, 4), np.int64)), {}),
]


@pytest.mark.parametrize("name,arrays,kwargs", MARGIN_ERRORS, ids=[e[0] for e in MARGIN_ERRORS])
def test_margin_losses_bad_input_raises_as_pytorch(name: str, arrays: tuple, kwargs: dict) -> None:
    _same_error(name, arrays, **kwargs)


def test_multi_margin_weight_errors_and_shapes() -> None:
    x = bibun.tensor(X34, requires_grad=True)
    t = bibun.tensor(CLASSES)
    with pytest.raises(ValueError, match="weight must be one-dimensional"):
        F.multi_margin_loss(x, t, weight=bibun.ones(2, 2))
    with pytest.raises(RuntimeError, match=r"inconsistent weight size, expected 4 but got \[3\]"):
        F.multi_margin_loss(x, t, weight=bibun.ones(3))
    with pytest.raises(RuntimeError, match="not differentiable with respect to argument 'weight'"):
        F.multi_margin_loss(x, t, weight=bibun.ones(4, requires_grad=True))
    # a 0-d input is one sample of one class: no other class, no loss
    for reduction in ("none", "mean"):
        ours = F.multi_margin_loss(bibun.tensor(1.5), bibun.tensor(0), reduction=reduction)
        theirs = TF.multi_margin_loss(torch.tensor(1.5), torch.tensor(0), reduction=reduction)
        assert ours.shape == theirs.shape and float(ours) == float(theirs)
        ours = F.multilabel_margin_loss(bibun.tensor(X34[0]), bibun.tensor(LABELS[0]), reduction=reduction)
        theirs = TF.multilabel_margin_loss(torch.tensor(X34[0]), torch.tensor(LABELS[0]), reduction=reduction)
        assert ours.shape == theirs.shape
        np.testing.assert_allclose(ours.detach().numpy(), theirs.numpy())


@pytest.mark.parametrize(
    "name,arrays", [("multi_margin_loss", (X34, CLASSES)), ("multilabel_margin_loss", (X34, LABELS))]
)
def test_margin_losses_legacy_flags(name: str, arrays: tuple) -> None:
    ours, theirs = _both(*arrays)
    with pytest.warns(UserWarning, match="please use reduction='none' instead"):
        value = getattr(F, name)(*ours, reduce=False)
    with pytest.warns(UserWarning):
        np.testing.assert_allclose(value.numpy(), getattr(TF, name)(*theirs, reduce=False).numpy(), rtol=1e-12)
