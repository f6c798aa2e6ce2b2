"""Binds the op table to Tensor: Python operators (with their reflected forms) and the
method spellings of bibun's functions (``x.exp()`` is ``bibun.exp(x)``)."""

from __future__ import annotations

from typing import Any

from bibun import ops
from bibun._tensor import Tensor
from bibun.ops import comparison, shape
from bibun.ops import elementwise as ew


def _reflected(fn: Any) -> Any:
    def method(self: Tensor, other: Any) -> Any:
        other = ew._as_operand(other)
        if other is None:
            return NotImplemented
        return fn(other, self)

    return method


def _matmul_operator(self: Tensor, other: Any) -> Any:
    if not isinstance(other, Tensor):
        other = ew._as_operand(other)
        if not isinstance(other, Tensor):
            return NotImplemented
    return ops.matmul(self, other)


def _rmatmul_operator(self: Tensor, other: Any) -> Any:
    other = ew._as_operand(other)
    if not isinstance(other, Tensor):
        return NotImplemented
    return ops.matmul(other, self)


def _rsub_operator(self: Tensor, other: Any) -> Any:
    other = ew._as_operand(other)
    if other is None:
        return NotImplemented
    if isinstance(other, Tensor):
        return ops.sub(other, self)
    return ops.rsub(self, other)  # PyTorch records 1 - x as RsubBackward1


OPERATORS = {
    "__add__": ew._operator(ops.add),
    "__radd__": _reflected(ops.add),
    "__sub__": ew._operator(ops.sub),
    "__rsub__": _rsub_operator,
    "__mul__": ew._operator(ops.mul),
    "__rmul__": _reflected(ops.mul),
    "__truediv__": ew._operator(ops.div),
    "__rtruediv__": ew._rtruediv,
    "__floordiv__": ew._operator(ops.floor_divide),  # PyTorch records // as floor_divide (no derivative)
    "__rfloordiv__": _reflected(ops.floor_divide),
    "__mod__": ew._operator(ops.remainder),
    "__rmod__": _reflected(ops.remainder),
    "__pow__": ew._operator(ops.pow),
    "__rpow__": ew._rpow,
    "__matmul__": _matmul_operator,
    "__rmatmul__": _rmatmul_operator,
    "__neg__": ops.neg,
    "__abs__": ops.abs,
    "__eq__": ew._operator(ops.eq),
    "__ne__": ew._operator(ops.ne),
    "__lt__": ew._operator(ops.lt),
    "__le__": ew._operator(ops.le),
    "__gt__": ew._operator(ops.gt),
    "__ge__": ew._operator(ops.ge),
    "__getitem__": shape.getitem,
    # &, |, ^, ~ (and reflected): bitwise on integer and bool tensors, as in PyTorch
    **comparison.OPERATORS,
}

# Functions whose first argument is the tensor: each is also a method of the same name.
METHODS = (
    "add",
    "sub",
    "subtract",
    "mul",
    "multiply",
    "div",
    "divide",
    "true_divide",
    "neg",
    "negative",
    "reciprocal",
    "pow",
    "exp",
    "log",
    "sin",
    "cos",
    "tan",
    "tanh",
    "sigmoid",
    "sqrt",
    "abs",
    "absolute",
    "relu",
    "square",
    "sign",
    "maximum",
    "minimum",
    "eq",
    "ne",
    "lt",
    "le",
    "gt",
    "ge",
    "greater",
    "greater_equal",
    "less",
    "less_equal",
    "not_equal",
    "equal",
    "logical_not",
    "clamp",
    "clip",
    "sum",
    "mean",
    "max",
    "min",
    "amax",
    "amin",
    "argmax",
    "argmin",
    "matmul",
    "mm",
    "mv",
    "dot",
    "bmm",
    "reshape",
    "view",
    "flatten",
    "permute",
    "transpose",
    "swapaxes",
    "swapdims",
    "t",
    "unsqueeze",
    "squeeze",
    "expand",
    "expand_as",
    "broadcast_to",
    "sum_to_size",
    "clone",
    "contiguous",
    "unbind",
    "select",
    # unary.py, binary.py, reduction.py, statistics.py, scan.py, layout.py, indexing.py
    *("exp2", "expm1", "log2", "log10", "log1p", "rsqrt", "asin", "acos", "atan", "sinh", "cosh", "asinh"),
    *("acosh", "atanh", "arcsin", "arccos", "arctan", "arcsinh", "arccosh", "arctanh", "erf", "erfc", "erfinv"),
    *("logit", "floor", "ceil", "trunc", "fix", "round", "frac", "nan_to_num", "isnan", "isinf", "isfinite"),
    *("isposinf", "isneginf", "atan2", "arctan2", "hypot", "logaddexp", "logaddexp2", "xlogy", "fmax", "fmin"),
    *(
        "lerp",
        "addcmul",
        "addcdiv",
        "floor_divide",
        "remainder",
        "fmod",
        "var",
        "std",
        "logsumexp",
        "norm",
        "prod",
        "all",
        "any",
    ),
    *("cumsum", "cumprod", "flip", "fliplr", "flipud", "roll", "repeat", "tile", "movedim", "moveaxis"),
    *("unflatten", "narrow", "split", "split_with_sizes", "chunk", "ravel", "index_select", "gather"),
    *("take_along_dim", "scatter", "scatter_add", "index_add", "masked_fill", "masked_select", "index_put"),
    "scatter_reduce",
    "nansum",
    "nanmean",
    # linalg.py, linalg_decomp.py, nn/_toplevel.py
    *("outer", "ger", "trace", "diagonal", "diag", "diag_embed", "tril", "triu", "addmm"),
    *("inverse", "det", "slogdet", "logdet", "softmax", "log_softmax"),
    # sorting.py, comparison.py, products.py, combining.py, counting.py
    *("sort", "argsort", "topk", "median", "unique", "isclose", "allclose", "clamp_min", "clamp_max"),
    *("heaviside", "bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_not", "cross", "kron", "addmv"),
    *("baddbmm", "dist", "take", "diff", "repeat_interleave", "nonzero", "count_nonzero", "bincount"),
    *("histc", "multinomial", "bernoulli"),
)

for _name, _fn in OPERATORS.items():
    setattr(Tensor, _name, _fn)
for _name in METHODS:
    setattr(Tensor, _name, getattr(ops, _name))
Tensor.T = property(shape._T_property)
Tensor.mT = property(shape._mT_property)
Tensor.__hash__ = object.__hash__  # __eq__ is elementwise, so hashing stays by identity


def _where_method(self: Tensor, condition: Tensor, other: Any) -> Tensor:
    return ops.where(condition, self, other)


Tensor.where = _where_method
