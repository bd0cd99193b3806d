# tolerance: rtol=2e-4 atol=1e-5 -- float32 convolutions and matrix products: chaingrad's im2col products
# and PyTorch's kernels round differently, and the SGD steps carry the difference.
"""Dive into Deep Learning with lazily shaped layers: 4.5 Concise Implementation of Softmax Regression
(nn.Flatten and nn.LazyLinear, the cross-entropy with reduction='none' and 'mean'), 6.4 Lazy Initialization
(the uninitialized parameter, the shapes filled in by a first batch), 8.2 VGG and 8.3 NiN (blocks of
nn.LazyConv2d, a layer summary that pushes a batch through the net, xavier initialization applied after a
dummy forward, nn.AdaptiveAvgPool2d and a few SGD steps), on the 8x8 digits."""

import torch
from sklearn.datasets import load_digits
from torch import nn
from torch.nn import functional as F

digits = load_digits()
X_all = torch.tensor(digits.images, dtype=torch.float32).unsqueeze(1) / 16.0
y_all = torch.tensor(digits.target)
print(X_all.shape, y_all.shape)

torch.manual_seed(0)

# 6.4 lazy initialization
net = nn.Sequential(nn.LazyLinear(256), nn.ReLU(), nn.LazyLinear(10))
print(net)
print(net[0].weight)
print(type(net[0].weight).__name__, net[0].in_features)
X = torch.rand(2, 20)
print(net(X).shape)
print(net)
print([(name, param.shape) for name, param in net.named_parameters()])
print(type(net[0]).__name__, type(net[0].weight).__name__, net[0].in_features)
print(net[2].weight[0, :4], net[2].bias[:4])

# 4.5 softmax regression, concisely
net = nn.Sequential(nn.Flatten(), nn.LazyLinear(10))
trainer = torch.optim.SGD(net.parameters(), lr=0.1)  # made before the first batch, as d2l's Trainer does
print(list(net.state_dict().items()), net[1].has_uninitialized_params())
Y_hat = net(X_all[:256])
print(Y_hat.shape)


def loss(Y_hat, Y, averaged=True):
    Y_hat = Y_hat.reshape((-1, Y_hat.shape[-1]))
    Y = Y.reshape((-1,))
    return F.cross_entropy(Y_hat, Y, reduction="mean" if averaged else "none")


print(loss(Y_hat, y_all[:256], averaged=False)[:5])
print(loss(Y_hat, y_all[:256]))

print(trainer.param_groups[0]["params"][0].shape)
for epoch in range(3):
    for i in range(0, 1500, 100):
        l = loss(net(X_all[i:i + 100]), y_all[i:i + 100])  # noqa: E741
        trainer.zero_grad()
        l.backward()
        trainer.step()
    with torch.no_grad():
        acc = (net(X_all[1500:]).argmax(axis=1) == y_all[1500:]).float().mean()
    print(f"epoch {epoch + 1}, loss {l:f}, val acc {acc:.3f}")


def init_cnn(module):
    if type(module) == nn.Linear or type(module) == nn.Conv2d:
        nn.init.xavier_uniform_(module.weight)


def layer_summary(net, X_shape):
    X = torch.randn(*X_shape)
    for layer in net:
        X = layer(X)
        print(layer.__class__.__name__, "output shape:\t", X.shape)


def apply_init(net, inputs, init=None):
    net(*inputs)
    if init is not None:
        net.apply(init)


# 8.2 VGG, tiny
def vgg_block(num_convs, out_channels):
    layers = []
    for _ in range(num_convs):
        layers.append(nn.LazyConv2d(out_channels, kernel_size=3, padding=1))
        layers.append(nn.ReLU())
    layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
    return nn.Sequential(*layers)


def vgg(arch, num_classes=10):
    conv_blks = []
    for (num_convs, out_channels) in arch:
        conv_blks.append(vgg_block(num_convs, out_channels))
    return nn.Sequential(
        *conv_blks, nn.Flatten(),
        nn.LazyLinear(64), nn.ReLU(), nn.Dropout(0.5),
        nn.LazyLinear(64), nn.ReLU(), nn.Dropout(0.5),
        nn.LazyLinear(num_classes))


vgg_net = vgg(((1, 8), (2, 16)))
layer_summary(vgg_net, (1, 1, 8, 8))
print(vgg_net[0])
print(vgg_net[1][0].weight.shape, vgg_net[-1].weight.shape)


# 8.3 NiN, tiny
def nin_block(out_channels, kernel_size, strides, padding):
    return nn.Sequential(
        nn.LazyConv2d(out_channels, kernel_size, strides, padding), nn.ReLU(),
        nn.LazyConv2d(out_channels, kernel_size=1), nn.ReLU(),
        nn.LazyConv2d(out_channels, kernel_size=1), nn.ReLU())


nin = nn.Sequential(
    nin_block(16, kernel_size=3, strides=1, padding=1),
    nn.MaxPool2d(3, stride=2),
    nin_block(32, kernel_size=3, strides=1, padding=1),
    nn.MaxPool2d(3, stride=2),
    nn.Dropout(0.5),
    nin_block(10, kernel_size=3, strides=1, padding=1),
    nn.AdaptiveAvgPool2d((1, 1)),
    nn.Flatten())
print(nin)
apply_init(nin, [X_all[:2]], init_cnn)
print(nin)
layer_summary(nin, (1, 1, 8, 8))
print(nin[0][0].weight[0, 0], nin[0][0].bias[:3])

trainer = torch.optim.SGD(nin.parameters(), lr=0.05)
for step in range(8):
    idx = torch.randint(0, 1500, (64,))
    l = F.cross_entropy(nin(X_all[idx]), y_all[idx])  # noqa: E741
    trainer.zero_grad()
    l.backward()
    trainer.step()
    if step % 2 == 1:
        print(step, l.item())
nin.eval()
with torch.no_grad():
    print((nin(X_all[1500:]).argmax(1) == y_all[1500:]).sum().item())
