"""Module backward hooks, as torch runs them: ``register_full_backward_pre_hook`` (``hook(module,
grad_output)``) and ``register_full_backward_hook`` (``hook(module, grad_input, grad_output)``).

A call of a module that has such hooks puts an identity node (``BackwardHookFunctionBackward``) after its
outputs and one before its tensor inputs. In the backward pass the first one to run is the outputs' node: it
holds the gradients with respect to the outputs (``grad_output``; pre-hooks may replace them). The inputs' node
runs when every gradient inside the module has reached it: it holds ``grad_input``, calls the hooks, and a hook
may return replacements. If no input requires grad, the hooks are called from the outputs' node with
``grad_input`` all None (with torch's warning).
"""

from __future__ import annotations

import warnings

from ..autograd.function import Function
from ..autograd.grad_mode import state as grad_state
from ..tensor import Tensor


class _Call:
    """One call of the module: what its backward hooks see."""

    def __init__(self, module, n_inputs: int, total_inputs: int) -> None:
        self.module, self.n_inputs, self.total_inputs = module, n_inputs, total_inputs  # (requiring grad, tensors)
        self.grad_output: tuple = ()


def _replaced(result, old: tuple, what: str, module) -> tuple:
    if result is None:
        return old
    result = tuple(result) if isinstance(result, (tuple, list)) else (result,)
    if len(result) != len(old):
        raise RuntimeError(f"Backward hook of {type(module).__name__} returned {len(result)} {what} gradients where "
                           f"{len(old)} were expected")
    return result


class BackwardHookFunction(Function):
    """The identity, as a node whose backward calls the module's hooks (``role`` says which side it is on)."""

    @staticmethod
    def forward(ctx, call: _Call, role: str, *tensors):
        ctx.call, ctx.role = call, role
        ctx.mark_non_differentiable(*[t for t in tensors if not t.requires_grad])
        outs = tuple(Tensor._wrap(t._data) for t in tensors)  # (the same memory, as torch's aliases)
        return outs

    @staticmethod
    def backward(ctx, *grads):
        call = ctx.call
        module = call.module
        if ctx.role == "outputs":
            for hook in list(module.__dict__.get("_backward_pre_hooks", {}).values()):
                grads = _replaced(hook(module, grads), grads, "output", module)
            call.grad_output = grads
            if call.n_inputs == 0:  # no input requires grad: the hooks fire here
                warnings.warn("Full backward hook is firing when gradients are computed with respect to module "
                              "outputs since no inputs require gradients.", UserWarning, stacklevel=2)
                for hook in list(module.__dict__.get("_backward_hooks", {}).values()):
                    hook(module, (None,) * max(1, call.total_inputs), grads)
        else:  # an input that does not require grad has no gradient: None, as torch's
            grads = tuple(g if need else None for g, need in zip(grads, ctx.needs_input_grad[2:]))
            for hook in list(module.__dict__.get("_backward_hooks", {}).values()):
                grads = _replaced(hook(module, grads, call.grad_output), grads, "input", module)
        return (None, None, *grads)


def call(module, forward, args: tuple, kwargs: dict, finish=None):
    """``forward(*args, **kwargs)`` with the module's backward hooks around it; ``finish(args, kwargs, out)``
    (the forward hooks) runs on forward's output before the output hooks are attached, as in torch."""
    if finish is None:
        def finish(args, kwargs, out):
            return out
    if not grad_state.enabled:
        return finish(args, kwargs, forward(*args, **kwargs))
    where = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
    needing = [i for i in where if args[i].requires_grad]
    record = _Call(module, len(needing), len(where))
    if needing:
        wrapped = BackwardHookFunction.apply(record, "inputs", *[args[i] for i in where])
        new_args = list(args)
        for i, w in zip(where, wrapped if isinstance(wrapped, tuple) else (wrapped,)):
            new_args[i] = w
        args = tuple(new_args)
    out = finish(args, kwargs, forward(*args, **kwargs))
    single = isinstance(out, Tensor)
    outs = (out,) if single else out
    if not isinstance(outs, tuple) or not any(isinstance(o, Tensor) and o.requires_grad for o in outs):
        return out
    spots = [i for i, o in enumerate(outs) if isinstance(o, Tensor)]
    hooked = BackwardHookFunction.apply(record, "outputs", *[outs[i] for i in spots])
    hooked = hooked if isinstance(hooked, tuple) else (hooked,)
    result = list(outs)
    for i, h in zip(spots, hooked):
        result[i] = h
    return result[0] if single else tuple(result)
