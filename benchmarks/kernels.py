"""The kernels under W3 and W5, NumPy's against PyTorch's: ``python -m benchmarks.kernels``.

No autodiff here: the eight matrix products of one W3 step (three forward, five backward,
same shapes and memory layouts) and the elementwise kernels of W5, each library calling its
own kernel on the same values, with threads and the allocator pinned as in the runner. When
NumPy's kernel is slower than PyTorch's, no engine built on NumPy can make up the
difference: docs/benchmarks.md, "Where each target stands", quotes these figures."""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from typing import Any, Callable

from benchmarks import _env


def _median_ms(fn: Callable[[], Any], number: int, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        times.append((time.perf_counter() - t0) / number)
    return statistics.median(times) * 1e3


def _w3_products(np: Any, batch: int) -> list[tuple[Any, Any]]:
    """The (left, right) operands of one W3 step's products, transposes as views."""
    rng = np.random.default_rng(0)

    def r(*shape: int) -> Any:
        return rng.standard_normal(shape).astype(np.float32)

    x, w1, w2, w3 = r(batch, 784), r(784, 256), r(256, 256), r(256, 10)
    h1, h2, g1, g2, gz = r(batch, 256), r(batch, 256), r(batch, 256), r(batch, 256), r(batch, 10)
    forward = [(x, w1), (h1, w2), (h2, w3)]
    backward = [(gz, w3.T), (g2, w2.T), (x.T, g1), (h1.T, g2), (h2.T, gz)]
    return forward + backward


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.kernels", description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=9, help="samples per figure (the median is printed)")
    args = parser.parse_args(argv)
    _env.pin_threads_before_import()
    import numpy as np
    import torch

    _env.pin_threads_after_import(torch)
    _env.pin_allocator()
    for line in _env.describe({}):
        print(line)
    print()
    print(f"{'kernel':44s} {'numpy ms':>9s} {'torch ms':>9s} {'ratio':>6s}")

    def report(label: str, numpy_fn: Callable, torch_fn: Callable, number: int) -> None:
        numpy_fn(), torch_fn()  # warm-up
        a = _median_ms(numpy_fn, number, args.repeat)
        b = _median_ms(torch_fn, number, args.repeat)
        print(f"{label:44s} {a:9.3f} {b:9.3f} {a / b:6.2f}")

    for batch in (128, 1024):
        pairs = _w3_products(np, batch)
        # torch.from_numpy keeps each operand's strides, so a transposed view stays one.
        torch_pairs = [(torch.from_numpy(a), torch.from_numpy(b)) for a, b in pairs]

        def numpy_products(pairs: list = pairs) -> None:
            for a, b in pairs:
                a @ b

        def torch_products(pairs: list = torch_pairs) -> None:
            for a, b in pairs:
                a @ b

        report(f"W3/{batch}: the step's 8 matrix products", numpy_products, torch_products, 40 if batch == 128 else 6)

    rng = np.random.default_rng(2)
    x = rng.standard_normal(1_000_000).astype(np.float32)
    t = rng.standard_normal(1_000_000).astype(np.float32)
    tx, tt = torch.from_numpy(x), torch.from_numpy(t)
    report("W5: sin, 1M float32", lambda: np.sin(x), lambda: torch.sin(tx), 50)
    report("W5: cos, 1M float32", lambda: np.cos(x), lambda: torch.cos(tx), 50)
    report("W5: product, 1M float32", lambda: x * t, lambda: tx * tt, 50)
    report("W5: sum, 1M float32", lambda: x.sum(), lambda: tx.sum(), 50)
    return 0


if __name__ == "__main__":
    sys.exit(main())
