"""Every op in the database, every check: gradients against central finite differences in
float64, second order through create_graph, and PyTorch's values, gradients, grad_fn names
and dtypes when torch is installed. Counts of what ran are printed at the end."""

from __future__ import annotations

import collections

import numpy as np
import pytest

import bibun
from opdb import ALL_OPS, OpInfo, Sample, make_inputs

CASES = [pytest.param(op, sample, id=f"{op.name}-{i}") for op in ALL_OPS for i, sample in enumerate(op.samples)]
DIFF_CASES = [c for c in CASES if c.values[0].differentiable]
RAN: collections.Counter = collections.Counter()


def _outputs(result: object) -> list:
    items = list(result) if isinstance(result, (tuple, list)) else [result]
    return [t for t in items if isinstance(t, bibun.Tensor) and t.is_floating_point() and t.requires_grad]


def _differentiable_positions(op: OpInfo, arrays: list) -> list[int]:
    return [i for i, a in enumerate(arrays) if i not in op.nondiff_args and a.dtype.kind == "f"]


def _tensors(arrays: list, positions: list[int]) -> list:
    return [bibun.tensor(a, requires_grad=i in positions) for i, a in enumerate(arrays)]


def _scalar_fn(op: OpInfo, arrays: list, cotangents: list) -> float:
    """<v, f(x)> with plain values, for finite differences."""
    with bibun.no_grad():
        outs = op.fn(bibun, *[bibun.tensor(a) for a in arrays])
    outs = list(outs) if isinstance(outs, (tuple, list)) else [outs]
    outs = [o for o in outs if o.is_floating_point()]
    return float(sum(np.sum(o.numpy() * v) for o, v in zip(outs, cotangents)))


@pytest.mark.parametrize("op,sample", DIFF_CASES)
def test_vjp_matches_finite_differences(op: OpInfo, sample: Sample) -> None:
    arrays = make_inputs(op, sample)
    positions = _differentiable_positions(op, arrays)
    tensors = _tensors(arrays, positions)
    outs = _outputs(op.fn(bibun, *tensors))
    assert outs, f"{op.name} produced no differentiable output"
    rng = np.random.default_rng(1)
    cotangents = [rng.standard_normal(o.shape) for o in outs]
    grads = bibun.autograd.grad(
        outs, [tensors[i] for i in positions], [bibun.tensor(v) for v in cotangents], allow_unused=True
    )
    directions = {i: rng.standard_normal(arrays[i].shape) for i in positions}
    analytic = sum(float(np.sum(g.numpy() * directions[i])) for g, i in zip(grads, positions) if g is not None)
    eps = op.fd_eps
    plus = [a + eps * directions[i] if i in directions else a for i, a in enumerate(arrays)]
    minus = [a - eps * directions[i] if i in directions else a for i, a in enumerate(arrays)]
    numeric = (_scalar_fn(op, plus, cotangents) - _scalar_fn(op, minus, cotangents)) / (2 * eps)
    assert analytic == pytest.approx(numeric, rel=op.fd_rtol, abs=1e-6)
    for g, i in zip(grads, positions):
        if g is not None:
            assert g.shape == tensors[i].shape and g.dtype == bibun.float64
    RAN[("vjp", op.name)] += 1


@pytest.mark.parametrize("op,sample", [c for c in DIFF_CASES if c.values[0].second_order])
def test_second_order_matches_finite_differences(op: OpInfo, sample: Sample) -> None:
    """The gradient, built with create_graph=True, differentiated again: catches any rule that
    reads raw arrays instead of Tensors on the create_graph path."""
    arrays = make_inputs(op, sample)
    positions = _differentiable_positions(op, arrays)
    rng = np.random.default_rng(2)

    def first_derivative_dot(values: list, record: bool) -> tuple:
        tensors = _tensors(values, positions)
        outs = _outputs(op.fn(bibun, *tensors))
        cotangents = [bibun.tensor(rng_v) for rng_v in fixed_cotangents[: len(outs)]]
        grads = bibun.autograd.grad(
            outs, [tensors[i] for i in positions], cotangents, create_graph=record, allow_unused=True
        )
        total = None
        for g, w in zip(grads, weights):
            if g is not None:
                term = (g * bibun.tensor(w)).sum()
                total = term if total is None else total + term
        return tensors, total

    probe = _outputs(op.fn(bibun, *_tensors(arrays, positions)))
    fixed_cotangents = [rng.standard_normal(o.shape) for o in probe]
    weights = [rng.standard_normal(arrays[i].shape) for i in positions]
    directions = {i: rng.standard_normal(arrays[i].shape) for i in positions}

    tensors, total = first_derivative_dot(arrays, record=True)
    analytic = 0.0
    if total is not None and total.requires_grad:
        second = bibun.autograd.grad(total, [tensors[i] for i in positions], allow_unused=True)
        analytic = sum(float(np.sum(g.numpy() * directions[i])) for g, i in zip(second, positions) if g is not None)

    def value_at(values: list) -> float:
        _, t = first_derivative_dot(values, record=False)
        return 0.0 if t is None else float(t.item())

    eps = op.fd_eps
    plus = [a + eps * directions[i] if i in directions else a for i, a in enumerate(arrays)]
    minus = [a - eps * directions[i] if i in directions else a for i, a in enumerate(arrays)]
    numeric = (value_at(plus) - value_at(minus)) / (2 * eps)
    assert analytic == pytest.approx(numeric, rel=max(1e-4, op.fd_rtol), abs=1e-5)
    RAN[("second order", op.name)] += 1


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("op,sample", CASES)
def test_matches_pytorch(op: OpInfo, sample: Sample, dtype: str) -> None:
    torch = pytest.importorskip("torch", reason="PyTorch cross-checks need torch (pip install torch==2.13.0)")
    arrays = [a.astype(dtype) if a.dtype.kind == "f" else a for a in make_inputs(op, sample)]
    positions = _differentiable_positions(op, arrays) if op.differentiable else []
    ours = [bibun.tensor(a, requires_grad=i in positions) for i, a in enumerate(arrays)]
    theirs = [torch.tensor(a, requires_grad=i in positions) for i, a in enumerate(arrays)]
    out_ours = op.fn(bibun, *ours)
    out_theirs = (op.torch_fn or op.fn)(torch, *theirs)
    list_ours = list(out_ours) if isinstance(out_ours, (tuple, list)) else [out_ours]
    list_theirs = list(out_theirs) if isinstance(out_theirs, (tuple, list)) else [out_theirs]
    assert len(list_ours) == len(list_theirs)
    tol = dict(rtol=1e-5, atol=1e-6) if dtype == "float32" else dict(rtol=1e-12, atol=1e-12)
    for a, b in zip(list_ours, list_theirs):
        assert str(a.dtype).split(".")[1] == str(b.dtype).split(".")[1]
        assert tuple(a.shape) == tuple(b.shape)
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), **tol)
        assert (a.grad_fn is None) == (b.grad_fn is None)
        if b.grad_fn is not None:
            assert type(a.grad_fn).__name__ == type(b.grad_fn).__name__
    if op.grad_fn is not None and positions:
        assert type(list_ours[0].grad_fn).__name__ == op.grad_fn
    if not positions:
        RAN[("pytorch values", op.name)] += 1
        return
    outs_ours = [t for t in list_ours if t.requires_grad]
    outs_theirs = [t for t in list_theirs if t.requires_grad]
    rng = np.random.default_rng(3)
    cotangents = [rng.standard_normal(tuple(o.shape)).astype(dtype) for o in outs_ours]
    g_ours = bibun.autograd.grad(
        outs_ours, [ours[i] for i in positions], [bibun.tensor(v) for v in cotangents], allow_unused=True
    )
    g_theirs = torch.autograd.grad(
        outs_theirs, [theirs[i] for i in positions], [torch.tensor(v) for v in cotangents], allow_unused=True
    )
    for a, b in zip(g_ours, g_theirs):
        if b is None:
            assert a is None or not np.any(a.numpy())
            continue
        np.testing.assert_allclose(a.numpy(), b.numpy(), **tol)
        assert str(a.dtype).split(".")[1] == str(b.dtype).split(".")[1]
    RAN[("pytorch", op.name)] += 1


@pytest.mark.parametrize("op,sample", [c for c in DIFF_CASES if c.values[0].forward_mode])
def test_forward_mode_matches_reverse_mode(op: OpInfo, sample: Sample) -> None:
    """<J u, v> from forward mode (forward_ad) equals <u, J^T v> from reverse mode
    (autograd.grad) for random u, v: the op's JVP rule is the transpose of its VJP rules."""
    import bibun.autograd.forward_ad as fwAD

    arrays = make_inputs(op, sample)
    positions = _differentiable_positions(op, arrays)
    rng = np.random.default_rng(4)
    directions = {i: rng.standard_normal(arrays[i].shape) for i in positions}
    tensors = _tensors(arrays, positions)
    outs = _outputs(op.fn(bibun, *tensors))
    cotangents = [rng.standard_normal(o.shape) for o in outs]
    grads = bibun.autograd.grad(
        outs, [tensors[i] for i in positions], [bibun.tensor(v) for v in cotangents], allow_unused=True
    )
    reverse = sum(float(np.sum(g.numpy() * directions[i])) for g, i in zip(grads, positions) if g is not None)
    with fwAD.dual_level():
        duals = [
            fwAD.make_dual(bibun.tensor(a), bibun.tensor(directions[i])) if i in directions else bibun.tensor(a)
            for i, a in enumerate(arrays)
        ]
        result = op.fn(bibun, *duals)
        items = list(result) if isinstance(result, (tuple, list)) else [result]
        float_outs = [t for t in items if isinstance(t, bibun.Tensor) and t.is_floating_point()]
        forward = 0.0
        for o, v in zip(float_outs, cotangents):
            tangent = fwAD.unpack_dual(o).tangent
            if tangent is not None:
                assert tangent.shape == o.shape and tangent.dtype == o.dtype
                forward += float(np.sum(tangent.numpy() * v))
    assert forward == pytest.approx(reverse, rel=1e-7, abs=1e-9)
    RAN[("forward mode", op.name)] += 1


def _public_ops() -> set[str]:
    names = set(bibun.ops.__all__)
    # bibun.nn.functional and bibun.linalg: every public function needs an entry too
    # ("nn.functional.relu", "linalg.inv"); LinAlgError is an exception class, not an op.
    names |= {f"nn.functional.{n}" for n in bibun.nn.functional.__all__}
    names |= {f"linalg.{n}" for n in bibun.linalg.__all__ if n != "LinAlgError"}
    names |= {f"special.{n}" for n in bibun.special.__all__}
    return names


@pytest.mark.parametrize("op,sample", DIFF_CASES)
def test_gradcheck_full_jacobian(op: OpInfo, sample: Sample) -> None:
    """bibun.autograd.gradcheck on every entry: every element of the Jacobian, by reverse mode
    and (where the entry supports it) forward mode, against finite differences. The random
    projections above catch most errors cheaply; this leaves no element unchecked."""
    arrays = make_inputs(op, sample)
    positions = _differentiable_positions(op, arrays)
    if sum(arrays[i].size for i in positions) > 64:
        pytest.skip("the full Jacobian of a large sample is left to the projected checks")
    tensors = _tensors(arrays, positions)

    def differentiable_outputs(*inputs: bibun.Tensor) -> tuple:
        result = op.fn(bibun, *inputs)
        items = list(result) if isinstance(result, (tuple, list)) else [result]
        return tuple(t for t in items if isinstance(t, bibun.Tensor) and t.is_floating_point())

    assert bibun.autograd.gradcheck(
        differentiable_outputs,
        tuple(tensors),
        eps=op.fd_eps,
        atol=1e-5,
        rtol=max(1e-4, op.fd_rtol),
        check_forward_ad=op.forward_mode,
    )
    RAN[("gradcheck", op.name)] += 1


def test_every_public_op_has_a_database_entry() -> None:
    covered = set()
    for op in ALL_OPS:
        covered.add(op.name)
        covered.update(op.covers)
    missing = sorted(_public_ops() - covered)
    assert not missing, f"public ops with no op-database entry: {missing}"


def test_report_counts(capsys: pytest.CaptureFixture) -> None:
    """Prints how many (op, sample, check) triples ran in this test run (run last by name)."""
    by_check = collections.Counter()
    for (check, _), n in RAN.items():
        by_check[check] += n
    with capsys.disabled():
        print(f"\nop database: {len(ALL_OPS)} entries; checks run: {dict(by_check)}")
