"""RNN, LSTM, GRU and their cells equal torch's after copying torch's weights (torch's parameter names and gate
order): outputs, final states, and gradients of inputs, initial states and every weight."""

from __future__ import annotations

import numpy as np
import pytest

import chaingrad as cg
from nn_helpers import check_module


def rnd(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


class WithState:
    """Wrap a recurrent module so that check_module passes (input, h0) or (input, (h0, c0))."""

    @staticmethod
    def make(nn, cls, lstm, **kw):
        base = getattr(nn, cls)(3, 4, **kw)

        class Wrapped(type(base)):
            def forward(self, x, h, c=None):
                return super().forward(x, (h, c) if lstm else h)

        base.__class__ = Wrapped
        return base


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("cls", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("kw", [dict(), dict(num_layers=2), dict(batch_first=True), dict(bias=False),
                                dict(bidirectional=True, num_layers=2)])
def test_recurrent_layers_match_torch(cls, kw, dtype):
    check_module(lambda nn: getattr(nn, cls)(3, 4, **kw), [rnd(5, 2, 3)], dtype=dtype)


@pytest.mark.parametrize("cls", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("batch_first", [False, True])
def test_recurrent_layers_with_initial_state_match_torch(cls, batch_first):
    lstm = cls == "LSTM"
    states = [rnd(2, 2, 4, seed=1)] + ([rnd(2, 2, 4, seed=2)] if lstm else [])
    check_module(lambda nn: WithState.make(nn, cls, lstm, num_layers=2, batch_first=batch_first),
                 [rnd(2, 5, 3) if batch_first else rnd(5, 2, 3)] + states)


def test_rnn_relu_and_unbatched_input_match_torch():
    check_module(lambda nn: nn.RNN(3, 4, nonlinearity="relu"), [rnd(5, 3)])
    check_module(lambda nn: nn.LSTM(3, 4, num_layers=2), [rnd(5, 3)])


@pytest.mark.parametrize("cls", ["RNNCell", "LSTMCell", "GRUCell"])
def test_cells_match_torch(cls):
    check_module(lambda nn: getattr(nn, cls)(3, 4), [rnd(2, 3)])


def test_parameter_names_and_repr_match_torch():
    import torch

    for cls, kw in [("LSTM", dict(num_layers=2, bidirectional=True, batch_first=True)),
                    ("GRU", dict(dropout=0.5, num_layers=2, bias=False)), ("RNN", dict(nonlinearity="relu"))]:
        t = getattr(torch.nn, cls)(3, 4, **kw)
        c = getattr(cg.nn, cls)(3, 4, **kw)
        assert [n for n, _ in c.named_parameters()] == [n for n, _ in t.named_parameters()]
        assert [tuple(p.shape) for p in c.parameters()] == [tuple(p.shape) for p in t.parameters()]
        assert repr(c) == repr(t)


def test_dropout_between_layers_only_in_training():
    cg.manual_seed(0)
    m = cg.nn.LSTM(3, 4, num_layers=2, dropout=0.5)
    x = cg.randn(6, 2, 3)
    m.eval()
    a, _ = m(x)
    b, _ = m(x)
    np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
    m.train()
    c, _ = m(x)
    assert not np.allclose(a.detach().numpy(), c.detach().numpy())


def test_hidden_state_shape_is_checked():
    m = cg.nn.GRU(3, 4, num_layers=2)
    with pytest.raises(RuntimeError, match="Expected hidden size"):
        m(cg.randn(5, 2, 3), cg.zeros(1, 2, 4))
    with pytest.raises(RuntimeError, match="input_size"):
        m(cg.randn(5, 2, 2))
