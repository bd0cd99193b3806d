"""``torch.func``-style transforms: ``grad``, ``grad_and_value``, ``vjp``, ``jvp``, ``jacrev``, ``jacfwd``,
``hessian``; ``vmap`` (in _vmap.py) and ``functional_call``/``stack_module_state`` (in _functional_call.py).

Each transform takes a function and returns a function (``grad(f)(x)``), and they compose
(``grad(grad(f))``, ``jacfwd(jacrev(f))``): inside a transform the arguments are tracked and gradients are
taken with ``create_graph=True``, so an outer transform can differentiate through them. Results are plain
(detached) tensors unless an argument was already being tracked by an outer transform. Arguments must be
tensors (or tuples of them for ``vjp``/``jvp``' primals; ``grad`` also takes tuples, lists and dicts of
them). Forward mode (``jvp``, ``jacfwd``) is computed with the double-vjp trick on the reverse-mode engine.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ._functional_call import functional_call, stack_module_state
from ._vmap import vmap
from .autograd.engine import grad as _grad
from .autograd.functional import _zeros_like as _zeros
from .autograd.functional import jacobian_blocks
from .autograd.grad_mode import enable_grad
from .tensor import Tensor
from .utils._pytree import tree_flatten, tree_unflatten

__all__ = ["grad", "grad_and_value", "vjp", "jvp", "jacrev", "jacfwd", "hessian", "vmap", "functional_call",
           "stack_module_state"]


def _track(t):
    """Differentiate with respect to ``t``: an alias that stays connected if ``t`` is already tracked."""
    if not isinstance(t, Tensor):
        raise TypeError(f"chaingrad.func: expected a Tensor argument to differentiate, got {type(t).__name__}")
    return t.clone() if t.requires_grad else t.detach().requires_grad_(True)


def _argnums(argnums, n: int, fn: str) -> tuple[int, ...]:
    nums = (argnums,) if isinstance(argnums, int) else tuple(argnums)
    if not nums:
        raise RuntimeError(f"{fn}: argnums must be non-empty")
    out = []
    for a in nums:
        if not isinstance(a, int):
            raise RuntimeError(f"{fn}: argnums must be int or Tuple[int, ...], got {type(a).__name__}")
        if not -n <= a < n:
            raise RuntimeError(f"Got argnums={a}, but only {n} positional inputs")
        out.append(a % n)
    return tuple(out)


def _track_args(args: tuple, nums: tuple[int, ...]) -> tuple[list, list[Tensor], list]:
    """``args`` with the arguments ``nums`` tracked (each a tensor or a tuple/list/dict of them), the tracked
    tensors in order, and how to regroup per-tensor results into the arguments' structures."""
    out, ins, specs = list(args), [], []
    for i in nums:
        leaves, spec = tree_flatten(out[i])
        leaves = [_track(t) for t in leaves]
        out[i] = tree_unflatten(leaves, spec)
        specs.append((spec, len(leaves)))
        ins += leaves
    return out, ins, specs


def _regroup(flat: list, specs: list, argnums):
    """One result per tensor back into one per argument (a single one for an int ``argnums``)."""
    per_arg, at = [], 0
    for spec, n in specs:
        per_arg.append(tree_unflatten(flat[at:at + n], spec))
        at += n
    return per_arg[0] if isinstance(argnums, int) else tuple(per_arg)


def _out(t: Tensor, keep: bool) -> Tensor:
    return t if keep else t.detach()


def _split_aux(result, has_aux: bool, fn: str):
    if not has_aux:
        return result, None
    if not (isinstance(result, tuple) and len(result) == 2):
        raise RuntimeError(f"{fn}(f)(*args): output of function f should be a tuple: (output, aux) if has_aux is True")
    return result


def _detach_tree(x, keep: bool):
    if isinstance(x, Tensor):
        return _out(x, keep)
    if isinstance(x, (tuple, list)):
        return type(x)(_detach_tree(v, keep) for v in x)
    if isinstance(x, dict):
        return {k: _detach_tree(v, keep) for k, v in x.items()}
    return x


def grad_and_value(func: Callable, argnums=0, has_aux: bool = False) -> Callable:
    """``(gradient, value)`` of a scalar function; ``(gradient, (value, aux))`` with ``has_aux``. An argument
    differentiated may be a tensor or a tuple/list/dict of them (``functional_call``'s parameters): its
    gradient has the same structure."""

    def wrapper(*args, **kwargs):
        nums = _argnums(argnums, len(args), "grad_and_value")
        keep = any(isinstance(a, Tensor) and a.requires_grad for a in tree_flatten(args)[0])
        with enable_grad():
            args, ins, specs = _track_args(args, nums)
            result = func(*args, **kwargs)
            out, aux = _split_aux(result, has_aux, "grad_and_value")
            if not isinstance(out, Tensor):
                raise RuntimeError("grad_and_value(f)(*args): Expected f(*args) to return a Tensor, got "
                                   f"{type(out).__name__}")
            if out._data.size != 1:
                raise RuntimeError("grad_and_value(f)(*args): Expected f(*args) to return a scalar Tensor, got tensor "
                                   f"with {out._data.ndim} dims. Maybe you wanted to use the vjp or jacrev APIs "
                                   "instead?")
            gs = _grad(out, ins, create_graph=True, allow_unused=True) if out.requires_grad else (None,) * len(ins)
        g = _regroup([_out(g, keep) if g is not None else _zeros(t) for g, t in zip(gs, ins)], specs, argnums)
        value = _out(out, keep)
        if has_aux:
            return g, (value, _detach_tree(aux, keep))
        return g, value

    return wrapper


def grad(func: Callable, argnums=0, has_aux: bool = False) -> Callable:
    """The gradient of a scalar function with respect to argument(s) ``argnums``; ``(grad, aux)`` with
    ``has_aux``."""
    gv = grad_and_value(func, argnums, has_aux)

    def wrapper(*args, **kwargs):
        g, value = gv(*args, **kwargs)
        if has_aux:
            return g, value[1]
        return g

    return wrapper


def vjp(func: Callable, *primals, has_aux: bool = False):
    """``(output, vjp_fn)`` (and ``aux``): ``vjp_fn(cotangent)`` returns a tuple with one gradient per primal.
    Primals, outputs and cotangents may be tuples/lists/dicts of tensors; gradients have the primals' structure."""
    keep = any(isinstance(p, Tensor) and p.requires_grad for p in tree_flatten(primals)[0])
    with enable_grad():
        tracked, ins, specs = _track_args(primals, tuple(range(len(primals))))
        result = func(*tracked)
        out, aux = _split_aux(result, has_aux, "vjp")
    outs, out_spec = tree_flatten(out)

    def vjp_fn(cotangents):
        cts, ct_spec = tree_flatten(cotangents)
        if ct_spec != out_spec:
            raise RuntimeError(f"Expected pytree structure of cotangents to be the same as pytree structure of outputs "
                               f"to the function. cotangents: {ct_spec}, primal output: {out_spec}")
        pairs = [(o, c) for o, c in zip(outs, cts) if o.requires_grad]
        with enable_grad():
            if pairs:
                gs = _grad([o for o, _ in pairs], ins, [c for _, c in pairs], retain_graph=True,
                           create_graph=True, allow_unused=True)
            else:
                gs = (None,) * len(ins)
        keep_now = keep or any(isinstance(c, Tensor) and c.requires_grad for c in cts)
        return _regroup([_out(g, keep_now) if g is not None else _zeros(t) for g, t in zip(gs, ins)], specs, ())

    value = _detach_tree(out, keep)
    if has_aux:
        return value, vjp_fn, _detach_tree(aux, keep)
    return value, vjp_fn


def jvp(func: Callable, primals, tangents, *, strict: bool = False, has_aux: bool = False):
    """``(output, J tangent)`` (and ``aux``); ``primals`` and ``tangents`` are tuples of tensors."""
    if not isinstance(primals, tuple) or not isinstance(tangents, tuple):
        raise RuntimeError("jvp(f, primals, tangents): Expected primals and tangents to be tuples")
    if len(primals) != len(tangents):
        raise RuntimeError("jvp(f, primals, tangents): Expected primals and tangents to have the same python structure")
    for p, t in zip(primals, tangents):
        if p._data.shape != t._data.shape:
            raise RuntimeError(f"jvp(f, primals, tangents): a tangent has shape {list(t._data.shape)} but its primal "
                               f"has shape {list(p._data.shape)}")
    keep = any(p.requires_grad for p in primals) or any(t.requires_grad for t in tangents)
    with enable_grad():
        ins = [_track(p) for p in primals]
        result = func(*ins)
        out, aux = _split_aux(result, has_aux, "jvp")
        outs = out if isinstance(out, tuple) else (out,)
        # double vjp: g(u) = u^T J is linear in u, so d(g . t)/du = J t
        us = [Tensor._wrap(np.zeros(o._data.shape, o._data.dtype), True) for o in outs]
        diff = [k for k, o in enumerate(outs) if o.requires_grad]
        res = [None] * len(outs)
        if diff:
            g = _grad([outs[k] for k in diff], ins, [us[k] for k in diff], create_graph=True, allow_unused=True,
                      retain_graph=True)
            pairs = [(gi, ti) for gi, ti in zip(g, tangents) if gi is not None and gi.requires_grad]
            if pairs:
                res = list(_grad([p[0] for p in pairs], us, [p[1] for p in pairs], create_graph=True,
                                 allow_unused=True, retain_graph=True))
    if strict and any(r is None for r in res):
        raise RuntimeError("jvp(f, primals, tangents, strict=True): The output of f is independent of the inputs. "
                           "This is not allowed with strict=True.")
    jv = [_out(r, keep) if r is not None else _zeros(o) for r, o in zip(res, outs)]
    jv_out = tuple(jv) if isinstance(out, tuple) else jv[0]
    value = _detach_tree(out, keep)
    if has_aux:
        return value, jv_out, _detach_tree(aux, keep)
    return value, jv_out


def jacrev(func: Callable, argnums=0, *, has_aux: bool = False, chunk_size: int | None = None,
           _preallocate_and_copy: bool = False) -> Callable:
    """The Jacobian by reverse mode: one vjp per output element; shape ``out.shape + in.shape``. An argument
    may be a tuple/list/dict of tensors (``functional_call``'s parameters): its Jacobian has that structure."""

    def wrapper(*args):
        nums = _argnums(argnums, len(args), "jacrev")
        keep = any(isinstance(a, Tensor) and a.requires_grad for a in tree_flatten(args)[0])
        with enable_grad():
            args, ins, specs = _track_args(args, nums)
            result = func(*args)
            out, aux = _split_aux(result, has_aux, "jacrev")
            outs = out if isinstance(out, tuple) else (out,)
            per_out = []
            for o in outs:
                blocks = [_out(b, keep) for b in jacobian_blocks(o, ins, create_graph=True)[0]]
                per_out.append(_regroup(blocks, specs, argnums))
        jac = tuple(per_out) if isinstance(out, tuple) else per_out[0]
        if has_aux:
            return jac, _detach_tree(aux, keep)
        return jac

    return wrapper


def jacfwd(func: Callable, argnums=0, has_aux: bool = False, *, randomness: str = "error") -> Callable:
    """The Jacobian by forward mode: one jvp per input element; shape ``out.shape + in.shape``."""

    def wrapper(*args):
        nums = _argnums(argnums, len(args), "jacfwd")
        keep = any(isinstance(a, Tensor) and a.requires_grad for a in args)
        aux_box = []

        def partial(*chosen):
            full = list(args)
            for i, c in zip(nums, chosen):
                full[i] = c
            result = func(*full)
            if has_aux:
                out, aux = _split_aux(result, True, "jacfwd")
                if not aux_box:
                    aux_box.append(aux)
                return out
            return result

        primals = tuple(args[i] for i in nums)
        cols_per_in = []
        out = None
        for p in primals:
            cols = []
            n = p._data.size
            for k in range(n):
                tangent = np.zeros(n, p._data.dtype)
                tangent[k] = 1
                tangents = tuple(Tensor._wrap(tangent.reshape(q._data.shape)) if q is p else _zeros(q) for q in primals)
                out, jv = jvp(partial, primals, tangents)
                cols.append(jv if isinstance(jv, tuple) else (jv,))
            if out is None:
                out, _ = jvp(partial, primals, tuple(_zeros(q) for q in primals))
            cols_per_in.append(cols)
        outs = out if isinstance(out, tuple) else (out,)
        per_out = []
        for j, o in enumerate(outs):
            blocks = []
            for p, cols in zip(primals, cols_per_in):
                if cols:
                    from .ops.shape import stack

                    m = stack([c[j] for c in cols], dim=-1)  # out.shape + (in numel,)
                    block = m.reshape(o._data.shape + p._data.shape)
                else:
                    block = Tensor._wrap(np.zeros(o._data.shape + p._data.shape, p._data.dtype))
                blocks.append(_out(block, keep))
            per_out.append(blocks[0] if isinstance(argnums, int) else tuple(blocks))
        jac = tuple(per_out) if isinstance(out, tuple) else per_out[0]
        if has_aux:
            return jac, _detach_tree(aux_box[0] if aux_box else None, keep)
        return jac

    return wrapper


def hessian(func: Callable, argnums=0) -> Callable:
    """The Hessian of a scalar function: ``jacfwd(jacrev(func, argnums), argnums)``, as torch.func."""
    return jacfwd(jacrev(func, argnums), argnums)
