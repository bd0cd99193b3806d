"""chaingrad.linalg, as torch.linalg: norms, inverse, solve, determinants, SVD, QR, Cholesky and triangular
solves (on NumPy's LAPACK), with gradients."""

from __future__ import annotations

from .ops._out import with_out as _with_out
from .ops.linalg import matmul
from .ops.linalg_cholesky import cholesky, cholesky_ex, solve_triangular
from .ops.linalg_decomp import LinAlgError, det, inv, qr, slogdet, solve, svd, svdvals
from .ops.matrix import diagonal as _diagonal
from .ops.matrix import linalg_cross as cross
from .ops.norms import matrix_norm, norm, vector_norm
from .tensor import Tensor


def diagonal(A: Tensor, *, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    """``chaingrad.diagonal`` with the last two dims as the default matrix dims."""
    return _diagonal(A, offset, dim1, dim2)


# the functions torch.linalg gives out= (ops/_out.py)
for _name in ("cholesky", "cholesky_ex", "cross", "det", "inv", "matmul", "matrix_norm", "norm", "qr", "slogdet",
              "solve", "solve_triangular", "svd", "svdvals", "vector_norm"):
    globals()[_name] = _with_out(globals()[_name], "linalg." + _name)
del _name

__all__ = ["LinAlgError", "cholesky", "cholesky_ex", "cross", "det", "diagonal", "inv", "matmul", "matrix_norm",
           "norm", "qr", "slogdet", "solve", "solve_triangular", "svd", "svdvals", "vector_norm"]
