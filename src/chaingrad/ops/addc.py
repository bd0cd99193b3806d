"""addcmul and addcdiv: ``input + value * tensor1 * tensor2`` and ``input + value * tensor1 / tensor2`` in one
op, broadcast together (the fused updates of optimizers written by hand: ``exp_avg_sq.mul_(beta2).addcmul_(
grad, grad, value=1 - beta2)``, ``p.addcdiv_(exp_avg, denom, value=-lr)``), with their in-place twins."""

from __future__ import annotations

import numbers

import numpy as np

from .._dtype import result_type
from ..autograd.node import Node, apply
from ..tensor import Tensor
from ._checks import require_tensor
from .inplace import inplace


class Addcmul(Node):
    input_names = ("input", "tensor1", "tensor2")
    formulas = ("dL/dinput = dL/dout", "dL/dtensor1 = dL/dout * value * tensor2",
                "dL/dtensor2 = dL/dout * value * tensor1")

    def forward(ctx, input, tensor1, tensor2, value=1):
        ctx.save_for_backward(tensor1, tensor2)
        ctx.value = value
        return input + np.asarray(value, input.dtype) * (tensor1 * tensor2)

    def backward(ctx, g):
        t1, t2 = ctx.saved_tensors
        need = ctx.needs_input_grad
        return (g if need[0] else None,
                g * t2 * ctx.value if need[1] else None,
                g * t1 * ctx.value if need[2] else None)


class Addcdiv(Node):
    input_names = ("input", "tensor1", "tensor2")
    formulas = ("dL/dinput = dL/dout", "dL/dtensor1 = dL/dout * value / tensor2",
                "dL/dtensor2 = -dL/dout * value * tensor1 / tensor2^2")

    def forward(ctx, input, tensor1, tensor2, value=1):
        ctx.save_for_backward(tensor1, tensor2)
        ctx.value = value
        return input + np.asarray(value, input.dtype) * (tensor1 / tensor2)

    def backward(ctx, g):
        t1, t2 = ctx.saved_tensors
        need = ctx.needs_input_grad
        return (g if need[0] else None,
                g * ctx.value / t2 if need[1] else None,
                -g * ctx.value * t1 / (t2 * t2) if need[2] else None)


def _operands(op: str, input, tensor1, tensor2, value) -> tuple[Tensor, Tensor, Tensor]:
    require_tensor(input, op)
    require_tensor(tensor1, op, "tensor1", 2)
    require_tensor(tensor2, op, "tensor2", 3)
    if isinstance(value, bool) or not isinstance(value, numbers.Number):
        raise TypeError(f"{op}(): argument 'value' must be Number, not {type(value).__name__}")
    rt = result_type(input, tensor1, tensor2)
    if op == "addcdiv" and not (tensor1.dtype.is_floating_point or tensor2.dtype.is_floating_point):
        raise RuntimeError("Integer division with addcdiv is no longer supported, and in a future release "
                           "addcdiv will perform a true division of tensor1 and tensor2. The historic addcdiv "
                           "behavior can be implemented as (input + value * torch.trunc(tensor1 / tensor2))."
                           "to(input.dtype) for integer inputs and as (input + value * tensor1 / tensor2) for "
                           "float inputs. The future addcdiv behavior is just the latter implementation: "
                           "(input + value * tensor1 / tensor2), for all dtypes.")
    ts = tuple(t if t.dtype is rt else t.to(rt) for t in (input, tensor1, tensor2))
    try:
        np.broadcast_shapes(*(t._data.shape for t in ts))
    except ValueError:
        raise RuntimeError(f"{op}: the shapes of input, tensor1 and tensor2 "
                           f"{[list(t._data.shape) for t in ts]} do not broadcast") from None
    return ts  # type: ignore[return-value]


def addcmul(input: Tensor, tensor1: Tensor, tensor2: Tensor, *, value=1) -> Tensor:
    """``input + value * tensor1 * tensor2``; for integer tensors ``value`` is cast to their dtype, as torch does
    (0.5 becomes 0)."""
    return apply(Addcmul, *_operands("addcmul", input, tensor1, tensor2, value), value=value)


def addcdiv(input: Tensor, tensor1: Tensor, tensor2: Tensor, *, value=1) -> Tensor:
    """``input + value * tensor1 / tensor2`` (floating point only, as torch)."""
    return apply(Addcdiv, *_operands("addcdiv", input, tensor1, tensor2, value), value=value)


def addcmul_(self: Tensor, tensor1: Tensor, tensor2: Tensor, *, value=1) -> Tensor:
    return inplace(self, lambda old: addcmul(old, tensor1, tensor2, value=value), "addcmul_", (tensor1, tensor2))


def addcdiv_(self: Tensor, tensor1: Tensor, tensor2: Tensor, *, value=1) -> Tensor:
    return inplace(self, lambda old: addcdiv(old, tensor1, tensor2, value=value), "addcdiv_", (tensor1, tensor2))


def _attach() -> None:
    Tensor.addcmul, Tensor.addcdiv = addcmul, addcdiv
    Tensor.addcmul_, Tensor.addcdiv_ = addcmul_, addcdiv_


_attach()
