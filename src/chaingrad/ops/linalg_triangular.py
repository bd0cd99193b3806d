"""Triangular solves and the LU factorization (LAPACK's trsm and getrf through SciPy): linalg.solve_triangular,
lu_factor, lu, lu_solve and their _ex forms, with torch's older triangular_solve, lu, lu_solve and lu_unpack.
Batched over leading dims; each backward is written with Tensor ops, so second derivatives work."""

from __future__ import annotations

import numpy as np

from .. import return_types
from ..autograd.node import Node, apply
from ..tensor import Tensor
from ._checks import require_tensor, scalar_type
from ._scipy import scipy_blas, scipy_lapack
from .linalg_decomp import LinAlgError, _matrices, _square
from .matrix import tril, triu


def _float_kernel(A: Tensor, kernel: str) -> None:
    """torch's NotImplementedError for the LAPACK kernels that have no integer version."""
    if isinstance(A, Tensor) and A._data.dtype.kind != "f":
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{scalar_type(A)}'")


# -- triangular solve ---------------------------------------------------------------------------------------
def _trsm(a: np.ndarray, b: np.ndarray, upper: bool, unitriangular: bool) -> np.ndarray:
    """A^-1 B for triangular A (no check for a zero diagonal: it gives inf/nan, as torch)."""
    batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    a = np.broadcast_to(a, batch + a.shape[-2:])
    b = np.broadcast_to(b, batch + b.shape[-2:])
    out = np.empty(b.shape, b.dtype)
    if b.size == 0 or a.shape[-1] == 0:
        out[...] = 0
        return out
    trsm = scipy_blas().get_blas_funcs("trsm", dtype=b.dtype)
    flat_out = out.reshape((-1,) + b.shape[-2:])
    with np.errstate(all="ignore"):
        for i, (m, r) in enumerate(zip(a.reshape((-1,) + a.shape[-2:]), b.reshape((-1,) + b.shape[-2:]))):
            flat_out[i] = trsm(1.0, m, r, lower=int(not upper), diag=int(unitriangular))
    return out


class SolveTriangular(Node):
    """X with A X = B for a triangular A (only its upper or lower triangle is read)."""

    input_names = ("A", "B")
    formulas = ("dL/dA = -(dL/dB @ X^T), restricted to A's triangle",
                "dL/dB = solve_triangular(A^T, dL/dout)")

    def forward(ctx, a, b, upper=False, unitriangular=False):
        ctx.upper, ctx.unit = upper, unitriangular
        x = _trsm(a, b, upper, unitriangular)
        ctx.save_for_backward(a, x)
        return x

    def backward(ctx, g):
        a, x = ctx.saved_tensors
        gb = apply(SolveTriangular, a.mT, g, upper=not ctx.upper, unitriangular=ctx.unit)
        ga = None
        if ctx.needs_input_grad[0]:
            ga = -(gb @ x.mT)
            ga = triu(ga, int(ctx.unit)) if ctx.upper else tril(ga, -int(ctx.unit))
        return ga, (gb if ctx.needs_input_grad[1] else None)

    torch_name = "LinalgSolveTriangularBackward0"


def _tri_solve(A: Tensor, B: Tensor, upper: bool, left: bool, unitriangular: bool) -> Tensor:
    if left:
        return apply(SolveTriangular, A, B, upper=upper, unitriangular=unitriangular)
    return apply(SolveTriangular, A.mT, B.mT, upper=not upper, unitriangular=unitriangular).mT


def solve_triangular(A: Tensor, B: Tensor, *, upper: bool, left: bool = True, unitriangular: bool = False) -> Tensor:
    """X with A X = B (``left=False``: X A = B) for upper (``upper=True``) or lower triangular A; only that
    triangle of A is read, and with ``unitriangular`` its diagonal is taken as ones. Batch dims broadcast."""
    op = "linalg.solve_triangular"
    _float_kernel(A, "triangular_solve_cpu")
    a = _square(A, op)
    b = require_tensor(B, op, "B", 2)._data
    if b.ndim < 2:
        raise RuntimeError(f"{op}: The input tensor B must have at least 2 dimensions.")
    if a.dtype != b.dtype:  # (torch computes in A's dtype)
        B = B.to(A.dtype)
    n = a.shape[-1]
    if (b.shape[-2] if left else b.shape[-1]) != n:
        eq = "AX = B" if left else "XA = B"
        raise RuntimeError(f"{op}: Incompatible shapes of A and B for the equation {eq} ({n}x{n} and "
                           f"{b.shape[-2]}x{b.shape[-1]})")
    try:
        np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    except ValueError:
        raise RuntimeError(f"{op}: the batch dims of A {list(a.shape)} and B {list(b.shape)} do not broadcast") \
            from None
    return _tri_solve(A, B, bool(upper), bool(left), bool(unitriangular))


def triangular_solve(input: Tensor, A: Tensor, upper: bool = True, transpose: bool = False,
                     unitriangular: bool = False):
    """torch.triangular_solve (deprecated in torch): (solution, cloned_coefficient) with A X = input, or
    A^T X = input with ``transpose``."""
    import warnings

    warnings.warn("torch.triangular_solve is deprecated in favor of torch.linalg.solve_triangularand will be removed "
                  "in a future PyTorch release.\ntorch.linalg.solve_triangular has its arguments reversed and does not "
                  "return a copy of one of the inputs.\nX = torch.triangular_solve(B, A).solution\nshould be replaced "
                  "with\nX = torch.linalg.solve_triangular(A, B).", UserWarning, stacklevel=2)
    require_tensor(input, "triangular_solve", "input")
    require_tensor(A, "triangular_solve", "A", 2)
    if input.ndim < 2 or A.ndim < 2:
        raise RuntimeError(f"torch.triangular_solve: Expected b to have at least 2 dimensions, but it has "
                           f"{input.ndim} dimensions instead" if input.ndim < 2 else
                           f"torch.triangular_solve: Expected A to have at least 2 dimensions, but it has {A.ndim} "
                           "dimensions instead")
    coef = A.mT if transpose else A
    x = solve_triangular(coef, input, upper=bool(upper) != bool(transpose), unitriangular=unitriangular)
    batch = np.broadcast_shapes(tuple(A.shape[:-2]), tuple(input.shape[:-2]))
    return return_types.triangular_solve(x, A.expand(*batch, *A.shape[-2:]).clone())


# -- LU -------------------------------------------------------------------------------------------------------
def _getrf(a: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(LU packed, 1-based int32 pivots, int32 info) of each matrix, as LAPACK's getrf."""
    m, n = a.shape[-2:]
    batch = a.shape[:-2]
    lu = np.empty(a.shape, a.dtype)
    piv = np.empty(batch + (min(m, n),), np.int32)
    info = np.zeros(batch, np.int32)
    if a.size == 0:
        piv[...] = np.arange(1, min(m, n) + 1, dtype=np.int32)
        lu[...] = 0
        return lu, piv, info
    getrf = scipy_lapack().get_lapack_funcs("getrf", dtype=a.dtype)
    flat_lu, flat_piv, flat_info = lu.reshape(-1, m, n), piv.reshape(-1, min(m, n)), info.reshape(-1)
    for i, mat in enumerate(a.reshape(-1, m, n)):
        f, p, inf = getrf(mat)
        flat_lu[i], flat_piv[i], flat_info[i] = f, p + 1, inf
    return lu, piv, info


def _permutation(piv: np.ndarray, m: int, dtype) -> np.ndarray:
    """P (m x m, A = P L U) from getrf's 1-based row swaps."""
    batch = piv.shape[:-1]
    perm = np.broadcast_to(np.arange(m), batch + (m,)).copy()
    count = int(np.prod(batch))
    flat_perm, flat_piv = perm.reshape(count, m), piv.reshape(count, piv.shape[-1])
    for row, swaps in zip(flat_perm, flat_piv):
        for i, p in enumerate(swaps - 1):
            row[i], row[p] = row[p], row[i]
    eye = np.eye(m, dtype=dtype)
    return np.swapaxes(eye[perm], -1, -2).copy()  # column j of P is e_perm[j]


def _unpack(lu: np.ndarray, m: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    k = min(m, n)
    low = np.tril(lu[..., :, :k], -1) + np.eye(m, k, dtype=lu.dtype)
    up = np.triu(lu[..., :k, :])
    return low, up


class Lu(Node):
    """A = P L U with partial pivoting (P a permutation, L unit lower, U upper triangular)."""

    input_names = ("A",)
    formulas = ("dL/dA = P L^-T [tril_-1(L^T dL) + triu(dU U^T)] U^-T  (square; tall and wide A split as torch)",)
    num_outputs = 3

    def forward(ctx, a):
        m, n = a.shape[-2:]
        lu, piv, _ = _getrf(a)
        low, up = _unpack(lu, m, n)
        p = _permutation(piv, m, a.dtype)
        ctx.save_for_backward(p, low, up)
        return p, low, up

    def backward(ctx, gp, gl, gu):
        p, low, up = ctx.saved_tensors
        return p @ lu_backward(gl, gu, low, up)

    torch_name = "LinalgLuBackward0"


def lu_backward(gl: Tensor, gu: Tensor, low: Tensor, up: Tensor) -> Tensor:
    """P^T dL/dA from the gradients of L and U (torch's linalg_lu_backward, real case)."""
    from .shape import cat

    m, n = low.shape[-2], up.shape[-1]
    k = min(m, n)
    if m == n:
        ga = tril(low.mT @ gl, -1) + triu(gu @ up.mT)
        ga = _tri_solve(up.mT, ga, upper=False, left=False, unitriangular=False)
        return _tri_solve(low.mT, ga, upper=True, left=True, unitriangular=True)
    if m < n:  # A = P L [U1 U2]
        u1, gu1, gu2 = up[..., :, :k], gu[..., :, :k], gu[..., :, k:]
        ga = tril(low.mT @ gl - triu(gu) @ up.mT, -1)
        ga = _tri_solve(u1.mT, ga, upper=False, left=False, unitriangular=False)
        ga = cat([ga + triu(gu1), gu2], -1)
        return _tri_solve(low.mT, ga, upper=True, left=True, unitriangular=True)
    l1, gl1, gl2 = low[..., :k, :], gl[..., :k, :], gl[..., k:, :]  # tall: A = P [L1; L2] U
    ga = triu(gu @ up.mT - low.mT @ tril(gl, -1))
    ga = _tri_solve(l1.mT, ga, upper=True, left=True, unitriangular=True)
    ga = cat([ga + tril(gl1, -1), gl2], -2)
    return _tri_solve(up.mT, ga, upper=False, left=False, unitriangular=False)


def _no_pivot(op: str) -> None:
    raise RuntimeError(f"{op}: LU without pivoting is not implemented on the CPU")


def lu(A: Tensor, *, pivot: bool = True):
    """(P, L, U) with A = P @ L @ U: P a permutation, L unit lower triangular (m x k), U upper (k x n)."""
    _float_kernel(A, "lu_cpu")
    _matrices(A, "linalg.lu")
    if not pivot:
        _no_pivot("linalg.lu_factor")
    p, low, up = apply(Lu, A)
    return return_types.linalg_lu(p.detach(), low, up)  # (P is piecewise constant: no gradient, as torch)


def lu_factor_ex(A: Tensor, *, pivot: bool = True, check_errors: bool = False):
    """(LU, pivots, info): L (below the diagonal, its unit diagonal implied) and U packed in one matrix, getrf's
    1-based int32 row swaps, and info > 0 where U[info-1, info-1] is zero."""
    _float_kernel(A, "lu_cpu")
    a = _matrices(A, "linalg.lu_factor_ex")
    if not pivot:
        _no_pivot("linalg.lu_factor")
    _, piv, info = _getrf(a)
    if check_errors:
        _raise_for_info(info, "linalg.lu_factor_ex", _zero_pivot_text)
    packed = apply(LuFactor, A)
    return return_types.linalg_lu_factor_ex(packed, Tensor._wrap(piv), Tensor._wrap(info))


class LuFactor(Node):
    """L (below the diagonal) and U packed in one matrix, as LAPACK's getrf (its pivots are not differentiable)."""

    input_names = ("A",)
    formulas = ("dL/dA = lu's gradient with dL/dL = tril_-1(dL/dLU), dL/dU = triu(dL/dLU)",)

    def forward(ctx, a):
        m = a.shape[-2]
        lu, piv, _ = _getrf(a)
        ctx.save_for_backward(_permutation(piv, m, a.dtype), lu)
        return lu

    def backward(ctx, g):
        p, lu = ctx.saved_tensors  # (L and U from the saved output, so that they stay differentiable)
        from .creation import eye

        m, n = g.shape[-2], g.shape[-1]
        k = min(m, n)
        low = tril(lu[..., :, :k], -1) + eye(m, k, dtype=lu.dtype)
        return p @ lu_backward(tril(g[..., :, :k], -1), triu(g[..., :k, :]), low, triu(lu[..., :k, :]))

    torch_name = "LinalgLuFactorExBackward0"


def _zero_pivot_text(op: str, i: int) -> str:
    return (f"{op}: U[{i},{i}] is zero and using it on lu_solve would result in a division by zero. If you still "
            "want to perform the factorization, consider calling linalg.lu(A, pivot) or linalg.lu_factor_ex(A, "
            "pivot)")


def _raise_for_info(info: np.ndarray, op: str, text, error: type = RuntimeError) -> None:
    bad = np.flatnonzero(info.reshape(-1) > 0)
    if bad.size:
        msg = text(op, int(info.reshape(-1)[bad[0]]))
        if info.ndim:
            msg = f"{op}: (Batch element {int(bad[0])}): " + msg[len(op) + 2:]
        raise error(msg)


def lu_factor(A: Tensor, *, pivot: bool = True):
    """(LU, pivots) of ``lu_factor_ex``, raising where a matrix is singular (a zero pivot)."""
    _float_kernel(A, "lu_cpu")
    a = _matrices(A, "linalg.lu_factor")
    if not pivot:
        _no_pivot("linalg.lu_factor")
    _, _, info = _getrf(a)
    _raise_for_info(info, "torch.linalg.lu_factor", _zero_pivot_text)
    packed, piv, _ = lu_factor_ex(A)
    return return_types.linalg_lu_factor(packed, piv)


def _unpack_tensors(LU: Tensor, pivots: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """(P, L, U) from a packed LU and its pivots (L and U differentiable in LU)."""
    from .creation import eye

    m, n = LU.shape[-2], LU.shape[-1]
    k = min(m, n)
    low = tril(LU[..., :, :k], -1) + eye(m, k, dtype=LU.dtype)
    up = triu(LU[..., :k, :])
    p = Tensor._wrap(_permutation(np.asarray(pivots._data), m, LU._data.dtype))
    return p, low, up


def lu_unpack(LU_data: Tensor, LU_pivots: Tensor, unpack_data: bool = True, unpack_pivots: bool = True):
    """torch.lu_unpack: (P, L, U) from ``lu_factor``'s packed LU and pivots (empty tensors for the parts not
    asked for)."""
    require_tensor(LU_data, "lu_unpack", "LU_data")
    require_tensor(LU_pivots, "lu_unpack", "LU_pivots", 2)
    if LU_pivots._data.dtype != np.int32:
        raise RuntimeError(f"torch.lu_unpack: LU_pivots is expected to be a contiguous tensor of torch.int32 dtype. "
                           f"Note: this function is intended to be used with the output produced by torch.linalg."
                           f"lu_factor (got {scalar_type(LU_pivots)})")
    p, low, up = _unpack_tensors(LU_data, LU_pivots)
    empty = Tensor._wrap(np.zeros((0,), LU_data._data.dtype))
    if not unpack_data:
        low, up = empty, empty
    if not unpack_pivots:
        p = empty
    return return_types.lu_unpack(p, low, up)


def lu_solve(LU: Tensor, pivots: Tensor, B: Tensor, *, left: bool = True, adjoint: bool = False) -> Tensor:
    """X with A X = B from A's ``lu_factor`` (``adjoint``: A^T X = B; ``left=False``: X A = B)."""
    op = "linalg.lu_solve"
    lu_ = _square(LU, op)
    b = require_tensor(B, op, "B", 3)._data
    require_tensor(pivots, op, "pivots", 2)
    if b.ndim < 2:
        raise RuntimeError(f"{op}: The input tensor B must have at least 2 dimensions.")
    n = lu_.shape[-1]
    if (b.shape[-2] if left else b.shape[-1]) != n:
        eq = "AX = B" if left else "XA = B"
        raise RuntimeError(f"{op}: Incompatible shapes of A and B for the equation {eq} ({n}x{n} and "
                           f"{b.shape[-2]}x{b.shape[-1]})")
    if pivots._data.dtype != np.int32:
        raise RuntimeError(f"{op}: pivots should be a Tensor of scalar type torch.int32")
    p, low, up = _unpack_tensors(LU, pivots)
    # A = P L U
    if left and not adjoint:  # X = U^-1 L^-1 P^T B
        y = _tri_solve(low, p.mT @ B, upper=False, left=True, unitriangular=True)
        return _tri_solve(up, y, upper=True, left=True, unitriangular=False)
    if left:  # A^T X = B: U^T L^T P^T X = B
        y = _tri_solve(up.mT, B, upper=False, left=True, unitriangular=False)
        return p @ _tri_solve(low.mT, y, upper=True, left=True, unitriangular=True)
    if not adjoint:  # X P L U = B
        y = _tri_solve(up, B, upper=True, left=False, unitriangular=False)
        return _tri_solve(low, y, upper=False, left=False, unitriangular=True) @ p.mT
    # X A^T = B: X U^T L^T P^T = B
    y = _tri_solve(low.mT, B @ p, upper=True, left=False, unitriangular=True)
    return _tri_solve(up.mT, y, upper=False, left=False, unitriangular=False)


def lu_legacy(A: Tensor, pivot: bool = True, get_infos: bool = False):
    """torch.lu (deprecated in torch, which warns): (LU, pivots) of ``linalg.lu_factor_ex``, with its ``infos``
    when ``get_infos``; a singular matrix raises no error."""
    import warnings

    require_tensor(A, "lu", "A")
    warnings.warn("torch.lu is deprecated in favor of torch.linalg.lu_factor / torch.linalg.lu_factor_ex and will be "
                  "removed in a future PyTorch release.\nLU, pivots = torch.lu(A, compute_pivots)\nshould be replaced "
                  "with\nLU, pivots = torch.linalg.lu_factor(A, compute_pivots)\nand\nLU, pivots, info = torch.lu(A, "
                  "compute_pivots, get_infos=True)\nshould be replaced with\nLU, pivots, info = torch.linalg."
                  "lu_factor_ex(A, compute_pivots)", UserWarning, stacklevel=2)
    packed, piv, info = lu_factor_ex(A, pivot=pivot)
    return (packed, piv, info) if get_infos else (packed, piv)


def lu_solve_legacy(b: Tensor, LU_data: Tensor, LU_pivots: Tensor) -> Tensor:
    """torch.lu_solve (deprecated in torch): ``linalg.lu_solve(LU_data, LU_pivots, b)``."""
    import warnings

    warnings.warn("torch.lu_solve is deprecated in favor of torch.linalg.lu_solveand will be removed in a future "
                  "PyTorch release.\nNote that torch.linalg.lu_solve has its arguments reversed.\nX = "
                  "torch.lu_solve(B, LU, pivots)\nshould be replaced with\nX = torch.linalg.lu_solve(LU, pivots, B)",
                  UserWarning, stacklevel=2)
    return lu_solve(LU_data, LU_pivots, b)


def _attach() -> None:
    Tensor.triangular_solve = triangular_solve
    Tensor.lu = lu_legacy
    Tensor.lu_solve = lu_solve_legacy


_attach()
__all__ = ["LinAlgError", "lu", "lu_factor", "lu_factor_ex", "lu_solve", "lu_unpack", "solve_triangular",
           "triangular_solve"]
