"""Products of whole tensors built from the ops that have derivatives already: ``kron`` (the Kronecker product,
an outer product laid out block by block) and ``tensordot`` (a sum of products over pairs of dims, as one matrix
product). As in torch, both are compositions: their gradients are those of the reshapes, products and sums."""

from __future__ import annotations

import numbers

import numpy as np

from ..autograd.node import apply
from ..tensor import Tensor
from ._checks import require_tensor as _tensor
from ._dispatch import promote
from .shape import _UNSAFE_VIEW


def kron(input: Tensor, other: Tensor) -> Tensor:
    """The Kronecker product: for matrices, the block matrix ``[[a00 * other, a01 * other, ...], ...]``; in
    general of shape ``input.shape[i] * other.shape[i]`` (the shorter shape padded with leading 1s)."""
    _tensor(input, "kron")
    _tensor(other, "kron", "other", 2)
    a, b = promote(input, other)
    nd = max(a._data.ndim, b._data.ndim)
    sa = (1,) * (nd - a._data.ndim) + a._data.shape
    sb = (1,) * (nd - b._data.ndim) + b._data.shape
    a_shape = tuple(s for k in sa for s in (k, 1))  # each of a's dims followed by a 1 for b's, and b's the other way
    b_shape = tuple(s for k in sb for s in (1, k))
    product = apply(_UNSAFE_VIEW, a, shape=a_shape) * apply(_UNSAFE_VIEW, b, shape=b_shape)
    return apply(_UNSAFE_VIEW, product, shape=tuple(x * y for x, y in zip(sa, sb)))


def _dims_lists(dims, na: int, nb: int) -> tuple[list[int], list[int]]:
    """tensordot's ``dims`` as two lists of dims: an int n (the last n of a with the first n of b), a pair of
    lists, or a tensor holding either."""
    if isinstance(dims, Tensor):
        dims = dims.tolist()
    if isinstance(dims, numbers.Integral) and not isinstance(dims, bool):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        if dims > min(na, nb):
            raise RuntimeError(f"tensordot expects dims < ndim_a or ndim_b, but got dims={dims}")
        return list(range(na - dims, na)), list(range(dims))
    if not isinstance(dims, (list, tuple)):
        raise RuntimeError("tensordot expects dims to be int or tuple[list[int], list[int]] or list[list[int]] "
                           f"containing two lists, but got dims={dims}")
    if len(dims) != 2:
        raise ValueError(f"not enough values to unpack (expected 2, got {len(dims)}) (tensordot: dims is a pair of "
                         "lists, ([dims of input], [dims of other]))")
    lists = []
    for k, part in enumerate(dims):
        if isinstance(part, numbers.Integral):
            part = [part]
        if not all(isinstance(d, numbers.Integral) for d in part):
            raise TypeError(f"tensordot(): argument '{'dims_other' if k else 'dims_self'}' must be tuple of ints")
        lists.append([int(d) for d in part])
    return lists[0], lists[1]


def _wrap_dims(dims: list[int], nd: int) -> list[int]:
    out = []
    for d in dims:
        if not -nd <= d < nd:
            raise IndexError(f"Dimension out of range (expected to be in range of [{-nd}, {nd - 1}], but got {d}) "
                             "(tensordot)")
        d = d % nd
        if d in out:
            raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
        out.append(d)
    return out


def tensordot(a: Tensor, b: Tensor, dims=2, out: Tensor | None = None) -> Tensor:
    """Sum of products of ``a`` and ``b`` over the dims paired by ``dims``: the result has a's other dims, then
    b's. A contracted dim of size 1 on one side is summed over on the other, as in torch."""
    from .linalg import mm

    _tensor(a, "tensordot", "a")
    _tensor(b, "tensordot", "b", 2)
    na, nb = a._data.ndim, b._data.ndim
    d1, d2 = _dims_lists(dims, na, nb)
    if len(d1) != len(d2):
        raise RuntimeError("both dimension lists should have same length")
    if a._data.dtype != b._data.dtype:
        raise RuntimeError(f"both inputs should have same dtype (tensordot of {a.dtype} and {b.dtype}: convert one "
                           "with .to())")
    d1, d2 = _wrap_dims(d1, na), _wrap_dims(d2, nb)
    t1, t2 = a, b
    for i, j in zip(d1, d2):
        s1, s2 = a._data.shape[i], b._data.shape[j]
        if s1 == s2:
            continue
        if s2 == 1:
            t1 = t1.sum(i, keepdim=True)
        elif s1 == 1:
            t2 = t2.sum(j, keepdim=True)
        else:
            raise RuntimeError(f"contracted dimensions need to match, but first has size {s1} in dim {i} and second "
                               f"has size {s2} in dim {j}")
    keep1 = [k for k in range(na) if k not in d1]
    keep2 = [k for k in range(nb) if k not in d2]
    size1 = int(np.prod([a._data.shape[k] for k in keep1]))
    size2 = int(np.prod([b._data.shape[k] for k in keep2]))
    csize = int(np.prod([t1._data.shape[k] for k in d1]))
    m1 = t1.permute(keep1 + d1).reshape(size1, csize)
    m2 = t2.permute(d2 + keep2).reshape(csize, size2)
    result = mm(m1, m2).reshape([a._data.shape[k] for k in keep1] + [b._data.shape[k] for k in keep2])
    if out is None:
        return result
    from ._out import fill

    return fill(result, out, "tensordot")


def _attach() -> None:
    Tensor.kron = kron


_attach()
