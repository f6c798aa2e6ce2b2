"""Database entries for attention, pixel shuffles, the 1-d and adaptive pools, unfold/fold,
interpolate and the transposed convolutions (bibun/nn/_pool_extra.py, _attention.py).
Masks are explicit arrays, marked non-differentiable."""

from __future__ import annotations

import numpy as np

from opdb import OpInfo, Sample

S = Sample
_BOOL_MASK = np.array([[True, False, True, True], [True, True, False, False], [False, True, True, False]])
_DEAD_MASK = np.array([[True, False, True, True], [False, False, False, False], [False, True, True, False]])


def _sdpa(name: str, **kwargs: object) -> OpInfo:
    return OpInfo(
        f"nn.functional.scaled_dot_product_attention{name}",
        lambda m, q, k, v: m.nn.functional.scaled_dot_product_attention(q, k, v, **kwargs),
        [S(((2, 3, 3, 5), (2, 3, 4, 5), (2, 3, 4, 2)))],
        "UnsafeViewBackward0",
    )


OPS = [
    _sdpa(""),
    _sdpa("_causal", is_causal=True),
    _sdpa("_scale", scale=-0.7),
    OpInfo(
        "nn.functional.scaled_dot_product_attention_bool_mask",
        lambda m, q, k, v, mask: m.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=mask),
        [
            S(((2, 3, 5), (2, 4, 5), (2, 4, 2), _BOOL_MASK)),
            S(((1, 3, 5), (1, 4, 5), (1, 4, 2), _DEAD_MASK), "dead row"),
        ],
        "UnsafeViewBackward0",
        nondiff_args=(3,),
    ),
    OpInfo(
        "nn.functional.scaled_dot_product_attention_float_mask",
        lambda m, q, k, v, mask: m.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=mask),
        [S(((2, 2, 3, 5), (2, 2, 4, 5), (2, 2, 4, 2), (2, 1, 3, 4)))],
        "UnsafeViewBackward0",
    ),
    OpInfo(
        "nn.functional.scaled_dot_product_attention_gqa",
        lambda m, q, k, v: m.nn.functional.scaled_dot_product_attention(q, k, v, enable_gqa=True),
        [S(((1, 4, 3, 5), (1, 2, 4, 5), (1, 2, 4, 2)))],
        "UnsafeViewBackward0",
    ),
    OpInfo(
        "nn.functional.pixel_shuffle",
        lambda m, x: m.nn.functional.pixel_shuffle(x, 2),
        [S(((2, 8, 2, 3),)), S(((8, 3, 2),), "unbatched"), S(((2, 1, 4, 1, 2),), "extra batch dim")],
        "PixelShuffleBackward0",
    ),
    OpInfo(
        "nn.functional.pixel_unshuffle",
        lambda m, x: m.nn.functional.pixel_unshuffle(x, 2),
        [S(((2, 2, 4, 6),)), S(((1, 4, 2),), "unbatched")],
        "PixelUnshuffleBackward0",
    ),
]

# --- 1-d and adaptive pooling -----------------------------------------------------------------
OPS += [
    OpInfo(
        "nn.functional.adaptive_avg_pool2d",
        lambda m, x: m.nn.functional.adaptive_avg_pool2d(x, (3, 2)),
        [S(((2, 3, 7, 5),)), S(((2, 4, 6),), "unbatched")],
        "AdaptiveAvgPool2DBackward0",
    ),
    OpInfo(
        "nn.functional.adaptive_avg_pool2d_none",
        lambda m, x: m.nn.functional.adaptive_avg_pool2d(x, (None, 4)),
        [S(((1, 2, 3, 5),))],
        "AdaptiveAvgPool2DBackward0",
    ),
    OpInfo(
        "nn.functional.adaptive_avg_pool2d_global",
        lambda m, x: m.nn.functional.adaptive_avg_pool2d(x, 1),
        [S(((2, 3, 4, 5),))],
        "MeanBackward1",
    ),
    OpInfo(
        "nn.functional.adaptive_avg_pool1d",
        lambda m, x: m.nn.functional.adaptive_avg_pool1d(x, 3),
        [S(((2, 3, 7),)), S(((3, 5),), "unbatched")],
        "SqueezeBackward1",
    ),
    OpInfo(
        "nn.functional.avg_pool1d",
        lambda m, x: m.nn.functional.avg_pool1d(x, 3, stride=2, padding=1, ceil_mode=True, count_include_pad=False),
        [S(((2, 3, 8),)), S(((3, 7),), "unbatched")],
        "SqueezeBackward1",
    ),
    OpInfo(
        "nn.functional.avg_pool1d_plain",
        lambda m, x: m.nn.functional.avg_pool1d(x, 2),
        [S(((2, 3, 6),))],
        "SqueezeBackward1",
    ),
    OpInfo(
        "nn.functional.max_pool1d",
        lambda m, x: m.nn.functional.max_pool1d(x, 3, stride=2, padding=1, dilation=1, ceil_mode=True),
        [S(((2, 3, 8),)), S(((3, 7),), "unbatched")],
        "SqueezeBackward1",
    ),
    OpInfo(
        "nn.functional.max_pool1d_indices",
        lambda m, x: m.nn.functional.max_pool1d(x, 2, dilation=2, return_indices=True),
        [S(((2, 3, 9),))],
        "SqueezeBackward1",
    ),
    OpInfo(
        "nn.functional.adaptive_max_pool2d",
        lambda m, x: m.nn.functional.adaptive_max_pool2d(x, (3, 2)),
        [S(((2, 3, 7, 5),)), S(((2, 4, 6),), "unbatched")],
        "AdaptiveMaxPool2DBackward0",
    ),
    OpInfo(
        "nn.functional.adaptive_max_pool2d_indices",
        lambda m, x: m.nn.functional.adaptive_max_pool2d(x, (2, None), return_indices=True),
        [S(((1, 2, 5, 3),))],
        "AdaptiveMaxPool2DBackward0",
    ),
    OpInfo(
        "nn.functional.adaptive_max_pool1d",
        lambda m, x: m.nn.functional.adaptive_max_pool1d(x, 3),
        [S(((2, 3, 7),)), S(((3, 5),), "unbatched")],
        "SqueezeBackward1",
    ),
    OpInfo(
        "nn.functional.adaptive_max_pool1d_indices",
        lambda m, x: m.nn.functional.adaptive_max_pool1d(x, 4, return_indices=True),
        [S(((2, 3, 7),))],
        "SqueezeBackward1",
    ),
]

# --- unfold, fold, interpolate ----------------------------------------------------------------
OPS += [
    OpInfo(
        "nn.functional.unfold",
        lambda m, x: m.nn.functional.unfold(x, (2, 3), dilation=(1, 2), padding=1, stride=(2, 1)),
        [S(((2, 3, 5, 6),)), S(((2, 4, 5),), "unbatched")],
        "Im2ColBackward0",
    ),
    OpInfo(
        "nn.functional.fold",
        lambda m, x: m.nn.functional.fold(x, (5, 6), (2, 3), dilation=(1, 2), padding=1, stride=(2, 1)),
        [S(((2, 12, 12),)), S(((6, 12),), "unbatched")],
        "Col2ImBackward0",
    ),
    OpInfo(
        "nn.functional.interpolate_nearest2d",
        lambda m, x: m.nn.functional.interpolate(x, scale_factor=2),
        [S(((2, 3, 3, 2),))],
        "UpsampleNearest2DBackward0",
        covers=("nn.functional.interpolate",),
    ),
    OpInfo(
        "nn.functional.interpolate_nearest2d_size",
        lambda m, x: m.nn.functional.interpolate(x, size=(5, 3)),
        [S(((1, 2, 3, 7),))],
        "UpsampleNearest2DBackward0",
    ),
    OpInfo(
        "nn.functional.interpolate_nearest1d",
        lambda m, x: m.nn.functional.interpolate(x, size=7),
        [S(((2, 3, 4),))],
        "UpsampleNearest1DBackward0",
    ),
    OpInfo(
        "nn.functional.interpolate_linear",
        lambda m, x: m.nn.functional.interpolate(x, size=7, mode="linear"),
        [S(((2, 3, 4),)), S(((1, 2, 9),), "down")],
        "UpsampleLinear1DBackward0",
    ),
    OpInfo(
        "nn.functional.interpolate_linear_align",
        lambda m, x: m.nn.functional.interpolate(x, scale_factor=1.5, mode="linear", align_corners=True),
        [S(((2, 3, 4),))],
        "UpsampleLinear1DBackward0",
    ),
    OpInfo(
        "nn.functional.interpolate_bilinear",
        lambda m, x: m.nn.functional.interpolate(x, scale_factor=(2, 0.5), mode="bilinear"),
        [S(((2, 2, 3, 6),))],
        "UpsampleBilinear2DBackward0",
    ),
    OpInfo(
        "nn.functional.interpolate_bilinear_align",
        lambda m, x: m.nn.functional.interpolate(x, size=(5, 2), mode="bilinear", align_corners=True),
        [S(((1, 2, 3, 4),))],
        "UpsampleBilinear2DBackward0",
    ),
]

# --- transposed convolutions -----------------------------------------------------------------
OPS += [
    OpInfo(
        "nn.functional.conv_transpose1d",
        lambda m, x, w, b: m.nn.functional.conv_transpose1d(
            x, w, b, stride=2, padding=1, output_padding=1, groups=2, dilation=2
        ),
        [S(((2, 4, 5), (4, 3, 3), (6,)))],
        "ConvolutionBackward0",
    ),
    OpInfo(
        "nn.functional.conv_transpose2d",
        lambda m, x, w, b: m.nn.functional.conv_transpose2d(
            x, w, b, stride=(2, 1), padding=(1, 0), output_padding=(1, 0)
        ),
        [S(((2, 3, 3, 4), (3, 2, 3, 2), (2,)))],
        "ConvolutionBackward0",
    ),
    OpInfo(
        "nn.functional.conv_transpose2d_plain",
        lambda m, x, w: m.nn.functional.conv_transpose2d(x, w, dilation=(1, 2)),
        [S(((1, 2, 3, 3), (2, 3, 2, 2)))],
        "ConvolutionBackward0",
    ),
    OpInfo(
        "nn.functional.conv_transpose2d_unbatched",
        lambda m, x, w: m.nn.functional.conv_transpose2d(x, w, stride=2),
        [S(((2, 3, 3), (2, 1, 2, 2)))],
        "SqueezeBackward1",
    ),
]
