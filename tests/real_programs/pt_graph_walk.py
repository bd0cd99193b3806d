# tolerance: rtol=1e-5 atol=1e-6 -- float32 matrix products and log-softmax: NumPy's and PyTorch's kernels
# differ in the last bit.
"""Autograd mechanics, as the tutorials show them: print loss.grad_fn, walk loss.grad_fn.next_functions down
to the AccumulateGrad leaves of a small classifier, look at the leaf each AccumulateGrad holds, use a tensor
hook and retain_grad, and see what is_leaf, requires_grad and grad_fn say along the way."""

import torch
import torch.nn.functional as F
from torch import nn

torch.manual_seed(0)
model = nn.Sequential(nn.Linear(4, 5), nn.Tanh(), nn.Linear(5, 3))
x = torch.randn(6, 4)
target = torch.tensor([0, 2, 1, 1, 0, 2])
logits = model(x)
loss = nn.CrossEntropyLoss()(logits, target)
print(loss)
print(loss.grad_fn)
print(loss.grad_fn.name())


def walk(fn, depth=0):
    if fn is None:
        return
    extra = ""
    if hasattr(fn, "variable"):
        extra = f" -> leaf of shape {tuple(fn.variable.shape)}"
    print("  " * depth + type(fn).__name__ + extra)
    for next_fn, _ in fn.next_functions:
        walk(next_fn, depth + 1)


walk(loss.grad_fn)

hidden = model[1](model[0](x))
hidden.retain_grad()
grads = []
hidden.register_hook(lambda g: grads.append(g.norm().item()))
out = model[2](hidden)
loss = F.cross_entropy(out, target)
loss.backward()
print(f"hook saw gradient norm {grads[0]:.6f}, retained grad norm {hidden.grad.norm().item():.6f}")
print(hidden.is_leaf, hidden.requires_grad, hidden.grad_fn.name())
print(model[0].weight.is_leaf, model[0].weight.grad_fn, model[0].weight.grad.shape)

a = torch.tensor([2.0, 3.0], requires_grad=True)
b = torch.tensor([6.0, 4.0], requires_grad=True)
Q = 3 * a ** 3 - b ** 2
print(Q.grad_fn.name(), [type(f).__name__ for f, _ in Q.grad_fn.next_functions])
external_grad = torch.tensor([1.0, 1.0])
Q.backward(gradient=external_grad)
print(9 * a ** 2 == a.grad)
print(-2 * b == b.grad)

x = torch.rand(5, 5)
y = torch.rand(5, 5)
z = torch.rand((5, 5), requires_grad=True)
a = x + y
print(f"Does `a` require gradients?: {a.requires_grad}")
b = x + z
print(f"Does `b` require gradients?: {b.requires_grad}")

s = (x[0] * z[:2].sum()).max()
print(s.grad_fn.name(), [type(f).__name__ for f, _ in s.grad_fn.next_functions[0][0].next_functions])
m = F.mse_loss(z, y)
print(m.grad_fn.name(), [type(f).__name__ for f, _ in m.grad_fn.next_functions])
