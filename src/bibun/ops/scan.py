"""Running reductions along one dim: cumsum and cumprod.

cumsum is linear: its VJP is the reversed running sum of the cotangent, its JVP the cumsum of
the tangent. cumprod divides by the input when it has no zero; with zeros it uses the exact
product-of-the-others form (O(n^2) along the dim), decided at forward time like prod's."""

from __future__ import annotations

from typing import Any

import numpy as np

from bibun import _dtype
from bibun._tensor import Tensor
from bibun.ops._registry import INPUTS_AND_OUTPUT, apply, defop
from bibun.ops.shape import normalize_dim

ndarray = np.ndarray


def _reverse_cumsum(xp: Any, g: Any, dim: int) -> Any:
    if len(g.shape) == 0:
        return g
    return xp.flip(xp.cumsum(xp.flip(g, (dim,)), dim), (dim,))


def _cumsum_primal(x: ndarray, dim: int, dtype: Any) -> ndarray:
    return np.cumsum(x, axis=dim if x.ndim else None, dtype=dtype).reshape(x.shape)


_CUMSUM = defop(
    "cumsum",
    "CumsumBackward0",
    _cumsum_primal,
    (lambda xp, g, dim, dtype: _reverse_cumsum(xp, g, dim),),
    jvp="linear",
)


def _scan_dtype(input: Tensor, dtype: Any) -> Any:
    if dtype is not None:
        return _dtype.to_numpy_dtype(dtype)
    return np.dtype(np.int64) if input._data.dtype.kind in "biu" else None  # as PyTorch: integers as int64


def cumsum(input: Tensor, dim: int, *, dtype: Any = None) -> Tensor:
    """The running sum along ``dim``."""
    return apply(_CUMSUM, (input,), {"dim": normalize_dim(dim, input._data.ndim), "dtype": _scan_dtype(input, dtype)})


def _cumprod_primal(x: ndarray, dim: int, dtype: Any, has_zero: bool) -> ndarray:
    return np.cumprod(x, axis=dim if x.ndim else None, dtype=dtype).reshape(x.shape)


def _partials(xp: Any, x: Any, dim: int) -> Any:
    """P[..., i, j] = d out_j / d x_i = prod_{k <= j, k != i} x_k for j >= i, else 0, with the
    scanned dim moved last. Built by replacing x_i with 1 in row i and scanning each row."""
    moved = xp.swapaxes(x, dim, -1)
    n = moved.shape[-1]
    rows = xp.broadcast_to(xp.reshape(moved, moved.shape[:-1] + (1, n)), moved.shape + (n,))
    scans = xp.cumprod(xp.where(np.eye(n, dtype=bool), 1.0, rows), -1)
    return xp.where(np.triu(np.ones((n, n), dtype=bool)), scans, 0.0)


def _cumprod_vjp(xp: Any, g: Any, x: Any, out: Any, dim: int, dtype: Any, has_zero: bool) -> Any:
    if len(x.shape) == 0:
        return g  # a 0-d running product is the identity
    if not has_zero:
        return _reverse_cumsum(xp, g * out, dim) / x
    moved_g = xp.swapaxes(g, dim, -1)
    shape = moved_g.shape
    g_rows = xp.reshape(moved_g, shape[:-1] + (1, shape[-1]))
    return xp.swapaxes(xp.sum(_partials(xp, x, dim) * g_rows, -1), dim, -1)


def _cumprod_jvp(xp: Any, tangents: tuple, x: Any, out: Any, dim: int, dtype: Any, has_zero: bool) -> Any:
    t = tangents[0]
    if len(x.shape) == 0:
        return t
    if not has_zero:
        return xp.cumsum(t / x, dim) * out
    moved_t = xp.swapaxes(t, dim, -1)
    shape = moved_t.shape
    t_cols = xp.reshape(moved_t, shape + (1,))
    return xp.swapaxes(xp.sum(_partials(xp, x, dim) * t_cols, -2), dim, -1)


_CUMPROD = defop(
    "cumprod", "CumprodBackward0", _cumprod_primal, (_cumprod_vjp,), save=INPUTS_AND_OUTPUT, jvp=_cumprod_jvp
)


def cumprod(input: Tensor, dim: int, *, dtype: Any = None) -> Tensor:
    """The running product along ``dim``."""
    params = {
        "dim": normalize_dim(dim, input._data.ndim),
        "dtype": _scan_dtype(input, dtype),
        "has_zero": bool((input._data == 0).any()),
    }
    return apply(_CUMPROD, (input,), params)


__all__ = ["cumsum", "cumprod"]
