"""Textbook programs run unchanged with ``import chaingrad as torch``: d2l's "automatic differentiation"
chapter and "linear regression from scratch" print what they print under PyTorch (to float tolerance).

Random draws come from NumPy and are fed to both libraries, so the comparison does not depend on either
library's generator."""

from __future__ import annotations

import contextlib
import io
import random
import re

import numpy as np
import torch

import chaingrad

AUTOGRAD_CHAPTER = '''
x = torch.arange(4.0)
print(x)
x.requires_grad_(True)
print(x.grad)
y = 2 * torch.dot(x, x)
print(y)
y.backward()
print(x.grad)
print(x.grad == 4 * x)
x.grad.zero_()
y = x.sum()
y.backward()
print(x.grad)
x.grad.zero_()
y = x * x
y.backward(gradient=torch.ones(len(y)))
print(x.grad)
x.grad.zero_()
y = x * x
u = y.detach()
z = u * x
z.sum().backward()
print(x.grad == u)
x.grad.zero_()
y.sum().backward()
print(x.grad == 2 * x)

def f(a):
    b = a * 2
    while b.norm() < 1000:
        b = b * 2
    if b.sum() > 0:
        c = b
    else:
        c = 100 * b
    return c

for value in A_VALUES:
    a = torch.tensor(value, requires_grad=True)
    d = f(a)
    d.backward()
    print(a.grad == d / a)
    print(a.grad)
'''

LINEAR_REGRESSION = '''
def synthetic_data(w, b, num_examples):
    X = torch.tensor(NP_X)
    y = torch.matmul(X, w) + b
    y += torch.tensor(NP_NOISE)
    return X, y.reshape((-1, 1))

true_w = torch.tensor([2, -3.4])
true_b = 4.2
features, labels = synthetic_data(true_w, true_b, 1000)
print('features:', features[0], '\\nlabel:', labels[0])

def data_iter(batch_size, features, labels):
    num_examples = len(features)
    indices = list(range(num_examples))
    random.shuffle(indices)
    for i in range(0, num_examples, batch_size):
        batch_indices = torch.tensor(indices[i: min(i + batch_size, num_examples)])
        yield features[batch_indices], labels[batch_indices]

batch_size = 10
for X, y in data_iter(batch_size, features, labels):
    print(X, '\\n', y)
    break

w = torch.tensor(NP_W, requires_grad=True)
b = torch.zeros(1, requires_grad=True)

def linreg(X, w, b):
    return torch.matmul(X, w) + b

def squared_loss(y_hat, y):
    return (y_hat - y.reshape(y_hat.shape)) ** 2 / 2

def sgd(params, lr, batch_size):
    with torch.no_grad():
        for param in params:
            param -= lr * param.grad / batch_size
            param.grad.zero_()

lr = 0.03
num_epochs = 3
net = linreg
loss = squared_loss

for epoch in range(num_epochs):
    for X, y in data_iter(batch_size, features, labels):
        l = loss(net(X, w, b), y)
        l.sum().backward()
        sgd([w, b], lr, batch_size)
    with torch.no_grad():
        train_l = loss(net(features, w, b), labels)
        print(f'epoch {epoch + 1}, loss {float(train_l.mean()):f}')
print(f'w的估计误差: {true_w - w.reshape(true_w.shape)}')
print(f'b的估计误差: {true_b - b}')
'''

NUMBER = re.compile(r"-?\d+\.?\d*(?:e[+-]?\d+)?")


def run(code: str, lib, **names) -> str:
    out = io.StringIO()
    random.seed(0)
    with contextlib.redirect_stdout(out):
        exec(code, {"torch": lib, "random": random, **names})
    return out.getvalue().replace("torch.", "chaingrad.")


def assert_same_output(got: str, expected: str, rtol: float) -> None:
    """Same text; numbers equal to ``rtol`` (the last printed digit may differ in float32)."""
    assert NUMBER.sub("#", got) == NUMBER.sub("#", expected), f"{got}\n---- torch printed ----\n{expected}"
    a = np.array([float(v) for v in NUMBER.findall(got)])
    e = np.array([float(v) for v in NUMBER.findall(expected)])
    np.testing.assert_allclose(a, e, rtol=rtol, atol=2e-4)


def test_d2l_automatic_differentiation_chapter_prints_what_torch_prints():
    values = [0.7, -1.3, 2e-3]
    got = run(AUTOGRAD_CHAPTER, chaingrad, A_VALUES=values)
    expected = run(AUTOGRAD_CHAPTER, torch, A_VALUES=values)
    assert got == expected


def test_d2l_linear_regression_from_scratch_prints_what_torch_prints():
    rng = np.random.default_rng(0)
    names = dict(NP_X=rng.normal(0, 1, (1000, 2)).astype(np.float32),
                 NP_NOISE=rng.normal(0, 0.01, 1000).astype(np.float32),
                 NP_W=rng.normal(0, 0.01, (2, 1)).astype(np.float32))
    got = run(LINEAR_REGRESSION, chaingrad, **names)
    expected = run(LINEAR_REGRESSION, torch, **names)
    assert "epoch 3, loss" in got
    assert_same_output(got, expected, rtol=1e-3)
