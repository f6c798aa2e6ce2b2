"""The gamma-function family: lgamma, digamma, polygamma and mvlgamma (docs/gamma.md).

The values come from ops/_gamma_kernels.py (NumPy only, float64; its docstring gives the
methods and their measured accuracy). Each op is one ``defop`` entry with PyTorch's grad_fn
name; the derivatives climb the family (d lgamma = digamma, d digamma = polygamma(1, .),
d polygamma(n, .) = polygamma(n + 1, .), d mvlgamma = sum of digammas), so every rule calls
another op of this module. ``xp`` has no gamma functions, so the rules go through
``_digamma_xp``/``_polygamma_xp``: the NumPy kernel on arrays, the recorded op on Tensors
(create_graph), which keeps every order differentiable. The rules are linear in ``g``, so
the JVP is the same rule applied to the tangent (``jvp="elementwise"``).

Integer and bool inputs compute in the default float dtype, float32 and float16 in float64
rounded back, as for the error functions.
"""

from __future__ import annotations

import operator
from typing import Any

import numpy as np

from bibun import _dtype
from bibun._tensor import Tensor
from bibun.ops import _gamma_kernels
from bibun.ops._registry import INPUTS, apply, defop

ELEMENTWISE = "elementwise"


def _digamma_xp(xp: Any, x: Any) -> Any:
    return digamma(x) if isinstance(x, Tensor) else _gamma_kernels.digamma(x)


def _polygamma_xp(xp: Any, n: int, x: Any) -> Any:
    return polygamma(n, x) if isinstance(x, Tensor) else _gamma_kernels.polygamma(n, x)


def _mvlgamma_vjp(xp: Any, g: Any, x: Any, p: int) -> Any:
    # PyTorch's mvlgamma_backward: g * sum_i digamma(x - i/2), summed from x - (p-1)/2 up.
    total = _digamma_xp(xp, x + (-(p - 1) / 2.0))
    for i in range(p - 2, -1, -1):
        total = total + _digamma_xp(xp, x + (-i / 2.0))
    return g * total


_LGAMMA = defop(
    "lgamma",
    "LgammaBackward0",
    _gamma_kernels.lgamma,
    (lambda xp, g, x: g * _digamma_xp(xp, x),),
    save=INPUTS,
    jvp=ELEMENTWISE,
)
_DIGAMMA = defop(
    "digamma",
    "DigammaBackward0",
    _gamma_kernels.digamma,
    (lambda xp, g, x: g * _polygamma_xp(xp, 1, x),),
    save=INPUTS,
    jvp=ELEMENTWISE,
)
_POLYGAMMA = defop(
    "polygamma",
    "PolygammaBackward0",
    lambda x, n: _gamma_kernels.polygamma(n, x),
    (lambda xp, g, x, n: g * _polygamma_xp(xp, n + 1, x),),
    save=INPUTS,
    jvp=ELEMENTWISE,
)
_MVLGAMMA = defop(
    "mvlgamma", "MvlgammaBackward0", _gamma_kernels.mvlgamma, (_mvlgamma_vjp,), save=INPUTS, jvp=ELEMENTWISE
)


def _tensor_argument(input: Any, function: str, position: int) -> Tensor:
    if not isinstance(input, Tensor):
        raise TypeError(
            f"{function}(): argument 'input' (position {position}) must be Tensor, not {type(input).__name__}"
        )
    return input


def _float_input(input: Tensor, kernel: str) -> Tensor:
    """The tensor to compute on: PyTorch's refusal of complex dtypes (the message names its CPU
    kernel), and integers and bools in the default float dtype."""
    kind = input._data.dtype.kind
    if kind == "c":
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{_dtype.scalar_type_name(input._data.dtype)}'")
    if kind != "f":
        return input.to(_dtype.get_default_dtype())
    return input


def _int_argument(value: Any, function: str, name: str, position: int) -> int:
    """An int argument as PyTorch's parser takes it: ints and one-element integer tensors."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer, Tensor)):
        raise TypeError(
            f"{function}(): argument '{name}' (position {position}) must be int, not {type(value).__name__}"
        )
    return operator.index(value)


def lgamma(input: Tensor) -> Tensor:
    """log|Gamma(input)|, elementwise: inf at 0 and the negative integers; recorded as
    LgammaBackward0 (its derivative is digamma)."""
    return apply(_LGAMMA, (_float_input(_tensor_argument(input, "lgamma", 1), "lgamma_vml_cpu"),))


def digamma(input: Tensor) -> Tensor:
    """The digamma function Gamma'/Gamma, elementwise: -inf at +0, inf at -0, NaN at the
    negative integers (as PyTorch); recorded as DigammaBackward0."""
    return apply(_DIGAMMA, (_float_input(_tensor_argument(input, "digamma", 1), "digamma"),))


def polygamma(n: int, input: Tensor) -> Tensor:
    """The n-th derivative of digamma (n >= 0; polygamma(0, x) is digamma(x)); recorded as
    PolygammaBackward0."""
    n = _int_argument(n, "polygamma", "n", 1)
    input = _tensor_argument(input, "polygamma", 2)
    if n < 0:
        raise RuntimeError("polygamma(n, x) does not support negative n.")
    kernel = {0: "digamma", 1: "trigamma"}.get(n, "polygamma")
    return apply(_POLYGAMMA, (_float_input(input, kernel),), {"n": n})


def mvlgamma(input: Tensor, p: int) -> Tensor:
    """The multivariate log-gamma function of dimension p, elementwise:
    sum_{i < p} lgamma(input - i/2) + p(p-1)/4 log(pi); recorded as MvlgammaBackward0. Like
    PyTorch, inputs at or below (p-1)/2 are not refused (lgamma gives log|Gamma| or inf there)."""
    input = _tensor_argument(input, "mvlgamma", 1)
    p = _int_argument(p, "mvlgamma", "p", 2)
    if input._data.dtype.kind == "b":
        raise RuntimeError("The input tensor may not be a boolean tensor.")
    if p < 1:
        raise RuntimeError("p has to be greater than or equal to 1")
    return apply(_MVLGAMMA, (_float_input(input, "arange_cpu"),), {"p": p})


def _polygamma_method(self: Tensor, n: int) -> Tensor:
    """``x.polygamma(n)``: the order comes first in the function, after the tensor here."""
    return polygamma(n, self)


__all__ = ["lgamma", "digamma", "polygamma", "mvlgamma"]

# The Tensor methods (x.lgamma(), x.digamma(), x.mvlgamma(p), x.polygamma(n)) are these
# functions, bound here so the family is declared in one place.
for _name in ("lgamma", "digamma", "mvlgamma"):
    setattr(Tensor, _name, globals()[_name])
Tensor.polygamma = _polygamma_method  # type: ignore[attr-defined]
