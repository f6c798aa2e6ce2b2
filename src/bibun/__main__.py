"""The command line: ``python -m bibun demo`` walks the tutorial's example end to end."""

from __future__ import annotations

import argparse
import math
import sys


def demo() -> int:
    """Forward values, gradients from backward(), and the hand-derived check."""
    import bibun as torch

    print("f(x1, x2) = log(x1 * x2) * sin(x1 * x2)   at x1 = 1, x2 = 2\n")
    x1 = torch.tensor(1.0, requires_grad=True)
    x2 = torch.tensor(2.0, requires_grad=True)
    y1 = x1 * x2
    y2 = torch.log(y1)
    y3 = torch.sin(y1)
    z = y2 * y3
    print("Forward pass (float32):")
    for name, value in (("y1 = x1 * x2", y1), ("y2 = log(y1)", y2), ("y3 = sin(y1)", y3), ("z  = y2 * y3", z)):
        print(f"  {name:14} -> {value}")
    z.backward()
    print("\nReverse mode, z.backward():")
    print(f"  dz/dx1={x1.grad}")
    print(f"  dz/dx2={x2.grad}")
    common = math.sin(2) / 2 + math.log(2) * math.cos(2)
    print("\nBy hand (float64): dz/dx1 = (sin 2 / 2 + log 2 cos 2) * 2, dz/dx2 = (sin 2 / 2 + log 2 cos 2) * 1")
    print(f"  dz/dx1={common * 2}")
    print(f"  dz/dx2={common}")
    agree = math.isclose(x1.grad.item(), common * 2, rel_tol=1e-6) and math.isclose(
        x2.grad.item(), common, rel_tol=1e-6
    )
    print(f"\nbackward() agrees with the hand derivation: {agree}")
    return 0 if agree else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bibun", description="bibun: PyTorch's autograd on NumPy")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("demo", help="walk through the tutorial example")
    args = parser.parse_args(argv)
    if args.command == "demo":
        return demo()
    return 2


if __name__ == "__main__":
    sys.exit(main())
