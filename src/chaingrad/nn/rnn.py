"""Recurrent layers RNN, LSTM, GRU (and their cells) with torch's parameter names and gate order.

A PackedSequence (nn.utils.rnn) runs each sequence for its own length.

Parameters per layer k (and direction, suffix ``_reverse``): ``weight_ih_lk`` (gates*hidden, input),
``weight_hh_lk`` (gates*hidden, hidden), ``bias_ih_lk``, ``bias_hh_lk``. Gate order as torch: LSTM
(input, forget, cell, output), GRU (reset, update, new), so weights copied from torch give torch's outputs.
The input projection of all time steps is one GEMM per layer; the recurrence is a loop over time.
"""

from __future__ import annotations

import math

from .._device import check_device
from ..ops.creation import empty, zeros
from ..ops.nn_ops import split_outputs
from ..ops.shape import cat, stack
from ..tensor import Tensor
from . import functional as F
from . import init
from .module import Module
from .parameter import Parameter
from .utils.rnn import PackedSequence, _padded, pack_padded_sequence

_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


def _lengths(batch_sizes: list[int]) -> list[int]:
    """Each sequence's length from a packed batch's rows per step."""
    return [sum(1 for n in batch_sizes if n > b) for b in range(batch_sizes[0] if batch_sizes else 0)]


def _rnn_step(x_proj: Tensor, h: Tensor, w_hh: Tensor, b_hh: Tensor | None, relu: bool) -> Tensor:
    pre = x_proj + F.linear(h, w_hh, b_hh)
    return pre.relu() if relu else pre.tanh()


def _lstm_step(x_proj: Tensor, h: Tensor, c: Tensor, w_hh: Tensor, b_hh: Tensor | None) -> tuple[Tensor, Tensor]:
    gates = x_proj + F.linear(h, w_hh, b_hh)
    n = h.shape[-1]
    i, f, g, o = split_outputs(gates, (n, n, n, n), dim=-1)
    c = f.sigmoid() * c + i.sigmoid() * g.tanh()
    return o.sigmoid() * c.tanh(), c


def _gru_step(x_proj: Tensor, h: Tensor, w_hh: Tensor, b_hh: Tensor | None) -> Tensor:
    n = h.shape[-1]
    xr, xz, xn = split_outputs(x_proj, (n, n, n), dim=-1)
    hr, hz, hn = split_outputs(F.linear(h, w_hh, b_hh), (n, n, n), dim=-1)
    r = (xr + hr).sigmoid()
    z = (xz + hz).sigmoid()
    new = (xn + r * hn).tanh()
    return new + z * (h - new)  # = (1 - z) * new + z * h


class RNNBase(Module):
    """Shared parameters, initialization and the layer/direction loop of RNN, LSTM and GRU."""

    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False, proj_size: int = 0,
                 device=None, dtype=None) -> None:
        super().__init__()
        check_device(device, type(self).__name__)
        if not 0 <= dropout <= 1 or isinstance(dropout, bool):
            raise ValueError("dropout should be a number in range [0, 1] representing the probability of an "
                             "element being zeroed")
        if not isinstance(hidden_size, int) or hidden_size <= 0:
            raise ValueError("hidden_size must be a positive integer" if isinstance(hidden_size, int)
                             else f"hidden_size should be of type int, got: {type(hidden_size).__name__}")
        if num_layers <= 0:
            raise ValueError("num_layers must be greater than or equal to 1")
        if proj_size:
            raise NotImplementedError("LSTM proj_size is not supported by chaingrad")
        self.mode, self.input_size, self.hidden_size = mode, input_size, hidden_size
        self.num_layers, self.bias, self.batch_first = num_layers, bias, batch_first
        self.dropout, self.bidirectional, self.proj_size = float(dropout), bidirectional, proj_size
        gate = _GATES[mode] * hidden_size
        dirs = 2 if bidirectional else 1
        self._flat_weights_names = []
        for layer in range(num_layers):
            layer_input = input_size if layer == 0 else hidden_size * dirs
            for direction in range(dirs):
                suffix = "_reverse" if direction == 1 else ""
                names = [f"weight_ih_l{layer}{suffix}", f"weight_hh_l{layer}{suffix}"]
                setattr(self, names[0], Parameter(empty(gate, layer_input, dtype=dtype)))
                setattr(self, names[1], Parameter(empty(gate, hidden_size, dtype=dtype)))
                if bias:
                    names += [f"bias_ih_l{layer}{suffix}", f"bias_hh_l{layer}{suffix}"]
                    setattr(self, names[2], Parameter(empty(gate, dtype=dtype)))
                    setattr(self, names[3], Parameter(empty(gate, dtype=dtype)))
                self._flat_weights_names.extend(names)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    @property
    def all_weights(self) -> list[list[Parameter]]:
        per = 4 if self.bias else 2
        names = self._flat_weights_names
        return [[getattr(self, n) for n in names[i:i + per]] for i in range(0, len(names), per)]

    def _weights(self, layer: int, direction: int):
        suffix = "_reverse" if direction == 1 else ""
        get = self._parameters.get
        return (get(f"weight_ih_l{layer}{suffix}"), get(f"weight_hh_l{layer}{suffix}"),
                get(f"bias_ih_l{layer}{suffix}"), get(f"bias_hh_l{layer}{suffix}"))

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size != 0:
            s += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if self.batch_first is not False:
            s += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            s += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            s += f", bidirectional={self.bidirectional}"
        return s

    def _check_input(self, input: Tensor, hx) -> bool:
        if input.dim() not in (2, 3):
            raise ValueError(f"{type(self).__name__}: Expected input to be 2D or 3D, got {input.dim()}D instead")
        if input.shape[-1] != self.input_size:
            raise RuntimeError(f"input.size(-1) must be equal to input_size. Expected {self.input_size}, got "
                               f"{input.shape[-1]}")
        return input.dim() == 3

    def _run(self, input: Tensor, states: list[Tensor],
             batch_sizes: list[int] | None = None) -> tuple[Tensor, list[Tensor]]:
        """input (T, B, F); states: per kind (h, or h and c) a (layers*dirs, B, H) tensor. With ``batch_sizes``
        (a packed batch, longest sequence first) step t updates only the first batch_sizes[t] rows, so each
        sequence's final state is the one at its own last step, as torch's packed kernels compute."""
        dirs = 2 if self.bidirectional else 1
        layer_input = input
        finals: list[list[Tensor]] = [[] for _ in states]
        per_kind = [split_outputs(s, None, 0, squeeze=True) for s in states]
        steps = input.shape[0]
        for layer in range(self.num_layers):
            outputs = []
            for direction in range(dirs):
                w_ih, w_hh, b_ih, b_hh = self._weights(layer, direction)
                idx = layer * dirs + direction
                state = [p[idx] for p in per_kind]
                xs = split_outputs(F.linear(layer_input, w_ih, b_ih), None, 0, squeeze=True) if steps else ()
                order = range(steps - 1, -1, -1) if direction == 1 else range(steps)
                hs: list[Tensor | None] = [None] * steps
                for t in order:
                    active = batch_sizes[t] if batch_sizes is not None else input.shape[1]
                    if active < input.shape[1]:
                        rest = [s[active:] for s in state]
                        state = self._step(xs[t][:active], [s[:active] for s in state], w_hh, b_hh)
                        state = [cat([s, r], 0) for s, r in zip(state, rest)]
                    else:
                        state = self._step(xs[t], state, w_hh, b_hh)
                    hs[t] = state[0]
                outputs.append(stack(hs, 0) if steps else zeros(0, input.shape[1], self.hidden_size,
                                                                 dtype=input.dtype))
                for k, s in enumerate(state):
                    finals[k].append(s)
            layer_input = outputs[0] if dirs == 1 else cat(outputs, 2)
            if self.dropout and self.training and layer < self.num_layers - 1:
                if batch_sizes is None:
                    layer_input = F.dropout(layer_input, self.dropout, True)
                else:  # on the packed rows only, as torch draws its masks
                    packed = pack_padded_sequence(layer_input, _lengths(batch_sizes))
                    layer_input = _padded(F.dropout(packed.data, self.dropout, True), batch_sizes, steps, 0.0)
        return layer_input, [stack(f, 0) for f in finals]

    def _step(self, x_proj: Tensor, state: list[Tensor], w_hh: Tensor, b_hh: Tensor | None) -> list[Tensor]:
        if self.mode == "LSTM":
            return list(_lstm_step(x_proj, state[0], state[1], w_hh, b_hh))
        if self.mode == "GRU":
            return [_gru_step(x_proj, state[0], w_hh, b_hh)]
        return [_rnn_step(x_proj, state[0], w_hh, b_hh, self.mode == "RNN_RELU")]

    def _forward(self, input, hx, kinds: int):
        if isinstance(input, PackedSequence):
            return self._forward_packed(input, hx, kinds)
        batched = self._check_input(input, hx)
        if not batched:
            input = input.unsqueeze(1)
            if hx is not None:
                hx = tuple(h.unsqueeze(1) for h in hx) if isinstance(hx, (tuple, list)) else hx.unsqueeze(1)
        elif self.batch_first:
            input = input.transpose(0, 1)
        out, finals = self._run(input, self._states(hx, kinds, input.shape[1], input.dtype))
        if not batched:
            out = out.squeeze(1)
            finals = [f.squeeze(1) for f in finals]
        elif self.batch_first:
            out = out.transpose(0, 1)
        return out, finals

    def _states(self, hx, kinds: int, batch: int, dtype) -> list[Tensor]:
        """The initial (h) or (h, c) states: zeros, or hx checked against (layers*dirs, B, H)."""
        expected = (self.num_layers * (2 if self.bidirectional else 1), batch, self.hidden_size)
        if hx is None:
            return [zeros(*expected, dtype=dtype) for _ in range(kinds)]
        states = list(hx) if isinstance(hx, (tuple, list)) else [hx]
        if len(states) != kinds:
            raise RuntimeError(f"{type(self).__name__}: expected hx to be "
                               f"{'a tuple (h_0, c_0)' if kinds == 2 else 'a tensor'}")
        for s in states:
            if tuple(s.shape) != expected:
                raise RuntimeError(f"Expected hidden size {expected}, got {list(s.shape)}")
        return states

    def _forward_packed(self, input: PackedSequence, hx, kinds: int):
        """A PackedSequence in, a PackedSequence out; hx and the final states are in the batch's own order
        (permuted through sorted_indices on the way in and unsorted_indices on the way out)."""
        data = input.data
        if data.dim() != 2 or data.shape[-1] != self.input_size:
            raise RuntimeError(f"input.size(-1) must be equal to input_size. Expected {self.input_size}, got "
                               f"{data.shape[-1]}")
        batch_sizes = [int(n) for n in input.batch_sizes._data]
        steps = len(batch_sizes)
        if hx is not None and input.sorted_indices is not None:
            hx = tuple(h.index_select(1, input.sorted_indices) for h in hx) if isinstance(hx, (tuple, list)) \
                else hx.index_select(1, input.sorted_indices)
        states = self._states(hx, kinds, batch_sizes[0] if steps else 0, data.dtype)
        out, finals = self._run(_padded(data, batch_sizes, steps, 0.0), states, batch_sizes)
        out = pack_padded_sequence(out, _lengths(batch_sizes)).data
        if input.unsorted_indices is not None:
            finals = [f.index_select(1, input.unsorted_indices) for f in finals]
        return PackedSequence(out, input.batch_sizes, input.sorted_indices, input.unsorted_indices), finals


class RNN(RNNBase):
    """Elman RNN: h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh) (or relu)."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, nonlinearity: str = "tanh",
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 device=None, dtype=None) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'.")
        self.nonlinearity = nonlinearity
        super().__init__("RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU", input_size, hidden_size, num_layers,
                         bias, batch_first, dropout, bidirectional, 0, device, dtype)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> tuple[Tensor, Tensor]:
        out, finals = self._forward(input, hx, 1)
        return out, finals[0]


class LSTM(RNNBase):
    """Long short-term memory; ``forward(input, (h_0, c_0))`` returns ``output, (h_n, c_n)``."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False, proj_size: int = 0,
                 device=None, dtype=None) -> None:
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         proj_size, device, dtype)

    def forward(self, input: Tensor, hx: tuple[Tensor, Tensor] | None = None):
        out, finals = self._forward(input, hx, 2)
        return out, (finals[0], finals[1])


class GRU(RNNBase):
    """Gated recurrent unit; ``forward(input, h_0)`` returns ``output, h_n``."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False, device=None,
                 dtype=None) -> None:
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional, 0,
                         device, dtype)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> tuple[Tensor, Tensor]:
        out, finals = self._forward(input, hx, 1)
        return out, finals[0]


class RNNCellBase(Module):
    def __init__(self, input_size: int, hidden_size: int, bias: bool, num_chunks: int, device=None,
                 dtype=None) -> None:
        super().__init__()
        check_device(device, type(self).__name__)
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        self.weight_ih = Parameter(empty(num_chunks * hidden_size, input_size, dtype=dtype))
        self.weight_hh = Parameter(empty(num_chunks * hidden_size, hidden_size, dtype=dtype))
        if bias:
            self.bias_ih = Parameter(empty(num_chunks * hidden_size, dtype=dtype))
            self.bias_hh = Parameter(empty(num_chunks * hidden_size, dtype=dtype))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            s += f", nonlinearity={self.nonlinearity}"
        return s

    def _zeros(self, input: Tensor) -> Tensor:
        shape = (input.shape[0], self.hidden_size) if input.dim() == 2 else (self.hidden_size,)
        return zeros(*shape, dtype=input.dtype)


class RNNCell(RNNCellBase):
    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, nonlinearity: str = "tanh",
                 device=None, dtype=None) -> None:
        super().__init__(input_size, hidden_size, bias, 1, device, dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        hx = self._zeros(input) if hx is None else hx
        x = F.linear(input, self.weight_ih, self.bias_ih)
        return _rnn_step(x, hx, self.weight_hh, self.bias_hh, self.nonlinearity == "relu")


class LSTMCell(RNNCellBase):
    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None, dtype=None) -> None:
        super().__init__(input_size, hidden_size, bias, 4, device, dtype)

    def forward(self, input: Tensor, hx: tuple[Tensor, Tensor] | None = None) -> tuple[Tensor, Tensor]:
        h, c = (self._zeros(input), self._zeros(input)) if hx is None else hx
        x = F.linear(input, self.weight_ih, self.bias_ih)
        return _lstm_step(x, h, c, self.weight_hh, self.bias_hh)


class GRUCell(RNNCellBase):
    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None, dtype=None) -> None:
        super().__init__(input_size, hidden_size, bias, 3, device, dtype)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        hx = self._zeros(input) if hx is None else hx
        x = F.linear(input, self.weight_ih, self.bias_ih)
        return _gru_step(x, hx, self.weight_hh, self.bias_hh)
