"""``chaingrad explain [seed|mlp|lenet|FILE.py]``: print the chain-rule trace of an example and draw its graph,
or (``--html PATH``) write the page that steps through it."""

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


def lenet_loss(seed: int = 0):
    """LeNet as in examples/lenet.py (8x8 digits) on a batch of 4 random images, cross-entropy: ``(loss, names)``."""
    from chaingrad import nn

    torch.manual_seed(seed)
    net = nn.Sequential(
        nn.Conv2d(1, 6, kernel_size=3, padding=1), nn.ReLU(), nn.AvgPool2d(kernel_size=2, stride=2),
        nn.Conv2d(6, 16, kernel_size=3, padding=1), nn.ReLU(), nn.AvgPool2d(kernel_size=2, stride=2),
        nn.Flatten(), nn.Linear(16 * 2 * 2, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))
    for pname, p in net.named_parameters():
        p.name = f"net.{pname}"
    X = torch.rand(4, 1, 8, 8)
    X.name = "X"
    target = torch.tensor([3, 1, 4, 1])
    logits = net(X)
    logits.name = "logits"
    loss = torch.nn.functional.cross_entropy(logits, target)
    loss.name = "loss"
    return loss, {"X": X, "logits": logits}


def script_loss(path: str):
    """Run the Python file ``path`` and take its ``loss`` (or its only scalar tensor with a graph): ``(loss, names)``.

    The file's variables name the tensors on the page (tensors by variable, module parameters as ``net.0.weight``).
    """
    import runpy

    from ..tensor import Tensor

    if not os.path.isfile(path):
        raise SystemExit(f"chaingrad explain: no such file {path!r}; give seed, mlp, lenet or a Python file")
    ns = runpy.run_path(path, run_name="__chaingrad_explain__")
    tensors = {k: v for k, v in ns.items() if isinstance(v, Tensor) and not k.startswith("_")}
    loss = tensors.get("loss")
    if loss is None or loss._grad_fn is None:
        cands = [v for v in tensors.values() if v._grad_fn is not None and v.numel() == 1]
        if len(cands) != 1:
            raise SystemExit(f"chaingrad explain: {path} must leave its loss in a variable named `loss` (a tensor "
                             f"computed from tensors with requires_grad=True, before any loss.backward()); found "
                             f"{len(cands)} scalar tensors with a graph")
        loss = cands[0]
    for k, v in tensors.items():
        if v.name is None:
            v.name = k
    for k, v in ns.items():
        # (looked up on the type: an object's own __getattr__ may do anything, e.g. open a library)
        if not k.startswith("_") and not isinstance(v, type) and callable(getattr(type(v), "named_parameters", None)):
            for pname, p in v.named_parameters():
                if p.name is None:
                    p.name = f"{k}.{pname}"
    return loss, tensors


EXAMPLES = {"seed": seed_loss, "mlp": mlp_loss, "lenet": lenet_loss}


def main(example: str = "seed", out_dir: str = "chaingrad-explain", direction: str | None = None,
         html: str | None = None) -> int:
    import matplotlib

    matplotlib.use("Agg")
    from . import draw, explain

    if example not in EXAMPLES and not example.endswith(".py"):
        raise SystemExit(f"chaingrad explain: unknown example {example!r}; give seed, mlp, lenet or a Python file")
    if example.endswith(".py"):
        loss, names = script_loss(example)
        print(f"The loss of {example}, traced backwards.\n")
    elif example == "lenet":
        loss, names = lenet_loss()
        print("LeNet on a batch of 4 random 8x8 images, loss = cross_entropy(net(X), target).\n"
              "Tensors of more than 8 values are summarized as shape, min, max and mean.\n")
    elif example == "seed":
        loss, names = seed_loss()
        print("The seed's loss L = 0.5 * sum((x @ w + b - y_true)^2) at w = 0.5, b = 0, traced backwards.\n"
              "By hand the seed derives dL/dy_pred = y_pred - y_true, dL/dw = x^T @ dL/dy_pred, "
              "dL/db = sum(dL/dy_pred);\nautodiff applies the same chain rule, one op at a time:\n")
    else:
        loss, names = mlp_loss()
        print("A 2-layer MLP, loss = cross_entropy(tanh(X @ W1 + b1) @ W2 + b2, target), on a batch of 8 points.\n"
              "Tensors of more than 8 values are summarized as shape, min, max and mean.\n")
    try:
        report = explain(loss)
    except RuntimeError as err:
        raise SystemExit(f"chaingrad explain: {err}") from err
    print(report)
    if html is not None:
        report.save(html)
        print(f"\nWrote {html}: open it in a browser and step with the arrow keys")
        return 0
    os.makedirs(out_dir, exist_ok=True)
    paths = []
    stem = os.path.splitext(os.path.basename(example))[0]
    for ext in ("png", "svg"):
        path = os.path.join(out_dir, f"{stem}-graph.{ext}")
        draw(loss, grads=True, direction=direction).save(path)
        paths.append(path)
    print("\nWrote " + " and ".join(paths))
    return 0
