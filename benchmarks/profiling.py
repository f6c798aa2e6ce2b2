"""Profile one workload's bibun step: ``python -m benchmarks.profiling W2``.

cProfile by default (the top functions by own time, in µs per iteration); ``--lines
bibun.ops._registry.apply,...`` runs line_profiler on the named functions instead; ``--loop
SECONDS`` just runs the step for that long, for an outside sampler such as
``py-spy record -o profile.txt --format raw -- python -m benchmarks.profiling W4 --loop 20``.
docs/benchmarks.md, "Where the time goes", is written from these profiles."""

from __future__ import annotations

import argparse
import importlib
import sys
import time
from typing import Any, Callable

from benchmarks import _env


def _resolve(dotted: str) -> Any:
    """``package.module.function`` or ``package.module.Class.method`` to the function."""
    parts = dotted.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for name in parts[cut:]:
            obj = getattr(obj, name)
        return obj
    raise ValueError(f"cannot find {dotted!r}")


def bibun_step(key: str, row_index: int = 0) -> tuple[Callable[[], Any], Any]:
    """The bibun step of workload ``key`` (row ``row_index`` of it) and its row."""
    from benchmarks.run import _workloads, load_libs

    libs, _ = load_libs(["bibun"])
    rows = _workloads()[key](libs, False)
    row = rows[row_index]
    step = row.steps["bibun"]
    if isinstance(step, str):
        raise SystemExit(f"{row.key}: {step}")
    return step, row


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.profiling", description=__doc__.split("\n\n")[0])
    parser.add_argument("workload", help="W1 ... W6")
    parser.add_argument("--row", type=int, default=0, help="which row of the workload (W3: 0 = batch 128, 1 = 1024)")
    parser.add_argument("--iterations", type=int, default=None, help="iterations to profile (default: ~2 s worth)")
    parser.add_argument("--top", type=int, default=30, help="functions to list")
    parser.add_argument("--sort", default="tottime", help="pstats sort key: tottime, cumtime, ncalls")
    parser.add_argument("--lines", default="", help="comma-separated dotted functions for line_profiler")
    parser.add_argument("--loop", type=float, default=0.0, help="run unprofiled for this many seconds")
    args = parser.parse_args(argv)

    _env.pin_threads_before_import()
    step, row = bibun_step(args.workload.upper(), args.row)
    _env.pin_threads_after_import(None)
    step()
    t0 = time.perf_counter()
    step()
    single = time.perf_counter() - t0
    iterations = args.iterations or max(1, int(2.0 / max(single, 1e-9)))
    per_iteration_to_unit = row.scale  # the row's unit per second of one iteration
    print(f"{row.key}: {row.title}; {iterations} iterations; unit {row.unit}")

    if args.loop:
        end = time.perf_counter() + args.loop
        while time.perf_counter() < end:
            step()
        return 0

    if args.lines:
        from line_profiler import LineProfiler

        profiler = LineProfiler()
        for dotted in args.lines.split(","):
            profiler.add_function(_resolve(dotted.strip()))
        profiler.runcall(lambda: [step() for _ in range(iterations)])
        profiler.print_stats(output_unit=1e-6)
        return 0

    import cProfile
    import pstats

    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(iterations):
        step()
    profiler.disable()
    stats = pstats.Stats(profiler)
    total = stats.total_tt
    print(f"profiled: {total / iterations * per_iteration_to_unit:.3f} {row.unit} (with cProfile's own overhead)")
    print(f"{'own ' + row.unit:>12} {'cum ' + row.unit:>12} {'calls/it':>9}  function")
    entries = sorted(stats.stats.items(), key=lambda kv: kv[1][2 if args.sort == "tottime" else 3], reverse=True)
    if args.sort == "ncalls":
        entries = sorted(stats.stats.items(), key=lambda kv: kv[1][1], reverse=True)
    for (filename, line, name), (_, ncalls, tottime, cumtime, _) in entries[: args.top]:
        where = filename.split("/src/")[-1].split("site-packages/")[-1]
        print(
            f"{tottime / iterations * per_iteration_to_unit:12.3f} {cumtime / iterations * per_iteration_to_unit:12.3f} "
            f"{ncalls / iterations:9.1f}  {where}:{line}({name})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
