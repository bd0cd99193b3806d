"""The rest of torch.linalg, composed from differentiable ops: inv_ex and solve_ex (with LAPACK's info),
multi_dot, vander, vecdot, tensorinv, tensorsolve and householder_product (torch.orgqr)."""

from __future__ import annotations

import math

import numpy as np

from .. import return_types
from ..autograd.node import apply
from ..tensor import Tensor
from ._checks import require_tensor, scalar_type
from .linalg_decomp import Inv, LinAlgError, _square, solve, solve_checked
from .linalg_triangular import _getrf, _raise_for_info


def _singular_text(op: str, i: int) -> str:
    return (f"{op}: The diagonal element {i} is zero, the inversion could not be completed because the input "
            "matrix is singular.")


def inv_ex(A: Tensor, *, check_errors: bool = False):
    """(inverse, info): ``inv`` without raising; info > 0 where U[info-1, info-1] of A's LU is zero (that
    matrix's inverse is then not finite)."""
    a = _square(A, "linalg.inv")
    _, _, info = _getrf(a)
    if check_errors:
        _raise_for_info(info, "linalg.inv_ex", _singular_text, LinAlgError)
    return return_types.linalg_inv_ex(apply(Inv, A, check=False), Tensor._wrap(info))


def _inverse_through_lu(a: np.ndarray) -> np.ndarray:
    """inv(A) as getrf + getri would give it, for singular matrices too (inf/nan where U has a zero pivot)."""
    from .linalg_triangular import _permutation, _trsm, _unpack

    n = a.shape[-1]
    lu, piv, _ = _getrf(a)
    low, up = _unpack(lu, n, n)
    p = _permutation(piv, n, a.dtype)
    with np.errstate(all="ignore"):
        y = _trsm(low, np.swapaxes(p, -1, -2), upper=False, unitriangular=True)
        return _trsm(up, y, upper=True, unitriangular=False)


def _solve_through_lu(a: np.ndarray, b: np.ndarray, vector: bool, left: bool) -> np.ndarray:
    """A^-1 B (``left=False``: B A^-1) as getrf + getrs give it, for singular A too (inf/nan)."""
    from .linalg_triangular import _permutation, _trsm, _unpack

    if not left:
        a = np.swapaxes(a, -1, -2)
        b = b if vector else np.swapaxes(b, -1, -2)
    if vector:
        b = b[..., None]
    n = a.shape[-1]
    lu, piv, _ = _getrf(a)
    low, up = _unpack(lu, n, n)
    p = _permutation(piv, n, a.dtype)
    with np.errstate(all="ignore"):
        x = _trsm(up, _trsm(low, np.swapaxes(p, -1, -2) @ b, upper=False, unitriangular=True), upper=True,
                  unitriangular=False)
    if vector:
        return x[..., 0]
    return x if left else np.swapaxes(x, -1, -2)


def solve_ex(A: Tensor, B: Tensor, *, left: bool = True, check_errors: bool = False):
    """(result, info): ``solve`` without raising; info > 0 where A's LU has a zero pivot."""
    a = _square(A, "linalg.solve_ex")
    _, _, info = _getrf(a)
    if check_errors and (info > 0).any():
        raise LinAlgError("torch.linalg.solve_ex: The solver failed because the input matrix is singular.")
    return return_types.linalg_solve_ex(solve_checked(A, B, left, False), Tensor._wrap(info))


# -- products --------------------------------------------------------------------------------------------------
def multi_dot(tensors) -> Tensor:
    """The product of two or more matrices, multiplied in the order that costs fewest scalar products; the first
    may be a 1-D row vector and the last a 1-D column vector."""
    tensors = list(tensors)
    if len(tensors) < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {len(tensors)}")
    for i, t in enumerate(tensors):
        require_tensor(t, "linalg.multi_dot", "tensors")
        if t.dtype != tensors[0].dtype:
            raise RuntimeError(f"multi_dot(): all tensors must have be the same dtype but tensor 0 is "
                               f"{_c_name(tensors[0])} and tensor {i} {_c_name(t)}")
    first, last = tensors[0], tensors[-1]
    if first.ndim not in (1, 2):
        raise RuntimeError(f"multi_dot(): the first tensor must be 1D or 2D but got {first.ndim}D")
    if last.ndim not in (1, 2):
        raise RuntimeError(f"multi_dot(): the last tensor must be 1D or 2D but got {last.ndim}D")
    for i, t in enumerate(tensors[1:-1], 1):
        if t.ndim != 2:
            raise RuntimeError(f"multi_dot(): tensor {i} must be 2D but got {t.ndim}D")
    mats = [first.unsqueeze(0) if first.ndim == 1 else first] + tensors[1:-1] + \
        [last.unsqueeze(-1) if last.ndim == 1 else last]
    for i in range(len(mats) - 1):
        if mats[i].shape[1] != mats[i + 1].shape[0]:
            raise RuntimeError(f"multi_dot(): tensors {i} and {i + 1} with shapes {list(mats[i].shape)} and "
                               f"{list(mats[i + 1].shape)} cannot be multiplied")
    out = _chain(mats, _order([m.shape[0] for m in mats] + [mats[-1].shape[1]]), 0, len(mats) - 1)
    if first.ndim == 1:
        out = out.squeeze(0)
    if last.ndim == 1:
        out = out.squeeze(-1)
    return out


def _c_name(t: Tensor) -> str:
    return {"float64": "double", "float32": "float", "int64": "long int", "int32": "int"}.get(t.dtype.name if hasattr(
        t.dtype, "name") else str(t.dtype), scalar_type(t).lower())


def _order(dims: list[int]) -> list[list[int]]:
    """The matrix-chain split table (the classic dynamic programme over the dims p0 x p1, p1 x p2, ...)."""
    n = len(dims) - 1
    cost = [[0] * n for _ in range(n)]
    split = [[0] * n for _ in range(n)]
    for length in range(1, n):
        for i in range(n - length):
            j = i + length
            cost[i][j] = math.inf  # type: ignore[call-overload]
            for k in range(i, j):
                c = cost[i][k] + cost[k + 1][j] + dims[i] * dims[k + 1] * dims[j + 1]
                if c < cost[i][j]:
                    cost[i][j], split[i][j] = c, k
    return split


def _chain(mats: list[Tensor], split: list[list[int]], i: int, j: int) -> Tensor:
    if i == j:
        return mats[i]
    k = split[i][j]
    return _chain(mats, split, i, k) @ _chain(mats, split, k + 1, j)


def vecdot(x: Tensor, y: Tensor, *, dim: int = -1) -> Tensor:
    """The dot product of x and y along ``dim`` (batch dims broadcast)."""
    require_tensor(x, "linalg.vecdot", "x")
    require_tensor(y, "linalg.vecdot", "y", 2)
    if x._data.dtype != y._data.dtype:
        raise RuntimeError(f"linalg.vecdot: Expected x and y to have the same dtype, but found x of type "
                           f"{scalar_type(x)} and y of type {scalar_type(y)} instead")
    if x._data.dtype.kind != "f":
        raise RuntimeError(f"linalg.vecdot: Expected a floating point or complex tensor as input. Got "
                           f"{scalar_type(x)}")
    return (x * y).sum(dim)


def vander(x: Tensor, N: int | None = None) -> Tensor:
    """The Vandermonde matrix of x: columns x^0, x^1, ..., x^(N-1) (N defaults to x's last size); batched."""
    from .scan import cumprod
    from .shape import cat

    require_tensor(x, "linalg.vander", "x")
    if x.ndim < 1:
        raise RuntimeError("linalg.vander: The input tensor x must have at least 1 dimensions.")
    if x._data.dtype.kind == "b":
        raise RuntimeError("linalg.vander supports floating point, complex, and integer tensors, but got Bool")
    n = x.shape[-1] if N is None else int(N)
    if n <= 1:
        raise RuntimeError("N must be greater than 1.")
    ones = (x * 0 + 1).unsqueeze(-1) if x._data.dtype.kind == "f" else Tensor._wrap(
        np.ones(tuple(x.shape) + (1,), np.result_type(x._data.dtype, np.int64)))
    powers = x.unsqueeze(-1).expand(*x.shape, n - 1)
    if x._data.dtype.kind != "f":
        powers = Tensor._wrap(powers._data.astype(ones._data.dtype))
    return cumprod(cat([ones, powers], -1), -1)


# -- tensor equations ------------------------------------------------------------------------------------------
def tensorinv(A: Tensor, ind: int = 2) -> Tensor:
    """The inverse of A as a map from its last dims to its first ``ind`` dims: shape A.shape[ind:] +
    A.shape[:ind]."""
    require_tensor(A, "linalg.tensorinv", "A")
    if ind <= 0:
        raise RuntimeError(f"Expected a strictly positive integer for 'ind', but got {ind}")
    shape = tuple(A.shape)
    rows, cols = math.prod(shape[:ind]), math.prod(shape[ind:])
    if rows != cols:
        raise RuntimeError(f"Expected self to satisfy the requirement prod(self.shape[ind:]) == "
                           f"prod(self.shape[:ind]), but got {cols} != {rows}")
    from .linalg_decomp import inv

    try:
        return inv(A.reshape(rows, cols)).reshape(*shape[ind:], *shape[:ind])
    except LinAlgError:
        raise LinAlgError("linalg.tensorinv: The tensor A, reshaped to a matrix, is singular; the inversion could "
                          "not be completed.") from None


def tensorsolve(A: Tensor, B: Tensor, dims=None) -> Tensor:
    """X with tensordot(A, X, X.ndim) = B: X has shape A.shape[B.ndim:] (``dims``: those dims of A are moved to
    the end first)."""
    require_tensor(A, "linalg.tensorsolve", "A")
    require_tensor(B, "linalg.tensorsolve", "B", 2)
    if dims is not None:
        dims = [d % A.ndim for d in dims]
        rest = [d for d in range(A.ndim) if d not in dims]
        A = A.permute(*rest, *dims)
    shape = tuple(A.shape)
    k = B.ndim
    rows, cols = math.prod(shape[:k]), math.prod(shape[k:])
    if rows != cols:
        raise RuntimeError(f"Expected self to satisfy the requirement prod(self.shape[other.ndim:]) == "
                           f"prod(self.shape[:other.ndim]), but got {cols} != {rows}")
    return solve(A.reshape(rows, cols), B.reshape(rows)).reshape(*shape[k:])


def householder_product(A: Tensor, tau: Tensor) -> Tensor:
    """The first n columns of H_1 H_2 ... H_k, H_i = I - tau_i v_i v_i^T with v_i the i-th column of A below
    the diagonal (and a 1 on it), as LAPACK's orgqr; batched."""
    from .creation import eye
    from .matrix import tril

    op = "torch.linalg.householder_product"
    require_tensor(A, "linalg.householder_product", "input")
    require_tensor(tau, "linalg.householder_product", "tau", 2)
    if A.ndim < 2:
        raise RuntimeError(f"{op}: input must have at least 2 dimensions.")
    m, n = A.shape[-2], A.shape[-1]
    if m < n:
        raise RuntimeError(f"{op}: input.shape[-2] must be greater than or equal to input.shape[-1]")
    if tau.ndim != A.ndim - 1:
        raise RuntimeError(f"{op}: Expected tau to have one dimension less than input, but got tau.ndim equal to "
                           f"{tau.ndim} and input.ndim is equal to {A.ndim}")
    k = tau.shape[-1]
    if n < k:
        raise RuntimeError(f"{op}: input.shape[-1] must be greater than or equal to tau.shape[-1]")
    if A._data.dtype.kind != "f":
        raise NotImplementedError(f"\"orgqr_cpu\" not implemented for '{scalar_type(A)}'")
    if A._data.dtype != tau._data.dtype:
        raise RuntimeError(f"{op}: tau dtype {tau.dtype} does not match input dtype {A.dtype}")
    vs = tril(A, -1) + eye(m, n, dtype=A.dtype)
    q = eye(m, n, dtype=A.dtype).expand(*A.shape[:-2], m, n)
    for i in reversed(range(k)):  # Q = H_1 (H_2 (... (H_k I)))
        v = vs[..., :, i:i + 1]
        q = q - (tau[..., i:i + 1].unsqueeze(-1) * v) @ (v.mT @ q)
    return q


def _attach() -> None:
    Tensor.orgqr = householder_product


_attach()
