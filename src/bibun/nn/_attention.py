"""scaled_dot_product_attention (docs/nn.md, "Attention and pooling extras").

On the CPU, with inputs that require grad, PyTorch runs its math path: a composite of
matmul, add, softmax and dropout, so the result's grad_fn is the last matmul's
(UnsafeViewBackward0 for batched inputs). Composing the same ops here records the same graph,
and second order and forward mode come from the parts."""

from __future__ import annotations

import math

import numpy as np

from bibun._dtype import cpp_type_name
from bibun._tensor import Tensor, new_tensor


def scaled_dot_product_attention(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    attn_mask: Tensor | None = None,
    dropout_p: float = 0.0,
    is_causal: bool = False,
    scale: float | None = None,
    enable_gqa: bool = False,
) -> Tensor:
    """softmax(Q Kᵀ · scale + mask) V over the last two dims; a bool mask keeps True entries."""
    import bibun
    from bibun.nn import functional as F

    q, k, v = query._data, key._data, value._data
    if not (q.dtype == k.dtype == v.dtype):
        raise RuntimeError(
            "Expected query, key, and value to have the same dtype, but got query.dtype: "
            f"{cpp_type_name(q.dtype)} key.dtype: {cpp_type_name(k.dtype)} and value.dtype: {cpp_type_name(v.dtype)} instead."
        )
    if is_causal and attn_mask is not None:
        raise RuntimeError("_scaled_dot_product_attention: Explicit attn_mask should not be set when is_causal=True")
    if attn_mask is not None and attn_mask._data.dtype != np.bool_ and attn_mask._data.dtype != q.dtype:
        raise RuntimeError(
            f"Expected attn_mask dtype to be bool or float or to match query dtype, but got attn_mask.dtype: "
            f"{cpp_type_name(attn_mask._data.dtype)} and  query.dtype: {cpp_type_name(q.dtype)} instead."
        )
    length, source = q.shape[-2], k.shape[-2]
    # PyTorch scales q and k by sqrt(scale) each before the product, for stability.
    factor = math.sqrt(abs(scale) if scale is not None else 1.0 / math.sqrt(q.shape[-1]))
    q_scaled = query * (-factor if scale is not None and scale < 0 else factor)
    mask = None
    if is_causal:
        mask = np.tril(np.ones((length, source), dtype=np.bool_))
    elif attn_mask is not None:
        mask = attn_mask._data if attn_mask._data.dtype == np.bool_ else attn_mask
    if isinstance(mask, np.ndarray):  # bool: kept entries add 0, the others -inf
        mask = new_tensor(np.where(mask, 0.0, -np.inf).astype(q.dtype))
    if enable_gqa and q.ndim >= 3 and k.shape[-3] != q.shape[-3]:
        if q.shape[-3] % k.shape[-3] or q.shape[-3] % v.shape[-3]:
            raise RuntimeError("Number of heads in key and value must divide the number of heads in query")
        key = key.repeat_interleave(q.shape[-3] // k.shape[-3], -3)
        value = value.repeat_interleave(q.shape[-3] // v.shape[-3], -3)
    attn = bibun.matmul(q_scaled, key.transpose(-2, -1) * factor)
    if mask is not None:
        attn = attn + mask
    # PyTorch's _safe_softmax: a row with every entry masked gives zeros, not NaN.
    dead = np.isneginf(attn._data).all(axis=-1, keepdims=True)
    if dead.any():
        dead_t = new_tensor(np.broadcast_to(dead, attn._data.shape).copy())
        attn = bibun.where(dead_t, 0.0, attn).softmax(-1).masked_fill(dead_t, 0.0)
    else:
        attn = attn.softmax(-1)
    if dropout_p > 0.0:
        attn = F.dropout(attn, dropout_p, training=True)
    return bibun.matmul(attn, value)


__all__: list[str] = ["scaled_dot_product_attention"]
