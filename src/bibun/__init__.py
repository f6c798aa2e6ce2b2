"""bibun (微分, "differentiation"): PyTorch's autograd rebuilt on NumPy.

``import bibun as torch`` runs typical PyTorch autograd code unchanged: tensors, reverse
mode (``backward``, ``autograd.grad``, ``create_graph``), grad modes, and PyTorch's printing,
promotion rules and error messages."""

import warnings as _warnings

# NumPy reports floating-point trouble (log(0), 0/0, exp overflow) as a RuntimeWarning
# attributed to the line that called the ufunc: a line of bibun. PyTorch never warns there;
# inf or NaN is the answer. Ignoring RuntimeWarnings attributed to bibun's own modules costs
# nothing per op (np.errstate around every op would cost a tenth of a small op's time) and
# leaves the user's own NumPy calls warning as before (docs/differences.md).
_warnings.filterwarnings("ignore", category=RuntimeWarning, module=r"bibun(\.|$)")

from bibun import (  # noqa: E402
    _numpy_interop,  # noqa: F401 - np.exp(t), np.sum(t), ndarray * t dispatch to bibun's ops (docs/numpy.md)
    _tensor_extras,  # noqa: F401 - binds new_zeros, type_as, view_as, nbytes, ... to Tensor
    _tensor_methods,  # noqa: F401 - binds operators and methods to Tensor
    autograd,
    func,  # torch.func: grad, vmap, jacrev, jacfwd, ...
    linalg,
    nn,
    special,  # torch.special's names
    utils,  # bibun.utils.checkpoint
)
from bibun._creation import (
    Generator,
    arange,
    as_tensor,
    asarray,
    default_generator,
    empty,
    empty_like,
    eye,
    from_numpy,
    full,
    full_like,
    get_rng_state,
    initial_seed,
    linspace,
    logspace,
    manual_seed,
    normal,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randint_like,
    randn,
    randn_like,
    randperm,
    seed,
    set_rng_state,
    tensor,
    zeros,
    zeros_like,
)
from bibun._dtype import (
    bool,
    cdouble,
    cfloat,
    complex64,
    complex128,
    double,
    dtype,
    float,
    float16,
    float32,
    float64,
    get_default_dtype,
    half,
    int,
    int8,
    int16,
    int32,
    int64,
    long,
    set_default_dtype,
    short,
    uint8,
)
from bibun._dtype_info import can_cast, finfo, iinfo, is_complex, promote_types, result_type
from bibun._printing import set_printoptions
from bibun._size import Size, device
from bibun._tensor import Tensor
from bibun.autograd.grad_mode import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_grad,
    set_grad_enabled,
)
from bibun.ops import *  # noqa: F403 - the op functions: exp, log, sum, matmul, ...
from bibun.ops.reduction import return_types

__version__ = "0.1.0"


def is_tensor(obj: object) -> "builtins.bool":
    return isinstance(obj, Tensor)


def numel(input: Tensor) -> "builtins.int":
    return input.numel()


def is_floating_point(input: Tensor) -> "builtins.bool":
    return input.is_floating_point()


# The in-place functions PyTorch also offers at top level (torch.sin_(t) is t.sin_()).
from bibun.ops.inplace import METHODS as _INPLACE_METHODS  # noqa: E402

abs_, clamp_, cos_, exp_, fill_, log_, neg_, reciprocal_, relu_, sigmoid_, sin_, sqrt_, square_, tanh_, zero_ = (
    _INPLACE_METHODS[name + "_"]
    for name in "abs clamp cos exp fill log neg reciprocal relu sigmoid sin sqrt square tanh zero".split()
)

from bibun.func import vmap  # noqa: E402 - torch.vmap is torch.func.vmap


def is_anomaly_enabled() -> "builtins.bool":
    from bibun.autograd import anomaly_mode

    return anomaly_mode.is_anomaly_enabled()


def is_anomaly_check_nan_enabled() -> "builtins.bool":
    from bibun.autograd import anomaly_mode

    return anomaly_mode.is_anomaly_check_nan_enabled()


import builtins  # noqa: E402
