"""Database entries for the nn functions PyTorch also has at top level (``torch.pdist``,
``torch.group_norm``, ...), called as ``m.<name>`` in both libraries: the top-level
signatures (``cudnn_enabled``, ``generator``, a ``max_pool1d`` without indices) are checked
against PyTorch's, not only the nn.functional ones."""

from __future__ import annotations

from opdb import OpInfo, Sample

S = Sample
NCL = [S(((2, 4, 6),))]


def _entry(name: str, fn, samples, **kwargs) -> OpInfo:  # noqa: ANN001
    return OpInfo(name, fn, samples, None, **kwargs)


OPS = [
    _entry("hardshrink", lambda m, a: m.hardshrink(a, 0.3), NCL),
    _entry("threshold", lambda m, a: m.threshold(a, 0.1, -1.0), NCL),
    _entry("threshold_", lambda m, a: m.threshold_(a * 1, 0.1, -1.0), NCL),
    _entry("prelu", lambda m, a, w: m.prelu(a, w), [S(((2, 4, 6), (4,)))]),
    _entry("rrelu", lambda m, a: m.rrelu(a, 0.1, 0.3, False), NCL),
    _entry("rrelu_", lambda m, a: m.rrelu_(a * 1, 0.1, 0.3, False), NCL),
    _entry("selu_", lambda m, a: m.selu_(a * 1), NCL),
    _entry("celu_", lambda m, a: m.celu_(a * 1, 0.7), NCL),
    _entry("rms_norm", lambda m, a, w: m.rms_norm(a, (6,), w), [S(((2, 4, 6), (6,)))]),
    _entry("group_norm", lambda m, a, w, b: m.group_norm(a, 2, w, b, 1e-5, True), [S(((2, 4, 6), (4,), (4,)))]),
    _entry("pairwise_distance", lambda m, a, b: m.pairwise_distance(a, b), [S(((3, 5), (3, 5)))]),
    _entry("pdist", lambda m, a: m.pdist(a), [S(((4, 3),))]),
    _entry("pixel_shuffle", lambda m, a: m.pixel_shuffle(a, 2), [S(((1, 4, 2, 3),))]),
    _entry("pixel_unshuffle", lambda m, a: m.pixel_unshuffle(a, 2), [S(((1, 1, 4, 6),))]),
    _entry("adaptive_avg_pool1d", lambda m, a: m.adaptive_avg_pool1d(a, 4), NCL),
    _entry("avg_pool1d", lambda m, a: m.avg_pool1d(a, 2), NCL),
    _entry("max_pool1d", lambda m, a: m.max_pool1d(a, 2), NCL),
    _entry("conv_transpose1d", lambda m, x, w: m.conv_transpose1d(x, w, stride=2), [S(((1, 2, 5), (2, 3, 3)))]),
    _entry("conv_transpose2d", lambda m, x, w: m.conv_transpose2d(x, w, padding=1), [S(((1, 2, 4, 4), (2, 3, 3, 3)))]),
]
