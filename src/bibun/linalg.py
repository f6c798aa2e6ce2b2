"""``bibun.linalg``: PyTorch's ``torch.linalg`` names (docs/linalg.md). The ops themselves are
declared in bibun/ops/linalg.py, bibun/ops/linalg_decomp.py and bibun/ops/linalg_extra.py;
vector_norm in bibun/ops/reduction.py."""

from __future__ import annotations

from typing import Any

from bibun.ops.linalg import diagonal as _diagonal
from bibun.ops.linalg import matmul
from bibun.ops.linalg_decomp import (
    LinAlgError,
    cholesky,
    det,
    eigh,
    eigvalsh,
    inv,
    matrix_norm,
    norm,
    qr,
    slogdet,
    solve,
    svd,
    svdvals,
)
from bibun.ops.linalg_extra import linalg_matrix_power as matrix_power
from bibun.ops.linalg_extra import matrix_exp, pinv
from bibun.ops.products import linalg_cross as cross


def vector_norm(x: Any, ord: Any = 2, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Any:
    from bibun.ops import reduction

    return reduction.vector_norm(x, ord, dim, keepdim, dtype=dtype)


def diagonal(A: Any, *, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Any:
    return _diagonal(A, offset, dim1, dim2)


__all__ = [
    "LinAlgError",
    "cholesky",
    "cross",
    "det",
    "diagonal",
    "eigh",
    "eigvalsh",
    "inv",
    "matmul",
    "matrix_exp",
    "matrix_norm",
    "matrix_power",
    "norm",
    "pinv",
    "qr",
    "slogdet",
    "solve",
    "svd",
    "svdvals",
    "vector_norm",
]
