"""LeNet (Dive into Deep Learning 7.6), shrunk to the 8x8 digits: two 3x3 convolutions with average
pooling, then three fully connected layers; Xavier initialization; SGD with momentum and a cosine
learning-rate schedule.

Written against PyTorch's API; only the imports name chaingrad. Prints the test accuracy.
"""
import chaingrad as torch
from chaingrad import nn
from chaingrad.datasets import digits  # the data: scikit-learn's 8x8 digits
from chaingrad.utils import data

torch.manual_seed(0)

net = nn.Sequential(
    nn.Conv2d(1, 6, kernel_size=3, padding=1), nn.ReLU(),
    nn.AvgPool2d(kernel_size=2, stride=2),
    nn.Conv2d(6, 16, kernel_size=3, padding=1), nn.ReLU(),
    nn.AvgPool2d(kernel_size=2, stride=2),
    nn.Flatten(),
    nn.Linear(16 * 2 * 2, 120), nn.ReLU(),
    nn.Linear(120, 84), nn.ReLU(),
    nn.Linear(84, 10))

X = torch.rand(size=(1, 1, 8, 8), dtype=torch.float32)
for layer in net:
    X = layer(X)
    print(layer.__class__.__name__, "output shape: \t", X.shape)


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


def init_weights(m):
    if type(m) == nn.Linear or type(m) == nn.Conv2d:
        nn.init.xavier_uniform_(m.weight)


net.apply(init_weights)
batch_size, lr, num_epochs = 32, 0.1, 20
train_iter, test_iter = load_data_digits(batch_size)
optimizer = torch.optim.SGD(net.parameters(), lr=lr, momentum=0.9)
scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=num_epochs)
loss = nn.CrossEntropyLoss(reduction="none")
train(net, train_iter, test_iter, loss, num_epochs, optimizer, scheduler)
print(f"test accuracy: {evaluate_accuracy(net, test_iter):.3f}")
