"""Concise softmax regression (Dive into Deep Learning 4.5), on the 8x8 digits.

Written against PyTorch's API; only the imports name chaingrad. Prints the test accuracy.
"""
import chaingrad as torch
from chaingrad import nn
from chaingrad.datasets import digits  # the data: scikit-learn's 8x8 digits
from chaingrad.utils import data

torch.manual_seed(0)


def load_data_digits(batch_size):
    """(train_iter, test_iter) over (N, 1, 8, 8) images in [0, 1] and their labels."""
    train, test = digits()

    def loader(ds, shuffle):
        X, y = (torch.tensor(t.numpy()) for t in ds.tensors)
        return data.DataLoader(data.TensorDataset(X, y), batch_size, shuffle=shuffle)

    return loader(train, True), loader(test, False)


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


def accuracy(y_hat, y):
    return float((y_hat.argmax(axis=1).type(y.dtype) == y).type(y.dtype).sum())


def evaluate_accuracy(net, data_iter):
    net.eval()
    correct, total = 0.0, 0
    with torch.no_grad():
        for X, y in data_iter:
            correct += accuracy(net(X), y)
            total += y.numel()
    return correct / total


num_epochs = 10
for epoch in range(num_epochs):
    net.train()
    loss_sum, correct, n = 0.0, 0.0, 0
    for X, y in train_iter:
        y_hat = net(X)
        l = loss(y_hat, y)
        trainer.zero_grad()
        l.mean().backward()
        trainer.step()
        loss_sum += float(l.sum())
        correct += accuracy(y_hat, y)
        n += y.numel()
    test_acc = evaluate_accuracy(net, test_iter)
    print(f"epoch {epoch + 1}, loss {loss_sum / n:.3f}, train acc {correct / n:.3f}, test acc {test_acc:.3f}")

print(f"test accuracy: {evaluate_accuracy(net, test_iter):.3f}")
