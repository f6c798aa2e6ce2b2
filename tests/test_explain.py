"""explain: the tutorial's derivation with its numbers, every formula op against finite
differences, the output formats, and the safe parser (fuzzed with hypothesis)."""

from __future__ import annotations

import builtins
import math
import re
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import bibun as torch
from bibun.ops import _registry
from bibun.viz import ExpressionError, explain
from bibun.viz import parser as P
from bibun.viz.explain import derive

TUTORIAL = "log(x1*x2)*sin(x1*x2)"
# The tutorial's hand derivation, in float64.
COMMON = math.sin(2) / 2 + math.log(2) * math.cos(2)


def squash(text: str) -> str:
    return unicodedata.normalize("NFC", re.sub(r"\s+", " ", text))


def test_tutorial_numbers() -> None:
    d = derive(TUTORIAL, {"x1": 1, "x2": 2})
    assert [(s.name, s.op, s.args) for s in d.steps] == [
        ("y1", "mul", ["x1", "x2"]),  # x1*x2 written twice is one step
        ("y2", "log", ["y1"]),
        ("y3", "sin", ["y1"]),
        ("z", "mul", ["y2", "y3"]),
    ]
    assert [s.value for s in d.steps] == [2.0, math.log(2), math.sin(2), math.log(2) * math.sin(2)]
    assert d.tangents["x1"]["z"] == COMMON * 2 == 0.3323954139224974
    assert d.tangents["x2"]["z"] == COMMON == 0.1661977069612487
    assert d.gradient == {"x1": 0.3323954139224974, "x2": 0.1661977069612487}
    assert d.backward == pytest.approx(d.gradient, rel=1e-15)
    assert d.adjoints["y1"] == COMMON and d.adjoints["y2"] == math.sin(2) and d.adjoints["y3"] == math.log(2)
    assert d.agrees()


def test_tutorial_text() -> None:
    text = str(explain(TUTORIAL, {"x1": 1, "x2": 2}))
    flat = squash(text)
    for row in (
        "y1 = x1 * x2 = 2",
        "y2 = log(y1) = 0.6931471805599453",
        "ẏ1 = x2·ẋ1 + x1·ẋ2 = 2",
        "ẏ3 = cos(y1)·ẏ1 = -0.8322936730942848",
        "ż = y3·ẏ2 + y2·ẏ3 = 0.3323954139224974",
        "ȳ1 = ȳ2·(1 / y1) + ȳ3·cos(y1) = 0.1661977069612487",
        "x̄1 = ȳ1·x2 = 0.3323954139224974",
        "∂z/∂x1 = ż = 0.3323954139224974",
    ):
        assert unicodedata.normalize("NFC", row) in flat, row
    assert text.rstrip().endswith("forward mode, reverse mode and backward() agree.")
    # reverse mode runs from the output back
    order = [line.split("=")[0].strip() for line in text.split("Reverse mode")[1].splitlines()[1:7]]
    assert order == [unicodedata.normalize("NFC", v) for v in ["z̄", "ȳ3", "ȳ2", "ȳ1", "x̄2", "x̄1"]]


def test_wrt_chooses_the_forward_table() -> None:
    e = explain(TUTORIAL, {"x1": 1, "x2": 2}, wrt="x2")
    assert e.tangents["z"] == 0.1661977069612487 and e.tangents["x2"] == 1.0 and e.tangents["x1"] == 0.0
    assert unicodedata.normalize("NFC", "∂z/∂x2 = ż = 0.1661977069612487") in str(e)


def test_a_traced_function_gives_the_same_derivation() -> None:
    def f(x1, x2):
        y1 = x1 * x2
        return torch.log(y1) * torch.sin(y1)

    by_function = derive(f, [1.0, 2.0])
    by_text = derive(TUTORIAL, {"x1": 1.0, "x2": 2.0})
    assert [(s.name, s.op, s.args, s.value, s.partials) for s in by_function.steps] == [
        (s.name, s.op, s.args, s.value, s.partials) for s in by_text.steps
    ]
    assert by_function.title == "f(x1, x2)"


def test_detach_is_a_constant() -> None:
    def f(x1, x2):
        y1 = x1 * x2
        return torch.log(y1.detach()) * torch.sin(y1)

    d = derive(f, {"x1": 1.0, "x2": 2.0})
    assert [s.args for s in d.steps] == [["x1", "x2"], ["y1"], [None, "y2"]]
    assert d.steps[-1].constants[0] == math.log(2)
    assert d.gradient["x1"] == pytest.approx(math.log(2) * math.cos(2) * 2, rel=1e-15)
    assert d.agrees()


FUNCTIONS_CASE = (
    "exp(x)*tanh(y) + sqrt(x)/y - sigmoid(x*y) + abs(y)**2 + relu(x) - 2**x + x**y"
    " + maximum(x, y) * minimum(x, 3) + cos(x) - tan(y) + 1/x + pow(y, 3) - -x + square(x) + reciprocal(y)"
)


def reference(x: float, y: float) -> float:
    sig = 1 / (1 + math.exp(-x * y))
    return (
        math.exp(x) * math.tanh(y) + math.sqrt(x) / y - sig + abs(y) ** 2 + max(x, 0) - 2**x + x**y
        + max(x, y) * min(x, 3) + math.cos(x) - math.tan(y) + 1 / x + y**3 + x + x * x + 1 / y
    )  # fmt: skip


def test_every_formula_function_against_finite_differences() -> None:
    x, y = 0.7, 1.3
    d = derive(FUNCTIONS_CASE, {"x": x, "y": y})
    assert d.value == pytest.approx(reference(x, y), rel=1e-14)
    h = 1e-6
    assert d.gradient["x"] == pytest.approx((reference(x + h, y) - reference(x - h, y)) / (2 * h), rel=1e-8)
    assert d.gradient["y"] == pytest.approx((reference(x, y + h) - reference(x, y - h)) / (2 * h), rel=1e-8)
    assert d.agrees()
    for fmt in ("text", "markdown", "latex", "html"):
        assert explain(FUNCTIONS_CASE, {"x": x, "y": y}).render(fmt)  # every op has a way to be written


def test_formats_and_japanese() -> None:
    e = explain(TUTORIAL, {"x1": 1, "x2": 2})
    md = e.render("markdown")
    assert "| variable | definition | value |" in md and "| `y1` | `x1 * x2` | 2 |" in md
    latex = e.render("latex")
    assert "\\begin{align*}" in latex and "\\dot{y}_{1} &= x_{2} \\cdot \\dot{x}_{1}" in latex
    assert "\\bar{y}_{1} &= \\bar{y}_{2} \\cdot \\frac{1}{y_{1}}" in latex
    html = e.render("html")
    assert html.count("<table>") == 3 and "<code>x1 * x2</code>" in html
    assert e._repr_html_() == html
    ja = e.render("text", "ja")
    for word in ("順伝搬", "フォワードモード", "バックワードモード", "接線", "随伴", "確認", "一致"):
        assert word in ja
    assert "0.3323954139224974" in ja
    with pytest.raises(ValueError, match="format"):
        e.render("rst")
    with pytest.raises(ValueError, match="lang"):
        e.render("text", "fr")


def test_annotated_graph() -> None:
    g = explain(TUTORIAL, {"x1": 1, "x2": 2}).graph()
    src = g.source
    assert g.num_nodes == 6 and g.num_edges == 6
    assert '"y1 = x1 * x2\\nvalue 2\\ndz/dy1 = 0.166198"' in src
    assert 'x1 -> y1 [label=" 0.332395"' in src and 'y1 -> y3 [label=" -0.288451"' in src


def test_errors_change_nothing() -> None:
    hook = _registry.forward_hook[0]
    with pytest.raises(ValueError, match="wrt"):
        explain(TUTORIAL, {"x1": 1, "x2": 2}, wrt="x3")
    with pytest.raises(ExpressionError, match="unknown name 'x2'"):
        explain(TUTORIAL, {"x1": 1})
    with pytest.raises(ValueError, match="expected 2 input values"):
        explain(TUTORIAL, [1])
    with pytest.raises(ValueError, match="scalar"):
        explain(lambda x: torch.stack([x, x]) * 2, [1.0])
    with pytest.raises(ValueError, match="does not depend"):
        explain(lambda x: torch.tensor(2.0) * 3, [1.0])
    with pytest.raises(ZeroDivisionError):
        explain(lambda x: x * (1 / 0), [1.0])
    with pytest.raises(TypeError, match="number"):
        explain("x * 2", {"x": "1"})
    assert _registry.forward_hook[0] is hook


def test_explain_works_under_no_grad() -> None:
    with torch.no_grad():
        assert explain("x**3", {"x": 2}).gradient == {"x": 12.0}


# --- the parser ----------------------------------------------------------------------------
REJECTED = {
    "x.real": "attribute access",
    "x1.__class__.__bases__": "attribute access",
    "__import__('os')": "underscore",
    "_secret + 1": "underscore",
    "import os": "imports are not allowed",
    "from os import path": "imports are not allowed",
    "lambda: 1": "lambda",
    "(lambda x: x)(1)": "lambda",
    "[x for x in y]": "comprehensions",
    "sum(x for x in y)": "comprehensions",
    "{x: 1 for x in y}": "comprehensions",
    "2**10**10": "exponent is too large",
    "x**1e6": "exponent is too large",
    "x**(10*200)": "exponent is too large",
    "pow(x, 99999)": "exponent is too large",
    "x = 1": "assignments",
    "(y := 2)": "assignments",
    "open('f')": "unknown function",
    "exec('1')": "unknown function",
    "eval('1')": "unknown function",
    "x[0]": "indexing",
    "'abc'": "only numbers",
    "x if y else 1": "conditional",
    "x < y": "comparisons",
    "x // 2": "operator //",
    "x @ y": "operator @",
    "log(x, 2)": "takes 1 argument",
    "log(x=1)": "positional",
    "log": "is a function",
    "1e999": "too large",
    "": "empty",
    "x" * 2000: "too long",
    "(" * 300 + "x" + ")" * 300: "nested",
}


@pytest.mark.parametrize("text", list(REJECTED), ids=lambda t: t[:30])
def test_parser_rejects_with_a_clear_error(text: str) -> None:
    with pytest.raises(ExpressionError, match=re.escape(REJECTED[text])):
        P.parse(text)


def test_parser_never_calls_eval(monkeypatch) -> None:
    def forbidden(*args, **kwargs):
        raise AssertionError("eval/exec called")

    monkeypatch.setattr(builtins, "eval", forbidden)
    monkeypatch.setattr(builtins, "exec", forbidden)
    assert explain(TUTORIAL, {"x1": 1, "x2": 2}).gradient["x1"] == 0.3323954139224974
    with pytest.raises(ExpressionError):
        P.parse("__import__('os').system('true')")


def test_parser_points_at_the_problem() -> None:
    with pytest.raises(ExpressionError) as info:
        P.parse("x1 * x2.imag")
    lines = str(info.value).splitlines()
    assert lines[1].strip() == "x1 * x2.imag" and lines[2].index("^") == lines[1].index(".")


ALPHABET = "x1y2 ()+-*/.,_eplognsi0123456789[]{}:;=<>'\"\\@%&|^~!#\n\tλ"


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=ALPHABET, max_size=60))
def test_fuzz_any_text_parses_or_raises_expression_error(text: str) -> None:
    try:
        expr = P.parse(text)
    except ExpressionError as exc:
        assert str(exc)
        return
    assert isinstance(expr, tuple) and expr[0] in ("num", "var", "const", "neg", "pos", "bin", "call")


def expressions() -> st.SearchStrategy:
    """Valid formulas with their value at x = 0.5, y = 1.5, built side by side."""
    env = {"x": 0.5, "y": 1.5}
    leaves = st.one_of(
        st.sampled_from([("x", env["x"]), ("y", env["y"])]),
        st.integers(1, 9).map(lambda n: (str(n), float(n))),
    )

    def extend(children: st.SearchStrategy) -> st.SearchStrategy:
        binary = st.tuples(children, st.sampled_from(["+", "-", "*"]), children).map(
            lambda t: (
                f"({t[0][0]} {t[1]} {t[2][0]})",
                {"+": t[0][1] + t[2][1], "-": t[0][1] - t[2][1]}.get(t[1], t[0][1] * t[2][1]),
            )
        )
        unary = st.tuples(st.sampled_from(["sin", "cos", "tanh", "-"]), children).map(
            lambda t: (
                (f"-({t[1][0]})", -t[1][1]) if t[0] == "-" else (f"{t[0]}({t[1][0]})", getattr(math, t[0])(t[1][1]))
            )
        )
        return st.one_of(binary, unary)

    return st.recursive(leaves, extend, max_leaves=12)


@settings(max_examples=150, deadline=None)
@given(expressions())
def test_fuzz_valid_formulas_evaluate_to_their_value(case) -> None:
    text, value = case
    expr = P.parse(text)
    got = P.evaluate(expr, {"x": 0.5, "y": 1.5}, P._FLOAT_FUNCTIONS, float)
    assert got == pytest.approx(value, rel=1e-12, abs=1e-12)


FORBIDDEN = st.sampled_from(
    [
        ("x.real", "attribute access"),
        ("__import__('os')", "underscore"),
        ("(lambda: 1)()", "lambda"),
        ("sum([i for i in x])", "comprehensions"),
        ("2**9999", "exponent is too large"),
        ("y[0]", "indexing"),
        ("__builtins__", "underscore"),
    ]
)


@settings(max_examples=150, deadline=None)
@given(expressions(), FORBIDDEN, st.booleans())
def test_fuzz_a_forbidden_piece_anywhere_is_rejected(case, bad, left) -> None:
    text = f"{bad[0]} * {case[0]}" if left else f"{case[0]} + sin({bad[0]})"
    with pytest.raises(ExpressionError, match=re.escape(bad[1])):
        P.parse(text)
