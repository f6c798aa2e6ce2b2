"""The drop-in harness shared by tests/test_drop_in*.py: a program (a string of ordinary
PyTorch code) runs once with ``torch`` bound to bibun and once to PyTorch, and the two
printed outputs must be identical once PyTorch's own names are read as bibun's
(``torch.`` → ``bibun.``, and ``torch::autograd::CopySlices`` → ``bibun::autograd::CopySlices``).

A program may import from the package it runs under (``from torch.func import vmap``,
``import torch.autograd.forward_ad as fwAD``): the import is pointed at bibun for the bibun
run. Warnings are silenced unless the program records them itself, as users do with
``warnings.catch_warnings(record=True)``."""

from __future__ import annotations

import contextlib
import io
import re
import subprocess
import sys
import warnings
from collections.abc import Iterable

import pytest

import bibun

_IMPORT = re.compile(r"\b(from|import) torch\b")


def run(module: object, code: str) -> str:
    """Run ``code`` with ``torch`` bound to ``module`` and return what it printed."""
    if module is bibun:
        code = _IMPORT.sub(r"\1 bibun", code)
    out = io.StringIO()
    with contextlib.redirect_stdout(out), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exec(compile(code, "<program>", "exec"), {"torch": module, "__name__": "__program__"})  # noqa: S102
    return out.getvalue()


# A fresh interpreter, for programs whose output depends on process-wide state: PyTorch gives
# some warnings once per process (TORCH_WARN_ONCE), so an earlier test would swallow them.
_FRESH_RUNNER = (
    "import importlib, sys, warnings\n"
    "warnings.simplefilter('ignore')\n"
    "module = importlib.import_module(sys.argv[1])\n"
    "exec(compile(sys.stdin.read(), '<program>', 'exec'), {'torch': module, '__name__': '__program__'})\n"
)


def run_fresh(module_name: str, code: str) -> str:
    """Run ``code`` in a new interpreter with ``torch`` bound to the module named."""
    if module_name == "bibun":
        code = _IMPORT.sub(r"\1 bibun", code)
    done = subprocess.run(
        [sys.executable, "-c", _FRESH_RUNNER, module_name], input=code, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def params(programs: dict[str, str], needs: dict[str, Iterable[str]] | None = None) -> list:
    """pytest parameters, one per program; a program listed in ``needs`` is skipped until
    bibun has every function it names (functions other work is adding)."""
    needs = needs or {}
    result = []
    for name in sorted(programs):
        missing = [fn for fn in needs.get(name, ()) if not hasattr(bibun, fn)]
        marks = pytest.mark.skipif(bool(missing), reason=f"bibun has no {', '.join(missing)} yet")
        result.append(pytest.param(programs[name], id=name, marks=marks))
    return result


def check_runs(code: str) -> None:
    """The program runs under bibun and prints something (torch or not)."""
    assert run(bibun, code).strip()


def check_same_as_pytorch(code: str, fresh: bool = False) -> None:
    """The program prints under bibun exactly what it prints under PyTorch (each run in a
    new interpreter when ``fresh``)."""
    torch = pytest.importorskip("torch", reason="the side-by-side comparison needs torch")
    expected = run_fresh("torch", code) if fresh else run(torch, code)
    expected = expected.replace("torch.", "bibun.").replace("torch::", "bibun::")
    assert (run_fresh("bibun", code) if fresh else run(bibun, code)) == expected
