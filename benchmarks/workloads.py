"""The benchmark workloads, each written three times: for chaingrad, for PyTorch, and as hand-written NumPy.

``build(workload, lib)`` returns ``(step, unit)``: calling ``step()`` does the work once, and the time of
one call is divided by ``unit`` (the seed's 100 epochs are reported per epoch). The chaingrad and PyTorch
versions are the same program (``lib`` is the module: ``import chaingrad as torch`` style); the NumPy
version is the best plain NumPy code we could write for the same arithmetic: the floor for a NumPy engine.
"""

from __future__ import annotations

import io
from contextlib import redirect_stdout

import numpy as np

X = [[1.0], [2.0], [3.0]]
Y = [[2.0], [4.0], [6.0]]
SEED_EPOCHS = 100
CHAIN_OPS = 20_000


def _import(lib: str):
    if lib == "chaingrad":
        import chaingrad

        return chaingrad
    if lib == "torch":
        import torch

        return torch
    raise ValueError(lib)


# -- the seed's linear regression ------------------------------------------------------------------------
def seed_autograd(lib: str):
    """The seed program with ``loss.backward()`` in place of the hand-derived gradients."""
    if lib == "numpy":
        return seed_hand("numpy")  # NumPy has no autograd: its floor is the hand-derived version
    torch = _import(lib)

    def run():
        x, y_true = torch.tensor(X), torch.tensor(Y)
        w = torch.tensor([[0.5]], requires_grad=True)
        b = torch.tensor([0.0], requires_grad=True)
        lr = 0.01
        for epoch in range(SEED_EPOCHS):
            y_pred = torch.matmul(x, w) + b
            loss = 0.5 * torch.sum((y_pred - y_true) ** 2)
            loss.backward()
            with torch.no_grad():
                w -= lr * w.grad
                b -= lr * b.grad
            w.grad.zero_()
            b.grad.zero_()
            if (epoch + 1) % 10 == 0:
                print(f"Epoch [{epoch + 1}/{SEED_EPOCHS}], Loss: {loss.item():.4f}")
        return w.item(), b.item()

    return _quiet(run), SEED_EPOCHS


def seed_hand(lib: str):
    """The seed program as written: hand-derived gradients, no graph."""
    if lib == "numpy":
        def run_np():
            x = np.array(X, dtype=np.float32)
            y_true = np.array(Y, dtype=np.float32)
            w = np.array([[0.5]], dtype=np.float32)
            b = np.array([0.0], dtype=np.float32)
            xt = x.T
            lr = np.float32(0.01)
            for epoch in range(SEED_EPOCHS):
                y_pred = x @ w + b
                d = y_pred - y_true
                loss = 0.5 * np.add.reduce(d * d, None)
                w -= lr * (xt @ d)
                b -= lr * np.add.reduce(d, None)
                if (epoch + 1) % 10 == 0:
                    print(f"Epoch [{epoch + 1}/{SEED_EPOCHS}], Loss: {float(loss):.4f}")
            return float(w[0, 0]), float(b[0])

        return _quiet(run_np), SEED_EPOCHS
    torch = _import(lib)

    def run():
        x, y_true = torch.tensor(X), torch.tensor(Y)
        w = torch.tensor([[0.5]], requires_grad=False)
        b = torch.tensor([0.0], requires_grad=False)
        lr = 0.01
        for epoch in range(SEED_EPOCHS):
            y_pred = torch.matmul(x, w) + b
            loss = 0.5 * torch.sum((y_pred - y_true) ** 2)
            dL_dy_pred = y_pred - y_true
            dL_dw = torch.matmul(x.T, dL_dy_pred)
            dL_db = torch.sum(dL_dy_pred)
            w -= lr * dL_dw
            b -= lr * dL_db
            if (epoch + 1) % 10 == 0:
                print(f"Epoch [{epoch + 1}/{SEED_EPOCHS}], Loss: {loss.item():.4f}")
        return w.item(), b.item()

    return _quiet(run), SEED_EPOCHS


def _quiet(fn):
    sink = io.StringIO()

    def step():
        sink.seek(0)
        sink.truncate()
        with redirect_stdout(sink):
            return fn()

    return step


# -- a small graph ---------------------------------------------------------------------------------------
def small_graph(lib: str):
    """((a*c + a).tanh() ** 2 - c).exp().sum(), forward and backward, on (3, 1) tensors."""
    a0 = [[0.1], [0.2], [0.3]]
    c0 = [[0.5], [-0.4], [0.3]]
    if lib == "numpy":
        a = np.array(a0, dtype=np.float32)
        c = np.array(c0, dtype=np.float32)

        def step_np():
            p = a * c + a
            t = np.tanh(p)
            e = np.exp(t * t - c)
            np.add.reduce(e, None)
            gp = e * 2 * t * (1 - t * t)  # d/dp of exp(tanh(p)^2 - c)
            return gp * (c + 1), gp * a - e  # grads of a and c

        return step_np, 1
    torch = _import(lib)
    a = torch.tensor(a0, requires_grad=True)
    c = torch.tensor(c0, requires_grad=True)

    def step():
        a.grad = None
        c.grad = None
        ((a * c + a).tanh() ** 2 - c).exp().sum().backward()

    return step, 1


# -- a long chain of scalar ops --------------------------------------------------------------------------
def scalar_chain(lib: str):
    """20,000 scalar ops (y = y * 1.0001 + 0.0001, 10,000 times), forward and backward."""
    n = CHAIN_OPS // 2
    if lib == "numpy":
        def step_np():
            y = np.float32(1.0)
            k, c = np.float32(1.0001), np.float32(0.0001)
            for _ in range(n):
                y = y * k + c
            g = np.float32(1.0)
            for _ in range(n):  # backward: d(y*k + c)/dy = k
                g = g * k
            return y, g

        return step_np, 1
    torch = _import(lib)
    x = torch.tensor(1.0, requires_grad=True)

    def step():
        x.grad = None
        y = x
        for _ in range(n):
            y = y * 1.0001 + 0.0001
        y.backward()

    return step, 1


# -- MLP 784-512-512-10 ----------------------------------------------------------------------------------
MLP_BATCH = 256


def _mlp_data(seed: int = 0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((MLP_BATCH, 784)).astype(np.float32)
    y = rng.integers(0, 10, MLP_BATCH)
    return x, y


def _init_linear(rng, fan_in: int, fan_out: int):
    bound = 1 / np.sqrt(fan_in)
    w = rng.uniform(-bound, bound, (fan_out, fan_in)).astype(np.float32)  # torch's (out, in) layout
    b = rng.uniform(-bound, bound, fan_out).astype(np.float32)
    return w, b


def mlp_params(seed: int = 0):
    rng = np.random.default_rng(seed)
    return [_init_linear(rng, i, o) for i, o in ((784, 512), (512, 512), (512, 10))]


def mlp(lib: str):
    """One SGD step of a 784-512-512-10 ReLU MLP on a batch of 256 (float32, cross-entropy)."""
    x, y = _mlp_data()
    params = mlp_params()
    if lib == "numpy":
        return _mlp_numpy(x, y, params), 1
    torch = _import(lib)
    nn = _nn(torch)
    if nn is None:  # chaingrad.nn not written yet: the same model from tensor ops
        return _mlp_ops(torch, x, y, params), 1
    model = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(), nn.Linear(512, 10))
    _load(torch, [m for m in model if isinstance(m, nn.Linear)], params)
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    loss_fn = nn.CrossEntropyLoss()
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)

    def step():
        opt.zero_grad()
        loss = loss_fn(model(xt), yt)
        loss.backward()
        opt.step()

    return step, 1


def _nn(torch):
    try:
        import importlib

        nn = importlib.import_module(torch.__name__ + ".nn")
        importlib.import_module(torch.__name__ + ".optim").SGD  # noqa: B018 - fails until optim exists
        nn.Linear, nn.ReLU, nn.Sequential, nn.CrossEntropyLoss  # noqa: B018
        return nn
    except (ImportError, AttributeError):
        return None


def _load(torch, linears, params) -> None:
    with torch.no_grad():
        for layer, (w, b) in zip(linears, params):
            layer.weight.copy_(torch.from_numpy(w))
            layer.bias.copy_(torch.from_numpy(b))


def _mlp_ops(torch, x, y, params):
    ws = [torch.tensor(w.T.copy(), requires_grad=True) for w, _ in params]
    bs = [torch.tensor(b, requires_grad=True) for _, b in params]
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    lr = 0.01

    def step():
        h = xt
        for i, (w, b) in enumerate(zip(ws, bs)):
            h = h @ w + b
            if i < 2:
                h = h.relu()
        loss = torch.nn.functional.cross_entropy(h, yt)
        loss.backward()
        with torch.no_grad():
            for p in ws + bs:
                p -= lr * p.grad
                p.grad = None

    return step


def _mlp_numpy(x, y, params):
    ws = [w.T.copy() for w, _ in params]  # (in, out): h @ w
    bs = [b.copy() for _, b in params]
    lr = np.float32(0.01)
    n = x.shape[0]
    rows = np.arange(n)

    def step():
        h0 = x
        z1 = h0 @ ws[0]
        z1 += bs[0]
        h1 = np.maximum(z1, 0, out=z1)
        z2 = h1 @ ws[1]
        z2 += bs[1]
        h2 = np.maximum(z2, 0, out=z2)
        z3 = h2 @ ws[2]
        z3 += bs[2]
        # softmax cross-entropy, stable, and its gradient (softmax - onehot) / n
        z3 -= z3.max(axis=1, keepdims=True)
        e = np.exp(z3)
        s = e.sum(axis=1, keepdims=True)
        loss = np.log(s[:, 0]).sum() - z3[rows, y].sum()
        g3 = e / s
        g3[rows, y] -= 1
        g3 *= np.float32(1 / n)
        gw3 = h2.T @ g3
        gb3 = g3.sum(0)
        g2 = g3 @ ws[2].T
        g2 *= h2 > 0
        gw2 = h1.T @ g2
        gb2 = g2.sum(0)
        g1 = g2 @ ws[1].T
        g1 *= h1 > 0
        gw1 = h0.T @ g1
        gb1 = g1.sum(0)
        for p, g in zip(ws + bs, (gw1, gw2, gw3, gb1, gb2, gb3)):
            g *= lr
            p -= g
        return loss / n

    return step


# -- LeNet-5 ---------------------------------------------------------------------------------------------
LENET_BATCH = 128


def lenet(lib: str):
    """One SGD step of LeNet-5 (sigmoid, average pooling) on a batch of 128 28x28 images."""
    rng = np.random.default_rng(1)
    x = rng.standard_normal((LENET_BATCH, 1, 28, 28)).astype(np.float32)
    y = rng.integers(0, 10, LENET_BATCH)
    params = _lenet_params(rng)
    if lib == "numpy":
        return _lenet_numpy(x, y, params), 1
    torch = _import(lib)
    nn = _nn(torch)
    if nn is None or not all(hasattr(nn, n) for n in ("Conv2d", "AvgPool2d", "Sigmoid", "Flatten")):
        return None, 1
    model = nn.Sequential(
        nn.Conv2d(1, 6, kernel_size=5, padding=2), nn.Sigmoid(), nn.AvgPool2d(kernel_size=2, stride=2),
        nn.Conv2d(6, 16, kernel_size=5), nn.Sigmoid(), nn.AvgPool2d(kernel_size=2, stride=2),
        nn.Flatten(),
        nn.Linear(16 * 5 * 5, 120), nn.Sigmoid(), nn.Linear(120, 84), nn.Sigmoid(), nn.Linear(84, 10))
    layers = [m for m in model if isinstance(m, (nn.Conv2d, nn.Linear))]
    _load(torch, layers, params)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    loss_fn = nn.CrossEntropyLoss()
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)

    def step():
        opt.zero_grad()
        loss = loss_fn(model(xt), yt)
        loss.backward()
        opt.step()

    return step, 1


def _lenet_params(rng):
    def layer(shape, fan_in):
        bound = 1 / np.sqrt(fan_in)
        return (rng.uniform(-bound, bound, shape).astype(np.float32),
                rng.uniform(-bound, bound, shape[0]).astype(np.float32))

    return [layer((6, 1, 5, 5), 25), layer((16, 6, 5, 5), 150), layer((120, 400), 400), layer((84, 120), 120),
            layer((10, 84), 84)]


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


def _conv_forward(x, w, b, pad):
    """Convolution as one GEMM: im2col by a strided view, then tensordot over (C, kh, kw)."""
    if pad:
        x = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    k = w.shape[-1]
    cols = np.lib.stride_tricks.sliding_window_view(x, (k, k), axis=(2, 3))  # N, C, H', W', k, k
    out = np.tensordot(cols, w, axes=((1, 4, 5), (1, 2, 3)))  # N, H', W', O
    out += b
    return out.transpose(0, 3, 1, 2), x, cols


def _conv_backward(g, xp, cols, w, pad, need_x=True):
    """Gradients of the input, the weight and the bias of a convolution (g: N, O, H', W')."""
    k = w.shape[-1]
    gw = np.tensordot(g, cols, axes=((0, 2, 3), (0, 2, 3)))  # O, C, k, k
    gb = g.sum((0, 2, 3))
    if not need_x:
        return None, gw, gb
    gx = np.zeros_like(xp)
    ho, wo = g.shape[2], g.shape[3]
    gcol = np.tensordot(g, w, axes=((1,), (0,)))  # N, H', W', C, k, k
    for i in range(k):
        for j in range(k):
            gx[:, :, i:i + ho, j:j + wo] += gcol[:, :, :, :, i, j].transpose(0, 3, 1, 2)
    if pad:
        gx = gx[:, :, pad:-pad, pad:-pad]
    return gx, gw, gb


def _pool(x):
    n, c, h, w = x.shape
    return x.reshape(n, c, h // 2, 2, w // 2, 2).mean((3, 5))


def _unpool(g):
    return np.repeat(np.repeat(g, 2, axis=2), 2, axis=3) * np.float32(0.25)


def _lenet_numpy(x, y, params):
    params = [(w.copy(), b.copy()) for w, b in params]
    lr = np.float32(0.1)
    n = x.shape[0]
    rows = np.arange(n)

    def step():
        (w1, b1), (w2, b2), (w3, b3), (w4, b4), (w5, b5) = params
        z1, xp1, cols1 = _conv_forward(x, w1, b1, 2)
        a1 = _sigmoid(z1)
        p1 = _pool(a1)
        z2, xp2, cols2 = _conv_forward(p1, w2, b2, 0)
        a2 = _sigmoid(z2)
        p2 = _pool(a2)
        f = p2.reshape(n, -1)
        a3 = _sigmoid(f @ w3.T + b3)
        a4 = _sigmoid(a3 @ w4.T + b4)
        z5 = a4 @ w5.T + b5
        z5 -= z5.max(axis=1, keepdims=True)
        e = np.exp(z5)
        s = e.sum(axis=1, keepdims=True)
        g5 = e / s
        g5[rows, y] -= 1
        g5 *= np.float32(1 / n)
        grads = [None] * 5
        grads[4] = (g5.T @ a4, g5.sum(0))
        g4 = (g5 @ w5) * a4 * (1 - a4)
        grads[3] = (g4.T @ a3, g4.sum(0))
        g3 = (g4 @ w4) * a3 * (1 - a3)
        grads[2] = (g3.T @ f, g3.sum(0))
        gp2 = (g3 @ w3).reshape(p2.shape)
        gz2 = _unpool(gp2) * a2 * (1 - a2)
        gp1, gw2, gb2 = _conv_backward(gz2, xp2, cols2, w2, 0)
        grads[1] = (gw2, gb2)
        gz1 = _unpool(gp1) * a1 * (1 - a1)
        _, gw1, gb1 = _conv_backward(gz1, xp1, cols1, w1, 2, need_x=False)
        grads[0] = (gw1, gb1)
        for (w, b), (gw, gb) in zip(params, grads):
            w -= lr * gw
            b -= lr * gb

    return step


WORKLOADS = {
    "seed": seed_autograd,
    "seed_hand": seed_hand,
    "small": small_graph,
    "mlp": mlp,
    "lenet": lenet,
    "chain": scalar_chain,
}
