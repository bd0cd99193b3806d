# tolerance: rtol=1e-4 atol=1e-6 -- float32 matrix products: BLAS rounding differs between NumPy and
# PyTorch, and three epochs of minibatch SGD carry the difference.
"""Dive into Deep Learning, concise multilayer perceptron: Flatten, Linear, ReLU, Linear, weights initialized
by net.apply with nn.init.normal_(std=0.01), CrossEntropyLoss(reduction='none'), SGD, and training and test
accuracy on the digits."""

import torch
from sklearn.datasets import load_digits
from torch import nn
from torch.utils import data

torch.manual_seed(1)
digits = load_digits()
images = torch.tensor(digits.images, dtype=torch.float32) / 16
labels = torch.tensor(digits.target)
train_iter = data.DataLoader(data.TensorDataset(images[:1000], labels[:1000]), batch_size=64, shuffle=True)
test_iter = data.DataLoader(data.TensorDataset(images[1500:], labels[1500:]), batch_size=128)

net = nn.Sequential(nn.Flatten(), nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))


def init_weights(m):
    if type(m) == nn.Linear:
        nn.init.normal_(m.weight, std=0.01)


print(net.apply(init_weights))
print(net[1].weight[0, :5], net[1].bias[:3])

batch_size, lr, num_epochs = 64, 0.3, 3
loss = nn.CrossEntropyLoss(reduction="none")
trainer = torch.optim.SGD(net.parameters(), lr=lr)


def accuracy(y_hat, y):
    return float((y_hat.argmax(axis=1).type(y.dtype) == y).type(y.dtype).sum())


for epoch in range(num_epochs):
    net.train()
    total_loss, total_correct, total = 0.0, 0.0, 0
    for X, y in train_iter:
        y_hat = net(X)
        l = loss(y_hat, y)
        trainer.zero_grad()
        l.mean().backward()
        trainer.step()
        total_loss += float(l.sum())
        total_correct += accuracy(y_hat, y)
        total += y.numel()
    net.eval()
    with torch.no_grad():
        correct = sum(accuracy(net(X), y) for X, y in test_iter)
    print(f"epoch {epoch + 1}: loss {total_loss / total:.4f}, train acc {total_correct / total:.3f}, "
          f"test acc {correct / 297:.3f}")

print(l.shape, l.grad_fn.name())
