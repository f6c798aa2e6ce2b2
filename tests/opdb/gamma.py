"""Database entries for the gamma family (ops/gamma.py): lgamma, digamma, polygamma for several
orders, mvlgamma, and their ``bibun.special`` names (called through the namespace in both
libraries). Inputs are drawn positive and negative, at least 0.2 away from the poles at 0
and the negative integers, where the functions and their derivatives are smooth."""

from __future__ import annotations

import numpy as np

from opdb import OpInfo, Sample

S = Sample
UNARY = [S(((3, 4),)), S(((),), "0-d"), S(((2, 0),), "empty"), S(((4, 3),), "transposed")]


def _transposed(a):  # noqa: ANN001, ANN202 - a non-contiguous view for the "transposed" sample
    return a.t() if a.dim() == 2 and a.shape[0] == 4 else a


def _both_signs(rng: np.random.Generator, shape: tuple) -> np.ndarray:
    # Two in three draws in (0.2, 4.5); the rest in (-2.8, -0.2), 0.2 or more from an integer.
    positive = rng.uniform(0.2, 4.5, size=shape)
    negative = rng.integers(-3, 0, size=shape) + 0.5 + rng.uniform(-0.3, 0.3, size=shape)
    return np.where(rng.uniform(size=shape) < 2 / 3, positive, negative)


def _draw(low: float, high: float):  # noqa: ANN202 - a sampler, as the entries take it
    return lambda rng, shape: rng.uniform(low, high, size=shape)


def _polygamma(n: int, covers: tuple = ()) -> OpInfo:
    return OpInfo(
        f"polygamma_{n}",
        lambda m, a: m.polygamma(n, _transposed(a)),
        UNARY,
        "PolygammaBackward0",
        sampler=_both_signs,
        covers=covers,
    )


OPS = [
    OpInfo(
        "lgamma",
        lambda m, a: m.lgamma(_transposed(a)),
        UNARY,
        "LgammaBackward0",
        sampler=_both_signs,
        covers=("Tensor.lgamma",),
    ),
    OpInfo(
        "digamma",
        lambda m, a: _transposed(a).digamma(),
        UNARY,
        "DigammaBackward0",
        sampler=_both_signs,
        covers=("Tensor.digamma",),
    ),
    _polygamma(0),
    _polygamma(1, covers=("polygamma",)),
    _polygamma(2),
    _polygamma(3),
    OpInfo(
        "polygamma_method",
        lambda m, a: a.polygamma(2),
        UNARY[:2],
        "PolygammaBackward0",
        sampler=_both_signs,
        covers=("Tensor.polygamma",),
    ),
    OpInfo(
        "polygamma_large_input",  # the Euler-Maclaurin tail of the zeta function does the work
        lambda m, a: m.polygamma(4, a),
        [S(((3, 4),))],
        "PolygammaBackward0",
        sampler=_draw(8.0, 40.0),
    ),
    OpInfo("mvlgamma", lambda m, a: m.mvlgamma(a, 1), UNARY, "MvlgammaBackward0", sampler=_both_signs),
    OpInfo(
        "mvlgamma_p3",
        lambda m, a: _transposed(a).mvlgamma(3),
        UNARY,
        "MvlgammaBackward0",
        sampler=_draw(1.25, 5.0),
        covers=("Tensor.mvlgamma",),
    ),
    OpInfo(
        "mvlgamma_p2_below_domain",  # x <= (p-1)/2: not refused, log|Gamma| summed, as in PyTorch
        lambda m, a: m.mvlgamma(a, 2),
        [S(((3, 4),))],
        "MvlgammaBackward0",
        sampler=_draw(-0.4, -0.1),
    ),
    # torch.special's names for the family, called through the namespace in both libraries.
    OpInfo("special.gammaln", lambda m, a: m.special.gammaln(a), UNARY[:3], "LgammaBackward0", sampler=_both_signs),
    OpInfo("special.digamma", lambda m, a: m.special.digamma(a), UNARY[:3], "DigammaBackward0", sampler=_both_signs),
    OpInfo("special.psi", lambda m, a: m.special.psi(a), UNARY[:3], "DigammaBackward0", sampler=_both_signs),
    OpInfo(
        "special.polygamma",
        lambda m, a: m.special.polygamma(2, a),
        UNARY[:3],
        "PolygammaBackward0",
        sampler=_both_signs,
    ),
    OpInfo(
        "special.multigammaln",
        lambda m, a: m.special.multigammaln(a, 2),
        UNARY[:3],
        "MvlgammaBackward0",
        sampler=_draw(0.8, 5.0),
    ),
]
