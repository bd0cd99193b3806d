"""The ``Optimizer`` base class: parameter groups, per-parameter state, ``zero_grad`` and state dicts.

Subclasses implement ``step()``; updates run on the parameters' NumPy arrays in place, outside the
graph, so training loops stay fast and float32 parameters stay float32.
"""

from __future__ import annotations

import copy
import functools
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from ..autograd.grad_mode import enable_grad
from ..tensor import Tensor


class _RequiredParameter:
    """Marks a hyper-parameter without a default (torch's ``required``)."""

    def __repr__(self) -> str:
        return "<required parameter>"


required = _RequiredParameter()


_GLOBAL_PRE_HOOKS: dict = {}  # register_optimizer_step_pre_hook: for every optimizer
_GLOBAL_POST_HOOKS: dict = {}


def register_optimizer_step_pre_hook(hook: Callable):
    """``hook(optimizer, args, kwargs)`` before every optimizer's ``step``; it may return new ``(args, kwargs)``."""
    from ..utils.hooks import RemovableHandle

    handle = RemovableHandle(_GLOBAL_PRE_HOOKS)
    _GLOBAL_PRE_HOOKS[handle.id] = hook
    return handle


def register_optimizer_step_post_hook(hook: Callable):
    """``hook(optimizer, args, kwargs)`` after every optimizer's ``step``."""
    from ..utils.hooks import RemovableHandle

    handle = RemovableHandle(_GLOBAL_POST_HOOKS)
    _GLOBAL_POST_HOOKS[handle.id] = hook
    return handle


def _with_step_hooks(step: Callable) -> Callable:
    """A subclass's ``step`` with the step hooks around it (torch wraps every subclass's step the same way)."""

    @functools.wraps(step)
    def hooked_step(self, *args, **kwargs):
        own = self.__dict__.get("_step_hooks")
        if own is None and not _GLOBAL_PRE_HOOKS and not _GLOBAL_POST_HOOKS:
            return step(self, *args, **kwargs)
        pre, post = own if own is not None else ({}, {})
        args = (self, *args)  # (torch's hooks see the optimizer as the step's first argument too)
        for hook in [*_GLOBAL_PRE_HOOKS.values(), *pre.values()]:
            result = hook(self, args, kwargs)
            if result is not None:
                if not (isinstance(result, tuple) and len(result) == 2):
                    raise RuntimeError(f"{hook} must return None or a tuple of (new_args, new_kwargs), but got "
                                       f"{result}.")
                args, kwargs = result
        out = step(*args, **kwargs)
        for hook in [*post.values(), *_GLOBAL_POST_HOOKS.values()]:
            hook(self, args, kwargs)
        return out

    hooked_step._with_step_hooks = True  # type: ignore[attr-defined]
    return hooked_step


class Optimizer:
    """Base class of all optimizers: holds ``param_groups`` (list of dicts) and ``state`` (per parameter)."""

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        step = cls.__dict__.get("step")
        if step is not None and not getattr(step, "_with_step_hooks", False):
            cls.step = _with_step_hooks(step)  # type: ignore[method-assign]

    def register_step_pre_hook(self, hook: Callable):
        """``hook(optimizer, args, kwargs)`` before this optimizer's ``step``; it may return new
        ``(args, kwargs)``."""
        return self._add_step_hook(0, hook)

    def register_step_post_hook(self, hook: Callable):
        """``hook(optimizer, args, kwargs)`` after this optimizer's ``step``."""
        return self._add_step_hook(1, hook)

    def _add_step_hook(self, which: int, hook: Callable):
        from ..utils.hooks import RemovableHandle

        hooks = self.__dict__.setdefault("_step_hooks", ({}, {}))[which]
        handle = RemovableHandle(hooks)
        hooks[handle.id] = hook
        return handle

    # (torch's four state-dict hooks; each store is made on first use)
    def register_state_dict_pre_hook(self, hook: Callable, prepend: bool = False):
        """``hook(optimizer)`` runs before ``state_dict()`` builds its result."""
        return self._add_hook("_state_dict_pre_hooks", hook, prepend)

    def register_state_dict_post_hook(self, hook: Callable, prepend: bool = False):
        """``hook(optimizer, state_dict)`` runs on ``state_dict()``'s result; a returned dict replaces it."""
        return self._add_hook("_state_dict_post_hooks", hook, prepend)

    def register_load_state_dict_pre_hook(self, hook: Callable, prepend: bool = False):
        """``hook(optimizer, state_dict)`` runs before ``load_state_dict`` loads; a returned dict is loaded instead."""
        return self._add_hook("_load_state_dict_pre_hooks", hook, prepend)

    def register_load_state_dict_post_hook(self, hook: Callable, prepend: bool = False):
        """``hook(optimizer)`` runs after ``load_state_dict`` loaded."""
        return self._add_hook("_load_state_dict_post_hooks", hook, prepend)

    def _add_hook(self, store: str, hook: Callable, prepend: bool):
        from ..utils.hooks import RemovableHandle

        hooks = self.__dict__.setdefault(store, {})
        handle = RemovableHandle(hooks)
        if prepend:  # (the dict's order is the calling order; the handle holds this very dict)
            rest = dict(hooks)
            hooks.clear()
            hooks[handle.id] = hook
            hooks.update(rest)
        else:
            hooks[handle.id] = hook
        return handle

    def _hooks(self, store: str) -> list:
        return list(self.__dict__.get(store, {}).values())

    def __init__(self, params: Iterable[Tensor] | Iterable[dict[str, Any]], defaults: dict[str, Any]) -> None:
        self.defaults = defaults
        self.state: defaultdict[Tensor, dict[str, Any]] = defaultdict(dict)
        self.param_groups: list[dict[str, Any]] = []
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of Tensors or dicts, "
                            f"but got {_type_name(params)}")
        param_groups: list[Any] = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for group in param_groups:
            self.add_param_group(group)

    # -- groups -------------------------------------------------------------------------------------
    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters with its own hyper-parameters (missing ones come from ``defaults``)."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group).__name__}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            param_group["params"] = [params]
        elif isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, but the ordering "
                            "of tensors in sets will change between runs. Please use a list instead.")
        else:
            param_group["params"] = list(params)
        named = [p for p in param_group["params"] if isinstance(p, tuple) and len(p) == 2]
        if named and len(named) == len(param_group["params"]):  # named_parameters() was passed
            param_group["param_names"] = [name for name, _ in named]
            param_group["params"] = [p for _, p in named]
        for p in param_group["params"]:
            if not isinstance(p, Tensor):
                raise TypeError(f"optimizer can only optimize Tensors, but one of the params is {_type_name(p)}")
            if not p.is_leaf:
                raise ValueError("can't optimize a non-leaf Tensor")
        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError(f"parameter group didn't specify a value of required optimization parameter {name}")
            param_group.setdefault(name, default)
        params = param_group["params"]
        if len(params) != len({id(p) for p in params}):
            raise ValueError("optimizer contains a parameter group with duplicate parameters; in future, this will "
                             "cause an error")
        seen = {id(p) for group in self.param_groups for p in group["params"]}
        if any(id(p) in seen for p in params):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    # -- gradients ----------------------------------------------------------------------------------
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients of all parameters: to ``None`` (default, as torch) or to zeros."""
        for group in self.param_groups:
            for p in group["params"]:
                if p._grad is None:
                    continue
                if set_to_none:
                    p._grad = None
                else:
                    g = p._grad
                    if g._grad_fn is not None:
                        g.detach_()
                    else:
                        g.requires_grad = False
                    g._data[...] = 0

    def step(self, closure: Callable[[], Any] | None = None):
        """Update the parameters once; ``closure`` re-evaluates the model and returns the loss."""
        raise NotImplementedError

    def _closure_loss(self, closure):
        if closure is None:
            return None
        with enable_grad():
            return closure()

    # -- state dicts --------------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """``{'state': {index: {...}}, 'param_groups': [{..., 'params': [index, ...]}]}`` as torch's."""
        for pre_hook in self._hooks("_state_dict_pre_hooks"):
            pre_hook(self)
        index: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            ids = []
            for p in group["params"]:
                index.setdefault(id(p), len(index))
                ids.append(index[id(p)])
            packed["params"] = ids
            groups.append(packed)
        state = {index[id(p)]: v for p, v in self.state.items() if id(p) in index}
        result = {"state": state, "param_groups": groups}
        for post_hook in self._hooks("_state_dict_post_hooks"):
            replaced = post_hook(self, result)
            if replaced is not None:
                result = replaced
        return result

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore hyper-parameters and per-parameter state saved by ``state_dict()`` (ours or torch's)."""
        state_dict = state_dict.copy()
        for pre_hook in self._hooks("_load_state_dict_pre_hooks"):
            replaced = pre_hook(self, state_dict)
            if replaced is not None:
                state_dict = replaced
        state_dict = copy.deepcopy(state_dict)
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        for ours, saved in zip(self.param_groups, saved_groups):
            if len(ours["params"]) != len(saved["params"]):
                raise ValueError("loaded state dict contains a parameter group that doesn't match the size of "
                                 "optimizer's group")
        id_map = {}
        for ours, saved in zip(self.param_groups, saved_groups):
            for old, p in zip(saved["params"], ours["params"]):
                id_map[old] = p
        self.state = defaultdict(dict)
        for key, value in state_dict["state"].items():
            if key in id_map:
                p = id_map[key]
                self.state[p] = {k: _cast_state(p, k, v) for k, v in value.items()}
            else:
                self.state[key] = value
        self.param_groups = [{**saved, "params": ours["params"]} for ours, saved in zip(self.param_groups,
                                                                                         saved_groups)]
        for post_hook in self._hooks("_load_state_dict_post_hooks"):
            post_hook(self)

    def __getstate__(self) -> dict[str, Any]:
        return {"defaults": self.defaults, "state": self.state, "param_groups": self.param_groups}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)

    def __repr__(self) -> str:
        lines = [self.__class__.__name__ + " ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for key in sorted(group):
                if key != "params":
                    lines.append(f"    {key}: {group[key]}")
        lines.append(")")
        return "\n".join(lines)


_SCALAR_STATE = ("step", "mu_product")  # torch keeps these 0-d counters in float32, whatever the parameter's dtype


def _cast_state(p: Tensor, key: str, value: Any) -> Any:
    """State tensors follow the parameter's dtype, except the step counters (as torch)."""
    if isinstance(value, np.ndarray):
        value = Tensor._wrap(value)
    if isinstance(value, Tensor) and key not in _SCALAR_STATE and value.is_floating_point():
        return Tensor._wrap(np.array(value._data, dtype=p._data.dtype))
    if isinstance(value, Tensor):
        return Tensor._wrap(np.array(value._data))
    return value


def _type_name(obj: Any) -> str:
    if isinstance(obj, Tensor):
        return "chaingrad.Tensor (a single tensor; wrap it in a list: [tensor])"
    return f"{type(obj).__module__}.{type(obj).__name__}"


def _check_lr(lr: float) -> None:
    if isinstance(lr, Tensor):
        if lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        lr = lr.item()
    if not 0.0 <= lr:
        raise ValueError(f"Invalid learning rate: {lr}")


def _check_nonneg(value: float, what: str) -> None:
    if not 0.0 <= value:
        raise ValueError(f"Invalid {what} value: {value}")


def _check_betas(betas: tuple[float, float]) -> None:
    for i in (0, 1):
        if not 0.0 <= betas[i] < 1.0:
            raise ValueError(f"Invalid beta parameter at index {i}: {betas[i]}")


def lerp_(start: np.ndarray, end: np.ndarray, weight: float) -> None:
    """``start += weight * (end - start)`` in place, rounded as torch's lerp (which for weight >= 0.5
    computes ``end - (end - start) * (1 - weight)``)."""
    if weight < 0.5:
        start += weight * (end - start)
    else:
        np.subtract(end, (end - start) * (1 - weight), out=start)


def regularized(g: np.ndarray, x: np.ndarray, weight_decay: float, maximize: bool) -> np.ndarray:
    """The gradient an update follows: negated to maximize, plus ``weight_decay * x`` (L2), as torch's optimizers."""
    if maximize:
        g = -g
    if weight_decay != 0:
        g = g + weight_decay * x
    return g


def params_with_grad(group: dict[str, Any]):
    """The (parameter, its gradient array) pairs of a group whose gradient is set."""
    for p in group["params"]:
        if p._grad is not None:
            yield p, p._grad._data


def bump_version(p: Tensor) -> None:
    """An in-place update changes the parameter; autograd's saved-value checks must see that."""
    p._version[0] += 1


def zeros_state(p: Tensor) -> Tensor:
    return Tensor._wrap(np.zeros_like(p._data))


def step_tensor() -> Tensor:
    """The step counter, a float32 0-d tensor as in torch's state dicts."""
    return Tensor._wrap(np.array(0.0, dtype=np.float32))


def add_scaled(a: np.ndarray, b: np.ndarray, alpha: float) -> np.ndarray:
    """``a + alpha * b`` rounded once, as torch's ``add(b, alpha=...)`` computes it (a fused multiply-add on
    float32; the exact float32 product plus ``a`` in float64, rounded back, gives the same number)."""
    if a.dtype == np.float32:
        a64 = a.astype(np.float64)
        a64 += np.float64(np.float32(alpha)) * b.astype(np.float64)
        return a64.astype(np.float32)
    return a + alpha * b


def add_scaled_(a: np.ndarray, b: np.ndarray, alpha: float) -> None:
    """``a += alpha * b`` in place, rounded as torch's ``add_(b, alpha=...)``."""
    a[...] = add_scaled(a, b, alpha)
