# tolerance: rtol=1e-4 atol=1e-6 -- float32 matrix products (BLAS rounding differs between NumPy and PyTorch),
# carried through two epochs of minibatch SGD.
"""Dive into Deep Learning, dropout: dropout_layer from scratch with a rand mask, applied to arange(16), a
from-scratch network that drops out only in training, and the concise version with nn.Dropout, train() and
eval()."""

import torch
from sklearn.datasets import load_digits
from torch import nn
from torch.utils import data


def dropout_layer(X, dropout):
    assert 0 <= dropout <= 1
    if dropout == 1:
        return torch.zeros_like(X)
    if dropout == 0:
        return X
    mask = (torch.rand(X.shape) > dropout).float()
    return mask * X / (1.0 - dropout)


torch.manual_seed(0)
X = torch.arange(16, dtype=torch.float32).reshape((2, 8))
print(X)
print(dropout_layer(X, 0.))
print(dropout_layer(X, 0.5))
print(dropout_layer(X, 1.))

num_inputs, num_outputs, num_hiddens1, num_hiddens2 = 64, 10, 64, 64
dropout1, dropout2 = 0.2, 0.5


class Net(nn.Module):
    def __init__(self, num_inputs, num_outputs, num_hiddens1, num_hiddens2, is_training=True):
        super().__init__()
        self.num_inputs = num_inputs
        self.training = is_training
        self.lin1 = nn.Linear(num_inputs, num_hiddens1)
        self.lin2 = nn.Linear(num_hiddens1, num_hiddens2)
        self.lin3 = nn.Linear(num_hiddens2, num_outputs)
        self.relu = nn.ReLU()

    def forward(self, X):
        H1 = self.relu(self.lin1(X.reshape((-1, self.num_inputs))))
        if self.training:
            H1 = dropout_layer(H1, dropout1)
        H2 = self.relu(self.lin2(H1))
        if self.training:
            H2 = dropout_layer(H2, dropout2)
        out = self.lin3(H2)
        return out


net = Net(num_inputs, num_outputs, num_hiddens1, num_hiddens2)
digits = load_digits()
features = torch.tensor(digits.data, dtype=torch.float32) / 16
labels = torch.tensor(digits.target)
train_iter = data.DataLoader(data.TensorDataset(features[:1000], labels[:1000]), batch_size=50, shuffle=True)


def train(net, num_epochs, lr):
    loss = nn.CrossEntropyLoss()
    trainer = torch.optim.SGD(net.parameters(), lr=lr)
    for epoch in range(num_epochs):
        net.train()
        total = 0.0
        for X, y in train_iter:
            l = loss(net(X), y)
            trainer.zero_grad()
            l.backward()
            trainer.step()
            total += l.item() * len(y)
        net.eval()
        with torch.no_grad():
            acc = (net(features[1000:]).argmax(1) == labels[1000:]).float().mean()
        print(f"epoch {epoch + 1}, train loss {total / 1000:.4f}, test acc {acc:.4f}")


train(net, 2, 0.5)

net = nn.Sequential(nn.Flatten(),
                    nn.Linear(64, 64),
                    nn.ReLU(),
                    nn.Dropout(dropout1),
                    nn.Linear(64, 64),
                    nn.ReLU(),
                    nn.Dropout(dropout2),
                    nn.Linear(64, 10))


def init_weights(m):
    if type(m) == nn.Linear:
        nn.init.normal_(m.weight, std=0.01)


net.apply(init_weights)
print(net)
print(net[3], net[3].p, net[3].training)
drop = nn.Dropout(0.5)
print(drop(torch.ones(2, 6)))
drop.eval()
print(drop(torch.ones(2, 6)))
print(torch.nn.functional.dropout(torch.ones(8), p=0.25, training=True))
train(net, 2, 0.5)
