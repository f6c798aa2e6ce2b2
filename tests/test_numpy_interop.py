"""NumPy functions on Tensors (docs/numpy.md): a NumPy function with a bibun counterpart
records the graph; one without refuses a tensor that requires grad and otherwise runs on the
arrays. Never a silent detached result."""

from __future__ import annotations

import numpy as np
import pytest

import bibun

ARRAY = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]])


def _leaf() -> bibun.Tensor:
    return bibun.tensor(ARRAY, requires_grad=True)


@pytest.mark.parametrize(
    "numpy_call, bibun_call, grad_fn",
    [
        (lambda t: np.exp(t), lambda t: bibun.exp(t), "ExpBackward0"),
        (lambda t: np.sin(t) * 2, lambda t: bibun.sin(t) * 2, "MulBackward0"),
        (lambda t: np.sum(t), lambda t: t.sum(), "SumBackward0"),
        (lambda t: np.sum(t, axis=1, keepdims=True), lambda t: t.sum(1, keepdim=True), "SumBackward1"),
        (lambda t: np.mean(t, axis=0), lambda t: t.mean(0), "MeanBackward1"),
        (lambda t: np.max(t), lambda t: t.amax(), "AmaxBackward0"),
        (lambda t: np.var(t, ddof=1), lambda t: t.var(), "VarBackward0"),
        (lambda t: np.concatenate([t, t], axis=1), lambda t: bibun.cat([t, t], 1), "CatBackward0"),
        (lambda t: np.stack([t, t]), lambda t: bibun.stack([t, t]), "StackBackward0"),
        (lambda t: np.reshape(t, (3, 2)), lambda t: t.reshape(3, 2), "ViewBackward0"),
        (lambda t: np.transpose(t), lambda t: t.permute(1, 0), "PermuteBackward0"),
        (lambda t: np.where(t > 0, t, 0.0), lambda t: bibun.where(t > 0, t, 0.0), "WhereBackward0"),
        (lambda t: np.clip(t, -0.5, 1.0), lambda t: t.clamp(-0.5, 1.0), "ClampBackward1"),
        (lambda t: np.cumsum(t, axis=1), lambda t: t.cumsum(1), "CumsumBackward0"),
        (lambda t: np.maximum(t, 0.3), lambda t: bibun.maximum(t, bibun.tensor(0.3, dtype=t.dtype)), None),
        (lambda t: np.ones((2, 3)) * t, lambda t: t * bibun.ones(2, 3, dtype=bibun.float64), "MulBackward0"),
        (lambda t: np.ones((2, 3)) - t, lambda t: bibun.ones(2, 3, dtype=bibun.float64) - t, "SubBackward0"),
        (lambda t: np.float64(2.0) ** t, lambda t: 2.0**t, None),
        (lambda t: np.arange(6.0).reshape(3, 2) @ t, lambda t: bibun.tensor(np.arange(6.0).reshape(3, 2)) @ t, None),
    ],
)
def test_numpy_calls_record_the_graph(numpy_call, bibun_call, grad_fn) -> None:  # noqa: ANN001
    x, y = _leaf(), _leaf()
    ours = numpy_call(x)
    expected = bibun_call(y)
    assert isinstance(ours, bibun.Tensor) and ours.requires_grad
    if grad_fn is not None:
        assert type(ours.grad_fn).__name__ == grad_fn
    np.testing.assert_allclose(ours.detach().numpy(), expected.detach().numpy(), rtol=1e-12)
    ours.sum().backward()
    expected.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), y.grad.numpy(), rtol=1e-12)


def test_ndarray_on_the_left_gives_the_same_dtype_as_on_the_right() -> None:
    t = bibun.tensor([1.0, 2.0], requires_grad=True)  # float32
    left, right = np.ones(2) * t, t * np.ones(2)  # a float64 array is a dimensioned float64 operand
    assert left.dtype == right.dtype == bibun.float64
    assert (np.float32(2.0) * t).dtype == bibun.float32  # a NumPy scalar is weak, like a Python number


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda t: np.sort(t), "sort"),
        (lambda t: np.add.reduce(t), "add.reduce"),
        (lambda t: np.median(t), "median"),
        (lambda t: np.exp(t, dtype=np.float32), "exp"),
        (lambda t: np.asarray(t), None),
    ],
)
def test_unsupported_numpy_calls_refuse_tensors_that_require_grad(call, name) -> None:  # noqa: ANN001
    t = _leaf()
    with pytest.raises(RuntimeError, match="Can't call numpy\\(\\) on Tensor that requires grad") as info:
        call(t)
    if name is not None:
        assert f"numpy.{name}" in str(info.value)
    assert t.grad is None and np.array_equal(t.detach().numpy(), ARRAY)  # nothing changed


def test_unsupported_numpy_calls_work_without_grad() -> None:
    t = bibun.tensor(ARRAY)
    np.testing.assert_array_equal(np.sort(t), np.sort(ARRAY))
    reduced = np.add.reduce(t)  # a ufunc result is wrapped back into a Tensor
    assert isinstance(reduced, bibun.Tensor)
    np.testing.assert_allclose(reduced.numpy(), ARRAY.sum(0))
    with bibun.no_grad():  # as Tensor.numpy(): allowed when grad mode is off
        np.testing.assert_array_equal(np.sort(_leaf()), np.sort(ARRAY))


def test_out_arguments_are_refused() -> None:
    t = bibun.tensor(ARRAY)
    with pytest.raises(TypeError, match="out="):
        np.sum(t, out=np.zeros(()))
    with pytest.raises(TypeError, match="out="):
        np.exp(t, out=np.zeros((2, 3)))


def test_metadata_functions_read_no_values() -> None:
    t = _leaf()
    assert np.shape(t) == (2, 3) and np.ndim(t) == 2 and np.size(t) == 6


def test_array_protocol_follows_the_numpy_rule() -> None:
    plain = bibun.tensor(ARRAY)
    assert np.shares_memory(np.asarray(plain), plain.numpy())
    assert np.asarray(plain, dtype=np.float32).dtype == np.float32
    with bibun.no_grad():
        np.testing.assert_array_equal(np.asarray(_leaf()), ARRAY)


def test_floating_point_trouble_inside_bibun_is_silent_and_numpy_still_warns():
    """PyTorch never warns that log(0) is -inf or 0/0 NaN; NumPy would, from inside bibun. The
    user's own NumPy calls keep their warnings (the filter covers bibun's modules only). Run
    as a user runs it, in a fresh interpreter: pytest replaces the warning filters per test."""
    import subprocess
    import sys

    program = """
import numpy as np
import bibun
out = [
    bibun.log(bibun.zeros(2000)),
    bibun.tensor([1.0, 0.0]) / bibun.zeros(2),
    bibun.exp(bibun.full((3000,), 100.0)),
    bibun.zeros(5, dtype=bibun.float64).reciprocal(),
    bibun.tensor([np.inf, -np.inf]).sum(),
]
print(out[0][0].item(), out[1][1].item(), out[2][0].item(), out[3][0].item(), out[4].item())
np.log(np.zeros(2))
"""
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["-inf", "nan", "inf", "inf", "nan"]
    assert done.stderr.count("RuntimeWarning") == 1 and "divide by zero encountered in log" in done.stderr
    assert "bibun" not in done.stderr  # the one warning is the user's own line
