# tolerance: rtol=1e-5 atol=1e-6 -- float32 means and standard deviations over 10000 samples: NumPy's pairwise
# summation and PyTorch's vectorized reductions round differently (integers and indices are compared exactly).
"""Dive into Deep Learning, probability and statistics: tossing coins with rand, rolling a fair die with
multinomial, counting outcomes with bincount and one_hot, running estimates with cumsum, and expectations,
variances and a Bayes-rule computation on tensors."""

import torch
import torch.nn.functional as F

torch.manual_seed(42)
num_tosses = 100
heads = sum(torch.rand(num_tosses) > 0.5)
tails = num_tosses - heads
print("heads, tails: ", [heads, tails])

fair_probs = torch.ones(6) / 6
print(fair_probs)
rolls = torch.multinomial(fair_probs, 1000, replacement=True)
print(rolls[:20])
counts = torch.bincount(rolls, minlength=6)
print(counts, counts.sum())
print(counts / 1000)

rolls = torch.multinomial(fair_probs, 500, replacement=True).reshape(50, 10)
one_hot = F.one_hot(rolls, num_classes=6)
print(one_hot.shape, one_hot.dtype)
per_group = one_hot.sum(dim=1)
cum_counts = per_group.cumsum(dim=0)
estimates = cum_counts / cum_counts.sum(dim=1, keepdims=True)
print(estimates[0])
print(estimates[9])
print(estimates[-1])

# a loaded die: sampling without replacement gives every face once, in an order drawn by the weights
weights = torch.tensor([0.05, 0.05, 0.1, 0.2, 0.25, 0.35])
print(torch.multinomial(weights, 6))
print(torch.multinomial(weights, 3, replacement=False))
print(torch.multinomial(torch.stack([weights, weights.flip(0)]), 4, replacement=True))

# expectation and variance of the face value
faces = torch.arange(1, 7, dtype=torch.float32)
mean = (faces * fair_probs).sum()
var = ((faces - mean) ** 2 * fair_probs).sum()
print(f"E[X] = {mean:.4f}, Var[X] = {var:.4f}")

# a disease test: P(D=1) = 0.0015, P(H=1 | D=1) = 1, P(H=1 | D=0) = 0.01
P_D = torch.tensor([0.9985, 0.0015])
P_H1_given_D = torch.tensor([0.01, 1.0])
P_H1 = (P_D * P_H1_given_D).sum()
print(f"P(D=1 | H=1) = {(P_H1_given_D[1] * P_D[1] / P_H1):.4f}")

samples = torch.randn(10000)
print(f"sample mean {samples.mean():.4f}, sample std {samples.std():.4f}")
print(torch.bernoulli(torch.full((8,), 0.3)))
