# tolerance: rtol=1e-4 atol=1e-5 -- float32 convolutions, matrix products and variances: rounding differs
# between NumPy and PyTorch, and the training steps carry the difference.
"""Dive into Deep Learning, batch normalization: batch_norm from scratch with moving averages for fully
connected and convolutional inputs, a BatchNorm module around it, the same numbers from nn.BatchNorm2d and
nn.BatchNorm1d, their running statistics, and a LeNet with batch norm trained briefly on the digits."""

import torch
from sklearn.datasets import load_digits
from torch import nn


def batch_norm(X, gamma, beta, moving_mean, moving_var, eps, momentum):
    if not torch.is_grad_enabled():
        X_hat = (X - moving_mean) / torch.sqrt(moving_var + eps)
    else:
        assert len(X.shape) in (2, 4)
        if len(X.shape) == 2:
            mean = X.mean(dim=0)
            var = ((X - mean) ** 2).mean(dim=0)
        else:
            mean = X.mean(dim=(0, 2, 3), keepdim=True)
            var = ((X - mean) ** 2).mean(dim=(0, 2, 3), keepdim=True)
        X_hat = (X - mean) / torch.sqrt(var + eps)
        moving_mean = (1.0 - momentum) * moving_mean + momentum * mean
        moving_var = (1.0 - momentum) * moving_var + momentum * var
    Y = gamma * X_hat + beta
    return Y, moving_mean.data, moving_var.data


class BatchNorm(nn.Module):
    def __init__(self, num_features, num_dims):
        super().__init__()
        shape = (1, num_features) if num_dims == 2 else (1, num_features, 1, 1)
        self.gamma = nn.Parameter(torch.ones(shape))
        self.beta = nn.Parameter(torch.zeros(shape))
        self.moving_mean = torch.zeros(shape)
        self.moving_var = torch.ones(shape)

    def forward(self, X):
        if self.moving_mean.device != X.device:
            self.moving_mean = self.moving_mean.to(X.device)
            self.moving_var = self.moving_var.to(X.device)
        Y, self.moving_mean, self.moving_var = batch_norm(
            X, self.gamma, self.beta, self.moving_mean, self.moving_var, eps=1e-5, momentum=0.1)
        return Y


torch.manual_seed(0)
X = torch.randn(4, 3, 5, 5) * 2 + 1
ours = BatchNorm(3, num_dims=4)
builtin = nn.BatchNorm2d(3)
print(builtin)
Y1, Y2 = ours(X), builtin(X)
print(Y1[0, 0, 0], Y2[0, 0, 0], sep="\n")
print(torch.allclose(Y1, Y2, atol=1e-5))
print(ours.moving_mean.reshape(-1), builtin.running_mean)
print(builtin.running_var, builtin.num_batches_tracked)
builtin.eval()
with torch.no_grad():
    print(builtin(X)[1, 2, 3])
print(sorted(builtin.state_dict().keys()))

bn1d = nn.BatchNorm1d(4)
H = torch.randn(8, 4)
out = bn1d(H)
print(out.mean(dim=0), out.std(dim=0, unbiased=False))
print(out.grad_fn.name())

net = nn.Sequential(
    nn.Conv2d(1, 6, kernel_size=3, padding=1), BatchNorm(6, num_dims=4), nn.Sigmoid(),
    nn.AvgPool2d(kernel_size=2, stride=2),
    nn.Conv2d(6, 16, kernel_size=3), nn.BatchNorm2d(16), nn.Sigmoid(),
    nn.Flatten(),
    nn.Linear(64, 32), nn.BatchNorm1d(32), nn.Sigmoid(),
    nn.Linear(32, 10))

digits = load_digits()
images = torch.tensor(digits.images, dtype=torch.float32).unsqueeze(1) / 16
labels = torch.tensor(digits.target)
optimizer = torch.optim.SGD(net.parameters(), lr=1.0)
loss = nn.CrossEntropyLoss()
perm = torch.randperm(1000)
for step in range(20):
    idx = perm[(step * 50) % 1000:(step * 50) % 1000 + 50]
    l = loss(net(images[idx]), labels[idx])
    optimizer.zero_grad()
    l.backward()
    optimizer.step()
    if step % 5 == 4:
        print(f"step {step + 1}: loss {l.item():.4f}")
net.eval()
with torch.no_grad():
    print(f"test acc {(net(images[1000:]).argmax(1) == labels[1000:]).float().mean().item():.3f}")
print(net[1].gamma.reshape((-1,)), net[1].beta.reshape((-1,)), sep="\n")
