"""Finding a Graphviz program to turn DOT text into SVG or PNG, with pip alone.

The ``[viz]`` extra installs ``graphviz-pure`` (a self-contained Graphviz with ``dot``'s
flags, shipped as a wheel with its program in the environment's scripts folder); a system
``dot`` is used when present. The scripts folder is searched as well as ``PATH``, because a
virtual environment run as ``.venv/bin/python`` without activating it has its scripts off
``PATH``. See docs/viz.md, "Rendering"."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig

# graphviz-pure renders these; PDF needs a system Graphviz.
PURE_FORMATS = frozenset({"svg", "png", "jpeg", "jpg", "dot", "gv", "xdot", "json", "plain", "canon"})
_DOT_NAMES = ("graphviz-pure", "dot")


class RendererNotFoundError(RuntimeError):
    """No Graphviz program can render the requested format. The message names the command
    that installs one; ``.source`` still holds the DOT text."""


def install_command() -> str:
    """The one command that gives this interpreter a renderer."""
    return f"{sys.executable} -m pip install graphviz-pure"


def _search_dirs() -> list[str]:
    dirs = []
    for d in (sysconfig.get_path("scripts"), os.path.dirname(sys.executable)):
        if d and d not in dirs:
            dirs.append(d)
    return dirs


def candidates() -> list[tuple[str, str]]:
    """Every renderer found, in order of preference: ``[(kind, path)]`` with kind
    "graphviz-pure" or "dot". graphviz-pure first: it draws the same bytes everywhere."""
    found = []
    for name in _DOT_NAMES:
        exe = name + (".exe" if os.name == "nt" else "")
        path = None
        for d in _search_dirs():
            p = os.path.join(d, exe)
            if os.path.isfile(p) and os.access(p, os.X_OK):
                path = p
                break
        if path is None:
            path = shutil.which(name)
        if path is not None:
            found.append((name, path))
    return found


def find_renderer(format: str = "svg") -> tuple[str, str]:
    """The first renderer that can make ``format``; raises RendererNotFoundError naming the fix."""
    found = candidates()
    for kind, path in found:
        if kind == "dot" or format in PURE_FORMATS:
            return kind, path
    if found:
        raise RendererNotFoundError(
            f"graphviz-pure cannot render {format!r} (it renders svg and png); {format} needs a system "
            "Graphviz: install it with your package manager (e.g. apt-get install graphviz)"
        )
    raise RendererNotFoundError(
        f"no Graphviz renderer found to draw {format}. Fix it with:\n    {install_command()}\n"
        "(or pip install \"bibun[viz]\"; a system Graphviz 'dot' also works). "
        "The DOT text is available without a renderer as graph.source."
    )


def run(source: str, format: str = "svg", timeout: float | None = None) -> bytes:
    """Render DOT ``source`` to ``format`` and return the bytes."""
    _, path = find_renderer(format)
    proc = subprocess.run(
        [path, f"-T{format}"], input=source.encode("utf-8"), capture_output=True, timeout=timeout, check=False
    )
    if proc.returncode != 0:
        message = proc.stderr.decode("utf-8", "replace").strip()
        raise RuntimeError(f"{os.path.basename(path)} failed to render {format}: {message}")
    return proc.stdout
