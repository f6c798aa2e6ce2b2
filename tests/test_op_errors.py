"""Bad input to the ops of the elementwise, reduction, shape and indexing families: PyTorch's
exception type and key phrase (the message names the shapes, dims or indices involved), and
a failed call changes nothing. Each case runs against bibun and, when installed, PyTorch,
so the expected phrase is checked to be PyTorch's own."""

from __future__ import annotations

import numpy as np
import pytest

import bibun

X = np.arange(12.0).reshape(3, 4) / 7


def _x(m):  # noqa: ANN001, ANN202
    return m.tensor(X, requires_grad=True)


# (id, fn(lib, x), exception type, key phrase present in both libraries' messages)
CASES = [
    *(
        (
            f"{name} of a complex tensor",
            (lambda name: lambda m, x: getattr(m.special, name)(m.tensor([1 + 1j])))(name),
            NotImplementedError,
            f"\"{kernel}\" not implemented for 'ComplexFloat'",
        )
        for name, kernel in (
            ("erf", "erf_vml_cpu"),
            ("erfc", "erfc_vml_cpu"),
            ("erfinv", "erfinv_vml_cpu"),
            ("ndtr", "erf_vml_cpu"),
            ("erfcx", "erfcx_cpu"),
            ("entr", "entr_cpu"),
            ("log_ndtr", "log_ndtr_cpu"),
            ("ndtri", "ndtri_cpu"),
        )
    ),
    (
        "add shapes",
        lambda m, x: x + m.ones(5),
        RuntimeError,
        "must match the size of tensor b (5) at non-singleton dimension 1",
    ),
    ("maximum shapes", lambda m, x: m.maximum(x, m.ones(2, 1, 3)), RuntimeError, "must match the size of tensor b (3)"),
    ("atan2 shapes", lambda m, x: m.atan2(x, m.ones(2)), RuntimeError, "must match the size of tensor b (2)"),
    ("where shapes", lambda m, x: m.where(x > 0, x, m.ones(5)), RuntimeError, "must match the size of tensor"),
    (
        "sum dim",
        lambda m, x: x.sum(2),
        IndexError,
        "Dimension out of range (expected to be in range of [-2, 1], but got 2)",
    ),
    (
        "prod dim",
        lambda m, x: x.prod(-3),
        IndexError,
        "Dimension out of range (expected to be in range of [-2, 1], but got -3)",
    ),
    ("var dim", lambda m, x: x.var(5), IndexError, "Dimension out of range"),
    ("logsumexp dim", lambda m, x: m.logsumexp(x, 2), IndexError, "Dimension out of range"),
    ("cumsum dim", lambda m, x: x.cumsum(2), IndexError, "Dimension out of range"),
    ("mean of ints", lambda m, x: m.arange(3).mean(), RuntimeError, "mean(): could not infer output dtype"),
    (
        "var of ints",
        lambda m, x: m.arange(3).var(),
        RuntimeError,
        "std and var only support floating point and complex dtypes",
    ),
    (
        "norm of ints",
        lambda m, x: m.linalg.vector_norm(m.arange(3)),
        RuntimeError,
        "Expected a floating point or complex tensor as input. Got Long",
    ),
    (
        "inf norm of empty",
        lambda m, x: m.linalg.vector_norm(m.ones(0), float("inf")),
        RuntimeError,
        "cannot compute the inf norm on an empty tensor",
    ),
    (
        "hypot of ints",
        lambda m, x: m.hypot(m.arange(3), m.arange(3)),
        NotImplementedError,
        "\"hypot_cpu\" not implemented for 'Long'",
    ),
    ("int // 0", lambda m, x: m.arange(3) // 0, RuntimeError, "ZeroDivisionError"),
    ("int % 0", lambda m, x: m.arange(3) % 0, RuntimeError, "ZeroDivisionError"),
    (
        "lerp dtypes",
        lambda m, x: m.lerp(x, x.double() if x.dtype == m.float32 else x.float(), 0.5),
        RuntimeError,
        "for `end` but got dtype",
    ),
    ("clamp no bounds", lambda m, x: x.clamp(), RuntimeError, "At least one of 'min' or 'max' must not be None"),
    ("reshape size", lambda m, x: x.reshape(5, -1), RuntimeError, "shape '[5, -1]' is invalid for input of size 12"),
    ("view size", lambda m, x: x.view(5), RuntimeError, "shape '[5]' is invalid for input of size 12"),
    (
        "expand",
        lambda m, x: x.expand(2, 3),
        RuntimeError,
        "The expanded size of the tensor (3) must match the existing size (4) at non-singleton dimension 1",
    ),
    ("permute duplicate", lambda m, x: x.permute(0, 0), RuntimeError, "duplicate dims are not allowed"),
    ("transpose dim", lambda m, x: x.transpose(0, 2), IndexError, "but got 2)"),
    ("squeeze dim", lambda m, x: x.squeeze(4), IndexError, "but got 4)"),
    ("unsqueeze dim", lambda m, x: x.unsqueeze(3), IndexError, "expected to be in range of [-3, 2], but got 3"),
    ("flip duplicate", lambda m, x: x.flip(0, 0), RuntimeError, "appears multiple times in the list of dims"),
    (
        "roll align",
        lambda m, x: x.roll((1, 2), (0,)),
        RuntimeError,
        "shifts and dimensions must align. shifts: 2, dims:1",
    ),
    (
        "repeat dims",
        lambda m, x: x.repeat(2),
        RuntimeError,
        "Number of dimensions of repeat dims can not be smaller than number of dimensions of tensor",
    ),
    ("movedim dim", lambda m, x: x.movedim(0, 5), IndexError, "Dimension out of range"),
    (
        "unflatten sizes",
        lambda m, x: x.unflatten(1, (3, 2)),
        RuntimeError,
        "unflatten: Provided sizes [3, 2] don't multiply up to the size of dim 1 (4)",
    ),
    (
        "narrow length",
        lambda m, x: x.narrow(1, 3, 2),
        RuntimeError,
        "start (3) + length (2) exceeds dimension size (4).",
    ),
    (
        "narrow start",
        lambda m, x: x.narrow(1, -5, 1),
        IndexError,
        "start out of range (expected to be in range of [-4, 4], but got -5)",
    ),
    (
        "split zero",
        lambda m, x: x.split(0, 1),
        RuntimeError,
        "split_size can only be 0 if dimension size is 0, but got dimension size of 4",
    ),
    (
        "split sizes",
        lambda m, x: x.split([1, 2], 1),
        RuntimeError,
        "split_with_sizes expects split_sizes to sum exactly to 4",
    ),
    ("chunk zero", lambda m, x: x.chunk(0), RuntimeError, "chunk expects `chunks` to be greater than 0, got: 0"),
    (
        "cat sizes",
        lambda m, x: m.cat([x, m.ones(2, 3)]),
        RuntimeError,
        "Sizes of tensors must match except in dimension 0",
    ),
    (
        "cat ranks",
        lambda m, x: m.cat([x, m.ones(3)]),
        RuntimeError,
        "Tensors must have same number of dimensions: got 2 and 1",
    ),
    ("cat empty list", lambda m, x: m.cat([]), ValueError, "expected a non-empty list of Tensors"),
    (
        "stack sizes",
        lambda m, x: m.stack([x, m.ones(2, 3)]),
        RuntimeError,
        "stack expects each tensor to be equal size, but got [3, 4] at entry 0 and [2, 3] at entry 1",
    ),
    (
        "stack sizes, later entry",
        lambda m, x: m.stack([x, x, m.ones(2, 3)]),
        RuntimeError,
        "stack expects each tensor to be equal size, but got [3, 4] at entry 0 and [2, 3] at entry 2",
    ),
    ("stack empty list", lambda m, x: m.stack([]), RuntimeError, "stack expects a non-empty TensorList"),
    ("index int", lambda m, x: x[5], IndexError, "index 5 is out of bounds for dimension 0 with size 3"),
    ("index second dim", lambda m, x: x[:, 7], IndexError, "index 7 is out of bounds for dimension 1 with size 4"),
    ("index list", lambda m, x: x[[5]], IndexError, "index 5 is out of bounds for dimension 0 with size 3"),
    ("index too many", lambda m, x: x[0, 0, 0], IndexError, "too many indices for tensor of dimension 2"),
    (
        "float index tensor",
        lambda m, x: x[m.tensor([1.0])],
        IndexError,
        "tensors used as indices must be long, int, byte or bool tensors",
    ),
    (
        "gather float index",
        lambda m, x: x.gather(1, m.tensor([[1.0]])),
        RuntimeError,
        "gather(): Expected dtype int32/int64 for index",
    ),
    (
        "gather bounds",
        lambda m, x: x.gather(1, m.tensor([[7]])),
        RuntimeError,
        "index 7 is out of bounds for dimension 1 with size 4",
    ),
    (
        "gather ranks",
        lambda m, x: x.gather(1, m.tensor([[[1]]])),
        RuntimeError,
        "Index tensor must have the same number of dimensions as input tensor",
    ),
    (
        "index_select vector",
        lambda m, x: x.index_select(1, m.tensor([[1]])),
        IndexError,
        "Index is supposed to be a vector",
    ),
    ("index_select bounds", lambda m, x: x.index_select(1, m.tensor([9])), (IndexError, RuntimeError), "9"),
    (
        "scatter bounds",
        lambda m, x: x.scatter(1, m.tensor([[5]]), 1.0),
        RuntimeError,
        "index 5 is out of bounds for dimension 1 with size 4",
    ),
    (
        "index_add count",
        lambda m, x: x.index_add(1, m.tensor([0]), m.ones(3, 2, dtype=x.dtype)),
        RuntimeError,
        "Number of indices (1) should be equal to source.size(dim): (2), for dim: 1",
    ),
    (
        "masked_fill float mask",
        lambda m, x: x.masked_fill(x, 0.0),
        RuntimeError,
        "masked_fill_ only supports boolean masks, but got mask with dtype double",
    ),
    (
        "masked_fill value dims",
        lambda m, x: x.masked_fill(x > 0, m.tensor([1.0])),
        RuntimeError,
        "only supports a 0-dimensional value tensor, but got tensor with 1 dimension(s).",
    ),
    (
        "masked_select shapes",
        lambda m, x: x.masked_select(m.ones(2, 2, dtype=m.bool)),
        RuntimeError,
        "The size of tensor a (2) must match the size of tensor b (4) at non-singleton dimension 1",
    ),
    ("take_along_dim dim", lambda m, x: x.take_along_dim(m.tensor([[1]]), 3), IndexError, "Dimension out of range"),
    (
        "index_put bounds",
        lambda m, x: x.index_put((m.tensor([5]),), m.tensor(1.0, dtype=x.dtype)),
        IndexError,
        "index 5 is out of bounds for dimension 0 with size 3",
    ),
]


def _check(lib, fn, exc, phrase):  # noqa: ANN001, ANN202
    x = _x(lib)
    before = x.detach().numpy().copy()
    with pytest.raises(exc) as info:
        fn(lib, x)
    assert phrase in str(info.value), f"{phrase!r} not in {str(info.value)!r}"
    np.testing.assert_array_equal(x.detach().numpy(), before)  # nothing modified
    assert x.grad is None and x._version == 0 if lib is bibun else True


@pytest.mark.parametrize("name, fn, exc, phrase", CASES, ids=[c[0] for c in CASES])
def test_bad_input_raises_pytorchs_error(name, fn, exc, phrase) -> None:  # noqa: ANN001
    _check(bibun, fn, exc, phrase)


@pytest.mark.parametrize("name, fn, exc, phrase", CASES, ids=[c[0] for c in CASES])
def test_the_phrase_is_pytorchs(name, fn, exc, phrase) -> None:  # noqa: ANN001
    torch = pytest.importorskip("torch")
    _check(torch, fn, exc, phrase)


def test_floor_divide_has_no_derivative_as_in_pytorch() -> None:
    x = bibun.tensor([3.0, 4.0], requires_grad=True)
    y = x // 2
    assert type(y.grad_fn).__name__ == "NotImplemented"
    with pytest.raises(RuntimeError, match="derivative for aten::floor_divide is not implemented"):
        y.sum().backward()
    assert x.grad is None
