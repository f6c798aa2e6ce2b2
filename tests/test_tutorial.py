"""The founding tutorial's examples, run with ``import bibun as torch``: each prints exactly
what the tutorial shows (its numbers are PyTorch's float32 results)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import bibun as torch


def _graph(detach_log_input: bool = False) -> tuple:
    x1 = torch.tensor(1.0, requires_grad=True)
    x2 = torch.tensor(2.0, requires_grad=True)
    y1 = x1 * x2
    y2 = torch.log(y1.detach() if detach_log_input else y1)
    y3 = torch.sin(y1)
    z = y2 * y3
    return x1, x2, y1, y2, y3, z


def test_backward_prints_the_tutorial_gradients(capsys: pytest.CaptureFixture) -> None:
    x1, x2, *_, z = _graph()
    z.backward()
    print(f"dz/dx1={x1.grad}")
    print(f"dz/dx2={x2.grad}")
    assert capsys.readouterr().out == "dz/dx1=0.33239537477493286\ndz/dx2=0.16619768738746643\n"


def test_hand_derivation_matches_in_float64() -> None:
    x1 = torch.tensor(1.0, dtype=torch.float64, requires_grad=True)
    x2 = torch.tensor(2.0, dtype=torch.float64, requires_grad=True)
    z = torch.log(x1 * x2) * torch.sin(x1 * x2)
    z.backward()
    assert x1.grad.item() == pytest.approx(0.3323954139224974, rel=1e-15)
    assert x2.grad.item() == pytest.approx(0.1661977069612487, rel=1e-15)


def test_backward_without_requires_grad_raises_the_tutorial_error() -> None:
    x1, x2 = torch.tensor(1.0), torch.tensor(2.0)
    z = torch.log(x1 * x2) * torch.sin(x1 * x2)
    with pytest.raises(RuntimeError, match="element 0 of tensors does not require grad and does not have a grad_fn"):
        z.backward()


def test_requires_grad_can_be_set_afterwards() -> None:
    a = torch.tensor(1.0)
    a.requires_grad = True
    b = torch.tensor(2.0).requires_grad_()
    assert a.requires_grad and b.requires_grad and a.is_leaf and b.is_leaf
    (a * b).backward()
    assert a.grad.item() == 2.0 and b.grad.item() == 1.0


def test_no_grad_prints_the_value_only(capsys: pytest.CaptureFixture) -> None:
    x1 = torch.tensor(1.0, requires_grad=True)
    x2 = torch.tensor(2.0, requires_grad=True)
    with torch.no_grad():
        y1 = x1 * x2
        z = torch.log(y1) * torch.sin(y1)
    print(z)
    assert capsys.readouterr().out == "tensor(0.6303)\n"
    assert not z.requires_grad and z.grad_fn is None and z.is_leaf


def test_reading_grad_of_a_non_leaf_warns_at_the_users_line(capsys: pytest.CaptureFixture) -> None:
    _, _, y1, y2, y3, z = _graph()
    z.backward()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        print(f"dz/y1={y1.grad}")
        print(f"dz/y2={y2.grad}")
        print(f"dz/y3={y3.grad}")
    assert capsys.readouterr().out == "dz/y1=None\ndz/y2=None\ndz/y3=None\n"
    assert len(caught) == 3
    for warning in caught:
        assert warning.category is UserWarning
        assert "not a leaf Tensor" in str(warning.message) and ".retain_grad()" in str(warning.message)
        assert warning.filename == __file__  # attributed to the user's line, not bibun's


def test_retain_grad_keeps_intermediate_gradients(capsys: pytest.CaptureFixture) -> None:
    x1, x2, y1, y2, y3, z = _graph()
    y1.retain_grad()
    y2.retain_grad()
    y3.retain_grad()
    z.backward()
    for name, t in (("dx1", x1), ("dx2", x2), ("y1", y1), ("y2", y2), ("y3", y3)):
        print(f"dz/{name}={t.grad}, is_leaf={t.is_leaf}")
    assert capsys.readouterr().out == (
        "dz/dx1=0.33239537477493286, is_leaf=True\n"
        "dz/dx2=0.16619768738746643, is_leaf=True\n"
        "dz/y1=0.16619768738746643, is_leaf=False\n"
        "dz/y2=0.9092974066734314, is_leaf=False\n"
        "dz/y3=0.6931471824645996, is_leaf=False\n"
    )
    assert y1.retains_grad and not x1.retains_grad


def test_detach_cuts_the_log_branch(capsys: pytest.CaptureFixture) -> None:
    x1, x2, *_, z = _graph(detach_log_input=True)
    z.backward()
    print(f"dz/dx1={x1.grad}")
    print(f"dz/dx2={x2.grad}")
    assert capsys.readouterr().out == "dz/dx1=-0.5769020318984985\ndz/dx2=-0.28845101594924927\n"


def test_detach_shares_values() -> None:
    _, _, y1, *_ = _graph()
    d = y1.detach()
    assert not d.requires_grad and d.grad_fn is None
    assert np.shares_memory(d.numpy(), y1.detach().numpy())


def test_numpy_conversion_recipe() -> None:
    *_, z = _graph()
    with pytest.raises(
        RuntimeError,
        match=r"Can't call numpy\(\) on Tensor that requires grad. Use tensor.detach\(\).numpy\(\) instead.",
    ):
        z.numpy()
    arr = z.detach().cpu().clone().numpy()
    assert isinstance(arr, np.ndarray) and arr.dtype == np.float32 and arr.shape == ()
    assert float(arr) == pytest.approx(0.6302769184112549, rel=1e-7)
    # clone() copied: writing to the array leaves z alone, while numpy() of a detached tensor shares
    arr[...] = 5.0
    assert z.item() != 5.0
    shared = z.detach().numpy()
    assert np.shares_memory(shared, z.detach().numpy())


def test_the_graph_structure_matches_pytorch() -> None:
    x1, x2, y1, y2, y3, z = _graph()
    (log_edge, sin_edge) = z.grad_fn.next_functions
    assert (type(log_edge[0]).__name__, log_edge[1]) == ("LogBackward0", 0)
    assert (type(sin_edge[0]).__name__, sin_edge[1]) == ("SinBackward0", 0)
    mul = log_edge[0].next_functions[0][0]
    assert mul is sin_edge[0].next_functions[0][0] and mul.name() == "MulBackward0"
    leaves = [edge[0] for edge in mul.next_functions]
    assert [type(n).__name__ for n in leaves] == ["AccumulateGrad", "AccumulateGrad"]
    assert leaves[0].variable is x1 and leaves[1].variable is x2
    assert repr(z.grad_fn).startswith("<MulBackward0 object at 0x")
