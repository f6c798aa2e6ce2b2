"""Times one small CNN layer, forward and backward, in bibun and in PyTorch in the same process:
conv2d (batch 32, 3 -> 16 channels, 32x32, 3x3, padding 1) + bias, relu, max_pool2d(2), sum,
then backward to the input, weight and bias. Rounds alternate between the two libraries, both
single-threaded, and the medians and their ratio are printed.

    .venv/bin/python benchmarks/bench_conv.py [--rounds 30]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import numpy as np  # noqa: E402

import bibun  # noqa: E402


def layer_step(lib, x, w, b) -> None:  # noqa: ANN001 - bibun or torch
    F = lib.nn.functional
    out = F.max_pool2d(F.relu(F.conv2d(x, w, b, padding=1)), 2)
    out.sum().backward()


def _check_agreement(torch, *arrays: np.ndarray) -> None:  # noqa: ANN001
    """Same gradients in float64 (in float32, near-ties in a pooling window may be broken
    differently by the two libraries' rounding)."""
    ours = [bibun.tensor(a.astype(np.float64), requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a.astype(np.float64), requires_grad=True) for a in arrays]
    layer_step(bibun, *ours)
    layer_step(torch, *theirs)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-9, atol=1e-9)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    import torch

    torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    x_np = rng.standard_normal((32, 3, 32, 32)).astype(np.float32)
    w_np = (rng.standard_normal((16, 3, 3, 3)) * 0.2).astype(np.float32)
    b_np = rng.standard_normal(16).astype(np.float32)
    libs = {
        "bibun": (bibun, [bibun.tensor(a, requires_grad=True) for a in (x_np, w_np, b_np)]),
        "torch": (torch, [torch.tensor(a, requires_grad=True) for a in (x_np, w_np, b_np)]),
    }
    _check_agreement(torch, x_np, w_np, b_np)
    for lib, tensors in libs.values():  # warm up
        layer_step(lib, *tensors)
    times: dict[str, list[float]] = {name: [] for name in libs}
    for _ in range(args.rounds):
        for name, (lib, tensors) in libs.items():
            for t in tensors:
                t.grad = None
            start = time.perf_counter()
            layer_step(lib, *tensors)
            times[name].append(time.perf_counter() - start)
    medians = {name: statistics.median(values) for name, values in times.items()}
    for name, value in medians.items():
        print(f"{name:6s} median {value * 1e3:8.2f} ms  ({args.rounds} rounds)")
    print(f"bibun / torch: {medians['bibun'] / medians['torch']:.2f}x")


if __name__ == "__main__":
    main()
