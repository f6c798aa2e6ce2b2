"""Database entries for linear algebra: products and structure (ops/linalg.py) and
bibun.linalg's inverses, solvers and factorizations (ops/linalg_decomp.py). Factorizations
are sampled where their derivative exists (SPD matrices for cholesky, symmetrised inputs with
distinct eigenvalues for eigh), and singular vectors are sign-normalised before comparing, since
their sign is arbitrary (docs/linalg.md)."""

from __future__ import annotations

import numpy as np

from opdb import OpInfo, Sample

S = Sample


def _well_conditioned(rng: np.random.Generator, shape: tuple) -> np.ndarray:
    """Random square matrices plus 3I: far from singular, so inverses and solves are stable."""
    a = rng.uniform(-1, 1, size=shape)
    if len(shape) >= 2 and shape[-1] == shape[-2]:
        a = a + 3 * np.eye(shape[-1])
    return a


def _spd(m, a):  # noqa: ANN001, ANN202 - fn(lib, tensor)
    """A symmetric positive-definite matrix built from any square a (derivatives stay symmetric)."""
    n = a.shape[-1]
    return a @ a.mT + n * m.eye(n, dtype=a.dtype)


def _fix_signs(m, u, rest):  # noqa: ANN001, ANN202
    """Multiply each singular/eigen vector (a column of u, a row of vh) by the sign of u's first
    row: NumPy's and PyTorch's LAPACK calls may choose opposite signs."""
    s = m.sign(u[..., :1, :])
    return u * s, rest * s.mT if rest is not None else None


def _svd(m, a, full_matrices=False):  # noqa: ANN001, ANN202
    u, s, vh = m.linalg.svd(a, full_matrices=full_matrices)
    u, vh = _fix_signs(m, u, vh)
    return u, s, vh


def _eigh(m, a):  # noqa: ANN001, ANN202
    values, vectors = m.linalg.eigh(a + a.mT)
    vectors, _ = _fix_signs(m, vectors, None)
    return values, vectors


OPS = [
    OpInfo("outer", lambda m, a, b: m.outer(a, b), [S(((3,), (4,)))], "MulBackward0", covers=("ger", "Tensor.outer")),
    OpInfo(
        "tensordot",
        lambda m, a, b: m.tensordot(a, b, dims=([0, 2], [1, 0])),
        [S(((2, 3, 4), (4, 2, 5)))],
        "ViewBackward0",
    ),
    OpInfo("tensordot_int", lambda m, a, b: m.tensordot(a, b, 1), [S(((2, 3), (3, 4)))], "ViewBackward0"),
    OpInfo("einsum", lambda m, a, b: m.einsum("ij,jk->ik", a, b), [S(((2, 3), (3, 4)))], "ViewBackward0"),
    OpInfo("einsum_batched", lambda m, a, b: m.einsum("bij,bkj->bik", a, b), [S(((2, 3, 4), (2, 5, 4)))]),
    OpInfo("einsum_diagonal", lambda m, a: m.einsum("ii->i", a), [S(((3, 3),))], "PermuteBackward0"),
    OpInfo("einsum_sum", lambda m, a: m.einsum("ij->", a), [S(((3, 4),))], "SumBackward1"),
    OpInfo("einsum_ellipsis", lambda m, a, b: m.einsum("...ij,...jk", a, b), [S(((2, 3, 4), (4, 2)))]),
    OpInfo("einsum_three", lambda m, a, b, c: m.einsum("ij,jk,kl->il", a, b, c), [S(((2, 3), (3, 4), (4, 2)))]),
    OpInfo("einsum_elementwise", lambda m, a, b: m.einsum("i,i->i", a, b), [S(((4,), (4,)))], "MulBackward0"),
    OpInfo("trace", lambda m, a: m.trace(a), [S(((3, 4),))], "TraceBackward0", covers=("Tensor.trace",)),
    OpInfo(
        "diagonal",
        lambda m, a: m.diagonal(a, 1, 0, 2),
        [S(((3, 2, 4),))],
        "DiagonalBackward0",
        covers=("Tensor.diagonal", "linalg.diagonal"),
    ),
    OpInfo("diag_vector", lambda m, a: m.diag(a, -1), [S(((3,),))], "DiagEmbedBackward0", covers=("diag",)),
    OpInfo("diag_matrix", lambda m, a: m.diag(a, 1), [S(((3, 4),))], "DiagonalBackward0_copy"),
    OpInfo("diag_embed", lambda m, a: m.diag_embed(a, 1, 0, 2), [S(((2, 3),))], "DiagEmbedBackward0"),
    OpInfo("tril", lambda m, a: m.tril(a, -1), [S(((2, 3, 4),))], "TrilBackward0"),
    OpInfo("triu", lambda m, a: a.triu(1), [S(((3, 4),))], "TriuBackward0"),
    OpInfo(
        "addmm",
        lambda m, a, b, c: m.addmm(a, b, c, beta=0.5, alpha=2.0),
        [S(((4,), (3, 2), (2, 4))), S(((3, 4), (3, 2), (2, 4)))],
        "AddmmBackward0",
    ),
    OpInfo(
        "linalg.inv",
        lambda m, a: m.linalg.inv(a),
        [S(((3, 3),)), S(((2, 3, 3),), "batched")],
        "LinalgInvExBackward0",
        sampler=_well_conditioned,
        covers=("inverse",),
    ),
    OpInfo(
        "linalg.det",
        lambda m, a: m.linalg.det(a),
        [S(((3, 3),)), S(((2, 3, 3),), "batched")],
        "LinalgDetBackward0",
        sampler=_well_conditioned,
        covers=("det",),
    ),
    OpInfo(
        "linalg.slogdet",
        lambda m, a: m.linalg.slogdet(a),
        [S(((3, 3),)), S(((2, 3, 3),), "batched")],
        "LinalgSlogdetBackward0",
        sampler=_well_conditioned,
        covers=("slogdet",),
    ),
    OpInfo("logdet", lambda m, a: m.logdet(_spd(m, a)), [S(((3, 3),))], "WhereBackward0"),
    OpInfo(
        "linalg.solve",
        lambda m, a, b: m.linalg.solve(a, b),
        [S(((3, 3), (3, 2))), S(((3, 3), (3,)), "vector"), S(((2, 3, 3), (2, 3)), "batch of vectors")],
        "LinalgSolveExBackward0",
        sampler=_well_conditioned,
    ),
    OpInfo(
        "linalg.solve_right",
        lambda m, a, b: m.linalg.solve(a, b, left=False),
        [S(((3, 3), (2, 3)))],
        "LinalgSolveExBackward0",
        sampler=_well_conditioned,
    ),
    OpInfo(
        "linalg.cholesky",
        lambda m, a: m.linalg.cholesky(_spd(m, a)),
        [S(((3, 3),)), S(((2, 3, 3),), "batched")],
        "LinalgCholeskyExBackward0",
    ),
    OpInfo(
        "linalg.cholesky_upper",
        lambda m, a: m.linalg.cholesky(_spd(m, a), upper=True),
        [S(((3, 3),))],
        "LinalgCholeskyExBackward0",
    ),
    OpInfo(
        "linalg.qr",
        lambda m, a: m.linalg.qr(a),
        [S(((4, 3),), "tall"), S(((3, 3),), "square"), S(((3, 5),), "wide"), S(((2, 4, 3),), "batched")],
        "LinalgQrBackward0",
        forward_mode=False,
    ),
    OpInfo(
        "linalg.svd",
        _svd,
        [S(((4, 3),), "tall"), S(((3, 5),), "wide"), S(((3, 3),), "square")],
        forward_mode=False,
    ),
    OpInfo(
        "linalg.svdvals",
        lambda m, a: m.linalg.svdvals(a),
        [S(((4, 3),)), S(((2, 3, 5),), "batched")],
        "LinalgSvdBackward0",
        forward_mode=False,
    ),
    OpInfo("linalg.eigh", _eigh, [S(((3, 3),)), S(((2, 4, 4),), "batched")], forward_mode=False),
    OpInfo(
        "linalg.eigvalsh",
        lambda m, a: m.linalg.eigvalsh(a + a.mT),
        [S(((4, 4),))],
        "LinalgEighBackward0",
        forward_mode=False,
    ),
    OpInfo(
        "linalg.matrix_norm",
        lambda m, a: m.linalg.matrix_norm(a),
        [S(((3, 4),)), S(((2, 3, 4),))],
        "LinalgVectorNormBackward0",
        covers=("linalg.norm",),
    ),
    OpInfo(
        "linalg.matrix_norm_nuc",
        lambda m, a: m.linalg.matrix_norm(a, "nuc"),
        [S(((3, 4),))],
        "SumBackward1",
        forward_mode=False,
    ),
    OpInfo(
        "linalg.matrix_norm_2",
        lambda m, a: m.linalg.matrix_norm(a, 2, dim=(0, 2), keepdim=True),
        [S(((3, 2, 4),))],
        forward_mode=False,
    ),
    OpInfo("linalg.matrix_norm_1", lambda m, a: m.linalg.norm(a, 1), [S(((3, 4),))], "AmaxBackward0"),
    OpInfo(
        "linalg.matrix_norm_inf",
        lambda m, a: m.linalg.matrix_norm(a, -float("inf"), keepdim=True),
        [S(((2, 3, 4),))],
    ),
    OpInfo("linalg.norm_vector", lambda m, a: m.linalg.norm(a, 3, dim=1), [S(((3, 4),))], "LinalgVectorNormBackward0"),
    OpInfo("linalg.norm_all", lambda m, a: m.linalg.norm(a), [S(((2, 3, 4),))], "LinalgVectorNormBackward0"),
    OpInfo(
        "linalg.vector_norm_namespace",
        lambda m, a: m.linalg.vector_norm(a, 1, dim=(0, 1)),
        [S(((3, 4),))],
        "LinalgVectorNormBackward0",
        covers=("linalg.vector_norm",),
    ),
    OpInfo(
        "linalg.matmul_namespace",
        lambda m, a, b: m.linalg.matmul(a, b),
        [S(((3, 4), (4, 2)))],
        "MmBackward0",
        covers=("linalg.matmul",),
    ),
]
