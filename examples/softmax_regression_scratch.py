"""Softmax regression from scratch (Dive into Deep Learning 4.4), on the 8x8 digits.

Written against PyTorch's API; only the imports name chaingrad. Prints the test accuracy.
"""
import chaingrad as torch

from d2l_digits import load_data_digits  # the textbook's data loader

torch.manual_seed(0)


batch_size = 32
train_iter, test_iter = load_data_digits(batch_size)

num_inputs, num_outputs = 64, 10
W = torch.normal(0, 0.01, size=(num_inputs, num_outputs), requires_grad=True)
b = torch.zeros(num_outputs, requires_grad=True)


def softmax(X):
    X_exp = torch.exp(X)
    partition = X_exp.sum(1, keepdim=True)
    return X_exp / partition


def net(X):
    return softmax(torch.matmul(X.reshape((-1, W.shape[0])), W) + b)


def cross_entropy(y_hat, y):
    return -torch.log(y_hat[range(len(y_hat)), y])


def accuracy(y_hat, y):
    """The number of correct predictions."""
    y_hat = y_hat.argmax(axis=1)
    cmp = y_hat.type(y.dtype) == y
    return float(cmp.type(y.dtype).sum())


def evaluate_accuracy(net, data_iter):
    correct, total = 0.0, 0
    with torch.no_grad():
        for X, y in data_iter:
            correct += accuracy(net(X), y)
            total += y.numel()
    return correct / total


def sgd(params, lr, batch_size):
    """Minibatch stochastic gradient descent."""
    with torch.no_grad():
        for param in params:
            param -= lr * param.grad / batch_size
            param.grad.zero_()


lr, num_epochs = 0.5, 10


def updater(batch_size):
    return sgd([W, b], lr, batch_size)


for epoch in range(num_epochs):
    loss_sum, correct, n = 0.0, 0.0, 0
    for X, y in train_iter:
        y_hat = net(X)
        l = cross_entropy(y_hat, y)
        l.sum().backward()
        updater(X.shape[0])
        loss_sum += float(l.sum())
        correct += accuracy(y_hat, y)
        n += y.numel()
    test_acc = evaluate_accuracy(net, test_iter)
    print(f"epoch {epoch + 1}, loss {loss_sum / n:.3f}, train acc {correct / n:.3f}, test acc {test_acc:.3f}")

print(f"test accuracy: {evaluate_accuracy(net, test_iter):.3f}")
