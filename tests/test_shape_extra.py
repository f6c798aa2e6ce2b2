"""The second shape family (ops/shape_extra.py) beyond the op database: which results are
views (memory, version counters, writes through the pieces, the graph after such a write),
strides, repeated indices, mixed dtypes, forward mode, the index creators over many
arguments, and bad input (PyTorch's exception type and key phrase, nothing changed). Each
comparison runs the same program under bibun and, when installed, PyTorch."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import bibun


@pytest.fixture
def torch():  # noqa: ANN201
    return pytest.importorskip("torch", reason="these checks compare with PyTorch (pip install torch==2.13.0)")


def _name(t: object) -> str | None:
    return None if t.grad_fn is None else type(t.grad_fn).__name__


def _arr(t: object) -> np.ndarray:
    return t.detach().numpy()


def _offset(piece: object, base: object) -> int:
    """Where a view starts in its base's memory, in elements (PyTorch's storage_offset)."""
    return (piece.data_ptr() - base.data_ptr()) // piece.element_size()


SPLITS = [
    ("tensor_split sections", lambda m, x: m.tensor_split(x, 3, 1)),
    ("tensor_split indices", lambda m, x: x.tensor_split([1, -2, 9], dim=1)),
    ("tensor_split tensor", lambda m, x: m.tensor_split(x, m.tensor([2, 2, 4]), 1)),
    ("tensor_split 0-d tensor", lambda m, x: x.tensor_split(m.tensor(4), 0)),
    ("tensor_split keywords", lambda m, x: m.tensor_split(x, indices=[2], dim=1) + x.tensor_split(sections=2)),
    ("tensor_split tensor keyword", lambda m, x: m.tensor_split(x, tensor_indices_or_sections=m.tensor([1]))),
    ("hsplit", lambda m, x: m.hsplit(x, 3)),
    ("hsplit varargs method", lambda m, x: x.hsplit(1, 4)),
    ("vsplit", lambda m, x: m.vsplit(x, [3])),
    ("dsplit", lambda m, x: m.dsplit(x.reshape(4, 3, 2), 2)),
]


# --- views ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("name,split", SPLITS, ids=[s[0] for s in SPLITS])
def test_split_pieces_are_views_sharing_memory_and_version(name: str, split: object) -> None:
    x = bibun.arange(24.0).reshape(4, 6).clone()
    pieces = split(bibun, x)
    for p in pieces:
        assert p._base is x  # also for dsplit, which splits a view of x: _base is the root
        if p.numel():
            assert np.shares_memory(p.numpy(), x.numpy())
    with bibun.no_grad():
        pieces[-1].add_(100)
    assert x._version == 1 and all(p._version == 1 for p in pieces)
    assert float(x.sum()) == float(bibun.arange(24.0).sum()) + 100 * pieces[-1].numel()


@pytest.mark.parametrize("name,split", SPLITS, ids=[s[0] for s in SPLITS])
def test_split_pieces_match_pytorch_layout_and_names(torch: object, name: str, split: object) -> None:
    ours_x = bibun.arange(24.0, requires_grad=True)
    theirs_x = torch.arange(24.0, requires_grad=True)
    ours = split(bibun, (ours_x * 1).reshape(4, 6))
    theirs = split(torch, (theirs_x * 1).reshape(4, 6))
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        np.testing.assert_array_equal(_arr(a), _arr(b))
        assert _name(a) == _name(b) == "SliceBackward0"
        assert a.stride() == b.stride() and a.is_contiguous() == b.is_contiguous()
        if b.numel():
            assert _offset(a, a._base) == b.storage_offset()


def _write_through_pieces(m: object) -> tuple:
    x = m.arange(1.0, 13.0, requires_grad=True)
    b = (x * 1).reshape(3, 4)
    first, second = m.tensor_split(b, [1], dim=1)
    second.mul_(x[:3].reshape(3, 1))  # a write that depends on x again
    first.zero_()
    out = (b * b).sum()
    out.backward()
    return x.grad, b, first, second


def test_writes_through_split_pieces_match_pytorch(torch: object) -> None:
    """Unlike split's pieces (one multi-output node, which PyTorch refuses to write through),
    tensor_split's pieces are single slices: writes through them are allowed and recorded."""
    ours, theirs = _write_through_pieces(bibun), _write_through_pieces(torch)
    np.testing.assert_allclose(_arr(ours[0]), _arr(theirs[0]))
    np.testing.assert_allclose(_arr(ours[1]), _arr(theirs[1]))
    assert [_name(t) for t in ours[1:]] == [_name(t) for t in theirs[1:]]
    assert ours[1]._version == theirs[1]._version


def test_writes_under_no_grad_reach_the_leaf(torch: object) -> None:
    results = []
    for m in (bibun, torch):
        x = m.arange(6.0, requires_grad=True)
        with m.no_grad():
            left, right = m.tensor_split(x, 2)
            left.mul_(10)
        results.append((_arr(x).copy(), x._version, right._version, x.requires_grad))
    np.testing.assert_array_equal(results[0][0], results[1][0])
    assert results[0][1:] == results[1][1:]


# --- copies ---------------------------------------------------------------------------------------
COPIES = [
    ("rot90", lambda m, x: m.rot90(x)),
    ("rot90 k=0", lambda m, x: x.rot90(0)),
    ("rot90 k=2", lambda m, x: x.rot90(2, [1, 0])),
    ("rot90 k=3", lambda m, x: m.rot90(x, 3)),
    ("rot90 3-d", lambda m, x: m.rot90(x.reshape(1, 3, 2), 1, (0, 2))),
    ("diagflat", lambda m, x: m.diagflat(x[0])),
    ("block_diag", lambda m, x: m.block_diag(x, x[0])),
    ("index_fill", lambda m, x: x.index_fill(1, m.tensor([0]), 5.0)),
    ("index_copy", lambda m, x: x.index_copy(0, m.tensor([1]), m.ones(1, 3))),
    ("masked_scatter", lambda m, x: x.masked_scatter(x > 2, m.zeros(6))),
    ("diagonal_scatter", lambda m, x: x.diagonal_scatter(m.zeros(2))),
    ("select_scatter", lambda m, x: x.select_scatter(m.zeros(3), 0, 1)),
    ("slice_scatter", lambda m, x: x.slice_scatter(m.zeros(2, 1), 1, 1, 2)),
    ("transposed select_scatter", lambda m, x: x.t().select_scatter(m.zeros(2), 0, 1)),
    ("transposed slice_scatter", lambda m, x: x.t().slice_scatter(m.zeros(2, 2), 0, 1)),
    ("transposed diagonal_scatter", lambda m, x: x.t().diagonal_scatter(m.zeros(2))),
    ("transposed index_fill", lambda m, x: x.t().index_fill(0, m.tensor([2]), 1.0)),
    ("transposed index_fill, tensor value", lambda m, x: x.t().index_fill(1, m.tensor([0]), m.tensor(1.0))),
    ("transposed index_copy", lambda m, x: x.t().index_copy(0, m.tensor([2]), m.ones(1, 2))),
    ("transposed masked_scatter", lambda m, x: x.t().masked_scatter(x.t() > 2, m.zeros(6))),
    ("transposed rot90", lambda m, x: x.t().rot90(1, (1, 0))),
]


@pytest.mark.parametrize("name,fn", COPIES, ids=[c[0] for c in COPIES])
def test_copies_share_nothing_and_keep_pytorch_strides(torch: object, name: str, fn: object) -> None:
    x = bibun.arange(6.0).reshape(2, 3)
    out = fn(bibun, x)
    assert out._base is None and not np.shares_memory(out.numpy(), x.numpy())
    np.testing.assert_array_equal(x.numpy(), np.arange(6.0).reshape(2, 3))
    assert x._version == 0
    theirs = fn(torch, torch.arange(6.0).reshape(2, 3))
    np.testing.assert_array_equal(out.numpy(), theirs.numpy())
    assert out.stride() == theirs.stride()


def test_rot90_every_turn_and_plane(torch: object) -> None:
    values = np.arange(24.0).reshape(2, 3, 4)
    for k, dims in itertools.product(range(-5, 6), itertools.permutations(range(-3, 3), 2)):
        try:
            theirs = torch.rot90(torch.tensor(values, requires_grad=True), k, dims)
        except (RuntimeError, IndexError) as error:
            with pytest.raises(type(error)):
                bibun.rot90(bibun.tensor(values), k, dims)
            continue
        x = bibun.tensor(values, requires_grad=True)
        ours = bibun.rot90(x, k, dims)
        np.testing.assert_array_equal(_arr(ours), _arr(theirs))
        assert ours.stride() == theirs.stride()
        g = np.arange(ours.numel(), dtype=np.float64).reshape(ours.shape)
        (grad,) = bibun.autograd.grad(ours, x, bibun.tensor(g))
        np.testing.assert_array_equal(grad.numpy(), bibun.rot90(bibun.tensor(g), -k, dims).numpy())


# --- graphs as PyTorch records them -----------------------------------------------------------------
def _chain(t: object) -> list:
    """The grad_fn names along the last edge of each node, from the output to a leaf."""
    names, node = [], t.grad_fn
    while node is not None:
        names.append([type(n).__name__ if n is not None else None for n, _ in node.next_functions])
        node = node.next_functions[-1][0] if node.next_functions else None
    return names


GRAPHS = [
    ("cartesian_prod", lambda m, a, b: m.cartesian_prod(a, b)),
    ("cartesian_prod one-entry factor", lambda m, a, b: m.cartesian_prod(a, b[:1])),
    ("diagflat", lambda m, a, b: m.diagflat(a)),
    ("diagflat of a transposed matrix", lambda m, a, b: m.diagflat(m.outer(a, b).t())),
    ("block_diag", lambda m, a, b: m.block_diag(a, b.detach(), a[0])),
    ("index_fill with a tensor value", lambda m, a, b: a.index_fill(0, m.tensor([1]), b[0])),
    ("index_fill, only the value requires grad", lambda m, a, b: a.detach().index_fill(0, m.tensor([1]), b[0])),
]


@pytest.mark.parametrize("name,fn", GRAPHS, ids=[g[0] for g in GRAPHS])
def test_graphs_match_pytorch(torch: object, name: str, fn: object) -> None:
    outs = []
    for m in (bibun, torch):
        a = m.tensor([1.0, 2.0, 3.0], requires_grad=True)
        b = m.tensor([4.0, 5.0], requires_grad=True)
        out = fn(m, a, b)
        out.backward(m.ones_like(out))
        outs.append((out, _chain(out), a.grad, b.grad))
    ours, theirs = outs
    np.testing.assert_array_equal(_arr(ours[0]), _arr(theirs[0]))
    assert _name(ours[0]) == _name(theirs[0]) and ours[1] == theirs[1]
    for g, tg in zip(ours[2:], theirs[2:]):
        assert (g is None) == (tg is None)
        if g is not None:
            np.testing.assert_array_equal(g.numpy(), tg.numpy())


def test_cartesian_prod_of_one_tensor_is_that_tensor() -> None:
    a = bibun.tensor([1.0, 2.0])
    assert bibun.cartesian_prod(a) is a


# --- repeated indices, mixed dtypes, integer tensors, forward mode -----------------------------------
PROGRAMS = [
    ("index_copy repeated index", lambda m, x, s: x.index_copy(1, m.tensor([2, 0, 2]), s), (2, 3), (2, 3)),
    (
        "index_fill repeated, tensor value",
        lambda m, x, s: x.index_fill(1, m.tensor([1, 1, 0]), s[0, 0]),
        (2, 3),
        (1, 1),
    ),
    ("index_fill negative index", lambda m, x, s: m.index_fill(x, -1, m.tensor([-1]), -2.5), (2, 3), None),
    ("masked_scatter, no entry written", lambda m, x, s: x.masked_scatter(x > 100, s), (2, 3), (4,)),
    (
        "masked_scatter broadcast input",
        lambda m, x, s: x[0].masked_scatter(m.tensor([[True], [False]]), s),
        (2, 3),
        (4,),
    ),
    ("slice_scatter past the end", lambda m, x, s: x.slice_scatter(s, 1, 2, 100), (2, 3), (2, 1)),
    ("slice_scatter start after end", lambda m, x, s: x.slice_scatter(s, 1, 2, 0), (2, 3), (2, 0)),
    ("diagonal_scatter outside the matrix", lambda m, x, s: x.diagonal_scatter(s, 5), (2, 3), (0,)),
    ("select_scatter last dim", lambda m, x, s: x.select_scatter(s, -1, 0), (2, 3), (2,)),
]


@pytest.mark.parametrize("name,fn,x_shape,s_shape", PROGRAMS, ids=[p[0] for p in PROGRAMS])
@pytest.mark.parametrize("source_dtype", ["float32", "float64"])
def test_values_and_gradients_match_pytorch(
    torch: object, name: str, fn: object, x_shape: tuple, s_shape: tuple | None, source_dtype: str
) -> None:
    rng = np.random.default_rng(0)
    xv = rng.standard_normal(x_shape).astype(np.float32)
    sv = None if s_shape is None else rng.standard_normal(s_shape).astype(source_dtype)
    results = []
    for m in (bibun, torch):
        x = m.tensor(xv, requires_grad=True)
        s = None if sv is None else m.tensor(sv, requires_grad=True)
        if s is not None and s.dtype != x.dtype and name.startswith(("index_copy", "masked_scatter")):
            with pytest.raises(RuntimeError, match="same dtype"):
                fn(m, x, s)
            return
        out = fn(m, x, s)
        g = m.tensor(np.arange(out.numel(), dtype=np.float32).reshape(tuple(out.shape)))
        inputs = [x] if s is None else [x, s]
        grads = m.autograd.grad(out, inputs, g, allow_unused=True)
        results.append((out, grads))
    (out, grads), (tout, tgrads) = results
    assert str(out.dtype).split(".")[1] == str(tout.dtype).split(".")[1]
    np.testing.assert_array_equal(_arr(out), _arr(tout))
    assert _name(out) == _name(tout)
    for a, b in zip(grads, tgrads):
        assert str(a.dtype).split(".")[1] == str(b.dtype).split(".")[1]
        np.testing.assert_array_equal(a.numpy(), b.numpy())


INTEGER_WRITES = [
    ("index_fill float value truncates", lambda m, x: x.index_fill(0, m.tensor([1]), -2.7)),
    ("index_fill tensor value truncates", lambda m, x: x.index_fill(0, m.tensor([0]), m.tensor(2.7))),
    ("uint8 wraps a negative value", lambda m, x: x.to(m.uint8).index_fill(0, m.tensor([0]), -255)),
    ("bool takes any nonzero value", lambda m, x: (x > 5).index_fill(0, m.tensor([0]), 0.5)),
    ("select_scatter of floats", lambda m, x: x.select_scatter(m.tensor([9.5, 8.5, 7.5]), 0, 1)),
    ("diagonal_scatter of floats", lambda m, x: x.diagonal_scatter(m.tensor([-1.5, 2.5]))),
    ("index_copy", lambda m, x: x.index_copy(1, m.tensor([2]), m.tensor([[7], [8]]))),
    ("block_diag promotes", lambda m, x: m.block_diag(x, m.tensor([1.5], dtype=m.float64), m.tensor(True))),
    ("block_diag of bools", lambda m, x: m.block_diag(x > 2, m.tensor(False))),
    ("block_diag ignores 0-d dtypes", lambda m, x: m.block_diag(x.float(), m.tensor(2.0, dtype=m.float64))),
    ("cartesian_prod of ints", lambda m, x: m.cartesian_prod(x[0], x[1], x[0, :2])),
    ("diagflat of ints", lambda m, x: m.diagflat(x, 1)),
    ("rot90 of ints", lambda m, x: x.rot90(-1)),
]


@pytest.mark.parametrize("name,fn", INTEGER_WRITES, ids=[c[0] for c in INTEGER_WRITES])
def test_integer_and_bool_tensors_match_pytorch(torch: object, name: str, fn: object) -> None:
    ours = fn(bibun, bibun.arange(6).reshape(2, 3))
    theirs = fn(torch, torch.arange(6).reshape(2, 3))
    assert str(ours.dtype).split(".")[1] == str(theirs.dtype).split(".")[1]
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_forward_mode_tangents_match_pytorch(torch: object) -> None:
    programs = [
        lambda m, x, s: m.index_fill(x, 1, m.tensor([0, 2]), 3.0),
        lambda m, x, s: x.index_fill(0, m.tensor([1]), s[0]),
        lambda m, x, s: x.index_copy(1, m.tensor([1]), s.reshape(2, 1)),
        lambda m, x, s: x.masked_scatter(m.tensor([True, False, True]), s.repeat(2)),
        lambda m, x, s: x.diagonal_scatter(s),
        lambda m, x, s: x.select_scatter(s, 1, 2),
        lambda m, x, s: x.slice_scatter(s.reshape(2, 1), 1, 0, 1),
        lambda m, x, s: m.rot90(x, 3),
        lambda m, x, s: m.block_diag(x, s),
        lambda m, x, s: m.cartesian_prod(x[0], s),
        lambda m, x, s: m.tensor_split(x, [1], 1)[1],
    ]
    xv, sv = np.arange(6.0).reshape(2, 3), np.array([-1.0, -2.0])
    tx, ts = np.full((2, 3), 0.5) + np.arange(6.0).reshape(2, 3), np.array([10.0, 20.0])
    for program in programs:
        tangents = []
        for m in (bibun, torch):
            fw = m.autograd.forward_ad
            with fw.dual_level():
                x = fw.make_dual(m.tensor(xv), m.tensor(tx))
                s = fw.make_dual(m.tensor(sv), m.tensor(ts))
                tangents.append(_arr(fw.unpack_dual(program(m, x, s)).tangent).copy())
        np.testing.assert_array_equal(tangents[0], tangents[1])


# --- index creators ---------------------------------------------------------------------------------
def test_tril_and_triu_indices_match_pytorch(torch: object) -> None:
    for name, row, col, offset in itertools.product(("tril_indices", "triu_indices"), range(4), range(4), range(-5, 6)):
        ours = getattr(bibun, name)(row, col, offset)
        theirs = getattr(torch, name)(row, col, offset)
        assert ours.dtype == bibun.int64 and tuple(ours.shape) == tuple(theirs.shape)
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    assert bibun.tril_indices(3, 3, dtype=bibun.int32).dtype == bibun.int32
    assert not bibun.triu_indices(3, 3).requires_grad


def test_unravel_index_matches_pytorch(torch: object) -> None:
    cases = [
        ([4, 7, -1, -9, 8, 100], (2, 4)),
        (17, (2, 3, 4)),
        ([[3, 1], [2, 0]], (2, 4)),
        ([5], 7),
        ([5], [1, 7]),
        ([], (2, 0)),
        ([3], ()),
        ([2**40 + 3], (2**30, 2**30)),
    ]
    for values, shape in cases:
        for dtype in ("int64", "int32", "uint8", "int16"):
            if dtype == "uint8" and np.min(values, initial=0) < 0:
                continue
            if dtype != "int64" and np.max(values, initial=0) > 100:
                continue
            ours = bibun.unravel_index(bibun.tensor(values, dtype=getattr(bibun, dtype)), shape)
            theirs = torch.unravel_index(torch.tensor(values, dtype=getattr(torch, dtype)), shape)
            assert isinstance(ours, tuple) and len(ours) == len(theirs)
            for a, b in zip(ours, theirs):
                assert a.dtype == bibun.int64 and tuple(a.shape) == tuple(b.shape)
                np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_unravel_index_results_are_views_of_one_tensor() -> None:
    rows, cols = bibun.unravel_index(bibun.tensor([4, 7]), (2, 4))
    assert rows._base is cols._base is not None
    assert rows.stride() == (2,) and not rows.is_contiguous()
    rows.add_(1)
    assert cols._version == 1


# --- bad input ----------------------------------------------------------------------------------------
X = np.arange(6.0).reshape(2, 3)

ERRORS = [
    ("tensor_split 0 sections", lambda m, x: m.tensor_split(x, 0), RuntimeError, "number of sections must be larger than 0, got 0"),
    ("tensor_split 0-d", lambda m, x: m.tensor_split(x[0, 0], 2), RuntimeError, "but got a tensor with 0 dims"),
    ("tensor_split dim", lambda m, x: x.tensor_split(2, 2), IndexError, "Dimension out of range"),
    ("tensor_split float", lambda m, x: m.tensor_split(x, 2.0), TypeError, "got (Tensor, float)"),
    ("tensor_split bool", lambda m, x: m.tensor_split(x, True), TypeError, "got (Tensor, bool)"),
    ("tensor_split int32 tensor", lambda m, x: m.tensor_split(x, m.tensor([1], dtype=m.int32)), RuntimeError, "to have dtype of long, but got Int"),
    ("tensor_split 2-d tensor", lambda m, x: m.tensor_split(x, m.tensor([[1]])), RuntimeError, "but got a tensor with 2 dims"),
    ("tensor_split 0-d tensor 0", lambda m, x: m.tensor_split(x, m.tensor(0)), RuntimeError, "larger than 0, got 0"),
    ("hsplit 0-d", lambda m, x: m.hsplit(x[0, 0], 2), RuntimeError, "hsplit requires a tensor with at least 1 dimension, but got a tensor with 0 dimensions!"),
    ("hsplit uneven", lambda m, x: m.hsplit(x, 2), RuntimeError, "hsplit attempted to split along dimension 1, but the size of the dimension 3 is not divisible by the split_size 2!"),
    ("hsplit 0", lambda m, x: x.hsplit(0), RuntimeError, "is not divisible by the split_size 0!"),
    ("hsplit negative", lambda m, x: m.hsplit(x, -3), RuntimeError, "number of sections must be larger than 0, got -3"),
    ("hsplit tensor", lambda m, x: m.hsplit(x, m.tensor([1])), TypeError, "hsplit() received an invalid combination of arguments - got (Tensor, Tensor)"),
    ("vsplit 1-d", lambda m, x: m.vsplit(x[0], 3), RuntimeError, "vsplit requires a tensor with at least 2 dimension, but got a tensor with 1 dimensions!"),
    ("vsplit uneven", lambda m, x: m.vsplit(x, 4), RuntimeError, "split along dimension 0, but the size of the dimension 2"),
    ("dsplit 2-d", lambda m, x: m.dsplit(x, 2), RuntimeError, "dsplit requires a tensor with at least 3 dimension"),
    ("rot90 1-d", lambda m, x: m.rot90(x[0]), RuntimeError, "expected total dims >= 2, but got total dims = 1"),
    ("rot90 three dims", lambda m, x: m.rot90(x, 1, (0, 1, 1)), RuntimeError, "expected total rotation dims == 2, but got dims = 3"),
    ("rot90 same dims", lambda m, x: m.rot90(x, 1, (1, -1)), RuntimeError, "expected rotation dims to be different, but got dim0 = 1 and dim1 = -1"),
    ("rot90 dim range", lambda m, x: m.rot90(x, 1, (0, 2)), IndexError, "Dimension out of range (expected to be in range of [-2, 1], but got 2)"),
    ("rot90 float k", lambda m, x: m.rot90(x, 1.5), TypeError, "rot90(): argument 'k' (position 2) must be int, not float"),
    ("block_diag 3-d", lambda m, x: m.block_diag(x, x[None]), RuntimeError, "block_diag: Input tensors must have 2 or fewer dimensions. Input 1 has 3 dimensions"),
    ("block_diag number", lambda m, x: m.block_diag(x, 3), TypeError, "expected Tensor as element 1 in argument 0, but got int"),
    ("cartesian_prod 2-d", lambda m, x: m.cartesian_prod(x, x[0]), RuntimeError, "Expect a 1D vector, but got shape [2, 3]"),
    ("cartesian_prod 0-d", lambda m, x: m.cartesian_prod(x[0, 0]), RuntimeError, "Expect a 1D vector, but got shape []"),
    ("cartesian_prod dtypes", lambda m, x: m.cartesian_prod(x[0], m.arange(2)), RuntimeError, "meshgrid expects all tensors to have the same dtype"),
    ("cartesian_prod nothing", lambda m, x: m.cartesian_prod(), RuntimeError, "meshgrid expects a non-empty TensorList"),
    ("tril_indices negative row", lambda m, x: m.tril_indices(-1, 3), RuntimeError, "row must be non-negative, got-1"),
    ("triu_indices negative col", lambda m, x: m.triu_indices(3, -2), RuntimeError, "col must be non-negative, got-2"),
    ("tril_indices float dtype", lambda m, x: m.tril_indices(3, 3, dtype=m.float32), NotImplementedError, "\"tril_indices\" not implemented for 'Float'"),
    ("triu_indices int16", lambda m, x: m.triu_indices(3, 3, dtype=m.int16), NotImplementedError, "not implemented for 'Short'"),
    ("tril_indices float row", lambda m, x: m.tril_indices(3.0, 3), TypeError, "argument 'row' (position 1) must be int, not float"),
    ("tril_indices requires_grad", lambda m, x: m.tril_indices(3, 3, requires_grad=True), RuntimeError, "Only Tensors of floating point and complex dtype can require gradients"),
    ("unravel_index float", lambda m, x: m.unravel_index(x, (2, 3)), TypeError, "expected 'indices' to be integer dtype, but got"),
    ("unravel_index bool", lambda m, x: m.unravel_index(x > 1, (2, 3)), TypeError, "expected 'indices' to be integer dtype"),
    ("unravel_index tensor shape", lambda m, x: m.unravel_index(m.tensor([1]), m.tensor([2])), TypeError, "expected 'shape' to be int or sequence of ints, but got <class"),
    ("unravel_index float in shape", lambda m, x: m.unravel_index(m.tensor([1]), (2.0, 3)), TypeError, "expected 'shape' sequence to only contain ints, but got <class 'float'>"),
    ("unravel_index negative shape", lambda m, x: m.unravel_index(m.tensor([1]), (2, -1)), ValueError, "'shape' cannot have negative values, but got (2, -1)"),
    ("unravel_index zero size", lambda m, x: m.unravel_index(m.tensor([1]), (0, 2)), RuntimeError, "ZeroDivisionError"),
    ("unravel_index not a tensor", lambda m, x: m.unravel_index(3, (2, 3)), AttributeError, "'int' object has no attribute 'is_complex'"),
    ("index_fill list index", lambda m, x: m.index_fill(x, 0, [1], 2.0), TypeError, "index_fill() received an invalid combination of arguments"),
    ("index_fill int32 index", lambda m, x: x.index_fill(0, m.tensor([1], dtype=m.int32), 2.0), IndexError, "index_fill_(): Expected dtype int64 for index."),
    ("index_fill 2-d index", lambda m, x: x.index_fill(0, m.tensor([[1]]), 2.0), RuntimeError, "Index has to be a vector/scalar"),
    ("index_fill out of range", lambda m, x: x.index_fill(1, m.tensor([0, 3]), 2.0), IndexError, "index 3 is out of bounds for dimension 1 with size 3"),
    ("index_fill negative out of range", lambda m, x: x.index_fill(1, m.tensor([-4]), 2.0), IndexError, "index -4 is out of bounds for dimension 1 with size 3"),
    ("index_fill 1-d value", lambda m, x: x.index_fill(1, m.tensor([0]), m.ones(1)), RuntimeError, "index_fill_ only supports a 0-dimensional value tensor, but got tensor with 1 dimension(s)."),
    ("index_fill dim", lambda m, x: x.index_fill(2, m.tensor([0]), 1.0), IndexError, "Dimension out of range (expected to be in range of [-2, 1], but got 2)"),
    ("index_fill complex", lambda m, x: x.index_fill(1, m.tensor([0]), 1j), RuntimeError, "index_fill_(): Converting complex Scalar to non-complex type is not supported"),
    ("index_fill int overflow", lambda m, x: x.long().index_fill(1, m.tensor([0]), float("inf")), RuntimeError, "value cannot be converted to type int64_t without overflow"),
    ("index_fill int8 overflow", lambda m, x: x.to(m.int8).index_fill(1, m.tensor([0]), 300), RuntimeError, "value cannot be converted to type int8_t without overflow"),
    ("index_fill float32 overflow", lambda m, x: x.float().index_fill(1, m.tensor([0]), 1e300), RuntimeError, "value cannot be converted to type float without overflow"),
    ("index_fill int, value requires grad", lambda m, x: x.long().index_fill(1, m.tensor([0]), m.tensor(1.0, requires_grad=True)), RuntimeError, "Autograd not support dtype: Long"),
    ("index_copy 2-d index", lambda m, x: x.index_copy(1, m.tensor([[1]]), m.ones(2, 1)), IndexError, "index_copy_(): Index should have dimension 1 or 0 (got 2)"),
    ("index_copy scalar source", lambda m, x: x.index_copy(0, m.tensor([1, 0]), m.tensor(1.0)), IndexError, "When source is scalar, index should have one element (got 2)"),
    ("index_copy dimensionality", lambda m, x: x.index_copy(1, m.tensor([1]), m.ones(2)), IndexError, "Source dimensionality (1), destination dimensionality (2)"),
    ("index_copy int32 index", lambda m, x: x.index_copy(1, m.tensor([1], dtype=m.int32), m.ones(2, 1)), RuntimeError, "index_copy_(): Expected a long tensor for index, but got Int"),
    ("index_copy dtypes", lambda m, x: x.float().index_copy(1, m.tensor([1]), m.ones(2, 1, dtype=m.float64)), RuntimeError, "self and source expected to have the same dtype, but got (self) Float and (source) Double"),
    ("index_copy slice shapes", lambda m, x: x.index_copy(1, m.tensor([1]), m.ones(3, 1, dtype=x.dtype)), RuntimeError, "Destination slice shape: 2 at dimension 1 and source slice shape: 3 at dimension 0."),
    ("index_copy scalar slice", lambda m, x: x.index_copy(0, m.tensor([1]), m.tensor(1.0, dtype=x.dtype)), RuntimeError, "Destination slice shape: 3 at dimension 0 and source slice shape:  at dimension 0."),
    ("index_copy count", lambda m, x: x.index_copy(1, m.tensor([1, 2]), m.ones(2, 1, dtype=x.dtype)), IndexError, "Number of indices (2) should be equal to source.size(dim) (1)"),
    ("index_copy out of range", lambda m, x: x.index_copy(1, m.tensor([3]), m.ones(2, 1, dtype=x.dtype)), IndexError, "index_copy_(): index 3 is out of bounds for dimension 1 with size 3"),
    ("index_copy negative", lambda m, x: x.index_copy(1, m.tensor([-1]), m.ones(2, 1, dtype=x.dtype)), IndexError, "index_copy_(): index -1 is out of bounds for dimension 1 with size 3"),
    ("masked_scatter broadcast", lambda m, x: x.masked_scatter(m.tensor([True, False]), m.ones(6)), RuntimeError, "The size of tensor a (2) must match the size of tensor b (3) at non-singleton dimension 1"),
    ("masked_scatter dtypes", lambda m, x: x.masked_scatter(x > 1, m.arange(6)), RuntimeError, "masked_scatter: expected self and source to have same dtypes but gotDouble and Long"),
    ("masked_scatter mask dtype", lambda m, x: x.masked_scatter((x > 1).long(), m.ones(6, dtype=x.dtype)), RuntimeError, "masked_scatter_ only supports boolean masks, but got mask with dtype Long"),
    ("masked_scatter short source", lambda m, x: x.masked_scatter(x > 1, m.ones(3, dtype=x.dtype)), RuntimeError, "Number of elements of source < number of ones in mask"),
    ("masked_scatter number mask", lambda m, x: m.masked_scatter(x, 1, x), TypeError, "masked_scatter(): argument 'mask' (position 2) must be Tensor, not int"),
    ("diagonal_scatter shape", lambda m, x: x.diagonal_scatter(m.ones(3, dtype=x.dtype)), RuntimeError, "expected src to have a size equal to the slice of self. src size = [3], slice size = [2]"),
    ("diagonal_scatter same dims", lambda m, x: x.diagonal_scatter(m.ones(2), 0, 1, -1), RuntimeError, "diagonal dimensions cannot be identical 1, -1"),
    ("diagonal_scatter 1-d", lambda m, x: x[0].diagonal_scatter(m.ones(3)), IndexError, "Dimension out of range (expected to be in range of [-1, 0], but got 1)"),
    ("diagonal_scatter int, src requires grad", lambda m, x: x.long().diagonal_scatter(m.ones(2, requires_grad=True)), RuntimeError, "Autograd not support dtype: Long"),
    ("select_scatter 0-d", lambda m, x: x[0, 0].select_scatter(m.tensor(1.0), 0, 0), IndexError, "select() cannot be applied to a 0-dim tensor."),
    ("select_scatter index", lambda m, x: x.select_scatter(m.ones(2), 1, 3), IndexError, "select(): index 3 out of range for tensor of size [2, 3] at dimension 1"),
    ("select_scatter negative index", lambda m, x: x.select_scatter(m.ones(2), -1, -4), IndexError, "select(): index -4 out of range for tensor of size [2, 3] at dimension 1"),
    ("select_scatter shape", lambda m, x: x.select_scatter(m.ones(1), 1, 0), RuntimeError, "src size = [1], slice size = [2]"),
    ("select_scatter int, src requires grad", lambda m, x: x.long().select_scatter(m.ones(2, requires_grad=True), 1, 0), RuntimeError, "Autograd not support dtype: Long"),
    ("slice_scatter 0-d", lambda m, x: x[0, 0].slice_scatter(m.tensor(1.0)), IndexError, "slice() cannot be applied to a 0-dim tensor."),
    ("slice_scatter step", lambda m, x: x.slice_scatter(m.ones(2, 0), 1, 0, None, 0), RuntimeError, "slice step must be positive"),
    ("slice_scatter shape", lambda m, x: x.slice_scatter(m.ones(1, 1), 1, 0, 1), RuntimeError, "src size = [1, 1], slice size = [2, 1]"),
    ("slice_scatter int, src requires grad", lambda m, x: x.long().slice_scatter(m.ones(1, 3, requires_grad=True), 0, 1), RuntimeError, "Autograd not support dtype: Long"),
]  # fmt: skip


@pytest.mark.parametrize("name,call,error,phrase", ERRORS, ids=[e[0] for e in ERRORS])
def test_bad_input_raises_pytorchs_error_and_changes_nothing(name: str, call: object, error: type, phrase: str) -> None:
    x = bibun.tensor(X, requires_grad=True)
    with pytest.raises(error) as info:
        call(bibun, x)
    assert phrase in str(info.value)
    np.testing.assert_array_equal(x.detach().numpy(), X)
    assert x._version == 0 and x.grad is None


@pytest.mark.parametrize("name,call,error,phrase", ERRORS, ids=[e[0] for e in ERRORS])
def test_pytorch_raises_the_same(torch: object, name: str, call: object, error: type, phrase: str) -> None:
    with pytest.raises(error) as info:
        call(torch, torch.tensor(X, requires_grad=True))
    assert phrase.replace("bibun", "torch") in str(info.value)


def test_writes_to_the_input_after_the_call_are_harmless(torch: object) -> None:
    """The writes save no tensor (their rules read only the index and mask, fixed at the
    call): writing to the input afterwards leaves backward intact, as in PyTorch."""
    grads = []
    for m in (bibun, torch):
        x = m.arange(6.0, requires_grad=True)
        base = x * 1
        src = m.ones(2, requires_grad=True)
        out = base.slice_scatter(src, 0, 1, 3).index_fill(0, m.tensor([5]), 0.0)
        with m.no_grad():
            base.zero_()
        out.sum().backward()
        grads.append((x.grad.numpy().copy(), src.grad.numpy().copy()))
    for ours, theirs in zip(*grads):
        np.testing.assert_array_equal(ours, theirs)


def test_index_and_mask_are_fixed_when_the_op_runs() -> None:
    """PyTorch saves index_copy's index and source and masked_scatter's mask, so writing to
    them before backward is an error there; bibun keeps copies of the index and mask (the
    source is not needed), so backward uses the values the op ran with (docs/ops.md)."""
    x = bibun.zeros(4, requires_grad=True)
    src = bibun.ones(2, requires_grad=True)
    index, mask = bibun.tensor([0, 2]), bibun.tensor([True, False, True, False])
    out = x.index_copy(0, index, src) * bibun.arange(4.0) + x.masked_scatter(mask, src * 10)
    index.fill_(3)
    mask.fill_(True)
    src.data.fill_(5)
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0, 2, 0, 4])
    np.testing.assert_array_equal(src.grad.numpy(), [10, 12])
