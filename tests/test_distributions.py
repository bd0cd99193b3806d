"""chaingrad.distributions equals torch.distributions: the same samples for the same seed (float32, bit for bit),
the same log_prob, cdf, icdf, entropy, moments and kl_divergence values and gradients (float64), the same batch,
event and sample shapes, expand, and the same errors for invalid parameters and values."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import chaingrad as cg
import chaingrad.distributions as cgd

LIBS = (cg, torch)


def _arrays(x):
    """Nested results as NumPy arrays (tensors), Python values otherwise."""
    if isinstance(x, (cg.Tensor, torch.Tensor)):
        return ("tensor", str(x.dtype).split(".")[-1], x.detach().numpy().copy())
    if isinstance(x, (list, tuple)):
        return [_arrays(v) for v in x]
    if isinstance(x, dict):
        return {k: _arrays(v) for k, v in x.items()}
    return x


def _compare(ours, theirs, exact, tol, where="result"):
    if isinstance(theirs, tuple) and theirs and theirs[0] == "tensor":
        assert isinstance(ours, tuple) and ours[0] == "tensor", f"{where}: not a tensor"
        assert ours[1] == theirs[1], f"{where}: dtype {ours[1]} != torch's {theirs[1]}"
        a, b = ours[2], theirs[2]
        assert a.shape == b.shape, f"{where}: shape {a.shape} != torch's {b.shape}"
        if exact or a.dtype.kind != "f":
            np.testing.assert_array_equal(a, b, err_msg=where)
        else:
            np.testing.assert_allclose(a, b, rtol=tol, atol=tol, equal_nan=True, err_msg=where)
    elif isinstance(theirs, list):
        assert isinstance(ours, list) and len(ours) == len(theirs), f"{where}: {ours!r} vs {theirs!r}"
        for i, (o, t) in enumerate(zip(ours, theirs)):
            _compare(o, t, exact, tol, f"{where}[{i}]")
    elif isinstance(theirs, dict):
        assert isinstance(ours, dict) and ours.keys() == theirs.keys(), where
        for k in theirs:
            _compare(ours[k], theirs[k], exact, tol, f"{where}[{k!r}]")
    elif isinstance(theirs, float) and math.isnan(theirs):
        assert isinstance(ours, float) and math.isnan(ours), where
    else:
        if isinstance(theirs, str):
            theirs = theirs.replace("torch.", "chaingrad.")
        elif isinstance(theirs, torch.Size):
            theirs = tuple(theirs)
        assert ours == theirs, f"{where}: {ours!r} != torch's {theirs!r}"


def same(fn, exact=False, tol=1e-12, seed=0):
    """``fn(lib, distributions)`` gives the same results with chaingrad as with torch (after the same seed)."""
    results = []
    for lib in LIBS:
        lib.manual_seed(seed)
        results.append(_arrays(fn(lib, lib.distributions)))
    _compare(results[0], results[1], exact, tol)


def leaf(lib, values, dtype="float64"):
    return lib.tensor(np.asarray(values, dtype=dtype), requires_grad=True)


def grads(lib, out, params):
    """The gradients of sum(out * w) for a fixed, non-uniform w, with respect to each parameter."""
    if not out.requires_grad:
        return "constant"
    w = lib.tensor(np.cos(np.arange(out.numel())).reshape(tuple(out.shape)), dtype=out.dtype)
    got = lib.autograd.grad((out * w).sum(), params, allow_unused=True, retain_graph=True)
    return [g if g is not None else "none" for g in got]


def with_grads(lib, outs, params):
    return [[o, grads(lib, o, params)] for o in outs]


# -- samples, bit for bit ------------------------------------------------------------------------------------
SAMPLES = {
    "normal": lambda m, D: [D.Normal(m.tensor([0.0, 1.0, -2.0]), m.tensor([1.0, 0.5, 3.0])).sample((5,)),
                            D.Normal(0.0, 1.0).sample(), D.Normal(m.zeros(2, 3), 2.0).rsample((20,)),
                            D.Normal(m.tensor(1.0), m.tensor(2.0)).rsample((3,))],
    "bernoulli": lambda m, D: [D.Bernoulli(m.tensor([0.1, 0.5, 0.9])).sample((4,)), D.Bernoulli(0.3).sample(),
                               D.Bernoulli(logits=m.tensor([[-1.0, 2.0]])).sample((2, 3))],
    "categorical": lambda m, D: [D.Categorical(m.tensor([0.25, 0.25, 0.25, 0.25])).sample(),
                                 D.Categorical(logits=m.tensor([[1.0, 2.0, 0.5], [0.0, -1.0, 3.0]])).sample((7,)),
                                 D.Categorical(probs=m.tensor([[[1.0, 3.0]], [[2.0, 2.0]]])).sample((2, 3))],
    "one_hot": lambda m, D: [D.OneHotCategorical(m.tensor([0.2, 0.3, 0.5])).sample((4,)),
                             D.OneHotCategorical(logits=m.tensor([[0.0, 1.0], [2.0, -1.0]])).sample()],
    "multinomial": lambda m, D: [D.multinomial.Multinomial(10, m.ones(6) / 6).sample((8,)),
                                 D.Multinomial(5, m.tensor([[0.2, 0.8], [0.6, 0.4]])).sample(),
                                 D.Multinomial(3, logits=m.tensor([0.0, 1.0, -1.0])).sample((2, 2))],
    "uniform": lambda m, D: [D.Uniform(0.0, 5.0).sample((3,)), D.Uniform(m.tensor([0.0, -1.0]), 2.0).rsample((4,)),
                             D.Uniform(m.zeros(20), m.ones(20)).sample()],
    "exponential": lambda m, D: [D.Exponential(m.tensor([1.0, 0.5])).sample((3,)), D.Exponential(2.0).rsample(),
                                 D.Exponential(m.ones(4, 5)).rsample()],
    "laplace": lambda m, D: [D.Laplace(m.tensor(0.0), m.tensor(1.0)).sample((5,)),
                             D.Laplace(m.tensor([1.0, -1.0]), m.tensor([0.5, 2.0])).rsample((10,))],
    "mvn": lambda m, D: [D.MultivariateNormal(m.zeros(2), m.tensor([[2.0, 0.5], [0.5, 1.0]])).sample((3,)),
                         D.MultivariateNormal(m.ones(2, 3), scale_tril=m.eye(3) * 2).rsample((2,)),
                         D.MultivariateNormal(m.zeros(3), precision_matrix=m.eye(3) * 4).sample()],
    "cauchy": lambda m, D: [D.Cauchy(m.tensor([0.0, 1.0]), m.tensor([1.0, 0.5])).sample((3,)),
                            D.Cauchy(0.0, 2.0).rsample((20,))],
    "geometric": lambda m, D: [D.Geometric(m.tensor([0.2, 0.9])).sample((6,)),
                               D.Geometric(logits=m.zeros(20)).sample()],
    "independent": lambda m, D: [D.Independent(D.Normal(m.zeros(3, 2), m.ones(3, 2)), 1).sample((2,)),
                                 D.Independent(D.Bernoulli(m.full((2, 2), 0.4)), 2).sample()],
}


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_samples_equal_torchs_bit_for_bit(name):
    same(SAMPLES[name], exact=True, seed=7)


def test_samples_with_a_generator_state_shared_across_calls_match():
    def fn(m, D):
        d = D.Normal(m.zeros(3), m.ones(3))
        c = D.Categorical(logits=m.zeros(4))
        return [d.sample(), c.sample((3,)), d.rsample(), m.randn(2), c.sample()]
    same(fn, exact=True, seed=3)


# -- values and gradients (float64) --------------------------------------------------------------------------
def _normal(m, D):
    loc, scale = leaf(m, [0.3, -1.0, 2.0]), leaf(m, [0.5, 1.5, 2.0])
    d = D.Normal(loc, scale)
    x = m.tensor([0.1, 0.2, 4.0], dtype=m.float64)
    outs = [d.log_prob(x), d.cdf(x), d.icdf(m.tensor([0.1, 0.5, 0.9], dtype=m.float64)), d.entropy(), d.mean,
            d.mode, d.variance, d.stddev, d.perplexity(), d.rsample((2,))]
    return with_grads(m, outs, [loc, scale])


def _normal_exp_family_entropy(m, D):  # the Bregman-divergence entropy of the base class, by autograd
    loc, scale = leaf(m, [0.3, -1.0]), leaf(m, [0.5, 1.5])
    d = D.Normal(loc, scale)
    return with_grads(m, [D.ExponentialFamily.entropy(d)], [loc, scale])


def _bernoulli(m, D):
    p, lg = leaf(m, [0.1, 0.5, 0.8]), leaf(m, [-2.0, 0.0, 3.0])
    x = m.tensor([1.0, 0.0, 1.0], dtype=m.float64)
    outs = []
    for d in (D.Bernoulli(probs=p), D.Bernoulli(logits=lg)):
        outs += [d.log_prob(x), d.entropy(), d.mean, d.variance, d.probs, d.logits, d.perplexity()]
    outs.append(D.ExponentialFamily.entropy(D.Bernoulli(probs=p)))
    return with_grads(m, outs, [p, lg])


def _categorical(m, D):
    p, lg = leaf(m, [[0.2, 0.3, 0.5], [1.0, 1.0, 2.0]]), leaf(m, [[1.0, -1.0, 0.5, 2.0]])
    outs = []
    dp, dl = D.Categorical(probs=p), D.Categorical(logits=lg)
    outs += [dp.log_prob(m.tensor([2, 0])), dp.log_prob(m.tensor([[1], [2]])), dp.entropy(), dp.probs, dp.logits]
    outs += [dl.log_prob(m.tensor([3, 0, 1])), dl.entropy(), dl.probs, dl.logits, dl.perplexity()]
    return with_grads(m, outs, [p, lg]) + [dp.mode, dl.mode, dp.mean, dl.variance, dp.enumerate_support(),
                                           dp.enumerate_support(expand=False)]


def _one_hot(m, D):
    p = leaf(m, [[0.2, 0.3, 0.5], [0.6, 0.3, 0.1]])
    d = D.OneHotCategorical(p)
    x = m.tensor([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]], dtype=m.float64)
    st = D.OneHotCategoricalStraightThrough(p)
    outs = [d.log_prob(x), d.entropy(), d.mean, d.variance, d.probs, d.logits, st.rsample((2,))]
    return with_grads(m, outs, [p]) + [d.mode, d.enumerate_support(), d.enumerate_support(False), d.sample((2,))]


def _multinomial(m, D):
    p, lg = leaf(m, [0.1, 0.2, 0.3, 0.4]), leaf(m, [[0.0, 1.0, -1.0], [2.0, 0.5, 0.5]])
    x = m.tensor([1.0, 2.0, 3.0, 4.0], dtype=m.float64)
    d, dl = D.Multinomial(10, p), D.Multinomial(6, logits=lg)
    outs = [d.log_prob(x), d.entropy(), d.mean, d.variance, dl.log_prob(m.tensor([[1.0, 2.0, 3.0]],
                                                                                 dtype=m.float64)),
            dl.entropy(), dl.mean, d.probs, dl.logits]
    return with_grads(m, outs, [p, lg]) + [d.sample((3,)), dl.sample()]


def _multinomial_zero_probs(m, D):
    p = leaf(m, [0.0, 0.5, 0.5])
    d = D.Multinomial(4, p)
    return with_grads(m, [d.log_prob(m.tensor([0.0, 1.0, 3.0], dtype=m.float64)), d.entropy()], [p])


def _binomial(m, D):
    p = leaf(m, [0.2, 0.7])
    d = D.Binomial(5, p)
    outs = [d.log_prob(m.tensor([1.0, 4.0], dtype=m.float64)), d.entropy(), d.mean, d.variance, d.mode, d.logits]
    return with_grads(m, outs, [p]) + [d.enumerate_support()]


def _uniform(m, D):
    lo, hi = leaf(m, [0.0, -1.0, 2.0]), leaf(m, [1.0, 3.0, 2.5])
    d = D.Uniform(lo, hi)
    x = m.tensor([0.5, 2.0, 2.2], dtype=m.float64)
    outs = [d.log_prob(x), d.cdf(x), d.icdf(m.tensor([0.1, 0.5, 0.9], dtype=m.float64)), d.entropy(), d.mean,
            d.variance, d.stddev, d.rsample((2,))]
    outside = D.Uniform(lo, hi, validate_args=False).log_prob(m.tensor([1.5, -2.0, 2.4], dtype=m.float64))
    return with_grads(m, outs, [lo, hi]) + [outside, d.mode]


def _exponential(m, D):
    rate = leaf(m, [0.5, 1.0, 3.0])
    d = D.Exponential(rate)
    x = m.tensor([0.1, 1.0, 2.0], dtype=m.float64)
    outs = [d.log_prob(x), d.cdf(x), d.icdf(m.tensor([0.1, 0.5, 0.9], dtype=m.float64)), d.entropy(), d.mean,
            d.variance, d.stddev, d.rsample((2,)), D.ExponentialFamily.entropy(d)]
    return with_grads(m, outs, [rate]) + [d.mode]


def _laplace(m, D):
    loc, scale = leaf(m, [0.0, 1.0, -2.0]), leaf(m, [1.0, 0.5, 2.0])
    d = D.Laplace(loc, scale)
    x = m.tensor([0.5, 0.0, -2.5], dtype=m.float64)
    outs = [d.log_prob(x), d.cdf(x), d.icdf(m.tensor([0.1, 0.5, 0.9], dtype=m.float64)), d.entropy(), d.mean,
            d.variance, d.stddev, d.rsample((3,))]
    return with_grads(m, outs, [loc, scale]) + [d.mode]


def _cauchy(m, D):
    loc, scale = leaf(m, [0.0, 1.0, -2.0]), leaf(m, [1.0, 0.5, 2.0])
    d = D.Cauchy(loc, scale)
    x = m.tensor([0.5, 0.0, -2.5], dtype=m.float64)
    outs = [d.log_prob(x), d.cdf(x), d.icdf(m.tensor([0.1, 0.5, 0.9], dtype=m.float64)), d.entropy(),
            d.rsample((3,))]
    return with_grads(m, outs, [loc, scale]) + [d.mean, d.variance, d.mode]


def _geometric(m, D):
    p, lg = leaf(m, [0.2, 0.5, 1.0]), leaf(m, [-1.0, 0.0, 2.0])
    x = m.tensor([3.0, 0.0, 0.0], dtype=m.float64)
    outs = []
    for d in (D.Geometric(p), D.Geometric(logits=lg)):
        outs += [d.log_prob(x), d.mean, d.variance, d.probs, d.logits]
    outs.append(D.Geometric(p[:2]).entropy())
    return with_grads(m, outs, [p, lg]) + [D.Geometric(p).mode]


def _spd(m, seed, n=3, batch=()):
    a = np.random.default_rng(seed).uniform(-1, 1, batch + (n, n))
    return a @ np.swapaxes(a, -1, -2) + n * np.eye(n)


def _mvn(m, D):
    loc = leaf(m, [[0.5, -1.0, 2.0], [0.0, 0.0, 1.0]])
    cov = leaf(m, _spd(m, 0))
    prec = leaf(m, _spd(m, 1, batch=(2,)))
    tril = leaf(m, np.linalg.cholesky(_spd(m, 2)))
    x = m.tensor(np.random.default_rng(3).normal(size=(4, 2, 3)))
    outs = []
    for d in (D.MultivariateNormal(loc, cov), D.MultivariateNormal(loc, precision_matrix=prec),
              D.MultivariateNormal(loc[0], scale_tril=tril)):
        outs += [d.log_prob(x), d.entropy(), d.mean, d.variance, d.covariance_matrix, d.precision_matrix,
                 d.scale_tril, d.rsample((2,)), d.stddev]
    return with_grads(m, outs, [loc, cov, prec, tril])


def _mvn_batched_scale(m, D):  # a batch of scale_tril against a batch of samples (the Mahalanobis reshaping)
    tril = leaf(m, np.linalg.cholesky(_spd(m, 4, n=2, batch=(3, 1))))
    loc = leaf(m, np.zeros((4, 2)))
    d = D.MultivariateNormal(loc, scale_tril=tril)
    x = m.tensor(np.random.default_rng(5).normal(size=(5, 3, 4, 2)))
    return with_grads(m, [d.log_prob(x), d.entropy()], [tril, loc]) + [d.batch_shape, d.event_shape]


def _independent(m, D):
    loc, scale = leaf(m, [[0.0, 1.0], [2.0, -1.0]]), leaf(m, [[1.0, 2.0], [0.5, 1.0]])
    d = D.Independent(D.Normal(loc, scale), 1)
    x = m.tensor([[0.3, 0.1], [1.0, 1.0]], dtype=m.float64)
    outs = [d.log_prob(x), d.entropy(), d.mean, d.variance, d.mode, d.rsample((3,))]
    return with_grads(m, outs, [loc, scale]) + [d.batch_shape, d.event_shape, d.has_rsample,
                                                d.has_enumerate_support, repr(d), repr(d.support)]


VALUES = {f.__name__[1:]: f for f in (_normal, _normal_exp_family_entropy, _bernoulli, _categorical, _one_hot,
                                      _cauchy, _geometric,
                                      _multinomial, _multinomial_zero_probs, _binomial, _uniform, _exponential,
                                      _laplace, _mvn, _mvn_batched_scale, _independent)}


@pytest.mark.parametrize("name", sorted(VALUES))
def test_values_and_gradients_match_torch(name):
    same(VALUES[name], tol=1e-12, seed=1)


def test_float32_values_match_torch():
    def fn(m, D):
        d = D.Normal(m.tensor([0.3, -1.0]), m.tensor([0.5, 1.5]))
        c = D.Categorical(logits=m.tensor([1.0, 2.0, 3.0]))
        x = m.tensor([0.1, 0.2])
        return [d.log_prob(x), d.cdf(x), d.entropy(), c.log_prob(m.tensor(1)), c.entropy(), c.probs]
    same(fn, tol=1e-6)


# -- kl_divergence --------------------------------------------------------------------------------------------
def _kl_cases(m, D):
    n1, n2 = leaf(m, [0.0, 1.0]), leaf(m, [1.0, 0.5])
    s1, s2 = leaf(m, [1.0, 2.0]), leaf(m, [0.5, 1.5])
    e1, e2 = leaf(m, [0.5, 2.0]), leaf(m, [1.0, 1.0])
    b1, b2 = leaf(m, [0.2, 0.0]), leaf(m, [0.6, 0.5])
    c1, c2 = leaf(m, [[0.2, 0.3, 0.5], [0.0, 0.5, 0.5]]), leaf(m, [[1.0, 0.0, 2.0]])
    lo, hi = leaf(m, [0.0, 1.0]), leaf(m, [2.0, 3.0])
    loc, cov1, cov2 = leaf(m, [0.5, -1.0, 2.0]), leaf(m, _spd(m, 6)), leaf(m, _spd(m, 7, batch=(2,)))
    params = [n1, n2, s1, s2, e1, e2, b1, b2, c1, c2, lo, hi, loc, cov1, cov2]
    kl = D.kl_divergence
    N, L, E, U = D.Normal, D.Laplace, D.Exponential, D.Uniform  # noqa: N806
    outs = [
        kl(N(n1, s1), N(n2, s2)), kl(L(n1, s1), L(n2, s2)), kl(E(e1), E(e2)),
        kl(D.Bernoulli(b1), D.Bernoulli(b2)), kl(D.Bernoulli(logits=n1), D.Bernoulli(b2)),
        kl(D.Categorical(c1), D.Categorical(c2)), kl(D.Categorical(c2), D.Categorical(c1)),
        kl(D.OneHotCategorical(c1), D.OneHotCategorical(logits=c2)),
        kl(U(lo, hi), U(lo - 1, hi + 1)), kl(U(lo, hi), U(lo + 0.5, hi)),
        kl(D.MultivariateNormal(loc, cov1), D.MultivariateNormal(m.zeros(3, dtype=m.float64), cov2)),
        kl(D.MultivariateNormal(loc, scale_tril=cov1.tril()), D.MultivariateNormal(loc * 2, precision_matrix=cov1)),
        kl(D.Independent(N(n1, s1), 1), D.Independent(N(n2, s2), 1)),
        kl(E(e1), N(n2, s2)), kl(E(e1), U(lo, hi)), kl(L(n1, s1), N(n2, s2)), kl(L(n1, s1), E(e2)),
        kl(L(n1, s1), U(lo, hi)), kl(N(n1, s1), L(n2, s2)), kl(N(n1, s1), E(e1)), kl(N(n1, s1), U(lo, hi)),
        kl(U(lo, hi), N(n2, s2)), kl(U(lo, hi), E(e1)), kl(U(lo - 0.5, hi), E(e1)),
        kl(D.Cauchy(n1, s1), D.Cauchy(n2, s2)), kl(D.Geometric(b2), D.Geometric(b1 + 0.1)),
        kl(D.Binomial(5, b2), D.Binomial(5, b1 + 0.1)), kl(D.Binomial(m.tensor([6.0, 5.0], dtype=m.float64), b2),
                                                           D.Binomial(5, b1 + 0.1)),
    ]
    return with_grads(m, outs, params)


def test_kl_divergence_values_and_gradients_match_torch():
    same(_kl_cases, tol=1e-11)


def test_kl_divergence_without_a_formula_raises_as_torch():
    for m in LIBS:
        D = m.distributions  # noqa: N806
        with pytest.raises(NotImplementedError, match="No KL.p .. q. is implemented for p type Laplace and q type "
                                                      "Categorical"):
            D.kl_divergence(D.Laplace(0.0, 1.0), D.Categorical(m.tensor([0.5, 0.5])))
        with pytest.raises(NotImplementedError, match="cross KL-divergence between different exponential"):
            D.kl_divergence(D.Normal(0.0, 1.0), D.Bernoulli(0.5))
        with pytest.raises(ValueError, match="different event shapes"):
            D.kl_divergence(D.MultivariateNormal(m.zeros(2), m.eye(2)), D.MultivariateNormal(m.zeros(3), m.eye(3)))
        with pytest.raises(NotImplementedError, match="q.total_count > p.total_count"):
            D.kl_divergence(D.Binomial(2, m.tensor([0.5])), D.Binomial(3, m.tensor([0.5])))


def test_register_kl_picks_the_most_specific_pair():
    class MyNormal(cgd.Normal):
        pass

    @cgd.register_kl(MyNormal, cgd.Normal)
    def _kl_mine(p, q):
        return cg.tensor(42.0)

    try:
        assert cgd.kl_divergence(MyNormal(0.0, 1.0), cgd.Normal(0.0, 1.0)).item() == 42.0
        assert cgd.kl_divergence(cgd.Normal(0.0, 1.0), MyNormal(1.0, 1.0)).item() == 0.5
    finally:
        del cgd.kl._KL_REGISTRY[MyNormal, cgd.Normal]
        cgd.kl._KL_MEMOIZE.clear()


# -- shapes and expand ---------------------------------------------------------------------------------------
def _shapes(m, D):
    z, o = m.zeros(3, 2), m.ones(3, 2)
    dists = [D.Normal(z, o), D.Normal(0.0, 1.0), D.Normal(m.zeros(2), 1.0), D.Bernoulli(0.5), D.Bernoulli(z + 0.5),
             D.Categorical(logits=z), D.Categorical(m.ones(4)), D.OneHotCategorical(logits=z),
             D.Multinomial(4, logits=z), D.Uniform(z, o), D.Uniform(0.0, m.ones(2)), D.Exponential(o),
             D.Exponential(1.0), D.Laplace(z, 1.0), D.MultivariateNormal(z, m.eye(2)),
             D.MultivariateNormal(m.zeros(2), scale_tril=m.eye(2).expand(4, 1, 2, 2)), D.Independent(D.Normal(z, o), 2),
             D.Independent(D.MultivariateNormal(z, m.eye(2)), 1), D.Binomial(3, z + 0.5), D.Cauchy(z, 1.0),
             D.Geometric(z + 0.5), D.Geometric(logits=1.0)]
    out = []
    for d in dists:
        row = [d.batch_shape, d.event_shape, d.has_rsample, type(d).__name__]
        for sample_shape in [(), (5,), (2, 1)]:
            s = d.sample(sample_shape) if not isinstance(d, D.Binomial) else d.enumerate_support()
            row += [tuple(s.shape), str(s.dtype)]
            if d.has_rsample:
                r = d.rsample(m.Size(sample_shape))
                row += [tuple(r.shape), str(r.dtype)]
        e = d.expand((4,) + tuple(d.batch_shape)) if not isinstance(d, D.MultivariateNormal) or d.batch_shape != (
            4, 1) else d.expand((4, 3))
        row += [e.batch_shape, e.event_shape, type(e).__name__, tuple(e.sample((2,)).shape) if not isinstance(
            d, D.Binomial) else 0, e._validate_args]
        out.append(row)
    return out


def test_batch_event_and_sample_shapes_match_torch():
    same(_shapes, exact=True)


def _expanded(m, D):
    loc, scale = leaf(m, [0.5, -1.0]), leaf(m, [1.0, 2.0])
    out = []
    for d in (D.Normal(loc, scale), D.Laplace(loc, scale), D.Uniform(loc, loc + scale), D.Exponential(scale),
              D.Bernoulli(logits=loc), D.Bernoulli(probs=scale / 3), D.Categorical(logits=loc),
              D.OneHotCategorical(probs=scale), D.Multinomial(3, probs=scale),
              D.Independent(D.Normal(loc, scale), 1), D.MultivariateNormal(loc, scale_tril=scale.diag()),
              D.MultivariateNormal(loc, scale.diag()), D.MultivariateNormal(loc, precision_matrix=scale.diag()),
              D.Binomial(4, scale / 3), D.Cauchy(loc, scale), D.Geometric(scale / 3)):
        e = d.expand(m.Size((3,)) + d.batch_shape)
        x = m.tensor([1.0, 3.0], dtype=m.float64) if isinstance(d, D.Binomial) else d.sample()
        vals = [e.log_prob(x)] + ([] if isinstance(d, D.Multinomial) else [e.entropy()])  # (torch's expanded
        # Multinomial has no entropy: its expand leaves out the Binomial that entropy reads)
        out.append([e.batch_shape, e.event_shape, list(k for k in ("probs", "logits", "scale_tril", "covariance_matrix",
                                                                    "precision_matrix") if k in e.__dict__)]
                   + with_grads(m, vals, [loc, scale]))
        if not isinstance(d, D.Binomial):
            out.append(e.sample((2,)))
    return out


def test_expand_matches_torch():
    same(_expanded, tol=1e-12, seed=2)


def test_expand_of_a_subclass_with_its_own_init_needs_its_own_expand():
    class Shifted(cgd.Normal):
        def __init__(self, loc):
            super().__init__(loc, 1.0)

    with pytest.raises(NotImplementedError, match="Subclass Shifted of Normal that defines a custom __init__ method "
                                                  "must also define a custom .expand.. method."):
        Shifted(cg.zeros(2)).expand((3, 2))


# -- validation ----------------------------------------------------------------------------------------------
INVALID = {
    "normal_scale": lambda m, D: D.Normal(m.tensor([0.0, 1.0]), m.tensor([1.0, -1.0])),
    "normal_loc_nan": lambda m, D: D.Normal(m.tensor(float("nan")), 1.0),
    "bernoulli_probs": lambda m, D: D.Bernoulli(m.tensor([1.5])),
    "bernoulli_both": lambda m, D: D.Bernoulli(0.5, 0.0),
    "bernoulli_neither": lambda m, D: D.Bernoulli(),
    "categorical_probs": lambda m, D: D.Categorical(m.tensor([0.5, -0.5, 1.0])),
    "categorical_scalar": lambda m, D: D.Categorical(m.tensor(1.0)),
    "categorical_scalar_logits": lambda m, D: D.Categorical(logits=m.tensor(1.0)),
    "categorical_both": lambda m, D: D.Categorical(m.ones(2), m.ones(2)),
    "uniform_order": lambda m, D: D.Uniform(m.tensor([0.0, 2.0]), m.tensor([1.0, 1.0])),
    "exponential_rate": lambda m, D: D.Exponential(m.tensor([0.0])),
    "laplace_scale": lambda m, D: D.Laplace(0.0, m.tensor(-2.0)),
    "multinomial_count": lambda m, D: D.Multinomial(2.5, m.ones(2)),
    "multinomial_probs": lambda m, D: D.Multinomial(2, m.tensor([1.0, -1.0, 1.0])),
    "geometric_zero": lambda m, D: D.Geometric(m.tensor([0.5, 0.0])),
    "geometric_one": lambda m, D: D.Geometric(m.tensor([1.5])),
    "cauchy_scale": lambda m, D: D.Cauchy(m.zeros(2), m.tensor([1.0, 0.0])),
    "log_prob_geometric": lambda m, D: D.Geometric(m.tensor([0.5])).log_prob(m.tensor([1.5])),
    "binomial_count": lambda m, D: D.Binomial(m.tensor([1.5]), m.tensor([0.5])),
    "mvn_cov": lambda m, D: D.MultivariateNormal(m.zeros(2), m.tensor([[1.0, 2.0], [2.0, 1.0]])),
    "mvn_asymmetric": lambda m, D: D.MultivariateNormal(m.zeros(2), m.tensor([[1.0, 0.5], [0.0, 1.0]])),
    "mvn_tril": lambda m, D: D.MultivariateNormal(m.zeros(2), scale_tril=m.tensor([[1.0, 1.0], [0.0, 1.0]])),
    "mvn_tril_diag": lambda m, D: D.MultivariateNormal(m.zeros(2), scale_tril=m.tensor([[1.0, 0.0], [0.0, -1.0]])),
    "mvn_none": lambda m, D: D.MultivariateNormal(m.zeros(2)),
    "mvn_two": lambda m, D: D.MultivariateNormal(m.zeros(2), m.eye(2), scale_tril=m.eye(2)),
    "mvn_scalar_loc": lambda m, D: D.MultivariateNormal(m.tensor(0.0), m.eye(2)),
    "mvn_vector_cov": lambda m, D: D.MultivariateNormal(m.zeros(2), m.ones(2)),
    "mvn_vector_tril": lambda m, D: D.MultivariateNormal(m.zeros(2), scale_tril=m.ones(2)),
    "mvn_vector_prec": lambda m, D: D.MultivariateNormal(m.zeros(2), precision_matrix=m.ones(2)),
    "independent_ndims": lambda m, D: D.Independent(D.Normal(m.zeros(2), 1.0), 2),
    "log_prob_event": lambda m, D: D.MultivariateNormal(m.zeros(2), m.eye(2)).log_prob(m.zeros(3)),
    "log_prob_batch": lambda m, D: D.Normal(m.zeros(2), 1.0).log_prob(m.zeros(3)),
    "log_prob_not_tensor": lambda m, D: D.Normal(0.0, 1.0).log_prob(0.5),
    "log_prob_support": lambda m, D: D.Bernoulli(m.tensor([0.3, 0.4])).log_prob(m.tensor([0.5, 1.0])),
    "log_prob_categorical": lambda m, D: D.Categorical(m.ones(3)).log_prob(m.tensor([3])),
    "log_prob_uniform": lambda m, D: D.Uniform(0.0, 1.0).log_prob(m.tensor(1.5)),
    "log_prob_exponential": lambda m, D: D.Exponential(1.0).log_prob(m.tensor([-1.0])),
    "cdf_support": lambda m, D: D.Exponential(1.0).cdf(m.tensor([-1.0])),
    "log_prob_one_hot": lambda m, D: D.OneHotCategorical(m.ones(3)).log_prob(m.tensor([1.0, 1.0, 0.0])),
    "log_prob_multinomial": lambda m, D: D.Multinomial(3, m.ones(3)).log_prob(m.tensor([2.0, 2.0, 0.0])),
    "log_prob_independent": lambda m, D: D.Independent(D.Exponential(m.ones(2)), 1).log_prob(m.tensor([1.0, -1.0])),
    "set_default_validate_args": lambda m, D: D.Distribution.set_default_validate_args(1.5),
    "mode_base": lambda m, D: D.Independent(D.Multinomial(3, m.ones(2, 3)), 1).mode,
    "enumerate_independent": lambda m, D: D.Independent(D.Bernoulli(m.ones(2) / 2), 1).enumerate_support(),
    "binomial_entropy": lambda m, D: D.Binomial(m.tensor([1.0, 2.0]), m.tensor([0.5, 0.5])).entropy(),
    "broadcast_all": lambda m, D: D.Normal("a", 1.0),
}


def _error(m, fn):
    with pytest.raises(Exception) as info:
        fn(m, m.distributions)
    return info.type, str(info.value).replace("torch.", "chaingrad.")


@pytest.mark.parametrize("name", sorted(INVALID))
def test_invalid_arguments_raise_torchs_error_and_message(name):
    (ours, our_msg), (theirs, their_msg) = (_error(m, INVALID[name]) for m in LIBS)
    assert ours.__name__ == theirs.__name__
    assert our_msg == their_msg


def test_validation_can_be_turned_off():
    for m in LIBS:
        D = m.distributions  # noqa: N806
        D.Normal(0.0, -1.0, validate_args=False)  # no error
        assert D.Bernoulli(m.tensor([0.3]), validate_args=False).log_prob(m.tensor([0.5])).shape == (1,)
        D.Distribution.set_default_validate_args(False)
        try:
            d = D.Exponential(m.tensor([-1.0]))
            assert not d._validate_args and d.expand((2, 1))._validate_args is False
        finally:
            D.Distribution.set_default_validate_args(True)
        assert D.Normal(0.0, 1.0)._validate_args


def test_sample_n_warns_and_samples_as_sample():
    def fn(m, D):
        with pytest.warns(FutureWarning, match="`sample_n.n.` will be deprecated. Use `sample..n,..` instead."):
            return D.Normal(m.zeros(2), 1.0).sample_n(3)
    same(fn, exact=True)


def test_base_class_methods_raise_not_implemented():
    d = cgd.Distribution(validate_args=False)
    for call in (lambda: d.sample(), lambda: d.log_prob(cg.zeros(1)), lambda: d.cdf(cg.zeros(1)),
                 lambda: d.icdf(cg.zeros(1)), lambda: d.entropy(), lambda: d.mean, lambda: d.variance,
                 lambda: d.support, lambda: d.arg_constraints, lambda: d.expand((2,)), lambda: d.enumerate_support()):
        with pytest.raises(NotImplementedError):
            call()
    with pytest.raises(NotImplementedError, match="does not implement mode"):
        _ = d.mode
    with pytest.raises(NotImplementedError, match="torch.binomial"):
        cgd.Binomial(3, cg.tensor([0.5])).sample()


def test_missing_arg_constraints_and_support_warn_as_torch():
    for m in LIBS:
        class Bare(m.distributions.Distribution):
            pass
        with pytest.warns(UserWarning, match="does not define `arg_constraints`"):
            d = Bare()
        with pytest.warns(UserWarning, match="does not define `support`"):
            d._validate_sample(m.zeros(()))


# -- constraints and reprs -----------------------------------------------------------------------------------
def _constraints(m, D):
    C = D.constraints  # noqa: N806
    x = m.tensor([[-1.0, 0.0, 0.5], [1.0, 2.0, float("nan")]])
    mats = m.tensor([[[2.0, 0.5], [0.5, 1.0]], [[1.0, 2.0], [2.0, 1.0]], [[1.0, 0.0], [3.0, -1.0]]])
    checks = [C.real, C.positive, C.nonnegative, C.unit_interval, C.boolean, C.greater_than(0.5),
              C.greater_than_eq(0.5), C.less_than(1.0), C.interval(0.0, 1.0), C.half_open_interval(0.0, 1.0),
              C.integer_interval(0, 1), C.nonnegative_integer, C.positive_integer, C.real_vector, C.simplex,
              C.one_hot, C.multinomial(2), C.independent(C.positive, 1)]
    out = [[repr(c), c.is_discrete, c.event_dim, c.check(x)] for c in checks]
    mat_checks = [C.lower_triangular, C.lower_cholesky, C.positive_definite, C.positive_semidefinite, C.symmetric,
                  C.square, C.corr_cholesky]
    out += [[repr(c), c.event_dim, c.check(mats)] for c in mat_checks]
    out += [C.cat([C.positive, C.real], dim=1, lengths=[2, 1]).check(x), C.stack([C.positive, C.real], 0).check(x),
            C.is_dependent(C.dependent), C.is_dependent(C.real), repr(C.dependent),
            C.dependent(is_discrete=True, event_dim=1).event_dim, C.is_dependent(D.Uniform.support),
            C.is_dependent(D.Categorical.support), repr(D.Uniform(0.0, 2.0).support),
            repr(D.Categorical(m.ones(3)).support), repr(D.Multinomial(3, m.ones(3)).support)]
    return out


def test_constraints_match_torch():
    same(_constraints, exact=True)


def test_dependent_constraints_cannot_be_checked():
    for m in LIBS:
        C = m.distributions.constraints  # noqa: N806
        with pytest.raises(ValueError, match="Cannot determine validity of dependent constraint"):
            C.dependent.check(m.zeros(1))
        with pytest.raises(NotImplementedError, match=".event_dim cannot be determined statically"):
            _ = C.dependent.event_dim


def _reprs(m, D):
    z = m.zeros(2)
    dists = [D.Normal(0.0, 1.0), D.Normal(z, m.ones(2)), D.Bernoulli(0.3), D.Bernoulli(logits=z),
             D.Categorical(m.ones(3)), D.Categorical(logits=m.ones(2, 3)), D.OneHotCategorical(m.ones(3)),
             D.Multinomial(3, m.ones(3)), D.Uniform(0.0, 1.0), D.Exponential(z + 1), D.Laplace(0.0, 2.0),
             D.MultivariateNormal(z, m.eye(2)), D.MultivariateNormal(z, scale_tril=m.eye(2)),
             D.Independent(D.Normal(z, 1.0), 1), D.Binomial(3, m.tensor([0.5])), D.Cauchy(0.0, z + 1),
             D.Geometric(0.5), D.Geometric(logits=z)]
    return [[repr(d), sorted(d.arg_constraints), {k: repr(v) for k, v in d.arg_constraints.items()},
             sorted(k for k in ("probs", "logits") if k in d.__dict__)] for d in dists]


def test_reprs_and_arg_constraints_match_torch():
    same(_reprs, exact=True)


def test_import_paths_match_torchs():
    import chaingrad.distributions.categorical
    import chaingrad.distributions.multinomial
    import chaingrad.distributions.normal
    from chaingrad.distributions import Normal, kl_divergence
    from chaingrad.distributions.kl import register_kl

    assert cg.distributions.normal.Normal is Normal is chaingrad.distributions.normal.Normal
    assert chaingrad.distributions.multinomial.Multinomial is cgd.Multinomial
    assert chaingrad.distributions.categorical.Categorical is cgd.Categorical
    assert kl_divergence is cgd.kl_divergence and register_kl is cgd.register_kl
    assert cgd.constraints.positive is cgd.constraints.positive and cg.distributions.utils.probs_to_logits


# -- programs ------------------------------------------------------------------------------------------------
def sgd_step(m, params, lr):
    """p -= lr * p.grad, written out (torch.optim's first step costs seconds of imports, here in every run)."""
    with m.no_grad():
        for p in params:
            p -= lr * p.grad
            p.grad = None


def _reinforce(m, D):
    """REINFORCE on a 4-armed bandit: a linear policy, Categorical(logits).sample(), -log_prob * reward."""
    m.manual_seed(0)
    policy = m.nn.Linear(3, 4)
    state = m.tensor([[0.5, -0.2, 0.1]] * 8)
    payoff = m.tensor([0.1, 0.9, 0.3, 0.5])
    history = []
    for _ in range(15):
        dist = D.Categorical(logits=policy(state))
        actions = dist.sample()
        rewards = payoff[actions] + 0.1 * m.randn(8)
        loss = -(dist.log_prob(actions) * (rewards - rewards.mean())).mean() - 0.01 * dist.entropy().mean()
        loss.backward()
        sgd_step(m, policy.parameters(), lr=0.5)
        history.append([actions, loss.detach()])
    return history + [policy.weight.detach(), dist.probs.detach()]


def test_reinforce_training_prints_the_same_numbers_as_torch():
    results = []
    for m in LIBS:
        results.append(_arrays(_reinforce(m, m.distributions)))
    ours, theirs = results
    for step, (o, t) in enumerate(zip(ours[:-2], theirs[:-2])):
        np.testing.assert_array_equal(o[0][2], t[0][2], err_msg=f"actions of step {step}")
        np.testing.assert_allclose(o[1][2], t[1][2], rtol=1e-5, atol=1e-6, err_msg=f"loss of step {step}")
    _compare(ours[-2:], theirs[-2:], exact=False, tol=1e-5)


def _vae_step(m, D):
    """One step of a tiny VAE: encoder to (mu, log sigma), Normal(mu, sigma).rsample(), decoder, reconstruction
    plus kl_divergence(q, N(0, 1))."""
    m.manual_seed(0)
    enc, dec = m.nn.Linear(6, 4), m.nn.Linear(2, 6)
    x = m.rand(5, 6)
    out = []
    for _ in range(3):
        h = enc(x)
        mu, log_sigma = h[:, :2], h[:, 2:]
        q = D.Normal(mu, log_sigma.exp())
        z = q.rsample()
        recon = m.nn.functional.mse_loss(dec(z), x, reduction="sum")
        kl = D.kl_divergence(q, D.Normal(m.zeros_like(mu), m.ones_like(mu))).sum()
        loss = recon + kl
        loss.backward()
        out.append([z.detach(), recon.detach(), kl.detach(), enc.weight.grad.clone()])
        sgd_step(m, list(enc.parameters()) + list(dec.parameters()), lr=0.02)
    return out


def test_vae_step_prints_the_same_numbers_as_torch():
    same(_vae_step, tol=2e-5)


def test_d2l_multinomial_die_rolls_match_torch():
    def fn(m, D):
        fair_probs = m.ones(6) / 6
        counts = D.multinomial.Multinomial(1000, fair_probs).sample()
        many = D.multinomial.Multinomial(10, fair_probs).sample((500,))
        estimates = many.cumsum(dim=0) / many.cumsum(dim=0).sum(dim=1, keepdims=True)
        return [counts, counts / 1000, many[:5], estimates[-1]]
    same(fn, tol=1e-6, seed=0)


def test_torch_distributions_not_implemented_yet_say_so():
    with pytest.raises(AttributeError, match="torch.distributions.Gamma is not implemented in chaingrad yet"):
        _ = cgd.Gamma
    with pytest.raises(AttributeError, match="has no attribute 'Nope'$"):
        _ = cgd.Nope
    assert not hasattr(cgd, "TransformedDistribution") and hasattr(cgd, "Normal")
