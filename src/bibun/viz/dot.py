"""``make_dot``: the autograd graph as a Graphviz picture, with torchviz's signature and
conventions, so the tutorial's ``make_dot(z)`` draws the same graph.

Conventions (torchviz's): function nodes grey, labelled with the grad_fn name; leaf tensors
that require grad light blue, reached through their ``AccumulateGrad`` node; the outputs
green (a view's base dark green, joined by a dotted edge); saved tensors orange
(``show_saved``); a node's saved non-tensor values listed under its name (``show_attrs``).
The walk is iterative, in torchviz's order, so a graph of any depth draws without a
recursion error (docs/viz.md, "make_dot")."""

from __future__ import annotations

from collections import deque
from typing import Any

import numpy as np

from bibun._tensor import Tensor
from bibun.autograd.graph import FREED, SavedOutput
from bibun.viz.digraph import DotGraph

# torchviz's node style, with Courier: Graphviz measures its text correctly everywhere, where
# "monospace" is sized with another font's metrics and overflows the boxes.
NODE_ATTR = {
    "style": "filled",
    "shape": "box",
    "align": "left",
    "fontsize": "10",
    "ranksep": "0.1",
    "height": "0.2",
    "fontname": "Courier",
}
LEAF_COLOR = "lightblue"
OUTPUT_COLOR = "darkolivegreen1"
BASE_COLOR = "darkolivegreen3"
SAVED_COLOR = "orange"

# PyTorch's names for saved values (its ``_saved_<name>`` attributes), where they are not the
# usual ``self``/``other``/``result``.
_SAVED_NAMES = {
    "pow": ("self",),
    "pow_tensor": ("self", "exponent", "result"),
    "rpow": ("result",),
    "mul_scalar": ("other",),
    "div_scalar": ("other",),
    "clamp": ("self", "min", "max"),
    "where": ("condition",),
}
_INPUT_NAMES = ("self", "other")


def saved_items(fn: Any) -> list[tuple[str, Any]]:
    """A node's saved values as ``(name, value)`` pairs, named as PyTorch names them; empty
    once backward has freed them."""
    saved = getattr(fn, "_saved", ())
    if saved is FREED or not saved:
        return []
    op = getattr(fn, "_op", None)
    names: tuple[str, ...] = ()
    if op is not None:
        names = _SAVED_NAMES.get(op.name, ())
        if not names:
            n_out = sum(1 for v in saved if type(v) is SavedOutput)
            n_in = len(saved) - n_out
            if op.save in ("inputs", "inputs+output", "output"):
                inputs = _INPUT_NAMES[:n_in] if n_in <= 2 else tuple(f"input{i}" for i in range(n_in))
                outputs = ("result",) if n_out == 1 else tuple(f"result{i}" for i in range(n_out))
                names = inputs + outputs
    if len(names) != len(saved):
        names = tuple(f"saved{i}" for i in range(len(saved)))
    return list(zip(names, saved))


def _is_array_like(value: Any) -> bool:
    return isinstance(value, (Tensor, SavedOutput, np.ndarray))


def _is_custom_function(fn: Any) -> bool:
    """A node made by a custom ``autograd.Function`` (it has ``ctx.saved_tensors``)."""
    return getattr(fn, "_op", None) is None and hasattr(type(fn), "saved_tensors")


def _is_packed(value: Any) -> bool:
    """A value saved through ``saved_tensors_hooks``: a tensor, but only its unpack hook
    (user code, maybe with side effects) could say which, so it is listed, not drawn."""
    return hasattr(value, "unpack_hook")


def _shape(value: Any) -> tuple:
    if isinstance(value, Tensor):
        return value._data.shape
    if type(value) is SavedOutput:
        return value.data.shape
    return np.shape(value)


def size_to_str(shape: tuple) -> str:
    return "(" + ", ".join(str(int(v)) for v in shape) + ")"


def format_values(data: np.ndarray) -> str:
    """A small tensor's values as one short line; a large one as its range."""
    data = np.asarray(data)
    if data.size <= 16:
        return np.array2string(data, precision=4, separator=", ", max_line_width=60).replace("\n", "")
    return f"{data.size} values in [{np.min(data):.4g}, {np.max(data):.4g}]"


def fn_label(fn: Any, show_attrs: bool, max_attr_chars: int) -> str:
    """The function node's label: its name, and with ``show_attrs`` a table of its saved
    values and parameters laid out as torchviz lays out ``_saved_*`` attributes."""
    name = type(fn).__name__
    if not show_attrs:
        return name
    attrs: dict[str, str] = {}
    for key, value in saved_items(fn):
        attrs[key] = "[saved tensor]" if _is_array_like(value) or _is_packed(value) else str(value)
    for key, value in (getattr(fn, "_params", None) or {}).items():
        attrs[key] = str(value)
    if not attrs:
        return name
    attrs = dict(sorted(attrs.items()))
    max_attr_chars = max(max_attr_chars, 3)
    col1 = max(len(k) for k in attrs)
    col2 = min(max(len(v) for v in attrs.values()), max_attr_chars)
    sep = "-" * max(col1 + col2 + 2, len(name))

    def truncate(s: str) -> str:
        return s[: col2 - 3] + "..." if len(s) > col2 else s

    rows = "\n".join(f"{k:<{col1}}: {truncate(v):>{col2}}" for k, v in attrs.items())
    return name + "\n" + sep + "\n" + rows


class _Drawer:
    """One make_dot call's state: deterministic node ids (numbered in the order first met)
    and what has been drawn."""

    def __init__(self, dot: DotGraph, param_map: dict[int, str], show_attrs: bool, show_saved: bool, **opts: Any):
        self.dot = dot
        self.param_map = param_map
        self.show_attrs = show_attrs
        self.show_saved = show_saved
        self.max_attr_chars = opts["max_attr_chars"]
        self.show_values = opts["show_values"]
        self.hidden: set[int] = opts["hidden"]
        self.hidden_count: int = opts["hidden_count"]
        self.max_depth = opts["max_depth"]
        self._ids: dict[int, str] = {}
        self._keep: list[Any] = []  # objects whose id() names a node stay alive while drawing
        self._count = 0
        self.seen: set[int] = set()
        self._summary: str | None = None
        self._summarised: set[int] = set()

    def id_of(self, obj: Any) -> str:
        key = id(obj)
        got = self._ids.get(key)
        if got is None:
            got = self._ids[key] = self.fresh_id()
            self._keep.append(obj)
        return got

    def fresh_id(self) -> str:
        self._count += 1
        return str(self._count)

    def tensor_label(self, value: Any, name: str | None = None) -> str:
        if not name and isinstance(value, Tensor):
            name = self.param_map.get(id(value), "")
        label = f"{name or ''}\n {size_to_str(_shape(value))}"
        if self.show_values:
            data = value._data if isinstance(value, Tensor) else value.data if type(value) is SavedOutput else value
            label += "\nvalue " + format_values(data)
            grad = value._grad if isinstance(value, Tensor) else None
            if grad is not None:
                label += "\ngrad  " + format_values(grad._data)
        return label

    def visit(self, fn: Any) -> bool:
        """Draw one function node (and its saved values and leaf); False if already drawn."""
        key = id(fn)
        if key in self.seen:
            return False
        self.seen.add(key)
        dot, fid = self.dot, self.id_of(fn)
        if self.show_saved and not _is_custom_function(fn):
            # Alphabetical, as torchviz meets PyTorch's ``_saved_*`` attributes through dir().
            for name, value in sorted(saved_items(fn), key=lambda item: item[0]):
                if not _is_array_like(value):
                    continue
                # A leaf is one tensor wherever it appears (as in PyTorch, whose saved leaf is
                # the same object); any other saved value gets its own node per slot.
                is_leaf = isinstance(value, Tensor) and value._grad_fn is None
                vid = self.id_of(value) if is_leaf else self.fresh_id()
                if is_leaf:
                    self.seen.add(id(value))
                dot.edge(fid, vid, dir="none")
                dot.node(vid, self.tensor_label(value, name), fillcolor=SAVED_COLOR)
        variable = getattr(fn, "variable", None)
        if variable is not None:
            self.seen.add(id(variable))
            dot.node(self.id_of(variable), self.tensor_label(variable), fillcolor=LEAF_COLOR)
            dot.edge(self.id_of(variable), fid)
        dot.node(fid, fn_label(fn, self.show_attrs, self.max_attr_chars))
        return True

    def walk(self, root: Any) -> None:
        """torchviz's depth-first order, with an explicit stack instead of recursion."""
        if not self.visit(root):
            return
        stack = [(root, iter(root.next_functions))]
        while stack:
            fn, edges = stack[-1]
            for u, _ in edges:
                if u is None:
                    continue
                if id(u) in self.hidden:
                    self.summarise_into(fn)
                    continue
                self.dot.edge(self.id_of(u), self.id_of(fn))
                if self.visit(u):
                    stack.append((u, iter(u.next_functions)))
                    break
            else:
                stack.pop()
                if _is_custom_function(fn):
                    self.add_custom_saved(fn)

    def add_custom_saved(self, fn: Any) -> None:
        """A custom Function's ``ctx.saved_tensors``, which torchviz always draws (after the
        node's inputs, unnamed, with an undirected edge into the node)."""
        if getattr(fn, "_saved", ()) is FREED:
            return
        try:
            saved = fn.saved_tensors
        except RuntimeError:
            return
        for t in saved:
            if not isinstance(t, Tensor):
                continue
            self.seen.add(id(t))
            tid = self.id_of(t)
            self.dot.edge(tid, self.id_of(fn), dir="none")
            self.dot.node(tid, self.tensor_label(t), fillcolor=SAVED_COLOR)

    def summary_node(self) -> str:
        """The one node that stands for everything deeper than ``max_depth``."""
        if self._summary is None:
            self._summary = self.fresh_id()
            self.dot.node(
                self._summary,
                f"... {self.hidden_count} more nodes\n(deeper than max_depth={self.max_depth})",
                style="filled,dashed",
                fillcolor="white",
            )
        return self._summary

    def summarise_into(self, fn: Any) -> None:
        if id(fn) not in self._summarised:
            self._summarised.add(id(fn))
            self.dot.edge(self.summary_node(), self.id_of(fn), style="dashed")

    def add_output(self, var: Tensor) -> None:
        """torchviz's ``add_base_tensor``: the tensor, its graph, and for a view its base
        (dark green) joined by a dotted edge. A loop: a view's base is never a view here."""
        color = OUTPUT_COLOR
        views = []
        while id(var) not in self.seen:
            self.seen.add(id(var))
            vid = self.id_of(var)
            self.dot.node(vid, self.tensor_label(var), fillcolor=color)
            fn = var._grad_fn
            if fn is not None:
                if id(fn) in self.hidden:
                    self.dot.edge(self.summary_node(), vid, style="dashed")
                else:
                    self.walk(fn)
                    self.dot.edge(self.id_of(fn), vid)
            if var._base is None:
                break
            views.append(var)
            var, color = var._base, BASE_COLOR
        for view in reversed(views):
            self.dot.edge(self.id_of(view._base), self.id_of(view), style="dotted")


def _depth_cut(roots: list[Any], max_depth: int) -> tuple[set[int], int]:
    """Breadth-first distances from the outputs' grad_fns: the ids of nodes deeper than
    ``max_depth`` (hidden behind one summary node) and how many there are."""
    depth = {id(r): 0 for r in roots}
    queue = deque(roots)
    hidden: set[int] = set()
    while queue:
        fn = queue.popleft()
        d = depth[id(fn)]
        if d > max_depth:
            hidden.add(id(fn))
        for u, _ in fn.next_functions:
            if u is not None and id(u) not in depth:
                depth[id(u)] = d + 1
                queue.append(u)
    return hidden, len(hidden)


def make_dot(
    var: Tensor | tuple[Tensor, ...] | list[Tensor],
    params: dict[str, Tensor] | None = None,
    show_attrs: bool = False,
    show_saved: bool = False,
    max_attr_chars: int = 50,
    *,
    show_values: bool = False,
    max_depth: int | None = None,
) -> DotGraph:
    """The autograd graph behind ``var`` (a tensor or a tuple of tensors) as a DotGraph.

    ``params`` names leaf tensors (``dict(model.named_parameters())`` or ``{"x1": x1}``);
    ``show_saved`` draws the tensors each node saved for backward; ``show_attrs`` lists its
    saved non-tensor values and parameters, each cut to ``max_attr_chars``. Beyond torchviz:
    ``show_values`` writes each tensor's values (and ``.grad`` when set) in its node, and
    ``max_depth`` draws only the nodes within that many steps of the outputs, the rest
    replaced by one summary node."""
    outputs = tuple(var) if isinstance(var, (tuple, list)) else (var,)
    for out in outputs:
        if not isinstance(out, Tensor):
            raise TypeError(f"make_dot expects a Tensor or a tuple of Tensors, got {type(out).__name__}")
    param_map: dict[int, str] = {}
    if params is not None:
        for name, p in params.items():
            if not isinstance(p, Tensor):
                raise TypeError(f"params[{name!r}] is a {type(p).__name__}, not a Tensor")
            param_map[id(p)] = name
    if max_depth is not None and max_depth < 0:
        raise ValueError(f"max_depth must be non-negative, got {max_depth}")
    hidden: set[int] = set()
    hidden_count = 0
    if max_depth is not None:
        roots = [out._grad_fn for out in outputs if out._grad_fn is not None]
        hidden, hidden_count = _depth_cut(roots, max_depth)
    dot = DotGraph(graph_attr={"size": "12,12"}, node_attr=NODE_ATTR)
    drawer = _Drawer(
        dot,
        param_map,
        show_attrs,
        show_saved,
        max_attr_chars=max_attr_chars,
        show_values=show_values,
        hidden=hidden,
        hidden_count=hidden_count,
        max_depth=max_depth,
    )
    for out in outputs:
        drawer.add_output(out)
    _resize(dot)
    return dot


def _resize(dot: DotGraph, size_per_element: float = 0.15, min_size: int = 12) -> None:
    """torchviz's sizing: the drawing's bound grows with the number of statements."""
    size = max(min_size, len(dot.statements) * size_per_element)
    dot.graph_attr["size"] = f"{size},{size}"
