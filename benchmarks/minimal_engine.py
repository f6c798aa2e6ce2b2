"""The floor for W1 and W2: the least a reverse-mode engine storing 0-d tensors as NumPy
arrays must do, with nothing else.

Each value is an object holding its array, its parents and a closure computing the parents'
gradients; backward finds the graph with an explicit stack, orders it by creation (a
topological order) and runs the closures. There is no dtype promotion, no requires_grad,
no grad mode, no version counters, no hooks, no views, no errors, no forward mode: only
what W1's and W2's arithmetic needs (float32 values, Python-number constants).

It is a measuring stick, not a library: the "numpy" column of W1 and W2. bibun's distance
from it is the per-op cost of behaving like PyTorch (docs/benchmarks.md, "W1 and W2").
"""

from __future__ import annotations

import itertools
from typing import Any, Callable

import numpy as np

_creation_order = itertools.count()


class Value:
    __slots__ = ("data", "grad", "parents", "backward_fn", "order")

    def __init__(self, data: Any, parents: tuple = (), backward_fn: Callable | None = None) -> None:
        self.data = data
        self.grad = None
        self.parents = parents
        self.backward_fn = backward_fn
        self.order = next(_creation_order)

    def __mul__(self, other: Any) -> Value:
        if isinstance(other, Value):
            a, b = self.data, other.data
            return Value(a * b, (self, other), lambda g: (g * b, g * a))
        return Value(self.data * other, (self,), lambda g: (g * other,))

    def __add__(self, other: Any) -> Value:
        return Value(self.data + other, (self,), lambda g: (g,))

    def backward(self) -> None:
        seen, stack = {self}, [self]
        while stack:
            for parent in stack.pop().parents:
                if parent not in seen:
                    seen.add(parent)
                    stack.append(parent)
        grads = {self: np.ones((), self.data.dtype)}
        for value in sorted(seen, key=lambda v: v.order, reverse=True):
            g = grads.pop(value, None)
            if g is None:
                continue
            if value.backward_fn is None:  # a leaf
                value.grad = g if value.grad is None else value.grad + g
                continue
            for parent, parent_grad in zip(value.parents, value.backward_fn(g)):
                previous = grads.get(parent)
                grads[parent] = parent_grad if previous is None else previous + parent_grad


def leaf(x: float) -> Value:
    return Value(np.array(x, np.float32))


def log(x: Value) -> Value:
    a = x.data
    return Value(np.log(a), (x,), lambda g: (g / a,))


def sin(x: Value) -> Value:
    a = x.data
    return Value(np.sin(a), (x,), lambda g: (g * np.cos(a),))
