"""Pixel shuffles, 1-d and adaptive pooling, unfold/fold, interpolate and transposed
convolutions on NumPy (docs/nn.md, "Attention and pooling extras").

Several of these are linear maps that act on the last one or two dims separately (adaptive
average pooling, nearest and (bi)linear interpolation): each is one op whose primal applies a
matrix per axis and whose VJP is the op with the transposed matrices, so second order and
forward mode come from the same two ops. The 1-d pools are the 2-d ones on a height-1 image
between an unsqueeze and a squeeze, as PyTorch records them (SqueezeBackward1)."""

from __future__ import annotations

import numpy as np

from bibun._tensor import Tensor
from bibun.nn._attention import scaled_dot_product_attention
from bibun.ops._registry import apply, defop
from bibun.ops.linalg import _register_vocabulary

ndarray = np.ndarray


# --- pixel_shuffle, pixel_unshuffle ------------------------------------------------------------
def _shuffle(x: ndarray, r: int) -> ndarray:
    *batch, c, h, w = x.shape
    y = x.reshape(*batch, c // (r * r), r, r, h, w)
    n = len(batch)
    y = y.transpose(*range(n), n, n + 3, n + 1, n + 4, n + 2)
    return np.ascontiguousarray(y.reshape(*batch, c // (r * r), h * r, w * r))


def _unshuffle(x: ndarray, r: int) -> ndarray:
    *batch, c, h, w = x.shape
    y = x.reshape(*batch, c, h // r, r, w // r, r)
    n = len(batch)
    y = y.transpose(*range(n), n, n + 2, n + 4, n + 1, n + 3)
    return np.ascontiguousarray(y.reshape(*batch, c * r * r, h // r, w // r))


_PIXEL_SHUFFLE = defop(
    "nn.pixel_shuffle",
    "PixelShuffleBackward0",
    _shuffle,
    (lambda xp, g, r: xp.pixel_unshuffle(g, r),),
    jvp="linear",
)
_PIXEL_UNSHUFFLE = defop(
    "nn.pixel_unshuffle",
    "PixelUnshuffleBackward0",
    _unshuffle,
    (lambda xp, g, r: xp.pixel_shuffle(g, r),),
    jvp="linear",
)
_register_vocabulary(
    pixel_shuffle=(_shuffle, lambda g, r: apply(_PIXEL_SHUFFLE, (g,), {"r": r})),
    pixel_unshuffle=(_unshuffle, lambda g, r: apply(_PIXEL_UNSHUFFLE, (g,), {"r": r})),
)


def pixel_shuffle(input: Tensor, upscale_factor: int) -> Tensor:
    """(*, C·r², H, W) -> (*, C, H·r, W·r)."""
    x, r = input._data, int(upscale_factor)
    if x.ndim < 3:
        raise RuntimeError(
            f"pixel_shuffle expects input to have at least 3 dimensions, but got input with {x.ndim} dimension(s)"
        )
    if r <= 0:
        raise RuntimeError(f"pixel_shuffle expects a positive upscale_factor, but got {r}")
    if x.shape[-3] % (r * r):
        raise RuntimeError(
            "pixel_shuffle expects its input's 'channel' dimension to be divisible by the square of upscale_factor, "
            f"but input.size(-3)={x.shape[-3]} is not divisible by {r * r}"
        )
    return apply(_PIXEL_SHUFFLE, (input,), {"r": r})


def pixel_unshuffle(input: Tensor, downscale_factor: int) -> Tensor:
    """(*, C, H·r, W·r) -> (*, C·r², H, W)."""
    x, r = input._data, int(downscale_factor)
    if x.ndim < 3:
        raise RuntimeError(
            f"pixel_unshuffle expects input to have at least 3 dimensions, but got input with {x.ndim} dimension(s)"
        )
    if r <= 0:
        raise RuntimeError(f"pixel_unshuffle expects a positive downscale_factor, but got {r}")
    for name, size in (("height", x.shape[-2]), ("width", x.shape[-1])):
        if size % r:
            raise RuntimeError(
                f"pixel_unshuffle expects {name} to be divisible by downscale_factor, but input.size("
                f"{-2 if name == 'height' else -1})={size} is not divisible by {r}"
            )
    return apply(_PIXEL_UNSHUFFLE, (input,), {"r": r})


__all__: list[str] = ["scaled_dot_product_attention", "pixel_shuffle", "pixel_unshuffle"]
