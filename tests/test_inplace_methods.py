"""The in-place twins of out-of-place ops (ops/inplace_methods.py), the random fills and
scatter(reduce=...): values against the out-of-place op, gradients and grad_fn names through
a non-leaf and through a view, against PyTorch when it is installed; PyTorch's errors."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import bibun
from bibun.ops.inplace_methods import DERIVED
from conftest import HAVE_TORCH

needs_torch = pytest.mark.skipif(not HAVE_TORCH, reason="PyTorch is not installed: the cross-check needs it")

# name -> (arguments after self, built from the library L and the float64 dtype; the values
# of self). Values chosen inside every op's domain (acosh > 1, atanh and logit in (0, 1)).
_IN_UNIT = [0.2, 0.4, 0.6, 0.7]
_ABOVE_ONE = [1.2, 1.7, 2.5, 3.1]
_MIXED = [-1.3, -0.4, 0.7, 2.2]
ARGS = {
    "absolute": (lambda L: (), _MIXED),
    "acos": (lambda L: (), _IN_UNIT),
    "acosh": (lambda L: (), _ABOVE_ONE),
    "addcdiv": (lambda L: (L.tensor([1.0, 2, 3, 4]), L.tensor([2.0, 3, 5, 7]), {"value": 0.5}), _MIXED),
    "addcmul": (lambda L: (L.tensor([1.0, 2, 3, 4]), L.tensor([2.0, 3, 5, 7]), {"value": 0.5}), _MIXED),
    "addmm": (lambda L: (L.ones(2, 3), L.ones(3, 2), {"beta": 0.5}), None),
    "addmv": (lambda L: (L.ones(4, 3), L.ones(3)), _MIXED),
    "arccos": (lambda L: (), _IN_UNIT),
    "arccosh": (lambda L: (), _ABOVE_ONE),
    "arcsin": (lambda L: (), _IN_UNIT),
    "arcsinh": (lambda L: (), _MIXED),
    "arctan": (lambda L: (), _MIXED),
    "arctan2": (lambda L: (L.tensor([1.0, -2, 3, 0.5]),), _MIXED),
    "arctanh": (lambda L: (), _IN_UNIT),
    "asin": (lambda L: (), _IN_UNIT),
    "asinh": (lambda L: (), _MIXED),
    "atan": (lambda L: (), _MIXED),
    "atan2": (lambda L: (L.tensor([1.0, -2, 3, 0.5]),), _MIXED),
    "atanh": (lambda L: (), _IN_UNIT),
    "baddbmm": (lambda L: (L.ones(1, 2, 3), L.ones(1, 3, 2)), [[[0.3, -0.8], [1.1, 0.4]]]),
    "ceil": (lambda L: (), _MIXED),
    "copysign": (lambda L: (L.tensor([1.0, -2.0, 3.0, -0.5]),), _MIXED),
    "cosh": (lambda L: (), _MIXED),
    "cumprod": (lambda L: (0,), _MIXED),
    "cumsum": (lambda L: (0,), _MIXED),
    "deg2rad": (lambda L: (), _MIXED),
    "digamma": (lambda L: (), _ABOVE_ONE),
    "erf": (lambda L: (), _MIXED),
    "erfc": (lambda L: (), _MIXED),
    "erfinv": (lambda L: (), _IN_UNIT),
    "exp2": (lambda L: (), _MIXED),
    "expm1": (lambda L: (), _MIXED),
    "fix": (lambda L: (), _MIXED),
    "floor": (lambda L: (), _MIXED),
    "floor_divide": (lambda L: (0.7,), _MIXED),
    "fmod": (lambda L: (0.9,), _MIXED),
    "frac": (lambda L: (), _MIXED),
    "heaviside": (lambda L: (L.tensor([0.5, 0.5, 0.5, 0.5]),), _MIXED),
    "hypot": (lambda L: (L.tensor([1.0, -2, 3, 0.5]),), _MIXED),
    "index_add": (lambda L: (0, L.tensor([0, 2]), L.tensor([5.0, 6.0])), _MIXED),
    "index_copy": (lambda L: (0, L.tensor([3, 1]), L.tensor([5.0, 6.0])), _MIXED),
    "index_fill": (lambda L: (0, L.tensor([0, 2]), -1.5), _MIXED),
    "ldexp": (lambda L: (L.tensor([1.0, -1.0, 2.0, 0.0]),), _MIXED),
    "lerp": (lambda L: (L.tensor([1.0, 2, 3, 4]), 0.3), _MIXED),
    "lgamma": (lambda L: (), _ABOVE_ONE),
    "log10": (lambda L: (), _ABOVE_ONE),
    "log1p": (lambda L: (), _IN_UNIT),
    "log2": (lambda L: (), _ABOVE_ONE),
    "logit": (lambda L: (), _IN_UNIT),
    "masked_fill": (lambda L: (L.tensor([True, False, True, False]), 9.0), _MIXED),
    "masked_scatter": (lambda L: (L.tensor([True, False, True, False]), L.tensor([5.0, 6.0, 7.0])), _MIXED),
    "mvlgamma": (lambda L: (2,), _ABOVE_ONE),
    "nan_to_num": (lambda L: (), _MIXED),
    "rad2deg": (lambda L: (), _MIXED),
    "remainder": (lambda L: (0.9,), _MIXED),
    "round": (lambda L: (), _MIXED),
    "rsqrt": (lambda L: (), _ABOVE_ONE),
    "scatter": (lambda L: (0, L.tensor([1, 3]), L.tensor([5.0, 6.0])), _MIXED),
    "scatter_add": (lambda L: (0, L.tensor([1, 1]), L.tensor([5.0, 6.0])), _MIXED),
    "scatter_reduce": (lambda L: (0, L.tensor([1, 1, 3]), L.tensor([5.0, 6.0, 1.0]), "mean"), _MIXED),
    "sgn": (lambda L: (), _MIXED),
    "sign": (lambda L: (), _MIXED),
    "sinh": (lambda L: (), _MIXED),
    "tril": (lambda L: (), None),
    "triu": (lambda L: (), None),
    "trunc": (lambda L: (), _MIXED),
    "xlogy": (lambda L: (L.tensor([1.5, 2, 3, 0.5]),), _ABOVE_ONE),
}
_MATRIX = [[0.3, -0.8], [1.1, 0.4]]
# Integer-only ops: checked apart (no gradient), on int64 values.
INTEGER_ONLY = {"gcd": (12, 18, -8, 0), "lcm": (4, 6, -3, 5)}
FLOAT_OPS = sorted(set(DERIVED) - set(INTEGER_ONLY))
# Ops PyTorch has no derivative for, in place or not: backward raises in both libraries.
NO_DERIVATIVE = {"floor_divide", "heaviside"}
# PyTorch records AcoshBackward1 etc. for these in place, and its backward raises "the
# derivative for 'inplace version of acosh' is not implemented"; bibun differentiates them
# (docs/differences.md).
PYTORCH_HAS_NO_INPLACE_DERIVATIVE = {"acosh", "arccosh", "asinh", "arcsinh", "atanh", "arctanh"}


def _split(args: tuple) -> tuple[tuple, dict]:
    if args and isinstance(args[-1], dict):
        return args[:-1], args[-1]
    return args, {}


def _values(name: str) -> list:
    values = ARGS[name][1]
    return values if values is not None else _MATRIX


def _run(L, name: str, through_view: bool = False):  # noqa: N803 - L is the library, as in the tables
    """y = leaf * 1.5 (a non-leaf), written in place, then a weighted sum backward: the new
    value, its grad_fn name and the leaf's gradient. ``through_view``: the write goes
    through ``y[:]``, so the base is rebased onto a CopySlices node."""
    leaf = L.tensor(_values(name), dtype=L.float64, requires_grad=True)
    y = leaf * 1.5
    args, kwargs = _split(ARGS[name][0](L))
    args = tuple(a.double() if isinstance(a, L.Tensor) and a.is_floating_point() else a for a in args)
    target = y[:] if through_view else y
    returned = getattr(target, name + "_")(*args, **kwargs)
    assert returned is target
    weights = L.arange(1.0, y.numel() + 1, dtype=L.float64).reshape(y.shape)
    (y * weights).sum().backward()
    grad_fn = y.grad_fn.name() if y.grad_fn is not None else None
    grad = leaf.grad
    if getattr(grad, "_is_zerotensor", lambda: False)():  # PyTorch's sgn_ hands back a ZeroTensor
        grad = L.zeros_like(leaf)
    return y.detach().numpy().copy(), grad_fn, grad.numpy().copy()


def test_every_listed_method_has_a_case_and_an_out_of_place_op():
    assert sorted([*ARGS, *INTEGER_ONLY]) == sorted(DERIVED)
    for name in DERIVED:
        assert callable(getattr(bibun.Tensor, name)), name
        assert getattr(bibun.Tensor, name + "_").__name__ == name + "_"


@pytest.mark.parametrize("name", sorted(INTEGER_ONLY))
def test_integer_inplace(name):
    x = bibun.tensor(INTEGER_ONLY[name])
    other = bibun.tensor([8, 12, 6, 7])
    expected = getattr(x, name)(other).numpy()
    getattr(x, name + "_")(other)
    np.testing.assert_array_equal(x.numpy(), expected)
    if HAVE_TORCH:
        import torch

        t = torch.tensor(INTEGER_ONLY[name])
        getattr(t, name + "_")(torch.tensor([8, 12, 6, 7]))
        np.testing.assert_array_equal(x.numpy(), t.numpy())


@pytest.mark.parametrize("name", FLOAT_OPS)
def test_inplace_equals_out_of_place(name):
    x = bibun.tensor(_values(name), dtype=bibun.float64)
    args, kwargs = _split(ARGS[name][0](bibun))
    args = tuple(a.double() if isinstance(a, bibun.Tensor) and a.is_floating_point() else a for a in args)
    expected = getattr(x, name)(*args, **kwargs).numpy()
    version = x._version
    getattr(x, name + "_")(*args, **kwargs)
    np.testing.assert_array_equal(x.numpy(), expected)
    assert x._version == version + 1


@pytest.mark.parametrize("name", sorted(NO_DERIVATIVE))
def test_no_derivative_in_place_either(name):
    with pytest.raises(RuntimeError, match=f"derivative for aten::{name} is not implemented"):
        _run(bibun, name)


@pytest.mark.parametrize("name", sorted(set(FLOAT_OPS) - NO_DERIVATIVE))
def test_recorded_write_differentiates_like_the_out_of_place_op(name):
    value, grad_fn, grad = _run(bibun, name)
    leaf = bibun.tensor(_values(name), dtype=bibun.float64, requires_grad=True)
    args, kwargs = _split(ARGS[name][0](bibun))
    args = tuple(a.double() if isinstance(a, bibun.Tensor) and a.is_floating_point() else a for a in args)
    out = getattr(leaf * 1.5, name)(*args, **kwargs)
    (out * bibun.arange(1.0, out.numel() + 1, dtype=bibun.float64).reshape(out.shape)).sum().backward()
    np.testing.assert_array_equal(value, out.detach().numpy())
    assert grad_fn == out.grad_fn.name()
    np.testing.assert_allclose(grad, leaf.grad.numpy(), rtol=1e-12)


@needs_torch
@pytest.mark.parametrize("through_view", [False, True], ids=["plain", "through a view"])
@pytest.mark.parametrize("name", sorted(set(FLOAT_OPS) - NO_DERIVATIVE - PYTORCH_HAS_NO_INPLACE_DERIVATIVE))
def test_against_pytorch(name, through_view):
    import torch

    value, grad_fn, grad = _run(bibun, name, through_view)
    t_value, t_grad_fn, t_grad = _run(torch, name, through_view)
    np.testing.assert_allclose(value, t_value, rtol=1e-12, atol=1e-15)
    # PyTorch's C++-only node is named in its namespace; bibun's in its own.
    assert grad_fn == t_grad_fn.replace("torch::", "bibun::")
    np.testing.assert_allclose(grad, t_grad, rtol=1e-10, atol=1e-12)


@needs_torch
@pytest.mark.parametrize("name", sorted(NO_DERIVATIVE | PYTORCH_HAS_NO_INPLACE_DERIVATIVE))
def test_where_pytorch_has_no_derivative(name):
    import torch

    error = RuntimeError if name in NO_DERIVATIVE else NotImplementedError
    with pytest.raises(error, match="derivative for .* not implemented"):
        _run(torch, name)


def test_a_leaf_that_requires_grad_refuses_and_keeps_its_value():
    leaf = bibun.tensor([0.5, 1.5], requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place"):
        leaf.sinh_()
    np.testing.assert_array_equal(leaf.detach().numpy(), np.array([0.5, 1.5], np.float32))


def test_a_write_to_a_saved_input_is_caught_in_backward():
    leaf = bibun.tensor([0.5, 1.5], requires_grad=True)
    y = leaf * 1.0
    z = y.sin()  # saves y
    y.floor_()
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.sum().backward()


def test_an_integer_tensor_refuses_a_floating_result():
    x = bibun.tensor([1, 2, 3])
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired output type Long"):
        x.expm1_()
    np.testing.assert_array_equal(x.numpy(), [1, 2, 3])


def test_optimizer_style_updates():
    """The moment updates of a hand-written Adam step, under no_grad, in place."""
    grad = bibun.tensor([0.1, -0.2, 0.3])
    exp_avg, exp_avg_sq, param = bibun.zeros(3), bibun.zeros(3), bibun.ones(3)
    with bibun.no_grad():
        exp_avg.lerp_(grad, 0.1)
        exp_avg_sq.mul_(0.999).addcmul_(grad, grad, value=0.001)
        param.addcdiv_(exp_avg, exp_avg_sq.sqrt().add_(1e-8), value=-0.01)
    g = grad.numpy().astype(np.float64)
    m, v = 0.1 * g, 0.001 * g * g
    np.testing.assert_allclose(param.numpy(), 1 - 0.01 * m / (np.sqrt(v) + 1e-8), rtol=1e-5)


# --- random fills -------------------------------------------------------------------------------
RANDOM = {
    "uniform_": ((-2.0, 3.0), "UniformBackward0"),
    "normal_": ((1.0, 0.5), "NormalBackward0"),
    "bernoulli_": ((0.3,), "BernoulliBackward2"),
    "exponential_": ((2.0,), "ExponentialBackward0"),
    "random_": ((2, 7), "RandomBackward0"),
    "cauchy_": ((0.0, 1.0), "CauchyBackward0"),
    "log_normal_": ((0.0, 0.25), "LogNormalBackward0"),
    "geometric_": ((0.4,), "GeometricBackward0"),
}


def test_random_fills_draw_from_their_distributions():
    bibun.manual_seed(0)
    n = 200_000
    u = bibun.empty(n).uniform_(-2.0, 3.0).numpy()
    assert u.min() >= -2.0 and u.max() < 3.0 and abs(u.mean() - 0.5) < 0.02
    z = bibun.empty(n, dtype=bibun.float64).normal_(1.0, 0.5).numpy()
    assert abs(z.mean() - 1.0) < 0.01 and abs(z.std() - 0.5) < 0.01
    b = bibun.empty(n).bernoulli_(0.3).numpy()
    assert set(np.unique(b)) == {0.0, 1.0} and abs(b.mean() - 0.3) < 0.01
    p = bibun.full((n,), 0.8)
    assert abs(bibun.empty(n).bernoulli_(p).numpy().mean() - 0.8) < 0.01
    e = bibun.empty(n).exponential_(2.0).numpy()
    assert e.min() >= 0 and abs(e.mean() - 0.5) < 0.01
    r = bibun.empty(n).random_(2, 7).numpy()
    assert set(np.unique(r)) == {2.0, 3.0, 4.0, 5.0, 6.0}
    assert set(np.unique(bibun.zeros(n, dtype=bibun.int64).random_(3).numpy())) == {0, 1, 2}
    c = bibun.empty(n).cauchy_(0.0, 1.0).numpy()
    assert abs(np.median(c)) < 0.02
    ln = bibun.empty(n).log_normal_(0.0, 0.25).numpy()
    assert ln.min() > 0 and abs(np.log(ln).mean()) < 0.01
    g = bibun.empty(n).geometric_(0.4).numpy()
    assert g.min() >= 1 and abs(g.mean() - 2.5) < 0.05


def test_random_fills_follow_the_seed():
    bibun.manual_seed(7)
    first = bibun.empty(5).normal_().numpy().copy()
    bibun.manual_seed(7)
    np.testing.assert_array_equal(bibun.empty(5).normal_().numpy(), first)
    gen = bibun.Generator().manual_seed(3)
    a = bibun.empty(5).uniform_(generator=gen).numpy().copy()
    gen.manual_seed(3)
    np.testing.assert_array_equal(bibun.empty(5).uniform_(generator=gen).numpy(), a)


@pytest.mark.parametrize("name", sorted(RANDOM))
def test_random_fill_records_a_zero_gradient(name):
    args, grad_fn = RANDOM[name]
    leaf = bibun.ones(4, requires_grad=True)
    y = leaf * 2
    getattr(y, name)(*args)
    assert y.grad_fn.name() == grad_fn
    (y * 3).sum().backward()
    np.testing.assert_array_equal(leaf.grad.numpy(), np.zeros(4, np.float32))


@needs_torch
@pytest.mark.parametrize("name", sorted(RANDOM))
def test_random_fill_grad_fn_names_match_pytorch(name):
    import torch

    args, grad_fn = RANDOM[name]
    y = torch.ones(4, requires_grad=True) * 2
    getattr(y, name)(*args)
    assert y.grad_fn.name() == grad_fn
    y = torch.ones(4, requires_grad=True) * 2
    y.bernoulli_(torch.full((4,), 0.5))
    assert y.grad_fn.name() == "BernoulliBackward1" == _bernoulli_tensor_name()


def _bernoulli_tensor_name() -> str:
    y = bibun.ones(4, requires_grad=True) * 2
    y.bernoulli_(bibun.full((4,), 0.5))
    return y.grad_fn.name()


RANDOM_ERRORS = [
    (lambda L: L.ones(3, dtype=L.int64).uniform_(), NotImplementedError, "not implemented for 'Long'"),
    (lambda L: L.ones(3, dtype=L.int64).normal_(), NotImplementedError, "not implemented for 'Long'"),
    (lambda L: L.ones(3, dtype=L.int64).exponential_(), RuntimeError, "dtype must be a floating point"),
    (lambda L: L.ones(3).uniform_(2.0, 1.0), RuntimeError, r"uniform_ expects to return a \[from, to\) range"),
    (lambda L: L.ones(3).normal_(0.0, -1.0), RuntimeError, "normal expects std >= 0.0"),
    (lambda L: L.ones(3).random_(5, 2), RuntimeError, "random_ expects 'from' to be less than 'to'"),
]


@pytest.mark.parametrize("case", range(len(RANDOM_ERRORS)))
def test_random_fill_errors(case):
    make, error, phrase = RANDOM_ERRORS[case]
    with pytest.raises(error, match=phrase):
        make(bibun)
    if HAVE_TORCH:
        import torch

        with pytest.raises(error, match=phrase):
            make(torch)


def test_random_fill_of_a_leaf_that_requires_grad_is_refused():
    leaf = bibun.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        leaf.uniform_()
    with bibun.no_grad():  # initialisation, as nn.init does it
        leaf.uniform_(-1.0, 1.0)
    assert leaf.requires_grad and leaf.grad_fn is None and np.all(np.abs(leaf.detach().numpy()) <= 1)


# --- scatter(reduce=...) ------------------------------------------------------------------------
def _scatter_cases(L):  # noqa: N803
    index = L.tensor([[0, 1, 2, 0], [0, 0, 1, 2]])
    src = L.arange(1.0, 9.0).reshape(2, 4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        outs = [
            L.ones(3, 4).scatter(0, index, src, reduce="add"),
            L.ones(3, 4).scatter(0, index, src, reduce="multiply"),
            L.ones(3, 4).scatter(0, index, 2.0, reduce="add"),
            L.ones(3, 4).scatter(1, index, 3.0, reduce="multiply"),
            L.ones(3, dtype=L.int64).scatter(0, L.tensor([0, 0]), L.tensor([2, 3]), reduce="multiply"),
        ]
        inplace = L.ones(3, 4)
        inplace.scatter_(0, index, src, reduce="multiply")
    return [o.numpy() for o in [*outs, inplace]]


def test_scatter_reduce_values():
    add, multiply, add_value, multiply_value, integer, inplace = _scatter_cases(bibun)
    np.testing.assert_array_equal(add, [[7, 7, 1, 5], [1, 3, 8, 1], [1, 1, 4, 9]])
    np.testing.assert_array_equal(multiply, [[5, 6, 1, 4], [1, 2, 7, 1], [1, 1, 3, 8]])
    np.testing.assert_array_equal(add_value, [[5, 3, 1, 3], [1, 3, 3, 1], [1, 1, 3, 3]])
    np.testing.assert_array_equal(integer, [6, 1, 1])
    np.testing.assert_array_equal(inplace, multiply)
    assert multiply_value.shape == (3, 4)


@needs_torch
def test_scatter_reduce_matches_pytorch():
    import torch

    for ours, theirs in zip(_scatter_cases(bibun), _scatter_cases(torch)):
        np.testing.assert_array_equal(ours, theirs)


def test_scatter_reduce_has_no_derivative_as_in_pytorch():
    x = bibun.ones(3, 4, requires_grad=True)
    y = x.scatter(0, bibun.tensor([[0, 1, 2, 0]]), 2.0, reduce="add")
    assert y.grad_fn.name() == "NotImplemented"
    with pytest.raises(RuntimeError, match="derivative for aten::scatter is not implemented"):
        y.sum().backward()


def test_scatter_reduce_argument_errors_and_warning():
    x = bibun.ones(3, 4)
    with pytest.raises(RuntimeError, match="reduce argument must be either add or multiply"):
        x.scatter(0, bibun.tensor([[0, 1, 2, 0]]), 1.0, reduce="mean")
    with pytest.warns(UserWarning, match="The reduce argument of torch.scatter with Tensor src is deprecated"):
        x.scatter(0, bibun.tensor([[0, 1, 2, 0]]), bibun.ones(1, 4), reduce="add")
    np.testing.assert_array_equal(x.numpy(), np.ones((3, 4), np.float32))
