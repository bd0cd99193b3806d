"""``chaingrad train {linreg,softmax,mlp,lenet}``: textbook models trained with chaingrad.nn and optim,
a progress bar per epoch, per-epoch loss and accuracy, a PNG of the curves and the final weights saved.

linreg fits the textbook's synthetic data (y = X [2, -3.4] + 4.2 + noise); the others classify
scikit-learn's 8x8 digits (1438 training and 359 test images).
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass, field

import numpy as np

import chaingrad as torch
from chaingrad import nn
from chaingrad.utils import data

MODELS = ("linreg", "softmax", "mlp", "lenet")


@dataclass
class Recipe:
    """Default options for one model (chosen so each reaches its target quickly on 2 cores)."""

    epochs: int
    lr: float
    batch_size: int
    momentum: float = 0.0
    weight_decay: float = 0.0
    cosine: bool = True  # anneal the lr to 0 over the epochs (steadier final accuracy)
    description: str = ""


RECIPES = {
    "linreg": Recipe(5, 0.03, 10, cosine=False, description="linear regression on synthetic data (d2l 3.3)"),
    "softmax": Recipe(20, 0.5, 64, description="softmax regression: Flatten -> Linear(64, 10) (d2l 4.5)"),
    "mlp": Recipe(20, 0.1, 32, momentum=0.9, description="MLP: Flatten -> Linear(64, 256) -> ReLU -> "
                  "Linear(256, 10) (d2l 5.2)"),
    "lenet": Recipe(20, 0.1, 32, momentum=0.9, description="LeNet-style CNN: two 3x3 conv + ReLU + 2x2 "
                    "average pooling, then three Linear layers (d2l 7.6)"),
}


def build_model(name: str) -> nn.Module:
    """The network for ``name``, with torch's default initialization."""
    if name == "linreg":
        return nn.Sequential(nn.Linear(2, 1))
    if name == "softmax":
        return nn.Sequential(nn.Flatten(), nn.Linear(64, 10))
    if name == "mlp":
        return nn.Sequential(nn.Flatten(), nn.Linear(64, 256), nn.ReLU(), nn.Linear(256, 10))
    if name == "lenet":
        # LeNet-5's layout shrunk to 8x8 inputs: 1x8x8 -> 6x8x8 -> 6x4x4 -> 16x4x4 -> 16x2x2 -> 120 -> 84 -> 10
        return nn.Sequential(
            nn.Conv2d(1, 6, kernel_size=3, padding=1), nn.ReLU(), nn.AvgPool2d(kernel_size=2, stride=2),
            nn.Conv2d(6, 16, kernel_size=3, padding=1), nn.ReLU(), nn.AvgPool2d(kernel_size=2, stride=2),
            nn.Flatten(), nn.Linear(16 * 2 * 2, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))
    raise ValueError(f"unknown model {name!r}; choose one of {', '.join(MODELS)}")


@dataclass
class History:
    """Per-epoch figures; accuracies are None for the regression."""

    train_loss: list[float] = field(default_factory=list)
    test_loss: list[float] = field(default_factory=list)
    train_acc: list[float | None] = field(default_factory=list)
    test_acc: list[float | None] = field(default_factory=list)
    seconds: float = 0.0


def load_data(name: str, batch_size: int):
    """(train loader, test loader) for the model's task."""
    if name == "linreg":
        true_w, true_b = torch.tensor([2.0, -3.4]), 4.2
        X, y = torch.datasets.synthetic_regression(true_w, true_b, 1000)
        Xt, yt = torch.datasets.synthetic_regression(true_w, true_b, 200)
        train, test = data.TensorDataset(X, y), data.TensorDataset(Xt, yt)
    else:
        train, test = torch.datasets.digits()
    return (data.DataLoader(train, batch_size, shuffle=True),
            data.DataLoader(test, 256, shuffle=False))


def evaluate(net: nn.Module, loader, loss_fn, classify: bool) -> tuple[float, float | None]:
    """Mean loss and accuracy over a loader, in eval mode without recording a graph."""
    net.eval()
    total_loss, correct, count = 0.0, 0, 0
    with torch.no_grad():
        for X, y in loader:
            out = net(X)
            total_loss += loss_fn(out, y).item() * len(y)
            if classify:
                correct += int((out.argmax(dim=1) == y).sum().item())
            count += len(y)
    net.train()
    return total_loss / count, (correct / count if classify else None)


def fit(name: str, epochs: int, lr: float, batch_size: int, seed: int, progress: bool = True,
        log=print) -> tuple[nn.Module, History]:
    """Train model ``name``; returns the trained network and its per-epoch history."""
    from tqdm import tqdm

    torch.manual_seed(seed)
    recipe = RECIPES[name]
    classify = name != "linreg"
    train_iter, test_iter = load_data(name, batch_size)
    net = build_model(name)
    loss_fn = nn.CrossEntropyLoss() if classify else nn.MSELoss()
    optimizer = torch.optim.SGD(net.parameters(), lr=lr, momentum=recipe.momentum,
                                weight_decay=recipe.weight_decay)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs) if recipe.cosine else None
    history = History()
    start = time.perf_counter()
    for epoch in range(epochs):
        total_loss, correct, count = 0.0, 0, 0
        bar = tqdm(train_iter, desc=f"epoch {epoch + 1:>{len(str(epochs))}}/{epochs}", unit="batch",
                   leave=False, disable=not progress, file=sys.stderr, dynamic_ncols=True)
        for X, y in bar:
            out = net(X)
            loss = loss_fn(out, y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total_loss += loss.item() * len(y)
            if classify:
                correct += int((out.argmax(dim=1) == y).sum().item())
            count += len(y)
            bar.set_postfix(loss=f"{total_loss / count:.4f}", refresh=False)
        bar.close()
        if scheduler is not None:
            scheduler.step()
        history.train_loss.append(total_loss / count)
        history.train_acc.append(correct / count if classify else None)
        test_loss, test_acc = evaluate(net, test_iter, loss_fn, classify)
        history.test_loss.append(test_loss)
        history.test_acc.append(test_acc)
        line = f"epoch {epoch + 1:>{len(str(epochs))}}/{epochs}  train loss {history.train_loss[-1]:.4f}"
        if classify:
            line += f"  train acc {100 * history.train_acc[-1]:5.1f}%  test acc {100 * test_acc:5.1f}%"
        else:
            line += f"  test loss {test_loss:.6f}"
        log(line)
    history.seconds = time.perf_counter() - start
    return net, history


def plot(name: str, history: History, path: str, lr: float, batch_size: int) -> str:
    """Loss (left) and accuracy (right) per epoch, saved as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    epochs = np.arange(1, len(history.train_loss) + 1)
    classify = history.train_acc and history.train_acc[0] is not None
    fig, axes = plt.subplots(1, 2 if classify else 1, figsize=(11 if classify else 6.4, 4.4), dpi=110,
                             squeeze=False)
    ax = axes[0, 0]
    ax.plot(epochs, history.train_loss, "o-", color="tab:blue", lw=2, ms=4, label="train loss (mean over the epoch)")
    ax.plot(epochs, history.test_loss, "s--", color="tab:orange", lw=1.5, ms=4, label="test loss")
    losses = np.array(history.train_loss + history.test_loss)
    if losses.min() > 0 and losses.max() / losses.min() > 20:  # log scale only where it helps
        ax.set_yscale("log")
    scale = " (log scale)" if ax.get_yscale() == "log" else ""
    ax.set_xlabel("epoch")
    ax.set_ylabel(("cross-entropy loss" if classify else "mean squared error") + scale)
    ax.set_title("Loss")
    ax.grid(alpha=0.3, which="both")
    ax.legend()
    if classify:
        ax = axes[0, 1]
        train_acc = 100 * np.array(history.train_acc, dtype=float)
        test_acc = 100 * np.array(history.test_acc, dtype=float)
        ax.plot(epochs, train_acc, "o-", color="tab:blue", lw=2, ms=4, label="train accuracy")
        ax.plot(epochs, test_acc, "s-", color="tab:green", lw=2, ms=4, label="test accuracy")
        ax.axhline(95, color="gray", ls=":", lw=1, label="95%")
        best = int(np.argmax(test_acc))
        below = test_acc[-1] > 50  # keep the label inside the axes
        ax.annotate(f"final test {test_acc[-1]:.1f}%", xy=(epochs[-1], test_acc[-1]),
                    xytext=(-10, -28 if below else 28),
                    textcoords="offset points", ha="right", fontsize=9, color="tab:green",
                    arrowprops=dict(arrowstyle="->", color="tab:green", lw=0.8))
        low = min(float(train_acc.min()), float(test_acc.min()))
        ax.set_ylim(max(0.0, min(low, 90.0) - 2), 100.5)
        ax.set_xlabel("epoch")
        ax.set_ylabel("accuracy (%)")
        ax.set_title(f"Accuracy (best test {test_acc[best]:.1f}% at epoch {best + 1})")
        ax.grid(alpha=0.3)
        ax.legend(loc="lower right")
    for a in axes.ravel():
        a.set_xlim(0.5, len(epochs) + 0.5)
        if len(epochs) <= 25:
            a.set_xticks(epochs if len(epochs) <= 12 else epochs[::2])
    title = {"linreg": "linear regression, synthetic data", "softmax": "softmax regression, 8x8 digits",
             "mlp": "MLP, 8x8 digits", "lenet": "LeNet-style CNN, 8x8 digits"}[name]
    fig.suptitle(f"chaingrad train {name}: {title}\nlr {lr:g}, batch {batch_size}, {len(epochs)} epochs, "
                 f"{history.seconds:.2g} s", fontsize=10.5)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def main(model: str, epochs: int | None = None, lr: float | None = None, batch_size: int | None = None,
         seed: int = 0, out: str = "chaingrad-train", progress: bool = True) -> int:
    recipe = RECIPES[model]
    epochs = recipe.epochs if epochs is None else epochs
    lr = recipe.lr if lr is None else lr
    batch_size = recipe.batch_size if batch_size is None else batch_size
    if epochs < 1 or batch_size < 1 or lr <= 0:
        print("chaingrad train: --epochs and --batch-size must be positive integers and --lr positive",
              file=sys.stderr)
        return 2
    print(f"chaingrad train {model}: {recipe.description}")
    print(f"epochs {epochs}, lr {lr:g}, batch size {batch_size}, seed {seed}"
          + (f", SGD momentum {recipe.momentum:g}" if recipe.momentum else ", plain SGD")
          + (", cosine-annealed lr" if recipe.cosine else ""))
    net, history = fit(model, epochs, lr, batch_size, seed, progress=progress)
    os.makedirs(out, exist_ok=True)
    weights = os.path.join(out, f"{model}.pt")
    torch.save(net.state_dict(), weights)
    curves = plot(model, history, os.path.join(out, f"{model}.png"), lr, batch_size)
    print(f"trained in {history.seconds:.1f} s", end="")
    if model == "linreg":
        w = net[0].weight.detach().numpy().ravel()
        b = float(net[0].bias.detach().numpy()[0])
        print(f"; learned w = [{w[0]:.4f}, {w[1]:.4f}] (true [2, -3.4]), b = {b:.4f} (true 4.2)")
    else:
        print(f"; final test accuracy {100 * history.test_acc[-1]:.1f}%")
    print(f"wrote {weights} (load with net.load_state_dict(chaingrad.load(path))) and {curves}")
    return 0
