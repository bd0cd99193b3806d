"""A multilayer perceptron from scratch (Dive into Deep Learning 5.2), on the 8x8 digits.

Written against PyTorch's API; only the imports name chaingrad. Prints the test accuracy.
"""
import chaingrad as torch
from chaingrad import nn

from d2l_digits import evaluate_accuracy, load_data_digits, train  # the textbook's helpers

torch.manual_seed(0)


batch_size = 32
train_iter, test_iter = load_data_digits(batch_size)

num_inputs, num_outputs, num_hiddens = 64, 10, 256
W1 = nn.Parameter(torch.randn(num_inputs, num_hiddens, requires_grad=True) * 0.01)
b1 = nn.Parameter(torch.zeros(num_hiddens, requires_grad=True))
W2 = nn.Parameter(torch.randn(num_hiddens, num_outputs, requires_grad=True) * 0.01)
b2 = nn.Parameter(torch.zeros(num_outputs, requires_grad=True))
params = [W1, b1, W2, b2]


def relu(X):
    a = torch.zeros_like(X)
    return torch.max(X, a)


def net(X):
    X = X.reshape((-1, num_inputs))
    H = relu(X @ W1 + b1)  # "@" is matrix multiplication
    return H @ W2 + b2


loss = nn.CrossEntropyLoss(reduction="none")
num_epochs, lr = 20, 0.3
updater = torch.optim.SGD(params, lr=lr)
train(net, train_iter, test_iter, loss, num_epochs, updater)
print(f"test accuracy: {evaluate_accuracy(net, test_iter):.3f}")
