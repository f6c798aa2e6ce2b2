"""Anomaly detection (``detect_anomaly``, ``set_detect_anomaly``): while enabled, every graph
node remembers the stack of the forward call that created it, and backward checks each
node's gradients for NaN. An error in a node's backward is preceded by a warning carrying that
stack. Enabling swaps in a tracing ``Node.__init__`` and a checking rule runner, so nothing
is paid while it is off (docs/mechanics.md, "Anomaly mode")."""

from __future__ import annotations

import functools
import os
import threading
import traceback
import warnings
from typing import Any, Callable, TypeVar

import numpy as np

from bibun.autograd import graph

_F = TypeVar("_F", bound=Callable[..., Any])
_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
_state = {"enabled": False, "check_nan": True}
_lock = threading.Lock()
_plain: dict[str, Any] = {}


def is_anomaly_enabled() -> bool:
    return _state["enabled"]


def is_anomaly_check_nan_enabled() -> bool:
    return _state["check_nan"]


def _set(enabled: bool, check_nan: bool) -> None:
    from bibun.autograd import engine

    with _lock:
        if enabled and not _state["enabled"]:
            _plain["init"] = graph.Node.__init__
            _plain["rules"] = engine._apply_rules
            graph.Node.__init__ = _init_with_trace
            engine._apply_rules = _apply_rules_checked
        elif not enabled and _state["enabled"]:
            graph.Node.__init__ = _plain["init"]
            engine._apply_rules = _plain["rules"]
        _state["enabled"] = bool(enabled)
        _state["check_nan"] = bool(check_nan)


def _init_with_trace(self: graph.Node) -> None:
    _plain["init"](self)
    # The user's frames only: the forward call that created this node.
    stack = traceback.extract_stack()
    while stack and stack[-1].filename.startswith(_PACKAGE_DIR):
        stack.pop()
    self._anomaly_trace = stack


def _warn_forward_trace(node: graph.Node) -> None:
    trace = node._anomaly_trace
    if trace is None:
        message = (
            f"Error detected in {node.name()}. No forward pass information available. Enable detect anomaly "
            "during forward pass for more information."
        )
    else:
        message = f"Error detected in {node.name()}. Traceback of forward call that caused the error:\n" + "".join(
            traceback.format_list(trace)
        )
    warnings.warn(message, UserWarning, stacklevel=4)


def _apply_rules_checked(node: graph.Node, grads: list, xp: Any, create_graph: bool, needed: Any) -> list:
    try:
        result = _plain["rules"](node, grads, xp, create_graph, needed)
    except Exception:
        _warn_forward_trace(node)
        raise
    if _state["check_nan"]:
        for i, g in enumerate(result):
            if g is None:
                continue
            data = getattr(g, "_data", g)
            if isinstance(data, np.ndarray) and data.dtype.kind in "fc" and np.isnan(data).any():
                _warn_forward_trace(node)
                raise RuntimeError(f"Function '{node.name()}' returned nan values in its {i}th output.")
    return result


class detect_anomaly:  # noqa: N801 - PyTorch's name
    """Context manager and decorator: anomaly detection on inside, the previous state restored
    on exit (in ``finally``)."""

    def __init__(self, check_nan: bool = True) -> None:
        self.check_nan = check_nan
        self.prev = is_anomaly_enabled()
        self.prev_check_nan = is_anomaly_check_nan_enabled()
        warnings.warn(
            "Anomaly Detection has been enabled. This mode will increase the runtime and should only be enabled "
            "for debugging.",
            UserWarning,
            stacklevel=2,
        )

    def __enter__(self) -> None:
        _set(True, self.check_nan)

    def __exit__(self, *exc: object) -> None:
        _set(self.prev, self.prev_check_nan)

    def __call__(self, func: _F) -> _F:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            previous = (is_anomaly_enabled(), is_anomaly_check_nan_enabled())
            _set(True, self.check_nan)
            try:
                return func(*args, **kwargs)
            finally:
                _set(*previous)

        return wrapper  # type: ignore[return-value]


class set_detect_anomaly:  # noqa: N801 - PyTorch's name
    """``set_detect_anomaly(True)`` switches anomaly detection on at once; used as a context
    manager it restores the previous state on exit."""

    def __init__(self, mode: bool, check_nan: bool = True) -> None:
        self.prev = is_anomaly_enabled()
        self.prev_check_nan = is_anomaly_check_nan_enabled()
        _set(mode, check_nan)

    def __enter__(self) -> None:
        pass

    def __exit__(self, *exc: object) -> None:
        _set(self.prev, self.prev_check_nan)
