"""``chaingrad explain [seed|mlp]``: print the chain-rule trace of a small example and draw its graph."""

from __future__ import annotations

import os

import chaingrad as torch


def seed_loss():
    """The seed's linear regression at its initial weights: returns ``(loss, names)``."""
    x = torch.tensor([[1.0], [2.0], [3.0]])
    y_true = torch.tensor([[2.0], [4.0], [6.0]])
    w = torch.tensor([[0.5]], requires_grad=True)
    b = torch.tensor([0.0], requires_grad=True)
    for t, name in ((x, "x"), (y_true, "y_true"), (w, "w"), (b, "b")):
        t.name = name
    y_pred = torch.matmul(x, w) + b
    y_pred.name = "y_pred"
    loss = 0.5 * torch.sum((y_pred - y_true) ** 2)
    loss.name = "loss"
    return loss, {"x": x, "y_true": y_true, "w": w, "b": b, "y_pred": y_pred}


def mlp_loss(seed: int = 0):
    """A 2-layer MLP (4 -> 16 -> 3, tanh) on a batch of 8 points, cross-entropy loss: ``(loss, names)``."""
    torch.manual_seed(seed)
    X = torch.randn(8, 4)
    target = torch.tensor([0, 2, 1, 0, 1, 2, 2, 0])
    W1 = (torch.randn(4, 16) * 0.5).requires_grad_()
    b1 = torch.zeros(16, requires_grad=True)
    W2 = (torch.randn(16, 3) * 0.5).requires_grad_()
    b2 = torch.zeros(3, requires_grad=True)
    for t, name in ((X, "X"), (target, "target"), (W1, "W1"), (b1, "b1"), (W2, "W2"), (b2, "b2")):
        t.name = name
    h = torch.tanh(X @ W1 + b1)
    h.name = "h"
    logits = h @ W2 + b2
    logits.name = "logits"
    loss = torch.nn.functional.cross_entropy(logits, target)
    loss.name = "loss"
    return loss, {"X": X, "W1": W1, "b1": b1, "W2": W2, "b2": b2, "h": h, "logits": logits}


def main(example: str = "seed", out_dir: str = "chaingrad-explain", direction: str | None = None) -> int:
    import matplotlib

    matplotlib.use("Agg")
    from . import draw, explain

    if example == "seed":
        loss, names = seed_loss()
        print("The seed's loss L = 0.5 * sum((x @ w + b - y_true)^2) at w = 0.5, b = 0, traced backwards.\n"
              "By hand the seed derives dL/dy_pred = y_pred - y_true, dL/dw = x^T @ dL/dy_pred, "
              "dL/db = sum(dL/dy_pred);\nautodiff applies the same chain rule, one op at a time:\n")
    else:
        loss, names = mlp_loss()
        print("A 2-layer MLP, loss = cross_entropy(tanh(X @ W1 + b1) @ W2 + b2, target), on a batch of 8 points.\n"
              "Tensors of more than 8 values are summarized as shape, min, max and mean.\n")
    report = explain(loss)
    print(report)
    os.makedirs(out_dir, exist_ok=True)
    paths = []
    for ext in ("png", "svg"):
        path = os.path.join(out_dir, f"{example}-graph.{ext}")
        draw(loss, grads=True, direction=direction).save(path)
        paths.append(path)
    print("\nWrote " + " and ".join(paths))
    return 0
