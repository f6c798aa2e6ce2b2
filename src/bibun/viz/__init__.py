"""Seeing autograd: ``make_dot`` draws the graph behind a tensor (torchviz's conventions,
rendered with pip alone), ``explain`` prints the derivation of a function step by step in
forward and reverse mode (docs/viz.md)."""

from bibun.viz.digraph import DotGraph
from bibun.viz.dot import make_dot
from bibun.viz.explain import Explanation, explain
from bibun.viz.parser import ExpressionError
from bibun.viz.render import RendererNotFoundError

__all__ = ["DotGraph", "Explanation", "ExpressionError", "RendererNotFoundError", "explain", "make_dot"]
