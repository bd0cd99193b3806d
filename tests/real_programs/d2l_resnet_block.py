# tolerance: rtol=1e-4 atol=1e-5 -- float32 convolutions: chaingrad's im2col products and PyTorch's
# convolution kernels round differently, and the training steps carry the difference.
"""Dive into Deep Learning, residual networks: the Residual block with two 3x3 convolutions, batch norm and
an optional 1x1 shortcut, its output shapes, a small ResNet with AdaptiveAvgPool2d, its layer shapes, and a
few SGD steps on the digits."""

import torch
from sklearn.datasets import load_digits
from torch import nn
from torch.nn import functional as F


class Residual(nn.Module):
    def __init__(self, input_channels, num_channels, use_1x1conv=False, strides=1):
        super().__init__()
        self.conv1 = nn.Conv2d(input_channels, num_channels, kernel_size=3, padding=1, stride=strides)
        self.conv2 = nn.Conv2d(num_channels, num_channels, kernel_size=3, padding=1)
        if use_1x1conv:
            self.conv3 = nn.Conv2d(input_channels, num_channels, kernel_size=1, stride=strides)
        else:
            self.conv3 = None
        self.bn1 = nn.BatchNorm2d(num_channels)
        self.bn2 = nn.BatchNorm2d(num_channels)

    def forward(self, X):
        Y = F.relu(self.bn1(self.conv1(X)))
        Y = self.bn2(self.conv2(Y))
        if self.conv3:
            X = self.conv3(X)
        Y += X
        return F.relu(Y)


torch.manual_seed(0)
blk = Residual(3, 3)
X = torch.rand(4, 3, 6, 6)
Y = blk(X)
print(Y.shape)
blk = Residual(3, 6, use_1x1conv=True, strides=2)
print(blk(X).shape)
print(blk)


def resnet_block(input_channels, num_channels, num_residuals, first_block=False):
    blk = []
    for i in range(num_residuals):
        if i == 0 and not first_block:
            blk.append(Residual(input_channels, num_channels, use_1x1conv=True, strides=2))
        else:
            blk.append(Residual(num_channels, num_channels))
    return blk


b1 = nn.Sequential(nn.Conv2d(1, 8, kernel_size=3, stride=1, padding=1), nn.BatchNorm2d(8), nn.ReLU())
b2 = nn.Sequential(*resnet_block(8, 8, 1, first_block=True))
b3 = nn.Sequential(*resnet_block(8, 16, 1))
net = nn.Sequential(b1, b2, b3, nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten(), nn.Linear(16, 10))

X = torch.rand(size=(1, 1, 8, 8))
for layer in net:
    X = layer(X)
    print(layer.__class__.__name__, "output shape:\t", X.shape)
print(sum(p.numel() for p in net.parameters()))

digits = load_digits()
images = torch.tensor(digits.images, dtype=torch.float32).unsqueeze(1) / 16
labels = torch.tensor(digits.target)
optimizer = torch.optim.SGD(net.parameters(), lr=0.1)
for step in range(8):
    idx = torch.randint(0, 1500, (32,))
    loss = F.cross_entropy(net(images[idx]), labels[idx])
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    print(f"step {step}: loss {loss.item():.4f}")
net.eval()
with torch.no_grad():
    print(f"held-out accuracy {(net(images[1500:]).argmax(1) == labels[1500:]).float().mean():.3f}")
