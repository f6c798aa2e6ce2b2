"""Database entries for bibun.nn.functional (and the names PyTorch also has at top level:
bibun.softmax, bibun.conv2d, ...). Class-index targets and indices are explicit arrays,
marked non-differentiable."""

from __future__ import annotations

import numpy as np

from opdb import OpInfo, Sample

S = Sample
_X = [S(((3, 4),)), S(((2, 3, 4),)), S(((),), "0-d")]


def _probabilities(rng: np.random.Generator, shape: tuple) -> np.ndarray:
    return rng.uniform(0.05, 0.95, size=shape)


def _unit(rng: np.random.Generator, shape: tuple) -> np.ndarray:
    return rng.uniform(-1, 1, size=shape)


def _activation(name: str, grad_fn: str, **kwargs: object) -> OpInfo:
    label = name if not kwargs else f"{name}_{'_'.join(f'{k}' for k in kwargs)}"
    return OpInfo(
        f"nn.functional.{label}",
        lambda m, a: getattr(m.nn.functional, name)(a, **kwargs),
        _X,
        grad_fn,
        domain=(-4.0, 4.0),
        covers=(f"nn.functional.{name}", name),  # bibun.selu, bibun.celu, ... are the same functions
    )


OPS = [
    _activation("relu", "ReluBackward0"),
    _activation("relu6", "HardtanhBackward0"),
    _activation("hardtanh", "HardtanhBackward0"),
    _activation("leaky_relu", "LeakyReluBackward0", negative_slope=0.2),
    _activation("elu", "EluBackward0", alpha=0.7),
    _activation("selu", "EluBackward0"),
    _activation("celu", "CeluBackward0", alpha=1.5),
    _activation("gelu", "GeluBackward0"),
    _activation("gelu", "GeluBackward0", approximate="tanh"),
    _activation("silu", "SiluBackward0"),
    _activation("mish", "MishBackward0"),
    _activation("softplus", "SoftplusBackward0", beta=2.0, threshold=3.0),
    _activation("softsign", "DivBackward0"),
    _activation("hardsigmoid", "HardsigmoidBackward0"),
    _activation("hardswish", "HardswishBackward0"),
    _activation("logsigmoid", "LogSigmoidBackward0"),
    _activation("tanh", "TanhBackward0"),
    _activation("sigmoid", "SigmoidBackward0"),
    OpInfo(
        "nn.functional.softmax",
        lambda m, a: m.nn.functional.softmax(a, dim=1),
        [S(((3, 4),)), S(((2, 3, 4),))],
        "SoftmaxBackward0",
        domain=(-5.0, 5.0),
        covers=("softmax", "Tensor.softmax"),
    ),
    OpInfo(
        "nn.functional.log_softmax",
        lambda m, a: a.log_softmax(-1),
        [S(((3, 4),)), S(((2, 3, 4),))],
        "LogSoftmaxBackward0",
        domain=(-5.0, 5.0),
        covers=("log_softmax", "Tensor.log_softmax"),
    ),
    OpInfo("nn.functional.softmin", lambda m, a: m.nn.functional.softmin(a, dim=0), [S(((3, 4),))], "SoftmaxBackward0"),
    OpInfo(
        "nn.functional.linear",
        lambda m, x, w, b: m.nn.functional.linear(x, w, b),
        [S(((3, 4), (5, 4), (5,))), S(((2, 3, 4), (5, 4), (5,)), "batched")],
        covers=("nn.functional.linear",),
    ),
    OpInfo(
        "nn.functional.linear_no_bias",
        lambda m, x, w: m.nn.functional.linear(x, w),
        [S(((3, 4), (5, 4)))],
        "MmBackward0",
    ),
    OpInfo(
        "nn.functional.bilinear",
        lambda m, x, y, w, b: m.nn.functional.bilinear(x, y, w, b),
        [S(((3, 4), (3, 2), (5, 4, 2), (5,)))],
        "AddBackward0",
        covers=("bilinear",),
    ),
    OpInfo(
        "nn.functional.dropout_eval",
        lambda m, a: m.nn.functional.dropout(a, 0.3, training=False) * 2,
        [S(((3, 4),))],
        "MulBackward0",
        covers=("nn.functional.dropout", "dropout"),
    ),
    OpInfo(
        "nn.functional.embedding",
        lambda m, w, i: m.nn.functional.embedding(i, w),
        [S(((6, 3), np.array([[0, 2, 5], [5, 1, 1]])))],
        "EmbeddingBackward0",
        nondiff_args=(1,),
    ),
    OpInfo(
        "nn.functional.one_hot",
        lambda m, i: m.nn.functional.one_hot(i, 5),
        [S((np.array([0, 3, 1]),))],
        differentiable=False,
    ),
]

# --- losses ---------------------------------------------------------------------------------
for _name, _grad_fn in (
    ("mse_loss", "MseLossBackward0"),
    ("smooth_l1_loss", "SmoothL1LossBackward0"),
    ("huber_loss", "HuberLossBackward0"),
):
    for _reduction in ("mean", "sum", "none"):
        OPS.append(
            OpInfo(
                f"nn.functional.{_name}_{_reduction}",
                (lambda n, r: lambda m, a, b: getattr(m.nn.functional, n)(a, b, reduction=r))(_name, _reduction),
                [S(((3, 4), (3, 4)))],
                _grad_fn,
                covers=(f"nn.functional.{_name}",),
            )
        )
OPS += [
    OpInfo(
        "nn.functional.l1_loss",
        lambda m, a, b: m.nn.functional.l1_loss(a, b),
        [S(((3, 4), (3, 4)))],
        "MeanBackward0",
    ),
    OpInfo(
        "nn.functional.l1_loss_none",
        lambda m, a, b: m.nn.functional.l1_loss(a, b, reduction="none"),
        [S(((3, 4), (3, 4)))],
        "AbsBackward0",
    ),
    OpInfo(
        "nn.functional.binary_cross_entropy",
        lambda m, p, t: m.nn.functional.binary_cross_entropy(p, t),
        [S(((3, 4), (3, 4)))],
        "BinaryCrossEntropyBackward0",
        sampler=_probabilities,
    ),
    OpInfo(
        "nn.functional.binary_cross_entropy_weighted",
        lambda m, p, t, w: m.nn.functional.binary_cross_entropy(p, t, w, reduction="sum"),
        [S(((3, 4), (3, 4), (4,)))],
        "BinaryCrossEntropyBackward0",
        sampler=_probabilities,
        nondiff_args=(2,),
    ),
    OpInfo(
        "nn.functional.binary_cross_entropy_with_logits",
        lambda m, x, t: m.nn.functional.binary_cross_entropy_with_logits(x, t),
        [S(((3, 4), (3, 4)))],
        "BinaryCrossEntropyWithLogitsBackward0",
    ),
    OpInfo(
        "nn.functional.binary_cross_entropy_with_logits_pos_weight",
        lambda m, x, t, w, pw: m.nn.functional.binary_cross_entropy_with_logits(
            x, t, w, pos_weight=pw, reduction="none"
        ),
        [S(((3, 4), (3, 4), (4,), (4,)))],
        "BinaryCrossEntropyWithLogitsBackward0",
        sampler=_probabilities,
        nondiff_args=(2, 3),
    ),
    OpInfo(
        "nn.functional.nll_loss",
        lambda m, x, t: m.nn.functional.nll_loss(x, t, ignore_index=1),
        [S(((3, 4), np.array([0, 1, 3]))), S(((3,), np.array(2)), "unbatched")],
        "NllLossBackward0",
        nondiff_args=(1,),
    ),
    OpInfo(
        "nn.functional.nll_loss_weighted_none",
        lambda m, x, t, w: m.nn.functional.nll_loss(x, t, w, reduction="none"),
        [S(((3, 4), np.array([0, 2, 3]), (4,)))],
        "NllLossBackward0",
        nondiff_args=(1, 2),
        sampler=_probabilities,
    ),
    OpInfo(
        "nn.functional.nll_loss2d",
        lambda m, x, t: m.nn.functional.nll_loss(x, t, reduction="sum"),
        [S(((2, 3, 2, 2), np.array([[[0, 1], [2, 1]], [[2, 2], [0, 1]]])))],
        "NllLoss2DBackward0",
        nondiff_args=(1,),
    ),
    OpInfo(
        "nn.functional.cross_entropy",
        lambda m, x, t: m.nn.functional.cross_entropy(x, t),
        [S(((3, 4), np.array([0, 3, 1])))],
        "NllLossBackward0",
        nondiff_args=(1,),
    ),
    OpInfo(
        "nn.functional.cross_entropy_options",
        lambda m, x, t, w: m.nn.functional.cross_entropy(x, t, w, ignore_index=0, label_smoothing=0.2),
        [S(((3, 4), np.array([0, 3, 1]), (4,))), S(((2, 4, 3), np.array([[0, 3, 1], [2, 2, 0]]), (4,)), "k-dim")],
        "AddBackward0",
        nondiff_args=(1, 2),
        sampler=_probabilities,
    ),
    OpInfo(
        "nn.functional.cross_entropy_probabilities",
        lambda m, x, p: m.nn.functional.cross_entropy(x, p.softmax(1), label_smoothing=0.1),
        [S(((3, 4), (3, 4)))],
        "DivBackward1",
    ),
    OpInfo(
        "nn.functional.kl_div",
        lambda m, x, t: m.nn.functional.kl_div(x, t, reduction="batchmean"),
        [S(((3, 4), (3, 4)))],
        "DivBackward0",
        sampler=_probabilities,
    ),
    OpInfo(
        "nn.functional.kl_div_log_target",
        lambda m, x, t: m.nn.functional.kl_div(x, t, reduction="sum", log_target=True),
        [S(((3, 4), (3, 4)))],
        "SumBackward0",
    ),
    OpInfo(
        "nn.functional.cosine_similarity",
        lambda m, a, b: m.nn.functional.cosine_similarity(a, b, dim=-1),
        [S(((3, 4), (3, 4))), S(((2, 3, 4), (3, 4)), "broadcast")],
        "SumBackward1",
        covers=("cosine_similarity",),
    ),
    OpInfo(
        "nn.functional.normalize",
        lambda m, a: m.nn.functional.normalize(a, p=3.0, dim=0),
        [S(((3, 4),))],
        "DivBackward0",
    ),
    OpInfo(
        "nn.functional.layer_norm",
        lambda m, x, w, b: m.nn.functional.layer_norm(x, (3, 4), w, b),
        [S(((2, 3, 4), (3, 4), (3, 4)))],
        "NativeLayerNormBackward0",
        forward_mode=False,
        covers=("layer_norm",),
    ),
    OpInfo(
        "nn.functional.layer_norm_plain",
        lambda m, x: m.nn.functional.layer_norm(x, (4,)),
        [S(((3, 4),))],
        "NativeLayerNormBackward0",
        forward_mode=False,
    ),
    OpInfo(
        "nn.functional.batch_norm",
        lambda m, x, w, b: m.nn.functional.batch_norm(x, None, None, w, b, training=True),
        [S(((4, 3, 2, 2), (3,), (3,))), S(((5, 3), (3,), (3,)), "2-d")],
        "NativeBatchNormBackward0",
        forward_mode=False,
    ),
    OpInfo(
        "nn.functional.batch_norm_eval",
        lambda m, x, w, b, mean, var: m.nn.functional.batch_norm(x, mean, var.abs() + 0.5, w, b),
        [S(((4, 3, 2), (3,), (3,), (3,), (3,)))],
        "NativeBatchNormBackward0",
        nondiff_args=(3, 4),
        forward_mode=False,
    ),
]

# --- convolution, pooling, padding ---------------------------------------------------------------
OPS += [
    OpInfo(
        "nn.functional.conv1d",
        lambda m, x, w, b: m.nn.functional.conv1d(x, w, b, stride=2, padding=1, dilation=2, groups=2),
        [S(((2, 4, 9), (6, 2, 3), (6,)))],
        "ConvolutionBackward0",
        covers=("conv1d",),
    ),
    OpInfo(
        "nn.functional.conv2d",
        lambda m, x, w, b: m.nn.functional.conv2d(x, w, b, stride=(2, 1), padding=(1, 2), dilation=(1, 2)),
        [S(((2, 3, 6, 5), (4, 3, 3, 2), (4,)))],
        "ConvolutionBackward0",
        sampler=_unit,
        covers=("conv2d",),
    ),
    OpInfo(
        "nn.functional.conv2d_groups_same",
        lambda m, x, w: m.nn.functional.conv2d(x, w, padding="same", groups=2),
        [S(((1, 4, 5, 5), (6, 2, 2, 3)))],
        "ConvolutionBackward0",
        sampler=_unit,
    ),
    OpInfo(
        "nn.functional.conv2d_unbatched",
        lambda m, x, w: m.nn.functional.conv2d(x, w),
        [S(((2, 4, 4), (3, 2, 2, 2)))],
        "SqueezeBackward1",
        sampler=_unit,
    ),
    OpInfo(
        "nn.functional.max_pool2d",
        lambda m, x: m.nn.functional.max_pool2d(x, 2),
        [S(((2, 3, 4, 6),)), S(((3, 4, 4),), "unbatched")],
        covers=("max_pool2d",),
    ),
    OpInfo(
        "nn.functional.max_pool2d_options",
        lambda m, x: m.nn.functional.max_pool2d(x, 3, stride=2, padding=1, dilation=(1, 2), ceil_mode=True),
        [S(((2, 2, 7, 8),))],
        "MaxPool2DWithIndicesBackward0",
    ),
    OpInfo(
        "nn.functional.max_pool2d_indices",
        lambda m, x: m.nn.functional.max_pool2d(x, (2, 3), return_indices=True),
        [S(((1, 2, 4, 6),))],
        "MaxPool2DWithIndicesBackward0",
    ),
    OpInfo(
        "nn.functional.avg_pool2d",
        lambda m, x: m.nn.functional.avg_pool2d(x, 2),
        [S(((2, 3, 4, 6),))],
        "AvgPool2DBackward0",
    ),
    OpInfo(
        "nn.functional.avg_pool2d_options",
        lambda m, x: m.nn.functional.avg_pool2d(x, 3, stride=2, padding=1, ceil_mode=True, count_include_pad=False),
        [S(((2, 2, 7, 8),))],
        "AvgPool2DBackward0",
    ),
    OpInfo(
        "nn.functional.pad",
        lambda m, x: m.nn.functional.pad(x, (1, 2, -1, 1), value=0.5),
        [S(((2, 3, 4),))],
        "ConstantPadNdBackward0",
    ),
    OpInfo(
        "nn.functional.pad_reflect",
        lambda m, x: m.nn.functional.pad(x, (1, 2, 2, 1), mode="reflect"),
        [S(((1, 2, 4, 5),))],
        "ReflectionPad2DBackward0",
    ),
    OpInfo(
        "nn.functional.pad_replicate",
        lambda m, x: m.nn.functional.pad(x, (2, 1), mode="replicate"),
        [S(((2, 3, 4),))],
        "ReplicationPad1DBackward0",
    ),
    OpInfo(
        "nn.functional.pad_circular",
        lambda m, x: m.nn.functional.pad(x, (1, 2, 2, 1), mode="circular"),
        [S(((1, 2, 4, 5),))],
        "CopySlices",
    ),
]
