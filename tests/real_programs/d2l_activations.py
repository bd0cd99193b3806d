# tolerance: rtol=2e-5 atol=1e-6 -- float32 exp/tanh and matrix products round differently between NumPy and
# PyTorch, and a few SGD steps per activation carry the difference.
"""Dive into Deep Learning 5.1 (activation functions and their derivatives, computed with autograd on a grid)
and a tour of torch.nn's other activations in the style of its documentation: each one as a module in a small
classifier on the digits, a few seeded SGD steps, the node autograd records, and the in-place forms."""

import torch
from sklearn.datasets import load_digits
from torch import nn

x = torch.arange(-8.0, 8.0, 0.5, requires_grad=True)
for name, fn in [("relu", torch.relu), ("sigmoid", torch.sigmoid), ("tanh", torch.tanh)]:
    y = fn(x)
    y.backward(torch.ones_like(x), retain_graph=True)
    print(name, y.grad_fn.name(), y[::8].detach(), "grad", x.grad[::8])
    x.grad.data.zero_()

# the gradients at the kinks, where each activation makes its own choice
kinks = torch.tensor([-3.0, -1.0, 0.0, 1.0, 3.0, 6.0], requires_grad=True)
for layer in [nn.ReLU6(), nn.Hardtanh(), nn.Hardswish(), nn.Hardsigmoid(), nn.Threshold(1.0, -1.0),
              nn.Softshrink(1.0), nn.Hardshrink(1.0)]:
    out = layer(kinks)
    (grad,) = torch.autograd.grad(out.sum(), kinks)
    print(layer, type(out.grad_fn).__name__, out.detach(), grad)

digits = load_digits()
images = torch.tensor(digits.data[:256], dtype=torch.float32) / 16
labels = torch.tensor(digits.target[:256])
loss_fn = nn.CrossEntropyLoss()
for act in [nn.SiLU(), nn.GELU(), nn.GELU(approximate="tanh"), nn.ELU(alpha=0.5), nn.SELU(), nn.CELU(1.5),
            nn.Mish(), nn.Hardswish(), nn.LeakyReLU(0.1), nn.PReLU(), nn.RReLU(0.1, 0.3), nn.Softplus(beta=2.0),
            nn.LogSigmoid(), nn.Softsign(), nn.Tanhshrink()]:
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(64, 32), act, nn.Linear(32, 10))
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    losses = []
    for step in range(5):
        opt.zero_grad()
        hidden = net[1](net[0](images))
        loss = loss_fn(net[2](hidden), labels)
        loss.backward()
        opt.step()
        losses.append(round(loss.item(), 5))
    net.eval()
    with torch.no_grad():
        accuracy = (net(images).argmax(1) == labels).float().mean().item()
    print(act, hidden.grad_fn.name(), losses, round(accuracy, 4))

# in place, as the inplace=True flags of the modules do it
z = torch.linspace(-2, 2, 9)
for layer in [nn.ReLU(inplace=True), nn.ELU(inplace=True), nn.SELU(inplace=True), nn.SiLU(inplace=True),
              nn.Hardtanh(-0.5, 0.5, inplace=True), nn.LeakyReLU(0.2, inplace=True)]:
    w = z.clone().requires_grad_()
    v = w * 1.0
    out = layer(v)
    out.sum().backward()
    print(layer, out is v, out.grad_fn.name(), v.detach(), w.grad)

torch.manual_seed(5)
r = nn.RReLU()
print(r(torch.linspace(-1, 1, 6)), torch.rand(2))
print(nn.functional.mse_loss(torch.ones(3), torch.zeros(3), size_average=False))
