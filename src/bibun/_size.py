"""``bibun.Size`` (a tuple that prints as ``bibun.Size([2, 3])``) and ``bibun.device``."""

from __future__ import annotations

from typing import Any


class Size(tuple):
    """The shape of a tensor: a tuple of ints."""

    def __repr__(self) -> str:
        return f"bibun.Size([{', '.join(map(str, self))}])"

    __str__ = __repr__

    def numel(self) -> int:
        count = 1
        for n in self:
            count *= n
        return count

    def __getitem__(self, key: Any) -> Any:
        item = super().__getitem__(key)
        return Size(item) if isinstance(key, slice) else item

    def __add__(self, other: Any) -> Size:
        return Size(tuple(self) + tuple(other))


class device:
    """Only the CPU exists; ``device('cpu')`` and the string 'cpu' are accepted everywhere a
    device is, so code written for PyTorch's CPU path runs unchanged."""

    __slots__ = ("type", "index")

    def __init__(self, type: str | device = "cpu", index: int | None = None) -> None:  # noqa: A002
        if isinstance(type, device):
            type, index = type.type, type.index  # noqa: A001
        name = str(type).split(":")[0]
        if name != "cpu":
            raise RuntimeError(f"bibun runs on the CPU only; device {type!r} is not available")
        self.type = "cpu"
        self.index = index

    def __repr__(self) -> str:
        return "device(type='cpu')" if self.index is None else f"device(type='cpu', index={self.index})"

    def __str__(self) -> str:
        return "cpu" if self.index is None else f"cpu:{self.index}"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, str):
            other = device(other)
        return isinstance(other, device) and other.type == self.type

    def __hash__(self) -> int:
        return hash(("device", self.type))


CPU = device("cpu")
