# tolerance: rtol=1e-5 atol=1e-7 -- float32 matrix products of the Linear layers: BLAS rounding differs between
# NumPy and PyTorch, and the optimizer steps carry the difference.
"""Optimizers and schedulers written by subclassing torch.optim, as blog posts and courses teach them: an
Adam-like Optimizer subclass (defaults, param_groups, per-parameter state created lazily, a step decorated
with @torch.no_grad() that runs a closure under torch.enable_grad(), zeros_like with memory_format,
mul_/add_(alpha=)/addcmul_(value=)/addcdiv_(value=) updates) checked against torch.optim.Adam, a momentum SGD
subclass with add_param_group, state_dict round trips, the repr of a custom optimizer, and an LRScheduler
subclass with get_lr() over last_epoch and base_lrs."""

import math

import torch
from torch import nn
from torch.optim import lr_scheduler


class MyAdam(torch.optim.Optimizer):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0):
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay)
        super().__init__(params, defaults)

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                grad = p.grad
                if group["weight_decay"] != 0:
                    grad = grad.add(p, alpha=group["weight_decay"])
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = 0
                    state["exp_avg"] = torch.zeros_like(p, memory_format=torch.preserve_format)
                    state["exp_avg_sq"] = torch.zeros_like(p, memory_format=torch.preserve_format)
                exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
                state["step"] += 1
                bias_correction1 = 1 - beta1 ** state["step"]
                bias_correction2 = 1 - beta2 ** state["step"]
                exp_avg.mul_(beta1).add_(grad, alpha=1 - beta1)
                exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
                denom = (exp_avg_sq.sqrt() / math.sqrt(bias_correction2)).add_(group["eps"])
                step_size = group["lr"] / bias_correction1
                p.addcdiv_(exp_avg, denom, value=-step_size)
        return loss


torch.manual_seed(0)
X = torch.randn(64, 4)
y = (X @ torch.tensor([[1.0], [-2.0], [0.5], [3.0]]) + 0.1 * torch.randn(64, 1))


def make_model():
    torch.manual_seed(1)
    return nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 1))


loss_fn = nn.MSELoss()
results = {}
for name, opt_class in [("mine", MyAdam), ("torch", torch.optim.Adam)]:
    model = make_model()
    optimizer = opt_class(model.parameters(), lr=0.05, weight_decay=1e-3)
    for epoch in range(30):
        def closure():
            optimizer.zero_grad()
            loss = loss_fn(model(X), y)
            loss.backward()
            return loss
        loss = optimizer.step(closure)
        if epoch % 10 == 9:
            print(name, epoch + 1, f"{loss.item():.6f}")
    results[name] = [p.detach().clone() for p in model.parameters()]
print(all(torch.allclose(a, b, rtol=1e-4, atol=1e-6) for a, b in zip(results["mine"], results["torch"])))
print(optimizer.state[model[0].weight]["step"], sorted(optimizer.state[model[0].weight]))

model = make_model()
optimizer = MyAdam(model.parameters(), lr=0.01)
print(optimizer)
print(len(optimizer.param_groups), optimizer.defaults)
loss_fn(model(X), y).backward()
optimizer.step()
sd = optimizer.state_dict()
print(sorted(sd), sd["param_groups"][0]["params"], sd["state"][0]["step"])
print(sd["state"][0]["exp_avg"][0])
again = MyAdam(make_model().parameters(), lr=0.5)
again.load_state_dict(sd)
print(again.param_groups[0]["lr"], again.state[again.param_groups[0]["params"][0]]["exp_avg_sq"][0])


class MomentumSGD(torch.optim.Optimizer):
    def __init__(self, params, lr=0.01, momentum=0.9):
        super().__init__(params, {"lr": lr, "momentum": momentum})

    def step(self, closure=None):
        with torch.no_grad():
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    buf = self.state[p].get("momentum_buffer")
                    if buf is None:
                        buf = self.state[p]["momentum_buffer"] = torch.clone(p.grad).detach()
                    else:
                        buf.mul_(group["momentum"]).add_(p.grad)
                    p.add_(buf, alpha=-group["lr"])


model = make_model()
optimizer = MomentumSGD(model[0].parameters(), lr=0.05)
optimizer.add_param_group({"params": model[2].parameters(), "lr": 0.01})
print([g["lr"] for g in optimizer.param_groups], [g["momentum"] for g in optimizer.param_groups])
reference = torch.optim.SGD([{"params": (ref := make_model())[0].parameters()},
                             {"params": ref[2].parameters(), "lr": 0.01}], lr=0.05, momentum=0.9)
for step in range(20):
    for opt, m in ((optimizer, model), (reference, ref)):
        opt.zero_grad()
        loss_fn(m(X), y).backward()
        opt.step()
print(loss_fn(model(X), y).item(), loss_fn(ref(X), y).item())
print(torch.allclose(model[2].weight, ref[2].weight, atol=1e-6))


class WarmupThenDecay(lr_scheduler.LRScheduler):
    def __init__(self, optimizer, warmup, gamma, last_epoch=-1):
        self.warmup = warmup
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        if self.last_epoch < self.warmup:
            return [base_lr * (self.last_epoch + 1) / self.warmup for base_lr in self.base_lrs]
        return [base_lr * self.gamma ** (self.last_epoch - self.warmup + 1) for base_lr in self.base_lrs]


optimizer = torch.optim.SGD(make_model().parameters(), lr=0.2)
scheduler = WarmupThenDecay(optimizer, warmup=3, gamma=0.5)
lrs = []
for epoch in range(7):
    lrs.append(round(optimizer.param_groups[0]["lr"], 6))
    optimizer.step()
    scheduler.step()
print(lrs, scheduler.last_epoch, [round(lr, 6) for lr in scheduler.get_last_lr()])
print(sorted(scheduler.state_dict()))
