"""The reverse-mode engine: deep and wide graphs, shared subexpressions, retain_graph,
accumulation, ``inputs=``, ``autograd.grad``, higher order, memory release."""

from __future__ import annotations

import gc
import sys
import warnings
import weakref

import numpy as np
import pytest

import bibun as torch


def test_deep_chain_of_100k_ops_backpropagates_without_recursion() -> None:
    x = torch.tensor(0.5, dtype=torch.float64, requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y * 1.0000001
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(200)  # any recursion over the graph would now fail
    try:
        y.backward()
    finally:
        sys.setrecursionlimit(limit)
    assert x.grad.item() == pytest.approx(1.0000001**100_000, rel=1e-9)


def test_wide_fan_in_accumulates_every_path() -> None:
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    total = x * 0
    for k in range(1, 501):
        total = total + x * k
    total.sum().backward()
    assert x.grad.tolist() == [125250.0, 125250.0]


def test_shared_subexpression_gradients_add() -> None:
    x = torch.tensor(3.0, requires_grad=True)
    s = x * x  # used three times below
    y = s + s * s + torch.sin(s)
    y.backward()
    expected = 2 * 3 + 4 * 27 + np.cos(9.0) * 6
    assert x.grad.item() == pytest.approx(expected, rel=1e-6)


def test_second_backward_through_freed_values_raises() -> None:
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time") as info:
        y.backward()
    assert "retain_graph=True" in str(info.value)
    assert x.grad.tolist() == [2.0, 4.0]  # the failed call changed nothing


def test_graph_without_saved_values_can_be_run_twice() -> None:
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = (x + x).sum()
    y.backward()
    y.backward()
    assert x.grad.tolist() == [4.0, 4.0]


def test_retain_graph_allows_repeated_backward_and_grads_accumulate() -> None:
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    first = x.grad
    y.backward()
    assert x.grad.tolist() == [4.0, 8.0]
    assert first is x.grad  # accumulated in place, as PyTorch does


def test_grad_can_be_reset_with_zero_or_none() -> None:
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    (x * 3).sum().backward()
    x.grad.zero_()
    assert x.grad.tolist() == [0.0, 0.0]
    (x * 3).sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]
    x.grad = None
    (x * 2).sum().backward()
    assert x.grad.tolist() == [2.0, 2.0]


def test_leaf_gradients_do_not_alias_each_other() -> None:
    a = torch.tensor([1.0, 2.0], requires_grad=True)
    b = torch.tensor([3.0, 4.0], requires_grad=True)
    (a + b).sum().backward()
    a.grad.zero_()
    assert b.grad.tolist() == [1.0, 1.0]


def test_backward_inputs_restricts_accumulation() -> None:
    a = torch.tensor(2.0, requires_grad=True)
    b = torch.tensor(3.0, requires_grad=True)
    y = a * b
    y.backward(inputs=[a])
    assert a.grad.item() == 3.0 and b.grad is None


def test_backward_inputs_may_name_a_non_leaf() -> None:
    a = torch.tensor(2.0, requires_grad=True)
    h = a * 3
    y = h * h
    y.backward(inputs=[h])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert h.grad.item() == 12.0
    assert a.grad is None


def test_autograd_grad_returns_without_accumulating() -> None:
    x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = (x**2).sum()
    (g,) = torch.autograd.grad(y, x)
    assert g.tolist() == [2.0, 4.0, 6.0] and x.grad is None and not g.requires_grad


def test_autograd_grad_prunes_to_the_needed_subgraph() -> None:
    a = torch.tensor(1.0, requires_grad=True)
    b = torch.tensor(2.0, requires_grad=True)
    y = torch.exp(a) + torch.log(b)
    exp_node, log_node = (edge[0] for edge in y.grad_fn.next_functions)
    (ga,) = torch.autograd.grad(y, a)
    assert ga.item() == pytest.approx(np.e, rel=1e-6)
    # the exp branch ran and freed its saved output; the log branch was never run
    assert type(exp_node._saved) is not tuple
    assert type(log_node._saved) is tuple and len(log_node._saved) == 1
    (gb,) = torch.autograd.grad(y, b)
    assert gb.item() == pytest.approx(0.5)


def test_autograd_grad_with_grad_outputs_and_several_outputs() -> None:
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y1, y2 = x * 2, x * x
    (g,) = torch.autograd.grad([y1, y2], [x], [torch.tensor([1.0, 1.0]), torch.tensor([0.5, 2.0])])
    assert g.tolist() == [3.0, 10.0]


def test_autograd_grad_unused_input() -> None:
    x = torch.tensor(1.0, requires_grad=True)
    unused = torch.tensor(2.0, requires_grad=True)
    y = x * 2
    with pytest.raises(RuntimeError, match="appears to not have been used in the graph. Set allow_unused=True"):
        torch.autograd.grad(y, [x, unused], retain_graph=True)
    gx, gu = torch.autograd.grad(y, [x, unused], allow_unused=True, retain_graph=True)
    assert gx.item() == 2.0 and gu is None
    gx, gu = torch.autograd.grad(y, [x, unused], materialize_grads=True)
    assert gu.item() == 0.0


def test_autograd_grad_of_input_not_requiring_grad() -> None:
    x = torch.tensor(1.0, requires_grad=True)
    c = torch.tensor(2.0)
    with pytest.raises(RuntimeError, match="One of the differentiated Tensors does not require grad"):
        torch.autograd.grad(x * c, c)


def test_create_graph_gives_higher_derivatives() -> None:
    x = torch.tensor(2.0, requires_grad=True)
    y = x**3
    (dy,) = torch.autograd.grad(y, x, create_graph=True)
    (d2y,) = torch.autograd.grad(dy, x, create_graph=True)
    (d3y,) = torch.autograd.grad(d2y, x)
    assert (dy.item(), d2y.item(), d3y.item()) == (12.0, 12.0, 6.0)
    assert dy.requires_grad and dy.grad_fn is not None


def test_gradient_penalty_backpropagates() -> None:
    w = torch.tensor([[1.0, -2.0], [0.5, 3.0]], requires_grad=True)
    x = torch.tensor([0.3, -0.7], requires_grad=True)
    out = torch.tanh(w @ x).sum()
    (gx,) = torch.autograd.grad(out, x, create_graph=True)
    penalty = (gx * gx).sum()
    penalty.backward()
    # check d(penalty)/dw against central differences
    eps = 1e-3
    numeric = np.zeros((2, 2))
    base = w.detach().numpy().astype(np.float64)
    for i in range(2):
        for j in range(2):
            values = []
            for sign in (1, -1):
                wp = base.copy()
                wp[i, j] += sign * eps
                xv = np.array([0.3, -0.7])
                s = 1 - np.tanh(wp @ xv) ** 2
                g = wp.T @ s
                values.append(float(g @ g))
            numeric[i, j] = (values[0] - values[1]) / (2 * eps)
    np.testing.assert_allclose(w.grad.numpy(), numeric, rtol=1e-3, atol=1e-3)


def test_backward_with_create_graph_warns_about_the_cycle() -> None:
    from bibun.autograd import engine

    engine._create_graph_warned.clear()  # as PyTorch, bibun warns once per process
    x = torch.tensor(1.0, requires_grad=True)
    with pytest.warns(UserWarning, match="reference cycle"):
        (x * x).backward(create_graph=True)
    assert x.grad.requires_grad and x.grad.item() == 2.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        (x * x).backward(create_graph=True)


def test_non_scalar_backward_needs_a_gradient() -> None:
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar outputs"):
        y.backward()
    assert x.grad is None
    with pytest.raises(
        RuntimeError,
        match=r"Mismatch in shape: grad_output\[0\] has a shape of bibun.Size\(\[3\]\) and output\[0\] has a shape of bibun.Size\(\[2\]\)",
    ):
        y.backward(torch.ones(3))
    assert x.grad is None
    y.backward(torch.tensor([1.0, 0.5]))
    assert x.grad.tolist() == [2.0, 1.0]


def test_broadcasting_is_undone_for_every_input() -> None:
    a = torch.ones(3, 1, requires_grad=True)
    b = torch.ones(4, requires_grad=True)
    c = torch.tensor(2.0, requires_grad=True)
    (a * b * c).sum().backward()
    assert a.grad.shape == (3, 1) and a.grad.tolist() == [[8.0], [8.0], [8.0]]
    assert b.grad.tolist() == [6.0] * 4 and c.grad.item() == 12.0


def test_mixed_dtype_gradients_keep_each_inputs_dtype() -> None:
    a = torch.tensor([1.0, 2.0], requires_grad=True)
    b = torch.tensor(3.0, dtype=torch.float64, requires_grad=True)
    y = a * b
    assert y.dtype == torch.float32
    y.sum().backward()
    assert a.grad.dtype == torch.float32 and b.grad.dtype == torch.float64
    assert b.grad.item() == 3.0


def test_saved_arrays_are_released_after_backward() -> None:
    x = torch.randn(1000, requires_grad=True)
    y = torch.exp(x)
    z = y * y
    node = z.grad_fn
    saved_y = weakref.ref(node._saved[0])  # the Tensor y, saved by the product
    exp_output = y.grad_fn._saved[0]
    exp_data = weakref.ref(exp_output.data)
    del y, exp_output
    z.sum().backward()
    gc.collect()
    assert saved_y() is None
    assert exp_data() is None


def test_retain_graph_keeps_saved_values() -> None:
    x = torch.randn(10, requires_grad=True)
    z = torch.exp(x).sum()
    z.backward(retain_graph=True)
    assert z.grad_fn.next_functions[0][0]._saved  # still there
    z.backward()


def test_accumulation_order_is_deterministic() -> None:
    def run() -> list:
        torch.manual_seed(0)
        x = torch.randn(50, requires_grad=True)
        parts = [torch.sin(x * k) for k in range(20)]
        total = parts[0]
        for p in parts[1:]:
            total = total + p * x
        total.sum().backward()
        return x.grad.numpy().tobytes()

    assert run() == run()


def test_backward_of_a_leaf_accumulates_ones() -> None:
    x = torch.tensor(3.0, requires_grad=True)
    x.backward()
    assert x.grad.item() == 1.0


def test_gradient_argument_must_match_dtype_conversion() -> None:
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    (x * 2).backward(torch.tensor([1, 1]))  # an integer gradient is cast to the output's dtype
    assert x.grad.tolist() == [2.0, 2.0] and x.grad.dtype == torch.float32


def test_engine_runs_hooks_on_intermediates() -> None:
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    seen = []
    y.register_hook(lambda g: seen.append(g.tolist()))
    y.register_hook(lambda g: g * 2)
    y.retain_grad()
    y.sum().backward()
    assert seen == [[1.0, 1.0]]
    assert y.grad.tolist() == [2.0, 2.0] and x.grad.tolist() == [6.0, 6.0]


# --- in-place accumulation of large gradients (the engine adds into arrays it alone holds) ------
def test_large_gradients_are_accumulated_in_place_only_when_unshared() -> None:
    from bibun.autograd import engine

    decisions = []
    original = engine._sole_owner

    def recording(array, references):  # this frame holds one more reference than the engine's call
        result = original(array, references + 1)
        decisions.append(result)
        return result

    engine._sole_owner = recording
    try:
        x = torch.randn(10_000, requires_grad=True)
        (torch.sin(x) * torch.exp(-x * x) + torch.tanh(x)).sum().backward()
    finally:
        engine._sole_owner = original
    assert decisions == [True, True, True, True]  # three in-place additions, and .grad without a copy
    xd = x.detach().numpy().astype(np.float64)
    expected = np.cos(xd) * np.exp(-xd * xd) - 2 * xd * np.sin(xd) * np.exp(-xd * xd) + 1 - np.tanh(xd) ** 2
    np.testing.assert_allclose(x.grad.numpy(), expected, rtol=1e-5, atol=1e-6)


def test_in_place_accumulation_never_aliases_shared_gradients() -> None:
    n = 10_000
    a, b = torch.randn(n, requires_grad=True), torch.randn(n, requires_grad=True)
    (a + b).sum().backward()  # add hands the same array to both inputs
    a.grad.zero_()
    assert np.all(b.grad.numpy() == 1.0)

    c = torch.randn(n, requires_grad=True)
    (c + c).sum().backward()
    assert np.all(c.grad.numpy() == 2.0)

    kept = []
    d = torch.randn(n, requires_grad=True)
    d.register_hook(lambda g: kept.append(g))
    (d * 3).sum().backward()
    d.grad.zero_()
    assert np.all(kept[0].numpy() == 3.0)  # the hook's tensor is not the .grad the engine then mutates

    e = torch.randn(n, requires_grad=True)
    mid = e.clone()
    mid.retain_grad()
    (mid * 2 + mid).sum().backward()
    e.grad.zero_()
    assert np.all(mid.grad.numpy() == 3.0)

    f = torch.randn(n, requires_grad=True)
    y = f * 2
    y.sum().backward(retain_graph=True)
    first = f.grad.numpy().copy()
    y.sum().backward()
    np.testing.assert_array_equal(f.grad.numpy(), first * 2)


def test_a_leaf_hook_registered_before_any_use_fires() -> None:
    seen = []
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    handle = x.register_hook(lambda g: seen.append(g.tolist()))
    (x * 3).sum().backward()
    (x * 2).sum().backward()
    handle.remove()
    (x * 5).sum().backward()
    assert seen == [[3.0, 3.0], [2.0, 2.0]]
    assert x.grad.tolist() == [10.0, 10.0]


def test_grad_with_batched_grad_outputs_gives_one_vjp_per_row() -> None:
    x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * x  # Jacobian diag(2x)
    (rows,) = torch.autograd.grad(y, x, torch.eye(3), is_grads_batched=True)
    assert rows.tolist() == [[2.0, 0.0, 0.0], [0.0, 4.0, 0.0], [0.0, 0.0, 6.0]]
    real = pytest.importorskip("torch", reason="the live comparison needs torch")
    xt = real.tensor([1.0, 2.0, 3.0], requires_grad=True)
    (expected,) = real.autograd.grad(xt * xt, xt, real.eye(3), is_grads_batched=True)
    np.testing.assert_array_equal(rows.numpy(), expected.numpy())


def test_a_view_made_under_no_grad_behaves_as_in_pytorch() -> None:
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    with torch.no_grad():
        v = x[0]
    assert v.requires_grad and v.is_leaf and v.grad_fn is None
    (v * 2).backward()
    assert v.grad is None and x.grad is None  # the gradient goes nowhere, as in PyTorch
    with pytest.raises(RuntimeError, match="A view was created in no_grad mode and is being modified inplace"):
        v.add_(1)
    assert x.tolist() == [1.0, 2.0]


def test_a_view_made_under_no_grad_sends_no_gradient_through_a_function_or_as_a_root() -> None:
    class Double(torch.autograd.Function):
        @staticmethod
        def forward(ctx, a):  # noqa: ANN001, ANN205
            return a * 2

        @staticmethod
        def backward(ctx, g):  # noqa: ANN001, ANN205
            return g * 2

    x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    with torch.no_grad():
        v = x[:2]
    Double.apply(v).sum().backward()
    assert v.grad is None and x.grad is None  # as for an op: PyTorch gives the view no edge
    with pytest.raises(RuntimeError, match="element 0 of tensors does not require grad and does not have a grad_fn"):
        v.backward(torch.ones(2))
    assert v.grad is None and x.grad is None


def test_the_last_nodes_gradients_reach_dot_grad_without_a_copy() -> None:
    from bibun.autograd import engine

    decisions = []
    original = engine._sole_owner

    def recording(array, references):  # this frame holds one more reference than the engine's call
        result = original(array, references + 1)
        decisions.append((array.shape, result))
        return result

    engine._sole_owner = recording
    try:
        w = torch.randn(300, 200, requires_grad=True)
        x = torch.randn(50, 300)
        (torch.tanh(x @ w) ** 2).sum().backward()  # w's gradient comes from the last op node run
    finally:
        engine._sole_owner = original
    assert decisions == [((300, 200), True)]


def test_a_product_saves_only_what_the_needed_gradient_reads() -> None:
    """As PyTorch: y = a * b with only a requiring grad saves b, so writing to a afterwards is
    fine, and a saved-tensor hook sees one pack."""
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    b = torch.tensor([3.0, 4.0])
    a = x * 1
    y = a * b
    a.add_(1)
    y.sum().backward()
    assert x.grad.tolist() == [3.0, 4.0]
    packed = []
    with torch.autograd.graph.saved_tensors_hooks(lambda t: packed.append(t.tolist()) or t, lambda t: t):
        (x * 1) * b
        b / (x * 1)
    assert packed == [[3.0, 4.0], [1.0, 2.0], [3.0, 4.0]]  # b; then both inputs of the division
    c = x * 1
    z = b * c  # only the second input needs a gradient: the first (b) is what it reads
    b.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.sum().backward()


@pytest.mark.parametrize(
    "shapes",
    [((2, 3), (3, 4)), ((3,), (3, 4)), ((2, 3), (3,)), ((3,), (3,)), ((2, 2, 3), (3, 4)), ((3,), (2, 3, 4))],
    ids=["mm", "vecmat", "mv", "dot", "batched", "vector-batch"],
)
def test_a_matrix_product_saves_only_the_other_operand(shapes) -> None:
    """As PyTorch's mm/mv/dot/bmm: with one operand requiring grad only the other is saved, so
    writing to the first afterwards is fine; the gradient is the full product's."""
    rng = np.random.default_rng(0)
    a_values, b_values = rng.standard_normal(shapes[0]), rng.standard_normal(shapes[1])
    leaf = torch.tensor(a_values, requires_grad=True)
    a = leaf * 1
    y = a @ torch.tensor(b_values)
    a.add_(1)  # not saved: its gradient needs only b
    y.sum().backward()
    reference = torch.tensor(a_values, requires_grad=True)
    (reference @ torch.tensor(b_values)).sum().backward()
    np.testing.assert_allclose(leaf.grad.numpy(), reference.grad.numpy(), rtol=1e-12)
    leaf_b = torch.tensor(b_values, requires_grad=True)
    b = leaf_b * 1
    y = torch.tensor(a_values) @ b
    b.mul_(2)
    y.sum().backward()
    reference_b = torch.tensor(b_values, requires_grad=True)
    (torch.tensor(a_values) @ reference_b).sum().backward()
    np.testing.assert_allclose(leaf_b.grad.numpy(), reference_b.grad.numpy(), rtol=1e-12)
    both = torch.tensor(a_values, requires_grad=True) * 1
    y = both @ torch.tensor(b_values, requires_grad=True)
    both.add_(1)  # saved: the other operand's gradient reads it
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()
