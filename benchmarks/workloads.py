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
    nn = torch.nn
    model = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(), nn.Linear(512, 10))
    _load(torch, [m for m in model if isinstance(m, nn.Linear)], params)
    return _sgd_step(torch, model, x, y, lr=0.01), 1


def _sgd_step(torch, model, x, y, lr: float):
    """One training step of ``model`` on (x, y): forward, cross-entropy, backward, SGD update."""
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    loss_fn = torch.nn.CrossEntropyLoss()
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)

    def step():
        opt.zero_grad()
        loss = loss_fn(model(xt), yt)
        loss.backward()
        opt.step()

    return step


def _load(torch, linears, params) -> None:
    with torch.no_grad():
        for layer, (w, b) in zip(linears, params):
            layer.weight.copy_(torch.from_numpy(w))
            layer.bias.copy_(torch.from_numpy(b))


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
    nn = torch.nn
    model = nn.Sequential(
        nn.Conv2d(1, 6, kernel_size=5, padding=2), nn.Sigmoid(), nn.AvgPool2d(kernel_size=2, stride=2),
        nn.Conv2d(6, 16, kernel_size=5), nn.Sigmoid(), nn.AvgPool2d(kernel_size=2, stride=2),
        nn.Flatten(),
        nn.Linear(16 * 5 * 5, 120), nn.Sigmoid(), nn.Linear(120, 84), nn.Sigmoid(), nn.Linear(84, 10))
    layers = [m for m in model if isinstance(m, (nn.Conv2d, nn.Linear))]
    _load(torch, layers, params)
    return _sgd_step(torch, model, x, y, lr=0.1), 1


def _lenet_params(rng):
    def layer(shape, fan_in):
        bound = 1 / np.sqrt(fan_in)
        return (rng.uniform(-bound, bound, shape).astype(np.float32),
                rng.uniform(-bound, bound, shape[0]).astype(np.float32))

    return [layer((6, 1, 5, 5), 25), layer((16, 6, 5, 5), 150), layer((120, 400), 400), layer((84, 120), 120),
            layer((10, 84), 84)]


def _row_windows(r, kh, oh):
    """(OH, KH*C*KW, OW*N) view of row columns r (H, C, KW, OW, N): output row oh's GEMM operand.

    Kernel row i of output row oh is input row oh + i; rows of r are C*KW*OW*N apart, which is C*KW times
    the distance between its (c, j) entries, so (i, c, j) is one axis of stride OW*N: every output row
    gets a plain matrix of a batched GEMM, read from an array KH times smaller than im2col's.
    """
    _, c, kw, ow, n = r.shape
    step = ow * n * r.itemsize
    return np.lib.stride_tricks.as_strided(r, (oh, kh * c * kw, ow * n), (c * kw * step, step, r.itemsize))


class _LeNetNumpy:
    """LeNet-5 in plain NumPy, batch-last: images are (H, C, W, N), so every conv/pool slice is a long run.

    Convolution: the row columns r[h, c, j] = x[h, c, j:j+OW] (KH times smaller than im2col) and one GEMM
    per output row, batched; its input gradient is a transposed convolution done the same way on g padded
    with KH-1 zero rows. The weights live in the orders this layout reads them (conv: (O, (kernel row,
    channel, kernel col)); fc1: features in (h, c, w) order; fully connected layers as W @ x on (features, N)):
    SGD does the same arithmetic in any order. Every large array is a buffer allocated once (fresh memory
    costs page faults on every step), and ufuncs write into them with ``out=``.
    """

    def __init__(self, x, y, params):
        (w1, b1), (w2, b2), (w3, b3), (w4, b4), (w5, b5) = params
        self.weights = [w1.transpose(0, 2, 1, 3).reshape(6, 25).copy(), b1[None, :, None].copy(),
                        w2.transpose(0, 2, 1, 3).reshape(16, 150).copy(), b2[None, :, None].copy(),
                        w3.reshape(120, 16, 5, 5).transpose(0, 2, 1, 3).reshape(120, 400).copy(),
                        b3[:, None].copy(), w4.copy(), b4[:, None].copy(), w5.copy(), b5[:, None].copy()]
        self.n = n = x.shape[0]
        self.img = x[:, 0]
        self.y, self.cols = y, np.arange(n)
        f32 = np.float32
        self.xp = np.zeros((32, 1, 32, n), f32)  # padded input; its border stays 0
        self.r1, self.r2 = np.empty((32, 1, 5, 28, n), f32), np.empty((14, 6, 5, 10, n), f32)
        self.a1, self.a2 = np.empty((28, 6, 28, n), f32), np.empty((10, 16, 10, n), f32)
        self.t1, self.t2 = np.empty((14, 6, 28, n), f32), np.empty((5, 16, 10, n), f32)
        self.p1, self.p2 = np.empty((14, 6, 14, n), f32), np.empty((5, 16, 5, n), f32)
        self.d1, self.d2 = np.empty_like(self.a1), np.empty_like(self.a2)  # sigmoid' and then dL/dz
        self.gpad = np.zeros((18, 16, 10 * n), f32)  # dL/dz2 with 4 zero rows on both sides
        self.dr2 = np.empty((14, 30, 10 * n), f32)
        self.gp1 = np.empty((14, 6, 14, n), f32)
        self.lr = f32(0.1)

    @staticmethod
    def _sigmoid_(z):
        np.negative(z, out=z)
        with np.errstate(over="ignore"):  # exp(-z) = inf gives the right 0
            np.exp(z, out=z)
        z += 1
        return np.reciprocal(z, out=z)

    @staticmethod
    def _conv(xp, r, w_rows, b, out):
        """Stride-1 convolution of (H, C, W, N) by 5x5 weights in (O, (i, c, j)) order into out (OH, O, OW, N)."""
        oh, o, ow, n = out.shape
        for j in range(5):
            r[:, :, j] = xp[:, :, j:j + ow]
        np.matmul(w_rows, _row_windows(r, 5, oh), out=out.reshape(oh, o, ow * n))
        out += b[..., None]
        return out

    @staticmethod
    def _pool(a, t, p):
        """2x2 average pooling of (H, C, W, N): rows, then columns, each a sum of two strided slices."""
        np.add(a[0::2], a[1::2], out=t)
        np.add(t[:, :, 0::2], t[:, :, 1::2], out=p)
        p *= np.float32(0.25)
        return p

    @staticmethod
    def _back_pool_sigmoid(gp, a, d):
        """dL/dz into d, for a = sigmoid(z) pooled 2x2 with gradient gp: unpool(gp) / 4 * a * (1 - a)."""
        np.subtract(1, a, out=d)
        d *= a
        d *= np.float32(0.25)
        h, c, w, n = d.shape
        d6 = d.reshape(h // 2, 2, c, w // 2, 2, n)
        for i in range(2):
            for j in range(2):
                d6[:, i, :, :, j] *= gp
        return d

    def step(self):
        w1, b1, w2, b2, w3, b3, w4, b4, w5, b5 = self.weights
        n = self.n
        self.xp[2:30, 0, 2:30] = self.img.transpose(1, 2, 0)
        a1 = self._sigmoid_(self._conv(self.xp, self.r1, w1, b1, self.a1))  # (28, 6, 28, N)
        p1 = self._pool(a1, self.t1, self.p1)  # (14, 6, 14, N)
        a2 = self._sigmoid_(self._conv(p1, self.r2, w2, b2, self.a2))  # (10, 16, 10, N)
        f = self._pool(a2, self.t2, self.p2).reshape(400, n)
        z3 = w3 @ f
        z3 += b3
        a3 = self._sigmoid_(z3)
        z4 = w4 @ a3
        z4 += b4
        a4 = self._sigmoid_(z4)
        z5 = w5 @ a4
        z5 += b5
        # softmax cross-entropy over the classes (axis 0) and its gradient (softmax - onehot) / n
        z5 -= z5.max(axis=0)
        g5 = np.exp(z5, out=z5)
        g5 /= g5.sum(axis=0)
        g5[self.y, self.cols] -= 1
        g5 *= np.float32(1 / n)
        g4 = w5.T @ g5
        g4 *= a4 * (1 - a4)
        g3 = w4.T @ g4
        g3 *= a3 * (1 - a3)
        gf = w3.T @ g3
        grads = [None] * 10
        grads[8], grads[9] = g5 @ a4.T, g5.sum(1, keepdims=True)
        grads[6], grads[7] = g4 @ a3.T, g4.sum(1, keepdims=True)
        grads[4], grads[5] = g3 @ f.T, g3.sum(1, keepdims=True)
        # conv2: weight and bias gradients, then the input gradient as a transposed convolution
        gz2 = self._back_pool_sigmoid(gf.reshape(5, 16, 5, n), a2, self.d2).reshape(10, 16, 10 * n)
        grads[2] = np.matmul(gz2, _row_windows(self.r2, 5, 10).transpose(0, 2, 1)).sum(0)
        grads[3] = gz2.sum((0, 2))[None, :, None]
        self.gpad[4:14] = gz2
        step = 10 * n * 4
        g_win = np.lib.stride_tricks.as_strided(self.gpad, (14, 80, 10 * n), (16 * step, step, 4))
        w_flip = w2.reshape(16, 5, 6, 5)[:, ::-1].transpose(2, 3, 1, 0).reshape(30, 80)
        dr = np.matmul(w_flip, g_win, out=self.dr2).reshape(14, 6, 5, 10, n)
        gp1 = self.gp1
        gp1[:, :, :10] = dr[:, :, 0]
        gp1[:, :, 10:] = 0
        for j in range(1, 5):
            gp1[:, :, j:j + 10] += dr[:, :, j]
        # conv1: weight and bias gradients only (the input needs none)
        gz1 = self._back_pool_sigmoid(gp1, a1, self.d1).reshape(28, 6, 28 * n)
        grads[0] = np.matmul(gz1, _row_windows(self.r1, 5, 28).transpose(0, 2, 1)).sum(0)
        grads[1] = gz1.sum((0, 2))[None, :, None]
        for p, g in zip(self.weights, grads):
            g *= self.lr
            p -= g
        return self.weights


def _lenet_numpy(x, y, params):
    return _LeNetNumpy(x, y, params).step


# -- random numbers: torch's CPU streams ----------------------------------------------------------------
RANDOM_N = 10**6


def _numpy_mt():
    return np.random.Generator(np.random.MT19937(0))


def _random_draw(make_step):
    """A random-number workload: ``make_step(lib_module)`` for chaingrad and torch (seeded alike); the NumPy
    column is NumPy's own MT19937 generator making the same kind of draw (a reference, not the same numbers)."""
    def build(lib: str):
        if lib == "numpy":
            return make_step(None), 1
        torch = _import(lib)
        torch.manual_seed(0)
        return make_step(torch), 1

    return build


def _randn(torch):
    if torch is None:
        rng = _numpy_mt()
        return lambda: rng.standard_normal(RANDOM_N, dtype=np.float32)
    return lambda: torch.randn(RANDOM_N)


def _rand(torch):
    if torch is None:
        rng = _numpy_mt()
        return lambda: rng.random(RANDOM_N, dtype=np.float32)
    return lambda: torch.rand(RANDOM_N)


def _randint(torch):
    if torch is None:
        rng = _numpy_mt()
        return lambda: rng.integers(0, 10, RANDOM_N)
    return lambda: torch.randint(0, 10, (RANDOM_N,))


def _randperm(torch):
    if torch is None:
        rng = _numpy_mt()
        return lambda: rng.permutation(RANDOM_N)
    return lambda: torch.randperm(RANDOM_N)


def _bernoulli(torch):
    if torch is None:
        rng = _numpy_mt()
        p = np.full(RANDOM_N, 0.5, np.float32)
        return lambda: (rng.random(RANDOM_N, dtype=np.float32) < p).astype(np.float32)
    p = torch.full((RANDOM_N,), 0.5)
    return lambda: torch.bernoulli(p)


def _dropout(torch):
    if torch is None:
        rng = _numpy_mt()
        x = np.ones(RANDOM_N, np.float32)
        return lambda: x * ((rng.random(RANDOM_N) >= 0.5) * np.float32(2))
    x = torch.ones(RANDOM_N)
    return lambda: torch.nn.functional.dropout(x, 0.5, training=True)


SMALL_CALLS = 6


def _small_calls(torch):
    """Six calls on tensors of at most 16 elements (the time is per call)."""
    if torch is None:
        rng = _numpy_mt()
        b, p = np.empty(10, np.float32), np.full(16, 0.5, np.float32)

        def step_np():
            rng.random(16, dtype=np.float32)
            rng.standard_normal(15, dtype=np.float32)
            rng.integers(0, 10, 16)
            rng.permutation(16)
            b[...] = rng.uniform(-0.1, 0.1, 10)
            return rng.random(16, dtype=np.float32) < p

        return step_np
    b, p = torch.empty(10), torch.full((16,), 0.5)

    def step():
        torch.rand(16)
        torch.randn(15)
        torch.randint(0, 10, (16,))
        torch.randperm(16)
        b.uniform_(-0.1, 0.1)
        return torch.bernoulli(p)

    return step


def _small_randn(torch):
    if torch is None:
        rng = _numpy_mt()
        return lambda: rng.standard_normal(16, dtype=np.float32)
    return lambda: torch.randn(16)


def _small(build):
    def per_call(lib: str):
        step, _ = build(lib)
        return step, SMALL_CALLS
    return per_call


WORKLOADS = {
    "randn": _random_draw(_randn),
    "rand": _random_draw(_rand),
    "randint": _random_draw(_randint),
    "randperm": _random_draw(_randperm),
    "bernoulli": _random_draw(_bernoulli),
    "dropout": _random_draw(_dropout),
    "random_small": _small(_random_draw(_small_calls)),
    "randn_16": _random_draw(_small_randn),
    "seed": seed_autograd,
    "seed_hand": seed_hand,
    "small": small_graph,
    "mlp": mlp,
    "lenet": lenet,
    "chain": scalar_chain,
}

from .compiled import WORKLOADS as _COMPILED  # noqa: E402 - the compiled rows use the workloads above

WORKLOADS.update(_COMPILED)
