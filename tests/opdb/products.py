"""Database entries for products and distances (cross, linalg.cross, kron, addmv, baddbmm,
dist, cdist on both of PyTorch's paths) and for arranging tensors (take, diff,
repeat_interleave, atleast_nd, column_stack, dstack, meshgrid, broadcast_tensors,
broadcast_shapes)."""

from __future__ import annotations

from opdb import OpInfo, Sample

S = Sample
M34 = [S(((3, 4),))]


def _ix(m, values):  # noqa: ANN001, ANN202 - an int64 index tensor in either library
    return m.tensor(values)


OPS = [
    # cross, kron, addmv, baddbmm
    OpInfo(
        "cross",
        lambda m, a, b: m.cross(a, b, dim=1),
        [S(((4, 3), (4, 3))), S(((2, 3), (1, 3)), "broadcast")],
        "LinalgCrossBackward0",
        covers=("Tensor.cross",),
    ),
    OpInfo("cross_dim0", lambda m, a, b: a.cross(b, 0), [S(((3, 2), (3, 2)))], "LinalgCrossBackward0"),
    OpInfo(
        "linalg.cross",
        lambda m, a, b: m.linalg.cross(a, b),
        [S(((2, 4, 3), (2, 4, 3))), S(((3,), (3,)), "vectors")],
        "LinalgCrossBackward0",
    ),
    OpInfo(
        "kron",
        lambda m, a, b: m.kron(a, b),
        [S(((2, 3), (3, 2))), S(((2,), (2, 3)), "ranks differ"), S(((2, 1, 2), (3,)), "3-d")],
        "UnsafeViewBackward0",
        covers=("Tensor.kron",),
    ),
    OpInfo(
        "addmv",
        lambda m, a, b, c: m.addmv(a, b, c),
        [S(((3,), (3, 4), (4,))), S(((), (3, 4), (4,)), "0-d input")],
        "AddmvBackward0",
        covers=("Tensor.addmv",),
    ),
    OpInfo(
        "addmv_scaled",
        lambda m, a, b, c: a.addmv(b, c, beta=0.5, alpha=-2),
        [S(((3,), (3, 4), (4,)))],
        "AddmvBackward0",
    ),
    OpInfo("addmv_beta0", lambda m, a, b, c: m.addmv(a, b, c, beta=0), [S(((1,), (3, 2), (2,)))], "AddmvBackward0"),
    OpInfo(
        "baddbmm",
        lambda m, a, b, c: m.baddbmm(a, b, c),
        [S(((2, 3, 4), (2, 3, 5), (2, 5, 4))), S(((4,), (2, 3, 5), (2, 5, 4)), "broadcast input")],
        "BaddbmmBackward0",
        covers=("Tensor.baddbmm",),
    ),
    OpInfo(
        "baddbmm_scaled",
        lambda m, a, b, c: a.baddbmm(b, c, beta=2, alpha=0.5),
        [S(((2, 3, 4), (2, 3, 5), (2, 5, 4)))],
        "BaddbmmBackward0",
    ),
    # dist, cdist
    OpInfo(
        "dist",
        lambda m, a, b: m.dist(a, b),
        [S(((3, 4), (3, 4))), S(((3, 4), (4,)), "broadcast"), S(((), ()), "0-d")],
        "DistBackward0",
        covers=("Tensor.dist",),
    ),
    OpInfo("dist_p1", lambda m, a, b: a.dist(b, 1), [S(((3, 4), (3, 4)))], "DistBackward0"),
    OpInfo("dist_p3", lambda m, a, b: m.dist(a, b, 3), [S(((3, 4), (3, 4)))], "DistBackward0"),
    OpInfo("dist_inf", lambda m, a, b: m.dist(a, b, float("inf")), [S(((3, 4), (3, 4)))], "DistBackward0"),
    # PyTorch 2.13's backward of dist(p=0) fails ("Expected a proper Tensor but got None"): values
    # only here; tests/test_sorting_products.py checks bibun's zero gradient.
    OpInfo("dist_p0", lambda m, a, b: m.dist(a, b, 0), [S(((3, 4), (3, 4)))], differentiable=False),
    OpInfo(
        "cdist",
        lambda m, a, b: m.cdist(a, b),
        [S(((3, 4), (5, 4))), S(((2, 3, 4), (5, 4)), "batch broadcast"), S(((2, 1, 3, 2), (4, 5, 2)), "batches")],
        "CdistBackward0",
    ),
    OpInfo("cdist_p1", lambda m, a, b: m.cdist(a, b, p=1), [S(((3, 4), (5, 4)))], "CdistBackward0"),
    OpInfo("cdist_p3", lambda m, a, b: m.cdist(a, b, p=3), [S(((2, 3, 4), (2, 5, 4)))], "CdistBackward0"),
    OpInfo("cdist_p_half", lambda m, a, b: m.cdist(a, b, p=0.5), [S(((3, 4), (5, 4)))], "CdistBackward0"),
    OpInfo("cdist_inf", lambda m, a, b: m.cdist(a, b, p=float("inf")), [S(((3, 4), (5, 4)))], "CdistBackward0"),
    OpInfo("cdist_p0", lambda m, a, b: m.cdist(a, b, p=0), [S(((3, 4), (5, 4)))], "CdistBackward0", second_order=False),
    OpInfo(
        "cdist_mm",
        lambda m, a, b: m.cdist(a, b),
        [S(((30, 3), (4, 3)), "over 25 rows"), S(((2, 3, 2), (1, 27, 2)), "batched")],
        "ViewBackward0",
        fd_rtol=1e-4,
    ),
    OpInfo(
        "cdist_mm_forced",
        lambda m, a, b: m.cdist(a, b, compute_mode="use_mm_for_euclid_dist"),
        [S(((3, 4), (5, 4)))],
        "ViewBackward0",
        fd_rtol=1e-4,
    ),
    OpInfo(
        "cdist_no_mm",
        lambda m, a, b: m.cdist(a, b, compute_mode="donot_use_mm_for_euclid_dist"),
        [S(((30, 3), (4, 3)))],
        "CdistBackward0",
    ),
    # take, diff, repeat_interleave
    OpInfo(
        "take",
        lambda m, a: m.take(a, _ix(m, [[0, 11], [5, -1], [5, 2]])),
        [S(((3, 4),)), S(((2, 6),))],
        "TakeBackward0",
        covers=("Tensor.take",),
    ),
    OpInfo("take_0d", lambda m, a: a.take(_ix(m, [0, 0, -1])), [S(((),))], "TakeBackward0"),
    OpInfo("diff", lambda m, a: m.diff(a), M34, "SubBackward0", covers=("Tensor.diff",)),
    OpInfo("diff_n2_dim0", lambda m, a: a.diff(n=2, dim=0), [S(((4, 3),))], "SubBackward0"),
    OpInfo("diff_too_many", lambda m, a: m.diff(a, n=5), [S(((3,),))], "SubBackward0"),
    OpInfo(
        "diff_prepend_append",
        lambda m, a, b, c: m.diff(a, dim=1, prepend=b, append=c),
        [S(((3, 4), (3, 1), (3, 2)))],
        "SubBackward0",
    ),
    OpInfo("diff_bool", lambda m, a: m.diff(a > 0), M34, differentiable=False),
    OpInfo("diff_int", lambda m, a: m.diff((a * 3).to(m.int64), n=2), M34, differentiable=False),
    OpInfo(
        "repeat_interleave",
        lambda m, a: m.repeat_interleave(a, 2),
        M34 + [S(((),), "0-d")],
        "ViewBackward0",
        covers=("Tensor.repeat_interleave",),
    ),
    OpInfo("repeat_interleave_dim", lambda m, a: a.repeat_interleave(3, dim=1), M34, "ViewBackward0"),
    OpInfo(
        "repeat_interleave_tensor",
        lambda m, a: m.repeat_interleave(a, _ix(m, [1, 0, 3]), dim=0),
        M34,
        "IndexSelectBackward0",
    ),
    OpInfo(
        "repeat_interleave_counts",
        lambda m, a: m.repeat_interleave((a[0] > 0).to(m.int64) * 2),
        M34,
        differentiable=False,
    ),
    # atleast_nd, column_stack, dstack
    OpInfo(
        "atleast_1d",
        lambda m, a, b: (m.atleast_1d(a), m.atleast_1d(b)),
        [S(((), (2, 3)))],
        "ViewBackward0",
    ),
    OpInfo(
        "atleast_2d",
        lambda m, a, b, c: m.atleast_2d(a, b, c),
        [S(((), (3,), (2, 3)))],
        "ViewBackward0",
    ),
    OpInfo("atleast_2d_vector", lambda m, a: m.atleast_2d(a), [S(((4,),))], "UnsqueezeBackward0"),
    OpInfo(
        "atleast_3d",
        lambda m, a, b, c, d: m.atleast_3d([a, b, c, d]),
        [S(((), (3,), (2, 3), (2, 1, 2)))],
        "ViewBackward0",
    ),
    OpInfo("atleast_3d_matrix", lambda m, a: m.atleast_3d(a), M34, "UnsqueezeBackward0"),
    OpInfo(
        "column_stack",
        lambda m, a, b, c: m.column_stack([a, b, c]),
        [S(((3,), (3, 2), (3,))), S(((), (1, 2), (1,)), "0-d")],
        "CatBackward0",
    ),
    OpInfo(
        "dstack",
        lambda m, a, b, c: m.dstack((a, b, c)),
        [S(((2, 3), (2, 3, 2), (2, 3))), S(((3,), (3,), (1, 3, 1)), "vectors")],
        "CatBackward0",
    ),
    # meshgrid, broadcast_tensors, broadcast_shapes
    OpInfo(
        "meshgrid",
        lambda m, a, b, c: m.meshgrid(a, b, c, indexing="ij"),
        [S(((2,), (3,), (4,))), S(((), (3,), (2,)), "0-d")],
        "ExpandBackward0",
    ),
    OpInfo(
        "meshgrid_xy",
        lambda m, a, b, c: m.meshgrid([a, b, c], indexing="xy"),
        [S(((2,), (3,), (4,)))],
        "ExpandBackward0",
    ),
    OpInfo("meshgrid_xy_one", lambda m, a: m.meshgrid(a, indexing="xy"), [S(((3,),))], "ExpandBackward0"),
    OpInfo(
        "broadcast_tensors",
        lambda m, a, b, c: m.broadcast_tensors(a, b, c),
        [S(((3, 1), (4,), (2, 1, 1))), S(((3, 4), (4,), ()), "one already full")],
        None,
    ),
    OpInfo(
        "broadcast_shapes",
        lambda m, a: m.tensor(m.broadcast_shapes(a.shape, (3, 1, 1, 1), 4, ())),
        [S(((2, 1, 4),)), S(((),), "0-d")],
        differentiable=False,
    ),
]
