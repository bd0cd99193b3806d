"""``chaingrad.nn.modules.rnn``: torch.nn.modules.rnn's names, where chaingrad keeps them."""

from __future__ import annotations

from ..rnn import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNBase, RNNCell, RNNCellBase  # noqa: F401
