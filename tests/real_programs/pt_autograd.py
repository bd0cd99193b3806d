# tolerance: rtol=1e-5 atol=1e-6 -- a float32 matrix product and the exp/log inside the logistic loss: NumPy's
# and PyTorch's kernels differ in the last bit, which can move the last printed digit.
"""Automatic differentiation with autograd: a one-layer network with a logistic loss, its grad_fn nodes, the
gradients of the weights, turning tracking off, and vector-Jacobian products."""

import torch

torch.manual_seed(0)
x = torch.ones(5)  # input tensor
y = torch.zeros(3)  # expected output
w = torch.randn(5, 3, requires_grad=True)
b = torch.randn(3, requires_grad=True)
z = torch.matmul(x, w) + b
loss = torch.nn.functional.binary_cross_entropy_with_logits(z, y)

print(f"Gradient function for z = {z.grad_fn}")
print(f"Gradient function for loss = {loss.grad_fn}")
print("z.grad_fn name:", type(z.grad_fn).__name__)
print("loss.grad_fn name:", type(loss.grad_fn).__name__)
print("next functions of z:", [type(f).__name__ for f, _ in z.grad_fn.next_functions])

loss.backward()
print(w.grad)
print(b.grad)
print(f"loss = {loss.item():.6f}")

z = torch.matmul(x, w) + b
print(z.requires_grad)

with torch.no_grad():
    z = torch.matmul(x, w) + b
print(z.requires_grad)

z = torch.matmul(x, w) + b
z_det = z.detach()
print(z_det.requires_grad)

inp = torch.eye(4, 5, requires_grad=True)
out = (inp + 1).pow(2).t()
out.backward(torch.ones_like(out), retain_graph=True)
print(f"First call\n{inp.grad}")
out.backward(torch.ones_like(out), retain_graph=True)
print(f"\nSecond call\n{inp.grad}")
inp.grad.zero_()
out.backward(torch.ones_like(out), retain_graph=True)
print(f"\nCall after zeroing gradients\n{inp.grad}")
