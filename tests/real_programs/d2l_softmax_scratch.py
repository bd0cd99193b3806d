# tolerance: rtol=1e-4 atol=1e-6 -- float32 matrix products (BLAS rounding differs between NumPy and
# PyTorch) and sums of exponentials, carried through three epochs of minibatch SGD.
"""Dive into Deep Learning, softmax regression from scratch: the softmax with keepdim sums, picking
probabilities with y_hat[range(n), y], the cross-entropy, accuracy with an Accumulator, and training by
minibatch SGD on the 8x8 digits from a shuffled DataLoader."""

import torch
from sklearn.datasets import load_digits
from torch.utils import data

torch.manual_seed(0)
X = torch.normal(0, 1, (2, 5))


def softmax(X):
    X_exp = torch.exp(X)
    partition = X_exp.sum(1, keepdim=True)
    return X_exp / partition


X_prob = softmax(X)
print(X_prob, X_prob.sum(1))

y = torch.tensor([0, 2])
y_hat = torch.tensor([[0.1, 0.3, 0.6], [0.3, 0.2, 0.5]])
print(y_hat[[0, 1], y])


def cross_entropy(y_hat, y):
    return -torch.log(y_hat[range(len(y_hat)), y])


print(cross_entropy(y_hat, y))


def accuracy(y_hat, y):
    """Compute the number of correct predictions."""
    if len(y_hat.shape) > 1 and y_hat.shape[1] > 1:
        y_hat = y_hat.argmax(axis=1)
    cmp = y_hat.type(y.dtype) == y
    return float(cmp.type(y.dtype).sum())


print(accuracy(y_hat, y) / len(y))


class Accumulator:
    """For accumulating sums over `n` variables."""

    def __init__(self, n):
        self.data = [0.0] * n

    def add(self, *args):
        self.data = [a + float(b) for a, b in zip(self.data, args)]

    def reset(self):
        self.data = [0.0] * len(self.data)

    def __getitem__(self, idx):
        return self.data[idx]


digits = load_digits()
features = torch.tensor(digits.data, dtype=torch.float32) / 16
labels = torch.tensor(digits.target)
train_iter = data.DataLoader(data.TensorDataset(features[:1500], labels[:1500]), batch_size=64, shuffle=True)
test_iter = data.DataLoader(data.TensorDataset(features[1500:], labels[1500:]), batch_size=64, shuffle=False)

num_inputs = 64
num_outputs = 10
W = torch.normal(0, 0.01, size=(num_inputs, num_outputs), requires_grad=True)
b = torch.zeros(num_outputs, requires_grad=True)


def net(X):
    return softmax(torch.matmul(X.reshape((-1, W.shape[0])), W) + b)


def evaluate_accuracy(net, data_iter):
    metric = Accumulator(2)
    with torch.no_grad():
        for X, y in data_iter:
            metric.add(accuracy(net(X), y), y.numel())
    return metric[0] / metric[1]


print(f"untrained accuracy {evaluate_accuracy(net, test_iter):.4f}")


def sgd(params, lr, batch_size):
    with torch.no_grad():
        for param in params:
            param -= lr * param.grad / batch_size
            param.grad.zero_()


lr = 0.5
for epoch in range(3):
    metric = Accumulator(3)
    for X, y in train_iter:
        y_hat = net(X)
        l = cross_entropy(y_hat, y)
        l.sum().backward()
        sgd([W, b], lr, X.shape[0])
        metric.add(float(l.sum()), accuracy(y_hat, y), y.numel())
    test_acc = evaluate_accuracy(net, test_iter)
    print(f"epoch {epoch + 1}, loss {metric[0] / metric[2]:.4f}, train acc {metric[1] / metric[2]:.4f}, "
          f"test acc {test_acc:.4f}")

X, y = next(iter(test_iter))
preds = net(X).argmax(axis=1)
print("labels:", y[:10].tolist())
print("preds: ", preds[:10].tolist())
