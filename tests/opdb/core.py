"""Database entries for the core ops: arithmetic, unary math, reductions, shapes, indexing,
matrix products."""

from __future__ import annotations

import numpy as np

from opdb import OpInfo, Sample

S = Sample
_BINARY_SAMPLES = [
    S(((3, 4), (3, 4))),
    S(((3, 4), (4,)), "broadcast"),
    S(((), (2, 3)), "0-d with matrix"),
    S(((2, 1, 3), (4, 1)), "both broadcast"),
]
_UNARY_SAMPLES = [S(((3, 4),)), S(((),), "0-d"), S(((2, 0),), "empty")]


def _positive(rng: np.random.Generator, shape: tuple) -> np.ndarray:
    return rng.uniform(0.5, 2.5, size=shape)


def _distinct(rng: np.random.Generator, shape: tuple) -> np.ndarray:
    # A permutation of spaced values: no ties, so max/min have a unique derivative.
    count = int(np.prod(shape)) if shape else 1
    return (rng.permutation(count).reshape(shape) * 0.37 - 1.0).astype(np.float64)


OPS = [
    OpInfo(
        "add",
        lambda m, a, b: m.add(a, b),
        _BINARY_SAMPLES,
        "AddBackward0",
        covers=("Tensor.__add__", "Tensor.__radd__"),
    ),
    OpInfo("add_alpha", lambda m, a, b: m.add(a, b, alpha=2.5), _BINARY_SAMPLES[:2], "AddBackward0"),
    OpInfo("sub", lambda m, a, b: a - b, _BINARY_SAMPLES, "SubBackward0", covers=("subtract", "Tensor.__sub__")),
    OpInfo("rsub_scalar", lambda m, a: 1.5 - a, _UNARY_SAMPLES, "RsubBackward1", covers=("rsub", "Tensor.__rsub__")),
    OpInfo("mul", lambda m, a, b: a * b, _BINARY_SAMPLES, "MulBackward0", covers=("multiply", "Tensor.__mul__")),
    OpInfo("mul_scalar", lambda m, a: 2.5 * a, _UNARY_SAMPLES, "MulBackward0", covers=("Tensor.__rmul__",)),
    OpInfo(
        "div",
        lambda m, a, b: a / b,
        _BINARY_SAMPLES,
        "DivBackward0",
        sampler=_positive,
        covers=("divide", "true_divide"),
    ),
    OpInfo(
        "rdiv_scalar",
        lambda m, a: 2.0 / a,
        _UNARY_SAMPLES,
        "MulBackward0",
        sampler=_positive,
        covers=("Tensor.__rtruediv__", "reciprocal"),
    ),
    OpInfo("neg", lambda m, a: -a, _UNARY_SAMPLES, "NegBackward0", covers=("negative",)),
    OpInfo("pow_scalar", lambda m, a: a**3, _UNARY_SAMPLES, "PowBackward0", covers=("square",)),
    OpInfo("pow_fractional", lambda m, a: m.pow(a, 1.5), _UNARY_SAMPLES, "PowBackward0", sampler=_positive),
    OpInfo("pow_tensor", lambda m, a, b: a**b, _BINARY_SAMPLES, "PowBackward1", sampler=_positive, covers=("pow",)),
    OpInfo("rpow_scalar", lambda m, a: 2.0**a, _UNARY_SAMPLES, "PowBackward2", covers=("Tensor.__rpow__",)),
    OpInfo("exp", lambda m, a: m.exp(a), _UNARY_SAMPLES, "ExpBackward0"),
    OpInfo("log", lambda m, a: m.log(a), _UNARY_SAMPLES, "LogBackward0", sampler=_positive),
    OpInfo("sin", lambda m, a: m.sin(a), _UNARY_SAMPLES, "SinBackward0"),
    OpInfo("cos", lambda m, a: m.cos(a), _UNARY_SAMPLES, "CosBackward0"),
    OpInfo("tan", lambda m, a: m.tan(a), _UNARY_SAMPLES, "TanBackward0", domain=(-1.2, 1.2)),
    OpInfo("tanh", lambda m, a: m.tanh(a), _UNARY_SAMPLES, "TanhBackward0"),
    OpInfo("sigmoid", lambda m, a: m.sigmoid(a), _UNARY_SAMPLES, "SigmoidBackward0"),
    OpInfo("relu", lambda m, a: m.relu(a), _UNARY_SAMPLES, "ReluBackward0", second_order=True),
    OpInfo("sqrt", lambda m, a: m.sqrt(a), _UNARY_SAMPLES, "SqrtBackward0", sampler=_positive),
    OpInfo("abs", lambda m, a: m.abs(a), _UNARY_SAMPLES, "AbsBackward0", covers=("absolute", "Tensor.__abs__")),
    OpInfo("sign", lambda m, a: m.sign(a), _UNARY_SAMPLES, "SignBackward0"),
    OpInfo("maximum", lambda m, a, b: m.maximum(a, b), _BINARY_SAMPLES, "MaximumBackward0"),
    OpInfo("minimum", lambda m, a, b: m.minimum(a, b), _BINARY_SAMPLES, "MinimumBackward0"),
    OpInfo("clamp", lambda m, a: m.clamp(a, -0.5, 0.7), _UNARY_SAMPLES, "ClampBackward1", covers=("clip",)),
    OpInfo("where", lambda m, a, b: m.where(a > 0, a, b), _BINARY_SAMPLES[:2], "WhereBackward0"),
    OpInfo("sum", lambda m, a: m.sum(a), _UNARY_SAMPLES, "SumBackward0"),
    OpInfo("sum_dim", lambda m, a: m.sum(a, 1, keepdim=False), [S(((3, 4),)), S(((2, 3, 4),))], "SumBackward1"),
    OpInfo("sum_dims_keepdim", lambda m, a: a.sum((0, -1), keepdim=True), [S(((2, 3, 4),))], "SumBackward1"),
    OpInfo("mean", lambda m, a: m.mean(a), _UNARY_SAMPLES[:2], "MeanBackward0"),
    OpInfo("mean_dim", lambda m, a: a.mean(-1, keepdim=True), [S(((3, 4),))], "MeanBackward1"),
    OpInfo("max", lambda m, a: m.max(a), [S(((3, 4),))], "MaxBackward1", sampler=_distinct),
    OpInfo("max_dim", lambda m, a: m.max(a, 1)[0], [S(((3, 4),))], "MaxBackward0", sampler=_distinct),
    OpInfo("min", lambda m, a: m.min(a), [S(((3, 4),))], "MinBackward1", sampler=_distinct),
    OpInfo("min_dim", lambda m, a: a.min(0, keepdim=True).values, [S(((3, 4),))], "MinBackward0", sampler=_distinct),
    OpInfo("amax", lambda m, a: m.amax(a, 0), [S(((3, 4),))], "AmaxBackward0", sampler=_distinct),
    OpInfo("amin", lambda m, a: m.amin(a, (0, 1)), [S(((3, 4),))], "AminBackward0", sampler=_distinct),
    OpInfo(
        "matmul_mm",
        lambda m, a, b: a @ b,
        [S(((3, 4), (4, 2)))],
        "MmBackward0",
        covers=("mm", "matmul", "Tensor.__matmul__"),
    ),
    OpInfo("matmul_mv", lambda m, a, b: m.matmul(a, b), [S(((3, 4), (4,)))], "MvBackward0", covers=("mv",)),
    OpInfo("matmul_dot", lambda m, a, b: m.matmul(a, b), [S(((4,), (4,)))], "DotBackward0", covers=("dot",)),
    OpInfo("matmul_vecmat", lambda m, a, b: a @ b, [S(((4,), (4, 3)))], "SqueezeBackward4"),
    OpInfo("matmul_mat_batch", lambda m, a, b: a @ b, [S(((2, 4), (3, 4, 5)))], "CloneBackward0"),
    OpInfo("matmul_row_batch", lambda m, a, b: a @ b, [S(((1, 4), (3, 4, 5)))], "TransposeBackward0"),
    OpInfo(
        "matmul_batched",
        lambda m, a, b: a @ b,
        [S(((2, 3, 4), (4, 5))), S(((4,), (2, 4, 5))), S(((2, 1, 3, 4), (3, 4, 2)))],
    ),
    OpInfo("bmm", lambda m, a, b: m.bmm(a, b), [S(((2, 3, 4), (2, 4, 5)))], "BmmBackward0"),
    OpInfo("reshape", lambda m, a: a.reshape(4, 3), [S(((3, 4),))], "ViewBackward0", covers=("view", "Tensor.view")),
    OpInfo("flatten", lambda m, a: m.flatten(a), [S(((2, 3, 4),))], "ViewBackward0"),
    OpInfo("permute", lambda m, a: a.permute(2, 0, 1), [S(((2, 3, 4),))], "PermuteBackward0", covers=("Tensor.T",)),
    OpInfo(
        "transpose",
        lambda m, a: m.transpose(a, 0, 2),
        [S(((2, 3, 4),))],
        "TransposeBackward0",
        covers=("swapaxes", "swapdims", "Tensor.mT"),
    ),
    OpInfo("t", lambda m, a: m.t(a), [S(((3, 4),))], "TBackward0"),
    OpInfo("unsqueeze", lambda m, a: m.unsqueeze(a, 1), [S(((3, 4),))], "UnsqueezeBackward0"),
    OpInfo("squeeze", lambda m, a: m.squeeze(a), [S(((3, 1, 4),))], "SqueezeBackward0"),
    OpInfo("squeeze_dim", lambda m, a: a.squeeze(1), [S(((3, 1, 4),))], "SqueezeBackward1"),
    OpInfo(
        "expand",
        lambda m, a: a.expand(2, 3, 4),
        [S(((3, 1),))],
        "ExpandBackward0",
        covers=("expand_as", "broadcast_to"),
    ),
    OpInfo("clone", lambda m, a: m.clone(a), _UNARY_SAMPLES, "CloneBackward0", covers=("contiguous",)),
    # float64 -> float32 (or back, when the PyTorch check runs in float32): a rounding cast, so
    # finite differences take a larger step.
    OpInfo(
        "to_other_float",
        lambda m, a: a.to(m.float32 if a.dtype == m.float64 else m.float64),
        [S(((3,),))],
        "ToCopyBackward0",
        covers=("Tensor.to", "Tensor.float", "Tensor.double"),
        fd_eps=1e-3,
        fd_rtol=1e-3,
    ),
    OpInfo("select", lambda m, a: a[1], [S(((3, 4),))], "SelectBackward0", covers=("Tensor.__getitem__", "select")),
    OpInfo("slice", lambda m, a: a[:, 1:3], [S(((3, 4),))], "SliceBackward0"),
    OpInfo("getitem_mixed", lambda m, a: a[None, 1, ..., ::2], [S(((3, 4, 5),))], "SliceBackward0"),
    OpInfo("index_repeated", lambda m, a: a[[0, 2, 0]], [S(((3, 4),))], "IndexBackward0"),
    OpInfo("index_mask", lambda m, a: a[a > 0], [S(((3, 4),))], "IndexBackward0"),
    OpInfo("unbind", lambda m, a: m.unbind(a, 1), [S(((3, 2),))], None, covers=("Tensor.__iter__",)),
    OpInfo(
        "cat", lambda m, a, b: m.cat([a, b], 1), [S(((2, 3), (2, 2)))], "CatBackward0", covers=("concat", "concatenate")
    ),
    OpInfo("stack", lambda m, a, b: m.stack([a, b], 0), [S(((2, 3), (2, 3)))], "StackBackward0"),
    OpInfo("sum_to_size", lambda m, a: a.sum_to_size(1, 4), [S(((3, 4),))], "SumBackward1"),
]

# Not differentiable: only values, dtypes and "no graph" are checked.
OPS += [
    OpInfo(
        name, (lambda fname: lambda m, a, b: getattr(m, fname)(a, b))(name), [S(((3, 4), (4,)))], differentiable=False
    )
    for name in (
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
        "logical_and",
        "logical_or",
        "logical_xor",
    )
]
OPS += [
    OpInfo(
        "logical_not",
        lambda m, a: m.logical_not(a > 0),
        [S(((3, 4),))],
        differentiable=False,
        covers=("Tensor.__invert__",),
    ),
    OpInfo("equal", lambda m, a, b: m.tensor(m.equal(a, b)), [S(((3, 4), (3, 4)))], differentiable=False),
    OpInfo("argmax", lambda m, a: m.argmax(a, 1), [S(((3, 4),))], differentiable=False, sampler=_distinct),
    OpInfo("argmin", lambda m, a: m.argmin(a), [S(((3, 4),))], differentiable=False, sampler=_distinct),
    OpInfo(
        "div_floor",
        lambda m, a, b: m.div(a, b, rounding_mode="floor"),
        [S(((3, 4), (3, 4)))],
        "DivBackward1",
        sampler=_positive,
        covers=("Tensor.__floordiv__",),
        differentiable=False,
    ),
]
