"""Inverses, determinants, solvers and factorizations: ``linalg.inv``, ``det``, ``slogdet``,
``solve``, ``cholesky``, ``qr``, ``svd``/``svdvals``, ``eigh``/``eigvalsh`` and the matrix
norms, each with the backward rule PyTorch uses (derivatives.yaml). Where a factorization's
derivative is undefined (repeated eigenvalues or singular values, a singular matrix, the
complete QR of a tall matrix) the gradient is inf/NaN or an error, as in PyTorch:
docs/linalg.md, "Degenerate cases"."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from bibun import _dtype
from bibun._tensor import Tensor
from bibun.ops import shape
from bibun.ops._registry import INPUTS, INPUTS_AND_OUTPUT, OUTPUT, apply, defop
from bibun.ops.linalg import _register_vocabulary
from bibun.ops.reduction import named_result_type

ndarray = np.ndarray


class LinAlgError(RuntimeError):
    """A linear-algebra failure on valid input (a singular or indefinite matrix), as PyTorch's
    ``torch.linalg.LinAlgError``; a subclass of RuntimeError."""


def _check_matrix(name: str, A: Tensor, square: bool = True) -> None:
    data = A._data
    if data.ndim < 2:
        raise RuntimeError(f"{name}: The input tensor A must have at least 2 dimensions.")
    if data.dtype.kind not in "fc":
        raise RuntimeError(
            f"{name}: Expected a floating point or complex tensor as input. Got {_dtype.scalar_type_name(data.dtype)}"
        )
    if square and data.shape[-1] != data.shape[-2]:
        raise RuntimeError(
            f"{name}: A must be batches of square matrices, but they are {data.shape[-2]} by {data.shape[-1]} matrices"
        )


def _mT(x: Any) -> Any:
    """The matrix transpose, on arrays or Tensors (rules and public functions share it)."""
    return x.swapaxes(-1, -2) if type(x) is ndarray else shape.transpose(x, -1, -2)


def _unsqueeze_last2(xp: Any, x: Any) -> Any:
    """A batch of scalars as a batch of 1x1 matrices (to scale matrices)."""
    return xp.reshape(x, tuple(x.shape) + (1, 1))


# --- inv, det, slogdet ---------------------------------------------------------------------
def _inv_primal(A: ndarray) -> ndarray:
    try:
        return np.linalg.inv(A)
    except np.linalg.LinAlgError:
        raise LinAlgError(
            "linalg.inv: The diagonal element is zero, the inversion could not be completed because the input "
            "matrix is singular."
        ) from None


def _inv_vjp(xp: Any, g: Any, A_inv: Any) -> Any:
    A_inv_T = _mT(A_inv)
    return -xp.matmul(xp.matmul(A_inv_T, g), A_inv_T)


def _inv_jvp(xp: Any, tangents: tuple, A_inv: Any) -> Any:
    return -xp.matmul(xp.matmul(A_inv, tangents[0]), A_inv)


_INV = defop("linalg.inv", "LinalgInvExBackward0", _inv_primal, (_inv_vjp,), save=OUTPUT, jvp=_inv_jvp)


def inv(A: Tensor) -> Tensor:
    _check_matrix("linalg.inv", A)
    return apply(_INV, (A,))


inverse = inv


def _det_vjp(xp: Any, g: Any, A: Any, det: Any) -> Any:
    # d det(A) = det(A) tr(A^{-1} dA): the gradient is det(A) A^{-T}. At a singular A this is
    # inf/NaN (docs/linalg.md, "Degenerate cases").
    return _unsqueeze_last2(xp, g * det) * _mT(xp.linalg_inv(A))


def _det_jvp(xp: Any, tangents: tuple, A: Any, det: Any) -> Any:
    return det * xp.sum(xp.diagonal(xp.matmul(xp.linalg_inv(A), tangents[0]), 0, -2, -1), -1)


_DET = defop(
    "linalg.det",
    "LinalgDetBackward0",
    lambda A: np.asarray(np.linalg.det(A)),
    (_det_vjp,),
    save=INPUTS_AND_OUTPUT,
    jvp=_det_jvp,
)


def det(A: Tensor) -> Tensor:
    _check_matrix("linalg.det", A)
    return apply(_DET, (A,))


def _slogdet_primal(A: ndarray) -> tuple:
    sign, logabsdet = np.linalg.slogdet(A)
    return np.asarray(sign), np.asarray(logabsdet)


def _slogdet_vjp(xp: Any, grads: Any, A: Any) -> Any:
    g = grads[1]  # sign is piecewise constant for real input
    if g is None:
        return None
    return _unsqueeze_last2(xp, g) * _mT(xp.linalg_inv(A))


def _slogdet_jvp(xp: Any, tangents: tuple, A: Any) -> Any:
    t = xp.sum(xp.diagonal(xp.matmul(xp.linalg_inv(A), tangents[0]), 0, -2, -1), -1)
    return t * 0, t


_SLOGDET = defop(
    "linalg.slogdet",
    "LinalgSlogdetBackward0",
    _slogdet_primal,
    (_slogdet_vjp,),
    save=INPUTS,
    outputs=2,
    jvp=_slogdet_jvp,
)


_SlogdetResult = named_result_type("linalg_slogdet", ("sign", "logabsdet"))


def slogdet(A: Tensor) -> Any:
    _check_matrix("linalg.slogdet", A)
    return _SlogdetResult(*apply(_SLOGDET, (A,)))


def logdet(input: Tensor) -> Tensor:
    """log det(A): NaN for a negative determinant, -inf for a zero one (as PyTorch)."""
    from bibun.ops.elementwise import where

    _check_matrix("logdet", input)
    sign, logabsdet = slogdet(input)
    return where(sign == -1, math.nan, logabsdet)


# --- solve ----------------------------------------------------------------------------------
def _solve_primal(A: ndarray, B: ndarray, vector: bool, left: bool = True) -> ndarray:
    if not left:  # X A = B  <=>  A^T X^T = B^T
        return np.linalg.solve(A.swapaxes(-1, -2), B.swapaxes(-1, -2)).swapaxes(-1, -2)
    if vector:
        return np.linalg.solve(A, B[..., None])[..., 0]
    return np.linalg.solve(A, B)


def _solve_vjp_B(xp: Any, g: Any, A: Any, B: Any, X: Any, vector: bool, left: bool = True) -> Any:
    # AX = B: gB = A^{-T} g.  XA = B: gB = g A^{-T}.
    if not left:
        return _mT(xp.linalg_solve(A, _mT(g), False))
    return xp.linalg_solve(_mT(A), g, vector)


def _solve_vjp_A(xp: Any, g: Any, A: Any, B: Any, X: Any, vector: bool, left: bool = True) -> Any:
    # AX = B: gA = -gB X^T.  XA = B: gA = -X^T gB.
    gB = _solve_vjp_B(xp, g, A, B, X, vector, left)
    if not left:
        return -xp.matmul(_mT(X), gB)
    if vector:
        return -xp.reshape(gB, tuple(gB.shape) + (1,)) * xp.reshape(X, tuple(X.shape[:-1]) + (1, X.shape[-1]))
    return -xp.matmul(gB, _mT(X))


def _solve_jvp(xp: Any, tangents: tuple, A: Any, B: Any, X: Any, vector: bool, left: bool = True) -> Any:
    # dX = A^{-1} (dB - dA X)  (left), dX = (dB - X dA) A^{-1}  (right)
    tA, tB = tangents
    rhs = tB
    if tA is not None:
        if not left:
            AX = xp.matmul(X, tA)
        elif vector:
            AX = xp.reshape(xp.matmul(tA, xp.reshape(X, tuple(X.shape) + (1,))), tuple(X.shape))
        else:
            AX = xp.matmul(tA, X)
        rhs = -AX if rhs is None else rhs - AX
    if not left:
        return _mT(xp.linalg_solve(_mT(A), _mT(rhs), False))
    return xp.linalg_solve(A, rhs, vector)


_SOLVE = defop(
    "linalg.solve",
    "LinalgSolveExBackward0",
    _solve_primal,
    (_solve_vjp_A, _solve_vjp_B),
    save=INPUTS_AND_OUTPUT,
    jvp=_solve_jvp,
)


def _is_vector_rhs(A: tuple, B: tuple) -> bool:
    # PyTorch's rule: B is a (batch of) vector(s) when it is 1-D, or when it has one dim fewer
    # than A and matches A's batch and row dims.
    return len(B) == 1 or (len(B) == len(A) - 1 and B == A[:-1])


def _solve_tensor(A: Tensor, B: Tensor, vector: bool) -> Tensor:
    return apply(_SOLVE, (A, B), {"vector": vector})


def solve(A: Tensor, B: Tensor, *, left: bool = True) -> Tensor:
    _check_matrix("linalg.solve", A)
    sa, sb = A._data.shape, B._data.shape
    vector = left and _is_vector_rhs(sa, sb)
    if left:
        rows, cols = (sb[-1], 1) if vector else (sb[-2] if len(sb) > 1 else 0, sb[-1])
        if rows != sa[-1]:
            raise RuntimeError(
                f"linalg.solve: Incompatible shapes of A and B for the equation AX = B "
                f"({sa[-2]}x{sa[-1]} and {rows}x{cols})"
            )
    elif len(sb) < 2 or sb[-1] != sa[-2]:
        raise RuntimeError(
            f"linalg.solve: Incompatible shapes of A and B for the equation XA = B "
            f"({sa[-2]}x{sa[-1]} and {'x'.join(map(str, sb[-2:]))})"
        )
    target = _dtype.result_type(A, B)
    try:
        return apply(_SOLVE, (A, B), {"vector": vector, "left": left}, dtype=target)
    except np.linalg.LinAlgError:
        raise LinAlgError("linalg.solve: The solver failed because the input matrix is singular.") from None


# --- cholesky -------------------------------------------------------------------------------
def _cholesky_primal(A: ndarray, upper: bool) -> ndarray:
    L = np.linalg.cholesky(A)
    return L.swapaxes(-1, -2).conj() if upper else L


def _phi(xp: Any, X: Any, n: int) -> Any:
    """The lower triangle of X with its diagonal halved."""
    half = np.tril(np.ones((n, n))) - 0.5 * np.eye(n)
    return xp.tril(X, 0) * half


def _cholesky_vjp(xp: Any, g: Any, L: Any, upper: bool) -> Any:
    # gA = L^{-T} Φ(L^T gL) L^{-1}, symmetrised (PyTorch's cholesky_backward).
    if upper:
        L, g = _mT(L), _mT(g)
    n = L.shape[-1]
    L_inv = xp.linalg_inv(L)
    gA = xp.matmul(xp.matmul(_mT(L_inv), _phi(xp, xp.matmul(_mT(L), g), n)), L_inv)
    return (gA + _mT(gA)) * 0.5


def _cholesky_jvp(xp: Any, tangents: tuple, L: Any, upper: bool) -> Any:
    # dL = L Φ(L^{-1} dA L^{-T})
    Lo = _mT(L) if upper else L
    n = Lo.shape[-1]
    L_inv = xp.linalg_inv(Lo)
    dL = xp.matmul(Lo, _phi(xp, xp.matmul(xp.matmul(L_inv, tangents[0]), _mT(L_inv)), n))
    return _mT(dL) if upper else dL


_CHOLESKY = defop(
    "linalg.cholesky", "LinalgCholeskyExBackward0", _cholesky_primal, (_cholesky_vjp,), save=OUTPUT, jvp=_cholesky_jvp
)


def _first_failing_minor(A: ndarray) -> int:
    matrices = A.reshape((-1,) + A.shape[-2:])
    for M in matrices:
        for k in range(1, M.shape[-1] + 1):
            try:
                np.linalg.cholesky(M[:k, :k])
            except np.linalg.LinAlgError:
                return k
    return M.shape[-1]


def cholesky(A: Tensor, *, upper: bool = False) -> Tensor:
    _check_matrix("linalg.cholesky", A)
    try:
        return apply(_CHOLESKY, (A,), {"upper": upper})
    except np.linalg.LinAlgError:
        order = _first_failing_minor(A._data)
        raise LinAlgError(
            "linalg.cholesky: The factorization could not be completed because the input is not positive-definite "
            f"(the leading minor of order {order} is not positive-definite)."
        ) from None


# --- qr -------------------------------------------------------------------------------------
def _qr_primal(A: ndarray, mode: str) -> tuple:
    if mode == "r":
        return np.empty((0,), A.dtype), np.linalg.qr(A, mode="r")
    return tuple(np.linalg.qr(A, mode=mode))


def _qr_vjp(xp: Any, grads: Any, Q: Any, R: Any, mode: str) -> Any:
    """PyTorch's linalg_qr_backward (real case). Tall or square (m >= n):
    gA = [gQ + Q syminvadj(triu(gR R^T - Q^T gQ))] R^{-T}; wide (m < n): the first m columns
    get Q tril(X - X^T) R1^{-T} with X = Q^T gQ - gR R^T, and gA += Q gR."""
    gQ, gR = grads
    if mode == "r":
        raise RuntimeError(
            "The derivative of linalg.qr depends on Q, which is not computed when mode='r'. "
            "Please use linalg.qr(A, mode='reduced') if you are going to differentiate through linalg.qr."
        )
    m, n = Q.shape[-2], R.shape[-1]
    if mode == "complete" and m > n:
        raise RuntimeError("The QR decomposition is not differentiable when mode='complete' and nrows > ncols.")
    if gQ is None and gR is None:
        return None
    M = None
    if gR is not None:
        M = xp.matmul(gR, _mT(R))
    if gQ is not None:
        QtgQ = xp.matmul(_mT(Q), gQ)
        M = -QtgQ if M is None else M - QtgQ
    if m >= n:
        Mt = xp.triu(M, 0)
        sym = Mt + _mT(Mt)
        sym = sym - xp.diagonal_scatter(
            xp.diagonal(sym, 0, -2, -1) * 0.5, tuple(sym.shape), 0, sym.ndim - 2, sym.ndim - 1
        )
        b = xp.matmul(Q, sym)
        if gQ is not None:
            b = b + gQ
        return xp.matmul(b, _mT(xp.linalg_inv(R)))
    X = -M
    lower = xp.tril(X - _mT(X), 0)
    R1 = R[..., :, :m] if type(R) is ndarray else shape.getitem(R, (..., slice(None), slice(0, m)))
    gA = xp.matmul(xp.matmul(Q, lower), _mT(xp.linalg_inv(R1)))
    pad = tuple(gA.shape[:-1]) + (n - m,)
    gA = np.concatenate([gA, np.zeros(pad, gA.dtype)], -1) if type(gA) is ndarray else _pad_last(gA, n - m)
    if gR is not None:
        gA = gA + xp.matmul(Q, gR)
    return gA


def _pad_last(x: Tensor, count: int) -> Tensor:
    """``x`` with ``count`` zero columns appended, as recorded ops (for create_graph)."""
    from bibun.ops.elementwise import mul

    zeros = mul(shape.getitem(x, (..., slice(0, 1))), 0.0)
    zeros = shape.expand(zeros, *(tuple(x.shape[:-1]) + (count,)))
    return shape.cat([x, zeros], -1)


_QR = defop("linalg.qr", "LinalgQrBackward0", _qr_primal, (_qr_vjp,), save=OUTPUT, outputs=2)


_QRResult = named_result_type("linalg_qr", ("Q", "R"))
_SVDResult = named_result_type("linalg_svd", ("U", "S", "Vh"))
_EighResult = named_result_type("linalg_eigh", ("eigenvalues", "eigenvectors"))


def qr(A: Tensor, mode: str = "reduced") -> Any:
    _check_matrix("linalg.qr", A, square=False)
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(
            f"qr received unrecognized mode '{mode}' but expected one of 'reduced' (default), 'r', or 'complete'"
        )
    return _QRResult(*apply(_QR, (A,), {"mode": mode}))


# --- svd ------------------------------------------------------------------------------------
def _svd_primal(A: ndarray, full_matrices: bool) -> tuple:
    U, S, Vh = np.linalg.svd(A, full_matrices=full_matrices)
    return U, S, Vh


def _svd_vjp(xp: Any, grads: Any, U: Any, S: Any, Vh: Any, full_matrices: bool) -> Any:
    """PyTorch's svd_backward (real case): with E_ij = S_j² - S_i²,
    gA = U [(skew(U^T gU) S + S skew(V^T gV)) / E + diag(gS)] V^T, plus the parts of gU, gV
    outside the spans of U and V for non-square A. Repeated singular values make E zero:
    the gradient is then inf/NaN unless the loss does not depend on the singular vectors."""
    gU, gS, gVh = grads
    m, n = U.shape[-2], Vh.shape[-1]
    k = S.shape[-1]
    if full_matrices and m != n:  # only the first k singular vectors are determined
        U = _narrow(U, -1, k)
        Vh = _narrow(Vh, -2, k)
        gU = _narrow(gU, -1, k) if gU is not None else None
        gVh = _narrow(gVh, -2, k) if gVh is not None else None
    if gU is None and gVh is None:
        if gS is None:
            return None
        return xp.matmul(U * xp.reshape(gS, tuple(gS.shape[:-1]) + (1, k)), Vh)
    V, gV = _mT(Vh), _mT(gVh) if gVh is not None else None
    S2 = S * S
    E = xp.reshape(S2, tuple(S2.shape[:-1]) + (1, k)) - xp.reshape(S2, tuple(S2.shape[:-1]) + (k, 1))
    E = E + np.eye(k)
    S_row = xp.reshape(S, tuple(S.shape[:-1]) + (1, k))
    S_col = xp.reshape(S, tuple(S.shape[:-1]) + (k, 1))
    inner = None
    if gU is not None:
        UtgU = xp.matmul(_mT(U), gU)
        inner = (UtgU - _mT(UtgU)) / E * S_row
    if gV is not None:
        VtgV = xp.matmul(_mT(V), gV)
        term = S_col * ((VtgV - _mT(VtgV)) / E)
        inner = term if inner is None else inner + term
    if gS is not None:
        inner = inner + xp.diagonal_scatter(gS, tuple(gS.shape[:-1]) + (k, k), 0, S.ndim - 1, S.ndim)
    if m > k and gU is not None:
        gUSinv = gU / S_row
        gA = xp.matmul(U, inner) + gUSinv - xp.matmul(U, xp.matmul(_mT(U), gUSinv))
        return xp.matmul(gA, Vh)
    if n > k and gV is not None:
        SinvgVh = _mT(gV) / S_col
        gA = xp.matmul(inner, Vh) + SinvgVh - xp.matmul(xp.matmul(SinvgVh, V), Vh)
        return xp.matmul(U, gA)
    return xp.matmul(xp.matmul(U, inner), Vh)


def _narrow(x: Any, dim: int, length: int) -> Any:
    index = (Ellipsis, slice(0, length)) if dim == -1 else (Ellipsis, slice(0, length), slice(None))
    return x[index] if type(x) is ndarray else shape.getitem(x, index)


_SVD = defop("linalg.svd", "LinalgSvdBackward0", _svd_primal, (_svd_vjp,), save=OUTPUT, outputs=3)


def svd(A: Tensor, full_matrices: bool = True) -> Any:
    _check_matrix("linalg.svd", A, square=False)
    return _SVDResult(*apply(_SVD, (A,), {"full_matrices": full_matrices}))


def svdvals(A: Tensor) -> Tensor:
    # The singular vectors are recorded too (and dropped): the gradient U diag(gS) V^T then
    # depends on A through them, so second derivatives are right.
    _check_matrix("linalg.svdvals", A, square=False)
    return apply(_SVD, (A,), {"full_matrices": False})[1]


# --- eigh -----------------------------------------------------------------------------------
def _eigh_primal(A: ndarray, UPLO: str) -> tuple:
    L, V = np.linalg.eigh(A, UPLO=UPLO)
    return L, V


def _eigh_vjp(xp: Any, grads: Any, L: Any, V: Any, UPLO: str) -> Any:
    """gA = V (diag(gL) + (V^T gV) / E) V^T with E_ij = L_j - L_i off the diagonal (PyTorch's
    linalg_eig_backward for Hermitian input). A repeated eigenvalue makes E zero: the gradient
    is inf/NaN unless the loss depends on the eigenvalues alone."""
    gL, gV = grads
    n = L.shape[-1]
    inner = None
    if gV is not None:
        eye = np.eye(n, dtype=bool)
        E = xp.reshape(L, tuple(L.shape[:-1]) + (1, n)) - xp.reshape(L, tuple(L.shape[:-1]) + (n, 1))
        E = xp.where(eye, 1.0, E)
        inner = xp.where(eye, 0.0, xp.matmul(_mT(V), gV) / E)
    if gL is not None:
        diag_gL = xp.diagonal_scatter(gL, tuple(gL.shape[:-1]) + (n, n), 0, L.ndim - 1, L.ndim)
        inner = diag_gL if inner is None else inner + diag_gL
    if inner is None:
        return None
    return xp.matmul(xp.matmul(V, inner), _mT(V))


_EIGH = defop("linalg.eigh", "LinalgEighBackward0", _eigh_primal, (_eigh_vjp,), save=OUTPUT, outputs=2)


def _check_uplo(UPLO: str) -> None:
    if UPLO not in ("L", "U"):
        raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {UPLO}")


def eigh(A: Tensor, UPLO: str = "L") -> Any:
    _check_matrix("linalg.eigh", A)
    _check_uplo(UPLO)
    return _EighResult(*apply(_EIGH, (A,), {"UPLO": UPLO}))


def eigvalsh(A: Tensor, UPLO: str = "L") -> Tensor:
    _check_matrix("linalg.eigvalsh", A)
    _check_uplo(UPLO)
    return apply(_EIGH, (A,), {"UPLO": UPLO})[0]  # eigenvectors recorded too, as in svdvals


_register_vocabulary(
    linalg_inv=(_inv_primal, inv),  # a singular matrix raises LinAlgError inside rules too
    linalg_solve=(_solve_primal, _solve_tensor),
)

__all__ = ["inverse", "det", "slogdet", "logdet"]


# --- matrix norms (vector norms are reduction.vector_norm) ----------------------------------
def _vector_norm(*args: Any, **kwargs: Any) -> Tensor:
    from bibun.ops import reduction

    return reduction.vector_norm(*args, **kwargs)


def matrix_norm(A: Tensor, ord: Any = "fro", dim: tuple[int, int] = (-2, -1), keepdim: bool = False) -> Tensor:
    """'fro' and 'nuc', ±1 and ±inf (max/min absolute column/row sum), ±2 (largest/smallest
    singular value), over the two dims ``dim``; recorded as PyTorch records them."""
    from bibun.ops import reduction

    _check_matrix("linalg.matrix_norm", A, square=False)
    ndim = A._data.ndim
    d0, d1 = shape.normalize_dims(dim, ndim)
    if d0 == d1:
        raise RuntimeError(f"linalg.matrix_norm: dims must be different. Got ({dim[0]}, {dim[1]})")
    if ord == "fro":
        return _vector_norm(A, 2, (d0, d1), keepdim)
    if ord not in ("nuc", 1, -1, 2, -2, math.inf, -math.inf):
        raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")
    if ord in ("nuc", 2, -2):
        # Singular values of the matrices at (d0, d1), moved last; with keepdim the reduced
        # dims are restored at the end and permuted back (PermuteBackward0, as PyTorch).
        perm = [d for d in range(ndim) if d not in (d0, d1)] + [d0, d1]
        moved = shape.permute(A, perm) if perm != list(range(ndim)) else A
        values = svdvals(moved)
        reducer = reduction.sum if ord == "nuc" else reduction.amax if ord == 2 else reduction.amin
        if not keepdim:
            return reducer(values, -1)
        result = shape.unsqueeze(reducer(values, -1, keepdim=True), -1)
        inverse = [perm.index(d) for d in range(ndim)]
        return shape.permute(result, inverse)
    from bibun.ops.elementwise import abs as abs_

    summed, other = (d0, d1) if ord in (1, -1) else (d1, d0)
    sums = reduction.sum(abs_(A), summed, keepdim=keepdim)
    if not keepdim and summed < other:
        other -= 1
    return (reduction.amax if ord > 0 else reduction.amin)(sums, other, keepdim=keepdim)


def norm(A: Tensor, ord: Any = None, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:
    """``linalg.norm``: a vector norm over one dim (or the whole tensor when ord is None), a
    matrix norm over two."""
    if isinstance(dim, (int, np.integer)):
        dim = (int(dim),)
    if dim is not None and len(dim) == 2:
        return matrix_norm(A, "fro" if ord is None else ord, tuple(dim), keepdim)
    if ord is None:
        return _vector_norm(A, 2, dim, keepdim)
    if dim is None:
        if A._data.ndim == 2:
            return matrix_norm(A, ord, (-2, -1), keepdim)
        if A._data.ndim != 1:
            raise RuntimeError(
                f"linalg.norm: If dim is not specified but ord is, the input must be 1D or 2D. Got {A._data.ndim}D."
            )
    if isinstance(ord, str):
        raise RuntimeError(f"linalg.vector_norm: Order {ord} not supported.")
    return _vector_norm(A, ord, dim, keepdim)
