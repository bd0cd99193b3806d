# tolerance: rtol=1e-5 atol=1e-6 -- float32 matrix products: BLAS rounding differs between NumPy and PyTorch
# in the last printed digit.
"""Dive into Deep Learning, custom layers: a CenteredLayer without parameters, used alone and inside a
Sequential, and a MyLinear layer with its own weight and bias Parameters, used in a network."""

import torch
import torch.nn.functional as F
from torch import nn


class CenteredLayer(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, X):
        return X - X.mean()


layer = CenteredLayer()
print(layer(torch.tensor([1.0, 2, 3, 4, 5])))

torch.manual_seed(0)
net = nn.Sequential(nn.Linear(8, 128), CenteredLayer())
Y = net(torch.rand(4, 8))
print(f"{Y.mean().item():.1e}" if abs(Y.mean().item()) > 1e-6 else "mean is (almost) zero")
print(Y.grad_fn.name())


class MyLinear(nn.Module):
    def __init__(self, in_units, units):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(in_units, units))
        self.bias = nn.Parameter(torch.randn(units,))

    def forward(self, X):
        linear = torch.matmul(X, self.weight.data) + self.bias.data
        return F.relu(linear)


torch.manual_seed(3)
linear = MyLinear(5, 3)
print(linear.weight)
print(linear(torch.rand(2, 5)))

net = nn.Sequential(MyLinear(64, 8), MyLinear(8, 1))
print(net(torch.rand(2, 64)))
print(net)
print([name for name, _ in net.named_parameters()])
