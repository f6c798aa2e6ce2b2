"""Data types, the default dtype, and PyTorch's type-promotion rules.

bibun's dtypes are thin names over NumPy dtypes. Promotion follows PyTorch, not NumPy:
operands are ranked by priority (dimensioned tensors, then 0-d tensors, then Python
scalars) and a lower-priority operand only changes the result when it brings a higher
category (bool < integer < floating point). See docs/design.md, "Type promotion".
"""

from __future__ import annotations

import numpy as np

# Categories, ordered: a lower-priority operand may lift the result's category only.
_BOOL, _INT, _FLOAT, _COMPLEX = 0, 1, 2, 3


class dtype:
    """A tensor element type, printed the way PyTorch prints its own (``bibun.float32``)."""

    __slots__ = ("name", "np", "is_floating_point", "is_complex", "is_signed", "itemsize", "_category")

    def __init__(self, name: str, np_dtype: type) -> None:
        self.name = name
        self.np = np.dtype(np_dtype)
        kind = self.np.kind
        self._category = {"b": _BOOL, "i": _INT, "u": _INT, "f": _FLOAT, "c": _COMPLEX}[kind]
        self.is_floating_point = kind == "f"
        self.is_complex = kind == "c"
        self.is_signed = kind in "ifc"
        self.itemsize = self.np.itemsize

    def __repr__(self) -> str:
        return f"bibun.{self.name}"

    def __reduce__(self) -> str:
        return self.name

    def to_real(self) -> dtype:
        return {complex64: float32, complex128: float64}.get(self, self)


bool = dtype("bool", np.bool_)  # noqa: A001 - PyTorch's public name
uint8 = dtype("uint8", np.uint8)
int8 = dtype("int8", np.int8)
int16 = dtype("int16", np.int16)
int32 = dtype("int32", np.int32)
int64 = dtype("int64", np.int64)
float16 = dtype("float16", np.float16)
float32 = dtype("float32", np.float32)
float64 = dtype("float64", np.float64)
complex64 = dtype("complex64", np.complex64)
complex128 = dtype("complex128", np.complex128)

# PyTorch's aliases.
half, float, double = float16, float32, float64  # noqa: A001
short, int, long = int16, int32, int64  # noqa: A001
cfloat, cdouble = complex64, complex128

ALL_DTYPES = (bool, uint8, int8, int16, int32, int64, float16, float32, float64, complex64, complex128)
_FROM_NUMPY = {d.np: d for d in ALL_DTYPES}


def from_numpy_dtype(np_dtype: np.dtype) -> dtype:
    try:
        return _FROM_NUMPY[np_dtype]
    except KeyError:
        raise TypeError(
            f"can't convert np.ndarray of type {np_dtype}. The only supported types are: "
            "float64, float32, float16, complex64, complex128, int64, int32, int16, int8, uint8, and bool."
        ) from None


def to_numpy_dtype(d: dtype | np.dtype | type | str | None) -> np.dtype | None:
    """Accepts a bibun dtype, a NumPy dtype or a NumPy scalar type; None stays None."""
    if d is None:
        return None
    if type(d) is dtype:
        return d.np
    return from_numpy_dtype(np.dtype(d)).np


# The default floating dtype is process-wide in PyTorch (torch.set_default_dtype), so it is
# here too; grad mode, by contrast, is thread-local (autograd/grad_mode.py).
_default = [float32]


def get_default_dtype() -> dtype:
    return _default[0]


def set_default_dtype(d: dtype) -> None:
    if type(d) is not dtype or not (d.is_floating_point or d.is_complex):
        raise TypeError(f"only floating-point types are supported as the default type, got {d!r}")
    _default[0] = d


def _promote_two(a: np.dtype, b: np.dtype) -> np.dtype:
    """PyTorch's promoteTypes for two NumPy dtypes: across categories the higher category's
    type wins (int64 + float16 is float16, unlike NumPy); within one, NumPy's lattice agrees."""
    if a is b or a == b:
        return a
    ca, cb = _FROM_NUMPY[a]._category, _FROM_NUMPY[b]._category
    if ca != cb:
        if max(ca, cb) == _COMPLEX and min(ca, cb) == _FLOAT:
            return np.promote_types(a, b)
        return a if ca > cb else b
    return np.promote_types(a, b)


def _scalar_np_dtype(value: object) -> np.dtype:
    """The dtype a Python scalar takes as a 'wrapped number' (PyTorch's term)."""
    if isinstance(value, (builtins_bool, np.bool_)):
        return bool.np
    if isinstance(value, (builtins_int, np.integer)):
        return int64.np
    if isinstance(value, (builtins_complex, np.complexfloating)):
        return complex128.np if _default[0] is float64 else complex64.np
    return _default[0].np


def _combine(higher: np.dtype | None, lower: np.dtype | None) -> np.dtype | None:
    """PyTorch's combine_categories: a lower-priority result only matters if it is of a
    higher category than the higher-priority one."""
    if higher is None:
        return lower
    if lower is None:
        return higher
    ch, cl = _FROM_NUMPY[higher]._category, _FROM_NUMPY[lower]._category
    if ch >= _FLOAT and ch >= cl:
        return higher
    if cl > ch:
        return _promote_two(higher, lower)
    return higher


def result_type(*operands: object) -> np.dtype:
    """The NumPy dtype PyTorch gives an elementwise op over ``operands`` (Tensors, arrays,
    Python scalars)."""
    dim_result = zero_result = wrapped_result = None
    for x in operands:
        data = getattr(x, "_data", None)
        if data is None:
            if isinstance(x, np.ndarray):
                data = x
            else:
                d = _scalar_np_dtype(x)
                wrapped_result = d if wrapped_result is None else _promote_two(wrapped_result, d)
                continue
        d = data.dtype
        if data.ndim:
            dim_result = d if dim_result is None else _promote_two(dim_result, d)
        else:
            zero_result = d if zero_result is None else _promote_two(zero_result, d)
    return _combine(dim_result, _combine(zero_result, wrapped_result))


# PyTorch names a dtype two ways in its messages: by ScalarType ("expected scalar type Float")
# and by the C++ element type ("expected dtype float", "long int", "c10::Half").
_SCALAR_TYPE_NAMES = {
    "bool": "Bool",
    "uint8": "Byte",
    "int8": "Char",
    "int16": "Short",
    "int32": "Int",
    "int64": "Long",
    "float16": "Half",
    "float32": "Float",
    "float64": "Double",
    "complex64": "ComplexFloat",
    "complex128": "ComplexDouble",
}
_CPP_TYPE_NAMES = {
    "bool": "bool",
    "uint8": "unsigned char",
    "int8": "signed char",
    "int16": "short int",
    "int32": "int",
    "int64": "long int",
    "float16": "c10::Half",
    "float32": "float",
    "float64": "double",
    "complex64": "c10::complex<float>",
    "complex128": "c10::complex<double>",
}


def scalar_type_name(np_dtype: np.dtype) -> str:
    """PyTorch's ScalarType name of a dtype, as its messages print it: Float, Double, Long, ..."""
    return _SCALAR_TYPE_NAMES.get(np_dtype.name, np_dtype.name)


def cpp_type_name(np_dtype: np.dtype) -> str:
    """PyTorch's C++ element-type name of a dtype, as some messages print it: float, long int, ..."""
    return _CPP_TYPE_NAMES.get(np_dtype.name, np_dtype.name)


import builtins as _builtins  # noqa: E402 - the module shadows bool/int/float on purpose

builtins_bool, builtins_int, builtins_complex = _builtins.bool, _builtins.int, _builtins.complex


COMPLEX_GRADIENTS_UNSUPPORTED = (
    "bibun does not differentiate complex tensors yet: its derivative rules are written for real "
    "values, and PyTorch's conjugate (Wirtinger) convention is not implemented. Keep the real and "
    "imaginary parts as separate real tensors (docs/differences.md)."
)


def check_can_require_grad(np_dtype: np.dtype, message: str) -> None:
    """PyTorch's refusal for non-float dtypes (with its own message), and bibun's for complex."""
    if np_dtype.kind == "c":
        raise RuntimeError(COMPLEX_GRADIENTS_UNSUPPORTED)
    if np_dtype.kind != "f":
        raise RuntimeError(message)
