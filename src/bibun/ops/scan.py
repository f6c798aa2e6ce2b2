"""Running reductions along one dim: cumsum, cumprod, cummax, cummin and logcumsumexp.

cumsum is linear: its VJP is the reversed running sum of the cotangent, its JVP the cumsum of
the tangent. cumprod divides by the input when it has no zero; with zeros it uses the exact
product-of-the-others form (O(n^2) along the dim), decided at forward time like prod's.
cummax and cummin select entries, so the cotangent goes back to the selected index (the
indices are saved, nothing else). logcumsumexp's VJP is PyTorch's log-space formula, which
never overflows (docs/order-statistics.md)."""

from __future__ import annotations

from typing import Any

import numpy as np

from bibun import _dtype
from bibun._tensor import Tensor
from bibun.ops import _xp
from bibun.ops._registry import INPUTS_AND_OUTPUT, apply, defop
from bibun.ops.reduction import _along_axis_index, return_types, values_and_indices_op
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


# --- cummax, cummin ----------------------------------------------------------------------------
def _cumulative_extreme_primal(x: ndarray, dim: int, largest: bool) -> tuple:
    """PyTorch's kernel takes entry j whenever x[j] >= the running max (<= for the min) or is
    NaN: the last of equal extremes, and after a NaN the latest NaN. Entry j is taken exactly
    when it equals the running extreme through j (or is NaN), so the index is the running
    maximum of the taken positions."""
    if x.ndim == 0:
        return x.copy(), np.zeros((), dtype=np.int64)
    running = (np.maximum if largest else np.minimum).accumulate(x, axis=dim)
    taken = x == running
    if x.dtype.kind in "fc":
        taken |= np.isnan(x)
    positions = np.arange(x.shape[dim]).reshape((-1,) + (1,) * (x.ndim - 1 - dim))
    indices = np.maximum.accumulate(np.where(taken, positions, 0), axis=dim)
    return np.take_along_axis(x, indices, dim), indices


def _cumulative_extreme_vjp(xp: Any, grads: tuple, indices: ndarray, dim: int, largest: bool) -> Any:
    g = grads[0]
    if indices.ndim == 0:
        return g
    return xp.index_put_zeros(indices.shape, _along_axis_index(indices, dim), g)


def _cumulative_extreme_jvp(xp: Any, tangents: tuple, indices: ndarray, dim: int, largest: bool) -> tuple:
    t = tangents[0]
    if indices.ndim == 0:
        return t, None
    return t[_along_axis_index(indices, dim)], None


def _cumulative_extreme_op(name: str, grad_fn: str) -> Any:
    return values_and_indices_op(
        name, grad_fn, _cumulative_extreme_primal, _cumulative_extreme_vjp, _cumulative_extreme_jvp
    )


_CUMMAX = _cumulative_extreme_op("cummax", "CummaxBackward0")
_CUMMIN = _cumulative_extreme_op("cummin", "CumminBackward0")
_CUMMAX_RESULT = return_types.cummax
_CUMMIN_RESULT = return_types.cummin


def _scan_dim(name: str, input: Tensor, dim: int) -> int:
    if input._data.ndim == 0 and dim not in (0, -1):
        raise IndexError(f"{name}(): Expected reduction dim -1 or 0 for scalar but got {dim}")
    return normalize_dim(dim, input._data.ndim)


def cummax(input: Tensor, dim: int) -> Any:
    """The running maximum along ``dim`` and where it was found
    (``bibun.return_types.cummax(values, indices)``): the last of equal maxima, and once a
    NaN is seen, NaN at the latest NaN."""
    values, indices = apply(_CUMMAX, (input,), {"dim": _scan_dim("cummax", input, dim), "largest": True})
    return _CUMMAX_RESULT(values, indices)


def cummin(input: Tensor, dim: int) -> Any:
    """The running minimum along ``dim`` and where it was found (as ``cummax``)."""
    values, indices = apply(_CUMMIN, (input,), {"dim": _scan_dim("cummin", input, dim), "largest": False})
    return _CUMMIN_RESULT(values, indices)


# --- logcumsumexp ------------------------------------------------------------------------------
def _logcumsumexp_primal(x: ndarray, dim: int, lowest: float) -> ndarray:
    # A running log-add-exp, max + log1p(exp(min - max)) at each step: no overflow. Float32 is
    # accumulated in float64, as PyTorch's CPU kernel does, then rounded once.
    if x.ndim == 0:
        return x.copy()
    with np.errstate(all="ignore"):
        return np.logaddexp.accumulate(x.astype(np.float64), axis=dim).astype(x.dtype, copy=False)


def _reverse_logcumsumexp(xp: Any, x: Any, dim: int, lowest: float) -> Any:
    return xp.flip(xp.logcumsumexp(xp.flip(x, (dim,)), dim, lowest), (dim,))


def _signed_log_parts(xp: Any, v: Any, lowest: float) -> tuple:
    """log|v| where v > 0 and where v < 0, the dtype's lowest value elsewhere (exp of it is 0).
    log(0) is masked away, so NumPy's divide warning is not PyTorch's to give either."""
    with np.errstate(divide="ignore"):
        log_abs = xp.log(xp.abs(v))
    return xp.where(v > 0, log_abs, lowest), xp.where(v < 0, log_abs, lowest)


def _logcumsumexp_vjp(xp: Any, g: Any, x: Any, out: Any, dim: int, lowest: float) -> Any:
    # d out_j / d x_i = exp(x_i - out_j) for i <= j. PyTorch's formula: the sum over j >= i of
    # g_j exp(x_i - out_j), split by the sign of g and summed in log space.
    if len(g.shape) == 0 or 0 in g.shape:
        return g
    positive, negative = _signed_log_parts(xp, g, lowest)
    return xp.exp(_reverse_logcumsumexp(xp, positive - out, dim, lowest) + x) - xp.exp(
        _reverse_logcumsumexp(xp, negative - out, dim, lowest) + x
    )


def _logcumsumexp_jvp(xp: Any, tangents: tuple, x: Any, out: Any, dim: int, lowest: float) -> Any:
    # The transpose of the VJP: sum over i <= j of t_i exp(x_i - out_j), in log space too.
    t = tangents[0]
    if len(t.shape) == 0 or 0 in t.shape:
        return t
    positive, negative = _signed_log_parts(xp, t, lowest)
    return xp.exp(xp.logcumsumexp(positive + x, dim, lowest) - out) - xp.exp(
        xp.logcumsumexp(negative + x, dim, lowest) - out
    )


_LOGCUMSUMEXP = defop(
    "logcumsumexp",
    "LogcumsumexpBackward0",
    _logcumsumexp_primal,
    (_logcumsumexp_vjp,),
    save=INPUTS_AND_OUTPUT,
    jvp=_logcumsumexp_jvp,
)


def logcumsumexp(input: Tensor, dim: int) -> Tensor:
    """log(cumsum(exp(input), dim)), computed without overflow: -inf entries contribute
    nothing, +inf makes the rest +inf, NaN makes the rest NaN."""
    data = input._data
    if data.dtype.kind not in "fc":
        raise NotImplementedError(
            f"\"logcumsumexp_out_cpu\" not implemented for '{_dtype.scalar_type_name(data.dtype)}'"
        )
    params = {"dim": normalize_dim(dim, data.ndim), "lowest": float(np.finfo(data.dtype).min)}
    return apply(_LOGCUMSUMEXP, (input,), params)


# The rules above call logcumsumexp on arrays at first order and on Tensors (a recorded op)
# with create_graph (docs/design.md, "Rules run on arrays and on Tensors").
_xp.NUMPY.logcumsumexp = _logcumsumexp_primal
_xp.TENSOR.logcumsumexp = lambda x, dim, lowest: logcumsumexp(x, dim)

__all__ = ["cumsum", "cumprod", "cummax", "cummin", "logcumsumexp"]

# Tensor methods: x.cummax(dim) is cummax(x, dim) (docs/design.md, "One op, one entry").
for _name in ("cummax", "cummin", "logcumsumexp"):
    setattr(Tensor, _name, globals()[_name])
