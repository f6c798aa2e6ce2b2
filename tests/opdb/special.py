"""Database entries for ``bibun.special`` (bibun/special.py, ops/special_ops.py): every name is
called through the namespace in both libraries (``m.special.expit`` is ``torch.special.expit``
under PyTorch), so the aliases are checked as what they record there, not only as the ops they
alias. The gamma family's torch.special names are in gamma.py."""

from __future__ import annotations

import numpy as np

from opdb import OpInfo, Sample

S = Sample
UNARY = [S(((3, 4),)), S(((),), "0-d"), S(((2, 0),), "empty")]
PAIR = [S(((3, 4), (3, 4))), S(((3, 4), (4,)), "broadcast")]


def _draw(low: float, high: float):  # noqa: ANN202 - a sampler, as the entries take it
    return lambda rng, shape: rng.uniform(low, high, size=shape)


def _away_from_integers(rng: np.random.Generator, shape: tuple) -> np.ndarray:
    return rng.integers(-3, 3, size=shape) + 0.5 + rng.uniform(-0.3, 0.3, size=shape)


def _unary(name: str, grad_fn: str, low: float = -2.0, high: float = 2.0) -> OpInfo:
    return OpInfo(
        f"special.{name}",
        lambda m, a: getattr(m.special, name)(a),
        UNARY,
        grad_fn,
        sampler=_draw(low, high),
    )


OPS = [
    OpInfo("sinc", lambda m, a: m.sinc(a), UNARY, "SincBackward0", covers=("Tensor.sinc", "special.sinc")),
    OpInfo(
        "sinc_at_zero",
        lambda m, a: m.sinc(a * 0),
        [S(((3,),))],
        "SincBackward0",
        second_order=False,  # d/dx of a * 0 makes the check at exactly 0: the derivative there is 0
    ),
    _unary("entr", "SpecialEntrBackward0", 0.1, 2.0),
    _unary("ndtr", "MulBackward1", -3.0, 3.0),
    _unary("log_ndtr", "SpecialLogNdtrBackward0", -4.0, 3.0),
    _unary("ndtri", "SpecialNdtriBackward0", 0.05, 0.95),
    _unary("erfcx", "SpecialErfcxBackward0", -2.0, 4.0),
    _unary("expit", "SigmoidBackward0"),
    _unary("erf", "ErfBackward0"),
    _unary("erfc", "ErfcBackward0"),
    _unary("erfinv", "ErfinvBackward0", -0.9, 0.9),
    _unary("exp2", "Exp2Backward0"),
    _unary("expm1", "Expm1Backward0"),
    _unary("log1p", "Log1PBackward0", -0.5, 2.0),
    _unary("logit", "LogitBackward0", 0.1, 0.9),
    OpInfo("special.round", lambda m, a: m.special.round(a), UNARY, "RoundBackward1", sampler=_away_from_integers),
    OpInfo("special.softmax", lambda m, a: m.special.softmax(a, 1), [S(((3, 4),))], "SoftmaxBackward0"),
    OpInfo("special.log_softmax", lambda m, a: m.special.log_softmax(a, 0), [S(((3, 4),))], "LogSoftmaxBackward0"),
    OpInfo("special.logsumexp", lambda m, a: m.special.logsumexp(a, 1), [S(((3, 4),))], "LogsumexpBackward0"),
    OpInfo("special.xlogy", lambda m, a, b: m.special.xlogy(a, b), PAIR, "XlogyBackward0", sampler=_draw(0.2, 2.0)),
    OpInfo(
        "special.xlog1py",
        lambda m, a, b: m.special.xlog1py(a, b),
        PAIR,
        "SpecialXlog1PyBackward0",
        sampler=_draw(-0.5, 2.0),
    ),
]
