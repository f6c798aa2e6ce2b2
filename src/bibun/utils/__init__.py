"""bibun.utils: utilities with PyTorch's names (``bibun.utils.checkpoint``)."""

from bibun.utils import checkpoint

__all__ = ["checkpoint"]
