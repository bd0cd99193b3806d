"""Symmetric eigendecomposition and Cholesky factorization (NumPy's and SciPy's LAPACK): linalg.eigh, eigvalsh,
cholesky, cholesky_ex, and torch's cholesky, cholesky_solve and cholesky_inverse. eig and eigvals give complex
results in torch, which chaingrad has no dtype for: they raise. Backward rules use Tensor ops (second derivatives
work)."""

from __future__ import annotations

import numpy as np

from .. import return_types
from ..autograd.node import Node, apply
from ..tensor import Tensor
from ._checks import require_tensor, scalar_type
from ._scipy import scipy_lapack
from .linalg_decomp import LinAlgError, _square
from .linalg_triangular import _raise_for_info, _tri_solve
from .matrix import diag_embed, tril


def _float_square(A: Tensor, op: str, kernel: str) -> np.ndarray:
    require_tensor(A, op, "A")
    a = A._data
    if a.ndim < 2:
        raise RuntimeError(f"{op}: The input tensor A must have at least 2 dimensions.")
    if a.shape[-1] != a.shape[-2]:
        raise RuntimeError(f"{op}: A must be batches of square matrices, but they are {a.shape[-2]} by "
                           f"{a.shape[-1]} matrices")
    if a.dtype.kind != "f":
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{scalar_type(A)}'")
    return a


# -- eigh ------------------------------------------------------------------------------------------------------
class Eigh(Node):
    """A = V diag(L) V^T for a symmetric A (only its lower or upper triangle is read), L ascending."""

    input_names = ("A",)
    formulas = ("dL/dA = V [diag(dL/dL) + skew(V^T dL/dV) / (L_j - L_i)] V^T  (skew(X) = (X - X^T) / 2; "
                "infinite where eigenvalues repeat and dL/dV is used)",)
    num_outputs = 2

    def forward(ctx, a, uplo="L"):
        w, v = np.linalg.eigh(a, UPLO=uplo)
        ctx.save_for_backward(w, v)
        return w.astype(a.dtype, copy=False), v

    def backward(ctx, gw, gv):
        w, v = ctx.saved_tensors
        if gv is None or not gv._data.any():
            return (v * gw.unsqueeze(-2)) @ v.mT
        vgv = v.mT @ gv
        gap = w.unsqueeze(-2) - w.unsqueeze(-1)
        eye = Tensor._wrap(np.eye(w.shape[-1], dtype=bool))
        gap = gap.where(~eye, Tensor._wrap(np.ones((), gap._data.dtype)))
        inner = ((vgv - vgv.mT) * 0.5) / gap
        inner = inner.where(~eye, Tensor._wrap(np.zeros((), gap._data.dtype))) + diag_embed(gw)
        return v @ (inner @ v.mT)

    torch_name = "LinalgEighBackward0"


def _uplo(UPLO: str) -> str:
    if not isinstance(UPLO, str) or UPLO.upper() not in ("L", "U") or len(UPLO) != 1:
        raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {UPLO}")
    return UPLO.upper()


def eigh(A: Tensor, UPLO: str = "L"):
    """(eigenvalues, eigenvectors) of each symmetric matrix: ascending eigenvalues, orthonormal eigenvector
    columns. Only the lower (``UPLO='L'``) or upper (``'U'``) triangle of A is read."""
    _float_square(A, "linalg.eigh", "linalg_eigh_cpu")
    return return_types.linalg_eigh(*apply(Eigh, A, uplo=_uplo(UPLO)))


def eigvalsh(A: Tensor, UPLO: str = "L") -> Tensor:
    """The eigenvalues of each symmetric matrix, ascending (its gradient: V diag(dL/dL) V^T)."""
    _float_square(A, "linalg.eigvalsh", "linalg_eigh_cpu")
    return apply(Eigh, A, uplo=_uplo(UPLO))[0]


def _no_complex(op: str):
    raise NotImplementedError(f"linalg.{op}: the eigenvalues and eigenvectors of a general matrix are complex, and "
                              "chaingrad has no complex dtype. For a symmetric matrix use linalg.eigh (or "
                              "linalg.eigvalsh), whose results are real.")


def eig(A: Tensor):
    """Not available: torch.linalg.eig returns complex tensors (use eigh for a symmetric matrix)."""
    _square(A, "linalg.eig")
    _no_complex("eig")


def eigvals(A: Tensor):
    """Not available: torch.linalg.eigvals returns a complex tensor (use eigvalsh for a symmetric matrix)."""
    _square(A, "linalg.eigvals")
    _no_complex("eigvals")


_SYMEIG_REMOVED = (
    "This function was deprecated since version 1.9 and is now removed. The default behavior has changed from "
    "using the upper triangular portion of the matrix by default to using the lower triangular portion.\n\nL, _ = "
    "torch.symeig(A, upper=upper) should be replaced with:\nL = torch.linalg.eigvalsh(A, UPLO='U' if upper else "
    "'L')\n\nand\n\nL, V = torch.symeig(A, eigenvectors=True) should be replaced with:\nL, V = torch.linalg.eigh(A, "
    "UPLO='U' if upper else 'L')")
_EIG_REMOVED = (
    "This function was deprecated since version 1.9 and is now removed. `torch.linalg.eig` returns complex tensors "
    "of dtype `cfloat` or `cdouble` rather than real tensors mimicking complex tensors.\n\nL, _ = torch.eig(A) should "
    "be replaced with:\nL_complex = torch.linalg.eigvals(A)\n\nand\n\nL, V = torch.eig(A, eigenvectors=True) should "
    "be replaced with:\nL_complex, V_complex = torch.linalg.eig(A)")


def symeig(input: Tensor, eigenvectors: bool = False, upper: bool = True):
    """Removed from torch (which raises this error): use linalg.eigh or linalg.eigvalsh."""
    raise RuntimeError(_SYMEIG_REMOVED)


def eig_removed(input: Tensor, eigenvectors: bool = False):
    """torch.eig, removed from torch (which raises this error)."""
    raise RuntimeError(_EIG_REMOVED)


# -- Cholesky -------------------------------------------------------------------------------------------------
def _potrf(a: np.ndarray, upper: bool) -> tuple[np.ndarray, np.ndarray]:
    """(factor, info) of each matrix, as LAPACK's potrf: info > 0 is the order of the first leading minor that
    is not positive-definite (the factor is then partial)."""
    info = np.zeros(a.shape[:-2], np.int32)
    try:
        low = np.linalg.cholesky(np.swapaxes(a, -1, -2) if upper else a)
        return (np.swapaxes(low, -1, -2).copy() if upper else low), info
    except np.linalg.LinAlgError:
        pass
    n = a.shape[-1]
    potrf = scipy_lapack().get_lapack_funcs("potrf", dtype=a.dtype)
    out = np.empty(a.shape, a.dtype)
    flat_out, flat_info = out.reshape(-1, n, n), info.reshape(-1)
    for i, m in enumerate(a.reshape(-1, n, n)):
        c, inf = potrf(m, lower=int(not upper), clean=1)
        flat_out[i], flat_info[i] = c, inf
    return (np.triu(out) if upper else np.tril(out)), info


def _not_pd(op: str, order: int) -> str:
    return (f"{op}: The factorization could not be completed because the input is not positive-definite (the "
            f"leading minor of order {order} is not positive-definite).")


class Cholesky(Node):
    """A = L L^T (``upper``: A = U^T U) for a symmetric positive-definite A (one triangle of it is read)."""

    input_names = ("A",)
    formulas = ("dL/dA = L^-T Phi(L^T dL/dL) L^-1, Phi: the lower triangle with the diagonal halved, "
                "symmetrized",)

    def forward(ctx, a, upper=False, name="linalg.cholesky", check=True):
        ctx.upper = upper
        factor, info = _potrf(a, upper)
        if check:
            _raise_for_info(info, name, _not_pd, LinAlgError)
        ctx.save_for_backward(factor)
        return factor

    def backward(ctx, g):
        (factor,) = ctx.saved_tensors
        low, gl = (factor.mT, g.mT) if ctx.upper else (factor, g)
        phi = tril(low.mT @ gl)
        phi = (phi + tril(phi, -1).mT) * 0.5
        ga = _tri_solve(low.mT, phi, upper=True, left=True, unitriangular=False)
        return _tri_solve(low, ga, upper=False, left=False, unitriangular=False)

    torch_name = "LinalgCholeskyExBackward0"


def cholesky(A: Tensor, *, upper: bool = False) -> Tensor:
    """The lower triangular L with A = L @ L^T (``upper=True``: the upper U with A = U^T @ U); LinAlgError for a
    matrix that is not positive-definite."""
    _square(A, "linalg.cholesky")
    return apply(Cholesky, A, upper=bool(upper))


def cholesky_ex(A: Tensor, *, upper: bool = False, check_errors: bool = False):
    """(L, info): ``cholesky`` without raising; info > 0 is the order of the leading minor that is not
    positive-definite (L is then partial)."""
    a = _square(A, "linalg.cholesky")
    _, info = _potrf(a, bool(upper))
    if check_errors:
        _raise_for_info(info, "linalg.cholesky_ex", _not_pd, LinAlgError)
    factor = apply(Cholesky, A, upper=bool(upper), check=False)
    return return_types.linalg_cholesky_ex(factor, Tensor._wrap(info))


def cholesky_legacy(input: Tensor, upper: bool = False) -> Tensor:
    """torch.cholesky (deprecated in torch, which warns): ``linalg.cholesky``."""
    import warnings

    warnings.warn("torch.cholesky is deprecated in favor of torch.linalg.cholesky and will be removed in a future "
                  "PyTorch release.\nL = torch.cholesky(A)\nshould be replaced with\nL = torch.linalg.cholesky(A)\n"
                  "and\nU = torch.cholesky(A, upper=True)\nshould be replaced with\nU = torch.linalg.cholesky(A).mH\n"
                  "This transform will produce equivalent results for all valid (symmetric positive definite) "
                  "inputs.", UserWarning, stacklevel=2)
    _float_square(input, "cholesky", "cholesky_cpu")
    return apply(Cholesky.named("CholeskyBackward0"), input, upper=bool(upper), name="cholesky")


def cholesky_solve(input: Tensor, input2: Tensor, upper: bool = False) -> Tensor:
    """X with A X = input, given A's Cholesky factor ``input2`` (lower L, or upper U with ``upper``)."""
    require_tensor(input, "cholesky_solve", "input")
    require_tensor(input2, "cholesky_solve", "input2", 2)
    if input.ndim < 2 or input2.ndim < 2:
        raise RuntimeError(f"b should have at least 2 dimensions, but has {input.ndim} dimensions instead"
                           if input.ndim < 2 else
                           f"u should have at least 2 dimensions, but has {input2.ndim} dimensions instead")
    if input._data.dtype != input2._data.dtype:
        raise RuntimeError(f"Expected b and A to have the same dtype, but found b of type {scalar_type(input)} "
                           f"and A of type {scalar_type(input2)} instead.")
    low = input2.mT if upper else input2
    _square(low, "cholesky_solve")
    y = _tri_solve(low, input, upper=False, left=True, unitriangular=False)
    return _tri_solve(low.mT, y, upper=True, left=True, unitriangular=False)


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


def cholesky_inverse(input: Tensor, upper: bool = False) -> Tensor:
    """inv(A) from A's Cholesky factor: (L L^T)^-1 (``upper``: (U^T U)^-1); only L's lower (upper) triangle is
    read."""
    require_tensor(input, "cholesky_inverse")
    if input.ndim < 2:
        raise RuntimeError(f"cholesky_inverse: The input tensor input must have at least 2 dimensions. (got "
                           f"{input.ndim})")
    _square(input, "cholesky_inverse")
    return apply(CholeskyInverse, input, upper=bool(upper))


def _attach() -> None:
    Tensor.cholesky = cholesky_legacy
    Tensor.cholesky_solve = cholesky_solve
    Tensor.cholesky_inverse = cholesky_inverse
    Tensor.symeig = symeig
    Tensor.eig = eig_removed


_attach()
__all__ = ["cholesky", "cholesky_ex", "cholesky_inverse", "cholesky_legacy", "cholesky_solve", "eig", "eigh",
           "eigvals", "eigvalsh", "symeig"]
