# tolerance: rtol=1e-6 atol=1e-9 -- float64 convolutions and matrix products round differently between
# chaingrad's im2col products and PyTorch's kernels. The network trains in float64 because a bilinear sample's
# gradient jumps where a grid point crosses a pixel edge: float32's last-bit differences would move points
# across edges near the identity transform and send two runs apart within an epoch.
"""Spatial Transformer Networks Tutorial on the 8x8 digits: the digits padded to 16x16 and then rotated,
scaled and shifted by random affine matrices through F.affine_grid and F.grid_sample (the dataset a spatial
transformer has to undo), a network whose localization net and fc_loc regressor (initialized to the identity
transform: weight zeroed, bias copied from [1, 0, 0, 0, 1, 0]) predict theta, the stn() step in front of a
small classifier with Dropout2d, training with SGD and nll_loss, a test loop, and the transformed images and
thetas of a few digits, with grid_sample's paddings and align_corners compared on one shifted image."""

import math

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from sklearn.datasets import load_digits
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)
digits = load_digits()
torch.set_default_dtype(torch.float64)
images = torch.tensor(digits.data[:400]).view(-1, 1, 8, 8) / 16
labels = torch.tensor(digits.target[:400])
images = F.pad(images, (4, 4, 4, 4))
print(images.shape, images.sum().item())

n = images.size(0)
angle = (torch.rand(n) - 0.5) * math.pi / 2
scale = 0.9 + 0.3 * torch.rand(n)
shift = (torch.rand(n, 2) - 0.5) * 0.4
theta_true = torch.stack([
    torch.stack([scale * torch.cos(angle), -scale * torch.sin(angle), shift[:, 0]], 1),
    torch.stack([scale * torch.sin(angle), scale * torch.cos(angle), shift[:, 1]], 1)], 1)
print(theta_true.shape, theta_true[0])
with torch.no_grad():
    warped = F.grid_sample(images, F.affine_grid(theta_true, images.size(), align_corners=False),
                           align_corners=False)
print(warped.shape, warped.sum().item(), warped[0, 0, 6:10, 6:10])

train_loader = DataLoader(TensorDataset(warped[:320], labels[:320]), batch_size=16, shuffle=True,
                          generator=torch.Generator().manual_seed(1))
test_loader = DataLoader(TensorDataset(warped[320:], labels[320:]), batch_size=40)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 10, kernel_size=3)
        self.conv2 = nn.Conv2d(10, 20, kernel_size=3)
        self.conv2_drop = nn.Dropout2d()
        self.fc1 = nn.Linear(80, 50)
        self.fc2 = nn.Linear(50, 10)
        self.localization = nn.Sequential(
            nn.Conv2d(1, 8, kernel_size=5),
            nn.MaxPool2d(2, stride=2),
            nn.ReLU(True),
            nn.Conv2d(8, 10, kernel_size=3),
            nn.MaxPool2d(2, stride=2),
            nn.ReLU(True),
        )
        self.fc_loc = nn.Sequential(
            nn.Linear(10 * 2 * 2, 32),
            nn.ReLU(True),
            nn.Linear(32, 3 * 2),
        )
        self.fc_loc[2].weight.data.zero_()
        self.fc_loc[2].bias.data.copy_(torch.tensor([1, 0, 0, 0, 1, 0], dtype=torch.float))

    def stn(self, x):
        xs = self.localization(x)
        xs = xs.view(-1, 10 * 2 * 2)
        theta = self.fc_loc(xs)
        theta = theta.view(-1, 2, 3)
        grid = F.affine_grid(theta, x.size())
        x = F.grid_sample(x, grid)
        return x, theta

    def forward(self, x):
        x, _ = self.stn(x)
        x = F.relu(F.max_pool2d(self.conv1(x), 2))
        x = F.relu(F.max_pool2d(self.conv2_drop(self.conv2(x)), 2))
        x = x.view(-1, 80)
        x = F.relu(self.fc1(x))
        x = F.dropout(x, training=self.training)
        x = self.fc2(x)
        return F.log_softmax(x, dim=1)


model = Net()
with torch.no_grad():
    same, theta0 = model.stn(warped[:2])
print(theta0[0], torch.allclose(same, warped[:2], atol=1e-6))

optimizer = optim.Adam(model.parameters(), lr=2e-3)


def train(epoch):
    model.train()
    total = 0.0
    for batch_idx, (data, target) in enumerate(train_loader):
        optimizer.zero_grad()
        output = model(data)
        loss = F.nll_loss(output, target)
        loss.backward()
        optimizer.step()
        total += loss.item()
        if batch_idx % 10 == 0:
            seen = batch_idx * len(data)
            print(f"Train Epoch: {epoch} [{seen}/{len(train_loader.dataset)}]\tLoss: {loss.item():.6f}")
    grads = model.fc_loc[2].weight.grad
    print(f"epoch {epoch} mean loss {total / len(train_loader):.4f} fc_loc grad norm {grads.norm().item():.6f}")


def test():
    with torch.no_grad():
        model.eval()
        test_loss = 0
        correct = 0
        for data, target in test_loader:
            output = model(data)
            test_loss += F.nll_loss(output, target, reduction="sum").item()
            pred = output.max(1, keepdim=True)[1]
            correct += pred.eq(target.view_as(pred)).sum().item()
        test_loss /= len(test_loader.dataset)
        print(f"Test set: Average loss: {test_loss:.4f}, Accuracy: {correct}/{len(test_loader.dataset)} "
              f"({100. * correct / len(test_loader.dataset):.0f}%)")


for epoch in range(1, 3):
    train(epoch)
    test()

with torch.no_grad():
    model.eval()
    data = warped[320:323]
    transformed, theta = model.stn(data)
    print(theta)
    print(transformed.shape, transformed.sum(dim=(1, 2, 3)))
    print((transformed[0, 0] > 0.3).int())

# the same shifted image under each padding mode and both align_corners conventions
img = torch.arange(16.0).view(1, 1, 4, 4)
shift_theta = torch.tensor([[[1.0, 0.0, 0.5], [0.0, 1.0, -0.25]]])
for align in (False, True):
    grid = F.affine_grid(shift_theta, [1, 1, 4, 4], align_corners=align)
    print(f"align_corners={align}", grid[0, 0])
    for padding_mode in ("zeros", "border", "reflection"):
        for mode in ("bilinear", "nearest"):
            out = F.grid_sample(img, grid, mode=mode, padding_mode=padding_mode, align_corners=align)
            print(padding_mode, mode, out[0, 0, 1].tolist())

img.requires_grad_(True)
shift_theta.requires_grad_(True)
out = F.grid_sample(img, F.affine_grid(shift_theta, [1, 1, 3, 3], align_corners=False), align_corners=False)
out.pow(2).sum().backward()
print(img.grad)
print(shift_theta.grad)
