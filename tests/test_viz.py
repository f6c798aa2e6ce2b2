"""make_dot: the DOT structure of the tutorial's graph against torchviz's conventions (and
against PyTorch's own graph when torch is installed), rendering to SVG and PNG through
graphviz-pure, the no-renderer path, and Jupyter display that never raises."""

from __future__ import annotations

import os
import re
import struct
import xml.etree.ElementTree as ET
from collections import Counter

import pytest

import bibun as torch
from bibun.viz import DotGraph, RendererNotFoundError, make_dot
from bibun.viz import digraph as digraph_module
from bibun.viz import render as render_module

HAVE_RENDERER = bool(render_module.candidates())
needs_renderer = pytest.mark.skipif(not HAVE_RENDERER, reason="no Graphviz renderer (pip install graphviz-pure)")

_ID = r'(?:"(?:[^"\\]|\\.)*"|[^\s\[\]"]+)'
_NODE = re.compile(rf"^\t({_ID})(?: \[(.*)\])?$")
_EDGE = re.compile(rf"^\t({_ID}) -> ({_ID})(?: \[(.*)\])?$")
_ATTR = re.compile(rf"(\w+)=({_ID})")


def _unquote(text: str) -> str:
    if text.startswith('"'):
        text = text[1:-1]
        return re.sub(r"\\(.)", lambda m: "\n" if m.group(1) == "n" else m.group(1), text)
    return text


def parse_dot(source: str) -> tuple[dict[str, dict[str, str]], list[tuple[str, str, dict[str, str]]]]:
    """Nodes (id -> merged attributes, later declarations winning as in Graphviz) and edges."""
    nodes: dict[str, dict[str, str]] = {}
    edges = []
    lines = source.splitlines()
    assert lines[0] == "digraph {" and lines[-1] == "}"
    for line in lines[1:-1]:
        if line.startswith(("\tgraph [", "\tnode [", "\tedge [")):
            continue
        m = _EDGE.match(line)
        if m:
            attrs = {k: _unquote(v) for k, v in _ATTR.findall(m.group(3) or "")}
            edges.append((_unquote(m.group(1)), _unquote(m.group(2)), attrs))
            continue
        m = _NODE.match(line)
        assert m, f"unparsed DOT line: {line!r}"
        attrs = {k: _unquote(v) for k, v in _ATTR.findall(m.group(2) or "")}
        nodes.setdefault(_unquote(m.group(1)), {}).update(attrs)
    return nodes, edges


def tutorial(detach: bool = False):
    x1 = torch.tensor(1.0, requires_grad=True)
    x2 = torch.tensor(2.0, requires_grad=True)
    y1 = x1 * x2
    y2 = torch.log(y1.detach() if detach else y1)
    y3 = torch.sin(y1)
    z = y2 * y3
    return x1, x2, z


def labelled_edges(nodes: dict, edges: list) -> Counter:
    return Counter((nodes[a].get("label", ""), nodes[b].get("label", ""), e.get("dir", "")) for a, b, e in edges)


def test_tutorial_graph_follows_torchviz_conventions() -> None:
    x1, x2, z = tutorial()
    dot = make_dot(z)
    nodes, edges = parse_dot(dot.source)
    assert len(nodes) == 9 and len(edges) == 9 and dot.num_nodes == 9
    labels = Counter(n.get("label") for n in nodes.values())
    assert labels == Counter(
        {
            "MulBackward0": 2,
            "LogBackward0": 1,
            "SinBackward0": 1,
            "AccumulateGrad": 2,
            "\n ()": 3,  # two leaves and the output: no name, torchviz's "(shape)" line
        }
    )
    colours = Counter(n.get("fillcolor") for n in nodes.values())
    assert colours == Counter({None: 6, "lightblue": 2, "darkolivegreen1": 1})
    assert labelled_edges(nodes, edges) == Counter(
        {
            ("\n ()", "AccumulateGrad", ""): 2,
            ("AccumulateGrad", "MulBackward0", ""): 2,
            ("MulBackward0", "LogBackward0", ""): 1,
            ("MulBackward0", "SinBackward0", ""): 1,
            ("LogBackward0", "MulBackward0", ""): 1,
            ("SinBackward0", "MulBackward0", ""): 1,
            ("MulBackward0", "\n ()", ""): 1,
        }
    )
    # torchviz's node style, with Courier (measured correctly) instead of monospace
    assert "fontname=Courier" in dot.source and "shape=box" in dot.source and "style=filled" in dot.source
    # the output is green and fed by the last MulBackward0
    (out_id,) = [k for k, n in nodes.items() if n.get("fillcolor") == "darkolivegreen1"]
    (tail,) = [a for a, b, _ in edges if b == out_id]
    assert nodes[tail]["label"] == "MulBackward0"


def test_params_name_the_leaves_and_ids_are_deterministic() -> None:
    x1, x2, z = tutorial()
    dot = make_dot(z, params={"x1": x1, "x2": x2})
    nodes, _ = parse_dot(dot.source)
    leaves = sorted(n["label"] for n in nodes.values() if n.get("fillcolor") == "lightblue")
    assert leaves == ["x1\n ()", "x2\n ()"]
    assert make_dot(z, params={"x1": x1, "x2": x2}).source == dot.source
    x1b, x2b, zb = tutorial()
    assert make_dot(zb, params={"x1": x1b, "x2": x2b}).source == dot.source


def test_show_saved_and_show_attrs_match_torchviz_layout() -> None:
    x1, x2, z = tutorial()
    dot = make_dot(z, params={"x1": x1, "x2": x2}, show_attrs=True, show_saved=True)
    nodes, edges = parse_dot(dot.source)
    # torchviz on PyTorch gives 13 nodes: a saved leaf is the leaf's own node
    assert len(nodes) == 13
    orange = [n["label"] for n in nodes.values() if n.get("fillcolor") == "orange"]
    assert sorted(orange) == ["other\n ()", "self\n ()", "self\n ()", "self\n ()"]
    undirected = [e for e in edges if e[2].get("dir") == "none"]
    assert len(undirected) == 6 and len(edges) == 15
    mul = "MulBackward0\n---------------------\nother: [saved tensor]\nself : [saved tensor]"
    log = "LogBackward0\n--------------------\nself: [saved tensor]"
    labels = Counter(n["label"] for n in nodes.values())
    assert labels[mul] == 2 and labels[log] == 1
    # the leaves keep their colour and name although MulBackward0 saved them
    assert sorted(n["label"] for n in nodes.values() if n.get("fillcolor") == "lightblue") == ["x1\n ()", "x2\n ()"]


def test_show_attrs_lists_non_tensor_values_and_truncates() -> None:
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = (x**2).sum(0)
    nodes, _ = parse_dot(make_dot(y, show_attrs=True, max_attr_chars=6).source)
    pow_label = next(n["label"] for n in nodes.values() if n.get("label", "").startswith("PowBackward0"))
    assert pow_label.splitlines()[2:] == ["exponent:      2", "self    : [sa..."]
    sum_label = next(n["label"] for n in nodes.values() if n.get("label", "").startswith("SumBackward1"))
    assert "axis" in sum_label and "(0,)" in sum_label


def test_saved_values_after_backward_are_not_drawn() -> None:
    x1, x2, z = tutorial()
    z.backward()
    nodes, _ = parse_dot(make_dot(z, show_saved=True, show_attrs=True).source)
    assert len(nodes) == 9
    assert not [n for n in nodes.values() if n.get("fillcolor") == "orange"]


def test_detached_branch_is_cut() -> None:
    _, _, z = tutorial(detach=True)
    nodes, edges = parse_dot(make_dot(z).source)
    assert Counter(n.get("label") for n in nodes.values() if "fillcolor" not in n) == Counter(
        {"MulBackward0": 2, "SinBackward0": 1, "AccumulateGrad": 2}
    )
    assert len(nodes) == 8 and len(edges) == 7


def test_views_are_dotted_to_a_dark_green_base() -> None:
    a = torch.randn(2, 3, requires_grad=True)
    b = a * 2
    v = b.view(6)
    nodes, edges = parse_dot(make_dot(v).source)
    (base,) = [k for k, n in nodes.items() if n.get("fillcolor") == "darkolivegreen3"]
    assert nodes[base]["label"] == "\n (2, 3)"
    dotted = [(x, y) for x, y, e in edges if e.get("style") == "dotted"]
    (out,) = [k for k, n in nodes.items() if n.get("fillcolor") == "darkolivegreen1"]
    assert dotted == [(base, out)]
    assert nodes[out]["label"] == "\n (6)"
    # a view of a leaf: the base is the (already drawn) light blue leaf
    nodes, edges = parse_dot(make_dot(a.view(6)).source)
    assert [nodes[x]["fillcolor"] for x, _, e in edges if e.get("style") == "dotted"] == ["lightblue"]


def test_tuple_of_outputs() -> None:
    a = torch.randn(2, 3, requires_grad=True)
    nodes, edges = parse_dot(make_dot((a.sum(dim=1), a.exp())).source)
    assert sorted(n["label"] for n in nodes.values() if n.get("fillcolor") == "darkolivegreen1") == [
        "\n (2)",
        "\n (2, 3)",
    ]
    assert sum(1 for n in nodes.values() if n.get("label") == "AccumulateGrad") == 1
    assert len(nodes) == 6 and len(edges) == 5


def test_bad_arguments() -> None:
    with pytest.raises(TypeError, match="Tensor"):
        make_dot([1.0])
    x = torch.tensor(1.0, requires_grad=True)
    with pytest.raises(TypeError, match="params"):
        make_dot(x * 2, params={"x": 1.0})
    with pytest.raises(ValueError, match="max_depth"):
        make_dot(x * 2, max_depth=-1)


def test_show_values_writes_values_and_gradients() -> None:
    x1, x2, z = tutorial()
    z.backward(retain_graph=True)
    nodes, _ = parse_dot(make_dot(z, params={"x1": x1, "x2": x2}, show_values=True).source)
    labels = {n["label"].split("\n")[0]: n["label"] for n in nodes.values() if n.get("fillcolor") == "lightblue"}
    assert labels["x1"].splitlines()[2:] == ["value 1.", "grad  0.3324"]
    out = next(n["label"] for n in nodes.values() if n.get("fillcolor") == "darkolivegreen1")
    assert "value 0.6303" in out


def test_a_100k_node_graph_draws_and_can_be_summarised() -> None:
    x = torch.tensor(1.0, requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y * 1.0
    dot = make_dot(y)
    assert dot.num_nodes == 100_003  # 100k MulBackward0, AccumulateGrad, the leaf, the output
    assert dot.num_edges == 100_002
    small = make_dot(y, max_depth=10)
    nodes, edges = parse_dot(small.source)
    assert sum(1 for n in nodes.values() if n.get("label") == "MulBackward0") == 11
    (summary,) = [n["label"] for n in nodes.values() if n.get("label", "").startswith("...")]
    assert summary.startswith("... 99990 more nodes")


def test_same_structure_as_pytorch_graph() -> None:
    pt = pytest.importorskip("torch")

    def structure(out, node_name, next_of):
        names, edge_set, stack, seen = Counter(), Counter(), [out], set()
        while stack:
            fn = stack.pop()
            if id(fn) in seen:
                continue
            seen.add(id(fn))
            names[node_name(fn)] += 1
            for u, _ in next_of(fn):
                if u is not None:
                    edge_set[(node_name(u), node_name(fn))] += 1
                    stack.append(u)
        return names, edge_set

    x1 = pt.tensor(1.0, requires_grad=True)
    x2 = pt.tensor(2.0, requires_grad=True)
    y1 = x1 * x2
    zt = pt.log(y1) * pt.sin(y1) / (x1 + 1) ** 2
    expected = structure(zt.grad_fn, lambda f: type(f).__name__, lambda f: f.next_functions)
    b1 = torch.tensor(1.0, requires_grad=True)
    b2 = torch.tensor(2.0, requires_grad=True)
    c1 = b1 * b2
    zb = torch.log(c1) * torch.sin(c1) / (b1 + 1) ** 2
    nodes, edges = parse_dot(make_dot(zb).source)
    fn_nodes = Counter(n["label"] for n in nodes.values() if "fillcolor" not in n)
    fn_edges = Counter(
        (nodes[a]["label"], nodes[b]["label"])
        for a, b, _ in edges
        if "fillcolor" not in nodes[a] and "fillcolor" not in nodes[b]
    )
    assert (fn_nodes, fn_edges) == expected


# --- rendering -----------------------------------------------------------------------------
def svg_nodes(svg: bytes | str) -> list[list[str]]:
    """The text lines of every node in a Graphviz SVG."""
    root = ET.fromstring(svg)
    ns = {"s": "http://www.w3.org/2000/svg"}
    out = []
    for g in root.iter("{http://www.w3.org/2000/svg}g"):
        if g.get("class") == "node":
            out.append([t.text or "" for t in g.findall("s:text", ns)])
    return out


@needs_renderer
def test_svg_renders_every_node_with_its_label() -> None:
    x1, x2, z = tutorial()
    svg = make_dot(z, params={"x1": x1, "x2": x2}).pipe("svg")
    nodes = svg_nodes(svg)
    assert len(nodes) == 9
    texts = Counter(line.strip() for lines in nodes for line in lines)
    assert texts["MulBackward0"] == 2 and texts["AccumulateGrad"] == 2
    assert texts["x1"] == 1 and texts["x2"] == 1 and texts["()"] == 3
    assert 'font-family="Courier' in svg.decode()


@needs_renderer
def test_png_and_files(tmp_path) -> None:
    _, _, z = tutorial()
    dot = make_dot(z)
    png = dot.pipe("png")
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    w, h = struct.unpack(">II", png[16:24])
    assert w > 50 and h > 50
    path = dot.render(str(tmp_path / "graph"), format="png")
    assert path == str(tmp_path / "graph.png") and os.path.exists(tmp_path / "graph")
    assert open(path, "rb").read()[:4] == b"\x89PNG"
    out = dot.render(outfile=str(tmp_path / "g.svg"), cleanup=True)
    assert out == str(tmp_path / "g.svg") and len(svg_nodes(open(out, "rb").read())) == 9
    assert not os.path.exists(tmp_path / "g.gv")
    assert dot.save(str(tmp_path / "s.gv")) == str(tmp_path / "s.gv")
    assert open(tmp_path / "s.gv").read() == dot.source


@needs_renderer
def test_jupyter_display_is_svg() -> None:
    _, _, z = tutorial()
    bundle = make_dot(z)._repr_mimebundle_()
    assert list(bundle) == ["image/svg+xml"] and len(svg_nodes(bundle["image/svg+xml"])) == 9


def test_without_a_renderer_source_works_and_errors_name_the_fix(monkeypatch, tmp_path) -> None:
    monkeypatch.setattr(render_module, "candidates", lambda: [])
    _, _, z = tutorial()
    dot = make_dot(z)
    assert dot.source.startswith("digraph {")
    with pytest.raises(RendererNotFoundError, match=r"-m pip install graphviz-pure"):
        dot.render(str(tmp_path / "g"))
    assert list(tmp_path.iterdir()) == []  # a failed render writes nothing
    with pytest.raises(RendererNotFoundError):
        dot.pipe("png")
    bundle = dot._repr_mimebundle_()
    assert list(bundle) == ["text/plain"] and "pip install graphviz-pure" in bundle["text/plain"]


def test_pdf_needs_a_system_graphviz(monkeypatch) -> None:
    monkeypatch.setattr(render_module, "candidates", lambda: [("graphviz-pure", "/nonexistent/graphviz-pure")])
    with pytest.raises(RendererNotFoundError, match="system Graphviz"):
        render_module.find_renderer("pdf")
    assert render_module.find_renderer("svg") == ("graphviz-pure", "/nonexistent/graphviz-pure")


def test_jupyter_display_never_raises(monkeypatch) -> None:
    _, _, z = tutorial()
    dot = make_dot(z)

    def broken(*args, **kwargs):
        raise OSError("renderer crashed")

    monkeypatch.setattr(render_module, "run", broken)
    assert "renderer crashed" in dot._repr_mimebundle_()["text/plain"]
    monkeypatch.setattr(DotGraph, "__repr__", lambda self: 1 / 0)
    assert dot._repr_mimebundle_(include=None, exclude=None) == {"text/plain": "<bibun.viz.DotGraph>"}


def test_jupyter_display_of_a_huge_graph_says_how_to_draw_it(monkeypatch) -> None:
    monkeypatch.setattr(digraph_module, "DISPLAY_MAX_NODES", 5)
    _, _, z = tutorial()
    assert "max_depth" in make_dot(z)._repr_mimebundle_()["text/plain"]


def test_to_graphviz() -> None:
    graphviz = pytest.importorskip("graphviz")
    x1, x2, z = tutorial()
    dot = make_dot(z, params={"x1": x1, "x2": x2}, show_attrs=True)
    g = dot.to_graphviz()
    assert isinstance(g, graphviz.Digraph)
    assert g.node_attr["fontname"] == "Courier"
    assert g.source.count("->") == 9 and "AccumulateGrad" in g.source and "x1" in g.source
    if HAVE_RENDERER:
        # the graphviz package's own source, rendered by our renderer: same nodes and labels
        nodes = svg_nodes(render_module.run(g.source, "svg"))
        assert len(nodes) == 9 and ["x1", " ()"] in nodes


def test_quote_escapes() -> None:
    assert digraph_module.quote("abc") == "abc" and digraph_module.quote("12") == "12"
    assert digraph_module.quote('a "b"\nc\\d') == '"a \\"b\\"\\nc\\\\d"'


def test_custom_function_saved_tensors_are_always_drawn() -> None:
    class Exp(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            result = x.exp()
            ctx.save_for_backward(result)
            return result

        @staticmethod
        def backward(ctx, grad):
            (result,) = ctx.saved_tensors
            return grad * result

    x = torch.tensor(1.5, requires_grad=True)
    y = Exp.apply(x) * 2
    for kwargs in ({}, {"show_saved": True}):
        nodes, edges = parse_dot(make_dot(y, **kwargs).source)
        fn = next(k for k, n in nodes.items() if n.get("label", "").startswith("ExpBackward"))
        saved = [a for a, b, e in edges if b == fn and e.get("dir") == "none"]
        assert len(saved) == 1 and nodes[saved[0]] == {"label": "\n ()", "fillcolor": "orange"}
    y.backward()
    nodes, _ = parse_dot(make_dot(y).source)
    assert not [n for n in nodes.values() if n.get("fillcolor") == "orange"]
