"""ops/linalg_extra.py beyond the op database: the cases docs/linalg.md describes (powers 0
and below, singular and rank-deficient inputs, tolerances, weights, empty inputs, batches),
checked against PyTorch, and bad input raising PyTorch's exception with its message while
changing nothing."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import bibun

torch = pytest.importorskip("torch")
RNG = np.random.default_rng(0)


def _both(array: np.ndarray, requires_grad: bool = True) -> tuple:
    return bibun.tensor(array, requires_grad=requires_grad), torch.tensor(array, requires_grad=requires_grad)


def _close(ours: bibun.Tensor, theirs: torch.Tensor, rtol: float = 1e-10, atol: float = 1e-12) -> None:
    assert tuple(ours.shape) == tuple(theirs.shape)
    assert str(ours.dtype).split(".")[1] == str(theirs.dtype).split(".")[1]
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=rtol, atol=atol)


def _name(t: object) -> str | None:
    return None if t.grad_fn is None else type(t.grad_fn).__name__


def _same_backward(pairs: list, ours: bibun.Tensor, theirs: torch.Tensor, **tol: float) -> None:
    """Values, grad_fn names and the gradients of <ours, g> against PyTorch's."""
    _close(ours, theirs, **tol)
    assert _name(ours) == _name(theirs)
    g = RNG.standard_normal(tuple(theirs.shape))
    ours.backward(bibun.tensor(g, dtype=ours.dtype))
    theirs.backward(torch.tensor(g, dtype=theirs.dtype))
    for a, b in pairs:
        if b.grad is None:  # an input the result does not depend on
            assert a.grad is None
            continue
        _close(a.grad, b.grad, **tol)


# --- inner, vdot -------------------------------------------------------------------------------
@pytest.mark.parametrize("shapes", [((3, 4), (2, 4)), ((4,), (4,)), ((2, 1, 3), (4, 3)), ((), (3, 2)), ((2,), ())])
def test_inner_matches_pytorch(shapes: tuple) -> None:
    pairs = [_both(RNG.standard_normal(s)) for s in shapes]
    _same_backward(pairs, bibun.inner(*[p[0] for p in pairs]), torch.inner(*[p[1] for p in pairs]))


def test_inner_of_empty_and_integer_tensors() -> None:
    a, at = _both(np.ones((2, 0)))
    b, bt = _both(np.ones((3, 0)), requires_grad=False)
    _close(bibun.inner(a, b), torch.inner(at, bt))
    assert _name(bibun.inner(a, b)) == _name(torch.inner(at, bt)) == "ViewBackward0"
    ints = np.arange(6).reshape(2, 3)
    _close(bibun.inner(bibun.tensor(ints), bibun.tensor(ints)), torch.inner(torch.tensor(ints), torch.tensor(ints)))
    _close(
        bibun.vdot(bibun.tensor(ints[0]), bibun.tensor(ints[1])),
        torch.vdot(torch.tensor(ints[0]), torch.tensor(ints[1])),
    )


# --- matrix_power ------------------------------------------------------------------------------
@pytest.mark.parametrize("n", [-5, -3, -2, -1, 0, 1, 2, 3, 4, 7, 12])
@pytest.mark.parametrize("batch", [(), (2,), (2, 1)])
def test_matrix_power_matches_pytorch(n: int, batch: tuple) -> None:
    a, at = _both(RNG.uniform(-1, 1, batch + (3, 3)) / 2 + np.eye(3))
    _same_backward([(a, at)], bibun.linalg.matrix_power(a, n), torch.linalg.matrix_power(at, n), rtol=1e-9)


def test_matrix_power_zero_is_the_identity_in_the_graph() -> None:
    a, at = _both(RNG.standard_normal((2, 3, 3)))
    ours, theirs = a.matrix_power(0), at.matrix_power(0)
    _close(ours, theirs)
    names = [
        [type(node).__name__ if node is not None else None for node, _ in fn.next_functions]
        for fn in (ours.grad_fn, theirs.grad_fn)
    ]
    assert names[0] == names[1] == ["CloneBackward0", None]
    assert ours.grad_fn.name() == "bibun::autograd::CopyBackwards"
    ours.sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), np.zeros((2, 3, 3)))


def test_matrix_power_of_integer_and_empty_matrices() -> None:
    ints = np.array([[1, 2], [3, 4]])
    for n in (0, 1, 2, 5):
        _close(bibun.matrix_power(bibun.tensor(ints), n), torch.matrix_power(torch.tensor(ints), n))
    for n in (-2, 0, 3):
        _close(bibun.matrix_power(bibun.ones(2, 0, 0), n), torch.matrix_power(torch.ones(2, 0, 0), n))


# --- matrix_exp --------------------------------------------------------------------------------
def _rotation(t: float) -> np.ndarray:
    return np.array([[math.cos(t), -math.sin(t)], [math.sin(t), math.cos(t)]])


@pytest.mark.parametrize("t", [1e-6, 0.004, 0.02, 0.1, 0.7, 2.0, 9.0, 40.0])
def test_matrix_exp_of_a_rotation_generator_is_the_rotation(t: float) -> None:
    # exp([[0, -t], [t, 0]]) is known exactly; every Padé degree and squaring count is reached.
    ours = bibun.matrix_exp(bibun.tensor([[0.0, -t], [t, 0.0]], dtype=bibun.float64))
    np.testing.assert_allclose(ours.numpy(), _rotation(t), rtol=0, atol=4e-15 * max(1.0, t))


def test_matrix_exp_exact_cases() -> None:
    d = np.array([0.5, -2.0, 3.0])
    np.testing.assert_allclose(bibun.matrix_exp(bibun.tensor(np.diag(d))).numpy(), np.diag(np.exp(d)), rtol=4e-15)
    nilpotent = bibun.tensor([[0.0, 1.0, 2.0], [0.0, 0.0, 3.0], [0.0, 0.0, 0.0]], dtype=bibun.float64)
    expected = np.array([[1.0, 1.0, 3.5], [0.0, 1.0, 3.0], [0.0, 0.0, 1.0]])  # I + N + N^2/2
    np.testing.assert_allclose(bibun.matrix_exp(nilpotent).numpy(), expected, rtol=1e-15, atol=1e-15)
    a = RNG.standard_normal((4, 4))
    product = bibun.matrix_exp(bibun.tensor(a)) @ bibun.matrix_exp(bibun.tensor(-a))
    np.testing.assert_allclose(product.numpy(), np.eye(4), atol=1e-13)


@pytest.mark.parametrize("scale", [0.2, 1.0, 3.0, 10.0])
def test_matrix_exp_matches_pytorch_to_1e_14(scale: float) -> None:
    # Relative to the largest entry, in float64, for 1-norms where PyTorch's own method is
    # accurate (docs/linalg.md: below about 0.05 it loses digits that bibun keeps).
    a = RNG.standard_normal((3, 5, 5)) * scale / 5
    ours = bibun.linalg.matrix_exp(bibun.tensor(a)).numpy()
    theirs = torch.linalg.matrix_exp(torch.tensor(a)).numpy()
    peak = np.abs(theirs).max(axis=(-2, -1), keepdims=True)
    assert np.all(np.abs(ours - theirs) <= 1e-14 * peak)


@pytest.mark.parametrize("norm", [1e-4, 3e-3, 0.02, 0.1, 0.5, 2.0, 6.0, 20.0, 80.0])
def test_matrix_exp_against_an_exact_reference(norm: float) -> None:
    # mpmath (PyTorch's sympy brings it) at 40 digits; relative to the largest entry.
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.dps = 40
    for n in (2, 3, 6):
        a = RNG.standard_normal((n, n))
        a *= norm / np.abs(a).sum(axis=0).max()
        exact = np.array(mpmath.expm(mpmath.matrix(a.tolist())).tolist(), dtype=float)
        ours = bibun.matrix_exp(bibun.tensor(a)).numpy()
        assert np.abs(ours - exact).max() <= 1e-14 * np.abs(exact).max()


def test_matrix_exp_gradients_match_pytorch_to_second_order() -> None:
    array = RNG.standard_normal((2, 3, 3))
    a, at = _both(array)
    g = RNG.standard_normal((2, 3, 3))
    (ga,) = bibun.autograd.grad(bibun.matrix_exp(a), a, bibun.tensor(g), create_graph=True)
    (gt,) = torch.autograd.grad(torch.matrix_exp(at), at, torch.tensor(g), create_graph=True)
    _close(ga, gt)
    assert ga.requires_grad  # the gradient is itself a recorded computation
    w = RNG.standard_normal((2, 3, 3))
    (hess,) = bibun.autograd.grad((ga * bibun.tensor(w)).sum(), a)
    (hess_t,) = torch.autograd.grad((gt * torch.tensor(w)).sum(), at)
    _close(hess, hess_t, rtol=1e-9)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # importing torch's forward_ad warns about torch.jit
def test_matrix_exp_forward_mode_matches_pytorch() -> None:
    import torch.autograd.forward_ad as tfw

    import bibun.autograd.forward_ad as fw

    array, tangent = RNG.standard_normal((3, 3)), RNG.standard_normal((3, 3))
    with fw.dual_level():
        ours = fw.unpack_dual(bibun.matrix_exp(fw.make_dual(bibun.tensor(array), bibun.tensor(tangent)))).tangent
    with tfw.dual_level():
        theirs = tfw.unpack_dual(torch.matrix_exp(tfw.make_dual(torch.tensor(array), torch.tensor(tangent)))).tangent
    _close(ours, theirs)


def test_matrix_exp_float32_empty_and_non_finite() -> None:
    a = RNG.standard_normal((4, 4)).astype(np.float32)
    _close(bibun.matrix_exp(bibun.tensor(a)), torch.matrix_exp(torch.tensor(a)), rtol=1e-5, atol=1e-6)
    _close(bibun.matrix_exp(bibun.ones(2, 0, 0)), torch.matrix_exp(torch.ones(2, 0, 0)))
    with_nan = bibun.tensor([[1.0, math.nan], [0.0, 1.0]])
    assert np.isnan(bibun.matrix_exp(with_nan).numpy()).any()


# --- pinv --------------------------------------------------------------------------------------
def _rank_deficient(shape: tuple, rank: int) -> np.ndarray:
    left = RNG.standard_normal(shape[:-1] + (rank,))
    right = RNG.standard_normal(shape[:-2] + (rank, shape[-1]))
    return left @ right


@pytest.mark.parametrize(
    "array,kwargs",
    [
        (_rank_deficient((4, 3), 2), {}),
        (_rank_deficient((3, 5), 1), {}),
        (_rank_deficient((2, 4, 4), 3), {"rtol": 1e-8}),
        (np.diag([4.0, 1.0, 0.05]), {"atol": 0.1}),
        (np.diag([4.0, 1.0, 0.05]), {"rtol": 0.1}),
        (np.diag([4.0, 1.0, 0.05]), {"atol": 0.01, "rtol": 0.1}),
        (np.diag([4.0, 1.0, 0.05]), {"atol": 0.5, "rtol": 0.001}),
        (np.diag([4.0, 1.0, 0.05]), {"atol": -1.0}),
        (np.stack([np.diag([4.0, 1.0, 0.05])] * 2), {"atol": "tensor"}),
        (np.diag([4.0, -1.0, 0.05]), {"hermitian": True, "rtol": 0.1}),
        (_rank_deficient((3, 3), 2) + _rank_deficient((3, 3), 2).T, {"hermitian": True}),
    ],
)
def test_pinv_tolerances_match_pytorch(array: np.ndarray, kwargs: dict) -> None:
    kwargs_ours, kwargs_theirs = dict(kwargs), dict(kwargs)
    if kwargs.get("atol") == "tensor":  # one tolerance per matrix of the batch
        kwargs_ours["atol"], kwargs_theirs["atol"] = bibun.tensor([0.1, 0.01]), torch.tensor([0.1, 0.01])
    a, at = _both(array)
    # Both use PyTorch's formula, which holds where the rank does not change: compare it as is.
    _same_backward([(a, at)], bibun.linalg.pinv(a, **kwargs_ours), torch.linalg.pinv(at, **kwargs_theirs), rtol=1e-8)


def test_pinverse_and_rcond() -> None:
    array = np.diag([4.0, 1.0, 1e-12])
    _close(bibun.pinverse(bibun.tensor(array)), torch.pinverse(torch.tensor(array)))
    _close(bibun.tensor(array).pinverse(0.1), torch.tensor(array).pinverse(0.1))
    _close(bibun.linalg.pinv(bibun.tensor(array), 0.1, True), torch.linalg.pinv(torch.tensor(array), 0.1, True))
    with pytest.raises(TypeError):
        bibun.linalg.pinv(bibun.tensor(array), 0.1, atol=0.1)


def test_pinv_of_empty_and_zero_matrices() -> None:
    a, at = _both(np.ones((0, 3)))
    ours, theirs = bibun.linalg.pinv(a), torch.linalg.pinv(at)
    _close(ours, theirs)
    assert _name(ours) == _name(theirs) == "LinalgPinvBackward0"
    _close(bibun.linalg.pinv(bibun.ones(2, 3, 0)), torch.linalg.pinv(torch.ones(2, 3, 0)))
    _close(bibun.linalg.pinv(bibun.zeros(3, 3)), torch.linalg.pinv(torch.zeros(3, 3)))


# --- legacy svd --------------------------------------------------------------------------------
@pytest.mark.parametrize("shape", [(4, 3), (3, 5), (2, 3, 3)])
@pytest.mark.parametrize("some", [True, False])
def test_legacy_svd_shapes_names_and_reconstruction(shape: tuple, some: bool) -> None:
    a, at = _both(RNG.standard_normal(shape))
    ours, theirs = bibun.svd(a, some=some), torch.svd(at, some=some)
    assert type(ours).__name__ == "svd" and ours._fields == ("U", "S", "V")
    for x, y in zip(ours, theirs):
        assert tuple(x.shape) == tuple(y.shape) and _name(x) == _name(y)
    assert _name(ours.V) == "TransposeBackward0"
    k = ours.S.shape[-1]
    rebuilt = (ours.U[..., :k] * ours.S.unsqueeze(-2)) @ ours.V[..., :k].mT
    np.testing.assert_allclose(rebuilt.detach().numpy(), a.detach().numpy(), atol=1e-12)
    _close(ours.S, theirs.S)


def test_legacy_svd_without_vectors_gives_zeros() -> None:
    a, at = _both(RNG.standard_normal((2, 4, 3)))
    for some in (True, False):
        ours, theirs = a.svd(some=some, compute_uv=False), at.svd(some=some, compute_uv=False)
        for x, y in zip(ours, theirs):
            _close(x, y)
            assert _name(x) == _name(y)
    ours.S.sum().backward()
    theirs.S.sum().backward()
    _close(a.grad, at.grad)


# --- cov, corrcoef -----------------------------------------------------------------------------
@pytest.mark.parametrize("correction", [0, 1, 3])
@pytest.mark.parametrize("weights", ["none", "f", "a", "both"])
def test_cov_matches_pytorch_with_weights(correction: int, weights: str) -> None:
    x, xt = _both(RNG.standard_normal((3, 6)))
    f = np.array([1, 0, 2, 1, 3, 1])
    w, wt = _both(RNG.uniform(0.1, 2.0, 6))
    kw, kwt = {}, {}
    if weights in ("f", "both"):
        kw["fweights"], kwt["fweights"] = bibun.tensor(f), torch.tensor(f)
    if weights in ("a", "both"):
        kw["aweights"], kwt["aweights"] = w, wt
    pairs = [(x, xt)] + ([(w, wt)] if "aweights" in kw else [])
    _same_backward(pairs, bibun.cov(x, correction=correction, **kw), torch.cov(xt, correction=correction, **kwt))


def test_cov_and_corrcoef_of_integers_scalars_and_mixed_dtypes() -> None:
    ints = np.array([[1, 2, 3, 7], [2, 5, 1, 0]])
    _close(bibun.cov(bibun.tensor(ints)), torch.cov(torch.tensor(ints)))
    _close(bibun.corrcoef(bibun.tensor(ints)), torch.corrcoef(torch.tensor(ints)))
    a32 = RNG.standard_normal((2, 4)).astype(np.float32)
    w64 = RNG.uniform(0.5, 1.0, 4)
    _close(
        bibun.cov(bibun.tensor(a32), aweights=bibun.tensor(w64)),
        torch.cov(torch.tensor(a32), aweights=torch.tensor(w64)),
    )
    s, st = _both(np.array(2.0))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _close(bibun.corrcoef(s), torch.corrcoef(st))  # nan: one observation
        _close(bibun.cov(bibun.ones(3, 0)), torch.cov(torch.ones(3, 0)))


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # NumPy's 0/0 (pytest resets bibun's filter)
def test_cov_warns_as_pytorch_when_degrees_of_freedom_run_out() -> None:
    with pytest.warns(UserWarning, match=r"cov\(\): degrees of freedom is <= 0") as record:
        c = bibun.cov(bibun.ones(3, 2), correction=2)
    assert record[0].filename == __file__
    assert np.isnan(c.numpy()).all()
    with pytest.warns(UserWarning, match="degrees of freedom") as record:
        bibun.corrcoef(bibun.ones(3, 1))
    assert record[0].filename == __file__


# --- trapezoid ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "call",
    [
        lambda m, y, x: m.trapezoid(y),
        lambda m, y, x: m.trapezoid(y, dx=3),
        lambda m, y, x: m.trapezoid(y, x),
        lambda m, y, x: m.trapezoid(y, x[None], dim=-1),
        lambda m, y, x: m.trapz(y, x),
        lambda m, y, x: m.cumulative_trapezoid(y),
        lambda m, y, x: m.cumulative_trapezoid(y, x),
        lambda m, y, x: m.trapezoid(y, dx=bibun.tensor(0.5) if m is bibun else torch.tensor(0.5)),
    ],
)
def test_trapezoid_rules_match_pytorch(call) -> None:  # noqa: ANN001
    y, yt = _both(RNG.standard_normal((2, 3, 5)))
    x, xt = _both(np.cumsum(RNG.uniform(0.1, 1.0, 5)))
    _same_backward([(y, yt), (x, xt)], call(bibun, y, x), call(torch, yt, xt))


def test_trapezoid_of_few_samples_and_integers() -> None:
    for rule in ("trapezoid", "cumulative_trapezoid"):
        for shape in ((3, 0), (3, 1)):
            y, yt = _both(np.ones(shape))
            ours, theirs = getattr(bibun, rule)(y), getattr(torch, rule)(yt)
            _close(ours, theirs)
            assert _name(ours) == _name(theirs)
        ints = np.array([1, 2, 4])
        for kwargs in ({}, {"dx": 2}):
            _close(
                getattr(bibun, rule)(bibun.tensor(ints), **kwargs), getattr(torch, rule)(torch.tensor(ints), **kwargs)
            )
        _close(
            getattr(bibun, rule)(bibun.tensor(ints), bibun.tensor(ints)),
            getattr(torch, rule)(torch.tensor(ints), torch.tensor(ints)),
        )


# --- renorm ------------------------------------------------------------------------------------
@pytest.mark.parametrize("p", [1, 2, 3.5, float("inf")])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_renorm_matches_pytorch(p: float, dtype: str) -> None:
    x, xt = _both(RNG.standard_normal((4, 3, 2)).astype(dtype))
    tol = {"rtol": 1e-5, "atol": 1e-6} if dtype == "float32" else {}
    _same_backward([(x, xt)], bibun.renorm(x, p, 1, 1.5), torch.renorm(xt, p, 1, 1.5), **tol)


def test_renorm_edge_values() -> None:
    x, xt = _both(RNG.standard_normal((3, 4)))
    _same_backward([(x, xt)], x.renorm(2, 0, 0.0), xt.renorm(2, 0, 0.0))  # every slice to (nearly) zero
    y, yt = _both(RNG.standard_normal((3, 4)))
    _close(bibun.renorm(y, 2, 0, 100.0), y)  # no slice over the limit: unchanged
    _close(bibun.renorm(y, bibun.tensor(2.0), -1, 1), torch.renorm(yt, torch.tensor(2.0), -1, 1))
    for shape in ((0, 3), (3, 0)):
        e, et = _both(np.ones(shape))
        _same_backward([(e, et)], bibun.renorm(e, 2, 0, 1.0), torch.renorm(et, 2, 0, 1.0))


# --- bad input ---------------------------------------------------------------------------------
_BAD_CALLS = [
    lambda m, a: m.inner(a, a[:, :2]),
    lambda m, a: m.inner(a, a.to(m.float32)),
    lambda m, a: m.vdot(a, a[0]),
    lambda m, a: m.vdot(a[0], a[0, :2]),
    lambda m, a: m.vdot(a[0], a[0].to(m.float32)),
    lambda m, a: m.matrix_power(a[0], 2),
    lambda m, a: m.matrix_power(a[:2], 2),
    lambda m, a: m.linalg.matrix_power(a[:2], 0),
    lambda m, a: m.matrix_power(a, 2.0),
    lambda m, a: m.linalg.matrix_power(a, 2.0),
    lambda m, a: m.matrix_power(a, True),
    lambda m, a: m.matrix_power(m.ones(3, 3, dtype=m.int64), -1),
    lambda m, a: m.matrix_power(m.ones(3, 3, dtype=m.bool), 2),
    lambda m, a: m.matrix_exp(a[0]),
    lambda m, a: m.linalg.matrix_exp(a[:2]),
    lambda m, a: m.matrix_exp(m.ones(2, 2, dtype=m.int64)),
    lambda m, a: m.linalg.pinv(a[0]),
    lambda m, a: m.pinverse(m.ones(2, 2, dtype=m.int64)),
    lambda m, a: m.linalg.pinv(a[:2], hermitian=True),
    lambda m, a: m.svd(a[0]),
    lambda m, a: m.svd(m.ones(2, 2, dtype=m.int64)),
    lambda m, a: m.cov(a[None]),
    lambda m, a: m.cov(a > 0),
    lambda m, a: m.cov(a, fweights=m.ones(3)),
    lambda m, a: m.cov(a, fweights=m.ones(1, 3, dtype=m.int64)),
    lambda m, a: m.cov(a, fweights=m.ones(2, dtype=m.int64)),
    lambda m, a: m.cov(a, fweights=-m.ones(3, dtype=m.int64)),
    lambda m, a: m.cov(a, fweights=m.zeros(3, dtype=m.int64)),
    lambda m, a: m.cov(a, aweights=m.ones(3, dtype=m.int64)),
    lambda m, a: m.cov(a, aweights=m.ones(1, 3)),
    lambda m, a: m.cov(a, aweights=m.ones(4)),
    lambda m, a: m.cov(a, aweights=-m.ones(3)),
    lambda m, a: m.corrcoef(a[None]),
    lambda m, a: m.trapezoid(a, dim=2),
    lambda m, a: m.trapezoid(a, a[0, :2]),
    lambda m, a: m.trapezoid(a, a[:2]),
    lambda m, a: m.trapezoid(a > 0),
    lambda m, a: m.trapezoid(a, a > 0),
    lambda m, a: m.trapezoid(a, dx=True),
    lambda m, a: m.trapezoid(a[0, 0]),
    lambda m, a: m.trapezoid(a[0, 0], a[0]),
    lambda m, a: m.trapezoid(a, a[0], dx=1.0),
    lambda m, a: m.trapezoid(a, 2.0),
    lambda m, a: m.cumulative_trapezoid(a, a[0, :2]),
    lambda m, a: m.cumulative_trapezoid(a > 0),
    lambda m, a: m.cumulative_trapezoid(a[0, 0]),
    lambda m, a: m.cumulative_trapezoid(a, dim=-3),
    lambda m, a: m.renorm(a, 0, 0, 1.0),
    lambda m, a: m.renorm(a, -2, 0, 1.0),
    lambda m, a: m.renorm(a, 2, 0, -1.0),
    lambda m, a: m.renorm(a[0], 2, 0, 1.0),
    lambda m, a: m.renorm(a, 2, 2, 1.0),
    lambda m, a: m.renorm(m.ones(2, 2, dtype=m.int64), 2, 0, 1.0),
]


def _phrase(message: str) -> str:
    """The part of a message both libraries share: PyTorch's C++ notes and argument listings
    after the first line, and its own library name, are left out."""
    return message.split("\n")[0].split(" - got ")[0].split(" (Triggered")[0].replace("torch.", "")


@pytest.mark.parametrize("call", _BAD_CALLS, ids=range(len(_BAD_CALLS)))
def test_bad_input_raises_pytorchs_error_and_changes_nothing(call) -> None:  # noqa: ANN001
    array = RNG.standard_normal((3, 3)) + 3 * np.eye(3)
    a, at = _both(array)
    with pytest.raises(Exception) as theirs:
        call(torch, at)
    with pytest.raises(Exception) as ours:
        call(bibun, a)
    expected_type = (
        bibun.linalg.LinAlgError if isinstance(theirs.value, torch.linalg.LinAlgError) else type(theirs.value)
    )
    assert type(ours.value) is expected_type
    expected = _phrase(str(theirs.value))
    if "received an invalid combination of arguments" in expected:
        assert "received an invalid combination of arguments" in str(ours.value)
    else:
        assert _phrase(str(ours.value)) == expected
    np.testing.assert_array_equal(a.detach().numpy(), array)
    assert a.grad is None and a._version == 0


def test_singular_matrices_raise_linalg_error_for_negative_powers() -> None:
    singular = bibun.tensor([[1.0, 2.0], [2.0, 4.0]], requires_grad=True)
    for n in (-1, -2, -7):
        with pytest.raises(bibun.linalg.LinAlgError, match="the input matrix is singular"):
            bibun.matrix_power(singular, n)
        with pytest.raises(torch.linalg.LinAlgError, match="the input matrix is singular"):
            torch.matrix_power(torch.tensor([[1.0, 2.0], [2.0, 4.0]]), n)
    assert singular.grad is None
    for n in (0, 1, 2, 3):  # positive powers of a singular matrix are fine
        _close(bibun.matrix_power(singular, n), torch.matrix_power(torch.tensor(singular.detach().numpy()), n))


def test_tensor_methods_and_namespaces() -> None:
    for name in ("inner", "vdot", "matrix_power", "matrix_exp", "pinverse", "svd", "cov", "corrcoef", "renorm"):
        assert hasattr(torch.Tensor, name) and getattr(bibun.Tensor, name) is getattr(bibun, name)
    for name in ("trapezoid", "trapz", "cumulative_trapezoid"):
        assert not hasattr(torch.Tensor, name) and not hasattr(bibun.Tensor, name)
    for name in ("matrix_power", "matrix_exp", "pinv"):
        assert name in bibun.linalg.__all__ and hasattr(torch.linalg, name)
