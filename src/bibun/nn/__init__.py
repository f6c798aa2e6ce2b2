"""``bibun.nn``: the functional interface (``bibun.nn.functional``, docs/nn.md)."""

from bibun.nn import functional

__all__ = ["functional"]
