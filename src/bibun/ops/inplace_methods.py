"""The rest of PyTorch's in-place methods: each one is its out-of-place op written back into
the tensor (``inplace.write``), so its gradient, grad_fn name, version bump, view rebase
(CopySlices) and errors are the out-of-place op's and the write's, with nothing new to check.
Also the random fills (``uniform_``, ``normal_``, ...), whose gradient is zero as in PyTorch.
docs/mechanics.md, "In-place operations", lists them."""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from bibun import _dtype
from bibun._creation import _rng
from bibun._tensor import Tensor
from bibun.ops._registry import apply, defop
from bibun.ops.inplace import write

# In-place twins of out-of-place methods. Every one snapshots the old value when the write is
# recorded (``copy_self``): an op that saved its input must not see the new value in backward.
# Left out on purpose: comparisons and logical/bitwise ops (no gradient to record), and the
# in-place shape changes (t_, transpose_, squeeze_, unsqueeze_, resize_), which change
# metadata, not values.
DERIVED = (
    "absolute",
    "acos",
    "acosh",
    "addcdiv",
    "addcmul",
    "addmm",
    "addmv",
    "arccos",
    "arccosh",
    "arcsin",
    "arcsinh",
    "arctan",
    "arctan2",
    "arctanh",
    "asin",
    "asinh",
    "atan",
    "atan2",
    "atanh",
    "baddbmm",
    "ceil",
    "copysign",
    "cosh",
    "cumprod",
    "cumsum",
    "deg2rad",
    "digamma",
    "erf",
    "erfc",
    "erfinv",
    "exp2",
    "expm1",
    "fix",
    "floor",
    "floor_divide",
    "fmod",
    "frac",
    "gcd",
    "heaviside",
    "hypot",
    "index_add",
    "index_copy",
    "index_fill",
    "lcm",
    "ldexp",
    "lerp",
    "lgamma",
    "log10",
    "log1p",
    "log2",
    "logit",
    "masked_fill",
    "masked_scatter",
    "mvlgamma",
    "nan_to_num",
    "rad2deg",
    "remainder",
    "round",
    "rsqrt",
    "scatter",
    "scatter_add",
    "scatter_reduce",
    "sgn",
    "sign",
    "sinh",
    "tril",
    "triu",
    "trunc",
    "xlogy",
)


def _derived(name: str) -> Callable[..., Tensor]:
    # Looked up per call: the out-of-place methods are bound to Tensor after this module loads.
    def method(self: Tensor, *args: Any, **kwargs: Any) -> Tensor:
        return write(self, getattr(Tensor, name), args, kwargs, copy_self=True)

    method.__name__ = method.__qualname__ = name + "_"
    method.__doc__ = f"In place: ``self`` becomes ``self.{name}(...)``."
    return method


# --- random fills ------------------------------------------------------------------------------
def _random_op(grad_fn: str) -> Any:
    """Replaces the values by a sample (a parameter): the gradient to the old value is zero."""
    return defop(
        grad_fn,
        grad_fn,
        lambda x, sample: sample,
        (lambda xp, g, sample: xp.zeros_like(g),),
        jvp=lambda xp, tangents, sample: xp.zeros_like(tangents[0]),
    )


_RANDOM_OPS = {
    name: _random_op(grad_fn)
    for name, grad_fn in (
        ("uniform_", "UniformBackward0"),
        ("normal_", "NormalBackward0"),
        ("bernoulli_tensor_", "BernoulliBackward1"),
        ("bernoulli_", "BernoulliBackward2"),
        ("exponential_", "ExponentialBackward0"),
        ("random_", "RandomBackward0"),
        ("cauchy_", "CauchyBackward0"),
        ("log_normal_", "LogNormalBackward0"),
        ("geometric_", "GeometricBackward0"),
    )
}


def _fill_with(self: Tensor, name: str, sample: np.ndarray) -> Tensor:
    op = _RANDOM_OPS[name]
    values = sample.astype(self._data.dtype, copy=False).reshape(self._data.shape)
    return write(self, lambda x: apply(op, (x,), {"sample": values}), cast_check=False)


def _floating_only(self: Tensor, kernel: str) -> None:
    if self._data.dtype.kind != "f":
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{_dtype.scalar_type_name(self._data.dtype)}'")


def uniform_(self: Tensor, from_: float = 0.0, to: float = 1.0, *, generator: Any = None, **kw: Any) -> Tensor:
    """Values drawn uniformly from [from, to). (``from`` is a Python keyword: pass it by position
    or as ``from_``.)"""
    from_ = kw.pop("from", from_)
    _floating_only(self, "check_uniform_bounds")
    if from_ > to:
        raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found from={from_} > to={to}")
    return _fill_with(self, "uniform_", _rng(generator).uniform(from_, to, self._data.shape))


def normal_(self: Tensor, mean: float = 0.0, std: float = 1.0, *, generator: Any = None) -> Tensor:
    _floating_only(self, "normal_kernel_cpu")
    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
    return _fill_with(self, "normal_", _rng(generator).normal(mean, std, self._data.shape))


def bernoulli_(self: Tensor, p: Any = 0.5, *, generator: Any = None) -> Tensor:
    rng = _rng(generator)
    if isinstance(p, Tensor):
        probabilities = np.broadcast_to(p._data, self._data.shape)
        if np.any((probabilities < 0) | (probabilities > 1)):
            raise RuntimeError("Expected p_in >= 0 && p_in <= 1 to be true, but got false.")
        return _fill_with(self, "bernoulli_tensor_", rng.random(self._data.shape) < probabilities)
    if not 0 <= p <= 1:
        raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={p}")
    return _fill_with(self, "bernoulli_", rng.random(self._data.shape) < p)


def exponential_(self: Tensor, lambd: float = 1.0, *, generator: Any = None) -> Tensor:
    if self._data.dtype.kind != "f":
        raise RuntimeError(
            "Exponential distribution is a continuous probability distribution. dtype must be a floating point "
            f"but you specified {_dtype.scalar_type_name(self._data.dtype)}"
        )
    if lambd <= 0:
        raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={lambd}")
    return _fill_with(self, "exponential_", _rng(generator).exponential(1.0 / lambd, self._data.shape))


def random_(self: Tensor, from_: int | None = None, to: int | None = None, *, generator: Any = None) -> Tensor:
    """Integers drawn uniformly from [from, to - 1]; ``random_(to)`` draws from [0, to - 1];
    ``random_()`` from [0, 2**mantissa] for floating tensors (every integer exactly
    representable), [0, max] for integer ones."""
    if to is None and from_ is not None:
        from_, to = 0, from_
    from_ = 0 if from_ is None else from_
    if to is None:
        dtype = self._data.dtype
        to = 2 ** (np.finfo(dtype).nmant + 1) + 1 if dtype.kind == "f" else int(np.iinfo(dtype).max)
        to = 2 if dtype.kind == "b" else to
    if from_ >= to:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={from_} >= to={to}")
    return _fill_with(self, "random_", _rng(generator).integers(from_, to, self._data.shape))


def cauchy_(self: Tensor, median: float = 0.0, sigma: float = 1.0, *, generator: Any = None) -> Tensor:
    _floating_only(self, "cauchy_cpu")
    return _fill_with(self, "cauchy_", median + sigma * _rng(generator).standard_cauchy(self._data.shape))


def log_normal_(self: Tensor, mean: float = 1.0, std: float = 2.0, *, generator: Any = None) -> Tensor:
    _floating_only(self, "log_normal_cpu")
    return _fill_with(self, "log_normal_", _rng(generator).lognormal(mean, std, self._data.shape))


def geometric_(self: Tensor, p: float, *, generator: Any = None) -> Tensor:
    if not 0 < p < 1:
        raise RuntimeError(f"geometric_ expects p to be in (0, 1), but got p={p}")
    return _fill_with(self, "geometric_", _rng(generator).geometric(p, self._data.shape))


METHODS: dict[str, Any] = {name + "_": _derived(name) for name in DERIVED}
METHODS.update(
    uniform_=uniform_,
    normal_=normal_,
    bernoulli_=bernoulli_,
    exponential_=exponential_,
    random_=random_,
    cauchy_=cauchy_,
    log_normal_=log_normal_,
    geometric_=geometric_,
)
for _name, _method in METHODS.items():
    setattr(Tensor, _name, _method)
