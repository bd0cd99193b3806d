"""``functional_call`` and ``stack_module_state``: a module run with parameters given as arguments.

``functional_call(model, params, x)`` puts the tensors of ``params`` (a dict keyed like
``named_parameters()``) in place of the module's own for one call and puts the originals back after, so
``grad`` and ``vmap`` can treat the parameters as inputs (per-example gradients, model ensembles).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .tensor import Tensor

__all__ = ["functional_call", "stack_module_state"]

_MISSING: Any = object()


def _owner(module, path: str):
    """The submodule holding ``path``'s last name, and that name."""
    prefix, _, attr = path.rpartition(".")
    owner = module
    for part in prefix.split(".") if prefix else []:
        try:
            owner = getattr(owner, part)
        except AttributeError as ex:
            raise AttributeError(f"{owner._get_name()} has no attribute `{part}`") from ex
        from .nn.module import Module

        if not isinstance(owner, Module):
            raise TypeError(f"submodule `{prefix}`: {owner} is not an instance of chaingrad.nn.Module")
    return owner, attr


def _swap(module, path: str, tensor) -> Any:
    """Put ``tensor`` at ``path`` (_MISSING: remove it) and return what was there (torch's ``swap_tensor``)."""
    if tensor is not _MISSING and tensor is not None and not isinstance(tensor, Tensor):
        raise TypeError(f"{tensor} is not an instance of chaingrad.Tensor")
    owner, name = _owner(module, path)
    for store in (owner._parameters, owner._buffers):
        if name in store:
            orig = store[name]
            if tensor is _MISSING:
                del store[name]
            else:
                store[name] = tensor  # (a plain tensor may stand in for a Parameter here)
            return orig
    orig = getattr(owner, name) if hasattr(owner, name) else _MISSING
    if orig is not _MISSING and orig is not None and not isinstance(orig, Tensor):
        raise TypeError(f"attribute `{name}`: {orig} is not an instance of chaingrad.Tensor")
    if tensor is not _MISSING:
        setattr(owner, name, tensor)
    elif hasattr(owner, name):
        delattr(owner, name)
    return orig


def _untie(module, given: dict) -> dict:
    """Give every name of a tied tensor the value given for one of them (torch's ``_untie_named_tensors_map``)."""
    names_of: dict[int, set[str]] = {}
    for name, t in [*module.named_parameters(remove_duplicate=False), *module.named_buffers(remove_duplicate=False)]:
        names_of.setdefault(id(t), set()).add(name)
    tied = {name: names for names in names_of.values() if len(names) > 1 for name in names}
    out = dict(given)
    for name in [n for n in given if n in tied]:
        values = {id(given[n]) for n in tied[name] if n in given}
        if len(values) > 1:
            raise ValueError(f"functional_call got multiple values for keys {sorted(tied[name])}, which are tied. "
                             "Consider using tie_weights=False")
        for other in tied[name]:
            out[other] = given[name]
    return out


def _merge(dicts) -> dict:
    if isinstance(dicts, dict):
        return dicts
    if isinstance(dicts, Sequence) and not isinstance(dicts, str):
        if not all(isinstance(d, dict) for d in dicts):
            raise ValueError("Expected all elements of parameter_and_buffer_dicts to be dictionaries")
        counts: dict[str, int] = {}
        for d in dicts:
            for k in d:
                counts[k] = counts.get(k, 0) + 1
        repeated = [k for k, n in counts.items() if n > 1]
        if repeated:
            raise ValueError(f"{repeated} appeared in multiple dictionaries; behavior of functional call is ambiguous")
        return {k: v for d in dicts for k, v in d.items()}
    raise ValueError("Expected parameter_and_buffer_dicts to be a dict, or a list/tuple of dicts, but got "
                     f"{type(dicts)}")


def functional_call(module, parameter_and_buffer_dicts, args: Any = None, kwargs: dict | None = None, *,
                    tie_weights: bool = True, strict: bool = False) -> Any:
    """``module(*args, **kwargs)`` with the parameters and buffers named in ``parameter_and_buffer_dicts`` (a dict,
    or a tuple of dicts with distinct keys) standing in for the module's own during the call.

    ``args`` that is not a tuple is one argument. ``tie_weights``: a value given for one of several names of
    one tensor (tied weights) is used for all of them. ``strict``: the names must be exactly the module's.
    In-place changes the module makes to a given tensor land in that tensor, and a tensor the module assigns
    in place of a given one is put in the given dict; the module's own are untouched.
    """
    given = _merge(parameter_and_buffer_dicts)
    values = _untie(module, given) if tie_weights else given
    if strict:
        valid = {n for n, _ in [*module.named_parameters(remove_duplicate=False),
                                *module.named_buffers(remove_duplicate=False)]}
        missing, unexpected = sorted(valid - set(values)), sorted(set(values) - valid)
        msgs = []
        if unexpected:
            msgs.append(f"Unexpected key(s): {', '.join(map(repr, unexpected))}.")
        if missing:
            msgs.append(f"Missing key(s): {', '.join(map(repr, missing))}.")
        if msgs:
            joined = "\n\t".join(msgs)
            raise RuntimeError(f"Error(s) in reparametrizing for {module._get_name()}:\n\t{joined}")
    if kwargs is None:
        kwargs = {}
    if args is None:
        args = ()
    elif not isinstance(args, tuple):
        args = (args,)
    originals: dict[str, Any] = {}
    try:
        for name, t in values.items():
            originals[name] = _swap(module, name, t)
        return module(*args, **kwargs)
    finally:
        after = {name: _swap(module, name, orig) for name, orig in reversed(list(originals.items()))}
        given.update({k: after[k] for k in given if k in after})  # (what the module assigned during the call)


def stack_module_state(models) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(params, buffers)``: each parameter and buffer of ``models`` (same class, same mode) stacked along a new
    first dimension, as new leaves, ready for ``vmap(functional_call ...)`` over an ensemble."""
    from .ops.shape import stack

    if len(models) == 0:
        raise RuntimeError("stack_module_state: Expected at least one model, got 0.")
    if not (all(m.training for m in models) or all(not m.training for m in models)):
        raise RuntimeError("stack_module_state: Expected all models to have the same training/eval mode.")
    if not all(type(m) is type(models[0]) for m in models):
        raise RuntimeError("stack_module_state: Expected all models to be of the same class.")

    def stacked(tensors: list, name: str) -> Tensor:
        needs = [t.requires_grad for t in tensors]
        if any(needs) and not all(needs):
            raise RuntimeError(f"Expected {name} from each model to have the same .requires_grad")
        result = stack(tensors)
        return result.detach().requires_grad_() if all(needs) else result

    all_params = [dict(m.named_parameters()) for m in models]
    params = {k: stacked([p[k] for p in all_params], k) for k in all_params[0]}
    all_buffers = [dict(m.named_buffers()) for m in models]
    buffers = {k: stacked([b[k] for b in all_buffers], k) for k in all_buffers[0]}
    return params, buffers
