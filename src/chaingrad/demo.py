"""``chaingrad demo``: the seed's linear regression, trained with hand-derived gradients and with
``loss.backward()``, their gradients compared, and the fit and loss curve drawn."""

from __future__ import annotations

import os
import sys

import numpy as np

import chaingrad as torch

X = [[1.0], [2.0], [3.0]]
Y = [[2.0], [4.0], [6.0]]


def train(use_autograd: bool, epochs: int = 100, lr: float = 0.01, log=print):
    """The seed's training loop; returns per-epoch losses, gradients, the fitted lines and final w, b."""
    x, y_true = torch.tensor(X), torch.tensor(Y)
    w = torch.tensor([[0.5]], requires_grad=use_autograd)
    b = torch.tensor([0.0], requires_grad=use_autograd)
    history = {"loss": [], "dw": [], "db": [], "lines": []}
    for epoch in range(epochs):
        y_pred = torch.matmul(x, w) + b
        loss = 0.5 * torch.sum((y_pred - y_true) ** 2)
        if use_autograd:
            loss.backward()
            dL_dw, dL_db = w.grad, b.grad
        else:
            dL_dy_pred = y_pred - y_true
            dL_dw = torch.matmul(x.T, dL_dy_pred)
            dL_db = torch.sum(dL_dy_pred)
        history["loss"].append(loss.item())
        history["dw"].append(dL_dw.detach().numpy().copy().reshape(-1))
        history["db"].append(dL_db.detach().numpy().copy().reshape(-1))
        history["lines"].append((w.detach().item(), b.detach().item()))
        with torch.no_grad():
            w -= lr * dL_dw
            b -= lr * dL_db
        if use_autograd:
            w.grad.zero_()
            b.grad.zero_()
        if (epoch + 1) % 10 == 0:
            log(f"Epoch [{epoch+1}/{epochs}], Loss: {loss.item():.4f}")
    log(f"Final weight: {w.item():.4f}, Final bias: {b.item():.4f}")
    return history, (w.item(), b.item())


def first_epoch_check(dw, db):
    """The hand-derived gradients of the first epoch, compared with autodiff's and with finite differences by
    ``chaingrad.autograd.check_hand_gradients`` (the seed's loss recomputed in float64 at w = 0.5, b = 0)."""
    from chaingrad.autograd import check_hand_gradients

    x = torch.tensor(X, dtype=torch.float64)
    y_true = torch.tensor(Y, dtype=torch.float64)
    w = torch.tensor([[0.5]], dtype=torch.float64)
    b = torch.tensor([0.0], dtype=torch.float64)

    def loss():
        return 0.5 * torch.sum((torch.matmul(x, w) + b - y_true) ** 2)

    return check_hand_gradients(loss, {w: np.reshape(dw, (1, 1)), b: np.reshape(db, (1,))})


def plot(out_dir: str, hand: dict, auto: dict, final: tuple[float, float]) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    os.makedirs(out_dir, exist_ok=True)
    xs = np.array(X).ravel()
    ys = np.array(Y).ravel()
    grid = np.linspace(0.5, 3.5, 50)

    fig, ax = plt.subplots(figsize=(6.4, 4.8), dpi=120)
    cmap = plt.get_cmap("Blues")
    shown = [0, 1, 2, 4, 9, 19, 49, len(auto["lines"]) - 1]
    for i, epoch in enumerate(shown):
        w, b = auto["lines"][epoch]
        ax.plot(grid, w * grid + b, color=cmap(0.3 + 0.6 * i / len(shown)), lw=1.2,
                label=f"epoch {epoch + 1}" if epoch in (0, shown[-1]) else None)
    w, b = final
    ax.plot(grid, w * grid + b, color="navy", lw=2.5, label=f"fitted: y = {w:.4f} x + {b:.4f}")
    ax.plot(grid, 2 * grid, color="gray", ls="--", lw=1, label="true: y = 2 x")
    ax.scatter(xs, ys, color="red", zorder=5, s=50, label="training data")
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.set_title("Linear regression trained by backpropagation (lr 0.01, 100 epochs)")
    ax.legend(loc="upper left", fontsize=8)
    ax.grid(alpha=0.3)
    fit_path = os.path.join(out_dir, "fit.png")
    fig.tight_layout()
    fig.savefig(fit_path)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(6.4, 4.8), dpi=120)
    epochs = np.arange(1, len(auto["loss"]) + 1)
    ax.semilogy(epochs, hand["loss"], color="tab:orange", lw=4, alpha=0.5, label="hand-derived gradients")
    ax.semilogy(epochs, auto["loss"], color="tab:blue", lw=1.5, label="loss.backward() (autodiff)")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss  0.5 * sum((y_pred - y)^2)  (log scale)")
    ax.set_title("Training loss: hand-derived and autodiff gradients agree")
    ax.legend()
    ax.grid(alpha=0.3, which="both")
    loss_path = os.path.join(out_dir, "loss.png")
    fig.tight_layout()
    fig.savefig(loss_path)
    plt.close(fig)
    return [fit_path, loss_path]


def main(out_dir: str = "chaingrad-demo", epochs: int = 100, lr: float = 0.01) -> int:
    print("The seed's linear regression y = w*x + b on x = [1, 2, 3], y = [2, 4, 6], from w = 0.5, b = 0.\n")
    print("1) Gradients derived by hand with the chain rule, as in the seed:")
    print("   dL/dy_pred = y_pred - y;  dL/dw = x^T @ dL/dy_pred;  dL/db = sum(dL/dy_pred)")
    hand, final_hand = train(False, epochs, lr)
    print("\n2) The same training with loss.backward() computing the gradients:")
    auto, final_auto = train(True, epochs, lr)

    check = first_epoch_check(hand["dw"][0], hand["db"][0])
    fd_w, fd_b = (float(row.numerical.reshape(-1)[0]) for row in check.rows)
    print("\nGradients at the first epoch (w = 0.5, b = 0):")
    print(f"{'':8}{'hand-derived':>14}{'autodiff':>12}{'finite diff.':>14}")
    print(f"{'dL/dw':8}{hand['dw'][0][0]:>14.4f}{auto['dw'][0][0]:>12.4f}{fd_w:>14.4f}")
    print(f"{'dL/db':8}{hand['db'][0][0]:>14.4f}{auto['db'][0][0]:>12.4f}{fd_b:>14.4f}")

    worst = 0.0
    ok = True
    for key in ("dw", "db"):
        for h, a in zip(hand[key], auto[key]):
            worst = max(worst, float(np.max(np.abs(h - a))))
            ok &= bool(np.allclose(h, a, rtol=1e-5, atol=1e-5))
    print(f"\nLargest difference between hand-derived and autodiff gradients over {epochs} epochs: {worst:.3g}")
    paths = plot(out_dir, hand, auto, final_auto)
    print("Wrote " + " and ".join(paths))
    if not ok or not check.ok or final_hand != final_auto:
        print("ERROR: hand-derived and autodiff gradients disagree beyond float32 tolerance", file=sys.stderr)
        return 1
    print("Hand-derived and autodiff gradients agree.")
    return 0
