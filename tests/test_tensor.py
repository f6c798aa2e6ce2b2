"""The Tensor API: attributes, conversions, Python protocols, creation and dtypes."""

from __future__ import annotations

import copy
import pickle

import numpy as np
import pytest

import bibun as torch


def test_leaf_and_requires_grad_rules() -> None:
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    assert x.is_leaf and not y.is_leaf and y.requires_grad
    assert torch.tensor([1.0]).is_leaf
    c = torch.tensor([1.0]) * 2
    assert c.is_leaf and not c.requires_grad  # computed from constants: a leaf
    with pytest.raises(RuntimeError, match="you can only change requires_grad flags of leaf variables"):
        y.requires_grad = False
    assert y.requires_grad


def test_grad_setter_checks_shape_and_dtype() -> None:
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    x.grad = torch.tensor([0.5, 0.5])
    assert x.grad.tolist() == [0.5, 0.5]
    with pytest.raises(RuntimeError, match="attempting to assign a gradient of size"):
        x.grad = torch.ones(3)
    with pytest.raises(RuntimeError, match="attempting to assign a gradient with dtype"):
        x.grad = torch.ones(2, dtype=torch.float64)
    assert x.grad.tolist() == [0.5, 0.5]
    x.grad = None
    assert x.grad is None


def test_detach_and_detach_in_place() -> None:
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    d = y.detach()
    assert not d.requires_grad and d.is_leaf and np.shares_memory(d.numpy(), y.detach().numpy())
    y.detach_()
    assert y.grad_fn is None and not y.requires_grad
    assert x.data.tolist() == [1.0, 2.0] and not x.data.requires_grad


def test_clone_copies_and_is_differentiable() -> None:
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    c = x.clone()
    assert c.grad_fn.name() == "CloneBackward0" and not np.shares_memory(c.detach().numpy(), x.detach().numpy())
    c.sum().backward()
    assert x.grad.tolist() == [1.0, 1.0]


def test_numpy_shares_memory_and_from_numpy_too() -> None:
    a = np.array([1.0, 2.0])
    t = torch.from_numpy(a)
    assert t.dtype == torch.float64
    a[0] = 5.0
    assert t[0].item() == 5.0
    t.numpy()[1] = 7.0
    assert a[1] == 7.0
    assert torch.as_tensor(a).numpy() is a
    copied = torch.tensor(a)
    a[0] = -1.0
    assert copied[0].item() == 5.0 and copied.dtype == torch.float64


def test_numpy_force_and_no_grad() -> None:
    x = torch.tensor([1.0], requires_grad=True)
    assert x.numpy(force=True).tolist() == [1.0]
    with torch.no_grad():
        assert x.numpy().tolist() == [1.0]
    with pytest.raises(RuntimeError, match="Can't call numpy"):
        np.asarray(x)


def test_cpu_to_and_float_return_self_when_nothing_changes() -> None:
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    assert x.cpu() is x and x.to("cpu") is x and x.float() is x and x.to(torch.float32) is x
    d = x.double()
    assert d.dtype == torch.float64 and d.grad_fn.name() == "ToCopyBackward0"
    assert x.to(torch.device("cpu"), torch.float64).dtype == torch.float64
    assert x.to(torch.zeros(1, dtype=torch.float16)).dtype == torch.float16
    assert x.long().tolist() == [1, 2] and x.int().dtype == torch.int32 and x.bool().dtype == torch.bool
    assert x.half().dtype == torch.float16


def test_metadata() -> None:
    x = torch.zeros(2, 3, 4)
    assert x.shape == (2, 3, 4) and x.size() == torch.Size([2, 3, 4]) and x.size(1) == 3 and x.size(-1) == 4
    assert x.dim() == 3 and x.ndim == 3 and x.numel() == 24 and len(x) == 2
    assert x.dtype is torch.float32 and x.device == torch.device("cpu") and x.device == "cpu"
    assert x.is_floating_point() and not torch.tensor([1]).is_floating_point()
    assert x.shape[1:] == torch.Size([3, 4]) and isinstance(x.shape[1:], torch.Size)


def test_item_tolist_and_scalar_conversions() -> None:
    assert torch.tensor(2.5).item() == 2.5 and isinstance(torch.tensor(2).item(), int)
    assert torch.tensor([[1, 2], [3, 4]]).tolist() == [[1, 2], [3, 4]]
    assert float(torch.tensor([1.5])) == 1.5 and int(torch.tensor(3.7)) == 3
    assert bool(torch.tensor([1.0])) is True and bool(torch.tensor(0.0)) is False
    assert [1, 2, 3][torch.tensor(1)] == 2


def test_iteration_unbinds_the_first_dimension() -> None:
    x = torch.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    rows = list(x)
    assert [r.tolist() for r in rows] == [[1.0, 2.0], [3.0, 4.0]]
    assert rows[0].grad_fn.name() == "UnbindBackward0"
    (rows[0] * 2 + rows[1]).sum().backward()
    assert x.grad.tolist() == [[2.0, 2.0], [1.0, 1.0]]


def test_comparisons_are_not_differentiable_and_give_bool() -> None:
    x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    for result in (x > 1, x >= 2, x < 3, x <= 1, x == 2, x != 2, 2 < x):
        assert result.dtype == torch.bool and not result.requires_grad and result.grad_fn is None
    assert (x > 1.5).tolist() == [False, True, True]
    assert hash(x) == hash(x) and x in {x}


def test_tensors_pickle_and_deepcopy() -> None:
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    restored = pickle.loads(pickle.dumps(x))
    assert restored.tolist() == [1.0, 2.0] and restored.requires_grad
    clone = copy.deepcopy(x)
    assert clone is not x and clone.tolist() == [1.0, 2.0] and clone.requires_grad


def test_operators_with_python_numbers_and_arrays() -> None:
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    results = [x + 1, 1 + x, x - 1, 1 - x, x * 2, 2 * x, x / 2, 2 / x, x**2, 2**x, -x, +x, abs(-x)]
    expected = [
        [2, 3],
        [2, 3],
        [0, 1],
        [0, -1],
        [2, 4],
        [2, 4],
        [0.5, 1],
        [2, 1],
        [1, 4],
        [2, 4],
        [-1, -2],
        [1, 2],
        [1, 2],
    ]
    assert [r.tolist() for r in results] == expected
    assert (np.array([1.0, 1.0]) * x).grad_fn.name() == "MulBackward0"
    assert (x @ torch.tensor([1.0, 1.0])).item() == 3.0
    with pytest.raises(TypeError, match="unsupported operand"):
        x + "a"


# --- creation and dtypes ------------------------------------------------------------------------
def test_dtype_inference() -> None:
    assert torch.tensor([1.0, 2.0]).dtype == torch.float32
    assert torch.tensor(1).dtype == torch.int64
    assert torch.tensor(True).dtype == torch.bool
    assert torch.tensor(np.float64(1.5)).dtype == torch.float64
    assert torch.tensor([1, 2.5]).dtype == torch.float32
    assert torch.tensor(np.array([1, 2], dtype=np.int32)).dtype == torch.int32


def test_type_names_every_dtype_as_pytorch() -> None:
    names = {
        torch.bool: "BoolTensor",
        torch.uint8: "ByteTensor",
        torch.int8: "CharTensor",
        torch.int16: "ShortTensor",
        torch.int32: "IntTensor",
        torch.int64: "LongTensor",
        torch.float16: "HalfTensor",
        torch.float32: "FloatTensor",
        torch.float64: "DoubleTensor",
        torch.complex64: "ComplexFloatTensor",
        torch.complex128: "ComplexDoubleTensor",
    }
    for dtype, name in names.items():
        assert torch.ones(2, dtype=dtype).type() == f"bibun.{name}"


def test_default_dtype() -> None:
    assert torch.get_default_dtype() is torch.float32
    try:
        torch.set_default_dtype(torch.float64)
        assert torch.tensor([1.0]).dtype == torch.float64 and torch.zeros(2).dtype == torch.float64
        assert repr(torch.tensor(1.5)) == "tensor(1.5000)"
        assert repr(torch.tensor(1.5, dtype=torch.float32)) == "tensor(1.5000, dtype=bibun.float32)"
    finally:
        torch.set_default_dtype(torch.float32)
    with pytest.raises(TypeError):
        torch.set_default_dtype(torch.int64)


PROMOTIONS = [
    ("f32 * 2.0", lambda m: m.ones(2) * 2.0, "float32"),
    ("int64 * 2.5", lambda m: m.tensor([1, 2]) * 2.5, "float32"),
    ("int64 / 2", lambda m: m.tensor([1, 2]) / 2, "float32"),
    ("int64 + 1", lambda m: m.tensor([1, 2]) + 1, "int64"),
    ("bool + 1", lambda m: m.tensor([True]) + 1, "int64"),
    ("int32 + int64 0-d", lambda m: m.tensor([1], dtype=m.int32) + m.tensor(5), "int32"),
    ("f32 * 0-d f64", lambda m: m.ones(2) * m.tensor(1.0, dtype=m.float64), "float32"),
    ("f32 * 1-d f64", lambda m: m.ones(2) * m.ones(2, dtype=m.float64), "float64"),
    ("0-d f32 * 0-d f64", lambda m: m.tensor(1.0) * m.tensor(1.0, dtype=m.float64), "float64"),
    ("int32 * 0-d f64", lambda m: m.tensor([1], dtype=m.int32) * m.tensor(1.0, dtype=m.float64), "float64"),
    ("int64 + f16", lambda m: m.tensor([1]) + m.ones(1, dtype=m.float16), "float16"),
    ("uint8 + int8", lambda m: m.tensor([1], dtype=m.uint8) + m.tensor([1], dtype=m.int8), "int16"),
    ("f16 * 2.5", lambda m: m.ones(1, dtype=m.float16) * 2.5, "float16"),
    ("int exp", lambda m: m.exp(m.tensor([1, 2])), "float32"),
    ("int sum", lambda m: m.tensor([1, 2], dtype=m.int32).sum(), "int64"),
    ("bool sum", lambda m: m.tensor([True, True]).sum(), "int64"),
    ("where mixed", lambda m: m.where(m.tensor([True, False]), m.ones(2), 2), "float32"),
]


@pytest.mark.parametrize("name,make,expected", PROMOTIONS)
def test_type_promotion(name: str, make: object, expected: str) -> None:
    assert str(make(torch).dtype) == f"bibun.{expected}"


@pytest.mark.parametrize("name,make,expected", PROMOTIONS)
def test_type_promotion_matches_torch(name: str, make: object, expected: str) -> None:
    real = pytest.importorskip("torch", reason="the live comparison needs torch")
    assert str(make(real).dtype) == f"torch.{expected}"


def test_factories() -> None:
    assert torch.zeros(2, 3).tolist() == [[0.0] * 3] * 2 and torch.zeros((2, 3)).shape == (2, 3)
    assert torch.ones(2, dtype=torch.int64).tolist() == [1, 1]
    assert torch.full((2,), 7.0).tolist() == [7.0, 7.0] and torch.full((2,), 7).dtype == torch.int64
    assert torch.empty(3).shape == (3,)
    assert torch.arange(5).tolist() == [0, 1, 2, 3, 4] and torch.arange(5).dtype == torch.int64
    assert torch.arange(0, 1, 0.25).tolist() == [0.0, 0.25, 0.5, 0.75] and torch.arange(1.0, 3).dtype == torch.float32
    assert torch.linspace(0, 1, 5).tolist() == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert torch.eye(2).tolist() == [[1.0, 0.0], [0.0, 1.0]]
    like = torch.ones(2, 3, dtype=torch.float64)
    for made in (
        torch.zeros_like(like),
        torch.ones_like(like),
        torch.full_like(like, 2.0),
        torch.empty_like(like),
        torch.randn_like(like),
        torch.rand_like(like),
    ):
        assert made.shape == (2, 3) and made.dtype == torch.float64
    assert torch.zeros(2, requires_grad=True).requires_grad


def test_random_tensors_are_seeded_by_bibuns_generator() -> None:
    torch.manual_seed(123)
    a = torch.randn(3, 4)
    b = torch.rand(5)
    i = torch.randint(0, 10, (6,))
    torch.manual_seed(123)
    assert torch.randn(3, 4).tolist() == a.tolist() and torch.rand(5).tolist() == b.tolist()
    assert torch.randint(0, 10, (6,)).tolist() == i.tolist()
    assert a.dtype == torch.float32 and i.dtype == torch.int64
    assert np.all((b.numpy() >= 0) & (b.numpy() < 1)) and np.all((i.numpy() >= 0) & (i.numpy() < 10))
    g = torch.Generator().manual_seed(5)
    assert torch.randn(2, generator=g).tolist() == torch.randn(2, generator=torch.Generator().manual_seed(5)).tolist()


VIEW_AS_DTYPE = [
    ("float32 as int32", lambda m: m.tensor([1.0, 2.0]).view(m.int32)),
    ("float32 as float16", lambda m: m.tensor([1.0, 2.0]).view(m.float16)),
    ("float32 as float64", lambda m: m.tensor([1.0, 2.0]).view(m.float64)),
    ("transposed, same size", lambda m: m.ones(3, 2).t().view(m.int32)),
]
VIEW_AS_DTYPE_ERRORS = [
    ("odd last size", lambda m: m.tensor([1.0, 2.0, 3.0]).view(m.float64), "must be divisible by 2"),
    ("0-d", lambda m: m.tensor(1.0).view(m.float64), "self.dim() cannot be 0"),
    ("strided", lambda m: m.ones(3, 2).t().view(m.float16), "self.stride(-1) must be 1"),
]


@pytest.mark.parametrize("name,make", VIEW_AS_DTYPE)
def test_view_as_dtype_matches_pytorch(name: str, make: object) -> None:
    ours = make(torch)
    assert not ours.requires_grad
    real = pytest.importorskip("torch", reason="the live comparison needs torch")
    assert repr(ours) == repr(make(real)).replace("torch.", "bibun.")


@pytest.mark.parametrize("name,make,phrase", VIEW_AS_DTYPE_ERRORS)
def test_view_as_dtype_errors(name: str, make: object, phrase: str) -> None:
    with pytest.raises(RuntimeError, match=phrase.replace("(", r"\(").replace(")", r"\)")):
        make(torch)


def test_view_as_dtype_shares_memory_and_version() -> None:
    z = torch.tensor([1.0, 2.0])
    v = z.view(torch.int32)
    v[0] = 0
    assert z.tolist() == [0.0, 2.0] and z._version == v._version == 1


def test_float64_to_float16_rounds_as_pytorch():
    """PyTorch casts float64 to float16 through float32; rounding once, directly, differs for
    about one value in 10,000 (ties of the two roundings)."""
    values = np.random.default_rng(0).standard_normal(200_001) * 10
    ours = torch.tensor(values).to(torch.float16).numpy()
    np.testing.assert_array_equal(ours, values.astype(np.float32).astype(np.float16))
    assert np.any(values.astype(np.float16) != ours)  # the direct rounding would differ
    real_torch = pytest.importorskip("torch")
    np.testing.assert_array_equal(ours, real_torch.tensor(values).to(real_torch.float16).numpy())
