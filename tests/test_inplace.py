"""In-place ops: values, grad_fn names, versions and gradients against the out-of-place
computation and against PyTorch; PyTorch's errors (and nothing changed by a failed call);
writes through views (CopySlices); the in-place error that names the offending write."""

from __future__ import annotations

import numpy as np
import pytest

import bibun
from conftest import HAVE_TORCH

needs_torch = pytest.mark.skipif(not HAVE_TORCH, reason="PyTorch is not installed: the cross-check needs it")
WEIGHTS = [1.0, 2.0, 3.0]


def arr(t):
    return t.detach().numpy()


# (in-place form, out-of-place form) on a non-leaf y = x * 1 of shape (3,)
CASES = {
    "add_": (lambda t, L: t.add_(1), lambda t, L: t + 1),
    "add_alpha": (lambda t, L: t.add_(L.ones(3), alpha=2), lambda t, L: t + 2 * L.ones(3)),
    "sub_": (lambda t, L: t.sub_(0.5), lambda t, L: t - 0.5),
    "mul_": (lambda t, L: t.mul_(2), lambda t, L: t * 2),
    "div_": (lambda t, L: t.div_(4), lambda t, L: t / 4),
    "pow_": (lambda t, L: t.pow_(2), lambda t, L: t**2),
    "neg_": (lambda t, L: t.neg_(), lambda t, L: -t),
    "exp_": (lambda t, L: t.exp_(), lambda t, L: t.exp()),
    "clamp_": (lambda t, L: t.clamp_(1.5, 2.5), lambda t, L: t.clamp(1.5, 2.5)),
    "zero_": (lambda t, L: t.zero_(), lambda t, L: t * 0),
    "fill_": (lambda t, L: t.fill_(7), lambda t, L: t * 0 + 7),
    "copy_": (lambda t, L: t.copy_(L.tensor([4.0, 5.0, 6.0])), lambda t, L: t * 0 + L.tensor([4.0, 5.0, 6.0])),
    "iadd": (lambda t, L: t.__iadd__(1), lambda t, L: t + 1),
    "isub": (lambda t, L: t.__isub__(1), lambda t, L: t - 1),
    "imul": (lambda t, L: t.__imul__(3), lambda t, L: t * 3),
    "itruediv": (lambda t, L: t.__itruediv__(2), lambda t, L: t / 2),
    "setitem": (lambda t, L: t.__setitem__(0, 5.0), lambda t, L: L.cat([L.tensor([5.0]), t[1:]])),
    "setitem_list": (lambda t, L: t.__setitem__([0, 2], 5.0), lambda t, L: L.stack([t[0] * 0 + 5, t[1], t[2] * 0 + 5])),
    "setitem_mask": (lambda t, L: t.__setitem__(t > 1.5, 0.0), lambda t, L: t * (t <= 1.5)),
}


def run_case(lib, name, inplace=True):
    x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 1
    fn = CASES[name][0 if inplace else 1]
    returned = fn(y, lib)
    out = y if inplace else returned
    (out * lib.tensor(WEIGHTS)).sum().backward()
    return x, y, out, returned


@pytest.mark.parametrize("name", sorted(CASES))
def test_inplace_matches_out_of_place(name):
    x, y, out, returned = run_case(bibun, name)
    x_ref, _, out_ref, _ = run_case(bibun, name, inplace=False)
    assert returned is y or name.startswith("setitem")
    np.testing.assert_allclose(arr(y), arr(out_ref), rtol=1e-6)
    np.testing.assert_allclose(arr(x.grad), arr(x_ref.grad), rtol=1e-6)
    assert y._version == 1
    assert not y.is_leaf and y.requires_grad


@needs_torch
@pytest.mark.parametrize("name", sorted(CASES))
def test_inplace_matches_pytorch(name):
    import torch

    x, y, _, _ = run_case(bibun, name)
    tx, ty, _, _ = run_case(torch, name)
    np.testing.assert_allclose(arr(y), ty.detach().numpy(), rtol=1e-6)
    np.testing.assert_allclose(arr(x.grad), tx.grad.numpy(), rtol=1e-6)
    assert type(y.grad_fn).__name__ == type(ty.grad_fn).__name__
    assert y._version == ty._version


def _view_programs(L):
    """Writes through views of a non-leaf. Each program takes its leaves' values (nested
    lists) and returns (leaves, result)."""

    def leaf(values):
        return L.tensor(values, dtype=L.float64, requires_grad=True)

    def slice_mul(v=([1.0, 2.0, 3.0],)):
        x = leaf(v[0])
        b = x.clone()
        b[1:].mul_(x[:2])
        return [x], b

    def transpose_exp(v=([[0.1, 0.2], [0.3, 0.4]],)):
        x = leaf(v[0])
        b = x * 2
        b.t()[0].exp_()
        return [x], b

    def select_setitem_tensor(v=([[1.0, 2.0], [3.0, 4.0]], [5.0, 6.0])):
        x, w = leaf(v[0]), leaf(v[1])
        b = x.clone()
        b[:, 1] = w * w
        return [x, w], b

    def view_of_view_then_base_read(v=([1.0, 2.0, 3.0, 4.0],)):
        x = leaf(v[0])
        b = x.sin()
        view = b.view(2, 2)[1]
        view.add_(x[:2])
        return [x], b * view.sum()

    def base_written_view_reused(v=([1.0, 2.0, 3.0],)):
        x = leaf(v[0])
        b = x * 1
        first = b[0]
        b.mul_(x)
        return [x], first * 3 + b

    def zeros_filled_from_leaf(v=([1.0, 2.0],)):
        w = leaf(v[0])
        m = L.zeros(2, 3, dtype=L.float64)
        m[:, 1] = w
        m[0] += 1
        return [w], m * L.arange(6.0, dtype=L.float64).view(2, 3)

    programs = (slice_mul, transpose_exp, select_setitem_tensor, view_of_view_then_base_read)
    programs += (base_written_view_reused, zeros_filled_from_leaf)
    return {f.__name__: f for f in programs}


def _run_view_program(L, name):
    leaves, out = _view_programs(L)[name]()
    out.sum().backward()
    return [leaf.grad.detach().numpy() for leaf in leaves], out


@pytest.mark.parametrize("name", sorted(_view_programs(bibun)))
def test_write_through_view_finite_differences(name):
    """Gradients through CopySlices agree with central differences of the program."""
    program = _view_programs(bibun)[name]
    grads, _ = _run_view_program(bibun, name)
    leaves, _ = program()
    values = [arr(leaf).copy() for leaf in leaves]
    eps = 1e-6
    for k, grad in enumerate(grads):
        numerical = np.zeros(values[k].size)
        for i in range(values[k].size):
            sums = []
            for step in (eps, -eps):
                moved = [v.copy() for v in values]
                moved[k].reshape(-1)[i] += step
                _, out = program(tuple(m.tolist() for m in moved))
                sums.append(float(out.sum()))
            numerical[i] = (sums[0] - sums[1]) / (2 * eps)
        np.testing.assert_allclose(grad.reshape(-1), numerical, rtol=1e-6, atol=1e-8)


@needs_torch
@pytest.mark.parametrize("name", sorted(_view_programs(bibun)))
def test_write_through_view_matches_pytorch(name):
    import torch

    grads, out = _run_view_program(bibun, name)
    tgrads, tout = _run_view_program(torch, name)
    np.testing.assert_allclose(arr(out), tout.detach().numpy(), rtol=1e-6)
    for g, tg in zip(grads, tgrads):
        np.testing.assert_allclose(g, tg, rtol=1e-5)
    assert type(out.grad_fn).__name__ == type(tout.grad_fn).__name__


@needs_torch
def test_grad_fn_names_after_view_writes_match_pytorch():
    import torch

    names = []
    for L in (bibun, torch):
        x = L.tensor([1.0, 2.0, 3.0], requires_grad=True)
        b = x.clone()
        v = b[1:]
        other = b[0]
        v.mul_(2)
        names.append(
            (
                type(v.grad_fn).__name__,
                type(b.grad_fn).__name__,
                type(other.grad_fn).__name__,
                [type(n).__name__ if n else None for n, _ in b.grad_fn.next_functions],
            )
        )
    assert names[0] == names[1] == ("AsStridedBackward0", "CopySlices", "AsStridedBackward0", ["CloneBackward0", None])


# --- errors: PyTorch's type and phrase, and nothing changed -----------------------------------
@pytest.mark.parametrize(
    "write",
    [
        lambda t: t.add_(1),
        lambda t: t.mul_(2),
        lambda t: t.zero_(),
        lambda t: t.__setitem__([0], 9.0),
        lambda t: t.exp_(),
    ],
)
def test_leaf_requiring_grad_refuses_and_is_unchanged(write):
    x = bibun.tensor([1.0, 2.0, 3.0], requires_grad=True)
    with pytest.raises(
        RuntimeError, match="a leaf Variable that requires grad is being used in an in-place operation."
    ):
        write(x)
    assert x.tolist() == [1.0, 2.0, 3.0] and x._version == 0 and x.grad is None and x.is_leaf


def test_augmented_assignment_on_leaf_refuses():
    x = bibun.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        x += 1
    assert x.tolist() == [1.0, 2.0] and x._version == 0


@pytest.mark.parametrize("write", [lambda t: t[0].add_(1), lambda t: t.__setitem__(0, 5.0), lambda t: t.t().zero_()])
def test_view_of_leaf_refuses_and_is_unchanged(write):
    x = bibun.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    with pytest.raises(RuntimeError, match="a view of a leaf Variable that requires grad is being used in an in-place"):
        write(x)
    assert x.tolist() == [[1.0, 2.0], [3.0, 4.0]] and x._version == 0


def test_view_made_under_no_grad_refuses_write_with_grad():
    x = bibun.tensor([1.0, 2.0], requires_grad=True)
    y = x * 1
    with bibun.no_grad():
        v = y[:1]
    with pytest.raises(RuntimeError, match="A view was created in no_grad mode and is being modified inplace"):
        v.add_(1)
    assert y.tolist() == [1.0, 2.0] and y._version == 0


def test_result_dtype_and_shape_errors_change_nothing():
    a = bibun.zeros(3, dtype=bibun.long)
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired output type Long"):
        a.add_(1.5)
    assert a.tolist() == [0, 0, 0] and a._version == 0
    b = bibun.zeros(3)
    with pytest.raises(RuntimeError, match=r"output with shape \[3\] doesn't match the broadcast shape \[2, 3\]"):
        b.add_(bibun.ones(2, 3))
    assert b.tolist() == [0.0, 0.0, 0.0] and b._version == 0
    with pytest.raises(RuntimeError, match="more than one element of the written-to tensor refers to a single memory"):
        b.expand(2, 3).add_(1)
    assert b.tolist() == [0.0, 0.0, 0.0] and b._version == 0
    with pytest.raises(RuntimeError, match="fill_ only supports 0-dimension value tensor"):
        b.fill_(bibun.ones(2))


def test_no_grad_updates_of_leaves_work():
    w = bibun.tensor([1.0, 2.0], requires_grad=True)
    (w * w).sum().backward()
    with bibun.no_grad():
        w -= 0.1 * w.grad
    assert np.allclose(arr(w), [0.8, 1.6]) and w.is_leaf and w.requires_grad and w._version == 1
    w.grad.zero_()
    assert w.grad.tolist() == [0.0, 0.0] and w.grad._version == 1


# --- version counters --------------------------------------------------------------------------
def test_version_shared_by_views_and_detach():
    x = bibun.tensor([1.0, 2.0, 3.0])
    v, d = x[1:], x.detach()
    d.add_(1)
    v.mul_(2)
    assert x._version == v._version == d._version == 2
    assert x.tolist() == [2.0, 6.0, 8.0]
    x[0] = 0.0
    assert d._version == 3 and d.tolist() == [0.0, 6.0, 8.0]


def test_saved_then_modified_raises_and_names_write_and_saver():
    x = bibun.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x.exp()
    z = y.sin()
    y.add_(1)  # the offending write: this line must appear in the message
    with pytest.raises(RuntimeError) as info:
        z.sum().backward()
    message = str(info.value)
    assert "one of the variables needed for gradient computation has been modified by an inplace operation" in message
    assert "[bibun.FloatTensor [3]], which is output 0 of Add, is at version 1; expected version 0 instead." in message
    assert "saved for backward by SinBackward0" in message
    assert f"{__file__}:" in message and "y.add_(1)  # the offending write" in message
    assert x.grad is None and y._version == 1


@needs_torch
def test_saved_then_modified_message_starts_as_pytorch():
    import torch

    messages = []
    for L in (bibun, torch):
        x = L.tensor([1.0, 2.0, 3.0], requires_grad=True)
        y = x.exp()
        y.exp_()
        y.add_(1)
        with pytest.raises(RuntimeError) as info:
            y.sum().backward()
        messages.append(str(info.value).split(" Hint")[0].replace("torch.", "bibun."))
    assert messages[0] == messages[1]


@needs_torch
@pytest.mark.parametrize("dtype", ["float32", "float16", "int64"])
def test_modified_saved_input_message_starts_as_pytorch(dtype):
    import torch

    messages = []
    for L in (bibun, torch):
        a = L.ones(2, requires_grad=True)
        b = L.ones(2, dtype=getattr(L, dtype))  # a leaf that needs no gradient: no "which is output" part
        y = a * b
        b.add_(1)
        with pytest.raises(RuntimeError) as info:
            y.sum().backward()
        messages.append(str(info.value).split(" Hint")[0].replace("torch.", "bibun."))
    assert messages[0] == messages[1]


def test_unsaved_tensors_do_not_record_writes():
    x = bibun.tensor([1.0, 2.0])
    for _ in range(3):
        x.add_(1)
    assert x._version_counter == [3]  # no write log: nobody saved it
    y = x * bibun.tensor([1.0, 1.0], requires_grad=True)  # mul saves x
    x.add_(1)
    assert x._version_counter[0] == 4 and len(x._version_counter[1]) == 1
    assert y.requires_grad


def test_retain_grad_moves_hooks_stay_after_inplace():
    a = bibun.tensor(2.0, requires_grad=True)
    b = a * 3
    seen = []
    b.register_hook(lambda g: seen.append(("before", g.item())))
    b.retain_grad()
    b.mul_(5)
    b.register_hook(lambda g: seen.append(("after", g.item())))
    b.backward()
    assert seen == [("after", 1.0), ("before", 5.0)]
    assert b.grad.item() == 1.0 and a.grad.item() == 15.0


def test_double_backward_through_inplace():
    x = bibun.tensor([1.0, 2.0], dtype=bibun.float64, requires_grad=True)
    y = x * 1
    y.mul_(x)  # y = x**2
    y.exp_()  # y = exp(x**2)
    (g,) = bibun.autograd.grad(y.sum(), x, create_graph=True)
    np.testing.assert_allclose(arr(g), 2 * arr(x) * np.exp(arr(x) ** 2))
    (gg,) = bibun.autograd.grad(g.sum(), x)
    xs = arr(x)
    np.testing.assert_allclose(arr(gg), (2 + 4 * xs**2) * np.exp(xs**2))


MULTI_VIEW_CASES = {
    "unbind": (lambda y: y.unbind(1)[0], "Output 0 of Unbind is a view and is being modified inplace"),
    "split": (lambda y: y.split(1, 1)[1], "Output 1 of Split is a view and is being modified inplace"),
    "chunk": (lambda y: y.chunk(3, 1)[2], "Output 2 of Split is a view and is being modified inplace"),
}


@pytest.mark.parametrize("name", sorted(MULTI_VIEW_CASES))
def test_outputs_of_multi_view_ops_refuse_recorded_in_place_writes(name):
    """As PyTorch: the pieces of unbind/split/chunk are views of the input, and writing to
    one in place while recording raises (and changes nothing); under no_grad it writes
    through to the base."""
    piece, phrase = MULTI_VIEW_CASES[name]
    for lib in [bibun] + ([__import__("torch")] if HAVE_TORCH else []):
        x = lib.arange(6.0).reshape(2, 3).requires_grad_()
        y = x * 1
        v = piece(y)
        assert v._base is y
        with pytest.raises(RuntimeError, match=phrase):
            v.mul_(2)
        assert y.tolist() == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]
        with lib.no_grad():
            piece(y).add_(10)
        assert y.detach().numpy().sum() == 15 + 10 * (2 if name == "unbind" else 2)


def test_unbind_pieces_share_memory_along_any_dim():
    x = bibun.arange(6.0).reshape(2, 3)
    column = x.unbind(1)[2]
    assert np.shares_memory(column.numpy(), x.numpy()) and column._version == x._version
    x.add_(1)
    assert column.tolist() == [3.0, 6.0] and column._version == x._version
