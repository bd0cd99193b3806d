"""Concise multilayer perceptron (Dive into Deep Learning 5.2), on the 8x8 digits.

Written against PyTorch's API; only the imports name chaingrad. Prints the test accuracy.
"""
import chaingrad as torch
from chaingrad import nn

from d2l_digits import evaluate_accuracy, load_data_digits, train  # the textbook's helpers

torch.manual_seed(0)


net = nn.Sequential(nn.Flatten(), nn.Linear(64, 256), nn.ReLU(), nn.Linear(256, 10))


def init_weights(m):
    if type(m) == nn.Linear:
        nn.init.normal_(m.weight, std=0.01)


net.apply(init_weights)
print(net)

batch_size, lr, num_epochs = 32, 0.3, 20
loss = nn.CrossEntropyLoss(reduction="none")
trainer = torch.optim.SGD(net.parameters(), lr=lr)
train_iter, test_iter = load_data_digits(batch_size)
train(net, train_iter, test_iter, loss, num_epochs, trainer)
print(f"test accuracy: {evaluate_accuracy(net, test_iter):.3f}")
