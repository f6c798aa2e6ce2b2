"""Making tensors: ``tensor`` (PyTorch's dtype inference), ``as_tensor``/``from_numpy``
(share memory), filled and random tensors, and the bibun-owned random generator."""

from __future__ import annotations

import builtins
import warnings
from collections import deque
from typing import Any, Sequence

import numpy as np

from bibun import _dtype
from bibun._tensor import Tensor, new_tensor

_bool, _int, _float, _complex = builtins.bool, builtins.int, builtins.float, builtins.complex


def _infer_shape_or_raise(data: Any) -> None:
    """PyTorch's errors for ragged nested lists and unsupported element types. Breadth-first
    with a queue, so the first length seen at each depth is the expected one, as in PyTorch."""
    queue = deque([(data, 0)])
    expected: dict[int, int] = {}
    while queue:
        item, depth = queue.popleft()
        if isinstance(item, (list, tuple)):
            if depth in expected and expected[depth] != len(item):
                raise ValueError(f"expected sequence of length {expected[depth]} at dim {depth} (got {len(item)})")
            expected[depth] = len(item)
            queue.extend((x, depth + 1) for x in item)
        elif isinstance(item, str):
            raise TypeError(f"new(): invalid data type '{type(item).__name__}'")
        elif not isinstance(item, (_int, _float, _complex, _bool, np.number, np.bool_, np.ndarray, Tensor)):
            raise RuntimeError(f"Could not infer dtype of {type(item).__name__}")


def _infer_dtype(data: Any, array: np.ndarray) -> np.dtype:
    """Python floats become the default dtype, ints int64, bools bool; NumPy data keeps its
    dtype (``tensor(np.float64(1.5))`` is float64)."""
    if isinstance(data, (np.ndarray, np.generic)):
        return _dtype.from_numpy_dtype(array.dtype).np
    kind = array.dtype.kind
    if kind == "b":
        return np.dtype(np.bool_)
    if kind in "iu":
        return np.dtype(np.int64)
    if kind == "f":
        if array.dtype == np.float64 and _contains_numpy_float64(data):
            return np.dtype(np.float64)
        return _dtype.get_default_dtype().np
    if kind == "c":
        return np.dtype(np.complex128 if _dtype.get_default_dtype() is _dtype.float64 else np.complex64)
    raise RuntimeError(f"Could not infer dtype of {type(data).__name__}")


def _contains_numpy_float64(data: Any) -> bool:
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, (list, tuple)):
            stack.extend(item)
        elif isinstance(item, np.float64):
            return True
    return False


def tensor(
    data: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False, pin_memory: bool = False
) -> Tensor:
    """A new tensor holding a copy of ``data`` (a number, nested sequence, ndarray or tensor)."""
    if type(data) is _float and dtype is None:  # the commonest call (a scalar parameter): no inference needed
        out = new_tensor(np.array(data, dtype=_dtype.get_default_dtype().np))
        if requires_grad:
            out._requires_grad = True
        return out
    np_dtype = _dtype.to_numpy_dtype(dtype)
    if isinstance(data, Tensor):
        warnings.warn(
            "To copy construct from a tensor, it is recommended to use sourceTensor.detach().clone() or "
            "sourceTensor.detach().clone().requires_grad_(True), rather than bibun.tensor(sourceTensor).",
            UserWarning,
            stacklevel=2,
        )
        array = data._data.astype(np_dtype) if np_dtype is not None else data._data.copy()
    else:
        if not isinstance(data, np.ndarray):
            _infer_shape_or_raise(data)
        if isinstance(data, (list, tuple)) and any(isinstance(x, Tensor) for x in data):
            data = [x.item() if isinstance(x, Tensor) and x.dim() == 0 else x for x in data]
            data = [x._data if isinstance(x, Tensor) else x for x in data]
        try:
            array = np.array(data)
        except ValueError as error:
            raise ValueError(str(error)) from None
        if array.dtype == object:
            raise RuntimeError(f"Could not infer dtype of {type(data).__name__}")
        target = np_dtype if np_dtype is not None else _infer_dtype(data, array)
        array = array.astype(target, copy=array.dtype != target or array is data)
    return _finish(array, requires_grad)


def as_tensor(data: Any, dtype: Any = None, device: Any = None) -> Tensor:
    """Like ``tensor`` but shares memory with an ndarray (or returns a tensor as is) when no
    conversion is needed."""
    np_dtype = _dtype.to_numpy_dtype(dtype)
    if isinstance(data, Tensor):
        return data if np_dtype is None or data._data.dtype == np_dtype else data.to(dtype)
    if isinstance(data, np.ndarray) and (np_dtype is None or data.dtype == np_dtype):
        return from_numpy(data)
    return tensor(data, dtype=dtype)


asarray = as_tensor


def from_numpy(ndarray: np.ndarray) -> Tensor:
    """A tensor sharing memory with ``ndarray``: writes to either show in both."""
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    _dtype.from_numpy_dtype(ndarray.dtype)  # raises for unsupported dtypes
    return new_tensor(ndarray)


def _sizes(size: Sequence[Any]) -> tuple[int, ...]:
    if len(size) == 1 and isinstance(size[0], (list, tuple)):
        size = tuple(size[0])
    for n in size:
        if not isinstance(n, (_int, np.integer)) or isinstance(n, _bool):
            raise TypeError(f"expected a sequence of integers as size, but got an element of type {type(n).__name__}")
        if n < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {n}: {list(size)}")
    return tuple(_int(n) for n in size)


def _finish(array: np.ndarray, requires_grad: bool) -> Tensor:
    out = new_tensor(array)
    if requires_grad:
        _dtype.check_can_require_grad(
            array.dtype, "Only Tensors of floating point and complex dtype can require gradients"
        )
        out._requires_grad = True
    return out


def _float_dtype(dtype: Any) -> np.dtype:
    return _dtype.to_numpy_dtype(dtype) if dtype is not None else _dtype.get_default_dtype().np


def zeros(
    *size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False, out: Any = None, layout: Any = None
) -> Tensor:
    return _finish(np.zeros(_sizes(size), dtype=_float_dtype(dtype)), requires_grad)


def ones(
    *size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False, out: Any = None, layout: Any = None
) -> Tensor:
    return _finish(np.ones(_sizes(size), dtype=_float_dtype(dtype)), requires_grad)


def empty(
    *size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False, out: Any = None, layout: Any = None
) -> Tensor:
    return _finish(np.empty(_sizes(size), dtype=_float_dtype(dtype)), requires_grad)


def full(
    size: Sequence[int], fill_value: Any, *, dtype: Any = None, device: Any = None, requires_grad: bool = False
) -> Tensor:
    if dtype is None:
        dtype = _dtype.from_numpy_dtype(_dtype.result_type(fill_value))
    return _finish(np.full(_sizes((size,)), fill_value, dtype=_dtype.to_numpy_dtype(dtype)), requires_grad)


def _like(input: Tensor, dtype: Any) -> np.dtype:
    return _dtype.to_numpy_dtype(dtype) if dtype is not None else input._data.dtype


def zeros_like(
    input: Tensor, *, dtype: Any = None, device: Any = None, requires_grad: bool = False, memory_format: Any = None
) -> Tensor:
    return _finish(np.zeros(input._data.shape, dtype=_like(input, dtype)), requires_grad)


def ones_like(
    input: Tensor, *, dtype: Any = None, device: Any = None, requires_grad: bool = False, memory_format: Any = None
) -> Tensor:
    return _finish(np.ones(input._data.shape, dtype=_like(input, dtype)), requires_grad)


def empty_like(
    input: Tensor, *, dtype: Any = None, device: Any = None, requires_grad: bool = False, memory_format: Any = None
) -> Tensor:
    return _finish(np.empty(input._data.shape, dtype=_like(input, dtype)), requires_grad)


def full_like(
    input: Tensor,
    fill_value: Any,
    *,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
    memory_format: Any = None,
) -> Tensor:
    return _finish(np.full(input._data.shape, fill_value, dtype=_like(input, dtype)), requires_grad)


def arange(
    start: Any, end: Any = None, step: Any = 1, *, dtype: Any = None, device: Any = None, requires_grad: bool = False
) -> Tensor:
    if end is None:
        start, end = 0, start
    values = [x.item() if isinstance(x, Tensor) else x for x in (start, end, step)]
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if dtype is None:
        is_float = any(isinstance(v, (_float, np.floating)) for v in values)
        np_dtype = _dtype.get_default_dtype().np if is_float else np.dtype(np.int64)
    else:
        np_dtype = _dtype.to_numpy_dtype(dtype)
    return _finish(
        np.arange(*values, dtype=np.float64 if np_dtype.kind == "f" else None).astype(np_dtype), requires_grad
    )


def linspace(
    start: Any, end: Any, steps: int, *, dtype: Any = None, device: Any = None, requires_grad: bool = False
) -> Tensor:
    return _finish(_linspace_values(start, end, steps, _float_dtype(dtype)), requires_grad)


def _linspace_values(start: Any, end: Any, steps: int, dtype: np.dtype) -> np.ndarray:
    """PyTorch's CPU kernel, so the last bits agree (np.linspace rounds differently): the
    step is computed in the dtype, the first half counts up from ``start`` and the second
    half down from ``end``, each element one fused multiply-add. The fused operation is
    emulated in a wider type: float64 for float32, long double for float64 (where long
    double is only as wide as double, a plain multiply-add)."""
    steps = _int(steps)
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    if dtype.kind == "c":
        return np.linspace(start, end, steps).astype(dtype)
    start, end = (x.item() if isinstance(x, Tensor) else x for x in (start, end))
    if dtype.kind == "f":
        step_type = np.float64 if dtype == np.float64 else np.float32
        start, end = step_type(start), step_type(end)
    else:  # integer dtypes: the ends are truncated to integers, the step is a double
        step_type, start, end = np.float64, np.float64(_int(start)), np.float64(_int(end))
    if steps == 1:
        return np.full(1, start).astype(dtype)
    if dtype == np.float16:
        return _linspace_half(start, end, steps)
    step = step_type(end - start) / step_type(max(steps - 1, 1))
    wide = np.longdouble if step_type == np.float64 else np.float64
    index = np.arange(steps)
    half = steps // 2
    up = wide(start) + wide(step) * index[:half]
    down = wide(end) - wide(step) * (steps - 1 - index[half:])
    return np.concatenate([up.astype(step_type), down.astype(step_type)]).astype(dtype)


def _linspace_half(start: np.float32, end: np.float32, steps: int) -> np.ndarray:
    """float16 arithmetic as PyTorch does it: each operation in float32, rounded to half."""
    half, f32 = np.float16, np.float32
    start, end = half(start).astype(f32), half(end).astype(f32)
    step = half(half(end - start).astype(f32) / f32(steps - 1)).astype(f32)
    index = np.arange(steps)
    count = np.where(index < steps // 2, index, steps - 1 - index).astype(half).astype(f32)
    offset = (step * count).astype(half).astype(f32)
    return np.where(index < steps // 2, start + offset, end - offset).astype(half)


def logspace(
    start: Any, end: Any, steps: int, base: float = 10.0, *, dtype: Any = None, requires_grad: bool = False
) -> Tensor:
    return _finish(np.logspace(start, end, steps, base=base).astype(_float_dtype(dtype)), requires_grad)


def eye(n: int, m: int | None = None, *, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    return _finish(np.eye(n, m, dtype=_float_dtype(dtype)), requires_grad)


# --- randomness: a generator bibun owns (NumPy's PCG64), seeded by manual_seed --------------------
class Generator:
    """A source of random numbers. The streams are NumPy's, so seeded values differ from
    PyTorch's (its Mersenne Twister and Box-Muller details are not reproduced)."""

    def __init__(self, device: Any = "cpu") -> None:
        self._seed = 67280421310721
        self._rng = np.random.default_rng(self._seed)

    def manual_seed(self, seed: int) -> Generator:
        self._seed = _int(seed)
        self._rng = np.random.default_rng(self._seed)
        return self

    def initial_seed(self) -> int:
        return self._seed

    def seed(self) -> int:
        return self.manual_seed(np.random.SeedSequence().entropy % (2**63))._seed

    def get_state(self) -> Any:
        return self._rng.bit_generator.state

    def set_state(self, state: Any) -> Generator:
        self._rng.bit_generator.state = state
        return self


default_generator = Generator()


def manual_seed(seed: int) -> Generator:
    return default_generator.manual_seed(seed)


def initial_seed() -> int:
    return default_generator.initial_seed()


def seed() -> int:
    return default_generator.seed()


def get_rng_state() -> Any:
    return default_generator.get_state()


def set_rng_state(state: Any) -> None:
    default_generator.set_state(state)


def _rng(generator: Generator | None) -> np.random.Generator:
    return (generator or default_generator)._rng


def rand(
    *size: Any, generator: Generator | None = None, dtype: Any = None, device: Any = None, requires_grad: bool = False
) -> Tensor:
    np_dtype = _float_dtype(dtype)
    return _finish(_rng(generator).random(_sizes(size)).astype(np_dtype), requires_grad)


def randn(
    *size: Any, generator: Generator | None = None, dtype: Any = None, device: Any = None, requires_grad: bool = False
) -> Tensor:
    np_dtype = _float_dtype(dtype)
    return _finish(_rng(generator).standard_normal(_sizes(size)).astype(np_dtype), requires_grad)


def randint(
    low: int,
    high: int | None = None,
    size: Sequence[int] = (),
    *,
    generator: Generator | None = None,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    if high is None:
        low, high = 0, low
    np_dtype = _dtype.to_numpy_dtype(dtype) if dtype is not None else np.dtype(np.int64)
    return _finish(_rng(generator).integers(low, high, size=_sizes((size,))).astype(np_dtype), requires_grad)


def rand_like(input: Tensor, *, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return rand(*input._data.shape, dtype=dtype or input.dtype, requires_grad=requires_grad)


def randn_like(input: Tensor, *, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return randn(*input._data.shape, dtype=dtype or input.dtype, requires_grad=requires_grad)


def randint_like(input: Tensor, low: int, high: int | None = None, *, dtype: Any = None) -> Tensor:
    return randint(low, high, input._data.shape, dtype=dtype or input.dtype)


def randperm(n: int, *, generator: Generator | None = None, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return _finish(
        _rng(generator).permutation(n).astype(_dtype.to_numpy_dtype(dtype) if dtype else np.int64), requires_grad
    )


def normal(
    mean: float = 0.0, std: float = 1.0, size: Sequence[int] = (), *, generator: Generator | None = None
) -> Tensor:
    return new_tensor(_rng(generator).normal(mean, std, size=_sizes((size,))).astype(_dtype.get_default_dtype().np))
