"""Layers, initializers, dropout and data loading draw torch's numbers: with the same seed a model starts
from torch's weights, drops out torch's units and sees its data in torch's order, element for element."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import torch

import chaingrad as cg


def same(a, b):
    a = np.ascontiguousarray(a.detach().numpy() if hasattr(a, "detach") else a)
    b = np.ascontiguousarray(b.detach().numpy() if hasattr(b, "detach") else b)
    assert a.dtype == b.dtype and a.shape == b.shape
    np.testing.assert_array_equal(a, b)


def same_global_state():
    np.testing.assert_array_equal(cg.get_rng_state().numpy(), torch.get_rng_state().numpy())


def seeded(seed=0):
    cg.manual_seed(seed)
    torch.manual_seed(seed)


LAYERS = {
    "Linear": lambda nn: nn.Linear(784, 256),
    "Linear without bias": lambda nn: nn.Linear(3, 2, bias=False),
    "Bilinear": lambda nn: nn.Bilinear(5, 4, 3),
    "Conv1d": lambda nn: nn.Conv1d(3, 8, 5),
    "Conv2d": lambda nn: nn.Conv2d(3, 8, 5),
    "Conv2d groups": lambda nn: nn.Conv2d(4, 8, 3, groups=2),
    "Embedding": lambda nn: nn.Embedding(27, 10),
    "Embedding padding_idx": lambda nn: nn.Embedding(27, 10, padding_idx=3),
    "RNN": lambda nn: nn.RNN(4, 6, num_layers=2, bidirectional=True),
    "LSTM": lambda nn: nn.LSTM(4, 6, num_layers=2),
    "GRU": lambda nn: nn.GRU(4, 6, bidirectional=True),
    "cells": lambda nn: nn.Sequential(nn.RNNCell(3, 4), nn.LSTMCell(3, 4), nn.GRUCell(3, 4)),
    "norms and PReLU": lambda nn: nn.Sequential(nn.BatchNorm1d(3), nn.LayerNorm(4), nn.GroupNorm(2, 4), nn.PReLU()),
    "LeNet": lambda nn: nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.Sigmoid(), nn.AvgPool2d(2, 2),
                                      nn.Conv2d(6, 16, 5), nn.Flatten(), nn.Linear(400, 120), nn.Linear(120, 10)),
}


@pytest.mark.parametrize("name", LAYERS)
@pytest.mark.parametrize("seed", [0, 42])
def test_default_initialization_is_torchs(name, seed):
    seeded(seed)
    ours, theirs = LAYERS[name](cg.nn), LAYERS[name](torch.nn)
    mine, torchs = dict(ours.named_parameters()), dict(theirs.named_parameters())
    assert list(mine) == list(torchs)
    for key in mine:
        same(mine[key], torchs[key])
    same_global_state()


def _init_cases():
    init = {
        "uniform_": lambda m, t, g: m.nn.init.uniform_(t, -0.3, 0.2, generator=g),
        "normal_": lambda m, t, g: m.nn.init.normal_(t, 0.1, 0.01, generator=g),
        "xavier_uniform_": lambda m, t, g: m.nn.init.xavier_uniform_(t, gain=m.nn.init.calculate_gain("tanh"),
                                                                     generator=g),
        "xavier_normal_": lambda m, t, g: m.nn.init.xavier_normal_(t, generator=g),
        "kaiming_uniform_": lambda m, t, g: m.nn.init.kaiming_uniform_(t, nonlinearity="relu", generator=g),
        "kaiming_uniform_ fan_out": lambda m, t, g: m.nn.init.kaiming_uniform_(t, a=0.2, mode="fan_out",
                                                                               generator=g),
        "kaiming_normal_": lambda m, t, g: m.nn.init.kaiming_normal_(t, mode="fan_out", nonlinearity="relu",
                                                                     generator=g),
        "trunc_normal_": lambda m, t, g: m.nn.init.trunc_normal_(t, std=0.02, generator=g),
        "trunc_normal_ wide": lambda m, t, g: m.nn.init.trunc_normal_(t, 0.0, 1.0, -0.5, 0.7, generator=g),
        "constant_": lambda m, t, g: m.nn.init.constant_(t, 0.25),
        "ones_ zeros_": lambda m, t, g: m.nn.init.zeros_(m.nn.init.ones_(t)),
        "eye_": lambda m, t, g: m.nn.init.eye_(t),
    }
    return init


@pytest.mark.parametrize("name", list(_init_cases()))
@pytest.mark.parametrize("shape", [(1, 1), (3, 5), (16, 1), (17, 3), (64, 30)])
def test_nn_init_functions_match_torch(name, shape):
    fn = _init_cases()[name]
    g, tg = cg.Generator().manual_seed(3), torch.Generator().manual_seed(3)
    a, b = fn(cg, cg.empty(*shape), g), fn(torch, torch.empty(*shape), tg)
    same(a, b)
    np.testing.assert_array_equal(g.get_state().numpy(), tg.get_state().numpy())


def test_trunc_normal_with_a_narrow_interval_uses_torchs_rejection_sampler():
    g, tg = cg.Generator().manual_seed(4), torch.Generator().manual_seed(4)
    a = cg.nn.init.trunc_normal_(cg.empty(50, 4), 0.0, 1.0, 2.0, 2.5, generator=g)  # 1.6% of the mass
    b = torch.nn.init.trunc_normal_(torch.empty(50, 4), 0.0, 1.0, 2.0, 2.5, generator=tg)
    same(a, b)
    assert a.min().item() >= 2.0 and a.max().item() <= 2.5


def test_conv_inits_and_dirac():
    seeded(5)
    w, tw = cg.empty(8, 3, 3, 3), torch.empty(8, 3, 3, 3)
    same(cg.nn.init.kaiming_normal_(w), torch.nn.init.kaiming_normal_(tw))
    same(cg.nn.init.xavier_uniform_(w), torch.nn.init.xavier_uniform_(tw))
    same(cg.nn.init.dirac_(cg.empty(6, 2, 3, 3), groups=2), torch.nn.init.dirac_(torch.empty(6, 2, 3, 3), groups=2))
    same_global_state()


def test_sparse_init_draws_rows_from_the_default_generator():
    seeded(6)
    g, tg = cg.Generator().manual_seed(1), torch.Generator().manual_seed(1)
    same(cg.nn.init.sparse_(cg.empty(10, 4), 0.3, generator=g), torch.nn.init.sparse_(torch.empty(10, 4), 0.3,
                                                                                     generator=tg))
    same_global_state()


def test_orthogonal_draws_torchs_normals_and_agrees_to_float_rounding():
    for shape in [(5, 3), (3, 5), (4, 2, 3)]:
        g, tg = cg.Generator().manual_seed(7), torch.Generator().manual_seed(7)
        a = cg.nn.init.orthogonal_(cg.empty(*shape), gain=2.0, generator=g).numpy()
        b = torch.nn.init.orthogonal_(torch.empty(*shape), gain=2.0, generator=tg).numpy()
        np.testing.assert_allclose(a, b, atol=2e-6)
        np.testing.assert_array_equal(g.get_state().numpy(), tg.get_state().numpy())


def test_init_of_an_empty_tensor_is_a_no_op_as_torch():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        seeded(0)
        cg.nn.init.kaiming_uniform_(cg.empty(0, 3))
        torch.nn.init.kaiming_uniform_(torch.empty(0, 3))
    same_global_state()


# -- dropout ----------------------------------------------------------------------------------------------
DROPOUTS = {
    "dropout": lambda m, x: m.nn.functional.dropout(x, 0.3),
    "dropout p=0.5": lambda m, x: m.nn.functional.dropout(x, 0.5, training=True),
    "Dropout module": lambda m, x: m.nn.Dropout(0.1)(x),
    "dropout1d": lambda m, x: m.nn.functional.dropout1d(x.reshape(4, 5, -1), 0.4),
    "dropout1d unbatched": lambda m, x: m.nn.Dropout1d(0.4)(x.reshape(5, -1)),
    "dropout2d": lambda m, x: m.nn.Dropout2d(0.5)(x.reshape(2, 5, 4, -1)),
    "dropout2d 3-D input": lambda m, x: m.nn.functional.dropout2d(x.reshape(4, 5, -1), 0.5),
    "dropout3d": lambda m, x: m.nn.Dropout3d(0.5)(x.reshape(2, 3, 2, 2, -1)),
    "dropout3d unbatched": lambda m, x: m.nn.functional.dropout3d(x.reshape(3, 2, 2, -1), 0.5),
    "alpha_dropout": lambda m, x: m.nn.functional.alpha_dropout(x, 0.2, training=True),
    "AlphaDropout": lambda m, x: m.nn.AlphaDropout(0.5)(x),
    "feature_alpha_dropout": lambda m, x: m.nn.functional.feature_alpha_dropout(x.reshape(4, 5, -1), 0.3, True),
    "p=1": lambda m, x: m.nn.functional.dropout(x, 1.0),
    "eval": lambda m, x: m.nn.Dropout(0.5).eval()(x),
}


@pytest.mark.parametrize("name", DROPOUTS)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_dropout_matches_torch(name, dtype):
    seeded(11)
    x = np.random.default_rng(0).standard_normal(240)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = DROPOUTS[name](cg, cg.tensor(x, dtype=getattr(cg, dtype)))
        b = DROPOUTS[name](torch, torch.tensor(x, dtype=getattr(torch, dtype)))
    same(a, b)
    same_global_state()


def test_dropout_of_a_million_and_its_gradient():
    seeded(12)
    x, tx = cg.ones(1000, 1000, requires_grad=True), torch.ones(1000, 1000, requires_grad=True)
    y, ty = cg.nn.functional.dropout(x, 0.5), torch.nn.functional.dropout(tx, 0.5)
    same(y, ty)
    y.sum().backward()
    ty.sum().backward()
    same(x.grad, tx.grad)


def test_in_place_dropout_and_a_transposed_input():
    seeded(13)
    x, tx = cg.ones(6, 4), torch.ones(6, 4)
    cg.nn.functional.dropout(x, 0.5, inplace=True)
    torch.nn.functional.dropout(tx, 0.5, inplace=True)
    same(x, tx)
    same(cg.nn.functional.dropout(cg.ones(5, 7).t(), 0.5), torch.nn.functional.dropout(torch.ones(5, 7).t(), 0.5))
    same_global_state()


def test_dropout_probability_is_checked():
    with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1, but got 1.5"):
        cg.nn.functional.dropout(cg.ones(2), 1.5)
    with pytest.raises(RuntimeError, match="Expected 2D or 3D input"):
        cg.nn.functional.dropout1d(cg.ones(2), 0.5)


# -- data --------------------------------------------------------------------------------------------------
def _epochs(m, loader, epochs=3):
    return [[y.tolist() for _, y in loader] for _ in range(epochs)]


@pytest.mark.parametrize("seed", [0, 42])
@pytest.mark.parametrize("n, batch", [(10, 3), (100, 16), (1000, 64)])
def test_shuffled_dataloader_epochs_are_torchs(seed, n, batch):
    seeded(seed)
    x = np.arange(n, dtype=np.float32).reshape(n, 1)
    ours = cg.utils.data.DataLoader(cg.utils.data.TensorDataset(cg.tensor(x), cg.arange(n)), batch, shuffle=True)
    theirs = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.tensor(x), torch.arange(n)), batch,
                                         shuffle=True)
    assert _epochs(cg, ours) == _epochs(torch, theirs)
    same_global_state()


def test_dataloader_with_its_own_generator_and_the_seed_every_iterator_draws():
    x = np.arange(20)
    ours = cg.utils.data.DataLoader(cg.utils.data.TensorDataset(cg.tensor(x), cg.tensor(x)), 4, shuffle=True,
                                    generator=cg.Generator().manual_seed(3))
    theirs = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.tensor(x), torch.tensor(x)), 4,
                                         shuffle=True, generator=torch.Generator().manual_seed(3))
    assert _epochs(cg, ours) == _epochs(torch, theirs)
    seeded(1)  # an unshuffled loader still draws its base seed from the global generator on every iteration
    plain = cg.utils.data.DataLoader(cg.utils.data.TensorDataset(cg.tensor(x)), 5)
    tplain = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.tensor(x)), 5)
    for _ in range(2):
        assert [b[0].tolist() for b in plain] == [b[0].tolist() for b in tplain]
    same_global_state()
    same(cg.rand(3), torch.rand(3))


@pytest.mark.parametrize("lengths", [[7, 3], [0.5, 0.3, 0.2], [0.25, 0.75]])
def test_random_split_is_torchs(lengths):
    seeded(2)
    a = cg.utils.data.random_split(cg.utils.data.TensorDataset(cg.arange(10)), lengths)
    b = torch.utils.data.random_split(torch.utils.data.TensorDataset(torch.arange(10)), lengths)
    assert [s.indices for s in a] == [s.indices for s in b]
    g, tg = cg.Generator().manual_seed(0), torch.Generator().manual_seed(0)
    a = cg.utils.data.random_split(range(30), [10, 20], generator=g)
    b = torch.utils.data.random_split(range(30), [10, 20], generator=tg)
    assert [s.indices for s in a] == [s.indices for s in b]
    same_global_state()


def test_samplers_are_torchs():
    seeded(3)
    data = list(range(50))
    pairs = [
        (cg.utils.data.RandomSampler(data), torch.utils.data.RandomSampler(data)),
        (cg.utils.data.RandomSampler(data, replacement=True, num_samples=70),
         torch.utils.data.RandomSampler(data, replacement=True, num_samples=70)),
        (cg.utils.data.RandomSampler(data, num_samples=120), torch.utils.data.RandomSampler(data, num_samples=120)),
        (cg.utils.data.SubsetRandomSampler([3, 8, 1, 9, 4]), torch.utils.data.SubsetRandomSampler([3, 8, 1, 9, 4])),
        (cg.utils.data.WeightedRandomSampler([0.1, 0.9, 0.4, 0.7, 3.0, 0.6], 5),
         torch.utils.data.WeightedRandomSampler([0.1, 0.9, 0.4, 0.7, 3.0, 0.6], 5)),
        (cg.utils.data.WeightedRandomSampler([0.9, 0.4, 0.05, 0.2, 0.3, 0.1], 5, replacement=False),
         torch.utils.data.WeightedRandomSampler([0.9, 0.4, 0.05, 0.2, 0.3, 0.1], 5, replacement=False)),
    ]
    for ours, theirs in pairs:
        assert list(ours) == list(theirs)
    same_global_state()


def test_synthetic_data_of_d2l_draws_torchs_numbers():
    seeded(0)
    w, tw = cg.tensor([2, -3.4]), torch.tensor([2, -3.4])
    x, tx = cg.normal(0, 1, (1000, len(w))), torch.normal(0, 1, (1000, len(tw)))
    same(x, tx)
    noise, tnoise = cg.normal(0, 0.01, (1000,)), torch.normal(0, 0.01, (1000,))
    same(noise, tnoise)
    assert math.isclose(float(x.std()), float(tx.std()), rel_tol=1e-6)
