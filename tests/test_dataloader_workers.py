"""DataLoader(num_workers > 0) loads in worker processes as torch does: the same batches in the same order
as without workers, each worker seeded with base_seed + id (NumPy with torch's SeedSequence words),
worker_init_fn and get_worker_info, IterableDatasets split by worker, errors and timeouts reported,
persistent workers kept between epochs."""

from __future__ import annotations

import os
import random
import time

import numpy as np
import pytest
import torch

import chaingrad
from chaingrad.utils import data
from chaingrad.utils._workers import numpy_seed


class Probe(data.Dataset):
    """Each sample says which worker made it and what its random generators gave."""

    def __len__(self):
        return 8

    def __getitem__(self, i):
        info = data.get_worker_info()
        return {"i": i, "worker": info.id, "workers": info.num_workers, "seed": info.seed, "pid": os.getpid(),
                "chaingrad": float(chaingrad.rand(1)), "numpy": float(np.random.rand()), "python": random.random(),
                "same_dataset": info.dataset is self or type(info.dataset) is Probe}


def test_batches_are_the_same_with_and_without_workers():
    X, y = chaingrad.arange(60.0).reshape(30, 2), chaingrad.arange(30)
    for shuffle in (False, True):
        runs = []
        for workers in (0, 1, 3):
            g = chaingrad.Generator().manual_seed(7)
            loader = data.DataLoader(data.TensorDataset(X, y), batch_size=4, shuffle=shuffle, generator=g,
                                     num_workers=workers, drop_last=shuffle)
            runs.append([(bx.tolist(), by.tolist()) for bx, by in loader])
        assert runs[0] == runs[1] == runs[2]
        assert len(runs[0]) == (7 if shuffle else 8)


def test_workers_are_seeded_as_torch_seeds_them():
    g = chaingrad.Generator().manual_seed(11)
    loader = data.DataLoader(Probe(), batch_size=None, num_workers=2, generator=g)
    samples = list(loader)
    g2 = chaingrad.Generator().manual_seed(11)
    base_seed = int(chaingrad.randint(0, 2 ** 63 - 1, (), generator=g2, dtype=chaingrad.int64))
    assert [s["i"] for s in samples] == list(range(8))
    assert [s["worker"] for s in samples] == [0, 1, 0, 1, 0, 1, 0, 1]  # tasks go to the workers in turn
    for s in samples:
        assert s["seed"] == base_seed + s["worker"] and s["workers"] == 2 and s["same_dataset"]
    assert len({s["pid"] for s in samples} | {os.getpid()}) == 3
    for worker in (0, 1):
        first = next(s for s in samples if s["worker"] == worker)
        chaingrad.manual_seed(base_seed + worker)
        assert first["chaingrad"] == float(chaingrad.rand(1))
        random.seed(base_seed + worker)
        assert first["python"] == random.random()
        # NumPy's seed words are torch's own (torch.utils.data's _generate_state)
        words = torch.utils.data._utils.worker._generate_state(base_seed, worker)
        assert numpy_seed(base_seed, worker) == words
        np.random.seed(words)
        assert first["numpy"] == np.random.rand()
    assert data.get_worker_info() is None  # in the main process


def test_worker_init_fn_runs_in_each_worker_with_its_id(tmp_path):
    def init(worker_id):
        (tmp_path / f"worker{worker_id}-{data.get_worker_info().id}").write_text(str(os.getpid()))

    list(data.DataLoader(Probe(), batch_size=2, num_workers=3, worker_init_fn=init))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["worker0-0", "worker1-1", "worker2-2"]


class Stream(data.IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        info = data.get_worker_info()
        if info is None:
            return iter(range(self.n))
        return iter(range(info.id, self.n, info.num_workers))


def test_an_iterable_dataset_is_split_between_workers_by_get_worker_info():
    batches = [b.tolist() for b in data.DataLoader(Stream(11), batch_size=3, num_workers=2)]
    assert batches == [[0, 2, 4], [1, 3, 5], [6, 8, 10], [7, 9]]  # round robin over workers, as torch
    assert sorted(x for b in batches for x in b) == list(range(11))
    assert [b.tolist() for b in data.DataLoader(Stream(5), batch_size=2)] == [[0, 1], [2, 3], [4]]
    assert list(data.DataLoader(Stream(4), batch_size=None, num_workers=2)) == [0, 1, 2, 3]


class Failing(data.Dataset):
    def __len__(self):
        return 4

    def __getitem__(self, i):
        if i == 2:
            raise KeyError(f"no sample {i}")
        return i


class Slow(data.Dataset):
    def __len__(self):
        return 2

    def __getitem__(self, i):
        time.sleep(1)
        return i


def test_errors_in_workers_are_raised_in_the_main_process_and_timeouts_too():
    with pytest.raises(KeyError, match="Caught KeyError in DataLoader worker process 0.*no sample 2"):
        list(data.DataLoader(Failing(), batch_size=1, num_workers=2))
    with pytest.raises(RuntimeError, match="DataLoader timed out after 0.2 seconds"):
        list(data.DataLoader(Slow(), batch_size=1, num_workers=1, timeout=0.2))


def test_persistent_workers_serve_several_epochs_and_in_order_false_yields_everything():
    loader = data.DataLoader(Probe(), batch_size=2, num_workers=2, persistent_workers=True)
    first = [b["pid"].tolist() for b in loader]
    second = [b["pid"].tolist() for b in loader]
    assert first == second and len(first) == 4
    streams = data.DataLoader(Stream(9), batch_size=2, num_workers=2, persistent_workers=True)
    assert [b.tolist() for b in streams] == [b.tolist() for b in streams]
    unordered = data.DataLoader(Probe(), batch_size=1, num_workers=3, in_order=False)
    assert sorted(int(b["i"]) for b in unordered) == list(range(8))


def test_worker_options_are_checked_as_torch_checks_them():
    ds = Probe()
    with pytest.raises(ValueError, match="prefetch_factor option could only be specified in multiprocessing"):
        data.DataLoader(ds, prefetch_factor=2)
    with pytest.raises(ValueError, match="persistent_workers option needs num_workers > 0"):
        data.DataLoader(ds, persistent_workers=True)
    with pytest.raises(ValueError, match="num_workers option should be non-negative"):
        data.DataLoader(ds, num_workers=-1)
    with pytest.raises(ValueError, match="valid start method"):
        data.DataLoader(ds, num_workers=1, multiprocessing_context="teleport")
    with pytest.raises(ValueError, match="multi-process loading"):
        data.DataLoader(ds, multiprocessing_context="spawn")
    assert data.DataLoader(ds, num_workers=2).prefetch_factor == 2
    with pytest.warns(UserWarning, match="pin_memory"):
        data.DataLoader(ds, pin_memory=True)


def test_the_spawn_start_method_works_too():
    X = chaingrad.arange(12.0).reshape(6, 2)
    loader = data.DataLoader(data.TensorDataset(X), batch_size=3, num_workers=2, multiprocessing_context="spawn")
    assert [b[0].tolist() for b in loader] == [X[:3].tolist(), X[3:].tolist()]


def test_a_loader_draws_one_base_seed_per_epoch_from_its_generator_as_torch():
    g = chaingrad.Generator().manual_seed(5)
    loader = data.DataLoader(data.TensorDataset(chaingrad.arange(4)), batch_size=2, generator=g)
    list(loader)
    list(loader)
    g2 = chaingrad.Generator().manual_seed(5)
    for _ in range(2):
        chaingrad.randint(0, 2 ** 63 - 1, (), generator=g2, dtype=chaingrad.int64)
    assert g.get_state().tolist() == g2.get_state().tolist()
