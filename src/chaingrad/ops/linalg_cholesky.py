"""Cholesky factors and triangular solves (torch.linalg.cholesky, cholesky_ex, solve_triangular and
torch.cholesky_inverse) on NumPy's LAPACK, batched over leading dims, with gradients written in Tensor ops."""

from __future__ import annotations

import numpy as np

from .. import return_types
from ..autograd.node import Node, apply
from ..tensor import Tensor
from ._checks import require_tensor, scalar_type
from .linalg_decomp import LinAlgError, _square
from .matrix import tril, triu


def _leading_minor_failure(a: np.ndarray) -> int:
    """The order of the first leading minor of the square matrix ``a`` that is not positive-definite (0: none)."""
    for k in range(1, a.shape[-1] + 1):
        try:
            np.linalg.cholesky(a[:k, :k])
        except np.linalg.LinAlgError:
            return k
    return 0


def _cholesky_info(a: np.ndarray) -> np.ndarray:
    """torch's ``info`` per matrix: 0 where the factorization succeeds, else the failing minor's order."""
    flat = a.reshape((-1,) + a.shape[-2:])
    info = np.array([_leading_minor_failure(m) for m in flat], dtype=np.int32)
    return info.reshape(a.shape[:-2])


class Cholesky(Node):
    """L with A = L L^T, lower triangular (``upper``: U = L^T)."""

    input_names = ("A",)
    formulas = ("dL/dA = L^-T sym(tril(L^T dL/dout) with half its diagonal) L^-1",)

    def forward(ctx, a, upper=False):
        ctx.upper = upper
        with np.errstate(invalid="ignore"):
            out = np.linalg.cholesky(a)
        if upper:
            out = np.swapaxes(out, -1, -2).copy()
        ctx.save_for_backward(out)
        return out

    def backward(ctx, g):
        (factor,) = ctx.saved_tensors
        low, g_low = (factor.mT, g.mT) if ctx.upper else (factor, g)
        ga = tril(low.mT @ g_low)
        ga = 0.5 * (ga + tril(ga, -1).mT)
        ga = solve_triangular(low.mT, ga, upper=True, left=True)
        return solve_triangular(low, ga, upper=False, left=False)

    torch_name = "LinalgCholeskyExBackward0"


def cholesky(A: Tensor, *, upper: bool = False) -> Tensor:
    """The Cholesky factor of each symmetric positive-definite matrix in ``A`` (lower unless ``upper``);
    LinAlgError naming the first leading minor that is not positive-definite."""
    a = _square(A, "linalg.cholesky")
    info = _cholesky_info(a)
    bad = np.flatnonzero(info)
    if bad.size:
        order = int(info.reshape(-1)[bad[0]])
        where = f"(Batch element {int(bad[0])}): " if a.ndim > 2 else ""
        raise LinAlgError(f"linalg.cholesky: {where}The factorization could not be completed because the input is "
                          f"not positive-definite (the leading minor of order {order} is not positive-definite).")
    return apply(Cholesky, A, upper=upper)


def cholesky_ex(A: Tensor, *, upper: bool = False, check_errors: bool = False):
    """``(L, info)``: the Cholesky factor and, per matrix, 0 or the order of the first leading minor that is not
    positive-definite (where L is then not meaningful); ``check_errors=True`` raises as ``cholesky`` does."""
    a = _square(A, "linalg.cholesky_ex")
    if check_errors:
        return return_types.linalg_cholesky_ex(cholesky(A, upper=upper), Tensor._wrap(np.zeros(a.shape[:-2],
                                                                                                 np.int32)))
    info = _cholesky_info(a)
    if info.any():  # factor the good matrices; the others come out as NumPy leaves them (nan)
        good = np.where((info == 0)[..., None, None], a, np.eye(a.shape[-1], dtype=a.dtype))
        factor = Tensor._wrap(np.linalg.cholesky(good))
        factor = factor.mT.contiguous() if upper else factor
        return return_types.linalg_cholesky_ex(factor, Tensor._wrap(info))
    return return_types.linalg_cholesky_ex(apply(Cholesky, A, upper=upper), Tensor._wrap(info))


def _triangle(a: np.ndarray, upper: bool, unitriangular: bool) -> np.ndarray:
    t = np.triu(a) if upper else np.tril(a)
    if unitriangular:
        t = t.copy()
        idx = np.arange(a.shape[-1])
        t[..., idx, idx] = 1
    return t


class SolveTriangular(Node):
    """X with A X = B (``left``) or X A = B, reading only A's ``upper`` or lower triangle."""

    input_names = ("A", "B")
    formulas = ("dL/dA = tri(-A^-T dL/dout X^T)  (left; X^T A^-T dL/dout for left=False)",
                "dL/dB = A^-T dL/dout  (left; dL/dout A^-T for left=False)")

    def forward(ctx, a, b, upper=False, left=True, unitriangular=False):
        ctx.upper, ctx.left, ctx.unitriangular = upper, left, unitriangular
        t = _triangle(a, upper, unitriangular)
        if left:
            x = np.linalg.solve(t, b)
        else:  # X A = B  <=>  A^T X^T = B^T
            x = np.swapaxes(np.linalg.solve(np.swapaxes(t, -1, -2), np.swapaxes(b, -1, -2)), -1, -2)
        ctx.save_for_backward(a, x)
        return x

    def backward(ctx, g):
        a, x = ctx.saved_tensors
        upper, left, unit = ctx.upper, ctx.left, ctx.unitriangular
        gb = solve_triangular(a.mT, g, upper=not upper, left=left, unitriangular=unit)
        ga = None
        if ctx.needs_input_grad[0]:
            ga = -(gb @ x.mT) if left else -(x.mT @ gb)
            ga = triu(ga, int(unit)) if upper else tril(ga, -int(unit))
        return ga, (gb if ctx.needs_input_grad[1] else None)

    torch_name = "LinalgSolveTriangularBackward0"


def solve_triangular(A: Tensor, B: Tensor, *, upper: bool, left: bool = True, unitriangular: bool = False) -> Tensor:
    """X with A X = B (``left=False``: X A = B) for triangular A: only its upper (``upper=True``) or lower
    triangle is read, with ones on the diagonal when ``unitriangular``. Batch dims broadcast."""
    a = _square(A, "linalg.solve_triangular")
    b = require_tensor(B, "linalg.solve_triangular", "B", 2)._data
    if b.ndim < 2:
        raise RuntimeError(f"linalg.solve_triangular: The input tensor B must have at least 2 dimensions, got "
                           f"shape {list(b.shape)}.")
    if a.dtype != b.dtype:
        raise RuntimeError(f"linalg.solve_triangular: Expected A and B to have the same dtype, but found A of type "
                           f"{scalar_type(A)} and B of type {scalar_type(B)} instead")
    n = a.shape[-1]
    rows = b.shape[-2] if left else b.shape[-1]
    if rows != n:
        eq = "AX = B" if left else "XA = B"
        raise RuntimeError(f"linalg.solve_triangular: Incompatible shapes of A and B for the equation {eq} "
                           f"({n}x{n} and {b.shape[-2]}x{b.shape[-1]})")
    try:
        np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    except ValueError:
        raise RuntimeError(f"linalg.solve_triangular: the batch dims of A {list(a.shape)} and B {list(b.shape)} "
                           "do not broadcast") from None
    return apply(SolveTriangular, A, B, upper=upper, left=left, unitriangular=unitriangular)


class CholeskyInverse(Node):
    """(L L^T)^-1 from the lower triangle of L (``upper``: (U^T U)^-1 from the upper one), as LAPACK's potri."""

    input_names = ("L",)
    formulas = ("dL/dL = -inv (dL/dout + dL/dout^T) inv L  (upper: -U inv (dL/dout + dL/dout^T) inv)",)

    def forward(ctx, factor, upper=False):
        ctx.upper = upper
        t = np.triu(factor) if upper else np.tril(factor)
        a = np.swapaxes(t, -1, -2) @ t if upper else t @ np.swapaxes(t, -1, -2)
        try:
            out = np.linalg.inv(a)
        except np.linalg.LinAlgError:
            raise LinAlgError("cholesky_inverse: The factor has a zero on its diagonal, so the matrix it factors is "
                              "singular and has no inverse.") from None
        ctx.save_for_backward(factor, out)
        return out

    def backward(ctx, g):
        factor, out = ctx.saved_tensors
        common = out @ (g + g.mT) @ out
        return -(factor @ common) if ctx.upper else -(common @ factor)

    torch_name = "CholeskyInverseBackward0"


def cholesky_inverse(L: Tensor, upper: bool = False) -> Tensor:  # noqa: N803 - torch's name
    """The inverse of A from its Cholesky factor: (L L^T)^-1 (``upper``: (U^T U)^-1); only L's lower (upper)
    triangle is read."""
    _square(L, "cholesky_inverse")
    return apply(CholeskyInverse, L, upper=upper)
