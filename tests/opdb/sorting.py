"""Database entries for sorting and order statistics (sort, argsort, topk, median,
searchsorted, bucketize, unique), comparison (isclose, allclose, clamp_min/max, heaviside,
bitwise) and counting (nonzero, count_nonzero, bincount, histc, multinomial, bernoulli).
Random draws are made deterministic (probabilities of 0 and 1), so PyTorch's values match."""

from __future__ import annotations

import numpy as np

from opdb import OpInfo, Sample

S = Sample
VEC = [S(((7,),))]
M34 = [S(((3, 4),)), S(((2, 3, 4),), "3-d")]
ND = dict(differentiable=False)


def _few_values(rng: np.random.Generator, shape: tuple) -> np.ndarray:
    return rng.integers(-2, 3, size=shape).astype(np.float64)


def _ints(m, a, scale=3):  # noqa: ANN001, ANN202 - an int64 tensor made from a float one
    return (a * scale).to(m.int64)


def _one_hot_rows(m, a):  # noqa: ANN001, ANN202 - rows with one weight of 1 (a deterministic draw)
    return (a == a.amax(-1, keepdim=True)).to(a.dtype)


OPS = [
    # sort, argsort, topk
    OpInfo("sort", lambda m, a: m.sort(a), M34 + [S(((),), "0-d")], "SortBackward0", covers=("Tensor.sort",)),
    OpInfo("sort_dim_descending", lambda m, a: a.sort(0, descending=True), M34, "SortBackward0"),
    OpInfo("sort_stable", lambda m, a: m.sort(a, dim=1, stable=True), M34, "SortBackward1"),
    OpInfo("sort_empty", lambda m, a: m.sort(a, 0), [S(((0, 3),), "empty")], "SortBackward0"),
    OpInfo("sort_ties", lambda m, a: m.sort(a, descending=True), [S(((3, 6),))], sampler=_few_values, **ND),
    OpInfo("argsort", lambda m, a: m.argsort(a, 1), M34, covers=("Tensor.argsort",), **ND),
    OpInfo(
        "argsort_ties", lambda m, a: a.argsort(descending=True, stable=True), [S(((4, 6),))], sampler=_few_values, **ND
    ),
    OpInfo("topk", lambda m, a: m.topk(a, 2), M34, "TopkBackward0", covers=("Tensor.topk",)),
    OpInfo("topk_smallest", lambda m, a: a.topk(3, dim=0, largest=False), [S(((4, 3),))], "TopkBackward0"),
    OpInfo("topk_0d", lambda m, a: m.topk(a, 1), [S(((),))], "TopkBackward0"),
    # median
    OpInfo(
        "median",
        lambda m, a: m.median(a),
        VEC + M34 + [S(((6,),), "even")],
        "MedianBackward0",
        covers=("Tensor.median",),
    ),
    OpInfo("median_ties_values", lambda m, a: a.median(), [S(((3, 4),))], sampler=_few_values, **ND),
    OpInfo("median_dim", lambda m, a: m.median(a, 1), M34, "MedianBackward1"),
    OpInfo("median_dim_keepdim", lambda m, a: a.median(-1, keepdim=True), M34, "MedianBackward1"),
    OpInfo("median_dim_0d", lambda m, a: m.median(a, 0), [S(((),))], "MedianBackward1"),
    OpInfo("median_dim_ties", lambda m, a: m.median(a, 0), [S(((6, 5),)), S(((5, 4),))], sampler=_few_values, **ND),
    # searchsorted, bucketize, unique
    OpInfo(
        "searchsorted",
        lambda m, a, b: m.searchsorted(a.sort().values, b),
        [S(((6,), (3, 4))), S(((2, 5), (2, 3)), "batched")],
        covers=("bucketize",),
        **ND,
    ),
    OpInfo(
        "searchsorted_right",
        lambda m, a, b: m.searchsorted(a.sort().values, b, right=True, out_int32=True),
        [S(((6,), (5,)))],
        **ND,
    ),
    OpInfo(
        "searchsorted_side", lambda m, a, b: m.searchsorted(a.sort().values, b, side="right"), [S(((6,), (5,)))], **ND
    ),
    OpInfo(
        "searchsorted_sorter",
        lambda m, a, b: m.searchsorted(a, b, sorter=a.argsort()),
        [S(((6,), (5,)))],
        **ND,
    ),
    OpInfo(
        "bucketize_exact",
        lambda m, a: m.bucketize(a, m.tensor([-1.0, 0.0, 1.0], dtype=a.dtype), right=True),
        [S(((3, 4),))],
        sampler=_few_values,
        **ND,
    ),
    OpInfo("unique", lambda m, a: m.unique(a), [S(((3, 5),))], sampler=_few_values, covers=("Tensor.unique",), **ND),
    OpInfo(
        "unique_all",
        lambda m, a: a.unique(return_inverse=True, return_counts=True),
        [S(((3, 5),)), S(((),), "0-d")],
        sampler=_few_values,
        **ND,
    ),
    OpInfo(
        "unique_dim",
        lambda m, a: m.unique(a, dim=0, return_inverse=True, return_counts=True),
        [S(((5, 2),))],
        sampler=_few_values,
        **ND,
    ),
    OpInfo(
        "unique_int_counts", lambda m, a: m.unique(_ints(m, a), sorted=False, return_counts=True), [S(((9,),))], **ND
    ),
    # isclose, allclose, clamp_min/max, heaviside, bitwise
    OpInfo(
        "isclose",
        lambda m, a, b: m.isclose(a, a + b * 1e-4, rtol=1e-4, atol=1e-5),
        [S(((3, 4), (3, 4))), S(((3, 4), (4,)), "broadcast")],
        covers=("Tensor.isclose",),
        **ND,
    ),
    OpInfo("isclose_ints", lambda m, a, b: m.isclose(_ints(m, a), _ints(m, b), atol=2), [S(((3, 4), (3, 4)))], **ND),
    OpInfo(
        "allclose",
        lambda m, a, b: m.tensor(m.allclose(a, a + b * 1e-9)),
        [S(((3, 4), (3, 4)))],
        covers=("Tensor.allclose",),
        **ND,
    ),
    OpInfo("allclose_false", lambda m, a, b: m.tensor(a.allclose(b)), [S(((3, 4), (3, 4)))], **ND),
    OpInfo("clamp_min", lambda m, a: m.clamp_min(a, 0.25), M34, "ClampMinBackward0", covers=("Tensor.clamp_min",)),
    OpInfo("clamp_max", lambda m, a: a.clamp_max(-0.5), M34, "ClampMaxBackward0", covers=("Tensor.clamp_max",)),
    OpInfo(
        "clamp_min_tensor",
        lambda m, a, b: m.clamp_min(a, b),
        [S(((3, 4), (3, 4))), S(((3, 4), (4,)), "broadcast")],
        "ClampMinBackward1",
    ),
    OpInfo(
        "clamp_max_tensor",
        lambda m, a, b: m.clamp_max(a, b),
        [S(((3, 4), (3, 4))), S(((4,), (3, 4)), "broadcast")],
        "ClampMaxBackward1",
    ),
    OpInfo("clamp_min_int", lambda m, a: m.clamp_min(_ints(m, a), 1.5), M34, **ND),
    OpInfo(
        "heaviside",
        lambda m, a, b: m.heaviside(a, b),
        [S(((3, 4), (4,))), S(((3, 4), ()), "0-d values")],
        sampler=_few_values,
        covers=("Tensor.heaviside",),
        **ND,
    ),
    OpInfo(
        "bitwise",
        lambda m, a, b: (
            m.bitwise_and(_ints(m, a), _ints(m, b)),
            m.bitwise_or(_ints(m, a), 5),
            m.bitwise_xor(_ints(m, a), _ints(m, b)),
            m.bitwise_not(_ints(m, a)),
        ),
        [S(((3, 4), (3, 4))), S(((3, 4), (4,)), "broadcast")],
        covers=("bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_not"),
        **ND,
    ),
    OpInfo(
        "bitwise_operators",
        lambda m, a, b: (_ints(m, a) & _ints(m, b), 6 | _ints(m, a), _ints(m, a) ^ 3, ~(a > 0), ~_ints(m, b)),
        [S(((3, 4), (3, 4)))],
        **ND,
    ),
    OpInfo("bitwise_bool", lambda m, a, b: m.bitwise_xor(a > 0, b > 0), [S(((3, 4), (3, 4)))], **ND),
    # nonzero, count_nonzero, bincount, histc, multinomial, bernoulli
    OpInfo("nonzero", lambda m, a: m.nonzero(a > 0), M34 + [S(((),), "0-d")], covers=("Tensor.nonzero",), **ND),
    OpInfo(
        "nonzero_tuple",
        lambda m, a: a.nonzero(as_tuple=True),
        [S(((3, 4),)), S(((),), "0-d")],
        sampler=_few_values,
        **ND,
    ),
    OpInfo(
        "count_nonzero",
        lambda m, a: m.count_nonzero(a),
        M34,
        sampler=_few_values,
        covers=("Tensor.count_nonzero",),
        **ND,
    ),
    OpInfo("count_nonzero_dims", lambda m, a: a.count_nonzero((0, -1)), [S(((2, 3, 4),))], sampler=_few_values, **ND),
    OpInfo("bincount", lambda m, a: m.bincount(_ints(m, a + 2)), VEC, covers=("Tensor.bincount",), **ND),
    OpInfo("bincount_weights", lambda m, a, b: m.bincount(_ints(m, a + 2), b, minlength=15), [S(((7,), (7,)))], **ND),
    OpInfo("histc", lambda m, a: m.histc(a, bins=7), M34 + [S(((0,),), "empty")], covers=("Tensor.histc",), **ND),
    OpInfo("histc_range", lambda m, a: a.histc(5, min=-1, max=1.5), M34, **ND),
    OpInfo(
        "multinomial",
        lambda m, a: m.multinomial(_one_hot_rows(m, a), 1),
        [S(((3, 4),)), S(((5,),))],
        covers=("Tensor.multinomial",),
        **ND,
    ),
    OpInfo(
        "multinomial_replacement",
        lambda m, a: m.multinomial(_one_hot_rows(m, a), 6, replacement=True),
        [S(((3, 4),))],
        **ND,
    ),
    OpInfo("bernoulli", lambda m, a: m.bernoulli((a > 0).to(a.dtype)), M34, covers=("Tensor.bernoulli",), **ND),
]
