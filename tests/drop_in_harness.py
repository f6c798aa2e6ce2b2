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


def check_same_as_pytorch(code: str) -> None:
    """The program prints under bibun exactly what it prints under PyTorch."""
    torch = pytest.importorskip("torch", reason="the side-by-side comparison needs torch")
    expected = run(torch, code).replace("torch.", "bibun.").replace("torch::", "bibun::")
    assert run(bibun, code) == expected
