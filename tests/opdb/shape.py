"""Database entries for shape and indexing ops: layout (flip, roll, repeat, tile, movedim,
unflatten, narrow, split, chunk, stacking) and index-tensor ops (index_select, gather,
scatter, index_add, masked_*, take_along_dim, index_put), plus more getitem forms.
Index tensors are constants built inside ``fn``, so they stay out of the differentiation."""

from __future__ import annotations

from opdb import OpInfo, Sample

S = Sample
M34 = [S(((3, 4),))]
T234 = [S(((2, 3, 4),))]


def _ix(m, values):  # noqa: ANN001, ANN202 - an int64 index tensor in either library
    return m.tensor(values)


OPS = [
    OpInfo("flip", lambda m, a: m.flip(a, (0, -1)), M34 + T234, "FlipBackward0", covers=("Tensor.flip",)),
    OpInfo("fliplr", lambda m, a: m.fliplr(a), M34, "FlipBackward0", covers=("Tensor.fliplr",)),
    OpInfo("flipud", lambda m, a: a.flipud(), M34, "FlipBackward0"),
    OpInfo("roll", lambda m, a: m.roll(a, 1, 0), M34, "RollBackward0", covers=("Tensor.roll",)),
    OpInfo("roll_dims", lambda m, a: a.roll((2, -1), (1, 2)), T234, "RollBackward0"),
    OpInfo("roll_flat", lambda m, a: a.roll(5), M34, "RollBackward0"),
    OpInfo("repeat", lambda m, a: a.repeat(2, 1, 3), M34, "RepeatBackward0", covers=("Tensor.repeat", "repeat")),
    OpInfo("repeat_0d", lambda m, a: a.repeat(3), [S(((),))], "RepeatBackward0"),
    OpInfo("tile", lambda m, a: m.tile(a, (2,)), M34, "RepeatBackward0", covers=("Tensor.tile",)),
    OpInfo("movedim", lambda m, a: m.movedim(a, 0, 2), T234, "PermuteBackward0", covers=("Tensor.movedim",)),
    OpInfo("movedim_many", lambda m, a: m.moveaxis(a, (0, 1), (2, 0)), T234, "PermuteBackward0", covers=("moveaxis",)),
    OpInfo("unflatten", lambda m, a: a.unflatten(1, (2, -1)), M34, "ViewBackward0", covers=("Tensor.unflatten",)),
    OpInfo("narrow", lambda m, a: m.narrow(a, 1, 1, 2), M34, "SliceBackward0", covers=("Tensor.narrow",)),
    OpInfo("narrow_negative_start", lambda m, a: a.narrow(-1, -3, 2), M34, "SliceBackward0"),
    OpInfo("split", lambda m, a: m.split(a, 2, 1), M34 + T234, None, covers=("Tensor.split",)),
    OpInfo("split_uneven", lambda m, a: a.split(3, 1), M34, None),
    OpInfo("split_sizes", lambda m, a: a.split([1, 3], 1), M34, None, covers=("split_with_sizes",)),
    OpInfo("split_first_only", lambda m, a: m.split(a, 1, 0)[0], M34, "SplitBackward0"),
    OpInfo("chunk", lambda m, a: m.chunk(a, 3, 1), M34, None, covers=("Tensor.chunk",)),
    OpInfo("chunk_first", lambda m, a: a.chunk(2)[1], M34, "SplitBackward0"),
    OpInfo("ravel", lambda m, a: m.ravel(a.t()), M34, None, covers=("Tensor.ravel",)),
    # reshape records PyTorch's three cases: a view, an alias of strided memory, a copy.
    OpInfo("reshape_strided_alias", lambda m, a: a[:, :2].reshape(3, 2, 1), M34, "ReshapeAliasBackward0"),
    OpInfo("reshape_needs_a_copy", lambda m, a: a.t().reshape(12), M34, "UnsafeViewBackward0"),
    OpInfo("flatten_needs_a_copy", lambda m, a: a.t().flatten(), M34, "UnsafeViewBackward0"),
    OpInfo("hstack", lambda m, a, b: m.hstack([a, b]), [S(((3, 4), (3, 2))), S(((3,), (2,)))], "CatBackward0"),
    OpInfo(
        "vstack",
        lambda m, a, b: m.vstack([a, b]),
        [S(((4,), (4,))), S(((2, 4), (3, 4)))],
        "CatBackward0",
        covers=("row_stack",),
    ),
    OpInfo("cat_empty_piece", lambda m, a, b: m.cat([a, b], 0), [S(((0, 3), (2, 3)))], "CatBackward0"),
    OpInfo("stack_0d", lambda m, a, b: m.stack([a, b]), [S(((), ()))], "StackBackward0"),
    OpInfo("contiguous_transposed", lambda m, a: a.t().contiguous(), M34, "CloneBackward0"),
    OpInfo("view_flat", lambda m, a: a.view(-1), M34, "ViewBackward0"),
    OpInfo("squeeze_dims", lambda m, a: a.squeeze((0, 2)), [S(((1, 3, 1, 2),))], "SqueezeBackward2"),
    OpInfo("expand_0d", lambda m, a: a.expand(2, 3), [S(((),))], "ExpandBackward0"),
    OpInfo("mT", lambda m, a: a.mT, T234, "TransposeBackward0"),
    # index-tensor ops
    OpInfo(
        "index_select",
        lambda m, a: m.index_select(a, 1, _ix(m, [2, 0, 2])),
        M34,
        "IndexSelectBackward0",
        covers=("Tensor.index_select",),
    ),
    OpInfo("index_select_0", lambda m, a: a.index_select(0, _ix(m, [1, 1])), M34 + T234, "IndexSelectBackward0"),
    OpInfo(
        "gather",
        lambda m, a: m.gather(a, 1, _ix(m, [[0, 0, 3], [1, 2, 1], [3, 3, 3]])),
        M34,
        "GatherBackward0",
        covers=("Tensor.gather",),
    ),
    OpInfo("gather_smaller_index", lambda m, a: a.gather(0, _ix(m, [[2, 0], [2, 2]])), M34, "GatherBackward0"),
    OpInfo(
        "take_along_dim",
        lambda m, a: m.take_along_dim(a, _ix(m, [[0], [3], [3]]), 1),
        M34,
        "GatherBackward0",
        covers=("Tensor.take_along_dim",),
    ),
    OpInfo("take_along_dim_flat", lambda m, a: m.take_along_dim(a, _ix(m, [0, 5, 5, 11])), M34, "GatherBackward0"),
    OpInfo(
        "take_along_dim_broadcast",
        lambda m, a: m.take_along_dim(a, _ix(m, [[[1, 0]]]), 2),
        T234,
        "GatherBackward0",
    ),
    OpInfo(
        "scatter",
        lambda m, a, b: m.scatter(a, 1, _ix(m, [[0, 2], [1, 3], [3, 0]]), b),
        [S(((3, 4), (3, 2)))],
        "ScatterBackward0",
        covers=("Tensor.scatter",),
    ),
    OpInfo("scatter_value", lambda m, a: a.scatter(0, _ix(m, [[2, 0, 1, 1]]), 1.5), M34, "ScatterBackward1"),
    OpInfo(
        "scatter_add",
        lambda m, a, b: m.scatter_add(a, 0, _ix(m, [[0, 0, 2, 1], [0, 2, 2, 1]]), b),
        [S(((3, 4), (2, 4)))],
        "ScatterAddBackward0",
        covers=("Tensor.scatter_add",),
    ),
    # Repeated indices in both rows, one column never written. (A src larger than the index
    # is differentiated by bibun, but PyTorch 2.13's backward fails there: tests/test_ties.py.)
    *(
        OpInfo(
            f"scatter_reduce_{reduce}" + ("" if include_self else "_without_self"),
            (
                lambda reduce, include_self: (
                    lambda m, a, b: m.scatter_reduce(
                        a, 0, _ix(m, [[0, 0, 2, 1], [0, 2, 2, 1]]), b, reduce, include_self=include_self
                    )
                )
            )(reduce, include_self),
            [S(((3, 4), (2, 4)))],
            "ScatterReduceBackward0",
            second_order=reduce != "prod",  # refused for prod (docs/ops.md)
            covers=("scatter_reduce", "Tensor.scatter_reduce"),
        )
        for reduce in ("sum", "prod", "mean", "amax", "amin")
        for include_self in (True, False)
    ),
    OpInfo(
        "index_add",
        lambda m, a, b: m.index_add(a, 1, _ix(m, [0, 3, 0]), b),
        [S(((3, 4), (3, 3)))],
        "IndexAddBackward0",
        covers=("Tensor.index_add",),
    ),
    OpInfo(
        "index_add_alpha",
        lambda m, a, b: a.index_add(0, _ix(m, [2, 2]), b, alpha=-1.5),
        [S(((3, 4), (2, 4)))],
        "IndexAddBackward0",
    ),
    OpInfo(
        "masked_fill",
        lambda m, a: m.masked_fill(a, a > 0.5, -1.0),
        M34,
        "MaskedFillBackward0",
        covers=("Tensor.masked_fill",),
    ),
    OpInfo(
        "masked_fill_broadcast_mask",
        lambda m, a: a.masked_fill(m.tensor([True, False, False, True]), 2.0),
        M34,
        "MaskedFillBackward0",
    ),
    OpInfo("masked_fill_tensor", lambda m, a, v: a.masked_fill(a > 0, v), [S(((3, 4), ()))], "MaskedFillBackward1"),
    OpInfo(
        "masked_select",
        lambda m, a: m.masked_select(a, m.tensor([[True, False, True, True], [False] * 4, [True] * 4])),
        M34,
        "MaskedSelectBackward0",
        covers=("Tensor.masked_select",),
    ),
    OpInfo(
        "masked_select_broadcast",
        lambda m, a: a.masked_select(m.tensor([[True], [False], [True]])),
        [S(((4,),))],
        "MaskedSelectBackward0",
    ),
    OpInfo(
        "index_put",
        lambda m, a, v: m.index_put(a, (_ix(m, [0, 2]),), v),
        [S(((3, 4), (2, 4))), S(((3, 4), (4,)), "broadcast values")],
        "IndexPutBackward0",
        covers=("Tensor.index_put",),
    ),
    OpInfo(
        "index_put_accumulate",
        lambda m, a, v: m.index_put(a, (_ix(m, [0, 0, 2]), _ix(m, [1, 1, 3])), v, accumulate=True),
        [S(((3, 4), (3,))), S(((3, 4), ()), "0-d values")],
        "IndexPutBackward0",
    ),
    OpInfo("index_put_mask", lambda m, a, v: a.index_put((a > 0,), v), [S(((3, 4), ()))], "IndexPutBackward0"),
    # more getitem forms
    OpInfo("getitem_two_lists", lambda m, a: a[[0, 2, 0], [1, 1, 3]], M34, "IndexBackward0"),
    OpInfo("getitem_list_after_slice", lambda m, a: a[1:, [0, 0, 2]], M34, "IndexBackward0"),
    OpInfo("getitem_tensor_index", lambda m, a: a[_ix(m, [[0, 1], [1, 1]])], M34, "IndexBackward0"),
    OpInfo("getitem_0d_tensor_index", lambda m, a: a[_ix(m, 2)], M34, "SelectBackward0"),
    OpInfo("getitem_ellipsis_list", lambda m, a: a[..., [3, 0]], T234, "IndexBackward0"),
    OpInfo("getitem_separated_lists", lambda m, a: a[[0, 1], :, [2, 2]], T234, "IndexBackward0"),
    OpInfo("getitem_bool_scalar", lambda m, a: a[True], M34, "IndexBackward0"),
    OpInfo("getitem_none_list", lambda m, a: a[None, [1, 1]], M34, "IndexBackward0"),
    OpInfo("getitem_negative", lambda m, a: a[-1, -2:], M34, "SliceBackward0"),
    OpInfo("getitem_empty_slice", lambda m, a: a[2:2], M34, "SliceBackward0"),
]
