"""Shared test set-up: the op database is importable as ``opdb``; torch is optional."""

import os
import sys

sys.path.insert(0, os.path.dirname(__file__))

try:  # PyTorch cross-checks run when torch is installed, and skip with a reason otherwise.
    import torch  # noqa: F401

    HAVE_TORCH = True
except ImportError:
    HAVE_TORCH = False
