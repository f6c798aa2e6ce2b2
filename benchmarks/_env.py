"""The benchmark process's environment: thread counts pinned to 1, the allocator's
give-back pinned off, the machine's facts.

``pin_threads_before_import`` must run before NumPy (or anything importing it) is loaded:
BLAS libraries read their thread count once, at load time. ``pin_threads_after_import``
then applies threadpoolctl's limit and PyTorch's settings, and ``describe`` reports what is
in force, so every printed number says under which conditions it was taken.

``pin_allocator`` stops glibc's malloc from handing freed memory back to the kernel. By
default it maps each large block fresh (and unmaps it on free) until a free raises its
threshold, and trims the heap top; the next allocation of that size then pays a page fault
per 4 KiB. How often that happens depends on what the process freed before, so the same
library timed at two points of one run (or in a fresh process) could differ by 1.5x on
W4 and W5. Pinned, every library runs on reused memory and the rows measure kernels and
overhead; ``--malloc default`` leaves glibc's policy alone (docs/benchmarks.md, "Page
faults")."""

from __future__ import annotations

import ctypes
import ctypes.util
import importlib.metadata
import os
import platform
import subprocess
import sys
from typing import Any

_THREAD_VARIABLES = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
)
# Some machines set these for old OpenBLAS builds; they force a generic kernel on a current
# one. Unset together, in this process only, so NumPy picks its kernel for this processor.
_OPENBLAS_OVERRIDES = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")

_notes: list[str] = []
_limiter: Any = None  # threadpoolctl's limiter, kept alive for the whole run
_allocator = "default (glibc's own thresholds)"

# mallopt parameters (malloc.h): the size above which blocks are mapped fresh, and the free
# space at the heap's top above which it is handed back.
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
_PINNED_THRESHOLD = 1 << 30


def pin_allocator() -> None:
    """Keep freed memory in the process (glibc only; elsewhere noted and left alone)."""
    global _allocator
    if not sys.platform.startswith("linux") or platform.libc_ver()[0] != "glibc":
        _allocator = "default (not glibc: left alone)"
        return
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    if libc.mallopt(_M_MMAP_THRESHOLD, _PINNED_THRESHOLD) and libc.mallopt(_M_TRIM_THRESHOLD, _PINNED_THRESHOLD):
        _allocator = "glibc malloc with mmap and trim thresholds at 1 GiB (freed memory is reused, not returned)"
    else:
        _allocator = "default (mallopt refused the thresholds)"


def pin_threads_before_import() -> None:
    if "numpy" in sys.modules:
        _notes.append("numpy was imported before the thread variables were set: BLAS may not be pinned")
    for name in _THREAD_VARIABLES:
        os.environ[name] = "1"
    removed = [f"{name}={os.environ.pop(name)}" for name in _OPENBLAS_OVERRIDES if name in os.environ]
    if removed:
        _notes.append("unset for this process: " + ", ".join(removed))


def pin_threads_after_import(torch: Any | None) -> None:
    global _limiter
    try:
        from threadpoolctl import threadpool_limits

        _limiter = threadpool_limits(limits=1)
    except ImportError:
        _notes.append("threadpoolctl not installed: BLAS pinned by environment variables only")
    if torch is not None:
        torch.set_num_threads(1)
        try:
            torch.set_num_interop_threads(1)
        except RuntimeError:  # only settable before PyTorch's first parallel work
            pass


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _threadpools() -> list[str]:
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return ["(threadpoolctl not installed: kernels unknown)"]
    lines = []
    for pool in threadpool_info():
        arch = pool.get("architecture")
        lines.append(
            f"{pool['internal_api']} {pool.get('version') or ''} threads={pool['num_threads']}"
            + (f" kernel={arch}" if arch else "")
            + f" ({os.path.basename(pool['filepath'])})"
        )
    return lines


def _git_state(path: str) -> str:
    """`` at <commit>`` when ``path`` is in a git checkout (``+changes`` if its tree differs)."""
    try:
        commit = subprocess.run(
            ["git", "-C", path, "rev-parse", "--short", "HEAD"], capture_output=True, text=True, timeout=10
        )
        if commit.returncode:
            return ""
        dirty = subprocess.run(
            ["git", "-C", path, "status", "--porcelain", "--", "."], capture_output=True, text=True, timeout=10
        )
        return f" at {commit.stdout.strip()}" + (" +uncommitted changes" if dirty.stdout.strip() else "")
    except (OSError, subprocess.SubprocessError):
        return ""


def describe(libs: dict[str, Any]) -> list[str]:
    """The machine and library facts, one per line."""
    import numpy as np

    lines = [
        f"machine: {_cpu_model()}, {os.cpu_count()} logical cores, {platform.system()} {platform.release()}",
        f"python: {platform.python_implementation()} {platform.python_version()}",
        f"numpy: {np.__version__}",
    ]
    for name, lib in libs.items():
        if name == "numpy":
            continue  # the reference column: its version is printed above
        try:
            version = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            version = getattr(lib.module, "__version__", "?")
        where = os.path.dirname(getattr(lib.module, "__file__", "") or "")
        lines.append(f"{name}: {version}" + (f" ({where}{_git_state(where)})" if name == "bibun" else ""))
    if "torch" in libs:
        torch = libs["torch"].module
        lines.append(f"torch threads: intra-op {torch.get_num_threads()}, inter-op {torch.get_num_interop_threads()}")
    lines.append("thread variables: " + " ".join(f"{n}={os.environ.get(n)}" for n in _THREAD_VARIABLES))
    lines.extend("thread pool: " + p for p in _threadpools())
    lines.append("allocator: " + _allocator)
    lines.append(load_average())
    lines.extend("note: " + n for n in _notes)
    return lines


def load_average() -> str:
    """Other processes compete for the cores: numbers taken under load are less sharp."""
    try:
        one, five, _ = os.getloadavg()
    except OSError:
        return "load average: unknown"
    return f"load average: {one:.2f} (1 min), {five:.2f} (5 min) on {os.cpu_count()} cores"
