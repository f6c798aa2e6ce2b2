"""The code in README.md and docs/*.md runs and shows what the text beside it says.

Every fenced block is labelled ``python``, ``sh`` or ``text``; the conventions (written up in
docs/testing.md, "Examples in the docs") are:

- A ``python`` block runs. The blocks of one page run in order in one namespace, as a reader
  would type them, in a temporary working directory.
- ``print(...)  # text``: the comment is exactly the line the call prints. Other trailing
  comments are prose.
- A top-level statement followed by comment lines ``# SomeError: message`` (continued on the
  next comment lines) must raise that exception with that message (whitespace aside).
- A ``sh`` block runs when each of its commands is ``python -m bibun ...`` (or
  ``.venv/bin/python -m bibun ...``); the command must exit with status 0.
- A ``text`` block right after a block that runs is that block's whole output; marked
  ``<!-- docs-test: excerpt -->``, each of its paragraphs appears in the output, in order.
  Any other ``text`` block is a listing or a recorded output and is not checked.
- ``<!-- docs-test: skip REASON -->`` on the line above a block: deliberately not run (a
  fragment, a set-up command, a measurement); the reason is required.
  ``<!-- docs-test: needs renderer -->`` / ``needs torch``: skipped with a reason when that is
  missing.
"""

from __future__ import annotations

import ast
import contextlib
import io
import math
import os
import re
import shlex
import subprocess
import sys
import tokenize
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import pytest

import bibun

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

FENCE = re.compile(r"^```(\S*)\s*$")
MARKER = re.compile(r"^<!-- docs-test: (.*?) -->$")
LANGUAGES = ("python", "sh", "text")
NEEDS = ("renderer", "torch")
BIBUN_COMMAND = re.compile(r"^(?:\.venv/bin/)?python3? (-m bibun(?: .*)?)$")
RAISES_COMMENT = re.compile(r"^#\s*([A-Z]\w*(?:Error|Exception)): ?(.*)$")


@dataclass
class Block:
    page: Path
    line: int  # of the opening fence, 1-based
    lang: str
    code: str
    directives: list[str] = field(default_factory=list)
    output: Block | None = None  # the text block that shows this block's output

    @property
    def name(self) -> str:
        page = self.page.relative_to(ROOT) if self.page.is_relative_to(ROOT) else self.page.name
        return f"{page}:{self.line}"

    def directive(self, word: str) -> str | None:
        """The argument of this block's ``word`` directive ("" when it has none), or None."""
        for d in self.directives:
            head, _, rest = d.partition(" ")
            if head == word:
                return rest.strip()
        return None

    @property
    def skipped(self) -> bool:
        return self.directive("skip") is not None


def parse_page(page: Path) -> tuple[list[Block], list[str]]:
    """The page's fenced blocks, each text block attached to the block it shows the output
    of, and the problems found (unknown directives, a marker that precedes no block, ...)."""
    lines = page.read_text(encoding="utf-8").split("\n")
    blocks: list[Block] = []
    problems: list[str] = []
    markers: list[tuple[int, str]] = []
    previous: Block | None = None  # the last block, while only blanks and markers follow it
    i = 0
    while i < len(lines):
        line = lines[i]
        marker = MARKER.match(line)
        fence = FENCE.match(line)
        if marker:
            markers.append((i + 1, marker.group(1)))
        elif fence:
            start = i
            i += 1
            while i < len(lines) and lines[i].rstrip() != "```":
                i += 1
            if i == len(lines):
                problems.append(f"{page.name}:{start + 1}: unterminated code block")
                break
            if markers and markers[-1][0] != start:
                problems.append(f"{page.name}:{markers[-1][0]}: docs-test marker not directly above a block")
            block = Block(page, start + 1, fence.group(1), "\n".join(lines[start + 1 : i]) + "\n")
            block.directives = [text for _, text in markers]
            markers = []
            if block.lang == "text" and previous is not None and previous.lang != "text":
                previous.output = block
            blocks.append(block)
            previous = block
        elif line.strip():
            if markers:
                problems.append(f"{page.name}:{markers[-1][0]}: docs-test marker not directly above a block")
                markers = []
            previous = None
        i += 1
    outputs = {id(b.output) for b in blocks if b.output is not None}
    for block in blocks:
        problems.extend(_block_problems(block))
        if block.directive("excerpt") is not None and id(block) not in outputs:
            problems.append(f"{block.name}: 'excerpt' marks the output of the block just above, and there is none")
    return blocks, problems


def _block_problems(block: Block) -> list[str]:
    where = block.name
    if block.lang not in LANGUAGES:
        return [f"{where}: label the block ```python, ```sh or ```text (it is ```{block.lang or ''})"]
    problems = []
    for d in block.directives:
        head, _, rest = d.partition(" ")
        if head == "skip" and not rest.strip():
            problems.append(f"{where}: 'skip' needs a reason")
        elif head == "needs" and rest.strip() not in NEEDS:
            problems.append(f"{where}: 'needs' takes one of {NEEDS}, not {rest!r}")
        elif head == "excerpt" and block.lang != "text":
            problems.append(f"{where}: 'excerpt' marks a text block")
        elif head not in ("skip", "needs", "excerpt"):
            problems.append(f"{where}: unknown docs-test directive {d!r}")
    if block.lang == "sh" and not block.skipped:
        for command in shell_commands(block.code):
            if not BIBUN_COMMAND.match(command):
                problems.append(
                    f"{where}: {command!r} is not `python -m bibun ...`: mark the block skip, with a reason"
                )
    return problems


def shell_commands(code: str) -> list[str]:
    joined = re.sub(r"\\\n\s*", " ", code)
    return [line.strip() for line in joined.splitlines() if line.strip() and not line.lstrip().startswith("#")]


ALL = {page: parse_page(page) for page in PAGES}


def _blocks(lang: str) -> list[Any]:
    return [pytest.param(b, id=b.name) for blocks, _ in ALL.values() for b in blocks if b.lang == lang]


# -- running a python block ----------------------------------------------------------------


class _Checks:
    """What one block's run printed and raised, against what its comments say."""

    def __init__(self) -> None:
        self.failures: list[str] = []
        self.printed: set[int] = set()
        self.raised: set[int] = set()

    def print(self, line: int, expected: str, *args: Any, **kwargs: Any) -> None:
        buffer = io.StringIO()
        kwargs.pop("file", None)
        print(*args, file=buffer, **kwargs)
        text = buffer.getvalue()
        sys.stdout.write(text)
        self.printed.add(line)
        if text.rstrip("\n") != expected:
            self.failures.append(f"line {line}: printed {text.rstrip(chr(10))!r}, the comment says {expected!r}")

    @contextlib.contextmanager
    def raises(self, line: int, name: str, message: str) -> Iterator[None]:
        self.raised.add(line)
        try:
            yield
        except Exception as e:
            names = [c.__name__ for c in type(e).__mro__]
            if name not in names or " ".join(str(e).split()) != " ".join(message.split()):
                self.failures.append(f"line {line}: raised {type(e).__name__}: {e}\nthe comment says {name}: {message}")
            return
        self.failures.append(f"line {line}: did not raise; the comment says {name}: {message}")


class _Instrument(ast.NodeTransformer):
    """Routes ``print(...)  # text`` calls and the statements documented to raise through
    the ``_Checks`` of the run."""

    def __init__(self, trailing: dict[int, str]) -> None:
        self.trailing = trailing
        self.expected_prints: set[int] = set()

    def visit_Expr(self, node: ast.Expr) -> ast.AST:
        call = node.value
        if isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id == "print":
            lines = [n for n in range(node.lineno, node.end_lineno + 1) if n in self.trailing]
            if lines:
                self.expected_prints.add(node.lineno)
                call.func = ast.Attribute(ast.Name("__docs__", ast.Load()), "print", ast.Load())
                call.args[:0] = [ast.Constant(node.lineno), ast.Constant(self.trailing[lines[-1]])]
        return node


def instrument(code: str, filename: str) -> tuple[Any, set[int], set[int], list[str]]:
    """The block compiled with its checks wired in; the lines of its checked prints and
    raising statements; problems with its comments."""
    trailing: dict[int, str] = {}
    whole_line: dict[int, str] = {}
    for tok in tokenize.generate_tokens(io.StringIO(code).readline):
        if tok.type == tokenize.COMMENT:
            row, col = tok.start
            text = tok.string[1:].strip()
            if tok.line[:col].strip():
                trailing[row] = text
            else:
                whole_line[row] = tok.string.strip()
    tree = ast.parse(code, filename)
    problems: list[str] = []
    raising: set[int] = set()
    body: list[ast.stmt] = []
    claimed: set[int] = set()
    for stmt in tree.body:
        first = whole_line.get(stmt.end_lineno + 1, "")
        match = RAISES_COMMENT.match(first)
        if match:
            name, message = match.groups()
            n = stmt.end_lineno + 2
            claimed.add(stmt.end_lineno + 1)
            while n in whole_line and not RAISES_COMMENT.match(whole_line[n]):
                message += "\n" + whole_line[n][1:].strip()
                claimed.add(n)
                n += 1
            raising.add(stmt.lineno)
            check = ast.parse(f"__docs__.raises({stmt.lineno}, {name!r}, {message!r})", mode="eval").body
            stmt = ast.With(items=[ast.withitem(check)], body=[stmt])
        body.append(stmt)
    for row, text in whole_line.items():
        if RAISES_COMMENT.match(text) and row not in claimed:
            problems.append(f"line {row}: {text!r} does not follow a top-level statement")
    tree.body = body
    transformer = _Instrument(trailing)
    tree = ast.fix_missing_locations(transformer.visit(tree))
    return compile(tree, filename, "exec"), transformer.expected_prints, raising, problems


def missing_need(block: Block) -> str | None:
    """Why this block cannot run here, or None."""
    need = block.directive("needs")
    if need == "torch":
        try:
            import torch  # noqa: F401
        except ImportError:
            return "needs torch (pip install torch)"
    if need == "renderer":
        from bibun.viz import RendererNotFoundError
        from bibun.viz import render as render_module

        try:
            render_module.find_renderer("svg")
        except RendererNotFoundError:
            return "needs a Graphviz renderer (pip install graphviz-pure)"
    return None


def run_python(block: Block, namespace: dict[str, Any], code: str | None = None) -> tuple[str, list[str]]:
    """Runs one block in ``namespace``: its output and the failed checks."""
    compiled, prints, raising, problems = instrument(code or block.code, block.name)
    checks = _Checks()
    namespace["__docs__"] = checks
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compiled, namespace)
    failures = problems + checks.failures
    failures += [f"line {n}: the print with an expected-output comment never ran" for n in prints - checks.printed]
    failures += [f"line {n}: the statement documented to raise never ran" for n in raising - checks.raised]
    return out.getvalue(), failures


def compare_output(actual: str, shown: Block) -> str | None:
    """None if ``actual`` is what the text block shows (all of it, or an excerpt)."""
    got = [line.rstrip() for line in actual.strip("\n").split("\n")]
    want = [line.rstrip() for line in shown.code.strip("\n").split("\n")]
    if shown.directive("excerpt") is None:
        if got == want:
            return None
        return f"output differs from the text block at {shown.name}:\n" + "\n".join(got)
    position = 0
    paragraphs = "\n".join(want).split("\n\n")
    for paragraph in paragraphs:
        part = paragraph.split("\n")
        for start in range(position, len(got) - len(part) + 1):
            if got[start : start + len(part)] == part:
                position = start + len(part)
                break
        else:
            return f"this paragraph of {shown.name} is not in the output (in order):\n{paragraph}\n\noutput:\n{actual}"
    return None


@pytest.fixture
def clean_state(tmp_path, monkeypatch) -> Iterator[None]:
    """Examples run in a scratch directory (make_dot writes files) from a known seed, and
    leave the default dtype and grad mode as they found them."""
    monkeypatch.chdir(tmp_path)
    dtype, grad = bibun.get_default_dtype(), bibun.is_grad_enabled()
    bibun.manual_seed(0)
    try:
        yield
    finally:
        bibun.set_default_dtype(dtype)
        bibun.set_grad_enabled(grad)


# -- the tests -----------------------------------------------------------------------------


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_block_is_labelled_and_marked(page: Path) -> None:
    """No example is silently left out: each block is python, sh or text, a sh block that is
    not `python -m bibun` is marked skip with a reason, and markers are well formed."""
    _, problems = ALL[page]
    assert not problems, "\n".join(problems)


@pytest.mark.usefixtures("clean_state")
@pytest.mark.parametrize("block", _blocks("python"))
def test_python_example(block: Block) -> None:
    if block.skipped:
        pytest.skip(f"marked skip: {block.directive('skip')}")
    reason = missing_need(block)
    if reason:
        pytest.skip(reason)
    namespace: dict[str, Any] = {"__name__": "__docs__"}
    blocks, _ = ALL[block.page]
    for earlier in blocks:
        if earlier is block:
            break
        if earlier.lang == "python" and not earlier.skipped and missing_need(earlier) is None:
            run_python(earlier, namespace)  # the page so far, as a reader would have run it
    output, failures = run_python(block, namespace)
    if block.output is not None:
        problem = compare_output(output, block.output)
        if problem:
            failures.append(problem)
    assert not failures, "\n".join(failures)


@pytest.mark.usefixtures("clean_state")
@pytest.mark.parametrize("block", _blocks("sh"))
def test_shell_example(block: Block, tmp_path: Path) -> None:
    if block.skipped:
        pytest.skip(f"marked skip: {block.directive('skip')}")
    reason = missing_need(block)
    if reason:
        pytest.skip(reason)
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    output = ""
    for command in shell_commands(block.code):
        args = shlex.split(BIBUN_COMMAND.match(command).group(1))
        proc = subprocess.run(
            [sys.executable, *args], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
        )
        assert proc.returncode == 0, f"{command} exited with {proc.returncode}:\n{proc.stderr}"
        output += proc.stdout
    if block.output is not None:
        problem = compare_output(output, block.output)
        assert problem is None, problem


def _readme_block(containing: str) -> Block:
    blocks, _ = ALL[ROOT / "README.md"]
    (block,) = [b for b in blocks if b.lang == "python" and containing in b.code]
    return block


def test_readme_tutorial_example_is_checked() -> None:
    """The tutorial example and its printed gradients are run and compared above; this makes
    sure they stay that way (not marked skip, the numbers still in expected-output comments)."""
    block = _readme_block("z.backward()")
    assert not block.skipped and block.directive("needs") is None
    _, prints, _, _ = instrument(block.code, block.name)
    lines = block.code.split("\n")
    checked = [lines[n - 1] for n in sorted(prints)]
    assert any("dz/dx1=0.33239537477493286" in line for line in checked)
    assert any("dz/dx2=0.16619768738746643" in line for line in checked)


def test_readme_hand_derivation() -> None:
    """ "By hand, dz/dx1 = (sin 2 · 1/2 + log 2 · cos 2) · 2 = <value> in float64": the value is
    that formula's float64 result, and what backward() gives in float64."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    (value,) = re.findall(r"By hand, dz/dx1 = [^=]*= ([0-9.]+) in float64", text)
    assert value == repr((math.sin(2) * 0.5 + math.log(2) * math.cos(2)) * 2)
    x1 = bibun.tensor(1.0, dtype=bibun.float64, requires_grad=True)
    x2 = bibun.tensor(2.0, dtype=bibun.float64, requires_grad=True)
    (bibun.log(x1 * x2) * bibun.sin(x1 * x2)).backward()
    assert repr(x1.grad.item()) == value


@pytest.mark.usefixtures("clean_state")
@pytest.mark.filterwarnings("ignore:`torch.jit.script` is deprecated:DeprecationWarning")  # torch's own, on import
def test_readme_tutorial_prints_the_same_under_pytorch() -> None:
    """ "The float32 result above is PyTorch's, to the last digit": the README's two examples
    with ``import torch`` print the same commented lines."""
    pytest.importorskip("torch", reason="needs torch (pip install torch)")
    namespace: dict[str, Any] = {"__name__": "__docs__"}
    failures = []
    for block in (_readme_block("z.backward()"), _readme_block("fwAD")):
        code = block.code.replace("import bibun as torch", "import torch").replace("bibun.autograd", "torch.autograd")
        failures += run_python(block, namespace, code)[1]
    assert not failures, "\n".join(failures)


def test_readme_counts_are_lower_bounds_that_hold() -> None:
    """ "over N functions ... on more than M primitive ops": lower bounds, so new ops never
    make them false; this catches them becoming false the other way."""
    import bibun.linalg
    import bibun.nn.functional
    import bibun.special
    from bibun.ops._registry import OPS

    text = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    (functions,) = re.findall(r"over (\d+) functions", text)
    (primitives,) = re.findall(r"more than (\d+) primitive ops", text)
    modules = (bibun.ops, bibun.nn.functional, bibun.linalg, bibun.special)
    public = {id(getattr(m, n)) for m in modules for n in m.__all__ if not isinstance(getattr(m, n), type)}
    assert len(public) > int(functions)
    assert len(OPS) > int(primitives)


# -- the checker checks itself -------------------------------------------------------------


def _page(tmp_path: Path, text: str) -> tuple[list[Block], list[str]]:
    page = tmp_path / "page.md"
    page.write_text(text, encoding="utf-8")
    return parse_page(page)


def test_checker_catches_a_wrong_printed_value(tmp_path: Path) -> None:
    (block,), problems = _page(tmp_path, "```python\nprint(1 + 1)  # 3\nprint(2)  # 2\n```\n")
    assert not problems
    _, failures = run_python(block, {})
    assert failures == ["line 1: printed '2', the comment says '3'"]


def test_checker_catches_a_missing_or_wrong_exception(tmp_path: Path) -> None:
    code = "```python\nx = 1\n# ValueError: no\n[][0]\n# IndexError: list index\n# out of range\n```\n"
    (block,), _ = _page(tmp_path, code)
    _, failures = run_python(block, {})
    assert len(failures) == 1 and failures[0].startswith("line 1: did not raise")


def test_checker_catches_wrong_output_and_unmarked_blocks(tmp_path: Path) -> None:
    text = (
        "```python\nprint('a')\nprint('b')\n```\n\n<!-- docs-test: excerpt -->\n```text\nb\n```\n\n"
        "```python\nprint('a')\n```\n\n```text\nb\n```\n\n"
        "```\nplain\n```\n\n```sh\npip install x\n```\n\n<!-- docs-test: skip -->\n```python\n```\n"
    )
    blocks, problems = _page(tmp_path, text)
    assert compare_output("a\nb\n", blocks[0].output) is None
    assert compare_output("a\n", blocks[2].output) is not None
    assert [p.split(": ", 1)[1] for p in problems] == [
        "label the block ```python, ```sh or ```text (it is ```)",
        "'pip install x' is not `python -m bibun ...`: mark the block skip, with a reason",
        "'skip' needs a reason",
    ]
