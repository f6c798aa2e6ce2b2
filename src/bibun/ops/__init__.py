"""The op table, by family, and the Tensor-side array namespace for create_graph rules."""

from __future__ import annotations

from typing import Any

from bibun.nn._toplevel import *  # noqa: F403 - torch.softmax, torch.conv2d, ...: declared in bibun.nn
from bibun.nn._toplevel import __all__ as _nn_toplevel_all
from bibun.ops import _xp
from bibun.ops._registry import OPS, apply, defop
from bibun.ops.binary import *  # noqa: F403
from bibun.ops.binary import __all__ as _binary_all
from bibun.ops.combining import *  # noqa: F403
from bibun.ops.combining import __all__ as _combining_all
from bibun.ops.comparison import *  # noqa: F403
from bibun.ops.comparison import __all__ as _comparison_all
from bibun.ops.counting import *  # noqa: F403
from bibun.ops.counting import __all__ as _counting_all
from bibun.ops.elementwise import *  # noqa: F403
from bibun.ops.elementwise import __all__ as _elementwise_all
from bibun.ops.elementwise_extra import *  # noqa: F403
from bibun.ops.elementwise_extra import __all__ as _elementwise_extra_all
from bibun.ops.gamma import *  # noqa: F403
from bibun.ops.gamma import __all__ as _gamma_all
from bibun.ops.indexing import *  # noqa: F403
from bibun.ops.indexing import __all__ as _indexing_all
from bibun.ops.layout import *  # noqa: F403
from bibun.ops.layout import __all__ as _layout_all
from bibun.ops.linalg import *  # noqa: F403
from bibun.ops.linalg import __all__ as _linalg_all
from bibun.ops.linalg_decomp import *  # noqa: F403
from bibun.ops.linalg_decomp import __all__ as _linalg_decomp_all
from bibun.ops.linalg_extra import *  # noqa: F403
from bibun.ops.linalg_extra import __all__ as _linalg_extra_all
from bibun.ops.products import *  # noqa: F403
from bibun.ops.products import __all__ as _products_all
from bibun.ops.reduction import *  # noqa: F403
from bibun.ops.reduction import __all__ as _reduction_all
from bibun.ops.scan import *  # noqa: F403
from bibun.ops.scan import __all__ as _scan_all
from bibun.ops.scatter_reduce import *  # noqa: F403
from bibun.ops.scatter_reduce import __all__ as _scatter_reduce_all
from bibun.ops.shape import *  # noqa: F403
from bibun.ops.shape import __all__ as _shape_all
from bibun.ops.shape import getitem, index_put_zeros, normalize_dim, normalize_dims, to_dtype
from bibun.ops.shape_extra import *  # noqa: F403
from bibun.ops.shape_extra import __all__ as _shape_extra_all
from bibun.ops.sorting import *  # noqa: F403
from bibun.ops.sorting import __all__ as _sorting_all
from bibun.ops.special_ops import *  # noqa: F403
from bibun.ops.special_ops import __all__ as _special_ops_all
from bibun.ops.statistics import *  # noqa: F403
from bibun.ops.statistics import __all__ as _statistics_all
from bibun.ops.unary import *  # noqa: F403
from bibun.ops.unary import __all__ as _unary_all

__all__ = [*_elementwise_all, *_linalg_all, *_linalg_decomp_all, *_reduction_all, *_shape_all, *_nn_toplevel_all]
__all__ += [*_unary_all, *_binary_all, *_statistics_all, *_scan_all, *_layout_all, *_indexing_all]
__all__ += [
    *_combining_all,
    *_comparison_all,
    *_counting_all,
    *_products_all,
    *_sorting_all,
    *_scatter_reduce_all,
    *_gamma_all,
    *_special_ops_all,
    *_elementwise_extra_all,
    *_shape_extra_all,
    *_linalg_extra_all,
]


def _sum(x: Any, dim: Any = None, keepdim: bool = False) -> Any:
    return sum(x, dim, keepdim)  # noqa: F405


def _permute(x: Any, axes: Any) -> Any:
    return permute(x, tuple(range(x.ndim))[::-1] if axes is None else axes)  # noqa: F405


def _where(cond: Any, a: Any, b: Any) -> Any:
    return where(cond, a, b)  # noqa: F405


def _zeros_like(x: Any) -> Any:
    return x * 0


# The Tensor-side namespace: the same names as _xp.NUMPY, each a recorded bibun op.
_xp.TENSOR.__dict__.update(
    exp=exp,
    log=log,
    sin=sin,
    cos=cos,
    tan=tan,
    tanh=tanh,
    sqrt=sqrt,
    abs=abs,
    sign=sign,  # noqa: F405
    sigmoid=sigmoid,
    where=_where,
    sum_to=sum_to_size,
    broadcast_to=broadcast_to,
    reshape=reshape,  # noqa: F405
    permute=_permute,
    swapaxes=transpose,
    matmul=matmul,
    sum=_sum,
    zeros_like=_zeros_like,  # noqa: F405
    astype=to_dtype,
    index_put_zeros=index_put_zeros,
    maximum=maximum,
    sinh=sinh,  # noqa: F405
    cosh=cosh,  # noqa: F405
    floor=floor,  # noqa: F405
    trunc=trunc,  # noqa: F405
    prod=lambda x, dim=None, keepdim=False: prod(x, dim, keepdim),  # noqa: F405
    cumsum=cumsum,  # noqa: F405
    cumprod=cumprod,  # noqa: F405
    flip=flip,  # noqa: F405
    getitem=getitem,
)
_ = (OPS, apply, defop, getitem, normalize_dim, normalize_dims)

# Bind add_, mul_, copy_, __setitem__, +=, ... (inplace) and the other in-place twins and the
# random fills (inplace_methods) to Tensor.
from bibun.ops import inplace, inplace_methods  # noqa: E402, F401
