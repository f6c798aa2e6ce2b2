"""``explain``: the derivation of a scalar function, generated the way a textbook writes it.

The function (a formula as text, or a Python function of tensors) is run once on float64
tensors while every op bibun applies is recorded (the op table's per-op hook). That gives
the Wengert list: one step per op, with its inputs and value; a repeated step with the same
op and inputs is recognised once. Each step's local partial derivatives come from the op's
own VJP rule evaluated in float64 with a unit cotangent. From them: forward mode (the
tangent of every step for one input, in order) and reverse mode (the adjoint of every step,
from the output back), and ``backward()`` on the same graph as a check (docs/viz.md,
"explain")."""

from __future__ import annotations

import inspect
import math
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from bibun.viz import parser


@dataclass
class Step:
    """One line of the Wengert list: ``name = op(args) = value``. ``args`` holds, per input,
    a variable's name or None for a constant (whose value is in ``constants``)."""

    name: str
    op: str
    grad_fn: str
    args: list[str | None]
    constants: list[float | None]
    params: dict[str, Any]
    value: float
    partials: list[float | None]  # ∂name/∂args[i] at this point; None for constants


@dataclass
class Derivation:
    """Everything explain computed; ``tables.render`` writes it out."""

    title: str
    inputs: dict[str, float]
    steps: list[Step]
    output: str
    wrt: str
    tangents: dict[str, dict[str, float]] = field(default_factory=dict)  # input -> name -> tangent
    adjoints: dict[str, float] = field(default_factory=dict)
    backward: dict[str, float] = field(default_factory=dict)  # input -> x.grad from backward()

    @property
    def value(self) -> float:
        return self.steps[-1].value if self.steps else self.inputs[self.output]

    @property
    def gradient(self) -> dict[str, float]:
        """∂output/∂input for every input, from reverse mode."""
        return {x: self.adjoints.get(x, 0.0) for x in self.inputs}

    def consumers(self, name: str) -> list[tuple[Step, int]]:
        """Where ``name`` is used: (step, input position), in step order."""
        return [(s, i) for s in self.steps for i, a in enumerate(s.args) if a == name]

    def agrees(self, rel_tol: float = 1e-12, abs_tol: float = 1e-14) -> bool:
        """Forward mode, reverse mode and backward() give the same gradient."""
        for x in self.inputs:
            fwd = self.tangents[x][self.output]
            rev = self.adjoints.get(x, 0.0)
            bwd = self.backward.get(x, 0.0)
            if not (math.isclose(fwd, rev, rel_tol=rel_tol, abs_tol=abs_tol)):
                return False
            if not math.isclose(rev, bwd, rel_tol=rel_tol, abs_tol=abs_tol):
                return False
        return True


class _Recorder:
    """The op hook installed while the function runs: one Step per op on traced values."""

    def __init__(self, names: dict[int, str]) -> None:
        self.names = names  # id(tensor) -> variable name
        self.keep: list[Any] = []  # keeps traced tensors alive, so their ids stay theirs
        self.steps: list[Step] = []
        self.by_key: dict[tuple, str] = {}
        self.previous: Any = None
        self.error: Exception | None = None

    def __call__(self, op: Any, args: tuple, arrays: list, params: Any, results: tuple, out: Any) -> None:
        if self.previous is not None:
            self.previous(op, args, arrays, params, results, out)
        if self.error is not None:
            return
        try:
            self.record(op, args, arrays, params or {}, results, out)
        except Exception as exc:  # noqa: BLE001 - reported after the function returns
            self.error = exc

    def record(self, op: Any, args: tuple, arrays: list, params: dict, results: tuple, out: Any) -> None:
        names = [self.names.get(id(a)) for a in args]
        if all(n is None for n in names):
            return  # only constants: the result is a constant too
        if len(results) != 1:
            raise ValueError(f"explain works on single-output ops; {op.grad_fn} has {len(results)} outputs")
        if np.size(out) != 1:
            raise ValueError(
                f"explain works step by step on scalars; {op.grad_fn} gave a result of shape {np.shape(out)}"
            )
        constants = [None if n is not None else _scalar(a) for a, n in zip(arrays, names)]
        key = (op.name, tuple(n if n is not None else ("const", c) for n, c in zip(names, constants)), repr(params))
        result = results[0]
        self.keep.append(result)
        if key in self.by_key:  # the same op on the same inputs: one step (a shared subexpression)
            self.names[id(result)] = self.by_key[key]
            return
        name = f"_step{len(self.steps)}"
        self.by_key[key] = name
        self.names[id(result)] = name
        partials = _local_partials(op, arrays, params, out, names)
        self.steps.append(Step(name, op.name, op.grad_fn, names, constants, params, _scalar(out), partials))


def _scalar(x: Any) -> float:
    return float(np.asarray(x, dtype=np.float64).reshape(-1)[0]) if np.size(x) == 1 else math.nan


def _local_partials(op: Any, arrays: list, params: dict, out: Any, names: list) -> list[float | None]:
    """∂out/∂input_i for each traced input: the op's VJP rule with a unit cotangent, in float64."""
    from bibun.ops import _xp

    arrays = [np.asarray(a, dtype=np.float64) if isinstance(a, np.ndarray) else a for a in arrays]
    out = np.asarray(out, dtype=np.float64)
    save = op.save
    if save == "nothing":
        saved: tuple = ()
    elif save == "inputs":
        saved = tuple(arrays)
    elif save == "output":
        saved = (out,)
    elif save == "inputs+output":
        saved = (*arrays, out)
    else:
        saved = tuple(save(arrays, out, params))
    partials: list[float | None] = []
    for i, name in enumerate(names):
        if name is None:
            partials.append(None)
            continue
        rule = op.vjp[i] if i < len(op.vjp) else None
        g = rule(_xp.NUMPY, np.ones_like(out), *saved, **params) if rule is not None else None
        partials.append(0.0 if g is None else float(np.sum(g)))
    return partials


def _trace(fn: Callable[..., Any], inputs: dict[str, float]) -> tuple[list[Step], str, Any, dict[str, Any]]:
    import bibun
    from bibun.ops import _registry

    tensors = {n: bibun.tensor(float(v), dtype=bibun.float64, requires_grad=True) for n, v in inputs.items()}
    recorder = _Recorder({id(t): n for n, t in tensors.items()})
    recorder.previous = _registry.forward_hook[0]
    _registry.forward_hook[0] = recorder
    try:
        with bibun.enable_grad():
            result = fn(**tensors)
    finally:
        _registry.forward_hook[0] = recorder.previous
    if recorder.error is not None:
        raise recorder.error
    if not isinstance(result, bibun.Tensor):
        raise TypeError(f"explain expects the function to return a Tensor, got {type(result).__name__}")
    if result.numel() != 1:
        raise ValueError(f"explain expects a scalar result, got shape {tuple(result.shape)}")
    out = recorder.names.get(id(result))
    if out is None:
        raise ValueError("the result does not depend on the inputs: there is nothing to differentiate")
    return recorder.steps, out, result, tensors


def _prune_and_name(steps: list[Step], output: str, inputs: Sequence[str]) -> tuple[list[Step], str]:
    """Keep the steps the output depends on and name them y1, y2, ..., z (the tutorial's names)."""
    needed = {output}
    kept = []
    for step in reversed(steps):
        if step.name in needed:
            kept.append(step)
            needed.update(a for a in step.args if a is not None)
    kept.reverse()
    taken = set(inputs)
    prefix, last = "y", "z"
    if any(n == "z" or (n[:1] == "y" and n[1:].isdigit()) for n in taken):
        prefix, last = "v", "f"
    rename = {}
    for i, step in enumerate(kept):
        rename[step.name] = last if i == len(kept) - 1 else f"{prefix}{i + 1}"
    for step in kept:
        step.name = rename[step.name]
        step.args = [rename.get(a, a) if a is not None else None for a in step.args]
    return kept, rename.get(output, output)


def _forward(steps: list[Step], inputs: Sequence[str], wrt: str) -> dict[str, float]:
    tangent = {x: (1.0 if x == wrt else 0.0) for x in inputs}
    for step in steps:
        total = 0.0
        for a, d in zip(step.args, step.partials):
            if a is not None:
                total += d * tangent[a]
        tangent[step.name] = total
    return tangent


def _reverse(d: Derivation) -> dict[str, float]:
    adjoint = {d.output: 1.0}
    for name in [s.name for s in reversed(d.steps)] + list(reversed(list(d.inputs))):
        if name == d.output:
            continue
        total = 0.0
        for step, i in d.consumers(name):
            total += adjoint[step.name] * step.partials[i]
        adjoint[name] = total
    return adjoint


def _as_inputs(inputs: Any, names: list[str]) -> dict[str, float]:
    if isinstance(inputs, Mapping):
        values = dict(inputs)
    else:
        if isinstance(inputs, (int, float)):
            inputs = [inputs]
        inputs = list(inputs)
        if len(inputs) != len(names):
            raise ValueError(f"expected {len(names)} input values for {', '.join(names)}, got {len(inputs)}")
        values = dict(zip(names, inputs))
    missing = [n for n in names if n not in values]
    if missing:
        raise ValueError(f"no value given for {', '.join(missing)}")
    extra = [n for n in values if n not in names]
    if extra:
        raise ValueError(f"{', '.join(extra)} not used by the function (its inputs: {', '.join(names)})")
    out = {}
    for n in names:
        v = values[n]
        if hasattr(v, "item"):
            v = v.item()
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise TypeError(f"input {n} must be a number, got {type(v).__name__}")
        out[n] = float(v)
    return out


def _expression_function(expr: parser.Expr) -> Callable[..., Any]:
    import bibun

    def as_tensor(x: Any) -> Any:
        return x if isinstance(x, bibun.Tensor) else bibun.tensor(float(x), dtype=bibun.float64)

    def tensor_function(name: str) -> Callable[..., Any]:
        function = getattr(bibun, name)
        return lambda *args: function(*(as_tensor(a) for a in args))

    functions = {f: tensor_function(f) for f in parser.FUNCTIONS}
    functions["pow"] = lambda a, b: bibun.pow(a, b) if isinstance(a, bibun.Tensor) else bibun.pow(as_tensor(a), b)

    def run(**env: Any) -> Any:
        return parser.evaluate(expr, env, functions, float)

    return run


def derive(fn_or_expression: str | Callable[..., Any], inputs: Any, wrt: str | None = None) -> Derivation:
    """Trace the function and compute the Wengert list, both modes' tables and the check."""
    if isinstance(fn_or_expression, str):
        given = list(inputs) if isinstance(inputs, Mapping) else None
        expr = parser.parse(fn_or_expression, variables=given)
        names = given if given is not None else parser.names(expr)
        values = _as_inputs(inputs, names)
        fn = _expression_function(expr)
        title = " ".join(fn_or_expression.split())
    elif callable(fn_or_expression):
        params = [
            p.name
            for p in inspect.signature(fn_or_expression).parameters.values()
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
        ]
        values = _as_inputs(inputs, params)
        fn = fn_or_expression
        title = f"{getattr(fn, '__name__', 'f')}({', '.join(params)})"
    else:
        raise TypeError(f"explain expects a formula (str) or a function, got {type(fn_or_expression).__name__}")
    if not values:
        raise ValueError("explain needs at least one input")
    if wrt is None:
        wrt = next(iter(values))
    elif wrt not in values:
        raise ValueError(f"wrt={wrt!r} is not an input (inputs: {', '.join(values)})")
    steps, out, result, tensors = _trace(fn, values)
    if out in values:
        raise ValueError(f"the function returns its input {out} unchanged: there is no step to explain")
    steps, out = _prune_and_name(steps, out, list(values))
    d = Derivation(title=title, inputs=values, steps=steps, output=out, wrt=wrt)
    d.tangents = {x: _forward(steps, list(values), x) for x in values}
    d.adjoints = _reverse(d)
    result.backward()
    d.backward = {n: (t.grad.item() if t.grad is not None else 0.0) for n, t in tensors.items()}
    return d


class Explanation:
    """What ``explain`` returns: the derivation, printable in several formats. ``str()`` is
    the text form; in Jupyter it shows as HTML tables."""

    def __init__(self, derivation: Derivation) -> None:
        self.derivation = derivation

    @property
    def value(self) -> float:
        """The function's value."""
        return self.derivation.value

    @property
    def gradient(self) -> dict[str, float]:
        """∂output/∂input for every input (reverse mode)."""
        return self.derivation.gradient

    @property
    def steps(self) -> list[Step]:
        return self.derivation.steps

    @property
    def tangents(self) -> dict[str, float]:
        """Forward mode: every variable's tangent with respect to ``wrt``."""
        return dict(self.derivation.tangents[self.derivation.wrt])

    @property
    def adjoints(self) -> dict[str, float]:
        """Reverse mode: every variable's adjoint ∂output/∂variable."""
        return dict(self.derivation.adjoints)

    @property
    def agrees(self) -> bool:
        """Forward mode, reverse mode and backward() agree."""
        return self.derivation.agrees()

    def render(self, format: str = "text", lang: str = "en") -> str:
        """The tables as ``format`` (text, markdown, latex, html); ``lang`` "en" or "ja"."""
        from bibun.viz import tables

        return tables.render(self.derivation, format, lang)

    def graph(self) -> Any:
        """The function's graph annotated with values on the nodes and adjoints on the edges
        (a DotGraph: ``.render(outfile="graph.svg")``)."""
        from bibun.viz.annotated import derivation_graph

        return derivation_graph(self.derivation)

    def __str__(self) -> str:
        return self.render("text")

    def __repr__(self) -> str:
        d = self.derivation
        return f"<bibun.viz.Explanation of {d.output} = {d.title}: {len(d.steps)} steps>"

    def _repr_html_(self) -> str:
        return self.render("html")


def explain(fn_or_expression: str | Callable[..., Any], inputs: Any, wrt: str | None = None) -> Explanation:
    """The derivation of a scalar function, step by step.

    ``fn_or_expression``: a formula as text (``"log(x1*x2)*sin(x1*x2)"``: names, numbers,
    ``+ - * / **``, parentheses and bibun's functions; parsed safely, never evaluated as
    Python) or a Python function of tensors. ``inputs``: the point, as ``{"x1": 1.0, ...}``
    or values in the order of the function's parameters. ``wrt``: the input whose forward
    mode tangents are tabulated (default: the first). The result prints the Wengert list,
    the forward-mode and reverse-mode tables and a check against ``backward()``."""
    return Explanation(derive(fn_or_expression, inputs, wrt))
