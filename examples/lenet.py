"""LeNet (Dive into Deep Learning 7.6), shrunk to the 8x8 digits: two 3x3 convolutions with average
pooling, then three fully connected layers; Xavier initialization; SGD with momentum and a cosine
learning-rate schedule.

Written against PyTorch's API; only the imports name chaingrad. Prints the test accuracy.
"""
import chaingrad as torch
from chaingrad import nn

from d2l_digits import evaluate_accuracy, load_data_digits, train  # the textbook's helpers

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
