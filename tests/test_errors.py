"""Bad input gets PyTorch's exception type and key phrase, and changes nothing."""

from __future__ import annotations

import numpy as np
import pytest

import bibun as torch

CASES = [
    ("string data", lambda m: m.tensor("abc"), TypeError, "invalid data type 'str'"),
    ("object data", lambda m: m.tensor(object()), RuntimeError, "Could not infer dtype of object"),
    ("ragged list", lambda m: m.tensor([[1, 2], [3]]), ValueError, "expected sequence of length 2 at dim 1 (got 1)"),
    (
        "int requires grad",
        lambda m: m.tensor([1, 2], requires_grad=True),
        RuntimeError,
        "Only Tensors of floating point and complex dtype can require gradients",
    ),
    (
        "int requires_grad_",
        lambda m: m.tensor([1, 2]).requires_grad_(),
        RuntimeError,
        "only Tensors of floating point dtype can require gradients",
    ),
    (
        "item of many",
        lambda m: m.tensor([1.0, 2.0]).item(),
        RuntimeError,
        "a Tensor with 2 elements cannot be converted to Scalar",
    ),
    (
        "float of many",
        lambda m: float(m.tensor([1.0, 2.0])),
        ValueError,
        "only one element tensors can be converted to Python scalars",
    ),
    (
        "int of many",
        lambda m: int(m.tensor([1.0, 2.0])),
        ValueError,
        "only one element tensors can be converted to Python scalars",
    ),
    (
        "ambiguous bool",
        lambda m: bool(m.tensor([1.0, 2.0])),
        RuntimeError,
        "Boolean value of Tensor with more than one value is ambiguous",
    ),
    ("empty bool", lambda m: bool(m.tensor([])), RuntimeError, "Boolean value of Tensor with no values is ambiguous"),
    (
        "numpy with grad",
        lambda m: m.tensor([1.0], requires_grad=True).numpy(),
        RuntimeError,
        "Can't call numpy() on Tensor that requires grad",
    ),
    (
        "implicit grad",
        lambda m: (m.tensor([1.0, 2.0], requires_grad=True) * 2).backward(),
        RuntimeError,
        "grad can be implicitly created only for scalar outputs",
    ),
    (
        "no grad_fn",
        lambda m: m.tensor(1.0).backward(),
        RuntimeError,
        "element 0 of tensors does not require grad and does not have a grad_fn",
    ),
    (
        "retain_grad",
        lambda m: m.tensor(1.0).retain_grad(),
        RuntimeError,
        "can't retain_grad on Tensor that has requires_grad=False",
    ),
    (
        "hook",
        lambda m: m.tensor(1.0).register_hook(lambda g: g),
        RuntimeError,
        "cannot register a hook on a tensor that doesn't require gradient",
    ),
    ("len 0-d", lambda m: len(m.tensor(1.0)), TypeError, "len() of a 0-d tensor"),
    ("iter 0-d", lambda m: iter(m.tensor(1.0)), TypeError, "iteration over a 0-d tensor"),
    (
        "index of float",
        lambda m: [1, 2][m.tensor(1.0)],
        TypeError,
        "only integer tensors of a single element can be converted to an index",
    ),
    ("view size", lambda m: m.tensor([1.0, 2.0]).view(3), RuntimeError, "shape '[3]' is invalid for input of size 2"),
    ("two -1", lambda m: m.ones(2).view(-1, -1), RuntimeError, "only one dimension can be inferred"),
    (
        "mm shapes",
        lambda m: m.ones(2, 3) @ m.ones(2, 3),
        RuntimeError,
        "mat1 and mat2 shapes cannot be multiplied (2x3 and 2x3)",
    ),
    (
        "broadcast",
        lambda m: m.ones(2) + m.ones(3),
        RuntimeError,
        "The size of tensor a (2) must match the size of tensor b (3) at non-singleton dimension 0",
    ),
    (
        "sum dim",
        lambda m: m.ones(2).sum(2),
        IndexError,
        "Dimension out of range (expected to be in range of [-1, 0], but got 2)",
    ),
    (
        "transpose dim",
        lambda m: m.ones(2).transpose(0, 3),
        IndexError,
        "Dimension out of range (expected to be in range of [-1, 0], but got 3)",
    ),
    ("index bounds", lambda m: m.ones(2)[5], IndexError, "index 5 is out of bounds for dimension 0 with size 2"),
    (
        "unsqueeze dim",
        lambda m: m.ones(2).unsqueeze(4),
        IndexError,
        "Dimension out of range (expected to be in range of [-2, 1], but got 4)",
    ),
    (
        "permute length",
        lambda m: m.ones(2, 3).permute(0),
        RuntimeError,
        "number of dimensions in the tensor input does not match the length of the desired ordering of dimensions",
    ),
    (
        "expand",
        lambda m: m.ones(2, 3).expand(3, 3),
        RuntimeError,
        "The expanded size of the tensor (3) must match the existing size (2) at non-singleton dimension 0",
    ),
    (
        "max dim",
        lambda m: m.ones(2, 3).max(5),
        IndexError,
        "Dimension out of range (expected to be in range of [-2, 1], but got 5)",
    ),
    ("int mean", lambda m: m.tensor([1, 2]).mean(), RuntimeError, "mean(): could not infer output dtype"),
    ("operand type", lambda m: m.ones(2) + "a", TypeError, "unsupported operand type(s) for +: 'Tensor' and 'str'"),
]


@pytest.mark.parametrize("name,call,error,phrase", CASES)
def test_error_type_and_key_phrase(name: str, call: object, error: type, phrase: str) -> None:
    with pytest.raises(error) as info:
        call(torch)
    assert phrase in str(info.value)


@pytest.mark.parametrize("name,call,error,phrase", CASES)
def test_pytorch_raises_the_same(name: str, call: object, error: type, phrase: str) -> None:
    real = pytest.importorskip("torch", reason="the live comparison needs torch")
    with pytest.raises(error) as info:
        call(real)
    assert phrase.replace("bibun", "torch") in str(info.value)


def test_failed_calls_change_nothing() -> None:
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    before = (x.tolist(), x._version, x.grad, y.tolist())
    for bad in (lambda: y.backward(), lambda: y.backward(torch.ones(3)), lambda: x.view(3), lambda: x + torch.ones(3)):
        with pytest.raises(RuntimeError):
            bad()
        assert (x.tolist(), x._version, x.grad, y.tolist()) == before
    y.sum().backward()  # the graph is still intact
    assert x.grad.tolist() == [2.0, 2.0]


def test_non_tensor_operands_are_refused_clearly() -> None:
    with pytest.raises(TypeError):
        torch.ones(2) * object()
    with pytest.raises(TypeError, match="expected np.ndarray"):
        torch.from_numpy([1, 2])
    with pytest.raises(TypeError, match="can't convert np.ndarray of type"):
        torch.from_numpy(np.array(["a"]))


def test_complex_tensors_print_but_are_not_differentiated() -> None:
    z = torch.tensor([1 + 2j, 3.5 - 1j])
    assert repr(z) == "tensor([1.0000+2.j, 3.5000-1.j])"
    with pytest.raises(RuntimeError, match="does not differentiate complex tensors"):
        torch.tensor(1 + 1j, requires_grad=True)
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="does not differentiate complex tensors"):
        x * z  # a complex result of a recorded op would get wrong gradients: refused
    assert x.grad is None and x.tolist() == [1.0, 2.0]
    with torch.no_grad():
        assert (x * z).tolist() == [1 + 2j, 7 - 2j]  # values are fine
