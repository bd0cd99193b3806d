"""Dropout (Dive into Deep Learning 5.6), on the 8x8 digits: dropout from scratch, then nn.Dropout.

Written against PyTorch's API; only the imports name chaingrad. Prints the test accuracy.
"""
import chaingrad as torch
from chaingrad import nn
from chaingrad.datasets import digits  # the data: scikit-learn's 8x8 digits
from chaingrad.utils import data

torch.manual_seed(0)


def dropout_layer(X, dropout):
    assert 0 <= dropout <= 1
    if dropout == 1:  # all elements are dropped
        return torch.zeros_like(X)
    if dropout == 0:  # all elements are kept
        return X
    mask = (torch.rand(X.shape) > dropout).float()
    return mask * X / (1.0 - dropout)


X = torch.arange(16, dtype=torch.float32).reshape((2, 8))
print(X)
print(dropout_layer(X, 0.0))
print(dropout_layer(X, 0.5))
print(dropout_layer(X, 1.0))


def load_data_digits(batch_size):
    """(train_iter, test_iter) over (N, 1, 8, 8) images in [0, 1] and their labels."""
    train, test = digits()

    def loader(ds, shuffle):
        X, y = (torch.tensor(t.numpy()) for t in ds.tensors)
        return data.DataLoader(data.TensorDataset(X, y), batch_size, shuffle=shuffle)

    return loader(train, True), loader(test, False)


def accuracy(y_hat, y):
    """The number of correct predictions."""
    return float((y_hat.argmax(axis=1).type(y.dtype) == y).type(y.dtype).sum())


def evaluate_accuracy(net, data_iter):
    if isinstance(net, nn.Module):
        net.eval()
    correct, total = 0.0, 0
    with torch.no_grad():
        for X, y in data_iter:
            correct += accuracy(net(X), y)
            total += y.numel()
    return correct / total


def train(net, train_iter, test_iter, loss, num_epochs, updater, scheduler=None):
    """d2l's train_ch3: one line per epoch with the loss, train and test accuracy."""
    for epoch in range(num_epochs):
        if isinstance(net, nn.Module):
            net.train()
        loss_sum, correct, n = 0.0, 0.0, 0
        for X, y in train_iter:
            y_hat = net(X)
            l = loss(y_hat, y)
            if isinstance(updater, torch.optim.Optimizer):
                updater.zero_grad()
                l.mean().backward()
                updater.step()
            else:
                l.sum().backward()
                updater(X.shape[0])
            loss_sum += float(l.sum())
            correct += accuracy(y_hat, y)
            n += y.numel()
        if scheduler is not None:
            scheduler.step()
        test_acc = evaluate_accuracy(net, test_iter)
        print(f"epoch {epoch + 1}, loss {loss_sum / n:.3f}, train acc {correct / n:.3f}, test acc {test_acc:.3f}")
    return test_acc


dropout1, dropout2 = 0.2, 0.5
net = nn.Sequential(nn.Flatten(),
                    nn.Linear(64, 256), nn.ReLU(), nn.Dropout(dropout1),  # dropout after the first hidden layer
                    nn.Linear(256, 256), nn.ReLU(), nn.Dropout(dropout2),  # and after the second
                    nn.Linear(256, 10))


def init_weights(m):
    if type(m) == nn.Linear:
        nn.init.normal_(m.weight, std=0.01)


net.apply(init_weights)
print(net)

num_epochs, lr, batch_size = 30, 0.1, 32
loss = nn.CrossEntropyLoss(reduction="none")
train_iter, test_iter = load_data_digits(batch_size)
trainer = torch.optim.SGD(net.parameters(), lr=lr, momentum=0.9)
train(net, train_iter, test_iter, loss, num_epochs, trainer)
print(f"test accuracy: {evaluate_accuracy(net, test_iter):.3f}")
