"""nn.Module: the base class of layers and models, with torch's registration and traversal (state dicts:
state_dict.py).

Assigning a ``Parameter`` or a ``Module`` to an attribute registers it (``self.fc = nn.Linear(2, 3)``);
``parameters()``, ``state_dict()``, ``train()``/``eval()`` and ``repr`` then walk the registered tree
in the order things were assigned, as torch does, so state-dict keys and printed models match torch's.
"""

from __future__ import annotations

import warnings
from collections import namedtuple
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from .._device import check_device
from .._dtype import to_dtype
from ..ops.convert import parse_to_args
from ..tensor import Tensor
from ..utils.hooks import RemovableHandle
from .parameter import Buffer, Parameter, data_of, is_lazy
from .state_dict import StateDictMixin


class _IncompatibleKeys(namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    """What ``load_state_dict`` returns: the keys it missed and the keys it did not expect."""

    def __repr__(self) -> str:
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return super().__repr__()

    __str__ = __repr__


def _addindent(text: str, spaces: int) -> str:
    """Indent every line but the first (how torch nests child reprs)."""
    lines = text.split("\n")
    if len(lines) == 1:
        return text
    pad = " " * spaces
    return lines[0] + "\n" + "\n".join(pad + line for line in lines[1:])


def _typename(value: Any) -> str:
    if isinstance(value, Tensor):
        return "chaingrad.nn.Parameter" if isinstance(value, Parameter) else "chaingrad.Tensor"
    module = type(value).__module__
    name = type(value).__qualname__
    return name if module == "builtins" else f"{module}.{name}"


class Module(StateDictMixin):
    """Base class of every layer and model: subclass it, assign layers in ``__init__``, write ``forward``."""

    training: bool
    dump_patches: bool = False
    _version: int = 1

    def __init__(self, *args, **kwargs) -> None:
        if args or kwargs:
            raise TypeError(f"{type(self).__name__}.__init__() got unexpected arguments: Module.__init__ takes "
                            "no arguments (call super().__init__() first in your __init__)")
        d = self.__dict__
        d["training"] = True
        d["_parameters"] = {}
        d["_buffers"] = {}
        d["_non_persistent_buffers_set"] = set()
        d["_modules"] = {}
        d["_forward_hooks"] = {}
        d["_forward_pre_hooks"] = {}

    def forward(self, *input):
        raise NotImplementedError(f'Module [{type(self).__name__}] is missing the required "forward" function')

    # -- calling ------------------------------------------------------------------------------------------
    def __call__(self, *args, **kwargs):
        d = self.__dict__
        if self._forward_pre_hooks:
            args, kwargs = self._run_forward_pre_hooks(args, kwargs)
        forward = d.get("_compiled_forward") or self.forward
        backward_hooks = d.get("_backward_hooks") or d.get("_backward_pre_hooks")
        if not self._forward_hooks and not backward_hooks:
            return forward(*args, **kwargs)
        called: set = set()  # the forward hooks that ran (those with always_call=True run once, whatever happens)

        def finish(args, kwargs, out):
            return self._run_forward_hooks(args, kwargs, out, called)

        try:
            if backward_hooks:
                from . import backward_hooks as hooks

                return hooks.call(self, forward, args, kwargs, finish)
            return finish(args, kwargs, forward(*args, **kwargs))
        except Exception:
            if d.get("_forward_hooks_always_called"):
                self._run_always_called_hooks(args, kwargs, called)
            raise

    def _run_forward_pre_hooks(self, args: tuple, kwargs: dict) -> tuple[tuple, dict]:
        with_kwargs = self.__dict__.get("_forward_pre_hooks_with_kwargs", ())
        for hook_id, hook in list(self._forward_pre_hooks.items()):
            if hook_id in with_kwargs:
                result = hook(self, args, kwargs)
                if result is not None:
                    if not (isinstance(result, tuple) and len(result) == 2):
                        raise RuntimeError("forward pre-hook must return None or a tuple of (new_args, new_kwargs), "
                                           f"but got {result}.")
                    args, kwargs = result
            else:
                result = hook(self, args)
                if result is not None:
                    args = result if isinstance(result, tuple) else (result,)
        return args, kwargs

    def _run_forward_hooks(self, args: tuple, kwargs: dict, out, called: set):
        with_kwargs = self.__dict__.get("_forward_hooks_with_kwargs", ())
        for hook_id, hook in list(self._forward_hooks.items()):
            called.add(hook_id)
            result = hook(self, args, kwargs, out) if hook_id in with_kwargs else hook(self, args, out)
            if result is not None:
                out = result
        return out

    def _run_always_called_hooks(self, args: tuple, kwargs: dict, called: set) -> None:
        """After forward (or a hook) raised: the hooks registered with ``always_call=True`` that did not run yet
        run, with output None; what they raise in turn is a warning, and the first exception goes on."""
        always = self.__dict__.get("_forward_hooks_always_called", ())
        with_kwargs = self.__dict__.get("_forward_hooks_with_kwargs", ())
        for hook_id, hook in list(self._forward_hooks.items()):
            if hook_id in always and hook_id not in called:
                try:
                    hook(self, args, kwargs, None) if hook_id in with_kwargs else hook(self, args, None)
                except Exception as e:  # noqa: BLE001 - torch's behavior: reported, not raised over the first
                    warnings.warn("module forward hook with ``always_call=True`` raised an exception that was "
                                  f"silenced as another error was raised in forward: {e}", stacklevel=3)

    def _add_forward_hook(self, store: str, hook: Callable, prepend: bool, options: dict[str, bool]) -> RemovableHandle:
        d = self.__dict__
        extras = [d.setdefault(name, {}) for name, on in options.items() if on]
        handle = RemovableHandle(d[store], extra_dict=[d.setdefault(name, {}) for name in options])
        hooks = d[store]
        hooks[handle.id] = hook
        if prepend:  # (the dict's order is the calling order; RemovableHandle holds this very dict)
            rest = [(k, v) for k, v in hooks.items() if k != handle.id]
            hooks.clear()
            hooks[handle.id] = hook
            hooks.update(rest)
        for extra in extras:
            extra[handle.id] = True
        return handle

    def register_forward_hook(self, hook: Callable, *, prepend: bool = False, with_kwargs: bool = False,
                              always_call: bool = False) -> RemovableHandle:
        """``hook(module, args, output)`` (``with_kwargs``: ``hook(module, args, kwargs, output)``) runs after
        forward; a returned value replaces the output. ``prepend``: before the hooks already registered;
        ``always_call``: also when forward raises."""
        return self._add_forward_hook("_forward_hooks", hook, prepend, {"_forward_hooks_with_kwargs": with_kwargs,
                                      "_forward_hooks_always_called": always_call})

    def compile(self, *args, **kwargs) -> None:
        """Compile this module's forward in place (torch 2's ``Module.compile``): later calls run its replay
        (``chaingrad.compile(self.forward, *args, **kwargs)``); hooks still run around it."""
        from ..compiler.api import compile as compile_fn

        self.__dict__["_compile_args"] = (args, kwargs)
        self.__dict__["_compiled_forward"] = compile_fn(self.forward, *args, **kwargs)

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state.pop("_compiled_forward", None)  # (bound to this object: a copy compiles its own, in __setstate__)
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        if "_compile_args" in state:
            args, kwargs = state["_compile_args"]
            self.compile(*args, **kwargs)

    def register_full_backward_hook(self, hook: Callable) -> RemovableHandle:
        """``hook(module, grad_input, grad_output)`` runs when the gradients with respect to the module's tensor
        inputs are computed; a returned tuple replaces grad_input (nn/backward_hooks.py)."""
        hooks = self.__dict__.setdefault("_backward_hooks", {})
        handle = RemovableHandle(hooks)
        hooks[handle.id] = hook
        return handle

    def register_full_backward_pre_hook(self, hook: Callable) -> RemovableHandle:
        """``hook(module, grad_output)`` runs when the gradients with respect to the module's outputs are
        computed, before the module's own backward; a returned tuple replaces grad_output."""
        hooks = self.__dict__.setdefault("_backward_pre_hooks", {})
        handle = RemovableHandle(hooks)
        hooks[handle.id] = hook
        return handle

    def register_backward_hook(self, hook: Callable) -> RemovableHandle:
        raise NotImplementedError("register_backward_hook (torch's deprecated form, whose grad_input is that of the "
                                  "module's last operation only) is not implemented; use register_full_backward_hook")

    def register_forward_pre_hook(self, hook: Callable, *, prepend: bool = False,
                                  with_kwargs: bool = False) -> RemovableHandle:
        """``hook(module, args)`` runs before forward; a returned value replaces the arguments. With
        ``with_kwargs``: ``hook(module, args, kwargs)``, returning None or ``(new_args, new_kwargs)``."""
        return self._add_forward_hook("_forward_pre_hooks", hook, prepend,
                                      {"_forward_pre_hooks_with_kwargs": with_kwargs})

    # -- registration ---------------------------------------------------------------------------------------
    def __setattr__(self, name: str, value: Any) -> None:
        d = self.__dict__
        params = d.get("_parameters")
        if isinstance(value, Parameter):
            if params is None:
                raise AttributeError("cannot assign parameters before Module.__init__() call")
            _remove_from(name, d, d["_buffers"], d["_modules"], d["_non_persistent_buffers_set"])
            self.register_parameter(name, value)
        elif params is not None and name in params:
            if value is not None:
                raise TypeError(f"cannot assign '{_typename(value)}' as parameter '{name}' "
                                "(chaingrad.nn.Parameter or None expected)")
            self.register_parameter(name, value)
        elif isinstance(value, Module):
            modules = d.get("_modules")
            if modules is None:
                raise AttributeError("cannot assign module before Module.__init__() call")
            _remove_from(name, d, d["_parameters"], d["_buffers"], d["_non_persistent_buffers_set"])
            modules[name] = value
        elif d.get("_modules") is not None and name in d["_modules"]:
            if value is not None:
                raise TypeError(f"cannot assign '{_typename(value)}' as child module '{name}' "
                                "(chaingrad.nn.Module or None expected)")
            d["_modules"][name] = None
        elif isinstance(value, Buffer):
            self.register_buffer(name, value, value.persistent)
        elif d.get("_buffers") is not None and name in d["_buffers"]:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"cannot assign '{_typename(value)}' as buffer '{name}' "
                                "(chaingrad.Tensor or None expected)")
            d["_buffers"][name] = value
        else:
            object.__setattr__(self, name, value)

    def __getattr__(self, name: str) -> Any:
        d = self.__dict__
        for store in ("_parameters", "_buffers", "_modules"):
            s = d.get(store)
            if s is not None and name in s:
                return s[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name: str) -> None:
        d = self.__dict__
        if name in d.get("_parameters", ()):
            del d["_parameters"][name]
        elif name in d.get("_buffers", ()):
            del d["_buffers"][name]
            d["_non_persistent_buffers_set"].discard(name)
        elif name in d.get("_modules", ()):
            del d["_modules"][name]
        else:
            object.__delattr__(self, name)

    def __dir__(self):
        extra = list(self._parameters) + list(self._buffers) + list(self._modules)
        return sorted(set(list(super().__dir__()) + extra))

    def _check_name(self, name, kind: str) -> None:
        if "_parameters" not in self.__dict__:
            raise AttributeError(f"cannot assign {kind} before Module.__init__() call")
        if not isinstance(name, str):
            raise TypeError(f"{kind} name should be a string. Got {type(name).__name__}")
        if "." in name:
            raise KeyError(f'{kind} name can\'t contain ".", got: {name}')
        if name == "":
            raise KeyError(f'{kind} name can\'t be empty string ""')

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Add a parameter (or a None placeholder, e.g. ``bias=False``) under ``name``."""
        self._check_name(name, "parameter")
        if hasattr(self, name) and name not in self._parameters:
            raise KeyError(f"attribute '{name}' already exists")
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"cannot assign '{_typename(param)}' object to parameter '{name}' "
                            "(chaingrad.nn.Parameter or None required)")
        if param is not None and param._grad_fn is not None:
            raise ValueError(f"Cannot assign non-leaf Tensor to parameter '{name}'. Model parameters must be "
                             "created explicitly. To express '{name}' as a function of another Tensor, compute "
                             "the value in the forward() method.")
        self._parameters[name] = param

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """Add a tensor that is state but not a parameter (running means ...); persistent ones are saved."""
        self._check_name(name, "buffer")
        if hasattr(self, name) and name not in self._buffers:
            raise KeyError(f"attribute '{name}' already exists")
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"cannot assign '{_typename(tensor)}' object to buffer '{name}' "
                            "(chaingrad Tensor or None required)")
        if isinstance(tensor, Buffer):
            tensor = Tensor._wrap(tensor._data)
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers_set.discard(name)
        else:
            self._non_persistent_buffers_set.add(name)

    def add_module(self, name: str, module: Module | None) -> None:
        """Add a child module under ``name`` (what ``self.name = module`` does)."""
        if not isinstance(module, Module) and module is not None:
            raise TypeError(f"{_typename(module)} is not a Module subclass")
        self._check_name(name, "module")
        if hasattr(self, name) and name not in self._modules:
            raise KeyError(f"attribute '{name}' already exists")
        self._modules[name] = module

    register_module = add_module

    def get_submodule(self, target: str) -> Module:
        """The module at a dotted path such as ``"features.0"``."""
        mod = self
        for item in target.split(".") if target else []:
            if not hasattr(mod, item):
                raise AttributeError(f"{mod._get_name()} has no attribute `{item}`")
            mod = getattr(mod, item)
            if not isinstance(mod, Module):
                raise AttributeError(f"`{item}` is not an nn.Module")
        return mod

    def set_submodule(self, target: str, module: Module, strict: bool = False) -> None:
        """Put ``module`` at a dotted path: replacing the submodule there, or (unless ``strict``) adding it to an
        existing parent."""
        if target == "":
            raise ValueError("Cannot set the submodule without a target name!")
        if not isinstance(module, Module):
            raise ValueError(f"`module` is not an nn.Module, found {type(module)}")
        parent_path, _, name = target.rpartition(".")
        parent = self.get_submodule(parent_path)
        if strict and not hasattr(parent, name):
            raise AttributeError(f"{parent._get_name()} has no attribute `{name}`")
        if hasattr(parent, name) and not isinstance(getattr(parent, name), Module):
            raise AttributeError(f"`{name}` is not an nn.Module")
        setattr(parent, name, module)

    def get_parameter(self, target: str) -> Parameter:
        module_path, _, name = target.rpartition(".")
        mod = self.get_submodule(module_path)
        if name not in mod._parameters:
            raise AttributeError(f"{mod._get_name()} has no parameter `{name}`")
        return mod._parameters[name]

    def get_buffer(self, target: str) -> Tensor:
        module_path, _, name = target.rpartition(".")
        mod = self.get_submodule(module_path)
        if name not in mod._buffers:
            raise AttributeError(f"{mod._get_name()} has no buffer `{name}`")
        return mod._buffers[name]

    # -- traversal --------------------------------------------------------------------------------------------
    def named_modules(self, memo: set | None = None, prefix: str = "",
                      remove_duplicate: bool = True) -> Iterator[tuple[str, Module]]:
        """(dotted name, module) for this module and every descendant, depth first."""
        if memo is None:
            memo = set()
        if remove_duplicate:
            if self in memo:
                return
            memo.add(self)
        yield prefix, self
        for name, module in self._modules.items():
            if module is None:
                continue
            sub = prefix + ("." if prefix else "") + name
            yield from module.named_modules(memo, sub, remove_duplicate)

    def modules(self) -> Iterator[Module]:
        for _, m in self.named_modules():
            yield m

    def named_children(self) -> Iterator[tuple[str, Module]]:
        seen = set()
        for name, module in self._modules.items():
            if module is not None and module not in seen:
                seen.add(module)
                yield name, module

    def children(self) -> Iterator[Module]:
        for _, m in self.named_children():
            yield m

    def _named_members(self, store: str, prefix: str, recurse: bool, remove_duplicate: bool = True):
        seen = set()
        modules = self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate) if recurse else [
            (prefix, self)]
        for module_prefix, module in modules:
            for name, value in module.__dict__[store].items():
                if value is None or (remove_duplicate and id(value) in seen):
                    continue
                if remove_duplicate:
                    seen.add(id(value))
                yield module_prefix + ("." if module_prefix else "") + name, value

    def named_parameters(self, prefix: str = "", recurse: bool = True,
                         remove_duplicate: bool = True) -> Iterator[tuple[str, Parameter]]:
        """(dotted name, parameter) in registration order, each shared parameter once."""
        yield from self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix: str = "", recurse: bool = True,
                      remove_duplicate: bool = True) -> Iterator[tuple[str, Tensor]]:
        yield from self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    def apply(self, fn: Callable[[Module], None]) -> Module:
        """Call ``fn`` on every submodule (children first) and on this module; returns self."""
        for module in self.children():
            module.apply(fn)
        fn(self)
        return self

    # -- modes and gradients ------------------------------------------------------------------------------
    def train(self, mode: bool = True) -> Module:
        """Set training mode here and in every submodule (Dropout and BatchNorm behave differently)."""
        if not isinstance(mode, bool):
            raise ValueError("training mode is expected to be boolean")
        self.training = mode
        for module in self.children():
            module.train(mode)
        return self

    def eval(self) -> Module:
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear every parameter's ``.grad`` (to None by default, as torch 2.x)."""
        for p in self.parameters():
            if p.grad is None:
                continue
            if set_to_none:
                p.grad = None
            else:
                g = p.grad
                if g._grad_fn is not None:
                    g.detach_()
                else:
                    g.requires_grad_(False)
                g._data.fill(0)

    # -- dtype conversion -----------------------------------------------------------------------------------
    def _apply(self, fn: Callable[[np.ndarray], np.ndarray], recurse: bool = True) -> Module:
        if recurse:
            for module in self.children():
                module._apply(fn)
        for p in self._parameters.values():
            if p is None:
                continue
            p._data = fn(data_of(p))
            if p._grad is not None:
                p._grad = Tensor._wrap(fn(p._grad._data))
        for name, b in self._buffers.items():
            if is_lazy(b):  # a lazy layer's buffer keeps its kind, with the new dtype, until it has a shape
                b._data = fn(data_of(b))
            elif b is not None:
                self._buffers[name] = Tensor._wrap(fn(b._data))
        return self

    def to(self, *args, **kwargs) -> Module:
        """``model.to(device)``, ``model.to(chaingrad.float64)``, ``model.to(device, dtype)``, ``model.to(tensor)``:
        converts floating parameters and buffers in place and returns the model; devices other than the CPU
        are refused."""
        if "copy" in kwargs:
            raise RuntimeError(".to() does not accept copy argument")
        d = parse_to_args(args, kwargs, "Module").dtype
        if d is None:
            return self
        if not d.is_floating_point:
            raise TypeError(f"nn.Module.to only accepts floating point or complex dtypes, but got desired dtype={d}")
        return self._apply(lambda a: a.astype(d.np) if a.dtype.kind == "f" else a)

    def float(self) -> Module:
        return self._apply(lambda a: a.astype(np.float32) if a.dtype.kind == "f" else a)

    def double(self) -> Module:
        return self._apply(lambda a: a.astype(np.float64) if a.dtype.kind == "f" else a)

    def half(self) -> Module:
        return self._apply(lambda a: a.astype(np.float16) if a.dtype.kind == "f" else a)

    def type(self, dst_type) -> Module:
        """Convert every parameter and buffer to ``dst_type`` (a dtype, or a legacy type such as DoubleTensor)."""
        from ..ops.legacy import legacy_dtype

        d = legacy_dtype(dst_type) or to_dtype(dst_type)
        return self._apply(lambda a: a.astype(d.np))

    def to_empty(self, *, device, recurse: bool = True) -> Module:
        """Parameters and buffers replaced by uninitialized ones of the same shapes and dtypes on ``device`` (the
        CPU: anything else is refused); ``recurse=False``: this module's own only."""
        check_device(device, "Module.to_empty()", use="move")
        return self._apply(np.empty_like, recurse=recurse)

    def cpu(self) -> Module:
        return self

    def cuda(self, device=None) -> Module:
        """Refused with what to do instead: chaingrad computes on the CPU."""
        check_device("cuda", "Module.cuda()", use="move")  # always raises: there is no CUDA device
        return self

    def share_memory(self) -> Module:
        return self

    # -- printing -------------------------------------------------------------------------------------------
    def _get_name(self) -> str:
        return type(self).__name__

    def extra_repr(self) -> str:
        """The text inside the parentheses of this module's repr (override in layers)."""
        return ""

    def __repr__(self) -> str:
        extra = self.extra_repr()
        extra_lines = extra.split("\n") if extra else []
        child_lines = [f"({name}): " + _addindent(repr(module), 2) for name, module in self._modules.items()]
        lines = extra_lines + child_lines
        text = self._get_name() + "("
        if lines:
            if len(extra_lines) == 1 and not child_lines:
                text += extra_lines[0]
            else:
                text += "\n  " + "\n  ".join(lines) + "\n"
        return text + ")"


def _remove_from(name: str, *stores) -> None:
    for store in stores:
        if isinstance(store, set):
            store.discard(name)
        elif name in store:
            del store[name]
