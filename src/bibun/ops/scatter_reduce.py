"""scatter_reduce: ``src`` combined into ``input`` along ``dim`` at ``index`` by sum, prod,
mean, amax or amin, with or without ``input``'s own values (``include_self``).

Every reduction's derivative is, at first order, a constant factor per contributor: 1 for
sum, 1/count for mean, 1/(number of ties) for the contributors equal to the extreme for
amax/amin (PyTorch shares the gradient evenly among ties), and the product of the other
contributors for prod (exact with zeros). The forward pass computes these factors once
(``_factors``); both rules and the tangent are then linear in them. For sum, mean, amax and
amin the factors do not depend on the values (or are piecewise constant), so higher
derivatives through them are exact; prod's do, and its second derivative is refused rather
than returned wrong."""

from __future__ import annotations

from typing import Any

import numpy as np

from bibun._tensor import Tensor
from bibun.ops._registry import apply, defop
from bibun.ops._xp import NUMPY
from bibun.ops.indexing import _along, _check_along, _index_array, _leading
from bibun.ops.shape import normalize_dim

ndarray = np.ndarray
REDUCTIONS = ("sum", "prod", "mean", "amax", "amin")
_UFUNCS = {"sum": np.add, "prod": np.multiply, "mean": np.add, "amax": np.maximum, "amin": np.minimum}


def _identity(reduce: str, dtype: np.dtype) -> Any:
    """The start value where ``input``'s own values are left out."""
    if reduce in ("sum", "mean"):
        return 0
    if reduce == "prod":
        return 1
    big = np.inf if dtype.kind == "f" else np.iinfo(dtype).max
    return -big if reduce == "amax" else big


def _primal(x: ndarray, src: ndarray, where: tuple, block: tuple, reduce: str, include_self: bool, **_: Any) -> ndarray:
    values = src[block]
    hit = np.zeros(x.shape, dtype=bool)
    hit[where] = True
    out = x.copy() if include_self else np.where(hit, np.asarray(_identity(reduce, x.dtype), x.dtype), x)
    with np.errstate(invalid="ignore"):  # NaN propagates, as in PyTorch, without a NumPy warning
        _UFUNCS[reduce].at(out, where, values)
    if reduce == "mean":
        counts = np.zeros(x.shape, dtype=np.int64)
        np.add.at(counts, where, 1)
        counts += include_self
        counts = np.maximum(counts, 1)
        if x.dtype.kind == "f":
            out = (out / counts).astype(x.dtype, copy=False)
        else:
            out = np.floor_divide(out, counts).astype(x.dtype, copy=False)
        out = np.where(hit, out, x)
    return out


def _factors(arrays: list, out: ndarray, params: dict) -> tuple:
    """d out / d input (shape of out) and d out / d src (shape of the index), at this point."""
    x, src = arrays[0], arrays[1]
    where, block, reduce, include_self = params["where"], params["block"], params["reduce"], params["include_self"]
    values = src[block]
    hit = np.zeros(x.shape, dtype=bool)
    hit[where] = True
    one = np.ones((), x.dtype)
    if reduce == "sum":
        self_factor = np.where(hit, one * include_self, one)
        src_factor = np.ones(values.shape, x.dtype)
    elif reduce == "mean":
        counts = np.zeros(x.shape, dtype=x.dtype)
        np.add.at(counts, where, 1)
        counts = np.maximum(counts + include_self, 1)
        self_factor = np.where(hit, include_self / counts, one).astype(x.dtype)
        src_factor = (1 / counts)[where].astype(x.dtype)
    elif reduce in ("amax", "amin"):
        self_at_extreme = (x == out) & include_self
        src_at_extreme = values == out[where]
        ties = self_at_extreme.astype(x.dtype)
        np.add.at(ties, where, src_at_extreme.astype(x.dtype))
        ties = np.maximum(ties, 1)
        self_factor = np.where(hit, self_at_extreme / ties, one).astype(x.dtype)
        src_factor = (src_at_extreme / ties[where]).astype(x.dtype)
    else:  # prod: the product of the other contributors, exact when some are zero
        zeros = np.zeros(x.shape, dtype=np.int64)
        np.add.at(zeros, where, values == 0)
        nonzero_product = np.where(hit & include_self & (x != 0), x, one)
        np.multiply.at(nonzero_product, where, np.where(values == 0, one, values))
        if include_self:
            zeros += x == 0

        def others(value: ndarray, z: ndarray, p: ndarray) -> ndarray:
            with np.errstate(divide="ignore", invalid="ignore"):
                return np.where(
                    value == 0, np.where(z == 1, p, 0), np.where(z == 0, p / np.where(value == 0, 1, value), 0)
                )

        self_factor = np.where(hit, others(x, zeros, nonzero_product) * include_self, one).astype(x.dtype)
        src_factor = others(values, zeros[where], nonzero_product[where]).astype(x.dtype)
    return self_factor, src_factor


def _refuse_second_order(xp: Any, params: dict) -> None:
    if params["reduce"] == "prod" and xp is not NUMPY:
        raise RuntimeError(
            "scatter_reduce with reduce='prod': only first derivatives are implemented (create_graph=True "
            "would record a gradient whose own derivative is wrong)"
        )


def _vjp_input(xp: Any, g: Any, self_factor: Any, src_factor: Any, **params: Any) -> Any:
    _refuse_second_order(xp, params)
    return g * self_factor


def _vjp_src(xp: Any, g: Any, self_factor: Any, src_factor: Any, **params: Any) -> Any:
    _refuse_second_order(xp, params)
    picked = xp.getitem(g, params["where"]) * src_factor
    if picked.shape != params["src_shape"]:  # the index covered only a leading block of src
        return xp.index_put_zeros(params["src_shape"], params["block"], picked)
    return picked


def _jvp(xp: Any, tangents: tuple, self_factor: Any, src_factor: Any, **params: Any) -> Any:
    t_self, t_src = tangents[0], tangents[1]
    total = None
    if t_self is not None:
        total = t_self * self_factor
    if t_src is not None:
        spread = xp.index_put_zeros(
            params["out_shape"], params["where"], xp.getitem(t_src, params["block"]) * src_factor
        )
        total = spread if total is None else total + spread
    return total


_SCATTER_REDUCE = defop(
    "scatter_reduce",
    "ScatterReduceBackward0",
    _primal,
    (_vjp_input, _vjp_src),
    save=_factors,
    jvp=_jvp,
)


def scatter_reduce(
    input: Tensor, dim: int, index: Tensor, src: Tensor, reduce: str, *, include_self: bool = True
) -> Tensor:
    """``input`` with ``src[i]`` combined into position ``index[i]`` along ``dim`` by
    ``reduce`` ("sum", "prod", "mean", "amax", "amin"); ``include_self=False`` leaves the
    values of ``input`` at the written positions out of the reduction."""
    if reduce not in REDUCTIONS:
        raise RuntimeError(f"reduce argument must be either sum, prod, mean, amax or amin, got {reduce}")
    idx = _index_array(index, "scatter_reduce")
    if not isinstance(src, Tensor):
        raise TypeError(f"scatter_reduce(): argument 'src' must be Tensor, not {type(src).__name__}")
    if src._data.dtype != input._data.dtype:
        raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")
    d = normalize_dim(dim, input._data.ndim)
    _check_along(input, d, idx, src if src._data.ndim else None)
    params = {
        "where": _along(idx, d) if input._data.ndim else (),
        "block": _leading(idx.shape),
        "reduce": reduce,
        "include_self": bool(include_self),
        "out_shape": input._data.shape,
        "src_shape": src._data.shape,
    }
    return apply(_SCATTER_REDUCE, (input, src), params)


__all__ = ["scatter_reduce"]
