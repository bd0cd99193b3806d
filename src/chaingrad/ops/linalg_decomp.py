"""Matrix functions and decompositions on NumPy's LAPACK: inv, solve, det, slogdet, svd, qr (batched over
leading dims). Each backward is written with Tensor ops (matmul, solve, tril ...), so second derivatives work."""

from __future__ import annotations

import numpy as np

from .. import return_types
from ..autograd.node import Node, apply
from ..tensor import Tensor
from ._checks import require_tensor, scalar_type
from .matrix import tril


class LinAlgError(RuntimeError):
    """A matrix that the operation cannot handle (singular for inv/solve), as torch.linalg.LinAlgError."""


def _square(A: Tensor, op: str) -> np.ndarray:
    a = require_tensor(A, op, "A")._data
    if a.ndim < 2:
        raise RuntimeError(f"{op}: The input tensor A must have at least 2 dimensions.")
    if a.dtype.kind != "f":
        raise RuntimeError(f"{op}: Expected a floating point or complex tensor as input. Got {scalar_type(A)}")
    if a.shape[-1] != a.shape[-2]:
        raise RuntimeError(f"{op}: A must be batches of square matrices, but they are {a.shape[-2]} by "
                           f"{a.shape[-1]} matrices")
    return a


def _matrices(A: Tensor, op: str) -> np.ndarray:
    a = require_tensor(A, op, "A")._data
    if a.ndim < 2:
        raise RuntimeError(f"{op}: The input tensor A must have at least 2 dimensions.")
    if a.dtype.kind != "f":
        raise RuntimeError(f"{op}: Expected a floating point or complex tensor as input. Got {scalar_type(A)}")
    return a


# -- inverse and solve ---------------------------------------------------------------------------------------
class Inv(Node):
    input_names = ("A",)
    formulas = ("dL/dA = -inv(A)^T @ dL/dout @ inv(A)^T",)

    def forward(ctx, a, check=True):
        try:
            out = np.linalg.inv(a)
        except np.linalg.LinAlgError:
            if not check:  # (inv_ex: the inverse that LAPACK's getri leaves, inf/nan where a pivot is zero)
                from .linalg_extra import _inverse_through_lu

                out = _inverse_through_lu(a)
                ctx.save_for_backward(out)
                return out
            raise LinAlgError("linalg.inv: The input matrix is singular (a pivot of its LU factorization is zero), "
                              "the inversion could not be completed. Check its rank, or use linalg.pinv.") from None
        ctx.save_for_backward(out)
        return out

    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return -(out.mT @ g @ out.mT)

    torch_name = "LinalgInvExBackward0"


def inv(A: Tensor) -> Tensor:
    """The inverse of each square matrix in ``A``; LinAlgError if one is singular."""
    _square(A, "linalg.inv")
    return apply(Inv, A)


class Solve(Node):
    """X with A X = B (``vector``: B and X are batches of vectors)."""

    input_names = ("A", "B")
    formulas = ("dL/dA = -solve(A^T, dL/dout) @ X^T", "dL/dB = solve(A^T, dL/dout)")

    def forward(ctx, a, b, vector=False, check=True):
        ctx.vector = vector
        try:
            x = np.linalg.solve(a, b[..., None])[..., 0] if vector else np.linalg.solve(a, b)
        except np.linalg.LinAlgError:
            if not check:  # (solve_ex: what LAPACK's getrs leaves, inf/nan where a pivot is zero)
                from .linalg_extra import _solve_through_lu

                x = _solve_through_lu(a, b, vector, True)
                ctx.save_for_backward(a, x)
                return x
            raise LinAlgError("torch.linalg.solve: The solver failed because the input matrix is singular.") from None
        ctx.save_for_backward(a, x)
        return x

    def backward(ctx, g):
        a, x = ctx.saved_tensors
        gb = apply(Solve, a.mT, g, vector=ctx.vector)
        ga = None
        if ctx.needs_input_grad[0]:
            ga = -(gb.unsqueeze(-1) * x.unsqueeze(-2)) if ctx.vector else -(gb @ x.mT)
        return ga, (gb if ctx.needs_input_grad[1] else None)

    torch_name = "LinalgSolveExBackward0"


def solve(A: Tensor, B: Tensor, *, left: bool = True) -> Tensor:
    """X with A X = B (``left=False``: X A = B). B is a batch of vectors when it is 1-D or has A's shape
    without its last dim; otherwise a batch of matrices. Batch dims broadcast."""
    return solve_checked(A, B, left, True)


def solve_checked(A: Tensor, B: Tensor, left: bool, check: bool) -> Tensor:
    """``solve``; with ``check=False`` a singular A gives inf/nan instead of LinAlgError (linalg.solve_ex)."""
    a = _square(A, "linalg.solve")
    b = require_tensor(B, "linalg.solve", "B", 2)._data
    if a.dtype != b.dtype:
        raise RuntimeError(f"linalg.solve: Expected A and B to have the same dtype, but found A of type "
                           f"{scalar_type(A)} and B of type {scalar_type(B)} instead")
    vector = b.ndim == 1 or (b.ndim == a.ndim - 1 and b.shape == a.shape[:-1])
    n = a.shape[-1]
    if left:
        rows = b.shape[-1] if vector else b.shape[-2]
        if rows != n:
            shape_b = f"{b.shape[-1]}x1" if vector else f"{b.shape[-2]}x{b.shape[-1]}"
            raise RuntimeError(f"linalg.solve: Incompatible shapes of A and B for the equation AX = B ({n}x{n} and "
                               f"{shape_b})")
    else:
        cols = b.shape[-1]
        if cols != n:
            shape_b = f"1x{b.shape[-1]}" if vector else f"{b.shape[-2]}x{b.shape[-1]}"
            raise RuntimeError(f"linalg.solve: Incompatible shapes of A and B for the equation XA = B ({n}x{n} and "
                               f"{shape_b})")
    try:
        np.broadcast_shapes(a.shape[:-2], b.shape[:-1] if vector else b.shape[:-2])
    except ValueError:
        raise RuntimeError(f"linalg.solve: the batch dims of A {list(a.shape)} and B {list(b.shape)} do not "
                           "broadcast") from None
    if left:
        return apply(Solve, A, B, vector=vector, check=check)
    if vector:  # x A = b  <=>  A^T x = b
        return apply(Solve, A.mT, B, vector=True, check=check)
    return apply(Solve, A.mT, B.mT, vector=False, check=check).mT


# -- determinants --------------------------------------------------------------------------------------------
def _cofactor(a: np.ndarray) -> np.ndarray:
    """The cofactor matrix (the gradient of det) from the SVD, defined also for singular matrices."""
    u, s, vh = np.linalg.svd(a)
    sign = np.linalg.det(u) * np.linalg.det(vh)
    n = s.shape[-1]
    others = np.stack([np.prod(np.delete(s, i, axis=-1), axis=-1) for i in range(n)], axis=-1) if n else s
    return sign[..., None, None] * (u * others[..., None, :]) @ vh


class Det(Node):
    input_names = ("A",)
    formulas = ("dL/dA = dL/dout * det(A) * inv(A)^T  (the cofactor matrix)",)

    def forward(ctx, a):
        out = np.linalg.det(a)
        ctx.save_for_backward(a, out)
        return out

    def backward(ctx, g):
        a, out = ctx.saved_tensors
        if (out._data != 0).all():
            try:
                return (g * out).unsqueeze(-1).unsqueeze(-1) * inv(a).mT
            except LinAlgError:
                pass
        # a singular matrix: the cofactors from its SVD (not differentiated again)
        return g.unsqueeze(-1).unsqueeze(-1) * Tensor._wrap(_cofactor(a._data).astype(a._data.dtype))

    torch_name = "LinalgDetBackward0"


def det(A: Tensor) -> Tensor:
    """The determinant of each square matrix in ``A``.

    Its gradient is the cofactor matrix, also for a singular matrix (where torch 2.13 returns 0 although the
    cofactors, which finite differences confirm, need not be 0)."""
    _square(A, "linalg.det")
    return apply(Det, A)


class Slogdet(Node):
    """(sign, log|det|): the determinant without overflow."""

    input_names = ("A",)
    formulas = ("dL/dA = dL/dlogabsdet * inv(A)^T  (sign: 0)",)
    num_outputs = 2

    def forward(ctx, a):
        sign, logabs = np.linalg.slogdet(a)
        ctx.save_for_backward(a)
        return np.asarray(sign, a.dtype), np.asarray(logabs, a.dtype)

    def backward(ctx, g_sign, g_logabs):
        (a,) = ctx.saved_tensors
        return g_logabs.unsqueeze(-1).unsqueeze(-1) * inv(a).mT

    torch_name = "LinalgSlogdetBackward0"


def slogdet(A: Tensor):
    """(sign, logabsdet) of each square matrix: det = sign * exp(logabsdet), without overflow."""
    _square(A, "linalg.slogdet")
    return return_types.linalg_slogdet(*apply(Slogdet, A))


def slogdet_legacy(input: Tensor):
    """torch.slogdet: ``linalg.slogdet`` under torch's older name of the result."""
    return return_types.slogdet(*slogdet(input))


def logdet(input: Tensor) -> Tensor:
    """log(det(A)): NaN for a negative determinant, -inf for a singular matrix."""
    sign, logabs = slogdet(input)
    nan = Tensor._wrap(np.array(np.nan, logabs._data.dtype))
    return nan.where(sign == -1, logabs)


# -- SVD ----------------------------------------------------------------------------------------------------
class Svd(Node):
    """A = U diag(S) Vh with S descending."""

    input_names = ("A",)
    formulas = ("dL/dA = U [(skew(U^T dU) S + S skew(Vh dV)) / (S_j^2 - S_i^2) + diag(dS)] Vh  (+ the parts "
                "outside U's and V's spans for non-square A)",)
    num_outputs = 3

    def forward(ctx, a, full_matrices=True):
        ctx.full = full_matrices
        u, s, vh = np.linalg.svd(a, full_matrices=full_matrices)
        ctx.save_for_backward(u, s, vh)
        return u, s.astype(a.dtype, copy=False), vh

    def backward(ctx, gu, gs, gvh):
        u, s, vh = ctx.saved_tensors
        k = s.shape[-1]
        if ctx.full:  # only the first k columns of U (rows of Vh) enter A
            u, vh, gu, gvh = u[..., :, :k], vh[..., :k, :], gu[..., :, :k], gvh[..., :k, :]
        return svd_backward(gu, gs, gvh, u, s, vh)

    torch_name = "LinalgSvdBackward0"


def svd_backward(gu, gs, gvh, u: Tensor, s: Tensor, vh: Tensor) -> Tensor:
    """The gradient of A from those of its reduced SVD (the formula of torch's svd_backward, real case)."""
    m, n = u.shape[-2], vh.shape[-1]
    has_u = gu is not None and bool(gu._data.any())  # a zero gradient contributes nothing: skip its 0/0 terms
    has_v = gvh is not None and bool(gvh._data.any())
    if not has_u and not has_v:
        return u @ (gs.unsqueeze(-1) * vh)
    s2 = s * s
    gap = s2.unsqueeze(-2) - s2.unsqueeze(-1)
    eye = Tensor._wrap(np.eye(s.shape[-1], dtype=bool))
    gap = gap.where(~eye, Tensor._wrap(np.ones((), gap._data.dtype)))
    ga = None
    if has_u:
        uhgu = u.mT @ gu
        ga = (uhgu - uhgu.mT) * s.unsqueeze(-2)
    if has_v:
        vhgv = vh @ gvh.mT
        term = s.unsqueeze(-1) * (vhgv - vhgv.mT)
        ga = term if ga is None else ga + term
    ga = ga / gap + _diag_matrix(gs)
    if m > n and has_u:
        ga = u @ ga
        gu_sinv = gu / s.unsqueeze(-2)
        ga = ga + gu_sinv - u @ (u.mT @ gu_sinv)
        return ga @ vh
    if m < n and has_v:
        ga = ga @ vh
        sinv_gvh = gvh / s.unsqueeze(-1)
        ga = ga + sinv_gvh - (sinv_gvh @ vh.mT) @ vh
        return u @ ga
    return u @ (ga @ vh)


def _diag_matrix(v: Tensor) -> Tensor:
    from .matrix import diag_embed

    return diag_embed(v)


def svd(A: Tensor, full_matrices: bool = True, *, driver=None):
    """(U, S, Vh) with A = U @ diag(S) @ Vh and S descending; ``full_matrices=False`` gives the reduced form."""
    _matrices(A, "linalg.svd")
    if driver is not None:
        raise RuntimeError("torch.linalg.svd: keyword argument `driver=` is only supported on CUDA inputs with "
                           "cuSOLVER backend.")
    return return_types.linalg_svd(*apply(Svd, A, full_matrices=bool(full_matrices)))


def svdvals(A: Tensor, *, driver=None) -> Tensor:
    """The singular values of A, descending."""
    return svd(A, full_matrices=False, driver=driver).S


def svd_legacy(input: Tensor, some: bool = True, compute_uv: bool = True):
    """torch.svd: (U, S, V) with V (not Vh); ``compute_uv=False`` gives zero-filled m x m and n x n U and V, as
    torch (``some`` is then ignored)."""
    u, s, vh = svd(input, full_matrices=not some)
    if not compute_uv:
        shape = input._data.shape
        m, n = shape[-2], shape[-1]
        zu = np.zeros(shape[:-2] + (m, m), input._data.dtype)
        zv = np.zeros(shape[:-2] + (n, n), input._data.dtype)
        return return_types.svd(Tensor._wrap(zu), s, Tensor._wrap(zv))
    return return_types.svd(u, s, vh.mT)


# -- QR -----------------------------------------------------------------------------------------------------
_QR_MODES = ("reduced", "complete", "r")


class Qr(Node):
    """A = Q R with Q's columns orthonormal and R upper triangular (Householder, as LAPACK's geqrf)."""

    input_names = ("A",)
    formulas = ("dL/dA = [dQ + Q copyltu(M)] R^-T with M = R dR^T - dQ^T Q  (m >= n; split A = [X Y] if m < n)",)
    num_outputs = 2

    def forward(ctx, a, mode="reduced"):
        ctx.mode = mode
        if mode == "r":
            r = np.linalg.qr(a, mode="r")
            q = np.zeros((0,), a.dtype)
        else:
            q, r = np.linalg.qr(a, mode=mode)
        ctx.save_for_backward(q, r)
        return q, r

    def backward(ctx, gq, gr):
        q, r = ctx.saved_tensors
        if ctx.mode == "r":
            raise RuntimeError("The derivative of linalg.qr depends on Q, which is not computed when mode='r'. "
                               "Please use linalg.qr(A, mode='reduced') if you are going to differentiate through "
                               "linalg.qr.")
        m, n = q.shape[-2], r.shape[-1]
        if ctx.mode == "complete" and m > n:
            raise RuntimeError("The QR decomposition is not differentiable when mode='complete' and nrows > ncols.")
        if m >= n:
            return _qr_backward_tall(gq, gr, q, r)
        # m < n: A = [X Y] with X = Q U square; Y = Q V
        u, v = r[..., :, :m], r[..., :, m:]
        gu, gv = gr[..., :, :m], gr[..., :, m:]
        y = q @ v
        gx = _qr_backward_tall(gq + y @ gv.mT, gu, q, u)
        from .shape import cat

        return cat([gx, q @ gv], -1)

    torch_name = "LinalgQrBackward0"


def _times_r_inv_t(x: Tensor, r: Tensor) -> Tensor:
    """x @ R^-T, as a solve: (R^-1 x^T)^T."""
    return apply(Solve, r, x.mT, vector=False).mT


def _qr_backward_tall(gq: Tensor, gr: Tensor, q: Tensor, r: Tensor) -> Tensor:
    qdq = q.mT @ gq
    rdr = r @ gr.mT
    low = tril((qdq - qdq.mT) + (rdr - rdr.mT), -1)
    return q @ (gr + _times_r_inv_t(low, r)) + _times_r_inv_t(gq - q @ qdq, r)


def qr(A: Tensor, mode: str = "reduced"):
    """(Q, R) with A = Q @ R; ``mode`` 'reduced' (Q is m x k), 'complete' (Q is m x m) or 'r' (R only, Q empty)."""
    _matrices(A, "linalg.qr")
    if mode not in _QR_MODES:
        raise RuntimeError(f"qr received unrecognized mode '{mode}' but expected one of 'reduced' (default), 'r', or "
                           "'complete'")
    return return_types.linalg_qr(*apply(Qr, A, mode=mode))


def qr_legacy(input: Tensor, some: bool = True):
    """torch.qr (deprecated in torch, which warns): ``some=False`` is mode='complete'."""
    import warnings

    warnings.warn("torch.qr is deprecated in favor of torch.linalg.qr and will be removed in a future PyTorch "
                  "release. Q, R = torch.qr(A, some) should be replaced with Q, R = torch.linalg.qr(A, 'reduced' if "
                  "some else 'complete')", UserWarning, stacklevel=2)
    return return_types.qr(*qr(input, "reduced" if some else "complete"))


def _attach() -> None:
    T = Tensor
    T.inverse = inv
    T.det = det
    T.slogdet = slogdet_legacy
    T.logdet = logdet
    T.svd = svd_legacy
    T.qr = qr_legacy


_attach()
