"""Summarize a py-spy profile of a benchmark step: ``python -m benchmarks.stacks FILE``.

FILE is py-spy's raw (collapsed-stack) output, e.g. from
``py-spy record --format raw -o FILE --rate 2000 -- python -m benchmarks.profiling W2 --loop 15``.
Only samples inside the workload's step count. Each sample is charged to a cost category
by the innermost bibun frame on its stack (so a NumPy call made from ``apply`` counts as
dispatch, except on the line that calls the primal); then the top lines by own time. With
``--us`` (the step's measured time), shares become microseconds."""

from __future__ import annotations

import argparse
import linecache
import os
import re
import sys
from collections import Counter

_SRC = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "src")

_FRAME = re.compile(r"^(?P<func>.*) \((?P<file>[^():]*?)(?::(?P<line>\d+))?\)$")

_KERNELS = "kernels (NumPy / math, rule and primal bodies)"

# (category, file name, function name or "*"); the first match wins, so specific entries
# come before a file's catch-all.
CATEGORIES = (
    ("tensor creation", "_creation.py", "*"),
    ("tensor creation", "_tensor.py", "new_tensor"),
    ("engine: entry (Tensor.backward, autograd.backward)", "_tensor.py", "backward"),
    ("saved values: check and unpack", "_registry.py", "unpack_saved"),
    ("saved values: check and unpack", "_registry.py", "_version"),
    ("node recording", "_registry.py", "_record"),
    ("node recording", "_registry.py", "_edge"),
    ("node recording", "_registry.py", "_versions"),
    ("node recording", "_registry.py", "_save_outputs"),
    ("node recording", "_registry.py", "_make_view"),
    ("node recording", "graph.py", "*"),
    ("broadcast reduction", "_registry.py", "unbroadcast"),
    ("broadcast reduction", "_xp.py", "sum_to"),
    ("op dispatch (apply)", "_registry.py", "*"),
    ("gradient accumulation", "engine.py", "_accumulate_into"),
    ("gradient accumulation", "engine.py", "_accumulate_grad"),
    ("rule dispatch", "engine.py", "_apply_rules"),
    ("engine: graph discovery", "engine.py", "_discover"),
    ("engine: graph discovery", "engine.py", "_needed"),
    ("engine: seed gradients and checks", "engine.py", "_root_gradients"),
    ("engine: seed gradients and checks", "engine.py", "_target_key"),
    ("engine: entry (Tensor.backward, autograd.backward)", "engine.py", "backward"),
    ("engine: entry (Tensor.backward, autograd.backward)", "engine.py", "_as_tuple"),
    ("engine: main loop", "engine.py", "*"),
    ("grad mode", "grad_mode.py", "*"),
    (_KERNELS, "_xp.py", "*"),
    (_KERNELS, "*", "<lambda>"),
    ("dtype promotion and operator dispatch", "_dtype.py", "*"),
    ("dtype promotion and operator dispatch", "_tensor_methods.py", "*"),
)
_OPS_FILES = ("elementwise.py", "binary.py", "unary.py", "reduction.py", "shape.py", "linalg.py", "_special.py")


def _parse(line: str) -> tuple[list[tuple[str, str, str]], int]:
    stack, _, count = line.rstrip("\n").rpartition(" ")
    frames = []
    for text in stack.split(";"):
        m = _FRAME.match(text)
        if m:  # py-spy qualifies names (``_unary.<locals>.function``): keep the last part
            frames.append((m["func"].rsplit(".", 1)[-1], m["file"], m["line"] or "?"))
    return frames, int(count)


def categorize(frames: list[tuple[str, str, str]], src: str = "") -> str:
    for i in range(len(frames) - 1, -1, -1):
        func, file, lineno = frames[i]
        if not file.startswith("bibun/") and "/bibun/" not in file:
            continue
        name = file.rsplit("/", 1)[-1]
        caller = frames[i - 1][0] if i else ""
        if name in _OPS_FILES and caller in ("apply", "_apply_rules"):
            return _KERNELS  # a primal or a VJP rule written as a named function
        if func == "apply" and "primal(" in _source(f"{file}:{lineno}", src):
            return _KERNELS  # NumPy's C kernel runs on this line, with no Python frame of its own
        for category, cat_file, cat_func in CATEGORIES:
            if (cat_file == "*" or cat_file == name) and (cat_func == "*" or cat_func == func):
                return category
        if name in _OPS_FILES:
            return "dtype promotion and operator dispatch"
        return f"other bibun ({name}:{func})"
    return "benchmark code and NumPy called from it"


def summarize(lines: list[str], step_marker: str, top: int, us: float | None, src: str = _SRC) -> list[str]:
    categories: Counter = Counter()
    own_lines: Counter = Counter()
    total = 0
    for line in lines:
        if not line.strip():
            continue
        frames, count = _parse(line)
        starts = [i for i, f in enumerate(frames) if f[0] in ("step", "forward") and step_marker in f[1]]
        if not starts:
            continue
        inner = frames[starts[0] + 1 :]
        total += count
        categories[categorize(inner, src)] += count
        if inner:
            func, file, lineno = inner[-1]
            own_lines[f"{file.split('site-packages/')[-1]}:{lineno} ({func})"] += count
    if not total:
        return [f"no samples inside a step of {step_marker}"]

    def share(n: int) -> str:
        return f"{100 * n / total:5.1f}%" + (f" {us * n / total:8.2f} µs" if us else "")

    out = [f"{total} samples inside the step", "", "by category (innermost bibun frame):"]
    out += [f"  {share(n)}  {name}" for name, n in categories.most_common()]
    out += ["", f"top {top} lines by own time:"]
    for where, n in own_lines.most_common(top):
        out.append(f"  {share(n)}  {where}")
        text = _source(where, src)
        if text:
            out.append(f"{'':16}  | {text}")
    return out


def _source(where: str, src: str) -> str:
    """The text of a bibun line, read from ``src`` (the tree that was profiled)."""
    file, _, rest = where.partition(":")
    lineno = rest.split(" ", 1)[0]
    if not file.startswith("bibun/") or not lineno.isdigit():
        return ""
    return linecache.getline(os.path.join(src, file), int(lineno)).strip()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.stacks", description=__doc__.split("\n\n")[0])
    parser.add_argument("file", help="py-spy raw output")
    parser.add_argument("--step-file", default="benchmarks/", help="file of the step function (default: any)")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--us", type=float, default=None, help="measured time of one step, to print µs")
    parser.add_argument("--src", default=_SRC, help="the source tree that was profiled (default: this checkout's src)")
    args = parser.parse_args(argv)
    with open(args.file) as f:
        lines = f.readlines()
    for line in summarize(lines, args.step_file, args.top, args.us, args.src):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
