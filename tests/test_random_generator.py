"""The generator is torch's: the same seeds (default, manual, fresh per process), the same 32-bit words, and
the same 5056-byte state, so a state saved by torch loads into chaingrad and continues identically, and back."""

from __future__ import annotations

import copy
import pickle
import subprocess
import sys

import numpy as np
import pytest
import torch

import chaingrad as cg
from chaingrad.random import generator as gen_mod


def _mixed_ops(lib, g):
    """A sequence touching every kind of draw, the Box-Muller cache included; returns the values."""
    out = [lib.rand(5, generator=g), lib.randn(3, generator=g), lib.randint(0, 2**30, (4,), generator=g),
           lib.randn(40, generator=g), lib.randn(1, generator=g), lib.randperm(7, generator=g),
           lib.empty(17, dtype=lib.float64).normal_(generator=g), lib.randn(5, generator=g)]
    return [t.numpy() for t in out]


def test_a_new_generator_starts_from_torchs_default_seed():
    assert cg.Generator().initial_seed() == torch.Generator().initial_seed() == 67280421310721
    assert np.array_equal(cg.rand(8, generator=cg.Generator()).numpy(), torch.rand(8, generator=torch.Generator()))
    assert np.array_equal(cg.Generator().get_state().numpy(), torch.Generator().get_state().numpy())


@pytest.mark.parametrize("seed", [0, 1, 42, 2147483647, 2**32 + 7, 2**63 + 5, 2**64 - 1, -1, -(2**63)])
def test_manual_seed_gives_torchs_stream_and_initial_seed(seed):
    g, tg = cg.Generator(), torch.Generator()
    assert g.manual_seed(seed) is g  # so that Generator().manual_seed(s) chains
    tg.manual_seed(seed)
    assert g.initial_seed() == tg.initial_seed()
    for a, b in zip(_mixed_ops(cg, g), _mixed_ops(torch, tg)):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(g.get_state().numpy(), tg.get_state().numpy())


def test_only_the_low_32_bits_of_the_seed_reach_the_engine():
    a = cg.rand(4, generator=cg.Generator().manual_seed(5)).numpy()
    b = cg.rand(4, generator=cg.Generator().manual_seed(2**40 + 5)).numpy()
    np.testing.assert_array_equal(a, b)
    assert cg.Generator().manual_seed(2**40 + 5).initial_seed() == 2**40 + 5


def test_global_manual_seed_and_initial_seed():
    assert cg.manual_seed(123) is cg.default_generator
    torch.manual_seed(123)
    np.testing.assert_array_equal(cg.randn(20).numpy(), torch.randn(20).numpy())
    assert cg.initial_seed() == 123 and cg.random.initial_seed() == 123
    cg.manual_seed(7.9)  # torch.manual_seed applies int()
    assert cg.initial_seed() == 7


def test_bad_seeds_raise_like_torch():
    with pytest.raises(RuntimeError, match="manual_seed expected a long, but got float"):
        cg.Generator().manual_seed(1.5)
    with pytest.raises(RuntimeError, match="bool"):
        cg.Generator().manual_seed(True)
    with pytest.raises(ValueError, match="out of range"):
        cg.Generator().manual_seed(2**64)
    with pytest.raises(RuntimeError, match="computes on the CPU"):
        cg.Generator(device="cuda")


def test_seed_draws_a_fresh_64_bit_seed_and_uses_it():
    g = cg.Generator()
    s = g.seed()
    assert 0 <= s < 2**64 and g.initial_seed() == s
    np.testing.assert_array_equal(cg.rand(3, generator=g).numpy(),
                                  cg.rand(3, generator=cg.Generator().manual_seed(s)).numpy())
    assert cg.seed() == cg.initial_seed()


def test_every_process_seeds_the_default_generator_afresh():
    code = "import chaingrad as c; print(c.initial_seed(), c.rand(1).item(), c.Generator().initial_seed())"
    runs = [subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
            for _ in range(2)]
    assert runs[0][0] != runs[1][0] and runs[0][1] != runs[1][1]
    assert runs[0][2] == runs[1][2] == "67280421310721"


def test_the_state_layout_is_torchs_5056_bytes():
    assert gen_mod.STATE_SIZE == 5056
    assert [gen_mod.STATE_LAYOUT.fields[f][1] for f in ("left", "next", "state", "normal_y", "float_normal")] == [
        8, 16, 24, 5024, 5048]
    st = cg.Generator().get_state()
    assert st.dtype is cg.uint8 and st.shape == (5056,)


@pytest.mark.parametrize("steps", [0, 1, 2, 3, 5, 8])
def test_get_state_is_byte_identical_after_any_sequence_of_draws(steps):
    g, tg = cg.Generator().manual_seed(9), torch.Generator().manual_seed(9)
    ops = [lambda m, x: m.randn(3, generator=x), lambda m, x: m.rand(700, generator=x),  # crosses a twist
           lambda m, x: m.randn(1, generator=x), lambda m, x: m.randint(0, 5, (3,), generator=x),
           lambda m, x: m.randn(33, generator=x), lambda m, x: m.rand(624 - 3, generator=x),
           lambda m, x: m.randn(5, generator=x), lambda m, x: m.rand(3, generator=x)]
    for op in ops[:steps]:
        op(cg, g)
        op(torch, tg)
    np.testing.assert_array_equal(g.get_state().numpy(), tg.get_state().numpy())


def test_drawing_nothing_leaves_a_fresh_generator_fresh():
    g, tg = cg.Generator().manual_seed(3), torch.Generator().manual_seed(3)
    cg.rand(0, generator=g), cg.randn(0, generator=g), cg.randperm(1, generator=g)
    torch.rand(0, generator=tg), torch.randn(0, generator=tg), torch.randperm(1, generator=tg)
    np.testing.assert_array_equal(g.get_state().numpy(), tg.get_state().numpy())
    cg.rand(2, generator=g), cg.rand(0, generator=g)
    torch.rand(2, generator=tg), torch.rand(0, generator=tg)
    np.testing.assert_array_equal(g.get_state().numpy(), tg.get_state().numpy())


def test_exactly_624_draws_reports_next_624_as_torch():
    g, tg = cg.Generator().manual_seed(3), torch.Generator().manual_seed(3)
    cg.rand(624, generator=g)
    torch.rand(624, generator=tg)
    np.testing.assert_array_equal(g.get_state().numpy(), tg.get_state().numpy())


def test_a_torch_state_continues_identically_in_chaingrad_and_back():
    tg = torch.Generator().manual_seed(2024)
    torch.rand(100, generator=tg)
    torch.randn(3, generator=tg)  # leaves a cached normal in the state
    g = cg.Generator().set_state(cg.tensor(tg.get_state().numpy()))
    assert g.initial_seed() == 2024
    for a, b in zip(_mixed_ops(cg, g), _mixed_ops(torch, tg)):
        np.testing.assert_array_equal(a, b)
    cg.randn(7, generator=g)
    back = torch.Generator()
    back.set_state(torch.from_numpy(g.get_state().numpy()))
    np.testing.assert_array_equal(torch.randn(9, generator=back).numpy(), cg.randn(9, generator=g).numpy())
    np.testing.assert_array_equal(back.get_state().numpy(), g.get_state().numpy())


def test_rng_state_of_the_default_generator_round_trips():
    cg.manual_seed(11)
    torch.manual_seed(11)
    cg.rand(10)
    torch.rand(10)
    np.testing.assert_array_equal(cg.get_rng_state().numpy(), torch.get_rng_state().numpy())
    saved = cg.get_rng_state()
    a = cg.randn(20).numpy()
    cg.set_rng_state(saved)
    np.testing.assert_array_equal(cg.randn(20).numpy(), a)
    torch.set_rng_state(torch.from_numpy(saved.numpy()))
    np.testing.assert_array_equal(torch.randn(20).numpy(), a)


def test_set_state_rejects_what_torch_rejects():
    g = cg.Generator()
    good = g.get_state().numpy()
    with pytest.raises(RuntimeError, match="size 5056 but found the input RNG state size to be 100"):
        g.set_state(cg.tensor(good[:100]))
    with pytest.raises(TypeError, match="ByteTensor"):
        g.set_state(cg.tensor(good.astype(np.float32)))
    with pytest.raises(TypeError, match="ByteTensor"):
        g.set_state(good)
    bad = good.copy()
    bad[8:12] = np.array([0], "<i4").view(np.uint8)  # left = 0
    with pytest.raises(RuntimeError, match="Invalid mt19937 state"):
        g.set_state(cg.tensor(bad))
    bad = good.copy()
    bad[12:16] = 0  # not seeded
    with pytest.raises(RuntimeError, match="Invalid mt19937 state"):
        g.set_state(cg.tensor(bad))


def test_pickle_deepcopy_and_clone_state_keep_the_stream():
    g = cg.Generator().manual_seed(5)
    cg.randn(3, generator=g)
    for twin in (pickle.loads(pickle.dumps(g)), copy.deepcopy(g), g.clone_state()):
        np.testing.assert_array_equal(cg.randn(9, generator=twin).numpy(),
                                      cg.randn(9, generator=copy.deepcopy(g)).numpy())
        assert twin.initial_seed() == 5


def test_offset_and_graphsafe_state_raise_as_on_torchs_cpu_generator():
    g = cg.Generator()
    with pytest.raises(RuntimeError, match="CPU Generator does not use offset"):
        g.get_offset()
    with pytest.raises(NotImplementedError):
        g.graphsafe_get_state()


def test_fork_rng_restores_the_default_generator():
    cg.manual_seed(0)
    with cg.random.fork_rng():
        inside = cg.rand(3).numpy()
    np.testing.assert_array_equal(cg.rand(3).numpy(), inside)
    with cg.random.fork_rng(enabled=False):
        cg.rand(3)
    torch.manual_seed(0)
    torch.rand(3)
    torch.rand(3)
    np.testing.assert_array_equal(cg.rand(3).numpy(), torch.rand(3).numpy())
    with pytest.raises(RuntimeError, match="CPU"):
        with cg.random.fork_rng(devices=[0]):
            pass


def test_seeding_without_numpys_private_helper_gives_the_same_words():
    key = gen_mod.init_genrand(2147483647)
    rs = np.random.RandomState(2147483647)
    np.testing.assert_array_equal(key, rs.get_state()[1])
