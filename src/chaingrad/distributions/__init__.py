"""chaingrad.distributions, as torch.distributions: probability distributions to sample from (with torch's
random numbers for the same seed), score (``log_prob``, ``entropy``, ``cdf``) and differentiate through
(``rsample``), and ``kl_divergence`` between them.

    from chaingrad.distributions import Categorical
    dist = Categorical(logits=policy(state))
    action = dist.sample()
    loss = -dist.log_prob(action) * reward
"""

from __future__ import annotations

from . import constraints
from .bernoulli import Bernoulli
from .binomial import Binomial
from .categorical import Categorical
from .distribution import Distribution
from .exp_family import ExponentialFamily
from .exponential import Exponential
from .independent import Independent
from .kl import kl_divergence, register_kl
from .laplace import Laplace
from .multinomial import Multinomial
from .multivariate_normal import MultivariateNormal
from .normal import Normal
from .one_hot_categorical import OneHotCategorical, OneHotCategoricalStraightThrough
from .uniform import Uniform

__all__ = [
    "Bernoulli", "Binomial", "Categorical", "Distribution", "ExponentialFamily", "Exponential", "Independent",
    "Laplace", "Multinomial", "MultivariateNormal", "Normal", "OneHotCategorical", "OneHotCategoricalStraightThrough",
    "Uniform", "constraints", "kl_divergence", "register_kl",
]
