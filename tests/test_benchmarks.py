"""Smoke tests of the benchmark runner (benchmarks/): it runs, in both of its command forms,
and produces numbers. Speed itself is never asserted in a test."""

from __future__ import annotations

import json
import math
import os
import platform
import subprocess
import sys

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)  # benchmarks/ is a package at the repository root, not installed

from benchmarks._timing import Row, time_row  # noqa: E402


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_quick_run_of_w1_and_w2_produces_numbers(tmp_path):
    out = tmp_path / "results.json"
    proc = _run("-m", "benchmarks", "--quick", "--only", "W1,W2", "--json", str(out))
    assert proc.returncode == 0, proc.stderr
    results = {r["key"]: r for r in json.loads(out.read_text())["results"]}
    assert sorted(results) == ["W1", "W2"]
    for key, unit in (("W1", "µs/iter"), ("W2", "µs/op")):
        result = results[key]
        assert result["unit"] == unit
        assert "bibun" not in result["missing"], result["missing"]
        assert math.isfinite(result["values"]["bibun"]) and result["values"]["bibun"] > 0
        assert not any("MISMATCH" in text for text in result["detail"].values()), result["detail"]
        if "torch" in result["values"]:
            assert result["ratio"] > 0
    # The thread counts and the allocator policy in force are printed with the numbers.
    assert "OPENBLAS_NUM_THREADS=1" in proc.stdout
    assert "allocator: " in proc.stdout
    if sys.platform.startswith("linux") and platform.libc_ver()[0] == "glibc":
        assert "allocator: glibc malloc with mmap and trim thresholds at 1 GiB" in proc.stdout
    for result in results.values():  # page faults per iteration are recorded for every library timed
        assert set(result["faults"]) == set(result["values"])
        assert all(count >= 0 for count in result["faults"].values())
    table = [line.split() for line in proc.stdout.splitlines() if line.startswith(("W1 ", "W2 "))]
    assert [row[0] for row in table] == ["W1", "W2"]
    assert float(table[0][2]) > 0


def test_script_form_and_markdown_table():
    proc = _run("benchmarks/run.py", "--quick", "--only", "W1", "--libs", "bibun", "--rounds", "1", "--markdown")
    assert proc.returncode == 0, proc.stderr
    rows = [line for line in proc.stdout.splitlines() if line.startswith("| W1 |")]
    assert len(rows) == 1
    cells = [c.strip() for c in rows[0].strip("|").split("|")]
    assert cells[1] == "µs/iter" and float(cells[2]) > 0


def test_malloc_default_leaves_the_allocator_alone():
    proc = _run(
        "-m", "benchmarks", "--quick", "--only", "W1", "--libs", "bibun", "--rounds", "1", "--malloc", "default"
    )
    assert proc.returncode == 0, proc.stderr
    assert "allocator: default (glibc's own thresholds)" in proc.stdout


def test_unknown_workload_is_refused():
    proc = _run("-m", "benchmarks", "--only", "W9")
    assert proc.returncode == 2
    assert "unknown workload" in proc.stderr and "W9" in proc.stderr


def test_paired_ratio_failures_and_mismatches_are_reported():
    calls = {"bibun": 0, "torch": 0}

    def counting(name):
        def step():
            calls[name] += 1

        return step

    def broken():
        raise ValueError("no such op")

    row = Row(
        key="T",
        title="test",
        unit="µs",
        scale=1e6,
        steps={"bibun": counting("bibun"), "torch": counting("torch"), "mygrad": broken, "autograd": "absent"},
        checks={"bibun": lambda: [1.0, 2.0], "torch": lambda: [1.0, 2.5]},
    )
    result = time_row(row, rounds=2, min_sample=0.0)
    assert calls["bibun"] >= 4 and calls["torch"] >= 4  # warm-up, calibration and two rounds
    assert set(result.values) == {"bibun", "torch"}
    assert result.ratio is not None and result.ratio > 0
    assert result.missing["autograd"] == "absent"
    assert result.missing["mygrad"] == "failed: ValueError: no such op"
    assert "MISMATCH" in result.detail["bibun"]


@pytest.mark.parametrize("only", ["w1", "W2,w1"])
def test_only_accepts_any_case(only):
    from benchmarks.run import _parse

    assert set(_parse(["--only", only]).only) <= {"W1", "W2"}


def test_minimal_engine_floor_computes_the_tutorial_gradients():
    """The W1/W2 floor must do the same work: its gradients are the tutorial's."""
    from benchmarks import minimal_engine as me

    x1, x2 = me.leaf(1.0), me.leaf(2.0)
    y1 = x1 * x2
    z = me.log(y1) * me.sin(y1)
    z.backward()
    # dz/dx1 = x2 * (sin(y)/y + log(y) cos(y)) at y = 2; float32 arithmetic throughout.
    expected = 2.0 * (math.sin(2.0) / 2.0 + math.log(2.0) * math.cos(2.0))
    assert x1.grad.dtype == np.float32 and x2.grad.dtype == np.float32
    assert float(x1.grad) == pytest.approx(expected, rel=1e-6)
    assert float(x2.grad) == pytest.approx(expected / 2.0, rel=1e-6)
    chain = me.leaf(0.5)
    out = me.sin(chain * 0.9 + 0.1)
    out.backward()
    assert float(chain.grad) == pytest.approx(0.9 * math.cos(0.5 * 0.9 + 0.1), rel=1e-6)
