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
from .cauchy import Cauchy
from .distribution import Distribution
from .exp_family import ExponentialFamily
from .exponential import Exponential
from .geometric import Geometric
from .independent import Independent
from .kl import kl_divergence, register_kl
from .laplace import Laplace
from .multinomial import Multinomial
from .multivariate_normal import MultivariateNormal
from .normal import Normal
from .one_hot_categorical import OneHotCategorical, OneHotCategoricalStraightThrough
from .uniform import Uniform

__all__ = [
    "Bernoulli", "Binomial", "Categorical", "Cauchy", "Distribution", "ExponentialFamily", "Exponential", "Geometric",
    "Independent",
    "Laplace", "Multinomial", "MultivariateNormal", "Normal", "OneHotCategorical", "OneHotCategoricalStraightThrough",
    "Uniform", "constraints", "kl_divergence", "register_kl",
]

# torch.distributions names chaingrad does not have yet: a clear AttributeError instead of a bare one
_NOT_YET = frozenset({
    "AbsTransform", "AffineTransform", "Beta", "CatTransform", "Chi2", "ComposeTransform",
    "ContinuousBernoulli", "CorrCholeskyTransform", "CumulativeDistributionTransform", "Dirichlet", "ExpTransform",
    "FisherSnedecor", "Gamma", "GeneralizedPareto", "Gumbel", "HalfCauchy", "HalfNormal",
    "IndependentTransform", "InverseGamma", "Kumaraswamy", "LKJCholesky", "LogNormal", "LogisticNormal",
    "LowRankMultivariateNormal", "LowerCholeskyTransform", "MixtureSameFamily", "NegativeBinomial", "Pareto",
    "Poisson", "PositiveDefiniteTransform", "PowerTransform", "RelaxedBernoulli", "RelaxedOneHotCategorical",
    "ReshapeTransform", "SigmoidTransform", "SoftmaxTransform", "SoftplusTransform", "StackTransform",
    "StickBreakingTransform", "StudentT", "TanhTransform", "Transform", "TransformedDistribution", "VonMises",
    "Weibull", "Wishart", "biject_to", "identity_transform", "transform_to", "transforms", "constraint_registry",
})


def __getattr__(name: str):
    if name in _NOT_YET:
        raise AttributeError(f"module 'chaingrad.distributions' has no attribute '{name}': torch.distributions."
                             f"{name} is not implemented in chaingrad yet (available: {', '.join(__all__)})")
    raise AttributeError(f"module 'chaingrad.distributions' has no attribute '{name}'")
