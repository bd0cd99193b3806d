"""Neural Networks: Zero to Hero, lecture 1 (micrograd): a tiny scalar autograd engine built by hand, then the
same neuron checked with torch (double tensors, requires_grad set by hand, .data, .item(), .grad), and an MLP
of Value objects trained by hand next to the same MLP in torch from the same weights."""

import math
import random

import torch


class Value:
    def __init__(self, data, _children=(), _op=""):
        self.data, self.grad = data, 0.0
        self._backward = lambda: None
        self._prev, self._op = set(_children), _op

    def __add__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data + other.data, (self, other), "+")

        def _backward():
            self.grad += out.grad
            other.grad += out.grad
        out._backward = _backward
        return out

    def __mul__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data * other.data, (self, other), "*")

        def _backward():
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad
        out._backward = _backward
        return out

    def __pow__(self, k):
        out = Value(self.data ** k, (self,), f"**{k}")

        def _backward():
            self.grad += k * self.data ** (k - 1) * out.grad
        out._backward = _backward
        return out

    def __neg__(self):
        return self * -1

    def __sub__(self, other):
        return self + (-other)

    def __radd__(self, other):
        return self + other

    def __rmul__(self, other):
        return self * other

    def tanh(self):
        t = (math.exp(2 * self.data) - 1) / (math.exp(2 * self.data) + 1)
        out = Value(t, (self,), "tanh")

        def _backward():
            self.grad += (1 - t ** 2) * out.grad
        out._backward = _backward
        return out

    def backward(self):
        topo, visited = [], set()

        def build(v):
            if v not in visited:
                visited.add(v)
                for child in v._prev:
                    build(child)
                topo.append(v)
        build(self)
        self.grad = 1.0
        for node in reversed(topo):
            node._backward()


x1, x2, w1, w2, b = Value(2.0), Value(0.0), Value(-3.0), Value(1.0), Value(6.8813735870195432)
o = (x1 * w1 + x2 * w2 + b).tanh()
o.backward()
print("micrograd", round(o.data, 6), [round(v.grad, 6) for v in (x1, w1, x2, w2)])

x1 = torch.Tensor([2.0]).double()
x1.requires_grad = True
x2 = torch.Tensor([0.0]).double()
x2.requires_grad = True
w1 = torch.Tensor([-3.0]).double()
w1.requires_grad = True
w2 = torch.Tensor([1.0]).double()
w2.requires_grad = True
b = torch.Tensor([6.8813735870195432]).double()
b.requires_grad = True
n = x1 * w1 + x2 * w2 + b
o = torch.tanh(n)
print(o.data.item())
o.backward()
print("---")
print("x2", x2.grad.item())
print("w2", w2.grad.item())
print("x1", x1.grad.item())
print("w1", w1.grad.item())
print(o.grad_fn, o.dtype, x1.grad.dtype, n.grad_fn.next_functions[0][0].name())

random.seed(1337)
sizes = [3, 4, 4, 1]
weights = [[[random.uniform(-1, 1) for _ in range(nin)] for _ in range(nout)] for nin, nout in zip(sizes, sizes[1:])]
biases = [[random.uniform(-1, 1) for _ in range(nout)] for nout in sizes[1:]]
xs = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
ys = [1.0, -1.0, -1.0, 1.0]

params = [Value(w) for layer in weights for row in layer for w in row] + [Value(v) for layer in biases for v in layer]


def forward_values(x):
    k = 0
    wv, bv = [], []
    for layer, bl in zip(weights, biases):
        rows = []
        for row in layer:
            rows.append(params[k:k + len(row)])
            k += len(row)
        wv.append(rows)
    for bl in biases:
        bv.append(params[k:k + len(bl)])
        k += len(bl)
    h = [Value(v) for v in x]
    for rows, bias in zip(wv, bv):
        h = [sum((wi * hi for wi, hi in zip(row, h)), bj).tanh() for row, bj in zip(rows, bias)]
    return h[0]


tw = [torch.tensor(layer, dtype=torch.float64, requires_grad=True) for layer in weights]
tb = [torch.tensor(bl, dtype=torch.float64, requires_grad=True) for bl in biases]
X, Y = torch.tensor(xs, dtype=torch.float64), torch.tensor(ys, dtype=torch.float64)
for step in range(20):
    loss = sum(((forward_values(x) - y) ** 2 for x, y in zip(xs, ys)), Value(0.0))
    for p in params:
        p.grad = 0.0
    loss.backward()
    for p in params:
        p.data += -0.05 * p.grad

    h = X
    for w, bias in zip(tw, tb):
        h = torch.tanh(h @ w.T + bias)
    tloss = ((h.squeeze(1) - Y) ** 2).sum()
    for p in tw + tb:
        p.grad = None
    tloss.backward()
    with torch.no_grad():
        for p in tw + tb:
            p += -0.05 * p.grad
    if step % 5 == 0:
        print(step, round(loss.data, 10), round(tloss.item(), 10))
print([round(forward_values(x).data, 6) for x in xs])
print(h.detach().squeeze(1))
