"""The nn functions PyTorch also offers at top level (``torch.softmax``, ``torch.conv2d``, ...)
with the top-level signatures; bibun.ops re-exports them, so they are ``bibun.softmax`` etc."""

from __future__ import annotations

from typing import Any

from bibun._tensor import Tensor
from bibun.nn import _activation, _activation_extra, _conv, _layers, _loss_extra, _pool_extra


def softmax(input: Tensor, dim: int, dtype: Any = None) -> Tensor:
    return _activation.softmax(input, dim, dtype=dtype)


def log_softmax(input: Tensor, dim: int, dtype: Any = None) -> Tensor:
    return _activation.log_softmax(input, dim, dtype=dtype)


def dropout(input: Tensor, p: float, train: bool) -> Tensor:
    return _layers.dropout(input, p, train)


selu = _activation.selu
celu = _activation.celu
conv1d = _conv.conv1d
conv2d = _conv.conv2d
max_pool2d = _conv.max_pool2d
layer_norm = _layers.layer_norm
bilinear = _layers.bilinear
cosine_similarity = _layers.cosine_similarity


def group_norm(
    input: Tensor,
    num_groups: int,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
    cudnn_enabled: bool = True,
) -> Tensor:
    return _activation_extra.group_norm(input, num_groups, weight, bias, eps)


def max_pool1d(
    input: Tensor, kernel_size: Any, stride: Any = (), padding: Any = 0, dilation: Any = 1, ceil_mode: bool = False
) -> Tensor:
    return _pool_extra.max_pool1d(input, kernel_size, stride or None, padding, dilation, ceil_mode)


def rrelu(
    input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False, generator: Any = None
) -> Tensor:
    return _activation_extra.rrelu(input, lower, upper, training)


# The same signatures at top level as in nn.functional.
hardshrink = _activation_extra.hardshrink
threshold = _activation_extra.threshold
threshold_ = _activation_extra.threshold_
prelu = _activation_extra.prelu
rrelu_ = _activation_extra.rrelu_
selu_ = _activation_extra.selu_
celu_ = _activation_extra.celu_
rms_norm = _activation_extra.rms_norm
pairwise_distance = _loss_extra.pairwise_distance
pdist = _loss_extra.pdist
pixel_shuffle = _pool_extra.pixel_shuffle
pixel_unshuffle = _pool_extra.pixel_unshuffle
adaptive_avg_pool1d = _pool_extra.adaptive_avg_pool1d
avg_pool1d = _pool_extra.avg_pool1d
conv_transpose1d = _pool_extra.conv_transpose1d
conv_transpose2d = _pool_extra.conv_transpose2d

__all__ = [
    "group_norm",
    "max_pool1d",
    "rrelu",
    "hardshrink",
    "threshold",
    "threshold_",
    "prelu",
    "rrelu_",
    "selu_",
    "celu_",
    "rms_norm",
    "pairwise_distance",
    "pdist",
    "pixel_shuffle",
    "pixel_unshuffle",
    "adaptive_avg_pool1d",
    "avg_pool1d",
    "conv_transpose1d",
    "conv_transpose2d",
    "softmax",
    "log_softmax",
    "dropout",
    "selu",
    "celu",
    "conv1d",
    "conv2d",
    "max_pool2d",
    "layer_norm",
    "bilinear",
    "cosine_similarity",
]
