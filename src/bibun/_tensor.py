"""The Tensor: a NumPy array plus the autograd state PyTorch keeps beside it (requires_grad,
grad, grad_fn, a version counter shared with views). No math lives here: operators and
methods delegate to the op table in ``bibun.ops`` (bound by ``bibun._tensor_methods``)."""

from __future__ import annotations

import warnings
import weakref
from typing import Any, Callable, Iterator

import numpy as np

from bibun import _dtype, _printing
from bibun._size import CPU, Size, device
from bibun.autograd import grad_mode

ndarray = np.ndarray
_new = object.__new__

_NON_LEAF_GRAD_WARNING = (
    "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad attribute "
    "won't be populated during autograd.backward(). If you indeed want the .grad field to be populated "
    "for a non-leaf Tensor, use .retain_grad() on the non-leaf Tensor. If you access the non-leaf Tensor "
    "by mistake, make sure you access the leaf Tensor instead."
)


class Tensor:
    """An n-dimensional array that can record the operations applied to it.

    Attributes are plain instance attributes with class-level defaults, so making a tensor
    sets only what differs from the defaults (tensor creation is on every op's path)."""

    _data: ndarray
    _requires_grad: bool = False
    _grad_fn: Any = None
    _grad: Tensor | None = None
    _version_counter: list[int] | None = None  # shared with views and detach(); made on demand
    _output_nr: int = 0
    _accumulator: Any = None  # weakref to the leaf's AccumulateGrad node
    _base: Tensor | None = None
    _retains_grad: bool = False
    _is_inference: bool = False
    _post_accumulate_hooks: Any = None
    _leaf_hooks: Any = None  # register_hook on a leaf: {handle id: hook}
    _view_version: int = 0  # a view: the version at which its grad_fn was last valid
    _view_made_without_grad: bool = False  # a view made under no_grad (not differentiable)
    _multi_view_of: Any = None  # (output_nr, op) for an output of split/chunk/unbind made while recording
    _tangents: Any = None  # forward-mode tangents, {level: Tensor}

    # Until bibun._numpy_interop replaces it (dispatch to bibun's ops, docs/numpy.md), NumPy must
    # not treat a Tensor as an array in ufuncs: ``np.exp(tensor)`` raises instead of detaching.
    __array_ufunc__ = None
    __array_priority__ = 1000

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise TypeError("create tensors with bibun.tensor(data), bibun.zeros(shape), ... (as in PyTorch)")

    # --- autograd state -------------------------------------------------------------------
    def _sync_view(self) -> None:
        """A view written through (or whose base was written) since its grad_fn was set gets
        a grad_fn rebuilt from the base's history, as PyTorch does (docs/mechanics.md)."""
        if self._base is not None and self._view_version != self._version_counter[0]:
            _ops._registry.refresh_view(self)

    @property
    def requires_grad(self) -> bool:
        if self._base is not None:
            self._sync_view()
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        if self._grad_fn is not None:
            if value:
                raise RuntimeError("you can only change requires_grad flags of leaf variables.")
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables. If you want to use a computed "
                "variable in a subgraph that doesn't require differentiation use var_no_grad = var.detach()."
            )
        if value:
            _dtype.check_can_require_grad(
                self._data.dtype, "only Tensors of floating point dtype can require gradients"
            )
        self._requires_grad = bool(value)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        self.requires_grad = requires_grad
        return self

    @property
    def grad_fn(self) -> Any:
        if self._base is not None:
            self._sync_view()
        return self._grad_fn

    @property
    def is_leaf(self) -> bool:
        if self._base is not None:
            self._sync_view()
        return self._grad_fn is None

    @property
    def grad(self) -> Tensor | None:
        if self._grad_fn is not None and not self._retains_grad:
            warnings.warn(_NON_LEAF_GRAD_WARNING, UserWarning, stacklevel=2)
        return self._grad

    @grad.setter
    def grad(self, value: Tensor | None) -> None:
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(
                    f"assigned grad expected to be a Tensor or None but got grad of type {type(value).__name__}"
                )
            if value._data.dtype != self._data.dtype:
                raise RuntimeError(
                    f"attempting to assign a gradient with dtype '{value.dtype!r}' to a tensor with dtype "
                    f"'{self.dtype!r}'. Please ensure that the gradient and the tensor have the same dtype"
                )
            if value._data.shape != self._data.shape:
                raise RuntimeError(
                    f"attempting to assign a gradient of size '{list(value._data.shape)}' to a tensor of size "
                    f"'{list(self._data.shape)}'. Please ensure that the gradient and the tensor are the same size"
                )
        self._grad = value

    @grad.deleter
    def grad(self) -> None:
        self._grad = None

    @property
    def retains_grad(self) -> bool:
        return self._retains_grad

    @property
    def output_nr(self) -> int:
        """Which output of its grad_fn this tensor is (0 for leaves)."""
        return self._output_nr

    def retain_grad(self) -> None:
        """Keep this non-leaf's gradient in ``.grad`` at the next backward (a no-op on leaves)."""
        self._sync_view()
        if not self._requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self._grad_fn is None or self._retains_grad:
            return
        node = self._grad_fn
        if node._retain_grad_refs is None:
            node._retain_grad_refs = {}
        node._retain_grad_refs[self._output_nr] = weakref.ref(self)
        self._retains_grad = True

    def register_hook(self, hook: Callable[[Tensor], Tensor | None]) -> Any:
        """``hook(grad)`` runs when this tensor's gradient is computed; a returned tensor
        replaces the gradient. Returns a handle with ``remove()``."""
        self._sync_view()
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self._grad_fn is not None:
            return self._grad_fn._register_tensor_hook(self._output_nr, hook)
        # A leaf keeps its hooks itself: its AccumulateGrad node is held only by the graphs that
        # use it, and each new node picks the hooks up (graph.grad_accumulator).
        from bibun.autograd.graph import RemovableHandle, _HookDict, grad_accumulator

        if self._leaf_hooks is None:
            self._leaf_hooks = _HookDict()
            grad_accumulator(self)._tensor_prehooks = {0: self._leaf_hooks}
        handle = RemovableHandle(self._leaf_hooks)
        self._leaf_hooks[handle.id] = hook
        return handle

    def register_post_accumulate_grad_hook(self, hook: Callable[[Tensor], None]) -> Any:
        """``hook(tensor)`` runs after a gradient has been accumulated into this leaf's
        ``.grad`` (an optimizer step can run there). Returns a handle with ``remove()``."""
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self._grad_fn is not None:
            raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf tensors")
        from bibun.autograd.graph import RemovableHandle, _HookDict

        if self._post_accumulate_hooks is None:
            self._post_accumulate_hooks = _HookDict()
        handle = RemovableHandle(self._post_accumulate_hooks)
        self._post_accumulate_hooks[handle.id] = hook
        return handle

    def backward(
        self,
        gradient: Tensor | None = None,
        retain_graph: bool | None = None,
        create_graph: bool = False,
        inputs: Any = None,
    ) -> None:
        """Accumulate d(self)/d(leaf) into every leaf's ``.grad`` (or only ``inputs``')."""
        _engine.backward(self, gradient, retain_graph, create_graph, inputs=inputs)

    def detach(self) -> Tensor:
        """The same data, cut from the graph; shares memory and the version counter."""
        out = new_tensor(self._data)
        counter = self._version_counter
        if counter is None:
            counter = self._version_counter = [0]
        out._version_counter = counter
        return out

    def detach_(self) -> Tensor:
        self._grad_fn = None
        self._requires_grad = False
        return self

    @property
    def data(self) -> Tensor:
        return self.detach()

    @data.setter
    def data(self, value: Tensor) -> None:
        self._data = value._data

    @property
    def _version(self) -> int:
        counter = self._version_counter
        return counter[0] if counter is not None else 0

    def _bump_version(self) -> None:
        counter = self._version_counter
        if counter is None:
            self._version_counter = [1]
        else:
            counter[0] += 1

    # --- conversion -----------------------------------------------------------------------
    def numpy(self, *, force: bool = False) -> ndarray:
        """The data as a NumPy array sharing memory (PyTorch refuses while grad is tracked)."""
        if self._requires_grad and not force and grad_mode.state_get()[0]:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.")
        return self._data

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> ndarray:
        data = self.numpy()
        if dtype is not None and data.dtype != dtype:
            return data.astype(dtype)
        return data.copy() if copy else data

    def item(self) -> Any:
        if self._data.size != 1:
            raise RuntimeError(f"a Tensor with {self._data.size} elements cannot be converted to Scalar")
        return self._data.item()

    def tolist(self) -> Any:
        return self._data.tolist()

    def cpu(self) -> Tensor:
        return self

    def cuda(self, *args: Any, **kwargs: Any) -> Tensor:
        raise RuntimeError("bibun runs on the CPU only (no CUDA device)")

    def to(self, *args: Any, **kwargs: Any) -> Tensor:
        """``to(dtype)``, ``to(device)``, ``to(device, dtype)``, ``to(other_tensor)``."""
        target = kwargs.get("dtype")
        for arg in args + tuple(v for k, v in kwargs.items() if k == "device"):
            if isinstance(arg, _dtype.dtype):
                target = arg
            elif isinstance(arg, Tensor):
                target = arg.dtype
            elif arg is not None:
                device(arg)  # validates: only the CPU
        if target is None or target.np == self._data.dtype:
            return self
        return _ops.to_dtype(self, target)

    def type(self, dtype: Any = None) -> Any:
        if dtype is None:
            return f"bibun.{_dtype.scalar_type_name(self._data.dtype)}Tensor"
        return self.to(dtype)

    def float(self) -> Tensor:
        return self.to(_dtype.float32)

    def double(self) -> Tensor:
        return self.to(_dtype.float64)

    def half(self) -> Tensor:
        return self.to(_dtype.float16)

    def int(self) -> Tensor:
        return self.to(_dtype.int32)

    def long(self) -> Tensor:
        return self.to(_dtype.int64)

    def bool(self) -> Tensor:
        return self.to(_dtype.bool)

    # --- metadata -------------------------------------------------------------------------
    @property
    def shape(self) -> Size:
        return Size(self._data.shape)

    def size(self, dim: int | None = None) -> Any:
        if dim is None:
            return Size(self._data.shape)
        return self._data.shape[_ops.normalize_dim(dim, self._data.ndim)]

    def dim(self) -> int:
        return self._data.ndim

    ndimension = dim

    @property
    def ndim(self) -> int:
        return self._data.ndim

    def numel(self) -> int:
        return self._data.size

    nelement = numel

    @property
    def dtype(self) -> _dtype.dtype:
        return _dtype.from_numpy_dtype(self._data.dtype)

    @property
    def device(self) -> device:
        return CPU

    is_cuda = False
    is_sparse = False

    def is_floating_point(self) -> bool:
        return self._data.dtype.kind == "f"

    def is_complex(self) -> bool:
        return self._data.dtype.kind == "c"

    def is_inference(self) -> bool:
        """True for a tensor made under ``inference_mode``."""
        return self._is_inference

    def is_contiguous(self) -> bool:
        return bool(self._data.flags.c_contiguous)

    def element_size(self) -> int:
        return self._data.itemsize

    def stride(self, dim: int | None = None) -> Any:
        strides = tuple(s // self._data.itemsize for s in self._data.strides)
        return strides if dim is None else strides[_ops.normalize_dim(dim, self._data.ndim)]

    def data_ptr(self) -> int:
        return self._data.__array_interface__["data"][0]

    # --- Python protocols -----------------------------------------------------------------
    def __repr__(self, *, tensor_contents: Any = None) -> str:
        tangent = None
        if self._tangents:
            from bibun.autograd.forward_ad import _current_tangent

            tangent = _current_tangent(self)
        return _printing.tensor_repr(self, tangent)

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        if self._data.ndim == 0:
            return self.item().__format__(spec)
        return object.__format__(self, spec)

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self) -> Iterator[Tensor]:
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return iter(_ops.unbind(self, 0))

    def __bool__(self) -> bool:
        size = self._data.size
        if size != 1:
            detail = "no values" if size == 0 else "more than one value"
            raise RuntimeError(f"Boolean value of Tensor with {detail} is ambiguous")
        return bool(self._data.item())

    def __float__(self) -> float:
        if self._data.size != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        return float(self._data.item())

    def __int__(self) -> int:
        if self._data.size != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        return int(self._data.item())

    def __index__(self) -> int:
        if self._data.size != 1 or self._data.dtype.kind not in "iub":
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self._data.item())

    def __complex__(self) -> complex:
        return complex(self.item())

    __hash__ = object.__hash__

    def __deepcopy__(self, memo: dict) -> Tensor:
        if self._grad_fn is not None:
            raise RuntimeError(
                "Only Tensors created explicitly by the user (graph leaves) support the deepcopy protocol at the moment."
            )
        out = new_tensor(self._data.copy(), self._requires_grad)
        if self._grad is not None:
            out._grad = self._grad.__deepcopy__(memo)
        memo[id(self)] = out
        return out

    def __reduce_ex__(self, protocol: int) -> Any:
        return (_rebuild, (self._data.copy(), self._requires_grad))

    # --- in-place basics (the ops themselves: bibun/ops/inplace.py) -------------------------
    def _check_inplace(self) -> None:
        """PyTorch's refusals, checked before anything is written: a leaf that requires grad
        (or a view of one) while grad mode is on, and a no_grad view written with grad on;
        an inference tensor outside inference mode."""
        if self._is_inference and not grad_mode.state_get()[1]:
            raise RuntimeError(
                "Inplace update to inference tensor outside InferenceMode is not allowed.You can make a clone to "
                "get a normal tensor before doing inplace update."
            )
        if grad_mode.state_get()[0]:
            base = self._base
            if self._requires_grad and self._grad_fn is None and not self._view_made_without_grad:
                if base is not None and base._requires_grad and base._grad_fn is None:
                    raise RuntimeError(
                        "a view of a leaf Variable that requires grad is being used in an in-place operation."
                    )
                raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")
            if base is not None and base._requires_grad:
                if self._view_made_without_grad:
                    raise RuntimeError(
                        "A view was created in no_grad mode and is being modified inplace with grad mode enabled. "
                        "Given that this use case is ambiguous and error-prone, it is forbidden. You can clarify "
                        "your code by moving both the view and the inplace either both inside the no_grad block "
                        "(if you don't want the inplace to be tracked) or both outside (if you want the inplace "
                        "to be tracked)."
                    )
                if base._grad_fn is None:
                    raise RuntimeError(
                        "a view of a leaf Variable that requires grad is being used in an in-place operation."
                    )


def _rebuild(data: ndarray, requires_grad: bool) -> Tensor:
    return new_tensor(data, requires_grad)


def new_tensor(data: Any, requires_grad: bool = False) -> Tensor:
    """The fast constructor used by every op: wraps an ndarray (0-d results of NumPy ufuncs
    arrive as NumPy scalars and are made arrays here)."""
    if type(data) is not ndarray:
        data = np.asarray(data)
    t = _new(Tensor)
    t._data = data
    if requires_grad:
        t._requires_grad = True
    return t


from bibun import ops as _ops  # noqa: E402 - the op table needs Tensor defined first
from bibun.autograd import engine as _engine  # noqa: E402 - the engine needs Tensor defined first
