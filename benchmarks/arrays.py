"""W3, W4 and W7: array workloads, where NumPy's kernels should set the limit.

W3 trains a 784-256-256-10 tanh MLP one SGD step at a time, with cross-entropy built from
primitives (max, exp, log, sum), so it runs on any op set that has those. W4 differentiates
an elementwise expression over 4M float32 values. W7 measures the peak memory of W3's
batch-1024 forward with grad recording against the same forward under no_grad."""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from benchmarks._timing import Lib, MemoryRow, Row, peak_bytes

LAYERS = (784, 256, 256, 10)
LR = 0.01
W4_SIZE = 4_000_000


def _mlp_arrays(batch: int) -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    params = []
    for fan_in, fan_out in zip(LAYERS[:-1], LAYERS[1:]):
        params.append((rng.standard_normal((fan_in, fan_out)) / np.sqrt(fan_in)).astype(np.float32))
        params.append(np.zeros(fan_out, np.float32))
    x = rng.standard_normal((batch, LAYERS[0])).astype(np.float32)
    onehot = np.eye(LAYERS[-1], dtype=np.float32)[rng.integers(0, LAYERS[-1], batch)]
    return params, x, onehot


def _as_numpy(t: Any) -> np.ndarray:
    return np.asarray(t.detach().numpy() if hasattr(t, "detach") else t, dtype=np.float64)


def _mlp_check_values(loss: Any, grads: list) -> np.ndarray:
    """The loss, the first layer's gradient (a sample) and the last layer's gradient."""
    return np.concatenate([[float(loss)], _as_numpy(grads[0]).ravel()[:2000], _as_numpy(grads[4]).ravel()])


# --- bibun and PyTorch: the same code ---------------------------------------------------------
def _mlp_loss_torchlike(torch: Any, x: Any, onehot: Any, batch: int) -> Callable[[list], Any]:
    def loss_fn(params: list) -> Any:
        w1, b1, w2, b2, w3, b3 = params
        h = torch.tanh(x @ w1 + b1)
        h = torch.tanh(h @ w2 + b2)
        z = h @ w3 + b3
        s = z - z.amax(dim=1, keepdim=True).detach()
        logp = s - torch.log(torch.exp(s).sum(dim=1, keepdim=True))
        return -(logp * onehot).sum() / batch

    return loss_fn


def has_inplace_sub(lib: Lib) -> bool:
    """Whether ``w -= lr * g`` updates the tensor in place (else Python rebinds ``w``)."""
    return hasattr(lib.module.Tensor, "__isub__")


def _mlp_torchlike(lib: Lib, batch: int) -> tuple[Callable, Callable]:
    torch = lib.module
    arrays, x, onehot = _mlp_arrays(batch)
    loss_fn = _mlp_loss_torchlike(torch, torch.tensor(x), torch.tensor(onehot), batch)
    params = [torch.tensor(a, requires_grad=True) for a in arrays]
    inplace = has_inplace_sub(lib)

    def step() -> Any:
        loss = loss_fn(params)
        loss.backward()
        with torch.no_grad():
            if inplace:
                for p in params:
                    p -= LR * p.grad
                    p.grad = None
            else:  # no in-place ops yet: rebind to fresh leaves
                params[:] = [(p - LR * p.grad).detach().requires_grad_() for p in params]
        return loss

    def check() -> np.ndarray:
        fresh = [torch.tensor(a, requires_grad=True) for a in arrays]
        loss = loss_fn(fresh)
        loss.backward()
        return _mlp_check_values(loss.detach(), [p.grad for p in fresh])

    return step, check


def _mlp_hips(lib: Lib, batch: int) -> tuple[Callable, Callable]:
    anp = lib.np
    arrays, x, onehot = _mlp_arrays(batch)

    def loss_fn(params: list) -> Any:
        w1, b1, w2, b2, w3, b3 = params
        h = anp.tanh(anp.dot(x, w1) + b1)
        h = anp.tanh(anp.dot(h, w2) + b2)
        z = anp.dot(h, w3) + b3
        s = z - anp.max(z, axis=1, keepdims=True)
        logp = s - anp.log(anp.sum(anp.exp(s), axis=1, keepdims=True))
        return -anp.sum(logp * onehot) / batch

    value_and_grad = lib.module.value_and_grad(loss_fn)
    state = [list(arrays)]

    def step() -> Any:
        loss, grads = value_and_grad(state[0])
        state[0] = [p - LR * g for p, g in zip(state[0], grads)]
        return loss

    def check() -> np.ndarray:
        return _mlp_check_values(*value_and_grad(list(arrays)))

    return step, check


def _mlp_loss_mygrad(mg: Any, x: np.ndarray, onehot: np.ndarray, batch: int) -> Callable[[list], Any]:
    def loss_fn(params: list) -> Any:
        w1, b1, w2, b2, w3, b3 = params
        h = mg.tanh(mg.matmul(x, w1) + b1)
        h = mg.tanh(mg.matmul(h, w2) + b2)
        z = mg.matmul(h, w3) + b3
        s = z - z.data.max(axis=1, keepdims=True)  # a constant, as the others' detached max
        logp = s - mg.log(mg.exp(s).sum(axis=1, keepdims=True))
        return -(logp * onehot).sum() / batch

    return loss_fn


def _mlp_mygrad(lib: Lib, batch: int) -> tuple[Callable, Callable]:
    mg = lib.module
    arrays, x, onehot = _mlp_arrays(batch)
    loss_fn = _mlp_loss_mygrad(mg, x, onehot, batch)
    params = [mg.tensor(a) for a in arrays]

    def step() -> Any:
        loss = loss_fn(params)
        loss.backward()
        for p in params:
            p.data -= LR * p.grad
        return loss

    def check() -> np.ndarray:
        fresh = [mg.tensor(a) for a in arrays]
        loss = loss_fn(fresh)
        loss.backward()
        return _mlp_check_values(loss.item(), [p.grad for p in fresh])

    return step, check


def _mlp_numpy(lib: Lib, batch: int) -> tuple[Callable, Callable]:
    """The kernel floor: the same step in plain NumPy with hand-derived gradients and the
    update in place, no autograd at all."""
    arrays, x, onehot = _mlp_arrays(batch)
    params = [a.copy() for a in arrays]

    def loss_and_grads(params: list) -> tuple[Any, list]:
        w1, b1, w2, b2, w3, b3 = params
        h1 = np.tanh(x @ w1 + b1)
        h2 = np.tanh(h1 @ w2 + b2)
        z = h2 @ w3 + b3
        s = z - z.max(axis=1, keepdims=True)
        e = np.exp(s)
        total = e.sum(axis=1, keepdims=True)
        loss = -((s - np.log(total)) * onehot).sum() / batch
        dz = (e / total - onehot) / batch  # d loss / d z, as onehot rows sum to 1
        dh2 = (dz @ w3.T) * (1 - h2 * h2)
        dh1 = (dh2 @ w2.T) * (1 - h1 * h1)
        grads = [x.T @ dh1, dh1.sum(axis=0), h1.T @ dh2, dh2.sum(axis=0), h2.T @ dz, dz.sum(axis=0)]
        return loss, grads

    def step() -> Any:
        loss, grads = loss_and_grads(params)
        for p, g in zip(params, grads):
            p -= LR * g
        return loss

    return step, lambda: _mlp_check_values(*loss_and_grads([a.copy() for a in arrays]))


_MLP = {
    "bibun": _mlp_torchlike,
    "torch": _mlp_torchlike,
    "autograd": _mlp_hips,
    "mygrad": _mlp_mygrad,
    "numpy": _mlp_numpy,
}


def w3(libs: dict[str, Lib], quick: bool) -> list[Row]:
    rows = []
    update = "in place (w -= lr * w.grad)" if "bibun" in libs and has_inplace_sub(libs["bibun"]) else None
    if update is None:
        update = "bibun rebinds w = (w - lr*g).detach().requires_grad_() (no in-place ops yet); torch in place"
    for batch in (128, 1024):
        steps, checks = {}, {}
        for name, lib in libs.items():
            steps[name], checks[name] = _MLP[name](lib, batch)
        rows.append(
            Row(
                key=f"W3/{batch}",
                title=f"MLP 784-256-256-10 tanh, CE, fwd+bwd+SGD, batch {batch}",
                unit="ms/step",
                scale=1e3,
                steps=steps,
                checks=checks,
                target=1.05,
                note="SGD update: " + update,
            )
        )
    return rows


# --- W4: (sin(x) * exp(-x*x) + tanh(x)).sum() on 4M float32 ------------------------------------
def _w4_torchlike(lib: Lib, x: np.ndarray) -> tuple[Callable, Callable, Callable]:
    torch = lib.module
    xt = torch.tensor(x, requires_grad=True)

    def forward() -> Any:
        return (torch.sin(xt) * torch.exp(-xt * xt) + torch.tanh(xt)).sum()

    def step() -> Any:
        xt.grad = None
        forward().backward()

    def check() -> np.ndarray:
        value = forward()
        xt.grad = None
        value.backward()
        return np.concatenate([[value.item()], _as_numpy(xt.grad)[::97]])

    return step, forward, check


def _w4_hips(lib: Lib, x: np.ndarray) -> tuple[Callable, Callable, Callable]:
    anp = lib.np

    def f(v: Any) -> Any:
        return anp.sum(anp.sin(v) * anp.exp(-v * v) + anp.tanh(v))

    df = lib.module.grad(f)

    def check() -> np.ndarray:
        return np.concatenate([[float(f(x))], np.asarray(df(x), np.float64)[::97]])

    # HIPS autograd records only inside grad(): its forward is plain NumPy.
    return (lambda: df(x)), (lambda: f(x)), check


def _w4_mygrad(lib: Lib, x: np.ndarray) -> tuple[Callable, Callable, Callable]:
    mg = lib.module
    xt = mg.tensor(x)

    def forward() -> Any:
        return (mg.sin(xt) * mg.exp(-xt * xt) + mg.tanh(xt)).sum()

    def check() -> np.ndarray:
        value = forward()
        value.backward()  # MyGrad clears a tensor's grad when it enters a new graph: read it first
        return np.concatenate([[value.item()], np.asarray(xt.grad, np.float64)[::97]])

    return (lambda: forward().backward()), forward, check


def _w4_numpy(lib: Lib, x: np.ndarray) -> tuple[Callable, Callable, Callable]:
    """The kernel floor: the value and the hand-derived gradient in plain NumPy."""

    def forward() -> Any:
        return (np.sin(x) * np.exp(-x * x) + np.tanh(x)).sum()

    def value_and_grad() -> tuple[Any, np.ndarray]:
        e = np.exp(-x * x)
        s = np.sin(x)
        t = np.tanh(x)
        value = (s * e + t).sum()
        return value, np.cos(x) * e - 2 * x * s * e + (1 - t * t)

    def check() -> np.ndarray:
        value, grad = value_and_grad()
        return np.concatenate([[float(value)], np.asarray(grad, np.float64)[::97]])

    return value_and_grad, forward, check


_W4 = {
    "bibun": _w4_torchlike,
    "torch": _w4_torchlike,
    "autograd": _w4_hips,
    "mygrad": _w4_mygrad,
    "numpy": _w4_numpy,
}


def w4(libs: dict[str, Lib], quick: bool) -> list[Row]:
    x = np.random.default_rng(1).standard_normal(W4_SIZE).astype(np.float32)
    full, fwd, checks = {}, {}, {}
    for name, lib in libs.items():
        full[name], fwd[name], checks[name] = _W4[name](lib, x)
    title = "(sin(x)*exp(-x*x)+tanh(x)).sum(), 4M float32"
    return [
        Row("W4", title + ", fwd+bwd", "ms", 1e3, full, checks, target=1.0),
        Row(
            "W4 fwd",
            title + ", forward only",
            "ms",
            1e3,
            fwd,
            note="forward with grad recording (HIPS autograd and numpy: plain NumPy, nothing recorded)",
        ),
    ]


# --- W7: peak memory of W3's batch-1024 forward, recorded vs no_grad ---------------------------
def _w7_torchlike(lib: Lib) -> Callable[[], tuple]:
    torch = lib.module
    arrays, x, onehot = _mlp_arrays(1024)
    loss_fn = _mlp_loss_torchlike(torch, torch.tensor(x), torch.tensor(onehot), 1024)
    params = [torch.tensor(a, requires_grad=True) for a in arrays]

    def measure() -> tuple:
        recorded = peak_bytes(lambda: loss_fn(params))
        with torch.no_grad():
            no_grad = peak_bytes(lambda: loss_fn(params))
        return recorded, no_grad

    return measure


def _w7_mygrad(lib: Lib) -> Callable[[], tuple]:
    mg = lib.module
    arrays, x, onehot = _mlp_arrays(1024)
    loss_fn = _mlp_loss_mygrad(mg, x, onehot, 1024)
    params = [mg.tensor(a) for a in arrays]

    def measure() -> tuple:
        recorded = peak_bytes(lambda: loss_fn(params))
        with mg.no_autodiff:
            no_grad = peak_bytes(lambda: loss_fn(params))
        return recorded, no_grad

    return measure


def w7(libs: dict[str, Lib], quick: bool) -> list[MemoryRow]:
    measures: dict[str, Any] = {}
    for name, lib in libs.items():
        if name == "bibun":
            measures[name] = _w7_torchlike(lib)
        elif name == "mygrad":
            measures[name] = _w7_mygrad(lib)
        elif name == "torch":
            measures[name] = "not measured: tracemalloc does not see PyTorch's allocator"
        elif name == "autograd":
            measures[name] = "not measured: HIPS autograd records only inside grad()"
        else:
            measures[name] = "not applicable: records nothing"
    return [
        MemoryRow(
            "W7",
            "peak memory of W3 batch-1024 forward: recorded (MB) vs no_grad",
            measures,
            target=1.3,
            note="ratio = recorded / no_grad peak bytes above the parameters and data (tracemalloc)",
        )
    ]
