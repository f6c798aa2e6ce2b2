"""The benchmark runner: ``python -m benchmarks`` or ``python benchmarks/run.py``.

Times each workload (W1-W7, see docs/benchmarks.md) for bibun, PyTorch, and HIPS autograd
and MyGrad when installed, interleaved round by round in this one process with every
thread pool pinned to one thread, and prints medians, the paired ratio bibun/PyTorch and
the target for each. glibc's malloc is kept from handing freed memory back to the kernel, so
no row's time depends on what ran before it (``--malloc default`` to leave it). Options:
``--quick`` (a smoke run), ``--only W1,W2``, ``--markdown`` (a table for the docs),
``--libs``, ``--rounds``, ``--malloc``, ``--json FILE``."""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
import time
from typing import Any

if __package__ in (None, ""):  # run as a script: make the repository root importable instead
    sys.path[0] = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

from benchmarks import _env  # noqa: E402 - must not import NumPy before threads are pinned

# "numpy" is no library under test: the floor for any engine built on NumPy. W1 and W2 run on
# benchmarks/minimal_engine.py (reverse mode and nothing else); W3-W5 are plain NumPy with
# hand-derived derivatives.
ALL_LIBS = ("bibun", "torch", "autograd", "mygrad", "numpy")
WORKLOAD_KEYS = ("W1", "W2", "W3", "W4", "W5", "W6", "W7")
RATIO_NOTE = (
    "ratio: paired median of bibun/PyTorch per round; for 'W4 ratio' and W7, bibun's own ratio.\n"
    "numpy: the floor on NumPy: W1, W2 on a minimal reverse-mode engine over 0-d arrays\n"
    "    (benchmarks/minimal_engine.py); W3-W5 hand-derived derivatives in plain NumPy"
)


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="few short rounds: a smoke test, not a measurement")
    parser.add_argument("--only", default="", help="comma-separated workloads, e.g. W1,W2 (default: all)")
    parser.add_argument("--libs", default=",".join(ALL_LIBS), help="comma-separated libraries to run")
    parser.add_argument("--rounds", type=int, default=None, help="rounds per workload (default 11, quick 3)")
    parser.add_argument("--markdown", action="store_true", help="print the results as a Markdown table")
    parser.add_argument("--json", metavar="FILE", help="also write the results to FILE as JSON")
    parser.add_argument(
        "--malloc",
        choices=("pinned", "default"),
        default="pinned",
        help="pinned (default): freed memory stays in the process; default: glibc's own policy",
    )
    args = parser.parse_args(argv)
    only = [k.strip().upper() for k in args.only.split(",") if k.strip()] or list(WORKLOAD_KEYS)
    unknown = [k for k in only if k not in WORKLOAD_KEYS]
    if unknown:
        parser.error(f"unknown workload(s) {', '.join(unknown)}; choose from {', '.join(WORKLOAD_KEYS)}")
    args.only = only
    args.libs = [name.strip() for name in args.libs.split(",") if name.strip()]
    unknown = [name for name in args.libs if name not in ALL_LIBS]
    if unknown:
        parser.error(f"unknown librar(y/ies) {', '.join(unknown)}; choose from {', '.join(ALL_LIBS)}")
    return args


def load_libs(names: list[str]) -> tuple[dict[str, Any], dict[str, str]]:
    """Import the wanted libraries; a missing one is reported, not fatal (except bibun)."""
    from benchmarks._timing import Lib

    libs, absent = {}, {}
    for name in names:
        try:
            module = importlib.import_module(name)
        except ImportError as exc:
            if name == "bibun":
                raise
            absent[name] = f"not installed ({exc})"
            continue
        if name == "autograd" and not hasattr(module, "make_jvp"):
            absent[name] = "the installed 'autograd' is not HIPS autograd"
            continue
        libs[name] = Lib(name, module, importlib.import_module("autograd.numpy") if name == "autograd" else None)
    return libs, absent


def _workloads() -> dict[str, Any]:
    from benchmarks import arrays, higher_order, small_graphs

    return {
        "W1": small_graphs.w1,
        "W2": small_graphs.w2,
        "W3": arrays.w3,
        "W4": arrays.w4,
        "W5": higher_order.w5,
        "W6": higher_order.w6,
        "W7": arrays.w7,
    }


def _derived_w4_ratio(results: list) -> Any:
    """(fwd+bwd)/fwd per library, from the W4 and 'W4 fwd' rows."""
    from benchmarks._timing import Result

    by_key = {r.key: r for r in results}
    full, fwd = by_key.get("W4"), by_key.get("W4 fwd")
    if full is None or fwd is None:
        return None
    ratio = Result("W4 ratio", "W4 (fwd+bwd)/fwd", "x", target=2.5)
    for name, value in full.values.items():
        if fwd.values.get(name):
            ratio.values[name] = value / fwd.values[name]
    ratio.ratio = ratio.values.get("bibun")
    return ratio


def _fmt(value: float | None) -> str:
    if value is None:
        return "-"
    if value >= 100:
        return f"{value:.0f}"
    if value >= 10:
        return f"{value:.1f}"
    if value >= 1:
        return f"{value:.2f}"
    return f"{value:.3f}"


def _verdict(result: Any) -> str:
    if result.target is None or result.ratio is None:
        return ""
    return "met" if result.ratio <= result.target else "not met"


def _table(results: list, libs: list[str], markdown: bool) -> list[str]:
    header = ["workload", "unit", *libs, "ratio", "target", ""]
    rows = []
    for r in results:
        cells = [r.key, r.unit]
        cells += [_fmt(r.values.get(name)) if name in r.values else "n/a" for name in libs]
        cells += [_fmt(r.ratio), f"<= {r.target}" if r.target is not None else "", _verdict(r)]
        rows.append(cells)
    if markdown:
        lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
        return lines + ["| " + " | ".join(cells) + " |" for cells in rows]
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    return ["  ".join(str(c).ljust(w) for c, w in zip(row, widths)).rstrip() for row in [header, *rows]]


def _notes(results: list) -> list[str]:
    from benchmarks._timing import FAULTS_WORTH_PRINTING

    lines = []
    for r in results:
        lines.append(f"{r.key}: {r.title}")
        if r.note:
            lines.append(f"    {r.note}")
        for name, why in r.missing.items():
            if not why.startswith("not applicable"):  # the table's n/a says enough
                lines.append(f"    {name}: {why}")
        for name, text in r.detail.items():
            lines.append(f"    {name}: {text}")
        if max(r.faults.values(), default=0) >= FAULTS_WORTH_PRINTING:
            counts = ", ".join(f"{name} {count:.0f}" for name, count in r.faults.items())
            lines.append(f"    page faults per iteration: {counts}")
    return lines


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    _env.pin_threads_before_import()
    libs, absent = load_libs(args.libs)
    _env.pin_threads_after_import(libs["torch"].module if "torch" in libs else None)
    if args.malloc == "pinned":
        _env.pin_allocator()
    from benchmarks._timing import MemoryRow, memory_row, time_row

    rounds = args.rounds or (3 if args.quick else 11)
    min_sample = 0.005 if args.quick else 0.05
    facts = _env.describe(libs) + [f"{name}: {why}" for name, why in absent.items()]
    command = "python -m benchmarks " + " ".join(argv if argv is not None else sys.argv[1:])
    print(f"$ {command.strip()}")
    print(f"rounds per workload: {rounds}, minimum sample: {min_sample * 1e3:.0f} ms")
    for line in facts:
        print(line)
    print(flush=True)

    workloads = _workloads()
    results = []
    started = time.perf_counter()
    for key in args.only:
        for row in workloads[key](libs, args.quick):
            result = memory_row(row, rounds) if isinstance(row, MemoryRow) else time_row(row, rounds, min_sample)
            results.append(result)
            print(f"  {result.key}: " + ", ".join(f"{n} {_fmt(v)}" for n, v in result.values.items()), flush=True)
    derived = _derived_w4_ratio(results)
    if derived is not None:
        index = next(i for i, r in enumerate(results) if r.key == "W4 fwd") + 1
        results.insert(index, derived)
    print(f"\n(measured in {time.perf_counter() - started:.0f} s; at the end, {_env.load_average()})\n")
    names = [name for name in ALL_LIBS if name in libs]
    for line in _table(results, names, args.markdown):
        print(line)
    print()
    print(RATIO_NOTE)
    for line in _notes(results):
        print(line)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"facts": facts, "rounds": rounds, "results": [vars(r) for r in results]}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
