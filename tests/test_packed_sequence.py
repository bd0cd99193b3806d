"""nn.utils.rnn: pad_sequence, pack_padded_sequence / pad_packed_sequence and the recurrent layers on packed
batches give torch's values, lengths, orders and gradients (float64), and refuse what torch refuses."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import chaingrad

LIBS = [chaingrad, torch]


def _run_packed(lib, mode: str, lengths: list[int], enforce_sorted: bool, bidirectional: bool, num_layers: int,
                with_hx: bool, batch_first: bool) -> list[np.ndarray]:
    rng = np.random.default_rng(0)
    shape = (4, 5, 3) if batch_first else (5, 4, 3)
    x = lib.tensor(rng.standard_normal(shape), requires_grad=True)
    rnn = getattr(lib.nn, mode)(3, 2, num_layers=num_layers, bidirectional=bidirectional,
                                batch_first=batch_first).double()
    with lib.no_grad():
        for i, p in enumerate(rnn.parameters()):
            p.copy_(lib.tensor(np.random.default_rng(i + 1).standard_normal(tuple(p.shape))))
    packed = lib.nn.utils.rnn.pack_padded_sequence(x, lib.tensor(lengths), batch_first=batch_first,
                                                   enforce_sorted=enforce_sorted)
    hx = None
    if with_hx:
        h = lib.tensor(rng.standard_normal((num_layers * (2 if bidirectional else 1), 4, 2)))
        hx = (h, 0.5 * h) if mode == "LSTM" else h
    out, hn = rnn(packed, hx)
    h_n = hn[0] if mode == "LSTM" else hn
    padded, lens = lib.nn.utils.rnn.pad_packed_sequence(out, batch_first=batch_first, total_length=6)
    (padded.sin().sum() + h_n.cos().sum()).backward()
    arrays = [packed.data, out.data, out.batch_sizes, padded, lens, h_n, x.grad]
    arrays += [t for t in (out.sorted_indices, out.unsorted_indices) if t is not None]
    return [a.detach().numpy() for a in arrays]


@pytest.mark.parametrize("mode,lengths,enforce_sorted,bidirectional,num_layers,with_hx,batch_first", [
    ("LSTM", [5, 4, 2, 1], True, True, 2, False, False),
    ("LSTM", [2, 5, 1, 3], False, True, 2, True, True),
    ("GRU", [3, 5, 3, 1], False, False, 2, True, False),
    ("RNN", [5, 5, 5, 5], True, True, 1, False, True),
])
def test_recurrent_layers_on_packed_batches_match_torch(mode, lengths, enforce_sorted, bidirectional, num_layers,
                                                        with_hx, batch_first):
    args = (mode, lengths, enforce_sorted, bidirectional, num_layers, with_hx, batch_first)
    ours, theirs = _run_packed(chaingrad, *args), _run_packed(torch, *args)
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        assert a.shape == b.shape and a.dtype == b.dtype
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_dropout_between_layers_draws_masks_on_the_packed_rows_as_torch():
    outs = []
    for lib in LIBS:
        lib.manual_seed(3)
        lstm = lib.nn.LSTM(2, 3, num_layers=2, dropout=0.5)
        x = lib.ones(4, 3, 2)
        out, _ = lstm(lib.nn.utils.rnn.pack_padded_sequence(x, [4, 3, 1]))
        outs.append(out.data.detach().numpy())
    np.testing.assert_allclose(outs[0], outs[1], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("lib", LIBS, ids=["chaingrad", "torch"])
def test_pad_pack_and_unpack_sequence_lists(lib):
    a, b, c = lib.tensor([1.0, 2.0, 3.0]), lib.tensor([4.0, 5.0]), lib.tensor([6.0])
    assert lib.nn.utils.rnn.pad_sequence([b, a, c], batch_first=True, padding_value=-1.0).tolist() == \
        [[4.0, 5.0, -1.0], [1.0, 2.0, 3.0], [6.0, -1.0, -1.0]]
    assert lib.nn.utils.rnn.pad_sequence([b, c], padding_side="left").tolist() == [[4.0, 0.0], [5.0, 6.0]]
    packed = lib.nn.utils.rnn.pack_sequence([a, b, c])
    assert packed.data.tolist() == [1.0, 4.0, 6.0, 2.0, 5.0, 3.0] and packed.batch_sizes.tolist() == [3, 2, 1]
    assert packed.batch_sizes.dtype == lib.int64 and packed.sorted_indices is None
    assert type(packed).__name__ == "PackedSequence" and packed._fields == (
        "data", "batch_sizes", "sorted_indices", "unsorted_indices")
    unsorted = lib.nn.utils.rnn.pack_sequence([b, a, c, b], enforce_sorted=False)  # ties keep their order
    assert unsorted.sorted_indices.tolist() == [1, 0, 3, 2] and unsorted.unsorted_indices.tolist() == [1, 0, 3, 2]
    assert [s.tolist() for s in lib.nn.utils.rnn.unpack_sequence(unsorted)] == [[4.0, 5.0], [1.0, 2.0, 3.0],
                                                                                 [6.0], [4.0, 5.0]]
    padded, lengths = lib.nn.utils.rnn.pad_packed_sequence(unsorted, batch_first=True)
    assert lengths.tolist() == [2, 3, 1, 2] and lengths.dtype == lib.int64
    assert [s.tolist() for s in lib.nn.utils.rnn.unpad_sequence(padded, lengths, batch_first=True)][1] == \
        [1.0, 2.0, 3.0]


def test_packing_gradients_reach_the_padded_input_only_where_sequences_run():
    grads = []
    for lib in LIBS:
        x = lib.arange(12.0).reshape(3, 2, 2).requires_grad_()
        packed = lib.nn.utils.rnn.pack_padded_sequence(x, [3, 1])
        (packed.data * lib.arange(8.0).reshape(4, 2)).sum().backward()
        grads.append(x.grad.numpy())
    np.testing.assert_array_equal(grads[0], grads[1])
    assert grads[0][1, 1].tolist() == [0.0, 0.0]


@pytest.mark.parametrize("lib", LIBS, ids=["chaingrad", "torch"])
def test_packing_refuses_unsorted_lengths_and_empty_sequences(lib):
    x = lib.zeros(3, 2, 1)
    with pytest.raises(RuntimeError, match="sorted in decreasing order"):
        lib.nn.utils.rnn.pack_padded_sequence(x, [1, 3])
    with pytest.raises(RuntimeError, match="greater than 0"):
        lib.nn.utils.rnn.pack_padded_sequence(x, [3, 0])
    packed = lib.nn.utils.rnn.pack_padded_sequence(x, [3, 2])
    with pytest.raises(ValueError, match="total_length"):
        lib.nn.utils.rnn.pad_packed_sequence(packed, total_length=2)
