"""How each op's step and its local derivatives are written, in text and in LaTeX.

These are display only: the numbers in explain's tables come from the op table's own VJP
rules evaluated in float64 (explain.py). A piece of formula is ``(text, precedence)`` so
that operands are parenthesised exactly when needed."""

from __future__ import annotations

import math
import re
import unicodedata
from typing import Any, Callable

ATOM, POWER, UNARY, PRODUCT, SUM = 5, 4, 3, 2, 1
Piece = tuple[str, int]

_NAME_WITH_INDEX = re.compile(r"^([A-Za-z])_?(\d+)$")
_LATEX_FUNCTIONS = {"log", "exp", "sin", "cos", "tan", "tanh", "sqrt"}


def number(value: float) -> str:
    """Integral values without a fraction (``2``), others as Python's shortest repr."""
    value = float(value)
    if math.isfinite(value) and value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    return repr(value)


class TextStyle:
    """Plain text: ``x1 * x2``, ``log(y1)``, tangents ``ẏ1`` and adjoints ``ȳ1``."""

    times, chain_dot = " * ", "·"

    def name(self, n: str) -> str:
        return n

    # Combining dot and bar over the first letter, composed where Unicode has the letter
    # (ẋ, ẏ, ż), which terminals draw more reliably.
    def tangent(self, n: str) -> str:
        return unicodedata.normalize("NFC", n[0] + "\u0307") + n[1:]

    def adjoint(self, n: str) -> str:
        return unicodedata.normalize("NFC", n[0] + "\u0304") + n[1:]

    def paren(self, p: Piece, above: int) -> str:
        return f"({p[0]})" if p[1] < above else p[0]

    def add(self, a: Piece, b: Piece) -> Piece:
        return (f"{a[0]} + {self.paren(b, PRODUCT)}", SUM)

    def sub(self, a: Piece, b: Piece) -> Piece:
        return (f"{a[0]} - {self.paren(b, PRODUCT)}", SUM)

    def mul(self, a: Piece, b: Piece) -> Piece:
        return (f"{self.paren(a, PRODUCT)}{self.times}{self.paren(b, UNARY)}", PRODUCT)

    def chain(self, a: Piece, b: Piece) -> Piece:
        """A local derivative times a tangent or an adjoint."""
        return (f"{self.paren(a, UNARY)}{self.chain_dot}{self.paren(b, POWER)}", PRODUCT)

    def div(self, a: Piece, b: Piece) -> Piece:
        return (f"{self.paren(a, PRODUCT)} / {self.paren(b, UNARY)}", PRODUCT)

    def pow(self, a: Piece, b: Piece) -> Piece:
        return (f"{self.paren(a, ATOM)}**{self.paren(b, UNARY)}", POWER)

    def neg(self, a: Piece) -> Piece:
        return (f"-{self.paren(a, PRODUCT if a[1] != SUM else ATOM)}", UNARY)

    def call(self, f: str, *args: Piece) -> Piece:
        return (f"{f}({', '.join(a[0] for a in args)})", ATOM)

    def indicator(self, cond: str) -> Piece:
        return (f"[{cond}]", ATOM)

    def partial(self, of: str, by: str) -> Piece:
        return (f"∂{of}/∂{by}", ATOM)


class LatexStyle(TextStyle):
    """LaTeX: ``x_{1} \\times x_{2}``, ``\\frac{1}{y_{1}}``, ``\\dot{y}_{1}``, ``\\bar{y}_{1}``."""

    times, chain_dot = " \\times ", " \\cdot "

    def name(self, n: str) -> str:
        m = _NAME_WITH_INDEX.match(n)
        if m:
            return f"{m.group(1)}_{{{m.group(2)}}}"
        escaped = n.replace("_", "\\_")
        return n if len(n) == 1 else f"\\mathit{{{escaped}}}"

    def tangent(self, n: str) -> str:
        m = _NAME_WITH_INDEX.match(n)
        return f"\\dot{{{m.group(1)}}}_{{{m.group(2)}}}" if m else f"\\dot{{{self.name(n)}}}"

    def adjoint(self, n: str) -> str:
        m = _NAME_WITH_INDEX.match(n)
        return f"\\bar{{{m.group(1)}}}_{{{m.group(2)}}}" if m else f"\\bar{{{self.name(n)}}}"

    def div(self, a: Piece, b: Piece) -> Piece:
        return (f"\\frac{{{a[0]}}}{{{b[0]}}}", ATOM)

    def pow(self, a: Piece, b: Piece) -> Piece:
        return (f"{self.paren(a, ATOM)}^{{{b[0]}}}", POWER)

    def paren(self, p: Piece, above: int) -> str:
        return f"\\left({p[0]}\\right)" if p[1] < above else p[0]

    def call(self, f: str, *args: Piece) -> Piece:
        head = f"\\{f}" if f in _LATEX_FUNCTIONS else f"\\operatorname{{{f}}}"
        if f == "sqrt":
            return (f"\\sqrt{{{args[0][0]}}}", ATOM)
        return (f"{head}\\left({', '.join(a[0] for a in args)}\\right)", ATOM)

    def indicator(self, cond: str) -> Piece:
        return (f"[{cond.replace('>', '> ').replace('<', '< ')}]", ATOM)

    def partial(self, of: str, by: str) -> Piece:
        return (f"\\frac{{\\partial {of}}}{{\\partial {by}}}", ATOM)


TEXT, LATEX = TextStyle(), LatexStyle()

ONE: Piece = ("1", ATOM)
TWO: Piece = ("2", ATOM)
MINUS_ONE: Piece = ("-1", UNARY)

# op name -> (expression, (local derivative per input)), each a function of
# (style, args, out, constants, params): args are the inputs as Pieces, out the output's
# name, constants the inputs' values where they are constants (else None).
Formula = Callable[..., Piece]
_FORMULAS: dict[str, tuple[Formula, tuple[Formula | None, ...]]] = {
    "add": (lambda s, a, o, c, p: s.add(a[0], a[1]), (lambda *_: ONE, lambda *_: ONE)),
    "add_scaled": (
        lambda s, a, o, c, p: s.add(a[0], s.mul((number(p["alpha"]), ATOM), a[1])),
        (lambda *_: ONE, lambda s, a, o, c, p: (number(p["alpha"]), ATOM)),
    ),
    "sub": (lambda s, a, o, c, p: s.sub(a[0], a[1]), (lambda *_: ONE, lambda *_: MINUS_ONE)),
    "rsub": (lambda s, a, o, c, p: s.sub(_num(p["other"]), a[0]), (lambda *_: MINUS_ONE,)),
    "mul": (lambda s, a, o, c, p: s.mul(a[0], a[1]), (lambda s, a, *_: a[1], lambda s, a, *_: a[0])),
    "div": (
        lambda s, a, o, c, p: s.div(a[0], a[1]),
        (lambda s, a, *_: s.div(ONE, a[1]), lambda s, a, *_: s.neg(s.div(a[0], s.pow(a[1], TWO)))),
    ),
    "neg": (lambda s, a, o, c, p: s.neg(a[0]), (lambda *_: MINUS_ONE,)),
    "reciprocal": (lambda s, a, o, c, p: s.div(ONE, a[0]), (lambda s, a, *_: s.neg(s.div(ONE, s.pow(a[0], TWO))),)),
    "pow": (
        lambda s, a, o, c, p: s.pow(a[0], _num(p["exponent"])),
        (lambda s, a, o, c, p: s.mul(_num(p["exponent"]), s.pow(a[0], _num(p["exponent"] - 1))),),
    ),
    "pow_tensor": (
        lambda s, a, o, c, p: s.pow(a[0], a[1]),
        (
            lambda s, a, o, c, p: s.mul(a[1], s.pow(a[0], s.sub(a[1], ONE))),
            lambda s, a, o, c, p: s.mul(s.call("log", a[0]), (s.name(o), ATOM)),
        ),
    ),
    "rpow": (
        lambda s, a, o, c, p: s.pow(_num(p["base"]), a[0]),
        (lambda s, a, o, c, p: s.mul(s.call("log", _num(p["base"])), (s.name(o), ATOM)),),
    ),
    "exp": (lambda s, a, o, c, p: s.call("exp", a[0]), (lambda s, a, o, c, p: s.call("exp", a[0]),)),
    "log": (lambda s, a, o, c, p: s.call("log", a[0]), (lambda s, a, *_: s.div(ONE, a[0]),)),
    "sin": (lambda s, a, o, c, p: s.call("sin", a[0]), (lambda s, a, *_: s.call("cos", a[0]),)),
    "cos": (lambda s, a, o, c, p: s.call("cos", a[0]), (lambda s, a, *_: s.neg(s.call("sin", a[0])),)),
    "tan": (
        lambda s, a, o, c, p: s.call("tan", a[0]),
        (lambda s, a, o, c, p: s.add(ONE, s.pow((s.name(o), ATOM), TWO)),),
    ),
    "tanh": (
        lambda s, a, o, c, p: s.call("tanh", a[0]),
        (lambda s, a, o, c, p: s.sub(ONE, s.pow((s.name(o), ATOM), TWO)),),
    ),
    "sigmoid": (
        lambda s, a, o, c, p: s.call("sigmoid", a[0]),
        (lambda s, a, o, c, p: s.mul((s.name(o), ATOM), s.sub(ONE, (s.name(o), ATOM))),),
    ),
    "sqrt": (
        lambda s, a, o, c, p: s.call("sqrt", a[0]),
        (lambda s, a, o, c, p: s.div(ONE, s.mul(TWO, (s.name(o), ATOM))),),
    ),
    "abs": (lambda s, a, o, c, p: s.call("abs", a[0]), (lambda s, a, *_: s.call("sign", a[0]),)),
    "relu": (lambda s, a, o, c, p: s.call("relu", a[0]), (lambda s, a, *_: s.indicator(f"{a[0][0]} > 0"),)),
    "maximum": (
        lambda s, a, o, c, p: s.call("maximum", a[0], a[1]),
        (
            lambda s, a, *_: s.indicator(f"{a[0][0]} > {a[1][0]}"),
            lambda s, a, *_: s.indicator(f"{a[1][0]} > {a[0][0]}"),
        ),
    ),
    "minimum": (
        lambda s, a, o, c, p: s.call("minimum", a[0], a[1]),
        (
            lambda s, a, *_: s.indicator(f"{a[0][0]} < {a[1][0]}"),
            lambda s, a, *_: s.indicator(f"{a[1][0]} < {a[0][0]}"),
        ),
    ),
}


# Multiplying or dividing by a Python number records the number as a constant input.
_FORMULAS["mul_scalar"] = _FORMULAS["mul"]
_FORMULAS["div_scalar"] = _FORMULAS["div"]


def _num(value: float) -> Piece:
    text = number(value)
    return (text, UNARY if text.startswith("-") else ATOM)


def expression(style: TextStyle, op: str, args: list[Piece], out: str, constants: list, params: dict) -> Piece:
    """The right-hand side of a step: ``x1 * x2``, ``log(y1)``."""
    entry = _FORMULAS.get(op)
    if entry is None:
        return style.call(op, *args)
    return entry[0](style, args, out, constants, params)


def local_derivative(
    style: TextStyle,
    op: str,
    index: int,
    args: list[Piece],
    arg_names: list[str],
    out: str,
    constants: list,
    params: dict,
) -> Piece:
    """∂out/∂(input ``index``) as a formula in the step's own names."""
    entry = _FORMULAS.get(op)
    rule = entry[1][index] if entry is not None and index < len(entry[1]) else None
    if rule is None:
        return style.partial(style.name(out), style.name(arg_names[index]))
    return rule(style, args, out, constants, params)


def operand(style: TextStyle, name: str | None, value: Any) -> Piece:
    """An input of a step as a Piece: a variable's name, or a constant's value."""
    if name is not None:
        return (style.name(name), ATOM)
    return _num(float(value))


def chain_term(style: TextStyle, partial: Piece, factor: str, factor_first: bool = False) -> Piece:
    """``partial · factor`` (forward mode: local derivative times tangent) or, with
    ``factor_first``, ``factor · partial`` (reverse mode: adjoint times local derivative);
    simplified when the partial is ±1."""
    if partial[0] == "1":
        return (factor, ATOM)
    if partial[0] == "-1":
        return style.neg((factor, ATOM))
    if factor_first:
        return style.chain((factor, ATOM), partial)
    return style.chain(partial, (factor, ATOM))


def sum_terms(style: TextStyle, terms: list[Piece]) -> Piece:
    if not terms:
        return ("0", ATOM)
    total = terms[0]
    for t in terms[1:]:
        if t[1] == UNARY and t[0].startswith("-"):
            total = style.sub(total, (t[0][1:], PRODUCT))
        else:
            total = style.add(total, t)
    return total
