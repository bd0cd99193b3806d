# tolerance: rtol=1e-4 atol=1e-5 -- float32 convolutions and matrix products: chaingrad's im2col products
# and PyTorch's convolution kernels round differently, and two epochs of SGD carry the difference.
"""Dive into Deep Learning, LeNet: the classic Sequential of Conv2d, Sigmoid and AvgPool2d layers with the
output shape of each layer on a 28x28 input, then a LeNet sized for the 8x8 digits (with ReLU and max pooling,
as the modern variant), initialized with xavier_uniform_ through apply and trained with SGD, with its accuracy
on held-out digits."""

import torch
from sklearn.datasets import load_digits
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

net = nn.Sequential(
    nn.Conv2d(1, 6, kernel_size=5, padding=2), nn.Sigmoid(),
    nn.AvgPool2d(kernel_size=2, stride=2),
    nn.Conv2d(6, 16, kernel_size=5), nn.Sigmoid(),
    nn.AvgPool2d(kernel_size=2, stride=2),
    nn.Flatten(),
    nn.Linear(16 * 5 * 5, 120), nn.Sigmoid(),
    nn.Linear(120, 84), nn.Sigmoid(),
    nn.Linear(84, 10))

torch.manual_seed(0)
X = torch.rand(size=(1, 1, 28, 28), dtype=torch.float32)
for layer in net:
    X = layer(X)
    print(layer.__class__.__name__, "output shape: \t", X.shape)

net = nn.Sequential(
    nn.Conv2d(1, 6, kernel_size=3, padding=1), nn.ReLU(),
    nn.MaxPool2d(kernel_size=2, stride=2),
    nn.Conv2d(6, 16, kernel_size=3), nn.ReLU(),
    nn.Flatten(),
    nn.Linear(16 * 2 * 2, 32), nn.ReLU(),
    nn.Linear(32, 10))


def init_weights(m):
    if type(m) == nn.Linear or type(m) == nn.Conv2d:
        nn.init.xavier_uniform_(m.weight)


net.apply(init_weights)
print(net[0].weight.shape, net[0].bias.shape)

digits = load_digits()
images = torch.tensor(digits.images, dtype=torch.float32).unsqueeze(1) / 16
labels = torch.tensor(digits.target)
train_iter = DataLoader(TensorDataset(images[:1000], labels[:1000]), batch_size=50, shuffle=True)
test_X, test_y = images[1000:], labels[1000:]

optimizer = torch.optim.SGD(net.parameters(), lr=0.1)
loss = nn.CrossEntropyLoss()
for epoch in range(3):
    net.train()
    total, correct, n = 0.0, 0, 0
    for X, y in train_iter:
        optimizer.zero_grad()
        y_hat = net(X)
        l = loss(y_hat, y)
        l.backward()
        optimizer.step()
        total += l.item() * X.shape[0]
        correct += (y_hat.argmax(dim=1) == y).sum().item()
        n += X.shape[0]
    net.eval()
    with torch.no_grad():
        test_acc = (net(test_X).argmax(dim=1) == test_y).float().mean().item()
    print(f"epoch {epoch + 1}: loss {total / n:.3f}, train acc {correct / n:.3f}, test acc {test_acc:.3f}")
print(l.grad_fn.name(), net[0].weight.grad.shape)
