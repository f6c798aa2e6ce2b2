"""Ties and non-smooth points, where a derivative is a convention: each case is checked
against PyTorch's choice (docs/ops.md, "Ties and non-smooth points"), with explicit inputs
that sit exactly on the tie or kink. The expected gradients are also written out for the
cases the PyTorch behaviour page names, so they hold without torch installed."""

from __future__ import annotations

import math

import numpy as np
import pytest

import bibun

INF = math.inf

# (name, fn(lib, *tensors), input arrays, gradients PyTorch gives or None to only compare)
CASES = [
    ("max all ties split evenly", lambda m, x: m.max(x), [[1.0, 3.0, 3.0, 0.0]], [[0, 0.5, 0.5, 0]]),
    ("min all ties split evenly", lambda m, x: x.min(), [[2.0, -1.0, -1.0, -1.0]], [[0, 1 / 3, 1 / 3, 1 / 3]]),
    ("amax ties split evenly", lambda m, x: m.amax(x, 1), [[[2.0, 2.0], [1.0, 0.0]]], [[[0.5, 0.5], [1, 0]]]),
    ("amin dims ties", lambda m, x: m.amin(x, (0, 1)), [[[0.0, 1.0], [0.0, 0.0]]], [[[1 / 3, 0], [1 / 3, 1 / 3]]]),
    ("max(dim) to the returned index", lambda m, x: m.max(x, 1).values, [[[3.0, 3.0], [1.0, 1.0]]], None),
    ("min(dim) to the returned index", lambda m, x: x.min(0)[0], [[[0.0, 2.0], [0.0, 2.0]]], None),
    ("maximum splits 0.5/0.5", lambda m, a, b: m.maximum(a, b), [[1.0, 2.0], [1.0, 3.0]], [[0.5, 0], [0.5, 1]]),
    ("minimum splits 0.5/0.5", lambda m, a, b: m.minimum(a, b), [[1.0, 2.0], [1.0, 3.0]], [[0.5, 1], [0.5, 0]]),
    ("max(a, b) is maximum", lambda m, a, b: m.max(a, b), [[2.0, 0.0], [2.0, 1.0]], [[0.5, 0], [0.5, 1]]),
    ("fmax ties go to the first", lambda m, a, b: m.fmax(a, b), [[1.0, 2.0], [1.0, 3.0]], [[1, 0], [0, 1]]),
    ("fmax with NaN", lambda m, a, b: m.fmax(a, b), [[math.nan, 2.0], [1.0, math.nan]], [[0, 1], [1, 0]]),
    ("fmin ties go to the first", lambda m, a, b: m.fmin(a, b), [[1.0, 2.0], [1.0, 3.0]], [[1, 1], [0, 0]]),
    (
        "scatter_reduce amax ties split evenly (self included)",
        lambda m, x, s: x.scatter_reduce(0, m.tensor([0, 0, 1, 1]), s, "amax"),
        [[3.0, 1.0], [3.0, 2.0, 0.5, 1.0]],
        [[0.5, 0.5], [0.5, 0, 0, 0.5]],
    ),
    (
        "scatter_reduce amin ties split evenly (self left out)",
        lambda m, x, s: x.scatter_reduce(0, m.tensor([0, 0, 0, 1]), s, "amin", include_self=False),
        [[-5.0, 1.0], [2.0, 2.0, 2.0, 4.0]],
        [[0, 0], [1 / 3, 1 / 3, 1 / 3, 1]],
    ),
    (
        "scatter_reduce prod with one zero, two zeros",
        lambda m, x, s: x.scatter_reduce(0, m.tensor([0, 0, 1, 1]), s, "prod"),
        [[2.0, 3.0], [0.0, 5.0, 0.0, 0.0]],
        [[0, 0], [10, 0, 0, 0]],
    ),
    (
        "nanmean of an all-NaN slice: NaN value and NaN gradient there",
        lambda m, x: m.nanmean(x, 0),
        [[[math.nan, 1.0], [math.nan, 3.0]]],
        [[[math.nan, 0.5], [math.nan, 0.5]]],
    ),
    ("nansum ignores NaN", lambda m, x: m.nansum(x), [[math.nan, 1.0, 2.0]], [[0, 1, 1]]),
    ("max() with NaN: the NaN entries share", lambda m, x: x.max(), [[1.0, math.nan, math.nan]], [[0, 0.5, 0.5]]),
    ("min() with NaN: the NaN entry takes it", lambda m, x: m.min(x), [[math.nan, -1.0, 2.0]], [[1, 0, 0]]),
    (
        "amax with NaN: NaN everywhere",
        lambda m, x: m.amax(x, 1),
        [[[1.0, math.nan], [2.0, 3.0]]],
        [[[math.nan, math.nan], [0, 1]]],
    ),
    ("sign(NaN) is 0 with zero gradient", lambda m, x: m.sign(x), [[math.nan, -2.0]], [[0, 0]]),
    (
        "hardswish at -3 and 3: 0 and 1",
        lambda m, x: m.nn.functional.hardswish(x),
        [[-3.0, 3.0, 0.0]],
        [[0, 1, 0.5]],
    ),
    ("relu'(0) = 0", lambda m, x: m.relu(x), [[-1.0, 0.0, 2.0]], [[0, 0, 1]]),
    ("abs'(0) = 0", lambda m, x: m.abs(x), [[-1.0, 0.0, 2.0]], [[-1, 0, 1]]),
    ("sign has zero gradient", lambda m, x: m.sign(x), [[-1.0, 0.0, 2.0]], [[0, 0, 0]]),
    (
        "clamp passes 1 at its bounds",
        lambda m, x: m.clamp(x, -1.0, 1.0),
        [[-1.0, 1.0, 2.0, -3.0, 0.5]],
        [[1, 1, 0, 0, 1]],
    ),
    ("clamp min only at the bound", lambda m, x: x.clamp(min=0.0), [[0.0, -0.5, 0.5]], [[1, 0, 1]]),
    (
        "clamp with tensor bounds",
        lambda m, x, lo, hi: m.clamp(x, lo, hi),
        [[0.0, 1.0, 2.5, 5.0, 0.0, 2.0], [3.0, 1.0, 3.0, 3.0, 2.0, 2.0], [2.0, 3.0, 2.0, 2.0, 2.0, 2.0]],
        [[0, 1, 0, 0, 0, 1], [0, 0, 0, 0, 0, 0], [1, 0, 1, 1, 0, 0]],
    ),
    ("sqrt(0) has an infinite gradient", lambda m, x: m.sqrt(x), [[0.0, 4.0]], [[INF, 0.25]]),
    ("where hides a NaN branch: NaN grads", lambda m, x: m.where(x > 0, m.sqrt(x), 0.0), [[-1.0, 4.0]], None),
    ("vector norm at the zero vector", lambda m, x: m.linalg.vector_norm(x), [[0.0, 0.0, 0.0]], [[0, 0, 0]]),
    ("inf-norm ties split", lambda m, x: m.linalg.vector_norm(x, INF), [[1.0, -2.0, 2.0]], [[0, -0.5, 0.5]]),
    ("p-norm at zero entries", lambda m, x: m.linalg.vector_norm(x, 0.5), [[0.0, -2.0, 2.0]], [[0, -2, 2]]),
    ("1-norm at zero", lambda m, x: m.norm(x, 1), [[0.0, -2.0, 2.0]], [[0, -1, 1]]),
    ("std of a constant", lambda m, x: m.std(x), [[2.0, 2.0, 2.0]], [[0, 0, 0]]),
    ("prod with one zero", lambda m, x: m.prod(x), [[2.0, 0.0, 3.0]], [[0, 6, 0]]),
    ("prod with two zeros", lambda m, x: m.prod(x), [[2.0, 0.0, 0.0]], [[0, 0, 0]]),
    ("prod(dim) with zeros", lambda m, x: m.prod(x, 1), [[[0.0, 2.0, 3.0], [1.0, 0.0, 0.0]]], None),
    ("cumprod with a zero", lambda m, x: m.cumprod(x, 0), [[2.0, 0.0, 3.0, 4.0]], None),
    ("atan2 at the origin", lambda m, a, b: m.atan2(a, b), [[0.0, 1.0], [0.0, 1.0]], [[0, 0.5], [0, -0.5]]),
    ("hypot at the origin", lambda m, a, b: m.hypot(a, b), [[0.0, 3.0], [0.0, 4.0]], None),
    ("logit: zero outside [eps, 1-eps]", lambda m, x: m.logit(x, 0.1), [[0.05, 0.1, 0.5, 0.95]], [[0, 100 / 9, 4, 0]]),
    ("xlogy at x = 0", lambda m, a, b: m.xlogy(a, b), [[0.0, 0.0, 1.0], [0.0, -1.0, 2.0]], None),
    ("nan_to_num passes finite entries", lambda m, x: m.nan_to_num(x), [[math.nan, INF, 1.0]], [[0, 0, 1]]),
    ("floor is flat", lambda m, x: m.floor(x), [[1.0, -0.5]], [[0, 0]]),
    ("frac passes the gradient", lambda m, x: m.frac(x), [[1.0, -0.5]], [[1, 1]]),
    ("remainder at a jump", lambda m, a, b: m.remainder(a, b), [[4.0, -3.0], [2.0, 2.0]], None),
    ("pow 0 ** 0", lambda m, a, b: a**b, [[0.0, 0.0], [0.0, 2.0]], None),
    ("logsumexp of -inf entries", lambda m, x: m.logsumexp(x, 0), [[-INF, 0.0]], [[0, 1]]),
]


def _run(lib, fn, arrays):  # noqa: ANN001, ANN202
    tensors = [lib.tensor(np.array(a, dtype=np.float64), requires_grad=True) for a in arrays]
    out = fn(lib, *tensors)
    grads = lib.autograd.grad(out, tensors, lib.ones_like(out), allow_unused=True)
    return out, [None if g is None else g.numpy() for g in grads]


@pytest.mark.parametrize("name, fn, arrays, expected", CASES, ids=[c[0] for c in CASES])
def test_convention_matches_pytorch(name, fn, arrays, expected) -> None:  # noqa: ANN001
    out, grads = _run(bibun, fn, arrays)
    if expected is not None:
        for g, e in zip(grads, expected):
            np.testing.assert_allclose(g, np.array(e, dtype=np.float64), rtol=1e-12, atol=1e-12)
    torch = pytest.importorskip("torch")
    out_t, grads_t = _run(torch, fn, arrays)
    np.testing.assert_allclose(out.detach().numpy(), out_t.detach().numpy(), rtol=1e-12)
    assert type(out.grad_fn).__name__ == type(out_t.grad_fn).__name__
    for g, gt in zip(grads, grads_t):
        if gt is None:
            assert g is None or not np.any(g)
        else:
            np.testing.assert_allclose(g, gt, rtol=1e-12, atol=1e-12)


def test_max_dim_sends_everything_to_the_first_tied_index() -> None:
    x = bibun.tensor([[3.0, 3.0, 1.0]], requires_grad=True)
    values, indices = x.max(1)
    values.sum().backward()
    assert indices.tolist() == [0] and x.grad.tolist() == [[1.0, 0.0, 0.0]]


def test_scatter_source_larger_than_the_index() -> None:
    """Only the block of ``src`` the index covers is read, so only it gets a gradient
    (PyTorch 2.13's backward raises a shape error here; docs/ops.md)."""
    x = bibun.zeros(3, 4, dtype=bibun.float64, requires_grad=True)
    src = bibun.tensor(np.arange(9.0).reshape(3, 3), requires_grad=True)
    index = bibun.tensor([[0, 2], [1, 3], [3, 0]])
    out = x.scatter(1, index, src)
    assert out.tolist() == [[0.0, 0.0, 1.0, 0.0], [0.0, 3.0, 0.0, 4.0], [7.0, 0.0, 0.0, 6.0]]
    weights = np.arange(12.0).reshape(3, 4) + 1
    out.backward(bibun.tensor(weights))
    assert src.grad.tolist() == [[1.0, 3.0, 0.0], [6.0, 8.0, 0.0], [12.0, 9.0, 0.0]]
    assert x.grad.tolist() == [[0.0, 2.0, 0.0, 4.0], [5.0, 0.0, 7.0, 0.0], [0.0, 10.0, 11.0, 0.0]]


def test_scatter_reduce_source_larger_than_the_index() -> None:
    """As for scatter: only the block of ``src`` the index covers gets a gradient (PyTorch
    2.13's backward raises a shape error here)."""
    x = bibun.ones(2, 3, dtype=bibun.float64, requires_grad=True)
    src = bibun.tensor(np.arange(1.0, 10.0).reshape(3, 3), requires_grad=True)
    out = x.scatter_reduce(1, bibun.tensor([[0, 0], [2, 1]]), src, "mean")
    np.testing.assert_allclose(out.detach().numpy(), [[4 / 3, 1.0, 1.0], [1.0, 3.0, 2.5]])
    out.backward(bibun.tensor([[3.0, 1.0, 1.0], [1.0, 2.0, 2.0]], dtype=bibun.float64))
    assert src.grad.tolist() == [[1.0, 1.0, 0.0], [1.0, 1.0, 0.0], [0.0, 0.0, 0.0]]
    assert x.grad.tolist() == [[1.0, 1.0, 1.0], [1.0, 1.0, 1.0]]


def test_scatter_reduce_prod_refuses_a_second_derivative() -> None:
    x = bibun.tensor([2.0, 3.0], dtype=bibun.float64, requires_grad=True)
    out = x.scatter_reduce(0, bibun.tensor([0, 0]), x * 1, "prod")
    with pytest.raises(RuntimeError, match="only first derivatives are implemented"):
        bibun.autograd.grad(out.sum(), x, create_graph=True)
    # out = [x0 * x0 * x1, x1]: first order d/dx0 = 2 x0 x1 = 12, d/dx1 = x0 x0 + 1 = 5
    (grad,) = bibun.autograd.grad(out.sum(), x)
    assert grad.tolist() == [12.0, 5.0]
