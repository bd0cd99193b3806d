"""PyTorch docs, Extending PyTorch / Autograd mechanics / the hooks tutorial: custom autograd Functions in both
styles (forward with ctx, and forward plus setup_context), save_for_backward of inputs and outputs,
needs_input_grad, mark_non_differentiable, mark_dirty, once_differentiable, gradcheck of a custom Function,
tensor hooks, retain_grad, module forward/backward hooks, and a gradient penalty with create_graph."""

import torch
from torch import nn
from torch.autograd import Function
from torch.autograd.function import once_differentiable


class LinearFunction(Function):
    @staticmethod
    def forward(ctx, input, weight, bias=None):
        ctx.save_for_backward(input, weight, bias)
        output = input.mm(weight.t())
        if bias is not None:
            output += bias.unsqueeze(0).expand_as(output)
        return output

    @staticmethod
    def backward(ctx, grad_output):
        input, weight, bias = ctx.saved_tensors
        grad_input = grad_weight = grad_bias = None
        if ctx.needs_input_grad[0]:
            grad_input = grad_output.mm(weight)
        if ctx.needs_input_grad[1]:
            grad_weight = grad_output.t().mm(input)
        if bias is not None and ctx.needs_input_grad[2]:
            grad_bias = grad_output.sum(0)
        return grad_input, grad_weight, grad_bias


class MulConstant(Function):
    @staticmethod
    def forward(tensor, constant):
        return tensor * constant

    @staticmethod
    def setup_context(ctx, inputs, output):
        _, constant = inputs
        ctx.constant = constant

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output * ctx.constant, None


class Exp(Function):
    @staticmethod
    def forward(ctx, i):
        result = i.exp()
        ctx.save_for_backward(result)
        return result

    @staticmethod
    def backward(ctx, grad_output):
        (result,) = ctx.saved_tensors
        return grad_output * result


class SortWithIndices(Function):
    @staticmethod
    def forward(ctx, x):
        values, idx = x.sort()
        ctx.mark_non_differentiable(idx)
        ctx.save_for_backward(idx)
        return values, idx

    @staticmethod
    @once_differentiable
    def backward(ctx, g, _g_idx):
        (idx,) = ctx.saved_tensors
        grad = torch.zeros_like(g)
        grad.scatter_(0, idx, g)
        return grad


class AddOneInPlace(Function):
    @staticmethod
    def forward(ctx, x):
        x.add_(1)
        ctx.mark_dirty(x)
        return x

    @staticmethod
    def backward(ctx, g):
        return g


torch.manual_seed(0)
x = torch.randn(4, 3, dtype=torch.double, requires_grad=True)
w = torch.randn(2, 3, dtype=torch.double, requires_grad=True)
b = torch.randn(2, dtype=torch.double, requires_grad=True)
out = LinearFunction.apply(x, w, b)
out.sum().backward()
print(out, x.grad, w.grad, b.grad, sep="\n")
print(torch.autograd.gradcheck(LinearFunction.apply, (x, w, b), eps=1e-6, atol=1e-4))
print(type(out.grad_fn).__name__)

y = MulConstant.apply(x, 2.5)
y.sum().backward()
print(y.grad_fn.__class__.__name__, x.grad[0])

e = Exp.apply(torch.tensor([0.0, 1.0, 2.0], requires_grad=True))
print(e, e.grad_fn.__class__.__name__)

v = torch.tensor([3.0, 1.0, 2.0], requires_grad=True)
values, idx = SortWithIndices.apply(v)
print(values, idx, idx.requires_grad)
(values * torch.tensor([1.0, 10.0, 100.0])).sum().backward()
print(v.grad)

leaf = torch.tensor([1.0, 2.0], requires_grad=True)
z = leaf * 1
z2 = AddOneInPlace.apply(z)
print(z2 is z, z, z2.grad_fn.__class__.__name__)
z2.sum().backward()
print(leaf.grad)

a = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
h = a * 2
h.retain_grad()
seen = []
handle = h.register_hook(lambda g: seen.append(g.clone()) or g * 10)
(h ** 2).sum().backward()
print(seen, h.grad, a.grad, h.is_leaf, h.requires_grad)
handle.remove()

model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))
records = []
model[0].register_forward_hook(lambda m, inp, out: records.append(("fwd", tuple(out.shape))))
model[2].register_full_backward_hook(lambda m, gin, gout: records.append(("bwd", tuple(gout[0].shape))))
model[1].register_forward_pre_hook(lambda m, inp: records.append(("pre", tuple(inp[0].shape))))
inp = torch.randn(5, 3, requires_grad=True)
model(inp).sum().backward()
print(records)

real = torch.randn(6, 3, requires_grad=True)
score = model(real)
(grad,) = torch.autograd.grad(score.sum(), real, create_graph=True)
penalty = ((grad.norm(2, dim=1) - 1) ** 2).mean()
penalty.backward()
print(round(penalty.item(), 6), model[0].weight.grad.shape, type(grad.grad_fn).__name__)
print(torch.autograd.grad((x ** 3).sum(), x, create_graph=True)[0].requires_grad)
