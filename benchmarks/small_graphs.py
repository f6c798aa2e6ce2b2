"""W1 and W2: graphs of scalar ops, where per-op overhead (tensor creation, dispatch, node
recording, the engine loop) is all there is to measure.

bibun and PyTorch run the same code (``lib.module`` is ``bibun`` or ``torch``); HIPS autograd
and MyGrad run the same computation written their way. The "numpy" column runs it on
benchmarks/minimal_engine.py, the floor for an engine keeping 0-d values in NumPy arrays."""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from benchmarks import minimal_engine
from benchmarks._timing import Lib, Row

CHAIN_OPS = 1000  # W2: sin, x const, + const, repeated; 1000 ops in all
_CHAIN_REPEATS, _CHAIN_TAIL = divmod(CHAIN_OPS, 3)


# --- W1: the tutorial's graph, z = log(x1 * x2) * sin(x1 * x2), leaves made each iteration --
def _tutorial_torchlike(lib: Lib) -> tuple[Callable, Callable]:
    torch = lib.module

    def step() -> Any:
        x1 = torch.tensor(1.0, requires_grad=True)
        x2 = torch.tensor(2.0, requires_grad=True)
        y1 = x1 * x2
        z = torch.log(y1) * torch.sin(y1)
        z.backward()
        return x1, x2

    def check() -> list[float]:
        x1, x2 = step()
        return [float(x1.grad), float(x2.grad)]

    return step, check


def _tutorial_hips(lib: Lib) -> tuple[Callable, Callable]:
    anp = lib.np

    def f(xs: tuple) -> Any:
        y1 = xs[0] * xs[1]
        return anp.log(y1) * anp.sin(y1)

    df = lib.module.grad(f)

    def step() -> Any:
        return df((np.array(1.0, np.float32), np.array(2.0, np.float32)))

    return step, lambda: [float(g) for g in step()]


def _tutorial_mygrad(lib: Lib) -> tuple[Callable, Callable]:
    mg = lib.module

    def step() -> Any:
        x1 = mg.tensor(1.0, dtype=np.float32)
        x2 = mg.tensor(2.0, dtype=np.float32)
        y1 = x1 * x2
        z = mg.log(y1) * mg.sin(y1)
        z.backward()
        return x1, x2

    def check() -> list[float]:
        x1, x2 = step()
        return [float(x1.grad), float(x2.grad)]

    return step, check


def _tutorial_minimal(lib: Lib) -> tuple[Callable, Callable]:
    me = minimal_engine

    def step() -> Any:
        x1, x2 = me.leaf(1.0), me.leaf(2.0)
        y1 = x1 * x2
        z = me.log(y1) * me.sin(y1)
        z.backward()
        return x1, x2

    def check() -> list[float]:
        x1, x2 = step()
        return [float(x1.grad), float(x2.grad)]

    return step, check


# --- W2: a 1000-op scalar chain, then backward ------------------------------------------------
def _chain_torchlike(lib: Lib) -> tuple[Callable, Callable]:
    torch = lib.module
    sin = torch.sin

    def step() -> Any:
        x = torch.tensor(0.5, requires_grad=True)
        y = x
        for _ in range(_CHAIN_REPEATS):
            y = sin(y)
            y = y * 0.9
            y = y + 0.1
        for _ in range(_CHAIN_TAIL):
            y = sin(y)
        y.backward()
        return x

    return step, lambda: float(step().grad)


def _chain_hips(lib: Lib) -> tuple[Callable, Callable]:
    sin = lib.np.sin

    def f(x: Any) -> Any:
        y = x
        for _ in range(_CHAIN_REPEATS):
            y = sin(y)
            y = y * 0.9
            y = y + 0.1
        for _ in range(_CHAIN_TAIL):
            y = sin(y)
        return y

    df = lib.module.grad(f)

    def step() -> Any:
        return df(np.array(0.5, np.float32))

    return step, lambda: float(step())


def _chain_mygrad(lib: Lib) -> tuple[Callable, Callable]:
    mg = lib.module
    sin = mg.sin

    def step() -> Any:
        x = mg.tensor(0.5, dtype=np.float32)
        y = x
        for _ in range(_CHAIN_REPEATS):
            y = sin(y)
            y = y * 0.9
            y = y + 0.1
        for _ in range(_CHAIN_TAIL):
            y = sin(y)
        y.backward()
        return x

    return step, lambda: float(step().grad)


def _chain_minimal(lib: Lib) -> tuple[Callable, Callable]:
    me = minimal_engine
    sin = me.sin

    def step() -> Any:
        x = me.leaf(0.5)
        y = x
        for _ in range(_CHAIN_REPEATS):
            y = sin(y)
            y = y * 0.9
            y = y + 0.1
        for _ in range(_CHAIN_TAIL):
            y = sin(y)
        y.backward()
        return x

    return step, lambda: float(step().grad)


_TUTORIAL = {
    "bibun": _tutorial_torchlike,
    "torch": _tutorial_torchlike,
    "autograd": _tutorial_hips,
    "mygrad": _tutorial_mygrad,
    "numpy": _tutorial_minimal,
}
_CHAIN = {
    "bibun": _chain_torchlike,
    "torch": _chain_torchlike,
    "autograd": _chain_hips,
    "mygrad": _chain_mygrad,
    "numpy": _chain_minimal,
}


def _row(builders: dict, libs: dict[str, Lib], **kwargs: Any) -> Row:
    steps, checks = {}, {}
    for name, lib in libs.items():
        steps[name], checks[name] = builders[name](lib)
    return Row(steps=steps, checks=checks, **kwargs)


def w1(libs: dict[str, Lib], quick: bool) -> list[Row]:
    return [
        _row(
            _TUTORIAL,
            libs,
            key="W1",
            title="tutorial graph fwd+bwd (leaves made each iteration)",
            unit="µs/iter",
            scale=1e6,
            target=0.33,
        )
    ]


def w2(libs: dict[str, Lib], quick: bool) -> list[Row]:
    return [
        _row(
            _CHAIN,
            libs,
            key="W2",
            title=f"{CHAIN_OPS}-op scalar chain (sin, *c, +c) + backward",
            unit="µs/op",
            scale=1e6 / CHAIN_OPS,
            target=0.40,
        )
    ]
