"""The op database: one entry per public op, with sample inputs and the facts every check
needs (docs/testing.md). Entries live by family in this package's modules; ``ALL_OPS``
gathers them. ``fn(lib, *tensors)`` is written once and run with ``lib = bibun`` or
``lib = torch``, which is what makes the PyTorch cross-check table-driven too."""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np


@dataclass
class Sample:
    """Input shapes (or explicit arrays) for the tensor arguments of one call."""

    shapes: tuple[Any, ...]
    note: str = ""
    arrays: tuple[np.ndarray, ...] | None = None  # explicit values instead of random ones


@dataclass
class OpInfo:
    name: str  # the public name, as bibun exposes it ("exp", "nn.functional.relu", "Tensor.__getitem__")
    fn: Callable[..., Any]  # fn(lib, *tensors) -> Tensor or tuple of Tensors
    samples: list[Sample]
    grad_fn: str | None = None  # the grad_fn name of the result, when it is fixed
    domain: tuple[float, float] = (-2.0, 2.0)  # where random inputs are drawn from
    differentiable: bool = True
    second_order: bool = True
    forward_mode: bool = True
    # Inputs that must not be differentiated (indices, masks): their positions.
    nondiff_args: tuple[int, ...] = ()
    # Random draws: "uniform" in the domain, or a callable (rng, shape) -> array.
    sampler: Any = "uniform"
    torch_fn: Callable[..., Any] | None = None  # when PyTorch spells the call differently
    covers: tuple[str, ...] = field(default_factory=tuple)  # other public names this entry exercises
    fd_eps: float = 1e-6  # finite-difference step
    fd_rtol: float = 1e-5  # finite-difference tolerance; lossy ops (casts to float32) need more


def _collect() -> list[OpInfo]:
    ops: list[OpInfo] = []
    for module in pkgutil.iter_modules(__path__):
        loaded = importlib.import_module(f"{__name__}.{module.name}")
        ops.extend(getattr(loaded, "OPS", []))
    return ops


ALL_OPS = _collect()


def make_inputs(op: OpInfo, sample: Sample, dtype: Any = np.float64, seed: int = 0) -> list[np.ndarray]:
    """The sample's input arrays: explicit ones, or random draws in the op's domain. Draws
    avoid exact ties and kinks (random reals), so finite differences are meaningful."""
    if sample.arrays is not None:
        return [np.array(a, dtype=dtype if np.asarray(a).dtype.kind == "f" else None) for a in sample.arrays]
    rng = np.random.default_rng(seed)
    arrays = []
    for shape in sample.shapes:
        if isinstance(shape, np.ndarray):
            arrays.append(shape)
        elif callable(op.sampler):
            arrays.append(np.asarray(op.sampler(rng, shape), dtype=dtype))
        else:
            low, high = op.domain
            arrays.append(rng.uniform(low, high, size=shape).astype(dtype))
    return arrays
