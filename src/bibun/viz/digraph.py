"""The graph object ``make_dot`` and ``explain`` return: DOT text plus rendering, saving and
Jupyter display, with the surface of the ``graphviz`` package's ``Digraph`` that torchviz
users touch (``.source``, ``.render()``, ``.pipe()``, ``.save()``, ``.format``, ``.body``).
It needs no Python package beyond NumPy; rendering finds a Graphviz program (render.py)."""

from __future__ import annotations

import os
import re
from typing import Any

from bibun.viz import render as _render

_PLAIN_ID = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$|^-?(\.[0-9]+|[0-9]+(\.[0-9]*)?)$")

# Inline display renders through a subprocess; past this size the layout takes too long
# for a notebook cell, so the repr says how to draw it instead (docs/viz.md, "Big graphs").
DISPLAY_MAX_NODES = 3000
DISPLAY_TIMEOUT_S = 60.0


def quote(value: Any) -> str:
    """A DOT ID: bare when it is a plain name or number, else double-quoted with ``\\``,
    ``"`` and newlines escaped (Graphviz turns ``\\n`` back into a line break)."""
    text = str(value)
    if _PLAIN_ID.match(text):
        return text
    text = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{text}"'


def _attr_list(attrs: dict[str, Any]) -> str:
    return " ".join(f"{k}={quote(v)}" for k, v in attrs.items() if v is not None)


class DotGraph:
    """A directed graph: nodes and edges in insertion order, attributes as in Graphviz."""

    def __init__(
        self,
        graph_attr: dict[str, Any] | None = None,
        node_attr: dict[str, Any] | None = None,
        edge_attr: dict[str, Any] | None = None,
        format: str = "svg",
    ) -> None:
        self.graph_attr: dict[str, Any] = dict(graph_attr or {})
        self.node_attr: dict[str, Any] = dict(node_attr or {})
        self.edge_attr: dict[str, Any] = dict(edge_attr or {})
        self.format = format
        # ("node", id, attrs) or ("edge", tail, head, attrs); attrs keep their insertion order.
        self.statements: list[tuple] = []
        self.num_nodes = 0  # distinct node ids, counted as they are first declared
        self._node_ids: set[str] = set()

    # --- building ---------------------------------------------------------------------------
    def node(self, name: str, label: str | None = None, **attrs: Any) -> None:
        if label is not None:
            attrs = {"label": label, **attrs}
        if name not in self._node_ids:
            self._node_ids.add(name)
            self.num_nodes += 1
        self.statements.append(("node", name, attrs))

    def edge(self, tail: str, head: str, **attrs: Any) -> None:
        self.statements.append(("edge", tail, head, attrs))

    @property
    def num_edges(self) -> int:
        return sum(1 for s in self.statements if s[0] == "edge")

    # --- DOT text ---------------------------------------------------------------------------
    @property
    def body(self) -> list[str]:
        lines = []
        for s in self.statements:
            if s[0] == "node":
                attrs = _attr_list(s[2])
                lines.append(f"\t{quote(s[1])} [{attrs}]\n" if attrs else f"\t{quote(s[1])}\n")
            else:
                attrs = _attr_list(s[3])
                edge = f"{quote(s[1])} -> {quote(s[2])}"
                lines.append(f"\t{edge} [{attrs}]\n" if attrs else f"\t{edge}\n")
        return lines

    @property
    def source(self) -> str:
        head = ["digraph {\n"]
        for keyword, attrs in (("graph", self.graph_attr), ("node", self.node_attr), ("edge", self.edge_attr)):
            if attrs:
                head.append(f"\t{keyword} [{_attr_list(attrs)}]\n")
        return "".join(head + self.body) + "}\n"

    def __str__(self) -> str:
        return self.source

    def __repr__(self) -> str:
        return f"<bibun.viz.DotGraph: {self.num_nodes} nodes, {self.num_edges} edges>"

    # --- rendering --------------------------------------------------------------------------
    def pipe(self, format: str | None = None, encoding: str | None = None) -> Any:
        """The rendered graph as bytes (or text, given an ``encoding``)."""
        data = _render.run(self.source, format or self.format)
        return data.decode(encoding) if encoding is not None else data

    def save(self, filename: str | None = None, directory: str | None = None) -> str:
        """Write the DOT text to ``filename`` (default ``Digraph.gv``) and return its path."""
        path = os.path.join(directory or "", filename or "Digraph.gv")
        parent = os.path.dirname(path)
        if parent:
            os.makedirs(parent, exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            f.write(self.source)
        return path

    def render(
        self,
        filename: str | None = None,
        directory: str | None = None,
        cleanup: bool = False,
        format: str | None = None,
        *,
        outfile: str | None = None,
    ) -> str:
        """Save the DOT text and render it beside it, as ``graphviz.Digraph.render`` does:
        ``render("graph", format="png")`` writes ``graph`` and ``graph.png`` and returns the
        latter's path; ``cleanup=True`` removes the DOT file; ``outfile="g.svg"`` names the
        picture (its suffix gives the format)."""
        if outfile is not None:
            stem, suffix = os.path.splitext(os.path.join(directory or "", outfile))
            format = format or suffix.lstrip(".") or self.format
            target = stem + "." + format if not suffix else stem + suffix
            filename = filename or stem + ".gv"
            directory = None
        else:
            format = format or self.format
            target = None
        data = _render.run(self.source, format)  # render first: a failure writes nothing
        source_path = self.save(filename, directory)
        target = target or f"{source_path}.{format}"
        with open(target, "wb") as f:
            f.write(data)
        if cleanup:
            os.remove(source_path)
        return target

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None, **kwargs: Any) -> dict[str, Any]:
        """Jupyter display: the SVG, or a text explanation when it cannot be drawn. Never raises,
        because an exception in a repr hides the cell's whole output."""
        try:
            if self.num_nodes > DISPLAY_MAX_NODES:
                return {
                    "text/plain": f"{self!r}: too large to lay out inline; draw part of it with "
                    "make_dot(..., max_depth=20), or render() it to a file"
                }
            svg = _render.run(self.source, "svg", timeout=DISPLAY_TIMEOUT_S).decode("utf-8")
            return {"image/svg+xml": svg}
        except Exception as exc:  # noqa: BLE001 - display must never fail
            try:
                return {"text/plain": f"{self!r}\n{exc}"}
            except Exception:  # noqa: BLE001
                return {"text/plain": "<bibun.viz.DotGraph>"}

    def to_graphviz(self) -> Any:
        """The same graph as a ``graphviz.Digraph`` (needs ``pip install graphviz``), for code
        written against torchviz's return value."""
        try:
            import graphviz
        except ImportError as exc:
            raise ImportError("to_graphviz() needs the graphviz package: pip install graphviz") from exc
        g = graphviz.Digraph(
            graph_attr={k: str(v) for k, v in self.graph_attr.items()},
            node_attr={k: str(v) for k, v in self.node_attr.items()},
            edge_attr={k: str(v) for k, v in self.edge_attr.items()},
        )
        for s in self.statements:
            if s[0] == "node":
                attrs = {k: str(v).replace("\\", "\\\\") for k, v in s[2].items()}
                g.node(s[1], **attrs)
            else:
                attrs = {k: str(v).replace("\\", "\\\\") for k, v in s[3].items()}
                g.edge(s[1], s[2], **attrs)
        return g
