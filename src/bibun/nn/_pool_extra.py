"""Pixel shuffles, 1-d and adaptive pooling, unfold/fold, interpolate and transposed
convolutions on NumPy (docs/nn.md, "Attention and pooling extras").

Several of these are linear maps that act on the last one or two dims separately (adaptive
average pooling, nearest and (bi)linear interpolation): each is one op whose primal applies a
matrix per axis and whose VJP is the op with the transposed matrices, so second order and
forward mode come from the same two ops. The 1-d pools are the 2-d ones on a height-1 image
between an unsqueeze and a squeeze, as PyTorch records them (SqueezeBackward1)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from bibun._dtype import cpp_type_name
from bibun._tensor import Tensor, new_tensor
from bibun.nn._attention import scaled_dot_product_attention
from bibun.nn._conv import _conv_forward, _conv_grad_input, _conv_jvp, _pad4, _pair, _windows, avg_pool2d, max_pool2d
from bibun.ops import reduction, shape
from bibun.ops._registry import INPUTS, apply, defop
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


# --- separable linear maps: adaptive average pooling, interpolation ----------------------------
_SEPARABLE_OPS: dict[str, Any] = {}


def _separable_forward(x: ndarray, mats: tuple) -> ndarray:
    """Applies one matrix per trailing axis: out[..., o, p] = sum A[o, h] B[p, w] x[..., h, w]."""
    out = x
    for axis, mat in enumerate(mats, start=x.ndim - len(mats)):
        out = np.moveaxis(np.tensordot(out, mat, axes=([axis], [1])), -1, axis)
    return np.ascontiguousarray(out).astype(x.dtype, copy=False)


def _separable_op(grad_fn: str) -> Any:
    """The op for one grad_fn name; its VJP is the op named "<name>Backward" (PyTorch's
    double-backward name) applied with the transposed matrices, whose VJP is this op again."""
    op = _SEPARABLE_OPS.get(grad_fn)
    if op is None:
        back = grad_fn.replace("Backward0", "BackwardBackward0")
        forward = grad_fn.replace("BackwardBackward0", "Backward0")
        partner = back if back != grad_fn else forward
        op = _SEPARABLE_OPS[grad_fn] = defop(
            f"nn.separable[{grad_fn}]",
            grad_fn,
            _separable_forward,
            (lambda xp, g, mats: xp.separable(g, tuple(m.T for m in mats), partner),),
            jvp="linear",
        )
    return op


_register_vocabulary(
    separable=(
        lambda g, mats, name: _separable_forward(g, mats),
        lambda g, mats, name: apply(_separable_op(name), (g,), {"mats": mats}),
    ),
)


def _adaptive_matrix(size: int, out: int) -> ndarray:
    mat = np.zeros((out, size))
    for i in range(out):
        start, end = (i * size) // out, -(-((i + 1) * size) // out)
        mat[i, start:end] = 1.0 / (end - start)
    return mat


def _output_size(output_size: Any, spatial: tuple, n: int) -> tuple[int, ...]:
    if isinstance(output_size, (int, np.integer)) or output_size is None:
        output_size = (output_size,) * n
    sizes = tuple(spatial[i] if v is None else int(v) for i, v in enumerate(output_size))
    if len(sizes) != n:
        raise RuntimeError(f"adaptive_avg_pool{n}d: output_size must be {n}")
    return sizes


def adaptive_avg_pool2d(input: Tensor, output_size: Any) -> Tensor:
    """Averages over the windows [floor(i·H/h), ceil((i+1)·H/h)) per output row (and columns)."""
    x = input._data
    if x.ndim not in (3, 4):
        raise RuntimeError(f"adaptive_avg_pool2d(): Expected 3D or 4D tensor, but got {list(x.shape)}")
    out = _output_size(output_size, x.shape[-2:], 2)
    if out == (1, 1):  # PyTorch takes the mean here (MeanBackward1)
        return reduction.mean(input, (-1, -2), keepdim=True)
    mats = (_adaptive_matrix(x.shape[-2], out[0]), _adaptive_matrix(x.shape[-1], out[1]))
    return apply(_separable_op("AdaptiveAvgPool2DBackward0"), (input,), {"mats": mats})


def _check_1d(x: ndarray, name: str) -> None:
    if x.ndim not in (2, 3):
        raise RuntimeError(
            f"Expected 2 to 3 dimensions, but got {x.ndim}-dimensional tensor for argument #1 'self' "
            f"(while checking arguments for {name})"
        )


def adaptive_avg_pool1d(input: Tensor, output_size: Any) -> Tensor:
    _check_1d(input._data, "adaptive_avg_pool1d")
    size = _pair(output_size, 1, "output_size")[0]
    return shape.squeeze(adaptive_avg_pool2d(shape.unsqueeze(input, -2), (1, size)), -2)


def avg_pool1d(
    input: Tensor,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
) -> Tensor:
    _check_1d(input._data, "avg_pool1d")
    kernel = _pair(kernel_size, 1, "kernel_size")[0]
    stride1 = (
        kernel
        if stride is None or (not isinstance(stride, int) and len(stride) == 0)
        else _pair(stride, 1, "stride")[0]
    )
    pad = _pair(padding, 1, "padding")[0]
    out = avg_pool2d(shape.unsqueeze(input, -2), (1, kernel), (1, stride1), (0, pad), ceil_mode, count_include_pad)
    return shape.squeeze(out, -2)


def max_pool1d(
    input: Tensor,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    dilation: Any = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> Any:
    x = input._data
    if x.ndim not in (2, 3):
        raise RuntimeError(
            "max_pool1d: Expected 2D or 3D (batch mode) tensor with optional 0 dim batch size for input, but got:"
            f"{list(x.shape)}"
        )
    kernel = _pair(kernel_size, 1, "kernel_size")[0]
    stride1 = (
        kernel
        if stride is None or (not isinstance(stride, int) and len(stride) == 0)
        else _pair(stride, 1, "stride")[0]
    )
    out = max_pool2d(
        shape.unsqueeze(input, -2),
        (1, kernel),
        (1, stride1),
        (0, _pair(padding, 1, "padding")[0]),
        (1, _pair(dilation, 1, "dilation")[0]),
        ceil_mode,
        return_indices,
    )
    if return_indices:  # a flat index in a height-1 plane is already the position along L
        return shape.squeeze(out[0], -2), shape.squeeze(out[1], -2)
    return shape.squeeze(out, -2)


# --- adaptive max pooling --------------------------------------------------------------------
def _gather_vjp(xp: Any, g: Any, index: tuple, in_shape: tuple) -> Any:
    return xp.index_put_zeros(in_shape, index, g)


_ADAPTIVE_MAX = defop(
    "nn.adaptive_max_pool2d",
    "AdaptiveMaxPool2DBackward0",
    lambda x, index, in_shape: x[index],
    (_gather_vjp,),
    jvp="linear",
)


def adaptive_max_pool2d(input: Tensor, output_size: Any, return_indices: bool = False) -> Any:
    """The maximum over each adaptive window; the gradient goes to the (first) maximal entry."""
    data = input._data
    if data.ndim not in (3, 4):
        raise RuntimeError(f"adaptive_max_pool2d(): Expected 3D or 4D tensor, but got: {list(data.shape)}")
    x = data[None] if data.ndim == 3 else data
    n, c, h, w = x.shape
    oh, ow = _output_size(output_size, (h, w), 2)
    rows = np.zeros((n, c, oh, ow), dtype=np.int64)
    cols = np.zeros((n, c, oh, ow), dtype=np.int64)
    for i in range(oh):
        r0, r1 = (i * h) // oh, -(-((i + 1) * h) // oh)
        for j in range(ow):
            c0, c1 = (j * w) // ow, -(-((j + 1) * w) // ow)
            window = x[:, :, r0:r1, c0:c1].reshape(n, c, -1)
            # NaN wins, as in PyTorch; argmax already returns the first NaN
            arg = np.argmax(window, axis=-1)
            rows[:, :, i, j] = r0 + arg // (c1 - c0)
            cols[:, :, i, j] = c0 + arg % (c1 - c0)
    if data.ndim == 3:
        rows, cols = rows[0], cols[0]
        index = (np.arange(c)[:, None, None], rows, cols)
    else:
        index = (np.arange(n)[:, None, None, None], np.arange(c)[None, :, None, None], rows, cols)
    values = apply(_ADAPTIVE_MAX, (input,), {"index": index, "in_shape": data.shape})
    if return_indices:
        return values, new_tensor(rows * w + cols)
    return values


def adaptive_max_pool1d(input: Tensor, output_size: Any, return_indices: bool = False) -> Any:
    _check_1d(input._data, "adaptive_max_pool1d")
    size = _pair(output_size, 1, "output_size")[0]
    out = adaptive_max_pool2d(shape.unsqueeze(input, -2), (1, size), return_indices)
    if return_indices:
        return shape.squeeze(out[0], -2), shape.squeeze(out[1], -2)
    return shape.squeeze(out, -2)


# --- unfold (im2col), fold (col2im) -----------------------------------------------------------
def _im2col(x: ndarray, kernel: tuple, dilation: tuple, pads: tuple, stride: tuple, out_hw: tuple) -> ndarray:
    unbatched = x.ndim == 3
    x4 = x[None] if unbatched else x
    padded = _pad4(x4, (pads[0], pads[0], pads[1], pads[1]))
    cols = _windows(padded, kernel, stride, dilation, out_hw).transpose(0, 1, 4, 5, 2, 3)
    n, c = x4.shape[:2]
    out = np.ascontiguousarray(cols).reshape(n, c * kernel[0] * kernel[1], out_hw[0] * out_hw[1])
    return out[0] if unbatched else out


def _col2im(
    g: ndarray, kernel: tuple, dilation: tuple, pads: tuple, stride: tuple, out_hw: tuple, in_hw: tuple
) -> ndarray:
    """Each column added back over its window (the adjoint of _im2col)."""
    unbatched = g.ndim == 2
    g3 = g[None] if unbatched else g
    n = g3.shape[0]
    kh, kw = kernel
    c = g3.shape[1] // (kh * kw)
    cols = g3.reshape(n, c, kh, kw, out_hw[0], out_hw[1])
    hp, wp = in_hw[0] + 2 * pads[0], in_hw[1] + 2 * pads[1]
    out = np.zeros((n, c, hp, wp), dtype=g.dtype)
    ho, wo = out_hw
    for i in range(kh):
        r0 = i * dilation[0]
        for j in range(kw):
            c0 = j * dilation[1]
            out[
                :, :, r0 : r0 + stride[0] * (ho - 1) + 1 : stride[0], c0 : c0 + stride[1] * (wo - 1) + 1 : stride[1]
            ] += cols[:, :, i, j]
    out = out[:, :, pads[0] : hp - pads[0], pads[1] : wp - pads[1]]
    return np.ascontiguousarray(out[0] if unbatched else out)


_IM2COL = defop(
    "nn.im2col",
    "Im2ColBackward0",
    lambda x, in_hw, **geo: _im2col(x, **geo),
    (lambda xp, g, **geo: xp.col2im(g, geo),),
    jvp="linear",
)
_COL2IM = defop(
    "nn.col2im",
    "Col2ImBackward0",
    lambda g, **geo: _col2im(g, **geo),
    (lambda xp, g, **geo: xp.im2col(g, geo),),
    jvp="linear",
)
_register_vocabulary(
    im2col=(
        lambda x, geo: _im2col(x, **{k: v for k, v in geo.items() if k != "in_hw"}),
        lambda x, geo: apply(_IM2COL, (x,), geo),
    ),
    col2im=(lambda g, geo: _col2im(g, **geo), lambda g, geo: apply(_COL2IM, (g,), geo)),
)


def _block_geometry(in_hw: tuple, kernel_size: Any, dilation: Any, padding: Any, stride: Any) -> dict:
    kernel = _pair(kernel_size, 2, "kernel_size")
    dil, pad, st = _pair(dilation, 2, "dilation"), _pair(padding, 2, "padding"), _pair(stride, 2, "stride")
    out_hw = tuple((in_hw[i] + 2 * pad[i] - dil[i] * (kernel[i] - 1) - 1) // st[i] + 1 for i in range(2))
    if any(o < 1 for o in out_hw):
        raise RuntimeError(
            f"Given input with spatial size ({in_hw[0]}, {in_hw[1]}), kernel_size=({kernel[0]}, {kernel[1]}), "
            f"dilation=({dil[0]}, {dil[1]}), padding=({pad[0]}, {pad[1]}), calculated shape of the array of sliding "
            f"blocks as ({out_hw[0]}, {out_hw[1]}), but its components must be at least one."
        )
    return {"kernel": kernel, "dilation": dil, "pads": pad, "stride": st, "out_hw": out_hw, "in_hw": tuple(in_hw)}


def unfold(input: Tensor, kernel_size: Any, dilation: Any = 1, padding: Any = 0, stride: Any = 1) -> Tensor:
    """Every sliding block as a column: (N, C, H, W) -> (N, C·kh·kw, L)."""
    x = input._data
    if x.ndim not in (3, 4):
        raise RuntimeError(f"Input Error: Only 3D or 4D input Tensors are supported (got {x.ndim}D)")
    return apply(_IM2COL, (input,), _block_geometry(x.shape[-2:], kernel_size, dilation, padding, stride))


def fold(
    input: Tensor, output_size: Any, kernel_size: Any, dilation: Any = 1, padding: Any = 0, stride: Any = 1
) -> Tensor:
    """Sums columns back into an image: (N, C·kh·kw, L) -> (N, C, H, W), the adjoint of unfold."""
    x = input._data
    if x.ndim not in (2, 3):
        raise RuntimeError(
            f"Expected 2D or 3D (batch mode) tensor for input with possibly 0 batch size and non-zero dimensions "
            f"for input, but got: {list(x.shape)}"
        )
    in_hw = _pair(output_size, 2, "output_size")
    geo = _block_geometry(in_hw, kernel_size, dilation, padding, stride)
    kernel, out_hw = geo["kernel"], geo["out_hw"]
    if x.shape[-2] % (kernel[0] * kernel[1]):
        raise RuntimeError(
            f"Expected size of input's dimension {x.ndim - 2} to be divisible by the product of kernel_size, but got "
            f"input.size({x.ndim - 2})={x.shape[-2]} and kernel_size=({kernel[0]}, {kernel[1]})."
        )
    if x.shape[-1] != out_hw[0] * out_hw[1]:
        d, p, st = geo["dilation"], geo["pads"], geo["stride"]
        raise RuntimeError(
            f"Given output_size=({in_hw[0]}, {in_hw[1]}), kernel_size=({kernel[0]}, {kernel[1]}), dilation=({d[0]}, "
            f"{d[1]}), padding=({p[0]}, {p[1]}), stride=({st[0]}, {st[1]}), expected size of input's dimension "
            f"{x.ndim - 1} to match the calculated number of sliding blocks {out_hw[0]} * {out_hw[1]} = "
            f"{out_hw[0] * out_hw[1]}, but got input.size({x.ndim - 1})={x.shape[-1]}."
        )
    return apply(_COL2IM, (input,), geo)


# --- interpolate: nearest, linear, bilinear ---------------------------------------------------
def _nearest_matrix(size: int, out: int, scale: float) -> ndarray:
    # PyTorch computes the source index in float32: floor(dst * scale), clamped
    src = np.minimum(np.floor(np.arange(out, dtype=np.float32) * np.float32(scale)).astype(np.int64), size - 1)
    mat = np.zeros((out, size))
    mat[np.arange(out), src] = 1.0
    return mat


def _linear_matrix(size: int, out: int, scale: float | None, align_corners: bool) -> ndarray:
    dst = np.arange(out, dtype=np.float64)
    if align_corners:
        src = dst * ((size - 1) / (out - 1) if out > 1 else 0.0)
    else:
        ratio = 1.0 / scale if scale is not None else size / out
        src = np.maximum((dst + 0.5) * ratio - 0.5, 0.0)
    i0 = np.minimum(np.floor(src).astype(np.int64), size - 1)
    i1 = np.minimum(i0 + 1, size - 1)
    frac = src - i0
    mat = np.zeros((out, size))
    np.add.at(mat, (np.arange(out), i0), 1.0 - frac)
    np.add.at(mat, (np.arange(out), i1), frac)
    return mat


def interpolate(
    input: Tensor,
    size: Any = None,
    scale_factor: Any = None,
    mode: str = "nearest",
    align_corners: bool | None = None,
    recompute_scale_factor: bool | None = None,
    antialias: bool = False,
) -> Tensor:
    """Resizes the trailing 1 or 2 dims; modes 'nearest', 'linear' (3-D) and 'bilinear' (4-D)."""
    x = input._data
    dims = x.ndim - 2
    if mode in ("nearest", "area", "nearest-exact") and align_corners is not None:
        raise ValueError(
            "align_corners option can only be set with the interpolating modes: linear | bilinear | bicubic | trilinear"
        )
    if size is None and scale_factor is None:
        raise ValueError("either size or scale_factor should be defined")
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    wanted = {"linear": 1, "bilinear": 2}.get(mode)
    if mode not in ("nearest", "linear", "bilinear") or antialias:
        raise NotImplementedError(
            f"interpolate: only the modes 'nearest', 'linear' and 'bilinear' without antialias exist (got {mode!r})"
        )
    if dims not in (1, 2):
        raise NotImplementedError(
            f"Input Error: Only 3D and 4D input Tensors supported (got {x.ndim}D) for the modes: nearest | linear | "
            f"bilinear (got {mode})"
        )
    if wanted is not None and wanted != dims:
        raise NotImplementedError(f"Got {x.ndim}D input, but {mode} mode needs {wanted + 2}D input")
    spatial = x.shape[2:]
    if size is not None:
        out = _pair(size, dims, "size")
        scales: tuple = (None,) * dims
    else:
        factors = (scale_factor,) * dims if isinstance(scale_factor, (int, float)) else tuple(scale_factor)
        if len(factors) != dims:
            raise ValueError(
                f"Input and scale_factor must have the same number of spatial dimensions, but got input with "
                f"spatial dimensions of {list(spatial)} and scale_factor of shape {list(factors)}."
            )
        out = tuple(int(math.floor(float(s) * float(f))) for s, f in zip(spatial, factors))
        scales = (None,) * dims if recompute_scale_factor else tuple(float(f) for f in factors)
    if mode == "nearest":
        mats = tuple(
            _nearest_matrix(n, o, 1.0 / sc if sc is not None else n / o) for n, o, sc in zip(spatial, out, scales)
        )
        grad_fn = f"UpsampleNearest{dims}DBackward0"
    else:
        mats = tuple(_linear_matrix(n, o, sc, bool(align_corners)) for n, o, sc in zip(spatial, out, scales))
        grad_fn = "UpsampleLinear1DBackward0" if dims == 1 else "UpsampleBilinear2DBackward0"
    return apply(_separable_op(grad_fn), (input,), {"mats": mats})


# --- transposed convolutions -----------------------------------------------------------------
def _conv_transpose_forward(x: ndarray, w: ndarray, b: Any, **geo: Any) -> ndarray:
    # A transposed convolution is the input gradient of the convolution with the same weight.
    out = _conv_grad_input(x, w, **geo).astype(x.dtype, copy=False)
    if b is not None:
        out = out + b.reshape((-1, 1) if geo["one_d"] else (-1, 1, 1))
    return out


# The input gradient of a transposed convolution is a convolution; PyTorch names that node
# ConvolutionBackwardBackward0 (a double backward), so it is an op of its own with that name.
_CONV_TRANSPOSE_GRAD_INPUT = defop(
    "nn.conv_transpose_grad_input",
    "ConvolutionBackwardBackward0",
    lambda g, w, **geo: _conv_forward(g, w, None, **geo),
    (
        lambda xp, h, g, w, **geo: xp.conv_grad_input(h, w, geo),
        lambda xp, h, g, w, **geo: xp.conv_grad_weight(g, h, geo),
    ),
    save=INPUTS,
)
_register_vocabulary(
    conv_transpose_grad_input=(
        lambda g, w, geo: _conv_forward(g, w, None, **geo),
        lambda g, w, geo: apply(_CONV_TRANSPOSE_GRAD_INPUT, (g, w), geo),
    ),
)


def _conv_transpose_jvp(xp: Any, tangents: tuple, x: Any, w: Any, geo: dict) -> Any:
    return _conv_jvp(xp, tangents, x, w, geo, product="conv_grad_input")


_CONV_TRANSPOSE = defop(
    "nn.conv_transpose",
    "ConvolutionBackward0",
    _conv_transpose_forward,
    (
        lambda xp, g, x, w, b, **geo: xp.conv_transpose_grad_input(g, w, geo),
        lambda xp, g, x, w, b, **geo: xp.conv_grad_weight(g, x, geo),
        lambda xp, g, x, w, b, **geo: xp.sum(g, (0, 2) if geo["one_d"] else (0, 2, 3)),
    ),
    save=INPUTS,
    jvp=lambda xp, tangents, x, w, b, **geo: _conv_transpose_jvp(xp, tangents, x, w, geo),
)


def _scalar_name(dtype: Any) -> str:
    # PyTorch's ScalarType names, as in its "expected scalar type" message
    return {"float": "Float", "double": "Double", "c10::Half": "Half"}.get(cpp_type_name(dtype), cpp_type_name(dtype))


def _conv_transpose(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None,
    stride: Any,
    padding: Any,
    output_padding: Any,
    groups: int,
    dilation: Any,
    dims: int,
) -> Tensor:
    name = f"conv_transpose{dims}d"
    x, w = input._data, weight._data
    if x.ndim == dims + 1:  # unbatched, recorded as PyTorch does: unsqueeze, convolve, squeeze
        out = _conv_transpose(
            shape.unsqueeze(input, 0), weight, bias, stride, padding, output_padding, groups, dilation, dims
        )
        return shape.squeeze(out, 0)
    if x.ndim != dims + 2:
        raise RuntimeError(
            f"Expected {dims + 1}D (unbatched) or {dims + 2}D (batched) input to {name}, but got input of size: {list(x.shape)}"
        )
    if w.ndim != dims + 2:
        raise RuntimeError(f"weight should have {dims + 2} dimensions for {name}, but got {w.ndim}")
    if x.dtype != w.dtype or (bias is not None and bias._data.dtype != x.dtype):
        other = w.dtype if x.dtype != w.dtype else bias._data.dtype
        raise RuntimeError(f"expected scalar type {_scalar_name(x.dtype)} but found {_scalar_name(other)}")
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    if x.shape[1] != w.shape[0]:
        raise RuntimeError(
            f"Given transposed=1, weight of size {list(w.shape)}, expected input{list(x.shape)} to have "
            f"{w.shape[0]} channels, but got {x.shape[1]} channels instead"
        )
    if w.shape[0] % groups:
        raise RuntimeError(
            f"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, but got weight of "
            f"size {list(w.shape)} instead"
        )
    out_channels = w.shape[1] * groups
    if bias is not None and bias._data.shape != (out_channels,):
        raise RuntimeError(
            f"Given transposed=1, weight of size {list(w.shape)}, expected bias to be 1-dimensional with "
            f"{out_channels} elements, but got bias of size {list(bias._data.shape)} instead"
        )
    st = _pair(stride, dims, "stride")
    pad = _pair(padding, dims, "padding")
    out_pad = _pair(output_padding, dims, "output_padding")
    dil = _pair(dilation, dims, "dilation")
    for i in range(dims):
        if out_pad[i] >= st[i] and out_pad[i] >= dil[i]:
            raise RuntimeError(
                "output padding must be smaller than either stride or dilation, but got "
                # a 1-d transposed convolution runs as a 2-d one of height 1, which the message shows
                + " ".join(
                    f"{name}_{axis}: {((lead,) * (2 - dims) + tuple(value))[j]}"
                    for name, value, lead in (("output_padding", out_pad, 0), ("stride", st, 1), ("dilation", dil, 1))
                    for j, axis in enumerate(("height", "width"))
                )
            )
    spatial = x.shape[2:]
    out_size = tuple(
        (spatial[i] - 1) * st[i] - 2 * pad[i] + dil[i] * (w.shape[2 + i] - 1) + out_pad[i] + 1 for i in range(dims)
    )
    if any(o <= 0 for o in out_size):
        raise RuntimeError(
            f"Given input size per channel: {list(spatial)}. Calculated output size per channel: "
            f"{list(out_size)}. Output size is too small"
        )
    one_d = dims == 1
    pads = tuple(p for p in pad for _ in range(2))
    geo = {
        "stride": (1,) + st if one_d else st,
        "pads": (0, 0) + pads if one_d else pads,
        "dilation": (1,) + dil if one_d else dil,
        "groups": groups,
        "out_hw": (1, spatial[0]) if one_d else tuple(spatial),
        "one_d": one_d,
        "x_shape": (x.shape[0], out_channels) + out_size,
        "w_shape": w.shape,
    }
    return apply(_CONV_TRANSPOSE, (input, weight, bias), geo)


def conv_transpose1d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: Any = 1,
    padding: Any = 0,
    output_padding: Any = 0,
    groups: int = 1,
    dilation: Any = 1,
) -> Tensor:
    """weight: (C_in, C_out / groups, k)."""
    return _conv_transpose(input, weight, bias, stride, padding, output_padding, groups, dilation, 1)


def conv_transpose2d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: Any = 1,
    padding: Any = 0,
    output_padding: Any = 0,
    groups: int = 1,
    dilation: Any = 1,
) -> Tensor:
    """weight: (C_in, C_out / groups, kh, kw)."""
    return _conv_transpose(input, weight, bias, stride, padding, output_padding, groups, dilation, 2)


__all__: list[str] = ["scaled_dot_product_attention", "pixel_shuffle", "pixel_unshuffle"]
__all__ += ["adaptive_avg_pool1d", "adaptive_avg_pool2d", "avg_pool1d", "max_pool1d"]
__all__ += ["adaptive_max_pool1d", "adaptive_max_pool2d", "unfold", "fold", "interpolate"]
__all__ += ["conv_transpose1d", "conv_transpose2d"]
