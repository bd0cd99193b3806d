"""Weight decay (Dive into Deep Learning 3.7): a 200-dimensional linear regression fitted on only 20
examples overfits; an L2 penalty (SGD's weight_decay on the weights' parameter group) fixes it. (On the 8x8
digits a linear classifier gains nothing measurable from weight decay, so this one keeps the textbook's
synthetic data; dropout.py regularizes a digits MLP.)

Written against PyTorch's API; only the imports name chaingrad. Prints the test losses.
"""
import chaingrad as torch
from chaingrad import nn
from chaingrad.utils import data

torch.manual_seed(0)


def synthetic_data(w, b, num_examples):
    """y = Xw + b + noise (d2l 3.2)."""
    X = torch.normal(0, 1, (num_examples, len(w)))
    y = torch.matmul(X, w) + b
    y += torch.normal(0, 0.01, y.shape)
    return X, y.reshape((-1, 1))


def load_array(data_arrays, batch_size, is_train=True):
    dataset = data.TensorDataset(*data_arrays)
    return data.DataLoader(dataset, batch_size, shuffle=is_train)


n_train, n_test, num_inputs, batch_size = 20, 100, 200, 5
true_w, true_b = torch.ones((num_inputs, 1)) * 0.01, 0.05
train_data = synthetic_data(true_w.reshape(-1), true_b, n_train)
train_iter = load_array(train_data, batch_size)
test_data = synthetic_data(true_w.reshape(-1), true_b, n_test)
test_iter = load_array(test_data, batch_size, is_train=False)


def evaluate_loss(net, data_iter, loss):
    total, n = 0.0, 0
    with torch.no_grad():
        for X, y in data_iter:
            total += float(loss(net(X), y).sum())
            n += y.numel()
    return total / n


def train_concise(wd, num_epochs=100, lr=0.003):
    net = nn.Sequential(nn.Linear(num_inputs, 1))
    for param in net.parameters():
        param.data.normal_()
    loss = nn.MSELoss(reduction="none")
    # the bias is not decayed: two parameter groups
    trainer = torch.optim.SGD([{"params": net[0].weight, "weight_decay": wd}, {"params": net[0].bias}], lr=lr)
    for _ in range(num_epochs):
        for X, y in train_iter:
            trainer.zero_grad()
            l = loss(net(X), y)
            l.mean().backward()
            trainer.step()
    train_loss, test_loss = evaluate_loss(net, train_iter, loss), evaluate_loss(net, test_iter, loss)
    print(f"wd {wd}: L2 norm of w {net[0].weight.norm().item():.3f}, train loss {train_loss:.4f}, "
          f"test loss {test_loss:.4f}")
    return test_loss


loss_plain = train_concise(0)
loss_decay = train_concise(3)
print(f"regression test loss without weight decay {loss_plain:.3f}, with {loss_decay:.3f}")
