"""``bibun.special``: PyTorch's ``torch.special`` names (docs/ops.md, "torch.special"). Most
are other names for ops declared elsewhere (``expit`` is ``sigmoid``, ``gammaln`` is
``lgamma``, ``psi`` is ``digamma``), and record the same nodes as in PyTorch; the functions
PyTorch has only here (entr, ndtr, log_ndtr, ndtri, erfcx, xlog1py) are declared in
bibun/ops/special_ops.py."""

from __future__ import annotations

from typing import Any

from bibun._tensor import Tensor
from bibun.nn import functional as _functional
from bibun.ops.binary import xlogy
from bibun.ops.gamma import digamma, polygamma
from bibun.ops.gamma import lgamma as gammaln
from bibun.ops.gamma import mvlgamma as multigammaln
from bibun.ops.special_ops import entr, erfcx, log_ndtr, ndtr, ndtri, sinc, xlog1py
from bibun.ops.statistics import logsumexp
from bibun.ops.unary import erf, erfc, erfinv, exp2, expm1, log1p, logit
from bibun.ops.unary import round as _round


def expit(input: Tensor) -> Tensor:
    """The logistic sigmoid 1 / (1 + exp(-x)); recorded as SigmoidBackward0."""
    return _functional.sigmoid(input)


def round(input: Tensor, *, decimals: int = 0) -> Tensor:  # noqa: A001 - PyTorch's name
    """As ``bibun.round(input, decimals=...)``: RoundBackward1, as PyTorch records it here."""
    return _round(input, decimals=decimals)


def softmax(input: Tensor, dim: int, *, dtype: Any = None) -> Tensor:
    return _functional.softmax(input, dim, dtype=dtype)


def log_softmax(input: Tensor, dim: int, *, dtype: Any = None) -> Tensor:
    return _functional.log_softmax(input, dim, dtype=dtype)


psi = digamma

__all__ = [
    "digamma",
    "entr",
    "erf",
    "erfc",
    "erfcx",
    "erfinv",
    "exp2",
    "expit",
    "expm1",
    "gammaln",
    "log1p",
    "log_ndtr",
    "log_softmax",
    "logit",
    "logsumexp",
    "multigammaln",
    "ndtr",
    "ndtri",
    "polygamma",
    "psi",
    "round",
    "sinc",
    "softmax",
    "xlog1py",
    "xlogy",
]
