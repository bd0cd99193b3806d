# tolerance: rtol=2e-4 atol=1e-5 -- float32 matrix products and float64 transposed convolutions and batch-norm
# variances: chaingrad's im2col products and PyTorch's kernels round differently, and the Adam steps carry it.
"""Dive into Deep Learning 20.1 Generative Adversarial Networks and 20.2 Deep Convolutional GANs, at tiny sizes:
real data from a linear map of Gaussian noise, a linear generator and an MLP discriminator, update_D and update_G
with nn.BCEWithLogitsLoss(reduction='sum') on ones and zeros, detached fakes, Adam for each, the learned mean
and covariance; then DCGAN's G_block (ConvTranspose2d, BatchNorm2d, ReLU) and D_block (Conv2d, BatchNorm2d,
LeakyReLU) with their output shapes, normal_(0, 0.02) initialization through net.apply, and a few training
steps on 16x16 images made from the digits, with betas=(0.5, 0.999)."""

import torch
from sklearn.datasets import load_digits
from torch import nn
from torch.nn import functional as F
from torch.utils import data

torch.manual_seed(0)

X = torch.normal(0.0, 1, (480, 2))
A = torch.tensor([[1, 2], [-0.1, 0.5]])
b = torch.tensor([1, 2])
data_real = torch.matmul(X, A) + b
print(data_real[:3])
print(f"The covariance matrix is\n{torch.matmul(A.T, A)}")
batch_size = 16
data_iter = data.DataLoader(data.TensorDataset(data_real), batch_size, shuffle=True,
                            generator=torch.Generator().manual_seed(1))

net_G = nn.Sequential(nn.Linear(2, 2))
net_D = nn.Sequential(nn.Linear(2, 5), nn.Tanh(), nn.Linear(5, 3), nn.Tanh(), nn.Linear(3, 1))


def update_D(X, Z, net_D, net_G, loss, trainer_D):
    batch_size = X.shape[0]
    ones = torch.ones((batch_size,), device=X.device)
    zeros = torch.zeros((batch_size,), device=X.device)
    trainer_D.zero_grad()
    real_Y = net_D(X)
    fake_X = net_G(Z)
    fake_Y = net_D(fake_X.detach())
    loss_D = (loss(real_Y, ones.reshape(real_Y.shape)) + loss(fake_Y, zeros.reshape(fake_Y.shape))) / 2
    loss_D.backward()
    trainer_D.step()
    return loss_D


def update_G(Z, net_D, net_G, loss, trainer_G):
    batch_size = Z.shape[0]
    ones = torch.ones((batch_size,), device=Z.device)
    trainer_G.zero_grad()
    fake_X = net_G(Z)
    fake_Y = net_D(fake_X)
    loss_G = loss(fake_Y, ones.reshape(fake_Y.shape))
    loss_G.backward()
    trainer_G.step()
    return loss_G


def train(net_D, net_G, data_iter, num_epochs, lr_D, lr_G, latent_dim, data):
    loss = nn.BCEWithLogitsLoss(reduction="sum")
    for w in net_D.parameters():
        nn.init.normal_(w, 0, 0.02)
    for w in net_G.parameters():
        nn.init.normal_(w, 0, 0.02)
    trainer_D = torch.optim.Adam(net_D.parameters(), lr=lr_D)
    trainer_G = torch.optim.Adam(net_G.parameters(), lr=lr_G)
    for epoch in range(num_epochs):
        metric = [0.0, 0.0, 0]
        for (X,) in data_iter:
            batch_size = X.shape[0]
            Z = torch.normal(0, 1, size=(batch_size, latent_dim))
            metric[0] += update_D(X, Z, net_D, net_G, loss, trainer_D).item()
            metric[1] += update_G(Z, net_D, net_G, loss, trainer_G).item()
            metric[2] += batch_size
        loss_D, loss_G = metric[0] / metric[2], metric[1] / metric[2]
        print(f"epoch {epoch + 1}, loss_D {loss_D:.4f}, loss_G {loss_G:.4f}")
    Z = torch.normal(0, 1, size=(100, latent_dim))
    fake_X = net_G(Z).detach()
    print(fake_X.mean(0), torch.cov(fake_X.T))


train(net_D, net_G, data_iter, 3, 0.05, 0.005, 2, data_real[:100])
print(net_G[0].weight.data, net_G[0].bias.data)

# 20.2 DCGAN, small, in float64: the two Adam optimizers chase each other, and a last-bit difference in float32
# grows a thousandfold within eight steps (NumPy's and PyTorch's kernels round differently; in float64 the two
# libraries agree to ten digits all the way)
torch.set_default_dtype(torch.float64)
digits = load_digits()
images = torch.tensor(digits.data[:256]).view(-1, 1, 8, 8) / 8 - 1
images = F.interpolate(images, scale_factor=2, mode="bilinear", align_corners=False)
print(images.shape, images.min().item(), images.max().item())


class G_block(nn.Module):
    def __init__(self, out_channels, in_channels=3, kernel_size=4, strides=2, padding=1, **kwargs):
        super().__init__(**kwargs)
        self.conv2d_trans = nn.ConvTranspose2d(in_channels, out_channels, kernel_size, strides, padding, bias=False)
        self.batch_norm = nn.BatchNorm2d(out_channels)
        self.activation = nn.ReLU()

    def forward(self, X):
        return self.activation(self.batch_norm(self.conv2d_trans(X)))


x = torch.zeros((2, 3, 16, 16))
g_blk = G_block(20)
print(g_blk(x).shape)
x = torch.zeros((2, 3, 1, 1))
g_blk = G_block(20, strides=1, padding=0)
print(g_blk(x).shape)


class D_block(nn.Module):
    def __init__(self, out_channels, in_channels=3, kernel_size=4, strides=2, padding=1, alpha=0.2, **kwargs):
        super().__init__(**kwargs)
        self.conv2d = nn.Conv2d(in_channels, out_channels, kernel_size, strides, padding, bias=False)
        self.batch_norm = nn.BatchNorm2d(out_channels)
        self.activation = nn.LeakyReLU(alpha, inplace=True)

    def forward(self, X):
        return self.activation(self.batch_norm(self.conv2d(X)))


x = torch.zeros((2, 3, 16, 16))
d_blk = D_block(20)
print(d_blk(x).shape)

n_G, n_D, latent = 8, 8, 10
net_G = nn.Sequential(
    G_block(in_channels=latent, out_channels=n_G * 2, strides=1, padding=0),  # 4x4
    G_block(in_channels=n_G * 2, out_channels=n_G),  # 8x8
    nn.ConvTranspose2d(in_channels=n_G, out_channels=1, kernel_size=4, stride=2, padding=1, bias=False),  # 16x16
    nn.Tanh())
net_D = nn.Sequential(
    D_block(n_D, in_channels=1),  # 8x8
    D_block(in_channels=n_D, out_channels=n_D * 2),  # 4x4
    nn.Conv2d(in_channels=n_D * 2, out_channels=1, kernel_size=4, bias=False))  # 1x1
print(net_G(torch.zeros(2, latent, 1, 1)).shape, net_D(torch.zeros(2, 1, 16, 16)).shape)


def init_weights(m):
    if type(m) in [nn.ConvTranspose2d, nn.Conv2d]:
        nn.init.normal_(m.weight, 0, 0.02)


net_G.apply(init_weights)
net_D.apply(init_weights)
loss = nn.BCEWithLogitsLoss(reduction="sum")
trainer_hp = {"lr": 0.005, "betas": [0.5, 0.999]}
trainer_D = torch.optim.Adam(net_D.parameters(), **trainer_hp)
trainer_G = torch.optim.Adam(net_G.parameters(), **trainer_hp)
loader = data.DataLoader(data.TensorDataset(images), batch_size=32, shuffle=True,
                         generator=torch.Generator().manual_seed(2))
for step, (X,) in enumerate(loader):
    Z = torch.normal(0, 1, size=(X.shape[0], latent, 1, 1))
    loss_D = update_D(X, Z, net_D, net_G, loss, trainer_D).item()
    loss_G = update_G(Z, net_D, net_G, loss, trainer_G).item()
    print(f"dcgan step {step} loss_D {loss_D / X.shape[0]:.4f} loss_G {loss_G / X.shape[0]:.4f}")
net_G.eval()
with torch.no_grad():
    Z = torch.normal(0, 1, size=(4, latent, 1, 1))
    fake = (net_G(Z) + 1) / 2
print(fake.shape, fake.mean().item(), fake[0, 0, 6:9, 6:9])
print(net_G[0].batch_norm.running_mean[:4], net_D[1].batch_norm.num_batches_tracked)
