"""A recurrent network (Dive into Deep Learning 9.6, concise RNN) on a small sequence task: read each
8x8 digit one row at a time (8 steps of 8 pixels) and classify it from the last hidden state. Gradient
clipping as in d2l's grad_clipping, Adam as the optimizer.

Written against PyTorch's API; only the imports name chaingrad. Prints the test accuracy.
"""
import chaingrad as torch
import chaingrad.nn.functional as F
from chaingrad import nn

from d2l_digits import accuracy, evaluate_accuracy, load_data_digits  # the textbook's helpers

torch.manual_seed(0)


class RNNClassifier(nn.Module):
    """An nn.RNN over the rows, then a linear layer on the final hidden state."""

    def __init__(self, num_inputs, num_hiddens, num_classes):
        super().__init__()
        self.rnn = nn.RNN(num_inputs, num_hiddens, batch_first=True)
        self.output = nn.Linear(num_hiddens, num_classes)

    def forward(self, X):
        X = X.reshape((X.shape[0], 8, 8))  # (batch, time steps = rows, features = pixels of a row)
        outputs, state = self.rnn(X)
        return self.output(outputs[:, -1, :])


net = RNNClassifier(8, 64, 10)
print(net)
batch_size, lr, num_epochs = 32, 0.01, 20
train_iter, test_iter = load_data_digits(batch_size)
optimizer = torch.optim.Adam(net.parameters(), lr=lr)


def loss(y_hat, y):
    return F.cross_entropy(y_hat, y, reduction="none")


for epoch in range(num_epochs):
    net.train()
    loss_sum, correct, n = 0.0, 0.0, 0
    for X, y in train_iter:
        y_hat = net(X)
        l = loss(y_hat, y)
        optimizer.zero_grad()
        l.mean().backward()
        nn.utils.clip_grad_norm_(net.parameters(), max_norm=1.0)  # keep exploding gradients in check
        optimizer.step()
        loss_sum += float(l.sum())
        correct += accuracy(y_hat, y)
        n += y.numel()
    test_acc = evaluate_accuracy(net, test_iter)
    print(f"epoch {epoch + 1}, loss {loss_sum / n:.3f}, train acc {correct / n:.3f}, test acc {test_acc:.3f}")

print(f"test accuracy: {evaluate_accuracy(net, test_iter):.3f}")
