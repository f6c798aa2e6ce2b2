"""Reductions with a formula behind them: var, std (with ``correction``), var_mean,
std_mean, logsumexp and vector norms (``linalg.vector_norm``, ``Tensor.norm``).

Every VJP is ``expand_back(g) * D`` with D the local derivative, so the JVP is the tangent
times D summed over the reduced dims (``reduction.diagonal_jvp``)."""

from __future__ import annotations

import builtins
import math
import warnings
from typing import Any

import numpy as np

from bibun import _dtype
from bibun._tensor import Tensor
from bibun.ops._registry import INPUTS_AND_OUTPUT, apply, defop
from bibun.ops.reduction import _expand_back, _reduction_params, diagonal_jvp

ndarray = np.ndarray
_DOF_WARNING = (
    "{name}(): degrees of freedom is <= 0. Correction should be strictly less than the reduction factor "
    "(input numel divided by output numel)."
)


def _count(shape: tuple, axis: tuple) -> int:
    n = 1
    for a in axis:
        n *= shape[a]
    return n


# --- var / std ----------------------------------------------------------------------------
def _var_primal(x: ndarray, axis: tuple, keepdims: bool, shape: tuple, kept_shape: tuple, correction: float) -> ndarray:
    with np.errstate(all="ignore"):
        dof = builtins.max(_count(shape, axis) - correction, 0)
        centered = x - np.mean(x, axis=axis, keepdims=True)
        return (np.sum(centered * centered, axis=axis, keepdims=keepdims) / dof).astype(x.dtype, copy=False)


def _centered(xp: Any, x: Any, axis: tuple, shape: tuple) -> Any:
    return x - xp.sum(x, axis, True) / _count(shape, axis)


def _var_vjp(
    xp: Any, g: Any, x: Any, out: Any, axis: tuple, keepdims: bool, shape: tuple, kept_shape: tuple, correction: float
) -> Any:
    dof = _count(shape, axis) - correction
    factor = 2.0 / dof if dof else math.inf  # no degrees of freedom: inf, as PyTorch's 2 / 0
    return _expand_back(xp, g, shape, kept_shape) * _centered(xp, x, axis, shape) * factor


def _std_primal(x: ndarray, **params: Any) -> ndarray:
    return np.sqrt(_var_primal(x, **params))


def _std_vjp(
    xp: Any, g: Any, x: Any, out: Any, axis: tuple, keepdims: bool, shape: tuple, kept_shape: tuple, correction: float
) -> Any:
    # d std = d var / (2 std); PyTorch defines it as 0 where std == 0 (constant slices).
    safe = xp.where(out == 0, 1.0, out)
    g_var = xp.where(out == 0, 0.0, g / (safe * 2))
    return _var_vjp(xp, g_var, x, out, axis, keepdims, shape, kept_shape, correction)


_VAR = defop("var", "VarBackward0", _var_primal, (_var_vjp,), save=INPUTS_AND_OUTPUT, jvp=diagonal_jvp(_var_vjp))
_STD = defop("std", "StdBackward0", _std_primal, (_std_vjp,), save=INPUTS_AND_OUTPUT, jvp=diagonal_jvp(_std_vjp))


def _var_mean_primal(x: ndarray, **params: Any) -> tuple:
    return _var_primal(x, **params), np.mean(x, axis=params["axis"], keepdims=params["keepdims"])


def _std_mean_primal(x: ndarray, **params: Any) -> tuple:
    return _std_primal(x, **params), np.mean(x, axis=params["axis"], keepdims=params["keepdims"])


def _pair_vjp(first: Any) -> Any:
    """(var or std, mean): the two outputs' gradients add."""

    def vjp(xp: Any, grads: tuple, x: Any, out: Any, mean: Any, **params: Any) -> Any:
        g_first, g_mean = grads
        total = None
        if g_first is not None:
            total = first(xp, g_first, x, out, **params)
        if g_mean is not None:
            term = _expand_back(xp, g_mean, params["shape"], params["kept_shape"]) / _count(
                params["shape"], params["axis"]
            )
            total = term if total is None else total + term
        return total

    return vjp


def _pair_jvp(first: Any) -> Any:
    def jvp(xp: Any, tangents: tuple, x: Any, out: Any, mean: Any, **params: Any) -> tuple:
        t = tangents[0]
        local = first(xp, xp.zeros_like(out) + 1, x, out, **params)
        axis, keepdims = params["axis"], params["keepdims"]
        return xp.sum(t * local, axis, keepdims), xp.sum(t, axis, keepdims) / _count(params["shape"], axis)

    return jvp


_VAR_MEAN = defop(
    "var_mean",
    "VarMeanBackward0",
    _var_mean_primal,
    (_pair_vjp(_var_vjp),),
    save=INPUTS_AND_OUTPUT,
    jvp=_pair_jvp(_var_vjp),
    outputs=2,
)
_STD_MEAN = defop(
    "std_mean",
    "StdMeanBackward0",
    _std_mean_primal,
    (_pair_vjp(_std_vjp),),
    save=INPUTS_AND_OUTPUT,
    jvp=_pair_jvp(_std_vjp),
    outputs=2,
)


def _var_params(name: str, input: Tensor, dim: Any, unbiased: Any, keepdim: bool, correction: Any) -> dict:
    if input._data.dtype.kind not in "fc":
        raise RuntimeError("std and var only support floating point and complex dtypes")
    if isinstance(dim, bool):  # the old spelling var(input, unbiased)
        dim, unbiased = None, dim
    if correction is None:
        correction = 0 if unbiased is False else 1
    elif unbiased is not None:
        raise RuntimeError(f"{name}: can't specify both unbiased and correction")
    params = _reduction_params(input, dim, keepdim)
    params["correction"] = float(correction)
    if _count(params["shape"], params["axis"]) - correction <= 0:
        warnings.warn(_DOF_WARNING.format(name=name.split("_")[0]), UserWarning, stacklevel=3)
    return params


def var(
    input: Tensor, dim: Any = None, unbiased: Any = None, keepdim: bool = False, *, correction: Any = None
) -> Tensor:
    """Variance over ``dim`` with ``N - correction`` in the denominator (default correction 1)."""
    return apply(_VAR, (input,), _var_params("var", input, dim, unbiased, keepdim, correction))


def std(
    input: Tensor, dim: Any = None, unbiased: Any = None, keepdim: bool = False, *, correction: Any = None
) -> Tensor:
    """Standard deviation: the square root of ``var`` with the same arguments."""
    return apply(_STD, (input,), _var_params("std", input, dim, unbiased, keepdim, correction))


def var_mean(
    input: Tensor, dim: Any = None, unbiased: Any = None, keepdim: bool = False, *, correction: Any = None
) -> tuple[Tensor, Tensor]:
    return apply(_VAR_MEAN, (input,), _var_params("var_mean", input, dim, unbiased, keepdim, correction))


def std_mean(
    input: Tensor, dim: Any = None, unbiased: Any = None, keepdim: bool = False, *, correction: Any = None
) -> tuple[Tensor, Tensor]:
    return apply(_STD_MEAN, (input,), _var_params("std_mean", input, dim, unbiased, keepdim, correction))


# --- logsumexp ----------------------------------------------------------------------------
def _logsumexp_primal(x: ndarray, axis: tuple, keepdims: bool, shape: tuple, kept_shape: tuple) -> ndarray:
    with np.errstate(all="ignore"):
        if x.size == 0:
            return np.log(np.sum(np.exp(x), axis=axis, keepdims=keepdims))
        peak = np.max(x, axis=axis, keepdims=True)
        peak = np.where(np.isfinite(peak), peak, 0)  # all -inf (or an inf): no shift
        total = np.sum(np.exp(x - peak), axis=axis, keepdims=True)
        out = (np.log(total) + peak).astype(x.dtype, copy=False)
    return out if keepdims else out.reshape(tuple(n for i, n in enumerate(shape) if i not in axis))


def _logsumexp_vjp(
    xp: Any, g: Any, x: Any, out: Any, axis: tuple, keepdims: bool, shape: tuple, kept_shape: tuple
) -> Any:
    # d/dx_i = exp(x_i - out): the softmax along the reduced dims.
    return _expand_back(xp, g, shape, kept_shape) * xp.exp(x - _expand_back(xp, out, shape, kept_shape))


_LOGSUMEXP = defop(
    "logsumexp",
    "LogsumexpBackward0",
    _logsumexp_primal,
    (_logsumexp_vjp,),
    save=INPUTS_AND_OUTPUT,
    jvp=diagonal_jvp(_logsumexp_vjp),
)


def logsumexp(input: Tensor, dim: Any, keepdim: bool = False) -> Tensor:
    """log(sum(exp(input))) over ``dim``, computed without overflow."""
    if input._data.dtype.kind not in "fc":
        input = input.to(_dtype.get_default_dtype())
    return apply(_LOGSUMEXP, (input,), _reduction_params(input, dim, keepdim))


# --- vector norms -------------------------------------------------------------------------
def _norm_primal(x: ndarray, axis: tuple, keepdims: bool, shape: tuple, kept_shape: tuple, ord: float) -> ndarray:
    a = np.abs(x)
    with np.errstate(all="ignore"):
        if ord == 2:
            out = _two_norm(a, axis, keepdims)
        elif ord == 1:
            out = np.sum(a, axis=axis, keepdims=keepdims)
        elif ord == math.inf:
            out = np.max(a, axis=axis, keepdims=keepdims)
        elif ord == -math.inf:
            out = np.min(a, axis=axis, keepdims=keepdims)
        elif ord == 0:
            out = np.sum(a != 0, axis=axis, keepdims=keepdims)
        else:
            out = np.sum(a**ord, axis=axis, keepdims=keepdims) ** (1.0 / ord)
    return np.asarray(out).astype(x.dtype, copy=False)


def _two_norm(a: ndarray, axis: tuple, keepdims: bool) -> ndarray:
    """sqrt(sum(a^2)), as PyTorch computes it (no rescaling: huge entries overflow to inf);
    a one-entry slice is |a| itself, so a tiny 0-d value does not underflow to 0."""
    if _count(a.shape, axis) == 1:
        return np.sum(a, axis=axis, keepdims=keepdims)
    return np.sqrt(np.sum(a * a, axis=axis, keepdims=keepdims))


def _norm_vjp(
    xp: Any, g: Any, x: Any, out: Any, axis: tuple, keepdims: bool, shape: tuple, kept_shape: tuple, ord: float
) -> Any:
    g = _expand_back(xp, g, shape, kept_shape)
    norm = _expand_back(xp, out, shape, kept_shape)
    if ord == 0:
        return g * 0
    if ord == 1:
        return g * xp.sign(x)
    if ord in (math.inf, -math.inf):
        # Like amax/amin of |x|: ties share the gradient evenly.
        mask = xp.abs(x) == norm
        return xp.where(mask, g * xp.sign(x) / xp.sum(mask, axis, True), 0.0)
    safe = xp.where(norm == 0, 1.0, norm)
    if ord == 2:
        return xp.where(norm == 0, 0.0, g * x / safe)  # PyTorch: 0 at the zero vector
    # General p: sign(x) |x|^(p-1) / norm^(p-1); 0 at x == 0 and at a zero norm (as PyTorch),
    # computed on safe values so that no 0^(negative) appears even in masked-out entries.
    magnitude = xp.abs(xp.where(x == 0, 1.0, x))
    scaled = xp.sign(x) * magnitude ** (ord - 1) / safe ** (ord - 1)
    return xp.where((norm == 0) | (x == 0), 0.0, g * scaled)


_VECTOR_NORM = defop(
    "vector_norm",
    "LinalgVectorNormBackward0",
    _norm_primal,
    (_norm_vjp,),
    save=INPUTS_AND_OUTPUT,
    jvp=diagonal_jvp(_norm_vjp),
)


def vector_norm(x: Tensor, ord: float = 2, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:
    """The ``ord``-norm of ``x`` flattened (or over ``dim``): ord = 2, 1, inf, -inf, 0 or any p."""
    if dtype is not None:
        x = x.to(dtype)
    if x._data.dtype.kind not in "fc":
        name = _dtype.scalar_type_name(x._data.dtype)
        raise RuntimeError(f"linalg.vector_norm: Expected a floating point or complex tensor as input. Got {name}")
    if isinstance(ord, str):
        raise RuntimeError(f"linalg.vector_norm: ord must be a number, got {ord!r}")
    ord = float(ord)
    params = _reduction_params(x, dim, keepdim)
    if (ord < 0 or ord == math.inf) and x._data.size == 0:
        raise RuntimeError(
            f"linalg.vector_norm cannot compute the {ord:g} norm on an empty tensor because the operation "
            "does not have an identity"
        )
    params["ord"] = ord
    return apply(_VECTOR_NORM, (x,), params)


def norm(input: Tensor, p: Any = "fro", dim: Any = None, keepdim: bool = False, dtype: Any = None) -> Tensor:
    """``torch.norm``: a vector norm over ``dim`` (all entries by default); ``'fro'`` is the
    2-norm of the entries; ``'nuc'`` and matrix norms are in ``bibun.linalg``."""
    if p == "fro" or p is None:
        p = 2
    elif isinstance(p, str):
        from bibun import linalg  # matrix norms ('nuc') belong to the linear-algebra family

        if dtype is not None:
            input = input.to(dtype)
        return linalg.matrix_norm(input, p, dim if dim is not None else (-2, -1), keepdim)
    return vector_norm(input, p, dim, keepdim, dtype=dtype)


__all__ = ["var", "std", "var_mean", "std_mean", "logsumexp", "norm"]
