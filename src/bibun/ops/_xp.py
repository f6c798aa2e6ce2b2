"""The two array namespaces backward rules are written against (docs/design.md, "Rules run
on arrays and on Tensors").

``NUMPY`` runs a rule on raw ndarrays: the fast first-order path. ``TENSOR`` runs the same
rule on Tensors, so the gradient is itself recorded (``create_graph=True``): each of its
functions is a registered op. Both offer exactly the same vocabulary, listed in ``NAMES``.
"""

from __future__ import annotations

import math
from types import SimpleNamespace
from typing import Any

import numpy as np

ndarray = np.ndarray
_F32 = np.dtype(np.float32)
_F16 = np.dtype(np.float16)

# Small float32 transcendental ops are evaluated in float64 and rounded: the result is then
# correctly rounded, as PyTorch's scalar kernels are, where NumPy's float32 SIMD kernels can
# be one unit in the last place off. Large arrays keep NumPy's float32 speed.
PRECISE_MAX_SIZE = 1024


def precise(ufunc: np.ufunc) -> Any:
    # A 0-d input goes through Python's math module (double precision, then rounded): about
    # four times faster than a NumPy call on a 0-d array, and the same correctly rounded value.
    scalar_fn = getattr(math, ufunc.__name__, None)

    def run(x: ndarray) -> ndarray:
        dt = x.dtype
        if scalar_fn is not None and x.ndim == 0 and dt.kind == "f":
            try:
                return dt.type(scalar_fn(float(x)))
            except (ValueError, OverflowError):  # outside math's domain: NumPy gives nan/inf
                with np.errstate(all="ignore"):
                    return ufunc(x, dtype=np.float64).astype(dt)
        if (dt is _F32 or dt is _F16) and x.size <= PRECISE_MAX_SIZE:
            # PyTorch does not warn for log(0) or log(-1); here the check costs little beside
            # the float64 round trip. (Large arrays keep NumPy's warning: see differences.md.)
            with np.errstate(all="ignore"):
                return ufunc(x, dtype=np.float64).astype(dt)
        return ufunc(x)

    run.__name__ = ufunc.__name__
    return run


def sum_to(x: ndarray, shape: tuple) -> ndarray:
    """Sum ``x`` down to ``shape`` (which ``x``'s shape was broadcast from)."""
    lead = x.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(lead + i for i, n in enumerate(shape) if n == 1 and x.shape[lead + i] != 1)
    if axes:
        x = x.sum(axis=axes, keepdims=True)
    return x.reshape(shape) if lead or x.shape != shape else x


def _sigmoid(x: ndarray) -> ndarray:
    # PyTorch's formula, 1 / (1 + exp(-x)), for its last digits (z / (1 + z) for x < 0 rounds
    # differently in a quarter of cases); exp(-x) overflows to inf for x < -88 (float32) and
    # the result is then 0, as it should be.
    with np.errstate(over="ignore"):
        return (1 / (1 + exp(-x))).astype(x.dtype, copy=False)


def _index_put_zeros(shape: tuple, index: Any, g: ndarray) -> ndarray:
    """Zeros of ``shape`` with ``g`` added at ``index``; repeated indices accumulate."""
    out = np.zeros(shape, dtype=g.dtype)
    np.add.at(out, index, g)
    return out


def astype(x: Any, dtype: Any) -> Any:
    """``x`` cast to ``dtype``; float64 to float16 goes through float32, as PyTorch's cast
    does (rounding once to float16 directly differs in about 1 value in 10,000)."""
    dtype = np.dtype(dtype)
    if dtype is _F16 and x.dtype == np.float64:
        return x.astype(np.float32).astype(dtype)
    return x.astype(dtype)


exp = precise(np.exp)
NUMPY = SimpleNamespace(
    exp=exp,
    log=precise(np.log),
    sin=precise(np.sin),
    cos=precise(np.cos),
    tan=precise(np.tan),
    tanh=precise(np.tanh),
    sqrt=np.sqrt,
    abs=np.abs,
    sign=np.sign,
    sigmoid=_sigmoid,
    where=np.where,
    sum_to=sum_to,
    broadcast_to=np.broadcast_to,
    reshape=np.reshape,
    permute=np.transpose,
    swapaxes=np.swapaxes,
    matmul=np.matmul,
    sum=lambda x, dim=None, keepdim=False: x.sum(axis=dim, keepdims=keepdim),
    zeros_like=np.zeros_like,
    astype=astype,
    index_put_zeros=_index_put_zeros,
    maximum=np.maximum,
    # Added with the unary, reduction, scan and indexing families (ops/unary.py, ...).
    sinh=precise(np.sinh),
    cosh=precise(np.cosh),
    floor=np.floor,
    trunc=np.trunc,
    prod=lambda x, dim=None, keepdim=False: x.prod(axis=dim, keepdims=keepdim),
    cumsum=lambda x, dim: np.cumsum(x, axis=dim),
    cumprod=lambda x, dim: np.cumprod(x, axis=dim),
    flip=lambda x, dims: np.flip(x, axis=dims),
    getitem=lambda x, index: x[index],
)
NAMES = tuple(vars(NUMPY))

# Filled by bibun.ops once every op exists (each entry is a registered, differentiable op).
TENSOR = SimpleNamespace()
