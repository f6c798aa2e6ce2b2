"""Property tests with hypothesis: mutually broadcastable shapes (empty and 0-d included),
strided (sliced and transposed) inputs; forward and backward never mutate their inputs, and
values and gradients agree with PyTorch (or, without torch, with NumPy and the shapes)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import bibun

try:
    import torch
except ImportError:  # the PyTorch comparison is skipped, the rest still runs
    torch = None

SETTINGS = settings(max_examples=40, deadline=None)

BINARY = {
    "add": lambda m, a, b: a + b,
    "mul": lambda m, a, b: a * b,
    "div": lambda m, a, b: a / (b * b + 1),
    "maximum": lambda m, a, b: m.maximum(a, b),
    "atan2": lambda m, a, b: m.atan2(a, b),
    "hypot": lambda m, a, b: m.hypot(a, b + 3),
    "logaddexp": lambda m, a, b: m.logaddexp(a, b),
    "fmin": lambda m, a, b: m.fmin(a, b),
    "where": lambda m, a, b: m.where(a > b, a, b * 2),
    "lerp": lambda m, a, b: m.lerp(a, b, 0.25) if a.shape == b.shape else a + b,
}
UNARY = {
    "erf": lambda m, a: m.erf(a),
    "expm1": lambda m, a: m.expm1(a),
    "asinh": lambda m, a: m.asinh(a),
    "sum": lambda m, a: a.sum(),
    "prod": lambda m, a: a.prod(),
    "logsumexp_last": lambda m, a: m.logsumexp(a, -1) if a.dim() else m.logsumexp(a, 0),
    "cumsum_last": lambda m, a: a.cumsum(-1) if a.dim() else a.cumsum(0),
    "flip": lambda m, a: a.flip(tuple(range(a.dim()))),
    "amax": lambda m, a: a.amax() if a.numel() else a.sum(),
    "norm": lambda m, a: a.norm(),
    "clamp": lambda m, a: a.clamp(-0.5, 0.5),
}

finite = st.floats(-3, 3, allow_nan=False, width=64)


def _run(lib, fn, arrays):  # noqa: ANN001, ANN202
    tensors = [lib.tensor(a, requires_grad=True) for a in arrays]
    out = fn(lib, *tensors)
    grads = lib.autograd.grad(out, tensors, lib.ones_like(out), allow_unused=True)
    return out.detach().numpy(), [None if g is None else g.numpy() for g in grads]


def _compare(fn, arrays) -> None:  # noqa: ANN001
    before = [a.copy() for a in arrays]
    out, grads = _run(bibun, fn, arrays)
    for a, b in zip(arrays, before):  # forward and backward left the inputs alone
        np.testing.assert_array_equal(a, b)
    for g, a in zip(grads, arrays):
        assert g is None or g.shape == a.shape
    if torch is not None:
        out_t, grads_t = _run(torch, fn, arrays)
        np.testing.assert_allclose(out, out_t, rtol=1e-10, atol=1e-12)
        for g, gt in zip(grads, grads_t):
            if gt is None:
                assert g is None or not np.any(g)
            else:
                np.testing.assert_allclose(g, gt, rtol=1e-10, atol=1e-12)


@SETTINGS
@given(
    name=st.sampled_from(sorted(BINARY)),
    shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, min_side=0, max_side=3),
    data=st.data(),
)
def test_binary_ops_on_broadcastable_shapes(name: str, shapes, data) -> None:  # noqa: ANN001
    arrays = [data.draw(hnp.arrays(np.float64, s, elements=finite)) for s in shapes.input_shapes]
    _compare(BINARY[name], arrays)


@SETTINGS
@given(
    name=st.sampled_from(sorted(UNARY)),
    array=hnp.arrays(np.float64, hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4), elements=finite),
)
def test_unary_ops_on_any_shape(name: str, array: np.ndarray) -> None:
    if name in ("logsumexp_last", "cumsum_last", "norm", "prod") and array.size == 0 and array.ndim == 0:
        return
    _compare(UNARY[name], [array])


@SETTINGS
@given(
    name=st.sampled_from(sorted(UNARY)),
    array=hnp.arrays(np.float64, (4, 6), elements=finite),
    step=st.integers(1, 3),
    transpose=st.booleans(),
)
def test_strided_views_as_inputs(name: str, array: np.ndarray, step: int, transpose: bool) -> None:
    """The op sees a non-contiguous view (sliced with a step, or transposed); the base it came
    from must be left unchanged and receive the gradient in the right places."""

    def through_view(m, base):  # noqa: ANN001, ANN202
        view = base[:, ::step]
        return UNARY[name](m, view.t() if transpose else view)

    _compare(through_view, [array])


@SETTINGS
@given(
    shape=hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4),
    data=st.data(),
)
def test_repeated_integer_indices_accumulate(shape: tuple, data) -> None:  # noqa: ANN001
    array = data.draw(hnp.arrays(np.float64, shape, elements=finite))
    index = data.draw(st.lists(st.integers(0, shape[0] - 1), min_size=1, max_size=6))
    x = bibun.tensor(array, requires_grad=True)
    x[index].sum().backward()
    counts = np.bincount(index, minlength=shape[0]).astype(np.float64)
    expected = np.broadcast_to(counts.reshape((-1,) + (1,) * (len(shape) - 1)), shape)
    np.testing.assert_array_equal(x.grad.numpy(), expected)
    np.testing.assert_array_equal(x.detach().numpy(), array)


@pytest.mark.parametrize("shape", [(), (0,), (2, 0, 3)])
def test_reductions_of_empty_and_0d(shape: tuple) -> None:
    x = bibun.zeros(shape, dtype=bibun.float64, requires_grad=True)
    for fn in (lambda t: t.sum(), lambda t: t.prod(), lambda t: t.norm(), lambda t: t.mean() if t.numel() else t.sum()):
        out = fn(x)
        (g,) = bibun.autograd.grad(out, x)
        assert g.shape == x.shape
        if torch is not None:
            xt = torch.zeros(shape, dtype=torch.float64, requires_grad=True)
            out_t = fn(xt)
            (gt,) = torch.autograd.grad(out_t, xt)
            np.testing.assert_array_equal(out.detach().numpy(), out_t.detach().numpy())
            np.testing.assert_array_equal(g.numpy(), gt.numpy())
