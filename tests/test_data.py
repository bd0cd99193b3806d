"""chaingrad.utils.data: the semantics of torch.utils.data (batching, shuffling, collation, splitting)."""

from __future__ import annotations

from collections import namedtuple

import numpy as np
import pytest

import chaingrad
from chaingrad.utils import data


def _dataset(n=10):
    x = chaingrad.arange(n * 2, dtype=chaingrad.float32).reshape(n, 2)
    y = chaingrad.arange(n)
    return data.TensorDataset(x, y)


def test_tensor_dataset_indexing_and_length():
    ds = _dataset()
    assert len(ds) == 10
    x, y = ds[3]
    assert x.tolist() == [6.0, 7.0] and y.item() == 3
    with pytest.raises(AssertionError, match="Size mismatch"):
        data.TensorDataset(chaingrad.zeros(3, 2), chaingrad.zeros(4))


@pytest.mark.parametrize("batch_size,drop_last,sizes", [(3, False, [3, 3, 3, 1]), (3, True, [3, 3, 3]),
                                                        (10, False, [10]), (20, True, [])])
def test_batches_in_order_with_or_without_the_last_partial_batch(batch_size, drop_last, sizes):
    loader = data.DataLoader(_dataset(), batch_size=batch_size, drop_last=drop_last)
    batches = list(loader)
    assert [len(b[1]) for b in batches] == sizes and len(loader) == len(sizes)
    if batches:
        assert isinstance(batches[0], list)  # tuples collate to lists, as torch
        assert batches[0][0].dtype == chaingrad.float32 and batches[0][1].dtype == chaingrad.int64
        assert np.concatenate([b[1].numpy() for b in batches]).tolist() == list(range(sum(sizes)))


def test_fast_tensor_dataset_path_equals_stacking_samples():
    ds = _dataset(7)
    fast = list(data.DataLoader(ds, batch_size=3))
    slow = list(data.DataLoader(ds, batch_size=3, collate_fn=lambda b: data.default_collate(b)))
    for (fx, fy), (sx, sy) in zip(fast, slow):
        np.testing.assert_array_equal(fx.numpy(), sx.numpy())
        np.testing.assert_array_equal(fy.numpy(), sy.numpy())


def test_shuffle_is_a_permutation_that_changes_per_epoch_and_repeats_under_manual_seed():
    ds = _dataset(50)

    def epochs(loader, n=2):
        return [np.concatenate([y.numpy() for _, y in loader]).tolist() for _ in range(n)]

    chaingrad.manual_seed(0)
    first = epochs(data.DataLoader(ds, batch_size=8, shuffle=True))
    chaingrad.manual_seed(0)
    again = epochs(data.DataLoader(ds, batch_size=8, shuffle=True))
    assert first == again
    assert sorted(first[0]) == list(range(50)) and first[0] != first[1] and first[0] != list(range(50))


def test_shuffle_with_a_generator_does_not_touch_the_global_generator():
    ds = _dataset(30)
    state = chaingrad.get_rng_state()
    a = [y.tolist() for _, y in data.DataLoader(ds, 5, shuffle=True, generator=chaingrad.Generator().manual_seed(3))]
    b = [y.tolist() for _, y in data.DataLoader(ds, 5, shuffle=True, generator=chaingrad.Generator().manual_seed(3))]
    assert a == b
    np.testing.assert_array_equal(chaingrad.get_rng_state().numpy(), state.numpy())


def test_default_collate_numbers_arrays_dicts_namedtuples_and_strings():
    assert data.default_collate([1, 2, 3]).dtype == chaingrad.int64
    floats = data.default_collate([1.0, 2.5])
    assert floats.dtype == chaingrad.float64 and floats.tolist() == [1.0, 2.5]
    arr = data.default_collate([np.zeros(2, np.float32), np.ones(2, np.float32)])
    assert arr.shape == (2, 2) and arr.dtype == chaingrad.float32
    batch = data.default_collate([{"x": chaingrad.ones(3), "label": 1, "name": "a"},
                                  {"x": chaingrad.zeros(3), "label": 0, "name": "b"}])
    assert batch["x"].shape == (2, 3) and batch["label"].tolist() == [1, 0] and batch["name"] == ["a", "b"]
    Point = namedtuple("Point", "x y")
    p = data.default_collate([Point(1, 2.0), Point(3, 4.0)])
    assert isinstance(p, Point) and p.x.tolist() == [1, 3]
    nested = data.default_collate([(chaingrad.ones(2), (1, 2)), (chaingrad.zeros(2), (3, 4))])
    assert nested[1][0].tolist() == [1, 3]
    with pytest.raises(RuntimeError, match="equal size"):
        data.default_collate([[1, 2], [1]])
    with pytest.raises(TypeError, match="default_collate"):
        data.default_collate([object(), object()])


class Squares(data.Dataset):
    def __len__(self):
        return 5

    def __getitem__(self, i):
        return {"i": i, "sq": chaingrad.tensor([float(i * i)])}


def test_map_style_dataset_with_dict_samples_and_custom_collate():
    batches = list(data.DataLoader(Squares(), batch_size=2))
    assert [b["i"].tolist() for b in batches] == [[0, 1], [2, 3], [4]]
    assert batches[1]["sq"].shape == (2, 1)
    sums = list(data.DataLoader(Squares(), batch_size=5, collate_fn=lambda b: sum(s["i"] for s in b)))
    assert sums == [10]


def test_batch_size_none_returns_samples_unbatched():
    out = list(data.DataLoader(Squares(), batch_size=None))
    assert len(out) == 5 and out[2]["i"] == 2


def test_samplers_and_batch_sampler():
    ds = _dataset(10)
    loader = data.DataLoader(ds, batch_sampler=[[0, 1], [5, 9, 2]])
    assert [y.tolist() for _, y in loader] == [[0, 1], [5, 9, 2]]
    loader = data.DataLoader(ds, batch_size=4, sampler=data.SubsetRandomSampler([1, 3, 5],
                                                                                generator=chaingrad.Generator()))
    assert sorted(next(iter(loader))[1].tolist()) == [1, 3, 5]
    assert list(data.BatchSampler(data.SequentialSampler(range(5)), 2, drop_last=False)) == [[0, 1], [2, 3], [4]]
    rs = data.RandomSampler(ds, replacement=True, num_samples=25, generator=chaingrad.Generator().manual_seed(1))
    draws = list(rs)
    assert len(draws) == 25 and all(0 <= i < 10 for i in draws)
    w = list(data.WeightedRandomSampler([0.0, 1.0, 0.0], 6, generator=chaingrad.Generator()))
    assert w == [1] * 6


def test_option_conflicts_raise_as_torch():
    ds = _dataset()
    with pytest.raises(ValueError, match="mutually exclusive with shuffle"):
        data.DataLoader(ds, sampler=data.SequentialSampler(ds), shuffle=True)
    with pytest.raises(ValueError, match="batch_sampler option is mutually exclusive"):
        data.DataLoader(ds, batch_size=4, batch_sampler=[[0]])
    with pytest.raises(ValueError, match="batch_size should be a positive integer"):
        data.DataLoader(ds, batch_size=0)


def test_random_split_lengths_and_fractions():
    ds = _dataset(10)
    a, b = data.random_split(ds, [7, 3], generator=chaingrad.Generator().manual_seed(0))
    assert len(a) == 7 and len(b) == 3
    idx = sorted(list(a.indices) + list(b.indices))
    assert idx == list(range(10))
    parts = data.random_split(ds, [0.5, 0.3, 0.2], generator=chaingrad.Generator().manual_seed(0))
    assert [len(p) for p in parts] == [5, 3, 2]
    parts = data.random_split(range(7), [0.5, 0.5])
    assert sorted(len(p) for p in parts) == [3, 4]
    with pytest.raises(ValueError, match="Sum of input lengths"):
        data.random_split(ds, [5, 6])
    chaingrad.manual_seed(4)
    first = data.random_split(ds, [5, 5])[0].indices
    chaingrad.manual_seed(4)
    assert data.random_split(ds, [5, 5])[0].indices == first


def test_subset_and_concat_datasets_in_a_loader():
    ds = _dataset(10)
    sub = data.Subset(ds, [9, 8, 7])
    assert sub[0][1].item() == 9 and len(sub) == 3
    assert [y.tolist() for _, y in data.DataLoader(sub, batch_size=2)] == [[9, 8], [7]]
    both = ds + sub
    assert len(both) == 13 and both[10][1].item() == 9 and both[-1][1].item() == 7


class Counter(data.IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        return iter(range(self.n))


def test_iterable_dataset_is_batched_in_order():
    loader = data.DataLoader(Counter(7), batch_size=3)
    assert [b.tolist() for b in loader] == [[0, 1, 2], [3, 4, 5], [6]]
    assert [b.tolist() for b in data.DataLoader(Counter(7), batch_size=3, drop_last=True)] == [[0, 1, 2], [3, 4, 5]]
    with pytest.raises(ValueError, match="expected unspecified shuffle option"):
        data.DataLoader(Counter(3), shuffle=True)
    with pytest.raises(TypeError):
        len(data.DataLoader(Counter(3)))


def test_textbook_loop_over_a_data_iter():
    """d2l's load_array: data.DataLoader(data.TensorDataset(*arrays), batch_size, shuffle=is_train)."""
    X, y = chaingrad.randn(100, 2), chaingrad.randn(100, 1)
    data_iter = data.DataLoader(data.TensorDataset(X, y), 10, shuffle=True)
    seen = 0
    for Xb, yb in data_iter:
        assert Xb.shape == (10, 2) and yb.shape == (10, 1)
        seen += len(Xb)
    assert seen == 100


def test_stack_dataset_as_torchs():
    import torch

    cg = chaingrad
    out = []
    for lib in (cg, torch):
        a, b = lib.arange(6.0).reshape(3, 2), lib.tensor([10, 20, 30])
        pair = lib.utils.data.StackDataset(lib.utils.data.TensorDataset(a), b)
        named = lib.utils.data.StackDataset(x=a, y=lib.utils.data.TensorDataset(b))
        loader = lib.utils.data.DataLoader(named, batch_size=2)
        out.append([len(pair), repr(pair[1]), repr(named[2]), [repr(batch) for batch in loader],
                    repr(pair.__getitems__([2, 0]))])
        for args, kwargs, message in (((a, b[:2]), {}, "Size mismatch between datasets"),
                                      ((), {}, "At least one dataset should be passed"),
                                      ((a,), {"y": b}, "but both types are given")):
            with pytest.raises(ValueError, match=message):
                lib.utils.data.StackDataset(*args, **kwargs)
    assert repr(out[0]) == repr(out[1]).replace("torch", "chaingrad")
