"""The textbook's reusable helpers (what ``from d2l import torch as d2l`` provides), on the 8x8 digits:
the data loaders, the accuracy count, its evaluation over a data set, and d2l's ``train_ch3`` loop.

Written against PyTorch's API; only the imports name chaingrad. The example programs import it.
"""
import chaingrad as torch
from chaingrad import nn
from chaingrad.datasets import digits  # the data: scikit-learn's 8x8 digits
from chaingrad.utils import data


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
