"""chaingrad.linalg, as torch.linalg: norms, inverse, solve, determinants, SVD, QR, symmetric eigendecomposition,
Cholesky, LU, triangular solves, least squares, pseudo-inverse, rank and condition numbers (on LAPACK through
NumPy and SciPy), with gradients."""

from __future__ import annotations

from .ops._out import with_out as _with_out
from .ops.linalg import matmul
from .ops.linalg_decomp import LinAlgError, det, inv, qr, slogdet, solve, svd, svdvals
from .ops.linalg_eigh import cholesky, cholesky_ex, eig, eigh, eigvals, eigvalsh
from .ops.linalg_extra import householder_product, inv_ex, multi_dot, solve_ex, tensorinv, tensorsolve, vander, vecdot
from .ops.linalg_lstsq import cond, lstsq, matrix_rank, pinv
from .ops.linalg_triangular import lu, lu_factor, lu_factor_ex, lu_solve, solve_triangular
from .ops.matrix import diagonal as _diagonal
from .ops.matrix import linalg_cross as cross
from .ops.matrix_functions import matrix_exp
from .ops.matrix_functions import matrix_power as _matrix_power
from .ops.norms import matrix_norm, norm, vector_norm
from .tensor import Tensor


def diagonal(A: Tensor, *, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    """``chaingrad.diagonal`` with the last two dims as the default matrix dims."""
    return _diagonal(A, offset, dim1, dim2)


def matrix_power(A: Tensor, n: int) -> Tensor:
    """A @ A @ ... (n times) for square matrices; n = 0 gives identities, n < 0 powers of the inverse."""
    if not isinstance(n, int) or isinstance(n, bool):
        raise TypeError(f"linalg_matrix_power(): argument 'n' (position 2) must be int, not {type(n).__name__}")
    return _matrix_power(A, n)


# the functions torch.linalg gives out= (ops/_out.py)
for _name in ("cholesky", "cholesky_ex", "cond", "cross", "det", "eigh", "eigvalsh", "householder_product", "inv",
              "inv_ex", "lstsq", "lu", "lu_factor", "lu_factor_ex", "lu_solve", "matmul", "matrix_norm",
              "matrix_power", "matrix_rank", "multi_dot", "norm", "pinv", "qr", "slogdet", "solve", "solve_ex",
              "solve_triangular", "svd", "svdvals", "tensorinv", "tensorsolve", "vecdot", "vector_norm"):
    globals()[_name] = _with_out(globals()[_name], "linalg." + _name)
del _name

__all__ = ["LinAlgError", "cholesky", "cholesky_ex", "cond", "cross", "det", "diagonal", "eig", "eigh", "eigvals",
           "eigvalsh", "householder_product", "inv", "inv_ex", "lstsq", "lu", "lu_factor", "lu_factor_ex", "lu_solve",
           "matmul", "matrix_exp", "matrix_norm", "matrix_power", "matrix_rank", "multi_dot", "norm", "pinv", "qr",
           "slogdet", "solve", "solve_ex", "solve_triangular", "svd", "svdvals", "tensorinv", "tensorsolve", "vander",
           "vecdot", "vector_norm"]
