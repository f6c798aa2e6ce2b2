"""Grad mode: whether ops record the graph. Thread- and task-local (a ContextVar), restored
in ``finally``, and every manager works as a decorator too (docs/design.md, "Grad mode")."""

from __future__ import annotations

import contextvars
import functools
import inspect
from typing import Any, Callable, TypeVar

_F = TypeVar("_F", bound=Callable[..., Any])

# The state is a tuple (grad_enabled, inference_mode) so one ContextVar read answers both.
_state: contextvars.ContextVar[tuple[bool, bool]] = contextvars.ContextVar("bibun_grad_mode", default=(True, False))
state_get = _state.get


def is_grad_enabled() -> bool:
    return _state.get()[0]


def is_inference_mode_enabled() -> bool:
    return _state.get()[1]


class _GradModeManager:
    """Base of the managers: sets a state on enter, restores the previous one on exit, and
    wraps functions (and generators) so each call runs under the state."""

    _target: tuple[bool, bool]

    def __enter__(self) -> None:
        self._tokens = getattr(self, "_tokens", [])
        self._tokens.append(_state.set(self._target))

    def __exit__(self, *exc: object) -> None:
        _state.reset(self._tokens.pop())

    def clone(self) -> _GradModeManager:
        return self.__class__()

    def __call__(self, func: _F) -> _F:
        if inspect.isgeneratorfunction(func):

            @functools.wraps(func)
            def generator(*args: Any, **kwargs: Any) -> Any:
                gen = func(*args, **kwargs)
                with self.clone():
                    response = gen.send(None)
                while True:
                    try:
                        request = yield response
                    except GeneratorExit:
                        with self.clone():
                            gen.close()
                        raise
                    except BaseException as error:  # re-raise inside the generator, under the mode
                        with self.clone():
                            response = gen.throw(error)
                    else:
                        try:
                            with self.clone():
                                response = gen.send(request)
                        except StopIteration as stop:
                            return stop.value

            return generator  # type: ignore[return-value]

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self.clone():
                return func(*args, **kwargs)

        return wrapper  # type: ignore[return-value]


class _NoParamDecorator(_GradModeManager):
    """Lets ``@no_grad`` be written with or without parentheses, as PyTorch allows."""

    def __new__(cls, orig_func: Callable[..., Any] | None = None) -> Any:
        if orig_func is None:
            return super().__new__(cls)
        return cls()(orig_func)


class no_grad(_NoParamDecorator):
    """Ops inside do not record a graph; results do not require grad."""

    def __init__(self) -> None:
        self._tokens = []

    @property
    def _target(self) -> tuple[bool, bool]:  # type: ignore[override]
        return (False, _state.get()[1])


class enable_grad(_NoParamDecorator):
    """Turns recording back on inside a ``no_grad`` block."""

    def __init__(self) -> None:
        self._tokens = []

    @property
    def _target(self) -> tuple[bool, bool]:  # type: ignore[override]
        return (True, _state.get()[1])


class set_grad_enabled(_GradModeManager):
    """Sets grad mode at once (so it also works as a plain call, as in PyTorch) and, used as a
    context manager or decorator, restores the previous mode on exit."""

    def __init__(self, mode: bool) -> None:
        self.mode = bool(mode)
        self._prev = _state.get()
        _state.set((self.mode, self._prev[1]))
        self._tokens = []

    @property
    def _target(self) -> tuple[bool, bool]:  # type: ignore[override]
        return (self.mode, _state.get()[1])

    def __enter__(self) -> None:
        pass  # the constructor already switched the mode

    def __exit__(self, *exc: object) -> None:
        _state.set(self._prev)

    def clone(self) -> _GradModeManager:
        manager = _GradModeManager()
        manager._target = (self.mode, False)
        return manager

    def __call__(self, func: _F) -> _F:
        _state.set(self._prev)  # as a decorator it must not change the mode of the caller
        return super().__call__(func)


class inference_mode(_GradModeManager):
    """Like ``no_grad``, and tensors made inside are inference tensors: they can never be
    saved for backward (PyTorch's rule)."""

    def __new__(cls, mode: bool | Callable[..., Any] = True) -> Any:
        instance = super().__new__(cls)
        if callable(mode):  # used bare: @inference_mode
            instance.__init__(True)
            return instance(mode)
        return instance

    def __init__(self, mode: bool = True) -> None:
        self.mode = True if callable(mode) else bool(mode)
        self._tokens = []

    @property
    def _target(self) -> tuple[bool, bool]:  # type: ignore[override]
        if self.mode:
            return (False, True)
        return (_state.get()[0], False)

    def clone(self) -> inference_mode:
        return self.__class__(self.mode)
