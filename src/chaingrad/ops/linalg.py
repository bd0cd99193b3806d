"""Matrix products: ``matmul``/``@`` (1-D, 2-D, batched, broadcast), mm, bmm, mv, dot, outer, einsum."""

from __future__ import annotations

import numpy as np

from ..autograd.node import Node, apply
from ..tensor import Tensor


class MatMul(Node):
    input_names = ("A", "B")
    formulas = ("dL/dA = dL/dout @ B^T", "dL/dB = A^T @ dL/dout")
    backward_on_arrays = True

    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.matmul(a, b)

    def backward(ctx, g):
        a, b = ctx.saved_tensors
        ga = gb = None
        if b.ndim == 1:  # matrix @ vector (mv) or vector @ vector (dot)
            if ctx.needs_input_grad[0]:
                ga = g.reshape(-1, 1) * b.reshape(1, -1) if a.ndim == 2 else g * b
            if ctx.needs_input_grad[1]:
                gb = a.mT @ g if a.ndim == 2 else g * a
            return ga, gb
        if ctx.needs_input_grad[0]:
            ga = g @ b.mT
        if ctx.needs_input_grad[1]:  # (only .ndim/.shape/.mT/.reshape/@: it runs on arrays too)
            if a.ndim > 2 and b.ndim == 2:  # fold the batch into one GEMM
                k = a.shape[-1]
                gb = a.reshape(-1, k).mT @ g.reshape(-1, g.shape[-1])
            elif transposed(b):  # (as torch: the gradient in b's own layout, so a Linear's weight.t() gets a
                gb = (g.mT @ a).mT  # row-major gradient for the weight, which .grad then takes without a transpose)
            else:
                gb = a.mT @ g
        return ga, gb


def transposed(m) -> bool:
    """Whether matrix ``m`` (an array or a Tensor) is laid out column by column: the transpose of a row-major one."""
    a = m._data if isinstance(m, Tensor) else m
    return a.ndim == 2 and a.flags.f_contiguous and not a.flags.c_contiguous


# torch's names for the products of two matrices and of two batches of them (one derivative)
MM, BMM = MatMul.named("MmBackward0"), MatMul.named("BmmBackward0")
MV, DOT = MatMul.named("MvBackward0"), MatMul.named("DotBackward0")


def _matmul(a: Tensor, b: Tensor) -> Tensor:
    """a @ b (both at least 2-D) under torch's node name."""
    na, nb = a._data.ndim, b._data.ndim
    if na == nb == 2:
        return apply(MM, a, b)
    if na == nb == 3 and a._data.shape[0] == b._data.shape[0]:
        return apply(BMM, a, b)
    return apply(MatMul, a, b)


def _check(a: Tensor, b: Tensor, op: str) -> None:
    if not isinstance(a, Tensor) or not isinstance(b, Tensor):
        bad = a if not isinstance(a, Tensor) else b
        raise TypeError(f"{op}(): argument must be Tensor, not {type(bad).__name__}")
    if a._data.dtype != b._data.dtype:
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: {a.dtype} != {b.dtype} "
                           f"({op}); convert one with .to(other.dtype)")
    if a._data.ndim == 0 or b._data.ndim == 0:
        raise RuntimeError(f"both arguments to {op} need to be at least 1D, but they are "
                           f"{a._data.ndim}D and {b._data.ndim}D")


def _shape_error(a: Tensor, b: Tensor) -> RuntimeError:
    sa = "x".join(map(str, a._data.shape))
    sb = "x".join(map(str, b._data.shape))
    return RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({sa} and {sb}): the last dim of the first "
                        "must equal the first (row) dim of the second")


def matmul(input: Tensor, other: Tensor) -> Tensor:
    """Matrix product with NumPy/torch rules: 1-D operands are promoted and the extra dim removed."""
    if (isinstance(input, Tensor) and isinstance(other, Tensor) and input._data.ndim == 2 == other._data.ndim
            and input._data.dtype is other._data.dtype and input._data.shape[1] == other._data.shape[0]):
        return apply(MM, input, other)  # two matrices that fit: the checks below would find nothing
    _check(input, other, "matmul")
    a, b = input, other
    if a._data.shape[-1] != b._data.shape[-2 if b._data.ndim > 1 else 0]:
        if a._data.ndim == 1 and b._data.ndim == 1:
            raise RuntimeError(f"inconsistent tensor size, expected tensor [{a._data.shape[0]}] and src "
                               f"[{b._data.shape[0]}] to have the same number of elements, but got "
                               f"{a._data.shape[0]} and {b._data.shape[0]} elements respectively")
        raise _shape_error(a, b)
    if a._data.ndim == 2 and b._data.ndim == 2:  # no batch dims to check
        return apply(MM, a, b)
    if a._data.ndim >= 2 and b._data.ndim >= 2:
        try:
            np.broadcast_shapes(a._data.shape[:-2], b._data.shape[:-2])
        except ValueError:
            raise RuntimeError(f"matmul: the batch dimensions of {list(a._data.shape)} and {list(b._data.shape)} "
                               "are not broadcastable") from None
        if b._data.ndim == 2:  # a batch of rows times one matrix: one mm of all the rows, as torch records it
            from .shape import _UNSAFE_VIEW

            rows = apply(MM, a.reshape(-1, a._data.shape[-1]), b)
            return apply(_UNSAFE_VIEW, rows, shape=a._data.shape[:-1] + b._data.shape[-1:])
        return _matmul(a, b)
    if b._data.ndim == 1 and a._data.ndim <= 2:
        return apply(MV if a._data.ndim == 2 else DOT, a, b)
    if a._data.ndim == 1 and b._data.ndim == 2:  # a row times a matrix, its row dim removed again
        from .shape import _SQUEEZE_ROW

        return apply(_SQUEEZE_ROW, apply(MM, a.unsqueeze(0), b), shape=b._data.shape[1:])
    squeeze = []
    if a._data.ndim == 1:
        a = a.unsqueeze(0)
        squeeze.append(-2)
    if b._data.ndim == 1:
        b = b.unsqueeze(-1)
        squeeze.append(-1)
    out = _matmul(a, b)
    shape = out._data.shape
    keep = [s for i, s in enumerate(shape) if i - len(shape) not in squeeze]
    return out.reshape(keep)


def mm(input: Tensor, mat2: Tensor) -> Tensor:
    _check(input, mat2, "mm")
    if input._data.ndim != 2 or mat2._data.ndim != 2:
        raise RuntimeError(f"mm(): self must be a matrix and mat2 must be a matrix (got {input._data.ndim}D and "
                           f"{mat2._data.ndim}D)")
    if input._data.shape[1] != mat2._data.shape[0]:
        raise _shape_error(input, mat2)
    return apply(MM, input, mat2)


def bmm(input: Tensor, mat2: Tensor) -> Tensor:
    _check(input, mat2, "bmm")
    if input._data.ndim != 3 or mat2._data.ndim != 3:
        raise RuntimeError(f"batch1 must be a 3D tensor (bmm got {input._data.ndim}D and {mat2._data.ndim}D)")
    if input._data.shape[0] != mat2._data.shape[0] or input._data.shape[2] != mat2._data.shape[1]:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{input._data.shape[0]}, {input._data.shape[2]}] but got: "
                           f"[{mat2._data.shape[0]}, {mat2._data.shape[1]}].")
    return apply(BMM, input, mat2)


def mv(input: Tensor, vec: Tensor) -> Tensor:
    _check(input, vec, "mv")
    if input._data.ndim != 2 or vec._data.ndim != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got {input._data.ndim}, {vec._data.ndim}")
    return matmul(input, vec)


def dot(input: Tensor, tensor: Tensor) -> Tensor:
    _check(input, tensor, "dot")
    if input._data.ndim != 1 or tensor._data.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {input._data.ndim}D and {tensor._data.ndim}D tensors")
    return matmul(input, tensor)


def inner(input: Tensor, other: Tensor) -> Tensor:
    """The sum of products over the last dim of each (a tensordot: shape ``input.shape[:-1] + other.shape[:-1]``);
    a 0-d operand multiplies."""
    if isinstance(input, Tensor) and isinstance(other, Tensor) and (input._data.ndim == 0 or other._data.ndim == 0):
        return input * other
    _check(input, other, "inner")
    if input._data.shape[-1] != other._data.shape[-1]:
        raise RuntimeError(f"inner() the last dimension must match on both input tensors but got shapes "
                           f"{list(input._data.shape)} and {list(other._data.shape)}")
    from .products import tensordot

    return tensordot(input, other, dims=([-1], [-1]))


vdot = dot


def outer(input: Tensor, vec2: Tensor) -> Tensor:
    return input.reshape(-1, 1) * (vec2 if vec2.ndim == 1 else vec2.reshape(-1))


ger = outer


class Einsum(Node):
    formulas = ("dL/dx_k = einsum of dL/dout with the other operands, back to x_k's indices",)

    def forward(ctx, *xs, equation=""):
        ctx.equation = equation
        ctx.save_for_backward(*xs)
        return np.einsum(equation, *xs, optimize=len(xs) > 2)

    def backward(ctx, g):
        xs = ctx.saved_tensors
        ins, out = ctx.equation.split("->")
        subs = ins.split(",")
        grads = []
        for k, (x, sub) in enumerate(zip(xs, subs)):
            if not ctx.needs_input_grad[k]:
                grads.append(None)
                continue
            others = [(s, t) for j, (s, t) in enumerate(zip(subs, xs)) if j != k]
            have = set(out).union(*[set(s) for s, _ in others])
            keep = "".join(c for c in sub if c in have)
            eq = ",".join([out] + [s for s, _ in others]) + "->" + keep
            part = einsum(eq, g, *[t for _, t in others])
            if keep != sub:
                shape = [x._data.shape[i] if c in keep else 1 for i, c in enumerate(sub)]
                part = part.reshape([x._data.shape[i] if c in keep else 1 for i, c in enumerate(sub)])
                part = part.expand(x._data.shape) if shape != list(x._data.shape) else part
            grads.append(part)
        return tuple(grads)


def einsum(equation: str, *operands) -> Tensor:
    """Einstein summation, e.g. ``einsum("ij,jk->ik", a, b)``."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    if isinstance(equation, Tensor):
        raise NotImplementedError("einsum(): torch's sublist format (einsum(a, [0, 1], b, [1, 2])) is not "
                                  "supported; write the equation as a string such as 'ij,jk->ik'")
    if not isinstance(equation, str):
        raise TypeError(f"einsum(): argument 'equation' (position 1) must be str, not {type(equation).__name__}")
    eq = equation.replace(" ", "")
    ins = eq.split("->")[0].split(",")
    if len(ins) != len(operands):
        raise RuntimeError(f"einsum(): {len(ins)} operands in the equation '{equation}' but {len(operands)} given")
    for s, t in zip(ins, operands):
        if "." in s:
            raise NotImplementedError("einsum with '...' is not supported; write the dims out")
        if len(s) != t._data.ndim:
            raise RuntimeError(f"einsum(): the number of subscripts in the equation ({len(s)}) does not match the "
                               f"number of dimensions ({t._data.ndim}) for operand {ins.index(s)}")
        if len(set(s)) != len(s):
            raise NotImplementedError("einsum with a repeated index in one operand (a diagonal) is not supported")
    sizes: dict = {}
    for k, (s, t) in enumerate(zip(ins, operands)):
        for c, n in zip(s, t._data.shape):
            if sizes.setdefault(c, n) != n:
                raise RuntimeError(f"einsum(): operands do not broadcast with remapped shapes: subscript '{c}' has "
                                   f"size {sizes[c]} in one operand and {n} in operand {k} (equation '{equation}')")
    if "->" not in eq:
        letters = "".join(ins)
        eq = eq + "->" + "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
    from .._dtype import result_type

    rt = result_type(*operands)
    operands = [t if t.dtype is rt else t.to(rt) for t in operands]
    return apply(Einsum, *operands, equation=eq)


def _attach() -> None:
    T = Tensor
    T.__matmul__ = matmul
    T.__rmatmul__ = lambda self, other: matmul(other, self)
    T.matmul, T.mm, T.bmm, T.mv, T.dot, T.outer, T.inner = matmul, mm, bmm, mv, dot, outer, inner


_attach()
