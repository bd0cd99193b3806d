# tolerance: rtol=1e-4 atol=1e-6 -- float32 matrix products and square roots over minibatches: NumPy's and
# PyTorch's kernels round differently in the last bit, and the optimizer steps carry the difference.
"""Dive into Deep Learning, optimization algorithms: 12.3 gradient descent on a 2-D quadratic (the trace of
x1, x2), 12.4/12.5 minibatch SGD written by hand, 12.6 momentum, 12.7 Adagrad, 12.8 RMSProp, 12.9 Adadelta
and 12.10 Adam written by hand with their states (in place under torch.no_grad(), p[:] -= ...), each
compared with torch.optim's own on the same data, and 12.11 learning-rate scheduling: a factor scheduler by
hand, lr_scheduler.MultiStepLR, CosineAnnealingLR and a warm-up with LambdaLR."""

import math

import torch
from torch import nn
from torch.optim import lr_scheduler


def f_2d(x1, x2):
    return 0.1 * x1 ** 2 + 2 * x2 ** 2


def f_2d_grad(x1, x2):
    return (0.2 * x1, 4 * x2)


def gd_2d(x1, x2, s1, s2, f_grad):
    g1, g2 = f_grad(x1, x2)
    return (x1 - eta * g1, x2 - eta * g2, 0, 0)


def train_2d(trainer, steps=20, f_grad=None):
    x1, x2, s1, s2 = -5, -2, 0, 0
    results = [(x1, x2)]
    for i in range(steps):
        x1, x2, s1, s2 = trainer(x1, x2, s1, s2, f_grad)
        results.append((x1, x2))
    print(f"epoch {i + 1}, x1: {float(x1):f}, x2: {float(x2):f}")
    return results


eta = 0.4
train_2d(gd_2d, f_grad=f_2d_grad)


def momentum_2d(x1, x2, v1, v2, f_grad=None):
    v1 = beta * v1 + 0.2 * x1
    v2 = beta * v2 + 4 * x2
    return x1 - eta * v1, x2 - eta * v2, v1, v2


eta, beta = 0.6, 0.5
train_2d(momentum_2d)


def adagrad_2d(x1, x2, s1, s2, f_grad=None):
    eps = 1e-6
    g1, g2 = 0.2 * x1, 4 * x2
    s1 += g1 ** 2
    s2 += g2 ** 2
    x1 -= eta / math.sqrt(s1 + eps) * g1
    x2 -= eta / math.sqrt(s2 + eps) * g2
    return x1, x2, s1, s2


eta = 2
train_2d(adagrad_2d)

# a regression problem to train on
torch.manual_seed(0)
n, d = 200, 5
features = torch.randn(n, d)
true_w = torch.tensor([[2.0], [-1.5], [0.5], [1.0], [-0.3]])
labels = features @ true_w + 0.8 + 0.05 * torch.randn(n, 1)
batch_size = 20


def data_iter():
    for i in range(0, n, batch_size):
        yield features[i:i + batch_size], labels[i:i + batch_size]


def squared_loss(y_hat, y):
    return (y_hat - y.reshape(y_hat.shape)) ** 2 / 2


def init_params():
    torch.manual_seed(1)
    w = torch.normal(mean=0.0, std=0.01, size=(d, 1), requires_grad=True)
    b = torch.zeros((1), requires_grad=True)
    return [w, b]


def evaluate(params):
    with torch.no_grad():
        w, b = params
        return squared_loss(features @ w + b, labels).mean().item()


def train_ch11(trainer_fn, states, hyperparams, num_epochs=2):
    w, b = init_params()
    for epoch in range(num_epochs):
        for X, y in data_iter():
            l = squared_loss(X @ w + b, y).mean()  # noqa: E741
            l.backward()
            trainer_fn([w, b], states, hyperparams)
        print(f"  epoch {epoch + 1}, loss {evaluate([w, b]):.6f}")
    return w, b


def train_concise_ch11(trainer_fn, hyperparams, num_epochs=2):
    w, b = init_params()
    net = nn.Linear(d, 1)
    with torch.no_grad():
        net.weight.copy_(w.T)
        net.bias.copy_(b)
    optimizer = trainer_fn(net.parameters(), **hyperparams)
    loss = nn.MSELoss(reduction="none")
    for epoch in range(num_epochs):
        for X, y in data_iter():
            optimizer.zero_grad()
            out = net(X)
            l = loss(out, y) / 2  # noqa: E741
            l.mean().backward()
            optimizer.step()
        print(f"  epoch {epoch + 1}, loss {evaluate([net.weight.T, net.bias]):.6f}")
    return net


def sgd(params, states, hyperparams):
    for p in params:
        p.data.sub_(hyperparams["lr"] * p.grad)
        p.grad.data.zero_()


print("sgd")
train_ch11(sgd, None, {"lr": 0.05})
train_concise_ch11(torch.optim.SGD, {"lr": 0.05})


def init_momentum_states(feature_dim):
    v_w = torch.zeros((feature_dim, 1))
    v_b = torch.zeros(1)
    return (v_w, v_b)


def sgd_momentum(params, states, hyperparams):
    for p, v in zip(params, states):
        with torch.no_grad():
            v[:] = hyperparams["momentum"] * v + p.grad
            p[:] -= hyperparams["lr"] * v
        p.grad.data.zero_()


print("momentum")
train_ch11(sgd_momentum, init_momentum_states(d), {"lr": 0.02, "momentum": 0.9})
train_concise_ch11(torch.optim.SGD, {"lr": 0.02, "momentum": 0.9})


def init_adagrad_states(feature_dim):
    s_w = torch.zeros((feature_dim, 1))
    s_b = torch.zeros(1)
    return (s_w, s_b)


def adagrad(params, states, hyperparams):
    eps = 1e-10
    for p, s in zip(params, states):
        with torch.no_grad():
            s[:] += torch.square(p.grad)
            p[:] -= hyperparams["lr"] * p.grad / torch.sqrt(s + eps)
        p.grad.data.zero_()


print("adagrad")
train_ch11(adagrad, init_adagrad_states(d), {"lr": 0.1})
train_concise_ch11(torch.optim.Adagrad, {"lr": 0.1})


def init_rmsprop_states(feature_dim):
    return (torch.zeros((feature_dim, 1)), torch.zeros(1))


def rmsprop(params, states, hyperparams):
    gamma, eps = hyperparams["gamma"], 1e-6
    for p, s in zip(params, states):
        with torch.no_grad():
            s[:] = gamma * s + (1 - gamma) * torch.square(p.grad)
            p[:] -= hyperparams["lr"] * p.grad / torch.sqrt(s + eps)
        p.grad.data.zero_()


print("rmsprop")
train_ch11(rmsprop, init_rmsprop_states(d), {"lr": 0.01, "gamma": 0.9})
train_concise_ch11(torch.optim.RMSprop, {"lr": 0.01, "alpha": 0.9})


def init_adadelta_states(feature_dim):
    s_w, s_b = torch.zeros((feature_dim, 1)), torch.zeros(1)
    delta_w, delta_b = torch.zeros((feature_dim, 1)), torch.zeros(1)
    return ((s_w, delta_w), (s_b, delta_b))


def adadelta(params, states, hyperparams):
    rho, eps = hyperparams["rho"], 1e-5
    for p, (s, delta) in zip(params, states):
        with torch.no_grad():
            s[:] = rho * s + (1 - rho) * torch.square(p.grad)
            g = (torch.sqrt(delta + eps) / torch.sqrt(s + eps)) * p.grad
            p[:] -= g
            delta[:] = rho * delta + (1 - rho) * g * g
        p.grad.data.zero_()


print("adadelta")
train_ch11(adadelta, init_adadelta_states(d), {"rho": 0.9})
train_concise_ch11(torch.optim.Adadelta, {"rho": 0.9})


def init_adam_states(feature_dim):
    v_w, v_b = torch.zeros((feature_dim, 1)), torch.zeros(1)
    s_w, s_b = torch.zeros((feature_dim, 1)), torch.zeros(1)
    return ((v_w, s_w), (v_b, s_b))


def adam(params, states, hyperparams):
    beta1, beta2, eps = 0.9, 0.999, 1e-6
    for p, (v, s) in zip(params, states):
        with torch.no_grad():
            v[:] = beta1 * v + (1 - beta1) * p.grad
            s[:] = beta2 * s + (1 - beta2) * torch.square(p.grad)
            v_bias_corr = v / (1 - beta1 ** hyperparams["t"])
            s_bias_corr = s / (1 - beta2 ** hyperparams["t"])
            p[:] -= hyperparams["lr"] * v_bias_corr / (torch.sqrt(s_bias_corr) + eps)
        p.grad.data.zero_()
    hyperparams["t"] += 1


print("adam")
train_ch11(adam, init_adam_states(d), {"lr": 0.05, "t": 1})
net = train_concise_ch11(torch.optim.Adam, {"lr": 0.05})
print(net.weight.data, net.bias.data)

# learning-rate scheduling


class FactorScheduler:
    def __init__(self, factor=1, stop_factor_lr=1e-7, base_lr=0.1):
        self.factor = factor
        self.stop_factor_lr = stop_factor_lr
        self.base_lr = base_lr

    def __call__(self, num_update):
        self.base_lr = max(self.stop_factor_lr, self.base_lr * self.factor)
        return self.base_lr


scheduler = FactorScheduler(factor=0.9, stop_factor_lr=1e-2, base_lr=2.0)
print([round(scheduler(t), 4) for t in range(0, 50, 5)])

model = nn.Linear(d, 1)
trainer = torch.optim.SGD(model.parameters(), lr=0.5)
scheduler = lr_scheduler.MultiStepLR(trainer, milestones=[15, 30], gamma=0.5)


def get_lr(trainer, scheduler):
    lr = scheduler.get_last_lr()[0]
    trainer.step()
    scheduler.step()
    return lr


print([get_lr(trainer, scheduler) for t in range(0, 40, 4)])
print([round(get_lr(trainer, scheduler), 4) for t in range(8)])

trainer = torch.optim.SGD(model.parameters(), lr=0.3)
cosine = lr_scheduler.CosineAnnealingLR(trainer, T_max=20, eta_min=0.01)
lrs = []
for epoch in range(25):
    lrs.append(trainer.param_groups[0]["lr"])
    trainer.step()
    cosine.step()
print([f"{lr:.5f}" for lr in lrs])

warmup_steps = 5
trainer = torch.optim.SGD(model.parameters(), lr=0.3)
warm = lr_scheduler.LambdaLR(trainer, lr_lambda=lambda epoch: min(1.0, (epoch + 1) / warmup_steps))
lrs = []
for epoch in range(8):
    lrs.append(round(warm.get_last_lr()[0], 6))
    trainer.step()
    warm.step()
print(lrs, warm.last_epoch, warm.state_dict()["base_lrs"])

torch.manual_seed(2)
net = nn.Sequential(nn.Linear(d, 8), nn.ReLU(), nn.Linear(8, 1))
trainer = torch.optim.SGD(net.parameters(), lr=0.1)
scheduler = lr_scheduler.CosineAnnealingLR(trainer, T_max=3)
loss = nn.MSELoss()
for epoch in range(3):
    for X, y in data_iter():
        trainer.zero_grad()
        l = loss(net(X), y)  # noqa: E741
        l.backward()
        trainer.step()
    scheduler.step()
    print(f"epoch {epoch + 1}, lr {scheduler.get_last_lr()[0]:.4f}, loss {l.item():.5f}")
