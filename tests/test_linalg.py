"""bibun.linalg and the matrix ops beyond the op database: option combinations against
PyTorch, the degenerate cases docs/linalg.md describes, and bad input (PyTorch's exception
type and a message naming the shapes; nothing changed)."""

from __future__ import annotations

import numpy as np
import pytest

import bibun

torch = pytest.importorskip("torch")
RNG = np.random.default_rng(0)


def _both(array: np.ndarray) -> tuple:
    return bibun.tensor(array, requires_grad=True), torch.tensor(array, requires_grad=True)


def _close(ours: bibun.Tensor, theirs: torch.Tensor) -> None:
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize(
    "equation,shapes",
    [
        ("ij,jk->ik", [(2, 3), (3, 4)]),
        ("bii->bi", [(2, 3, 3)]),
        ("iij->j", [(3, 3, 2)]),
        ("ij,ij->", [(2, 3), (2, 3)]),
        ("i,j,k->ijk", [(2,), (3,), (2,)]),
        ("...i,...i->...", [(2, 1, 3), (4, 3)]),
        ("ij->j", [(3, 4)]),
        ("ba,ca", [(2, 3), (4, 3)]),
    ],
)
def test_einsum_matches_pytorch(equation: str, shapes: list) -> None:
    pairs = [_both(RNG.standard_normal(s)) for s in shapes]
    ours = bibun.einsum(equation, *[p[0] for p in pairs])
    theirs = torch.einsum(equation, *[p[1] for p in pairs])
    _close(ours, theirs)
    g = RNG.standard_normal(tuple(theirs.shape))
    ours.backward(bibun.tensor(g))
    theirs.backward(torch.tensor(g))
    for a, b in pairs:
        _close(a.grad, b.grad)
    assert bibun.einsum(equation, [p[0] for p in pairs]).shape == ours.shape  # operands as a list


def test_tensordot_and_outer_match_pytorch() -> None:
    (a, at), (b, bt) = _both(RNG.standard_normal((2, 3, 4))), _both(RNG.standard_normal((3, 4, 5)))
    _close(bibun.tensordot(a, b, 2), torch.tensordot(at, bt, 2))
    _close(bibun.tensordot(a, b, dims=([1], [0])), torch.tensordot(at, bt, dims=([1], [0])))
    (v, vt) = _both(RNG.standard_normal(3))
    _close(bibun.outer(v, v), torch.outer(vt, vt))


def test_norm_variants_match_pytorch() -> None:
    a, at = _both(RNG.standard_normal((2, 3, 4)))
    for ord_ in ("fro", "nuc", 1, -1, 2, -2, float("inf"), -float("inf")):
        for dim in ((-2, -1), (0, 2), (2, 0)):
            for keepdim in (False, True):
                ours = bibun.linalg.matrix_norm(a, ord_, dim, keepdim)
                theirs = torch.linalg.matrix_norm(at, ord_, dim, keepdim)
                _close(ours, theirs)
                assert type(ours.grad_fn).__name__ == type(theirs.grad_fn).__name__
    _close(bibun.linalg.norm(a), torch.linalg.norm(at))
    _close(bibun.linalg.norm(a[0], 2), torch.linalg.norm(at[0], 2))
    _close(bibun.linalg.norm(a, float("inf"), dim=1), torch.linalg.norm(at, float("inf"), dim=1))


def test_solve_batched_broadcast_and_left_false() -> None:
    A = RNG.standard_normal((2, 3, 3)) + 3 * np.eye(3)
    B = RNG.standard_normal((2, 3, 4))
    (a, at), (b, bt) = _both(A), _both(B)
    _close(bibun.linalg.solve(a, b), torch.linalg.solve(at, bt))
    (c, ct) = _both(RNG.standard_normal((4, 3)))
    ours, theirs = bibun.linalg.solve(a, c, left=False), torch.linalg.solve(at, ct, left=False)
    _close(ours, theirs)
    ours.sum().backward()
    theirs.sum().backward()
    _close(a.grad, at.grad)
    _close(c.grad, ct.grad)


def test_det_of_singular_matrix_is_zero_and_its_gradient_not_finite() -> None:
    # docs/linalg.md, "Degenerate cases": det's gradient uses the inverse.
    a = bibun.tensor([[1.0, 2.0], [2.0, 4.0]], dtype=bibun.float64, requires_grad=True)
    d = bibun.linalg.det(a)
    assert d.item() == 0.0
    with pytest.raises(bibun.linalg.LinAlgError):
        d.backward()


def test_eigh_repeated_eigenvalues_give_nonfinite_vector_gradients_but_finite_value_gradients() -> None:
    a = bibun.eye(3, dtype=bibun.float64, requires_grad=True)
    values, vectors = bibun.linalg.eigh(a)
    (g,) = bibun.autograd.grad(values.sum(), a)
    np.testing.assert_allclose(g.numpy(), np.eye(3))
    values, vectors = bibun.linalg.eigh(a)
    (g,) = bibun.autograd.grad(vectors.sum(), a)
    assert not np.all(np.isfinite(g.numpy()))


def test_qr_complete_of_tall_matrix_is_not_differentiable() -> None:
    a = bibun.tensor(RNG.standard_normal((4, 2)), requires_grad=True)
    q, r = bibun.linalg.qr(a, mode="complete")
    assert q.shape == (4, 4) and r.shape == (4, 2)
    with pytest.raises(RuntimeError, match="not differentiable when mode='complete' and nrows > ncols"):
        (q.sum() + r.sum()).backward()


def test_svd_full_matrices_gradient_uses_the_leading_vectors() -> None:
    array = RNG.standard_normal((4, 3))
    a, at = _both(array)
    u, s, vh = bibun.linalg.svd(a)
    ut, st, vht = torch.linalg.svd(at)
    assert u.shape == (4, 4) and vh.shape == (3, 3)
    # a loss that does not depend on the arbitrary signs or the extra columns of U
    (s * s).sum().backward()
    (st * st).sum().backward()
    _close(a.grad, at.grad)
    np.testing.assert_allclose(a.grad.numpy(), 2 * array)  # d sum(s^2) / dA = 2A


def test_trace_of_integer_matrix_is_int64() -> None:
    t = bibun.trace(bibun.tensor([[1, 2], [3, 4]]))
    assert t.item() == 5 and t.dtype == bibun.int64


@pytest.mark.parametrize(
    "call,exc,phrase",
    [
        (
            lambda a: bibun.linalg.inv(a[:, :2]),
            RuntimeError,
            "A must be batches of square matrices, but they are 3 by 2 matrices",
        ),
        (lambda a: bibun.linalg.inv(a[0]), RuntimeError, "The input tensor A must have at least 2 dimensions"),
        (
            lambda a: bibun.linalg.inv(bibun.ones(2, 2, dtype=bibun.int64)),
            RuntimeError,
            "Expected a floating point or complex tensor as input. Got Long",
        ),
        (lambda a: bibun.linalg.inv(a * 0), bibun.linalg.LinAlgError, "the input matrix is singular"),
        (
            lambda a: bibun.linalg.solve(a, bibun.ones(4, dtype=bibun.float64)),
            RuntimeError,
            r"Incompatible shapes of A and B for the equation AX = B \(3x3 and 4x1\)",
        ),
        (
            lambda a: bibun.linalg.cholesky(-a @ a.mT),
            bibun.linalg.LinAlgError,
            r"the leading minor of order 1 is not positive-definite",
        ),
        (lambda a: bibun.linalg.det(a[:2]), RuntimeError, "but they are 2 by 3 matrices"),
        (lambda a: bibun.linalg.eigh(a, UPLO="X"), RuntimeError, "Expected UPLO argument to be 'L' or 'U'"),
        (lambda a: bibun.linalg.qr(a, mode="thin"), RuntimeError, "qr received unrecognized mode 'thin'"),
        (
            lambda a: bibun.einsum("ij,jk->ik", a),
            RuntimeError,
            "fewer operands were provided than specified in the equation",
        ),
        (
            lambda a: bibun.einsum("ij,jk->ik", a, a[:2]),
            RuntimeError,
            "subscript j has size 2 for operand 1 which does not broadcast with previously seen size 3",
        ),
        (lambda a: bibun.tensordot(a, a[:2], dims=([0], [0])), RuntimeError, "contracted dimensions need to match"),
        (lambda a: bibun.outer(a, a), RuntimeError, "outer: Expected 1-D argument self, but got 2-D"),
        (lambda a: bibun.trace(a[0]), RuntimeError, "trace: expected a matrix, but got tensor with dim 1"),
        (lambda a: bibun.diagonal(a, 0, 1, -1), RuntimeError, "diagonal dimensions cannot be identical 1, -1"),
        (lambda a: bibun.tril(a[0]), RuntimeError, "tril: input tensor must have at least 2 dimensions"),
        (
            lambda a: bibun.addmm(bibun.ones(4, dtype=bibun.float64), a, a),
            RuntimeError,
            "The expanded size of the tensor",
        ),
    ],
)
def test_bad_input_raises_pytorchs_error_and_changes_nothing(call, exc, phrase) -> None:  # noqa: ANN001
    a = bibun.tensor(RNG.standard_normal((3, 3)) + 3 * np.eye(3), requires_grad=True)
    before = a.detach().numpy().copy()
    with pytest.raises(exc, match=phrase):
        call(a)
    np.testing.assert_array_equal(a.detach().numpy(), before)
    assert a.grad is None and a._version == 0


def test_linalg_namespace_mirrors_torch_linalg() -> None:
    for name in bibun.linalg.__all__:
        assert hasattr(torch.linalg, name), name
