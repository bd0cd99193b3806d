"""Words read ahead: repeated small ``randn`` calls take normal blocks computed in one pass from the
generator's next words (normal.py). Every sequence of calls must give torch's numbers and torch's state,
whatever other draws, state reads and reseeds come in between, and the same numbers as the plain path."""

from __future__ import annotations

import copy
import pickle
import random

import numpy as np
import pytest
import torch

import chaingrad as cg
from chaingrad.random import normal


def _draw(lib, g, op: str, arg):
    if op == "randn":
        return lib.randn(arg, generator=g)
    if op == "randn16":
        return lib.randn(arg, generator=g, dtype=lib.float16).float()
    if op == "randn64":
        return lib.randn(arg, generator=g, dtype=lib.float64)
    if op == "normal":
        return lib.normal(2.5, 0.75, size=(arg,), generator=g)
    if op == "normal_":
        return lib.empty(arg).normal_(-1.0, 3.0, generator=g)
    if op == "rand":
        return lib.rand(arg, generator=g)
    if op == "randint":
        return lib.randint(0, 1000, (arg,), generator=g)
    if op == "randperm":
        return lib.randperm(arg, generator=g)
    if op == "state":
        state = g.get_state()
        if arg:
            g.set_state(state)
        return state
    if op == "seed":
        return g.manual_seed(arg).initial_seed()
    raise AssertionError(op)


def _run(lib, seed: int, ops) -> list[np.ndarray]:
    g = lib.Generator().manual_seed(seed)
    out = []
    for op, arg in ops:
        v = _draw(lib, g, op, arg)
        out.append(np.asarray(v.numpy() if hasattr(v, "numpy") else v).copy())
    out.append(g.get_state().numpy().copy())
    return out


def _same(a: list[np.ndarray], b: list[np.ndarray]) -> None:
    assert len(a) == len(b)
    for i, (x, y) in enumerate(zip(a, b)):
        assert x.dtype == y.dtype and x.shape == y.shape, i
        if x.dtype == np.float64:  # float64 normals may differ by 1 ulp (NumPy's log; see normal.py)
            np.testing.assert_allclose(x, y, rtol=4e-16, atol=0, err_msg=str(i))
        else:
            assert np.array_equal(x, y), i


def _random_ops(rng: random.Random, length: int):
    ops = []
    for _ in range(length):
        r = rng.random()
        if r < 0.75:
            ops.append(("randn", rng.choice([16, 16, 16, 16, 32, 64, 128, 144, 17, 5])))
        elif r < 0.8:
            ops.append((rng.choice(["randn16", "normal", "normal_"]), rng.choice([16, 32])))
        elif r < 0.86:
            ops.append(("rand", rng.choice([1, 3, 16, 700])))
        elif r < 0.89:
            ops.append(("randn64", 16))
        elif r < 0.92:
            ops.append(("randint", rng.choice([2, 16])))
        elif r < 0.95:
            ops.append(("randperm", rng.choice([3, 300])))
        elif r < 0.98:
            ops.append(("state", rng.random() < 0.5))
        else:
            ops.append(("seed", rng.randrange(2**32)))
    return ops


@pytest.mark.parametrize("trial", range(12))
def test_mixed_sequences_give_torchs_numbers_and_state(trial):
    rng = random.Random(trial)
    ops = _random_ops(rng, rng.randint(20, 160))
    seed = rng.randrange(2**31)
    _same(_run(torch, seed, ops), _run(cg, seed, ops))


def test_long_streaks_cross_twists_and_the_largest_pass():
    # 1500 blocks run past several passes of the most blocks and about forty twists of the engine
    ops = [("randn", 16)] * 1500 + [("state", False)] + [("randn", 32)] * 400 + [("rand", 5)]
    ops += [("randn", 16)] * 700 + [("randn", 128)] * 50
    _same(_run(torch, 7, ops), _run(cg, 7, ops))


@pytest.mark.parametrize("where", [3, 40, 517])
def test_the_state_read_in_a_streak_is_torchs_and_continues(where):
    ops = [("randn", 16)] * where
    for lib in (torch, cg):
        g = lib.Generator().manual_seed(11)
        for op, arg in ops:
            _draw(lib, g, op, arg)
        state = g.get_state()
        after = [lib.randn(16, generator=g) for _ in range(30)]
        h = lib.Generator().set_state(state)
        again = [lib.randn(16, generator=h) for _ in range(30)]
        if lib is torch:
            want_state, want = state.numpy().copy(), np.stack([t.numpy() for t in after])
        else:
            assert np.array_equal(state.numpy(), want_state)
            got = np.stack([t.numpy() for t in after])
            assert np.array_equal(got, want)
            assert np.array_equal(np.stack([t.numpy() for t in again]), want)


def test_copies_of_a_generator_in_a_streak_continue_identically():
    g = cg.Generator().manual_seed(3)
    for _ in range(20):
        cg.randn(16, generator=g)
    copies = [pickle.loads(pickle.dumps(g)), copy.deepcopy(g), g.clone_state()]
    want = np.stack([cg.randn(16, generator=g).numpy() for _ in range(40)])
    for h in copies:
        assert np.array_equal(np.stack([cg.randn(16, generator=h).numpy() for _ in range(40)]), want)


def test_returned_tensors_do_not_share_the_blocks_computed_ahead():
    g = cg.Generator().manual_seed(5)
    t = torch.Generator().manual_seed(5)
    for _ in range(4):
        a = cg.randn(16, generator=g)
        a.add_(100.0)  # writing into one result must not change the next ones
    got = np.stack([cg.randn(16, generator=g).numpy() for _ in range(10)])
    for _ in range(4):
        torch.randn(16, generator=t)
    assert np.array_equal(got, np.stack([torch.randn(16, generator=t).numpy() for _ in range(10)]))


def test_the_default_generator_reads_ahead_like_any_other():
    ops = [("randn", 16)] * 60 + [("rand", 3)] + [("randn", 16)] * 10
    for lib in (torch, cg):
        lib.manual_seed(123)
        vals = [lib.randn(a) if op == "randn" else lib.rand(a) for op, a in ops]
        state = lib.get_rng_state()
        if lib is torch:
            want = [v.numpy().copy() for v in vals], state.numpy().copy()
        else:
            _same([v.numpy() for v in vals] + [state.numpy()], want[0] + [want[1]])


def test_blocks_computed_ahead_equal_the_plain_path(monkeypatch):
    rng = random.Random(99)
    ops = _random_ops(rng, 300)
    fast = _run(cg, 42, ops)
    monkeypatch.setattr(normal, "STREAK", 10**9)  # never read ahead
    plain = _run(cg, 42, ops)
    assert all(np.array_equal(a, b) for a, b in zip(fast, plain))


def test_streaks_do_read_ahead():
    g = cg.Generator().manual_seed(0)
    for _ in range(10):
        cg.randn(16, generator=g)
    record = g._ahead_values
    assert isinstance(record, normal._Ahead) and len(record.blocks) >= 8
    assert g._ahead is not None  # the words of the blocks not taken yet
    g.get_state()
    assert g._ahead is None and g._ahead_values is None  # reading the state winds the engine back
