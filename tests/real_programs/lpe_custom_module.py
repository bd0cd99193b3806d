# tolerance: rtol=1e-4 atol=1e-6 -- float32 sums over 2000 points: NumPy's pairwise summation and PyTorch's
# vectorized reductions round differently, and 500 SGD steps carry the difference.
"""Learning PyTorch with examples, custom nn Modules: a Polynomial3 module holding four scalar Parameters,
with a string() method, trained with SGD and MSELoss(reduction='sum')."""

import math

import torch


class Polynomial3(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.a = torch.nn.Parameter(torch.randn(()))
        self.b = torch.nn.Parameter(torch.randn(()))
        self.c = torch.nn.Parameter(torch.randn(()))
        self.d = torch.nn.Parameter(torch.randn(()))

    def forward(self, x):
        return self.a + self.b * x + self.c * x ** 2 + self.d * x ** 3

    def string(self):
        return f"y = {self.a.item():.5f} + {self.b.item():.5f} x + {self.c.item():.5f} x^2 + {self.d.item():.5f} x^3"


x = torch.linspace(-math.pi, math.pi, 2000)
y = torch.sin(x)

torch.manual_seed(0)
model = Polynomial3()
print(model)
print([name for name, _ in model.named_parameters()])
print(model.a)

criterion = torch.nn.MSELoss(reduction="sum")
optimizer = torch.optim.SGD(model.parameters(), lr=1e-6)
for t in range(500):
    y_pred = model(x)
    loss = criterion(y_pred, y)
    if t % 100 == 99:
        print(t, f"{loss.item():.4f}")
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()

print(f"Result: {model.string()}")
