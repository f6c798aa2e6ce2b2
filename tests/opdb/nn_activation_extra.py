"""Database entries for the extra nn.functional activations and normalizations
(bibun/nn/_activation_extra.py). In-place forms run on a clone, so the leaf stays a leaf and
the recorded node is the in-place one. The random functions enter in their deterministic
forms (rrelu in evaluation mode); their draws are tested in tests/test_nn_activation_extra.py."""

from __future__ import annotations

from opdb import OpInfo, Sample

S = Sample
_X = [S(((3, 4),)), S(((2, 3, 4),)), S(((),), "0-d"), S(((2, 0),), "empty")]


def _fn(name: str, clone: bool, kwargs: dict) -> object:
    if clone:
        return lambda m, a: getattr(m.nn.functional, name)(a.clone(), **kwargs)
    return lambda m, a: getattr(m.nn.functional, name)(a, **kwargs)


def _unary(name: str, grad_fn: str, label: str = "", clone: bool = False, **kwargs: object) -> OpInfo:
    return OpInfo(
        f"nn.functional.{label or name}",
        _fn(name, clone, kwargs),
        _X,
        grad_fn,
        domain=(-3.0, 3.0),
        covers=(f"nn.functional.{name}",),
    )


_INPLACE: dict = {"inplace": True}

OPS = [
    OpInfo(
        "nn.functional.glu",
        lambda m, a: m.nn.functional.glu(a),
        [S(((3, 4),)), S(((2, 0),), "empty")],
        "GluBackward0",
    ),
    OpInfo("nn.functional.glu_dim", lambda m, a: m.nn.functional.glu(a, 1), [S(((2, 6, 3),))], "GluBackward0"),
    _unary("hardshrink", "HardshrinkBackward0", lambd=0.7),
    _unary("hardshrink", "HardshrinkBackward0", label="hardshrink_method"),
    _unary("softshrink", "SoftshrinkBackward0", lambd=0.6),
    _unary("tanhshrink", "SubBackward0"),
    _unary("threshold", "ThresholdBackward0", threshold=0.3, value=-1.5),
    _unary(
        "threshold", "ThresholdBackward1", label="threshold_inplace", clone=True, threshold=0.3, value=-1.5, **_INPLACE
    ),
    _unary("threshold_", "ThresholdBackward1", clone=True, threshold=-0.2, value=-1.5),
    # A value above the threshold: the gradient still follows the input, not the result.
    _unary("threshold_", "ThresholdBackward1", label="threshold_high_value", clone=True, threshold=0.3, value=1.5),
    _unary("rrelu", "RreluWithNoiseBackward0", lower=0.1, upper=0.4),
    _unary("rrelu_", "RreluWithNoiseBackward1", clone=True, lower=0.1, upper=0.4),
    _unary("rrelu", "RreluWithNoiseBackward1", label="rrelu_inplace", clone=True, **_INPLACE),
    _unary("relu_", "ReluBackward0", clone=True),
    _unary("elu_", "EluBackward1", clone=True, alpha=0.7),
    _unary("selu_", "EluBackward1", clone=True),
    _unary("celu_", "CeluBackward1", clone=True, alpha=1.5),
    _unary("leaky_relu_", "LeakyReluBackward1", clone=True, negative_slope=0.2),
    _unary("hardtanh_", "HardtanhBackward0", clone=True, min_val=-0.8, max_val=1.2),
    OpInfo(
        "nn.functional.prelu",
        lambda m, x, w: m.nn.functional.prelu(x, w),
        [
            S(((2, 3, 4), (3,)), "per channel"),
            S(((3, 4), (1,)), "shared"),
            S(((4,), (1,)), "1-d"),
            S(((), ()), "0-d"),
        ],
        "PreluKernelBackward0",
        covers=("Tensor.prelu",),
    ),
    OpInfo(
        "nn.functional.hardshrink_tensor_method",
        lambda m, a: a.hardshrink(0.4),
        [S(((3, 4),))],
        "HardshrinkBackward0",
        covers=("Tensor.hardshrink",),
    ),
]

# --- normalizations -------------------------------------------------------------------------------
OPS += [
    OpInfo(
        "nn.functional.rms_norm",
        lambda m, x, w: m.nn.functional.rms_norm(x, (3, 4), w, eps=1e-6),
        [S(((2, 3, 4), (3, 4)))],
        "MulBackward0",
    ),
    OpInfo(
        "nn.functional.rms_norm_default_eps",
        lambda m, x: m.nn.functional.rms_norm(x, [4]),
        [S(((3, 4),)), S(((4,),), "1-d")],
        "MulBackward0",
        covers=("nn.functional.rms_norm",),
    ),
    OpInfo(
        "nn.functional.group_norm",
        lambda m, x, w, b: m.nn.functional.group_norm(x, 2, w, b, eps=1e-4),
        [
            S(((2, 4, 3), (4,), (4,))),
            S(((3, 6, 2, 2), (6,), (6,)), "2-d spatial"),
            S(((2, 6), (6,), (6,)), "no spatial"),
        ],
        "NativeGroupNormBackward0",
    ),
    OpInfo(
        "nn.functional.group_norm_plain",
        lambda m, x: m.nn.functional.group_norm(x, 3),
        [S(((2, 6, 5),))],
        "NativeGroupNormBackward0",
    ),
    OpInfo(
        "nn.functional.group_norm_weight_only",
        lambda m, x, w: m.nn.functional.group_norm(x, 1, w),
        [S(((2, 3, 4), (3,)))],
        "NativeGroupNormBackward0",
    ),
    # Composed over batch_norm, which has no forward-mode rule (docs/nn.md).
    OpInfo(
        "nn.functional.instance_norm",
        lambda m, x, w, b: m.nn.functional.instance_norm(x, weight=w, bias=b),
        [S(((2, 3, 4), (3,), (3,))), S(((2, 2, 3, 2), (2,), (2,)), "2-d spatial")],
        "ViewBackward0",
        forward_mode=False,
    ),
    OpInfo(
        "nn.functional.instance_norm_running_stats",
        lambda m, x, mean, var: m.nn.functional.instance_norm(x, mean, var.abs() + 0.5, use_input_stats=False),
        [S(((2, 3, 4), (3,), (3,)))],
        "ViewBackward0",
        nondiff_args=(1, 2),
        forward_mode=False,
    ),
    OpInfo(
        "nn.functional.local_response_norm",
        lambda m, x: m.nn.functional.local_response_norm(x, 3, alpha=0.5, beta=0.75, k=1.5),
        [S(((2, 5, 3),)), S(((2, 4, 3, 2),), "4-d"), S(((1, 3, 2),), "window wider than channels")],
        "DivBackward0",
    ),
    OpInfo(
        "nn.functional.local_response_norm_even",
        lambda m, x: m.nn.functional.local_response_norm(x, 2),
        [S(((2, 3, 4),))],
        "DivBackward0",
        covers=("nn.functional.local_response_norm",),
    ),
]

# gumbel_softmax draws noise, so its values cannot match PyTorch's; over a dim of size 1 the
# result is 1 whatever the draw, which checks the recorded graph, the dtypes and the (zero)
# gradient. The draws are tested in tests/test_nn_activation_extra.py.
OPS += [
    OpInfo(
        "nn.functional.gumbel_softmax",
        lambda m, a: m.nn.functional.gumbel_softmax(a, tau=0.5),
        [S(((3, 1),))],
        "SoftmaxBackward0",
    ),
    OpInfo(
        "nn.functional.gumbel_softmax_hard",
        lambda m, a: m.nn.functional.gumbel_softmax(a, hard=True, dim=0),
        [S(((1, 4),))],
        "AddBackward0",
        covers=("nn.functional.gumbel_softmax",),
    ),
]
