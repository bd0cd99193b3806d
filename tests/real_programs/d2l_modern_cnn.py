# tolerance: rtol=2e-4 atol=2e-6 -- float32 convolutions round differently between NumPy and PyTorch, and the
# BatchNorm statistics and SGD steps carry the difference.
"""Dive into Deep Learning 8.4 (GoogLeNet's Inception block), 8.7 (DenseNet's dense and transition blocks) and
8.8 (ResNeXt's grouped-convolution block, AnyNet's stem and stages): shapes through each block as the book prints
them, and a few SGD steps of a small network built from them on the 8x8 digits."""

import torch
from sklearn.datasets import load_digits
from torch import nn
from torch.nn import functional as F


class Inception(nn.Module):
    def __init__(self, c1, c2, c3, c4, **kwargs):
        super().__init__(**kwargs)
        self.b1_1 = nn.LazyConv2d(c1, kernel_size=1)
        self.b2_1 = nn.LazyConv2d(c2[0], kernel_size=1)
        self.b2_2 = nn.LazyConv2d(c2[1], kernel_size=3, padding=1)
        self.b3_1 = nn.LazyConv2d(c3[0], kernel_size=1)
        self.b3_2 = nn.LazyConv2d(c3[1], kernel_size=5, padding=2)
        self.b4_1 = nn.MaxPool2d(kernel_size=3, stride=1, padding=1)
        self.b4_2 = nn.LazyConv2d(c4, kernel_size=1)

    def forward(self, x):
        b1 = F.relu(self.b1_1(x))
        b2 = F.relu(self.b2_2(F.relu(self.b2_1(x))))
        b3 = F.relu(self.b3_2(F.relu(self.b3_1(x))))
        b4 = F.relu(self.b4_2(self.b4_1(x)))
        return torch.cat((b1, b2, b3, b4), dim=1)


def conv_block(num_channels):
    return nn.Sequential(nn.LazyBatchNorm2d(), nn.ReLU(), nn.LazyConv2d(num_channels, kernel_size=3, padding=1))


class DenseBlock(nn.Module):
    def __init__(self, num_convs, num_channels):
        super().__init__()
        self.net = nn.Sequential(*[conv_block(num_channels) for _ in range(num_convs)])

    def forward(self, X):
        for blk in self.net:
            Y = blk(X)
            X = torch.cat((X, Y), dim=1)
        return X


def transition_block(num_channels):
    return nn.Sequential(nn.LazyBatchNorm2d(), nn.ReLU(), nn.LazyConv2d(num_channels, kernel_size=1),
                         nn.AvgPool2d(kernel_size=2, stride=2))


class ResNeXtBlock(nn.Module):
    def __init__(self, num_channels, groups, bot_mul, use_1x1conv=False, strides=1):
        super().__init__()
        bot_channels = int(round(num_channels * bot_mul))
        self.conv1 = nn.LazyConv2d(bot_channels, kernel_size=1, stride=1)
        self.conv2 = nn.LazyConv2d(bot_channels, kernel_size=3, stride=strides, padding=1,
                                   groups=bot_channels // groups)
        self.conv3 = nn.LazyConv2d(num_channels, kernel_size=1, stride=1)
        self.bn1, self.bn2, self.bn3 = nn.LazyBatchNorm2d(), nn.LazyBatchNorm2d(), nn.LazyBatchNorm2d()
        if use_1x1conv:
            self.conv4 = nn.LazyConv2d(num_channels, kernel_size=1, stride=strides)
            self.bn4 = nn.LazyBatchNorm2d()
        else:
            self.conv4 = None

    def forward(self, X):
        Y = F.relu(self.bn1(self.conv1(X)))
        Y = F.relu(self.bn2(self.conv2(Y)))
        Y = self.bn3(self.conv3(Y))
        if self.conv4:
            X = self.bn4(self.conv4(X))
        return F.relu(Y + X)


torch.manual_seed(0)
X = torch.randn(2, 3, 8, 8)
inc = Inception(4, (2, 6), (1, 2), 2)
print("Inception", inc(X).shape, [p.shape for p in inc.b3_2.parameters()])
blk = DenseBlock(2, 5)
Y = blk(X)
print("DenseBlock", Y.shape, "transition", transition_block(5)(Y).shape)
rx = ResNeXtBlock(16, 4, 0.5, use_1x1conv=True, strides=2)
print("ResNeXtBlock", rx(X).shape, rx.conv2.weight.shape, rx.conv2.groups)
print(ResNeXtBlock(3, 1, 1)(X).shape)


def stem(num_channels):
    return nn.Sequential(nn.LazyConv2d(num_channels, kernel_size=3, stride=1, padding=1), nn.LazyBatchNorm2d(),
                         nn.ReLU())


net = nn.Sequential(stem(8), Inception(4, (4, 8), (2, 4), 4), transition_block(8), DenseBlock(2, 4),
                    ResNeXtBlock(16, 4, 0.5, use_1x1conv=True, strides=2), nn.AdaptiveAvgPool2d((1, 1)),
                    nn.Flatten(), nn.LazyLinear(10))
digits = load_digits()
images = torch.tensor(digits.images[:96], dtype=torch.float32).unsqueeze(1) / 16
labels = torch.tensor(digits.target[:96])
net(images[:2])
print(sum(p.numel() for p in net.parameters()))
optimizer = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
for step in range(6):
    for i in range(0, 96, 32):
        optimizer.zero_grad()
        loss = F.cross_entropy(net(images[i:i + 32]), labels[i:i + 32])
        loss.backward()
        optimizer.step()
    print(step, round(loss.item(), 5))
net.eval()
with torch.no_grad():
    print((net(images).argmax(1) == labels).float().mean().item(), net[0][1].running_mean[:3])
