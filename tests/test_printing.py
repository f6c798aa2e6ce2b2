"""repr/str/format, character for character as PyTorch prints (with bibun's own names), and
compared with torch itself when it is installed."""

from __future__ import annotations

import math

import numpy as np
import pytest

import bibun as torch

CASES = [
    ("tensor(0.6303)", lambda m: m.tensor(0.630277)),
    ("tensor(1., requires_grad=True)", lambda m: m.tensor(1.0, requires_grad=True)),
    ("tensor([1., 2.], requires_grad=True)", lambda m: m.tensor([1.0, 2.0], requires_grad=True)),
    ("tensor(1.5000, dtype=bibun.float64)", lambda m: m.tensor(1.5, dtype=m.float64)),
    ("tensor([1, 2])", lambda m: m.tensor([1, 2])),
    ("tensor([ True, False])", lambda m: m.tensor([True, False])),
    ("tensor([  0.5000,   1.0000, 100.2500])", lambda m: m.tensor([0.5, 1.0, 100.25])),
    ("tensor([1.0000e-08, 1.0000e+00])", lambda m: m.tensor([1e-8, 1.0])),
    ("tensor(nan)", lambda m: m.tensor(float("nan"))),
    ("tensor([1., inf, nan])", lambda m: m.tensor([1.0, float("inf"), float("nan")])),
    ("tensor([])", lambda m: m.tensor([])),
    ("tensor([], size=(0, 3))", lambda m: m.zeros(0, 3)),
    ("tensor([], dtype=bibun.int64)", lambda m: m.tensor([], dtype=m.int64)),
    ("tensor([[1., 1.],\n        [1., 1.]])", lambda m: m.ones(2, 2)),
    ("tensor([1, 2], dtype=bibun.int32)", lambda m: m.tensor([1, 2], dtype=m.int32)),
    ("tensor([1.5000], dtype=bibun.float16)", lambda m: m.tensor([1.5], dtype=m.float16)),
    ("tensor(-0.)", lambda m: m.tensor(-0.0)),
    ("tensor([-1.,  2.])", lambda m: m.tensor([-1.0, 2.0])),
    ("tensor(123456.)", lambda m: m.tensor(123456.0)),
    ("tensor(1.0000e+09)", lambda m: m.tensor(1e9)),
    ("tensor([1.2346e+08, 1.0000e+00])", lambda m: m.tensor([123456789.0, 1.0])),
    ("tensor(1.0000e-05)", lambda m: m.tensor(1e-5)),
    ("tensor([[0, 1, 2],\n        [3, 4, 5]])", lambda m: m.arange(6).reshape(2, 3)),
]

# Built from a formula so both libraries print the same values.
GENERATED = [
    ("summarised", lambda m: m.arange(1200.0)),
    ("3-d", lambda m: m.arange(24.0).reshape(2, 3, 4) / 7),
    ("wide rows wrap", lambda m: m.arange(30.0) * 1.5),
    ("summarised 2-d", lambda m: m.arange(40000).reshape(200, 200)),
    ("grad_fn suffix", lambda m: m.tensor([[1.5, 2.0], [3.0, 4.0]], requires_grad=True) * 2),
    ("long suffix wraps", lambda m: m.arange(12.0, requires_grad=True).reshape(3, 4) * 1.25),
    ("float64 matrix", lambda m: m.tensor([[1e-3, 2.5], [3.0, 400.0]], dtype=m.float64)),
    ("mixed sign scientific", lambda m: m.tensor([-1e-5, 3e4, 0.0])),
    ("int64 wide", lambda m: m.tensor([1, -100000, 42])),
    ("complex 0-d", lambda m: m.tensor(1 + 1j)),
    ("complex vector", lambda m: m.tensor([1 + 2j, 3.5 - 1j])),
    ("complex128", lambda m: m.tensor([1 + 2j], dtype=m.complex128)),
    ("complex wide range", lambda m: m.tensor([0.001 + 1000j, -2j])),
    ("complex nan", lambda m: m.tensor([1.0 + 1j, float("nan") + 0j])),
    ("complex matrix", lambda m: m.tensor([[1 + 1j, 2 - 2j], [3.25 + 0j, -1j]])),
]


@pytest.mark.parametrize("expected,make", CASES)
def test_repr_matches_pytorch_text(expected: str, make: object) -> None:
    t = make(torch)
    assert repr(t) == expected and str(t) == expected


@pytest.mark.parametrize("name,make", GENERATED + [(e, m) for e, m in CASES])
def test_repr_matches_torch_when_installed(name: str, make: object) -> None:
    real = pytest.importorskip("torch", reason="the live comparison needs torch")
    ours = repr(make(torch))
    theirs = repr(make(real)).replace("torch.", "bibun.")
    assert ours == theirs


def test_repr_of_a_non_leaf_names_its_grad_fn() -> None:
    x = torch.tensor(1.0, requires_grad=True)
    assert repr(torch.log(x * 2) * torch.sin(x)) == "tensor(0.5833, grad_fn=<MulBackward0>)"


def test_format_of_a_0d_tensor_formats_its_item() -> None:
    g = torch.tensor(0.33239537477493286)
    assert f"{g}" == "0.33239537477493286"
    assert f"{g:.4f}" == "0.3324"
    assert f"{torch.tensor(3)}" == "3"


def test_format_of_other_tensors_is_str_and_rejects_specs() -> None:
    t = torch.tensor([1.0, 2.0])
    assert f"{t}" == str(t) == "tensor([1., 2.])"
    with pytest.raises(TypeError, match="unsupported format string passed to Tensor.__format__"):
        f"{t:.2f}"


def test_size_dtype_device_reprs() -> None:
    assert repr(torch.zeros(2, 3).shape) == "bibun.Size([2, 3])"
    assert repr(torch.tensor(1.0).shape) == "bibun.Size([])"
    assert repr(torch.float64) == "bibun.float64" and str(torch.int64) == "bibun.int64"
    assert repr(torch.tensor(1.0).device) == "device(type='cpu')" and str(torch.tensor(1.0).device) == "cpu"


def test_max_dim_result_prints_like_return_types() -> None:
    result = torch.tensor([3.0, 2.0]).max(0)
    assert repr(result) == "bibun.return_types.max(\nvalues=tensor(3.),\nindices=tensor(0))"
    values, indices = result
    assert values.item() == 3.0 and indices.item() == 0 and result.indices is indices


def test_set_printoptions_precision() -> None:
    try:
        torch.set_printoptions(precision=2)
        assert repr(torch.tensor([math.pi, 1.0])) == "tensor([3.14, 1.00])"
    finally:
        torch.set_printoptions(profile="default")
    assert repr(torch.tensor([math.pi, 1.0])) == "tensor([3.1416, 1.0000])"


def test_printing_does_not_touch_the_graph_or_values() -> None:
    x = torch.tensor(np.array([1.0, 2.0], dtype=np.float32), requires_grad=True)
    y = x * 2
    repr(y)
    y.sum().backward()
    assert x.grad.tolist() == [2.0, 2.0]
