"""Least squares and rank: linalg.lstsq (LAPACK's gelsy, gels, gelsd, gelss through SciPy), pinv with atol/rtol
and hermitian, matrix_rank and cond. Gradients as torch's: lstsq's solution through the pseudo-inverse."""

from __future__ import annotations

import numpy as np

from .. import return_types
from ..autograd.node import Node, apply
from ..tensor import Tensor
from ._checks import require_tensor, scalar_type
from ._scipy import scipy_lapack
from .linalg_decomp import LinAlgError, _matrices
from .matrix_functions import Pinv, check_pinv_input, pinv_backward


def _tolerances(a: np.ndarray, atol, rtol) -> tuple[np.ndarray, np.ndarray]:
    """torch's defaults: rtol = eps * max(m, n) unless rtol is given, or atol > 0 is given alone (rtol = 0)."""
    def value(t):
        return np.asarray(t._data if isinstance(t, Tensor) else t, np.float64)

    default = np.finfo(a.dtype).eps * max(a.shape[-2:])
    atol_v = np.zeros(()) if atol is None else value(atol)
    if rtol is not None:
        rtol_v = value(rtol)
    elif atol is not None:
        rtol_v = np.where(atol_v > 0, 0.0, default)
    else:
        rtol_v = np.asarray(default)
    return atol_v, rtol_v


def pinv(A: Tensor, rcond=None, hermitian: bool = False, *, atol=None, rtol=None) -> Tensor:
    """The Moore-Penrose pseudo-inverse of each matrix: singular values (``hermitian``: eigenvalue magnitudes)
    not above max(atol, rtol * the largest) are treated as zero. ``rcond`` (positional) is rtol with atol = 0."""
    require_tensor(A, "linalg.pinv", "A")
    check_pinv_input(A)
    if rcond is not None:
        if atol is not None or rtol is not None:
            raise RuntimeError("linalg.pinv: give either rcond or atol/rtol, not both")
        atol, rtol = 0.0, rcond
    atol_v, rtol_v = _tolerances(A._data, atol, rtol)
    return apply(Pinv, A, atol=atol_v, rtol=rtol_v, hermitian=bool(hermitian))


def matrix_rank(A: Tensor, tol=None, hermitian: bool = False, *, atol=None, rtol=None) -> Tensor:
    """The number of singular values (``hermitian``: eigenvalue magnitudes) above max(atol, rtol * the largest),
    int64. ``tol`` (positional) is atol with rtol = 0."""
    require_tensor(A, "linalg.matrix_rank", "A")
    a = A._data
    if a.ndim < 2:
        raise RuntimeError("torch.linalg.matrix_rank: The input tensor input must have at least 2 dimensions.")
    if a.dtype.kind != "f":
        raise RuntimeError("This function doesn't handle types other than float and double")
    if tol is not None:
        atol, rtol = tol, 0.0
    atol_v, rtol_v = _tolerances(a, atol, rtol)
    s = np.abs(np.linalg.eigvalsh(a)) if hermitian else np.linalg.svd(a, compute_uv=False)
    smax = s.max(-1, initial=0.0)
    cut = np.maximum(atol_v, rtol_v * smax)[..., None]
    return Tensor._wrap((s > cut).sum(-1).astype(np.int64))


# -- lstsq ---------------------------------------------------------------------------------------------------
_DRIVERS = ("gels", "gelsy", "gelsd", "gelss")


class Lstsq(Node):
    """X minimizing ||A X - B|| (the minimum-norm one where A is rank-deficient or wide)."""

    input_names = ("A", "B")
    formulas = ("dL/dA = pinv_backward(dL/dX @ B^T, pinv(A), A)", "dL/dB = pinv(A)^T @ dL/dX")

    def forward(ctx, a, b, rcond=None, driver="gelsy"):
        x, (ctx.residuals, ctx.rank, ctx.sv) = _solve(a, b, rcond, driver)
        ctx.save_for_backward(a, b)
        return x

    def backward(ctx, g):
        a, b = ctx.saved_tensors
        p = apply(Pinv, a, atol=0.0, rtol=np.finfo(a._data.dtype).eps * max(a.shape[-2:]))
        ga = pinv_backward(g @ b.mT, p, a) if ctx.needs_input_grad[0] else None
        gb = p.mT @ g if ctx.needs_input_grad[1] else None
        return ga, gb

    torch_name = "LinalgLstsqBackward0"


def _solve(a: np.ndarray, b: np.ndarray, rcond, driver: str):
    """(solution, (residuals, rank, singular values)) of each matrix pair, as torch fills them per driver."""
    m, n = a.shape[-2:]
    k = b.shape[-1]
    batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    count = int(np.prod(batch))
    a_b = np.broadcast_to(a, batch + (m, n)).reshape(count, m, n)
    b_b = np.broadcast_to(b, batch + (m, k)).reshape(count, m, k)
    dtype = a.dtype
    cond = np.finfo(dtype).eps * max(m, n) if rcond is None or rcond < 0 else float(rcond)
    xs = np.zeros((a_b.shape[0], n, k), dtype)
    ranks = np.zeros(a_b.shape[0], np.int64)
    svs = np.zeros((a_b.shape[0], min(m, n)), dtype)
    raw = np.zeros((a_b.shape[0], max(m, n), k), dtype)
    for i, (ma, mb) in enumerate(zip(a_b, b_b)):
        if ma.size == 0 or mb.size == 0:
            continue
        if driver == "gels":
            gels = scipy_lapack().get_lapack_funcs("gels", dtype=dtype)
            rhs = np.zeros((max(m, n), k), dtype)
            rhs[:m] = mb
            _, sol, info = gels(ma, rhs)
            if info > 0:
                raise LinAlgError(f"torch.linalg.lstsq: The least squares solution could not be computed because "
                                  f"the input matrix does not have full rank (error code: {info}).")
            raw[i], xs[i], ranks[i] = sol, sol[:n], min(m, n)
            continue
        lsq = scipy_lapack().get_lapack_funcs(driver, dtype=dtype)
        rhs = np.zeros((max(m, n), k), dtype)
        rhs[:m] = mb
        sizes = [int(w) for w in scipy_lapack().get_lapack_funcs(driver + "_lwork", dtype=dtype)(m, n, k, cond)[:-1]]
        if driver == "gelsy":
            _, sol, _, rank, _ = lsq(ma, rhs, np.zeros(n, np.int32), cond, sizes[0])
        else:
            if driver == "gelsd":
                sol, s, rank, _ = lsq(ma, rhs, *sizes, cond)
            else:
                _, sol, s, rank, _, _ = lsq(ma, rhs, cond=cond, lwork=sizes[0])
            svs[i] = s[:min(m, n)]
        raw[i], xs[i], ranks[i] = sol, sol[:n], rank
    x = xs.reshape(batch + (n, k))
    # (the rank and singular values are A's: one per matrix of A, not of the broadcast batch, as torch)
    a_batch = (1,) * (len(batch) - len(a.shape[:-2])) + a.shape[:-2]
    of_a = tuple(slice(0, 1) if s == 1 else slice(None) for s in a_batch)
    ranks = ranks.reshape(batch)[of_a].reshape(a.shape[:-2])
    svs = svs.reshape(batch + (min(m, n),))[of_a].reshape(a.shape[:-2] + (min(m, n),))
    empty = np.zeros((0,), dtype)
    if driver == "gelsy":
        extra = (empty, ranks, empty)
    elif driver == "gels":
        extra = (_residuals(raw, m, n, batch), np.zeros((0,), np.int64), empty)
    else:
        full = m > n and bool((ranks == n).all())
        extra = (_residuals(raw, m, n, batch) if full else empty, ranks, svs)
    return x, extra


def _residuals(raw: np.ndarray, m: int, n: int, batch: tuple[int, ...]) -> np.ndarray:
    if m <= n:
        return np.zeros((0,), raw.dtype)
    return (raw[:, n:m, :] ** 2).sum(-2).reshape(batch + (raw.shape[-1],))  # (m > n here)


def lstsq(A: Tensor, B: Tensor, rcond: float | None = None, *, driver: str | None = None):
    """(solution, residuals, rank, singular_values): X minimizing ||A X - B||, and what ``driver`` reports
    (CPU default 'gelsy': the rank; 'gels': residuals for tall A; 'gelsd'/'gelss': also the singular values,
    residuals for a full-rank tall A). B is a batch of vectors when it has A's shape without the last dim."""
    op = "torch.linalg.lstsq"
    require_tensor(A, "linalg.lstsq", "A")
    require_tensor(B, "linalg.lstsq", "B", 2)
    a, b = A._data, B._data
    if a.ndim < 2:
        raise RuntimeError(f"{op}: input must have at least 2 dimensions.")
    if b.ndim < 1:
        raise RuntimeError(f"{op}: other must have at least 1 dimension.")
    if a.dtype.kind != "f":
        raise RuntimeError("This function doesn't handle types other than float and double")
    if a.dtype != b.dtype:
        raise RuntimeError(f"{op}: Expected input and other to have the same dtype, but got input's dtype "
                           f"{scalar_type(A)} and other's dtype {scalar_type(B)}")
    if driver is None:
        driver = "gelsy"
    if driver not in _DRIVERS:
        raise RuntimeError(f"{op}: parameter `driver` should be one of (gels, gelsy, gelsd, gelss)")
    if not (a.ndim >= b.ndim and a.ndim - b.ndim <= 1):
        raise RuntimeError(f"{op}: input.dim() must be greater or equal to other.dim() and (input.dim() - "
                           "other.dim()) <= 1")
    vector = b.ndim == 1 or (b.ndim == a.ndim - 1 and b.shape == a.shape[:-1])
    if not vector and b.ndim == a.ndim - 1:
        raise RuntimeError(f"{op}: other of shape {list(b.shape)} is neither a batch of vectors of shape "
                           f"{list(a.shape[:-1])} nor a batch of matrices with input's {a.ndim} dims")
    rows = b.shape[-1] if vector else b.shape[-2]
    if rows != a.shape[-2]:
        raise RuntimeError(f"{op}: input.size(-2) should match other.size(-2)")
    Bm = B.unsqueeze(-1) if vector else B
    x = apply(Lstsq, A, Bm, rcond=rcond, driver=driver)
    node = x.grad_fn
    residuals, rank, sv = (node.residuals, node.rank, node.sv) if node is not None else \
        _solve(a, Bm._data, rcond, driver)[1]
    wrap = Tensor._wrap
    res = wrap(residuals)
    if residuals.size:  # ||A X - B||^2 per column, differentiable as torch's
        res = ((A @ x - Bm) ** 2).sum(-2)
    elif x.requires_grad:  # (empty, but an output of the solve, as torch's)
        res = x.reshape(-1)[:0]
    return return_types.linalg_lstsq(x.squeeze(-1) if vector else x, res, wrap(rank), wrap(sv))


_LSTSQ_REMOVED = (
    "This function was deprecated since version 1.9 and is now removed. `torch.lstsq` is deprecated in favor of "
    "`torch.linalg.lstsq`.\n`torch.linalg.lstsq` has reversed arguments and does not return the QR decomposition in "
    "the returned tuple (although it returns other information about the problem).\n\nTo get the QR decomposition "
    "consider using `torch.linalg.qr`.\n\nThe returned solution in `torch.lstsq` stored the residuals of the "
    "solution in the last m - n columns of the returned value whenever m > n. In torch.linalg.lstsq, the residuals "
    "are in the field 'residuals' of the returned named tuple.\n\nThe unpacking of the solution, as in\nX, _ = "
    "torch.lstsq(B, A).solution[:A.size(1)]\nshould be replaced with:\nX = torch.linalg.lstsq(A, B).solution")


def lstsq_removed(input: Tensor, A: Tensor):
    """torch.lstsq, removed from torch (which raises this error): use linalg.lstsq."""
    raise RuntimeError(_LSTSQ_REMOVED)


def matrix_rank_removed(input: Tensor, tol=None, symmetric: bool = False):
    """torch.matrix_rank, removed from torch (which raises this error): use linalg.matrix_rank."""
    raise RuntimeError("This function was deprecated since version 1.9 and is now removed.\nPlease use the "
                       "`torch.linalg.matrix_rank` function instead. The parameter 'symmetric' was renamed in "
                       "`torch.linalg.matrix_rank()` to 'hermitian'.")


Tensor.lstsq = lstsq_removed


# -- cond -------------------------------------------------------------------------------------------------------
_COND_P = (None, 2, -2, "fro", "nuc", float("inf"), -float("inf"), 1, -1)


def cond(A: Tensor, p=None) -> Tensor:
    """The condition number of each matrix in the norm ``p``: for None/2/-2 the ratio of its extreme singular
    values (any shape); for 'fro', 'nuc', inf, -inf, 1, -1, norm(A) * norm(inv(A)) (square A; inf if singular)."""
    from .linalg_decomp import svd
    from .norms import matrix_norm

    require_tensor(A, "linalg.cond", "A")
    if A.ndim < 2:
        raise RuntimeError("linalg.cond: The input tensor must have at least 2 dimensions.")
    if p not in _COND_P:
        raise RuntimeError(f"linalg.cond got an invalid norm type: {p}")
    if p in (None, 2, -2):
        s = svd(A, full_matrices=False).S
        if s.shape[-1] == 0:
            return s.sum(-1)
        big, small = s[..., 0], s[..., -1]
        return small / big if p == -2 else big / small
    a = A._data
    if a.shape[-1] != a.shape[-2]:
        raise RuntimeError(f"linalg.cond(ord={p}): A must be batches of square matrices, but they are "
                           f"{a.shape[-2]} by {a.shape[-1]} matrices")
    _matrices(A, "linalg.cond")
    from .linalg_extra import inv_ex

    inverse, info = inv_ex(A)
    value = matrix_norm(A, p) * matrix_norm(inverse.nan_to_num(0.0, 0.0, 0.0), p)
    inf = Tensor._wrap(np.array(np.inf, a.dtype))
    return inf.where(info > 0, value)
