"""Counting and sampling: nonzero, count_nonzero, bincount, histc (integer or histogram
results, never recorded), and the random draws multinomial and bernoulli, which use bibun's
generator (``generator=`` or the default one seeded by ``bibun.manual_seed``)."""

from __future__ import annotations

import builtins
import math
from typing import Any

import numpy as np

from bibun._creation import Generator, _rng
from bibun._dtype import scalar_type_name
from bibun._tensor import Tensor, new_tensor
from bibun.ops._registry import apply, defop
from bibun.ops.binary import _no_derivative
from bibun.ops.shape import normalize_dims

ndarray = np.ndarray


# --- nonzero, count_nonzero ------------------------------------------------------------------------
def nonzero(input: Tensor, *, as_tuple: bool = False) -> Any:
    """The indices of the non-zero entries: an (n, ndim) int64 tensor, row-major order; with
    ``as_tuple=True`` one 1-d tensor per dim (a 0-d input counts as 1-d)."""
    data = input._data
    if as_tuple:
        return tuple(new_tensor(i.astype(np.int64)) for i in np.nonzero(data.reshape(1) if data.ndim == 0 else data))
    return new_tensor(np.argwhere(data).astype(np.int64))


def count_nonzero(input: Tensor, dim: Any = None) -> Tensor:
    """How many entries are non-zero (over ``dim``, an int or a tuple), as int64."""
    data = input._data
    axes = None
    if dim is not None:
        axes = normalize_dims(dim, data.ndim)
        for a in axes:
            if axes.count(a) > 1:
                raise RuntimeError(f"dim {a} appears multiple times in the list of dims")
    return new_tensor(np.asarray(np.count_nonzero(data, axis=axes)).astype(np.int64))


# --- bincount, histc -----------------------------------------------------------------------------
def bincount(input: Tensor, weights: Tensor | None = None, minlength: int = 0) -> Tensor:
    """How often each value 0, 1, ... occurs in a 1-d non-negative integer tensor (the sum of
    ``weights`` at its occurrences, when given). Float weights keep their dtype; other
    weights give float64."""
    data = input._data
    if data.dtype.kind not in "biu":
        raise NotImplementedError(f"\"bincount_cpu\" not implemented for '{scalar_type_name(data.dtype)}'")
    if data.ndim != 1 or (data.size and data.min() < 0):
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    if minlength < 0:
        raise RuntimeError("minlength should be >= 0")
    if weights is None:
        return new_tensor(np.bincount(data, minlength=minlength).astype(np.int64))
    w = weights._data
    if w.ndim != 1 or w.shape[0] != data.shape[0]:
        raise RuntimeError("weights should be 1-d and have the same length as input")
    dtype = w.dtype if w.dtype.kind == "f" else np.dtype(np.float64)
    return new_tensor(np.bincount(data, weights=w.astype(np.float64), minlength=minlength).astype(dtype))


def histc(input: Tensor, bins: int = 100, min: float = 0, max: float = 0) -> Tensor:  # noqa: A002
    """A histogram of ``bins`` equal-width bins over [min, max] (the data's range when both
    are 0); entries outside are ignored, ``max`` itself falls in the last bin."""
    data = input._data
    if data.dtype.kind != "f":
        raise NotImplementedError(f"\"histogram_cpu\" not implemented for '{scalar_type_name(data.dtype)}'")
    if bins <= 0:
        raise RuntimeError(f"bibun.histogram(): bins must be > 0, but got {bins} for dimension 0")
    if min > max:
        raise RuntimeError("bibun.histc: max must be larger than min")
    low, high = builtins.float(min), builtins.float(max)
    if low == high and data.size:
        low, high = builtins.float(data.min()), builtins.float(data.max())
    if low == high:
        low, high = low - 1, high + 1
    if not (math.isfinite(low) and math.isfinite(high)):
        raise RuntimeError(f"bibun.histc: range of [{low:g}, {high:g}] is not finite")
    flat = data.reshape(-1)
    inside = flat[(flat >= low) & (flat <= high)]
    dtype = data.dtype.type
    # PyTorch's bin: (x - min) * bins / (max - min), in the input's dtype, max in the last bin.
    position = ((inside - dtype(low)) * dtype(bins) / (dtype(high) - dtype(low))).astype(np.int64)
    position = np.minimum(position, bins - 1)
    return new_tensor(np.bincount(position, minlength=bins).astype(data.dtype))


# --- multinomial, bernoulli ---------------------------------------------------------------------
def multinomial(
    input: Tensor, num_samples: int, replacement: bool = False, *, generator: Generator | None = None
) -> Tensor:
    """Category indices drawn with probabilities proportional to each row of ``input`` (1-d or
    2-d, non-negative weights). Without replacement each category is drawn at most once."""
    data = input._data
    if data.dtype.kind != "f":
        raise RuntimeError(
            f"multinomial only supports floating-point dtypes for input, got: {scalar_type_name(data.dtype)}"
        )
    if data.ndim not in (1, 2):
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    if num_samples <= 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    categories = data.shape[-1]
    if not replacement and num_samples > categories:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without replacement")
    rows = data.reshape(-1, categories).astype(np.float64)
    if not np.all(np.isfinite(rows)) or np.any(rows < 0):
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    totals = rows.sum(axis=1)
    if np.any(totals <= 0):
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
    rng = _rng(generator)
    if replacement:
        cumulative = np.cumsum(rows / totals[:, None], axis=1)
        draws = rng.random((rows.shape[0], num_samples))
        out = np.stack([np.searchsorted(c, d, side="right") for c, d in zip(cumulative, draws)])
        out = np.minimum(out, categories - 1)
    else:
        # The exponential-race trick PyTorch uses: the k largest p / E (E ~ Exp(1)) are a draw
        # of k categories without replacement; zero-weight categories come last.
        keys = rows / rng.exponential(size=rows.shape)
        out = np.argsort(-keys, axis=1, kind="stable")[:, :num_samples]
    return new_tensor(out.reshape(data.shape[:-1] + (num_samples,)).astype(np.int64))


# PyTorch records bernoulli(p) with a zero gradient (BernoulliBackward0); with a number p the
# input only gives the shape, and the node has no derivative.
_BERNOULLI = defop(
    "bernoulli",
    "BernoulliBackward0",
    lambda p, draws: (draws < p).astype(p.dtype),
    (lambda xp, g, draws: g * 0,),
    jvp=lambda xp, tangents, draws: tangents[0] * 0,
)
_BERNOULLI_P = defop(
    "bernoulli_p",
    "NotImplemented",
    lambda x, draws, p: (draws < p).astype(x.dtype),
    (_no_derivative("bernoulli"),),
    jvp=None,
)


def bernoulli(input: Tensor, p: float | None = None, *, generator: Generator | None = None) -> Tensor:
    """1 with probability ``input`` (elementwise), else 0, in ``input``'s dtype; with a number
    ``p``, 1 with probability ``p`` everywhere."""
    data = input._data
    if data.dtype.kind != "f":
        raise NotImplementedError(f"\"bernoulli_tensor_cpu_p_\" not implemented for '{scalar_type_name(data.dtype)}'")
    draws = _rng(generator).random(data.shape)
    if p is not None:
        if not 0 <= p <= 1:
            raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={p}")
        return apply(_BERNOULLI_P, (input,), {"draws": draws, "p": builtins.float(p)})
    if data.size and not (np.all(data >= 0) and np.all(data <= 1)):
        raise RuntimeError("Expected p_in >= 0 && p_in <= 1 to be true, but got false.")
    return apply(_BERNOULLI, (input,), {"draws": draws})


__all__ = ["nonzero", "count_nonzero", "bincount", "histc", "multinomial", "bernoulli"]
