"""``chaingrad.compile``: trace a function once, replay it as straight-line NumPy code you can read (``.code``).

The first call of a compiled function runs it eagerly while ``Tracer`` writes down every op's forward, the
backward walk's steps and the in-place updates (tracer.py); codegen.py turns that into the source of a
Python function, which is compiled and called from then on. The replay calls each op's own ``forward`` and
``backward`` on arrays, in eager's order: its results are eager's, bit for bit.

Each variant of the trace is kept with its guards (guards.py): the arguments' shapes, dtypes and
requires_grad, the grad mode, the objects the function reaches by name (its globals and closure) and the
Python numbers among them, each module's training flag, hyper-parameters and parameters. A call that
passes no variant's guards traces again (up to ``CACHE_LIMIT`` variants, then eager, with a warning).
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from ..tensor import Tensor
from . import guards, hooks
from .breaks import CompileError, GraphBreak
from .codegen import render
from .layout import batch_last
from .optimize import optimize
from .tracer import Tracer

__all__ = ["CACHE_LIMIT", "CompileError", "CompiledFunction", "compile", "is_compiling"]  # (and OptimizedModule)

#: variants kept per compiled function (torch's ``cache_size_limit``)
CACHE_LIMIT = 8
_MODES = (None, "default")


def is_compiling() -> bool:
    """True while chaingrad.compile traces a function (``torch.compiler.is_compiling``)."""
    return hooks.TRACER is not None


def compile(model_or_fn: Callable | None = None, *, fullgraph: bool = False, dynamic: bool | None = None,
            backend: str | Callable | None = None, mode: str | None = None, options: dict | None = None,
            disable: bool = False):
    """Compile a function or an ``nn.Module`` (torch.compile's signature); usable as ``@compile`` and
    ``@compile(...)``. See docs/compile.md."""
    if model_or_fn is None:
        return lambda f: compile(f, fullgraph=fullgraph, dynamic=dynamic, backend=backend, mode=mode,
                                 options=options, disable=disable)
    if backend not in (None, "inductor", "chaingrad", "numpy", "numba"):
        raise NotImplementedError(f"chaingrad.compile: backend={backend!r} is not available; the backends are None "
                                  "(the default: NumPy code, bit for bit eager's) and 'numba' (the array arithmetic "
                                  "fused into numba functions, see docs/compile.md)")
    if backend == "numba":
        from .numba_backend import load_numba

        load_numba()
    if mode not in _MODES:
        raise NotImplementedError(f"chaingrad.compile: mode={mode!r} is not supported (only the default mode: the "
                                  "replay is the same NumPy code whatever the mode)")
    if options:
        raise NotImplementedError(f"chaingrad.compile: options={options!r} are not supported")
    if dynamic:
        raise NotImplementedError("chaingrad.compile(dynamic=True) is not supported: each input shape gets its "
                                  "own trace (dynamic=None or False)")
    from ..nn.module import Module

    fused = backend == "numba"
    if isinstance(model_or_fn, Module):
        return _optimized_module()(model_or_fn, fullgraph=fullgraph, disable=disable, fused=fused)
    if not callable(model_or_fn):
        raise TypeError(f"chaingrad.compile expects a function or an nn.Module, got {type(model_or_fn).__name__}")
    return CompiledFunction(model_or_fn, fullgraph=fullgraph, disable=disable, fused=fused)


_OPTIMIZED: list = []


def _optimized_module():
    if not _OPTIMIZED:
        _OPTIMIZED.append(_optimized_module_class())
    return _OPTIMIZED[0]


def __getattr__(name: str):
    if name == "OptimizedModule":
        return _optimized_module()
    raise AttributeError(name)


# Speed: os.environ.get encodes the key and decodes the value on every call (0.65 µs, a twentieth of the seed's
# compiled step); os.environ keeps its entries in this dict (setting os.environ[...] updates it), so an absent
# variable is seen there directly, and only a set one is read through os.environ. Tested: test_disable_and_env.
_ENV_DATA = getattr(os.environ, "_data", None)
_ENV_KEY = os.environ.encodekey("CHAINGRAD_COMPILE") if hasattr(os.environ, "encodekey") else None


def _disabled_by_env() -> bool:
    if _ENV_DATA is not None and _ENV_KEY not in _ENV_DATA:
        return False
    return os.environ.get("CHAINGRAD_COMPILE", "1").strip().lower() in ("0", "false", "no", "off")


class Variant:
    """One trace, generated and compiled: ``run`` replays it for a call with the same guard key."""

    def __init__(self, source: str, namespace: dict, arg_paths: list, label: str) -> None:
        self.code = source
        self.namespace = dict(namespace)
        exec(builtins_compile(source, f"<chaingrad.compile {label}>", "exec"), self.namespace)
        self.fn = self.namespace["replay"]
        self.arg_paths = arg_paths

    def run(self, leaves: dict):
        return self.fn(*[leaves[p] for p in self.arg_paths])


builtins_compile = __builtins__["compile"] if isinstance(__builtins__, dict) else __builtins__.compile


class _Eager:
    """A cache entry that runs the function eagerly (its trace could not be replayed), with the reason."""

    def __init__(self, reason: str) -> None:
        self.reason = reason


class CompiledFunction:
    """What ``chaingrad.compile(fn)`` returns: call it as ``fn``; ``.code`` is the source of its last trace."""

    def __init__(self, fn: Callable, *, fullgraph: bool = False, disable: bool = False, label: str = "",
                 fused: bool = False) -> None:
        self._fn = fn
        self.fullgraph, self.disable = fullgraph, disable
        self.fused = fused  # backend="numba": the array arithmetic fused into numba functions (numba_backend.py)
        self.label = label or getattr(fn, "__qualname__", type(fn).__name__)
        self._cache: list = []  # (guard check, Variant or _Eager), tried in order
        self._last: Variant | None = None
        self._eager_reason: str | None = None
        self._warned: set = set()
        self.__wrapped__ = fn
        self.__doc__ = getattr(fn, "__doc__", None)
        self.__name__ = getattr(fn, "__name__", self.label)

    # -- what a reader gets ------------------------------------------------------------------------------
    @property
    def code(self) -> str:
        """The generated Python source of the last trace (call the function once first)."""
        if self._last is None:
            reason = self._eager_reason or "it has not been called yet (the first call traces it)"
            raise RuntimeError(f"{self.label}: no compiled code: {reason}")
        return self._last.code

    @property
    def variants(self) -> int:
        return len(self._cache)

    # -- calling ---------------------------------------------------------------------------------------------
    def __call__(self, *args, **kwargs):
        if self.disable or (_ENV_DATA is None or _ENV_KEY in _ENV_DATA) and _disabled_by_env() or \
                hooks.TRACER is not None or self._eager_reason is not None:
            return self._fn(*args, **kwargs)  # (a compiled function called while tracing another is traced inline)
        for check, entry in self._cache:
            tensors = check(args, kwargs)
            if tensors is not None:
                if type(entry) is _Eager:
                    return self._fn(*args, **kwargs)
                return entry.fn(*tensors)
        if len(self._cache) >= CACHE_LIMIT:
            self._eager(f"{CACHE_LIMIT} variants were traced (the cache limit, as torch's cache_size_limit): "
                        "something the guards check changes on every call (an input's shape, a Python "
                        "number the function reads)")
            return self._fn(*args, **kwargs)
        return self._trace(guards.build(self._fn, args, kwargs), args, kwargs)  # (guards: the state before)

    def _eager(self, reason: str, forever: bool = True) -> None:
        if forever:
            self._eager_reason = reason
        if reason not in self._warned:
            self._warned.add(reason)
            warnings.warn(f"chaingrad.compile: {self.label} runs eagerly from now on: {reason}", stacklevel=4)

    def _trace(self, written, args, kwargs):
        tr = Tracer(self.label, self.fullgraph)
        watched = _watch_groups(written.groups)
        for name, _, value in guards.roots(self._fn):
            _bind(tr, value, name)
        leaves = {}
        _flatten(args, ("args",), leaves)
        _flatten(kwargs, ("kwargs",), leaves)
        arg_paths, taken = [], set()
        for path, v in leaves.items():
            if not isinstance(v, Tensor) or id(v) in taken:
                continue
            taken.add(id(v))
            if id(v) not in tr._bound:
                tr.bind(v, _arg_name(self._fn, path))
            arg_paths.append(path)
            tr.trace.args.append(tr._obj_name[id(v)])
        before = {id(t): (t, _state(t)) for t in tr._bound.values()}
        names = _NameCollector(tr, _code_of(self._fn))
        try:
            result = tr.run(self._fn, args, kwargs, profile=names)
        finally:
            reads = _unwatch_groups(watched)
        key = guards.finish(written, reads, tr.trace.layouts)
        if tr.broken is not None:
            self._eager(f"{tr.broken.message()}. (Python side effects of the function, such as print, ran "
                        "while it was traced; from now on they run on every call)")
            return result
        reason = _unexplained(tr, before)
        if reason is None and not any(line.section == "backward" for line in tr.trace.lines):
            outs = [t for t in _tensors_of(result) if t.requires_grad and t._grad_fn is not None
                    and id(t) not in tr._bound]
            if outs:  # a forward whose outputs require grad: their grad_fn will run a compiled backward
                why = tr.probe_backward(list({id(t): t for t in outs}.values()))
                if why is not None:
                    reason = (f"its outputs require grad, and their backward cannot be compiled ({why}), so it runs "
                              "eagerly")
        if reason is None:
            reason = _output(tr, result)
        if reason is not None:
            self._cache.append((key, _Eager(reason)))
            self._eager(reason, forever=False)
            return result
        tr.decide_ownership()
        tr.add_version_lines()
        no_grad = {tr._obj_name[k] for k, (t, st) in before.items() if st[2] == id(None) and k in tr._obj_name}
        optimize(tr.trace, tr._arrays, tr._n, no_grad, fused=self.fused)
        if not self.fused:  # (numba's kernels are typed by the layouts of the traced arrays)
            batch_last(tr.trace, tr._arrays)
        namespace = {name: o for name, o in tr.trace.objects.items() if name not in tr.trace.args}
        namespace = {(f"{n}_t" if isinstance(o, Tensor) else n): o for n, o in namespace.items()}
        variant = self._fused_variant(tr, namespace, arg_paths) if self.fused else None
        if variant is None:
            variant = Variant(render(tr.trace, self.label), namespace, arg_paths, self.label)
        self._cache.append((key, variant))
        self._last = variant
        return result


    def _fused_variant(self, tr: Tracer, namespace: dict, arg_paths: list) -> Variant | None:
        """backend="numba": the trace fused into numba functions, or None (with a warning, once) where it cannot be,
        so that the default NumPy code replays it; with fullgraph=True that is a CompileError."""
        from . import numba_backend

        try:
            fused = numba_backend.generate(tr.trace, self.label, tr._arrays)
            variant = Variant(fused.source, namespace, arg_paths, self.label)
            numba_backend.compile_kernels(variant.namespace, fused)
            return variant
        except numba_backend.Untranslatable as e:
            reason = f"backend='numba' cannot fuse {self.label}: {e}"
        if self.fullgraph:
            raise CompileError(f"chaingrad.compile(fullgraph=True) {reason}")
        if reason not in self._warned:
            self._warned.add(reason)
            warnings.warn(f"chaingrad.compile: {reason}; it is replayed by the default NumPy backend instead",
                          stacklevel=4)
        return None


def _optimized_module_class():
    from ..nn.module import Module

    class OptimizedModule(Module):
        """What ``chaingrad.compile(module)`` returns (torch's name): a module holding the original as
        ``_orig_mod`` (so its ``state_dict`` keys start with ``_orig_mod.``, as torch's do), whose calls go to
        the compiled module; other attributes come from ``_orig_mod``."""

        def __init__(self, mod, *, fullgraph: bool = False, disable: bool = False, fused: bool = False) -> None:
            super().__init__()
            self._orig_mod = mod
            self.__dict__["_compiled"] = CompiledFunction(mod, fullgraph=fullgraph, disable=disable,
                                                          label=type(mod).__name__, fused=fused)

        def forward(self, *args, **kwargs):
            return self.__dict__["_compiled"](*args, **kwargs)

        @property
        def code(self) -> str:
            """The generated source of the module's last trace."""
            return self.__dict__["_compiled"].code

        def __getattr__(self, name: str):
            try:
                return super().__getattr__(name)
            except AttributeError:
                return getattr(self.__dict__["_modules"]["_orig_mod"], name)

    return OptimizedModule


# -- guards --------------------------------------------------------------------------------------------------
def _flatten(x, path: tuple, out: dict) -> None:
    if type(x) in (tuple, list):
        out[path + ("len",)] = len(x)
        for i, v in enumerate(x):
            _flatten(v, path + (i,), out)
    elif type(x) is dict:
        out[path + ("keys",)] = tuple(x)
        for k, v in x.items():
            _flatten(v, path + (k,), out)
    else:
        out[path] = x


class _WatchedGroup(dict):
    """An optimizer's param_group while a trace runs: notes which numbers the function itself reads."""

    reads: set[tuple[int, int, object]]  # (id(optimizer), group index, key) of each number read
    opt_id: int
    index: int

    def __getitem__(self, key):
        self.note(key)
        return dict.__getitem__(self, key)

    def get(self, key, default=None):
        self.note(key)
        return dict.get(self, key, default)

    def note(self, key) -> None:
        if hooks.TRACER is not None and hooks.TRACER.depth == 0:  # (not the optimizer's own step)
            self.reads.add((self.opt_id, self.index, key))


def _watch_groups(groups: list) -> list:
    watched = []
    for opt, i, _ in groups:
        original = opt.param_groups[i]
        if type(original) is not dict:
            continue
        w = _WatchedGroup(original)
        w.reads, w.opt_id, w.index = set(), id(opt), i
        opt.param_groups[i] = w
        watched.append((opt, i, original, w))
    return watched


def _unwatch_groups(watched: list) -> set:
    """Put the original dicts back (with what the call wrote into them); the numbers the function read."""
    reads: set = set()
    for opt, i, original, w in watched:
        original.clear()
        original.update(dict.items(w))
        opt.param_groups[i] = original
        reads |= w.reads
    return reads


def _code_of(fn):
    from ..nn.module import Module

    if isinstance(fn, Module):
        fn = type(fn).forward
    return getattr(getattr(fn, "__func__", fn), "__code__", None)


def _reach(value, name: str, out: list, depth: int = 0) -> None:
    """The tensors, modules and optimizers reachable from ``value``, with names (``model.fc1.weight``)."""
    from ..nn.module import Module
    from ..optim.optimizer import Optimizer

    if isinstance(value, Tensor):
        out.append((name, value))
    elif isinstance(value, Module):
        out.append((name, value))
        for pname, p in value.named_parameters():
            out.append((f"{name}.{pname}" if name != "self" else f"model.{pname}", p))
        for bname, b in value.named_buffers():
            out.append((f"{name}.{bname}" if name != "self" else f"model.{bname}", b))
    elif isinstance(value, Optimizer):
        out.append((name, value))
        for gi, group in enumerate(value.param_groups):
            for pi, p in enumerate(group["params"]):
                out.append((f"{name}_param{gi}_{pi}", p))
    elif isinstance(value, (list, tuple)) and depth < 2 and len(value) <= 256:
        for i, v in enumerate(value):
            _reach(v, f"{name}_{i}", out, depth + 1)
    elif isinstance(value, dict) and depth < 2 and len(value) <= 256:
        for k, v in value.items():
            _reach(v, f"{name}_{k}", out, depth + 1)
    elif guards.is_scheduler(value):  # an LR scheduler
        out.append((name, value))


def _bind(tr: Tracer, value, name: str) -> None:
    if isinstance(value, np.ndarray):  # (guarded by identity: the replay reads the array as it is then)
        tr._named_arrays[id(value)] = (value, tr.obj(value, name))
        return
    reached: list = []
    _reach(value, name, reached)
    for rname, obj in reached:
        if isinstance(obj, Tensor):
            tr.bind(obj, rname)
        else:
            tr.obj(obj, rname)


def _arg_name(fn, path: tuple) -> str:
    import inspect

    try:
        params = list(inspect.signature(fn).parameters)
    except (TypeError, ValueError):
        params = []
    head = path[1]
    if path[0] == "args" and isinstance(head, int) and head < len(params):
        base = params[head]
    elif path[0] == "kwargs":
        base = str(head)
    else:
        base = f"arg{head}"
    rest = "_".join(str(p) for p in path[2:])
    return base + ("_" + rest if rest else "")


def _state(t: Tensor) -> tuple:
    return (id(t._data), t._version[0], id(t._grad), t.requires_grad)


def _unexplained(tr: Tracer, before: dict) -> str | None:
    """A tensor from outside that the function changed in a way no line of the trace accounts for."""
    for key, (t, old) in before.items():
        if key in tr.explained:
            continue
        now = _state(t)
        if now != old:
            return (f"a tensor of shape {list(t._data.shape)} ({tr._obj_name.get(key, '?')}) was changed by code "
                    "that chaingrad.compile does not follow (its array, version, .grad or requires_grad), so a "
                    "replay would not change it")
    return None


def _output(tr: Tracer, result) -> str | None:
    """Write the generated function's return expression for ``result``; a reason if it cannot be replayed."""
    walked = any(line.section == "backward" for line in tr.trace.lines)

    def code(v):
        if isinstance(v, Tensor):
            if id(v) in tr._bound:
                return f"${tr._obj_name[id(v)]}$"
            n = tr.known(v._data)
            if n is None:
                raise _NoReplay("it returns a tensor the trace did not see being made")
            if v.requires_grad and n in tr.trace.grad_outputs:
                return f"outs[{tr.trace.grad_outputs.index(n)}]"
            if v.requires_grad and not walked:
                raise _NoReplay("it returns a tensor that requires grad but whose backward was not compiled")
            return f"output(@{n}@, {v.requires_grad})"
        if type(v) is tuple:
            items = [code(x) for x in v]
            return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"
        if type(v) is list:
            return "[" + ", ".join(code(x) for x in v) + "]"
        if type(v) is dict:
            return "{" + ", ".join(f"{k!r}: {code(x)}" for k, x in v.items()) + "}"
        if v is None or type(v) in (bool, int, float, str):
            return repr(v)
        if isinstance(v, np.ndarray):
            raise _NoReplay("it returns a NumPy array")
        return f"${tr.obj(v, type(v).__name__.lower())}$"

    try:
        tr.trace.output = code(result)
    except _NoReplay as e:
        return str(e)
    return None


def _tensors_of(r) -> list:
    if isinstance(r, Tensor):
        return [r]
    if type(r) in (tuple, list):
        return [t for v in r for t in _tensors_of(v)]
    if type(r) is dict:
        return [t for v in r.values() for t in _tensors_of(v)]
    return []


class _NoReplay(Exception):
    pass


class _NameCollector:
    """A profile function: at each return from the user's code (and from the compiled function itself), the
    names its variables give to traced arrays, found as ``chaingrad.explain`` finds them."""

    def __init__(self, tr: Tracer, code) -> None:
        self.tr, self.code = tr, code

    def __call__(self, frame, event: str, arg: Any) -> None:
        if event != "return":
            return
        mod = frame.f_globals.get("__name__", "") or ""
        if mod.startswith(("chaingrad", "numpy")) and frame.f_code is not self.code:
            return
        from ..explain._graph import names_from_frames  # (explain's naming of a program's tensors)

        tr = self.tr
        try:
            _, outs = names_from_frames(frame, depth=1)
        except Exception:  # noqa: BLE001 - names only make .code readable; never let them break a trace
            return
        for name, t in outs.values():
            n = tr.known(t._data)
            if n is not None and name.isidentifier():
                tr.trace.names.setdefault(n, name)


_ = GraphBreak
