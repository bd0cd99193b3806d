# tolerance: rtol=1e-4 atol=1e-5 -- float32 convolutions and transposed convolutions: chaingrad's im2col
# products and PyTorch's kernels round differently, and the SGD steps carry the difference.
"""Dive into Deep Learning 14.10 Transposed Convolution and 14.11 Fully Convolutional Networks: a transposed
convolution by hand checked against nn.ConvTranspose2d (padding, stride, several channels, undoing a Conv2d's
shape), both as matrix products with the kernel's sparse matrix, the bilinear_kernel initialization of an
upsampling layer (indexing weight[range(in), range(out), :, :]) applied to an image, and a small FCN (a
backbone of strided convolutions, a 1x1 classifier, a transposed convolution back to full size) trained for
semantic segmentation of synthetic images with a per-pixel cross-entropy, with its pixel accuracy and
predictions."""

import torch
from torch import nn
from torch.nn import functional as F

torch.manual_seed(0)


def trans_conv(X, K):
    h, w = K.shape
    Y = torch.zeros((X.shape[0] + h - 1, X.shape[1] + w - 1))
    for i in range(X.shape[0]):
        for j in range(X.shape[1]):
            Y[i: i + h, j: j + w] += X[i, j] * K
    return Y


X = torch.tensor([[0.0, 1.0], [2.0, 3.0]])
K = torch.tensor([[0.0, 1.0], [2.0, 3.0]])
print(trans_conv(X, K))

X, K = X.reshape(1, 1, 2, 2), K.reshape(1, 1, 2, 2)
tconv = nn.ConvTranspose2d(1, 1, kernel_size=2, bias=False)
tconv.weight.data = K
print(tconv(X))
tconv = nn.ConvTranspose2d(1, 1, kernel_size=2, padding=1, bias=False)
tconv.weight.data = K
print(tconv(X))
tconv = nn.ConvTranspose2d(1, 1, kernel_size=2, stride=2, bias=False)
tconv.weight.data = K
print(tconv(X))

X = torch.rand(size=(1, 10, 16, 16))
conv = nn.Conv2d(10, 20, kernel_size=5, padding=2, stride=3)
tconv = nn.ConvTranspose2d(20, 10, kernel_size=5, padding=2, stride=3)
print(tconv(conv(X)).shape == X.shape, conv(X).shape)


def corr2d(X, K):
    h, w = K.shape
    Y = torch.zeros((X.shape[0] - h + 1, X.shape[1] - w + 1))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = (X[i:i + h, j:j + w] * K).sum()
    return Y


X = torch.arange(9.0).reshape(3, 3)
K = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
Y = corr2d(X, K)
print(Y)


def kernel2matrix(K):
    k, W = torch.zeros(5), torch.zeros((4, 9))
    k[:2], k[3:5] = K[0, :], K[1, :]
    W[0, :5], W[1, 1:6], W[2, 3:8], W[3, 4:] = k, k, k, k
    return W


W = kernel2matrix(K)
print(W)
print(Y == torch.matmul(W, X.reshape(-1)).reshape(2, 2))
Z = trans_conv(Y, K)
print(Z == torch.matmul(W.T, Y.reshape(-1)).reshape(3, 3))


def bilinear_kernel(in_channels, out_channels, kernel_size):
    factor = (kernel_size + 1) // 2
    if kernel_size % 2 == 1:
        center = factor - 1
    else:
        center = factor - 0.5
    og = (torch.arange(kernel_size).reshape(-1, 1), torch.arange(kernel_size).reshape(1, -1))
    filt = (1 - torch.abs(og[0] - center) / factor) * (1 - torch.abs(og[1] - center) / factor)
    weight = torch.zeros((in_channels, out_channels, kernel_size, kernel_size))
    weight[range(in_channels), range(out_channels), :, :] = filt
    return weight


conv_trans = nn.ConvTranspose2d(3, 3, kernel_size=4, padding=1, stride=2, bias=False)
conv_trans.weight.data.copy_(bilinear_kernel(3, 3, 4))
print(conv_trans.weight[0, 0])
img = torch.rand(3, 6, 8)
X = img.unsqueeze(0)
Y = conv_trans(X)
out_img = Y[0].permute(1, 2, 0).detach()
print("input image shape:", img.permute(1, 2, 0).shape)
print("output image shape:", out_img.shape)
print(out_img[2:4, 2:5, 0])
print(torch.allclose(Y, F.interpolate(X, scale_factor=2, mode="bilinear", align_corners=False), atol=1e-6),
      torch.allclose(Y[..., 1:-1, 1:-1],
                     F.interpolate(X, scale_factor=2, mode="bilinear", align_corners=False)[..., 1:-1, 1:-1]))


# synthetic segmentation: a bright square (class 1) and a dark disc (class 2) on noise (class 0)
def make_scene(n, size=16):
    images = torch.rand(n, 3, size, size) * 0.3
    labels = torch.zeros(n, size, size, dtype=torch.long)
    yy, xx = torch.meshgrid(torch.arange(size), torch.arange(size), indexing="ij")
    for i in range(n):
        r, c = torch.randint(0, size - 6, (2,)).tolist()
        labels[i, r:r + 6, c:c + 6] = 1
        images[i, 0, r:r + 6, c:c + 6] += 0.7
        cy, cx = torch.randint(3, size - 3, (2,)).tolist()
        disc = (yy - cy) ** 2 + (xx - cx) ** 2 <= 6
        labels[i][disc] = 2
        images[i, 2][disc] += 0.6
    return images, labels


train_x, train_y = make_scene(48)
test_x, test_y = make_scene(8)
print(train_x.shape, train_y.shape, torch.bincount(train_y.reshape(-1)))

num_classes = 3
backbone = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(),
                         nn.Conv2d(16, 32, 3, padding=1, stride=2), nn.BatchNorm2d(32), nn.ReLU(),
                         nn.Conv2d(32, 32, 3, padding=1, stride=2), nn.BatchNorm2d(32), nn.ReLU())
net = nn.Sequential(*list(backbone.children()))
print(net(torch.zeros(1, 3, 16, 16)).shape)
net.add_module("final_conv", nn.Conv2d(32, num_classes, kernel_size=1))
net.add_module("transpose_conv", nn.ConvTranspose2d(num_classes, num_classes, kernel_size=8, padding=2, stride=4))
W = bilinear_kernel(num_classes, num_classes, 8)
net.transpose_conv.weight.data.copy_(W)
print(net(torch.zeros(2, 3, 16, 16)).shape, [name for name, _ in net.named_children()][-2:])


def loss(inputs, targets):
    return F.cross_entropy(inputs, targets, reduction="none").mean(1).mean(1)


trainer = torch.optim.SGD(net.parameters(), lr=0.1, weight_decay=1e-3, momentum=0.9)
for epoch in range(6):
    net.train()
    perm = torch.randperm(48)
    total, correct = 0.0, 0
    for start in range(0, 48, 16):
        idx = perm[start:start + 16]
        X, Y = train_x[idx], train_y[idx]
        trainer.zero_grad()
        pred = net(X)
        l = loss(pred, Y)
        l.sum().backward()
        trainer.step()
        total += l.sum().item()
        correct += (pred.argmax(dim=1) == Y).sum().item()
    print(f"epoch {epoch} loss {total / 48:.4f} train pixel acc {correct / train_y.numel():.4f}")

net.eval()
with torch.no_grad():
    pred = net(test_x).argmax(dim=1)
print(f"test pixel acc {(pred == test_y).float().mean().item():.4f}")
print(pred[0, 4:12, 4:12])
print(torch.bincount(pred.reshape(-1), minlength=3))
