"""Database entries for the distances and the margin, embedding and likelihood losses
(bibun/nn/_loss_extra.py). Labels (+1/-1 targets, class indices) are explicit arrays, marked
non-differentiable; every reduction is an entry of its own, since each records its own grad_fn."""

from __future__ import annotations

import numpy as np

from opdb import OpInfo, Sample

S = Sample
_SIGNS_3 = np.array([1.0, -1.0, 1.0])
_SIGNS_34 = np.array([[1.0, -1.0, 1.0, -1.0], [-1.0, -1.0, 1.0, 1.0], [1.0, 1.0, -1.0, 1.0]])
_NAMES = {"none": None, "mean": "MeanBackward0", "sum": "SumBackward0"}


def _reductions(
    name: str, fn: object, samples: list, none_grad_fn: str | None, reduced_grad_fn: str | None = None, **kw: object
) -> list[OpInfo]:
    """One entry per reduction; ``fn(m, reduction, *tensors)``. Composed losses end in mean()
    or sum() for the reducing ones; ``none_grad_fn`` is what the unreduced loss records."""
    entries = []
    for reduction in ("none", "mean", "sum"):
        grad_fn = none_grad_fn if reduction == "none" else reduced_grad_fn or _NAMES[reduction]
        entries.append(
            OpInfo(
                f"nn.functional.{name}_{reduction}",
                (lambda r: lambda m, *a: fn(m, r, *a))(reduction),
                samples,
                grad_fn,
                covers=(f"nn.functional.{name}",),
                **kw,
            )
        )
    return entries


OPS = [
    OpInfo(
        "nn.functional.pairwise_distance",
        lambda m, a, b: m.nn.functional.pairwise_distance(a, b),
        [S(((3, 4), (3, 4))), S(((4,), (3, 4)), "broadcast"), S(((), ()), "0-d")],
        "NormBackward1",
    ),
    OpInfo(
        "nn.functional.pairwise_distance_p1_keepdim",
        lambda m, a, b: m.nn.functional.pairwise_distance(a, b, p=1.0, eps=0.0, keepdim=True),
        [S(((3, 4), (3, 4)))],
        "NormBackward1",
    ),
    OpInfo(
        "nn.functional.pairwise_distance_p3",
        lambda m, a, b: m.nn.functional.pairwise_distance(a, b, p=3.0),
        [S(((2, 3, 4), (2, 3, 4)))],
        "NormBackward1",
    ),
    OpInfo(
        "nn.functional.pdist",
        lambda m, a: m.nn.functional.pdist(a),
        [S(((4, 3),)), S(((1, 3),), "one row")],
        "PdistBackward0",
    ),
    OpInfo(
        "nn.functional.pdist_p1",
        lambda m, a: m.nn.functional.pdist(a, p=1),
        [S(((4, 3),))],
        "PdistBackward0",
    ),
    OpInfo(
        "nn.functional.pdist_p3",
        lambda m, a: m.nn.functional.pdist(a, p=3),
        [S(((3, 5),))],
        "PdistBackward0",
    ),
]
OPS += _reductions(
    "cosine_embedding_loss",
    lambda m, r, a, b, y: m.nn.functional.cosine_embedding_loss(a, b, y, margin=-0.5, reduction=r),
    [S(((3, 4), (3, 4), _SIGNS_3)), S(((4,), (4,), np.array(-1.0)), "0-d target")],
    "AddBackward0",
    nondiff_args=(2,),
)
OPS += _reductions(
    "margin_ranking_loss",
    lambda m, r, a, b, y: m.nn.functional.margin_ranking_loss(a, b, y, margin=0.5, reduction=r),
    [S(((3,), (3,), _SIGNS_3))],
    "ClampMinBackward0",
    nondiff_args=(2,),
)
OPS += _reductions(
    "hinge_embedding_loss",
    lambda m, r, a, y: m.nn.functional.hinge_embedding_loss(a, y, margin=1.5, reduction=r),
    [S(((3, 4), _SIGNS_34))],
    "AddBackward0",
    nondiff_args=(1,),
)
OPS += _reductions(
    "soft_margin_loss",
    lambda m, r, a, y: m.nn.functional.soft_margin_loss(a, y, reduction=r),
    [S(((3, 4), _SIGNS_34)), S(((3, 4), _SIGNS_34[0]), "broadcast")],
    "SoftMarginLossBackward0",
    nondiff_args=(1,),
    reduced_grad_fn="SoftMarginLossBackward0",
)


def _positive(rng: np.random.Generator, shape: tuple) -> np.ndarray:
    return rng.uniform(0.2, 2.0, size=shape)


OPS += _reductions(
    "gaussian_nll_loss",
    lambda m, r, x, t, v: m.nn.functional.gaussian_nll_loss(x, t, v, reduction=r),
    [S(((3, 4), (3, 4), (3, 4))), S(((3, 4), (3, 4), (3,)), "homoscedastic"), S(((3, 4), (3, 4), (1, 4)), "shared")],
    "MulBackward0",
    sampler=_positive,
)
OPS += _reductions(
    "gaussian_nll_loss_full",
    lambda m, r, x, t, v: m.nn.functional.gaussian_nll_loss(x, t, v, full=True, eps=0.5, reduction=r),
    [S(((3, 4), (3, 4), (3, 1)))],
    "AddBackward0",
    sampler=_positive,
)
OPS += _reductions(
    "poisson_nll_loss",
    lambda m, r, x, t: m.nn.functional.poisson_nll_loss(x, t, reduction=r),
    [S(((3, 4), (3, 4)))],
    "SubBackward0",
)
OPS += _reductions(
    "poisson_nll_loss_full",
    lambda m, r, x, t: m.nn.functional.poisson_nll_loss(x, t * 2, log_input=False, full=True, reduction=r),
    [S(((3, 4), (3, 4)))],
    "AddBackward0",
    sampler=_positive,
)

OPS += _reductions(
    "triplet_margin_loss",
    lambda m, r, a, p, n: m.nn.functional.triplet_margin_loss(a, p, n, margin=1.5, reduction=r),
    [S(((3, 4), (3, 4), (3, 4))), S(((4,), (4,), (4,)), "unbatched")],
    "ClampMinBackward0",
)
OPS += _reductions(
    "triplet_margin_loss_swap_p1",
    lambda m, r, a, p, n: m.nn.functional.triplet_margin_loss(a, p, n, margin=2.0, p=1, swap=True, reduction=r),
    [S(((3, 4), (3, 4), (3, 4)))],
    "ClampMinBackward0",
)
OPS += _reductions(
    "triplet_margin_with_distance_loss",
    lambda m, r, a, p, n: m.nn.functional.triplet_margin_with_distance_loss(a, p, n, margin=1.5, reduction=r),
    [S(((3, 4), (3, 4), (3, 4)))],
    "ClampMinBackward0",
)
OPS += _reductions(
    "triplet_margin_with_distance_loss_cosine_swap",
    lambda m, r, a, p, n: m.nn.functional.triplet_margin_with_distance_loss(
        a, p, n, distance_function=lambda u, v: 1 - m.nn.functional.cosine_similarity(u, v), swap=True, reduction=r
    ),
    [S(((3, 4), (3, 4), (3, 4)))],
    "ClampMinBackward0",
)
OPS += _reductions(
    "multilabel_soft_margin_loss",
    lambda m, r, x, t: m.nn.functional.multilabel_soft_margin_loss(x, t, reduction=r),
    [S(((3, 4), (_SIGNS_34 > 0).astype(float))), S(((4,), (_SIGNS_34[0] > 0).astype(float)), "unbatched")],
    "DivBackward0",
    nondiff_args=(1,),
)
OPS += _reductions(
    "multilabel_soft_margin_loss_weighted",
    lambda m, r, x, t, w: m.nn.functional.multilabel_soft_margin_loss(x, t, w, reduction=r),
    [S(((3, 4), (3, 4), (4,)))],
    "DivBackward0",
    nondiff_args=(2,),
    sampler=_positive,
)
_CLASSES = np.array([0, 2, 3])
OPS += _reductions(
    "multi_margin_loss",
    lambda m, r, x, t: m.nn.functional.multi_margin_loss(x, t, reduction=r),
    [S(((3, 4), _CLASSES)), S(((4,), np.array([1])), "unbatched"), S(((4,), np.array(2)), "0-d target")],
    "MultiMarginLossBackward0",
    reduced_grad_fn="MultiMarginLossBackward0",
    nondiff_args=(1,),
)
OPS += _reductions(
    "multi_margin_loss_p2_weighted",
    lambda m, r, x, t, w: m.nn.functional.multi_margin_loss(x, t, p=2, margin=0.7, weight=w, reduction=r),
    [S(((3, 4), _CLASSES, (4,)))],
    "MultiMarginLossBackward0",
    reduced_grad_fn="MultiMarginLossBackward0",
    nondiff_args=(1, 2),
)
_LABELS = np.array([[0, 2, -1, 1], [3, 3, -1, 0], [-1, 0, 0, 0]])
OPS += _reductions(
    "multilabel_margin_loss",
    lambda m, r, x, t: m.nn.functional.multilabel_margin_loss(x, t, reduction=r),
    [S(((3, 4), _LABELS)), S(((4,), np.array([2, 0, -1, 3])), "unbatched")],
    "MultilabelMarginLossBackward0",
    reduced_grad_fn="MultilabelMarginLossBackward0",
    nondiff_args=(1,),
)
