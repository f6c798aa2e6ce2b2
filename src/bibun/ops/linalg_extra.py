"""More linear algebra and the statistics built on it: ``inner``, ``vdot``, ``matrix_power``,
``matrix_exp``, ``pinverse``/``linalg.pinv``, the legacy ``svd``, ``cov``, ``corrcoef``,
``trapezoid``/``trapz``, ``cumulative_trapezoid`` and ``renorm`` (docs/linalg.md).

Where PyTorch composes an op from others (inner, matrix_power, the legacy svd, cov, corrcoef,
the trapezoid rules) bibun composes it from the same ops in the same order, so the grad_fn of
the result and every gradient are PyTorch's. Where PyTorch has one node with its own formula
(VdotBackward0, LinalgMatrixExpBackward0, LinalgPinvBackward0, RenormBackward0) the op is one
``defop`` entry with that formula, written against ``xp`` so it differentiates again.

The matrix exponential is computed here, in NumPy: Higham's scaling and squaring with Padé
approximants of degree 3 to 13 ("The scaling and squaring method for the matrix exponential
revisited", 2005). Its derivative is itself a matrix exponential (of a block matrix), which is
what makes every order of derivative available.
"""

from __future__ import annotations

import operator
import warnings
from typing import Any

import numpy as np

from bibun import _dtype
from bibun._tensor import Tensor, new_tensor
from bibun.ops import reduction, scan, shape
from bibun.ops._registry import INPUTS, INPUTS_AND_OUTPUT, apply, defop
from bibun.ops.elementwise import clamp, sqrt
from bibun.ops.linalg import _matmul_grad_a, _matmul_grad_b, _register_vocabulary, diagonal, matmul, mm
from bibun.ops.linalg_decomp import _check_matrix, _mT, inv, svdvals
from bibun.ops.linalg_decomp import svd as linalg_svd
from bibun.ops.reduction import _reduction_params, return_types
from bibun.ops.statistics import _norm_primal, _norm_vjp, vector_norm

ndarray = np.ndarray


def _prod(sizes: tuple) -> int:
    return int(np.prod(sizes, dtype=np.int64))


# --- inner, vdot ----------------------------------------------------------------------------
def inner(input: Tensor, other: Tensor) -> Tensor:
    """Sums of products over the last dims; a 0-d operand scales the other (PyTorch: a product,
    MulBackward0). Otherwise PyTorch's tensordot over the last dims: reshape both to matrices,
    one ``mm``, reshape back (ViewBackward0)."""
    sa, sb = input._data.shape, other._data.shape
    if not sa or not sb:
        return input * other
    if sa[-1] != sb[-1]:
        raise RuntimeError(
            f"inner() the last dimension must match on both input tensors but got shapes {list(sa)} and {list(sb)}"
        )
    if input._data.dtype != other._data.dtype:
        raise RuntimeError("both inputs should have same dtype")
    k = sa[-1]
    left = shape.reshape(input, (_prod(sa[:-1]), k))
    right = shape.permute(other, (len(sb) - 1, *range(len(sb) - 1))) if len(sb) > 1 else other
    right = shape.reshape(right, (k, _prod(sb[:-1])))
    return shape.reshape(mm(left, right), sa[:-1] + sb[:-1])


# For real vectors vdot is dot: the same rules, PyTorch's own node name.
_VDOT = defop(
    "vdot",
    "VdotBackward0",
    np.matmul,
    (_matmul_grad_a, _matmul_grad_b),
    save=INPUTS,
    reads=((1,), (0,)),
    jvp="bilinear",
)


def vdot(input: Tensor, other: Tensor) -> Tensor:
    a, b = input._data, other._data
    if a.ndim != 1 or b.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {a.ndim}D and {b.ndim}D tensors")
    if a.shape != b.shape:
        n, m = a.shape[0], b.shape[0]
        raise RuntimeError(
            f"inconsistent tensor size, expected tensor [{n}] and src [{m}] to have the same number of elements, "
            f"but got {n} and {m} elements respectively"
        )
    if a.dtype != b.dtype:
        raise RuntimeError(
            "dot : expected both vectors to have same dtype, but found "
            f"{_dtype.scalar_type_name(a.dtype)} and {_dtype.scalar_type_name(b.dtype)}"
        )
    return apply(_VDOT, (input, other))


# --- matrix_power ---------------------------------------------------------------------------
def _check_power(name: str, n: Any) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
        raise TypeError(f"{name}(): argument 'n' (position 2) must be int, not {type(n).__name__}")
    return int(n)


# A^0: PyTorch writes the identity into a clone of A (clone, then copy_), so the result is in
# the graph with a zero gradient: CopyBackwards, with edges (CloneBackward0, None). One op here,
# whose tangent is zero too.
_IDENTITY_INTO = defop(
    "matrix_power_identity",
    "CopyBackwards",
    lambda x, eye: np.broadcast_to(eye, x.shape).copy(),
    (lambda xp, g: xp.zeros_like(g), None),
    jvp=lambda xp, tangents: xp.zeros_like(tangents[0]),
)
_IDENTITY_INTO.node_cls.name = lambda self: "bibun::autograd::CopyBackwards"  # a C++-only node, as copy_'s


def _matrix_power(A: Tensor, n: int) -> Tensor:
    """PyTorch's linalg_matrix_power, step by step (its graph is the graph of these ops)."""
    data = A._data
    if data.ndim < 2:
        raise RuntimeError("linalg.matrix_power: The input tensor A must have at least 2 dimensions.")
    if data.shape[-1] != data.shape[-2]:
        raise RuntimeError(
            "linalg.matrix_power: A must be batches of square matrices, "
            f"but they are {data.shape[-2]} by {data.shape[-1]} matrices"
        )
    if n == 0:
        eye = np.eye(data.shape[-1], dtype=data.dtype)
        return apply(_IDENTITY_INTO, (shape.clone(A), eye))
    if n == 1:
        return shape.clone(A)
    if n == -1:
        return inv(A)
    if data.dtype == np.bool_:
        kernel = "addmm_impl_cpu_" if data.ndim == 2 else "bmm"  # PyTorch's kernel for the first product
        raise NotImplementedError(f"\"{kernel}\" not implemented for 'Bool'")
    a = inv(A) if n < 0 else A
    n = abs(n)
    if n == 2:
        return matmul(a, a)
    if n == 3:
        return matmul(matmul(a, a), a)
    # Binary powering from the lowest bit, PyTorch's order of products.
    z = result = None
    while n > 0:
        bit, n = n % 2, n // 2
        z = a if z is None else matmul(z, z)
        if bit:
            result = z if result is None else matmul(result, z)
    return result


def matrix_power(input: Tensor, n: int) -> Tensor:
    """``input`` to the integer power ``n`` (batches of square matrices); a negative ``n``
    raises the inverse; ``n = 0`` gives the identity."""
    return _matrix_power(input, _check_power("matrix_power", n))


def linalg_matrix_power(A: Tensor, n: int) -> Tensor:
    return _matrix_power(A, _check_power("linalg_matrix_power", n))


# --- matrix_exp -----------------------------------------------------------------------------
# Padé coefficients b_0..b_m of degree m, and the largest 1-norm for which degree m (without
# scaling) is accurate to double precision (Higham 2005, table 2.3).
_PADE = {
    3: (120.0, 60.0, 12.0, 1.0),
    5: (30240.0, 15120.0, 3360.0, 420.0, 30.0, 1.0),
    7: (17297280.0, 8648640.0, 1995840.0, 277200.0, 25200.0, 1512.0, 56.0, 1.0),
    9: (17643225600.0, 8821612800.0, 2075673600.0, 302702400.0, 30270240.0, 2162160.0, 110880.0, 3960.0, 90.0, 1.0),
    13: (
        64764752532480000.0,
        32382376266240000.0,
        7771770303897600.0,
        1187353796428800.0,
        129060195264000.0,
        10559470521600.0,
        670442572800.0,
        33522128640.0,
        1323241920.0,
        40840800.0,
        960960.0,
        16380.0,
        182.0,
        1.0,
    ),
}
_THETA = ((3, 1.495585217958292e-2), (5, 2.539398330063230e-1), (7, 9.504178996162932e-1), (9, 2.097847961257068))
_THETA_13 = 5.371920351148152


def _pade(A: ndarray, m: int) -> ndarray:
    """The [m/m] Padé approximant of exp(A): (V - U)^{-1} (V + U), U odd and V even in A."""
    b = _PADE[m]
    eye = np.eye(A.shape[-1])
    A2 = A @ A
    if m == 13:
        A4 = A2 @ A2
        A6 = A4 @ A2
        U = A @ (A6 @ (b[13] * A6 + b[11] * A4 + b[9] * A2) + b[7] * A6 + b[5] * A4 + b[3] * A2 + b[1] * eye)
        V = A6 @ (b[12] * A6 + b[10] * A4 + b[8] * A2) + b[6] * A6 + b[4] * A4 + b[2] * A2 + b[0] * eye
    else:
        powers = [eye, A2]
        while len(powers) <= m // 2:
            powers.append(powers[-1] @ A2)
        U = A @ sum(b[2 * k + 1] * p for k, p in enumerate(powers))
        V = sum(b[2 * k] * p for k, p in enumerate(powers))
    return np.linalg.solve(V - U, V + U)


def _expm(A: ndarray) -> ndarray:
    """exp of a batch of float64 matrices. The degree is chosen on the largest 1-norm of the
    batch; beyond degree 13's range each matrix is scaled by its own power of two and the
    result squared back that many times."""
    if A.size == 0:
        return A.copy()
    norms = np.abs(A).sum(axis=-2).max(axis=-1)
    peak = norms.max()
    for m, theta in _THETA:
        if peak <= theta:
            return _pade(A, m)
    with np.errstate(all="ignore"):
        s = np.ceil(np.log2(norms / _THETA_13))
    s = np.where(np.isfinite(s) & (s > 0), s, 0).astype(np.int64)  # NaN/inf entries: NaN out, no scaling
    X = _pade(A / np.exp2(s)[..., None, None], 13)
    for k in range(int(s.max())):
        X = np.where((k < s)[..., None, None], X @ X, X)
    return X


def _matrix_exp_primal(A: ndarray) -> ndarray:
    with np.errstate(all="ignore"):
        if A.dtype == np.float64:
            return _expm(A)
        return _expm(A.astype(np.float64)).astype(A.dtype)  # float32: the float64 result rounded


def _matrix_exp_frechet(A: ndarray, E: ndarray) -> ndarray:
    """The derivative of exp at A in the direction E: the top-right block of
    exp([[A, E], [0, A]]) (PyTorch's differential_analytic_matrix_function)."""
    n = A.shape[-1]
    top = np.concatenate([A, E], -1)
    bottom = np.concatenate([np.zeros_like(A), A], -1)
    return _matrix_exp_primal(np.concatenate([top, bottom], -2))[..., :n, n:]


def _matrix_exp_frechet_tensor(A: Tensor, E: Tensor) -> Tensor:
    """The same, as recorded ops, so the derivative differentiates again."""
    n = A.shape[-1]
    zeros = new_tensor(np.zeros(tuple(A.shape), dtype=A._data.dtype))  # a constant block (shape and dtype only)
    block = shape.cat([shape.cat([A, E], -1), shape.cat([zeros, A], -1)], -2)
    return shape.getitem(matrix_exp(block), (Ellipsis, slice(0, n), slice(n, 2 * n)))


_register_vocabulary(matrix_exp_frechet=(_matrix_exp_frechet, _matrix_exp_frechet_tensor))

# d exp(A)[E] = L(A, E); its adjoint is L(A^T, g).
_MATRIX_EXP = defop(
    "linalg.matrix_exp",
    "LinalgMatrixExpBackward0",
    _matrix_exp_primal,
    (lambda xp, g, A: xp.matrix_exp_frechet(_mT(A), g),),
    save=INPUTS,
    jvp=lambda xp, tangents, A: xp.matrix_exp_frechet(A, tangents[0]),
)


def matrix_exp(input: Tensor) -> Tensor:
    """The matrix exponential of (batches of) square matrices."""
    _check_matrix("linalg.matrix_exp", input)
    return apply(_MATRIX_EXP, (input,))


# --- pinv -----------------------------------------------------------------------------------
def _pinv_primal(A: ndarray, atol: ndarray, rtol: ndarray, hermitian: bool) -> ndarray:
    """PyTorch's linalg_pinv: 1/s for the singular values s > max(atol, rtol * s_max) and 0 for
    the others, from the SVD (or, when hermitian, from eigh with |eigenvalue| as s)."""
    m, n = A.shape[-2:]
    if A.size == 0:
        return np.zeros(A.shape[:-2] + (n, m), dtype=A.dtype)
    with np.errstate(all="ignore"):
        if hermitian:
            S, U = np.linalg.eigh(A)
            magnitude = np.abs(S)
            V = U
            peak = magnitude.max(axis=-1, keepdims=True)
        else:
            U, S, Vh = np.linalg.svd(A, full_matrices=False)
            magnitude, V = S, Vh.swapaxes(-1, -2)
            peak = S[..., :1]
        tol = np.maximum(atol[..., None], rtol[..., None] * peak)
        S_inv = np.where(magnitude > tol, 1 / S, 0).astype(A.dtype)
        return (V * S_inv[..., None, :]) @ U.swapaxes(-1, -2)


def _pinv_vjp(xp: Any, g: Any, A: Any, P: Any, **_: Any) -> Any:
    """PyTorch's pinv_backward (real case), in its two shapes so the products stay small."""
    m, n = A.shape[-2], A.shape[-1]
    PT, gT = _mT(P), _mT(g)
    mul = xp.matmul
    if m <= n:
        K = mul(gT, P)
        KPT = mul(K, PT)
        return -_mT(mul(P, K)) + KPT - mul(mul(A, P), KPT) + mul(mul(PT, P), gT - mul(K, A))
    K = mul(P, gT)
    PTK = mul(PT, K)
    return -_mT(mul(K, P)) + mul(mul(gT - mul(A, K), P), PT) + PTK - mul(mul(PTK, P), A)


def _pinv_jvp(xp: Any, tangents: tuple, A: Any, P: Any, **_: Any) -> Any:
    # d(A+) = -A+ dA A+ + A+ A+^T dA^T (I - A A+) + (I - A+ A) dA^T A+^T A+ (constant rank).
    t = tangents[0]
    tT, PT = _mT(t), _mT(P)
    mul = xp.matmul
    return -mul(mul(P, t), P) + mul(mul(P, PT), tT - mul(mul(tT, A), P)) + mul(tT - mul(mul(P, A), tT), mul(PT, P))


_PINV = defop("linalg.pinv", "LinalgPinvBackward0", _pinv_primal, (_pinv_vjp,), save=INPUTS_AND_OUTPUT, jvp=_pinv_jvp)


def _tolerance(value: Any) -> ndarray:
    return np.asarray(value._data if isinstance(value, Tensor) else value, dtype=np.float64)


def pinv(
    A: Tensor,
    rcond: Any = None,
    hermitian: bool = False,
    *,
    atol: Any = None,
    rtol: Any = None,
) -> Tensor:
    """The Moore-Penrose pseudoinverse. Singular values at or below max(atol, rtol * s_max)
    count as zero; by default rtol = eps * max(m, n) (0 when a positive atol is given). The
    older ``rcond`` is an rtol with atol = 0, as in PyTorch."""
    data = A._data
    if data.ndim < 2 or data.dtype.kind != "f" or data.dtype == np.float16:
        raise RuntimeError(
            f"linalg.pinv({_dtype.scalar_type_name(data.dtype)}{{{list(data.shape)}}}): expected a tensor with 2 or "
            "more dimensions of float, double, cfloat or cdouble types"
        )
    if rcond is not None:
        if atol is not None or rtol is not None:
            raise TypeError("linalg_pinv(): rcond cannot be combined with atol or rtol")
        atol, rtol = 0.0, rcond
    if hermitian:
        _check_matrix("linalg.eigh", A)
    atol_array = _tolerance(0.0 if atol is None else atol)
    if rtol is not None:
        rtol_array = _tolerance(rtol)
    else:
        default = np.finfo(data.dtype).eps * max(data.shape[-2:])
        rtol_array = np.where(atol_array > 0, 0.0, default) if atol is not None else np.asarray(default)
    params = {"atol": atol_array, "rtol": rtol_array, "hermitian": bool(hermitian)}
    return apply(_PINV, (A,), params)


def pinverse(input: Tensor, rcond: float = 1e-15) -> Tensor:
    """``linalg.pinv`` with ``rtol = rcond`` and ``atol = 0``."""
    return pinv(input, rcond)


# --- legacy svd -----------------------------------------------------------------------------
_SVDResult = return_types.svd


def svd(input: Tensor, some: bool = True, compute_uv: bool = True) -> Any:
    """The older ``torch.svd``: (U, S, V) with V = Vh^T (TransposeBackward0), reduced unless
    ``some=False``. Without ``compute_uv`` U and V are zeros of the full square shapes."""
    data = input._data
    if data.ndim < 2:
        raise RuntimeError(
            f"linalg.svd: input should have at least 2 dimensions, but has {data.ndim} dimensions instead"
        )
    if compute_uv:
        U, S, Vh = linalg_svd(input, full_matrices=not some)
        return _SVDResult(U, S, shape.transpose(Vh, -2, -1))
    S = svdvals(input)
    m, n = data.shape[-2:]
    U = new_tensor(np.zeros(data.shape[:-2] + (m, m), dtype=data.dtype))
    V = new_tensor(np.zeros(data.shape[:-2] + (n, n), dtype=data.dtype))
    return _SVDResult(U, S, V)


# --- cov, corrcoef --------------------------------------------------------------------------
_DOF_WARNING = "cov(): degrees of freedom is <= 0. Correction should be strictly less than the number of observations."


def _check_weights(kind: str, w: Tensor, observations: int) -> None:
    data = w._data
    if data.ndim > 1:
        raise RuntimeError(
            f"cov(): expected {kind} to have one or fewer dimensions but got {kind} with {data.ndim} dimensions"
        )
    integral = data.dtype.kind in "iu"
    if kind == "fweights" and not integral:
        raise RuntimeError(
            "cov(): expected fweights to have integral dtype but got fweights with "
            f"{_dtype.scalar_type_name(data.dtype)} dtype"
        )
    if kind == "aweights" and data.dtype.kind != "f":
        raise RuntimeError(
            "cov(): expected aweights to have floating point dtype but got aweights with "
            f"{_dtype.scalar_type_name(data.dtype)} dtype"
        )
    if data.size != observations:
        raise RuntimeError(
            f"cov(): expected {kind} to have the same numel as there are observations in the input but got "
            f"{data.size} != {observations}"
        )
    if observations and data.min() < 0:
        raise RuntimeError(f"cov(): {kind} cannot be negative")


def _cov(input: Tensor, correction: int, fweights: Any, aweights: Any) -> Tensor:
    """PyTorch's cov, op for op: the result is squeeze() of a product over a normalising factor."""
    data = input._data
    if data.ndim > 2:
        raise RuntimeError(
            f"cov(): expected input to have two or fewer dimensions but got an input with {data.ndim} dimensions"
        )
    if data.dtype == np.bool_:
        raise RuntimeError("cov(): bool dtype is not supported for input")
    x = shape.reshape(input, (1, -1)) if data.ndim < 2 else input
    observations = x._data.shape[1]
    w = None
    if fweights is not None:
        _check_weights("fweights", fweights, observations)
        w = fweights
    if aweights is not None:
        _check_weights("aweights", aweights, observations)
        w = aweights if w is None else w * aweights
    w_sum = reduction.sum(w) if w is not None else new_tensor(np.asarray(observations, dtype=np.int64))
    if w is not None and not w_sum._data.any():
        raise RuntimeError("cov(): weights sum to zero, can't be normalized")
    avg = reduction.sum(x * w if w is not None else x, 1) / w_sum
    if w is not None and aweights is not None and correction != 0:
        norm_factor = w_sum - correction * reduction.sum(w * aweights) / w_sum
    else:
        norm_factor = w_sum - correction
    if norm_factor._data <= 0:
        warnings.warn(_DOF_WARNING, UserWarning, stacklevel=3)  # the caller of cov or corrcoef
        norm_factor = norm_factor * 0  # PyTorch zeroes it in place: the result is then inf or nan
    x = x - shape.unsqueeze(avg, 1)
    c = mm(x, shape.t(x * w if w is not None else x))
    return shape.squeeze(c / norm_factor)


def cov(
    input: Tensor, *, correction: int = 1, fweights: Tensor | None = None, aweights: Tensor | None = None
) -> Tensor:
    """The covariance matrix of the variables in the rows of ``input`` (observations in the
    columns), with frequency and/or observation weights."""
    return _cov(input, correction, fweights, aweights)


def corrcoef(input: Tensor) -> Tensor:
    """Pearson's correlation coefficients: cov normalised by the standard deviations, clipped
    to [-1, 1] (ClampBackward1); for a single variable cov / cov (DivBackward0)."""
    data = input._data
    if data.ndim > 2:
        raise RuntimeError(
            f"corrcoef(): expected input to have two or fewer dimensions but got an input with {data.ndim} dimensions"
        )
    c = _cov(input, 1, None, None)
    if c._data.ndim == 0:
        return c / c
    stddev = sqrt(diagonal(c))
    c = c / shape.reshape(stddev, (-1, 1))
    c = c / shape.reshape(stddev, (1, -1))
    return clamp(c, -1, 1)


# --- trapezoid, cumulative_trapezoid --------------------------------------------------------
# PyTorch's C++ multiplies and divides by a double here (mul.Scalar, div.Scalar): these are
# the nodes it records, MulBackward1 and DivBackward1, rather than the Python-level names.
_MUL_SCALAR = defop(
    "trapezoid_mul_scalar",
    "MulBackward1",
    lambda x, other: x * x.dtype.type(other),
    (lambda xp, g, other: g * other,),
    jvp="linear",
)
_DIV_SCALAR = defop(
    "trapezoid_div_scalar",
    "DivBackward1",
    lambda x, other: x / x.dtype.type(other),
    (lambda xp, g, other: g / other,),
    jvp="linear",
)


def _scalar_op(op: Any, x: Tensor, other: float, fallback: Any) -> Tensor:
    if x._data.dtype.kind != "f":  # an integer sum: promoted by the ordinary operator (never recorded)
        return fallback(x, other)
    return apply(op, (x,), {"other": other})


def _check_dx(name: str, dx: Any) -> float:
    if isinstance(dx, Tensor):
        dx = dx.item()
    if isinstance(dx, (bool, np.bool_, complex)):
        raise RuntimeError(f"{name}: Currently, we only support dx as a real number.")
    return float(dx)


def _check_x_and_dx(name: str, x: Any, dx: Any) -> None:
    if x is not None and dx is not None:
        raise TypeError(f"{name}() received an invalid combination of arguments: x and dx cannot both be given")
    if x is not None and not isinstance(x, Tensor):
        raise TypeError(
            f"{name}() received an invalid combination of arguments: x must be a Tensor, not {type(x).__name__}"
        )


def _slices(y: Tensor, dim: int) -> tuple[Tensor, Tensor]:
    """y without its last and without its first entry along dim (two SliceBackward0 views)."""
    lead = (slice(None),) * dim
    return shape.getitem(y, lead + (slice(0, -1),)), shape.getitem(y, lead + (slice(1, None),))


def _spacing(name: str, y: Tensor, x: Tensor, dim: int) -> Tensor:
    """dx = x[1:] - x[:-1] along ``dim``, with x viewed so that it broadcasts against y's
    differences the way NumPy's trapezoid does."""
    ny, sx = y._data.ndim, x._data.shape
    if x._data.dtype == np.bool_:
        raise RuntimeError(f"{name}: received a bool input for `x` or `y`, but bool is not supported")
    if len(sx) == 1:
        if sx[0] != y._data.shape[dim]:
            raise RuntimeError(f"{name}: There must be one `x` value for each sample point")
        sizes = [1] * ny
        sizes[dim] = sx[0]
        x = shape.reshape(x, tuple(sizes))
    elif len(sx) < ny:
        x = shape.reshape(x, (1,) * (ny - len(sx)) + sx)
    left, right = _slices(x, dim)
    return right - left


def _wrap_dim(y: Tensor, dim: int) -> int:
    if y._data.ndim == 0:
        shape.normalize_dim(dim, 0)  # out of range raises first
        raise IndexError(f"Dimension specified as {dim if dim >= 0 else 0} but tensor has no dimensions")
    return shape.normalize_dim(dim, y._data.ndim)


def trapezoid(y: Tensor, x: Tensor | None = None, *, dx: Any = None, dim: int = -1) -> Tensor:
    """The trapezoid rule along ``dim``: spacing ``dx`` (default 1) or sample points ``x``."""
    _check_x_and_dx("trapezoid", x, dx)
    if x is None and y._data.ndim == 0:
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    d = _wrap_dim(y, dim)
    if y._data.shape[d] == 0:  # no samples: zeros, outside the graph (as PyTorch and NumPy)
        return new_tensor(np.zeros(y._data.shape[:d] + y._data.shape[d + 1 :], dtype=y._data.dtype))
    if x is None:
        if y._data.dtype == np.bool_:
            raise RuntimeError("trapezoid: received a bool input for `y`, but bool is not supported")
        step = _check_dx("trapezoid", 1 if dx is None else dx)
        # dx * (sum(y) - (y_first + y_last) / 2)
        total = reduction.sum(y, d) - (shape.select(y, d, 0) + shape.select(y, d, -1)) * 0.5
        return _scalar_op(_MUL_SCALAR, total, step, operator.mul)
    if y._data.dtype == np.bool_:
        raise RuntimeError("trapezoid: received a bool input for `x` or `y`, but bool is not supported")
    spacing = _spacing("trapezoid", y, x, d)
    left, right = _slices(y, d)
    return _scalar_op(_DIV_SCALAR, reduction.sum((left + right) * spacing, d), 2.0, operator.truediv)


def trapz(y: Tensor, x: Tensor | None = None, *, dx: Any = None, dim: int = -1) -> Tensor:
    """``trapezoid``'s older name."""
    return trapezoid(y, x, dx=dx, dim=dim)


def cumulative_trapezoid(y: Tensor, x: Tensor | None = None, *, dx: Any = None, dim: int = -1) -> Tensor:
    """The running trapezoid rule along ``dim``: one entry fewer than y along it."""
    _check_x_and_dx("cumulative_trapezoid", x, dx)
    if y._data.dtype == np.bool_:
        raise RuntimeError(
            "cumulative_trapezoid: received a bool input for `"
            + ("y`" if x is None else "x` or `y`")
            + ", but bool is not supported"
        )
    if x is None:
        step = _check_dx("cumulative_trapezoid", 1 if dx is None else dx)
        if y._data.ndim == 0:
            raise IndexError("slice() cannot be applied to a 0-dim tensor.")
        d = shape.normalize_dim(dim, y._data.ndim)
        left, right = _slices(y, d)
        return scan.cumsum((left + right) * (step / 2.0), d)
    d = _wrap_dim(y, dim)
    spacing = _spacing("cumulative_trapezoid", y, x, d)
    left, right = _slices(y, d)
    return _scalar_op(_DIV_SCALAR, scan.cumsum((left + right) * spacing, d), 2.0, operator.truediv)


# --- renorm ---------------------------------------------------------------------------------
def _renorm_norm(x: Any, p: float, axis: tuple, shape: tuple, kept_shape: tuple) -> Any:
    """Each slice's p-norm (keepdim), on arrays or as a recorded vector_norm on Tensors."""
    if isinstance(x, Tensor):
        return vector_norm(x, p, axis, True)
    return _norm_primal(x, axis, True, shape, kept_shape, p)


_RENORM_EPS = 1e-7  # PyTorch's: slices over maxnorm are scaled by maxnorm / (norm + 1e-7)


def _renorm_primal(x: ndarray, p: float, maxnorm: float, axis: tuple, shape: tuple, kept_shape: tuple) -> ndarray:
    if x.size == 0:
        return x.copy()
    norm = _renorm_norm(x, p, axis, shape, kept_shape)
    scalar = x.dtype.type
    with np.errstate(all="ignore"):
        factor = np.where(norm > maxnorm, scalar(maxnorm) / (norm + scalar(_RENORM_EPS)), scalar(1))
    return (x * factor).astype(x.dtype, copy=False)


def _renorm_parts(x: Any, p: float, maxnorm: float, axis: tuple, shape: tuple, kept_shape: tuple) -> tuple:
    """The slices' norms, which of them are scaled, and 1 / (norm + eps)."""
    norm = _renorm_norm(x, p, axis, shape, kept_shape)
    inv_norm = 1 / (norm + _RENORM_EPS)
    return norm, norm > maxnorm, inv_norm


def _renorm_vjp(xp: Any, g: Any, x: Any, p: float, maxnorm: float, axis: tuple, shape: tuple, kept_shape: tuple) -> Any:
    """PyTorch's renorm_backward: for a scaled slice, y = x * maxnorm / (norm + eps), so
    gx = factor * g - maxnorm / (norm + eps)^2 * d norm/dx * <x, g>; other slices pass g."""
    norm, over, inv_norm = _renorm_parts(x, p, maxnorm, axis, shape, kept_shape)
    through_norm = _norm_vjp(xp, xp.sum(x * g, axis, True), x, norm, axis, True, shape, kept_shape, p)
    return xp.where(over, inv_norm * maxnorm * g - (inv_norm * inv_norm * maxnorm) * through_norm, g)


def _renorm_jvp(
    xp: Any, tangents: tuple, x: Any, p: float, maxnorm: float, axis: tuple, shape: tuple, kept_shape: tuple
) -> Any:
    t = tangents[0]
    norm, over, inv_norm = _renorm_parts(x, p, maxnorm, axis, shape, kept_shape)
    grad_norm = _norm_vjp(xp, xp.zeros_like(norm) + 1, x, norm, axis, True, shape, kept_shape, p)
    d_norm = xp.sum(grad_norm * t, axis, True)
    return xp.where(over, inv_norm * maxnorm * t - (inv_norm * inv_norm * maxnorm) * x * d_norm, t)


_RENORM = defop("renorm", "RenormBackward0", _renorm_primal, (_renorm_vjp,), save=INPUTS, jvp=_renorm_jvp)


def renorm(input: Tensor, p: float, dim: int, maxnorm: float) -> Tensor:
    """Each slice ``input.select(dim, i)`` whose p-norm exceeds ``maxnorm`` scaled down to
    norm ``maxnorm`` (to within PyTorch's 1e-7); the other slices unchanged."""
    p, maxnorm = float(p), float(maxnorm)
    if not p > 0:
        raise RuntimeError("renorm: non-positive-norm not supported")
    if not maxnorm >= 0:
        raise RuntimeError(f"renorm: expected maxnorm to be >= 0 but got {maxnorm:g}")
    data = input._data
    if data.ndim < 2:
        raise RuntimeError(f"renorm: input needs at least 2 dimensions, got {data.ndim} dimensions")
    d = shape.normalize_dim(dim, data.ndim)
    if data.dtype.kind != "f":
        raise RuntimeError(
            "linalg.vector_norm: Expected a floating point or complex tensor as input. "
            f"Got {_dtype.scalar_type_name(data.dtype)}"
        )
    params = _reduction_params(input, tuple(i for i in range(data.ndim) if i != d), True)
    del params["keepdims"]
    params.update(p=p, maxnorm=maxnorm)
    return apply(_RENORM, (input,), params)


__all__ = [
    "inner",
    "vdot",
    "matrix_power",
    "matrix_exp",
    "pinverse",
    "svd",
    "cov",
    "corrcoef",
    "trapezoid",
    "trapz",
    "cumulative_trapezoid",
    "renorm",
]

# Tensor methods: x.matrix_exp() is matrix_exp(x), x.svd() the legacy svd (docs/design.md,
# "One op, one entry"). PyTorch has no trapezoid methods.
for _name in ("inner", "vdot", "matrix_power", "matrix_exp", "pinverse", "svd", "cov", "corrcoef", "renorm"):
    setattr(Tensor, _name, globals()[_name])
