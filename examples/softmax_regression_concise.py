"""Concise softmax regression (Dive into Deep Learning 4.5), on the 8x8 digits.

Written against PyTorch's API; only the imports name chaingrad. Prints the test accuracy.
"""
import chaingrad as torch
from chaingrad import nn

from d2l_digits import evaluate_accuracy, load_data_digits, train  # the textbook's helpers

torch.manual_seed(0)

batch_size = 32
train_iter, test_iter = load_data_digits(batch_size)

net = nn.Sequential(nn.Flatten(), nn.Linear(64, 10))


def init_weights(m):
    if type(m) == nn.Linear:
        nn.init.normal_(m.weight, std=0.01)


net.apply(init_weights)
print(net)

loss = nn.CrossEntropyLoss(reduction="none")
trainer = torch.optim.SGD(net.parameters(), lr=0.5)

num_epochs = 10
train(net, train_iter, test_iter, loss, num_epochs, trainer)
print(f"test accuracy: {evaluate_accuracy(net, test_iter):.3f}")
