"""``chaingrad compile-demo``: compile the seed's training step and print the code the compiler wrote, beside
the gradient code the seed's author derived by hand."""

from __future__ import annotations

import numpy as np

#: the seed's hand-derived gradient and update lines (examples/seed_linear_regression.py)
SEED_LINES = """\
y_pred = torch.matmul(x, w) + b
loss = 0.5 * torch.sum((y_pred - y_true) ** 2)
dL_dy_pred = y_pred - y_true
dL_dw = torch.matmul(x.T, dL_dy_pred)
dL_db = torch.sum(dL_dy_pred)
w -= lr * dL_dw
b -= lr * dL_db"""


def seed_step(lr: float = 0.01):
    """The seed's data and parameters, and its training step written with autodiff (``loss.backward()``)
    instead of hand-derived gradients: ``(step, x, y_true, w, b)``."""
    import chaingrad as torch

    x = torch.tensor([[1.0], [2.0], [3.0]])
    y_true = torch.tensor([[2.0], [4.0], [6.0]])
    w = torch.tensor([[0.5]], requires_grad=True)
    b = torch.tensor([0.0], requires_grad=True)

    def step(x, y_true):
        nonlocal w, b
        y_pred = torch.matmul(x, w) + b
        loss = 0.5 * torch.sum((y_pred - y_true) ** 2)
        loss.backward()
        with torch.no_grad():
            w -= lr * w.grad
            b -= lr * b.grad
        w.grad = None
        b.grad = None
        return loss

    return step, x, y_true, w, b


def main(epochs: int = 100) -> int:
    import chaingrad as torch

    step, x, y_true, w, b = seed_step()
    compiled = torch.compile(step, fullgraph=True)
    losses = [float(compiled(x, y_true)._data) for _ in range(epochs)]
    eager_step, x2, y2, w2, b2 = seed_step()
    eager = [float(eager_step(x2, y2)._data) for _ in range(epochs)]
    same = losses == eager and np.array_equal(w._data, w2._data) and np.array_equal(b._data, b2._data)
    print("# The seed's step, written with loss.backward(), compiled by chaingrad.compile.")
    print("# The code it replays (step.code):\n")
    print(compiled.code)
    print("# The seed's own lines, derived by hand:\n#   " + SEED_LINES.replace("\n", "\n#   "))
    print(f"\n# {epochs} compiled steps: loss {losses[0]:.4f} -> {losses[-1]:.4f}, w = {w._data.item():.4f}, "
          f"b = {b._data.item():.4f}; bit for bit eager's: {same}")
    return 0 if same else 1
