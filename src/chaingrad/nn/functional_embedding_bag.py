"""embedding_bag: the sum, mean or max of the embedding rows of each bag of indices, without building the
per-index embeddings' sequence dimension; bags are the rows of a 2-D input, or runs of a 1-D input starting at
``offsets``.

Written with differentiable operations: the rows are looked up by ``embedding`` (its max_norm and
scale_grad_by_freq included), then summed or averaged per bag by one (bags x indices) matrix product, or
maximized per bag.
"""

from __future__ import annotations

import warnings

import numpy as np

from ..ops.shape import stack
from ..tensor import Tensor


def _bags(offsets: np.ndarray, n: int, include_last_offset: bool) -> list[tuple[int, int]]:
    starts = [int(o) for o in offsets]
    if include_last_offset:
        return [(starts[b], starts[b + 1]) for b in range(len(starts) - 1)]
    ends = starts[1:] + [n]
    return list(zip(starts, ends))


def embedding_bag(input: Tensor, weight: Tensor, offsets: Tensor | None = None, max_norm: float | None = None,
                  norm_type: float = 2, scale_grad_by_freq: bool = False, mode: str = "mean", sparse: bool = False,
                  per_sample_weights: Tensor | None = None, include_last_offset: bool = False,
                  padding_idx: int | None = None) -> Tensor:
    """(bags, embedding_dim): per bag, the sum (weighted by ``per_sample_weights``), mean or max of its indices'
    rows of ``weight``; entries equal to ``padding_idx`` are left out (and not counted); an empty bag is 0."""
    from .functional import embedding

    if weight.dtype.name == "int64" and input.is_floating_point():
        warnings.warn("Argument order of nn.functional.embedding_bag was changed. Usage `embedding_bag(weight, "
                      "input, ...)` is deprecated, and should now be `embedding_bag(input, weight, ...)`.",
                      stacklevel=2)
        weight, input = input, weight
    if per_sample_weights is not None and input.size() != per_sample_weights.size():
        raise ValueError(f"embedding_bag: If per_sample_weights ({per_sample_weights.shape}) is not None, then it "
                         f"must have the same shape as the input ({input.shape})")
    if weight.dim() != 2:
        raise ValueError(f"weight has to be a 2D Tensor, but got Tensor of dimension {weight.dim()}")
    if input.dim() == 2:
        if offsets is not None:
            raise ValueError("if input is 2D, then offsets has to be None, as input is treated is a mini-batch of "
                             f"fixed length sequences. However, found offsets of type {type(offsets)}")
        bag_offsets = np.arange(0, input.numel(), input.shape[1])
        include_last_offset = False
        input = input.reshape(-1)
        if per_sample_weights is not None:
            per_sample_weights = per_sample_weights.reshape(-1)
    elif input.dim() == 1:
        if offsets is None:
            raise ValueError("offsets has to be a 1D Tensor but got None")
        if offsets.dim() != 1:
            raise ValueError("offsets has to be a 1D Tensor")
        bag_offsets = offsets._data
    else:
        raise ValueError(f"input has to be 1D or 2D Tensor, but got Tensor of dimension {input.dim()}")
    if mode == "max":
        if scale_grad_by_freq:
            raise ValueError("max mode does not support scaling the gradient by the frequency")
        if sparse:
            raise ValueError("max mode does not support sparse weights")
    elif mode not in ("sum", "mean"):
        raise ValueError("mode has to be one of sum, mean or max")
    if per_sample_weights is not None and mode != "sum":
        raise NotImplementedError(f"embedding_bag: per_sample_weights was not None. per_sample_weights is only "
                                  f"supported for mode='sum' (got mode='{mode}'). Please open a feature request on "
                                  "GitHub.")
    idx = input._data
    n = idx.shape[0]
    if bag_offsets.size and not include_last_offset or bag_offsets.size > 1:
        if bag_offsets[0] != 0:
            raise RuntimeError(f"offsets[0] has to be 0, i.e., the first sequence in the mini-batch has to start "
                               f"from position 0. However, got {bag_offsets[0]}")
        if bag_offsets[-1] > n:
            raise RuntimeError(f"offsets[-1] can not be greater than input's length {n}, but got "
                               f"{bag_offsets[-1]}")
    rows = embedding(input, weight, max_norm=max_norm, norm_type=norm_type, scale_grad_by_freq=scale_grad_by_freq,
                     sparse=sparse)  # (n, dim)
    if padding_idx is not None:
        num = weight.shape[0]
        if not -num <= padding_idx < num:
            raise RuntimeError(f"padding_idx must be within the number of embeddings, -{num} through {num - 1}, "
                               f"but got {padding_idx}")
        padding_idx %= num
    kept = np.ones(n, bool) if padding_idx is None else idx != padding_idx
    bags = _bags(bag_offsets, n, include_last_offset)
    dt = weight._data.dtype
    if mode == "max":
        zero = Tensor._wrap(np.zeros(weight.shape[1], dt))
        picked = [rows[Tensor._wrap(np.arange(a, b)[kept[a:b]])].max(0)[0] if kept[a:b].any() else zero
                  for a, b in bags]
        return stack(picked) if picked else Tensor._wrap(np.zeros((0, weight.shape[1]), dt))
    share = np.zeros((len(bags), n), dt)  # share[b, i]: how much entry i counts in bag b
    for b, (a, e) in enumerate(bags):
        share[b, a:e] = kept[a:e]
        if mode == "mean" and kept[a:e].any():
            share[b, a:e] /= kept[a:e].sum()
    if per_sample_weights is not None:
        rows = rows * per_sample_weights.unsqueeze(1)
    return Tensor._wrap(share) @ rows
