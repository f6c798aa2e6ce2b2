"""The command line: ``python -m bibun demo`` and ``python -m bibun explain``, with and
without a Graphviz renderer."""

from __future__ import annotations

import os
import subprocess
import sys
import unicodedata
import xml.etree.ElementTree as ET

import pytest

from bibun.__main__ import main
from bibun.viz import render as render_module

HAVE_RENDERER = bool(render_module.candidates())
needs_renderer = pytest.mark.skipif(not HAVE_RENDERER, reason="no Graphviz renderer (pip install graphviz-pure)")
TUTORIAL = "log(x1*x2)*sin(x1*x2)"


def svg_node_count(path) -> int:
    root = ET.parse(path).getroot()
    return sum(1 for g in root.iter("{http://www.w3.org/2000/svg}g") if g.get("class") == "node")


@pytest.fixture
def no_renderer(monkeypatch):
    monkeypatch.setattr(render_module, "candidates", lambda: [])


def run_main(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, unicodedata.normalize("NFC", captured.out), captured.err


def test_explain_prints_the_tables(capsys) -> None:
    code, out, _ = run_main(capsys, "explain", TUTORIAL, "--at", "x1=1", "x2=2")
    assert code == 0
    assert "Forward pass (Wengert list)" in out and "Forward mode" in out and "Reverse mode" in out
    assert "∂z/∂x1 = ż = 0.3323954139224974" in out
    assert "∂z/∂x2 = x̄2 = 0.1661977069612487" in unicodedata.normalize("NFC", out)
    assert out.rstrip().endswith("agree.")


def test_explain_wrt_format_and_lang(capsys) -> None:
    code, out, _ = run_main(capsys, "explain", TUTORIAL, "--at", "x1=1,x2=2", "--wrt", "x2", "--format", "markdown")
    assert code == 0 and "| tangent | rule | value |" in out and "`∂z/∂x2 = ż = 0.1661977069612487`" in out
    code, out, _ = run_main(capsys, "explain", TUTORIAL, "--at", "x1=1", "x2=2", "--format", "latex")
    assert code == 0 and "\\begin{align*}" in out
    code, out, _ = run_main(capsys, "explain", TUTORIAL, "--at", "x1=1", "x2=2", "--format", "html")
    assert code == 0 and out.count("<table>") == 3
    code, out, _ = run_main(capsys, "explain", TUTORIAL, "--at", "x1=1", "x2=2", "--lang", "ja")
    assert code == 0 and "順伝搬" in out and "フォワードモード" in out and "バックワードモード" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("explain", "x.__class__", "--at", "x=1"), "attribute access"),
        (("explain", "__import__('os')", "--at", "x=1"), "underscore"),
        (("explain", TUTORIAL, "--at", "x1=1"), "unknown name 'x2'"),
        (("explain", TUTORIAL, "--at", "x1"), "name=value"),
        (("explain", TUTORIAL, "--at", "x1=one", "x2=2"), "not a number"),
        (("explain", TUTORIAL, "--at", "x1=1", "x2=2", "--wrt", "y"), "wrt"),
    ],
)
def test_explain_errors(capsys, argv, message) -> None:
    code, out, err = run_main(capsys, *argv)
    assert code == 2 and out == "" and message in err and err.startswith("error: ")


@needs_renderer
def test_explain_graph(capsys, tmp_path) -> None:
    target = tmp_path / "out.svg"
    code, _, err = run_main(capsys, "explain", TUTORIAL, "--at", "x1=1", "x2=2", "--graph", str(target))
    assert code == 0 and str(target) in err
    assert svg_node_count(target) == 6
    text = target.read_text()
    assert "y1 = x1 * x2" in text and "dz/dx1 = 0.332395" in text


def test_explain_graph_without_renderer(capsys, tmp_path, no_renderer) -> None:
    target = tmp_path / "out.svg"
    code, out, err = run_main(capsys, "explain", TUTORIAL, "--at", "x1=1", "x2=2", "--graph", str(target))
    assert code == 1 and "Reverse mode" in out  # the tables are still printed
    assert not target.exists() and (tmp_path / "out.dot").read_text().startswith("digraph {")
    assert "pip install graphviz-pure" in err


def test_explain_graph_as_dot(capsys, tmp_path, no_renderer) -> None:
    target = tmp_path / "g.dot"
    code, *_ = run_main(capsys, "explain", "x**2", "--at", "x=3", "--graph", str(target))
    assert code == 0 and "x -> z" in target.read_text()


@needs_renderer
def test_demo(capsys, tmp_path) -> None:
    code, out, _ = run_main(capsys, "demo", "--out-dir", str(tmp_path))
    assert code == 0
    assert "dz/dx1=0.33239537477493286" in out and "dz/dx2=0.16619768738746643" in out
    assert "∂z/∂x1 = ż = 0.3323954139224974" in out and "Reverse mode" in out
    assert "agrees with the hand derivation and with both tables: True" in out
    assert svg_node_count(tmp_path / "graph.svg") == 9
    assert svg_node_count(tmp_path / "graph-annotated.svg") == 6
    assert str(tmp_path / "graph.svg") in out and str(tmp_path / "graph-annotated.svg") in out


def test_demo_without_renderer_writes_dot_files(capsys, tmp_path, no_renderer) -> None:
    code, out, _ = run_main(capsys, "demo", "--out-dir", str(tmp_path))
    assert code == 0
    assert sorted(os.listdir(tmp_path)) == ["graph-annotated.dot", "graph.dot"]
    assert "No Graphviz renderer" in out and "-m pip install graphviz-pure" in out
    assert (tmp_path / "graph.dot").read_text().count("AccumulateGrad") == 2


def test_demo_in_japanese(capsys, tmp_path, no_renderer) -> None:
    code, out, _ = run_main(capsys, "demo", "--out-dir", str(tmp_path), "--lang", "ja")
    assert code == 0 and "順伝搬" in out and "dz/dx1=0.33239537477493286" in out


def test_python_dash_m_entry_point(tmp_path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "bibun", "explain", "x1*x2", "--at", "x1=3", "x2=4"],
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=tmp_path,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "∂z/∂x1 = x̄1 = 4" in unicodedata.normalize("NFC", proc.stdout)
