"""Dropout (Dive into Deep Learning 5.6), on the 8x8 digits: dropout from scratch, then nn.Dropout.

Written against PyTorch's API; only the imports name chaingrad. Prints the test accuracy.
"""
import chaingrad as torch
from chaingrad import nn

from d2l_digits import evaluate_accuracy, load_data_digits, train  # the textbook's helpers

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
