"""``torch.autograd.functional``: Jacobians, Hessians and their products of a function of tensors.

Every result is built from ``autograd.grad`` calls on the recorded graph: a Jacobian is one vector-Jacobian
product per output element, a Jacobian-vector product is the double-vjp trick (the vjp is linear in its
cotangent, so differentiating it with respect to the cotangent gives ``J v``), and a Hessian is the
Jacobian of the gradient. Results are detached unless ``create_graph=True``.
"""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor
from .engine import grad as _grad
from .grad_mode import enable_grad

__all__ = ["jacobian", "hessian", "vjp", "jvp", "hvp", "vhp"]


def _as_tuple(x, arg: str, fn: str) -> tuple[bool, tuple]:
    if isinstance(x, (tuple, list)):
        for i, t in enumerate(x):
            if not isinstance(t, Tensor):
                raise TypeError(f"The {arg} given to {fn} must be either a Tensor or a tuple of Tensors but the "
                                f"value at index {i} has type {type(t).__name__}.")
        return True, tuple(x)
    if not isinstance(x, Tensor):
        raise TypeError(f"The {arg} given to {fn} must be either a Tensor or a tuple of Tensors but the given "
                        f"{arg} has type {type(x).__name__}.")
    return False, (x,)


def _track(t: Tensor, create_graph: bool) -> Tensor:
    """A tensor to differentiate with respect to: still connected to ``t``'s graph when building a graph."""
    if create_graph and t.requires_grad:
        return t.clone()
    return t.detach().requires_grad_(True)


def _untuple(is_tuple: bool, xs):
    return tuple(xs) if is_tuple else xs[0]


def _zeros_like(t: Tensor) -> Tensor:
    return Tensor._wrap(np.zeros(t._data.shape, t._data.dtype))


def _finish(t: Tensor | None, like: Tensor, create_graph: bool) -> Tensor:
    if t is None:
        return _zeros_like(like)
    return t if create_graph else t.detach()


def _check_v(v, outputs: tuple, fn: str, what: str) -> tuple:
    if v is None:
        if len(outputs) != 1 or outputs[0]._data.size != 1:
            raise RuntimeError(f"The vector v can only be None if the {what} to the user-provided function is a "
                               f"single Tensor with a single element (in {fn}).")
        return (Tensor._wrap(np.ones(outputs[0]._data.shape, outputs[0]._data.dtype)),)
    _, vs = _as_tuple(v, "v", fn)
    if len(vs) != len(outputs):
        raise RuntimeError(f"v is a tuple of invalid length: should be {len(outputs)} but got {len(vs)} (in {fn}).")
    for i, (a, b) in enumerate(zip(vs, outputs)):
        if a._data.shape != b._data.shape:
            raise RuntimeError(f"Entry {i} in v has invalid size: should be {list(b._data.shape)} but got "
                               f"{list(a._data.shape)} (in {fn}).")
    return vs


def _strict_check(grads, fn: str, what: str = "output") -> None:
    for i, g in enumerate(grads):
        if g is None:
            raise RuntimeError(f"The {what} of the user-provided function is independent of input {i}. This is not "
                               f"allowed in strict mode (in {fn}).")


def vjp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """``(func(inputs), v^T J)``: the vector-Jacobian product at ``inputs``."""
    with enable_grad():
        in_tuple, ins = _as_tuple(inputs, "inputs", "vjp")
        ins = tuple(_track(t, create_graph) for t in ins)
        out_tuple, outs = _as_tuple(func(*ins), "outputs of the user-provided function", "vjp")
        vs = _check_v(v, outs, "vjp", "output")
        diff = [(o, g) for o, g in zip(outs, vs) if o.requires_grad]
        if diff:
            grads = _grad([o for o, _ in diff], ins, [g for _, g in diff], create_graph=create_graph,
                          allow_unused=True, retain_graph=True)
        else:
            grads = (None,) * len(ins)
    if strict:
        _strict_check(grads, "vjp")
    outputs = tuple(o if create_graph else o.detach() for o in outs)
    return _untuple(out_tuple, outputs), _untuple(in_tuple, [_finish(g, t, create_graph) for g, t in zip(grads, ins)])


def jvp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """``(func(inputs), J v)``: the Jacobian-vector product, by differentiating a vjp with respect to its
    cotangent (the double-vjp trick)."""
    with enable_grad():
        in_tuple, ins = _as_tuple(inputs, "inputs", "jvp")
        ins = tuple(_track(t, create_graph) for t in ins)
        vs = _check_v(v, ins, "jvp", "input")
        out_tuple, outs = _as_tuple(func(*ins), "outputs of the user-provided function", "jvp")
        results = _jvp_core(outs, ins, vs, create_graph)
    if strict and any(r is None for r in results):
        raise RuntimeError("The output of the user-provided function is independent of the input. This is not "
                           "allowed in strict mode (in jvp).")
    outputs = tuple(o if create_graph else o.detach() for o in outs)
    return (_untuple(out_tuple, outputs),
            _untuple(out_tuple, [_finish(r, o, create_graph) for r, o in zip(results, outs)]))


def _jvp_core(outs: tuple, ins: tuple, vs: tuple, create_graph: bool) -> list:
    """``J v`` for each output (None where the output does not depend on the inputs)."""
    us = [Tensor._wrap(np.zeros(o._data.shape, o._data.dtype), True) for o in outs]
    diff = [k for k, o in enumerate(outs) if o.requires_grad]
    if not diff:
        return [None] * len(outs)
    g = _grad([outs[k] for k in diff], ins, [us[k] for k in diff], create_graph=True, allow_unused=True,
              retain_graph=True)
    pairs = [(gi, vi) for gi, vi in zip(g, vs) if gi is not None and gi.requires_grad]
    if not pairs:
        return [None] * len(outs)
    res = _grad([p[0] for p in pairs], us, [p[1] for p in pairs], create_graph=create_graph, allow_unused=True,
                retain_graph=True)
    return list(res)


def jacobian_blocks(output: Tensor, inputs, create_graph: bool) -> tuple[list[Tensor], list[bool]]:
    """d output / d input_i for each input, shaped ``output.shape + input.shape``, one vjp per output element;
    also whether each input was used at all (unused inputs get zero blocks)."""
    from ..ops.shape import stack

    rows: list[list] = [[] for _ in inputs]
    used = [False] * len(inputs)
    n = output._data.size
    for r in range(n if output.requires_grad else 0):
        seed = np.zeros(n, output._data.dtype)
        seed[r] = 1
        gs = _grad(output, inputs, Tensor._wrap(seed.reshape(output._data.shape)), retain_graph=True,
                   create_graph=create_graph, allow_unused=True)
        for i, g in enumerate(gs):
            used[i] |= g is not None
            rows[i].append(g if g is not None else _zeros_like(inputs[i]))
    blocks = []
    for i, t in enumerate(inputs):
        shape = output._data.shape + t._data.shape
        blocks.append(stack(rows[i]).reshape(shape) if rows[i] else Tensor._wrap(np.zeros(shape, t._data.dtype)))
    return blocks, used


def _check_strategy(strategy: str, create_graph: bool, strict: bool, vectorize: bool) -> None:
    if strategy not in ("forward-mode", "reverse-mode"):
        raise AssertionError('Expected strategy to be either "forward-mode" or "reverse-mode".')
    if strategy == "reverse-mode":
        return
    for flag, name, error in ((create_graph, "create_graph", NotImplementedError), (strict, "strict", RuntimeError)):
        if flag:
            raise error(f"chaingrad.autograd.functional.jacobian: `{name}=True` and `strategy=\"forward-mode\"` are "
                        f"not supported together (yet). Please either set `{name}=False` or "
                        '`strategy="reverse-mode"`.')
    if not vectorize:
        raise NotImplementedError("Computing Jacobian using forward-AD or forward-over-reverse Hessian is only "
                                  "implemented for `vectorize=True`.")


def jacobian(func, inputs, create_graph: bool = False, strict: bool = False, vectorize: bool = False,
             strategy: str = "reverse-mode"):
    """The Jacobian of ``func`` at ``inputs``: for output j and input i, shape ``out_j.shape + in_i.shape``.

    Tensor in, Tensor out gives a Tensor; a tuple on either side gives tuples (outputs outer, inputs inner).
    The rows are computed one vjp at a time whatever ``vectorize`` and ``strategy`` say (the numbers are the
    same); the combinations torch refuses are refused with its errors.
    """
    _check_strategy(strategy, create_graph, strict, vectorize)
    with enable_grad():
        in_tuple, ins = _as_tuple(inputs, "inputs", "jacobian")
        ins = tuple(_track(t, create_graph) for t in ins)
        out_tuple, outs = _as_tuple(func(*ins), "outputs of the user-provided function", "jacobian")
        jac = []
        for j, o in enumerate(outs):
            blocks, used = jacobian_blocks(o, ins, create_graph)
            if strict:
                for i, u in enumerate(used):
                    if not u:
                        raise RuntimeError(f"Output {j} of the user-provided function is independent of input {i}. "
                                           "This is not allowed in strict mode.")
            per_in = [block if create_graph else block.detach() for block in blocks]
            jac.append(_untuple(in_tuple, per_in))
    return _untuple(out_tuple, jac)


def hessian(func, inputs, create_graph: bool = False, strict: bool = False, vectorize: bool = False,
            outer_jacobian_strategy: str = "reverse-mode"):
    """The Hessian of a scalar function: the Jacobian of its gradient (tuples of tuples for tuple inputs)."""
    in_tuple, ins = _as_tuple(inputs, "inputs", "hessian")

    def ensure_scalar(*xs):
        out = func(*xs)
        if isinstance(out, tuple):
            if len(out) != 1:
                raise RuntimeError("The function given to hessian should return a single Tensor")
            out = out[0]
        if not isinstance(out, Tensor):
            raise RuntimeError("The function given to hessian should return a single Tensor")
        if out._data.size != 1:
            raise RuntimeError("The Tensor returned by the function given to hessian should contain a single element")
        return out.reshape(())

    if outer_jacobian_strategy not in ("forward-mode", "reverse-mode"):
        raise AssertionError('Expected strategy to be either "forward-mode" or "reverse-mode".')

    def jac_func(*xs):
        return jacobian(ensure_scalar, _untuple(in_tuple, xs), create_graph=True, strict=strict)

    return jacobian(jac_func, _untuple(in_tuple, ins), create_graph=create_graph, strict=strict,
                    vectorize=vectorize, strategy=outer_jacobian_strategy)


def vhp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """``(func(inputs), v^T H)`` for a scalar ``func``."""
    return _hessian_product(func, inputs, v, create_graph, strict, "vhp")


def hvp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """``(func(inputs), H v)`` for a scalar ``func`` (the Hessian of a smooth function is symmetric, so this
    is the same product as ``vhp``; computed as the derivative of ``grad(func) . v``)."""
    return _hessian_product(func, inputs, v, create_graph, strict, "hvp")


def _hessian_product(func, inputs, v, create_graph: bool, strict: bool, fn: str):
    with enable_grad():
        in_tuple, ins = _as_tuple(inputs, "inputs", fn)
        ins = tuple(_track(t, create_graph) for t in ins)
        vs = _check_v(v, ins, fn, "input")
        out = func(*ins)
        out_tuple, outs = _as_tuple(out, "outputs of the user-provided function", fn)
        if len(outs) != 1 or outs[0]._data.size != 1:
            raise RuntimeError(f"The function given to {fn} should return a single Tensor with a single element")
        (o,) = outs
        if not o.requires_grad:
            first = (None,) * len(ins)
        else:
            first = _grad(o, ins, create_graph=True, allow_unused=True, retain_graph=True)
        if strict:
            _strict_check(first, fn)
        pairs = [(g, vi) for g, vi in zip(first, vs) if g is not None and g.requires_grad]
        if pairs:
            second = _grad([p[0] for p in pairs], ins, [p[1] for p in pairs], create_graph=create_graph,
                           allow_unused=True, retain_graph=True)
        else:
            second = (None,) * len(ins)
    if strict:
        _strict_check(second, fn, "jacobian")
    value = o if create_graph else o.detach()
    return _untuple(out_tuple, [value]), _untuple(in_tuple, [_finish(s, t, create_graph)
                                                           for s, t in zip(second, ins)])
