# tolerance: rtol=1e-4 atol=1e-6 -- float32 matrix products of 64x1000 by 1000x100: BLAS rounding differs
# between NumPy and PyTorch, and 50 gradient steps carry the difference.
"""Learning PyTorch with examples, the original two-layer network: the legacy style with dtype =
torch.FloatTensor and .type(dtype), the backward pass by hand with mm, t(), clone and a boolean mask, then the
same network with autograd.Variable, and LongTensor/IntTensor/DoubleTensor constructors."""

import torch
from torch.autograd import Variable

dtype = torch.FloatTensor
N, D_in, H, D_out = 64, 1000, 100, 10

torch.manual_seed(0)
x = torch.randn(N, D_in).type(dtype)
y = torch.randn(N, D_out).type(dtype)
w1 = torch.randn(D_in, H).type(dtype)
w2 = torch.randn(H, D_out).type(dtype)
print(x.type(), w1.type(), x.dtype)

learning_rate = 1e-6
for t in range(50):
    h = x.mm(w1)
    h_relu = h.clamp(min=0)
    y_pred = h_relu.mm(w2)

    loss = (y_pred - y).pow(2).sum()
    if t % 10 == 9:
        print(t, f"{loss.item():.3f}")

    grad_y_pred = 2.0 * (y_pred - y)
    grad_w2 = h_relu.t().mm(grad_y_pred)
    grad_h_relu = grad_y_pred.mm(w2.t())
    grad_h = grad_h_relu.clone()
    grad_h[h < 0] = 0
    grad_w1 = x.t().mm(grad_h)

    w1 -= learning_rate * grad_w1
    w2 -= learning_rate * grad_w2

x = Variable(torch.randn(N, D_in).type(dtype), requires_grad=False)
y = Variable(torch.randn(N, D_out).type(dtype), requires_grad=False)
w1 = Variable(torch.randn(D_in, H).type(dtype), requires_grad=True)
w2 = Variable(torch.randn(H, D_out).type(dtype), requires_grad=True)
print(type(w1).__name__, w1.requires_grad, x.requires_grad)

for t in range(50):
    y_pred = x.mm(w1).clamp(min=0).mm(w2)
    loss = (y_pred - y).pow(2).sum()
    if t % 10 == 9:
        print(t, f"{loss.item():.3f}")
    loss.backward()
    w1.data -= learning_rate * w1.grad.data
    w2.data -= learning_rate * w2.grad.data
    w1.grad.data.zero_()
    w2.grad.data.zero_()

print(torch.LongTensor([1, 2, 3]), torch.IntTensor([4, 5]).dtype)
print(torch.DoubleTensor([[0.5, 1.5]]), torch.FloatTensor(2, 3).shape)
print(torch.BoolTensor([True, False]), torch.ByteTensor([1, 255]))
print(torch.Tensor([1, 2]).dtype, torch.Tensor(3).shape)
