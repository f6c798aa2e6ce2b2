"""Errors and edge cases of attention, pixel shuffles, pooling extras, unfold/fold,
interpolate and transposed convolutions, each compared with PyTorch where it is installed
(values, gradients and grad_fn names are in the op database, tests/opdb/nn_pool_extra.py)."""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
import pytest

import bibun

torch = pytest.importorskip("torch")


def _both(fn: Callable[[Any], Any]) -> tuple[BaseException, BaseException]:
    caught = []
    for lib in (bibun, torch):
        with pytest.raises(Exception) as info:
            fn(lib)
        caught.append(info.value)
    return caught[0], caught[1]


ERRORS = {
    "pixel_shuffle_dims": lambda m: m.nn.functional.pixel_shuffle(m.ones(3, 4), 2),
    "pixel_shuffle_channels": lambda m: m.nn.functional.pixel_shuffle(m.ones(1, 7, 2, 2), 2),
    "pixel_unshuffle_height": lambda m: m.nn.functional.pixel_unshuffle(m.ones(1, 7, 3, 2), 2),
    "sdpa_causal_and_mask": lambda m: m.nn.functional.scaled_dot_product_attention(
        m.ones(1, 2, 3), m.ones(1, 2, 3), m.ones(1, 2, 3), attn_mask=m.ones(2, 2), is_causal=True
    ),
    "sdpa_dtypes": lambda m: m.nn.functional.scaled_dot_product_attention(
        m.ones(1, 2, 3), m.ones(1, 2, 3, dtype=m.float64), m.ones(1, 2, 3)
    ),
    "adaptive_avg_pool2d_dims": lambda m: m.nn.functional.adaptive_avg_pool2d(m.ones(5), 2),
    "adaptive_max_pool2d_dims": lambda m: m.nn.functional.adaptive_max_pool2d(m.ones(5), 2),
    "adaptive_avg_pool1d_dims": lambda m: m.nn.functional.adaptive_avg_pool1d(m.ones(2, 3, 4, 5), 2),
    "adaptive_max_pool1d_dims": lambda m: m.nn.functional.adaptive_max_pool1d(m.ones(5), 2),
    "avg_pool1d_dims": lambda m: m.nn.functional.avg_pool1d(m.ones(2, 3, 4, 5), 2),
    "max_pool1d_dims": lambda m: m.nn.functional.max_pool1d(m.ones(2, 3, 4, 5), 2),
    "fold_blocks": lambda m: m.nn.functional.fold(m.ones(2, 12, 7), (3, 4), 2),
    "fold_kernel_product": lambda m: m.nn.functional.fold(m.ones(2, 13, 6), (3, 4), 2),
    "interpolate_linear_dims": lambda m: m.nn.functional.interpolate(m.ones(1, 1, 2, 2), size=3, mode="linear"),
    "interpolate_nearest_align": lambda m: m.nn.functional.interpolate(m.ones(1, 1, 2), size=3, align_corners=True),
    "interpolate_no_size": lambda m: m.nn.functional.interpolate(m.ones(1, 1, 2)),
    "interpolate_both": lambda m: m.nn.functional.interpolate(m.ones(1, 1, 2), size=3, scale_factor=2),
    "conv_transpose2d_channels": lambda m: m.nn.functional.conv_transpose2d(m.ones(2, 3, 4, 5), m.ones(4, 2, 3, 3)),
    "conv_transpose2d_dims": lambda m: m.nn.functional.conv_transpose2d(m.ones(5), m.ones(3, 2, 3, 3)),
    "conv_transpose1d_output_padding": lambda m: m.nn.functional.conv_transpose1d(
        m.ones(1, 2, 4), m.ones(2, 2, 3), output_padding=1
    ),
    "conv_transpose1d_dtypes": lambda m: m.nn.functional.conv_transpose1d(
        m.ones(1, 2, 4), m.ones(2, 2, 3, dtype=m.float64)
    ),
}


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_errors_match_pytorch(name: str) -> None:
    mine, theirs = _both(ERRORS[name])
    assert type(mine) is type(theirs)
    assert str(mine).split("\n")[0] == str(theirs).split("\n")[0]


def test_sdpa_fully_masked_row_is_zero_with_finite_gradients() -> None:
    mask = np.array([[True, False], [False, False]])
    outs = []
    for lib in (bibun, torch):
        q = lib.tensor(np.arange(12.0).reshape(1, 2, 6) / 10, requires_grad=True)
        out = lib.nn.functional.scaled_dot_product_attention(q, q, q, attn_mask=lib.tensor(mask))
        out.sum().backward()
        outs.append((out.detach().numpy(), q.grad.numpy()))
    np.testing.assert_allclose(outs[0][0], outs[1][0], rtol=1e-6)
    np.testing.assert_allclose(outs[0][1], outs[1][1], rtol=1e-6)
    assert not np.isnan(outs[0][1]).any()
