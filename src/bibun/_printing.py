"""repr/str of tensors, character for character as PyTorch prints them (precision 4, a
shared width per tensor, scientific notation for wide ranges, summaries past 1000 elements),
with bibun's own names for dtypes. Works on the NumPy array; recursion here is over a
tensor's dimensions, never over the graph."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from bibun import _dtype

if TYPE_CHECKING:
    from bibun._tensor import Tensor


@dataclass
class _PrintOptions:
    precision: int = 4
    threshold: float = 1000
    edgeitems: int = 3
    linewidth: int = 80
    sci_mode: bool | None = None


PRINT_OPTS = _PrintOptions()


def set_printoptions(
    precision: int | None = None,
    threshold: float | None = None,
    edgeitems: int | None = None,
    linewidth: int | None = None,
    profile: str | None = None,
    sci_mode: bool | None = None,
) -> None:
    """PyTorch's ``set_printoptions``: profiles 'default', 'short', 'full', or single fields."""
    if profile == "default":
        PRINT_OPTS.__init__()  # type: ignore[misc]
    elif profile == "short":
        PRINT_OPTS.precision, PRINT_OPTS.threshold, PRINT_OPTS.edgeitems, PRINT_OPTS.linewidth = 2, 1000, 2, 80
    elif profile == "full":
        PRINT_OPTS.precision, PRINT_OPTS.threshold, PRINT_OPTS.edgeitems, PRINT_OPTS.linewidth = 4, math.inf, 3, 80
    for name, value in (
        ("precision", precision),
        ("threshold", threshold),
        ("edgeitems", edgeitems),
        ("linewidth", linewidth),
    ):
        if value is not None:
            setattr(PRINT_OPTS, name, value)
    PRINT_OPTS.sci_mode = sci_mode


class _Formatter:
    """Chooses one format (integer-valued, fixed or scientific) and one width for every
    element of a tensor, from the finite non-zero values, as PyTorch does."""

    def __init__(self, values: np.ndarray) -> None:
        self.floating = values.dtype.kind in "f"
        self.int_mode = True
        self.sci_mode = False
        self.max_width = 1
        precision = PRINT_OPTS.precision
        flat = values.reshape(-1)
        if not self.floating:
            for value in flat.tolist():
                self.max_width = max(self.max_width, len(_plain(value)))
            return
        finite = flat[np.isfinite(flat) & (flat != 0)].astype(np.float64)
        if finite.size == 0:
            return
        magnitudes = np.abs(finite)
        smallest, largest = float(magnitudes.min()), float(magnitudes.max())
        as_python = finite.tolist()
        self.int_mode = bool(np.all(finite == np.ceil(finite)))
        if self.int_mode:
            if largest / smallest > 1000.0 or largest > 1.0e8:
                self.sci_mode = True
                widths = (len(f"{v:.{precision}e}") for v in as_python)
            else:
                widths = (len(f"{v:.0f}") + 1 for v in as_python)
        elif largest / smallest > 1000.0 or largest > 1.0e8 or smallest < 1.0e-4:
            self.sci_mode = True
            widths = (len(f"{v:.{precision}e}") for v in as_python)
        else:
            widths = (len(f"{v:.{precision}f}") for v in as_python)
        self.max_width = max(self.max_width, max(widths))
        if PRINT_OPTS.sci_mode is not None:
            self.sci_mode = PRINT_OPTS.sci_mode

    def format(self, value: Any) -> str:
        precision = PRINT_OPTS.precision
        if self.floating:
            if self.sci_mode:
                text = f"{value:{self.max_width}.{precision}e}"
            elif self.int_mode:
                text = f"{value:.0f}"
                if not (math.isinf(value) or math.isnan(value)):
                    text += "."
            else:
                text = f"{value:.{precision}f}"
        else:
            text = _plain(value)
        return (self.max_width - len(text)) * " " + text


class _ComplexFormatter:
    """PyTorch prints a complex tensor with one format for the real parts and one for the
    imaginary parts, each chosen as for a real tensor, joined as ``1.0000+2.j``."""

    def __init__(self, values: np.ndarray) -> None:
        self.real = _Formatter(np.ascontiguousarray(values.real))
        self.imag = _Formatter(np.ascontiguousarray(values.imag))
        self.max_width = self.real.max_width + self.imag.max_width + 1

    def format(self, value: Any) -> str:
        real = self.real.format(value.real)
        imag = (self.imag.format(value.imag) + "j").lstrip()
        return real + imag if imag[0] in "+-" else real + "+" + imag


def _plain(value: Any) -> str:
    return str(value)


def _summarized(values: np.ndarray) -> np.ndarray:
    """The elements that a summarised print shows, so the format is chosen from them alone."""
    edge = PRINT_OPTS.edgeitems
    if values.ndim == 0:
        return values
    if values.shape[0] > 2 * edge:
        rows = list(range(edge)) + list(range(values.shape[0] - edge, values.shape[0]))
    else:
        rows = list(range(values.shape[0]))
    if values.ndim == 1:
        return values[rows]
    return np.stack([_summarized(values[i]) for i in rows])


def _vector_str(values: np.ndarray, indent: int, summarize: bool, formatter: _Formatter) -> str:
    element_length = formatter.max_width + 2
    per_line = max(1, int(math.floor((PRINT_OPTS.linewidth - indent) / element_length)))
    edge = PRINT_OPTS.edgeitems
    if summarize and values.shape[0] > 2 * edge:
        data = [formatter.format(v) for v in values[:edge].tolist()] + [" ..."]
        data += [formatter.format(v) for v in values[-edge:].tolist()]
    else:
        data = [formatter.format(v) for v in values.tolist()]
    lines = [", ".join(data[i : i + per_line]) for i in range(0, len(data), per_line)]
    return "[" + ("," + "\n" + " " * (indent + 1)).join(lines) + "]"


def _array_str(values: np.ndarray, indent: int, summarize: bool, formatter: _Formatter) -> str:
    if values.ndim == 0:
        return formatter.format(values.item())
    if values.ndim == 1:
        return _vector_str(values, indent, summarize, formatter)
    edge = PRINT_OPTS.edgeitems
    if summarize and values.shape[0] > 2 * edge:
        slices = [_array_str(values[i], indent + 1, summarize, formatter) for i in range(edge)]
        slices.append("...")
        slices += [
            _array_str(values[i], indent + 1, summarize, formatter)
            for i in range(values.shape[0] - edge, values.shape[0])
        ]
    else:
        slices = [_array_str(values[i], indent + 1, summarize, formatter) for i in range(values.shape[0])]
    return "[" + ("," + "\n" * (values.ndim - 1) + " " * (indent + 1)).join(slices) + "]"


def array_body(values: np.ndarray, indent: int) -> str:
    """The bracketed body of a print, without ``tensor(`` and the suffixes."""
    if values.size == 0:
        return "[]"
    summarize = values.size > PRINT_OPTS.threshold
    if values.dtype == np.float16:
        values = values.astype(np.float32)
    shown = _summarized(values) if summarize else values
    formatter = _ComplexFormatter(shown) if values.dtype.kind == "c" else _Formatter(shown)
    return _array_str(values, indent, summarize, formatter)


def _add_suffixes(text: str, suffixes: list[str], indent: int) -> str:
    parts = [text]
    last_line_len = len(text) - text.rfind("\n") + 1
    for suffix in suffixes:
        if last_line_len + len(suffix) + 2 > PRINT_OPTS.linewidth:
            parts.append(",\n" + " " * indent + suffix)
            last_line_len = indent + len(suffix)
        else:
            parts.append(", " + suffix)
            last_line_len += len(suffix) + 2
    parts.append(")")
    return "".join(parts)


def tensor_repr(tensor: Tensor, tangent: Tensor | None = None) -> str:
    prefix = "tensor("
    indent = len(prefix)
    values = tensor._data
    dtype = _dtype.from_numpy_dtype(values.dtype)
    default = _dtype.get_default_dtype()
    suffixes = []
    if values.size == 0:
        if values.ndim != 1:
            suffixes.append("size=" + str(tuple(values.shape)))
        if dtype is not default:
            suffixes.append(f"dtype={dtype!r}")
        body = "[]"
    else:
        default_complex = _dtype.complex128 if default is _dtype.float64 else _dtype.complex64
        if dtype not in (default, default_complex, _dtype.int64, _dtype.bool):
            suffixes.append(f"dtype={dtype!r}")
        body = array_body(values, indent)
    if tensor.grad_fn is not None:
        suffixes.append(f"grad_fn=<{type(tensor.grad_fn).__name__}>")
    elif tensor._requires_grad:
        suffixes.append("requires_grad=True")
    if tangent is not None:
        suffixes.append(f"tangent={tangent}")
    return _add_suffixes(prefix + body, suffixes, indent)
