"""Functions of square (or any) matrices: ``matrix_power`` (by repeated squaring, from matmul), ``matrix_exp``
(SciPy's expm, with its Frechet derivative for backward), ``pinverse`` (the Moore-Penrose pseudo-inverse) and the
deprecated ``chain_matmul``."""

from __future__ import annotations

import warnings

import numpy as np

from ..autograd.node import Node, apply
from ..tensor import Tensor
from ._checks import require_tensor, scalar_type


def matrix_power(input: Tensor, n: int) -> Tensor:
    """input @ input @ ... (n times) for square matrices (or batches of them); n = 0 gives identities, n < 0
    powers of the inverse."""
    require_tensor(input, "matrix_power")
    if input.ndim < 2:
        raise RuntimeError(f"linalg.matrix_power: The input tensor A must have at least 2 dimensions. (got shape "
                           f"{list(input.shape)})")
    if input.shape[-1] != input.shape[-2]:
        raise RuntimeError(f"linalg.matrix_power: A must be batches of square matrices, but they are "
                           f"{input.shape[-2] if input.ndim > 1 else 1} by {input.shape[-1]} matrices")
    if n == 0:
        from .unary import Step

        def identities(a):
            return np.broadcast_to(np.eye(a.shape[-1], dtype=a.dtype), a.shape).copy()

        return apply(Step.named("CopyBackwards", name_prefix="torch::autograd::"), input, fn=identities)
    if n == 1:
        return input.clone()
    base = input
    if n < 0:
        from .linalg_decomp import inv

        base, n = inv(input), -n
    result = None
    while n:  # (repeated squaring: log2(n) products)
        if n & 1:
            result = base if result is None else result @ base
        n >>= 1
        if n:
            base = base @ base
    return result


class MatrixExp(Node):
    """exp(A) = I + A + A^2/2! + ... (SciPy's scaling-and-squaring expm); backward is the Frechet derivative of
    exp at A^T applied to the incoming gradient."""

    torch_name = "LinalgMatrixExpBackward0"
    input_names = ("A",)
    formulas = ("dL/dA = Frechet derivative of exp at A^T in the direction dL/dout",)

    def forward(ctx, a):
        from scipy.linalg import expm

        ctx.save_for_backward(a)
        return expm(a) if a.ndim == 2 else np.stack([expm(m) for m in a.reshape(-1, *a.shape[-2:])]).reshape(a.shape)

    def backward(ctx, g):
        from scipy.linalg import expm_frechet

        (a,) = ctx.saved_tensors
        at, ga = np.swapaxes(a._data, -1, -2).astype(np.float64), g._data.astype(np.float64)  # (float64: SciPy's
        flat_a, flat_g = at.reshape(-1, *at.shape[-2:]), ga.reshape(-1, *ga.shape[-2:])  # float32 path is coarser)
        out = np.stack([expm_frechet(m, d, compute_expm=False) for m, d in zip(flat_a, flat_g)])
        return Tensor._wrap(out.reshape(a.shape).astype(g._data.dtype))


def matrix_exp(input: Tensor) -> Tensor:
    """The matrix exponential of a square matrix (or a batch of them)."""
    require_tensor(input, "matrix_exp")
    if input._data.dtype.kind != "f":
        raise RuntimeError(f"linalg.matrix_exp: Expected a floating point or complex tensor as input. Got "
                           f"{scalar_type(input)}")
    if input.ndim < 2 or input.shape[-1] != input.shape[-2]:
        raise RuntimeError(f"linalg.matrix_exp: A must be batches of square matrices, but they are "
                           f"{input.shape[-2] if input.ndim > 1 else 1} by {input.shape[-1]} matrices")
    if input.numel() == 0:
        return input * 1
    return apply(MatrixExp, input)


class Pinv(Node):
    """The Moore-Penrose pseudo-inverse P of A (through the SVD, or eigh when ``hermitian``; singular values
    not above max(atol, rtol * the largest) dropped); its derivative holds where A's rank does not change."""

    torch_name = "LinalgPinvBackward0"
    input_names = ("A",)
    formulas = ("dL/dA = -P^T G P^T + (I - A P) G^T P P^T + P^T P G^T (I - P A) (G = dL/dP)",)

    def forward(ctx, a, atol=0.0, rtol=1e-15, hermitian=False):
        if hermitian:
            w, v = np.linalg.eigh(a)
            s, u, vt = np.abs(w), v, np.swapaxes(v * np.sign(w)[..., None, :], -1, -2)
            smax = s.max(-1, initial=0.0)
        else:
            u, s, vt = np.linalg.svd(a, full_matrices=False)
            smax = s[..., 0] if s.shape[-1] else np.zeros(s.shape[:-1], s.dtype)
        tol = np.maximum(np.asarray(atol, s.dtype), np.asarray(rtol, s.dtype) * smax)[..., None]
        with np.errstate(divide="ignore"):
            s_inv = np.where(s > tol, 1 / np.where(s > tol, s, 1), 0).astype(a.dtype)
        p = (np.swapaxes(vt, -1, -2) * s_inv[..., None, :]) @ np.swapaxes(u, -1, -2)
        ctx.save_for_backward(a, p)
        return p.astype(a.dtype, copy=False)

    def backward(ctx, g):
        a, p = ctx.saved_tensors
        return pinv_backward(g, p, a)


def pinv_backward(g: Tensor, p: Tensor, a: Tensor) -> Tensor:
    """The gradient of A from that of its pseudo-inverse P (torch's pinv_backward, real case)."""
    m, n = a.shape[-2], a.shape[-1]
    eye_m, eye_n = Tensor._wrap(np.eye(m, dtype=g._data.dtype)), Tensor._wrap(np.eye(n, dtype=g._data.dtype))
    pt, gt = p.mT, g.mT
    return -pt @ g @ pt + (eye_m - a @ p) @ gt @ p @ pt + pt @ p @ gt @ (eye_n - p @ a)


def check_pinv_input(input: Tensor) -> None:
    if input._data.dtype.kind != "f" or input.ndim < 2:
        raise RuntimeError(f"linalg.pinv({scalar_type(input)}{{{list(input.shape)}}}): expected a tensor with 2 or "
                           "more dimensions of float, double, cfloat or cdouble types")


def pinverse(input: Tensor, rcond: float = 1e-15) -> Tensor:
    """The pseudo-inverse: for a full-rank A, the least-squares solver A^+ (A^+ A = I or A A^+ = I)."""
    require_tensor(input, "pinverse")
    check_pinv_input(input)
    return apply(Pinv, input, atol=0.0, rtol=rcond)


def chain_matmul(*matrices: Tensor) -> Tensor:
    """Deprecated in torch: the product of the given 2-d matrices, left to right (``linalg.multi_dot``)."""
    warnings.warn("torch.chain_matmul is deprecated and will be removed in a future PyTorch release. Use "
                  "torch.linalg.multi_dot instead, which accepts a list of two or more tensors rather than "
                  "multiple parameters.", UserWarning, stacklevel=2)
    if not matrices:
        raise RuntimeError("chain_matmul(): Expected one or more matrices")
    for i, m in enumerate(matrices):
        require_tensor(m, "chain_matmul", "matrices", i + 1)
        if m.ndim != 2:
            raise RuntimeError(f"Tensor dimension is {m.ndim}, expected 2 instead. (chain_matmul: matrix {i} has "
                               f"shape {list(m.shape)})")
    if len(matrices) == 1:
        return matrices[0].clone()
    out = matrices[0]
    for m in matrices[1:]:
        out = out @ m
    return out


def _attach() -> None:
    Tensor.matrix_power = matrix_power
    Tensor.matrix_exp = matrix_exp
    Tensor.pinverse = pinverse


_attach()
