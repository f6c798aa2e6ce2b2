"""The nn functions PyTorch also offers at top level (``torch.softmax``, ``torch.conv2d``, ...)
with the top-level signatures; bibun.ops re-exports them, so they are ``bibun.softmax`` etc."""

from __future__ import annotations

from typing import Any

from bibun._tensor import Tensor
from bibun.nn import _activation, _conv, _layers


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

__all__ = [
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
