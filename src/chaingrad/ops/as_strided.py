"""A view made again after an in-place change: torch's ``AsStridedBackward0``.

When a view's base (or the view itself) is changed in place, the view's old node no longer says where its
values come from. torch then makes the view again from the base as it is now, in one step (``as_strided``
with the view's sizes and strides), whatever chain of view ops (``t[1:, ::2][0]``) first made it. So does
chaingrad: ``AsStrided`` is that chain as one node, and ``AsStridedScatter`` its derivative.

Which base elements the view reads is found by running the chain on the base's element numbers
(``np.arange``), so the gradient goes back with one indexed write (``np.add.at`` where the view reads an
element more than once, as an expanded view does).
"""

from __future__ import annotations

import numpy as np

from ..autograd.node import Node, _UnrecordedCtx, apply
from ..tensor import Tensor


def view_of(a: np.ndarray, chain) -> np.ndarray:
    """The view ops of ``chain`` (``view._view[0]``: links (previous, op, params)) applied to the array ``a``."""
    links = []
    while chain is not None:
        links.append(chain)
        chain = chain[0]
    for _, op, params in reversed(links):
        a = op.forward(_UnrecordedCtx(), a, **params)
    return a


def _positions(shape: tuple, chain) -> np.ndarray:
    """For each element of the view, the flat index of the base element it reads."""
    return np.asarray(view_of(np.arange(int(np.prod(shape))).reshape(shape), chain))


class AsStrided(Node):
    """The view a chain of view ops makes of its base, as one node."""

    torch_name = "AsStridedBackward0"
    input_names = ("base",)
    formulas = ("dL/dbase = zeros of the base's shape, with dL/dout added at the elements the view reads",)

    def forward(ctx, base, chain=None):
        ctx.shape, ctx.chain = base.shape, chain
        return view_of(base, chain)

    def backward(ctx, g):
        return apply(AsStridedScatter, g, shape=ctx.shape, chain=ctx.chain)


class AsStridedScatter(Node):
    """zeros(shape) with ``g`` added at the elements the view ``chain`` reads: AsStrided's derivative."""

    input_names = ("g",)
    formulas = ("dL/dg = dL/dout at the elements the view reads (AsStrided again)",)

    def forward(ctx, g, shape=(), chain=None):
        ctx.chain = chain
        where = _positions(shape, chain).ravel()
        out = np.zeros(int(np.prod(shape)), g.dtype)
        values = np.broadcast_to(g, where.shape if g.ndim == 0 else g.shape).ravel()
        if np.unique(where).size == where.size:
            out[where] = values
        else:  # an expanded view reads some elements several times: their gradients add up
            np.add.at(out, where, values)
        return out.reshape(shape)

    def backward(ctx, gg):
        return apply(AsStrided, gg, chain=ctx.chain)


def regenerate_view(chain, base: Tensor) -> Tensor:
    """The view ``chain`` of ``base`` made again as one AsStrided node (torch's node after an in-place change)."""
    return apply(AsStrided, base, chain=chain)
