"""W5 and W6: forward mode and second order. W5 is the jvp of sum(sin(x) * x) on 1M float32
through the dual-number API (``autograd.forward_ad``); W6 the Hessian of sum(x**3 * sin(x))
for n = 50 through ``autograd.functional.hessian``. A library without the module reports
"unavailable", so the runner keeps working while those modules are being written."""

from __future__ import annotations

import importlib
from typing import Any, Callable

import numpy as np

from benchmarks._timing import Lib, Row

W5_SIZE = 1_000_000
W6_SIZE = 50
_NO_AUTODIFF_OF_THIS_KIND = {
    "mygrad": "unavailable: MyGrad has no {}",
    "numpy": "not applicable: no NumPy floor is measured for W6",
}


def _submodule(lib: Lib, name: str) -> Any:
    try:
        return importlib.import_module(f"{lib.module.__name__}.autograd.{name}")
    except ImportError:
        return None


# --- W5 ----------------------------------------------------------------------------------------
def _jvp_torchlike(lib: Lib, x: np.ndarray, t: np.ndarray) -> tuple[Callable, Callable] | str:
    fwad = _submodule(lib, "forward_ad")
    if fwad is None:
        return f"unavailable: {lib.module.__name__}.autograd.forward_ad does not exist"
    torch = lib.module
    primal, tangent = torch.tensor(x), torch.tensor(t)

    def step() -> Any:
        with fwad.dual_level():
            dual = fwad.make_dual(primal, tangent)
            y = (torch.sin(dual) * dual).sum()
            return fwad.unpack_dual(y).tangent

    return step, lambda: float(step())


def _jvp_hips(lib: Lib, x: np.ndarray, t: np.ndarray) -> tuple[Callable, Callable]:
    anp = lib.np
    jvp_at_x = lib.module.make_jvp(lambda v: anp.sum(anp.sin(v) * v))(x)

    def step() -> Any:
        return jvp_at_x(t)[1]

    return step, lambda: float(step())


def _jvp_numpy(x: np.ndarray, t: np.ndarray) -> tuple[Callable, Callable]:
    """The kernel floor: the passes any dual-number engine makes for sum(sin(x) * x), written
    out in NumPy. The product's tangent is ``t*x + t*sin(x)`` (not the shorter ``t*(x+sin(x))``,
    which needs to know both factors carry the same tangent)."""

    def step() -> Any:
        s = np.sin(x)
        ts = np.cos(x) * t  # sin's tangent
        value = (s * x).sum()
        tangent = ts * x
        tangent += t * s
        return value, tangent.sum()

    return step, lambda: float(step()[1])


def w5(libs: dict[str, Lib], quick: bool) -> list[Row]:
    rng = np.random.default_rng(2)
    x = rng.standard_normal(W5_SIZE).astype(np.float32)
    t = rng.standard_normal(W5_SIZE).astype(np.float32)
    steps: dict[str, Any] = {}
    checks = {}
    for name, lib in libs.items():
        if name == "mygrad":
            steps[name] = _NO_AUTODIFF_OF_THIS_KIND[name].format("forward mode")
            continue
        if name == "numpy":
            made = _jvp_numpy(x, t)
        elif name == "autograd":
            made = _jvp_hips(lib, x, t)
        else:
            made = _jvp_torchlike(lib, x, t)
        if isinstance(made, str):
            steps[name] = made
        else:
            steps[name], checks[name] = made
    return [
        Row(
            "W5",
            "jvp of sum(sin(x)*x), 1M float32 (forward_ad dual numbers)",
            "ms",
            1e3,
            steps,
            checks,
            target=0.9,
            rtol=1e-2,  # a sum of 1M float32 terms: summation order shows in the 4th digit
        )
    ]


# --- W6 ----------------------------------------------------------------------------------------
def _hessian_torchlike(lib: Lib, x: np.ndarray) -> tuple[Callable, Callable] | str:
    functional = _submodule(lib, "functional")
    if functional is None or not hasattr(functional, "hessian"):
        return f"unavailable: {lib.module.__name__}.autograd.functional.hessian does not exist"
    torch = lib.module
    xt = torch.tensor(x)

    def f(v: Any) -> Any:
        return (v**3 * torch.sin(v)).sum()

    def step() -> Any:
        return functional.hessian(f, xt)

    return step, lambda: np.asarray(step().detach().numpy(), np.float64)


def _hessian_hips(lib: Lib, x: np.ndarray) -> tuple[Callable, Callable]:
    anp = lib.np
    hessian = lib.module.hessian(lambda v: anp.sum(v**3 * anp.sin(v)))
    return (lambda: hessian(x)), (lambda: np.asarray(hessian(x), np.float64))


def w6(libs: dict[str, Lib], quick: bool) -> list[Row]:
    x = np.random.default_rng(3).standard_normal(W6_SIZE).astype(np.float32)
    steps: dict[str, Any] = {}
    checks = {}
    for name, lib in libs.items():
        if name in _NO_AUTODIFF_OF_THIS_KIND:
            steps[name] = _NO_AUTODIFF_OF_THIS_KIND[name].format("higher-order derivatives")
            continue
        made = _hessian_hips(lib, x) if name == "autograd" else _hessian_torchlike(lib, x)
        if isinstance(made, str):
            steps[name] = made
        else:
            steps[name], checks[name] = made
    return [Row("W6", f"Hessian of sum(x**3*sin(x)), n = {W6_SIZE}", "ms", 1e3, steps, checks, target=1.0)]
