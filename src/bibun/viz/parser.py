"""A safe parser for the formulas ``explain`` takes as text: ``"log(x1*x2)*sin(x1*x2)"``.

Python's ``ast`` module only parses; nothing is ever passed to ``eval``. The tree is checked
against a whitelist (names, numbers, ``+ - * / **``, unary signs, parentheses, calls of a
fixed set of bibun's functions) and turned into plain tuples; anything else (attribute
access, imports, underscore names, lambdas, comprehensions, absurd exponents...) raises
ExpressionError saying what and where. Evaluation walks the tuples with an explicit stack
and evaluates a repeated subexpression once (docs/viz.md, "explain")."""

from __future__ import annotations

import ast
import math
import operator
from typing import Any, Callable

MAX_LENGTH = 1000
MAX_NODES = 400
MAX_EXPONENT = 1000.0

# name -> number of arguments. Each is a function of bibun's namespace.
FUNCTIONS: dict[str, int] = {
    "abs": 1,
    "cos": 1,
    "exp": 1,
    "log": 1,
    "neg": 1,
    "reciprocal": 1,
    "relu": 1,
    "sigmoid": 1,
    "sin": 1,
    "sqrt": 1,
    "square": 1,
    "tan": 1,
    "tanh": 1,
    "maximum": 2,
    "minimum": 2,
    "pow": 2,
}
CONSTANTS = {"pi": math.pi, "e": math.e}

_BINARY = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}
_APPLY_BINARY = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv, "**": operator.pow}
_UNARY = {ast.USub: "-", ast.UAdd: "+"}
_CONTEXT = (ast.Load, ast.Expression, *_BINARY, *_UNARY)
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp, ast.comprehension)
_DANGEROUS = (ast.Attribute, ast.Lambda, ast.NamedExpr, *_COMPREHENSIONS)
_OPERATOR_TEXT = {
    ast.FloorDiv: "//",
    ast.Mod: "%",
    ast.MatMult: "@",
    ast.LShift: "<<",
    ast.RShift: ">>",
    ast.BitOr: "|",
    ast.BitAnd: "&",
    ast.BitXor: "^",
    ast.Invert: "~",
    ast.Not: "not",
}

# A parsed expression: ("num", float) | ("var", name) | ("neg", e) | ("pos", e)
# | ("bin", op, left, right) | ("call", name, (args...)). Tuples: hashable, so equal
# subexpressions are found by dictionary lookup.
Expr = tuple


class ExpressionError(ValueError):
    """The text is not an expression explain accepts; the message says why and where."""


def _fail(text: str, message: str, node: Any = None) -> ExpressionError:
    col = getattr(node, "col_offset", None)
    if isinstance(node, ast.Attribute) and node.end_col_offset is not None:
        col = node.end_col_offset - len(node.attr) - 1  # at the dot
    if col is None or "\n" in text:
        return ExpressionError(f"{message}: {text!r}" if len(text) <= 80 else message)
    return ExpressionError(f"{message}\n    {text}\n    {' ' * col}^")


def _statement_error(text: str) -> str | None:
    """What kind of statement the text is, when it is one (parsing in exec mode only)."""
    try:
        module = ast.parse(text, mode="exec")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    for stmt in module.body:
        if isinstance(stmt, (ast.Import, ast.ImportFrom)):
            return "imports are not allowed"
        if isinstance(stmt, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
            return "assignments are not allowed: give input values with inputs={...} (or --at x=1)"
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            return "definitions are not allowed"
        if not isinstance(stmt, ast.Expr):
            return f"statements ({type(stmt).__name__.lower()}) are not allowed"
    return "only one expression is allowed" if len(module.body) > 1 else None


def _reject(text: str, node: ast.AST, variables: frozenset[str] | None) -> None:
    """Raise for any node outside the whitelist."""
    if isinstance(node, _CONTEXT) or isinstance(node, (ast.BinOp, ast.UnaryOp)):
        if isinstance(node, ast.BinOp) and type(node.op) not in _BINARY:
            raise _fail(text, f"operator {_OPERATOR_TEXT.get(type(node.op), '?')} is not allowed", node)
        if isinstance(node, ast.UnaryOp) and type(node.op) not in _UNARY:
            raise _fail(text, f"operator {_OPERATOR_TEXT.get(type(node.op), '?')} is not allowed", node)
        return
    if isinstance(node, ast.Name):
        if node.id.startswith("_"):
            raise _fail(text, f"names starting with an underscore are not allowed ({node.id})", node)
        if node.id in FUNCTIONS:
            raise _fail(text, f"{node.id} is a function: call it, as in {node.id}(x)", node)
        if variables is not None and node.id not in variables and node.id not in CONSTANTS:
            known = ", ".join(sorted(variables)) or "none"
            raise _fail(text, f"unknown name {node.id!r} (inputs: {known})", node)
        return
    if isinstance(node, ast.Constant):
        value = node.value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise _fail(text, f"only numbers are allowed as constants, not {type(value).__name__}", node)
        return
    if isinstance(node, ast.Call):
        func = node.func
        if not isinstance(func, ast.Name):
            if isinstance(func, ast.Attribute):
                raise _fail(text, f"attribute access (.{func.attr}) is not allowed", func)
            raise _fail(text, "only named functions can be called", node)
        if func.id.startswith("_"):
            raise _fail(text, f"names starting with an underscore are not allowed ({func.id})", func)
        if func.id not in FUNCTIONS:
            raise _fail(text, f"unknown function {func.id!r} (known: {', '.join(sorted(FUNCTIONS))})", func)
        if node.keywords or any(isinstance(a, ast.Starred) for a in node.args):
            raise _fail(text, f"{func.id}() takes positional arguments only", node)
        if len(node.args) != FUNCTIONS[func.id]:
            raise _fail(text, f"{func.id}() takes {FUNCTIONS[func.id]} argument(s), got {len(node.args)}", node)
        return
    if isinstance(node, ast.Attribute):
        raise _fail(text, f"attribute access (.{node.attr}) is not allowed", node)
    if isinstance(node, ast.Lambda):
        raise _fail(text, "lambda is not allowed", node)
    if isinstance(node, _COMPREHENSIONS):
        raise _fail(text, "comprehensions are not allowed", node)
    if isinstance(node, (ast.Subscript, ast.Slice)):
        raise _fail(text, "indexing is not allowed", node)
    if isinstance(node, (ast.Compare, ast.BoolOp)):
        raise _fail(text, "comparisons and boolean operators are not allowed", node)
    if isinstance(node, ast.NamedExpr):
        raise _fail(text, "assignments are not allowed", node)
    if isinstance(node, (ast.JoinedStr, ast.FormattedValue)):
        raise _fail(text, "strings are not allowed", node)
    if isinstance(node, ast.IfExp):
        raise _fail(text, "conditional expressions are not allowed", node)
    if isinstance(node, (ast.Tuple, ast.List, ast.Set, ast.Dict)):
        raise _fail(text, "tuples, lists, sets and dicts are not allowed", node)
    if isinstance(node, (ast.Await, ast.Yield, ast.YieldFrom)):
        raise _fail(text, f"{type(node).__name__.lower()} is not allowed", node)
    raise _fail(text, f"{type(node).__name__} is not allowed in an expression", node)


def parse(text: str, variables: Any = None) -> Expr:
    """Parse ``text`` into an Expr. ``variables``: the allowed input names (None: any name)."""
    if not isinstance(text, str):
        raise TypeError(f"expression must be a str, got {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"expression is too long ({len(text)} characters; at most {MAX_LENGTH})")
    if "\x00" in text:
        raise ExpressionError("expression contains a NUL character")
    stripped = text.strip()
    if not stripped:
        raise ExpressionError("expression is empty")
    try:
        tree = ast.parse(stripped, mode="eval")
    except SyntaxError as exc:
        statement = _statement_error(stripped)
        if statement is not None:
            raise ExpressionError(f"{statement}: {stripped!r}") from None
        col = (exc.offset or 1) - 1
        reason = exc.msg if exc.msg else "invalid syntax"
        if "\n" in stripped or col > len(stripped):
            raise ExpressionError(f"invalid expression ({reason}): {stripped!r}") from None
        raise ExpressionError(f"invalid expression ({reason})\n    {stripped}\n    {' ' * col}^") from None
    except (ValueError, OverflowError) as exc:
        raise ExpressionError(f"invalid expression ({exc})") from None
    except (RecursionError, MemoryError):
        raise ExpressionError("expression is too deeply nested") from None
    allowed = frozenset(variables) if variables is not None else None
    nodes = []
    for node in ast.walk(tree):  # breadth-first with a queue: no recursion
        nodes.append(node)
        if len(nodes) > MAX_NODES * 3:
            raise ExpressionError(f"expression is too large (more than {MAX_NODES} operations)")
    # The dangerous constructs are named first, wherever they are (``sum(x for x in y)`` is
    # refused for its comprehension, not for the unknown ``sum``).
    for node in nodes:
        if isinstance(node, _DANGEROUS) or (isinstance(node, ast.Name) and node.id.startswith("_")):
            _reject(stripped, node, allowed)
    called = {id(node.func) for node in nodes if isinstance(node, ast.Call)}  # checked with their call
    for node in nodes:
        if id(node) not in called:
            _reject(stripped, node, allowed)
    return _convert(stripped, tree.body)


def _convert(text: str, root: ast.AST) -> Expr:
    """ast -> Expr tuples, post-order with an explicit stack; constant exponents are
    evaluated (in floats) and bounded so that ``2**10**10`` is refused, not computed."""
    done: dict[int, Expr] = {}
    stack: list[tuple[ast.AST, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        if not children_done:
            stack.append((node, True))
            stack.extend((c, False) for c in _children(node))
            continue
        done[id(node)] = _build(text, node, [done[id(c)] for c in _children(node)])
    return done[id(root)]


def _children(node: ast.AST) -> list[ast.AST]:
    if isinstance(node, ast.BinOp):
        return [node.left, node.right]
    if isinstance(node, ast.UnaryOp):
        return [node.operand]
    if isinstance(node, ast.Call):
        return list(node.args)
    return []


def _build(text: str, node: ast.AST, kids: list[Expr]) -> Expr:
    if isinstance(node, ast.Constant):
        try:
            value = float(node.value)
        except OverflowError:
            raise _fail(text, "number is too large", node) from None
        if not math.isfinite(value):
            raise _fail(text, "number is too large", node)
        return ("num", value)
    if isinstance(node, ast.Name):
        if node.id in CONSTANTS:
            return ("const", node.id)
        return ("var", node.id)
    if isinstance(node, ast.UnaryOp):
        return ("neg" if isinstance(node.op, ast.USub) else "pos", kids[0])
    if isinstance(node, ast.Call):
        if node.func.id == "pow":
            _check_exponent(text, kids[1], node.args[1])
        return ("call", node.func.id, tuple(kids))
    op = _BINARY[type(node.op)]
    if op == "**":
        _check_exponent(text, kids[1], node.right)
    return ("bin", op, kids[0], kids[1])


def _check_exponent(text: str, exponent: Expr, node: ast.AST) -> None:
    value = constant_value(exponent)
    if value is not None and math.isnan(value):
        raise _fail(text, "exponent is not a number (nan)", node)
    if value is not None and not abs(value) <= MAX_EXPONENT:
        raise _fail(text, f"exponent is too large (at most {MAX_EXPONENT:g} in absolute value)", node)


def constant_value(expr: Expr) -> float | None:
    """The value of an expression without variables, computed in floats (inf on overflow);
    None when it has a variable."""
    values: dict[int, float | None] = {}
    stack = [(expr, False)]
    while stack:
        e, ready = stack.pop()
        if not ready:
            stack.append((e, True))
            stack.extend((k, False) for k in _expr_children(e))
            continue
        kids = [values[id(k)] for k in _expr_children(e)]
        values[id(e)] = None if any(k is None for k in kids) else _float_op(e, kids)
    return values[id(expr)]


def _expr_children(e: Expr) -> tuple:
    kind = e[0]
    if kind in ("neg", "pos"):
        return (e[1],)
    if kind == "bin":
        return (e[2], e[3])
    if kind == "call":
        return e[2]
    return ()


_FLOAT_FUNCTIONS: dict[str, Callable[..., float]] = {
    "abs": abs,
    "cos": math.cos,
    "exp": math.exp,
    "log": math.log,
    "neg": lambda a: -a,
    "reciprocal": lambda a: 1 / a,
    "relu": lambda a: max(a, 0.0),
    "sigmoid": lambda a: 1 / (1 + math.exp(-a)),
    "sin": math.sin,
    "sqrt": math.sqrt,
    "square": lambda a: a * a,
    "tan": math.tan,
    "tanh": math.tanh,
    "maximum": max,
    "minimum": min,
    "pow": lambda a, b: a**b,
}


def _float_op(e: Expr, kids: list) -> float | None:
    kind = e[0]
    try:
        if kind == "num":
            return e[1]
        if kind == "const":
            return CONSTANTS[e[1]]
        if kind == "var":
            return None
        if kind == "neg":
            return -kids[0]
        if kind == "pos":
            return kids[0]
        if kind == "call":
            return float(_FLOAT_FUNCTIONS[e[1]](*kids))
        a, b = kids
        op = e[1]
        if op == "**" and abs(b) > MAX_EXPONENT:
            return math.inf
        return float(_APPLY_BINARY[op](a, b))
    except OverflowError:
        return math.inf
    except (ValueError, ZeroDivisionError, TypeError):
        return math.nan


def evaluate(expr: Expr, env: dict[str, Any], functions: dict[str, Callable[..., Any]], number: Callable) -> Any:
    """Evaluate ``expr`` with ``env`` (name -> value), ``functions`` (name -> callable) and
    ``number`` (turns a float into an operand), post-order with an explicit stack; each
    distinct subexpression is evaluated once (``x1*x2`` written twice is one step)."""
    memo: dict[Expr, Any] = {}
    stack = [(expr, False)]
    while stack:
        e, ready = stack.pop()
        if e in memo:
            continue
        if not ready:
            stack.append((e, True))
            # reversed: the left operand is popped, so evaluated (and numbered), first
            stack.extend((k, False) for k in reversed(_expr_children(e)))
            continue
        kind = e[0]
        if kind == "num":
            value = number(e[1])
        elif kind == "const":
            value = env[e[1]] if e[1] in env else number(CONSTANTS[e[1]])
        elif kind == "var":
            value = env[e[1]]
        elif kind == "neg":
            value = -memo[e[1]]
        elif kind == "pos":
            value = memo[e[1]]
        elif kind == "call":
            value = functions[e[1]](*(memo[k] for k in e[2]))
        else:
            value = _APPLY_BINARY[e[1]](memo[e[2]], memo[e[3]])
        memo[e] = value
    return memo[expr]


def names(expr: Expr) -> list[str]:
    """The variable names in ``expr``, in order of first appearance (left to right)."""
    found: list[str] = []
    stack = [expr]
    while stack:
        e = stack.pop()
        if e[0] == "var" and e[1] not in found:
            found.append(e[1])
        stack.extend(reversed(_expr_children(e)))
    return found
