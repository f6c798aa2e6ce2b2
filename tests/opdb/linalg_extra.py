"""Database entries for ops/linalg_extra.py: inner, vdot, matrix_power, matrix_exp, pinv, the
legacy svd, cov, corrcoef, the trapezoid rules and renorm. Inverses and pseudoinverses are
sampled far from singular (full rank, well separated singular values), where their
derivatives exist; cov's observation weights are drawn positive."""

from __future__ import annotations

import numpy as np

from opdb import OpInfo, Sample

S = Sample


def _well_conditioned(rng: np.random.Generator, shape: tuple) -> np.ndarray:
    """Random matrices plus 3I (rectangular I for non-square ones): singular values near 3,
    so inverses, pseudoinverses and negative powers stay tame, in float32 too."""
    return rng.uniform(-1, 1, size=shape) + 3 * np.eye(shape[-2], shape[-1])


def _scaled(rng: np.random.Generator, shape: tuple) -> np.ndarray:
    """1-norms near 8: past the largest Padé degree, so scaling and squaring runs."""
    return rng.uniform(-1, 1, size=shape) * 8 / shape[-1]


def _positive_weights(rng: np.random.Generator, shape: tuple) -> np.ndarray:
    """Data for the matrices, positive values for the 1-D observation weights."""
    if len(shape) == 1:
        return rng.uniform(0.5, 2.0, size=shape)
    return rng.uniform(-2, 2, size=shape)


def _increasing(rng: np.random.Generator, shape: tuple) -> np.ndarray:
    """Sample values for y; sample points x (1-D) increasing, as a grid would be."""
    if len(shape) == 1:
        return np.cumsum(rng.uniform(0.2, 1.0, size=shape))
    return rng.uniform(-2, 2, size=shape)


def _legacy_svd(m, a, some=True):  # noqa: ANN001, ANN202 - fn(lib, tensor)
    """The columns of U and V multiplied by the sign of U's first row (LAPACK's sign is arbitrary)."""
    u, s, v = m.svd(a, some=some)
    sign = m.sign(u[..., :1, :])
    return u * sign, s, v * sign


_FWEIGHTS = np.array([1, 2, 1, 3, 1])

OPS = [
    OpInfo(
        "inner",
        lambda m, a, b: m.inner(a, b),
        [
            S(((3, 4), (2, 4))),
            S(((4,), (4,)), "vectors"),
            S(((2, 3, 4), (4,)), "3-D with a vector"),
            S(((4,), (5, 4)), "vector with a matrix"),
            S(((2, 3), (2, 1, 3)), "both batched"),
        ],
        "ViewBackward0",
        covers=("Tensor.inner",),
    ),
    OpInfo("inner_scalar", lambda m, a, b: a.inner(b), [S(((), (2, 3)))], "MulBackward0"),
    OpInfo("vdot", lambda m, a, b: m.vdot(a, b), [S(((4,), (4,)))], "VdotBackward0", covers=("Tensor.vdot",)),
    OpInfo(
        "matrix_power",
        lambda m, a: m.matrix_power(a, 2),
        [S(((3, 3),))],
        "MmBackward0",
        covers=("Tensor.matrix_power", "linalg.matrix_power"),
    ),
    OpInfo("matrix_power_batched", lambda m, a: m.linalg.matrix_power(a, 5), [S(((2, 3, 3),))], "UnsafeViewBackward0"),
    OpInfo("matrix_power_three", lambda m, a: a.matrix_power(3), [S(((3, 3),))], "MmBackward0"),
    OpInfo("matrix_power_one", lambda m, a: m.matrix_power(a, 1), [S(((3, 3),))], "CloneBackward0"),
    OpInfo("matrix_power_zero", lambda m, a: m.matrix_power(a, 0), [S(((2, 3, 3),))], "CopyBackwards"),
    OpInfo(
        "matrix_power_inverse",
        lambda m, a: m.matrix_power(a, -1),
        [S(((3, 3),))],
        "LinalgInvExBackward0",
        sampler=_well_conditioned,
    ),
    OpInfo(
        "matrix_power_negative",
        lambda m, a: m.linalg.matrix_power(a, -6),
        [S(((3, 3),)), S(((2, 3, 3),), "batched")],
        sampler=_well_conditioned,
    ),
    OpInfo(
        "matrix_exp",
        lambda m, a: m.matrix_exp(a),
        [S(((3, 3),)), S(((2, 4, 4),), "batched"), S(((1, 1),), "1x1")],
        "LinalgMatrixExpBackward0",
        covers=("Tensor.matrix_exp", "linalg.matrix_exp"),
    ),
    OpInfo(
        "matrix_exp_scaled",
        lambda m, a: m.linalg.matrix_exp(a),
        [S(((3, 3),)), S(((2, 2, 2),), "batched")],
        "LinalgMatrixExpBackward0",
        sampler=_scaled,
    ),
    OpInfo(
        "linalg.pinv",
        lambda m, a: m.linalg.pinv(a),
        [S(((4, 3),), "tall"), S(((3, 5),), "wide"), S(((3, 3),), "square"), S(((2, 4, 3),), "batched")],
        "LinalgPinvBackward0",
        sampler=_well_conditioned,
    ),
    OpInfo(
        "linalg.pinv_hermitian",
        lambda m, a: m.linalg.pinv(a + a.mT, hermitian=True, atol=1e-3),
        [S(((3, 3),)), S(((2, 4, 4),), "batched")],
        "LinalgPinvBackward0",
        sampler=_well_conditioned,
    ),
    OpInfo(
        "pinverse",
        lambda m, a: m.pinverse(a, rcond=1e-10),
        [S(((4, 3),))],
        "LinalgPinvBackward0",
        sampler=_well_conditioned,
        covers=("Tensor.pinverse",),
    ),
    OpInfo(
        "svd",
        _legacy_svd,
        [S(((4, 3),), "tall"), S(((3, 5),), "wide"), S(((2, 3, 3),), "batched")],
        forward_mode=False,
        covers=("Tensor.svd",),
    ),
    OpInfo("svd_full_square", lambda m, a: _legacy_svd(m, a, some=False), [S(((3, 3),))], forward_mode=False),
    OpInfo(
        "svd_values_only",
        lambda m, a: a.svd(compute_uv=False).S,  # U and V are zeros: tests/test_linalg_extra.py
        [S(((4, 3),)), S(((2, 3, 5),), "batched")],
        forward_mode=False,
    ),
    OpInfo("cov", lambda m, a: m.cov(a), [S(((3, 5),)), S(((5,),), "1-D")], "SqueezeBackward0", covers=("Tensor.cov",)),
    OpInfo("cov_correction", lambda m, a: a.cov(correction=0), [S(((2, 4),))], "SqueezeBackward0"),
    OpInfo(
        "cov_fweights",
        lambda m, a, f: m.cov(a, fweights=f),
        [S(((3, 5), _FWEIGHTS))],
        "SqueezeBackward0",
        nondiff_args=(1,),
    ),
    OpInfo(
        "cov_aweights",
        lambda m, a, w: m.cov(a, correction=2, aweights=w),
        [S(((3, 5), (5,))), S(((5,), (5,)), "1-D")],
        "SqueezeBackward0",
        sampler=_positive_weights,
    ),
    OpInfo(
        "cov_both_weights",
        lambda m, a, f, w: m.cov(a, fweights=f, aweights=w),
        [S(((2, 5), _FWEIGHTS, (5,)))],
        "SqueezeBackward0",
        sampler=_positive_weights,
    ),
    OpInfo("corrcoef", lambda m, a: m.corrcoef(a), [S(((3, 5),))], "ClampBackward1", covers=("Tensor.corrcoef",)),
    OpInfo("corrcoef_one_variable", lambda m, a: a.corrcoef(), [S(((5,),)), S(((1, 4),))], "DivBackward0"),
    OpInfo("trapezoid", lambda m, y: m.trapezoid(y), [S(((3, 5),)), S(((1,),), "one sample")], "MulBackward1"),
    OpInfo("trapezoid_dx", lambda m, y: m.trapezoid(y, dx=0.3, dim=0), [S(((4, 2),))], "MulBackward1"),
    OpInfo(
        "trapezoid_x",
        lambda m, y, x: m.trapezoid(y, x),
        [S(((3, 5), (5,))), S(((3, 5), (3, 5)), "x of y's shape"), S(((2, 3, 4), (3, 4)), "x broadcast")],
        "DivBackward1",
        sampler=_increasing,
    ),
    OpInfo(
        "trapezoid_x_dim",
        lambda m, y, x: m.trapezoid(y, x=x, dim=0),
        [S(((4, 3), (4,)))],
        "DivBackward1",
        sampler=_increasing,
    ),
    OpInfo("trapz", lambda m, y: m.trapz(y, dx=2.0), [S(((2, 4),))], "MulBackward1"),
    OpInfo("trapz_x", lambda m, y, x: m.trapz(y, x), [S(((2, 4), (4,)))], "DivBackward1", sampler=_increasing),
    OpInfo(
        "cumulative_trapezoid",
        lambda m, y: m.cumulative_trapezoid(y, dx=0.5),
        [S(((3, 5),)), S(((4, 2),), "two samples")],
        "CumsumBackward0",
    ),
    OpInfo(
        "cumulative_trapezoid_x",
        lambda m, y, x: m.cumulative_trapezoid(y, x, dim=0),
        [S(((4, 3), (4,))), S(((4, 3), (4, 3)), "x of y's shape")],
        "DivBackward1",
        sampler=_increasing,
    ),
    OpInfo(
        "renorm",
        lambda m, a: m.renorm(a, 2, 1, 2.5),
        [S(((3, 4, 5),)), S(((4, 3),), "matrix")],
        "RenormBackward0",
        covers=("Tensor.renorm",),
    ),
    OpInfo("renorm_p1", lambda m, a: a.renorm(1, 0, 3.0), [S(((3, 4),))], "RenormBackward0"),
    OpInfo("renorm_inf", lambda m, a: m.renorm(a, float("inf"), -1, 1.5), [S(((3, 4),))], "RenormBackward0"),
    OpInfo("renorm_p3_5", lambda m, a: m.renorm(a, 3.5, 0, 1.2), [S(((2, 3, 2),))], "RenormBackward0"),
]
