"""Activation checkpointing on a deep MLP: peak memory saved against the extra time.

A stack of ``--layers`` layers of ``--width`` units (``h = silu(h @ W)``) on a batch of
``--batch`` rows, trained for one forward+backward three ways: no checkpointing, every layer
checkpointed, and ``checkpoint_sequential`` in sqrt(layers) segments. Memory is measured with
tracemalloc (NumPy reports its array allocations to it): the activations still held when
forward returns, and the peak over forward+backward (which includes the weight gradients,
the same in every variant). Time is the best of ``--repeat`` runs.

    python benchmarks/bench_checkpoint.py [--layers 20 --width 1024 --batch 1024 --repeat 5]
"""

from __future__ import annotations

import argparse
import gc
import math
import os
import sys
import time
import tracemalloc
from typing import Any, Callable

if __package__ in (None, ""):
    sys.path[0] = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

import bibun as torch  # noqa: E402
from bibun.utils.checkpoint import checkpoint, checkpoint_sequential  # noqa: E402


def make_layers(layers: int, width: int) -> list[Callable[[Any], Any]]:
    torch.manual_seed(0)
    weights = [(torch.randn(width, width) / math.sqrt(width)).requires_grad_() for _ in range(layers)]

    def layer(w: Any) -> Callable[[Any], Any]:
        def run(h: Any) -> Any:
            h = h @ w
            return h * torch.sigmoid(h)  # SiLU: saves its input and the sigmoid

        return run

    return [layer(w) for w in weights], weights


def forward_plain(layers: list, x: Any) -> Any:
    for f in layers:
        x = f(x)
    return x


def forward_each_layer(layers: list, x: Any) -> Any:
    for f in layers:
        x = checkpoint(f, x, use_reentrant=False)
    return x


def forward_segments(layers: list, x: Any) -> Any:
    segments = max(1, round(math.sqrt(len(layers))))
    return checkpoint_sequential(layers, segments, x, use_reentrant=False)


def run_once(variant: Callable, layers: list, weights: list, x: Any) -> tuple[float, float, float]:
    """(seconds, MB held after forward, peak MB over forward+backward) of one training step."""
    for w in weights:
        w.grad = None
    gc.collect()
    tracemalloc.start()
    start = time.perf_counter()
    out = variant(layers, x)
    held = tracemalloc.get_traced_memory()[0] / 2**20
    out.sum().backward()
    elapsed = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return elapsed, held, peak


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--layers", type=int, default=20)
    parser.add_argument("--width", type=int, default=1024)
    parser.add_argument("--batch", type=int, default=1024)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    layers, weights = make_layers(args.layers, args.width)
    x = torch.randn(args.batch, args.width)
    variants = [
        ("no checkpointing", forward_plain),
        ("checkpoint every layer", forward_each_layer),
        (f"checkpoint_sequential, {max(1, round(math.sqrt(args.layers)))} segments", forward_segments),
    ]
    grads: dict[str, list] = {}
    results: dict[str, list] = {name: [] for name, _ in variants}
    for _ in range(args.repeat):  # round robin, so a busy moment of the machine hits every variant
        for name, variant in variants:
            results[name].append(run_once(variant, layers, weights, x))
            grads[name] = [w.grad.numpy().copy() for w in weights]
    print(f"MLP: {args.layers} layers of {args.width}, batch {args.batch}, float32 (best of {args.repeat})")
    print(f"{'variant':<40} {'time (s)':>9} {'held after forward (MB)':>24} {'peak (MB)':>10}")
    base_time = min(r[0] for r in results[variants[0][0]])
    for name, _ in variants:
        seconds = min(r[0] for r in results[name])
        held, peak = results[name][-1][1:]
        print(f"{name:<40} {seconds:>9.3f} {held:>24.1f} {peak:>10.1f}   x{seconds / base_time:.2f} time")
    reference = grads["no checkpointing"]
    for name, got in grads.items():
        worst = max(float(abs(a - b).max()) for a, b in zip(reference, got))
        assert worst == 0.0, f"{name}: gradients differ from the plain run by {worst}"
    print("gradients: identical in all variants")


if __name__ == "__main__":
    main()
