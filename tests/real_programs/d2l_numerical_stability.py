# tolerance: rtol=1e-4 atol=1e-6 -- a product of 100 float32 4x4 matrices: BLAS rounding differs between NumPy
# and PyTorch, and the product grows to 1e25, so digits past the fifth differ.
"""Dive into Deep Learning, numerical stability and initialization: the vanishing gradient of the sigmoid,
the exploding product of 100 random matrices, and Xavier/Kaiming initialization of layers with nn.init."""

import torch
from torch import nn

x = torch.arange(-8.0, 8.0, 0.1, requires_grad=True)
y = torch.sigmoid(x)
y.backward(torch.ones_like(x))
print(x.shape, type(y.grad_fn).__name__)
print(f"max gradient {x.grad.max().item():.6f} at x = {x[x.grad.argmax()].item():.4f}")
print(f"gradient at the ends {x.grad[0].item():.6e} {x.grad[-1].item():.6e}")
print(x.grad[::20])

torch.manual_seed(0)
M = torch.normal(0, 1, size=(4, 4))
print("a single matrix \n", M)
for i in range(100):
    M = M @ torch.normal(0, 1, size=(4, 4))
print("after multiplying 100 matrices\n", M)

layer = nn.Linear(256, 128)
nn.init.xavier_uniform_(layer.weight)
bound = (6 / (256 + 128)) ** 0.5
print(f"xavier bound {bound:.5f}, max |w| {layer.weight.abs().max().item():.5f}")
nn.init.xavier_normal_(layer.weight)
print(f"xavier normal std {layer.weight.std().item():.5f}, expected {(2 / (256 + 128)) ** 0.5:.5f}")
nn.init.kaiming_normal_(layer.weight, mode="fan_in", nonlinearity="relu")
print(f"kaiming normal std {layer.weight.std().item():.5f}")
nn.init.kaiming_uniform_(layer.weight, a=5 ** 0.5)
print(f"default-style kaiming uniform max {layer.weight.abs().max().item():.5f}")
nn.init.zeros_(layer.bias)
print(layer.bias[:4])
print(nn.init.calculate_gain("tanh"), nn.init.calculate_gain("relu"), nn.init.calculate_gain("leaky_relu", 0.2))

# activations keep their scale through a deep stack when the init fits the nonlinearity
h = torch.randn(512, 256)
for i in range(10):
    lin = nn.Linear(256, 256, bias=False)
    nn.init.kaiming_normal_(lin.weight, nonlinearity="relu")
    with torch.no_grad():
        h = torch.relu(lin(h))
    if i % 3 == 0:
        print(f"layer {i}: mean {h.mean().item():.4f}, std {h.std().item():.4f}")
