"""Products and distances: cross / linalg.cross, kron, addmv, baddbmm, dist and cdist.

cross is bilinear (its VJPs are crosses with the cotangent; ``cross`` joins the rule
vocabulary of ops/_xp.py so that they stay differentiable). cdist follows PyTorch's two
paths: pairwise differences for any p (CdistBackward0), and for p = 2 on larger inputs the
matrix-product form ``|a|^2 + |b|^2 - 2 a.b`` (faster, less precise; recorded as a view of
that result, as PyTorch records it)."""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from bibun import _dtype
from bibun._dtype import cpp_type_name, scalar_type_name
from bibun._tensor import Tensor
from bibun.ops import _xp
from bibun.ops._registry import INPUTS, INPUTS_AND_OUTPUT, apply, defop
from bibun.ops.elementwise import _check_broadcast, mul
from bibun.ops.shape import UNSAFE_VIEW, normalize_dim, reshape
from bibun.ops.statistics import _norm_primal, _norm_vjp

ndarray = np.ndarray


def _sum_terms(*terms: Any) -> Any:
    total = None
    for term in terms:
        if term is not None:
            total = term if total is None else total + term
    return total


# --- cross ---------------------------------------------------------------------------------------
def _cross_primal(a: ndarray, b: ndarray, dim: int) -> ndarray:
    return np.cross(a, b, axis=dim)


_CROSS = defop(
    "linalg_cross",
    "LinalgCrossBackward0",
    _cross_primal,
    (lambda xp, g, a, b, dim: xp.cross(b, g, dim), lambda xp, g, a, b, dim: xp.cross(g, a, dim)),
    save=INPUTS,
    jvp=lambda xp, t, a, b, dim: _sum_terms(
        xp.cross(t[0], b, dim) if t[0] is not None else None, xp.cross(a, t[1], dim) if t[1] is not None else None
    ),
)


def _cross_tensor(a: Tensor, b: Tensor, dim: int) -> Tensor:
    return apply(_CROSS, (a, b), {"dim": dim})


_xp.NUMPY.cross = lambda a, b, dim: np.cross(a, b, axis=dim)
_xp.TENSOR.cross = _cross_tensor


def linalg_cross(input: Tensor, other: Tensor, *, dim: int = -1) -> Tensor:
    """The cross product of 3-vectors along ``dim`` (``bibun.linalg.cross``); the other dims
    broadcast."""
    a, b = input._data, other._data
    if a.dtype != b.dtype:
        raise RuntimeError(f"expected scalar type {scalar_type_name(a.dtype)} but found {scalar_type_name(b.dtype)}")
    if a.ndim != b.ndim:
        raise RuntimeError("linalg.cross: inputs must have the same number of dimensions.")
    axis = normalize_dim(dim, a.ndim) - a.ndim  # counted from the end, as the rules use it
    sizes = [a.shape[axis], b.shape[axis]]
    if sizes != [3, 3]:
        raise RuntimeError(f"linalg.cross: inputs dimension {dim} must have length 3. Got {sizes[0]} and {sizes[1]}")
    _check_broadcast(a.shape, b.shape)
    return apply(_CROSS, (input, other), {"dim": axis})


def cross(input: Tensor, other: Tensor, dim: int | None = None) -> Tensor:
    """``linalg.cross`` along ``dim``; without ``dim``, along the first dim of size 3 (with
    PyTorch's deprecation warning)."""
    if dim is None:
        warnings.warn(
            "Using bibun.cross without specifying the dim arg is deprecated.\n"
            "Please either pass the dim explicitly or simply use bibun.linalg.cross.\n"
            "The default value of dim will change to agree with that of linalg.cross in a future release.",
            UserWarning,
            stacklevel=2,
        )
        sizes = input._data.shape
        if 3 not in sizes:
            raise RuntimeError("no dimension of size 3 in input")
        dim = sizes.index(3)
    return linalg_cross(input, other, dim=dim)


# --- kron ----------------------------------------------------------------------------------------
_UNSAFE_VIEW = UNSAFE_VIEW  # declared with reshape (shape.py)


def kron(input: Tensor, other: Tensor) -> Tensor:
    """The Kronecker product: block (i, j) of the result is ``input[i, j] * other``. Recorded
    as PyTorch records it: the two inputs spread over interleaved dims, multiplied, and the
    product reshaped (UnsafeViewBackward0)."""
    ndim = max(input._data.ndim, other._data.ndim)
    sa = (1,) * (ndim - input._data.ndim) + input._data.shape
    sb = (1,) * (ndim - other._data.ndim) + other._data.shape
    spread_a = tuple(n for pair in zip(sa, (1,) * ndim) for n in pair)
    spread_b = tuple(n for pair in zip((1,) * ndim, sb) for n in pair)
    product = mul(reshape(input, spread_a), reshape(other, spread_b))
    shape = tuple(m * n for m, n in zip(sa, sb))
    return apply(_UNSAFE_VIEW, (product,), {"shape": shape, "in_shape": product._data.shape})


# --- addmv, baddbmm -------------------------------------------------------------------------------
def _add_product_primal(bias: ndarray, a: ndarray, b: ndarray, beta: Any, alpha: Any) -> ndarray:
    product = np.matmul(a, b)
    if alpha != 1:
        product = product * alpha
    if beta == 0:  # PyTorch ignores the input then: its NaN and inf do not propagate
        return product
    return (product + bias if beta == 1 else product + beta * bias).astype(product.dtype, copy=False)


def _bias_vjp(xp: Any, g: Any, bias: Any, a: Any, b: Any, beta: Any, alpha: Any) -> Any:
    return g if beta == 1 else g * beta


def _add_product_jvp(xp: Any, tangents: tuple, bias: Any, a: Any, b: Any, beta: Any, alpha: Any) -> Any:
    t_bias, t_a, t_b = tangents
    return _sum_terms(
        t_bias * beta if t_bias is not None else None,
        xp.matmul(t_a, b) * alpha if t_a is not None else None,
        xp.matmul(a, t_b) * alpha if t_b is not None else None,
    )


_ADDMV = defop(
    "addmv",
    "AddmvBackward0",
    _add_product_primal,
    (
        _bias_vjp,
        lambda xp, g, bias, mat, vec, beta, alpha: xp.reshape(g, (-1, 1)) * xp.reshape(vec, (1, -1)) * alpha,
        lambda xp, g, bias, mat, vec, beta, alpha: xp.matmul(xp.swapaxes(mat, 0, 1), g) * alpha,
    ),
    save=INPUTS,
    jvp=_add_product_jvp,
)
_BADDBMM = defop(
    "baddbmm",
    "BaddbmmBackward0",
    _add_product_primal,
    (
        _bias_vjp,
        lambda xp, g, bias, b1, b2, beta, alpha: xp.matmul(g, xp.swapaxes(b2, -1, -2)) * alpha,
        lambda xp, g, bias, b1, b2, beta, alpha: xp.matmul(xp.swapaxes(b1, -1, -2), g) * alpha,
    ),
    save=INPUTS,
    jvp=_add_product_jvp,
)


def addmv(input: Tensor, mat: Tensor, vec: Tensor, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
    """``beta * input + alpha * (mat @ vec)`` in one node (AddmvBackward0)."""
    dims = (input._data.ndim, mat._data.ndim, vec._data.ndim)
    if mat._data.ndim != 2 or vec._data.ndim != 1 or input._data.ndim > 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got {dims[0]}, {dims[1]}, {dims[2]}")
    (n, m), k = mat._data.shape, vec._data.shape[0]
    if m != k or input._data.shape not in ((), (1,), (n,)):
        given = "x".join(map(str, input._data.shape))
        raise RuntimeError(f"size mismatch, got input ({given}), mat ({n}x{m}), vec ({k})")
    names = [scalar_type_name(t._data.dtype) for t in (input, mat, vec)]
    if len(set(names)) > 1:
        raise RuntimeError(
            f"addmv input tensors must have the same dtype, but got {names[0]}, {names[1]}, and {names[2]}"
        )
    return apply(_ADDMV, (input, mat, vec), {"beta": beta, "alpha": alpha})


def baddbmm(input: Tensor, batch1: Tensor, batch2: Tensor, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
    """``beta * input + alpha * (batch1 @ batch2)`` for batches of matrices (BaddbmmBackward0)."""
    for name, t in (("batch1", batch1), ("batch2", batch2)):
        if t._data.ndim != 3:
            raise RuntimeError(f"{name} must be a 3D tensor")
    (b, n, m), (b2, k, p) = batch1._data.shape, batch2._data.shape
    if (b2, k) != (b, m):
        raise RuntimeError(
            f"Expected size for first two dimensions of batch2 tensor to be: [{b}, {m}] but got: [{b2}, {k}]."
        )
    types = [t._data.dtype for t in (input, batch1, batch2)]
    if types[1] != types[2]:
        raise RuntimeError(f"expected scalar type {scalar_type_name(types[1])} but found {scalar_type_name(types[2])}")
    if types[0] != types[1]:
        named = [cpp_type_name(t) for t in types]
        raise RuntimeError(
            f"Input dtypes must be the same, got: input {named[0]}, batch1: {named[1]}, batch2: {named[2]}"
        )
    target = (b, n, p)
    shape = input._data.shape
    try:
        fits = np.broadcast_shapes(shape, target) == target
    except ValueError:
        fits = False
    if not fits:
        padded = (1,) * (3 - len(shape)) + shape
        dim = max(i for i in range(3) if padded[i] not in (1, target[i]))
        raise RuntimeError(
            f"The expanded size of the tensor ({target[dim]}) must match the existing size ({padded[dim]}) at "
            f"non-singleton dimension {dim}.  Target sizes: {list(target)}.  Tensor sizes: {list(shape)}"
        )
    return apply(_BADDBMM, (input, batch1, batch2), {"beta": beta, "alpha": alpha})


# --- dist ----------------------------------------------------------------------------------------
def _dist_params(shape: tuple, p: float) -> dict:
    return {
        "axis": tuple(range(len(shape))),
        "keepdims": False,
        "shape": shape,
        "kept_shape": (1,) * len(shape),
        "ord": p,
    }


def _dist_primal(a: ndarray, b: ndarray, **params: Any) -> ndarray:
    return _norm_primal(np.asarray(a - b), **params)


def _dist_local(xp: Any, a: Any, b: Any, out: Any, params: dict) -> Any:
    """d dist / d a, of the broadcast shape (PyTorch's norm_backward of a - b)."""
    return _norm_vjp(xp, xp.zeros_like(out) + 1, a - b, out, **params)


_DIST = defop(
    "dist",
    "DistBackward0",
    _dist_primal,
    (
        lambda xp, g, a, b, out, **params: _norm_vjp(xp, g, a - b, out, **params),
        lambda xp, g, a, b, out, **params: -_norm_vjp(xp, g, a - b, out, **params),
    ),
    save=INPUTS_AND_OUTPUT,
    jvp=lambda xp, t, a, b, out, **params: _dist_jvp(xp, t, a, b, out, params),
)


def _dist_jvp(xp: Any, tangents: tuple, a: Any, b: Any, out: Any, params: dict) -> Any:
    t_a, t_b = tangents
    difference = t_a if t_b is None else -t_b if t_a is None else t_a - t_b
    return xp.sum(_dist_local(xp, a, b, out, params) * difference)


def dist(input: Tensor, other: Tensor, p: float = 2) -> Tensor:
    """The p-norm of ``input - other`` (broadcast), over all entries."""
    target = _dtype.result_type(input, other)
    if target.kind not in "fc":
        raise RuntimeError(
            f"norm(): input dtype should be either floating point or complex. Got {scalar_type_name(target)} instead."
        )
    _check_broadcast(input._data.shape, other._data.shape)
    shape = np.broadcast_shapes(input._data.shape, other._data.shape)
    return apply(_DIST, (input, other), _dist_params(shape, float(p)), dtype=target)


# --- cdist ---------------------------------------------------------------------------------------
def _pairwise(xp: Any, x1: Any, x2: Any, s1: tuple, s2: tuple) -> Any:
    """x1[..., i, None, :] - x2[..., None, j, :]: (batch, P, R, M)."""
    return xp.reshape(x1, s1[:-1] + (1, s1[-1])) - xp.reshape(x2, s2[:-2] + (1,) + s2[-2:])


def _cdist_primal(x1: ndarray, x2: ndarray, p: float, s1: tuple, s2: tuple) -> ndarray:
    diff = np.abs(_pairwise(np, x1, x2, s1, s2))
    with np.errstate(all="ignore"):
        if p == 0:
            out = np.sum(diff != 0, axis=-1)
        elif p == 1:
            out = np.sum(diff, axis=-1)
        elif p == 2:
            out = np.sqrt(np.sum(diff * diff, axis=-1))
        elif p == math.inf:
            out = np.max(diff, axis=-1, initial=0)
        else:
            out = np.sum(diff**p, axis=-1) ** (1.0 / p)
    return np.asarray(out).astype(x1.dtype, copy=False)


def _cdist_local(xp: Any, x1: Any, x2: Any, out: Any, p: float, s1: tuple, s2: tuple) -> Any:
    """d dist[..., i, j] / d x1[..., i, :]: (batch, P, R, M), PyTorch's _cdist_backward."""
    diff = _pairwise(xp, x1, x2, s1, s2)
    dist = xp.reshape(out, out.shape + (1,))
    if p == 0:
        return diff * 0
    if p == 1:
        return xp.sign(diff)
    if p == math.inf:  # every entry attaining the maximum gets the full gradient, as in PyTorch
        return xp.where(xp.abs(diff) == dist, xp.sign(diff), 0.0)
    safe = xp.where(dist == 0, 1.0, dist)
    if p == 2:
        return xp.where(dist == 0, 0.0, diff / safe)
    magnitude = xp.abs(xp.where(diff == 0, 1.0, diff))
    scaled = xp.sign(diff) * magnitude ** (p - 1) / safe ** (p - 1)
    return xp.where((dist == 0) | (diff == 0), 0.0, scaled)


def _cdist_vjp(which: int) -> Any:
    def rule(xp: Any, g: Any, x1: Any, x2: Any, out: Any, p: float, s1: tuple, s2: tuple) -> Any:
        weighted = xp.reshape(g, out.shape + (1,)) * _cdist_local(xp, x1, x2, out, p, s1, s2)
        return xp.sum(weighted, -2) if which == 0 else -xp.sum(weighted, -3)

    return rule


def _cdist_jvp(xp: Any, tangents: tuple, x1: Any, x2: Any, out: Any, p: float, s1: tuple, s2: tuple) -> Any:
    t1, t2 = tangents
    t1 = t1 if t1 is not None else xp.zeros_like(x1)
    t2 = t2 if t2 is not None else xp.zeros_like(x2)
    return xp.sum(_cdist_local(xp, x1, x2, out, p, s1, s2) * _pairwise(xp, t1, t2, s1, s2), -1)


_CDIST = defop(
    "cdist", "CdistBackward0", _cdist_primal, (_cdist_vjp(0), _cdist_vjp(1)), save=INPUTS_AND_OUTPUT, jvp=_cdist_jvp
)


def _euclid_primal(x1: ndarray, x2: ndarray) -> ndarray:
    # PyTorch's _euclidean_dist: [-2 x1, |x1|^2, 1] @ [x2, 1, |x2|^2]^T, clamped at 1e-30.
    n1 = np.sum(x1 * x1, axis=-1, keepdims=True)
    n2 = np.sum(x2 * x2, axis=-1, keepdims=True)
    left = np.concatenate([x1 * -2, n1, np.ones_like(n1)], axis=-1)
    right = np.concatenate([x2, np.ones_like(n2), n2], axis=-1)
    return np.sqrt(np.maximum(np.matmul(left, np.swapaxes(right, -1, -2)), 1e-30))


def _euclid_ratio(xp: Any, g: Any, out: Any) -> Any:
    return xp.where(out == 0, 0.0, g / xp.where(out == 0, 1.0, out))


_EUCLID = defop(
    "euclidean_dist",
    "EuclideanDistBackward0",
    _euclid_primal,
    (
        lambda xp, g, x1, x2, out: (
            x1 * xp.sum(_euclid_ratio(xp, g, out), -1, True) - xp.matmul(_euclid_ratio(xp, g, out), x2)
        ),
        lambda xp, g, x1, x2, out: (
            x2 * xp.reshape(xp.sum(_euclid_ratio(xp, g, out), -2), x2.shape[:-1] + (1,))
            - xp.matmul(xp.swapaxes(_euclid_ratio(xp, g, out), -1, -2), x1)
        ),
    ),
    save=INPUTS_AND_OUTPUT,
    jvp=lambda xp, t, x1, x2, out: _euclid_jvp(xp, t, x1, x2, out),
)


def _euclid_jvp(xp: Any, tangents: tuple, x1: Any, x2: Any, out: Any) -> Any:
    # d out_ij = (x1_i.t1_i - t1_i.x2_j + x2_j.t2_j - x1_i.t2_j) / out_ij (0 where out is 0)
    t1, t2 = tangents
    terms = []
    if t1 is not None:
        terms.append(xp.sum(x1 * t1, -1, True) - xp.matmul(t1, xp.swapaxes(x2, -1, -2)))
    if t2 is not None:
        own = xp.sum(x2 * t2, -1, True)
        terms.append(xp.reshape(own, own.shape[:-2] + (1, own.shape[-2])) - xp.matmul(x1, xp.swapaxes(t2, -1, -2)))
    return _euclid_ratio(xp, _sum_terms(*terms), out)


_COMPUTE_MODES = ("use_mm_for_euclid_dist_if_necessary", "use_mm_for_euclid_dist", "donot_use_mm_for_euclid_dist")


def cdist(x1: Tensor, x2: Tensor, p: float = 2.0, compute_mode: str = "use_mm_for_euclid_dist_if_necessary") -> Tensor:
    """The p-norm distance between each row of ``x1`` and each row of ``x2`` (batch dims
    broadcast): ``(..., P, M)`` and ``(..., R, M)`` give ``(..., P, R)``. For p = 2 with more
    than 25 rows on a side (or ``compute_mode="use_mm_for_euclid_dist"``) the distances come
    from matrix products, as in PyTorch."""
    if compute_mode not in _COMPUTE_MODES:
        raise ValueError(f"{compute_mode} is not a valid value for compute_mode")
    a, b = x1._data, x2._data
    for name, x in (("X1", a), ("X2", b)):
        if x.ndim < 2:
            raise RuntimeError(f"cdist only supports at least 2D tensors, {name} got: {x.ndim}D")
    for name, x in (("X1", a), ("X2", b)):
        if x.dtype.kind != "f":
            raise RuntimeError(f"cdist only supports floating-point dtypes, {name} got: {scalar_type_name(x.dtype)}")
    if a.shape[-1] != b.shape[-1]:
        raise RuntimeError(f"X1 and X2 must have the same number of columns. X1: {a.shape[-1]} X2: {b.shape[-1]}")
    if a.dtype != b.dtype:
        raise RuntimeError(f"expected scalar type {scalar_type_name(a.dtype)} but found {scalar_type_name(b.dtype)}")
    if p < 0:
        raise RuntimeError("cdist only supports non-negative p values")
    _check_broadcast(a.shape[:-2], b.shape[:-2])
    batch = tuple(np.broadcast_shapes(a.shape[:-2], b.shape[:-2]))
    rows1, rows2 = a.shape[-2], b.shape[-2]
    use_mm = p == 2 and (
        compute_mode == "use_mm_for_euclid_dist" or (compute_mode == _COMPUTE_MODES[0] and (rows1 > 25 or rows2 > 25))
    )
    if use_mm:
        from bibun.ops.shape import expand

        e1 = x1 if a.shape[:-2] == batch else expand(x1, batch + a.shape[-2:])
        e2 = x2 if b.shape[:-2] == batch else expand(x2, batch + b.shape[-2:])
        return reshape(apply(_EUCLID, (e1, e2)), batch + (rows1, rows2))
    return apply(_CDIST, (x1, x2), {"p": float(p), "s1": a.shape, "s2": b.shape})


__all__ = ["cross", "kron", "addmv", "baddbmm", "dist", "cdist"]
