"""Anomaly mode: a NaN produced in backward raises PyTorch's error after a warning carrying
the forward traceback; both APIs restore the previous state; nothing is paid when off."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import bibun
from bibun.autograd import anomaly_mode, engine, graph


def test_nan_in_backward_names_node_after_forward_traceback():
    x = bibun.tensor([-1.0, 4.0], requires_grad=True)
    with pytest.warns(UserWarning, match="Anomaly Detection has been enabled"):
        manager = bibun.autograd.detect_anomaly()
    with manager:
        y = x.sqrt()  # the forward call the warning must show
        with pytest.warns(UserWarning) as record, pytest.raises(RuntimeError) as info:
            y.sum().backward()
    assert str(info.value) == "Function 'SqrtBackward0' returned nan values in its 0th output."
    message = str(record[-1].message)
    assert message.startswith("Error detected in SqrtBackward0. Traceback of forward call that caused the error:")
    assert __file__ in message and "y = x.sqrt()  # the forward call the warning must show" in message
    assert x.grad is None and not anomaly_mode.is_anomaly_enabled()


def test_off_costs_nothing_and_state_restored():
    plain_init, plain_rules = graph.Node.__init__, engine._apply_rules
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with bibun.autograd.detect_anomaly(check_nan=False):
            assert graph.Node.__init__ is not plain_init and anomaly_mode.is_anomaly_enabled()
            assert not anomaly_mode.is_anomaly_check_nan_enabled()
            x = bibun.tensor([-1.0], requires_grad=True)
            x.sqrt().sum().backward()  # check_nan=False: no error
            assert np.isnan(x.grad.numpy()).all()
    assert graph.Node.__init__ is plain_init and engine._apply_rules is plain_rules
    assert (x * 2).grad_fn._anomaly_trace is None


def test_decorator_and_set_detect_anomaly():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")

        @bibun.autograd.detect_anomaly()
        def inside():
            return anomaly_mode.is_anomaly_enabled()

    assert inside() is True and not anomaly_mode.is_anomaly_enabled()
    bibun.autograd.set_detect_anomaly(True)
    try:
        assert anomaly_mode.is_anomaly_enabled()
        with bibun.autograd.set_detect_anomaly(False):
            assert not anomaly_mode.is_anomaly_enabled()
        assert anomaly_mode.is_anomaly_enabled()
    finally:
        bibun.autograd.set_detect_anomaly(False)
    assert not anomaly_mode.is_anomaly_enabled()


def test_any_backward_error_gets_the_forward_traceback():
    x = bibun.tensor([1.0, 2.0], requires_grad=True)
    bibun.autograd.set_detect_anomaly(True)
    try:
        y = x.exp()
        y.add_(1)
        with pytest.warns(UserWarning, match="Error detected in ExpBackward0") as record:
            with pytest.raises(RuntimeError, match="Hint: the backtrace further above shows the operation"):
                y.sum().backward()
        assert "y = x.exp()" in str(record[-1].message)
    finally:
        bibun.autograd.set_detect_anomaly(False)
