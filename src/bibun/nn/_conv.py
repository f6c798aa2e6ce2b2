"""Convolution, pooling and padding on NumPy (docs/nn.md, "Convolutions").

A convolution is im2col: a strided view of the padded input holding every window
(``as_strided``, no copy), contracted with the weight by one ``tensordot`` per group (a BLAS
matrix product). Its input gradient is col2im (one strided add per kernel offset) and its
weight gradient another tensordot. The three are ops that are each other's VJPs (conv,
conv_grad_input, conv_grad_weight are bilinear adjoints), so second derivatives are recorded
too. conv1d runs as conv2d on a height-1 image inside the primal; nothing extra is recorded."""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
from numpy.lib.stride_tricks import as_strided

from bibun._dtype import cpp_type_name
from bibun._tensor import Tensor, new_tensor
from bibun.ops import shape
from bibun.ops._registry import INPUTS, apply, defop
from bibun.ops.linalg import _register_vocabulary

ndarray = np.ndarray


def _pair(value: Any, n: int, name: str) -> tuple[int, ...]:
    if isinstance(value, (int, np.integer)):
        return (int(value),) * n
    value = tuple(int(v) for v in value)
    if len(value) == 1:
        return value * n
    if len(value) != n:
        raise RuntimeError(
            f"expected {name} to be a single integer value or a list of {n} values to match the convolution dimensions, but got {name}={list(value)}"
        )
    return value


def _windows(x: ndarray, kernel: tuple, stride: tuple, dilation: tuple, out_hw: tuple) -> ndarray:
    """A read-only (N, C, Ho, Wo, kh, kw) view of every window of the padded input ``x``."""
    n, c = x.shape[:2]
    s_n, s_c, s_h, s_w = x.strides
    return as_strided(
        x,
        (n, c) + tuple(out_hw) + tuple(kernel),
        (s_n, s_c, s_h * stride[0], s_w * stride[1], s_h * dilation[0], s_w * dilation[1]),
        writeable=False,
    )


def _pad4(x: ndarray, pads: tuple, value: float = 0.0) -> ndarray:
    top, bottom, left, right = pads
    if not any(pads):
        return x
    return np.pad(x, ((0, 0), (0, 0), (top, bottom), (left, right)), constant_values=value)


def _as4d(x: ndarray, one_d: bool) -> ndarray:
    return x[:, :, None, :] if one_d else x


# --- the three convolution ops -------------------------------------------------------------------
def _conv_forward(
    x: ndarray,
    w: ndarray,
    b: Any,
    stride: tuple,
    pads: tuple,
    dilation: tuple,
    groups: int,
    out_hw: tuple,
    one_d: bool,
    x_shape: tuple,
    w_shape: tuple,
) -> ndarray:
    x4, w4 = _as4d(x, one_d), _as4d(w, one_d)
    cols = _windows(_pad4(x4, pads), w4.shape[2:], stride, dilation, out_hw)
    if groups == 1:
        out = np.tensordot(cols, w4, axes=([1, 4, 5], [1, 2, 3]))  # (N, Ho, Wo, O)
    else:
        cg, og = w4.shape[1], w4.shape[0] // groups
        out = np.concatenate(
            [
                np.tensordot(cols[:, g * cg : (g + 1) * cg], w4[g * og : (g + 1) * og], axes=([1, 4, 5], [1, 2, 3]))
                for g in range(groups)
            ],
            axis=-1,
        )
    if b is not None:
        out = out + b
    out = out.transpose(0, 3, 1, 2)
    out = np.ascontiguousarray(out[:, :, 0, :] if one_d else out)
    return out.astype(x.dtype, copy=False)


def _conv_grad_input(
    g: ndarray,
    w: ndarray,
    stride: tuple,
    pads: tuple,
    dilation: tuple,
    groups: int,
    out_hw: tuple,
    one_d: bool,
    x_shape: tuple,
    w_shape: tuple,
) -> ndarray:
    g4, w4 = _as4d(g, one_d), _as4d(w, one_d)
    n = g4.shape[0]
    x4_shape = (x_shape[0], x_shape[1], 1, x_shape[2]) if one_d else x_shape
    h_pad = x4_shape[2] + pads[0] + pads[1]
    w_pad = x4_shape[3] + pads[2] + pads[3]
    kh, kw = w4.shape[2:]
    cg, og = w4.shape[1], w4.shape[0] // groups
    grad = np.zeros((n, x4_shape[1], h_pad, w_pad), dtype=np.result_type(g, w))
    ho, wo = out_hw
    for gi in range(groups):
        # (N, Ho, Wo, Cg, kh, kw): each output's cotangent spread over its window
        cols = np.tensordot(g4[:, gi * og : (gi + 1) * og], w4[gi * og : (gi + 1) * og], axes=([1], [0]))
        cols = cols.transpose(0, 3, 4, 5, 1, 2)  # (N, Cg, kh, kw, Ho, Wo)
        target = grad[:, gi * cg : (gi + 1) * cg]
        for i in range(kh):
            r0 = i * dilation[0]
            for j in range(kw):
                c0 = j * dilation[1]
                target[
                    :, :, r0 : r0 + stride[0] * (ho - 1) + 1 : stride[0], c0 : c0 + stride[1] * (wo - 1) + 1 : stride[1]
                ] += cols[:, :, i, j]
    grad = grad[:, :, pads[0] : h_pad - pads[1], pads[2] : w_pad - pads[3]]
    return np.ascontiguousarray(grad[:, :, 0, :] if one_d else grad)


def _conv_grad_weight(
    x: ndarray,
    g: ndarray,
    stride: tuple,
    pads: tuple,
    dilation: tuple,
    groups: int,
    out_hw: tuple,
    one_d: bool,
    x_shape: tuple,
    w_shape: tuple,
) -> ndarray:
    x4, g4 = _as4d(x, one_d), _as4d(g, one_d)
    kernel = (1, w_shape[2]) if one_d else w_shape[2:]
    cols = _windows(_pad4(x4, pads), kernel, stride, dilation, out_hw)
    og = w_shape[0] // groups
    cg = w_shape[1]
    parts = [
        np.tensordot(g4[:, gi * og : (gi + 1) * og], cols[:, gi * cg : (gi + 1) * cg], axes=([0, 2, 3], [0, 2, 3]))
        for gi in range(groups)
    ]
    grad = parts[0] if groups == 1 else np.concatenate(parts, axis=0)
    return (grad[:, :, 0, :] if one_d else grad).astype(np.result_type(x, g), copy=False)


_CONV = defop(
    "nn.convolution",
    "ConvolutionBackward0",
    _conv_forward,
    (
        lambda xp, g, x, w, b, **geo: xp.conv_grad_input(g, w, geo),
        lambda xp, g, x, w, b, **geo: xp.conv_grad_weight(x, g, geo),
        lambda xp, g, x, w, b, **geo: xp.sum(g, (0, 2) if geo["one_d"] else (0, 2, 3)),
    ),
    save=INPUTS,
    jvp=lambda xp, tangents, x, w, b, **geo: _conv_jvp(xp, tangents, x, w, geo),
)


def _conv_jvp(xp: Any, tangents: tuple, x: Any, w: Any, geo: dict, product: str = "conv") -> Any:
    # Bilinear in (x, w), plus the bias broadcast over batch and space. ``product`` names the
    # bilinear map in the xp namespace: the convolution, or (for a transposed convolution,
    # _pool_extra.py) the convolution's input gradient.
    bilinear = getattr(xp, product)
    tx, tw, tb = tangents
    total = None
    for term in (
        bilinear(tx, w, geo) if tx is not None else None,
        bilinear(x, tw, geo) if tw is not None else None,
        xp.reshape(tb, (1, -1, 1) if geo["one_d"] else (1, -1, 1, 1)) if tb is not None else None,
    ):
        if term is not None:
            total = term if total is None else total + term
    return total


_CONV_GRAD_INPUT = defop(
    "nn.convolution_grad_input",
    "ConvolutionBackwardBackward0",
    _conv_grad_input,
    (
        lambda xp, h, g, w, **geo: xp.conv(h, w, geo),
        lambda xp, h, g, w, **geo: xp.conv_grad_weight(h, g, geo),
    ),
    save=INPUTS,
)
_CONV_GRAD_WEIGHT = defop(
    "nn.convolution_grad_weight",
    "ConvolutionBackwardBackward0",
    _conv_grad_weight,
    (
        lambda xp, k, x, g, **geo: xp.conv_grad_input(g, k, geo),
        lambda xp, k, x, g, **geo: xp.conv(x, k, geo),
    ),
    save=INPUTS,
)

_register_vocabulary(
    conv=(lambda x, w, geo: _conv_forward(x, w, None, **geo), lambda x, w, geo: apply(_CONV, (x, w, None), geo)),
    conv_grad_input=(
        lambda g, w, geo: _conv_grad_input(g, w, **geo),
        lambda g, w, geo: apply(_CONV_GRAD_INPUT, (g, w), geo),
    ),
    conv_grad_weight=(
        lambda x, g, geo: _conv_grad_weight(x, g, **geo),
        lambda x, g, geo: apply(_CONV_GRAD_WEIGHT, (x, g), geo),
    ),
)


def _convolution(
    input: Tensor, weight: Tensor, bias: Tensor | None, stride: Any, padding: Any, dilation: Any, groups: int, dims: int
) -> Tensor:
    name = f"conv{dims}d"
    x, w = input._data, weight._data
    if x.ndim == dims + 1:  # unbatched
        out = _convolution(shape.unsqueeze(input, 0), weight, bias, stride, padding, dilation, groups, dims)
        return shape.squeeze(out, 0)
    if x.ndim != dims + 2:
        raise RuntimeError(
            f"Expected {dims + 1}D (unbatched) or {dims + 2}D (batched) input to {name}, but got input of size: {list(x.shape)}"
        )
    if w.ndim != dims + 2:
        raise RuntimeError(f"weight should have {dims + 2} dimensions for {name}, but got {w.ndim}")
    if x.dtype != w.dtype or (bias is not None and bias._data.dtype != x.dtype):
        other = w.dtype if x.dtype != w.dtype else bias._data.dtype
        raise RuntimeError(
            f"Input type ({cpp_type_name(x.dtype)}) and {'weight' if x.dtype != w.dtype else 'bias'} type "
            f"({cpp_type_name(other)}) should be the same"
        )
    if groups <= 0 or x.shape[1] % groups or w.shape[0] % groups:
        raise RuntimeError(
            "non-positive groups is not supported"
            if groups <= 0
            else f"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, but got weight of size {list(w.shape)} instead"
        )
    if x.shape[1] != w.shape[1] * groups:
        raise RuntimeError(
            f"Given groups={groups}, weight of size {list(w.shape)}, expected input{list(x.shape)} to have "
            f"{w.shape[1] * groups} channels, but got {x.shape[1]} channels instead"
        )
    if bias is not None and bias._data.shape != (w.shape[0],):
        raise RuntimeError(
            f"Given weight of size {list(w.shape)}, expected bias to be 1-dimensional with {w.shape[0]} elements, but got bias of size {list(bias._data.shape)} instead"
        )
    stride2 = _pair(stride, dims, "stride")
    dilation2 = _pair(dilation, dims, "dilation")
    kernel = w.shape[2:]
    if isinstance(padding, str):
        if padding == "valid":
            pads = (0, 0) * dims
        elif padding == "same":
            if any(s != 1 for s in stride2):
                raise RuntimeError("padding='same' is not supported for strided convolutions")
            pads = ()
            for k, d in zip(kernel, dilation2):
                total = d * (k - 1)
                pads += (total // 2, total - total // 2)
        else:
            raise RuntimeError(f"Invalid padding string: '{padding}'")
    else:
        pads = tuple(p for p in _pair(padding, dims, "padding") for _ in range(2))
    spatial = x.shape[2:]
    out_hw = []
    padded = []
    for i in range(dims):
        size = spatial[i] + pads[2 * i] + pads[2 * i + 1]
        extent = dilation2[i] * (kernel[i] - 1) + 1
        padded.append(size)
        out_hw.append((size - extent) // stride2[i] + 1)
    if any(p < dilation2[i] * (kernel[i] - 1) + 1 for i, p in enumerate(padded)):
        raise RuntimeError(
            f"Calculated padded input size per channel: ({' x '.join(map(str, padded))}). Kernel size: "
            f"({' x '.join(str(dilation2[i] * (kernel[i] - 1) + 1) for i in range(dims))}). Kernel size can't be greater than actual input size"
        )
    one_d = dims == 1
    geo = {
        "stride": (1,) + stride2 if one_d else stride2,
        "pads": (0, 0) + pads if one_d else pads,
        "dilation": (1,) + dilation2 if one_d else dilation2,
        "groups": groups,
        "out_hw": (1, out_hw[0]) if one_d else tuple(out_hw),
        "one_d": one_d,
        "x_shape": x.shape,
        "w_shape": w.shape,
    }
    return apply(_CONV, (input, weight, bias), geo)


def conv1d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: Any = 1,
    padding: Any = 0,
    dilation: Any = 1,
    groups: int = 1,
) -> Tensor:
    return _convolution(input, weight, bias, stride, padding, dilation, groups, 1)


def conv2d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: Any = 1,
    padding: Any = 0,
    dilation: Any = 1,
    groups: int = 1,
) -> Tensor:
    return _convolution(input, weight, bias, stride, padding, dilation, groups, 2)


# --- pooling ---------------------------------------------------------------------------------
def _pool_geometry(x: ndarray, kernel_size: Any, stride: Any, padding: Any, dilation: Any, ceil_mode: bool) -> tuple:
    kernel = _pair(kernel_size, 2, "kernel_size")
    stride2 = (
        kernel if stride is None or (not isinstance(stride, int) and len(stride) == 0) else _pair(stride, 2, "stride")
    )
    pad2 = _pair(padding, 2, "padding")
    dil2 = _pair(dilation, 2, "dilation")
    if x.ndim not in (3, 4):
        raise RuntimeError("non-empty 3D or 4D (batch mode) tensor expected for input")
    for k, p, d in zip(kernel, pad2, dil2):
        if p > (d * (k - 1) + 1) // 2:
            raise RuntimeError(
                f"pad should be at most half of effective kernel size, but got pad={p}, kernel_size={k} and dilation={d}"
            )
    out, extra = [], []
    for i in range(2):
        size = x.shape[-2 + i]
        span = size + 2 * pad2[i] - dil2[i] * (kernel[i] - 1) - 1
        o = (-(-span // stride2[i]) if ceil_mode else span // stride2[i]) + 1
        if ceil_mode and (o - 1) * stride2[i] >= size + pad2[i]:
            o -= 1
        if o <= 0:
            raise RuntimeError(
                f"Given input size: ({'x'.join(map(str, x.shape[-3:]))}). Calculated output size: "
                f"({x.shape[-3]}x{'x'.join(str(max(v, 0)) for v in out + [o] + [0] * (1 - i))}). Output size is too small"
            )
        out.append(o)
        # rows needed beyond the padded input by the last (ceil_mode) window
        extra.append(max(0, (o - 1) * stride2[i] + dil2[i] * (kernel[i] - 1) + 1 - (size + 2 * pad2[i])))
    return kernel, stride2, pad2, dil2, tuple(out), tuple(extra)


def _max_pool_vjp(xp: Any, g: Any, index: tuple, in_shape: tuple, overlap: bool) -> Any:
    if type(g) is ndarray and not overlap:
        # Windows that do not overlap pick distinct entries: plain assignment, no add.at needed.
        grad = np.zeros(in_shape, dtype=g.dtype)
        grad[index] = g
        return grad
    return xp.index_put_zeros(in_shape, index, g)


_MAX_POOL = defop(
    "nn.max_pool2d",
    "MaxPool2DWithIndicesBackward0",
    lambda x, index, in_shape, overlap: x[index],
    (_max_pool_vjp,),
    jvp="linear",
)


def max_pool2d(
    input: Tensor,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    dilation: Any = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> Any:
    """The window maximum; the gradient goes to the (first) maximal entry. With
    ``return_indices``, also each maximum's flat index in its (H, W) plane."""
    data = input._data
    x = data[None] if data.ndim == 3 else data  # unbatched input: still one node, as in PyTorch
    kernel, stride2, pad2, dil2, out_hw, extra = _pool_geometry(x, kernel_size, stride, padding, dilation, ceil_mode)
    padded = _pad4(x, (pad2[0], pad2[0] + extra[0], pad2[1], pad2[1] + extra[1]), -np.inf)
    windows = _windows(padded, kernel, stride2, dil2, out_hw)
    n, c = x.shape[:2]
    flat = windows.reshape(n, c, out_hw[0], out_hw[1], kernel[0] * kernel[1])
    arg = np.argmax(flat, axis=-1)
    oh = np.arange(out_hw[0])[:, None]
    ow = np.arange(out_hw[1])[None, :]
    rows = oh * stride2[0] + (arg // kernel[1]) * dil2[0] - pad2[0]
    cols = ow * stride2[1] + (arg % kernel[1]) * dil2[1] - pad2[1]
    if data.ndim == 3:
        rows, cols = rows[0], cols[0]
        index = (np.arange(c)[:, None, None], rows, cols)
    else:
        index = (np.arange(n)[:, None, None, None], np.arange(c)[None, :, None, None], rows, cols)
    overlap = any(s < d * (k - 1) + 1 for s, d, k in zip(stride2, dil2, kernel))
    values = apply(_MAX_POOL, (input,), {"index": index, "in_shape": data.shape, "overlap": overlap})
    if return_indices:
        return values, new_tensor((rows * x.shape[3] + cols).astype(np.int64))
    return values


def _avg_divisor(
    x_hw: tuple, kernel: tuple, stride: tuple, pad: tuple, out_hw: tuple, count_include_pad: bool, divisor_override: Any
) -> Any:
    if divisor_override is not None:
        return float(divisor_override)
    sizes = []
    for i in range(2):
        start = np.arange(out_hw[i]) * stride[i] - pad[i]
        end = np.minimum(start + kernel[i], x_hw[i] + pad[i])
        if count_include_pad:
            sizes.append(end - start)
        else:
            sizes.append(np.minimum(end, x_hw[i]) - np.maximum(start, 0))
    return (sizes[0][:, None] * sizes[1][None, :]).astype(np.float64)


def _avg_pool_forward(
    x: ndarray, kernel: tuple, stride: tuple, pads: tuple, out_hw: tuple, divisor: Any, in_shape: tuple
) -> ndarray:
    unbatched = len(in_shape) == 3
    windows = _windows(_pad4(x[None] if unbatched else x, pads), kernel, stride, (1, 1), out_hw)
    out = (windows.sum(axis=(-2, -1)) / divisor).astype(x.dtype, copy=False)
    return out[0] if unbatched else out


def _avg_pool_backward(
    g: ndarray, kernel: tuple, stride: tuple, pads: tuple, out_hw: tuple, divisor: Any, in_shape: tuple
) -> ndarray:
    """Each output's cotangent shared over its window (the adjoint of _avg_pool_forward)."""
    unbatched = len(in_shape) == 3
    n, c, h, w = ((1,) + tuple(in_shape)) if unbatched else in_shape
    g = g[None] if unbatched else g
    hp, wp = h + pads[0] + pads[1], w + pads[2] + pads[3]
    grad = np.zeros((n, c, hp, wp), dtype=g.dtype)
    share = (g / divisor).astype(g.dtype, copy=False)
    ho, wo = out_hw
    for i in range(kernel[0]):
        for j in range(kernel[1]):
            grad[:, :, i : i + stride[0] * (ho - 1) + 1 : stride[0], j : j + stride[1] * (wo - 1) + 1 : stride[1]] += (
                share
            )
    grad = grad[:, :, pads[0] : hp - pads[1], pads[2] : wp - pads[3]]
    return grad[0] if unbatched else grad


_AVG_POOL = defop(
    "nn.avg_pool2d",
    "AvgPool2DBackward0",
    _avg_pool_forward,
    (lambda xp, g, **p: xp.avg_pool2d_backward(g, p),),
    jvp="linear",
)
_AVG_POOL_BACKWARD = defop(
    "nn.avg_pool2d_backward",
    "AvgPool2DBackwardBackward0",
    _avg_pool_backward,
    (lambda xp, h, **p: xp.avg_pool2d(h, p),),
    jvp="linear",
)
_register_vocabulary(
    avg_pool2d=(lambda x, p: _avg_pool_forward(x, **p), lambda x, p: apply(_AVG_POOL, (x,), p)),
    avg_pool2d_backward=(lambda g, p: _avg_pool_backward(g, **p), lambda g, p: apply(_AVG_POOL_BACKWARD, (g,), p)),
)


def avg_pool2d(
    input: Tensor,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override: Any = None,
) -> Tensor:
    x = input._data
    kernel, stride2, pad2, _, out_hw, extra = _pool_geometry(x, kernel_size, stride, padding, 1, ceil_mode)
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    divisor = _avg_divisor(x.shape[-2:], kernel, stride2, pad2, out_hw, count_include_pad, divisor_override)
    params = {
        "kernel": kernel,
        "stride": stride2,
        "pads": (pad2[0], pad2[0] + extra[0], pad2[1], pad2[1] + extra[1]),
        "out_hw": out_hw,
        "divisor": divisor,
        "in_shape": x.shape,
    }
    return apply(_AVG_POOL, (input,), params)


# --- pad ---------------------------------------------------------------------------------------
def _constant_pad(x: ndarray, pads: tuple, value: float) -> ndarray:
    """pads: (before, after) per dim for all dims; negative amounts crop."""
    crop = tuple(slice(max(-b, 0), x.shape[d] - max(-a, 0)) for d, (b, a) in enumerate(pads))
    x = x[crop]
    widths = tuple((max(b, 0), max(a, 0)) for b, a in pads)
    return np.pad(x, widths, constant_values=value) if any(b or a for b, a in widths) else x.copy()


_CONSTANT_PAD = defop(
    "nn.constant_pad_nd",
    "ConstantPadNdBackward0",
    _constant_pad,
    (lambda xp, g, pads, value: xp.constant_pad(g, tuple((-b, -a) for b, a in pads)),),
    jvp=lambda xp, tangents, pads, value: xp.constant_pad(tangents[0], pads),  # pads with 0, not value
)
_register_vocabulary(
    constant_pad=(
        lambda g, pads: _constant_pad(g, pads, 0.0),
        lambda g, pads: apply(_CONSTANT_PAD, (g,), {"pads": pads, "value": 0.0}),
    ),
)
_GATHER_PAD_OPS: dict[str, Any] = {}


def _gather_pad_op(grad_fn: str) -> Any:
    op = _GATHER_PAD_OPS.get(grad_fn)
    if op is None:
        op = _GATHER_PAD_OPS[grad_fn] = defop(
            f"nn.pad[{grad_fn}]",
            grad_fn,
            lambda x, index, in_shape: x[index],
            (lambda xp, g, index, in_shape: xp.index_put_zeros(in_shape, index, g),),
            jvp="linear",
        )
    return op


def pad(input: Tensor, pad: Sequence[int], mode: str = "constant", value: float | None = None) -> Tensor:
    """Pads the last len(pad)//2 dims, last dim first: (left, right, top, bottom, ...).
    Modes 'constant' (negative amounts crop), 'reflect', 'replicate', 'circular'."""
    pad = tuple(int(p) for p in pad)
    x = input._data
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    k = len(pad) // 2
    if k > x.ndim:
        raise RuntimeError(
            f"Padding length should be less than or equal to two times the input dimension but got padding length "
            f"{len(pad)} and input of dimension {x.ndim}"
        )
    per_dim = [(0, 0)] * (x.ndim - k) + [(pad[2 * (k - 1 - i)], pad[2 * (k - 1 - i) + 1]) for i in range(k)]
    if mode == "constant":
        for d, (b, a) in enumerate(per_dim):
            if x.shape[d] + b + a < 0:
                raise RuntimeError(
                    f"The input size {x.shape[d]}, plus negative padding {b} and {a} resulted in a negative output "
                    f"size, which is invalid. Check dimension {d} of your input."
                )
        return apply(_CONSTANT_PAD, (input,), {"pads": tuple(per_dim), "value": 0.0 if value is None else value})
    if mode not in ("reflect", "replicate", "circular"):
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    if value:
        raise ValueError(f'Padding mode "{mode}" doesn\'t take in value argument.')
    if not (k + 1 <= x.ndim <= k + 2) or k > 3:
        raise NotImplementedError(f"Padding size {len(pad)} is not supported for {x.ndim}D input tensor.")
    np_mode = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}[mode]
    index = []
    for d, (b, a) in enumerate(per_dim[x.ndim - k :], start=x.ndim - k):
        size = x.shape[d]
        if mode == "reflect" and (b >= size or a >= size):
            raise RuntimeError(
                f"Argument #4: Padding size should be less than the corresponding input dimension, but got: "
                f"padding ({b}, {a}) at dimension {d} of input {list(x.shape)}"
            )
        if mode == "circular" and (b > size or a > size):
            raise RuntimeError("Padding value causes wrapping around more than once.")
        index.append(np.pad(np.arange(size), (b, a), mode=np_mode))
    grids = np.ix_(*index)
    full_index = (slice(None),) * (x.ndim - k) + tuple(grids)
    grad_fn = {"reflect": f"ReflectionPad{k}DBackward0", "replicate": f"ReplicationPad{k}DBackward0"}.get(
        mode, "CopySlices"
    )
    return apply(_gather_pad_op(grad_fn), (input,), {"index": full_index, "in_shape": x.shape})


__all__ = ["conv1d", "conv2d", "max_pool2d", "avg_pool2d", "pad"]
