"""Matrix-shaped ops: diagonals (diag, diagonal, diag_embed, trace), triangles (tril, triu and their indices),
products with an added term (addmm, addmv, addbmm, baddbmm), cross products and pairwise distances (cdist)."""

from __future__ import annotations

import warnings

import numpy as np

from ..autograd.node import Node, apply
from ..tensor import Tensor, _check_dim
from ._checks import require_tensor
from ._dispatch import broadcast_error
from .creation import _on_cpu


# -- diagonals ---------------------------------------------------------------------------------------------
def _diag_positions(rows: int, cols: int, offset: int) -> tuple[np.ndarray, np.ndarray]:
    """Row and column indices of the ``offset`` diagonal of a rows x cols matrix (above the main one if > 0)."""
    r0, c0 = (0, offset) if offset >= 0 else (-offset, 0)
    n = max(min(rows - r0, cols - c0), 0)
    i = np.arange(n)
    return r0 + i, c0 + i


class Diagonal(Node):
    """A view of a diagonal, as torch's: writing into it (``x.diagonal().fill_(1)``) writes into x."""

    formulas = ("dL/dx = dL/dout written on the same diagonal of a zero tensor",)
    is_view = True

    def forward(ctx, x, offset=0, dim1=0, dim2=1):
        ctx.args = (x.shape, offset, dim1, dim2)
        out = np.diagonal(x, offset, dim1, dim2)
        if x.flags.writeable:  # (NumPy hands out diagonals read-only; the memory is x's own, so writes are safe)
            out.flags.writeable = True
        return out

    def backward(ctx, g):
        shape, offset, dim1, dim2 = ctx.args
        return apply(DiagonalScatter, g, shape=shape, offset=offset, dim1=dim1, dim2=dim2)


class DiagCopy(Diagonal):
    """``diag`` of a matrix: its diagonal as a new vector (torch names the node after the copy)."""

    is_view = False

    def forward(ctx, x, offset=0, dim1=0, dim2=1):
        return Diagonal.forward(ctx, x, offset, dim1, dim2).copy()

    torch_name = "DiagonalBackward0_copy"


class DiagonalScatter(Node):
    """zeros(shape) with ``g`` on the ``offset`` diagonal of dims (dim1, dim2): the adjoint of ``diagonal``."""

    input_names = ("g",)
    formulas = ("dL/dg = diagonal(dL/dout)",)

    def forward(ctx, g, shape=(), offset=0, dim1=0, dim2=1):
        ctx.args = (offset, dim1, dim2)
        out = np.zeros(shape, g.dtype)
        rows, cols = _diag_positions(shape[dim1], shape[dim2], offset)
        np.moveaxis(out, (dim1, dim2), (-2, -1))[..., rows, cols] = g
        return out

    def backward(ctx, gg):
        offset, dim1, dim2 = ctx.args
        return apply(Diagonal, gg, offset=offset, dim1=dim1, dim2=dim2)


class DiagEmbed(Node):
    formulas = ("dL/dx = the diagonal of dL/dout that x was written on",)

    def forward(ctx, x, offset=0, dim1=-2, dim2=-1):
        ctx.args = (offset, dim1, dim2)
        n = x.shape[-1] + abs(offset)
        out = np.zeros(x.shape[:-1] + (n, n), x.dtype)
        rows, cols = _diag_positions(n, n, offset)
        out[..., rows, cols] = x
        return np.moveaxis(out, (-2, -1), (dim1, dim2))

    def backward(ctx, g):
        offset, dim1, dim2 = ctx.args
        return apply(Diagonal, g, offset=offset, dim1=dim1, dim2=dim2)


def _two_dims(dim1: int, dim2: int, ndim: int, op: str) -> tuple[int, int]:
    d1, d2 = _check_dim(dim1, ndim, op), _check_dim(dim2, ndim, op)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2} ({op})")
    return d1, d2


def diagonal(input: Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    """The ``offset`` diagonal of the (dim1, dim2) matrices, as the last dim of the result (a view, as torch's)."""
    require_tensor(input, "diagonal")
    d1, d2 = _two_dims(dim1, dim2, input._data.ndim, "diagonal")
    return apply(Diagonal, input, offset=offset, dim1=d1, dim2=d2)


def diag_embed(input: Tensor, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    """Matrices (in dims dim1, dim2 of the result) whose ``offset`` diagonal is the last dim of ``input``."""
    require_tensor(input, "diag_embed")
    d1, d2 = _two_dims(dim1, dim2, input._data.ndim + 1, "diag_embed")
    return apply(DiagEmbed, input, offset=offset, dim1=d1, dim2=d2)


def diag(input: Tensor, diagonal: int = 0) -> Tensor:
    """A vector -> the square matrix with it on the ``diagonal``-th diagonal; a matrix -> that diagonal."""
    require_tensor(input, "diag")
    if input._data.ndim == 1:
        return apply(DiagEmbed, input, offset=diagonal, dim1=0, dim2=1)
    if input._data.ndim == 2:
        return apply(DiagCopy, input, offset=diagonal, dim1=0, dim2=1)
    raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {input._data.ndim}D")


def diagflat(input: Tensor, offset: int = 0) -> Tensor:
    """The flattened input on the ``offset`` diagonal of a square matrix."""
    return diag(require_tensor(input, "diagflat").reshape(-1), offset)


class Trace(Node):
    formulas = ("dL/dx = dL/dout * I (the identity, in x's shape)",)

    def forward(ctx, x):
        ctx.shape = x.shape
        return np.asarray(np.trace(x))

    def backward(ctx, g):
        return g * Tensor._wrap(np.eye(*ctx.shape, dtype=g._data.dtype))


def trace(input: Tensor) -> Tensor:
    """The sum of the main diagonal of a matrix (int64 for integer input)."""
    require_tensor(input, "trace")
    if input._data.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {input._data.ndim}")
    if input._data.dtype.kind == "b":
        raise NotImplementedError("\"trace\" not implemented for 'Bool' (call .long() on the input first)")
    if input._data.dtype.kind in "iu" and input._data.dtype != np.int64:
        input = input.long()
    return apply(Trace, input)


# -- triangles ---------------------------------------------------------------------------------------------
class Tril(Node):
    """The lower triangle (``upper``: the upper one) of the last two dims; the rest set to 0."""

    formulas = ("dL/dx = dL/dout on the kept triangle, 0 elsewhere",)

    def forward(ctx, x, diagonal=0, upper=False):
        ctx.diagonal, ctx.upper = diagonal, upper
        return (np.triu if upper else np.tril)(x, diagonal)

    def backward(ctx, g):
        return apply(_TRIU if ctx.upper else Tril, g, diagonal=ctx.diagonal, upper=ctx.upper)


_TRIU = Tril.named("TriuBackward0")


def _triangle(input: Tensor, diagonal: int, upper: bool) -> Tensor:
    op = "triu" if upper else "tril"
    require_tensor(input, op)
    if input._data.ndim < 2:
        raise RuntimeError(f"{op}: input tensor must have at least 2 dimensions")
    return apply(_TRIU if upper else Tril, input, diagonal=int(diagonal), upper=upper)


def tril(input: Tensor, diagonal: int = 0) -> Tensor:
    """Elements on and below the ``diagonal``-th diagonal of the last two dims; zeros above."""
    return _triangle(input, diagonal, False)


def triu(input: Tensor, diagonal: int = 0) -> Tensor:
    """Elements on and above the ``diagonal``-th diagonal of the last two dims; zeros below."""
    return _triangle(input, diagonal, True)


def _triangle_indices(row: int, col: int, offset: int, dtype, upper: bool) -> Tensor:
    from .._dtype import int64, to_dtype

    dt = to_dtype(dtype if dtype is not None else int64)
    if dt.np.kind not in "iu":
        raise RuntimeError(f"\"{'triu' if upper else 'tril'}_indices\" not implemented for '{dt.name}' (the indices "
                           "need an integer dtype)")
    rows, cols = (np.triu_indices if upper else np.tril_indices)(row, offset, col)
    return Tensor._wrap(np.stack([rows, cols]).astype(dt.np).reshape(2, -1))


def tril_indices(row: int, col: int, offset: int = 0, *, dtype=None, device=None, layout=None) -> Tensor:
    """The (2, N) row and column indices of the lower triangle of a row x col matrix, in row-major order."""
    _on_cpu(device, False, "tril_indices", layout)
    return _triangle_indices(row, col, offset, dtype, False)


def triu_indices(row: int, col: int, offset: int = 0, *, dtype=None, device=None, layout=None) -> Tensor:
    """The (2, N) row and column indices of the upper triangle of a row x col matrix, in row-major order."""
    _on_cpu(device, False, "triu_indices", layout)
    return _triangle_indices(row, col, offset, dtype, True)


# -- products with an added term -----------------------------------------------------------------------------
class AddMatmul(Node):
    """beta * c + alpha * (a @ b), summed over the batch for addbmm: addmm, addmv, baddbmm, addbmm."""

    input_names = ("c", "a", "b")
    formulas = ("dL/dc = beta * dL/dout", "dL/da = alpha * dL/dout @ b^T", "dL/db = alpha * a^T @ dL/dout")

    def forward(ctx, c, a, b, beta=1, alpha=1, kind="addmm"):
        ctx.beta, ctx.alpha, ctx.kind = beta, alpha, kind
        ctx.save_for_backward(a, b)
        prod = np.matmul(a, b)
        if kind == "addbmm":
            prod = prod.sum(0)
        prod = prod if alpha == 1 else prod * alpha
        if beta == 0:  # torch ignores c then (its NaNs do not propagate)
            return np.broadcast_to(prod, np.broadcast_shapes(prod.shape, c.shape)).copy()
        return prod + (c if beta == 1 else c * beta)

    def backward(ctx, g):
        a, b = ctx.saved_tensors
        gc = ga = gb = None
        if ctx.needs_input_grad[0]:
            gc = g if ctx.beta == 1 else g * ctx.beta
        if ctx.kind == "addmv":
            a_g, b_g = g.unsqueeze(-1), b.unsqueeze(0)
            if ctx.needs_input_grad[1]:
                ga = a_g @ b_g * ctx.alpha
            if ctx.needs_input_grad[2]:
                gb = (a.mT @ g) * ctx.alpha
            return gc, ga, gb
        gp = g.unsqueeze(0) if ctx.kind == "addbmm" else g  # every batch element got the same gradient
        if ctx.needs_input_grad[1]:
            ga = gp @ b.mT if ctx.alpha == 1 else (gp @ b.mT) * ctx.alpha
        if ctx.needs_input_grad[2]:
            from .linalg import transposed

            gb = (gp.mT @ a).mT if ctx.kind == "addmm" and transposed(b) else a.mT @ gp  # (in b's layout, as MatMul)
            gb = gb if ctx.alpha == 1 else gb * ctx.alpha
        return gc, ga, gb


ADDMM = AddMatmul.named("AddmmBackward0")
#: torch's node name for each kind
_ADD_MATMUL = {"addmm": ADDMM, "addmv": AddMatmul.named("AddmvBackward0"),
               "baddbmm": AddMatmul.named("BaddbmmBackward0"), "addbmm": AddMatmul.named("AddbmmBackward0")}

_SHAPES = {"addmm": (2, 2), "addmv": (2, 1), "baddbmm": (3, 3), "addbmm": (3, 3)}


def _add_matmul(kind: str, input: Tensor, a: Tensor, b: Tensor, beta, alpha) -> Tensor:
    for i, t in enumerate((input, a, b)):
        require_tensor(t, kind, ("input", "mat1", "mat2")[i], i + 1)
    na, nb = _SHAPES[kind]
    if a._data.ndim != na or b._data.ndim != nb:
        raise RuntimeError(f"{kind}: expected {na}-D and {nb}-D operands, got {a._data.ndim}-D and {b._data.ndim}-D "
                           f"(shapes {list(a._data.shape)} and {list(b._data.shape)})")
    if not (a._data.dtype == b._data.dtype == input._data.dtype):
        raise RuntimeError(f"expected self, mat1 and mat2 to have the same dtype, but got: {input.dtype}, {a.dtype} "
                           f"and {b.dtype} ({kind}); convert them with .to()")
    sa, sb = a._data.shape, b._data.shape
    if na == 3 and sa[0] != sb[0]:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: [{sa[0]}, {sa[2]}] but "
                           f"got: [{sb[0]}, {sb[1]}].")
    if sa[-1] != sb[-2 if nb > 1 else 0]:
        sa_, sb_ = "x".join(map(str, sa)), "x".join(map(str, sb))
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({sa_} and {sb_}) ({kind}): the last dim of "
                           "the first must equal the first (row) dim of the second")
    out_shape = (sa[0],) if kind == "addmv" else (sa[0], sb[1]) if kind == "addmm" else \
        (sa[0], sa[1], sb[2]) if kind == "baddbmm" else (sa[1], sb[2])
    try:
        if np.broadcast_shapes(input._data.shape, out_shape) != out_shape:
            raise ValueError
    except ValueError:
        raise RuntimeError(f"The expanded size of the tensor ({kind}: input of shape {list(input._data.shape)}) "
                           f"must match the product's shape {list(out_shape)}") from None
    return apply(_ADD_MATMUL[kind], input, a, b, beta=beta, alpha=alpha, kind=kind)


def addmm(input: Tensor, mat1: Tensor, mat2: Tensor, *, beta=1, alpha=1) -> Tensor:
    """beta * input + alpha * (mat1 @ mat2), input broadcast to the product's shape (what nn.Linear computes)."""
    return _add_matmul("addmm", input, mat1, mat2, beta, alpha)


def addmv(input: Tensor, mat: Tensor, vec: Tensor, *, beta=1, alpha=1) -> Tensor:
    """beta * input + alpha * (mat @ vec)."""
    return _add_matmul("addmv", input, mat, vec, beta, alpha)


def baddbmm(input: Tensor, batch1: Tensor, batch2: Tensor, *, beta=1, alpha=1) -> Tensor:
    """beta * input + alpha * bmm(batch1, batch2)."""
    return _add_matmul("baddbmm", input, batch1, batch2, beta, alpha)


def addbmm(input: Tensor, batch1: Tensor, batch2: Tensor, *, beta=1, alpha=1) -> Tensor:
    """beta * input + alpha * (the sum over the batch of batch1[i] @ batch2[i])."""
    return _add_matmul("addbmm", input, batch1, batch2, beta, alpha)


# -- cross products and distances ------------------------------------------------------------------------------
class Cross(Node):
    input_names = ("a", "b")
    formulas = ("dL/da = b x dL/dout", "dL/db = dL/dout x a")

    def forward(ctx, a, b, dim=-1):
        ctx.dim = dim
        ctx.save_for_backward(a, b)
        return np.cross(a, b, axis=dim)

    def backward(ctx, g):
        a, b = ctx.saved_tensors
        return (apply(Cross, b, g, dim=ctx.dim) if ctx.needs_input_grad[0] else None,
                apply(Cross, g, a, dim=ctx.dim) if ctx.needs_input_grad[1] else None)

    torch_name = "LinalgCrossBackward0"


def linalg_cross(input: Tensor, other: Tensor, *, dim: int = -1) -> Tensor:
    """The 3-vector cross product along ``dim`` (inputs broadcast against each other)."""
    require_tensor(input, "linalg.cross")
    require_tensor(other, "linalg.cross", "other", 2)
    if input._data.dtype != other._data.dtype:
        raise RuntimeError(f"linalg.cross: expected input and other to have the same dtype, but got {input.dtype} "
                           f"and {other.dtype}")
    if input._data.ndim != other._data.ndim:
        raise RuntimeError(f"linalg.cross: inputs must have the same number of dimensions, got "
                           f"{input._data.ndim} and {other._data.ndim}")
    d = _check_dim(dim, input._data.ndim, "linalg.cross")
    if input._data.shape[d] != 3 or other._data.shape[d] != 3:
        raise RuntimeError(f"linalg.cross: inputs dimension {dim} must have length 3. Got {input._data.shape[d]} "
                           f"and {other._data.shape[d]}")
    try:
        np.broadcast_shapes(input._data.shape, other._data.shape)
    except ValueError:
        raise broadcast_error(input, other) from None
    return apply(Cross, input, other, dim=d - input._data.ndim)


def cross(input: Tensor, other: Tensor, dim: int | None = None) -> Tensor:
    """``linalg.cross``; without ``dim``, along the first dim of size 3 (deprecated in torch, which warns)."""
    require_tensor(input, "cross")
    if dim is None:
        warnings.warn("Using torch.cross without specifying the dim arg is deprecated. Please either pass the dim "
                      "explicitly or simply use torch.linalg.cross.", UserWarning, stacklevel=2)
        sizes = input._data.shape
        dim = next((i for i, s in enumerate(sizes) if s == 3), None)
        if dim is None:
            raise RuntimeError(f"no dimension of size 3 in input (cross: shape {list(sizes)}); pass dim=")
    return linalg_cross(input, other, dim=dim)


def _euclid_mm(x1: np.ndarray, x2: np.ndarray) -> np.ndarray:
    """Distances from |a|^2 + |b|^2 - 2 a.b as one matrix product: torch's fast path for many points."""
    n1 = (x1 * x1).sum(-1, keepdims=True)
    n2 = (x2 * x2).sum(-1, keepdims=True)
    a = np.concatenate([x1 * -2, n1, np.ones_like(n1)], -1)
    b = np.concatenate([x2, np.ones_like(n2), n2], -1)
    return np.sqrt(np.maximum(np.matmul(a, np.swapaxes(b, -1, -2)), 1e-30))


class Cdist(Node):
    input_names = ("x1", "x2")
    formulas = ("dL/dx1_i = sum_j dL/dout_ij * d||x1_i - x2_j||_p / dx1_i", "dL/dx2_j = -sum_i (the same terms)")

    def forward(ctx, x1, x2, p=2.0, use_mm=False):
        ctx.p = p
        if p == 2 and use_mm:
            out = _euclid_mm(x1, x2)
        else:
            d = np.abs(x1[..., :, None, :] - x2[..., None, :, :])
            if p == 0:
                out = (d != 0).sum(-1).astype(x1.dtype)
            elif p == 1:
                out = d.sum(-1)
            elif p == 2:
                out = np.sqrt((d * d).sum(-1))
            elif np.isinf(p):
                out = d.max(-1) if d.shape[-1] else np.zeros(d.shape[:-1], d.dtype)
            else:
                out = (d ** p).sum(-1) ** (1.0 / p)
        ctx.save_for_backward(x1, x2, out)
        return out

    def backward(ctx, g):
        x1, x2, out = ctx.saved_tensors
        p = ctx.p
        diff = x1.unsqueeze(-2) - x2.unsqueeze(-3)
        dt = g._data.dtype
        if p == 0:
            w = diff * 0
        elif p == 1:
            w = diff.sign()
        elif np.isinf(p):
            hit = np.abs(diff._data) == out._data[..., None]
            w = diff.sign() * Tensor._wrap(hit.astype(dt))
        else:
            alive = out._data != 0  # a zero distance has a zero (sub)gradient, as torch
            safe = out + Tensor._wrap((~alive).astype(dt))
            keep = Tensor._wrap(alive[..., None].astype(dt))
            if p == 2:
                w = diff / safe.unsqueeze(-1) * keep
            else:  # (a zero difference has a zero gradient, also for p < 1 where |d|^(p-1) is infinite)
                ad = diff.abs()
                ad = ad + Tensor._wrap((ad._data == 0).astype(dt))
                w = diff.sign() * ad ** (p - 1) / safe.unsqueeze(-1) ** (p - 1) * keep
        gw = g.unsqueeze(-1) * w
        return (gw.sum(-2) if ctx.needs_input_grad[0] else None,
                -gw.sum(-3) if ctx.needs_input_grad[1] else None)


_COMPUTE_MODES = ("use_mm_for_euclid_dist_if_necessary", "use_mm_for_euclid_dist", "donot_use_mm_for_euclid_dist")


def cdist(x1: Tensor, x2: Tensor, p: float = 2.0, compute_mode: str = "use_mm_for_euclid_dist_if_necessary"
          ) -> Tensor:
    """The p-norm distance between each row of x1 (B, P, M) and each row of x2 (B, R, M): a (B, P, R) tensor.

    ``compute_mode`` picks how p = 2 is computed, as torch: by one matrix product (faster, less accurate for
    close points; by default when P or R exceeds 25) or by the differences themselves."""
    require_tensor(x1, "cdist", "x1")
    require_tensor(x2, "cdist", "x2", 2)
    for name, t in (("X1", x1), ("X2", x2)):
        if t._data.ndim < 2:
            raise RuntimeError(f"cdist only supports at least 2D tensors, {name} got: {t._data.ndim}D")
        if t._data.dtype.kind != "f":
            from ._checks import scalar_type

            raise RuntimeError(f"cdist only supports floating-point dtypes, {name} got: {scalar_type(t)}")
    if x1._data.shape[-1] != x2._data.shape[-1]:
        raise RuntimeError(f"X1 and X2 must have the same number of columns. X1: {x1._data.shape[-1]} X2: "
                           f"{x2._data.shape[-1]}")
    if x1._data.dtype != x2._data.dtype:
        raise RuntimeError(f"cdist: X1 and X2 must have the same dtype, got {x1.dtype} and {x2.dtype}")
    if p < 0:
        raise RuntimeError("cdist only supports non-negative p values")
    if compute_mode not in _COMPUTE_MODES:
        raise ValueError(f"{compute_mode} is not a valid value for compute_mode")
    try:
        np.broadcast_shapes(x1._data.shape[:-2], x2._data.shape[:-2])
    except ValueError:
        raise RuntimeError(f"cdist: the batch dims of {list(x1._data.shape)} and {list(x2._data.shape)} do not "
                           "broadcast") from None
    many = x1._data.shape[-2] > 25 or x2._data.shape[-2] > 25
    use_mm = compute_mode == "use_mm_for_euclid_dist" or (compute_mode == _COMPUTE_MODES[0] and many)
    return apply(Cdist, x1, x2, p=float(p), use_mm=use_mm)


def _attach() -> None:
    from .inplace import inplace

    T = Tensor
    for name in ("diag", "diagonal", "diag_embed", "diagflat", "trace", "tril", "triu", "addmm", "addmv", "baddbmm",
                 "addbmm", "cross"):
        setattr(T, name, globals()[name])
    T.tril_ = lambda self, diagonal=0: inplace(self, lambda old: tril(old, diagonal), "tril_")
    T.triu_ = lambda self, diagonal=0: inplace(self, lambda old: triu(old, diagonal), "triu_")
    for fn in (addmm, addmv, baddbmm, addbmm):
        def method_(self, a, b, *, beta=1, alpha=1, _fn=fn):
            return inplace(self, lambda old: _fn(old, a, b, beta=beta, alpha=alpha), _fn.__name__ + "_", (a, b))

        method_.__name__ = fn.__name__ + "_"
        setattr(T, method_.__name__, method_)


_attach()
