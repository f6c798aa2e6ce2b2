"""bibun.autograd: the reverse-mode engine, grad mode, and the graph's node types, with
PyTorch's names (``bibun.autograd.grad``, ``bibun.autograd.backward``, ...)."""

from typing import Any

from bibun.autograd.grad_mode import enable_grad, inference_mode, no_grad, set_grad_enabled

__all__ = ["backward", "grad", "graph", "no_grad", "enable_grad", "set_grad_enabled", "inference_mode"]


def __getattr__(name: str) -> Any:
    # The engine needs Tensor, and Tensor needs grad_mode from this package: loading the
    # engine on first use breaks the cycle.
    if name in ("backward", "grad"):
        from bibun.autograd import engine

        return getattr(engine, name)
    if name == "graph":
        from bibun.autograd import graph

        return graph
    if name in ("Function", "once_differentiable"):
        from bibun.autograd import function

        return getattr(function, name)
    if name in ("gradcheck", "gradgradcheck"):
        import importlib

        module = importlib.import_module("bibun.autograd.gradcheck")
        # Importing the submodule binds its name here; the functions take the name, as in PyTorch.
        globals().update(gradcheck=module.gradcheck, gradgradcheck=module.gradgradcheck)
        return getattr(module, name)
    if name in ("detect_anomaly", "set_detect_anomaly"):
        from bibun.autograd import anomaly_mode

        return getattr(anomaly_mode, name)
    if name in ("function", "anomaly_mode"):
        import importlib

        return importlib.import_module(f"bibun.autograd.{name}")
    if name in ("forward_ad", "functional"):
        import importlib

        return importlib.import_module(f"bibun.autograd.{name}")
    raise AttributeError(f"module 'bibun.autograd' has no attribute {name!r}")
