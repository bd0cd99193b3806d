"""Variable-length batches for the recurrent layers (torch.nn.utils.rnn): pad_sequence, PackedSequence and
pack/pad conversions between the two.

A packed sequence is time-major: ``data`` holds, for each step t, the rows of the batch's sequences that are
still running at t (the longest first), and ``batch_sizes[t]`` counts them. Packing and unpacking are one
gather each (indexing with a long tensor), so gradients flow back to the padded input.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ...ops.shape import cat, stack
from ...tensor import Tensor


class PackedSequence(NamedTuple):
    """Packed rows of a batch of sequences (``data``) with the count of rows per step (``batch_sizes``) and,
    for a batch that was sorted by length on the way in, the permutation and its inverse."""

    data: Tensor
    batch_sizes: Tensor
    sorted_indices: Tensor | None = None
    unsorted_indices: Tensor | None = None

    def to(self, *args, **kwargs) -> PackedSequence:
        data = self.data.to(*args, **kwargs)
        return self if data is self.data else PackedSequence(data, self.batch_sizes, self.sorted_indices,
                                                             self.unsorted_indices)

    def double(self) -> PackedSequence:
        return self._replace(data=self.data.double())

    def float(self) -> PackedSequence:
        return self._replace(data=self.data.float())

    @property
    def is_cuda(self) -> bool:
        return False


def _long(values) -> Tensor:
    return Tensor._wrap(np.asarray(values, dtype=np.int64))


def invert_permutation(permutation: Tensor | None) -> Tensor | None:
    """The inverse of a permutation of 0..n-1 (``None`` stays ``None``)."""
    if permutation is None:
        return None
    inverse = np.empty_like(permutation._data)
    inverse[permutation._data] = np.arange(permutation._data.size)
    return _long(inverse)


def _lengths_list(lengths) -> list[int]:
    array = lengths._data if isinstance(lengths, Tensor) else np.asarray(lengths)
    if array.ndim != 1:
        raise RuntimeError(f"pack_padded_sequence: expected `lengths` to be a 1D tensor, got {array.ndim}D")
    return [int(v) for v in array]


def _packed_rows(batch_sizes: list[int], batch: int) -> np.ndarray:
    """For each packed row, its flat index t * batch + b into a (T, B) padded layout."""
    return np.concatenate([t * batch + np.arange(n) for t, n in enumerate(batch_sizes)]) if batch_sizes \
        else np.zeros(0, np.int64)


def pack_padded_sequence(input: Tensor, lengths, batch_first: bool = False,
                         enforce_sorted: bool = True) -> PackedSequence:
    """Pack a padded (T, B, *) batch (B, T, * with ``batch_first``) whose sequences have the given lengths.

    With ``enforce_sorted=False`` the batch is sorted by decreasing length first and the permutation is kept
    in the result, so that ``pad_packed_sequence`` and the recurrent layers give rows back in input order."""
    sizes = _lengths_list(lengths)
    sorted_indices = None
    if not enforce_sorted:
        order = np.argsort(-np.asarray(sizes, dtype=np.int64), kind="stable")
        sorted_indices = _long(order)
        input = input.index_select(0 if batch_first else 1, sorted_indices)
        sizes = [sizes[i] for i in order]
    elif any(a < b for a, b in zip(sizes, sizes[1:])):
        raise RuntimeError("`lengths` array must be sorted in decreasing order when `enforce_sorted` is True. You "
                           "can pass `enforce_sorted=False` to pack_padded_sequence and/or pack_sequence to "
                           "sidestep this requirement if you do not need ONNX exportability.")
    if sizes and sizes[-1] <= 0:
        raise RuntimeError("Length of all samples has to be greater than 0, but found an element in 'lengths' that "
                           "is <= 0")
    if batch_first:
        input = input.transpose(0, 1)
    steps, batch = input.shape[0], input.shape[1]
    if len(sizes) != batch:
        raise RuntimeError(f"pack_padded_sequence: expected {batch} lengths for a batch of {batch}, got {len(sizes)}")
    if sizes and sizes[0] > steps:
        raise RuntimeError(f"pack_padded_sequence: a length of {sizes[0]} is longer than the {steps} steps of the "
                           f"padded input")
    batch_sizes = [sum(1 for n in sizes if n > t) for t in range(sizes[0] if sizes else 0)]
    flat = input.reshape(steps * batch, *input.shape[2:])
    data = flat[_long(_packed_rows(batch_sizes, batch))]
    return PackedSequence(data, _long(batch_sizes), sorted_indices, invert_permutation(sorted_indices))


def _padded(data: Tensor, batch_sizes: list[int], steps: int, padding_value: float) -> Tensor:
    """The time-major (steps, B, *) batch of packed ``data``; positions past a sequence's end hold the value."""
    batch = batch_sizes[0] if batch_sizes else 0
    rows = np.full(steps * batch, data.shape[0], dtype=np.int64)  # the extra padding row after data
    rows[_packed_rows(batch_sizes, batch)] = np.arange(data.shape[0])
    pad = data.new_full((1, *data.shape[1:]), padding_value)
    return cat([data, pad], 0)[_long(rows)].reshape(steps, batch, *data.shape[1:])


def pad_packed_sequence(sequence: PackedSequence, batch_first: bool = False, padding_value: float = 0.0,
                        total_length: int | None = None) -> tuple[Tensor, Tensor]:
    """Undo ``pack_padded_sequence``: the padded batch and the lengths (int64), in the input's order."""
    batch_sizes = [int(n) for n in sequence.batch_sizes._data]
    steps = len(batch_sizes)
    if total_length is not None:
        if total_length < steps:
            raise ValueError("Expected total_length to be at least the length of the longest sequence in input, but "
                             f"got total_length={total_length} and max sequence length being {steps}")
        steps = total_length
    padded = _padded(sequence.data, batch_sizes, steps, padding_value)
    batch = batch_sizes[0] if batch_sizes else 0
    lengths = _long([sum(1 for n in batch_sizes if n > b) for b in range(batch)])
    if batch_first:
        padded = padded.transpose(0, 1)
    if sequence.unsorted_indices is not None:
        padded = padded.index_select(0 if batch_first else 1, sequence.unsorted_indices)
        lengths = lengths[sequence.unsorted_indices]
    return padded, lengths


def pad_sequence(sequences, batch_first: bool = False, padding_value: float = 0.0,
                 padding_side: str = "right") -> Tensor:
    """Stack tensors of shapes (L_i, *) into (max L, B, *) (B, max L, * with ``batch_first``), padded."""
    if isinstance(sequences, Tensor):
        sequences = list(sequences.unbind(0))
    sequences = list(sequences)
    if padding_side not in ("left", "right"):
        raise ValueError(f"Expected padding_side to be one of left or right, but got {padding_side}.")
    if not sequences:
        raise RuntimeError("received an empty list of sequences")
    longest = max(s.shape[0] for s in sequences)
    padded = []
    for s in sequences:
        missing = longest - s.shape[0]
        if missing:
            pad = s.new_full((missing, *s.shape[1:]), padding_value)
            s = cat([s, pad] if padding_side == "right" else [pad, s], 0)
        padded.append(s)
    return stack(padded, 0 if batch_first else 1)


def unpad_sequence(padded_sequences: Tensor, lengths: Tensor, batch_first: bool = False) -> list[Tensor]:
    """The list of unpadded sequences of a padded batch."""
    rows = padded_sequences if batch_first else padded_sequences.transpose(0, 1)
    return [rows[b, :n] for b, n in enumerate(_lengths_list(lengths))]


def pack_sequence(sequences: list[Tensor], enforce_sorted: bool = True) -> PackedSequence:
    """Pack a list of (L_i, *) tensors (longest first unless ``enforce_sorted=False``)."""
    lengths = [s.shape[0] for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences: PackedSequence) -> list[Tensor]:
    """The list of sequences in a packed sequence, in their original order."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
