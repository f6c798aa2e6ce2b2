"""Grad modes: context managers and decorators, restored on errors, thread-local."""

from __future__ import annotations

import threading

import pytest

import bibun as torch


def _leaf() -> torch.Tensor:
    return torch.tensor([1.0, 2.0], requires_grad=True)


def test_no_grad_context_and_restoration_after_an_error() -> None:
    x = _leaf()
    with pytest.raises(ValueError), torch.no_grad():
        assert not torch.is_grad_enabled()
        raise ValueError("boom")
    assert torch.is_grad_enabled()
    with torch.no_grad():
        y = x * 2
    assert not y.requires_grad and y.grad_fn is None


def test_no_grad_as_decorator_with_and_without_parentheses() -> None:
    @torch.no_grad()
    def f(x: torch.Tensor) -> torch.Tensor:
        return x * 2

    @torch.no_grad
    def g(x: torch.Tensor) -> torch.Tensor:
        return x * 3

    assert not f(_leaf()).requires_grad and not g(_leaf()).requires_grad
    assert torch.is_grad_enabled()


def test_no_grad_decorates_generators() -> None:
    @torch.no_grad()
    def gen(x: torch.Tensor):
        yield x * 2
        yield x * 3

    results = list(gen(_leaf()))
    assert all(not r.requires_grad for r in results) and torch.is_grad_enabled()


def test_enable_grad_inside_no_grad() -> None:
    x = _leaf()
    with torch.no_grad():
        with torch.enable_grad():
            y = x * 2
        z = x * 2
    assert y.requires_grad and not z.requires_grad


def test_set_grad_enabled_as_call_context_and_decorator() -> None:
    x = _leaf()
    with torch.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert torch.is_grad_enabled()
    torch.set_grad_enabled(False)
    try:
        assert not torch.is_grad_enabled()
    finally:
        torch.set_grad_enabled(True)

    @torch.set_grad_enabled(False)
    def f(t: torch.Tensor) -> torch.Tensor:
        return t * 2

    assert torch.is_grad_enabled()
    assert not f(x).requires_grad and torch.is_grad_enabled()


def test_inference_mode() -> None:
    x = _leaf()
    with torch.inference_mode():
        assert torch.is_inference_mode_enabled() and not torch.is_grad_enabled()
        y = x * 2
    assert not y.requires_grad and not torch.is_inference_mode_enabled()

    @torch.inference_mode()
    def f(t: torch.Tensor) -> torch.Tensor:
        return t * 2

    assert not f(x).requires_grad
    with torch.inference_mode(False):
        assert (x * 2).requires_grad


def test_inference_tensors_cannot_be_saved_for_backward() -> None:
    x = _leaf()
    with torch.inference_mode():
        frozen = torch.tensor([3.0, 4.0]) * 1
    with pytest.raises(RuntimeError, match="Inference tensors cannot be saved for backward"):
        x * frozen
    assert x.grad is None


def test_grad_mode_is_thread_local() -> None:
    results = {}
    entered, release = threading.Event(), threading.Event()

    def worker() -> None:
        entered.wait()
        results["worker"] = torch.is_grad_enabled()
        results["worker_result"] = (_leaf() * 2).requires_grad
        release.set()

    thread = threading.Thread(target=worker)
    thread.start()
    with torch.no_grad():
        entered.set()
        release.wait(timeout=10)
        results["main"] = torch.is_grad_enabled()
    thread.join()
    assert results == {"worker": True, "worker_result": True, "main": False}
