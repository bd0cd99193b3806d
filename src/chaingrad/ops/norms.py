"""Vector and matrix norms as torch.linalg computes them: vector_norm, matrix_norm and norm."""

from __future__ import annotations

import numbers

import numpy as np

from ..autograd.node import Node, apply
from ..tensor import Tensor
from ._checks import require_tensor, scalar_type
from .reduce import normalize_dims


def _kept(g: Tensor, shape: tuple, axes, keepdim: bool) -> Tensor:
    """``g`` (reduced over ``axes``) reshaped so that it broadcasts against the input."""
    if keepdim or not shape:
        return g
    kept = tuple(1 if (axes is None or i in axes) else s for i, s in enumerate(shape))
    return g.reshape(kept)


class VectorNorm(Node):
    torch_name = "LinalgVectorNormBackward0"
    formulas = ("dL/dx = dL/dout * sign(x) |x|^(p-1) / ||x||_p^(p-1)  (p = 2: x / ||x||; inf: sign(x) at the max; "
                "0 where the norm is 0)",)

    def forward(ctx, x, ord=2.0, axes=None, keepdim=False):  # noqa: A002
        ctx.ord, ctx.axes, ctx.keepdim, ctx.shape = ord, axes, keepdim, x.shape
        a = np.abs(x)
        if ord == 2:
            out = np.sqrt(np.sum(a * a, axis=axes, keepdims=keepdim))
        elif ord == 1:
            out = np.sum(a, axis=axes, keepdims=keepdim)
        elif ord == 0:
            out = np.sum(a != 0, axis=axes, keepdims=keepdim).astype(x.dtype)
        elif ord == np.inf:
            out = np.amax(a, axis=axes, keepdims=keepdim)
        elif ord == -np.inf:
            out = np.amin(a, axis=axes, keepdims=keepdim)
        else:
            with np.errstate(divide="ignore"):
                out = np.sum(a ** ord, axis=axes, keepdims=keepdim) ** (1.0 / ord)
        out = np.asarray(out, x.dtype)
        ctx.save_for_backward(x, out)
        return out

    def backward(ctx, g):
        x, out = ctx.saved_tensors
        p = ctx.ord
        g = _kept(g, ctx.shape, ctx.axes, ctx.keepdim)
        n = _kept(out, ctx.shape, ctx.axes, ctx.keepdim)
        dt = x._data.dtype
        if p == 0:
            return x * 0
        if p == 1:
            return g * x.sign()
        if np.isinf(p):  # shared evenly by the elements at the max (min) of |x|; NaN counts as one of them
            ax = np.abs(x._data)
            hit = (ax == n._data) | np.isnan(ax)
            count = np.sum(hit, axis=ctx.axes, keepdims=True)
            return x.sign() * g * Tensor._wrap((hit / np.maximum(count, 1)).astype(dt))
        alive = n._data != 0
        safe = n + Tensor._wrap((~alive).astype(dt))
        keep = Tensor._wrap(np.broadcast_to(alive, np.broadcast_shapes(alive.shape, x._data.shape)).astype(dt))
        if p == 2:
            return g * x / safe * keep
        return g * x.sign() * x.abs() ** (p - 1) / safe ** (p - 1) * keep


def _float_tensor(x: Tensor, op: str, dtype) -> Tensor:
    require_tensor(x, op)
    if dtype is not None:
        x = x.to(dtype)
    if x._data.dtype.kind != "f":
        raise RuntimeError(f"{op}: Expected a floating point or complex tensor as input. Got {scalar_type(x)}")
    return x


def vector_norm(x: Tensor, ord: float = 2, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:  # noqa: A002
    """(sum |x|^ord)^(1/ord) over ``dim`` (all elements by default); ord may be inf, -inf or 0 (a count)."""
    if isinstance(ord, str) or not isinstance(ord, numbers.Real):
        raise TypeError(f"linalg_vector_norm(): argument 'ord' must be Number, not {type(ord).__name__}")
    x = _float_tensor(x, "linalg.vector_norm", dtype)
    axes = normalize_dims(dim, x._data.ndim, "linalg.vector_norm")
    if x._data.size == 0 and (ord < 0 or np.isinf(ord)):
        size = x._data.shape if axes is None else [x._data.shape[a] for a in axes]
        if 0 in size or axes is None:
            raise RuntimeError(f"linalg.vector_norm cannot compute the {ord:g} norm on an empty tensor because the "
                               "operation does not have an identity")
    return apply(VectorNorm, x, ord=float(ord), axes=axes, keepdim=keepdim)


def matrix_norm(A: Tensor, ord="fro", dim=(-2, -1), keepdim: bool = False, *, dtype=None) -> Tensor:  # noqa: A002
    """Frobenius ('fro'), nuclear ('nuc'), spectral (2, -2: the largest/smallest singular value), max column
    sum (1, -1) or max row sum (inf, -inf) norm of the matrices in dims ``dim``."""
    A = _float_tensor(A, "linalg.matrix_norm", dtype)
    if A._data.ndim < 2:
        raise RuntimeError("linalg.matrix_norm: The input tensor A must have at least 2 dimensions.")
    dims = tuple(dim)
    if len(dims) != 2:
        raise RuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple. Got {list(dims)}")
    d0, d1 = normalize_dims(dims[0], A.ndim, "linalg.matrix_norm")[0], normalize_dims(dims[1], A.ndim,
                                                                                       "linalg.matrix_norm")[0]
    if d0 == d1:
        raise RuntimeError(f"linalg.matrix_norm: dims must be different. Got ({dims[0]}, {dims[1]})")
    if ord == "fro":
        return vector_norm(A, 2, (d0, d1), keepdim)
    if ord == "nuc" or ord in (2, -2):
        from .linalg_decomp import svdvals

        s = svdvals(A.movedim((d0, d1), (-2, -1)))
        out = s.sum(-1) if ord == "nuc" else (s.amax(-1) if ord == 2 else s.amin(-1))
        if keepdim:
            out = out.unsqueeze(min(d0, d1)).unsqueeze(max(d0, d1))
        return out
    if ord in (1, -1, np.inf, -np.inf):
        # 1: the largest sum of |a| down a column (over d0), then the max over columns; inf: rows
        inner, outer = (d0, d1) if ord in (1, -1) else (d1, d0)
        sums = A.abs().sum(inner)
        outer -= outer > inner
        out = sums.amax(outer) if ord > 0 else sums.amin(outer)
        return out.unsqueeze(min(d0, d1)).unsqueeze(max(d0, d1)) if keepdim else out
    raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")


def norm(A: Tensor, ord=None, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:  # noqa: A002
    """A vector norm (1-D input, or an int ``dim``) or a matrix norm (2-D input, or a 2-tuple ``dim``);
    without ord and dim, the 2-norm of all elements."""
    require_tensor(A, "linalg.norm")
    if dim is not None:
        dims = (dim,) if isinstance(dim, (numbers.Integral, np.integer)) else tuple(dim)
        if len(dims) not in (1, 2):
            raise RuntimeError(f"linalg.norm: If dim is specified, it must be of length 1 or 2. Got {list(dims)}")
        if len(dims) == 1:
            return vector_norm(A, 2 if ord is None else ord, dims, keepdim, dtype=dtype)
        return matrix_norm(A, "fro" if ord is None else ord, dims, keepdim, dtype=dtype)
    if ord is None:
        return vector_norm(A, 2, None, keepdim, dtype=dtype)
    if A._data.ndim not in (1, 2):
        raise RuntimeError(f"linalg.norm: If dim is not specified but ord is, the input must be 1D or 2D. Got "
                           f"{A._data.ndim}D.")
    if A._data.ndim == 1:
        return vector_norm(A, ord, None, keepdim, dtype=dtype)
    return matrix_norm(A, ord, (-2, -1), keepdim, dtype=dtype)
