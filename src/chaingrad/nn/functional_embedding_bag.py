"""embedding_bag: the sum, mean or max of the embedding rows of each bag of indices, without building the
per-index embeddings' sequence dimension; bags are the rows of a 2-D input, or runs of a 1-D input starting at
``offsets``.

One node, as in torch (``EmbeddingBagBackward0``, its edges the weight's and the per-sample weights'): the sum and
mean add each entry's row into its bag, the max picks one entry per bag and column. The backward is written with
tensor operations, so it can itself be differentiated (torch's cannot).
"""

from __future__ import annotations

import warnings

import numpy as np

from ..autograd.node import Node, apply
from ..ops.index import IndexAdd
from ..tensor import Tensor


class EmbeddingBag(Node):
    """out[b] = the sum over the entries i of bag b of psw[i] weight[idx[i]] ('sum'; psw 1 without per-sample
    weights), that sum divided by the bag's size ('mean'), or the max over them per column ('max'); entries equal
    to padding_idx are left out (and not counted), an empty bag is 0."""

    input_names = ("weight", "per_sample_weights")
    formulas = ("dL/dweight[k] = sum over the entries i with index k of psw[i] dL/dout[b] for the bag b holding i "
                "(/ b's size for 'mean'; / k's count with scale_grad_by_freq; 'max': dL/dout[b, d] at the row that "
                "gave the max)",
                "dL/dper_sample_weights[i] = dL/dout[b] . weight[idx[i]] for the bag b holding entry i (0 for a "
                "padding entry)")

    def forward(ctx, weight, psw, indices=None, offsets=None, bags_of=(0, 0), include_last_offset=False,
                mode="mean", padding_idx=None, scale_grad_by_freq=False):
        # (the bags are read from the arrays here, not before, so that a compiled replay reads and checks them too)
        idx = indices.astype(np.int64, copy=False)
        n, num = idx.shape[0], weight.shape[0]
        if idx.size and (idx.min() < 0 or idx.max() >= num):
            raise IndexError(f"index out of range in self (embedding_bag: indices must be in [0, {num - 1}] for a "
                             f"table of {num} rows)")
        if offsets is None:  # a 2-D input: bags_of[0] bags of bags_of[1] entries
            offsets = np.arange(bags_of[0]) * bags_of[1]
        bags = _bags(offsets, n, include_last_offset)
        kept = np.ones(n, bool) if padding_idx is None else idx != padding_idx
        ctx.indices, ctx.picked = idx, None
        # scale_grad_by_freq: each entry's gradient divided by its index's count in the whole input, as embedding
        # divides it
        ctx.scale = 1 / np.bincount(idx, minlength=num)[idx] if scale_grad_by_freq else None
        ctx.save_for_backward(weight, psw)
        if mode == "max":
            picked = np.full((len(bags), weight.shape[1]), -1)  # the entry giving bag b's max in column d
            for b, (a, e) in enumerate(bags):
                entries = np.arange(a, e)[kept[a:e]]
                if entries.size:  # the first entry with the largest value, in each column
                    picked[b] = entries[np.argmax(weight[idx[entries]], axis=0)]
            ctx.picked = picked
            found = picked >= 0
            if not found.any():
                return np.zeros(picked.shape, weight.dtype)
            values = weight[idx[np.where(found, picked, 0)], np.arange(weight.shape[1])]
            return np.where(found, values, 0).astype(weight.dtype, copy=False)
        bag_of = np.full(n, -1)  # each entry's bag (-1: in none, past include_last_offset's last offset)
        for b, (a, e) in enumerate(bags):
            bag_of[a:e] = b
        entries = np.nonzero(kept & (bag_of >= 0))[0]  # the entries that count
        counts = np.bincount(bag_of[entries], minlength=len(bags))
        ctx.entries, ctx.bag_of = entries, bag_of[entries]
        ctx.divide = np.maximum(counts, 1)[ctx.bag_of].astype(weight.dtype) if mode == "mean" else None
        rows = weight[idx[entries]]
        out = np.zeros((len(bags), weight.shape[1]), weight.dtype)
        np.add.at(out, ctx.bag_of, rows if psw is None else rows * psw[entries, None])
        return out / np.maximum(counts, 1)[:, None].astype(weight.dtype) if mode == "mean" else out

    def backward(ctx, g):
        weight, psw = ctx.saved_tensors
        idx, shape = ctx.indices, ctx.input_meta[0][0]
        gw = gp = None
        if ctx.picked is not None:
            if ctx.needs_input_grad[0]:
                bags, cols = np.nonzero(ctx.picked >= 0)
                gw = apply(IndexAdd, g[Tensor._wrap(bags), Tensor._wrap(cols)],
                           index=(idx[ctx.picked[bags, cols]], cols), basic=False, shape=shape)
            return gw, None
        entries = ctx.entries
        per_entry = g[Tensor._wrap(ctx.bag_of)]  # (entries, dim): each entry's bag's gradient
        if ctx.divide is not None:
            per_entry = per_entry / Tensor._wrap(ctx.divide[:, None].astype(g._data.dtype, copy=False))
        if ctx.needs_input_grad[0]:
            gw = per_entry if psw is None else per_entry * psw[Tensor._wrap(entries)].unsqueeze(1)
            if ctx.scale is not None:
                gw = gw * Tensor._wrap(ctx.scale[entries, None].astype(g._data.dtype))
            gw = apply(IndexAdd, gw, index=(idx[entries],), basic=False, shape=shape)
        if ctx.needs_input_grad[1]:
            gp = apply(IndexAdd, (per_entry * weight[Tensor._wrap(idx[entries])]).sum(1), index=(entries,),
                       basic=False, shape=idx.shape)
        return gw, gp


def _bags(offsets: np.ndarray, n: int, include_last_offset: bool) -> list[tuple[int, int]]:
    """(start, end) of each bag, after checking the offsets as torch does."""
    if offsets.size and not include_last_offset or offsets.size > 1:
        if offsets[0] != 0:
            raise RuntimeError(f"offsets[0] has to be 0, i.e., the first sequence in the mini-batch has to start "
                               f"from position 0. However, got {offsets[0]}")
        if offsets[-1] > n:
            raise RuntimeError(f"offsets[-1] can not be greater than input's length {n}, but got {offsets[-1]}")
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
    from .functional import _embedding_indices

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
        bag_offsets, bags_of = None, tuple(input.shape)
        include_last_offset = False
        input = input.reshape(-1)
        if per_sample_weights is not None:
            per_sample_weights = per_sample_weights.reshape(-1)
    elif input.dim() == 1:
        if offsets is None:
            raise ValueError("offsets has to be a 1D Tensor but got None")
        if offsets.dim() != 1:
            raise ValueError("offsets has to be a 1D Tensor")
        bag_offsets, bags_of = offsets._data, (0, 0)
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
    _embedding_indices(input, weight, None, max_norm, norm_type, sparse, "embedding")
    if padding_idx is not None:
        num = weight.shape[0]
        if not -num <= padding_idx < num:
            raise RuntimeError(f"padding_idx must be within the number of embeddings, -{num} through {num - 1}, "
                               f"but got {padding_idx}")
        padding_idx %= num
    return apply(EmbeddingBag, weight, per_sample_weights, indices=input._data, offsets=bag_offsets, bags_of=bags_of,
                 include_last_offset=include_last_offset, mode=mode, padding_idx=padding_idx,
                 scale_grad_by_freq=bool(scale_grad_by_freq))
