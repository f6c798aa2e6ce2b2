"""Interleaved timing and peak-memory measurement, shared by every workload.

Each row of the report is timed round by round: in every round each library runs one
sample (a calibrated number of iterations), in an order rotated from round to round, so a
slow phase of the machine (another process, frequency changes) hits every library alike.
The paired ratio bibun/PyTorch is the median of the per-round ratios."""

from __future__ import annotations

import gc
import statistics
import time
import tracemalloc
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

try:
    import resource
except ImportError:  # not on Windows: page faults are then not reported
    resource = None

Step = Callable[[], Any]


@dataclass
class Lib:
    """A library under test: ``module`` is its top-level module; ``np`` is HIPS autograd's
    wrapped NumPy (None for the others)."""

    name: str
    module: Any
    np: Any = None


@dataclass
class Row:
    """One timed line of the report. ``steps`` maps a library to the function running one
    iteration, or to the reason it cannot run; ``checks`` to a function returning the values
    (as a NumPy array) that must agree across libraries, so no library is timed doing less
    work than the others. ``scale`` converts seconds per iteration into ``unit``."""

    key: str
    title: str
    unit: str
    scale: float
    steps: dict[str, Step | str]
    checks: dict[str, Callable[[], Any]] = field(default_factory=dict)
    target: float | None = None
    note: str = ""
    rtol: float = 2e-3


@dataclass
class MemoryRow:
    """A peak-memory line: ``measures`` maps a library to a function returning
    ``peak_bytes`` of (recorded forward, forward under no_grad), or to the reason it cannot
    run."""

    key: str
    title: str
    measures: dict[str, Callable[[], tuple[tuple[int, int], tuple[int, int]]] | str]
    target: float | None = None
    note: str = ""


@dataclass
class Result:
    key: str
    title: str
    unit: str
    values: dict[str, float] = field(default_factory=dict)  # median, in ``unit``
    missing: dict[str, str] = field(default_factory=dict)  # library -> why there is no number
    ratio: float | None = None  # paired bibun/torch (timing) or bibun recorded/no_grad (memory)
    target: float | None = None
    note: str = ""
    detail: dict[str, str] = field(default_factory=dict)
    faults: dict[str, float] = field(default_factory=dict)  # minor page faults per iteration (median)


# Below this many page faults per iteration a row's fault counts are not printed: a few are
# the interpreter's own noise, thousands are fresh memory being mapped (docs/benchmarks.md).
FAULTS_WORTH_PRINTING = 10


def _minor_faults() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt if resource is not None else 0


def _describe_error(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else ""
    return f"failed: {type(exc).__name__}: {text[:100]}"


def _run_checks(row: Row, steps: dict[str, Step], result: Result) -> None:
    """Compare each library's check values with PyTorch's (or the first library's)."""
    values = {}
    for name, check in row.checks.items():
        if name not in steps:
            continue
        try:
            values[name] = np.asarray(check(), dtype=np.float64)
        except Exception as exc:  # noqa: BLE001 - a broken library is reported, not fatal
            result.missing[name] = _describe_error(exc)
            steps.pop(name)
    reference = "torch" if "torch" in values else next(iter(values), None)
    for name, value in values.items():
        if name == reference:
            continue
        expected = values[reference]
        if value.shape != expected.shape or not np.allclose(value, expected, rtol=row.rtol, atol=row.rtol):
            err = np.max(np.abs(value - expected)) if value.shape == expected.shape else "shape"
            result.detail[name] = f"MISMATCH with {reference} (max abs diff {err})"


def calibrate(step: Step, min_sample: float) -> int:
    """How many iterations make one sample last at least ``min_sample`` seconds."""
    t0 = time.perf_counter()
    step()
    single = time.perf_counter() - t0
    return max(1, int(min_sample / max(single, 1e-9)) + 1)


def time_row(row: Row, rounds: int, min_sample: float) -> Result:
    result = Result(row.key, row.title, row.unit, target=row.target, note=row.note)
    steps: dict[str, Step] = {}
    for name, step in row.steps.items():
        if isinstance(step, str):
            result.missing[name] = step
        else:
            steps[name] = step
    _run_checks(row, steps, result)
    counts = {}
    for name in list(steps):
        try:
            steps[name]()  # warm-up: first-call costs (imports, caches) are not timed
            counts[name] = calibrate(steps[name], min_sample)
        except Exception as exc:  # noqa: BLE001
            result.missing[name] = _describe_error(exc)
            steps.pop(name)
    samples: dict[str, list[float]] = {name: [] for name in steps}
    faults: dict[str, list[float]] = {name: [] for name in steps}
    order = list(steps)
    for r in range(rounds):
        shift = r % max(1, len(order))
        for name in order[shift:] + order[:shift]:
            step, n = steps[name], counts[name]
            gc.collect()  # garbage left by the previous library is not charged to this one
            faults_before = _minor_faults()
            t0 = time.perf_counter()
            for _ in range(n):
                step()
            samples[name].append((time.perf_counter() - t0) / n)
            faults[name].append((_minor_faults() - faults_before) / n)
    for name, times in samples.items():
        result.values[name] = statistics.median(times) * row.scale
        result.faults[name] = statistics.median(faults[name])
    if "bibun" in samples and "torch" in samples:
        result.ratio = statistics.median(b / t for b, t in zip(samples["bibun"], samples["torch"]))
    return result


def peak_bytes(forward: Callable[[], Any]) -> tuple[int, int]:
    """Bytes allocated while ``forward`` runs, above what was allocated before: the peak, and
    what is still held when it returns (its result alive: for a recorded forward, the graph's
    saved values). tracemalloc sees NumPy's array buffers, not PyTorch's allocator."""
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        out = forward()
        held, peak = tracemalloc.get_traced_memory()
        del out
    finally:
        tracemalloc.stop()
    return peak - base, held - base


def memory_row(row: MemoryRow, rounds: int) -> Result:
    result = Result(row.key, row.title, "MB", target=row.target, note=row.note)
    for name, measure in row.measures.items():
        if isinstance(measure, str):
            result.missing[name] = measure
            continue
        try:
            pairs = [measure() for _ in range(max(1, rounds))]
        except Exception as exc:  # noqa: BLE001
            result.missing[name] = _describe_error(exc)
            continue
        # Allocations are deterministic: the minimum over repeats drops tracemalloc's noise.
        recorded, no_grad = (min(p[i][0] for p in pairs) for i in (0, 1))
        held_recorded, held_no_grad = (min(p[i][1] for p in pairs) for i in (0, 1))
        result.values[name] = recorded / 1e6
        ratio = recorded / no_grad if no_grad else float("nan")
        result.detail[name] = (
            f"peak recorded {recorded / 1e6:.2f} MB, no_grad {no_grad / 1e6:.2f} MB, ratio {ratio:.2f}; "
            f"held after forward {held_recorded / 1e6:.2f} MB vs {held_no_grad / 1e6:.2f} MB"
        )
        if name == "bibun":
            result.ratio = ratio
    return result
