# tolerance: rtol=1e-6 atol=0 -- float32 exp: NumPy's vectorized exp and PyTorch's differ by one unit in the
# last place for some inputs (exp(12) prints 162754.7812 under NumPy's, 162754.7969 under PyTorch's).
"""Dive into Deep Learning, data manipulation: arange and reshape, zeros/ones/randn, element-wise operators,
concatenation, comparison, sums, broadcasting, indexing and slicing, saving memory with in-place updates,
and conversion to NumPy and Python scalars."""

import torch

x = torch.arange(12, dtype=torch.float32)
print(x)
print(x.numel())
print(x.shape)
X = x.reshape(3, 4)
print(X)
print(x.reshape(-1, 4).shape, x.reshape(3, -1).shape)
print(torch.zeros((2, 3, 4)))
print(torch.ones((2, 3, 4)))
torch.manual_seed(0)
print(torch.randn(3, 4))
print(torch.tensor([[2, 1, 4, 3], [1, 2, 3, 4], [4, 3, 2, 1]]))

print(X[-1], X[1:3])
X[1, 2] = 17
print(X)
X[:2, :] = 12
print(X)

print(torch.exp(x))
x = torch.tensor([1.0, 2, 4, 8])
y = torch.tensor([2, 2, 2, 2])
print(x + y, x - y, x * y, x / y, x ** y)

X = torch.arange(12, dtype=torch.float32).reshape((3, 4))
Y = torch.tensor([[2.0, 1, 4, 3], [1, 2, 3, 4], [4, 3, 2, 1]])
print(torch.cat((X, Y), dim=0))
print(torch.cat((X, Y), dim=1))
print(X == Y)
print(X.sum())

a = torch.arange(3).reshape((3, 1))
b = torch.arange(2).reshape((1, 2))
print(a, b)
print(a + b)

before = id(Y)
Y = Y + X
print(id(Y) == before)
Z = torch.zeros_like(Y)
before_z = id(Z)
Z[:] = X + Y
print(id(Z) == before_z)
before = id(X)
X += Y
print(id(X) == before)

A = X.numpy()
B = torch.from_numpy(A)
print(type(A).__name__, type(B).__name__)
a = torch.tensor([3.5])
print(a, a.item(), float(a), int(a))
print(torch.arange(6).reshape(2, 3).T.contiguous().view(-1))
print(X.float().mean(), X.mean(dim=0), X.max(), X.argmax())
print(X.max(dim=1))
values, indices = torch.max(X, 0)
print(values, indices)
