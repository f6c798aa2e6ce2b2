"""Matrix products and matrix structure. One rule covers every rank combination of ``matmul``
(1-D operands are promoted to matrices and the added axis is dropped again); the grad_fn name
is the one PyTorch records for that combination. Also here: outer, tensordot, einsum, trace,
diagonal, diag, diag_embed, tril, triu (docs/linalg.md). Decompositions and solvers live in
linalg_decomp.py."""

from __future__ import annotations

from typing import Any

import numpy as np

from bibun import _dtype
from bibun._tensor import Tensor, new_tensor
from bibun.ops import _xp, shape
from bibun.ops._registry import INPUTS, apply, defop
from bibun.ops.elementwise import _binary

ndarray = np.ndarray


# Each rule reads only the other operand (``defop(reads=...)`` below), as PyTorch saves only
# what the needed gradient uses. Whether the unsaved operand was a vector is read off the
# ranks of ``g`` and the saved one: a @ b drops a's row axis when a is 1-D and b's column axis
# when b is 1-D.
def _matmul_grad_a(xp: Any, g: Any, a: Any, b: Any) -> Any:
    if b.ndim == 1:  # a @ b dropped b's column axis: put it back on g
        return xp.reshape(g, g.shape + (1,)) * b if g.ndim else g * b
    if g.ndim == b.ndim - 1:  # a was 1-D: a @ b dropped a's row axis
        grad = xp.matmul(xp.reshape(g, g.shape[:-1] + (1, g.shape[-1])), xp.swapaxes(b, -1, -2))
        return xp.reshape(grad, grad.shape[:-2] + (grad.shape[-1],))
    return xp.matmul(g, xp.swapaxes(b, -1, -2))


def _matmul_grad_b(xp: Any, g: Any, a: Any, b: Any) -> Any:
    if a.ndim == 1:
        if g.ndim == 0:  # b was 1-D too: a dot product
            return g * a
        return xp.reshape(a, a.shape + (1,)) * xp.reshape(g, g.shape[:-1] + (1, g.shape[-1]))
    if g.ndim == a.ndim - 1:  # b was 1-D
        grad = xp.matmul(xp.swapaxes(a, -1, -2), xp.reshape(g, g.shape + (1,)))
        return xp.reshape(grad, grad.shape[:-1])
    return xp.matmul(xp.swapaxes(a, -1, -2), g)


def _product_op(name: str, grad_fn: str) -> Any:
    return defop(
        name, grad_fn, np.matmul, (_matmul_grad_a, _matmul_grad_b), save=INPUTS, reads=((1,), (0,)), jvp="bilinear"
    )


_DOT = _product_op("dot", "DotBackward0")
_MV = _product_op("mv", "MvBackward0")
_MM = _product_op("mm", "MmBackward0")
_BMM = _product_op("bmm", "BmmBackward0")
_MATMUL = _product_op("matmul", "UnsafeViewBackward0")
# PyTorch computes two combinations through other ops and records the last one's node:
# vector @ matrix as unsqueeze, mm, squeeze; matrix @ batch as (batch^T @ matrix^T)^T, made
# contiguous by a clone unless the transpose already is (one row or one column).
_VECMAT = _product_op("matmul_vecmat", "SqueezeBackward4")
_MAT_BATCH = _product_op("matmul_mat_batch", "CloneBackward0")
_MAT_BATCH_T = _product_op("matmul_mat_batch_t", "TransposeBackward0")


def _check_inner(a: Tensor, b: Tensor) -> None:
    sa, sb = a._data.shape, b._data.shape
    if not sa or not sb:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are {len(sa)}D and {len(sb)}D")
    inner_b = sb[0] if len(sb) == 1 else sb[-2]
    if sa[-1] != inner_b:
        if len(sa) == 2 and len(sb) == 2:
            raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({sa[0]}x{sa[1]} and {sb[0]}x{sb[1]})")
        if len(sa) == 1 and len(sb) == 1:
            raise RuntimeError(
                f"inconsistent tensor size, expected tensor [{sa[0]}] and src [{sb[0]}] to have the same number of elements, but got {sa[0]} and {sb[0]} elements respectively"
            )
        raise RuntimeError(
            f"Expected size for first two dimensions of batch2 tensor to be: {list(sa[:-1])} but got: {list(sb)}."
        )


def matmul(input: Tensor, other: Tensor) -> Tensor:
    _check_inner(input, other)
    na, nb = input._data.ndim, other._data.ndim
    op = _MATMUL
    if na == 1 and nb == 1:
        op = _DOT
    elif na == 2 and nb == 1:
        op = _MV
    elif na == 2 and nb == 2:
        op = _MM
    elif na == 1 and nb == 2:
        op = _VECMAT
    elif na == 2 and nb > 2:
        op = _MAT_BATCH_T if 1 in (input._data.shape[0], other._data.shape[-1]) else _MAT_BATCH
    return _binary(op, input, other)


def mm(input: Tensor, mat2: Tensor) -> Tensor:
    if input._data.ndim != 2 or mat2._data.ndim != 2:
        raise RuntimeError("self must be a matrix")
    return matmul(input, mat2)


def mv(input: Tensor, vec: Tensor) -> Tensor:
    return matmul(input, vec)


def dot(input: Tensor, other: Tensor) -> Tensor:
    if input._data.ndim != 1 or other._data.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {input._data.ndim}D and {other._data.ndim}D tensors")
    return matmul(input, other)


def bmm(input: Tensor, mat2: Tensor) -> Tensor:
    if input._data.ndim != 3 or mat2._data.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    _check_inner(input, mat2)
    return _binary(_BMM, input, mat2)


def _addmm_primal(bias: Any, mat1: ndarray, mat2: ndarray, beta: Any, alpha: Any) -> ndarray:
    product = mat1 @ mat2
    if alpha != 1:
        product = product * alpha
    return (product + bias if beta == 1 else product + beta * bias).astype(product.dtype, copy=False)


_ADDMM = defop(
    "addmm",
    "AddmmBackward0",
    _addmm_primal,
    (
        lambda xp, g, bias, mat1, mat2, beta, alpha: g if beta == 1 else g * beta,
        lambda xp, g, bias, mat1, mat2, beta, alpha: xp.matmul(g, xp.swapaxes(mat2, -1, -2)) * alpha,
        lambda xp, g, bias, mat1, mat2, beta, alpha: xp.matmul(xp.swapaxes(mat1, -1, -2), g) * alpha,
    ),
    save=INPUTS,
    jvp=lambda xp, t, bias, mat1, mat2, beta, alpha: _addmm_jvp(xp, t, bias, mat1, mat2, beta, alpha),
)


def _addmm_jvp(xp: Any, tangents: tuple, bias: Any, mat1: Any, mat2: Any, beta: Any, alpha: Any) -> Any:
    t_bias, t1, t2 = tangents
    total = None
    for term in (
        t_bias * beta if t_bias is not None else None,
        xp.matmul(t1, mat2) * alpha if t1 is not None else None,
        xp.matmul(mat1, t2) * alpha if t2 is not None else None,
    ):
        if term is not None:
            total = term if total is None else total + term
    return total


def addmm(input: Tensor, mat1: Tensor, mat2: Tensor, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
    """beta * input + alpha * (mat1 @ mat2), one node (AddmmBackward0): what ``linear`` records."""
    if mat1._data.ndim != 2 or mat2._data.ndim != 2:
        raise RuntimeError(f"mat1 must be a matrix, got {mat1._data.ndim}-D tensor")
    _check_inner(mat1, mat2)
    out_shape = (mat1._data.shape[0], mat2._data.shape[1])
    try:
        fits = np.broadcast_shapes(input._data.shape, out_shape) == out_shape
    except ValueError:
        fits = False
    if not fits:
        raise RuntimeError(
            f"The expanded size of the tensor ({out_shape[1]}) must match the existing size "
            f"({input._data.shape[-1]}) at non-singleton dimension 1.  Target sizes: {list(out_shape)}.  "
            f"Tensor sizes: {list(input._data.shape)}"
        )
    target = _dtype.result_type(input, mat1, mat2)
    return apply(_ADDMM, (input, mat1, mat2), {"beta": beta, "alpha": alpha}, dtype=target)


def _register_vocabulary(**pairs: tuple[Any, Any]) -> None:
    """Adds names to both rule namespaces (ops/_xp.py): ``name=(numpy_fn, tensor_fn)``, the
    Tensor side a recorded op, so rules that call them stay differentiable."""
    for name, (numpy_fn, tensor_fn) in pairs.items():
        setattr(_xp.NUMPY, name, numpy_fn)
        setattr(_xp.TENSOR, name, tensor_fn)


# --- outer, tensordot: compositions, recorded as PyTorch records them ----------------------------
def outer(input: Tensor, vec2: Tensor) -> Tensor:
    for name, t in (("self", input), ("vec2", vec2)):
        if t._data.ndim != 1:
            raise RuntimeError(f"outer: Expected 1-D argument {name}, but got {t._data.ndim}-D")
    return shape.reshape(input, (-1, 1)) * vec2


ger = outer


def _tensordot_dims(a: Tensor, b: Tensor, dims: Any) -> tuple[list[int], list[int]]:
    if isinstance(dims, Tensor):
        dims = dims.tolist()
    if isinstance(dims, (int, np.integer)):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        if dims > min(a._data.ndim, b._data.ndim):
            raise RuntimeError(f"tensordot expects dims < ndim_a or ndim_b, but got dims={dims}")
        return list(range(a._data.ndim - dims, a._data.ndim)), list(range(dims))
    dims_a, dims_b = dims
    dims_a = [dims_a] if isinstance(dims_a, (int, np.integer)) else list(dims_a)
    dims_b = [dims_b] if isinstance(dims_b, (int, np.integer)) else list(dims_b)
    if len(dims_a) != len(dims_b):
        raise RuntimeError("both dimension lists should have same length")
    return list(shape.normalize_dims(dims_a, a._data.ndim)), list(shape.normalize_dims(dims_b, b._data.ndim))


def tensordot(a: Tensor, b: Tensor, dims: Any = 2, out: Any = None) -> Tensor:
    """Contract ``dims`` of ``a`` with ``dims`` of ``b``: a permute, a reshape to matrices, one
    ``mm`` and a reshape back (so the result's grad_fn is ViewBackward0, as in PyTorch)."""
    dims_a, dims_b = _tensordot_dims(a, b, dims)
    sa, sb = a._data.shape, b._data.shape
    for da, db in zip(dims_a, dims_b):
        if sa[da] != sb[db]:
            raise RuntimeError(
                f"contracted dimensions need to match, but first has size {sa[da]} in dim {da} "
                f"and second has size {sb[db]} in dim {db}"
            )
    free_a = [d for d in range(len(sa)) if d not in dims_a]
    free_b = [d for d in range(len(sb)) if d not in dims_b]
    size = int(np.prod([sa[d] for d in dims_a], dtype=np.int64))
    left = shape.permute(a, free_a + dims_a) if free_a + dims_a != list(range(len(sa))) else a
    right = shape.permute(b, dims_b + free_b) if dims_b + free_b != list(range(len(sb))) else b
    left = shape.reshape(left, (-1, size))
    right = shape.reshape(right, (size, -1))
    return shape.reshape(mm(left, right), tuple(sa[d] for d in free_a) + tuple(sb[d] for d in free_b))


# --- einsum -----------------------------------------------------------------------------------
_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _parse_einsum(equation: str, shapes: list[tuple]) -> tuple[list[str], str]:
    """The equation with every ``...`` written out as letters and the implicit output made
    explicit: one subscript string per operand, and the output's."""
    equation = equation.replace(" ", "")
    lhs, arrow, rhs = equation.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(shapes):
        raise RuntimeError(
            "einsum(): more operands were provided than specified in the equation"
            if len(shapes) > len(terms)
            else "einsum(): fewer operands were provided than specified in the equation"
        )
    used = set(c for c in equation if c.isalpha())
    spare = [c for c in _LETTERS if c not in used]
    ellipsis_ndim = 0
    for term, shp in zip(terms, shapes):
        if "..." in term:
            ellipsis_ndim = max(ellipsis_ndim, len(shp) - (len(term) - 3))
    ell = "".join(spare[:ellipsis_ndim])
    subs = []
    for term, shp in zip(terms, shapes):
        if "..." in term:
            k = len(shp) - (len(term) - 3)
            term = term.replace("...", ell[ellipsis_ndim - k :] if k else "")
        if len(term) != len(shp):
            raise RuntimeError(
                f"einsum(): the number of subscripts in the equation ({len(term)}) does not match the number "
                f"of dimensions ({len(shp)}) for operand {len(subs)}"
                + (" and no ellipsis was given" if "..." not in lhs.split(",")[len(subs)] else "")
            )
        subs.append(term)
    if arrow:
        out = rhs.replace("...", ell)
    else:
        counts: dict[str, int] = {}
        for c in "".join(subs):
            counts[c] = counts.get(c, 0) + 1
        out = ell + "".join(sorted((c for c, n in counts.items() if n == 1 and c not in ell), key=_LETTERS.index))
    return subs, out


def _einsum_grad_fn(subs: list[str], out: str) -> str:
    # PyTorch's einsum is a composite; its result's grad_fn is the last op of the path it takes.
    summed = set("".join(subs)) - set(out)
    if len(subs) == 1:
        return "SumBackward1" if summed else "PermuteBackward0"
    return "ViewBackward0" if summed else "MulBackward0"


def _einsum_primal(*arrays: Any, equation: str, shapes: tuple) -> ndarray:
    return np.asarray(np.einsum(equation, *arrays, optimize=len(arrays) > 2))


def _einsum_vjp(xp: Any, g: Any, *operands: Any, equation: str, shapes: tuple, index: int) -> Any:
    """Operand ``index``'s cotangent: the output's cotangent contracted with every other operand.
    A letter repeated within an operand (a diagonal) gets its own letter tied to the original by
    an identity matrix; letters summed in this operand alone are broadcast back."""
    lhs, out = equation.split("->")
    subs = lhs.split(",")
    spare = iter(c for c in _LETTERS if c not in equation)
    terms, extra = [], []
    for i, term in enumerate(subs):
        seen = ""
        for pos, c in enumerate(term):
            if c in seen:
                fresh = next(spare)
                extra.append((c + fresh, np.eye(shapes[i][pos], dtype=bool)))
                c = fresh
            seen += c
        terms.append(seen)
    target = terms[index]
    available = set(out) | {c for j, t in enumerate(terms) if j != index for c in t} | {c for t, _ in extra for c in t}
    kept = "".join(c for c in target if c in available)
    spec = ",".join([out] + [t for j, t in enumerate(terms) if j != index] + [t for t, _ in extra]) + "->" + kept
    args = [g] + [o for j, o in enumerate(operands) if j != index] + [e for _, e in extra]
    grad = xp.einsum(spec, *args)
    if kept != target:
        kept_shape = tuple(grad.shape[kept.index(c)] if c in kept else 1 for c in target)
        full_shape = tuple(kept_shape[p] if c in kept else shapes[index][p] for p, c in enumerate(target))
        grad = xp.broadcast_to(xp.reshape(grad, kept_shape), full_shape)
    return grad


def _einsum_jvp(xp: Any, tangents: tuple, *operands: Any, equation: str, shapes: tuple) -> Any:
    total = None
    for i, t in enumerate(tangents):
        if t is not None:
            args = list(operands)
            args[i] = t
            term = xp.einsum(equation, *args)
            total = term if total is None else total + term
    return total


_EINSUM_RULES = tuple((lambda i: lambda xp, g, *ops, **p: _einsum_vjp(xp, g, *ops, index=i, **p))(i) for i in range(32))
_EINSUM_OPS: dict[str, Any] = {}


def _einsum_op(grad_fn: str) -> Any:
    op = _EINSUM_OPS.get(grad_fn)
    if op is None:
        op = _EINSUM_OPS[grad_fn] = defop(
            f"einsum[{grad_fn}]", grad_fn, _einsum_primal, _EINSUM_RULES, save=INPUTS, jvp=_einsum_jvp
        )
    return op


def _einsum_apply(equation: str, *operands: Any) -> Tensor:
    """einsum on an explicit equation; operands may include constant ndarrays (rules use them)."""
    shapes = tuple(tuple(o.shape) for o in operands)
    lhs, out = equation.split("->")
    target = _dtype.result_type(*[o for o in operands if isinstance(o, Tensor)])
    op = _einsum_op(_einsum_grad_fn(lhs.split(","), out))
    return apply(op, operands, {"equation": equation, "shapes": shapes}, dtype=target)


def einsum(equation: str, *operands: Any) -> Tensor:
    """``einsum("ij,jk->ik", a, b)``; operands may also be given as one list."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    if not operands:
        raise RuntimeError("einsum(): must provide at least one operand")
    if len(operands) > len(_EINSUM_RULES):
        raise RuntimeError(f"einsum(): at most {len(_EINSUM_RULES)} operands are supported")
    subs, out = _parse_einsum(equation, [tuple(o._data.shape) for o in operands])
    sizes: dict[str, int] = {}
    for i, (term, o) in enumerate(zip(subs, operands)):
        for c, n in zip(term, o._data.shape):
            if sizes.setdefault(c, n) != n and n != 1 and sizes[c] != 1:
                raise RuntimeError(
                    f"einsum(): subscript {c} has size {n} for operand {i} which does not broadcast with "
                    f"previously seen size {sizes[c]}"
                )
            sizes[c] = max(sizes[c], n)
    return _einsum_apply(",".join(subs) + "->" + out, *operands)


def _einsum_tensor(equation: str, *operands: Any) -> Tensor:
    return _einsum_apply(equation, *operands)


# --- matrix structure: trace, diagonal, diag_embed, diag, tril, triu ---------------------------
def _diagonal_scatter(g: ndarray, shape: tuple, offset: int, dim1: int, dim2: int) -> ndarray:
    """Zeros of ``shape`` with ``g`` (a diagonal, in its last dim) written on the diagonal at
    ``offset`` of dims ``dim1``/``dim2``: the backward of ``diagonal``, and ``diag_embed``."""
    out = np.zeros(shape, dtype=g.dtype)
    view = np.moveaxis(out, (dim1, dim2), (-2, -1))
    n = g.shape[-1]
    rows = np.arange(n) + max(-offset, 0)
    cols = np.arange(n) + max(offset, 0)
    view[..., rows, cols] = g
    return out


_DIAG_EMBED = defop(
    "diag_embed",
    "DiagEmbedBackward0",
    _diagonal_scatter,
    (lambda xp, g, shape, offset, dim1, dim2: xp.diagonal(g, offset, dim1, dim2),),
    jvp="linear",
)


def _diagonal_scatter_tensor(g: Tensor, shape: tuple, offset: int, dim1: int, dim2: int) -> Tensor:
    return apply(_DIAG_EMBED, (g,), {"shape": shape, "offset": offset, "dim1": dim1, "dim2": dim2})


_DIAGONAL = defop(
    "diagonal",
    "DiagonalBackward0",
    lambda x, offset, dim1, dim2, shape: np.diagonal(x, offset, dim1, dim2),
    (lambda xp, g, offset, dim1, dim2, shape: xp.diagonal_scatter(g, shape, offset, dim1, dim2),),
    jvp="linear",
    view=True,
)
# torch.diag on a matrix records a copy of the diagonal under this name.
_DIAG_COPY = defop(
    "diag_copy",
    "DiagonalBackward0_copy",
    lambda x, offset, dim1, dim2, shape: np.diagonal(x, offset, dim1, dim2).copy(),
    (lambda xp, g, offset, dim1, dim2, shape: xp.diagonal_scatter(g, shape, offset, dim1, dim2),),
    jvp="linear",
)


def diagonal(input: Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    ndim = input._data.ndim
    if ndim < 2:
        raise RuntimeError(f"diagonal dimensions requires ndim larger than 1, but got ndim={ndim}")
    d1, d2 = shape.normalize_dim(dim1, ndim), shape.normalize_dim(dim2, ndim)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    params = {"offset": int(offset), "dim1": d1, "dim2": d2, "shape": input._data.shape}
    return apply(_DIAGONAL, (input,), params)


def diag_embed(input: Tensor, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    ndim = input._data.ndim + 1
    d1, d2 = shape.normalize_dim(dim1, ndim), shape.normalize_dim(dim2, ndim)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    n = input._data.shape[-1] + abs(int(offset)) if input._data.ndim else 1 + abs(int(offset))
    rest = list(input._data.shape[:-1])
    out_shape = []
    for d in range(ndim):
        out_shape.append(n if d in (d1, d2) else rest.pop(0))
    return _diagonal_scatter_tensor(input, tuple(out_shape), int(offset), d1, d2)


def diag(input: Tensor, diagonal: int = 0) -> Tensor:
    ndim = input._data.ndim
    if ndim == 1:
        return diag_embed(input, diagonal, 0, 1)
    if ndim != 2:
        raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {ndim}D")
    return apply(_DIAG_COPY, (input,), {"offset": int(diagonal), "dim1": 0, "dim2": 1, "shape": input._data.shape})


_TRACE = defop(
    "trace",
    "TraceBackward0",
    lambda x, shape: np.asarray(np.trace(x)),
    (lambda xp, g, shape: xp.where(np.eye(*shape, dtype=bool), xp.broadcast_to(g, shape), 0.0),),
    jvp="linear",
)


def trace(input: Tensor) -> Tensor:
    if input._data.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {input._data.ndim}")
    if input._data.dtype.kind in "biu":
        return new_tensor(np.asarray(np.trace(input._data)))  # integer traces are int64, as in PyTorch
    return apply(_TRACE, (input,), {"shape": input._data.shape})


_TRIL = defop("tril", "TrilBackward0", lambda x, k: np.tril(x, k), (lambda xp, g, k: xp.tril(g, k),), jvp="linear")
_TRIU = defop("triu", "TriuBackward0", lambda x, k: np.triu(x, k), (lambda xp, g, k: xp.triu(g, k),), jvp="linear")


def _triangle(op: Any, name: str, input: Tensor, diagonal: int) -> Tensor:
    if input._data.ndim < 2:
        raise RuntimeError(f"{name}: input tensor must have at least 2 dimensions")
    return apply(op, (input,), {"k": int(diagonal)})


def tril(input: Tensor, diagonal: int = 0) -> Tensor:
    return _triangle(_TRIL, "tril", input, diagonal)


def triu(input: Tensor, diagonal: int = 0) -> Tensor:
    return _triangle(_TRIU, "triu", input, diagonal)


_register_vocabulary(
    einsum=(lambda equation, *arrays: np.asarray(np.einsum(equation, *arrays, optimize=True)), _einsum_tensor),
    diagonal=(np.diagonal, diagonal),
    diagonal_scatter=(_diagonal_scatter, _diagonal_scatter_tensor),
    tril=(np.tril, tril),
    triu=(np.triu, triu),
)

__all__ = [
    "matmul",
    "mm",
    "mv",
    "dot",
    "bmm",
    "addmm",
    "outer",
    "ger",
    "tensordot",
    "einsum",
    "trace",
    "diagonal",
    "diag",
    "diag_embed",
    "tril",
    "triu",
]
