"""The command line. ``python -m bibun demo`` walks the tutorial's example end to end (values,
forward-mode and reverse-mode tables, backward() with the hand check, the graph drawn to
files); ``python -m bibun explain "log(x1*x2)*sin(x1*x2)" --at x1=1 x2=2`` prints the
derivation of any formula (docs/viz.md)."""

from __future__ import annotations

import argparse
import math
import os
import sys
from typing import Any

TUTORIAL = "log(x1*x2)*sin(x1*x2)"


def _write_graph(graph: Any, path: str) -> tuple[str, bool]:
    """Render ``graph`` to ``path`` (format from its suffix; .dot/.gv writes the DOT text).
    With no renderer, write the DOT text beside it instead: ``(written path, rendered?)``."""
    from bibun.viz import RendererNotFoundError

    stem, suffix = os.path.splitext(path)
    fmt = suffix.lstrip(".").lower() or "svg"
    if fmt in ("dot", "gv"):
        with open(path, "w", encoding="utf-8") as f:
            f.write(graph.source)
        return path, True
    try:
        data = graph.pipe(fmt)
    except RendererNotFoundError:
        dot_path = stem + ".dot"
        with open(dot_path, "w", encoding="utf-8") as f:
            f.write(graph.source)
        return dot_path, False
    with open(path, "wb") as f:
        f.write(data)
    return path, True


def demo(out_dir: str = ".", lang: str = "en") -> int:
    """Forward values, both modes' tables, gradients from backward() with the hand-derived
    check, and the graph written to graph.svg and graph-annotated.svg."""
    import bibun as torch
    from bibun.viz import explain, make_dot, render

    print("f(x1, x2) = log(x1 * x2) * sin(x1 * x2)   at x1 = 1, x2 = 2\n")
    x1 = torch.tensor(1.0, requires_grad=True)
    x2 = torch.tensor(2.0, requires_grad=True)
    y1 = x1 * x2
    y2 = torch.log(y1)
    y3 = torch.sin(y1)
    z = y2 * y3
    print("Forward pass (float32):")
    for name, value in (("y1 = x1 * x2", y1), ("y2 = log(y1)", y2), ("y3 = sin(y1)", y3), ("z  = y2 * y3", z)):
        print(f"  {name:14} -> {value}")

    derivation = explain(TUTORIAL, {"x1": 1.0, "x2": 2.0}, wrt="x1")
    print("\nThe derivation, step by step (float64):\n")
    print(derivation.render("text", lang))

    z.backward()
    print("Reverse mode, z.backward():")
    print(f"  dz/dx1={x1.grad}")
    print(f"  dz/dx2={x2.grad}")
    common = math.sin(2) / 2 + math.log(2) * math.cos(2)
    print("\nBy hand (float64): dz/dx1 = (sin 2 / 2 + log 2 cos 2) * 2, dz/dx2 = (sin 2 / 2 + log 2 cos 2) * 1")
    print(f"  dz/dx1={common * 2}")
    print(f"  dz/dx2={common}")
    agree = math.isclose(x1.grad.item(), common * 2, rel_tol=1e-6) and math.isclose(
        x2.grad.item(), common, rel_tol=1e-6
    )
    agree = agree and derivation.agrees
    print(f"\nbackward() agrees with the hand derivation and with both tables: {agree}")

    os.makedirs(out_dir, exist_ok=True)
    graphs = (
        (make_dot(z, params={"x1": x1, "x2": x2}), "graph.svg", "the autograd graph, as make_dot draws it"),
        (derivation.graph(), "graph-annotated.svg", "values on the nodes, gradients on the edges"),
    )
    print("\nThe graph:")
    rendered_all = True
    for graph, name, what in graphs:
        path, rendered = _write_graph(graph, os.path.join(out_dir, name))
        rendered_all = rendered_all and rendered
        print(f"  wrote {os.path.abspath(path)}  ({what})")
    if not rendered_all:
        print(
            "  No Graphviz renderer is installed, so these are DOT files (text). To get SVG and PNG:\n"
            f"    {render.install_command()}\n"
            "  then run the demo again (or paste the .dot text into any Graphviz viewer)."
        )
    return 0 if agree else 1


def _parse_at(items: list[str]) -> dict[str, float]:
    values: dict[str, float] = {}
    for item in items:
        for part in item.split(","):
            if not part.strip():
                continue
            name, sep, text = part.partition("=")
            name = name.strip()
            if not sep or not name.isidentifier():
                raise ValueError(f"--at expects name=value pairs (as in --at x1=1 x2=2), got {part!r}")
            try:
                values[name] = float(text)
            except ValueError:
                raise ValueError(f"--at {name}: {text!r} is not a number") from None
    return values


def explain_command(args: argparse.Namespace) -> int:
    from bibun.viz import explain

    try:
        inputs = _parse_at(args.at or [])
        result = explain(args.expression, inputs, wrt=args.wrt)
    except (ValueError, TypeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(result.render(args.format, args.lang), end="")
    if args.graph:
        path, rendered = _write_graph(result.graph(), args.graph)
        if rendered:
            print(f"\nwrote {os.path.abspath(path)}", file=sys.stderr)
        else:
            from bibun.viz import render

            print(
                f"\nno Graphviz renderer: wrote the DOT text to {os.path.abspath(path)} instead of {args.graph}."
                f" To render: {render.install_command()}",
                file=sys.stderr,
            )
            return 1
    return 0 if result.agrees else 1


def _safe_stdout() -> None:
    """Tables use ∂ and combining marks; on a console that cannot print them, replace them
    rather than fail."""
    for stream in (sys.stdout, sys.stderr):
        try:
            "∂ẋ".encode(stream.encoding or "ascii")
        except (UnicodeEncodeError, LookupError):
            try:
                stream.reconfigure(errors="replace")
            except (AttributeError, ValueError):
                pass


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bibun", description="bibun: PyTorch's autograd on NumPy")
    commands = parser.add_subparsers(dest="command", required=True)
    demo_parser = commands.add_parser("demo", help="walk through the tutorial example")
    demo_parser.add_argument("--out-dir", default=".", help="where to write graph.svg (default: here)")
    demo_parser.add_argument("--lang", choices=("en", "ja"), default="en", help="language of the tables")
    ex = commands.add_parser(
        "explain",
        help="print the forward-mode and reverse-mode derivation of a formula",
        description="Print the Wengert list, the forward-mode tangents, the reverse-mode adjoints and a check "
        "against backward() for a formula of names, numbers, + - * / **, and functions such as log, exp, sin.",
    )
    ex.add_argument("expression", help=f'the formula, e.g. "{TUTORIAL}"')
    ex.add_argument("--at", nargs="+", metavar="NAME=VALUE", help="the point, e.g. --at x1=1 x2=2")
    ex.add_argument("--wrt", help="the input for the forward-mode table (default: the first)")
    ex.add_argument("--format", choices=("text", "markdown", "latex", "html"), default="text")
    ex.add_argument("--graph", metavar="FILE", help="also draw the annotated graph (.svg, .png or .dot)")
    ex.add_argument("--lang", choices=("en", "ja"), default="en", help="headings in English or Japanese")
    args = parser.parse_args(argv)
    _safe_stdout()
    if args.command == "demo":
        return demo(args.out_dir, args.lang)
    if args.command == "explain":
        return explain_command(args)
    return 2


if __name__ == "__main__":
    sys.exit(main())
