"""A d2l-style program (synthetic data, an MLP with dropout, minibatch SGD over a shuffled DataLoader),
seeded once. It runs unchanged under ``import torch`` and under ``import chaingrad as torch``."""

import torch
from torch import nn
from torch.utils import data

torch.manual_seed(42)


def synthetic_data(w, b, num_examples):
    """y = Xw + b + noise, as in d2l's linear-regression chapter."""
    X = torch.normal(0, 1, (num_examples, len(w)))
    y = torch.matmul(X, w) + b
    y += torch.normal(0, 0.01, y.shape)
    return X, y.reshape((-1, 1))


true_w, true_b = torch.tensor([2, -3.4]), 4.2
features, labels = synthetic_data(true_w, true_b, 1000)
print("features:", features[0], "label:", labels[0])
w = torch.normal(0, 0.01, size=(2, 1), requires_grad=True)
print("w from scratch:", w.detach().reshape(-1))

dataset = data.TensorDataset(features, labels)
train_set, valid_set = data.random_split(dataset, [0.8, 0.2])
print("first validation indices:", valid_set.indices[:8])
loader = data.DataLoader(train_set, batch_size=10, shuffle=True)
X, y = next(iter(loader))
print("first batch:", X[:2], y[:2].reshape(-1))

net = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Dropout(0.2), nn.Linear(16, 1))
print("default init:", net[0].weight[:2].detach(), net[3].bias.detach())
net[0].weight.data.normal_(0, 0.01)
net[0].bias.data.fill_(0)
print("after normal_:", net[0].weight.detach()[:2].reshape(-1))
nn.init.xavier_uniform_(net[3].weight)
print("xavier:", net[3].weight.detach()[0, :4])

mask = nn.Dropout(0.5)(torch.ones(2, 8))
print("dropout mask:", mask)
loss = nn.MSELoss()
trainer = torch.optim.SGD(net.parameters(), lr=0.03)
for epoch in range(3):
    for X, y in loader:
        l = loss(net(X), y)
        trainer.zero_grad()
        l.backward()
        trainer.step()
    net.eval()
    print(f"epoch {epoch + 1}, loss {loss(net(features), labels).item():.4f}")
    net.train()
print("rand after training:", torch.rand(3), torch.randint(0, 100, (4,)), torch.randperm(6))
