"""cummax, cummin, logcumsumexp, kthvalue, mode, msort, quantile and nanquantile: what the op
database does not reach. The index chosen among equal values and NaN (and the gradient that
follows it) against PyTorch on many tied inputs, logcumsumexp at infinities, quantile's graph,
and bad input (PyTorch's exception type and key phrase, nothing changed)."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest

import bibun
from bibun.ops import sorting

torch = pytest.importorskip("torch", reason="these checks compare with PyTorch (pip install torch==2.13.0)")

NAN, INF = float("nan"), float("inf")


def _tied(seed: int, shape: tuple, nan_share: float = 0.0, spread: int = 3) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = rng.integers(-spread, spread + 1, size=shape).astype(np.float64)
    x[rng.random(shape) < nan_share] = np.nan
    return x


def _same_selection(ours: tuple, theirs: tuple) -> None:
    """Equal values (NaN where PyTorch has NaN), equal indices, equal dtypes and shapes."""
    for a, b in zip(ours, theirs):
        assert tuple(a.shape) == tuple(b.shape)
        assert str(a.dtype).split(".")[1] == str(b.dtype).split(".")[1]
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())


def _gradients(fn_name: str, x: np.ndarray, *args: object, **kwargs: object) -> tuple:
    """The input gradient of <w, values> in both libraries, for one cotangent w."""
    grads = []
    for lib in (bibun, torch):
        t = lib.tensor(x, requires_grad=True)
        out = getattr(lib, fn_name)(t, *args, **kwargs)
        values = out[0] if isinstance(out, tuple) else out
        w = np.random.default_rng(7).standard_normal(tuple(values.shape))
        grads.append(lib.autograd.grad(values, t, lib.tensor(w))[0].numpy())
    return grads[0], grads[1]


# --- cummax, cummin ------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["cummax", "cummin"])
@pytest.mark.parametrize("seed", range(8))
def test_running_extremes_pick_as_pytorch(name: str, seed: int) -> None:
    """PyTorch takes the last of equal extremes, and after a NaN the latest NaN; the gradient
    goes to the index taken."""
    x = _tied(seed, (4, 11), nan_share=0.15 if seed % 2 else 0.0)
    for dim in (0, 1, -1):
        ours = getattr(bibun, name)(bibun.tensor(x), dim)
        theirs = getattr(torch, name)(torch.tensor(x), dim)
        _same_selection(ours, theirs)
        ours_grad, theirs_grad = _gradients(name, x, dim)
        np.testing.assert_array_equal(ours_grad, theirs_grad)


def test_running_extremes_of_integers_bools_and_edge_shapes() -> None:
    for values in ([3, 1, 4, 1, 5, 5, 2], [True, False, True, True], [[2, 2], [1, 3]]):
        for name in ("cummax", "cummin"):
            _same_selection(
                getattr(bibun, name)(bibun.tensor(values), 0), getattr(torch, name)(torch.tensor(values), 0)
            )
    for name in ("cummax", "cummin"):
        _same_selection(getattr(bibun, name)(bibun.zeros(0, 3), 1), getattr(torch, name)(torch.zeros(0, 3), 1))
        x = bibun.zeros(0, 3, requires_grad=True)
        getattr(bibun, name)(x, 0).values.sum().backward()
        assert x.grad.shape == (0, 3)
        scalar = bibun.tensor(2.5, requires_grad=True)
        result = getattr(scalar, name)(-1)
        assert result.indices.item() == 0 and type(result.values.grad_fn).__name__ == name.capitalize() + "Backward0"
        result.values.backward()
        assert scalar.grad.item() == 1.0


def test_running_extremes_return_pytorchs_named_pair() -> None:
    ours = bibun.tensor([1.0, 3.0, 2.0]).cummax(0)
    theirs = torch.tensor([1.0, 3.0, 2.0]).cummax(0)
    assert repr(ours) == repr(theirs).replace("torch.", "bibun.")
    assert ours.values is ours[0] and ours.indices is ours[1]
    assert repr(bibun.tensor([1.0]).cummin(0)).startswith("bibun.return_types.cummin(")


def test_running_extremes_second_order_and_forward_mode() -> None:
    x = bibun.tensor([0.5, 2.0, 1.0, 3.0], dtype=bibun.float64, requires_grad=True)
    (g,) = bibun.autograd.grad((bibun.cummax(x, 0).values ** 2).sum(), x, create_graph=True)
    (h,) = bibun.autograd.grad(g.sum(), x)
    assert g.tolist() == [1.0, 8.0, 0.0, 6.0] and h.tolist() == [2.0, 4.0, 0.0, 2.0]
    import bibun.autograd.forward_ad as fwAD

    with fwAD.dual_level():
        dual = fwAD.make_dual(bibun.tensor([0.5, 2.0, 1.0]), bibun.tensor([10.0, 20.0, 30.0]))
        assert fwAD.unpack_dual(bibun.cummin(dual, 0).values).tangent.tolist() == [10.0, 10.0, 10.0]


# --- logcumsumexp --------------------------------------------------------------------------------
LOGCUMSUMEXP_CASES = [
    [1.0, 2.0, 3.0, 1000.0, -5.0],
    [1e4, 1e4, -1e4],
    [-INF, -INF, 0.0, 1000.0],
    [-INF, -INF],
    [1.0, INF, 2.0],
    [-INF, INF, -INF],
    [0.5, NAN, 1.0],
    [-100.0, -200.0, -1000.0],
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("values", LOGCUMSUMEXP_CASES, ids=str)
def test_logcumsumexp_at_extremes_matches_pytorch(values: list, dtype: str) -> None:
    """No overflow for large entries; -inf contributes nothing; +inf and NaN propagate. The
    gradient is PyTorch's log-space formula, NaN where it gives NaN (-inf before anything)."""
    x = np.array(values, dtype=dtype)
    ours = bibun.logcumsumexp(bibun.tensor(x), 0)
    theirs = torch.logcumsumexp(torch.tensor(x), 0)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)
    ours_grad, theirs_grad = _gradients("logcumsumexp", x, 0)
    np.testing.assert_allclose(ours_grad, theirs_grad, rtol=1e-5, atol=1e-7)


def test_logcumsumexp_float32_is_accumulated_in_float64_as_pytorch() -> None:
    x = np.random.default_rng(0).standard_normal((3, 2000)).astype(np.float32) * 3
    ours = bibun.logcumsumexp(bibun.tensor(x), 1).numpy()
    theirs = torch.logcumsumexp(torch.tensor(x), 1).numpy()
    assert np.abs(ours.astype(np.float64) - theirs).max() <= np.spacing(np.abs(theirs)).max()


def test_logcumsumexp_second_order_and_edge_shapes() -> None:
    values = [[0.3, -1.2, 2.0], [1.0, 1.0, -0.5]]
    found = []
    for lib in (bibun, torch):
        x = lib.tensor(values, dtype=lib.float64, requires_grad=True)
        (g,) = lib.autograd.grad(lib.logcumsumexp(x, 1).pow(2).sum(), x, create_graph=True)
        (h,) = lib.autograd.grad((g * g).sum(), x)
        found.append((g.detach().numpy(), h.numpy()))
    np.testing.assert_allclose(found[0][0], found[1][0], rtol=1e-12)
    np.testing.assert_allclose(found[0][1], found[1][1], rtol=1e-10)
    assert bibun.logcumsumexp(bibun.tensor(2.0), 0).item() == 2.0
    assert bibun.tensor([[]]).logcumsumexp(1).shape == (1, 0)


# --- kthvalue, mode, msort -----------------------------------------------------------------------
@pytest.mark.parametrize("seed", range(12))
def test_kthvalue_picks_among_ties_as_pytorch(seed: int) -> None:
    """PyTorch's quickselect decides which of equal values (or NaNs) is returned; rows of 3 to
    40 entries, every k, along both dims; the gradient goes to that entry."""
    n = 3 + 3 * seed
    x = _tied(seed, (3, n), nan_share=0.2 if seed % 3 == 0 else 0.0)
    for k in range(1, n + 1):
        _same_selection(bibun.kthvalue(bibun.tensor(x), k), torch.kthvalue(torch.tensor(x), k))
    for k in (1, 2, 3):
        _same_selection(
            bibun.kthvalue(bibun.tensor(x), k, 0, keepdim=True), torch.kthvalue(torch.tensor(x), k, 0, keepdim=True)
        )
    ours_grad, theirs_grad = _gradients("kthvalue", x, (n + 1) // 2)
    np.testing.assert_array_equal(ours_grad, theirs_grad)


@pytest.mark.parametrize("seed", range(12))
def test_mode_picks_among_repeats_as_pytorch(seed: int) -> None:
    """The smallest of the most frequent values, at the index PyTorch's (unstable) sort leaves
    last: rows of up to 16 entries (an insertion sort) and longer ones (introsort, replayed)."""
    n = [5, 9, 16, 17, 30, 64][seed % 6]
    x = _tied(seed, (4, n), nan_share=0.15 if seed % 4 == 1 else 0.0, spread=2 + seed % 3)
    _same_selection(bibun.mode(bibun.tensor(x)), torch.mode(torch.tensor(x)))
    _same_selection(bibun.mode(bibun.tensor(x), 0, True), torch.mode(torch.tensor(x), 0, True))
    ours_grad, theirs_grad = _gradients("mode", x)
    np.testing.assert_array_equal(ours_grad, theirs_grad)


def _median_of_three_killer(n: int) -> list:
    """Musser's sequence: median-of-three quicksort degrades on it, so std::sort reaches its
    depth limit and finishes with heapsort."""
    k, a = n // 2, [0] * n
    for i in range(1, k + 1):
        if i % 2:
            a[i - 1], a[i] = i, k + i
        a[k + i - 1] = 2 * i
    return a


@pytest.mark.parametrize("n", [17, 100, 1000])
def test_mode_and_kthvalue_on_adversarial_rows_match_pytorch(n: int) -> None:
    rows = [
        np.arange(n) % 7,
        (np.arange(n) % 5)[::-1],
        np.r_[np.arange(n // 2), np.arange(n // 2)[::-1]],
        np.array(_median_of_three_killer(n - n % 4)) % 13,
        np.sort(np.random.default_rng(n).integers(0, 10, n)),
    ]
    for row in rows:
        for x in (row.astype(np.float64), row.astype(np.int64)):
            _same_selection(bibun.mode(bibun.tensor(x)), torch.mode(torch.tensor(x)))
            for k in (1, len(x) // 3, len(x)):
                _same_selection(bibun.kthvalue(bibun.tensor(x), k), torch.kthvalue(torch.tensor(x), k))


def test_replayed_sort_is_a_sort() -> None:
    """The replay (quicksort, heapsort past the depth limit, insertion sort) orders its keys."""
    for keys in (_median_of_three_killer(400), list(np.random.default_rng(0).integers(0, 9, 300)), [2.0], []):
        order = sorting._libstdcxx_sort_order(keys)
        assert sorted(order) == list(range(len(keys))) and [keys[i] for i in order] == sorted(keys)


def test_mode_of_integers_bools_and_nans_matches_pytorch() -> None:
    for values in (
        [5, 4, 4, 5, 1, 1],
        [True, False, False, True, True],
        [NAN, NAN, 1.0, 1.0, 2.0],
        [NAN, 1.0, NAN, 2.0, NAN],
        [NAN, 1.0, 2.0],
        [2.0],
    ):
        _same_selection(bibun.mode(bibun.tensor(values)), torch.mode(torch.tensor(values)))
    _same_selection(bibun.mode(bibun.zeros(3, 0), 0), torch.mode(torch.zeros(3, 0), 0))
    _same_selection(bibun.tensor(1.5).mode(0, True), torch.tensor(1.5).mode(0, True))


def test_kthvalue_and_mode_names_and_methods() -> None:
    x = bibun.tensor([[3.0, 1.0, 2.0], [0.0, 5.0, 4.0]], requires_grad=True)
    k, m = x.kthvalue(2), x.mode(0)
    assert type(k.values.grad_fn).__name__ == "KthvalueBackward0" and k.indices.grad_fn is None
    assert type(m.values.grad_fn).__name__ == "ModeBackward0"
    assert repr(k).startswith("bibun.return_types.kthvalue(") and repr(m).startswith("bibun.return_types.mode(")
    assert repr(bibun.tensor([2.0, 1.0]).kthvalue(1)) == repr(torch.tensor([2.0, 1.0]).kthvalue(1)).replace(
        "torch.", "bibun."
    )
    s = x.msort()
    assert type(s.grad_fn).__name__ == "SortBackward0" and s.tolist() == [[0.0, 1.0, 2.0], [3.0, 5.0, 4.0]]
    _same_selection((bibun.msort(bibun.tensor([[3, 1], [1, 2]])),), (torch.msort(torch.tensor([[3, 1], [1, 2]])),))


# --- quantile, nanquantile -----------------------------------------------------------------------
def _chain(t: object) -> list:
    """grad_fn names, following the first edge that leads to another node."""
    names, node = [], t.grad_fn
    while node is not None:
        names.append(type(node).__name__)
        nxt = [f for f, _ in node.next_functions if f is not None and type(f).__name__ != "AccumulateGrad"]
        node = nxt[0] if nxt else None
    return names


@pytest.mark.parametrize("interpolation", ["linear", "lower", "higher", "midpoint", "nearest"])
@pytest.mark.parametrize("name", ["quantile", "nanquantile"])
def test_quantile_graph_values_and_gradients_with_ties_and_nans(name: str, interpolation: str) -> None:
    """Every shape of call (q a number, a 0-d or a 1-D tensor; dim or not; keepdim), on inputs
    with repeats and NaN (slices of up to 16 entries, where PyTorch's sort is stable too)."""
    for seed, shape in enumerate([(), (7,), (3, 5), (2, 3, 2)]):
        x = _tied(seed, shape, nan_share=0.25 if seed > 1 else 0.0)
        for q in (0.3, 1.0, np.array([0.0, 0.45, 0.5, 1.0]), np.array(0.6), np.array([])):
            for dim in [None, *range(-len(shape), len(shape))]:
                for keepdim in (False, True):
                    results, grads = [], []
                    for lib in (bibun, torch):
                        t = lib.tensor(x, requires_grad=True)
                        qq = lib.tensor(q) if isinstance(q, np.ndarray) else q
                        out = getattr(lib, name)(t, qq, dim, keepdim, interpolation=interpolation)
                        w = np.random.default_rng(1).standard_normal(tuple(out.shape))
                        if out.numel():
                            (out * lib.tensor(w)).sum().backward()
                        results.append(out)
                        grads.append(None if t.grad is None else t.grad.numpy())
                    ours, theirs = results
                    assert tuple(ours.shape) == tuple(theirs.shape) and _chain(ours) == _chain(theirs)
                    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-12)
                    if grads[1] is not None:
                        np.testing.assert_allclose(grads[0], grads[1], rtol=1e-12)


def test_quantile_gradient_reaches_q() -> None:
    """q enters the linear interpolation's weight, so it has a gradient (the slope between the
    neighbouring entries), as in PyTorch; lower/higher/nearest/midpoint give it none."""
    x = np.random.default_rng(0).standard_normal((3, 5))
    for name, how in (("quantile", "linear"), ("nanquantile", "linear"), ("quantile", "midpoint")):
        grads, chains = [], []
        for lib in (bibun, torch):
            q = lib.tensor([0.3, 0.6], dtype=lib.float64, requires_grad=True)
            out = getattr(lib, name)(lib.tensor(x), q, dim=1, interpolation=how)
            chains.append(_chain(out))
            grads.append(lib.autograd.grad(out.sum(), q)[0].numpy() if out.requires_grad else None)
        assert chains[0] == chains[1]
        if grads[1] is None:
            assert grads[0] is None
        else:
            np.testing.assert_allclose(grads[0], grads[1], rtol=1e-12)


def test_nanquantile_of_an_all_nan_slice_is_nan() -> None:
    x = [[NAN, NAN, NAN], [1.0, NAN, 3.0]]
    for q in (0.0, 0.5, 1.0):
        ours, theirs = bibun.nanquantile(bibun.tensor(x), q, dim=1), torch.nanquantile(torch.tensor(x), q, dim=1)
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
        ours, theirs = bibun.quantile(bibun.tensor(x), q, dim=1), torch.quantile(torch.tensor(x), q, dim=1)
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


# --- bad input -----------------------------------------------------------------------------------
def _bad(m: object) -> dict:
    f = m.ones(3, 4)
    d = m.ones(3, 4, dtype=m.float64)
    return {
        "cummax 0-d dim": lambda: m.cummax(m.tensor(1.0), 1),
        "cummin 0-d dim": lambda: m.cummin(m.tensor(1.0), -2),
        "cummax dim": lambda: m.cummax(f, 2),
        "logcumsumexp ints": lambda: m.logcumsumexp(m.tensor([1, 2]), 0),
        "logcumsumexp bools": lambda: m.logcumsumexp(m.tensor([True]), 0),
        "logcumsumexp dim": lambda: m.logcumsumexp(f, -3),
        "kthvalue k 0": lambda: m.kthvalue(f, 0),
        "kthvalue k large": lambda: m.kthvalue(f, 5),
        "kthvalue k negative": lambda: m.kthvalue(f, -1, 0),
        "kthvalue k dim 0": lambda: m.kthvalue(f, 4, 0),
        "kthvalue 0-d": lambda: m.kthvalue(m.tensor(1.0), 2),
        "kthvalue empty": lambda: m.kthvalue(m.zeros(0, 3), 1, 0),
        "kthvalue empty k": lambda: m.kthvalue(m.zeros(3, 0), 5, 0),
        "kthvalue dim": lambda: m.kthvalue(f, 1, 2),
        "kthvalue bool": lambda: m.kthvalue(m.tensor([True, False]), 1),
        "kthvalue float k": lambda: m.kthvalue(f, 2.0),
        "mode empty": lambda: m.mode(m.zeros(0, 3), 0),
        "mode dim": lambda: m.mode(f, -3),
        "quantile q large": lambda: m.quantile(f, 1.5),
        "quantile q negative": lambda: m.quantile(f, -0.1, dim=0),
        "quantile q nan": lambda: m.quantile(f, NAN),
        "quantile q long": lambda: m.quantile(f, 1.1234567),
        "nanquantile q large": lambda: m.nanquantile(f, 2),
        "quantile q tensor": lambda: m.quantile(d, m.tensor([0.5, 1.2], dtype=m.float64)),
        "quantile q tensor nan": lambda: m.nanquantile(d, m.tensor([NAN], dtype=m.float64)),
        "quantile interpolation": lambda: m.quantile(f, 0.5, interpolation="Linear"),
        "quantile interpolation first": lambda: m.quantile(m.tensor([1, 2]), 0.5, interpolation="foo"),
        "quantile ints": lambda: m.quantile(m.tensor([1, 2, 3]), 0.5),
        "nanquantile ints": lambda: m.nanquantile(m.tensor([1, 2, 3]), 0.5, dim=0),
        "quantile half": lambda: m.quantile(m.tensor([1.0, 2.0], dtype=m.float16), 0.5),
        "quantile q dtype": lambda: m.quantile(f, m.tensor([0.5], dtype=m.float64)),
        "quantile q 2-d": lambda: m.quantile(f, m.tensor([[0.5]])),
        "quantile empty": lambda: m.quantile(m.zeros(0), 0.5),
        "quantile empty dim": lambda: m.quantile(m.zeros(0, 3), 0.5, dim=1),
        "quantile dim": lambda: m.quantile(f, 0.5, dim=2),
        "quantile dim before q tensor": lambda: m.quantile(d, m.tensor([2.0], dtype=m.float64), dim=5),
        "quantile ints before dim": lambda: m.quantile(m.tensor([1, 2]), 0.5, dim=5),
    }


def _key_phrase(message: str) -> str:
    return message.split("\n")[0].replace("torch.", "bibun.").replace("torch", "bibun")


@pytest.mark.parametrize("case", sorted(_bad(bibun)))
def test_bad_input_raises_as_pytorch(case: str) -> None:
    with pytest.raises(Exception) as theirs:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _bad(torch)[case]()
    with pytest.raises(Exception) as ours:
        _bad(bibun)[case]()
    assert type(ours.value) is type(theirs.value), (case, ours.value)
    phrase = _key_phrase(str(theirs.value))
    assert re.sub(r"\s+", " ", phrase) in re.sub(r"\s+", " ", str(ours.value)), (case, str(ours.value))


def test_failed_calls_change_nothing() -> None:
    x = bibun.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    before = x.detach().clone()
    calls = (
        lambda: x.kthvalue(3),
        lambda: x.quantile(1.5),
        lambda: x.nanquantile(bibun.tensor([0.5, 2.0])),
        lambda: x.quantile(0.5, interpolation="foo"),
        lambda: x.cummax(2),
        lambda: x.mode(3),
    )
    for call in calls:
        with pytest.raises((RuntimeError, IndexError)):
            call()
    assert x.grad is None and x.tolist() == before.tolist() and x._version == 0
