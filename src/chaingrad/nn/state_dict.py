"""Module state dicts as torch makes and loads them: the walk, its overridable steps and its hooks.

``state_dict()`` visits the module tree: each module runs its state-dict pre-hooks, writes its own
parameters, persistent buffers and extra state (``_save_to_state_dict``; ``get_extra_state`` where a class
defines it), then its children's, then its post-hooks. The result is an OrderedDict whose ``_metadata``
holds each module's ``_version`` (what torch's files carry, so that ``_load_from_state_dict`` overrides can
upgrade old checkpoints). ``load_state_dict`` walks the same tree, giving each module the entries under its
prefix (``_load_from_state_dict``, with torch's signature, so subclasses can override it as they do in torch),
then runs each module's load post-hooks with the keys missed and not expected so far.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from ..autograd.grad_mode import no_grad
from ..tensor import Size, Tensor
from ..utils.hooks import RemovableHandle
from .parameter import Parameter, is_lazy


def _add_hook(module, store: str, hook: Any) -> RemovableHandle:
    hooks = module.__dict__.setdefault(store, {})  # (made on first use: most modules have none)
    handle = RemovableHandle(hooks)
    hooks[handle.id] = hook
    return handle


def _hooks(module, store: str) -> list:
    return list(module.__dict__.get(store, {}).values())


class StateDictMixin:
    """The state-dict part of ``nn.Module`` (see the module docstring)."""

    _version: int
    _parameters: dict
    _buffers: dict
    _modules: dict
    _non_persistent_buffers_set: set

    # -- extra state ----------------------------------------------------------------------------------------
    def get_extra_state(self) -> Any:
        """Override (with ``set_extra_state``) to save more than parameters and buffers under ``_extra_state``."""
        raise RuntimeError("Reached a code path in Module.get_extra_state() that should never be called. Please "
                           "file an issue at https://github.com/pytorch/pytorch/issues/new?template=bug-report.yml "
                           "to report this bug.")

    def set_extra_state(self, state: Any) -> None:
        """Override (with ``get_extra_state``) to load what ``get_extra_state`` saved."""
        raise RuntimeError("Reached a code path in Module.set_extra_state() that should never be called. Please "
                           "file an issue at https://github.com/pytorch/pytorch/issues/new?template=bug-report.yml "
                           "to report this bug.")

    def _has_extra_state(self, method: str) -> bool:
        return getattr(type(self), method) is not getattr(StateDictMixin, method)

    # -- hooks ----------------------------------------------------------------------------------------------
    def register_state_dict_pre_hook(self, hook: Callable) -> RemovableHandle:
        """``hook(module, prefix, keep_vars)`` runs before the module's entries are written."""
        return _add_hook(self, "_state_dict_pre_hooks", hook)

    def register_state_dict_post_hook(self, hook: Callable) -> RemovableHandle:
        """``hook(module, state_dict, prefix, local_metadata)`` runs after the module's and its children's entries
        are written; it may change ``state_dict`` in place and must return None."""
        hook._from_public_api = True  # type: ignore[attr-defined]
        return _add_hook(self, "_state_dict_hooks", hook)

    def _register_state_dict_hook(self, hook: Callable) -> RemovableHandle:
        """torch's older form of the post-hook, which may return a state dict to use instead."""
        if getattr(hook, "_from_public_api", False):
            raise RuntimeError("Cannot register the same function as the state dict post hook that was previously "
                               "registered via register_state_dict_post_hook")
        return _add_hook(self, "_state_dict_hooks", hook)

    def register_load_state_dict_pre_hook(self, hook: Callable) -> RemovableHandle:
        """``hook(module, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs)``
        runs before the module loads its entries."""
        return _add_hook(self, "_load_state_dict_pre_hooks", (hook, True))

    def _register_load_state_dict_pre_hook(self, hook: Callable, with_module: bool = False) -> RemovableHandle:
        """The same, called without the module unless ``with_module``."""
        return _add_hook(self, "_load_state_dict_pre_hooks", (hook, with_module))

    def register_load_state_dict_post_hook(self, hook: Callable) -> RemovableHandle:
        """``hook(module, incompatible_keys)`` runs after the module and its children loaded; it may change the
        missing and unexpected key lists in place."""
        return _add_hook(self, "_load_state_dict_post_hooks", hook)

    # -- saving ---------------------------------------------------------------------------------------------
    def _save_to_state_dict(self, destination: dict, prefix: str, keep_vars: bool) -> None:
        """This module's own entries: parameters, persistent buffers, and its extra state if it has one."""
        for name, p in self._parameters.items():  # an uninitialized one is saved as itself (no data to detach)
            if p is not None:
                destination[prefix + name] = p if keep_vars or is_lazy(p) else p.detach()
        for name, b in self._buffers.items():
            if b is not None and name not in self._non_persistent_buffers_set:
                destination[prefix + name] = b if keep_vars or is_lazy(b) else b.detach()
        if self._has_extra_state("get_extra_state"):
            destination[prefix + "_extra_state"] = self.get_extra_state()

    def state_dict(self, *args, destination=None, prefix: str = "", keep_vars: bool = False) -> dict:
        """Parameters, persistent buffers and extra state by dotted name (torch's keys, e.g. ``"0.weight"``)."""
        if args:  # torch's deprecated positional form: state_dict(destination, prefix, keep_vars)
            destination = args[0]
            prefix = args[1] if len(args) > 1 else prefix
            keep_vars = args[2] if len(args) > 2 else keep_vars
        if destination is None:
            destination = OrderedDict()
            destination._metadata = OrderedDict()
        local_metadata = {"version": self._version}
        if hasattr(destination, "_metadata"):
            destination._metadata[prefix[:-1]] = local_metadata
        for pre_hook in _hooks(self, "_state_dict_pre_hooks"):
            pre_hook(self, prefix, keep_vars)
        self._save_to_state_dict(destination, prefix, keep_vars)
        for name, module in self._modules.items():
            if module is not None:
                module.state_dict(destination=destination, prefix=prefix + name + ".", keep_vars=keep_vars)
        for hook in _hooks(self, "_state_dict_hooks"):
            result = hook(self, destination, prefix, local_metadata)
            if getattr(hook, "_from_public_api", False):
                if result is not None:
                    raise RuntimeError("state_dict post-hook must return None")
            elif result is not None:
                destination = result
        return destination

    # -- loading --------------------------------------------------------------------------------------------
    def _load_from_state_dict(self, state_dict, prefix: str, local_metadata: dict, strict: bool, missing_keys: list,
                              unexpected_keys: list, error_msgs: list) -> None:
        """Copy this module's own entries from ``state_dict`` (torch's signature: override it to upgrade or
        rename entries), noting missing and unexpected keys when ``strict``."""
        for hook, with_module in _hooks(self, "_load_state_dict_pre_hooks"):
            args = (state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs)
            hook(self, *args) if with_module else hook(*args)
        local = {name: p for name, p in self._parameters.items() if p is not None}
        local.update((name, b) for name, b in self._buffers.items()
                     if b is not None and name not in self._non_persistent_buffers_set)
        assign = local_metadata.get("assign_to_params_buffers", False)
        for name, current in local.items():
            key = prefix + name
            if key in state_dict:
                self._copy_entry(name, key, current, state_dict[key], assign, error_msgs)
            elif strict:
                missing_keys.append(key)
        extra = prefix + "_extra_state"
        if self._has_extra_state("set_extra_state"):
            if extra in state_dict:
                self.set_extra_state(state_dict[extra])
            elif strict:
                missing_keys.append(extra)
        elif strict and extra in state_dict:
            unexpected_keys.append(extra)
        if strict:
            for key in state_dict:
                if key.startswith(prefix) and key != extra:
                    first = key[len(prefix):].split(".", 1)[0]
                    if first not in self._modules and first not in local:
                        unexpected_keys.append(key)

    def _copy_entry(self, name: str, key: str, current: Tensor, value, assign: bool, error_msgs: list) -> None:
        if is_lazy(current) and is_lazy(value):  # both still without a shape: nothing to copy
            return
        try:
            array = value._data if isinstance(value, Tensor) else np.asarray(value)
        except Exception:  # noqa: BLE001 - anything that is not array-like
            array = None
        if array is None or array.dtype == object:
            error_msgs.append(f'While copying the parameter named "{key}", expected chaingrad.Tensor or '
                              f"Tensor-like object from checkpoint but received {type(value)}")
            return
        if array.shape != current._data.shape:
            error_msgs.append(f"size mismatch for {key}: copying a param with shape {Size(array.shape)} from "
                              f"checkpoint, the shape in current model is {current.shape}.")
            return
        with no_grad():
            if assign:
                if isinstance(current, Parameter):
                    self._parameters[name] = Parameter(Tensor._wrap(np.array(array)), current.requires_grad)
                else:
                    self._buffers[name] = Tensor._wrap(np.array(array))
            else:
                np.copyto(current._data, array, casting="unsafe")
                current._version[0] += 1

    def load_state_dict(self, state_dict: Mapping, strict: bool = True, assign: bool = False):
        """Copy values (chaingrad tensors, NumPy arrays, or anything array-like) into parameters and buffers.

        With ``strict=True`` missing and unexpected keys are errors; shape mismatches always are.
        """
        from .module import _IncompatibleKeys

        if not isinstance(state_dict, Mapping):
            raise TypeError(f"Expected state_dict to be dict-like, got {type(state_dict)}.")
        missing: list[str] = []
        unexpected: list[str] = []
        errors: list[str] = []
        metadata = getattr(state_dict, "_metadata", None)
        state_dict = OrderedDict(state_dict)  # (a copy: load pre-hooks may change it)

        def load(module, local_state: Mapping, prefix: str = "") -> None:
            local_metadata = {} if metadata is None else dict(metadata.get(prefix[:-1], {}))
            if assign:
                local_metadata["assign_to_params_buffers"] = assign
            module._load_from_state_dict(local_state, prefix, local_metadata, True, missing, unexpected, errors)
            for name, child in module._modules.items():
                if child is not None:
                    child_prefix = prefix + name + "."
                    load(child, {k: v for k, v in local_state.items() if k.startswith(child_prefix)}, child_prefix)
            keys = _IncompatibleKeys(missing, unexpected)
            for hook in _hooks(module, "_load_state_dict_post_hooks"):
                if hook(module, keys) is not None:
                    raise AssertionError("Hooks registered with ``register_load_state_dict_post_hook`` are not "
                                         "expected to return new values, if incompatible_keys need to be modified, "
                                         "it should be done inplace.")

        load(self, state_dict)
        if strict:
            if unexpected:
                errors.insert(0, "Unexpected key(s) in state_dict: {}. ".format(
                    ", ".join(f'"{k}"' for k in unexpected)))
            if missing:
                errors.insert(0, "Missing key(s) in state_dict: {}. ".format(", ".join(f'"{k}"' for k in missing)))
        if errors:
            raise RuntimeError("Error(s) in loading state_dict for {}:\n\t{}".format(
                type(self).__name__, "\n\t".join(errors)))
        return _IncompatibleKeys(missing, unexpected)
