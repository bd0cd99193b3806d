"""embedding_bag / EmbeddingBag (sum, mean, max; offsets, include_last_offset, padding_idx, per-sample weights,
2-D bags) equal torch's in values and in the gradients of the weight and per-sample weights; gumbel_softmax
draws torch's sample under the same seed (soft and hard, straight-through gradient)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import chaingrad as cg
from helpers import check_finite_differences, compare_with_torch

W = np.random.default_rng(0).standard_normal((10, 3))
FLAT = np.array([1, 2, 4, 5, 4, 3, 2, 9, 0, 0, 7])
OFFSETS = np.array([0, 4, 4, 8])  # an empty bag (4, 4)


def bag(m, w, **kw):
    return m.nn.functional.embedding_bag(m.tensor(FLAT), w, m.tensor(OFFSETS), **kw)


CASES = {
    "mean": (lambda m, w: bag(m, w), [W]),
    "sum": (lambda m, w: bag(m, w, mode="sum"), [W]),
    "max": (lambda m, w: bag(m, w, mode="max"), [W]),
    "mean_padding": (lambda m, w: bag(m, w, padding_idx=4), [W]),
    "max_padding": (lambda m, w: bag(m, w, mode="max", padding_idx=2), [W]),
    "sum_negative_padding": (lambda m, w: bag(m, w, mode="sum", padding_idx=-1), [W]),
    "sum_per_sample_weights": (lambda m, w, p: bag(m, w, mode="sum", per_sample_weights=p),
                               [W, np.random.default_rng(1).uniform(0.1, 2, FLAT.shape)]),
    "include_last_offset": (lambda m, w: m.nn.functional.embedding_bag(
        m.tensor(FLAT), w, m.tensor([0, 3, 3, 11]), mode="mean", include_last_offset=True), [W]),
    "2d_bags": (lambda m, w: m.nn.functional.embedding_bag(m.tensor(FLAT[:9].reshape(3, 3)), w), [W]),
    "2d_bags_max_weights": (lambda m, w: m.nn.functional.embedding_bag(m.tensor(FLAT[:8].reshape(2, 4)), w,
                                                                       mode="max"), [W]),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_embedding_bag_matches_torch_and_finite_differences(name):
    fn, arrays = CASES[name]
    for dtype in (np.float64, np.float32):
        compare_with_torch(fn, arrays, dtype=dtype)
    check_finite_differences(fn, arrays)


def test_scale_grad_by_freq_divides_each_rows_gradient_by_its_count_in_the_batch():
    """As documented (and as embedding does): torch 2.13's CPU embedding_bag kernel divides instead by the count
    of the k-th smallest index, a different number where counts differ (see the report of this change)."""
    w = cg.tensor(W, requires_grad=True)
    out = bag(cg, w, mode="sum", scale_grad_by_freq=True)
    out.sum().backward()
    counts = np.bincount(FLAT, minlength=10)
    np.testing.assert_allclose(w.grad.numpy(), np.where(counts > 0, 1.0, 0.0)[:, None] * np.ones((10, 3)))
    v = cg.tensor(W, requires_grad=True)
    cg.nn.functional.embedding(cg.tensor(FLAT), v, scale_grad_by_freq=True).sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), v.grad.numpy())


def test_embedding_bag_module_matches_torchs():
    results = []
    for m in (torch, cg):
        m.manual_seed(0)
        layer = m.nn.EmbeddingBag(10, 3, mode="sum", padding_idx=3)
        layer.weight.data = m.tensor(W)
        out = layer(m.tensor(FLAT), m.tensor(OFFSETS))
        (out * out).sum().backward()
        results.append((repr(layer), out.detach().numpy(), layer.weight.grad.numpy(),
                        repr(m.nn.EmbeddingBag(5, 2, max_norm=1.0, norm_type=1.0, scale_grad_by_freq=True))))
    assert results[0][0] == results[1][0] and results[0][3] == results[1][3]
    np.testing.assert_allclose(results[1][1], results[0][1], rtol=1e-12)
    np.testing.assert_allclose(results[1][2], results[0][2], rtol=1e-12)


def test_embedding_bag_from_pretrained_and_max_norm_as_torchs():
    outs = []
    for m in (torch, cg):
        layer = m.nn.EmbeddingBag.from_pretrained(m.tensor(W * 3), max_norm=1.5, mode="max")
        assert not layer.weight.requires_grad
        outs.append((layer(m.tensor(FLAT), m.tensor(OFFSETS)).numpy(), layer.weight.detach().numpy()))
    for a, b in zip(*outs):
        np.testing.assert_allclose(a, b, rtol=1e-7)


def _error(m, expr):
    F = m.nn.functional
    env = dict(F=F, m=m, w=m.tensor(W), i=m.tensor(FLAT), o=m.tensor(OFFSETS))
    try:
        eval(expr, env)
    except Exception as e:  # noqa: BLE001 - the class and message are what is compared
        return type(e), str(e)
    return None, None


ERRORS = [
    "F.embedding_bag(i, w)",
    "F.embedding_bag(i, w, o.reshape(2, 2))",
    "F.embedding_bag(i.reshape(1, 1, -1), w)",
    "F.embedding_bag(i[:10].reshape(2, 5), w, o)",
    "F.embedding_bag(i, w[0], o)",
    "F.embedding_bag(i, w, o, mode='median')",
    "F.embedding_bag(i, w, o, mode='max', scale_grad_by_freq=True)",
    "F.embedding_bag(i, w, o, mode='mean', per_sample_weights=m.ones(11, dtype=m.float64))",
    "F.embedding_bag(i, w, o, mode='sum', per_sample_weights=m.ones(3, dtype=m.float64))",
    "F.embedding_bag(i, w, o + 1)",
]


@pytest.mark.parametrize("expr", ERRORS)
def test_embedding_bag_errors_are_torchs(expr):
    (t_cls, t_msg), (c_cls, c_msg) = _error(torch, expr), _error(cg, expr)
    assert t_cls is not None and c_cls is t_cls, (t_cls, t_msg, c_cls, c_msg)
    assert c_msg.startswith(t_msg[:30]), (t_msg, c_msg)


@pytest.mark.parametrize("hard", [False, True])
@pytest.mark.parametrize("dim,tau", [(-1, 1.0), (0, 0.5)])
def test_gumbel_softmax_draws_torchs_sample_and_gradient(hard, dim, tau):
    logits = np.random.default_rng(2).standard_normal((4, 5))
    g = np.random.default_rng(3).standard_normal((4, 5))
    results = []
    for m in (torch, cg):
        m.manual_seed(7)
        x = m.tensor(logits, requires_grad=True)
        y = m.nn.functional.gumbel_softmax(x, tau=tau, hard=hard, dim=dim)
        (y * m.tensor(g)).sum().backward()
        results.append((y.detach().numpy(), x.grad.numpy(), type(y.grad_fn).__name__, m.rand(2).numpy()))
    (y_t, g_t, name_t, after_t), (y_c, g_c, name_c, after_c) = results
    np.testing.assert_allclose(y_c, y_t, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(g_c, g_t, rtol=1e-10, atol=1e-12)
    assert name_c == name_t
    np.testing.assert_array_equal(after_c, after_t)  # the generator moved on as torch's did
    if hard:
        assert set(np.unique(y_c)) == {0.0, 1.0} and (y_c.sum(dim) == 1).all()


def test_gumbel_softmax_float32_and_the_eps_warning_as_torchs():
    for m in (torch, cg):
        m.manual_seed(1)
    x_t, x_c = torch.zeros(3, 4), cg.zeros(3, 4)
    with pytest.warns(UserWarning, match="`eps` parameter is deprecated"):
        y_c = cg.nn.functional.gumbel_softmax(x_c, eps=1e-5)
    with pytest.warns(UserWarning):
        y_t = torch.nn.functional.gumbel_softmax(x_t, eps=1e-5)
    assert y_c.dtype == cg.float32
    np.testing.assert_allclose(y_c.numpy(), y_t.numpy(), rtol=1e-6)
