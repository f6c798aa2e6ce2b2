"""Database entries for the second shape family (ops/shape_extra.py): tensor_split and
hsplit/vsplit/dsplit (views), rot90, diagflat, block_diag, cartesian_prod, the index
creators (tril_indices, triu_indices, unravel_index) and the out-of-place writes
(index_fill, index_copy, masked_scatter, diagonal_scatter, select_scatter, slice_scatter).
Index tensors and masks are constants built inside ``fn``, so they stay out of the
differentiation. Indices never repeat where a repeat would make the result
non-differentiable (index_copy overwrites; tests/test_shape_extra.py covers repeats)."""

from __future__ import annotations

from opdb import OpInfo, Sample

S = Sample
M34 = [S(((3, 4),))]
T234 = [S(((2, 3, 4),))]
ND = dict(differentiable=False)


def _ix(m, values):  # noqa: ANN001, ANN202 - an int64 index tensor in either library
    return m.tensor(values)


def _mask(m):  # noqa: ANN001, ANN202 - a fixed (3, 4) mask with 7 True entries
    return m.tensor([[True, False, True, True], [False] * 4, [True, False, True, True]])


OPS = [
    # --- splits: one SliceBackward0 view per piece
    OpInfo(
        "tensor_split",
        lambda m, a: m.tensor_split(a, 3, 1),
        M34 + [S(((4, 5),))],
        None,
        covers=("Tensor.tensor_split",),
    ),
    OpInfo("tensor_split_more_sections", lambda m, a: a.tensor_split(5, -1), M34, None),
    OpInfo("tensor_split_indices", lambda m, a: m.tensor_split(a, [1, -1, 7], 0), M34, None),
    OpInfo("tensor_split_decreasing", lambda m, a: a.tensor_split((3, 1), dim=1), M34, None),
    OpInfo("tensor_split_tensor_indices", lambda m, a: m.tensor_split(a, _ix(m, [1, 3]), 2), T234, None),
    OpInfo("tensor_split_tensor_sections", lambda m, a: a.tensor_split(_ix(m, 2), 1), T234, None),
    OpInfo("tensor_split_piece", lambda m, a: m.tensor_split(a, 2, 1)[1], M34, "SliceBackward0"),
    OpInfo(
        "hsplit",
        lambda m, a: m.hsplit(a, 2),
        M34 + [S(((2, 4, 3),)), S(((6,),), "1-D")],
        None,
        covers=("Tensor.hsplit",),
    ),
    OpInfo("hsplit_indices", lambda m, a: a.hsplit([1, 3]), M34, None),
    OpInfo("vsplit", lambda m, a: m.vsplit(a, 3), M34, None, covers=("Tensor.vsplit",)),
    OpInfo("vsplit_indices", lambda m, a: a.vsplit([1]), T234, None),
    OpInfo("dsplit", lambda m, a: m.dsplit(a, 2), T234, None, covers=("Tensor.dsplit",)),
    OpInfo("dsplit_indices", lambda m, a: a.dsplit([1, 3]), T234, None),
    # --- rot90 (a copy)
    OpInfo("rot90", lambda m, a: m.rot90(a), M34, "Rot90Backward0", covers=("Tensor.rot90",)),
    *(
        OpInfo(f"rot90_k{k}", (lambda k: lambda m, a: a.rot90(k, (2, 0)))(k), T234, "Rot90Backward0")
        for k in (0, 2, 3, -1, 5)
    ),
    # --- diagflat, block_diag, cartesian_prod
    OpInfo(
        "diagflat",
        lambda m, a: m.diagflat(a),
        [S(((3,),)), S(((),), "0-d"), S(((2, 3),), "matrix")],
        "DiagEmbedBackward0",
        covers=("Tensor.diagflat",),
    ),
    OpInfo("diagflat_offset", lambda m, a: a.diagflat(-2), [S(((3,),))], "DiagEmbedBackward0"),
    OpInfo("diagflat_transposed", lambda m, a: m.diagflat(a.t(), 1), M34, "DiagEmbedBackward0"),
    OpInfo(
        "block_diag",
        lambda m, a, b, c: m.block_diag(a, b, c),
        [S(((2, 3), (2,), ())), S(((0, 2), (3, 1), (1, 0)), "empty blocks")],
        "BlockDiagBackward0",
    ),
    OpInfo("block_diag_one", lambda m, a: m.block_diag(a), M34, "BlockDiagBackward0"),
    OpInfo(
        "cartesian_prod",
        lambda m, a, b: m.cartesian_prod(a, b),
        [S(((3,), (2,))), S(((1,), (3,)), "a single-entry factor"), S(((0,), (2,)), "empty")],
        "StackBackward0",
    ),
    OpInfo("cartesian_prod_three", lambda m, a, b, c: m.cartesian_prod(a, b, c), [S(((2,), (3,), (2,)))], None),
    OpInfo("cartesian_prod_one", lambda m, a: m.cartesian_prod(a), [S(((3,),))], None),
    # --- index creators: integer results
    OpInfo("tril_indices", lambda m: m.tril_indices(4, 3, -1), [S(())], **ND),
    OpInfo("tril_indices_int32", lambda m: m.tril_indices(3, 5, 1, dtype=m.int32), [S(())], **ND),
    OpInfo("triu_indices", lambda m: m.triu_indices(3, 4), [S(())], **ND),
    OpInfo("triu_indices_offset", lambda m: m.triu_indices(5, 3, -2), [S(())], **ND),
    OpInfo("unravel_index", lambda m: m.unravel_index(_ix(m, [4, -1, 11, 30, 0]), (3, 4)), [S(())], **ND),
    OpInfo("unravel_index_0d", lambda m: m.unravel_index(_ix(m, 17), (2, 3, 4)), [S(())], **ND),
    # --- writes into a copy
    OpInfo(
        "index_fill",
        lambda m, a: m.index_fill(a, 1, _ix(m, [0, 2, -1, 0]), -1.5),
        M34 + T234,
        "IndexFillBackward0",
        covers=("Tensor.index_fill",),
    ),
    OpInfo("index_fill_0d", lambda m, a: m.index_fill(a, 0, _ix(m, 0), 2.0), [S(((),))], "IndexFillBackward0"),
    OpInfo(
        "index_fill_tensor",
        lambda m, a, v: a.index_fill(0, _ix(m, [2, 0, 2]), v),
        [S(((3, 4), ()))],
        "IndexFillBackward1",
    ),
    OpInfo(
        "index_copy",
        lambda m, a, b: m.index_copy(a, 1, _ix(m, [3, 0]), b),
        [S(((3, 4), (3, 2)))],
        "IndexCopyBackward0",
        covers=("Tensor.index_copy",),
    ),
    OpInfo(
        "index_copy_dim0", lambda m, a, b: a.index_copy(0, _ix(m, [2]), b), [S(((3, 4), (1, 4)))], "IndexCopyBackward0"
    ),
    OpInfo(
        "index_copy_0d_source",
        lambda m, a, b: m.index_copy(a, 0, _ix(m, [1]), b),
        [S(((3,), ()))],
        "IndexCopyBackward0",
    ),
    OpInfo(
        "index_copy_0d_input",
        lambda m, a, b: a.index_copy(-1, _ix(m, 0), b),
        [S(((), ())), S(((), (1,)), "1-element source")],
        "IndexCopyBackward0",
    ),
    OpInfo(
        "masked_scatter",
        lambda m, a, b: m.masked_scatter(a, _mask(m), b),
        [S(((3, 4), (3, 4)), "source larger than needed"), S(((3, 4), (7,)), "source exactly used")],
        "MaskedScatterBackward0",
        covers=("Tensor.masked_scatter",),
    ),
    OpInfo(
        "masked_scatter_broadcast",
        lambda m, a, b: a.masked_scatter(m.tensor([[True], [False], [True]]), b),
        [S(((4,), (2, 5)))],
        "MaskedScatterBackward0",
    ),
    OpInfo(
        "diagonal_scatter",
        lambda m, a, b: m.diagonal_scatter(a, b),
        [S(((3, 4), (3,)))],
        "DiagonalScatterBackward0",
        covers=("Tensor.diagonal_scatter",),
    ),
    OpInfo(
        "diagonal_scatter_offset",
        lambda m, a, b: a.diagonal_scatter(b, -1, 1, 0),
        [S(((3, 4), (3,)))],
        "DiagonalScatterBackward0",
    ),
    OpInfo(
        "diagonal_scatter_3d",
        lambda m, a, b: m.diagonal_scatter(a, b, 1, 2, 0),
        [S(((2, 3, 4), (3, 1)))],
        "DiagonalScatterBackward0",
    ),
    OpInfo(
        "select_scatter",
        lambda m, a, b: m.select_scatter(a, b, 0, -1),
        [S(((3, 4), (4,)))],
        "SelectScatterBackward0",
        covers=("Tensor.select_scatter",),
    ),
    OpInfo(
        "select_scatter_dim1",
        lambda m, a, b: a.select_scatter(b, 1, 2),
        [S(((2, 3, 4), (2, 4)))],
        "SelectScatterBackward0",
    ),
    OpInfo(
        "select_scatter_0d_source", lambda m, a, b: a.select_scatter(b, 0, 1), [S(((3,), ()))], "SelectScatterBackward0"
    ),
    OpInfo(
        "slice_scatter",
        lambda m, a, b: m.slice_scatter(a, b, 1, 1, None, 2),
        [S(((3, 4), (3, 2)))],
        "SliceScatterBackward0",
        covers=("Tensor.slice_scatter",),
    ),
    OpInfo(
        "slice_scatter_negative",
        lambda m, a, b: a.slice_scatter(b, start=-2),
        [S(((3, 4), (2, 4)))],
        "SliceScatterBackward0",
    ),
    OpInfo("slice_scatter_all", lambda m, a, b: m.slice_scatter(a, b), [S(((3, 4), (3, 4)))], "SliceScatterBackward0"),
    OpInfo(
        "slice_scatter_empty",
        lambda m, a, b: m.slice_scatter(a, b, -1, 3, 1),
        [S(((3, 4), (3, 0)))],
        "SliceScatterBackward0",
    ),
]
