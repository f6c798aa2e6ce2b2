"""Matrix products. One rule covers every rank combination of ``matmul`` (1-D operands are
promoted to matrices and the added axis is dropped again); the grad_fn name is the one
PyTorch records for that combination."""

from __future__ import annotations

from typing import Any

import numpy as np

from bibun._tensor import Tensor
from bibun.ops._registry import INPUTS, apply, defop
from bibun.ops.elementwise import _binary


def _matmul_grad_a(xp: Any, g: Any, a: Any, b: Any) -> Any:
    if b.ndim == 1:  # a @ b dropped b's column axis: put it back on g
        return xp.reshape(g, g.shape + (1,)) * b if a.ndim > 1 else g * b
    if a.ndim == 1:  # a @ b dropped a's row axis
        grad = xp.matmul(xp.reshape(g, g.shape[:-1] + (1, g.shape[-1])), xp.swapaxes(b, -1, -2))
        return xp.reshape(grad, grad.shape[:-2] + (grad.shape[-1],))
    return xp.matmul(g, xp.swapaxes(b, -1, -2))


def _matmul_grad_b(xp: Any, g: Any, a: Any, b: Any) -> Any:
    if a.ndim == 1:
        if b.ndim == 1:
            return g * a
        return xp.reshape(a, a.shape + (1,)) * xp.reshape(g, g.shape[:-1] + (1, g.shape[-1]))
    if b.ndim == 1:
        grad = xp.matmul(xp.swapaxes(a, -1, -2), xp.reshape(g, g.shape + (1,)))
        return xp.reshape(grad, grad.shape[:-1])
    return xp.matmul(xp.swapaxes(a, -1, -2), g)


def _product_op(name: str, grad_fn: str) -> Any:
    return defop(name, grad_fn, np.matmul, (_matmul_grad_a, _matmul_grad_b), save=INPUTS, jvp="bilinear")


_DOT = _product_op("dot", "DotBackward0")
_MV = _product_op("mv", "MvBackward0")
_MM = _product_op("mm", "MmBackward0")
_BMM = _product_op("bmm", "BmmBackward0")
_MATMUL = _product_op("matmul", "UnsafeViewBackward0")


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


__all__ = ["matmul", "mm", "mv", "dot", "bmm"]
_ = apply
