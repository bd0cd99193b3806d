"""Every random function draws torch's numbers: the same seed gives the same elements as PyTorch 2.13 on the
CPU, bit for bit (float32, integers, indices), and the generator ends in the same state. float64 normal and
exponential samples made with NumPy's vectorized logarithm may differ by one unit in the last place (see
chaingrad/random/__init__.py); those tests allow exactly that."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import chaingrad as cg

SEEDS = [0, 42, 2147483647]
SIZES = [1, 15, 16, 17, 1000]
FLOATS = [(cg.float32, torch.float32), (cg.float64, torch.float64)]


def gens(seed):
    return cg.Generator().manual_seed(seed), torch.Generator().manual_seed(seed)


def same(a, b):
    """Identical elements (bit for bit, NaN equal to NaN) and dtype, and the generators in the same state."""
    a = np.ascontiguousarray(a.numpy() if hasattr(a, "numpy") else a)
    b = np.ascontiguousarray(b.numpy() if hasattr(b, "numpy") else b)
    assert a.dtype == b.dtype and a.shape == b.shape
    np.testing.assert_array_equal(a.view(np.uint8) if a.dtype.kind == "f" else a,
                                  b.view(np.uint8) if b.dtype.kind == "f" else b)


def close_ulp(a, b, max_fraction=0.02, scale=4.0):
    """float64 from NumPy's log: equal, or a few elements off by the rounding of one logarithm (one unit in
    the last place of the sample, times ``* std + mean`` when the sum cancels)."""
    a, b = a.numpy(), b.numpy()
    assert a.dtype == b.dtype == np.float64 and a.shape == b.shape
    np.testing.assert_allclose(a, b, rtol=0, atol=2 * np.finfo(np.float64).eps * scale)
    assert (a != b).mean() <= max_fraction


def same_state(g, tg):
    np.testing.assert_array_equal(g.get_state().numpy(), tg.get_state().numpy())


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("dtypes", FLOATS, ids=["f32", "f64"])
def test_rand_and_uniform(seed, n, dtypes):
    d, td = dtypes
    g, tg = gens(seed)
    same(cg.rand(n, dtype=d, generator=g), torch.rand(n, dtype=td, generator=tg))
    same(cg.empty(n, dtype=d).uniform_(-1 / 28, 1 / 28, generator=g),  # the fused multiply-add shows here
         torch.empty(n, dtype=td).uniform_(-1 / 28, 1 / 28, generator=tg))
    same(cg.empty(n, dtype=d).uniform_(2.5, 7.25, generator=g), torch.empty(n, dtype=td).uniform_(2.5, 7.25,
                                                                                                   generator=tg))
    same_state(g, tg)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("n", SIZES + [31, 32, 33, 255, 257])
def test_randn_and_normal_float32(seed, n):
    g, tg = gens(seed)
    same(cg.randn(n, generator=g), torch.randn(n, generator=tg))
    same(cg.empty(n).normal_(0.5, 0.01, generator=g), torch.empty(n).normal_(0.5, 0.01, generator=tg))
    same(cg.normal(-2.0, 3.5, (n,), generator=g), torch.normal(-2.0, 3.5, (n,), generator=tg))
    same_state(g, tg)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("n", SIZES)
def test_randn_and_normal_float64(seed, n):
    g, tg = gens(seed)
    a, b = cg.randn(n, dtype=cg.float64, generator=g), torch.randn(n, dtype=torch.float64, generator=tg)
    (same if n < 16 else close_ulp)(a, b)  # below 16 elements chaingrad uses the C library's log1p: exact
    a = cg.empty(n, dtype=cg.float64).normal_(0.3, 2.7, generator=g)
    b = torch.empty(n, dtype=torch.float64).normal_(0.3, 2.7, generator=tg)
    (same if n < 16 else close_ulp)(a, b)
    same_state(g, tg)


def test_a_million_float32_normals_and_uniforms():
    g, tg = gens(7)
    same(cg.randn(10**6, generator=g), torch.randn(10**6, generator=tg))
    same(cg.empty(10**6).normal_(1.5, 0.2, generator=g), torch.empty(10**6).normal_(1.5, 0.2, generator=tg))
    same(cg.empty(1000, 1000).uniform_(-0.3, 0.3, generator=g), torch.empty(1000, 1000).uniform_(-0.3, 0.3,
                                                                                                  generator=tg))
    same_state(g, tg)


def test_the_cached_normal_carries_across_calls_and_the_block_path_leaves_it():
    g, tg = gens(1)
    for n in (3, 40, 1, 5, 16, 2, 1):
        same(cg.randn(n, generator=g), torch.randn(n, generator=tg))
        same_state(g, tg)


def test_non_contiguous_fills_follow_memory_order():
    g, tg = gens(3)
    same(cg.empty(20, 3).t().normal_(generator=g), torch.empty(20, 3).t().normal_(generator=tg))
    same(cg.empty(4, 10)[:, ::2].uniform_(generator=g), torch.empty(4, 10)[:, ::2].uniform_(generator=tg))
    same(cg.empty(5, 7).t().random_(0, 9, generator=g), torch.empty(5, 7).t().random_(0, 9, generator=tg))
    same(cg.empty(6, 5).t().bernoulli_(0.3, generator=g), torch.empty(6, 5).t().bernoulli_(0.3, generator=tg))
    same(cg.randn_like(cg.empty(8, 3).t(), generator=g), torch.randn_like(torch.empty(8, 3).t(), generator=tg))
    same(cg.rand_like(cg.empty(8, 3).t(), generator=g), torch.rand_like(torch.empty(8, 3).t(), generator=tg))
    same_state(g, tg)


def test_in_place_fill_keeps_views_and_the_base_in_sync():
    g, tg = gens(4)
    base, tbase = cg.zeros(6, 4), torch.zeros(6, 4)
    base[2:].normal_(generator=g)
    tbase[2:].normal_(generator=tg)
    same(base, tbase)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("n", SIZES)
def test_like_functions(seed, n):
    g, tg = gens(seed)
    x, tx = cg.zeros(n, dtype=cg.float64), torch.zeros(n, dtype=torch.float64)
    same(cg.rand_like(x, generator=g), torch.rand_like(tx, generator=tg))
    same(cg.randn_like(cg.zeros(n), generator=g), torch.randn_like(torch.zeros(n), generator=tg))
    same(cg.randint_like(x, 10, generator=g), torch.randint_like(tx, 10, generator=tg))
    same(cg.randint_like(cg.zeros(n, dtype=cg.int32), -5, 5, generator=g),
         torch.randint_like(torch.zeros(n, dtype=torch.int32), -5, 5, generator=tg))
    same_state(g, tg)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("low, high", [(0, 10), (-7, 13), (0, 2**28 - 1), (0, 2**28), (0, 2**40),
                                       (-2**62, 2**62)])
def test_randint_ranges_around_the_64_bit_threshold(seed, low, high):
    g, tg = gens(seed)
    same(cg.randint(low, high, (1000,), generator=g), torch.randint(low, high, (1000,), generator=tg))
    same_state(g, tg)


@pytest.mark.parametrize("dtype", ["int8", "uint8", "int16", "int32", "int64", "float32", "float64"])
def test_randint_and_random_in_every_dtype(dtype):
    g, tg = gens(5)
    d, td = getattr(cg, dtype), getattr(torch, dtype)
    same(cg.randint(3, 100, (50,), dtype=d, generator=g), torch.randint(3, 100, (50,), dtype=td, generator=tg))
    same(cg.randint(20, size=(2, 5), dtype=d, generator=g), torch.randint(20, size=(2, 5), dtype=td, generator=tg))
    same(cg.empty(40, dtype=d).random_(generator=g), torch.empty(40, dtype=td).random_(generator=tg))
    same(cg.empty(40, dtype=d).random_(7, generator=g), torch.empty(40, dtype=td).random_(7, generator=tg))
    same(cg.empty(40, dtype=d).random_(2, 9, generator=g), torch.empty(40, dtype=td).random_(2, 9, generator=tg))
    same(cg.empty(40, dtype=d).random_(5, None, generator=g), torch.empty(40, dtype=td).random_(5, None,
                                                                                                 generator=tg))
    same_state(g, tg)


def test_random_full_64_bit_range_and_bool():
    g, tg = gens(6)
    same(cg.empty(30, dtype=cg.int64).random_(-2**63, None, generator=g),
         torch.empty(30, dtype=torch.int64).random_(-2**63, None, generator=tg))
    same(cg.empty(30, dtype=cg.bool).random_(generator=g), torch.empty(30, dtype=torch.bool).random_(generator=tg))
    same_state(g, tg)


def test_integer_argument_errors_are_torchs():
    with pytest.raises(RuntimeError, match="random_ expects 'from' to be less than 'to'"):
        cg.randint(5, 3, (2,))
    with pytest.raises(RuntimeError, match="to - 1 is out of bounds for int"):
        cg.randint(0, 2**40, (2,), dtype=cg.int32)
    with pytest.raises(RuntimeError, match="from is out of bounds for unsigned char"):
        cg.randint(-10, 10, (2,), dtype=cg.uint8)
    with pytest.raises(TypeError, match="must be int"):
        cg.randint(3.5, (2,))
    with pytest.raises(TypeError):
        cg.randint(0, 3, 2)
    with pytest.raises(RuntimeError, match="floating point"):
        cg.randint(10, (2,), requires_grad=True)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("n", [0, 1, 2, 5, 15, 16, 17, 100, 255, 256, 1000, 60000])
def test_randperm(seed, n):
    g, tg = gens(seed)
    same(cg.randperm(n, generator=g), torch.randperm(n, generator=tg))
    same_state(g, tg)


def test_randperm_of_a_million_and_other_dtypes():
    g, tg = gens(0)
    same(cg.randperm(10**6, generator=g), torch.randperm(10**6, generator=tg))
    for d, td in [(cg.float32, torch.float32), (cg.int32, torch.int32), (cg.uint8, torch.uint8)]:
        same(cg.randperm(200, dtype=d, generator=g), torch.randperm(200, dtype=td, generator=tg))
    same_state(g, tg)
    with pytest.raises(RuntimeError, match="2049 for Half"):
        cg.randperm(3000, dtype=cg.float16)
    with pytest.raises(NotImplementedError, match="Bool"):
        cg.randperm(3, dtype=cg.bool)


def test_the_block_shuffle_is_the_plain_swap_loop():
    from chaingrad.random import integers

    for seed, n in [(0, 2), (1, 3), (2, 10), (3, 257), (4, 5000), (5, 20000), (6, 70001)]:
        words = cg.Generator().manual_seed(seed).random(n - 1)
        plain = integers.shuffle_plain(words.tolist(), n)
        for block in (1, 3, 64, 1000, 1 << 15):  # one step per block, blocks of a few, one block for all
            np.testing.assert_array_equal(integers.shuffle_blocked(words, n, block), plain)
    rng = np.random.default_rng(0)
    for n in (4, 9, 64, 300):  # adversarial draws: many steps aiming at the same few positions
        for _ in range(50):
            words = rng.integers(0, 3, n - 1)
            plain = integers.shuffle_plain(words.tolist(), n)
            for block in (2, 7, n):
                np.testing.assert_array_equal(integers.shuffle_blocked(words, n, block), plain)


def test_randperm_from_two_to_the_32_over_20_is_the_inside_out_shuffle(monkeypatch):
    """torch's branch for n >= 2**32 / 20 (214,748,364: too big for a test) draws one random64() per step
    and runs the inside-out Fisher-Yates; here the branch point is moved down to check the dispatch, and the
    vectorized construction is checked against the plain loop."""
    from chaingrad.random import integers

    for seed, n in [(0, 1), (1, 2), (2, 3), (3, 10), (4, 1000), (5, 30000)]:
        values = cg.Generator().manual_seed(seed).random64(n)
        plain = integers.inside_out_plain(values.tolist(), n)
        assert sorted(plain.tolist()) == list(range(n))
        np.testing.assert_array_equal(integers.inside_out_vectorized(values, n), plain)
    rng = np.random.default_rng(1)
    for n in (5, 40):  # adversarial draws: z = 0 or 1 at every step
        for _ in range(30):
            values = rng.integers(0, 2, n).astype(np.uint64)
            np.testing.assert_array_equal(integers.inside_out_vectorized(values, n),
                                          integers.inside_out_plain(values.tolist(), n))
    monkeypatch.setattr(integers, "LARGE_PERM", 100)
    g, ref = cg.Generator().manual_seed(7), cg.Generator().manual_seed(7)
    np.testing.assert_array_equal(cg.randperm(500, generator=g).numpy(),
                                  integers.inside_out_plain(ref.random64(500).tolist(), 500))
    np.testing.assert_array_equal(g.get_state().numpy(), ref.get_state().numpy())  # 2 words per step
    g, tg = gens(7)
    same(cg.randperm(99, generator=g), torch.randperm(99, generator=tg))  # below the branch point: as torch


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("dtypes", FLOATS, ids=["f32", "f64"])
def test_normal_overloads(seed, dtypes):
    d, td = dtypes
    g, tg = gens(seed)
    m, s = np.arange(20) / 4, np.linspace(0.1, 2, 20)
    mean, tmean = cg.tensor(m, dtype=d), torch.tensor(m, dtype=td)
    std, tstd = cg.tensor(s, dtype=d), torch.tensor(s, dtype=td)
    check = same if d is cg.float32 else close_ulp
    check(cg.normal(mean, std, generator=g), torch.normal(tmean, tstd, generator=tg))
    check(cg.normal(mean, 0.5, generator=g), torch.normal(tmean, 0.5, generator=tg))
    check(cg.normal(1.5, std, generator=g), torch.normal(1.5, tstd, generator=tg))
    same(cg.normal(mean[:5], std[:5], generator=g), torch.normal(tmean[:5], tstd[:5], generator=tg))
    same(cg.normal(mean[:3].reshape(3, 1), std[:4], generator=g), torch.normal(tmean[:3].reshape(3, 1), tstd[:4],
                                                                               generator=tg))
    same(cg.normal(0.0, 0.01, size=(2, 1), dtype=d, generator=g), torch.normal(0.0, 0.01, size=(2, 1), dtype=td,
                                                                               generator=tg))
    same_state(g, tg)


def test_normal_mixed_dtypes_and_gradients():
    g, tg = gens(8)
    same(cg.normal(cg.zeros(20), cg.ones(20, dtype=cg.float64) * 3, generator=g),
         torch.normal(torch.zeros(20), torch.ones(20, dtype=torch.float64) * 3, generator=tg))
    mean, tmean = cg.zeros(3, requires_grad=True), torch.zeros(3, requires_grad=True)
    out, tout = cg.normal(mean, 1.0, generator=g), torch.normal(tmean, 1.0, generator=tg)
    same(out.detach(), tout.detach())
    out.sum().backward()
    tout.sum().backward()
    same(mean.grad, tmean.grad)  # zeros: torch does not differentiate the sample
    assert out.grad_fn.name() == tout.grad_fn.name() == "NormalBackward1"


def test_normal_errors_are_torchs():
    with pytest.raises(RuntimeError, match="normal expects std >= 0.0, but found std -1"):
        cg.zeros(4).normal_(0, -1)
    with pytest.raises(RuntimeError, match="normal expects all elements of std >= 0.0"):
        cg.normal(cg.zeros(3), cg.tensor([1.0, -1, 1]))
    with pytest.raises(TypeError):
        cg.normal(0.0, 1.0)
    with pytest.raises(NotImplementedError, match="normal_kernel_cpu"):
        cg.zeros(4, dtype=cg.int32).normal_()
    with pytest.raises(NotImplementedError, match="check_uniform_bounds"):
        cg.rand(2, dtype=cg.int64)
    with pytest.raises(RuntimeError, match=r"uniform_ expects to return a \[from, to\) range"):
        cg.zeros(4).uniform_(3, 1)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("dtypes", FLOATS, ids=["f32", "f64"])
def test_bernoulli(seed, n, dtypes):
    d, td = dtypes
    g, tg = gens(seed)
    w = np.linspace(0, 1, n)
    p, tp = cg.tensor(w, dtype=d), torch.tensor(w, dtype=td)
    same(cg.bernoulli(p, generator=g), torch.bernoulli(tp, generator=tg))
    same(cg.bernoulli(p, 0.3, generator=g), torch.bernoulli(tp, 0.3, generator=tg))
    same(p.bernoulli(generator=g), tp.bernoulli(generator=tg))
    same(cg.empty(n, dtype=d).bernoulli_(0.7, generator=g), torch.empty(n, dtype=td).bernoulli_(0.7, generator=tg))
    same(cg.empty(n, dtype=d).bernoulli_(p, generator=g), torch.empty(n, dtype=td).bernoulli_(tp, generator=tg))
    same(cg.empty(n, dtype=cg.int64).bernoulli_(0.5, generator=g),
         torch.empty(n, dtype=torch.int64).bernoulli_(0.5, generator=tg))
    same_state(g, tg)


def test_bernoulli_of_a_million_and_its_errors():
    g, tg = gens(9)
    same(cg.bernoulli(cg.full((10**6,), 0.5), generator=g), torch.bernoulli(torch.full((10**6,), 0.5),
                                                                             generator=tg))
    with pytest.raises(RuntimeError, match=r"bernoulli_ expects p to be in \[0, 1\], but got p=1.5"):
        cg.zeros(4).bernoulli_(1.5)
    with pytest.raises(RuntimeError, match="p_in >= 0 && p_in <= 1"):
        cg.bernoulli(cg.tensor([0.5, 2.0]))
    for bad in ([float("nan"), 0.5], [0.5, float("nan"), 0.2], [0.1, -0.0, -1e-9]):  # small and large paths
        for p in (bad, bad * 10):
            with pytest.raises(RuntimeError):
                torch.bernoulli(torch.tensor(p))
            with pytest.raises(RuntimeError, match="p_in >= 0 && p_in <= 1"):
                cg.bernoulli(cg.tensor(p))


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("dtypes", FLOATS, ids=["f32", "f64"])
def test_exponential(seed, n, dtypes):
    d, td = dtypes
    g, tg = gens(seed)
    for lambd in (1.0, 2.5):
        a = cg.empty(n, dtype=d).exponential_(lambd, generator=g)
        b = torch.empty(n, dtype=td).exponential_(lambd, generator=tg)
        (same if d is cg.float32 or n < 16 else lambda x, y: close_ulp(x, y, max_fraction=0.15))(a, b)
    same_state(g, tg)
    with pytest.raises(RuntimeError, match="exponential_ expects lambda > 0.0, but found lambda=0"):
        cg.zeros(2).exponential_(0)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("categories", [3, 27, 1000])
@pytest.mark.parametrize("dtypes", FLOATS, ids=["f32", "f64"])
def test_multinomial(seed, categories, dtypes):
    d, td = dtypes
    g, tg = gens(seed)
    w = np.random.default_rng(seed).random(categories) ** 3
    p, tp = cg.tensor(w, dtype=d), torch.tensor(w, dtype=td)
    same(cg.multinomial(p, 1, generator=g), torch.multinomial(tp, 1, generator=tg))
    same(cg.multinomial(p, 1, True, generator=g), torch.multinomial(tp, 1, True, generator=tg))
    k = min(categories, 5)
    same(cg.multinomial(p, k, generator=g), torch.multinomial(tp, k, generator=tg))
    same(cg.multinomial(p, 300, replacement=True, generator=g), torch.multinomial(tp, 300, replacement=True,
                                                                                  generator=tg))
    p2, tp2 = cg.tensor(np.stack([w, w[::-1]]), dtype=d), torch.tensor(np.stack([w, w[::-1]]), dtype=td)
    same(cg.multinomial(p2, 1, generator=g), torch.multinomial(tp2, 1, generator=tg))
    same(cg.multinomial(p2, 40, True, generator=g), torch.multinomial(tp2, 40, True, generator=tg))
    same(p2.multinomial(k, generator=g), tp2.multinomial(k, generator=tg))
    same_state(g, tg)


def test_karpathys_multinomial_example():
    g, tg = gens(2147483647)
    p, tp = cg.rand(3, generator=g), torch.rand(3, generator=tg)
    p, tp = p / p.sum(), tp / tp.sum()
    assert [round(v, 4) for v in p.tolist()] == [0.6064, 0.3033, 0.0903]
    same(cg.multinomial(p, num_samples=100, replacement=True, generator=g),
         torch.multinomial(tp, num_samples=100, replacement=True, generator=tg))


def test_multinomial_errors_are_torchs():
    with pytest.raises(RuntimeError, match="probability tensor contains either `inf`, `nan` or element < 0"):
        cg.multinomial(cg.tensor([0.2, -0.1]), 1)
    with pytest.raises(RuntimeError, match=r"invalid multinomial distribution \(sum of probabilities <= 0\)"):
        cg.multinomial(cg.tensor([0.0, 0.0]), 1)
    with pytest.raises(RuntimeError, match="encountering probability entry < 0"):
        cg.multinomial(cg.tensor([0.2, -0.1]), 2, True)
    with pytest.raises(RuntimeError, match="cannot sample n_sample > prob_dist.size"):
        cg.multinomial(cg.tensor([0.2, 0.3]), 3)
    with pytest.raises(RuntimeError, match="cannot sample n_sample <= 0 samples"):
        cg.multinomial(cg.tensor([0.2, 0.3]), 0)
    with pytest.raises(RuntimeError, match="floating-point dtypes"):
        cg.multinomial(cg.tensor([1, 2]), 1)
    with pytest.raises(RuntimeError, match="prob_dist must be 1 or 2 dim"):
        cg.multinomial(cg.ones(2, 2, 2), 1)


def test_out_arguments_are_filled():
    g, tg = gens(10)
    out, tout = cg.empty(5), torch.empty(5)
    assert cg.rand(5, out=out, generator=g) is out
    torch.rand(5, out=tout, generator=tg)
    same(out, tout)
    out = cg.empty(0, dtype=cg.int64)
    cg.randperm(6, out=out, generator=g)
    same(out, torch.randperm(6, generator=tg))


def test_generator_must_be_a_generator():
    with pytest.raises(TypeError, match="generator"):
        cg.rand(2, generator=5)


def test_small_calls_use_the_global_generator_by_default():
    cg.manual_seed(99)
    torch.manual_seed(99)
    for f in (lambda m: m.rand(2), lambda m: m.randn(2, 3), lambda m: m.randint(0, 5, (4,)),
              lambda m: m.randperm(5), lambda m: m.empty(3).uniform_(), lambda m: m.bernoulli(m.full((4,), 0.5))):
        same(f(cg), f(torch))
    same_state(cg.default_generator, torch.default_generator)


@pytest.mark.parametrize("n", [5, 16, 17, 100, 5000])
def test_float16_draws_compute_in_float32_as_torch(n):
    g, tg = gens(1)
    h, th = cg.float16, torch.float16
    same(cg.rand(n, dtype=h, generator=g), torch.rand(n, dtype=th, generator=tg))
    same(cg.empty(n, dtype=h).uniform_(-0.3, 0.7, generator=g), torch.empty(n, dtype=th).uniform_(-0.3, 0.7,
                                                                                                   generator=tg))
    same(cg.randn(n, dtype=h, generator=g), torch.randn(n, dtype=th, generator=tg))  # whole blocks only
    same(cg.empty(n, dtype=h).normal_(1.5, 0.3, generator=g), torch.empty(n, dtype=th).normal_(1.5, 0.3,
                                                                                                generator=tg))
    same(cg.empty(n, dtype=h).exponential_(generator=g), torch.empty(n, dtype=th).exponential_(generator=tg))
    same(cg.bernoulli(cg.full((n,), 0.3, dtype=h), generator=g), torch.bernoulli(torch.full((n,), 0.3, dtype=th),
                                                                                 generator=tg))
    same_state(g, tg)


@pytest.mark.parametrize("dtypes", FLOATS + [(cg.float16, torch.float16)], ids=["f32", "f64", "f16"])
def test_a_value_rounded_up_to_to_becomes_from(dtypes):
    d, td = dtypes
    g, tg = gens(0)
    for low, high in [(1000.0, 1000.0001), (100.0, 100.001), (0.1, 0.2)]:
        a = cg.empty(20000, dtype=d).uniform_(low, high, generator=g)
        b = torch.empty(20000, dtype=td).uniform_(low, high, generator=tg)
        same(a, b)
        top, bottom = np.array(high, a.numpy().dtype), np.array(low, a.numpy().dtype)
        assert (a.numpy() < top).all() or top == bottom  # (in float16 both bounds can be the same number)
    same_state(g, tg)


@pytest.mark.parametrize("n", [5, 15, 16, 1000])
@pytest.mark.parametrize("dtypes", FLOATS, ids=["f32", "f64"])
def test_geometric_cauchy_and_log_normal(n, dtypes):
    d, td = dtypes
    g, tg = gens(3)
    same(cg.empty(n, dtype=d).geometric_(0.3, generator=g), torch.empty(n, dtype=td).geometric_(0.3, generator=tg))
    same(cg.empty(n, dtype=cg.int64).geometric_(0.05, generator=g),
         torch.empty(n, dtype=torch.int64).geometric_(0.05, generator=tg))
    check = same if d is cg.float32 or n < 16 else (lambda a, b: close_ulp(a, b, max_fraction=0.1, scale=50.0))
    check(cg.empty(n, dtype=d).cauchy_(0.3, 0.7, generator=g), torch.empty(n, dtype=td).cauchy_(0.3, 0.7,
                                                                                                generator=tg))
    a = cg.empty(n, dtype=d).log_normal_(generator=g)
    b = torch.empty(n, dtype=td).log_normal_(generator=tg)
    if d is cg.float32 or n < 16:
        same(a, b)
    else:
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-14)  # a last-bit change of the normal, through exp
    same_state(g, tg)
    with pytest.raises(RuntimeError, match=r"geometric_ expects p to be in \(0, 1\)"):
        cg.zeros(2).geometric_(1)
    with pytest.raises(RuntimeError, match="log_normal_ expects std > 0.0"):
        cg.zeros(2).log_normal_(1, 0)


@pytest.mark.parametrize("fill", ["normal_", "uniform_", "exponential_", "bernoulli_tensor"])
def test_a_recorded_random_fill_passes_zero_gradients_like_torch(fill):
    """y = (x * 2).fill(); loss = (y * x).sum(): x's gradient comes only through the product (the fill's
    node gives x zero, and bernoulli_'s probabilities p zero too), the same values as torch's."""
    results = []
    for lib in (torch, cg):
        lib.manual_seed(0)
        x = lib.tensor([0.5, -1.0, 2.0], requires_grad=True)
        p = lib.tensor([0.2, 0.5, 0.9], requires_grad=True)
        y = x * 2
        if fill == "bernoulli_tensor":
            y.bernoulli_(p)
        else:
            getattr(y, fill)()
        (y * x).sum().backward()
        results.append((y.detach().numpy(), x.grad.numpy(), None if p.grad is None else p.grad.numpy()))
    (ty, tx, tp), (cy, cx, cp) = results
    np.testing.assert_array_equal(cy, ty)
    np.testing.assert_array_equal(cx, tx)
    assert (tp is None) == (cp is None)
    if tp is not None:
        np.testing.assert_array_equal(cp, tp)


def test_uniform_takes_from_and_to_by_name_and_rejects_other_names():
    g, tg = gens(4)
    same(cg.empty(2, 3).uniform_(**{"from": -2.0, "to": 0.5}, generator=g),
         torch.empty(2, 3).uniform_(**{"from": -2.0, "to": 0.5}, generator=tg))
    same(cg.empty(5, dtype=cg.float64).uniform_(1.5, **{"to": 4}, generator=g),
         torch.empty(5, dtype=torch.float64).uniform_(1.5, **{"to": 4}, generator=tg))
    for lib in (torch, cg):
        with pytest.raises(TypeError, match="uniform_.. got an unexpected keyword argument 'low'"):
            lib.empty(3).uniform_(0, 1, low=3)
    same_state(g, tg)


@pytest.mark.parametrize("shape", [(4, 5), (2, 3, 4), ()])
def test_bernoulli_of_any_shape_and_layout(shape):
    g, tg = gens(6)
    w = np.random.default_rng(0).random(shape).astype(np.float32)
    p, tp = cg.tensor(w), torch.tensor(w)
    same(cg.bernoulli(p, generator=g), torch.bernoulli(tp, generator=tg))
    if len(shape) >= 2:
        same(cg.bernoulli(p.transpose(0, 1), generator=g), torch.bernoulli(tp.transpose(0, 1), generator=tg))
        same(cg.bernoulli(p[:, ::2], 0.25, generator=g), torch.bernoulli(tp[:, ::2], 0.25, generator=tg))
    same_state(g, tg)


@pytest.mark.parametrize("view", ["t", "cols", "rows", "column", "t_sliced"])
@pytest.mark.parametrize("replacement", [True, False])
@pytest.mark.parametrize("num_samples", [1, 2])
def test_multinomial_of_views_draws_in_torchs_order(view, replacement, num_samples):
    # the exponential race fills a tensor laid out like the input, in memory order; with replacement the
    # uniforms go in index order
    w = np.random.default_rng(0).random((6, 5)).astype(np.float32)
    take = {"t": lambda x: x.t(), "cols": lambda x: x[:, ::2], "rows": lambda x: x[::2], "column": lambda x: x[:, 1],
            "t_sliced": lambda x: x.t()[1:, ::2]}[view]
    g, tg = gens(3)
    same(cg.multinomial(take(cg.tensor(w)), num_samples, replacement, generator=g),
         torch.multinomial(take(torch.tensor(w)), num_samples, replacement, generator=tg))
    same_state(g, tg)
