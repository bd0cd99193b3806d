"""Weight normalization, orthogonality and spectral normalization as parametrizations
(torch.nn.utils.parametrizations): ``weight_norm(m)`` keeps ``parametrizations.weight.original0`` (the
magnitude g) and ``original1`` (the direction v); ``orthogonal(m)`` keeps the weight orthogonal;
``spectral_norm(m)`` divides the weight by its largest singular value, estimated by power iteration on the
``_u``/``_v`` buffers (drawn with ``normal_`` when registered, as torch)."""

from __future__ import annotations

import numpy as np

from ... import nn
from ...autograd.grad_mode import no_grad
from ...tensor import Tensor
from ..module import Module
from . import parametrize
from ._norms import norm_except_dim
from ._norms import weight_norm as _weight_norm_fn

__all__ = ["orthogonal", "spectral_norm", "weight_norm"]


class _WeightNorm(Module):
    def __init__(self, dim: int | None = 0) -> None:
        super().__init__()
        if dim is None:
            dim = -1
        self.dim = dim

    def forward(self, weight_g: Tensor, weight_v: Tensor) -> Tensor:
        return _weight_norm_fn(weight_v, weight_g, self.dim)

    def right_inverse(self, weight: Tensor) -> tuple[Tensor, Tensor]:
        return norm_except_dim(weight, 2, self.dim), weight


def weight_norm(module: Module, name: str = "weight", dim: int | None = 0) -> Module:
    """``module.<name> = g * v / ||v||`` with ``g = original0`` and ``v = original1`` (norm over every
    dimension but ``dim``; None: over the whole tensor). A checkpoint from the older ``nn.utils.weight_norm``
    (``<name>_g``, ``<name>_v``) loads into it."""
    parametrize.register_parametrization(module, name, _WeightNorm(dim), unsafe=True)

    def _weight_norm_compat_hook(state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                                 error_msgs) -> None:
        g_key, v_key = f"{prefix}{name}_g", f"{prefix}{name}_v"
        if g_key in state_dict and v_key in state_dict:
            state_dict[f"{prefix}parametrizations.{name}.original0"] = state_dict.pop(g_key)
            state_dict[f"{prefix}parametrizations.{name}.original1"] = state_dict.pop(v_key)

    module._register_load_state_dict_pre_hook(_weight_norm_compat_hook)
    return module


class _SpectralNorm(Module):
    def __init__(self, weight: Tensor, n_power_iterations: int = 1, dim: int = 0, eps: float = 1e-12) -> None:
        super().__init__()
        ndim = weight.ndim
        if dim >= ndim or dim < -ndim:
            raise IndexError(f"Dimension out of range (expected to be in range of [-{ndim}, {ndim - 1}] but got {dim})")
        if n_power_iterations <= 0:
            raise ValueError(f"Expected n_power_iterations to be positive, but got "
                             f"n_power_iterations={n_power_iterations}")
        self.dim = dim if dim >= 0 else dim + ndim
        self.eps = eps
        if ndim > 1:
            self.n_power_iterations = n_power_iterations
            weight_mat = self._reshape_weight_to_matrix(weight)
            h, w = weight_mat.size()
            with no_grad():
                u = weight_mat.new_empty(h).normal_(0, 1)
                v = weight_mat.new_empty(w).normal_(0, 1)
                self.register_buffer("_u", nn.functional.normalize(u, dim=0, eps=self.eps))
                self.register_buffer("_v", nn.functional.normalize(v, dim=0, eps=self.eps))
            self._power_method(weight_mat, 15)

    def _reshape_weight_to_matrix(self, weight: Tensor) -> Tensor:
        if self.dim != 0:
            weight = weight.permute(self.dim, *(d for d in range(weight.dim()) if d != self.dim))
        return weight.flatten(1)

    def _power_method(self, weight_mat: Tensor, n_power_iterations: int) -> None:
        with no_grad():
            for _ in range(n_power_iterations):
                self._u.copy_(nn.functional.normalize(weight_mat.mv(self._v), dim=0, eps=self.eps))
                self._v.copy_(nn.functional.normalize(weight_mat.t().mv(self._u), dim=0, eps=self.eps))

    def forward(self, weight: Tensor) -> Tensor:
        if weight.ndim == 1:
            return nn.functional.normalize(weight, dim=0, eps=self.eps)
        weight_mat = self._reshape_weight_to_matrix(weight)
        if self.training:
            self._power_method(weight_mat, self.n_power_iterations)
        u, v = self._u.clone(), self._v.clone()
        sigma = u.dot(weight_mat.mv(v))
        return weight / sigma

    def right_inverse(self, value: Tensor) -> Tensor:
        return value


def spectral_norm(module: Module, name: str = "weight", n_power_iterations: int = 1, eps: float = 1e-12,
                  dim: int | None = None) -> Module:
    """``module.<name> = W / sigma(W)``, ``sigma`` the largest singular value of ``W`` seen as a matrix with
    ``dim`` (default 0, 1 for transposed convolutions) as its rows; each training-mode access runs
    ``n_power_iterations`` of power iteration first."""
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    if dim is None:
        dim = 1 if isinstance(module, _transposed_convolutions()) else 0
    parametrize.register_parametrization(module, name, _SpectralNorm(weight, n_power_iterations, dim, eps))
    return module


_ORTHOGONAL_MAPS = ("matrix_exp", "cayley", "householder")


def _is_orthogonal(q: Tensor) -> bool:
    from ...ops.compare import allclose
    from ...ops.creation import eye

    n, k = q.size(-2), q.size(-1)
    eps = 10.0 * n * float(np.finfo(q._data.dtype).eps)
    return allclose(q.mT @ q, eye(k, dtype=q.dtype), atol=eps)


def _make_orthogonal(a: Tensor) -> Tensor:
    """The Q of ``a``'s QR decomposition with R's diagonal made positive (torch's geqrf and
    householder_product give this Q)."""
    from ...ops.linalg_decomp import qr

    q, r = qr(a)
    return q * r.diagonal(dim1=-2, dim2=-1).sign().unsqueeze(-2)


class _Orthogonal(Module):
    def __init__(self, weight: Tensor, orthogonal_map: str, *, use_trivialization: bool = True) -> None:
        super().__init__()
        self.shape = weight.shape
        self.orthogonal_map = orthogonal_map
        if use_trivialization:
            self.register_buffer("base", None)

    def forward(self, X: Tensor) -> Tensor:  # noqa: N803
        from ...ops.creation import eye
        from ...ops.linalg_decomp import solve
        from ...ops.matrix_functions import matrix_exp
        from ...ops.shape import cat

        n, k = X.size(-2), X.size(-1)
        transposed = n < k
        if transposed:
            X = X.mT
            n, k = k, n
        X = X.tril()
        if n != k:
            X = cat([X, X.new_zeros(n, n - k).expand(*X.shape[:-2], -1, -1)], dim=-1)
        A = X - X.mT
        if self.orthogonal_map == "matrix_exp":
            Q = matrix_exp(A)
        else:
            Id = eye(n, dtype=A.dtype)
            Q = solve(Id.add(A, alpha=-0.5), Id.add(A, alpha=0.5))
        if n != k:
            Q = Q[..., :k]
        if getattr(self, "base", None) is not None or "base" in self._buffers:
            Q = self.base @ Q
        if transposed:
            Q = Q.mT
        return Q

    def right_inverse(self, Q: Tensor) -> Tensor:  # noqa: N803
        from ...ops.creation import zeros_like
        from ...ops.random import randn
        from ...ops.shape import cat

        with no_grad():
            if Q.shape != self.shape:
                raise ValueError(f"Expected a matrix or batch of matrices of shape {self.shape}. Got a tensor of "
                                 f"shape {Q.shape}.")
            Q_init = Q  # noqa: N806
            n, k = Q.size(-2), Q.size(-1)
            if n < k:
                Q = Q.mT
                n, k = k, n
            if "base" not in self._buffers:
                raise NotImplementedError("It is not possible to assign to the matrix exponential or the Cayley "
                                          "parametrizations when use_trivialization=False.")
            if n == k:
                Q = Q.clone() if _is_orthogonal(Q) else _make_orthogonal(Q)
            else:
                N = randn(*(tuple(Q.size()[:-2]) + (n, n - k)), dtype=Q.dtype)  # noqa: N806
                Q = _make_orthogonal(cat([Q, N], dim=-1))
            self.base = Q
            neg_id = zeros_like(Q_init)
            neg_id.diagonal(dim1=-2, dim2=-1).fill_(-1.0)
            return neg_id


def orthogonal(module: Module, name: str = "weight", orthogonal_map: str | None = None, *,
               use_trivialization: bool = True) -> Module:
    """Make ``module.<name>`` (a matrix, or a batch of them) orthogonal: ``base @ exp(A)`` ("matrix_exp") or
    ``base @ cayley(A)`` ("cayley") with ``A`` skew-symmetric from the lower triangle of ``original``; assigning
    an orthogonal matrix stores it in ``base``. The "householder" map (torch's default for non-square real
    matrices) is not implemented in chaingrad: pass ``orthogonal_map="matrix_exp"`` or ``"cayley"``."""
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    if weight.ndim < 2:
        raise ValueError(f"Expected a matrix or batch of matrices. Got a tensor of {weight.ndim} dimensions.")
    if orthogonal_map is None:
        orthogonal_map = "matrix_exp" if weight.size(-2) == weight.size(-1) else "householder"
    if orthogonal_map not in _ORTHOGONAL_MAPS:
        raise ValueError('orthogonal_map has to be one of "matrix_exp", "cayley", "householder". '
                         f"Got: {orthogonal_map}")
    if orthogonal_map == "householder":
        raise NotImplementedError("parametrizations.orthogonal with orthogonal_map='householder' (torch's default "
                                  "for a non-square matrix) is not implemented in chaingrad (it has no "
                                  "householder_product); pass orthogonal_map='matrix_exp' or 'cayley'")
    orth = _Orthogonal(weight, orthogonal_map, use_trivialization=use_trivialization)
    parametrize.register_parametrization(module, name, orth, unsafe=True)
    return module

def _transposed_convolutions() -> tuple[type, ...]:
    return tuple(getattr(nn, name) for name in ("ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d")
                 if hasattr(nn, name))
