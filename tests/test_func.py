"""bibun.func: the torch.func documentation examples as tests, Jacobians and Hessians
against finite differences and PyTorch, vmap against a Python loop for every op in the op
database, the ops that have no batching rule yet, and PyTorch's errors for bad input."""

from __future__ import annotations

import numpy as np
import pytest

import bibun
from bibun.func import _rules, grad, grad_and_value, hessian, jacfwd, jacrev, jvp, linearize, vjp, vmap
from opdb import ALL_OPS, make_inputs

rng = np.random.default_rng(0)
X = rng.uniform(-1, 1, 5)


def _t(a: np.ndarray) -> bibun.Tensor:
    return bibun.tensor(a)


# --- grad ------------------------------------------------------------------------------------
def test_docs_grad_examples() -> None:
    x = _t(X)
    np.testing.assert_allclose(grad(lambda t: bibun.sin(t).sum())(x).numpy(), np.cos(X))
    second = grad(lambda t: grad(lambda u: bibun.sin(u))(t))(_t(np.array(0.7)))
    assert second.item() == pytest.approx(-np.sin(0.7))
    assert second.grad_fn is None  # outermost results are detached, as in PyTorch


def test_grad_argnums_and_aux() -> None:
    x, y = _t(X), _t(X[::-1].copy())

    def f(a: bibun.Tensor, b: bibun.Tensor) -> tuple:
        out = (a * b.exp()).sum()
        return out, {"twice": out * 2}

    (ga, gb), aux = grad(f, argnums=(0, 1), has_aux=True)(x, y)
    np.testing.assert_allclose(ga.numpy(), np.exp(X[::-1]))
    np.testing.assert_allclose(gb.numpy(), X * np.exp(X[::-1]))
    assert aux["twice"].item() == pytest.approx(2 * np.sum(X * np.exp(X[::-1])))
    g, value = grad_and_value(lambda a: (a**2).sum())(x)
    np.testing.assert_allclose(g.numpy(), 2 * X)
    assert value.item() == pytest.approx(np.sum(X**2))


def test_vjp_jvp_linearize() -> None:
    x = _t(X)
    out, vjp_fn = vjp(bibun.sin, x)
    (ct,) = vjp_fn(bibun.ones_like(x))
    np.testing.assert_allclose(ct.numpy(), np.cos(X))
    out, tangent = jvp(lambda a: a.sin() * a, (x,), (bibun.ones_like(x),))
    np.testing.assert_allclose(tangent.numpy(), np.cos(X) * X + np.sin(X))
    out, jvp_fn = linearize(lambda a: a.exp().sum(), x)
    assert jvp_fn(bibun.ones_like(x)).item() == pytest.approx(np.exp(X).sum())


# --- Jacobians and Hessians -----------------------------------------------------------------------
def _f(a: bibun.Tensor, b: bibun.Tensor) -> bibun.Tensor:
    return (a[:, None] * b).tanh().sum(0) + a.sum() * b


def test_jacobians_against_finite_differences() -> None:
    a, b = rng.uniform(-1, 1, 3), rng.uniform(-1, 1, 4)
    eps = 1e-6
    numeric = np.stack(
        [(_f(_t(a), _t(b + eps * e)).numpy() - _f(_t(a), _t(b - eps * e)).numpy()) / (2 * eps) for e in np.eye(4)],
        axis=1,
    )
    for transform in (jacrev, jacfwd):
        jac = transform(_f, argnums=1)(_t(a), _t(b))
        np.testing.assert_allclose(jac.numpy(), numeric, rtol=1e-6, atol=1e-9)
        both = transform(_f, argnums=(0, 1))(_t(a), _t(b))
        assert both[0].shape == (4, 3) and both[1].shape == (4, 4)


def test_hessian_against_finite_differences() -> None:
    x0 = rng.uniform(-1, 1, 4)
    hess = hessian(lambda t: (t**3 * t.sin()).sum())(_t(x0))
    diagonal = 6 * x0 * np.sin(x0) + 6 * x0**2 * np.cos(x0) - x0**3 * np.sin(x0)
    np.testing.assert_allclose(hess.numpy(), np.diag(diagonal), rtol=1e-10, atol=1e-12)


def test_against_pytorch() -> None:
    torch = pytest.importorskip("torch", reason="comparing with PyTorch needs torch (pip install torch==2.13.0)")
    a, b = rng.uniform(-1, 1, 3), rng.uniform(-1, 1, 4)
    m = rng.uniform(-1, 1, (3, 4))
    results = []
    for lib in (bibun, torch):
        fn = lib.func

        def g(x: object, y: object) -> object:
            return ((x @ lib.tensor(m)) * y).sin().sum() + (x**2).sum() * y.max()

        results.append(
            [
                fn.jacrev(_f, argnums=(0, 1))(lib.tensor(a), lib.tensor(b)),
                fn.jacfwd(_f, argnums=(0, 1))(lib.tensor(a), lib.tensor(b)),
                fn.hessian(g, argnums=(0, 1))(lib.tensor(a), lib.tensor(b)),
                fn.vmap(fn.grad(g), in_dims=(0, None))(lib.tensor(np.stack([a, a * 2])), lib.tensor(b)),
            ]
        )

    def flat(value: object) -> list:
        if isinstance(value, (tuple, list)):
            return [x for item in value for x in flat(item)]
        return [value.detach().numpy()]

    for ours, theirs in zip(flat(results[0]), flat(results[1])):
        assert ours.shape == theirs.shape
        np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)


def test_jacrev_runs_the_function_once() -> None:
    """Every row of the Jacobian comes from one batched backward, not one pass per row."""
    calls = []

    def f(t: bibun.Tensor) -> bibun.Tensor:
        calls.append(1)
        return t.exp() * t.sum()

    jacrev(f)(_t(X))
    jacfwd(f)(_t(X))
    assert len(calls) == 2
    assert not _rules.LOOPED.get("exp") and not _rules.LOOPED.get("mul")


# --- vmap ----------------------------------------------------------------------------------------
def test_docs_vmap_examples() -> None:
    xs, ys = rng.standard_normal((2, 5)), rng.standard_normal((2, 5))
    np.testing.assert_allclose(vmap(bibun.dot)(_t(xs), _t(ys)).numpy(), np.sum(xs * ys, 1))
    m = rng.standard_normal((3, 5))
    np.testing.assert_allclose(vmap(bibun.mv, in_dims=(None, 0))(_t(m), _t(xs)).numpy(), xs @ m.T)
    batched = rng.standard_normal((5, 2))
    out = vmap(lambda v: v.sum(), in_dims=1)(_t(batched))
    np.testing.assert_allclose(out.numpy(), batched.sum(0))
    moved = vmap(lambda v: v * 2, out_dims=1)(_t(xs))
    np.testing.assert_allclose(moved.numpy(), (xs * 2).T)


def test_nested_vmap_is_an_outer_product() -> None:
    a, b = rng.standard_normal(3), rng.standard_normal(4)
    out = vmap(vmap(bibun.mul, in_dims=(None, 0)), in_dims=(0, None))(_t(a), _t(b))
    np.testing.assert_allclose(out.numpy(), np.outer(a, b))


def test_per_sample_gradients() -> None:
    w = rng.standard_normal(3)
    data, targets = rng.standard_normal((6, 3)), rng.standard_normal(6)

    def loss(weights: bibun.Tensor, x: bibun.Tensor, y: bibun.Tensor) -> bibun.Tensor:
        return ((x * weights).sum() - y) ** 2

    grads = vmap(grad(loss), in_dims=(None, 0, 0))(_t(w), _t(data), _t(targets))
    expected = 2 * ((data * w).sum(1) - targets)[:, None] * data
    np.testing.assert_allclose(grads.numpy(), expected, rtol=1e-12)


def test_data_dependent_code_falls_back_to_a_loop() -> None:
    from bibun.func import _vmap

    def f(v: bibun.Tensor) -> bibun.Tensor:
        return v * 2 if v.sum().item() > 0 else v * 0

    xs = np.array([[1.0, 2.0], [-3.0, 1.0]])
    np.testing.assert_allclose(vmap(f)(_t(xs)).numpy(), [[2.0, 4.0], [0.0, 0.0]])
    assert _vmap.FALLBACKS["f"] >= 1


def _stack_outputs(results: list) -> list:
    items = [list(r) if isinstance(r, (tuple, list)) else [r] for r in results]
    return [np.stack([row[i].detach().numpy() for row in items]) for i in range(len(items[0]))]


def _shapes_differ(batch: list, op: object, positions: list) -> bool:
    shapes = set()
    for arrays in batch:
        out = op.fn(bibun, *[_t(arrays[i]) if i in positions else _t(batch[0][i]) for i in range(len(arrays))])
        shapes.add(tuple(o.shape for o in (out if isinstance(out, (tuple, list)) else [out])))
    return len(shapes) > 1


VMAP_CASES = [pytest.param(op, sample, id=f"{op.name}-{i}") for op in ALL_OPS for i, sample in enumerate(op.samples)]


@pytest.mark.parametrize("op,sample", VMAP_CASES)
def test_vmap_equals_a_loop_for_every_op(op: object, sample: object) -> None:
    """vmap(f)(batch) == stack([f(x) for x in batch]) for every op-database sample; ops with
    a batching rule run batched, the others loop per example (listed below)."""
    batch = [make_inputs(op, sample, seed=s) for s in range(3)]
    positions = [i for i, a in enumerate(batch[0]) if a.dtype.kind == "f" and i not in op.nondiff_args]
    if not positions:
        pytest.skip("no floating-point input to map over")
    args = [
        _t(np.stack([arrays[i] for arrays in batch])) if i in positions else _t(batch[0][i])
        for i in range(len(batch[0]))
    ]
    if _shapes_differ(batch, op, positions):
        pytest.skip("the output's shape depends on the input values: it cannot be batched (as in PyTorch)")
    # Inputs not mapped over are the same for every example.
    expected_fixed = _stack_outputs(
        [
            op.fn(bibun, *[_t(arrays[i]) if i in positions else _t(batch[0][i]) for i in range(len(arrays))])
            for arrays in batch
        ]
    )
    in_dims = tuple(0 if i in positions else None for i in range(len(args)))
    out = vmap(lambda *ts: op.fn(bibun, *ts), in_dims=in_dims)(*args)
    got = [o.detach().numpy() for o in (out if isinstance(out, (tuple, list)) else [out])]
    assert len(got) == len(expected_fixed)
    for g, e in zip(got, expected_fixed):
        assert g.shape == e.shape and g.dtype == e.dtype
        np.testing.assert_allclose(g, e, rtol=1e-12, atol=1e-12)


def test_ops_without_a_batching_rule() -> None:
    """The ops vmap runs once per example (correct, slower). The core families must not be
    among them; the list is printed so that it can be kept short."""
    from bibun.ops._registry import OPS

    looping = sorted(
        name
        for name, op in OPS.items()
        if name not in _rules.RULES and not (isinstance(op.jvp, str) and op.jvp in _rules._BY_KIND)
    )
    for core in ("add", "mul", "sin", "exp", "sum_all", "sum_dim", "mean_dim", "matmul", "mm", "view", "permute"):
        assert core not in looping
    print(f"\nops that vmap runs per example (no batching rule yet): {looping}")


# --- bad input -----------------------------------------------------------------------------------
def test_vmap_errors() -> None:
    x = bibun.ones(2, 3)
    with pytest.raises(ValueError, match="in_dims is not compatible with the structure of `inputs`"):
        vmap(bibun.sin, in_dims=(0, 1))(x)
    with pytest.raises(ValueError, match="expected `in_dims` to be int or a \\(potentially nested\\) tuple"):
        vmap(bibun.sin, in_dims=None)(x)
    with pytest.raises(ValueError, match="Expected all tensors to have the same size in the mapped dimension"):
        vmap(bibun.add)(x, bibun.ones(3, 3))
    with pytest.raises(ValueError, match="so expected in_dim to satisfy -2 <= in_dim < 2"):
        vmap(bibun.sin, in_dims=5)(x)
    with pytest.raises(ValueError, match="must only return Tensors, got type <class 'float'>"):
        vmap(lambda a: 1.0)(x)
    with pytest.raises(ValueError, match="We cannot vmap over non-Tensor arguments"):
        vmap(bibun.sin)(1.0)


def test_transform_errors() -> None:
    x = bibun.ones(3)
    with pytest.raises(RuntimeError, match="Expected f\\(\\*args\\) to return a scalar Tensor, got tensor with 1 dims"):
        grad(lambda a: a)(x)
    with pytest.raises(RuntimeError, match="output of function f should be a tuple: \\(output, aux\\)"):
        grad(lambda a: a.sum(), has_aux=True)(x)
    with pytest.raises(RuntimeError, match="Got argnum=1, but only 1 positional inputs"):
        grad(lambda a: a.sum(), argnums=1)(x)
    with pytest.raises(ValueError, match="Thing passed to transform API must be Tensor"):
        grad(lambda a: a.sum())(1.0)
    with pytest.raises(RuntimeError, match="Expected primals to be a tuple"):
        jvp(bibun.sin, x, (x,))
    with pytest.raises(RuntimeError, match="Trying to set a forward gradient that has a different size"):
        jvp(bibun.sin, (x,), (bibun.ones(2),))


def test_jacobians_stay_differentiable_for_inputs_that_require_grad():
    """As in PyTorch: a transform's result is detached only from its own internals, so an
    outer backward through jacrev/jacfwd/hessian reaches a user tensor that requires grad."""
    from bibun.func import hessian, jacfwd, jacrev

    x = bibun.tensor([1.0, 2.0], requires_grad=True)
    for transform in (jacrev, jacfwd):
        x.grad = None
        jac = transform(lambda t: t.sin() * t)(x)
        assert jac.grad_fn is not None
        jac.sum().backward()
        xd = x.detach().numpy().astype(np.float64)
        expected = 2 * np.cos(xd) - xd * np.sin(xd)  # d/dx of the diagonal sin(x) + x cos(x)
        np.testing.assert_allclose(x.grad.numpy(), expected, rtol=1e-5)
    assert hessian(lambda t: (t**3).sum())(x).grad_fn is not None
    assert jacrev(lambda t: t.sin() * t)(x.detach()).grad_fn is None
