"""The derivation drawn as a graph: one node per input and per step of the Wengert list,
labelled with its definition, value and adjoint (∂output/∂node), and each edge labelled with
the share of the adjoint that flows back along it (adjoint of the consumer times the local
derivative). Colours follow make_dot's: inputs light blue, the output green."""

from __future__ import annotations

from bibun.viz import formulas as F
from bibun.viz.digraph import DotGraph
from bibun.viz.dot import LEAF_COLOR, NODE_ATTR, OUTPUT_COLOR
from bibun.viz.explain import Derivation


def _short(value: float) -> str:
    return F.number(value) if float(value).is_integer() else f"{value:.6g}"


def derivation_graph(d: Derivation) -> DotGraph:
    """Inputs at the top, the output at the bottom (the direction the values flow); ASCII
    ``d`` in labels, which every font draws."""
    s = F.TEXT
    z = d.output
    legend = f"edge labels: the gradient flowing back, d{z}/d(head) * d(head)/d(tail)"
    dot = DotGraph(
        graph_attr={"label": legend, "fontname": "Courier", "fontsize": "9"},
        node_attr=dict(NODE_ATTR),
        edge_attr={"fontname": "Courier", "fontsize": "9"},
    )
    for x, v in d.inputs.items():
        dot.node(x, f"{x} = {F.number(v)}\nd{z}/d{x} = {_short(d.adjoints.get(x, 0.0))}", fillcolor=LEAF_COLOR)
    constants = 0
    for step in d.steps:
        args = [F.operand(s, a, c) for a, c in zip(step.args, step.constants)]
        rhs = F.expression(s, step.op, args, step.name, step.constants, step.params)[0]
        label = f"{step.name} = {rhs}\nvalue {_short(step.value)}\nd{z}/d{step.name} = {_short(d.adjoints[step.name])}"
        if step.name == z:
            dot.node(step.name, label, fillcolor=OUTPUT_COLOR)
        else:
            dot.node(step.name, label)
        for i, (a, c) in enumerate(zip(step.args, step.constants)):
            if a is None:
                constants += 1
                cid = f"const{constants}"
                dot.node(cid, F.number(c), fillcolor="white", shape="plaintext")
                dot.edge(cid, step.name)
                continue
            flow = d.adjoints[step.name] * step.partials[i]
            dot.edge(a, step.name, label=f" {_short(flow)}", dir="both", arrowtail="empty")
    return dot
