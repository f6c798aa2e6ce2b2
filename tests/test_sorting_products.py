"""Sorting, comparison, products, arranging and counting ops, and the dtype helpers: what
the op database does not reach. Ties and NaN (against PyTorch), nodes that raise in backward,
random draws through bibun's generator, finfo/iinfo and the promotion helpers for every
dtype, warnings, and bad input (PyTorch's exception type and key phrase, nothing changed)."""

from __future__ import annotations

import itertools
import math
import re
import warnings

import numpy as np
import pytest

import bibun

torch = pytest.importorskip("torch", reason="these checks compare with PyTorch (pip install torch==2.13.0)")

DTYPES = [
    "bool",
    "uint8",
    "int8",
    "int16",
    "int32",
    "int64",
    "float16",
    "float32",
    "float64",
    "complex64",
    "complex128",
]


def _both(values: object, **kwargs: object) -> tuple:
    return bibun.tensor(values, **kwargs), torch.tensor(values, **kwargs)


def _same(ours: object, theirs: object) -> None:
    items_ours = list(ours) if isinstance(ours, tuple) else [ours]
    items_theirs = list(theirs) if isinstance(theirs, tuple) else [theirs]
    assert len(items_ours) == len(items_theirs)
    for a, b in zip(items_ours, items_theirs):
        assert str(a.dtype).split(".")[1] == str(b.dtype).split(".")[1]
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())


# --- ties and NaN --------------------------------------------------------------------------------
TIE_ROWS = [
    [5.0, 5, 1, 1],
    [1.0, 1, 5, 5],
    [2.0, 1, 2, 1, 2],
    [1.0, 1, 1, 1],
    [3.0, 2, 2, 3],
    [0.0, 1, 0, 1, 0, 1],
    [4.0, 4, 4, 4, 4, 1, 1, 1],
    [1.0, float("nan"), 2, float("nan")],
]


@pytest.mark.parametrize("row", TIE_ROWS)
def test_median_dim_picks_pytorchs_index_among_ties(row: list) -> None:
    ours, theirs = _both(row, requires_grad=True)
    result_ours, result_theirs = bibun.median(ours, 0), torch.median(theirs, 0)
    _same(tuple(result_ours), tuple(result_theirs))
    result_ours.values.backward()
    result_theirs.values.backward()
    np.testing.assert_array_equal(ours.grad.numpy(), theirs.grad.numpy())


@pytest.mark.parametrize("row", TIE_ROWS)
def test_median_all_shares_the_gradient_among_ties(row: list) -> None:
    ours, theirs = _both(row, requires_grad=True)
    out_ours, out_theirs = ours.median(), theirs.median()
    np.testing.assert_array_equal(out_ours.detach().numpy(), out_theirs.detach().numpy())
    out_ours.backward()
    out_theirs.backward()
    np.testing.assert_array_equal(ours.grad.numpy(), theirs.grad.numpy())


@pytest.mark.parametrize("descending", [False, True])
def test_sort_is_stable_and_puts_nan_where_pytorch_does(descending: bool) -> None:
    values = [3.0, float("nan"), 1, 3, -float("inf"), 1, float("nan"), 3]
    ours, theirs = _both(values)
    _same(tuple(bibun.sort(ours, descending=descending)), tuple(torch.sort(theirs, descending=descending)))
    ints_ours, ints_theirs = _both([2, 1, 2, 1, 2, 0])
    _same(ints_ours.sort(descending=descending), ints_theirs.sort(descending=descending))
    _same(ints_ours.argsort(descending=descending), ints_theirs.argsort(descending=descending))
    bools = _both([True, False, True])
    _same(tuple(bools[0].sort(descending=descending)), tuple(bools[1].sort(descending=descending)))


def test_sort_gradient_follows_the_permutation() -> None:
    x = bibun.tensor([[0.3, -1.0, 2.0], [5.0, 4.0, -3.0]], requires_grad=True)
    values, indices = x.sort(dim=1)
    (values * bibun.tensor([1.0, 10.0, 100.0])).sum().backward()
    assert x.grad.tolist() == [[10.0, 1.0, 100.0], [100.0, 10.0, 1.0]]
    assert indices.tolist() == [[1, 0, 2], [2, 1, 0]]


def test_median_of_empty_and_integer_tensors() -> None:
    assert math.isnan(bibun.median(bibun.ones(0)).item())
    assert bibun.median(bibun.tensor([3, 1, 2])).item() == 2
    assert bibun.tensor([4, 1, 3, 2]).median().dtype == bibun.int64


# --- nodes that exist but have no derivative ----------------------------------------------------
def test_unique_records_a_node_whose_backward_raises() -> None:
    x = bibun.tensor([3.0, 1, 3], requires_grad=True)
    u = bibun.unique(x)
    assert type(u.grad_fn).__name__ == "Unique2Backward0"
    with pytest.raises(NotImplementedError, match="the derivative for '_unique2' is not implemented."):
        u.sum().backward()
    v, inverse = bibun.unique(x.reshape(3, 1), dim=0, return_inverse=True)
    assert type(v.grad_fn).__name__ == "UniqueDimBackward0" and inverse.grad_fn is None
    with pytest.raises(NotImplementedError, match="the derivative for 'unique_dim' is not implemented."):
        v.sum().backward()


def test_heaviside_backward_raises_and_bernoulli_has_zero_gradient() -> None:
    x = bibun.tensor([-1.0, 0.0, 2.0], requires_grad=True)
    h = bibun.heaviside(x, bibun.tensor(0.5))
    assert type(h.grad_fn).__name__ == "NotImplemented"
    assert h.tolist() == [0.0, 0.5, 1.0]
    with pytest.raises(RuntimeError, match="derivative for aten::heaviside is not implemented"):
        h.sum().backward()
    p = bibun.tensor([0.0, 1.0, 0.25], requires_grad=True)
    b = bibun.bernoulli(p)
    assert type(b.grad_fn).__name__ == "BernoulliBackward0"
    b.sum().backward()
    assert p.grad.tolist() == [0.0, 0.0, 0.0]
    assert type(bibun.bernoulli(p, 0.5).grad_fn).__name__ == "NotImplemented"


def test_dist_with_p0_has_zero_gradient() -> None:
    # PyTorch 2.13's backward fails here; bibun gives the derivative of a step count: zero.
    a = bibun.tensor([1.0, 2.0, 3.0], requires_grad=True)
    d = bibun.dist(a, bibun.tensor([1.0, 0.0, 0.0]), 0)
    assert d.item() == 2.0
    d.backward()
    assert a.grad.tolist() == [0.0, 0.0, 0.0]


def test_cdist_of_coincident_points_on_the_matrix_product_path() -> None:
    rng = np.random.default_rng(0)
    points = rng.standard_normal((30, 3))
    ours = bibun.tensor(points, requires_grad=True)
    theirs = torch.tensor(points, requires_grad=True)
    out_ours, out_theirs = bibun.cdist(ours, ours), torch.cdist(theirs, theirs)
    assert type(out_ours.grad_fn).__name__ == type(out_theirs.grad_fn).__name__ == "ViewBackward0"
    np.testing.assert_allclose(out_ours.detach().numpy(), out_theirs.detach().numpy(), atol=1e-7)
    out_ours.sum().backward()
    out_theirs.sum().backward()
    # On the diagonal the distance is the square root of rounding noise (clamped at 1e-30), so
    # its gradient is noise in both libraries; off the diagonal the formula is exact.
    assert np.all(np.isfinite(ours.grad.numpy()))
    off = ~np.eye(30, dtype=bool)
    np.testing.assert_allclose(out_ours.detach().numpy()[off], out_theirs.detach().numpy()[off], rtol=1e-7)


# --- random draws ------------------------------------------------------------------------------
def test_random_draws_follow_the_generator() -> None:
    probs = bibun.tensor([[0.1, 0.0, 0.6, 0.3], [1.0, 1.0, 1.0, 1.0]])
    bibun.manual_seed(7)
    first = (bibun.multinomial(probs, 3), bibun.bernoulli(bibun.full((50,), 0.5)))
    bibun.manual_seed(7)
    second = (probs.multinomial(3), bibun.full((50,), 0.5).bernoulli())
    for a, b in zip(first, second):
        assert a.tolist() == b.tolist()
    g1, g2 = bibun.Generator().manual_seed(3), bibun.Generator().manual_seed(3)
    assert bibun.multinomial(probs, 4, generator=g1).tolist() == bibun.multinomial(probs, 4, generator=g2).tolist()
    p = bibun.rand(20)
    assert bibun.bernoulli(p, generator=g1).tolist() == bibun.bernoulli(p, generator=g2).tolist()


def test_multinomial_draws_in_proportion_and_without_repeats() -> None:
    bibun.manual_seed(0)
    probs = bibun.tensor([0.1, 0.0, 0.6, 0.3])
    draws = bibun.multinomial(probs, 20000, replacement=True)
    frequencies = np.bincount(draws.numpy(), minlength=4) / 20000
    np.testing.assert_allclose(frequencies, [0.1, 0.0, 0.6, 0.3], atol=0.015)
    for _ in range(20):
        picked = bibun.multinomial(probs, 3).tolist()
        assert sorted(picked) == [0, 2, 3]  # the zero-weight category never comes before the others
    assert sorted(bibun.multinomial(probs, 4).tolist()) == [0, 1, 2, 3]
    firsts = [bibun.multinomial(probs, 1).item() for _ in range(3000)]
    assert abs(firsts.count(2) / 3000 - 0.6) < 0.04
    bernoulli = bibun.bernoulli(bibun.full((20000,), 0.25, dtype=bibun.float64))
    assert bernoulli.dtype == bibun.float64 and abs(bernoulli.mean().item() - 0.25) < 0.015


# --- dtype helpers -----------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["float16", "float32", "float64", "complex64", "complex128", None])
def test_finfo_matches_pytorch(name: str | None) -> None:
    ours = bibun.finfo(getattr(bibun, name)) if name else bibun.finfo()
    theirs = torch.finfo(getattr(torch, name)) if name else torch.finfo()
    for attribute in ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution", "dtype"):
        assert getattr(ours, attribute) == getattr(theirs, attribute), attribute
        assert type(getattr(ours, attribute)) is type(getattr(theirs, attribute)), attribute
    assert repr(ours) == repr(theirs)
    assert ours == bibun.finfo(getattr(bibun, ours.dtype))


@pytest.mark.parametrize("name", ["uint8", "int8", "int16", "int32", "int64"])
def test_iinfo_matches_pytorch(name: str) -> None:
    ours, theirs = bibun.iinfo(getattr(bibun, name)), torch.iinfo(getattr(torch, name))
    for attribute in ("bits", "max", "min", "dtype"):
        assert getattr(ours, attribute) == getattr(theirs, attribute)
    assert repr(ours) == repr(theirs)


def test_dtype_info_errors() -> None:
    with pytest.raises(TypeError, match=r"bibun.finfo\(\) requires a floating point input type"):
        bibun.finfo(bibun.int32)
    with pytest.raises(TypeError, match=r"bibun.iinfo\(\) requires an integer input type"):
        bibun.iinfo(bibun.float32)
    with pytest.raises(TypeError, match="bibun.bool is not supported by bibun.iinfo"):
        bibun.iinfo(bibun.bool)


@pytest.mark.parametrize("a,b", list(itertools.product(DTYPES, DTYPES)))
def test_promote_types_and_can_cast_match_pytorch(a: str, b: str) -> None:
    ours = bibun.promote_types(getattr(bibun, a), getattr(bibun, b))
    assert repr(ours).split(".")[1] == str(torch.promote_types(getattr(torch, a), getattr(torch, b))).split(".")[1]
    assert bibun.can_cast(getattr(bibun, a), getattr(bibun, b)) == torch.can_cast(getattr(torch, a), getattr(torch, b))


RESULT_TYPE_CASES = [
    (lambda m: m.tensor([1, 2]), 2.5),
    (lambda m: m.tensor([1, 2]), 2),
    (lambda m: m.tensor([1.0], dtype=m.float16), 2.5),
    (lambda m: m.tensor([1, 2], dtype=m.int32), True),
    (lambda m: m.tensor([True]), 3),
    (lambda m: m.tensor([1.0]), 1j),
    (lambda m: m.tensor([1], dtype=m.uint8), lambda m: m.tensor(-1, dtype=m.int8)),
    (lambda m: m.tensor([1], dtype=m.int32), lambda m: m.tensor(1.0, dtype=m.float64)),
    (lambda m: m.tensor([1.0]), lambda m: m.tensor([1.0], dtype=m.float64)),
    (lambda m: m.tensor(1.0), lambda m: m.tensor(1, dtype=m.int64)),
    (2, 2.5),
    (True, 2),
]


@pytest.mark.parametrize("first,second", RESULT_TYPE_CASES)
def test_result_type_matches_pytorch(first: object, second: object) -> None:
    def build(m: object, value: object) -> object:
        return value(m) if callable(value) else value

    ours = bibun.result_type(build(bibun, first), build(bibun, second))
    theirs = torch.result_type(build(torch, first), build(torch, second))
    assert repr(ours).split(".")[1] == str(theirs).split(".")[1]


def test_is_complex() -> None:
    assert bibun.is_complex(bibun.tensor([1j])) and not bibun.is_complex(bibun.tensor([1.0]))
    with pytest.raises(TypeError, match=r"is_complex\(\): argument 'input' \(position 1\) must be Tensor, not float"):
        bibun.is_complex(1.0)


# --- identity, warnings and printing -------------------------------------------------------------
def test_results_that_are_their_input_and_warnings() -> None:
    x = bibun.ones(2, 3, requires_grad=True)
    v = bibun.ones(3)
    a, b = bibun.broadcast_tensors(x, v)
    assert a is x and tuple(b.shape) == (2, 3) and b.grad_fn is None
    assert bibun.atleast_1d(x) is x and bibun.atleast_2d(x) is x and bibun.atleast_1d() == ()
    with pytest.warns(UserWarning, match="it will be required to pass the indexing argument"):
        grids = bibun.meshgrid(bibun.arange(2), bibun.arange(3))
    assert [tuple(g.shape) for g in grids] == [(2, 3), (2, 3)]
    with pytest.warns(UserWarning, match="Using bibun.cross without specifying the dim arg is deprecated"):
        c = bibun.cross(bibun.eye(3), bibun.ones(3, 3))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert c.tolist() == bibun.cross(bibun.eye(3), bibun.ones(3, 3), dim=0).tolist()


def test_named_results_print_like_pytorchs() -> None:
    x = bibun.tensor([3.0, 1.0, 2.0])
    assert repr(x.sort()) == "bibun.return_types.sort(\nvalues=tensor([1., 2., 3.]),\nindices=tensor([1, 2, 0]))"
    assert repr(x.topk(1)) == "bibun.return_types.topk(\nvalues=tensor([3.]),\nindices=tensor([0]))"
    assert repr(x.median(0)) == "bibun.return_types.median(\nvalues=tensor(2.),\nindices=tensor(2))"
    values, indices = bibun.median(x, 0)
    assert values.item() == 2.0 and indices.item() == 2 and type(x.sort()).__name__ == "sort"


def test_bitwise_operators_on_integers_and_bools() -> None:
    a, b = bibun.tensor([12, 10, -3]), bibun.tensor([10, 6, 5], dtype=bibun.int32)
    assert (a & b).tolist() == [8, 2, 5] and (a | 3).tolist() == [15, 11, -1] and (3 ^ a).tolist() == [15, 9, -2]
    assert (~a).tolist() == [-13, -11, 2] and (~bibun.tensor([True, False])).tolist() == [False, True]
    mask = bibun.tensor([True, False]) & bibun.tensor([True, True])
    assert mask.dtype == bibun.bool and mask.tolist() == [True, False]


# --- bad input: PyTorch's exception and key phrase; the inputs are unchanged --------------------
def _bad(m: object) -> dict:
    f = m.tensor([[1.0, 2.0], [3.0, 4.0]])
    return {
        "sort dim": lambda: m.sort(f, dim=2),
        "topk k": lambda: m.topk(f, 3),
        "topk negative": lambda: m.topk(f, -1),
        "median empty dim": lambda: m.median(m.ones(0, 2), 0),
        "unique dim": lambda: m.unique(f, dim=3),
        "searchsorted shapes": lambda: m.searchsorted(m.tensor([[1, 3, 5], [2, 4, 6]]), m.tensor([3])),
        "searchsorted side": lambda: m.searchsorted(m.tensor([1, 2]), m.tensor([1]), side="left", right=True),
        "bucketize boundaries": lambda: m.bucketize(m.tensor([1]), m.tensor([[1, 2]])),
        "isclose dtypes": lambda: m.isclose(f, f.double()),
        "isclose ints floats": lambda: m.isclose(m.tensor([1, 2]), m.tensor([1.0, 3])),
        "isclose shapes": lambda: m.isclose(m.tensor([1.0, 2]), m.tensor([1.0, 3, 4])),
        "isclose rtol": lambda: m.isclose(f, f, rtol=-1),
        "isclose number": lambda: m.isclose(f, 1.0),
        "heaviside dtypes": lambda: m.heaviside(f, m.tensor([0.5], dtype=m.float64)),
        "heaviside number": lambda: m.heaviside(f, 0.5),
        "bitwise float": lambda: m.bitwise_and(f, f),
        "bitwise float scalar": lambda: m.bitwise_or(m.tensor([1]), 1.5),
        "bitwise_not float": lambda: m.bitwise_not(f),
        "invert float": lambda: ~f,
        "and float": lambda: f & f,
        "clamp_min none": lambda: m.clamp_min(f, None),
        "cross length": lambda: m.linalg.cross(m.ones(3, 2), m.ones(3, 2)),
        "cross ranks": lambda: m.linalg.cross(m.ones(3), m.ones(4, 3)),
        "cross dtypes": lambda: m.linalg.cross(m.ones(3), m.ones(3, dtype=m.int64)),
        "cross broadcast": lambda: m.linalg.cross(m.ones(4, 3), m.ones(2, 3)),
        "addmv sizes": lambda: m.addmv(m.ones(3), m.ones(2, 3), m.ones(3)),
        "addmv ranks": lambda: m.addmv(m.ones(2), m.ones(2, 3), m.ones(3, 1)),
        "addmv dtypes": lambda: m.addmv(m.ones(2), m.ones(2, 3), m.ones(3, dtype=m.float64)),
        "baddbmm batch2": lambda: m.baddbmm(m.ones(2, 3, 4), m.ones(2, 3, 5), m.ones(3, 5, 4)),
        "baddbmm input": lambda: m.baddbmm(m.ones(5), m.ones(2, 3, 5), m.ones(2, 5, 4)),
        "baddbmm dtypes": lambda: m.baddbmm(m.ones(2, 3, 4), m.ones(2, 3, 5), m.ones(2, 5, 4, dtype=m.float64)),
        "dist ints": lambda: m.dist(m.tensor([1, 2]), m.tensor([1, 2])),
        "cdist 1-d": lambda: m.cdist(m.ones(3), m.ones(3)),
        "cdist columns": lambda: m.cdist(m.ones(3, 4), m.ones(3, 5)),
        "cdist p": lambda: m.cdist(m.ones(3, 4), m.ones(3, 4), p=-1),
        "cdist dtypes": lambda: m.cdist(m.ones(3, 4, dtype=m.float64), m.ones(3, 4)),
        "cdist ints": lambda: m.cdist(m.tensor([[1, 2]]), m.tensor([[1, 2]])),
        "cdist mode": lambda: m.cdist(f, f, compute_mode="foo"),
        "take range": lambda: m.take(f, m.tensor([4])),
        "take float index": lambda: m.take(f, m.tensor([1.0])),
        "diff 0-d": lambda: m.diff(m.tensor(1.0)),
        "diff order": lambda: m.diff(m.tensor([1.0]), n=-1),
        "repeat_interleave sizes": lambda: m.repeat_interleave(f, m.tensor([1, 2, 3]), dim=0),
        "repeat_interleave negative": lambda: m.repeat_interleave(f, m.tensor([1, -2]), dim=0),
        "repeat_interleave negative int": lambda: m.repeat_interleave(f, -1),
        "meshgrid 2-d": lambda: m.meshgrid(f, indexing="ij"),
        "meshgrid indexing": lambda: m.meshgrid(m.tensor([1, 2]), indexing="foo"),
        "meshgrid dtypes": lambda: m.meshgrid(m.tensor([1, 2]), m.tensor([1.0, 2]), indexing="ij"),
        "meshgrid empty": lambda: m.meshgrid(indexing="ij"),
        "column_stack empty": lambda: m.column_stack([]),
        "dstack empty": lambda: m.dstack([]),
        "atleast number": lambda: m.atleast_1d(1.0),
        "broadcast_tensors": lambda: m.broadcast_tensors(m.ones(2), m.ones(3)),
        "broadcast_shapes": lambda: m.broadcast_shapes((2,), (3,)),
        "count_nonzero dims": lambda: m.count_nonzero(f, dim=(0, 0)),
        "bincount negative": lambda: m.bincount(m.tensor([1, -1])),
        "bincount 2-d": lambda: m.bincount(m.tensor([[1]])),
        "bincount float": lambda: m.bincount(f.reshape(-1)),
        "bincount weights": lambda: m.bincount(m.tensor([1, 2]), weights=m.tensor([1.0])),
        "histc ints": lambda: m.histc(m.tensor([1, 2]), bins=3),
        "histc bins": lambda: m.histc(f, bins=0),
        "histc range": lambda: m.histc(f, bins=3, min=3, max=1),
        "histc inf": lambda: m.histc(m.tensor([1.0, float("inf")]), bins=3),
        "multinomial negative": lambda: m.multinomial(m.tensor([1.0, -1]), 1),
        "multinomial zero": lambda: m.multinomial(m.tensor([0.0, 0]), 1),
        "multinomial ints": lambda: m.multinomial(m.tensor([1, 2]), 1),
        "multinomial 3-d": lambda: m.multinomial(m.ones(2, 2, 2), 1),
        "multinomial count": lambda: m.multinomial(f, 0),
        "multinomial inf": lambda: m.multinomial(m.tensor([float("inf"), 1.0]), 1),
        "bernoulli ints": lambda: m.bernoulli(m.tensor([1, 0])),
    }


def _key_phrase(message: str) -> str:
    """The part of PyTorch's message bibun keeps: up to the first line break or C++ detail,
    with PyTorch's own names spelled bibun's way."""
    first = message.split("\n")[0].split(" (Triggered")[0]
    return first.replace("torch.", "bibun.").replace("torch", "bibun")


@pytest.mark.parametrize("case", sorted(_bad(bibun)))
def test_bad_input_raises_as_pytorch(case: str) -> None:
    with pytest.raises(Exception) as theirs:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _bad(torch)[case]()
    with pytest.raises(Exception) as ours:
        _bad(bibun)[case]()
    assert type(ours.value) is type(theirs.value) or isinstance(ours.value, type(theirs.value)), case
    phrase = _key_phrase(str(theirs.value))
    if case in ("atleast number", "clamp_min none"):  # PyTorch lists every overload; bibun keeps the first line
        phrase = phrase.split(" - ")[0]
    if case == "meshgrid 2-d":  # PyTorch prints the C++ tensor type
        phrase = phrase.split(" but got")[0]
    assert re.sub(r"\s+", " ", phrase) in re.sub(r"\s+", " ", str(ours.value)), (case, str(ours.value))


def test_failed_calls_change_nothing() -> None:
    x = bibun.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    before = x.detach().clone()
    for call in (lambda: x.topk(5), lambda: bibun.take(x, bibun.tensor([9])), lambda: bibun.cdist(x, x, p=-1)):
        with pytest.raises((RuntimeError, IndexError)):
            call()
    assert x.grad is None and x.tolist() == before.tolist() and x._version == 0
